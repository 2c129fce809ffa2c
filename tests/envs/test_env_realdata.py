"""The real files of ../shared/data load, and every gold answer grades correct through the env."""

from __future__ import annotations

import pytest

import agentrl

pytestmark = pytest.mark.realdata

FILES = {
    "deepscaler": ["aime.json", "amc.json", "math.json", "minerva.json", "olympiad_bench.json",
                   "train_math.json"],
    "gsm8k": ["test.jsonl", "train.jsonl"],
}  # fmt: skip
# Records the files themselves leave without an answer (train_math.json: 2 null, 2 empty).
SKIPPED = {"train_math.json": 4}
COUNTS = {"aime.json": 30, "amc.json": 83, "math.json": 500, "minerva.json": 272,
          "olympiad_bench.json": 675, "train_math.json": 7474, "test.jsonl": 1319,
          "train.jsonl": 7473}  # fmt: skip


@pytest.mark.parametrize("env_id, name", [(e, n) for e, names in FILES.items() for n in names])
def test_real_files_load_and_gold_answers_earn_reward(shared_data, env_id, name):
    env = agentrl.make(env_id, data=shared_data / env_id / name, on_invalid="skip")
    assert env.num_tasks == COUNTS[name] - SKIPPED.get(name, 0)
    failures = []
    for index in range(env.num_tasks):
        _, info = env.reset(options={"task_index": index})
        _, reward, terminated, _, step_info = env.step(env.oracle_action())
        if reward != 1.0 or not terminated:
            failures.append((info["task"]["id"], info["task"]["answer"], step_info["grade"]))
    assert not failures, f"{len(failures)} gold answers not graded correct, e.g. {failures[:3]}"


def test_strict_loading_names_the_bad_record(shared_data):
    with pytest.raises(agentrl.errors.EnvError, match=r"train_math.json record 886: 'answer'"):
        agentrl.make("deepscaler", data=shared_data / "deepscaler" / "train_math.json")
