"""LoRA adapters train under remat (nnx.remat's write-back failed on the update's trace)."""

from __future__ import annotations

import jax
import numpy as np
from flax import nnx

from agentrl.models.lora import LoRAConfig, apply_lora
from agentrl.models.tiny import tiny_model
from agentrl.trainers.sft import SFTConfig, SFTLearner


def test_a_lora_step_under_layer_remat_equals_one_without() -> None:
    adapters = []
    for remat in ("none", "layer"):
        model, _ = tiny_model(num_hidden_layers=1)
        apply_lora(model, LoRAConfig(rank=2, targets=("q_proj", "down_proj")), rngs=nnx.Rngs(1))
        model.remat = remat
        learner = SFTLearner(SFTConfig(optimizer={"lr": 1e-2}), model)
        learner.train_step([([1, 5, 9, 13, 17, 3], [0, 0, 1, 1, 1, 1])] * 2)
        adapters.append(jax.tree.leaves(nnx.state(model, nnx.LoRAParam)))
    for plain, remat in zip(*adapters):
        np.testing.assert_allclose(np.asarray(plain), np.asarray(remat), atol=1e-6)
    assert any(np.abs(np.asarray(x)).max() > 0 for x in adapters[1][1::2])  # B moved off zero
