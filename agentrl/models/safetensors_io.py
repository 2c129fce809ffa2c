"""Safetensors files written one tensor at a time, and read one tensor (or one slice) at a time.

The writer lays out the header from shapes alone, then streams each tensor's bytes, so saving a
model never materializes a second copy of its weights. Large models are split into several files
with a ``model.safetensors.index.json`` beside them, as Hugging Face does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np
from safetensors import safe_open

from agentrl.errors import ModelError

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"

_DTYPE_CODES: dict[Any, str] = {
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(ml_dtypes.bfloat16): "BF16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint8): "U8",
    np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64",
}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor to write: its name, shape and dtype, and how to produce its values on demand."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    produce: Callable[[], np.ndarray]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def write_file(path: Path, entries: Sequence[TensorEntry], metadata: dict[str, str]) -> None:
    """Write `entries` to one safetensors file, producing each tensor only when its turn comes."""
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    for e in entries:
        code = _DTYPE_CODES.get(e.dtype)
        if code is None:
            raise ModelError(f"cannot write tensor {e.name!r} of dtype {e.dtype} to safetensors")
        header[e.name] = {
            "dtype": code,
            "shape": list(e.shape),
            "data_offsets": [offset, offset + e.nbytes],
        }
        offset += e.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the format aligns the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for e in entries:
            value = np.ascontiguousarray(e.produce(), dtype=e.dtype)
            if value.shape != e.shape:
                raise ModelError(f"tensor {e.name!r} has shape {value.shape}, declared {e.shape}")
            f.write(value.tobytes())


def write_checkpoint(
    folder: Path, entries: Sequence[TensorEntry], max_shard_bytes: int
) -> list[str]:
    """Write `entries` to ``folder`` as one file, or as shards plus the index; returns names."""
    shards: list[list[TensorEntry]] = [[]]
    size = 0
    for e in entries:
        if shards[-1] and size + e.nbytes > max_shard_bytes:
            shards.append([])
            size = 0
        shards[-1].append(e)
        size += e.nbytes
    metadata = {"format": "pt"}
    if len(shards) == 1:
        write_file(folder / SINGLE_NAME, shards[0], metadata)
        return [SINGLE_NAME]
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    weight_map: dict[str, str] = {}
    for name, shard in zip(names, shards):
        write_file(folder / name, shard, metadata)
        weight_map.update({e.name: name for e in shard})
    index = {"metadata": {"total_size": sum(e.nbytes for e in entries)}, "weight_map": weight_map}
    (folder / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n")
    return [*names, INDEX_NAME]


class CheckpointReader:
    """Reads tensors by name from a folder of safetensors files (with or without an index).

    Use as a context manager; files are opened once and memory-mapped by safetensors.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.weight_map = _weight_map(folder)
        self._stack = ExitStack()
        self._handles: dict[str, Any] = {}

    def __enter__(self) -> CheckpointReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __contains__(self, name: str) -> bool:
        return name in self.weight_map

    def names(self) -> Iterator[str]:
        return iter(self.weight_map)

    def _handle(self, name: str) -> Any:
        if name not in self.weight_map:
            raise ModelError(
                f"checkpoint {self.folder} has no tensor {name!r}"
                " (half-written, or another architecture?)"
            )
        file = self.weight_map[name]
        if file not in self._handles:
            path = self.folder / file
            if not path.is_file():
                raise ModelError(f"checkpoint {self.folder} is missing {file} (it holds {name!r})")
            self._handles[file] = self._stack.enter_context(safe_open(str(path), framework="numpy"))
        return self._handles[file]

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._handle(name).get_slice(name).get_shape())

    def read(self, name: str, index: tuple[slice, ...] | None = None) -> np.ndarray:
        """The tensor, or only the part ``index`` selects (read without loading the rest)."""
        handle = self._handle(name)
        if index is None:
            return handle.get_tensor(name)
        return handle.get_slice(name)[index]


def _weight_map(folder: Path) -> dict[str, str]:
    """tensor name -> file name, from the index file or by listing the single file's header."""
    if not folder.is_dir():
        raise ModelError(f"model folder {folder} does not exist")
    index = folder / INDEX_NAME
    if index.is_file():
        try:
            return dict(json.loads(index.read_text())["weight_map"])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ModelError(f"{index} is not a safetensors index: {e}") from e
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ModelError(f"model folder {folder} has no *.safetensors file")
    out: dict[str, str] = {}
    for file in files:
        try:
            with safe_open(str(file), framework="numpy") as f:
                out.update({key: file.name for key in f.keys()})  # noqa: SIM118 (not a dict)
        except Exception as e:  # safetensors raises its own untyped errors on truncated files
            raise ModelError(f"{file} is not a readable safetensors file: {e}") from e
    return out
