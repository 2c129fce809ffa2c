"""The stages of a run, each a small function over a `RunContext`.

warm_start: SFT on the small worked-solution pool until held-out accuracy reaches its target
(or plateaus). rl_stage: rollout -> learner.train_step, with held-out evals and checkpoints.
control: from the warm-start weights, the RL stage's wall time spent on more pool SFT.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from agentrl.infra.progress import Progress
from agentrl.sampling.base import SamplingParams
from agentrl.train.config import TrainConfig
from agentrl.train.tasks import HELDOUT_SEED, TaskSplit


@dataclass
class RunContext:
    """The live objects one run shares between its stages."""

    config: TrainConfig
    model: Any
    tokenizer: Any
    sampler: Any
    split: TaskSplit
    log: Callable[[str, int, dict[str, Any]], None]  # (stream, step, metrics)
    pool: list[Any] = field(default_factory=list)  # warm-start SequenceExamples
    pairs: list[Any] = field(default_factory=list)  # a preference file's PreferencePairs
    teacher: Any = None  # algo=distill's frozen teacher
    mesh: Any = None  # the run's (data, fsdp, tp) mesh: learners shard on it
    # Several processes: the sampler's own copy of the weights (`hosts.SamplerReplica`),
    # refreshed when the sampler next runs after the weights changed (`stale`).
    replica: Any = None
    stale: bool = False
    # Told each RL rollout's prompts (the run's record of what it trained on).
    on_prompts: Callable[[Iterable[str | None]], None] = lambda prompts: None
    error_steps: int = 0  # RL steps that had failed episodes so far
    # Instead of env rollouts: an agent program's sessions, or a recording's (train/agents.py).
    agent: Any = None

    def weights_changed(self) -> None:
        """After every update: trajectories say which weights sampled them, and a sampler that
        keeps KV caches across calls (the continuous engine) drops the ones the old weights
        computed."""
        self.sampler.policy_version += 1
        self.stale = True

    def fresh_sampler(self) -> Any:
        """The sampler, its replica of the weights brought up to date first (several
        processes; a collective, reached at the same point by every process)."""
        if self.replica is not None and self.stale:
            self.replica.refresh(self.model)
        self.stale = False
        return self.sampler

    def report_errors(self, step: int, errors: list[Any], total: int) -> None:
        """Say why episodes failed, for the first few steps that had failures (the metric
        ``rollout/errors`` counts them all; a run keeps going)."""
        self.error_steps += 1
        if self.error_steps <= 3:
            print(
                f"agentrl: step {step}: {len(errors)} of {total} episodes failed "
                f"(recorded, not trained on); first: {errors[0].error}",
                file=sys.stderr,
                flush=True,
            )

    def evaluate(self) -> dict[str, float]:
        """Greedy held-out accuracy (and mean reward) of the current weights."""
        from agentrl.rollout import rollout

        started = time.perf_counter()
        # Greedy needs no key; the seed keeps even ties off the sampler's own key stream.
        params = SamplingParams(
            temperature=0.0, max_tokens=self.config.eval.max_tokens, seed=HELDOUT_SEED
        )
        result = rollout(
            self.split.eval_env,
            self.fresh_sampler(),
            self.tokenizer,
            params=params,
            progress=False,
            max_context=self.config.model.max_context,
            max_concurrency=self.config.rollout.max_concurrency,
            **self.split.heldout_kwargs(),
        )
        trajs = result.trajectories
        correct = [_is_correct(t) for t in trajs]
        return {
            "accuracy": float(np.mean(correct)),
            "mean_reward": float(np.mean([t.reward for t in trajs])),
            "n": float(len(trajs)),
            "mean_tokens": float(np.mean([t.num_policy_tokens for t in trajs])),
            "seconds": time.perf_counter() - started,
        }


def _is_correct(trajectory: Any) -> bool:
    correct = trajectory.reward_components.get("correct")
    return bool(correct if correct is not None else trajectory.reward > 0)


def _progress(ctx: RunContext, total: int, **kwargs: Any) -> Progress:
    from agentrl.infra.distributed import is_main

    logging = ctx.config.logging
    return Progress(
        total,
        enabled=logging.progress and is_main(),
        interval_s=logging.progress_interval_s,
        **kwargs,
    )


def host_copy(tree: Any) -> Any:
    """A host (NumPy) copy that survives the learner donating the device buffers (of the
    full values, when they span processes: a collective then)."""
    from agentrl.infra.distributed import gather_to_host

    return jax.tree.map(lambda x: np.array(x, copy=True), gather_to_host(tree))


def device_copy(tree: Any) -> Any:
    return jax.tree.map(jnp.asarray, tree)


# -- warm-start ---------------------------------------------------------------------------------
def sft_learner(ctx: RunContext) -> Any:
    from agentrl.trainers.sft import SFTLearner

    cfg = ctx.config
    return SFTLearner(
        cfg.warm_start.sft,
        ctx.model,
        pad_id=ctx.tokenizer.pad_token_id,
        update=cfg.update,
        mesh=ctx.mesh,
    )


def pool_batches(pool_size: int, batch_size: int, seed: int) -> Any:
    """Endless batches of pool indices: shuffled epochs, deterministic under `seed`."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(pool_size)
        for start in range(0, pool_size - batch_size + 1, batch_size):
            yield order[start : start + batch_size]
        if pool_size < batch_size:
            yield rng.integers(0, pool_size, batch_size)


@dataclass
class WarmStartResult:
    steps: int
    seconds: float
    accuracy: float
    history: list[tuple[int, float]]


def warm_start(ctx: RunContext, learner: Any) -> WarmStartResult:
    """SFT on the pool until held-out accuracy reaches the target or stops improving."""
    cfg = ctx.config.warm_start
    batches = pool_batches(len(ctx.pool), cfg.batch_size, ctx.config.seed)
    started = time.perf_counter()
    history: list[tuple[int, float]] = []
    best, since_best, step = -1.0, 0, 0
    bar = _progress(ctx, cfg.max_steps, desc="warm-start")
    while step < cfg.max_steps:
        metrics = learner.train_step([ctx.pool[i] for i in next(batches)])
        ctx.weights_changed()
        step += 1
        evaluate = step % cfg.eval_every == 0 or step == cfg.max_steps
        if evaluate:
            metrics["eval/accuracy"] = ctx.evaluate()["accuracy"]
            history.append((step, metrics["eval/accuracy"]))
        ctx.log("warmstart", step, metrics)
        bar.update(step, metrics, tokens=int(metrics.get("tokens", 0)))
        if not evaluate:
            continue
        accuracy = metrics["eval/accuracy"]
        if accuracy >= cfg.target_accuracy:
            break
        best, since_best = (accuracy, 0) if accuracy > best else (best, since_best + 1)
        if since_best >= cfg.patience:
            break
    bar.close()
    accuracy = history[-1][1] if history else ctx.evaluate()["accuracy"]
    return WarmStartResult(step, time.perf_counter() - started, accuracy, history)


# -- RL -----------------------------------------------------------------------------------------
def attach_adapters(ctx: RunContext) -> bool:
    """``model.lora``: freeze the (warm-started) base, quantized when ``model.quantize`` says,
    and give it fresh LoRA adapters, which the learners then train alone. Returns whether the
    model carries adapters."""
    from flax import nnx

    from agentrl.models.lora import apply_lora
    from agentrl.trainers.learner import has_lora

    lora, quantize = ctx.config.model.lora, ctx.config.model.quantize
    if lora is None or has_lora(ctx.model):
        return lora is not None
    if quantize is not None:
        from agentrl.models.quant import quantize as quantize_base

        quantize_base(ctx.model, quantize)
    apply_lora(ctx.model, lora, rngs=nnx.Rngs(ctx.config.seed))
    ctx.weights_changed()  # a sampler keeping KV must not reuse what the plain model computed
    return True


def detach_adapters(ctx: RunContext) -> None:
    """Undo `attach_adapters`: no adapters, float projections (the weights are restored next)."""
    from agentrl.models.lora import remove_lora
    from agentrl.models.quant import dequantize

    dequantize(remove_lora(ctx.model))
    ctx.weights_changed()


def rl_learner(ctx: RunContext) -> Any:
    """The learner of ``config.algo``; its reference is the model's current (warm) weights."""
    from agentrl.trainers.dpo import DPOLearner
    from agentrl.trainers.grpo import GRPOLearner
    from agentrl.trainers.ppo import PPOLearner

    cfg, pad = ctx.config, ctx.tokenizer.pad_token_id
    temperature = cfg.rollout.temperature or 1.0
    kw: dict[str, Any] = {"pad_id": pad, "update": cfg.update, "mesh": ctx.mesh}
    tempered = {"temperature": temperature}
    if cfg.algo == "grpo":
        return GRPOLearner(cfg.grpo.model_copy(update=tempered), ctx.model, **kw)
    if cfg.algo == "ppo":
        return PPOLearner(cfg.ppo.model_copy(update=tempered), ctx.model, **kw)
    if cfg.algo == "dpo":
        return DPOLearner(cfg.dpo, ctx.model, **kw)
    if cfg.algo == "distill":
        from agentrl.trainers.distill import DistillLearner

        return DistillLearner(cfg.distill, ctx.model, ctx.teacher, **kw)
    return sft_learner(ctx)


def rl_update(ctx: RunContext, learner: Any, step: int) -> tuple[dict[str, float], int]:
    """One RL step: fresh prompts, a rollout, one `train_step`. Returns metrics and tokens.

    Everything random here derives from (config.seed, step): the prompts, the sampling seed
    and SFT's pool batch. That is what makes ``--resume`` repeat a killed run exactly.
    """
    cfg = ctx.config
    if ctx.agent is not None:
        return ctx.agent.step(ctx, learner, step)  # type: ignore[no-any-return]
    # Offline steps: plain SFT (more pool epochs, as the `--control sft` comparison), logit or
    # feature distillation on the pool, DPO on a preference file's pairs.
    if cfg.algo == "sft" or (cfg.algo == "distill" and cfg.distill.mode != "on_policy"):
        return pool_sft_step(ctx, learner, step)
    if cfg.algo == "dpo" and ctx.pairs:
        return pair_step(ctx, learner, step)
    trajs, rollout_s = sample_step(ctx, ctx.fresh_sampler(), step)
    return update_step(ctx, learner, step, trajs, rollout_s)


def _refills(cfg: TrainConfig) -> bool:
    return cfg.algo == "grpo" and cfg.grpo.dynamic_sampling and cfg.rollout.refill_rounds > 0


def sample_step(ctx: RunContext, sampler: Any, step: int) -> tuple[list[Any], float]:
    """Step `step`'s rollout with `sampler` (its prompts and seeds derive from the step):
    ``(trajectories, seconds)``. The server backend runs this ahead, in a thread."""
    from agentrl.infra.distributed import gather_objects
    from agentrl.rollout import rollout
    from agentrl.trainers.batching import informative_groups

    cfg = ctx.config
    prompts = cfg.rollout.prompts_per_step
    rounds = 1 + cfg.rollout.refill_rounds if _refills(cfg) else 1
    t0 = time.perf_counter()
    trajs: list[Any] = []
    # Several processes: each runs its share of the groups; all learn from all of them.
    part = (jax.process_index(), jax.process_count()) if jax.process_count() > 1 else None
    for round_ in range(rounds):
        if round_ and len(informative_groups(trajs)) >= prompts:
            break
        params = SamplingParams(
            temperature=cfg.rollout.temperature,
            top_p=cfg.rollout.top_p,
            max_tokens=cfg.rollout.max_tokens,
            seed=cfg.seed * 1_000_003 + step * rounds + round_,
        )
        mine = rollout(
            ctx.split.env,
            sampler,
            ctx.tokenizer,
            params=params,
            progress=False,
            max_context=cfg.model.max_context,
            max_concurrency=cfg.rollout.max_concurrency,
            part=part,
            **ctx.split.train_kwargs(
                step, prompts, cfg.rollout.group_size, round=round_, rounds=rounds
            ),
        ).trajectories
        trajs += gather_objects(mine) if part is not None else mine
    return trajs, time.perf_counter() - t0


def update_step(
    ctx: RunContext, learner: Any, step: int, trajs: list[Any], rollout_s: float
) -> tuple[dict[str, float], int]:
    """Learn from step `step`'s trajectories (one `train_step`) and say the weights changed."""
    from agentrl.trainers.batching import informative_groups

    cfg = ctx.config
    prompts = cfg.rollout.prompts_per_step
    ctx.on_prompts(t.info.get("prompt") for t in trajs)
    errors = [t for t in trajs if t.termination == "error"]
    if errors:
        ctx.report_errors(step, errors, len(trajs))
    batch = trajs
    if _refills(cfg):  # DAPO keeps a full batch: the first `prompts` groups whose rewards differ
        keep = set(informative_groups(trajs)[:prompts])
        batch = [t for t in trajs if t.group_id in keep]
    t1 = time.perf_counter()
    metrics = learn(cfg.algo, learner, batch, cfg) if batch else {"skipped": 1.0}
    ctx.weights_changed()
    tokens = sum(t.num_policy_tokens for t in trajs)
    n = max(len(trajs), 1)
    metrics = {
        **metrics,
        "reward/mean": float(np.mean([t.reward for t in trajs])) if trajs else 0.0,
        "train/accuracy": float(np.mean([_is_correct(t) for t in trajs])) if trajs else 0.0,
        "rollout/seconds": rollout_s,
        "update/seconds": time.perf_counter() - t1,
        "rollout/tokens_per_s": tokens / max(rollout_s, 1e-9),
        "rollout/errors": float(len(errors)),
        "rollout/episodes": float(len(trajs)),
        "rollout/mean_completion_tokens": tokens / n,
    }
    return metrics, tokens


def learn(
    algo: str, learner: Any, trajectories: list[Any], config: TrainConfig | None = None
) -> dict[str, float]:
    """One learner update on a rollout, keeping failed episodes out of the loss.

    A failed episode (termination "error": the env or its grader raised) has a reward that
    says nothing about the policy. It keeps its row with a zero loss mask, so the batch shape
    (and the compiled update) stays the same; one with under 2 tokens (reset failed) cannot
    be a row at all and is dropped. GRPO's group statistics still count its reward.
    """
    kept = []
    for t in trajectories:
        if t.termination != "error":
            kept.append(t)
        elif len(t.token_ids) >= 2 and algo != "dpo":
            kept.append(t.model_copy(update={"loss_mask": [0] * len(t.token_ids)}))
    if algo == "dpo":
        from agentrl.trainers.dpo import online_pairs

        pairs = online_pairs(kept)
        return learner.train_step(pairs) if pairs else {"pairs": 0.0, "skipped": 1.0}
    if not kept:
        return {"skipped": 1.0}
    if config is not None and algo in ("grpo", "ppo"):
        off = config.off_policy
        correct = off.corrects(config.rollout.backend)
        if correct or off.measure:  # rescore with the trainer: the gap, and maybe TIS
            from agentrl.trainers.off_policy import train_step

            return train_step(learner, kept, off, correct=correct)
    return learner.train_step(kept)


def pool_sft_step(ctx: RunContext, learner: Any, step: int) -> tuple[dict[str, float], int]:
    """One step on a batch of the SFT pool drawn from (seed, step): SFT, or distillation
    toward the teacher on the same sequences."""
    rng = np.random.default_rng([ctx.config.seed, step])
    batch = [ctx.pool[i] for i in rng.integers(0, len(ctx.pool), ctx.config.warm_start.batch_size)]
    metrics = learner.train_step(batch)
    ctx.weights_changed()
    if "tokens" not in metrics:  # distillation does not count them
        metrics = {**metrics, "tokens": float(sum(sum(ex.loss_mask) for ex in batch))}
    return metrics, int(metrics["tokens"])


def pair_step(ctx: RunContext, learner: Any, step: int) -> tuple[dict[str, float], int]:
    """One DPO step on a batch of a preference file's pairs drawn from (seed, step)."""
    rng = np.random.default_rng([ctx.config.seed, step])
    draw = rng.integers(0, len(ctx.pairs), ctx.config.warm_start.batch_size)
    batch = [ctx.pairs[i] for i in draw]
    metrics = learner.train_step(batch)
    ctx.weights_changed()
    tokens = sum(sum(s.loss_mask) for p in batch for s in (p.chosen, p.rejected))
    return {**metrics, "pairs": float(len(batch))}, tokens


def timed_loop(
    ctx: RunContext,
    learner: Any,
    *,
    stream: str,
    start_step: int,
    max_steps: int,
    budget_s: float | None,
    step_fn: Callable[[RunContext, Any, int], tuple[dict[str, float], int]],
    on_step: Callable[[int, float], None] | None = None,
) -> tuple[int, float, list[tuple[int, float]]]:
    """Run `step_fn` until `max_steps` or `budget_s` of training time (evals not counted).

    Returns (last step, training seconds, [(step, held-out accuracy)]).
    """
    from agentrl.infra.distributed import agree

    every = ctx.config.eval.every
    bar = _progress(ctx, max_steps, initial=start_step, desc=stream)
    train_s, curve, step = 0.0, [], start_step
    # A clock decides the end of a timed stage: process 0's, so that all stop together.
    while step < max_steps and (budget_s is None or agree(train_s < budget_s)):
        t0 = time.perf_counter()
        metrics, tokens = step_fn(ctx, learner, step)
        step += 1
        elapsed = time.perf_counter() - t0
        train_s += elapsed
        metrics = {
            **metrics,
            "time/train_seconds": train_s,
            "time/tokens_per_s": tokens / max(elapsed, 1e-9),
        }
        if step % every == 0:
            ev = ctx.evaluate()
            metrics["eval/accuracy"] = ev["accuracy"]
            curve.append((step, ev["accuracy"]))
        ctx.log(stream, step, metrics)
        if budget_s is not None:  # the clock, not max_steps, ends a timed stage: ETA by time
            per_step = train_s / (step - start_step)
            bar.set_total(min(max_steps, step + math.ceil(max(0.0, budget_s - train_s) / per_step)))
        bar.update(step, metrics, tokens=tokens)
        if on_step is not None:
            on_step(step, train_s)
    bar.close()
    return step, train_s, curve
