"""`ServerFleet`: the ``agentrl serve`` processes a run launches (``rollout.launch: N``).

Each server runs on a free loopback port, logs to ``RUN/servers/server-<i>.log`` (its process id
in ``server-<i>.pid``), and is stopped with the run. A supervisor thread restarts a server that
exits on its own, from the newest published weights folder (so it comes back on the current
policy, which it reads from the folder's manifest), and counts the restarts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentrl.errors import ServerLaunchError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class _Server:
    index: int
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    stopping: bool = False
    history: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ServerFleet:
    """Start `n` ``agentrl serve`` processes over the model folder `current()` names.

    Args:
        n: how many servers.
        log_dir: where each server's log goes.
        current: the folder to (re)start a server from: the newest published weights.
        serve_args: extra ``agentrl serve`` arguments (engine, batch size, context, seed).
        start_timeout_s: how long a server may take to answer ``/health``.
        on_restart: called (from the supervisor thread) with a restarted server's URL once
            it answers again.
    """

    def __init__(
        self,
        n: int,
        log_dir: str | Path,
        current: Callable[[], Path],
        *,
        serve_args: Sequence[str] = (),
        start_timeout_s: float = 180.0,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.current = current
        self.serve_args = list(serve_args)
        self.start_timeout_s = start_timeout_s
        self.on_restart = on_restart
        self.servers = [_Server(i, free_port(), self.log_dir / f"server-{i}.log") for i in range(n)]
        self._closed = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.restart_errors: list[str] = []

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    @property
    def restarts(self) -> int:
        return sum(s.restarts for s in self.servers)

    def start(self) -> ServerFleet:
        """Start every server (not waiting for them: see `wait_ready`)."""
        for server in self.servers:
            self._spawn(server)
        return self

    def wait_ready(self) -> None:
        """Block until every server answers ``/health``; then supervise them.

        Raises:
            ServerLaunchError: one exited or did not answer within ``start_timeout_s``.
        """
        for server in self.servers:
            self._wait(server)
        if self._supervisor is None:
            self._supervisor = threading.Thread(
                target=self._supervise, name="agentrl-fleet", daemon=True
            )
            self._supervisor.start()

    def _spawn(self, server: _Server, source: Path | None = None) -> None:
        cmd = [
            sys.executable, "-m", "agentrl", "serve", "--model", str(source or self.current()),
            "--port", str(server.port), "--served-model-name", "policy", *self.serve_args,
        ]  # fmt: skip
        log = open(server.log, "ab")  # noqa: SIM115 - the child owns it
        log.write(f"\n=== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
        log.flush()
        server.process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C on the trainer reaches us, not them
            preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        (self.log_dir / f"server-{server.index}.pid").write_text(f"{server.process.pid}\n")

    def _wait(self, server: _Server) -> None:
        import httpx

        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            process = server.process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                raise ServerLaunchError(
                    f"agentrl serve #{server.index} exited ({code}) while starting; "
                    f"{server.log}:\n{_tail(server.log)}"
                )
            try:
                if httpx.get(server.url + "/health", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self._closed.wait(0.25):
                return
        raise ServerLaunchError(
            f"agentrl serve #{server.index} on {server.url} did not answer /health within "
            f"{self.start_timeout_s:.0f}s; {server.log}:\n{_tail(server.log)}"
        )

    def _supervise(self) -> None:
        while not self._closed.wait(0.5):
            for server in self.servers:
                process = server.process
                if server.stopping or process is None or process.poll() is None:
                    continue
                note = f"server #{server.index} exited with {process.returncode}; restarting"
                server.history.append(note)
                print(f"agentrl: {note}", file=sys.stderr, flush=True)
                server.restarts += 1
                try:
                    self._restart(server)
                    if self.on_restart is not None and not self._closed.is_set():
                        self.on_restart(server.url)
                except Exception as e:  # counted; the client's retries cover the gap
                    self.restart_errors.append(f"server #{server.index}: {e}")

    def _restart(self, server: _Server, attempts: int = 3) -> None:
        """Start `server` again from the newest weights. A server takes seconds to load, and
        the trainer may publish newer versions meanwhile and prune the one it was loading:
        then it starts again from the newest, rather than counting a failure."""
        for attempt in range(attempts):
            source = self.current()
            try:
                self._spawn(server, source)
                self._wait(server)
                return
            except ServerLaunchError:
                if source.exists() or attempt == attempts - 1:
                    raise

    def kill(self, index: int) -> None:
        """Kill server `index` abruptly (as a crash would); the supervisor restarts it."""
        process = self.servers[index].process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        """Stop every server (SIGTERM, then SIGKILL after 10 s) and the supervisor."""
        self._closed.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=30)
        for server in self.servers:
            server.stopping = True
            process = server.process
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the trainer dies (even by SIGKILL), so no server
    outlives its run (Linux; elsewhere `ServerFleet.stop` is the only stop)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
