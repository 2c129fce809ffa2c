"""Grain input pipelines for SFT examples, DPO pairs and RL prompt sets.

Every pipeline is a `grain.IterDataset`: deterministic under its seed, reshuffled every epoch,
and its iterator's state is a small JSON mapping that goes into the checkpoint::

    ds = sft_dataset(examples, batch_size=8, seed=0, buckets=(64, 128))
    it = iter(ds)
    batch = next(it)                      # {"tokens": int32 [B, T], "loss_mask": ..., ...}
    ckpt.save(step, state, data=it.get_state())
    ...
    it = iter(ds); it.set_state(restored.data)   # continues with the very next batch

Padded batches are padded on the right to the smallest bucket length that fits the longest
sequence of the batch, so a run compiles once per bucket, not once per length.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import grain
import grain.experimental as grain_exp
import numpy as np

from agentrl.errors import ConfigError

__all__ = [
    "Batch",
    "dpo_dataset",
    "pad_to_bucket",
    "prompt_dataset",
    "sft_dataset",
]

Batch = dict[str, np.ndarray]
TooLong = Literal["truncate", "error"]


def sft_dataset(
    examples: Sequence[Any],
    *,
    batch_size: int,
    seed: int,
    buckets: Sequence[int] = (128, 256, 512, 1024, 2048),
    pad_id: int = 0,
    map_fn: Callable[[Any], Mapping[str, Sequence[int]]] | None = None,
    shuffle: bool = True,
    num_epochs: int | None = None,
    drop_remainder: bool = True,
    packed: bool = False,
    too_long: TooLong = "truncate",
    num_threads: int = 2,
    shard: tuple[int, int] = (0, 1),
) -> grain.IterDataset:
    """Batches of supervised examples: token ids plus a loss mask.

    Args:
        examples: Records ``{"input_ids": [...], "loss_mask": [...]}`` (equal lengths; the
            mask is 1 on tokens the model learns to produce; ``token_ids`` and objects with
            those attributes, like ``SequenceExample``, work too), or anything `map_fn` turns
            into one (tokenization then happens lazily, inside the pipeline).
        batch_size: Sequences (padded) or packed rows (packed) per batch.
        seed: Shuffle seed; the same seed gives the same batches.
        buckets: Allowed padded lengths, ascending; the largest is the maximum length.
        pad_id: Token id written into padding.
        map_fn: Optional per-record transform applied before batching.
        shuffle: Shuffle (a fresh order every epoch).
        num_epochs: Passes over the data; None repeats forever.
        drop_remainder: Drop a last, smaller batch.
        packed: Pack several examples per row of length ``max(buckets)`` (first-fit) instead of
            padding each; rows then carry ``segment_ids`` (0 = padding) and per-segment
            ``positions``. The model must keep attention within a segment.
        too_long: What to do with a sequence longer than ``max(buckets)``: keep its first
            tokens ("truncate") or raise `ConfigError` ("error").
        num_threads: Grain read threads.
        shard: (index, count): read only every count-th record starting at index; under
            multi-process JAX pass ``(jax.process_index(), jax.process_count())`` so each
            process loads its own part of the global batch.

    Returns:
        An `IterDataset` of batches with int32 ``tokens``, ``positions``, ``loss_mask`` and
        bool ``attention_mask``, all [B, T] (packed adds int32 ``segment_ids``).
    """
    buckets = _check_common(batch_size, buckets)
    ds = _source(examples, map_fn, seed, shuffle, num_epochs, shard)
    ds = ds.map(functools.partial(_sft_record, max_len=buckets[-1], too_long=too_long))
    if not packed:
        pad = functools.partial(_pad_sft_batch, buckets=buckets, pad_id=pad_id)
        ds = ds.batch(batch_size, drop_remainder=drop_remainder, batch_fn=pad)
        return ds.to_iter_dataset(_read_options(num_threads))
    length = buckets[-1]
    packed_ds = grain_exp.FirstFitPackIterDataset(
        ds.to_iter_dataset(_read_options(num_threads)),
        length_struct={"tokens": length, "loss_mask": length},
        num_packing_bins=max(2, batch_size),
        seed=seed,
        shuffle_bins=False,
    )
    return packed_ds.batch(batch_size, drop_remainder=drop_remainder).map(_packed_batch)


def dpo_dataset(
    pairs: Sequence[Any],
    *,
    batch_size: int,
    seed: int,
    buckets: Sequence[int] = (128, 256, 512, 1024, 2048),
    pad_id: int = 0,
    map_fn: Callable[[Any], Mapping[str, Sequence[int]]] | None = None,
    shuffle: bool = True,
    num_epochs: int | None = None,
    drop_remainder: bool = True,
    too_long: TooLong = "truncate",
    num_threads: int = 2,
    shard: tuple[int, int] = (0, 1),
) -> grain.IterDataset:
    """Batches of preference pairs, chosen and rejected padded to one shared bucket length.

    Args:
        pairs: Records ``{"prompt_ids": [...], "chosen_ids": [...], "rejected_ids": [...]}``
            (the responses exclude the prompt; the loss mask covers the responses), or records
            ``{"chosen": seq, "rejected": seq}`` / objects like ``PreferencePair`` whose sides
            are full sequences with their own loss masks (as in `sft_dataset`), or anything
            `map_fn` turns into one.
        Others: as in `sft_dataset`. Truncation cuts a sequence's end.

    Returns:
        An `IterDataset` of batches with, for ``p`` in ``chosen``/``rejected``: int32
        ``{p}_tokens``, ``{p}_positions``, ``{p}_loss_mask`` and bool
        ``{p}_attention_mask``, all [B, T] with the same T.
    """
    buckets = _check_common(batch_size, buckets)
    ds = _source(pairs, map_fn, seed, shuffle, num_epochs, shard)
    ds = ds.map(functools.partial(_dpo_record, max_len=buckets[-1], too_long=too_long))
    pad = functools.partial(_pad_dpo_batch, buckets=buckets, pad_id=pad_id)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder, batch_fn=pad)
    return ds.to_iter_dataset(_read_options(num_threads))


def prompt_dataset(
    tasks: Sequence[Any],
    *,
    batch_size: int,
    seed: int,
    shuffle: bool = True,
    num_epochs: int | None = None,
    drop_remainder: bool = True,
    shard: tuple[int, int] = (0, 1),
) -> grain.IterDataset:
    """Batches (Python lists) of RL task records, e.g. env task indices or task dicts.

    For an endless procedural env, pass ``range(n)`` with a large n: Grain shuffles index
    ranges lazily, without materializing them.
    """
    _check_common(batch_size, (1,))
    ds = _source(tasks, None, seed, shuffle, num_epochs, shard)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder, batch_fn=list)
    return ds.to_iter_dataset(_read_options(1))


def pad_to_bucket(length: int, buckets: Sequence[int]) -> int:
    """The smallest bucket >= `length`.

    Raises:
        ConfigError: `length` exceeds every bucket.
    """
    for bucket in buckets:
        if length <= bucket:
            return bucket
    raise ConfigError(f"got sequence length {length}, need <= the largest bucket {buckets[-1]}")


# ----------------------------------------------------------------------------------------------
# Pipeline pieces


def _check_common(batch_size: int, buckets: Sequence[int]) -> tuple[int, ...]:
    if batch_size < 1:
        raise ConfigError(f"got batch_size={batch_size}, need >= 1")
    out = tuple(int(b) for b in buckets)
    if not out or any(b < 1 for b in out) or list(out) != sorted(set(out)):
        raise ConfigError(f"got buckets={list(buckets)}, need positive, strictly ascending ints")
    return out


def _source(
    records: Sequence[Any],
    map_fn: Callable[[Any], Any] | None,
    seed: int,
    shuffle: bool,
    num_epochs: int | None,
    shard: tuple[int, int],
) -> grain.MapDataset:
    if len(records) == 0:
        raise ConfigError("got an empty dataset, need at least one record")
    index, count = shard
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"got shard={shard}, need (index, count) with 0 <= index < count")
    if len(records) < count:
        raise ConfigError(f"got {len(records)} records for {count} shards, need at least one each")
    if num_epochs is not None and num_epochs < 1:
        raise ConfigError(f"got num_epochs={num_epochs}, need >= 1 (or None for endless)")
    ds = grain.MapDataset.source(records)
    if count > 1:
        ds = ds[index::count]
    if map_fn is not None:
        ds = ds.map(map_fn)
    if shuffle:
        # Shuffling before repeat draws a new permutation per epoch (Grain seeds it by epoch).
        ds = ds.seed(seed).shuffle()
    return ds.repeat(num_epochs)


def _read_options(num_threads: int) -> grain.ReadOptions:
    return grain.ReadOptions(num_threads=max(1, num_threads), prefetch_buffer_size=16)


def _field(record: Any, names: Sequence[str], what: str) -> Any:
    """The first of `names` present in `record`, read as a mapping key or an attribute."""
    for name in names:
        if isinstance(record, Mapping):
            if name in record:
                return record[name]
        elif hasattr(record, name):
            return getattr(record, name)
    have = sorted(record) if isinstance(record, Mapping) else type(record).__name__
    raise ConfigError(f"{what} record has no {' or '.join(map(repr, names))} (got {have})")


def _ids(record: Any, names: Sequence[str], what: str) -> np.ndarray:
    return np.asarray(_field(record, names, what), dtype=np.int32).reshape(-1)


def _sequence(record: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, loss mask) of a full sequence: a mapping or an object such as
    ``SequenceExample``, with ``input_ids`` (or ``token_ids``) and ``loss_mask``."""
    tokens = _ids(record, ("input_ids", "token_ids"), what)
    mask = _ids(record, ("loss_mask",), what)
    if mask.shape != tokens.shape:
        raise ConfigError(
            f"{what} record has {tokens.size} token ids but {mask.size} loss_mask entries"
        )
    return tokens, mask


def _fit(n: int, max_len: int, too_long: TooLong, what: str) -> int:
    if n > max_len and too_long == "error":
        raise ConfigError(f"got a {what} of {n} tokens, need <= {max_len} (the largest bucket)")
    return min(n, max_len)


def _sft_record(record: Any, *, max_len: int, too_long: TooLong) -> Batch:
    tokens, mask = _sequence(record, "SFT")
    n = _fit(tokens.size, max_len, too_long, "SFT example")
    return {"tokens": tokens[:n], "loss_mask": mask[:n]}


def _pad_sft_batch(rows: Sequence[Batch], *, buckets: tuple[int, ...], pad_id: int) -> Batch:
    length = pad_to_bucket(max(r["tokens"].size for r in rows), buckets)
    tokens_bt = np.full((len(rows), length), pad_id, np.int32)
    loss_bt = np.zeros((len(rows), length), np.int32)
    for i, r in enumerate(rows):
        tokens_bt[i, : r["tokens"].size] = r["tokens"]
        loss_bt[i, : r["loss_mask"].size] = r["loss_mask"]
    lengths = np.array([r["tokens"].size for r in rows])
    return {"tokens": tokens_bt, "loss_mask": loss_bt, **_positions_and_mask(lengths, length)}


def _positions_and_mask(lengths_b: np.ndarray, length: int) -> Batch:
    positions_bt = np.broadcast_to(np.arange(length, dtype=np.int32), (len(lengths_b), length))
    attention_bt = positions_bt < lengths_b[:, None]
    return {"positions": np.where(attention_bt, positions_bt, 0), "attention_mask": attention_bt}


def _packed_batch(batch: Batch) -> Batch:
    segment_ids_bt = batch["tokens_segment_ids"].astype(np.int32)
    return {
        "tokens": batch["tokens"].astype(np.int32),
        "loss_mask": batch["loss_mask"].astype(np.int32),
        "positions": batch["tokens_positions"].astype(np.int32),
        "segment_ids": segment_ids_bt,
        "attention_mask": segment_ids_bt > 0,
    }


def _dpo_record(record: Any, *, max_len: int, too_long: TooLong) -> Batch:
    out: Batch = {}
    for side in ("chosen", "rejected"):
        tokens, mask = _dpo_side(record, side)
        n = _fit(tokens.size, max_len, too_long, f"{side} sequence")
        if not mask[:n].any():
            raise ConfigError(
                f"DPO {side} sequence of {tokens.size} tokens has no response tokens left "
                f"within {max_len} tokens"
            )
        out[f"{side}_tokens"], out[f"{side}_loss_mask"] = tokens[:n], mask[:n]
    return out


def _dpo_side(record: Any, side: str) -> tuple[np.ndarray, np.ndarray]:
    """One side of a pair as a full sequence: from ``prompt_ids`` + ``{side}_ids``, or from a
    ``{side}`` sequence with its own loss mask (e.g. ``PreferencePair.chosen``)."""
    has_prompt = (
        "prompt_ids" in record if isinstance(record, Mapping) else hasattr(record, "prompt_ids")
    )
    if not has_prompt:
        return _sequence(_field(record, (side,), "DPO"), f"DPO {side}")
    prompt = _ids(record, ("prompt_ids",), "DPO")
    response = _ids(record, (f"{side}_ids",), "DPO")
    mask = np.concatenate([np.zeros(prompt.size, np.int32), np.ones(response.size, np.int32)])
    return np.concatenate([prompt, response]), mask


def _pad_dpo_batch(rows: Sequence[Batch], *, buckets: tuple[int, ...], pad_id: int) -> Batch:
    longest = max(r[f"{side}_tokens"].size for r in rows for side in ("chosen", "rejected"))
    length = pad_to_bucket(longest, buckets)
    out: Batch = {}
    for side in ("chosen", "rejected"):
        tokens_bt = np.full((len(rows), length), pad_id, np.int32)
        loss_bt = np.zeros((len(rows), length), np.int32)
        for i, r in enumerate(rows):
            n = r[f"{side}_tokens"].size
            tokens_bt[i, :n] = r[f"{side}_tokens"]
            loss_bt[i, :n] = r[f"{side}_loss_mask"]
        lengths = np.array([r[f"{side}_tokens"].size for r in rows])
        out[f"{side}_tokens"], out[f"{side}_loss_mask"] = tokens_bt, loss_bt
        for key, value in _positions_and_mask(lengths, length).items():
            out[f"{side}_{key}"] = value
    return out
