"""When `agentrl.infra.distributed.initialize` joins other processes, and when it must not
(the two-process runs themselves are tests/train/test_multihost.py)."""

from __future__ import annotations

from typing import Any

import jax
import pytest

from agentrl.errors import ConfigError
from agentrl.infra import distributed
from agentrl.infra.distributed import detect_cluster, gather_objects, initialize, share


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        ({}, None),
        ({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4"}, None),  # sbatch's shell, not an srun step
        ({"SLURM_JOB_ID": "7", "SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "1"}, None),
        ({"SLURM_JOB_ID": "7", "SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "4"}, "slurm"),
        ({"TPU_WORKER_HOSTNAMES": "localhost", "TPU_WORKER_ID": "0"}, None),  # one host
        ({"TPU_WORKER_HOSTNAMES": "t-0,t-1", "TPU_WORKER_ID": "1"}, "tpu"),
        ({"OMPI_COMM_WORLD_SIZE": "2"}, "mpi"),
    ],
)
def test_detect_cluster(environ: dict[str, str], kind: str | None) -> None:
    assert detect_cluster(environ) == kind


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `jax.distributed.initialize` was called with (it is not really called)."""
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(jax.distributed, "initialize", lambda *a, **k: seen.append({"a": a, **k}))
    monkeypatch.setattr(distributed, "_cpu_collectives", lambda: None)
    return seen


def test_a_plain_machine_joins_nothing(calls: list[dict[str, Any]]) -> None:
    assert initialize(environ={}) is None
    assert calls == []


def test_a_detected_cluster_is_joined_bare(calls: list[dict[str, Any]]) -> None:
    environ = {"TPU_WORKER_HOSTNAMES": "t-0,t-1", "TPU_WORKER_ID": "0"}
    assert initialize(timeout_s=9, environ=environ) == "tpu"
    assert calls == [{"a": (), "initialization_timeout": 9}]


def test_flags_are_passed_on(calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    assert initialize("10.0.0.1:1234", num_processes=2, process_id=0, timeout_s=30) == "flags"
    (call,) = calls
    assert call["a"] == ("10.0.0.1:1234",)
    assert call["num_processes"] == 2 and call["process_id"] == 0
    assert 1 <= call["initialization_timeout"] <= 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coordinator": "h:1", "num_processes": 2}, "without --process-id"),
        ({"num_processes": 2}, "got --num-processes without --coordinator, --process-id"),
        ({"coordinator": "h:1", "num_processes": 2, "process_id": 2}, "need 0 <= id <"),
        ({"coordinator": "h:1", "num_processes": 2, "process_id": -1}, "--process-id=-1"),
        ({"coordinator": "h:1", "num_processes": 0, "process_id": 0}, "--num-processes=0"),
        ({"coordinator": "nohostport", "num_processes": 2, "process_id": 0}, "need HOST:PORT"),
        ({"coordinator": "h:1", "num_processes": 2, "process_id": 0, "timeout_s": 0}, ">= 1"),
    ],
)
def test_bad_flags_are_errors_naming_them(
    calls: list[dict[str, Any]], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        initialize(**kwargs)
    assert calls == []


def test_one_process_shares_and_gathers_everything() -> None:
    assert share([1, 2, 3]) == [1, 2, 3]
    assert gather_objects(["a", {"b": 1}]) == ["a", {"b": 1}]
