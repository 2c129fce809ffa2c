"""PNG plots of a run's curves, drawn from ``metrics.jsonl`` with matplotlib's Agg backend.

`plot_metrics` writes one PNG per group of metrics (reward, accuracy, loss, KL, entropy) whose
names match the group's glob patterns, plus ``reward_curve.png``: the headline reward with a
moving average and, when logged, held-out accuracy on a second axis. Groups with no data are
skipped; non-finite points are left out of the lines.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentrl.infra.metrics import read_metrics, series

__all__ = ["DEFAULT_GROUPS", "plot_metrics", "plot_reward_curve"]

DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "reward": ("reward", "reward/*", "*/reward", "*/reward/*", "*reward_mean*"),
    "accuracy": ("accuracy", "*/accuracy", "*accuracy*", "*/acc"),
    "loss": ("loss", "*/loss", "*_loss", "loss/*"),
    "kl": ("kl", "*/kl", "*kl*"),
    "entropy": ("entropy", "*/entropy", "*entropy*"),
}

_REWARD_KEYS = ("reward/mean", "reward", "train/reward", "rollout/reward")
_ACCURACY_KEYS = ("eval/accuracy", "eval_accuracy", "accuracy")


def plot_metrics(
    metrics: str | Path | Sequence[Mapping[str, float]],
    out_dir: str | Path,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    title: str = "",
) -> list[Path]:
    """Write one PNG per non-empty group and a reward curve; return the written paths.

    Args:
        metrics: A ``metrics.jsonl`` path, or records as `read_metrics` returns them.
        out_dir: Folder for the PNGs (created).
        groups: Group name -> metric names or glob patterns (``"*/kl"``); default
            `DEFAULT_GROUPS`. A metric can appear in several groups.
        title: Prefix for every figure title (e.g. the run name).
    """
    records = read_metrics(metrics) if isinstance(metrics, str | Path) else list(metrics)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = _metric_names(records)
    written = []
    for group, patterns in (groups or DEFAULT_GROUPS).items():
        matched = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        curves = {n: _finite(*series(records, n)) for n in matched}
        curves = {n: c for n, c in curves.items() if c[0]}
        if curves:
            path = out / f"{_safe(group)}.png"
            _line_plot(curves, path, title=_join(title, group), ylabel=group)
            written.append(path)
    reward = plot_reward_curve(records, out / "reward_curve.png", title=title)
    if reward is not None:
        written.append(reward)
    return written


def plot_reward_curve(
    records: Sequence[Mapping[str, float]],
    path: str | Path,
    *,
    reward_key: str | None = None,
    accuracy_key: str | None = None,
    title: str = "",
) -> Path | None:
    """The headline figure: reward per step (raw and smoothed) and held-out accuracy.

    Returns None (and writes nothing) when no reward metric was logged.
    """
    names = _metric_names(records)
    reward_key = reward_key or _first_present(_REWARD_KEYS, names)
    if reward_key is None:
        return None
    steps, values = _finite(*series(records, reward_key))
    if not steps:
        return None
    fig, ax = _figure()
    ax.plot(steps, values, color="tab:blue", alpha=0.3, linewidth=1, label=f"{reward_key}")
    ax.plot(steps, _smooth(values), color="tab:blue", linewidth=2, label="moving average")
    ax.set_xlabel("step")
    ax.set_ylabel("reward", color="tab:blue")
    accuracy_key = accuracy_key or _first_present(_ACCURACY_KEYS, names)
    handles, labels = ax.get_legend_handles_labels()
    if accuracy_key is not None:
        acc_steps, acc = _finite(*series(records, accuracy_key))
        if acc_steps:
            ax2 = ax.twinx()
            ax2.plot(acc_steps, acc, "o-", color="tab:orange", label=accuracy_key)
            ax2.set_ylabel("held-out accuracy", color="tab:orange")
            both = [*values, *acc]
            if all(0 <= v <= 1 for v in acc) and all(-1.5 <= v <= 1.5 for v in values):
                # Reward on a 0-1-like scale: share the axis so the curves compare by eye.
                lo, hi = min(0.0, *both) - 0.03, max(1.0, *both) + 0.03
                ax.set_ylim(lo, hi)
                ax2.set_ylim(lo, hi)
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best", fontsize=8)
    ax.set_title(_join(title, "reward curve"))
    return _save(fig, Path(path))


# ----------------------------------------------------------------------------------------------


def _metric_names(records: Sequence[Mapping[str, float]]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            if key not in ("step", "time"):
                seen.setdefault(key, None)
    return list(seen)


def _first_present(candidates: Sequence[str], names: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in names), None)


def _finite(steps: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    kept = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
    return [s for s, _ in kept], [v for _, v in kept]


def _smooth(values: Sequence[float], window: int = 0) -> list[float]:
    """Trailing moving average over ~5% of the points (at least 1)."""
    window = window or max(1, len(values) // 20)
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)  # never open a display, even where one exists
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _line_plot(
    curves: Mapping[str, tuple[list[int], list[float]]], path: Path, *, title: str, ylabel: str
) -> None:
    fig, ax = _figure()
    for name, (steps, values) in curves.items():
        style = "o-" if len(steps) <= 30 else "-"
        ax.plot(steps, values, style, markersize=3, linewidth=1.5, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _join(prefix: str, name: str) -> str:
    return f"{prefix}: {name}" if prefix else name


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
