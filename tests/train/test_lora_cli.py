"""LoRA and QLoRA through ``agentrl train --set model.lora.rank=4`` on the tiny default.

Two GRPO steps without a warm-start (an entropy bonus gives a gradient although the untrained
model earns no reward; a KL term makes the run score the reference, the base with its adapters
off). The base must come out bitwise unchanged, the adapters changed, and the exported PEFT
adapter, applied by `peft` to the exported base, must give the merged model's logits.
"""

from __future__ import annotations

import json
from pathlib import Path

import jax
import numpy as np
import pytest
from flax import nnx
from train_helpers import TINY_GRPO

from agentrl.cli import main

TINY = [
    *TINY_GRPO,
    "--set", "grpo.kl_coef=0.01",
    "--set", "grpo.dynamic_sampling=false",
    "--set", "grpo.optimizer.lr=0.01",  # big enough for the adapters to show in the logits
    "--set", "model.lora.rank=4",
]  # fmt: skip


def _run(tmp_path: Path, *extra: str) -> Path:
    run = tmp_path / "run"
    assert main(["train", *TINY, *extra, "--run-dir", str(run)]) == 0
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rl = [r for r in records if "rollout/episodes" in r]
    assert len(rl) == 2
    for r in rl:
        assert "skipped" not in r and r["grad_norm"] > 0 and "kl" in r, r
    return run


def _params(model) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.Param))]


def _start_model():
    """The tiny default's starting weights (seed 0, the preset's two layers)."""
    from agentrl.models.tiny import tiny_model

    return tiny_model(seed=0, num_hidden_layers=2)[0]


def _lora_b(run: Path) -> float:
    from agentrl.models.safetensors_io import CheckpointReader

    with CheckpointReader(run / "adapter") as reader:
        keys = [k for k in reader.names() if k.endswith("lora_B.weight")]
        assert keys
        return max(float(np.abs(reader.read(k)).max()) for k in keys)


def _hf_logits(model, tokens: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(input_ids=torch.from_numpy(tokens)).logits.float().numpy()


def test_lora_trains_only_the_adapters_and_exports_what_peft_loads(tmp_path: Path) -> None:
    import peft
    import transformers

    import agentrl.models as M

    run = _run(tmp_path)
    config = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert (config["r"], config["lora_alpha"], config["peft_type"]) == (4, 16.0, "LORA")
    assert config["base_model_name_or_path"] == str(run / "base")
    # The base is the starting model, bit for bit; the adapters moved (B starts at zero).
    base, _ = M.load(run / "base", dtype=np.float32)
    for a, b in zip(_params(_start_model()), _params(base)):
        np.testing.assert_array_equal(a, b)
    assert _lora_b(run) > 1e-3

    tokens = np.random.default_rng(0).integers(1, 500, (2, 12)).astype(np.int64)
    hf_base = transformers.AutoModelForCausalLM.from_pretrained(run / "base").eval()
    plain = _hf_logits(hf_base, tokens)
    adapted = _hf_logits(peft.PeftModel.from_pretrained(hf_base, run / "adapter").eval(), tokens)
    merged = _hf_logits(
        transformers.AutoModelForCausalLM.from_pretrained(run / "model").eval(), tokens
    )
    ours, _ = M.load(run / "model", dtype=np.float32)
    own = np.asarray(ours(tokens.astype(np.int32)).logits)
    assert np.abs(adapted - plain).max() > 1e-3  # the adapters matter ...
    np.testing.assert_allclose(adapted, merged, atol=1e-4, rtol=0)  # ... and merge exactly
    np.testing.assert_allclose(own, merged, atol=1e-4, rtol=0)


@pytest.mark.parametrize("mode", ["nf4"])
def test_qlora_trains_adapters_on_a_quantized_base(tmp_path: Path, mode: str) -> None:
    """The base is quantized and frozen: ``base/`` holds exactly its dequantized weights. The
    --control sft run afterwards is full SFT from the warm weights (adapters and codes gone)."""
    import agentrl.models as M
    from agentrl.models.quant import dequantize, quantize

    run = _run(tmp_path, "--set", f"model.quantize={mode}", "--control", "sft")
    expected = dequantize(quantize(_start_model(), mode))
    base, _ = M.load(run / "base", dtype=np.float32)
    start = _params(_start_model())
    for a, b in zip(_params(expected), _params(base)):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(b, s) for b, s in zip(_params(base), start))  # quantized
    assert _lora_b(run) > 1e-3
    summary = json.loads((run / "summary.json").read_text())
    assert summary["control"]["steps"] >= 1
