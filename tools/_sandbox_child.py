"""The first code a sandboxed Python process runs (stdlib only; executed with ``python -c``).

It reads the user's code from stdin, applies the resource limits, drops to the sandbox user when
started as root, confines its file access with Landlock where the parent asks for it, installs
an audit hook, and runs the code. The order matters: limits, the uid change and Landlock come
before any user code, and the audit hook comes last so that it never blocks the bootstrap's own
work. The hook cannot be removed once added (``sys.addaudithook``); it is a second line of
defence, the kernel's (rlimits, uid, Landlock, network namespace) is the first.
"""

import ast
import builtins
import importlib.util
import json
import linecache
import os
import resource
import socket
import sys
import traceback

EXIT_MEMORY = 86  # the parent reads this as "memory limit reached"
EXIT_SETUP = 87  # the sandbox could not be set up; the parent reports the message
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# audit event -> indices of its path arguments that name something to be created or changed
_PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.mkfifo": (0,),
    "os.mknod": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
}
_DIR_FD_ARG = {
    "os.remove": 1,
    "os.rmdir": 1,
    "os.mkdir": 2,
    "os.chmod": 2,
    "os.chown": 3,
    "os.utime": 3,
    "os.mkfifo": 2,
    "os.mknod": 3,
    "os.symlink": 2,
}
_PROGRAM_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.startfile",
)
_CTYPES_EVENTS = (
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.dlsym/handle",
    "ctypes.call_function",
    "ctypes.cdata",
    "ctypes.cdata/buffer",
)
_NET_EVENTS = (
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
)


class SandboxViolation(PermissionError):
    """Raised inside the sandbox when the code tries something the sandbox forbids."""


class SandboxImportBlocked(ImportError):
    """ctypes is off: libraries that probe for it with ``except ImportError`` keep working."""


def _set_limits(cfg):
    cpu = cfg["cpu_time_s"]
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL a second later
        resource.RLIMIT_AS: (cfg["memory_bytes"],) * 2,
        resource.RLIMIT_FSIZE: (cfg["file_size_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (cfg["max_open_files"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (cfg["nproc"],) * 2,
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)


def _drop_privileges(cfg):
    if cfg.get("uid") is None:
        return
    os.setgroups([])
    os.setgid(cfg["uid"])
    os.setuid(cfg["uid"])


def _load_landlock(cfg):
    """The `_landlock` module, loaded by path while the file is still readable (as root, or
    before the uid change); None when the parent asked for no Landlock rules."""
    rules = cfg.get("landlock")
    if not rules:
        return None
    spec = importlib.util.spec_from_file_location("_agentrl_landlock", rules["module"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _confine_files(cfg, landlock):
    if landlock is None:
        return
    rules = cfg["landlock"]
    landlock.restrict(rules["read"], [cfg["scratch"], *rules["write"]], rules["abi"])


def _resolve(path, dir_fd=None):
    if isinstance(path, int):
        path = f"/proc/self/fd/{path}"
    path = os.fsdecode(path)
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(path):  # -1: no dir_fd
        path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
    return os.path.realpath(path)


def _make_guard(cfg):
    scratch = os.path.realpath(cfg["scratch"])
    token_fd = cfg["token_fd"]
    max_processes = cfg["max_processes"]
    my_group = os.getpgrp()

    def inside(path, dir_fd=None):
        try:
            real = _resolve(path, dir_fd)
        except (OSError, TypeError, ValueError):
            return False  # cannot tell where it points: treat as outside
        return real == os.devnull or real == scratch or real.startswith(scratch + os.sep)

    def refuse(what):
        raise SandboxViolation(f"sandbox: {what} is not allowed")

    def guard(event, args):
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                flags & _WRITE_FLAGS
            )
            if writes and not isinstance(path, int) and not inside(path):
                refuse(f"writing to {os.fsdecode(path)!r} (outside the scratch directory)")
        elif event in _PATH_EVENTS:
            dir_index = _DIR_FD_ARG.get(event)
            dir_fd = args[dir_index] if dir_index is not None and dir_index < len(args) else None
            for index in _PATH_EVENTS[event]:
                if not inside(args[index], dir_fd):
                    refuse(f"{event} on {args[index]!r} (outside the scratch directory)")
        elif event in ("os.fork", "os.forkpty"):
            try:
                token = os.read(token_fd, 1)
            except BlockingIOError:
                token = b""
            if not token:
                raise BlockingIOError(11, f"sandbox: process limit reached ({max_processes})")
        elif event == "socket.__new__":
            if args[1] != socket.AF_UNIX:
                refuse("network access")
        elif event in _NET_EVENTS:
            refuse(f"network access ({event})")
        elif event in _PROGRAM_EVENTS:
            refuse(f"running programs ({event})")
        elif event in _CTYPES_EVENTS and not (event == "ctypes.dlopen" and args[0] is None):
            # `import ctypes` (sympy needs c_long) opens the main program; loading libraries,
            # finding symbols, calling foreign functions and raw addresses stay refused.
            raise SandboxImportBlocked(f"sandbox: ctypes foreign calls are not available ({event})")
        elif event in ("os.kill", "os.killpg"):
            target = args[0]
            group = target if event == "os.killpg" else _group_of(target, my_group)
            if group != my_group:
                refuse("signalling processes outside the sandbox")

    return guard


def _group_of(pid, my_group):
    """The process group a kill(pid) reaches (kill(0) is our own, kill(-g) is group g)."""
    if pid == 0:
        return my_group
    if pid < 0:
        return -pid
    try:
        return os.getpgid(pid)
    except OSError:
        return -1


def _no_escape(*args, **kwargs):
    raise SandboxViolation("sandbox: leaving the process group is not allowed")


def _run(code):
    """Run `code` as __main__; a final expression's value is printed, as in a notebook."""
    filename = "<code>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    tree = ast.parse(code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)
        if value is not None:
            print(repr(value))


def main():
    cfg = json.loads(sys.argv[1])
    code = sys.stdin.read()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.argv = ["<code>"]
    try:
        landlock = _load_landlock(cfg)
        _set_limits(cfg)
        _drop_privileges(cfg)
        _confine_files(cfg, landlock)
        os.set_blocking(cfg["token_fd"], False)
    except OSError as e:
        print(f"sandbox setup failed: {e}", file=sys.stderr)
        os._exit(EXIT_SETUP)
    for name in ("setsid", "setpgid", "setpgrp"):
        setattr(os, name, _no_escape)
    if cfg["audit_hook"]:
        sys.addaudithook(_make_guard(cfg))
    reserve = bytearray(1 << 16)  # freed on MemoryError so the report itself can be printed
    try:
        _run(code)
    except MemoryError:
        del reserve
        print(
            f"MemoryError: the sandbox's memory limit ({cfg['memory_bytes'] >> 20} MB) was reached",
            file=sys.stderr,
        )
        sys.stderr.flush()
        os._exit(EXIT_MEMORY)
    except SystemExit:
        raise
    except BaseException as e:
        # Show the user's frames (and the libraries they called), not the bootstrap's.
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename != "<string>"]
        if frames:
            sys.stderr.write("Traceback (most recent call last):\n")
            sys.stderr.write("".join(traceback.format_list(frames)))
        sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))
        sys.exit(1)


if __name__ == "__main__":
    main()
