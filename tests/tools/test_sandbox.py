"""The python tool's sandbox survives hostile code: each attack is reported to the model, the
host is unharmed and no process of the run is left behind. Limits are small to keep this fast."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agentrl.messages import ToolCall
from agentrl.tools._cgroup import PidsCgroup
from agentrl.tools.base import execute_tool_calls
from agentrl.tools.python import PythonTool
from agentrl.tools.sandbox import SandboxLimits, isolation, run_python

# Code that ends by itself gets a generous wall clock (the machine may be busy); code that
# must be killed gets 1.5 s.
LIMITS = SandboxLimits(
    wall_time_s=20,
    cpu_time_s=1,
    memory_mb=256,
    file_size_mb=1,
    max_processes=4,
    max_output_chars=2000,
)
KILL_LIMITS = SandboxLimits(**{**LIMITS.__dict__, "wall_time_s": 1.5})
PRINT_SCRATCH = "import os\nprint(os.getcwd(), flush=True)\n"


def processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line contains `marker` (the run's scratch path is in the
    child's argv, and forked children inherit it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def assert_host_unharmed(output: str) -> None:
    scratch = output.splitlines()[0].strip()
    assert scratch.startswith("/") and "agentrl-sandbox-" in scratch, output[:200]
    assert not os.path.exists(scratch), "the scratch directory was not deleted"
    assert processes_mentioning(scratch) == [], "processes of the run are still alive"
    # The host still works: it can start processes and run another sandbox.
    assert subprocess.run([sys.executable, "-c", "print(1)"], capture_output=True).stdout == b"1\n"
    assert run_python("print(6 * 7)", LIMITS).output == "42\n"


FORK_BOMB = (
    PRINT_SCRATCH
    + """
import time
forked, error = 0, None
for _ in range(50):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        forked += 1
    except OSError as e:
        error = e
print("forked", forked, "error:", error, flush=True)
while True:  # and now the real bomb
    try:
        os.fork()
    except OSError:
        pass
"""
)


@pytest.mark.parametrize("kernel_layers", [True, False], ids=["all-layers", "no-cgroup-no-netns"])
def test_fork_bomb_is_contained_reported_and_cleaned_up(kernel_layers):
    """Also without the root-only layers (what a non-root caller gets, but for RLIMIT_NPROC)."""
    limits = SandboxLimits(
        **{**KILL_LIMITS.__dict__, "use_cgroup": kernel_layers, "isolate_network": kernel_layers}
    )
    result = run_python(FORK_BOMB, limits)
    assert "forked 4 error: [Errno 11] sandbox: process limit reached (4)" in result.output
    assert result.reason is not None and result.reason.startswith("killed:")
    assert "[sandbox: killed:" in result.report()
    assert_host_unharmed(result.output)


def test_process_limit_holds_without_the_audit_hook():
    """The kernel layer alone (pids cgroup, or RLIMIT_NPROC on an own uid) stops a fork loop."""
    limits = SandboxLimits(**{**LIMITS.__dict__, "audit_hook": False})
    info = isolation(limits)
    if "pids cgroup" not in info["processes"] and info["user"] != "own uid":
        run_python("pass", limits)  # the first run probes the cgroup
        info = isolation(limits)
    if "pids cgroup" not in info["processes"] and info["user"] != "own uid":
        pytest.skip(f"no kernel process limit binds here: {info}")
    code = FORK_BOMB.split("while True")[0]
    result = run_python(code, limits)
    forked = int(result.output.split("forked ")[1].split()[0])
    assert forked <= limits.max_processes + 1 + PidsCgroup.THREAD_ALLOWANCE < 50
    assert "Resource temporarily unavailable" in result.output
    assert_host_unharmed(result.output)


@pytest.mark.parametrize(
    "bomb", ["a = []\nwhile True:\n    a.append(bytearray(10**7))", "x = bytearray(10**10)"]
)
def test_memory_bomb_is_reported(bomb):
    result = run_python(PRINT_SCRATCH + bomb, LIMITS)
    assert result.reason == "killed: memory limit (256 MB) reached"
    assert "MemoryError" in result.report()
    assert_host_unharmed(result.output)


@pytest.mark.parametrize("loop", ["while True:\n    pass", "import time\ntime.sleep(100)"])
def test_infinite_loop_and_sleep_are_killed(loop):
    result = run_python(PRINT_SCRATCH + loop, KILL_LIMITS)
    assert result.reason in (
        "killed: CPU time limit (1 s) exceeded",
        "killed: wall time limit (1.5 s) exceeded",
    )
    assert result.duration_s < KILL_LIMITS.wall_time_s + 1.5
    assert_host_unharmed(result.output)


@pytest.fixture
def listener():
    """A TCP server on the host's loopback that records whether anyone connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connected = threading.Event()

    def accept() -> None:
        try:
            conn, _ = server.accept()
            connected.set()
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connected
    thread.join()
    server.close()


def connect_code(port: int) -> str:
    return PRINT_SCRATCH + f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 1)\n"


@pytest.mark.parametrize("namespace", [True, False], ids=["netns+hook", "hook-only"])
def test_network_call_is_refused_and_reported(listener, namespace):
    port, connected = listener
    limits = SandboxLimits(**{**LIMITS.__dict__, "isolate_network": namespace})
    result = run_python(connect_code(port), limits)
    assert "sandbox: network access" in result.output and "not allowed" in result.output
    assert result.exit_code == 1 and not connected.is_set()
    dns = run_python("import socket\nsocket.getaddrinfo('example.com', 80)", limits)
    assert "network access (socket.getaddrinfo)" in dns.output
    assert_host_unharmed(result.output)


def test_network_namespace_alone_blocks_the_host(listener):
    """Without the audit hook the network namespace still keeps the host's loopback away."""
    port, connected = listener
    limits = SandboxLimits(**{**LIMITS.__dict__, "audit_hook": False})
    if not isolation(limits)["network"].startswith("netns"):
        pytest.skip("unshare --net is not available here (not root, or no namespaces)")
    result = run_python(connect_code(port), limits)
    assert "Error" in result.output and result.exit_code == 1, result.output
    assert not connected.is_set()


def test_write_outside_scratch_is_refused_and_inside_works(tmp_path):
    target = tmp_path / "escape.txt"
    source = tmp_path / "keep.txt"
    source.write_text("host data")
    code = PRINT_SCRATCH + (
        "open('inside.txt', 'w').write('ok')\nprint(open('inside.txt').read())\n"
        f"import shutil\nshutil.rmtree({str(tmp_path)!r}, ignore_errors=False)\n"
    )
    result = run_python(code, LIMITS)
    # Refused by the audit hook, or before it by the kernel (Landlock: listing the folder;
    # bubblewrap: the folder is not in its mount namespace).
    refused = ("outside the scratch directory", "Permission denied", "No such file")
    assert "ok" in result.output and any(r in result.output for r in refused), result.output
    assert tmp_path.exists()
    for attack in (
        f"open({str(target)!r}, 'w')",
        f"os.rename({str(source)!r}, 'stolen')",
        "os.symlink('/etc', 'link'); open('link/agentrl-test', 'w')",
    ):
        result = run_python(PRINT_SCRATCH + attack, LIMITS)
        assert "is not allowed" in result.output, (attack, result.output)
    assert not target.exists() and not Path("/etc/agentrl-test").exists()
    assert source.read_text() == "host data"
    assert_host_unharmed(result.output)


def test_filling_the_disk_is_stopped():
    limits = SandboxLimits(**{**LIMITS.__dict__, "scratch_mb": 8})
    code = PRINT_SCRATCH + (
        "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (1 << 20))\n    i += 1\n"
    )
    result = run_python(code, limits)
    assert result.reason == "killed: scratch directory limit (8 MB, 10000 files) exceeded"
    assert_host_unharmed(result.output)


def test_file_size_limit():
    result = run_python("open('big', 'wb').write(b'x' * (2 << 20))", LIMITS)
    assert "File too large" in result.output and result.exit_code == 1


def test_crash_and_output_cap_are_reported():
    crash = run_python("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", LIMITS)
    assert crash.reason == "crashed: killed by signal SIGSEGV"
    flood = run_python("print('y' * 100_000)", LIMITS)
    assert flood.bytes_cut == 100_001 - 3 * LIMITS.max_output_chars
    assert f"[... {flood.bytes_cut} bytes of output cut ...]" in flood.report()
    assert (
        run_python("1 / 0", LIMITS)
        .report()
        .endswith("ZeroDivisionError: division by zero\n[sandbox: exited with status 1]")
    )


def test_python_tool_through_execute_tool_calls():
    python = PythonTool(wall_time_s=10, cpu_time_s=1, memory_mb=256)
    calls = [
        ToolCall("python", {"code": "from fractions import Fraction\nFraction(1, 3) + 1"}, "a"),
        ToolCall("python", {"code": "while True: pass"}, "b"),
        ToolCall("python", {}, "c"),
    ]
    first, second, third = execute_tool_calls([python], calls)
    assert first["content"] == "Fraction(4, 3)"  # a final expression is shown, as in a notebook
    assert "[sandbox: killed:" in second["content"]
    assert "missing required argument `code`" in third["content"]


def test_thread_bomb_is_contained():
    code = PRINT_SCRATCH + (
        "import threading, time\nstarted = 0\n"
        "try:\n    while True:\n"
        "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "        started += 1\n"
        "except (RuntimeError, MemoryError) as e:\n    print('stopped after', started, e)\n"
    )
    result = run_python(code, KILL_LIMITS)
    assert "stopped after" in result.output or result.reason is not None, result.output
    assert_host_unharmed(result.output)


@pytest.mark.parametrize(
    "attack, refusal",
    [
        ("import ctypes\nctypes.CDLL(None).fork()", "ctypes foreign calls are not available"),
        ("import subprocess\nsubprocess.run(['id'])", "running programs (subprocess.Popen)"),
        ("os.system('id')", "running programs (os.system)"),
    ],
    ids=["ctypes-fork", "subprocess", "os-system"],
)
def test_programs_and_foreign_calls_are_refused(attack, refusal):
    result = run_python(PRINT_SCRATCH + attack, LIMITS)
    assert refusal in result.output and result.exit_code == 1, result.output
    assert_host_unharmed(result.output)


@pytest.mark.parametrize("audit_hook", [True, False], ids=["all-layers", "kernel-only"])
def test_killing_the_parent_or_another_process_is_refused(audit_hook):
    """Without the audit hook, Landlock's signal scope (ABI 6+) or the own uid still refuse."""
    limits = SandboxLimits(**{**LIMITS.__dict__, "audit_hook": audit_hook})
    info = isolation(limits)
    scoped = info["files"].startswith("landlock ABI") and int(info["files"].split()[2]) >= 6
    if not audit_hook and not scoped and info["user"] != "own uid":
        pytest.skip(f"no kernel layer stops signals to the caller's processes here: {info}")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # Signal 0 to the caller (the test runner: a real kill would end the test run if the
        # check failed); it goes through the same permission check as SIGKILL.
        code = PRINT_SCRATCH + (
            "import signal\n"
            f"for pid, sig in (({os.getpid()}, 0), ({other.pid}, signal.SIGKILL)):\n"
            "    try:\n        os.kill(pid, sig)\n        print('KILLED', pid)\n"
            "    except OSError as e:\n        print('REFUSED', type(e).__name__)\n"
        )
        result = run_python(code, limits)
        assert result.output.count("REFUSED") == 2 and "KILLED" not in result.output, result.output
        assert other.poll() is None
        assert_host_unharmed(result.output)
    finally:
        other.kill()
        other.wait()


def test_a_hundred_megabytes_of_output_is_cut():
    result = run_python("import sys\n_ = sys.stdout.write('y' * 10**8)", LIMITS)
    assert result.bytes_cut == 10**8 - 3 * LIMITS.max_output_chars
    assert len(result.report()) < 4 * LIMITS.max_output_chars
