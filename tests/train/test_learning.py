"""GRPO learns: a short run of the embedded default must raise held-out accuracy.

This is the test that fails when training silently stops working (a flipped advantage sign, a
broken loss mask, a lost gradient) while every unit test still passes. It runs `agentrl train`
as a user does: the default preset's warm-start, stopped at 25% held-out accuracy (or 600
steps), then exactly 50 GRPO steps, measured on the 256 held-out problems (never trained on).
Steps, not seconds, bound both stages, so the result is the same on a fast or a slow machine.

The margin comes from measured runs of this exact command (RISE_MEASURED): seeds 0, 1 and 2
rose by 21.1, 7.8 and 7.8 points, and seed 0 with the advantage sign flipped fell by 24.2
points. MIN_RISE sits below every seed's rise and far above the flipped run; one standard error
of a 256-problem accuracy near 30% is 2.9 points. The test runs seed 0 with the whole margin to
spare, so a change that halves what GRPO learns fails it too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Held-out accuracy (%) before and after the 50 GRPO steps, per seed, measured with FLAGS;
# the flipped run negated GroupNormalized's advantages.
RISE_MEASURED = {0: (25.8, 46.9), 1: (24.2, 32.0), 2: (17.2, 25.0)}
FLIPPED_MEASURED = {0: (25.8, 1.6)}
MIN_RISE = 5.0  # points

FLAGS = [
    "warm_start.target_accuracy=0.25",
    "warm_start.max_steps=600",
    "eval.every=1000",
    "schedule.max_steps=50",
    "schedule.run_budget_s=null",
    "checkpoint.every=1000",
]


@pytest.mark.slow
def test_grpo_raises_held_out_accuracy(tmp_path: Path) -> None:
    run = tmp_path / "run"
    sets = [a for flag in FLAGS for a in ("--set", flag)]
    command = ["train", "--env", "deepscaler", "--seed", "0", "--quiet", "--run-dir", str(run)]
    proc = subprocess.run(
        [sys.executable, "-m", "agentrl", *command, *sets],
        # One CPU device, as a user runs it (the suite's fake 8-device flag is not passed on).
        env={**{k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    before = 100 * summary["eval_before"]["accuracy"]
    after = 100 * summary["eval_after"]["accuracy"]
    assert summary["steps"] == 50 and summary["data"]["heldout_overlap"] == 0
    assert after - before >= MIN_RISE, f"held-out accuracy {before:.1f}% -> {after:.1f}%"
