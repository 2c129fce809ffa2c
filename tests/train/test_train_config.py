"""`agentrl train` configuration and bad input: no model is built and nothing is compiled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrl.cli import main
from agentrl.config import load_config
from agentrl.errors import ConfigError
from agentrl.train.build import prepare_data
from agentrl.train.config import PRESETS, TrainConfig, preset_path
from agentrl.train.pipeline import train


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_preset_parses(path: Path) -> None:
    config = load_config(TrainConfig, path)
    assert config.env.id == "deepscaler"


def test_presets_are_found_for_tiny_and_real_models() -> None:
    assert preset_path("deepscaler-v0", real_model=False) == PRESETS / "deepscaler.yaml"
    assert preset_path("deepscaler", real_model=True) == PRESETS / "deepscaler-hf.yaml"
    assert preset_path("guess-number", real_model=False) is None


def test_print_config_round_trips_through_config_file(tmp_path: Path, capsys) -> None:
    flags = ["--set", "rollout.group_size=4", "--set", "grpo.optimizer.lr=3e-5", "--seed", "7"]
    assert main(["train", "--print-config", *flags]) == 0
    printed = capsys.readouterr().out
    assert "group_size: 4" in printed and "seed: 7" in printed
    file = tmp_path / "run.yaml"
    file.write_text(printed)
    assert main(["train", "--config", str(file), "--print-config"]) == 0
    assert capsys.readouterr().out == printed
    config = load_config(TrainConfig, file)
    assert config.grpo.optimizer.lr == 3e-5 and config.seed == 7


def test_the_real_model_preset_is_chosen_with_model(capsys) -> None:
    assert main(["train", "--model", "/some/hf/folder", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "path: /some/hf/folder" in out and "lr: 1.0e-06" in out


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("grpo.optimzer.lr=1e-5", ["grpo.optimzer", "Did you mean `optimizer`?"]),
        ("rollout.groupsize=4", ["rollout.groupsize", "`group_size`"]),
        ("rollout.temperature=hot", ["rollout.temperature='hot'"]),
        ("rollout.group_size=1", ["rollout.group_size=1", "GRPO needs >= 2"]),
        ("eval.num_problems=0", ["eval.num_problems=0"]),
        ("algo=reinforce", ["algo='reinforce'"]),
    ],
)
def test_bad_overrides_name_the_key_and_value(override: str, expected: list[str], capsys) -> None:
    assert main(["train", "--print-config", "--set", override]) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err


def test_resume_refuses_flags_that_would_disagree_with_its_config(tmp_path: Path, capsys) -> None:
    assert main(["train", "--resume", str(tmp_path), "--algo", "ppo"]) == 2
    assert "--algo" in capsys.readouterr().err


def _config(tmp_path: Path, *overrides: str) -> TrainConfig:
    base = ["eval.num_problems=4", "warm_start.pool_size=8"]
    return load_config(TrainConfig, None, [*base, *overrides])


def _data(tmp_path: Path, n: int, *, solutions: bool) -> Path:
    records = []
    for i in range(n):
        record = {"problem": f"What is {i} + 2?", "answer": str(i + 2)}
        if solutions:
            record["solution"] = f"{i} + 2 = {i + 2}. The answer is $\\boxed{{{i + 2}}}$."
        records.append(record)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(records))
    return path


def _keys(prompts: Any) -> set[str]:
    from agentrl.wrappers import normalize_prompt

    return {normalize_prompt(p) for p in prompts}


def test_a_missing_data_file_names_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match=r"env\.data=.*nope\.json.*not there"):
        prepare_data(_config(tmp_path, f"env.data={missing}"))
    with pytest.raises(ConfigError, match=r"env\.eval_data="):
        prepare_data(_config(tmp_path, f"env.eval_data={tmp_path}"))


def test_data_too_small_for_the_held_out_split(tmp_path: Path) -> None:
    data = _data(tmp_path, 4, solutions=True)
    with pytest.raises(ConfigError, match=r"4 records, too few.*eval\.num_problems=4"):
        prepare_data(_config(tmp_path, f"env.data={data}"))


def test_warm_start_without_worked_solutions_is_refused_before_the_run_folder(
    tmp_path: Path,
) -> None:
    data = _data(tmp_path, 12, solutions=False)
    config = _config(tmp_path, f"env.data={data}")
    with pytest.raises(ConfigError, match=r"no worked solutions.*warm_start\.enabled=false"):
        train(config, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    # Without a warm-start the same data is fine: RL needs answers only.
    data = prepare_data(_config(tmp_path, f"env.data={data}", "warm_start.enabled=false"))
    assert data.conversations == [] and data.split.train_indices == list(range(8))


def test_warm_start_pool_is_disjoint_from_held_out_and_rl_starts_after_it(tmp_path: Path) -> None:
    path = _data(tmp_path, 20, solutions=True)
    data = prepare_data(_config(tmp_path, f"env.data={path}", "warm_start.pool_size=5"))
    split = data.split
    assert split.heldout_indices == list(range(16, 20))
    assert len(data.conversations) == 5 and not _keys(data.pool_prompts) & split.heldout_prompts()
    first_rl = split.train_kwargs(0, prompts=3, group_size=2)["tasks"]
    assert first_rl == [5, 6, 7]  # the pool used records 0-4


def test_a_duplicate_of_a_held_out_record_is_not_trained_on(tmp_path: Path) -> None:
    """Held out by content: records 3 and 19 are the same problem (differently spaced), and
    the last four records hold only three distinct problems, so the held-out set reaches back
    one more record; neither copy of a held-out problem is left for training."""
    records = json.loads(_data(tmp_path, 20, solutions=True).read_text())
    records[3]["problem"] = "what is  19 +   2?"
    records[18] = records[17]
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(records))
    split = prepare_data(_config(tmp_path, f"env.data={path}")).split
    assert split.heldout_indices == [15, 16, 18, 19]
    assert split.train_indices == [i for i in range(19) if i not in (3, 15, 16, 17, 18)]
    assert len(split.heldout_prompts()) == 4


def test_procedural_held_out_problems_are_distinct_and_never_drawn_for_training() -> None:
    config = load_config(TrainConfig, None, ["eval.num_problems=64", "warm_start.pool_size=64"])
    data = prepare_data(config)
    split = data.split
    assert split.train_indices is None and len(data.conversations) == 64
    assert len(split.heldout_prompts()) == 64 == len(split.heldout_seeds or [])
    assert not _keys(data.pool_prompts) & split.heldout_prompts()
    # The RL env redraws held-out problems: none of many training draws is one.
    env = split.env()
    drawn = {env.reset(seed=3_000_000 + k)[1]["task"]["prompt"] for k in range(2000)}
    assert not _keys(drawn) & split.heldout_prompts()
    # ... while the same seeds without the exclusion do draw some of them: the check has teeth.
    plain = split.eval_env()
    drawn = {plain.reset(seed=3_000_000 + k)[1]["task"]["prompt"] for k in range(2000)}
    assert _keys(drawn) & split.heldout_prompts()
    a, b = split.train_kwargs(0, 4, 2), split.train_kwargs(1, 4, 2)
    assert a["num_episodes"] == 8 and b["seed"] == a["seed"] + 4
    # With refill rounds, each step owns `rounds` blocks of prompts, no two alike.
    seeds = [
        split.train_kwargs(s, 4, 2, round=r, rounds=3)["seed"] for s in range(3) for r in range(3)
    ]
    assert seeds == list(range(seeds[0], seeds[0] + 4 * 9, 4))


def test_refill_stops_once_enough_groups_have_differing_rewards() -> None:
    """A scripted policy that is wrong on every episode of the first block of prompts and right
    on every other episode after it: the step samples one refill block, not two, and learns
    from exactly `prompts_per_step` groups."""
    import re
    import threading

    from agentrl.testing import ScriptedSampler
    from agentrl.train.build import build_policy
    from agentrl.train.stages import RunContext, rl_learner, rl_update
    from agentrl.trainers.batching import informative_groups

    prompts, group = 2, 4
    config = load_config(
        TrainConfig,
        preset_path("deepscaler", real_model=False),
        [
            "model.tiny.num_hidden_layers=1", "model.max_context=96", "eval.num_problems=8",
            "warm_start.pool_size=8", f"rollout.prompts_per_step={prompts}",
            f"rollout.group_size={group}", "rollout.max_tokens=16", "rollout.refill_rounds=2",
            "grpo.dynamic_sampling=true",
        ],
    )  # fmt: skip
    split = prepare_data(config).split
    model, tokenizer = build_policy(config)
    calls = iter(range(10**6))
    lock = threading.Lock()

    def policy(prompt: str) -> str:
        with lock:
            k = next(calls)
        a, op, b = re.findall(r"What is (\d+) ([+-]) (\d+)\?", prompt)[-1]
        answer = int(a) + int(b) if op == "+" else int(a) - int(b)
        right = k >= prompts * group and k % 2 == 0
        return f"\\boxed{{{answer if right else answer + 1}}}"

    sampler = ScriptedSampler(tokenizer, policy)
    ctx = RunContext(config, model, tokenizer, sampler, split, lambda *_: None)
    learner = rl_learner(ctx)
    learned: list[list[Any]] = []
    train_step = learner.train_step

    def recording_train_step(trajectories: list[Any]) -> dict[str, float]:
        learned.append(list(trajectories))
        return train_step(trajectories)

    learner.train_step = recording_train_step
    metrics, _ = rl_update(ctx, learner, 0)
    assert metrics["rollout/episodes"] == 2 * prompts * group  # the first block and one refill
    [batch] = learned
    assert len(batch) == prompts * group
    assert sorted(informative_groups(batch)) == sorted({t.group_id for t in batch})
    assert len(informative_groups(batch)) == prompts
