"""Orbax checkpoints of a training run: arrays, data-iterator state and config, every N steps.

A checkpoint step folder holds three Orbax items::

    checkpoints/<step>/state    the array pytree (model state, optimizer state, RNG key, ...)
    checkpoints/<step>/data     the input pipeline's iterator state (JSON)
    checkpoints/<step>/config   the run's resolved config (JSON)

Orbax writes each step into a temporary folder and renames it when complete, so a run killed
mid-save leaves a ``<step>.orbax-checkpoint-tmp-*`` folder that is never read. `Checkpointer`
also refuses step folders that lack Orbax's completion metadata (moving them aside as
``<step>.incomplete``), so a half-written checkpoint is never picked up.

Typed PRNG keys (``jax.random.key``) may sit anywhere in the array pytree: they are stored as
their raw key data and re-wrapped on restore, guided by the abstract tree.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp
from pydantic import BaseModel

from agentrl.errors import CheckpointError, ModelError
from agentrl.infra.configs import CheckpointConfig

__all__ = ["Checkpointer", "Restored", "abstract_like", "export_hf"]

log = logging.getLogger(__name__)

_METADATA_FILE = "_CHECKPOINT_METADATA"
_ITEMS = ("state", "data", "config")


@dataclasses.dataclass(frozen=True)
class Restored:
    """What `Checkpointer.restore` returns.

    Attributes:
        step: The training step the checkpoint was taken at.
        state: The array pytree, shaped (and sharded) like the abstract tree given to restore.
        data: The data-iterator state saved with it (None when none was saved).
        config: The config saved with it, as a JSON mapping (None when none was saved).
        path: The step folder it came from.
    """

    step: int
    state: Any
    data: dict[str, Any] | None
    config: dict[str, Any] | None
    path: Path


class Checkpointer:
    """Saves every `every` steps (or when forced), keeps the newest `keep`, restores the latest.

    Example::

        ckpt = Checkpointer(run.checkpoints_dir, keep=3, every=50)
        state = {"model": nnx.state(model, nnx.Param), "opt": opt_state, "rng": key}
        restored = ckpt.restore_latest(abstract_like(state))
        ...
        ckpt.save(step, state, data=it.get_state(), config=cfg)  # no-op unless step % 50 == 0
        ckpt.save(final_step, state, data=..., config=cfg, force=True)
        ckpt.close()

    Args:
        directory: The checkpoints folder (created if missing).
        keep: How many of the newest checkpoints to keep (>= 1).
        every: Save when ``step % every == 0`` (>= 1).
        async_save: Write in a background thread; `wait` / `close` block until done.
    """

    def __init__(
        self, directory: str | Path, *, keep: int = 3, every: int = 100, async_save: bool = True
    ) -> None:
        if keep < 1:
            raise CheckpointError(f"got keep={keep}, need >= 1")
        if every < 1:
            raise CheckpointError(f"got every={every}, need >= 1")
        self.directory = Path(directory).absolute()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.keep, self.every = keep, every
        if jax.process_index() == 0:
            _set_aside_incomplete(self.directory)
        if jax.process_count() > 1:  # nobody lists steps before process 0 has tidied up
            ocp.multihost.sync_global_processes("agentrl_checkpointer_init")
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=True, enable_async_checkpointing=async_save
        )
        handlers = {
            "state": ocp.StandardCheckpointHandler(),
            "data": ocp.JsonCheckpointHandler(),
            "config": ocp.JsonCheckpointHandler(),
        }
        self._manager = ocp.CheckpointManager(
            self.directory, options=options, item_handlers=handlers
        )

    @classmethod
    def from_config(cls, directory: str | Path, config: CheckpointConfig) -> Checkpointer:
        """A checkpointer set up by a run's `CheckpointConfig`."""
        return cls(directory, keep=config.keep, every=config.every, async_save=config.async_save)

    # -- saving ------------------------------------------------------------------------------

    def should_save(self, step: int) -> bool:
        """Whether `save(step, ...)` without `force` would write a checkpoint."""
        return step % self.every == 0 and step not in self._manager.all_steps()

    def save(
        self,
        step: int,
        state: Any,
        *,
        data: Mapping[str, Any] | None = None,
        config: BaseModel | Mapping[str, Any] | None = None,
        force: bool = False,
    ) -> bool:
        """Checkpoint `state` at `step` when due (or when `force`); return whether it saved.

        Args:
            step: The training step (>= 0).
            state: A pytree of arrays; typed PRNG keys are allowed.
            data: JSON-serializable bookkeeping saved beside the arrays (a data iterator's
                position; `agentrl train` keeps the step and the stage's seconds so far).
            config: The run config (a pydantic model or JSON mapping).
            force: Save even off the ``every`` interval (the final step); a step already on
                disk is never written twice.
        """
        if step < 0:
            raise CheckpointError(f"got step={step}, need >= 0")
        if step in self._manager.all_steps() or not (force or step % self.every == 0):
            return False
        config_json = config.model_dump(mode="json") if isinstance(config, BaseModel) else config
        args = ocp.args.Composite(
            state=ocp.args.StandardSave(_keys_to_data(state)),
            data=ocp.args.JsonSave(dict(data) if data is not None else None),
            config=ocp.args.JsonSave(dict(config_json) if config_json is not None else None),
        )
        saved = self._manager.save(step, args=args, force=True)
        return bool(saved)

    def wait(self) -> None:
        """Block until a background save has been written and finalized."""
        self._manager.wait_until_finished()

    def close(self) -> None:
        """Finish pending saves and release the manager."""
        self._manager.wait_until_finished()
        self._manager.close()

    def __enter__(self) -> Checkpointer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- restoring ---------------------------------------------------------------------------

    def all_steps(self) -> list[int]:
        """The steps of complete checkpoints, ascending."""
        return sorted(s for s in self._manager.all_steps() if self._is_complete(s))

    def latest_step(self) -> int | None:
        """The newest complete checkpoint's step, or None when there is none."""
        steps = self.all_steps()
        return steps[-1] if steps else None

    def restore_latest(self, abstract_state: Any) -> Restored | None:
        """Restore the newest complete checkpoint, or return None when there is none."""
        step = self.latest_step()
        return None if step is None else self.restore(step, abstract_state)

    def restore(self, step: int, abstract_state: Any) -> Restored:
        """Restore checkpoint `step` into the structure of `abstract_state`.

        Args:
            step: A step listed by `all_steps`.
            abstract_state: The expected pytree; leaves are arrays or `jax.ShapeDtypeStruct`s
                (`abstract_like` makes one from a live tree), their shardings are honoured.

        Raises:
            CheckpointError: No such complete step, or the saved tree does not match
                `abstract_state` (the message names the folder and the differing keys).
        """
        path = self.directory / str(step)
        if step not in self.all_steps():
            raise CheckpointError(
                f"no complete checkpoint for step {step} in {self.directory} "
                f"(have: {self.all_steps() or 'none'})"
            )
        target = _abstract_keys_to_data(abstract_like(abstract_state))
        self._check_structure(step, target, path)
        args = ocp.args.Composite(
            state=ocp.args.StandardRestore(target),
            data=ocp.args.JsonRestore(),
            config=ocp.args.JsonRestore(),
        )
        try:
            out = self._manager.restore(step, args=args)
        except (ValueError, KeyError, TypeError, FileNotFoundError) as e:
            raise CheckpointError(f"cannot restore checkpoint {path}: {e}") from e
        state = _data_to_keys(out["state"], abstract_state)
        return Restored(step, state, out.get("data"), out.get("config"), path)

    def _is_complete(self, step: int) -> bool:
        folder = self.directory / str(step)
        return (folder / _METADATA_FILE).is_file() and (folder / "state").is_dir()

    def _check_structure(self, step: int, target: Any, path: Path) -> None:
        try:
            saved = self._manager.item_metadata(step)["state"].tree
        except (ValueError, KeyError, AttributeError, FileNotFoundError, TypeError) as e:
            raise CheckpointError(f"cannot read the metadata of checkpoint {path}: {e}") from e
        want, have = _shapes_by_path(target), _shapes_by_path(saved)
        problems = [f"missing in checkpoint: {k}" for k in sorted(want.keys() - have.keys())]
        problems += [f"unexpected in checkpoint: {k}" for k in sorted(have.keys() - want.keys())]
        problems += [
            f"{k}: checkpoint has {have[k]}, expected {want[k]}"
            for k in sorted(want.keys() & have.keys())
            if want[k] != have[k]
        ]
        if problems:
            shown = "\n  ".join(problems[:20])
            more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise CheckpointError(
                f"checkpoint {path} does not match the expected state:\n  {shown}{more}"
            )


def abstract_like(tree: Any) -> Any:
    """The pytree of `jax.ShapeDtypeStruct`s (with shardings) describing `tree`."""
    return jax.tree.map(_to_struct, tree)


def export_hf(model: Any, tokenizer: Any, directory: str | Path) -> Path:
    """Write the model and tokenizer as a Hugging Face folder via `agentrl.models.save`.

    Raises:
        ModelError: `agentrl.models.save` is not available in this install.
    """
    import agentrl.models as models

    save = getattr(models, "save", None)
    if save is None:
        raise ModelError("cannot export a Hugging Face folder: agentrl.models.save is missing")
    directory = Path(directory)
    save(model, tokenizer, directory)
    return directory


# ----------------------------------------------------------------------------------------------
# Helpers


def _set_aside_incomplete(directory: Path) -> None:
    """Rename numeric step folders without Orbax's completion marker so nothing reads them."""
    for folder in sorted(directory.iterdir()):
        numeric = folder.is_dir() and re.fullmatch(r"\d+", folder.name)
        if numeric and not (folder / _METADATA_FILE).is_file():
            aside = folder.with_name(folder.name + ".incomplete")
            n = 1
            while aside.exists():  # an earlier crash at the same step
                aside, n = folder.with_name(f"{folder.name}.incomplete{n}"), n + 1
            log.warning("checkpoint %s is incomplete; moved to %s", folder, aside)
            folder.rename(aside)


def _is_key(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)


def _to_struct(x: Any) -> Any:
    if isinstance(x, jax.ShapeDtypeStruct):
        return x
    if _is_key(x):
        return jax.ShapeDtypeStruct(x.shape, x.dtype)
    return ocp.utils.to_shape_dtype_struct(x)


def _keys_to_data(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.random.key_data(x) if _is_key(x) else x, tree)


def _abstract_keys_to_data(tree: Any) -> Any:
    return jax.tree.map(lambda x: jax.eval_shape(jax.random.key_data, x) if _is_key(x) else x, tree)


def _data_to_keys(restored: Any, abstract: Any) -> Any:
    def rewrap(value: Any, like: Any) -> Any:
        if not _is_key(like):
            return value
        impl = like.dtype._impl  # the key dtype knows its PRNG implementation
        return jax.random.wrap_key_data(value, impl=impl)

    return jax.tree.map(rewrap, restored, abstract)


def _shapes_by_path(tree: Any) -> dict[str, str]:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return {_path_str(p): f"{tuple(x.shape)} {x.dtype}" for p, x in leaves}


def _path_str(path: tuple[Any, ...]) -> str:
    names = []
    for entry in path:
        for attr in ("key", "name", "idx"):
            if hasattr(entry, attr):
                names.append(str(getattr(entry, attr)))
                break
        else:
            names.append(str(entry))
    return "/".join(names)
