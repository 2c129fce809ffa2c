"""Every GRPO variant through ``agentrl train --set grpo.variant=...`` on the tiny default.

Two RL steps each, no warm-start: the untrained model earns no reward, so every group's
advantages are zero; a small entropy bonus (and dynamic sampling off, which the preset turns on)
makes each step a real update whose gradient is not zero. Its answers all run to the token limit,
so DAPO's overlong filter is turned off too (else every row is masked and the step skipped).
"""

from __future__ import annotations

import json
import math

import pytest
from train_helpers import TINY_GRPO

from agentrl.cli import main
from agentrl.config import load_config
from agentrl.train.config import TrainConfig

TINY = TINY_GRPO

# What the run's config.yaml must show for each variant (values the preset does not set).
EXPECT = {
    "dr_grpo": {"advantage.kind": "dr_grpo", "aggregation": "token_sum", "norm_constant": 16.0},
    "dapo": {"policy_loss.eps_high": 0.28, "aggregation": "token_mean", "overlong_filter": False},
    "gspo": {"policy_loss.kind": "gspo", "aggregation": "seq_mean"},
    "rloo": {"advantage.kind": "rloo", "policy_loss.kind": "ppo_clip"},
    "reinforce_pp": {"advantage.kind": "reinforce_pp", "aggregation": "seq_mean"},
}


def _get(cfg, dotted):
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


@pytest.mark.parametrize("variant", list(EXPECT))
def test_variant_runs_through_agentrl_train(variant, tmp_path):
    run = tmp_path / "run"
    extra = {
        "dr_grpo": ["--set", "grpo.norm_constant=16"],
        "dapo": ["--set", "grpo.overlong_filter=false"],
    }.get(variant, [])
    args = ["train", *TINY, "--set", f"grpo.variant={variant}", *extra, "--run-dir", str(run)]
    # dynamic_sampling=false given explicitly wins over DAPO's (and the preset's) true.
    assert main([*args, "--set", "grpo.dynamic_sampling=false"]) == 0

    cfg = load_config(TrainConfig, run / "config.yaml").grpo
    assert cfg.variant == variant and cfg.dynamic_sampling is False
    assert cfg.num_minibatches == 4  # the preset's value is kept under the variant
    for key, value in EXPECT[variant].items():
        assert _get(cfg, key) == value, key

    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 2
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rl = [r for r in records if "rollout/episodes" in r]
    assert [r["step"] for r in rl] == [1, 2]
    for r in rl:
        assert "skipped" not in r, r  # an update ran
        assert math.isfinite(r["loss"]) and r["grad_norm"] > 0


def test_unknown_variant_is_an_error_naming_it(capsys):
    assert main(["train", "--set", "grpo.variant=dapox", "--print-config"]) == 2
    assert "dapox" in capsys.readouterr().err


def test_print_config_shows_the_variant_values(capsys):
    assert main(["train", "--set", "grpo.variant=gspo", "--print-config"]) == 0
    out = capsys.readouterr().out
    grpo = out[out.index("\ngrpo:") : out.index("\nppo:")]
    assert "variant: gspo" in grpo and "kind: gspo" in grpo
