"""Weight-only quantization of the frozen base (for QLoRA-style fine-tuning): int8 and NF4.

``"int8"``: each projection kernel ``[in, out]`` becomes int8 values and one float32 scale per
output channel (symmetric, ``scale = max|w| / 127``); the scale factors out of the sum, so the
matmul is ``y = (x @ q) * scale``. ``"nf4"``: the 4-bit NormalFloat code of QLoRA (16 levels
at the quantiles of a normal distribution), with one absmax scale per block of 64 inputs of
each output column, two codes packed per byte; the kernel is rebuilt from the code book inside
the jitted matmul. Quantized weights are
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


# The NF4 code book (QLoRA, Dettmers et al. 2023): quantiles of N(0, 1) scaled to [-1, 1].
NF4_CODE = (
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236328, 1.0,
)  # fmt: skip


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


class Nf4Linear(Linear):
    """A `Linear` whose kernel is NF4 codes (two per byte) with one absmax per input block."""

    def __init__(self, linear: Linear, block_size: int = 64) -> None:
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.dtype = linear.dtype
        self.param_dtype = linear.param_dtype
        kernel = linear.kernel[...].astype(jnp.float32)
        if self.in_features % 2:  # two codes per byte: pad one zero input row
            kernel = jnp.pad(kernel, ((0, 1), (0, 0)))
        n_in = kernel.shape[0]
        self.block_size = block_size if n_in % block_size == 0 else n_in
        blocks = kernel.reshape(n_in // self.block_size, self.block_size, -1)
        absmax = jnp.max(jnp.abs(blocks), axis=1, keepdims=True)
        absmax = jnp.where(absmax == 0, 1.0, absmax)
        code = jnp.asarray(NF4_CODE, jnp.float32)
        idx = jnp.argmin(jnp.abs((blocks / absmax)[..., None] - code), axis=-1).astype(jnp.uint8)
        idx = idx.reshape(n_in // 2, 2, -1)
        self.kernel = QuantizedParam(idx[:, 0] | (idx[:, 1] << 4))  # type: ignore[assignment]
        self.kernel_scale = QuantizedParam(absmax[:, 0, :])
        self.bias = nnx.data(linear.bias)
        self.lora: Any = nnx.data(linear.lora)

    def dense_kernel(self) -> jax.Array:
        packed = self.kernel[...]
        n_in = 2 * packed.shape[0]
        idx = jnp.stack([packed & 15, packed >> 4], axis=1).reshape(n_in, -1)
        values = jnp.asarray(NF4_CODE, jnp.float32)[idx.astype(jnp.int32)]
        blocks = values.reshape(n_in // self.block_size, self.block_size, -1)
        kernel = (blocks * self.kernel_scale[...][:, None, :]).reshape(n_in, -1)
        return kernel[: self.in_features]

    def base(self, x: jax.Array) -> jax.Array:
        return jnp.dot(x.astype(self.dtype), self.dense_kernel().astype(self.dtype))


def quantize(
    model: nnx.Module, mode: str = "int8", *, skip: tuple[str, ...] = ("lm_head",)
) -> nnx.Module:
    """Replace every projection's kernel by its int8 form (in place); returns `model`.

    Args:
        model: the model.
        mode: ``"int8"`` or ``"nf4"``.
        skip: attribute names left in float (the output head by default: its error shows up
            directly in the logits and it is small next to the decoder stack).
    """
    kinds = {"int8": Int8Linear, "nf4": Nf4Linear}
    if mode not in kinds:
        raise ConfigError(f"got quantization mode={mode!r}, need one of {sorted(kinds)}")
    kind = kinds[mode]
    _replace(model, lambda linear: kind(linear) if type(linear) is Linear else linear, skip)
    return model


def dequantize(model: nnx.Module) -> nnx.Module:
    """Turn int8 projections back into float `Linear` layers (in place); returns `model`."""

    def back(linear: Linear) -> Linear:
        if type(linear) is Linear:
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
