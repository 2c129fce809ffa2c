"""`agentrl train`: warm-start, held-out eval, RL, held-out eval (and a control), in a run folder.

The run folder (see `agentrl.infra.run_dir`) ends up with the resolved config, metrics (JSONL and
TensorBoard), Orbax checkpoints, the final model as a Hugging Face folder (``model/``), PNG plots
and ``summary.json``. ``--resume RUN_DIR`` continues from the newest complete RL checkpoint:
every step's prompts and sampling seed derive from the step number, so a resumed run repeats
exactly what an uninterrupted run would have done.

What a resume restores: the warm-start weights (``warmstart/0``; a run killed before them redoes
the warm-start) and the RL learner's parameters, optimizer state and step. Each log
(``metrics.jsonl``, ``warmstart.jsonl``, ``control.jsonl``) is cut back to the step its stage
restarts from. Nothing else carries state between steps: the sampler gets the step's seed, the
held-out eval is greedy, SFT batches come from ``(seed, step)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.infra.distributed import is_main
from agentrl.infra.metrics import read_metrics, series
from agentrl.infra.run_dir import RunDir
from agentrl.train import hosts
from agentrl.train.build import (
    RunData,
    build_policy,
    build_sampler,
    check_rollout_split,
    max_turns,
    mesh_summary,
    prepare_data,
    say,
)
from agentrl.train.config import TrainConfig
from agentrl.train.datasets import (
    fit_context,
)
from agentrl.train.stages import (
    RunContext,
    attach_adapters,
    detach_adapters,
    device_copy,
    host_copy,
    pool_sft_step,
    rl_learner,
    rl_update,
    sft_learner,
    timed_loop,
    warm_start,
)
from agentrl.train.tasks import TrainedPrompts


class Trainer:
    """One run of `TrainConfig` in `run` (a new or a resumed run folder)."""

    def __init__(
        self,
        config: TrainConfig,
        run: RunDir,
        data: RunData,
        *,
        resuming: bool = False,
    ) -> None:
        from agentrl.infra.checkpoint import Checkpointer
        from agentrl.infra.mesh import make_mesh

        self.config, self.run, self.resuming = config, run, resuming
        self.started = time.perf_counter()
        full_mesh = make_mesh(config.mesh)
        check_rollout_split(config, full_mesh)
        # A mesh of one device places nothing: such a run keeps plain single-device arrays.
        mesh = full_mesh if full_mesh.size > 1 else None
        self.main = is_main()  # process 0 writes the run folder
        model, tokenizer = build_policy(config, mesh)
        multi_turn = max_turns(data.split.env.env) > 1
        replica = hosts.SamplerReplica(model, config.mesh) if hosts.multi_process() else None
        if replica is None:
            sampler = build_sampler(config, model, tokenizer, multi_turn=multi_turn, mesh=mesh)
        else:  # each process samples its share of a step on its own devices
            sampler = build_sampler(
                config, replica.model, tokenizer, multi_turn=multi_turn, mesh=replica.mesh
            )
        self.loggers: dict[str, Any] = {}
        self.wandb = self._open_wandb()
        # On resume, each stream's log is cut back to the step its stage restarts from: RL
        # from its checkpoint, a re-run warm-start or control from 0 (set when known).
        self.restart: dict[str, int] = {}
        record = run.data_dir if self.main else hosts.scratch_folder()
        self.trained = TrainedPrompts.open(record, data.split)
        self.ctx = RunContext(config, model, tokenizer, sampler, data.split, self._log, mesh=mesh)
        self.ctx.replica = replica
        self.ctx.on_prompts = self.trained.add
        self.ctx.agent = data.agent
        self.ctx.pool = self._fit([c.example(tokenizer) for c in data.conversations], "pool")
        self.ctx.pairs = [p.pair(tokenizer) for p in data.pairs]
        if config.algo == "distill":
            import jax.numpy as jnp

            from agentrl.models import load

            compute = jnp.dtype(config.model.dtypes().compute)
            self.ctx.teacher = load(str(config.model.teacher), dtype=compute, mesh=mesh)[0]
        # The pool exists only when a stage trains on it (warm-start, control or plain SFT).
        self.trained.add(data.pool_prompts)
        self.rl_ckpt = run.checkpointer(config.checkpoint)
        self.warm_ckpt = Checkpointer(
            run.path / "warmstart", keep=1, every=1, async_save=config.checkpoint.async_save
        )
        self.server: Any = None  # rollout.backend=server: servers start now, beside warm-start
        if config.rollout.backend == "server":  # GRPO or PPO (the config checks)
            from agentrl.train.server_rollout import ServerRollout

            self.server = ServerRollout(self.ctx, run.path, self.rl_ckpt.latest_step)
        run.update_summary(mesh_summary(full_mesh))

    def _fit(self, examples: list[Any], what: str) -> list[Any]:
        """`examples` cut to ``model.max_context`` tokens, saying how many were."""
        limit = self.config.model.max_context
        kept, cut, dropped = fit_context(examples, limit)
        if cut:
            say(
                f"{cut} of {len(examples)} {what} sequences are longer than "
                f"model.max_context={limit}: cut there ({dropped} left with no assistant "
                "token, dropped)"
            )
        if examples and not kept:
            raise ConfigError(
                f"every {what} sequence loses all its assistant tokens when cut to "
                f"model.max_context={limit}; raise it"
            )
        return kept

    # -- logging --------------------------------------------------------------------------------
    def _log(self, stream: str, step: int, metrics: dict[str, Any]) -> None:
        if not self.main:  # process 0 alone writes the logs (every process has the metrics)
            return
        if stream not in self.loggers:
            from agentrl.infra.metrics import MetricsLogger

            path = self.run.metrics_path if stream == "rl" else self.run.path / f"{stream}.jsonl"
            tb: Path | None = self.run.tb_dir if stream == "rl" else self.run.tb_dir / stream
            if not self.config.logging.tensorboard:
                tb = None
            resume_step = self.restart.get(stream, 0) if self.resuming else None
            self.loggers[stream] = MetricsLogger(path, tb_dir=tb, resume_step=resume_step)
        self.loggers[stream].log(step, metrics)
        if self.wandb is not None:
            self.wandb.log(stream, step, metrics)

    def _open_wandb(self) -> Any:
        """The W&B mirror of ``logging.wandb``, or None; a resumed run continues its W&B run
        (its id is kept in the summary)."""
        settings = self.config.logging.wandb
        if settings is None or not self.main:
            return None
        from agentrl.infra.metrics import WandbLogger

        earlier = self.run.read_summary().get("wandb_run_id") if self.resuming else None
        logger = WandbLogger(
            settings.project,
            settings.name,
            config=self.config.model_dump(mode="json"),
            folder=self.run.path,
            run_id=earlier,
        )
        self.run.update_summary({"wandb_run_id": logger.id})
        return logger

    # -- the run ------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        cfg, run = self.config, self.run
        before = self._warm_start_or_restore()
        attach_adapters(self.ctx)  # model.lora: the RL stage trains adapters on the warm base
        learner = rl_learner(self.ctx)
        start, prior_s = self._restore_rl(learner)
        budget = self._rl_budget()
        budget = None if budget is None else max(0.0, budget - prior_s)

        def checkpoint(step: int, train_s: float) -> None:
            data = {"step": step, "train_seconds": prior_s + train_s}
            self.rl_ckpt.save(step, {"learner": learner.state_dict()}, data=data, config=cfg)

        try:
            step_fn = rl_update
            if self.server is not None:
                step_fn = self.server.begin(start, cfg.schedule.max_steps)
            steps, train_s, _ = timed_loop(
                self.ctx,
                learner,
                stream="rl",
                start_step=start,
                max_steps=cfg.schedule.max_steps,
                budget_s=budget,
                step_fn=step_fn,
                on_step=checkpoint,
            )
        finally:
            if self.server is not None:
                self.server.close()
                run.update_summary({"async": self.server.summary()})
        data = {"step": steps, "train_seconds": prior_s + train_s}
        self.rl_ckpt.save(
            steps, {"learner": learner.state_dict()}, data=data, config=cfg, force=True
        )
        self.rl_ckpt.wait()
        after = self.ctx.evaluate()
        # From the log, not this process's loop: a resumed run's curve starts before it.
        records = read_metrics(run.metrics_path) if run.metrics_path.is_file() else []
        curve = [list(p) for p in zip(*series(records, "eval/accuracy"))]
        run.update_summary(
            {
                "eval_after": after,
                "steps": steps,
                cfg.algo: {
                    "steps": steps,
                    "seconds": prior_s + train_s,
                    "curve": curve,
                    # update compilations in this process: one per distinct batch shape
                    "compilations": learner.compilations,
                },
                "improvement_points": 100 * (after["accuracy"] - before["accuracy"]),
                "resumed": self.resuming,
            }
        )
        say(
            f"held-out accuracy after {steps} {cfg.algo} steps: {100 * after['accuracy']:.1f}% "
            f"(before: {100 * before['accuracy']:.1f}%)"
        )
        self._export()
        # The control's extra time is not the run's cost: say how long the run took without it.
        run.update_summary({"wall_seconds_without_control": time.perf_counter() - self.started})
        if cfg.control == "sft":
            self._control(prior_s + train_s)
        summary = run.update_summary(
            {
                "data": self.trained.summary(),
                "wall_seconds": time.perf_counter() - self.started,
                "sampler_compilations": self.ctx.sampler.num_compilations,
            }
        )
        self._plots()
        if self.ctx.agent is not None:
            self.ctx.agent.close()
        for closable in [*self.loggers.values(), self.rl_ckpt, self.warm_ckpt]:
            closable.close()
        if self.wandb is not None:
            self.wandb.close()
        return summary

    def _rl_budget(self) -> float | None:
        """The RL stage's training seconds: ``schedule.time_budget_s``, cut to what is left of
        ``schedule.run_budget_s``. Fixed when the stage first starts and kept in the summary,
        so a resumed run keeps the budget its first process had."""
        schedule, run = self.config.schedule, self.run
        recorded = run.read_summary().get("rl_budget_s")
        if self.resuming and recorded is not None:
            return float(recorded)
        budget = schedule.time_budget_s
        if schedule.run_budget_s is not None:
            # Held-out evals run inside the stage but outside its clock; keep their share
            # (one greedy eval per `eval.every` steps, about 3% of it here) and the final
            # eval and export out of the run's budget too.
            left = (schedule.run_budget_s - (time.perf_counter() - self.started)) / 1.05 - 10.0
            budget = max(0.0, left if budget is None else min(budget, left))
        run.update_summary({"rl_budget_s": budget})
        return budget

    def _restore_rl(self, learner: Any) -> tuple[int, float]:
        """Load the newest complete RL checkpoint when resuming: (its step, train seconds)."""
        latest = self.rl_ckpt.latest_step() if self.resuming else None
        self.restart["rl"] = latest or 0
        if latest is None:
            return 0, 0.0
        restored = self.rl_ckpt.restore(latest, {"learner": learner.state_dict()})
        learner.load_state_dict(restored.state["learner"])
        self.ctx.stale = True
        self.ctx.sampler.policy_version = latest  # trajectories say which update sampled them
        say(f"resuming {self.run.path} at {self.config.algo} step {latest}")
        return latest, float((restored.data or {}).get("train_seconds", 0.0))

    def _warm_start_or_restore(self) -> dict[str, float]:
        """Run the warm-start (saving its weights), or restore them when resuming."""
        cfg, run = self.config, self.run
        if self.resuming and self.warm_ckpt.latest_step() is not None:
            learner = sft_learner(self.ctx)
            got = self.warm_ckpt.restore(0, {"learner": learner.state_dict()})
            learner.load_state_dict(got.state["learner"])
            _drop(learner)
            self.ctx.stale = True
            before = run.read_summary().get("eval_before")
            if before is None:  # killed between the warm-start checkpoint and its eval
                before = self.ctx.evaluate()
                run.update_summary({"eval_before": before})
            return dict(before)
        run.update_summary(
            {
                "seed": cfg.seed,
                "env": cfg.env.id,
                "algo": cfg.algo,
                "model": cfg.model.path or "builtin-tiny",
                **({"data_file": cfg.data} if cfg.data is not None else {}),
            }
        )
        learner = sft_learner(self.ctx)
        if cfg.warm_start.enabled:
            result = warm_start(self.ctx, learner)
            run.update_summary(
                {
                    "warm_start": {
                        "steps": result.steps,
                        "seconds": result.seconds,
                        "accuracy": result.accuracy,
                        "pool_size": len(self.ctx.pool),
                        "curve": result.history,
                        "compilations": learner.compilations,
                    }
                }
            )
        self.warm_ckpt.save(0, {"learner": learner.state_dict()}, config=cfg, force=True)
        self.warm_ckpt.wait()
        _drop(learner)
        before = self.ctx.evaluate()
        run.update_summary({"eval_before": before})
        say(f"held-out accuracy before {cfg.algo}: {100 * before['accuracy']:.1f}%")
        return before

    def _control(self, seconds: float) -> dict[str, Any]:
        """From the warm-start weights, `seconds` of more SFT on the same pool, then evaluate."""
        detach_adapters(self.ctx)  # the control is full SFT from the warm-start, LoRA or not
        learner = sft_learner(self.ctx)
        got = self.warm_ckpt.restore(0, {"learner": learner.state_dict()})
        learner.load_state_dict(device_copy(host_copy(got.state["learner"])))
        self.ctx.stale = True
        self.ctx.sampler.policy_version += 1
        steps, train_s, curve = timed_loop(
            self.ctx,
            learner,
            stream="control",
            start_step=0,
            max_steps=10**9,
            budget_s=seconds,
            step_fn=pool_sft_step,
        )
        result = self.ctx.evaluate()
        return self.run.update_summary(
            {
                "control": {
                    "kind": "sft",
                    "accuracy": result["accuracy"],
                    "steps": steps,
                    "seconds": train_s,
                    "curve": curve,
                }
            }
        )

    def _export(self) -> None:
        """``model/``: the trained model as a Hugging Face folder (adapters merged). With
        ``model.lora`` also ``adapter/`` (PEFT's format) and, when the base is not the
        ``model.path`` folder as it is (a warm-start changed it, or the tiny model), the base
        in ``base/``, which the adapter applies to."""
        from agentrl.infra.checkpoint import export_hf

        cfg = self.config
        if not cfg.checkpoint.export_hf:
            return
        hosts.export_policy(self.ctx.model, self.ctx.tokenizer, self.run.path / "model")
        if cfg.model.lora is None:
            return
        from agentrl.models.lora import adapters_off, save_adapter

        base: str | None = cfg.model.path
        if base is None or cfg.warm_start.enabled:
            with adapters_off(self.ctx.model) as plain:
                export_hf(plain, self.ctx.tokenizer, self.run.path / "base")
            base = str(self.run.path / "base")
        save_adapter(self.ctx.model, cfg.model.lora, self.run.path / "adapter", base_model=base)

    def _plots(self) -> None:
        from agentrl.infra.plots import plot_metrics

        if not self.config.logging.plots or not self.main:
            return
        if self.run.metrics_path.is_file():  # no RL step ran when a run budget left no time
            plot_metrics(self.run.metrics_path, self.run.plots_dir, title=self.run.path.name)
        warm = self.run.path / "warmstart.jsonl"
        if warm.is_file():
            plot_metrics(
                read_metrics(warm),
                self.run.plots_dir / "warmstart",
                title=f"{self.run.path.name} warm-start",
            )
        _accuracy_plot(self.run)


def _accuracy_plot(run: RunDir) -> None:
    """Held-out accuracy against training seconds: the warm-start, then the RL stage and (if
    run) the SFT control, both from the warm-start's end; seconds, not steps, because an RL step
    and an SFT step cost very different amounts of time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from agentrl.infra.metrics import read_metrics

    def curve(path: Path, clock: str) -> tuple[list[float], list[float]]:
        if not path.is_file():
            return [], []
        rows = [r for r in read_metrics(path) if "eval/accuracy" in r and clock in r]
        return [r[clock] for r in rows], [100 * r["eval/accuracy"] for r in rows]

    summary = run.read_summary()
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    warm_x, warm_y = curve(run.path / "warmstart.jsonl", "time")
    start = warm_x[-1] if warm_x else 0.0
    before = 100 * summary.get("eval_before", {}).get("accuracy", float("nan"))
    if warm_x:
        ax.plot(warm_x, warm_y, label="warm-start SFT", color="#4C72B0")
    for path, label, style, color in (
        (run.metrics_path, str(summary.get("algo", "rl")).upper(), "-", "#DD8452"),
        (run.path / "control.jsonl", "control: more SFT, same time", "--", "#7F7F7F"),
    ):
        xs, ys = curve(path, "time/train_seconds")
        if xs:
            xs = [start] + [start + x for x in xs]
            ax.plot(xs, [before, *ys], style, label=label, color=color)
    ax.set_xlabel("training seconds (evaluations excluded)")
    ax.set_ylabel("held-out accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(run.path.name)
    fig.tight_layout()
    fig.savefig(run.plots_dir / "accuracy.png")
    plt.close(fig)


def _drop(learner: Any) -> None:
    """Free a finished learner's device state now: its optimizer state (and any master copy
    of the weights; the model keeps its own). A learner is a reference cycle (its jitted
    methods hold it) that only the cyclic collector frees: left to it, a warm-start's AdamW
    moments stay on the device into the RL stage (the memory plan counts on this)."""
    learner.params = learner.opt_state = None


def train(
    config: TrainConfig, *, run_dir: str | Path | None = None, resume: str | Path | None = None
) -> dict[str, Any]:
    """Run `config` (or resume the run folder `resume`) and return its summary.

    Raises:
        ConfigError: bad data (a missing file, too few records for the held-out set, no
            worked solutions for a warm-start), raised before the run folder is made.
    """
    data = prepare_data(config)

    def create() -> RunDir:
        return RunDir.create(run_dir, env=config.env.id, algo=config.algo, config=config)

    run = hosts.open_run(run_dir, resume, create)
    trainer = Trainer(config, run, data, resuming=resume is not None)
    say(f"run folder: {run.path}")
    run.update_summary({"run_dir": str(run.path)})
    return trainer.fit()
