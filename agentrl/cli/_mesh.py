"""The ``--mesh data=N,fsdp=N,tp=N`` flag every model-running command takes (train, eval,
generate, serve): one syntax for the device mesh, the same axes as ``--set mesh.AXIS=N``."""

from __future__ import annotations

import argparse
from typing import Any

HELP = (
    "device mesh axis sizes over every device, e.g. data=2,fsdp=2,tp=2; one may be -1 (fills "
    "the rest); axes left out keep their defaults (default: every device data-parallel)"
)


def add_mesh_argument(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument("--mesh", metavar="data=N,fsdp=N,tp=N", help=HELP)


def build_mesh(text: str | None) -> Any:
    """The ``jax.sharding.Mesh`` of a ``--mesh`` flag (None: the default mesh).

    Raises:
        ConfigError: a bad flag, or sizes that do not multiply to the device count.
    """
    from agentrl.infra.configs import MeshConfig
    from agentrl.infra.mesh import make_mesh

    return make_mesh(MeshConfig.from_flag(text))
