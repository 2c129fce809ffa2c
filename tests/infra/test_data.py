"""agentrl.infra.data: Grain pipelines are deterministic, bucketed, and resume exactly."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pytest

from agentrl.errors import ConfigError
from agentrl.infra.data import dpo_dataset, pad_to_bucket, prompt_dataset, sft_dataset


def _examples(n: int = 23) -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        length = int(rng.integers(2, 30))
        ids = list(range(1000 * i + 1, 1000 * i + 1 + length))
        prompt = length // 2
        out.append({"input_ids": ids, "loss_mask": [0] * prompt + [1] * (length - prompt)})
    return out


def _take(it, n):
    return list(itertools.islice(it, n))


def _same(a, b) -> bool:
    if isinstance(a, list):
        return a == b
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_sft_padded_batches_are_bucketed_and_correct():
    examples = _examples()
    ds = sft_dataset(examples, batch_size=4, seed=0, buckets=(8, 16, 32), pad_id=-1)
    by_first = {e["input_ids"][0]: e for e in examples}
    for batch in _take(iter(ds), 6):
        tokens = batch["tokens"]
        lengths = batch["attention_mask"].sum(1)
        assert tokens.shape[1] == pad_to_bucket(int(lengths.max()), (8, 16, 32))
        assert tokens.dtype == np.int32 and batch["attention_mask"].dtype == bool
        for row in range(4):
            n = int(lengths[row])
            ex = by_first[int(tokens[row, 0])]
            assert tokens[row, :n].tolist() == ex["input_ids"]
            assert batch["loss_mask"][row, :n].tolist() == ex["loss_mask"]
            assert (tokens[row, n:] == -1).all() and (batch["loss_mask"][row, n:] == 0).all()
            assert batch["positions"][row, :n].tolist() == list(range(n))


def test_same_seed_same_batches_other_seed_differs():
    first = [b["tokens"] for b in _take(iter(sft_dataset(_examples(), batch_size=4, seed=3)), 5)]
    again = [b["tokens"] for b in _take(iter(sft_dataset(_examples(), batch_size=4, seed=3)), 5)]
    other = [b["tokens"] for b in _take(iter(sft_dataset(_examples(), batch_size=4, seed=4)), 5)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, other))


def test_epochs_cover_everything_and_reshuffle():
    tasks = list(range(12))
    batches = list(iter(prompt_dataset(tasks, batch_size=4, seed=1, num_epochs=2)))
    epoch1 = [t for b in batches[:3] for t in b]
    epoch2 = [t for b in batches[3:] for t in b]
    assert sorted(epoch1) == tasks and sorted(epoch2) == tasks
    assert epoch1 != epoch2 and epoch1 != tasks


@pytest.mark.parametrize("kind", ["sft", "packed", "dpo", "prompts"])
def test_resume_from_saved_state_gives_the_same_batches(kind):
    def make():
        if kind == "sft":
            return sft_dataset(_examples(), batch_size=3, seed=7, buckets=(16, 32))
        if kind == "packed":
            return sft_dataset(_examples(), batch_size=2, seed=7, buckets=(64,), packed=True)
        if kind == "dpo":
            return dpo_dataset(_pairs(), batch_size=3, seed=7, buckets=(16, 32, 64))
        return prompt_dataset([{"id": i} for i in range(10)], batch_size=3, seed=7)

    it = iter(make())
    _take(it, 5)  # crosses an epoch boundary for the prompt set
    state = json.loads(json.dumps(it.get_state()))  # what the checkpoint stores
    expected = _take(it, 6)
    resumed = iter(make())
    resumed.set_state(state)
    got = _take(resumed, 6)
    assert all(_same(a, b) for a, b in zip(expected, got, strict=True))


def test_packed_rows_hold_whole_examples_in_segments():
    examples = _examples()
    ds = sft_dataset(examples, batch_size=2, seed=0, buckets=(64,), packed=True)
    by_first = {e["input_ids"][0]: e for e in examples}
    batch = next(iter(ds))
    assert batch["tokens"].shape == (2, 64)
    for row in range(2):
        seg = batch["segment_ids"][row]
        assert (batch["attention_mask"][row] == (seg > 0)).all()
        for s in set(seg.tolist()) - {0}:
            cols = np.flatnonzero(seg == s)
            ex = by_first[int(batch["tokens"][row, cols[0]])]
            assert batch["tokens"][row, cols].tolist() == ex["input_ids"]
            assert batch["loss_mask"][row, cols].tolist() == ex["loss_mask"]
            assert batch["positions"][row, cols].tolist() == list(range(len(cols)))


def _pairs() -> list[dict]:
    return [
        {
            "prompt_ids": [1, 2, 3][: 1 + i % 3],
            "chosen_ids": [10 + i] * (1 + i % 5),
            "rejected_ids": [20 + i] * (1 + i % 7),
        }
        for i in range(11)
    ]


def test_dpo_batches_share_a_length_and_mask_responses():
    pairs = _pairs()
    batch = next(iter(dpo_dataset(pairs, batch_size=11, seed=0, shuffle=False, buckets=(8, 16))))
    longest = max(
        len(q["prompt_ids"]) + max(len(q["chosen_ids"]), len(q["rejected_ids"])) for q in pairs
    )
    assert longest == 9  # so the batch takes the 16 bucket
    assert batch["chosen_tokens"].shape == batch["rejected_tokens"].shape == (11, 16)
    for i, pair in enumerate(pairs):
        p = len(pair["prompt_ids"])
        for side in ("chosen", "rejected"):
            resp = pair[f"{side}_ids"]
            row = batch[f"{side}_tokens"][i]
            assert row[: p + len(resp)].tolist() == pair["prompt_ids"] + resp
            mask = batch[f"{side}_loss_mask"][i]
            assert mask.tolist() == [0] * p + [1] * len(resp) + [0] * (16 - p - len(resp))
            assert batch[f"{side}_attention_mask"][i].sum() == p + len(resp)


def test_map_fn_tokenizes_lazily_and_truncation():
    texts = ["ab", "abcdefghij"]

    def tokenize(text):
        ids = [ord(c) for c in text]
        return {"input_ids": ids, "loss_mask": [1] * len(ids)}

    ds = sft_dataset(texts, batch_size=2, seed=0, buckets=(4, 8), map_fn=tokenize, shuffle=False)
    batch = next(iter(ds))
    assert batch["tokens"].shape == (2, 8)
    assert batch["tokens"][1].tolist() == [ord(c) for c in "abcdefgh"]
    strict = sft_dataset(
        texts, batch_size=2, seed=0, buckets=(4, 8), map_fn=tokenize, too_long="error"
    )
    with pytest.raises(ConfigError, match="got a SFT example of 10 tokens, need <= 8"):
        next(iter(strict))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size=0"),
        ({"buckets": (16, 8)}, r"buckets=\[16, 8\]"),
        ({"num_epochs": 0}, "num_epochs=0"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"batch_size": 2, "seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=match):
        sft_dataset(_examples(), **args)


def test_bad_records():
    with pytest.raises(ConfigError, match="empty dataset"):
        sft_dataset([], batch_size=1, seed=0)
    bad = [{"input_ids": [1, 2], "loss_mask": [1]}]
    with pytest.raises(ConfigError, match="2 token ids but 1 loss_mask"):
        next(iter(sft_dataset(bad, batch_size=1, seed=0)))
    with pytest.raises(ConfigError, match="no 'loss_mask' \\(got \\['input_ids'\\]\\)"):
        next(iter(sft_dataset([{"input_ids": [1]}], batch_size=1, seed=0)))
    with pytest.raises(ConfigError, match="got sequence length 9, need <= the largest bucket 8"):
        pad_to_bucket(9, (4, 8))


def test_shards_split_the_records():
    tasks = list(range(10))
    seen = []
    for index in range(2):
        ds = prompt_dataset(tasks, batch_size=5, seed=0, num_epochs=1, shard=(index, 2))
        seen.append(sorted(t for batch in ds for t in batch))
    assert seen == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    with pytest.raises(ConfigError, match=r"shard=\(2, 2\)"):
        prompt_dataset(tasks, batch_size=1, seed=0, shard=(2, 2))


@dataclasses.dataclass(frozen=True)
class Seq:  # shaped like agentrl.trainers.data.SequenceExample
    token_ids: list[int]
    loss_mask: list[int]


@dataclasses.dataclass(frozen=True)
class Pair:  # shaped like agentrl.trainers.data.PreferencePair
    chosen: Seq
    rejected: Seq


def test_sequence_objects_and_full_sequence_pairs():
    sft = sft_dataset([Seq([5, 6, 7], [0, 1, 1])], batch_size=1, seed=0, buckets=(4,))
    batch = next(iter(sft))
    assert batch["tokens"].tolist() == [[5, 6, 7, 0]]
    assert batch["loss_mask"].tolist() == [[0, 1, 1, 0]]
    pair = Pair(Seq([1, 2, 3], [0, 1, 1]), Seq([1, 2, 4, 4, 4], [0, 0, 1, 1, 1]))
    batch = next(iter(dpo_dataset([pair], batch_size=1, seed=0, buckets=(4, 8))))
    assert batch["chosen_tokens"].tolist() == [[1, 2, 3, 0, 0, 0, 0, 0]]
    assert batch["chosen_loss_mask"].tolist() == [[0, 1, 1, 0, 0, 0, 0, 0]]
    assert batch["rejected_loss_mask"].tolist() == [[0, 0, 1, 1, 1, 0, 0, 0]]
    as_dict = {"chosen": {"input_ids": [1, 9], "loss_mask": [0, 1]}, "rejected": pair.rejected}
    batch = next(iter(dpo_dataset([as_dict], batch_size=1, seed=0, buckets=(8,))))
    assert batch["chosen_tokens"][0, :2].tolist() == [1, 9]
    no_response = Pair(Seq([1, 2, 3], [0, 0, 1]), pair.rejected)
    with pytest.raises(ConfigError, match="chosen sequence of 3 tokens has no response tokens"):
        next(iter(dpo_dataset([no_response], batch_size=1, seed=0, buckets=(2,))))
