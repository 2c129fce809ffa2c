"""Weight-only int8 quantization of the frozen base (for QLoRA-style fine-tuning).

Each projection kernel ``[in, out]`` becomes int8 values and one float32 scale per output
channel (symmetric, ``scale = max|w| / 127``). The matmul runs on the dequantized kernel and the
scale factors out of the sum: ``y = (x @ q) * scale``. Quantized weights are
`QuantizedParam` variables, not `nnx.Param`, so no optimizer ever selects them; LoRA adapters
(`agentrl.models.lora`) train on top in float.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from agentrl.errors import ConfigError
from agentrl.models.layers import Linear


class QuantizedParam(nnx.Variable):
    """Frozen quantized storage (int8 values or their scales); never trained."""


class Int8Linear(Linear):
    """A `Linear` whose kernel is int8 with per-output-channel float32 scales."""

    def __init__(self, linear: Linear) -> None:
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.dtype = linear.dtype
        self.param_dtype = linear.param_dtype
        kernel = linear.kernel[...].astype(jnp.float32)
        scale = jnp.max(jnp.abs(kernel), axis=0) / 127.0
        scale = jnp.where(scale == 0, 1.0, scale)
        self.kernel = QuantizedParam(  # type: ignore[assignment]
            jnp.clip(jnp.round(kernel / scale), -127, 127).astype(jnp.int8)
        )
        self.kernel_scale = QuantizedParam(scale)
        self.bias = nnx.data(linear.bias)
        self.lora: Any = nnx.data(linear.lora)

    def dense_kernel(self) -> jax.Array:
        return self.kernel[...].astype(jnp.float32) * self.kernel_scale[...]

    def base(self, x: jax.Array) -> jax.Array:
        y = jnp.dot(x.astype(self.dtype), self.kernel[...].astype(self.dtype))
        return y * self.kernel_scale[...].astype(self.dtype)


def quantize(
    model: nnx.Module, mode: str = "int8", *, skip: tuple[str, ...] = ("lm_head",)
) -> nnx.Module:
    """Replace every projection's kernel by its int8 form (in place); returns `model`.

    Args:
        model: the model.
        mode: only ``"int8"`` for now.
        skip: attribute names left in float (the output head by default: its error shows up
            directly in the logits and it is small next to the decoder stack).
    """
    if mode != "int8":
        raise ConfigError(f"got quantization mode={mode!r}, need 'int8'")
    _replace(model, lambda linear: Int8Linear(linear) if type(linear) is Linear else linear, skip)
    return model


def dequantize(model: nnx.Module) -> nnx.Module:
    """Turn int8 projections back into float `Linear` layers (in place); returns `model`."""

    def back(linear: Linear) -> Linear:
        if not isinstance(linear, Int8Linear):
            return linear
        out = Linear(
            linear.in_features, linear.out_features, use_bias=False, init_std=0.0,
            rngs=nnx.Rngs(0), dtype=linear.dtype, param_dtype=linear.param_dtype,
        )  # fmt: skip
        out.kernel.set_value(linear.dense_kernel().astype(linear.param_dtype))
        out.bias = linear.bias
        out.lora = linear.lora
        return out

    _replace(model, back, ())
    return model


def _replace(model: nnx.Module, convert: Any, skip: tuple[str, ...]) -> None:
    """Swap each `Linear` attribute of each module for ``convert(linear)``."""
    parents = [node for _, node in nnx.iter_graph(model) if isinstance(node, nnx.Module)]
    for parent in parents:
        for name, value in list(vars(parent).items()):
            if isinstance(value, Linear) and name not in skip:
                setattr(parent, name, convert(value))
