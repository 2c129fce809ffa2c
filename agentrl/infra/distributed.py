"""Many processes, one run: JAX's own multi-controller runtime (`jax.distributed.initialize`).

Every process runs the same program. `initialize` joins them (from explicit flags, or from
what a detected cluster, SLURM or a TPU pod, publishes); after it, ``jax.devices()`` lists the
devices of every process and one `Mesh` spans them. The helpers below are the few host-side
exchanges a run needs besides the SPMD update itself::

    initialize("10.0.0.1:1234", num_processes=2, process_id=0, timeout_s=300)
    mine = share(items)                  # this process's contiguous share of a list
    everything = gather_objects(results)  # every process's list, concatenated in process order
    if is_main(): write(...)             # process 0 alone writes the run folder

On one process every helper is the identity, and nothing here touches a plain machine.
"""

from __future__ import annotations

import os
import pickle
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from agentrl.errors import ConfigError

__all__ = [
    "agree",
    "barrier",
    "detect_cluster",
    "gather_objects",
    "gather_to_host",
    "initialize",
    "is_main",
    "share",
]

T = TypeVar("T")


def detect_cluster(environ: Mapping[str, str] | None = None) -> str | None:
    """The kind of multi-process launch this process is part of, or None on a plain machine.

    ``"slurm"``: an ``srun`` step of more than one task; ``"tpu"``: a worker of a TPU pod slice
    of several hosts; ``"mpi"``: an Open MPI job of more than one rank. A single-process job
    of any of them is a plain machine (there is nothing to join).
    """
    env = os.environ if environ is None else environ

    def count(name: str) -> int:
        try:
            return int(env.get(name, "1").split("(")[0])
        except ValueError:
            return 1

    if "SLURM_STEP_ID" in env and count("SLURM_STEP_NUM_TASKS") > 1:
        return "slurm"
    hosts = [h for h in env.get("TPU_WORKER_HOSTNAMES", "").split(",") if h.strip()]
    if len(hosts) > 1 and "TPU_WORKER_ID" in env:
        return "tpu"
    if count("OMPI_COMM_WORLD_SIZE") > 1:
        return "mpi"
    return None


def initialize(
    coordinator: str | None = None,
    *,
    num_processes: int | None = None,
    process_id: int | None = None,
    timeout_s: int = 300,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """Join the run's processes before any other JAX use; returns how ("flags", a detected
    cluster's kind) or None when there is nothing to join.

    With `coordinator`, `num_processes` and `process_id` (all three or none) it joins them
    explicitly; without, it calls ``jax.distributed.initialize()`` bare only where
    `detect_cluster` finds a launch of several processes.

    Raises:
        ConfigError: some flags without the others, a process id out of range, a malformed
            address, or a coordinator that did not answer within `timeout_s` seconds.
    """
    given = {
        "--coordinator": coordinator,
        "--num-processes": num_processes,
        "--process-id": process_id,
    }
    missing = [flag for flag, value in given.items() if value is None]
    if len(missing) not in (0, 3):
        raise ConfigError(
            f"got {', '.join(f for f in given if f not in missing)} without "
            f"{', '.join(missing)}: a multi-process run needs all three"
        )
    if timeout_s < 1:
        raise ConfigError(f"got --coordinator-timeout={timeout_s}, need >= 1 (seconds)")
    import jax

    if missing:
        kind = detect_cluster(environ)
        if kind is None:
            return None
        _cpu_collectives()
        try:
            jax.distributed.initialize(initialization_timeout=timeout_s)
        except (RuntimeError, ValueError) as e:
            raise ConfigError(f"could not join the {kind} job's processes: {e}") from None
        return kind
    assert coordinator is not None and num_processes is not None and process_id is not None
    if num_processes < 1:
        raise ConfigError(f"got --num-processes={num_processes}, need >= 1")
    if not 0 <= process_id < num_processes:
        raise ConfigError(
            f"got --process-id={process_id}, need 0 <= id < --num-processes={num_processes}"
        )
    host, _, port = coordinator.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"got --coordinator={coordinator!r}, need HOST:PORT")
    deadline = time.monotonic() + timeout_s
    if process_id == 0:
        _say(
            f"process 0 of {num_processes}: coordinator at {coordinator}, waiting up to "
            f"{timeout_s} s (--coordinator-timeout) for the others"
        )
    else:
        # JAX aborts the process (no exception) when its coordinator does not answer: wait
        # for the coordinator's port here first, to fail with an error naming it.
        _wait_for_port(host.strip("[]"), int(port), deadline, coordinator, process_id, timeout_s)
    _cpu_collectives()
    try:
        jax.distributed.initialize(
            coordinator,
            num_processes=num_processes,
            process_id=process_id,
            initialization_timeout=max(1, int(deadline - time.monotonic())),
        )
    except (RuntimeError, ValueError) as e:  # XlaRuntimeError is a RuntimeError
        raise ConfigError(
            f"process {process_id} of {num_processes} could not join the coordinator at "
            f"{coordinator} within --coordinator-timeout={timeout_s} s: {e}"
        ) from None
    return "flags"


def _cpu_collectives() -> None:
    """CPU devices of several processes need a collectives backend (accelerators bring their
    own): gloo, which ships with jaxlib, unless the environment chose one."""
    import jax

    if "JAX_CPU_COLLECTIVES_IMPLEMENTATION" not in os.environ:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")


def _wait_for_port(
    host: str, port: int, deadline: float, coordinator: str, process_id: int, timeout_s: int
) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError as e:
            if time.monotonic() >= deadline:
                raise ConfigError(
                    f"process {process_id}: no coordinator answered at {coordinator} within "
                    f"--coordinator-timeout={timeout_s} s ({e}); start process 0 there first, "
                    "or fix the address"
                ) from None
            time.sleep(0.2)


def _say(text: str) -> None:
    print(f"agentrl: {text}", file=sys.stderr, flush=True)


def is_main() -> bool:
    """Whether this process writes the run folder (process 0; always true on one process)."""
    import jax

    return jax.process_index() == 0


def share(items: Sequence[T]) -> list[T]:
    """This process's contiguous share of `items` (the first processes take one more when
    they do not split evenly)."""
    import jax

    n, i = jax.process_count(), jax.process_index()
    per, extra = divmod(len(items), n)
    start = i * per + min(i, extra)
    return list(items[start : start + per + (1 if i < extra else 0)])


def barrier(name: str) -> None:
    """Wait until every process reaches this point (nothing on one process)."""
    import jax

    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def agree(flag: bool) -> bool:
    """Process 0's `flag` on every process: decisions taken from a clock (a time budget)
    must be the same everywhere, or the processes' programs would part ways."""
    import jax

    if jax.process_count() == 1:
        return flag
    import numpy as np
    from jax.experimental import multihost_utils

    return bool(multihost_utils.broadcast_one_to_all(np.asarray(flag)))


def gather_objects(items: Sequence[Any]) -> list[Any]:
    """Every process's `items` (picklable), concatenated in process order; a collective:
    every process must call it at the same point."""
    import jax

    if jax.process_count() == 1:
        return list(items)
    import numpy as np
    from jax.experimental import multihost_utils

    payload = np.frombuffer(pickle.dumps(list(items)), np.uint8)
    sizes = multihost_utils.process_allgather(np.asarray([payload.size], np.int64))
    longest = int(np.max(sizes))
    padded = np.zeros(longest, np.uint8)
    padded[: payload.size] = payload
    stacked = np.asarray(multihost_utils.process_allgather(padded))
    out: list[Any] = []
    for row, size in zip(stacked.reshape(-1, longest), np.asarray(sizes).reshape(-1)):
        out += pickle.loads(row[: int(size)].tobytes())  # our own processes' bytes
    return out


def gather_to_host(tree: Any) -> Any:
    """NumPy copies of the full values of a pytree of (possibly process-spanning) arrays; a
    collective when any array spans processes."""
    import jax
    import numpy as np

    if jax.process_count() == 1:
        return jax.tree.map(np.asarray, tree)
    from jax.experimental import multihost_utils

    return jax.tree.map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))
