"""Test-wide setup. Eight fake CPU devices stand in for a device mesh; they must be requested
before jax is first imported, which is why this happens at the top of conftest."""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real data files of ../shared/data; the test is skipped where they are absent, and
    fails instead under ``AGENTRL_REQUIRE_REALDATA=1`` (CI), so a missing folder cannot turn
    the real-data tests into silent skips."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("AGENTRL_REQUIRE_REALDATA") == "1":
            pytest.fail(f"{SHARED_DATA} is not present and AGENTRL_REQUIRE_REALDATA=1")
        pytest.skip(f"{SHARED_DATA} is not present")
    return SHARED_DATA
