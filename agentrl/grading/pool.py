"""A small pool of sympy worker processes with a hard per-request time limit.

Each request goes to one idle worker; the caller waits at most `timeout` seconds for its answer
(select on the worker's stdout), and on expiry the worker is killed and a fresh one started in
its place, so a pathological expression costs one worker, never the caller. Safe to call from
any number of threads: a thread waits for an idle worker, and every request holding one is
bounded. Worker start-up (the sympy import) is bounded separately by `startup_timeout` and is
not charged to the request. POSIX only (select on pipes).
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from agentrl.errors import ConfigError, GradingError


class _WorkerDied(Exception):
    """The worker process exited (crashed, or was killed from outside)."""

    def __init__(self, message: str, *, starting: bool = False) -> None:
        super().__init__(message)
        self.starting = starting


# The worker imports agentrl from wherever this process did, installed or not.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class _Worker:
    command: tuple[str, ...] = (sys.executable, "-m", "agentrl.grading._worker")

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            list(self.command),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self._buffer = b""
        self.ready = False
        self.served = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            line = self._readline(time.monotonic() + timeout)
        except _WorkerDied as e:
            raise _WorkerDied(str(e), starting=True) from e
        if line is None or not line.get("ready"):
            self.kill()
            raise GradingError(f"grader worker did not start within {timeout:g}s")
        self.ready = True

    def request(self, payload: dict[str, str], timeout: float) -> dict[str, Any] | None:
        """The worker's reply, or None if it did not answer within `timeout`.

        Raises:
            _WorkerDied: the process is gone.
        """
        try:
            self._stdin.write((json.dumps(payload) + "\n").encode())
        except OSError as e:  # BrokenPipeError: it died since the last request
            raise _WorkerDied(str(e)) from e
        return self._readline(time.monotonic() + timeout)

    @property
    def _stdin(self) -> IO[bytes]:
        if self.proc.stdin is None:
            raise _WorkerDied("no stdin")
        return self.proc.stdin

    def _readline(self, deadline: float) -> dict[str, Any] | None:
        if self.proc.stdout is None:
            raise _WorkerDied("no stdout")
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _WorkerDied(f"grader worker {self.pid} exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


class WorkerPool:
    """`size` sympy workers, started on first use.

    Args:
        size: number of worker processes (requests beyond it wait for an idle worker).
        startup_timeout: seconds a new worker may take to import sympy.
        max_requests: a worker is replaced after this many requests, so that sympy's caches
            and any leak stay bounded in long runs.
    """

    def __init__(
        self, size: int = 2, *, startup_timeout: float = 60.0, max_requests: int = 5000
    ) -> None:
        if not isinstance(size, int) or size < 1:
            raise ConfigError(f"got size={size!r}, need an int >= 1")
        self.size = size
        self.startup_timeout = startup_timeout
        if not isinstance(max_requests, int) or max_requests < 1:
            raise ConfigError(f"got max_requests={max_requests!r}, need an int >= 1")
        self.max_requests = max_requests
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(size):
            self._idle.put(None)
        self.restarts = 0
        self._owner_pid = os.getpid()  # only the process that started the workers kills them

    def run(self, pred: str, gold: str, timeout: float) -> dict[str, Any]:
        """Compare with sympy in a worker: ``{"verdict", "reason"}``; verdict "timeout" when the
        worker had to be killed."""
        worker = self._idle.get()
        died: _WorkerDied | None = None
        try:
            for _attempt in range(2):  # a worker found dead is replaced once
                if worker is None or not worker.alive():
                    worker = _Worker()
                try:
                    worker.wait_ready(self.startup_timeout)
                    reply = worker.request({"pred": pred, "gold": gold}, timeout)
                except _WorkerDied as e:
                    worker.kill()
                    worker, died = None, e
                    continue
                if reply is None:
                    worker.kill()
                    worker = _Worker()  # warms up while the caller goes on
                    self.restarts += 1
                    return {
                        "verdict": "timeout",
                        "reason": f"sympy took over {timeout:.3g}s; killed",
                    }
                worker.served += 1
                if worker.served >= self.max_requests:
                    worker.kill()
                    worker = _Worker()  # a fresh one warms up while the caller goes on
                return reply
            if died is not None and died.starting:
                raise GradingError(
                    f"grader workers keep exiting during start-up ({died}); run "
                    f"`{sys.executable} -m agentrl.grading._worker` to see why"
                )
            return {"verdict": "timeout", "reason": "the grader worker crashed on this input"}
        except BaseException:
            # Interrupted mid-request (or failed to start): a worker that may still owe a
            # reply must not serve the next caller, who would read that stale reply.
            if worker is not None:
                worker.kill()
            worker = None
            raise
        finally:
            self._idle.put(worker)

    def warm(self) -> None:
        """Start every worker now and wait until each has imported sympy."""
        drained = self._drain()
        started = [w if w is not None and w.alive() else _Worker() for w in drained]
        try:
            for w in started:  # they import sympy in parallel
                w.wait_ready(self.startup_timeout)
        finally:
            for w in started:
                self._idle.put(w)

    def pids(self) -> list[int]:
        """Process ids of the idle workers that are running (for tests and diagnostics)."""
        workers = self._drain()
        try:
            return [w.pid for w in workers if w is not None and w.alive()]
        finally:
            for w in workers:
                self._idle.put(w)

    def close(self) -> None:
        """Kill every idle worker; the pool restarts them if used again."""
        workers = self._drain()
        for w in workers:
            if w is not None and os.getpid() == self._owner_pid:
                w.kill()
            self._idle.put(None)

    def _drain(self) -> list[_Worker | None]:
        workers = []
        for _ in range(self.size):
            workers.append(self._idle.get())
        return workers


_default: WorkerPool | None = None
_default_pid = 0
_default_lock = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool (size from ``AGENTRL_GRADER_WORKERS``, default 2). A forked child
    gets a pool of its own instead of sharing its parent's worker pipes."""
    global _default, _default_pid
    with _default_lock:
        if _default is None or _default_pid != os.getpid():
            _default_pid = os.getpid()
            raw = os.environ.get("AGENTRL_GRADER_WORKERS", "2")
            if not raw.strip().isdigit():
                raise ConfigError(f"got AGENTRL_GRADER_WORKERS={raw!r}, need an int >= 1")
            _default = WorkerPool(int(raw))
            atexit.register(_default.close)
        return _default
