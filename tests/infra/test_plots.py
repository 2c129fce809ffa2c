"""agentrl.infra.plots: PNGs exist, are valid images, and missing metrics are handled."""

from __future__ import annotations

import math
import struct

import numpy as np

from agentrl.infra.metrics import MetricsLogger
from agentrl.infra.plots import plot_metrics

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _log_run(path, steps=60):
    rng = np.random.default_rng(0)
    with MetricsLogger(path) as log:
        for step in range(1, steps + 1):
            reward = min(1.0, step / steps + rng.normal(0, 0.1))
            metrics = {
                "reward/mean": reward,
                "loss": 2.0 / step,
                "kl": 0.001 * step if step != 30 else math.nan,
                "entropy": 1.5 - step / 100,
            }
            if step % 10 == 0:
                metrics["eval/accuracy"] = step / steps
            log.log(step, metrics)


def test_plots_are_valid_pngs(tmp_path):
    _log_run(tmp_path / "metrics.jsonl")
    written = plot_metrics(tmp_path / "metrics.jsonl", tmp_path / "plots", title="demo")
    names = sorted(p.name for p in written)
    assert names == [
        "accuracy.png", "entropy.png", "kl.png", "loss.png", "reward.png", "reward_curve.png"
    ]  # fmt: skip
    for path in written:
        width, height = _png_size(path)
        assert width > 300 and height > 200


def test_missing_groups_are_skipped(tmp_path):
    records = [
        {"step": 1.0, "loss": 1.0},
        {"step": 2.0, "loss": math.inf},
        {"step": 3, "loss": 0.5},
    ]
    written = plot_metrics(records, tmp_path, groups={"loss": ["loss"], "kl": ["*kl*"]})
    assert [p.name for p in written] == ["loss.png"]  # no KL, no reward: nothing else
    assert plot_metrics([], tmp_path / "empty") == []


def test_custom_groups_with_globs(tmp_path):
    records = [{"step": s, "policy/loss": 1.0 / s, "value/loss": 2.0 / s} for s in range(1, 5)]
    written = plot_metrics(records, tmp_path, groups={"losses": ["*/loss"]})
    assert [p.name for p in written] == ["losses.png"]
    _png_size(written[0])
