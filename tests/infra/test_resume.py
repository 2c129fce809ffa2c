"""The pieces together: a run interrupted after a checkpoint and resumed from its run folder
writes the same metrics as one that ran through (the pattern trainers follow for ``--resume``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from agentrl.config import Config, load_config
from agentrl.infra.checkpoint import abstract_like
from agentrl.infra.metrics import read_metrics
from agentrl.infra.run_dir import RunDir

STEPS = 9


class LoopConfig(Config):
    seed: int = 0


def _examples():
    rng = np.random.default_rng(1)
    return [
        {"input_ids": rng.integers(0, 64, size=n).tolist(), "loss_mask": [1] * n}
        for n in rng.integers(3, 12, size=10)
    ]


class _Batches:
    """Batches of 4 padded examples in a seeded order, reshuffled each epoch; its position is the
    JSON state the checkpoint keeps beside the arrays (the checkpointer's ``data`` item)."""

    def __init__(self, examples, seed: int) -> None:
        self.examples, self.seed, self.position = examples, seed, 0

    def __next__(self):
        per_epoch = len(self.examples) // 4
        epoch, index = divmod(self.position, per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.examples))
        rows = [self.examples[i] for i in order[index * 4 : index * 4 + 4]]
        self.position += 1
        tokens = np.zeros((4, 16), np.int32)
        mask = np.zeros((4, 16), np.float32)
        for r, row in enumerate(rows):
            tokens[r, : len(row["input_ids"])] = row["input_ids"]
            mask[r, : len(row["loss_mask"])] = row["loss_mask"]
        return {"tokens": tokens, "loss_mask": mask}

    def get_state(self) -> dict:
        return {"position": self.position}

    def set_state(self, state: dict) -> None:
        self.position = int(state["position"])


TX = optax.adam(0.05)


@jax.jit
def _init(seed):
    key, init_key = jax.random.split(jax.random.key(seed))
    k1, k2 = jax.random.split(init_key)
    params = {"embed": jax.random.normal(k1, (64, 8)), "out": jax.random.normal(k2, (8,)) * 0.1}
    return {"params": params, "opt": TX.init(params), "key": key}


@jax.jit
def _train_step(state, tokens_bt, mask_bt):
    key, step_key = jax.random.split(state["key"])
    noise_bt = jax.random.normal(step_key, tokens_bt.shape)  # the step uses the run's RNG

    def loss_fn(params):
        score_bt = params["embed"][tokens_bt] @ params["out"]
        err_bt = (score_bt - (tokens_bt % 7) / 7.0 - 0.01 * noise_bt) ** 2
        return (err_bt * mask_bt).sum() / mask_bt.sum()

    loss, grads = jax.value_and_grad(loss_fn)(state["params"])
    updates, opt = TX.update(grads, state["opt"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    return {"params": params, "opt": opt, "key": key}, loss


def _run(run_dir, *, stop_after: int | None = None, resume: bool = False) -> None:
    """Train to STEPS, checkpointing every 3 steps; `stop_after` simulates a kill."""
    cfg = LoopConfig()
    run = RunDir.open(run_dir) if resume else RunDir.create(run_dir, config=cfg)
    cfg = load_config(LoopConfig, run.config_path)
    # Committed to a device like restored arrays are, so resuming reuses the compiled step.
    state = jax.device_put(_init(cfg.seed), jax.devices()[0])
    it = _Batches(_examples(), seed=cfg.seed)
    ckpt = run.checkpointer(keep=2, every=3)
    start = 0
    restored = ckpt.restore_latest(abstract_like(state)) if resume else None
    if restored is not None:
        state, start = restored.state, restored.step
        it.set_state(restored.data)
    with run.metrics_logger(resume_step=start if resume else None) as metrics:
        for step in range(start + 1, STEPS + 1):
            batch = next(it)
            state, loss = _train_step(state, batch["tokens"], batch["loss_mask"])
            metrics.log(step, {"loss": loss})
            ckpt.save(step, state, data=it.get_state(), config=cfg, force=step == STEPS)
            if step == stop_after:
                break
    ckpt.close()


def _losses(run: RunDir) -> list[tuple[int, float]]:
    return [(int(r["step"]), r["loss"]) for r in read_metrics(run.metrics_path)]


def test_interrupted_and_resumed_run_matches_uninterrupted(tmp_path):
    _run(tmp_path / "through")
    # Killed after step 7: checkpoint 6 is on disk, step 7 was logged but never checkpointed,
    # and a save of a later step was cut short.
    _run(tmp_path / "killed", stop_after=7)
    (tmp_path / "killed" / "checkpoints" / "9.orbax-checkpoint-tmp-123").mkdir()
    _run(tmp_path / "killed", resume=True)

    through, killed = RunDir(tmp_path / "through"), RunDir(tmp_path / "killed")
    assert [s for s, _ in _losses(killed)] == list(range(1, STEPS + 1))
    assert _losses(killed) == _losses(through)  # bit-identical floats
    final = jnp.asarray([x for _, x in _losses(through)])
    assert bool(final[-1] < final[0])  # it did train
