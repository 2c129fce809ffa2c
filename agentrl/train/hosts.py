"""What a run over several processes (`agentrl.infra.distributed`) does differently.

Every process builds the same global model (same seed, or the same checkpoint) sharded on the
one global mesh, and every update is one SPMD program over it, each process feeding the same
full batch (`agentrl.infra.mesh.put_rows` keeps its own devices' rows). Sampling cannot be one
program (each process runs its own episodes, with their own lengths and turns), so:

- each process samples from a `SamplerReplica`: the weights on a mesh of its own devices,
  refreshed by an all-gather when the sampler next runs after an update;
- each process rolls out a contiguous share of a step's groups (groups stay whole), and the
  trajectories are gathered, in plan order, so every process learns from the whole step;
- process 0 alone writes the run folder (`ReadOnlyRun` for the others); checkpoints are
  collective (Orbax).

On one process none of this is used.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from agentrl.infra.configs import MeshConfig
from agentrl.infra.run_dir import RunDir


def multi_process() -> bool:
    import jax

    return jax.process_count() > 1


def local_mesh(config: MeshConfig) -> Any:
    """A mesh over this process's devices for its sampler: the run's tp where it divides
    them (so a replica's KV heads split as the run's do), the rest data-parallel."""
    import jax

    from agentrl.infra.mesh import make_mesh

    devices = jax.local_devices()
    tp = config.resolve(jax.device_count())[2]
    tp = tp if len(devices) % tp == 0 else 1
    return make_mesh(MeshConfig(data=-1, fsdp=1, tp=tp), devices=devices)


class SamplerReplica:
    """This process's copy of the policy's weights, on its own devices, for its sampler."""

    def __init__(self, model: Any, config: MeshConfig) -> None:
        from flax import nnx

        self.mesh = local_mesh(config)
        self.model = nnx.clone(model)
        self.refresh(model)

    def refresh(self, model: Any) -> None:
        """Copy `model`'s current weights in (a collective: every process calls it at once)."""
        import jax
        from flax import nnx

        from agentrl.infra.distributed import gather_to_host
        from agentrl.models.sharding import shardings

        full = gather_to_host(nnx.state(model))
        nnx.update(self.model, jax.device_put(full, shardings(self.model, self.mesh)))


class ReadOnlyRun(RunDir):
    """The run folder as processes other than 0 see it: they read it, never write it."""

    def write_config(self, config: Any) -> Path:
        return self.config_path

    def update_summary(self, values: Any = None, **more: Any) -> dict:
        return {**self.read_summary(), **dict(values or {}), **more}


def open_run(run_dir: str | Path | None, resume: str | Path | None, create: Any) -> RunDir:
    """The run folder on every process: process 0 creates it (`create()`) or opens it, the
    others wait for it and open it read-only.

    Raises:
        ConfigError: a multi-process run without ``--run-dir`` (a default name would differ
            between processes).
    """
    from agentrl.errors import ConfigError
    from agentrl.infra.distributed import barrier, is_main

    if not multi_process():
        return RunDir.open(resume) if resume is not None else create()
    folder = resume if resume is not None else run_dir
    if folder is None:
        raise ConfigError("a multi-process run needs --run-dir (the same folder for every process)")
    if is_main():
        run = RunDir.open(folder) if resume is not None else create()
    barrier("agentrl-run-dir")
    return run if is_main() else ReadOnlyRun.open(folder)


def scratch_folder() -> Path:
    """Where a process other than 0 keeps records that process 0 writes into the run."""
    return Path(tempfile.mkdtemp(prefix="agentrl-process-"))


def export_policy(model: Any, tokenizer: Any, folder: Path) -> None:
    """The final weights as a Hugging Face folder, written by process 0 from a gathered host
    copy (a collective when the weights span processes)."""
    from flax import nnx

    from agentrl.infra.checkpoint import export_hf
    from agentrl.infra.distributed import gather_to_host, is_main

    if not multi_process():
        export_hf(model, tokenizer, folder)
        return
    live = nnx.state(model)
    full = gather_to_host(live)
    if is_main():
        nnx.update(model, full)
        try:
            export_hf(model, tokenizer, folder)
        finally:
            nnx.update(model, live)
