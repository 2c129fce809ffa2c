"""A training progress display: step/total, reward, loss, KL, tokens/s and ETA.

On a terminal it is a tqdm bar redrawn in place. When stderr is not a terminal (a log file, CI,
``nohup``) carriage returns would pile up, so it prints a plain line every `interval_s` seconds
instead (and on the last step)::

    train 120/500 | reward 0.412 | loss 0.873 | kl 0.0031 | 2.1k tok/s | 0:01:05 | eta 0:03:26
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["DEFAULT_FIELDS", "Progress", "format_duration"]

# Shown label -> metric names to look for, first present wins.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "reward": ("reward/mean", "reward", "train/reward"),
    "loss": ("loss", "train/loss"),
    "kl": ("kl", "kl/mean", "train/kl"),
    "acc": ("eval/accuracy", "accuracy"),
}


class Progress:
    """Shows training progress; `update` once per step.

    Example::

        with Progress(total=cfg.steps, initial=start_step) as bar:
            for step in range(start_step + 1, cfg.steps + 1):
                metrics = train_step(...)
                bar.update(step, metrics, tokens=n_tokens)

    Args:
        total: The last step number.
        initial: The step training starts after (non-zero when resuming); the ETA counts
            only the steps done in this process.
        desc: Label at the start of the line.
        enabled: False shows nothing (e.g. on non-zero JAX processes, or ``--quiet``).
        file: Where to write (default: stderr).
        interval_s: Seconds between lines when `file` is not a terminal.
        fields: Shown label -> metric names (see `DEFAULT_FIELDS`).
        tty: Force terminal (True) or line (False) mode; default asks `file.isatty()`.
    """

    def __init__(
        self,
        total: int,
        *,
        initial: int = 0,
        desc: str = "train",
        enabled: bool = True,
        file: TextIO | None = None,
        interval_s: float = 10.0,
        fields: Mapping[str, Sequence[str]] | None = None,
        tty: bool | None = None,
    ) -> None:
        self.total, self.initial, self.desc = total, initial, desc
        self.enabled = enabled
        self._file = file if file is not None else sys.stderr
        self._interval_s = interval_s
        self._fields = dict(fields or DEFAULT_FIELDS)
        self._values: dict[str, float] = {}
        self._tokens = 0
        self._step = initial
        self._start = time.monotonic()
        self._last_line = -math.inf
        self._bar: Any = None
        is_tty = tty if tty is not None else _isatty(self._file)
        if enabled and is_tty:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=initial, desc=desc, file=self._file, dynamic_ncols=True
            )

    def update(
        self, step: int, metrics: Mapping[str, Any] | None = None, *, tokens: int = 0
    ) -> None:
        """Record that `step` finished, with its metrics and the tokens it processed."""
        if not self.enabled:
            return
        for label, names in self._fields.items():
            for name in names:
                if metrics is not None and name in metrics:
                    self._values[label] = float(metrics[name])
                    break
        self._tokens += tokens
        done, self._step = step - self._step, step
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.update(done)
            return
        now = time.monotonic()
        if now - self._last_line >= self._interval_s or step >= self.total:
            self._last_line = now
            print(self.line(), file=self._file, flush=True)

    def set_total(self, total: int) -> None:
        """Change the last step number, e.g. when a time budget, not a step count, ends a stage
        and the estimate firms up as steps are timed."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def line(self) -> str:
        """The current status as one line of text."""
        elapsed = time.monotonic() - self._start
        parts = [f"{self.desc} {self._step}/{self.total}"]
        if self._postfix():
            parts.append(self._postfix())
        parts.append(format_duration(elapsed))
        eta = self._eta(elapsed)
        if eta is not None:
            parts.append(f"eta {format_duration(eta)}")
        return " | ".join(parts)

    def close(self) -> None:
        """Finish the bar (terminal mode)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _postfix(self) -> str:
        parts = [f"{label} {_number(value)}" for label, value in self._values.items()]
        elapsed = time.monotonic() - self._start
        if self._tokens and elapsed > 0:
            parts.append(f"{_si(self._tokens / elapsed)} tok/s")
        return " | ".join(parts)

    def _eta(self, elapsed: float) -> float | None:
        done = self._step - self.initial
        if done <= 0 or self._step >= self.total:
            return None
        return elapsed / done * (self.total - self._step)


def format_duration(seconds: float) -> str:
    """``H:MM:SS`` for a duration in seconds."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2e}"
    return f"{value:.3f}"


def _si(value: float) -> str:
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}"


def _isatty(file: TextIO) -> bool:
    isatty = getattr(file, "isatty", None)
    return bool(isatty and isatty())
