"""The run folder: everything one training run leaves behind, in one place.

Layout::

    runs/<env>-<algo>-<YYYYmmdd-HHMMSS>/
      config.yaml      the resolved config (commented YAML; `--config` reads it back)
      metrics.jsonl    one JSON line per logged step (see agentrl.infra.metrics)
      tb/              TensorBoard event files (`tensorboard --logdir runs`)
      checkpoints/     Orbax checkpoints, <step>/{state,data,config}
      plots/           PNG curves (reward_curve.png, reward.png, loss.png, ...)
      data/            heldout.jsonl and train_prompts.jsonl: what was held out, what trained
      summary.json     headline numbers (eval_before.accuracy, steps, wall_seconds, ...)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentrl.config import dump_config
from agentrl.errors import ConfigError

if TYPE_CHECKING:
    from agentrl.infra.checkpoint import Checkpointer
    from agentrl.infra.configs import CheckpointConfig
    from agentrl.infra.metrics import MetricsLogger

__all__ = ["RunDir", "default_run_name"]


def default_run_name(env: str, algo: str, now: dt.datetime | None = None) -> str:
    """``<env>-<algo>-<UTC time>``, e.g. ``deepscaler-grpo-20260126-093000``."""
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    safe = [re.sub(r"[^A-Za-z0-9_.-]+", "_", part).strip("_") or "x" for part in (env, algo)]
    return f"{safe[0]}-{safe[1]}-{stamp}"


class RunDir:
    """A run folder and the paths inside it. Use `create` for a new run, `open` to resume.

    Attributes:
        path: The run folder.
        config_path, metrics_path, summary_path: Files in it.
        tb_dir, checkpoints_dir, plots_dir: Sub-folders (created with the run).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config_path = self.path / "config.yaml"
        self.metrics_path = self.path / "metrics.jsonl"
        self.summary_path = self.path / "summary.json"
        self.tb_dir = self.path / "tb"
        self.data_dir = self.path / "data"
        self.checkpoints_dir = self.path / "checkpoints"
        self.plots_dir = self.path / "plots"

    @classmethod
    def create(
        cls,
        path: str | Path | None = None,
        *,
        env: str = "env",
        algo: str = "algo",
        root: str | Path = "runs",
        config: BaseModel | None = None,
    ) -> RunDir:
        """Make a run folder (at `path`, or ``<root>/<env>-<algo>-<UTC time>``).

        A default name that is taken (two runs in one second) gets a ``-2``, ``-3`` suffix.
        An explicit `path` may exist only if it is empty.

        Raises:
            ConfigError: `path` exists and is not an empty folder.
        """
        if path is None:
            base = Path(root) / default_run_name(env, algo)
            target, n = base, 1
            while target.exists():
                n += 1
                target = base.with_name(f"{base.name}-{n}")
        else:
            target = Path(path)
            if target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise ConfigError(
                    f"got run dir {target}, which already exists and is not empty; "
                    "pass a new path, or resume it"
                )
        run = cls(target)
        for folder in (run.path, run.tb_dir, run.checkpoints_dir, run.plots_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if config is not None:
            run.write_config(config)
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """An existing run folder (for ``--resume``).

        Raises:
            ConfigError: `path` is not a run folder (no config.yaml or checkpoints/).
        """
        run = cls(path)
        if not run.config_path.is_file() and not run.checkpoints_dir.is_dir():
            raise ConfigError(
                f"got run dir {run.path}, which is not a run folder "
                "(it has neither config.yaml nor checkpoints/)"
            )
        for folder in (run.tb_dir, run.checkpoints_dir, run.plots_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return run

    def write_config(self, config: BaseModel) -> Path:
        """Write the resolved config as commented YAML to ``config.yaml``."""
        return dump_config(config, self.config_path)

    def read_summary(self) -> dict[str, Any]:
        """The current ``summary.json`` (an empty dict before the first update)."""
        if not self.summary_path.exists():
            return {}
        return json.loads(self.summary_path.read_text(encoding="utf-8"))

    def update_summary(self, values: Mapping[str, Any] | None = None, **more: Any) -> dict:
        """Merge values into ``summary.json`` and write it atomically; return the result.

        Nested mappings merge key by key, and dotted keys address them, so
        ``update_summary({"eval_after.accuracy": 0.4})`` keeps ``eval_after.n``.
        """
        summary = self.read_summary()
        for key, value in {**(values or {}), **more}.items():
            _merge_dotted(summary, key, value)
        _atomic_write_json(self.summary_path, summary)
        return summary

    def metrics_logger(
        self, *, tensorboard: bool = True, resume_step: int | None = None
    ) -> MetricsLogger:
        """A `MetricsLogger` on ``metrics.jsonl`` (and ``tb/`` when `tensorboard`)."""
        from agentrl.infra.metrics import MetricsLogger

        tb_dir = self.tb_dir if tensorboard else None
        return MetricsLogger(self.metrics_path, tb_dir=tb_dir, resume_step=resume_step)

    def checkpointer(self, config: CheckpointConfig | None = None, **kwargs: Any) -> Checkpointer:
        """A `Checkpointer` on ``checkpoints/`` (imports jax and Orbax).

        Args:
            config: The run's `CheckpointConfig` (default: its defaults).
            **kwargs: Overrides of its fields (``keep=2, every=3``).
        """
        from agentrl.infra.checkpoint import Checkpointer
        from agentrl.infra.configs import CheckpointConfig

        config = (config or CheckpointConfig()).model_copy(update=kwargs)
        return Checkpointer.from_config(self.checkpoints_dir, config)

    def write_plots(self, groups: Mapping[str, Sequence[str]] | None = None) -> list[Path]:
        """Plot ``metrics.jsonl`` into ``plots/`` (see `agentrl.infra.plots.plot_metrics`)."""
        from agentrl.infra.plots import plot_metrics

        if not self.metrics_path.exists():
            return []
        return plot_metrics(self.metrics_path, self.plots_dir, groups, title=self.path.name)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __fspath__(self) -> str:
        return str(self.path)


def _merge_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
        for sub_key, sub_value in value.items():
            _merge_dotted(node[leaf], str(sub_key), sub_value)
    else:
        node[leaf] = dict(value) if isinstance(value, Mapping) else value


def _atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True, allow_nan=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
