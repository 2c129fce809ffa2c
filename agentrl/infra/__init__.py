"""Shared training infrastructure: run folders, metrics, checkpoints, plots, progress, mesh.

========================  =====================================================================
``configs``               `CheckpointConfig`, `LoggingConfig`, `MeshConfig` (config sections)
``run_dir``               `RunDir`: the run folder and its ``summary.json``
``metrics``               `MetricsLogger` (JSONL + TensorBoard), `read_metrics`, `series`
``checkpoint``            `Checkpointer` (Orbax), `Restored`, `abstract_like`, `export_hf`
``mesh``                  `make_mesh`, `shard_batch`, `replicate`, `shard_model`
``plots``                 `plot_metrics`, `plot_reward_curve` (PNG, matplotlib Agg)
``progress``              `Progress`: tqdm bar on a terminal, periodic lines otherwise
========================  =====================================================================

The names are importable from here too (``from agentrl.infra import RunDir``); each is loaded on
first use, so importing this package loads neither jax nor matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CheckpointConfig": "configs",
    "LoggingConfig": "configs",
    "MeshConfig": "configs",
    "RunDir": "run_dir",
    "MetricsLogger": "metrics",
    "read_metrics": "metrics",
    "series": "metrics",
    "Checkpointer": "checkpoint",
    "Restored": "checkpoint",
    "abstract_like": "checkpoint",
    "export_hf": "checkpoint",
    "make_mesh": "mesh",
    "shard_batch": "mesh",
    "replicate": "mesh",
    "shard_model": "mesh",
    "plot_metrics": "plots",
    "plot_reward_curve": "plots",
    "Progress": "progress",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentrl.infra' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"agentrl.infra.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
