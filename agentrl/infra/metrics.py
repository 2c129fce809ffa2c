"""Training metrics: one JSON line per logged step, mirrored as TensorBoard scalars.

Each line of ``metrics.jsonl`` is ``{"step": int, "time": seconds since the logger opened,
"<name>": float, ...}``. Non-finite values are recorded, not fatal: JSON has no NaN, so they are
written as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` and `read_metrics` turns them
back into floats. A run killed mid-write leaves at most one torn last line, which readers skip.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from agentrl.errors import MetricsError

__all__ = ["MetricsError", "MetricsLogger", "WandbLogger", "read_metrics", "series"]

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_RESERVED = ("step", "time")


class MetricsLogger:
    """Appends metrics to a JSONL file and (optionally) TensorBoard event files.

    Example::

        with MetricsLogger(run.metrics_path, tb_dir=run.tb_dir) as metrics:
            metrics.log(step, {"loss": loss, "reward/mean": reward})

    Args:
        path: The JSONL file (appended to; its folder is created).
        tb_dir: Folder for TensorBoard event files, or None for no TensorBoard.
        flush_secs: Flush the file when this many seconds passed since the last flush;
            0 flushes every line (the default: a step is rarely faster than a write).
        resume_step: When resuming from a checkpoint at this step, drop the lines logged after
            it by the killed run (and TensorBoard events from later steps), so the resumed
            run's metrics read exactly as an uninterrupted run's.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        tb_dir: str | Path | None = None,
        flush_secs: float = 0.0,
        resume_step: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        resumed_at = 0.0
        if resume_step is not None:
            resumed_at = _truncate_after(self.path, resume_step)
        self._file = self.path.open("a", encoding="utf-8")
        self._flush_secs = flush_secs
        # "time" continues from the last kept line: run time, not counting the downtime.
        self._last_flush = time.monotonic()
        self._start = self._last_flush - resumed_at
        self._tb: Any = None
        if tb_dir is not None:
            purge = resume_step + 1 if resume_step is not None else None
            writer_cls = _summary_writer_class()
            self._tb = writer_cls(str(tb_dir), purge_step=purge, flush_secs=30)

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        """Record `metrics` (name -> number) at `step`.

        Values may be Python or NumPy numbers, bools or 0-d arrays (jax arrays included; they
        are fetched to the host here). NaN and infinities are kept.

        Raises:
            MetricsError: A value is not a number, or a name is "step" or "time".
        """
        values = {name: _to_float(name, value) for name, value in metrics.items()}
        record: dict[str, Any] = {"step": int(step), "time": round(self.elapsed(), 3)}
        record.update({k: _encode(v) for k, v in values.items()})
        self._file.write(json.dumps(record, allow_nan=False) + "\n")
        if self._tb is not None:
            for name, value in values.items():
                self._tb.add_scalar(name, value, global_step=int(step))
        if time.monotonic() - self._last_flush >= self._flush_secs:
            self.flush()

    def elapsed(self) -> float:
        """Seconds since this logger was opened."""
        return time.monotonic() - self._start

    def flush(self) -> None:
        """Push buffered lines to the OS (and TensorBoard events to disk)."""
        self._file.flush()
        if self._tb is not None:
            self._tb.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush and close the file and the TensorBoard writer."""
        if self._file.closed:
            return
        self.flush()
        self._file.close()
        if self._tb is not None:
            self._tb.close()

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WandbLogger:
    """Mirrors a run's metric streams to one Weights & Biases run (``wandb`` imported here).

    Each stream's metrics are prefixed with its name (``rl/loss``, ``warmstart/loss``) and
    plotted against that stream's own step (``rl/step``), since the streams count steps apart.

    Args:
        project: the W&B project.
        name: the run's display name, or None.
        config: the run's resolved config, shown with the run.
        folder: where wandb keeps its local files (the run folder).
        run_id: an earlier W&B run to continue (a resumed training run), or None.

    Raises:
        ConfigError: the ``wandb`` package is not installed.
    """

    def __init__(
        self,
        project: str,
        name: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        folder: str | Path | None = None,
        run_id: str | None = None,
    ) -> None:
        try:
            import wandb
        except ImportError:
            from agentrl.errors import ConfigError

            raise ConfigError(
                "got logging.wandb, but the wandb package is not installed (pip install wandb)"
            ) from None
        self.run = wandb.init(
            project=project,
            name=name,
            config=dict(config) if config is not None else None,
            dir=str(folder) if folder is not None else None,
            id=run_id,
            resume="allow" if run_id is not None else None,
        )
        self._streams: set[str] = set()

    @property
    def id(self) -> str:
        return str(self.run.id)

    def log(self, stream: str, step: int, metrics: Mapping[str, Any]) -> None:
        """Record `metrics` (name -> number) of `stream` at its step `step`."""
        if stream not in self._streams:
            self._streams.add(stream)
            self.run.define_metric(f"{stream}/step")
            self.run.define_metric(f"{stream}/*", step_metric=f"{stream}/step")
        data = {f"{stream}/{k}": _to_float(k, v) for k, v in metrics.items()}
        self.run.log({**data, f"{stream}/step": int(step)})

    def close(self) -> None:
        self.run.finish()


def read_metrics(path: str | Path) -> list[dict[str, float]]:
    """Read a metrics JSONL file back: one dict per line, non-finite values restored.

    Lines that are not valid JSON objects (a torn last line from a killed run) are skipped.
    """
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = _parse_line(line)
        if record is not None:
            records.append(record)
    return records


def series(records: Iterable[Mapping[str, float]], name: str) -> tuple[list[int], list[float]]:
    """The (steps, values) of one metric across `records`, skipping records without it."""
    steps, values = [], []
    for record in records:
        if name in record:
            steps.append(int(record["step"]))
            values.append(float(record[name]))
    return steps, values


def _summary_writer_class() -> Any:
    """tensorboardX's SummaryWriter, imported without dragging in torch.

    tensorboardX imports torch at module level only to recognise torch tensors, which costs
    seconds per run; we log floats only. Unless torch is already loaded, it is hidden for the
    duration of the import (a None entry in sys.modules makes ``import torch`` fail).
    """
    if "tensorboardX" not in sys.modules and "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]
        try:
            import tensorboardX
        finally:
            del sys.modules["torch"]
    import tensorboardX

    return tensorboardX.SummaryWriter


def _to_float(name: str, value: Any) -> float:
    if name in _RESERVED:
        raise MetricsError(f"metric name {name!r} is reserved (used for {', '.join(_RESERVED)})")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MetricsError(
            f"got metric {name}={value!r} ({type(value).__name__}), need a number"
        ) from None


def _encode(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _parse_line(line: str) -> dict[str, float] | None:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(raw, dict) or "step" not in raw:
        return None
    out: dict[str, float] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if value not in _NONFINITE:
                continue
            value = _NONFINITE[value]
        out[key] = value
    return out


def _truncate_after(path: Path, step: int) -> float:
    """Rewrite `path` keeping only well-formed lines with ``step <= step`` (atomically).

    Returns:
        The "time" of the last kept line (0.0 when none is kept).
    """
    if not path.exists():
        return 0.0
    kept, last_time = [], 0.0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = _parse_line(line)
        if record is not None and record["step"] <= step:
            kept.append(line)
            last_time = max(last_time, float(record.get("time", 0.0)))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    os.replace(tmp, path)
    return last_time
