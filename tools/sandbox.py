"""Run untrusted Python in a separate, limited process.

Each run gets a fresh process, a fresh scratch directory (its cwd, HOME and TMPDIR, deleted
afterwards) and these limits, each aimed at one way model-written code can hurt the host:

| limit            | mechanism                                   | guards against         |
|------------------|---------------------------------------------|------------------------|
| wall time        | the parent kills every process of the run   | sleeps, deadlocks      |
| CPU time         | RLIMIT_CPU (SIGXCPU, then SIGKILL)          | busy loops             |
| memory           | RLIMIT_AS (MemoryError)                     | memory bombs           |
| file size, fds   | RLIMIT_FSIZE, RLIMIT_NOFILE                 | huge files, fd leaks   |
| scratch size     | parent polls its size and file count        | filling the disk       |
| processes        | pids cgroup or own uid + RLIMIT_NPROC (as   | fork bombs             |
|                  | root), fork tokens; kill by cgroup/uid/pgid |                        |
| network          | ``unshare --net`` (as root), Landlock TCP   | exfiltration, attacks  |
|                  | rules, audit hook                           |                        |
| files            | Landlock: reads only the Python install,    | reading secrets, other |
|                  | scratch and listed paths; writes only       | runs' data; damaging   |
|                  | scratch; + audit hook on writes             | host files             |

Files. The code may read the Python installation it runs on (the entries of its ``sys.path``:
standard library, site-packages with numpy and sympy), the system's shared libraries
(``/lib``, ``/usr/lib``, ...), its scratch directory and the paths listed in
``SandboxLimits.read_paths``; it may write only its scratch directory (and ``/dev/null``).
Everything else, ``/etc/shadow``, the caller's home, the run folder, ``/proc`` and so other
processes' environments, is refused by the kernel, also through a symlink planted in scratch
and also for root. Mechanisms, in the order tried:

1. Landlock (Linux 5.13+; enabled by default on most distributions' kernels). Chosen first
   because it needs no privilege, no extra binary and no setup per run: the child calls three
   syscalls (``tools/_landlock.py``, ctypes) before any user code, the rules bind it and every
   process it starts and cannot be lifted. ABI 4+ also refuses TCP, ABI 6+ signals and abstract
   unix sockets outside the sandbox. It works the same as root and as an unprivileged user, in
   containers too (no user namespaces or mounts needed).
2. bubblewrap (``bwrap`` on PATH; distro package or a pip wheel): the child runs in a new mount
   namespace that holds only the same paths, bound read-only, scratch bound writable, a minimal
   ``/dev`` and no ``/proc``. For older kernels; it needs root or unprivileged user namespaces.
3. None: the run goes ahead, with a ``RuntimeWarning`` once per process saying the code can read
   whatever the caller can, and ``isolation()["files"]`` starting with ``"none"``. With
   ``require_isolation=True`` the run is refused instead (`ToolError`).

A hand-made mount namespace (``unshare --mount`` and bind mounts) is not a separate step: it is
what bubblewrap does, and needs the same privileges.

Started as root, the child runs in a new network namespace (only a down loopback) where
``unshare`` works, in its own pids cgroup where one can be created (the task limit binds root
too, and the cgroup lists every process the run started, so all are killed at the end), and as
an otherwise unused uid where the interpreter is readable by other users (RLIMIT_NPROC then
counts only the sandbox's processes, and file permissions protect the host's files). Not root,
it keeps the caller's uid: RLIMIT_NPROC is then set to the caller's current process count plus
the allowance, and the network is blocked by Landlock (TCP) and the audit hook. The audit
hook (``sys.addaudithook``) refuses sockets other than AF_UNIX, DNS, running programs, ctypes,
writes outside the scratch directory and signals to other process groups, and allows only
``max_processes`` forks in total (tokens in an inherited pipe). It cannot be removed, but code
that reaches raw syscalls (a C extension) can get past it; the kernel limits hold regardless.

The first run in a process prints which isolation is active to stderr (``agentrl: python
sandbox: ...``); `isolation` returns the same, and every `SandboxResult` carries it.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from agentrl.errors import ToolError

from ._cgroup import PidsCgroup
from ._cgroup import available as cgroups_available

_CHILD_SOURCE = (Path(__file__).with_name("_sandbox_child.py")).read_text()
_LANDLOCK_MODULE = str(Path(__file__).with_name("_landlock.py").resolve())
# Read-only beyond the interpreter's sys.path: shared libraries that extension modules load
# (libffi, libstdc++, ...), the loader's cache, and harmless devices.
_SYSTEM_READ_PATHS = (
    "/lib",
    "/lib64",
    "/lib32",
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib32",
    "/usr/local/lib",
    "/etc/ld.so.cache",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
)
_SYSTEM_WRITE_PATHS = ("/dev/null",)
EXIT_MEMORY = 86  # keep in sync with _sandbox_child.py
EXIT_SETUP = 87
_SANDBOX_UID_BASE = 1_700_000_000  # far above real users; a random one per run
MAX_SCRATCH_ENTRIES = 10_000  # files and folders in the scratch directory
_POLL_S = 0.1  # how often the parent checks the scratch directory's size


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed run.

    Attributes:
        wall_time_s: wall-clock seconds before the whole process group is killed.
        cpu_time_s: CPU seconds per process (RLIMIT_CPU).
        memory_mb: address space per process in MiB (RLIMIT_AS).
        file_size_mb: largest file a process may write, in MiB (RLIMIT_FSIZE).
        max_processes: processes the code may fork in total, beyond the first.
        max_open_files: file descriptors per process (RLIMIT_NOFILE).
        scratch_mb: disk space the scratch directory may use in all (checked every 0.1 s; it
            may also hold at most 10,000 entries).
        max_output_chars: the output kept (head and tail; the middle is cut and counted).
        isolate_network: run in a new network namespace when possible.
        use_cgroup: run in an own pids cgroup when possible.
        audit_hook: install the audit hook (off only to test the kernel layers alone).
        switch_user: run as an unused uid when started as root.
        read_paths: absolute paths (files or folders) the code may read besides the Python
            installation and its scratch directory, e.g. a dataset the env hands it.
        confine_files: confine file access with Landlock or bubblewrap where available (off
            only to test the other layers alone, or on purpose).
        require_isolation: refuse to run (`ToolError`) where no kernel mechanism confines file
            access, instead of running with a warning.
    """

    wall_time_s: float = 10.0
    cpu_time_s: int = 5
    memory_mb: int = 1024
    file_size_mb: int = 16
    max_processes: int = 8
    max_open_files: int = 64
    scratch_mb: int = 64
    max_output_chars: int = 8000
    isolate_network: bool = True
    use_cgroup: bool = True
    audit_hook: bool = True
    switch_user: bool = True
    read_paths: tuple[str, ...] = ()
    confine_files: bool = True
    require_isolation: bool = False

    def __post_init__(self) -> None:
        positive = (
            "wall_time_s",
            "cpu_time_s",
            "memory_mb",
            "file_size_mb",
            "max_open_files",
            "scratch_mb",
            "max_output_chars",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ToolError(f"got {name}={getattr(self, name)}, need > 0")
        if self.max_processes < 0:
            raise ToolError(f"got max_processes={self.max_processes}, need >= 0")
        if isinstance(self.read_paths, str | os.PathLike):
            raise ToolError(f"got read_paths={self.read_paths!r}, need a list of paths")
        paths = tuple(os.fspath(p) for p in self.read_paths)
        for path in paths:
            if not os.path.isabs(path):
                raise ToolError(f"read_paths must be absolute, got {path!r}")
            if not os.path.exists(path):
                raise ToolError(f"read_paths entry {path!r} does not exist")
        object.__setattr__(self, "read_paths", paths)
        if self.require_isolation and not self.confine_files:
            raise ToolError("require_isolation=True needs confine_files=True")


@dataclass(frozen=True)
class SandboxResult:
    """What a sandboxed run did.

    Attributes:
        output: stdout and stderr, interleaved, cut to the limit.
        exit_code: the process's exit status (negative: killed by that signal).
        reason: why it was stopped early ("wall time limit ...") or None if it ended itself.
        duration_s: wall-clock seconds.
        bytes_cut: output bytes dropped from the middle.
        isolation: the mechanisms that were active, for reports and tests.
    """

    output: str
    exit_code: int | None
    reason: str | None
    duration_s: float
    bytes_cut: int = 0
    isolation: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None and self.exit_code == 0

    def report(self) -> str:
        """The text the model reads: the output, then how the run ended if not cleanly."""
        parts = [self.output.rstrip("\n")] if self.output.strip() else []
        if self.reason is not None:
            parts.append(f"[sandbox: {self.reason}]")
        elif self.exit_code not in (0, None):
            parts.append(f"[sandbox: exited with status {self.exit_code}]")
        if not parts:
            parts.append("[no output]")
        return "\n".join(parts)


# -- what this machine allows -------------------------------------------------------------------
_PROBES: dict[str, bool] = {}


def _can_unshare_net() -> bool:
    if "net" not in _PROBES:
        unshare = shutil.which("unshare")
        ok = False
        if unshare and os.geteuid() == 0:
            try:
                probe = subprocess.run([unshare, "--net", "true"], capture_output=True, timeout=10)
                ok = probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                ok = False
        _PROBES["net"] = ok
    return _PROBES["net"]


_PROBE_LOCK = threading.Lock()  # envs step in threads; probe once
_FILES: dict[str, object] = {}
# Run once in the child's interpreter (same flags): its sys.path is what the code may import,
# and a real restriction shows whether Landlock binds here (a seccomp filter or an LSM setting
# can let the ABI query pass and refuse the rest).
_FILES_PROBE = """
import importlib.util, json, sys, sysconfig
spec = importlib.util.spec_from_file_location("_agentrl_landlock", sys.argv[1])
landlock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(landlock)
paths = [p for p in [*sys.path, sysconfig.get_config_var("LIBDIR")] if p]
abi, reason = landlock.abi_version(), landlock.why_unavailable()
if abi:
    try:
        landlock.restrict([], [], abi)
        open(sys.executable, "rb").close()
        abi, reason = 0, "Landlock rules did not bind (a test read was allowed)"
    except PermissionError:
        pass
    except OSError as e:
        abi, reason = 0, str(e)
print(json.dumps({"paths": paths, "abi": abi, "reason": reason}))
"""


def _files_probe() -> dict:
    """{"paths": the child interpreter's sys.path, "abi": Landlock ABI that binds or 0,
    "reason": why not, "bwrap": a working bwrap or ""}; probed once per process."""
    with _PROBE_LOCK:
        if not _FILES:
            _FILES.update(_probe_files())
        return _FILES


def _probe_files() -> dict:
    found: dict = {"paths": [p for p in sys.path if p], "abi": 0, "reason": "", "bwrap": ""}
    try:
        probe = subprocess.run(
            [sys.executable, "-I", "-B", "-c", _FILES_PROBE, _LANDLOCK_MODULE],
            capture_output=True,
            timeout=30,
            env=_environment(tempfile.gettempdir()),
        )
        found.update(json.loads(probe.stdout))
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        found["reason"] = f"the Landlock probe failed: {e}"
    bwrap = shutil.which("bwrap")
    if bwrap:
        try:
            check = subprocess.run(
                [
                    bwrap,
                    *_bwrap_binds([*found["paths"], *_SYSTEM_READ_PATHS], ()),
                    "--",
                    sys.executable,
                    "-I",
                    "-c",
                    "import numpy",
                ],
                capture_output=True,
                timeout=30,
            )
            if check.returncode == 0:
                found["bwrap"] = bwrap
            else:
                found["bwrap_reason"] = check.stderr.decode(errors="replace").strip()[:200]
        except (OSError, subprocess.SubprocessError) as e:
            found["bwrap_reason"] = str(e)
    return found


def _read_paths(limits: SandboxLimits, python_paths: list[str]) -> list[str]:
    return list(dict.fromkeys([*python_paths, *_SYSTEM_READ_PATHS, *limits.read_paths]))


def _bwrap_binds(read: list[str], write: tuple[str, ...]) -> list[str]:
    """bwrap arguments for a new root holding `read` read-only, `write` writable, a minimal
    /dev and no /proc (without a pid namespace it would show every host process)."""
    startup = [  # what the interpreter reads before any code runs, inside bwrap
        os.path.join(sys.prefix, "pyvenv.cfg"),
        os.path.dirname(sys.executable),
        os.path.dirname(os.path.realpath(sys.executable)),
    ]
    args = ["--die-with-parent", "--unshare-ipc", "--dev", "/dev"]
    for path in dict.fromkeys([*read, *startup]):
        if not path.startswith("/dev/"):
            args += ["--ro-bind-try", path, path]
    for path in write:
        args += ["--bind", path, path]
    return args


def files_mechanism(limits: SandboxLimits) -> str:
    """Which confines files: landlock, bwrap, none (nothing here) or off (confine_files=False)."""
    if not limits.confine_files:
        return "off"
    probe = _files_probe()
    if probe["abi"]:
        return "landlock"
    return "bwrap" if probe["bwrap"] else "none"


def _describe_files(limits: SandboxLimits) -> str:
    mechanism = files_mechanism(limits)
    listed = f", {len(limits.read_paths)} listed path(s)" if limits.read_paths else ""
    scope = f"reads the Python installation, scratch{listed}; writes scratch"
    if mechanism == "landlock":
        return f"landlock ABI {_files_probe()['abi']} ({scope})"
    if mechanism == "bwrap":
        return f"bubblewrap mount namespace ({scope})"
    if mechanism == "off":
        return "none: confine_files=False; the code can read any file the caller can"
    probe = _files_probe()
    bwrap = probe.get("bwrap_reason") or "bwrap is not installed"
    return (
        f"none: Landlock unavailable ({probe['reason']}); bubblewrap unavailable ({bwrap}); "
        "the code can read any file the caller can"
    )


def _world_readable(path: str) -> bool:
    """Whether a user with no rights but "other" can reach and read `path`."""
    current = Path(path).resolve()
    for folder in (current, *current.parents):
        try:
            if folder.stat().st_mode & 0o005 != 0o005:
                return False
        except OSError:
            return False
    return True


def _uid_range() -> tuple[int, int] | None:
    """A block of 10^8 uids we may switch to: root only, the uid map must cover it, and the
    interpreter and its libraries must be readable by a stranger (not so under /root/.pyenv)."""
    if "uids" in _PROBES:
        return (_SANDBOX_UID_BASE, _SANDBOX_UID_BASE + 10**8) if _PROBES["uids"] else None
    _PROBES["uids"] = False
    if os.geteuid() != 0:
        return None
    libraries = {
        sys.base_prefix,
        sys.prefix,
        os.path.dirname(os.__file__),
        sysconfig.get_paths()["purelib"],
        os.path.dirname(sys.executable),
    }
    if not all(_world_readable(p) for p in libraries):
        return None
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) == 3:
            inside, count = int(fields[0]), int(fields[2])
            if inside <= _SANDBOX_UID_BASE and inside + count >= _SANDBOX_UID_BASE + 10**8:
                _PROBES["uids"] = True
                return _SANDBOX_UID_BASE, _SANDBOX_UID_BASE + 10**8
    return None


def _processes_of(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


_THREAD_SLACK = 8


def _threads_of(uid: int) -> int:
    count = 0
    for pid in _processes_of(uid):
        with contextlib.suppress(OSError):
            count += len(os.listdir(f"/proc/{pid}/task"))
    return count


def isolation(limits: SandboxLimits) -> dict[str, str]:
    """Which mechanisms a run with `limits` gets on this machine."""
    mechanism = files_mechanism(limits)
    netns = limits.isolate_network and _can_unshare_net()
    switch = _switches_user(limits)
    hook = "audit hook" if limits.audit_hook else ""
    tcp = "landlock tcp" if mechanism == "landlock" and int(_files_probe()["abi"]) >= 4 else ""
    cgroup = "pids cgroup" if limits.use_cgroup and cgroups_available() else ""
    tokens = "fork tokens" if limits.audit_hook else ""
    return {
        "files": _describe_files(limits),
        "network": " + ".join(x for x in ("netns" if netns else "", tcp, hook) if x) or "open",
        "user": "own uid" if switch else "caller's uid",
        "processes": " + ".join(x for x in ("RLIMIT_NPROC", cgroup, tokens) if x),
    }


def _switches_user(limits: SandboxLimits) -> bool:
    # Inside bwrap the child has no CAP_SETUID; the mount namespace guards the files instead.
    return limits.switch_user and files_mechanism(limits) != "bwrap" and _uid_range() is not None


_ANNOUNCED: set[str] = set()


def _announce(limits: SandboxLimits, info: dict[str, str]) -> None:
    """Say once per process which isolation is active, and warn loudly if files are open."""
    line = "; ".join(f"{key}: {value}" for key, value in info.items())
    with _PROBE_LOCK:
        if line in _ANNOUNCED:
            return
        _ANNOUNCED.add(line)
    print(f"agentrl: python sandbox isolation: {line}", file=sys.stderr)
    if info["files"].startswith("none"):
        warnings.warn(
            f"agentrl python sandbox: NO FILE ISOLATION. {info['files']}: the host's secrets "
            "(SSH keys, tokens, other runs' data) can end up in trajectories. Pass "
            "require_isolation=True to refuse instead.",
            RuntimeWarning,
            stacklevel=3,
        )


# -- running ------------------------------------------------------------------------------------
class _OutputCollector(threading.Thread):
    """Drain a pipe, keeping its first and last bytes and counting the ones dropped."""

    def __init__(self, stream: object, head_bytes: int, tail_bytes: int) -> None:
        super().__init__(daemon=True, name="sandbox-output")
        self.stream = stream
        self.head = bytearray()
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_len = 0
        self.head_bytes, self.tail_bytes = head_bytes, tail_bytes
        self.total = 0

    def run(self) -> None:
        fd = self.stream.fileno()  # type: ignore[attr-defined]
        while chunk := os.read(fd, 65536):
            self.total += len(chunk)
            room = self.head_bytes - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail.append(chunk)
                self.tail_len += len(chunk)
                while self.tail_len - len(self.tail[0]) >= self.tail_bytes:
                    self.tail_len -= len(self.tail.popleft())

    def text(self) -> tuple[str, int]:
        tail = b"".join(self.tail)[-self.tail_bytes :] if self.tail else b""
        cut = self.total - len(self.head) - len(tail)
        middle = f"\n[... {cut} bytes of output cut ...]\n".encode() if cut > 0 else b""
        return (bytes(self.head) + middle + tail).decode("utf-8", errors="replace"), cut


def _child_config(limits: SandboxLimits, scratch: str, uid: int | None, token_fd: int) -> dict:
    if uid is not None:
        nproc = limits.max_processes + 1
    else:  # RLIMIT_NPROC counts every thread of the caller's uid: allow the current ones, the
        # few this run and concurrent ones may start meanwhile, plus ours
        nproc = _threads_of(os.getuid()) + _THREAD_SLACK + limits.max_processes + 1
    return {
        "cpu_time_s": int(limits.cpu_time_s),
        "memory_bytes": limits.memory_mb << 20,
        "file_size_bytes": limits.file_size_mb << 20,
        "max_open_files": limits.max_open_files,
        "nproc": nproc,
        "max_processes": limits.max_processes,
        "uid": uid,
        "scratch": scratch,
        "token_fd": token_fd,
        "audit_hook": limits.audit_hook,
        "landlock": _landlock_rules(limits) if files_mechanism(limits) == "landlock" else None,
    }


def _landlock_rules(limits: SandboxLimits) -> dict:
    probe = _files_probe()
    return {
        "module": _LANDLOCK_MODULE,
        "abi": probe["abi"],
        "read": _read_paths(limits, list(probe["paths"])),
        "write": list(_SYSTEM_WRITE_PATHS),  # scratch is added by the child
    }


def _environment(scratch: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",  # numeric libraries must not start a thread per core
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _children_of(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _kill_all(proc: subprocess.Popen[bytes], uid: int | None) -> None:
    """SIGKILL the run's process group and, with an own uid, every process of that uid."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if uid is None:
        return
    for _ in range(20):  # a fork bomb may still be forking while we kill: repeat until none
        pids = _processes_of(uid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _scratch_usage(scratch: str, byte_limit: int) -> tuple[int, int]:
    """(bytes on disk, entries) under `scratch`, counting stops early once over a limit."""
    used, entries, stack = 0, 0, [scratch]
    while stack and used <= byte_limit and entries <= MAX_SCRATCH_ENTRIES:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    stat = entry.stat(follow_symlinks=False)
                    used += stat.st_blocks * 512  # blocks, not st_size: sparse files are free
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return used, entries


def _watch(proc: subprocess.Popen[bytes], limits: SandboxLimits, scratch: str) -> str | None:
    """Wait for the child; "wall" or "scratch" if it must be stopped, None if it ended."""
    deadline = time.monotonic() + limits.wall_time_s
    byte_limit = limits.scratch_mb << 20
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            proc.wait(timeout=min(_POLL_S, remaining))
            return None
        except subprocess.TimeoutExpired:
            used, entries = _scratch_usage(scratch, byte_limit)
            if used > byte_limit or entries > MAX_SCRATCH_ENTRIES:
                return "scratch"
    return None if proc.poll() is not None else "wall"


def _reason(limits: SandboxLimits, code: int | None, stopped: str | None, setup: str) -> str | None:
    if stopped == "wall":
        return f"killed: wall time limit ({limits.wall_time_s:g} s) exceeded"
    if stopped == "scratch":
        return (
            f"killed: scratch directory limit ({limits.scratch_mb} MB, "
            f"{MAX_SCRATCH_ENTRIES} files) exceeded"
        )
    if code == EXIT_MEMORY:
        return f"killed: memory limit ({limits.memory_mb} MB) reached"
    if code == EXIT_SETUP:
        raise ToolError(f"the sandbox could not be set up: {setup.strip()}")
    if code is not None and code < 0:
        sig = signal.Signals(-code)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return f"killed: CPU time limit ({limits.cpu_time_s} s) exceeded"
        if sig == signal.SIGXFSZ:
            return f"killed: file size limit ({limits.file_size_mb} MB) exceeded"
        return f"crashed: killed by signal {sig.name}"
    return None


def run_python(code: str, limits: SandboxLimits | None = None) -> SandboxResult:
    """Run `code` in a fresh sandboxed Python process and report what happened.

    Never raises for anything the code does; raises `ToolError` only if the sandbox itself
    cannot be set up on this machine.
    """
    limits = limits or SandboxLimits()
    if not isinstance(code, str):
        raise ToolError(f"code must be a str, got {type(code).__name__}")
    info = isolation(limits)
    if limits.require_isolation and info["files"].startswith("none"):
        raise ToolError(
            f"require_isolation=True but no kernel mechanism confines the sandbox's files here: "
            f"{info['files']}"
        )
    _announce(limits, info)
    span = _uid_range() if _switches_user(limits) else None
    uid = span[0] + int.from_bytes(os.urandom(4), "little") % (span[1] - span[0]) if span else None
    scratch = tempfile.mkdtemp(prefix="agentrl-sandbox-")
    read_fd, write_fd = os.pipe()
    try:
        if uid is not None:
            os.chown(scratch, uid, uid)
        os.write(write_fd, b"t" * limits.max_processes)  # one token per allowed fork
        # Close each descriptor exactly once: a second close could hit a descriptor another
        # thread (a concurrent run) has just opened under the same number.
        os.close(write_fd)
        write_fd = -1
        return _run(code, limits, scratch, uid, read_fd, info)
    finally:
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        shutil.rmtree(scratch, ignore_errors=True)


def _run(
    code: str,
    limits: SandboxLimits,
    scratch: str,
    uid: int | None,
    token_fd: int,
    info: dict[str, str],
) -> SandboxResult:
    netns = limits.isolate_network and _can_unshare_net()
    bwrap = files_mechanism(limits) == "bwrap"
    if bwrap:
        probe = _files_probe()
        read = _read_paths(limits, list(probe["paths"]))
        binds = _bwrap_binds(read, (scratch,))  # --dev provides /dev/null
        prefix = [str(probe["bwrap"]), *binds, *(["--unshare-net"] if netns else []), "--"]
    elif netns:
        prefix = [shutil.which("unshare") or "unshare", "--net", "--"]
    else:
        prefix = []
    config = json.dumps(_child_config(limits, scratch, uid, token_fd))
    command = [*prefix, sys.executable, "-I", "-B", "-u", "-X", "utf8", "-c", _CHILD_SOURCE, config]
    start = time.monotonic()
    cgroup = PidsCgroup.create(limits.max_processes) if limits.use_cgroup else None
    proc = subprocess.Popen(
        command,
        cwd=scratch,
        env=_environment(scratch),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=(token_fd,),
    )
    collector = _OutputCollector(proc.stdout, limits.max_output_chars * 2, limits.max_output_chars)
    collector.start()
    stopped: str | None = None
    try:
        if cgroup is not None:  # before the code is sent: the child is still waiting on stdin
            with contextlib.suppress(OSError):  # if it fails the other layers still hold
                cgroup.add(proc.pid)
                if bwrap:  # its child may have been forked before: move it too
                    for pid in _children_of(proc.pid):
                        cgroup.add(pid)
        try:
            if proc.stdin is not None:
                proc.stdin.write(code.encode("utf-8", errors="surrogatepass"))
                proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the child died before reading its code; its exit status says why
        stopped = _watch(proc, limits, scratch)
    finally:
        _kill_all(proc, uid)
        if cgroup is not None:
            cgroup.kill_all_and_remove()
        proc.wait()
        collector.join(timeout=2.0)
        if proc.stdout is not None:
            proc.stdout.close()
    output, cut = collector.text()
    status = proc.returncode
    if bwrap and status is not None and status > 128:  # bwrap exits 128 + N for a child killed by N
        status = 128 - status
    return SandboxResult(
        output=output,
        exit_code=status,
        reason=_reason(limits, status, stopped, output),
        duration_s=time.monotonic() - start,
        bytes_cut=max(cut, 0),
        isolation=info,
    )
