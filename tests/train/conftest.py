"""Fixtures of the `agentrl train` tests that run the CLI in subprocesses."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="module")
def jax_env(tmp_path_factory: Any) -> dict[str, str]:
    """A subprocess environment sharing one JAX compilation cache per test module, so only the
    first run of each program compiles (a cached executable is the same binary). One CPU
    device, as a user's laptop has (the default mesh spans every device; tests of a mesh ask
    for their devices themselves)."""
    cache = tmp_path_factory.mktemp("jax-cache")
    return {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=1",
        "JAX_PLATFORMS": "cpu",
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
