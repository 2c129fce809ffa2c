"""One RL step with a scripted sampler and a fake learner: failed episodes, env copies, seeds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agentrl.config import load_config
from agentrl.envs.deepscaler import DeepScaleREnv
from agentrl.errors import EnvError
from agentrl.models.tiny import tiny_tokenizer
from agentrl.rollout.copies import EnvCopies
from agentrl.testing import ScriptedSampler
from agentrl.train.config import TrainConfig
from agentrl.train.stages import RunContext, pool_sft_step, rl_update, warm_start
from agentrl.train.tasks import TaskSplit

RECORDS = [{"problem": f"What is {i} + 1?", "answer": str(i + 1)} for i in range(10)]


class FlakyEnv(DeepScaleREnv):
    """Task 1's grader raises; task 2 cannot even be reset."""

    def _reset(self, options: dict[str, Any]) -> Any:
        if options.get("task_index") == 2:
            raise EnvError("dataset record 2 is unreadable")
        return super()._reset(options)

    def _step(self, action: str) -> Any:
        if self.task is not None and self.task.answer == "2":
            raise EnvError("grader crashed")
        return super()._step(action)


class RecordingLearner:
    def __init__(self) -> None:
        self.batches: list[list[Any]] = []

    def train_step(self, trajectories: list[Any]) -> dict[str, float]:
        self.batches.append(trajectories)
        return {"loss": 0.5}


def _context(env: Any, *overrides: str) -> RunContext:
    config = load_config(
        TrainConfig,
        None,
        ["rollout.prompts_per_step=4", "rollout.group_size=2", "eval.num_problems=2", *overrides],
    )
    tokenizer = tiny_tokenizer()
    sampler = ScriptedSampler(tokenizer, ["It is \\boxed{4}."])
    split = TaskSplit.build(env, None, config.eval.num_problems)
    return RunContext(config, None, tokenizer, sampler, split, lambda *_: None)


def test_failed_episodes_are_counted_and_kept_out_of_the_loss(capsys) -> None:
    ctx = _context(FlakyEnv(data=RECORDS))
    learner = RecordingLearner()
    metrics, tokens = rl_update(ctx, learner, step=0)  # tasks 0-3, two episodes each
    assert metrics["rollout/errors"] == 4.0
    assert metrics["loss"] == 0.5 and tokens > 0
    (batch,) = learner.batches
    assert len(batch) == 6  # task 2's episodes never started: no tokens, no row
    failed = [t for t in batch if t.termination == "error"]
    assert len(failed) == 2 and all(not any(t.loss_mask) for t in failed)
    assert all(any(t.loss_mask) for t in batch if t.termination != "error")
    assert metrics["train/accuracy"] == pytest.approx(2 / 8)  # task 3's answer is 4
    assert ctx.sampler.policy_version == 1
    assert "4 of 8 episodes failed" in capsys.readouterr().err


def test_env_copies_share_the_task_list_but_not_episode_state() -> None:
    env = DeepScaleREnv(data=RECORDS)
    copies = EnvCopies(env)
    a, b = copies(), copies()
    assert a.tasks is env.tasks and b.tasks is env.tasks
    a.reset(seed=0, options={"task_index": 3})
    b.reset(seed=0, options={"task_index": 5})
    assert a.task.answer == "4" and b.task.answer == "6"
    assert env.task is None  # the original never ran an episode
    assert copy.deepcopy(env).tasks is not env.tasks  # what the engine used to do


def test_each_step_draws_its_own_prompts_and_pool_batches() -> None:
    ctx = _context(DeepScaleREnv(data=RECORDS))
    assert ctx.split.train_kwargs(0, 4, 2)["tasks"] == [0, 1, 2, 3]
    assert ctx.split.train_kwargs(1, 4, 2)["tasks"] == [4, 5, 6, 7]
    assert ctx.split.train_kwargs(2, 4, 2)["tasks"] == [0, 1, 2, 3]  # wraps around 8 records
    ctx.pool = list(range(50))

    class Echo:
        def train_step(self, batch: list[int]) -> dict[str, float]:
            return {"tokens": float(sum(batch))}

    again = [pool_sft_step(ctx, Echo(), step)[1] for step in (3, 4, 3)]
    assert again[0] == again[2] != again[1]


def test_a_timed_stage_estimates_its_eta_from_the_clock(capsys) -> None:
    import re
    import time

    from agentrl.train.stages import timed_loop

    ctx = _context(DeepScaleREnv(data=RECORDS))
    logged: list[int] = []
    ctx.log = lambda stream, step, metrics: logged.append(step)

    def step_fn(ctx: RunContext, learner: Any, step: int) -> tuple[dict[str, float], int]:
        time.sleep(0.05)
        return {"loss": 1.0, "reward/mean": 0.5}, 10

    steps, train_s, _ = timed_loop(
        ctx, None, stream="rl", start_step=0, max_steps=10_000, budget_s=0.3, step_fn=step_fn
    )
    assert 3 <= steps < 20 and train_s >= 0.3 and logged == list(range(1, steps + 1))
    first = capsys.readouterr().err.splitlines()[0]
    match = re.fullmatch(r"rl 1/(\d+) \| reward 0.500 \| loss 1.000 \| .* \| eta .*", first)
    assert match and int(match.group(1)) < 20, first  # not 1/10000


def test_every_update_tells_the_sampler_its_weights_changed() -> None:
    """A sampler that keeps KV caches between calls (the continuous engine) must drop what
    replaced weights computed: every warm-start, pool and RL update bumps its policy version."""

    class Learner:
        def train_step(self, batch: list[Any]) -> dict[str, float]:
            return {"loss": 0.0, "tokens": float(len(batch))}

    ctx = _context(DeepScaleREnv(data=RECORDS), "warm_start.max_steps=3", "warm_start.batch_size=2")
    ctx.pool = list(range(4))
    warm_start(ctx, Learner())
    assert ctx.sampler.policy_version == 3
    pool_sft_step(ctx, Learner(), step=0)
    assert ctx.sampler.policy_version == 4
    rl_update(ctx, Learner(), step=0)
    assert ctx.sampler.policy_version == 5
