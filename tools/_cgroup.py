"""A pids cgroup per sandboxed run (root only): a task limit that binds root too, and the list
of every process the run started, even ones that left its process group, so all can be killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_STATE: dict[str, bool] = {}  # "available": whether creating one worked on this machine


def available() -> bool | None:
    """True/False once a run has tried to create a cgroup; None before."""
    return _STATE.get("available")


class PidsCgroup:
    """A pids cgroup for one run: a task limit that binds root too, and a list of every
    process the run started (even ones that left the process group), so all can be killed."""

    ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")  # cgroup v1 pids hierarchy, then v2
    THREAD_ALLOWANCE = 16  # pids.max counts threads as well as processes

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def create(cls, max_processes: int) -> PidsCgroup | None:
        if os.geteuid() != 0 or _STATE.get("available") is False:
            return None
        name = f"agentrl-sandbox-{os.getpid()}-{os.urandom(4).hex()}"
        for root in cls.ROOTS:
            _remove_stale_cgroups(root)
            path = os.path.join(root, name)
            try:
                os.mkdir(path)
            except OSError:
                continue
            try:
                Path(path, "pids.max").write_text(str(max_processes + 1 + cls.THREAD_ALLOWANCE))
            except OSError:
                os.rmdir(path)
                continue
            _STATE["available"] = True
            return cls(path)
        _STATE["available"] = False
        return None

    def add(self, pid: int) -> None:
        Path(self.path, "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        try:
            return [int(x) for x in Path(self.path, "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all_and_remove(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        for _ in range(50):  # the kernel frees the cgroup a moment after its last task exits
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


def _remove_stale_cgroups(root: str) -> None:
    """Remove empty cgroups left by runs of processes that died before cleaning up."""
    try:
        names = [n for n in os.listdir(root) if n.startswith("agentrl-sandbox-")]
    except OSError:
        return
    for name in names:
        owner = name.split("-")[2]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            with contextlib.suppress(OSError):  # still has processes: leave it
                os.rmdir(os.path.join(root, name))
