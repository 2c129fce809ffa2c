"""agentrl.infra.configs: the infrastructure's config sections, importable without jax."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agentrl.config import Config, load_config
from agentrl.errors import ConfigError
from agentrl.infra.configs import CheckpointConfig, LoggingConfig, MeshConfig


class TrainLike(Config):
    checkpoint: CheckpointConfig = CheckpointConfig()
    logging: LoggingConfig = LoggingConfig()
    mesh: MeshConfig = MeshConfig()


def test_sections_nest_and_take_dotted_overrides():
    cfg = load_config(
        TrainLike, None, ["checkpoint.every=50", "logging.tensorboard=false", "mesh.fsdp=2"]
    )
    assert cfg.checkpoint.every == 50 and cfg.checkpoint.keep == 3
    assert cfg.logging.tensorboard is False
    assert cfg.mesh.resolve(8) == (4, 2, 1)


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ("checkpoint.every=0", r"checkpoint\.every=0, need: input should be greater than or"),
        ("checkpoint.kep=2", r"`checkpoint\.kep`.*Did you mean `keep`"),
        ("logging.progress_interval_s=-1", r"logging\.progress_interval_s=-1"),
        ("mesh.data=-2", r"mesh\.data=-2, need >= 1 or -1"),
    ],
)
def test_bad_values_name_the_key(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(TrainLike, None, [override])


def test_importing_configs_and_run_dir_does_not_load_jax():
    code = (
        "import sys, agentrl.infra, agentrl.infra.configs, agentrl.infra.run_dir; "
        "print('jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_package_exports_resolve_lazily():
    import agentrl.infra as infra

    for name in infra.__all__:
        assert getattr(infra, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = infra.nope
