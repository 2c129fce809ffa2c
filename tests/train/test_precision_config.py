"""The run config's precision and memory knobs reach the model: dtypes (bfloat16 by default
with a checkpoint, float32 for the tiny model), remat, KV-cache dtype, the learners' update."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from agentrl.config import load_config
from agentrl.train.config import TrainConfig, preset_path


def test_dtype_defaults_follow_the_checkpoint_through_the_layers():
    # As the CLI builds it: the -hf preset is validated first, --model's path comes after.
    base = load_config(TrainConfig, preset_path("deepscaler", real_model=True))
    real = load_config(TrainConfig, None, ["model.path=/some/folder"], base=base)
    assert tuple(real.model.dtypes()) == ("bfloat16", "bfloat16", "bfloat16")
    assert real.update.master_weights == "float32"
    tiny = load_config(TrainConfig, preset_path("deepscaler", real_model=False))
    assert tuple(tiny.model.dtypes()) == ("float32", "float32", "float32")
    mixed = load_config(
        TrainConfig, None, ["model.param_dtype=float32", "model.compute_dtype=bfloat16"], base=base
    )
    assert tuple(mixed.model.dtypes()) == ("float32", "bfloat16", "bfloat16")


def test_the_model_and_sampler_are_built_as_the_config_says():
    from agentrl.train.build import build_policy, build_sampler

    config = load_config(
        TrainConfig,
        None,
        [
            "model.tiny.num_hidden_layers=1", "model.param_dtype=bfloat16",
            "model.kv_cache_dtype=float32", "model.remat=dots",
        ],
    )  # fmt: skip
    model, tokenizer = build_policy(config)
    from flax import nnx

    dtypes = {x.dtype for x in jax.tree.leaves(nnx.state(model, nnx.Param))}
    assert dtypes == {jnp.dtype(jnp.bfloat16)}
    assert jnp.dtype(model.dtype) == jnp.bfloat16 and model.remat == "dots"
    sampler = build_sampler(config, model, tokenizer, multi_turn=False)
    assert jnp.dtype(sampler._cache_dtype) == jnp.float32
    plain, _ = build_policy(load_config(TrainConfig, None, ["model.tiny.num_hidden_layers=1"]))
    assert {x.dtype for x in jax.tree.leaves(nnx.state(plain, nnx.Param))} == {
        jnp.dtype(jnp.float32)
    }
    assert plain.remat == "none"


def test_quantize_needs_lora():
    import pytest

    from agentrl.errors import ConfigError

    with pytest.raises(ConfigError, match="quantize='nf4' without lora"):
        load_config(TrainConfig, None, ["model.quantize=nf4"])
    lora = load_config(TrainConfig, None, ["model.lora.rank=4", "model.quantize=nf4"]).model
    assert lora.lora is not None and (lora.lora.rank, lora.lora.alpha) == (4, 16.0)


def test_auto_engine_is_continuous_for_multi_turn_envs():
    import agentrl
    from agentrl.sampling.engine_sampler import EngineSampler
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.train.build import build_policy, build_sampler, max_turns

    assert max_turns(agentrl.make("deepscaler")) == 1
    assert max_turns(agentrl.Wrapper(agentrl.make("tool-math"))) > 1  # read through wrappers
    config = load_config(TrainConfig, None, ["model.tiny.num_hidden_layers=1"])
    assert config.rollout.engine == "auto"
    model, tokenizer = build_policy(config)
    assert isinstance(build_sampler(config, model, tokenizer, multi_turn=True), EngineSampler)
    assert isinstance(build_sampler(config, model, tokenizer, multi_turn=False), JaxSampler)
    static = config.model_copy(
        update={"rollout": config.rollout.model_copy(update={"engine": "static"})}
    )
    assert isinstance(build_sampler(static, model, tokenizer, multi_turn=True), JaxSampler)
