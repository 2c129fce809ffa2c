"""Hugging Face checkpoint folders in and out: `load` and `save`.

`load` builds the model abstractly (`nnx.eval_shape`, no memory), then fills it one tensor at a
time straight from the memory-mapped safetensors files into its final place: with a mesh, each
device's shard is read on its own (`jax.make_array_from_callback` over a safetensors slice), so
the weights never exist twice, not even as a host copy of a sharded tensor.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding

from agentrl.errors import ModelError
from agentrl.models.config import ModelConfig
from agentrl.models.layers import Embed, Linear, RMSNorm
from agentrl.models.registry import config_from_hf
from agentrl.models.safetensors_io import CheckpointReader, TensorEntry, write_checkpoint
from agentrl.models.sharding import Rules, check_mesh, path_str, rules_for, spec_for
from agentrl.models.transformer import CausalLM

DEFAULT_SHARD_BYTES = 2 * 1024**3
_CHUNK_BYTES = 32 * 1024**2
# Prefixes under which a checkpoint may keep the decoder ("model.embed_tokens.weight", ...).
_PREFIXES = ("model.", "model.language_model.", "language_model.model.")


def read_config(folder: str | Path) -> ModelConfig:
    """The family config of a checkpoint folder's config.json."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise ModelError(f"{folder} has no config.json; is it a Hugging Face model folder?")
    try:
        hf = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ModelError(f"{path} is not valid JSON: {e}") from e
    return config_from_hf(hf)


def hf_modules(model: nnx.Module) -> Iterator[tuple[str, nnx.Module]]:
    """(checkpoint key prefix, module) for every Linear, Embed and RMSNorm, in model order."""
    for path, node in nnx.iter_graph(model):
        if isinstance(node, Linear | Embed | RMSNorm):
            name = path_str(path).replace("/", ".")
            yield (name if name.startswith("lm_head") else "model." + name), node


def _tensor_slots(module: nnx.Module) -> list[tuple[str, str, bool]]:
    """(key suffix, attribute, transposed) for the tensors a module holds in a checkpoint."""
    if isinstance(module, Linear):
        slots = [(".weight", "kernel", True)]
        return slots + ([(".bias", "bias", False)] if module.bias is not None else [])
    if isinstance(module, Embed):
        return [(".weight", "embedding", False)]
    return [(".weight", "scale", False)]


def load(
    path: str | Path,
    *,
    dtype: Any = jnp.float32,
    param_dtype: Any = None,
    mesh: Mesh | None = None,
    rules: Rules | None = None,
) -> tuple[CausalLM, Any]:
    """Load a Hugging Face checkpoint folder as ``(model, tokenizer)``.

    Args:
        path: folder with config.json, ``*.safetensors`` (with the index when sharded) and
            tokenizer files.
        dtype: computation dtype.
        param_dtype: parameter storage dtype (default: `dtype`).
        mesh: a ``(data, fsdp, tp)`` mesh to shard the parameters over, per the family's rules.
        rules: partition rules overriding the family's.

    Returns:
        The model and its `agentrl.tokenizer.Tokenizer` (None when the folder has no tokenizer).
    """
    folder = Path(path)
    config = read_config(folder)
    if mesh is not None:
        check_mesh(config, mesh)  # before reading a single tensor
    param_dtype = dtype if param_dtype is None else param_dtype
    model = nnx.eval_shape(
        lambda: CausalLM(config, rngs=nnx.Rngs(0), dtype=dtype, param_dtype=param_dtype)
    )
    rules = rules_for(model) if rules is None else rules
    with CheckpointReader(folder) as reader:
        prefix = next((p for p in _PREFIXES if p + "embed_tokens.weight" in reader), "model.")
        for name, module in hf_modules(model):
            key_base = prefix + name.removeprefix("model.") if name != "lm_head" else name
            if name == "lm_head" and "language_model.lm_head.weight" in reader:
                key_base = "language_model.lm_head"
            for suffix, attr, transposed in _tensor_slots(module):
                variable = getattr(module, attr)
                param_path = name.removeprefix("model.").replace(".", "/") + "/" + attr
                sharding = None
                if mesh is not None:
                    spec = spec_for(param_path, variable.get_value().shape, mesh, rules)
                    sharding = NamedSharding(mesh, spec)
                variable.set_value(
                    _read_tensor(reader, key_base + suffix, variable, transposed, sharding)
                )
    return model, load_tokenizer(folder)


def _read_tensor(
    reader: CheckpointReader,
    key: str,
    variable: nnx.Variable,
    transposed: bool,
    sharding: NamedSharding | None,
) -> jax.Array:
    """One parameter, read from the checkpoint into its final dtype and placement."""
    abstract = variable.get_value()
    shape, dtype = tuple(abstract.shape), abstract.dtype
    stored = reader.shape(key)
    want = tuple(reversed(shape)) if transposed else shape
    if stored != want:
        raise ModelError(
            f"tensor {key!r} has shape {list(stored)}, the config implies {list(want)}"
        )

    def part(index: Any) -> np.ndarray:
        full = tuple(index or ()) + (slice(None),) * (len(shape) - len(index or ()))
        return _read_chunked(reader, key, full, shape, dtype, transposed)

    if sharding is None:
        # The freshly read host array becomes the parameter's buffer (no copy on CPU).
        return jax.device_put(part(()), may_alias=True)
    return jax.make_array_from_callback(shape, sharding, part)


def _read_chunked(
    reader: CheckpointReader,
    key: str,
    index: tuple[slice, ...],
    shape: tuple[int, ...],
    dtype: Any,
    transposed: bool,
) -> np.ndarray:
    """``tensor[index]`` (in our layout) in `dtype`, converted a few MiB at a time so that the
    stored-dtype copy never exists in full next to the result."""
    bounds = [s.indices(d)[:2] for s, d in zip(index, shape)]
    out = np.empty([stop - start for start, stop in bounds], dtype)
    stored = bounds[::-1] if transposed else bounds
    rows = stored[0][1] - stored[0][0]
    row_bytes = max(1, out.size // max(rows, 1)) * out.itemsize
    step = max(1, _CHUNK_BYTES // row_bytes)
    rest = tuple(slice(a, b) for a, b in stored[1:])
    for first in range(0, rows, step):
        last = min(rows, first + step)
        block = reader.read(key, (slice(stored[0][0] + first, stored[0][0] + last), *rest))
        if transposed:
            out[..., first:last] = block.T
        else:
            out[first:last] = block
    return out


def load_tokenizer(folder: Path) -> Any:
    """The folder's tokenizer, or None when it has no tokenizer.json."""
    if not (folder / "tokenizer.json").is_file():
        return None
    from agentrl.tokenizer import Tokenizer

    return Tokenizer.from_pretrained(folder)


def save(
    model: CausalLM,
    tokenizer: Any,
    path: str | Path,
    *,
    dtype: Any = None,
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
) -> Path:
    """Write `model` (and `tokenizer`, unless None) as a Hugging Face checkpoint folder.

    LoRA adapters are merged into the written weights and quantized kernels are dequantized, so
    the folder loads in transformers as a plain model. Tensors are produced one at a time.

    Args:
        model: the model.
        tokenizer: an `agentrl.tokenizer.Tokenizer`, or None.
        path: the folder (created if needed).
        dtype: storage dtype of the written tensors (default: each parameter's own).
        max_shard_bytes: above this, weights are split into several files plus the index.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    entries = list(checkpoint_entries(model, dtype))
    write_checkpoint(folder, entries, max_shard_bytes)
    config = model.config.to_hf()
    if dtype is not None:
        config["torch_dtype"] = np.dtype(dtype).name
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    generation = generation_config(model.config, tokenizer)
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    return folder


def generation_config(config: ModelConfig, tokenizer: Any) -> dict[str, Any]:
    """generation_config.json: the special ids transformers' ``generate`` stops and pads with."""
    eos: Any = config.eos_token_id
    if tokenizer is not None and tokenizer.eos_token_ids:
        eos = (
            list(tokenizer.eos_token_ids)
            if len(tokenizer.eos_token_ids) > 1
            else tokenizer.eos_token_ids[0]
        )
    pad = config.pad_token_id if tokenizer is None else tokenizer.pad_token_id
    out = {"bos_token_id": config.bos_token_id, "eos_token_id": eos, "pad_token_id": pad}
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items() if v is not None}


def checkpoint_entries(model: CausalLM, dtype: Any = None) -> Iterator[TensorEntry]:
    """The checkpoint tensors of `model`, each produced lazily."""
    for name, module in hf_modules(model):
        for suffix, attr, _ in _tensor_slots(module):
            if isinstance(module, Linear) and attr == "kernel":
                produce_kernel = module.effective_kernel
                shape = (module.out_features, module.in_features)
                out_dtype = np.dtype(dtype or module.param_dtype)
                yield TensorEntry(name + suffix, shape, out_dtype, _transposed(produce_kernel))
                continue
            value = getattr(module, attr)
            shape = tuple(value.shape)
            out_dtype = np.dtype(dtype or value.dtype)
            yield TensorEntry(name + suffix, shape, out_dtype, _host(value))


def _transposed(produce: Any) -> Any:
    return lambda: np.asarray(produce()).T


def _host(variable: nnx.Variable) -> Any:
    return lambda: np.asarray(variable.get_value())


def count_parameters(model: nnx.Module) -> int:
    return sum(math.prod(x.shape) for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
