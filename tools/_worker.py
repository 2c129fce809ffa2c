"""A persistent helper process that runs one function with a hard timeout.

Threads cannot be stopped, so a computation that must be cut off for sure (sympy on a hostile
expression) runs in a separate process that is killed, and restarted on the next call, when it
overruns. The process is started once and reused, so the import cost is paid once.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import subprocess
import sys
import threading
import time
from typing import Any

from agentrl.errors import ToolError, WorkerError, WorkerTimeout


class Worker:
    """Call ``module:function`` in a child process, one call at a time.

    Args:
        target: ``"package.module:function"``; it takes JSON arguments and returns JSON.
        memory_mb: the child's address-space limit.
    """

    def __init__(self, target: str, *, memory_mb: int = 1024) -> None:
        self.target = target
        self.memory_mb = memory_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            code = (
                f"from agentrl.tools._worker import serve; serve({self.target!r}, {self.memory_mb})"
            )
            self._proc = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self._proc

    def call(self, *args: Any, timeout_s: float) -> Any:
        """Run the function on `args`; `WorkerTimeout` after `timeout_s` (startup included)."""
        with self._lock:
            proc = self._start()
            if proc.stdin is None or proc.stdout is None:
                raise WorkerError("the worker process has no pipes")
            try:
                proc.stdin.write(json.dumps(list(args)).encode() + b"\n")
                proc.stdin.flush()
                line = _read_line(proc.stdout.fileno(), time.monotonic() + timeout_s)
            except (BrokenPipeError, OSError, TimeoutError) as e:
                self.close()
                if isinstance(e, TimeoutError):
                    raise WorkerTimeout(f"timed out after {timeout_s:g} s") from None
                raise WorkerError(f"the worker process died ({e})") from None
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(reply["error"])
        return reply["ok"]

    def close(self) -> None:
        """Kill the process (the next call starts a new one)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
            self._proc = None

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError, TypeError):  # interpreter shutdown
            self.close()


def _read_line(fd: int, deadline: float) -> bytes:
    data = bytearray()
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, 65536)
        if not chunk:
            raise OSError("the worker closed its output")
        data += chunk
    return bytes(data)


def serve(target: str, memory_mb: int) -> None:
    """The child's loop: read a JSON argument list per line, answer ``{"ok"}`` or ``{"error"}``."""
    from agentrl.registration import load_entry_point

    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    function = load_entry_point(target)
    for line in sys.stdin:
        try:
            reply = {"ok": function(*json.loads(line))}
        except Exception as e:  # sent back to the caller as its error, not swallowed
            reply = {
                "error": f"{type(e).__name__}: {e}" if not isinstance(e, ToolError) else str(e)
            }
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
