"""LoRA training: only the adapters move, the loss falls, and the reference is the base model."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from flax import nnx
from pydantic import ValidationError
from trainer_helpers import make_model, params_changed, random_sequences

from agentrl.models.lora import LoRAConfig, apply_lora
from agentrl.trainers.learner import ReferencePolicy
from agentrl.trainers.sft import SFTConfig, SFTLearner


def test_lora_sft_trains_only_adapters_and_references_the_base():
    model = apply_lora(make_model(), LoRAConfig(rank=4), rngs=nnx.Rngs(1))
    base_before = jax.tree.map(np.array, nnx.state(model, nnx.Not(nnx.LoRAParam)))
    learner = SFTLearner(SFTConfig(optimizer={"lr": 1e-2}), model)  # adapters: they alone train
    variables = jax.tree.leaves(learner.params, is_leaf=lambda x: isinstance(x, nnx.Variable))
    assert variables and all(isinstance(v, nnx.LoRAParam) for v in variables)
    batch = learner.make_batch(list(zip(*random_sequences(8))))
    lora_before = jax.tree.map(np.array, learner.params)
    first = learner.train_step(batch)
    second = learner.train_step(batch)  # A moves from the second step on (B starts at zero)
    assert params_changed(lora_before, learner.params) == []
    assert second["loss"] < first["loss"]
    base_after = nnx.state(model, nnx.Not(nnx.LoRAParam))
    for a, b in zip(jax.tree.leaves(base_before), jax.tree.leaves(base_after)):
        np.testing.assert_array_equal(a, b)
    # The KL reference with LoRA on is the base model: the same weights without adapters.
    ref = ReferencePolicy(learner, None, temperature=1.0)
    assert ref.kind == "lora_base"
    # ... held without a second copy of the weights: the frozen base is the learner's own
    # state object, and what the reference adds is adapter-sized (zeros).
    assert ref._states[1] is learner.frozen
    added = sum(x.size for x in jax.tree.leaves(ref._states[0]))
    assert added == sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam)))
    plain = ReferencePolicy(learner, make_model(), temperature=1.0)
    device_batch = learner.put(batch)
    np.testing.assert_allclose(
        ref.logprobs(device_batch), plain.logprobs(device_batch), rtol=1e-5, atol=1e-5
    )


def test_the_learner_finds_adapters_itself():
    """No learner flag: a policy with adapters trains them, one without trains everything."""
    plain = SFTLearner(SFTConfig(), make_model())
    assert not plain.lora and ReferencePolicy(plain, None, 1.0).kind == "frozen_copy"
    adapted = SFTLearner(SFTConfig(), apply_lora(make_model(), LoRAConfig(), rngs=nnx.Rngs(0)))
    assert adapted.lora
    with pytest.raises(ValidationError, match="lora"):
        SFTConfig(lora=True)  # the old learner flag is gone: model.lora is the one home
