"""The infrastructure's parts of a run's config tree (plain pydantic; importing this loads no jax).

A trainer's config nests them::

    class TrainConfig(Config):
        checkpoint: CheckpointConfig = CheckpointConfig()
        logging: LoggingConfig = LoggingConfig()
        mesh: MeshConfig = MeshConfig()

so ``--set checkpoint.every=50 --set mesh.fsdp=2`` work from the command line.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from agentrl.config import Config
from agentrl.errors import ConfigError

__all__ = ["CheckpointConfig", "LoggingConfig", "MeshConfig", "WandbConfig"]


class CheckpointConfig(Config):
    """When to write Orbax checkpoints and how many to keep."""

    every: int = Field(default=100, ge=1, description="Save every this many steps.")
    keep: int = Field(default=3, ge=1, description="Keep the newest this many checkpoints.")
    async_save: bool = Field(default=True, description="Write checkpoints in a background thread.")
    export_hf: bool = Field(
        default=True,
        description="At the end, also write the final weights as a Hugging Face folder.",
    )


class WandbConfig(Config):
    """A Weights & Biases run that mirrors the metrics (needs ``pip install wandb``)."""

    project: str = Field(description="The W&B project the run is logged to.")
    name: str | None = Field(default=None, description="The run's name (default: W&B picks).")


class LoggingConfig(Config):
    """Metrics, TensorBoard, progress display and plots (metrics.jsonl gets every step)."""

    tensorboard: bool = Field(default=True, description="Also write TensorBoard event files.")
    progress: bool = Field(default=True, description="Show a progress bar / progress lines.")
    progress_interval_s: float = Field(
        default=10.0, ge=0, description="Seconds between progress lines when not on a terminal."
    )
    plots: bool = Field(default=True, description="Write PNG plots of the curves at the end.")
    wandb: WandbConfig | None = Field(
        default=None,
        description="Also log to Weights & Biases: {project, name}; None logs nowhere else.",
    )


class MeshConfig(Config):
    """Mesh axis sizes; exactly one may be -1, meaning "all remaining devices"."""

    data: int = Field(
        default=-1, description="Data-parallel replicas (-1: fill the remaining devices)."
    )
    fsdp: int = Field(
        default=1, description="Fully-sharded data parallel: splits batch and parameters."
    )
    tp: int = Field(
        default=1, description="Tensor parallel: splits each matmul's hidden dimension."
    )
    devices: int | None = Field(
        default=None,
        ge=1,
        description="Span only the first this many devices (one process only: e.g. 1 to leave "
        "the others to an inference server); None: every device of every process.",
    )

    @model_validator(mode="after")
    def _check_sizes(self) -> MeshConfig:
        sizes = {"data": self.data, "fsdp": self.fsdp, "tp": self.tp}
        for name, size in sizes.items():
            if size == 0 or size < -1:
                raise ValueError(f"got mesh.{name}={size}, need >= 1 or -1 (fill)")
        if list(sizes.values()).count(-1) > 1:
            raise ValueError(f"got mesh sizes {sizes}, need at most one -1")
        return self

    def resolve(self, num_devices: int) -> tuple[int, int, int]:
        """The concrete (data, fsdp, tp) sizes for `num_devices` devices.

        Raises:
            ConfigError: The sizes do not multiply to `num_devices`.
        """
        sizes = [self.data, self.fsdp, self.tp]
        fixed = math.prod(s for s in sizes if s != -1)
        if -1 in sizes:
            if num_devices % fixed:
                raise ConfigError(
                    f"got mesh {self._show()}: the fixed axes ({fixed} devices) do not divide "
                    f"the {num_devices} available devices"
                )
            sizes[sizes.index(-1)] = num_devices // fixed
        elif fixed != num_devices:
            raise ConfigError(
                f"got mesh {self._show()} = {fixed} devices, but {num_devices} are available; "
                "set one axis to -1 to fill"
            )
        data, fsdp, tp = sizes
        return data, fsdp, tp

    @staticmethod
    def overrides(text: str) -> dict[str, int]:
        """``{"data": 2, "tp": 2}`` from the command line's ``--mesh data=2,tp=2``.

        Raises:
            ConfigError: an axis that is not data, fsdp or tp, or a size that is not an int.
        """
        sizes: dict[str, int] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            axis, _, value = item.partition("=")
            axis = axis.strip()
            if axis not in ("data", "fsdp", "tp"):
                raise ConfigError(
                    f"got --mesh {text!r}: unknown axis {axis!r}, need data, fsdp or tp "
                    "(e.g. --mesh data=2,fsdp=2,tp=2)"
                )
            try:
                sizes[axis] = int(value)
            except ValueError:
                raise ConfigError(
                    f"got --mesh {text!r}: {axis}={value!r} is not a whole number (-1 fills)"
                ) from None
        if not sizes:
            raise ConfigError(f"got --mesh {text!r}, need e.g. data=2,fsdp=2,tp=2")
        return sizes

    @classmethod
    def from_flag(cls, text: str | None) -> MeshConfig:
        """The mesh of a ``--mesh`` flag (axes it leaves out keep their defaults); None: the
        default mesh (every device data-parallel)."""
        if text is None:
            return cls()
        try:
            return cls(**cls.overrides(text))
        except ValueError as e:  # pydantic's, naming the bad size
            raise ConfigError(f"got --mesh {text!r}: {e}") from None

    def _show(self) -> str:
        return f"data={self.data} x fsdp={self.fsdp} x tp={self.tp}"
