"""Model code in the python sandbox cannot run another program: every way Python offers to start
one (``subprocess``, ``os.system``/``os.popen``, the ``os.exec*`` family, ``os.posix_spawn[p]``,
``os.spawn*``) is refused, the refusal is reported to the model, and the program never runs.

The program would print a marker that appears nowhere in the code (it is built at run time), so
the marker in the output would mean the program ran.
"""

from __future__ import annotations

import pytest

from agentrl.tools.sandbox import SandboxLimits, run_python

LIMITS = SandboxLimits(
    wall_time_s=20,
    cpu_time_s=2,
    memory_mb=256,
    file_size_mb=1,
    max_processes=4,
    max_output_chars=4000,
)
MARK = "'RAN-' + 'PROGRAM'"
RAN = "RAN-PROGRAM"

REFUSED = {
    "subprocess.run": ("import subprocess\nsubprocess.run(['echo', {m}])", "subprocess.Popen"),
    "subprocess.Popen-shell": (
        "import subprocess\nsubprocess.Popen('echo ' + {m}, shell=True).wait()",
        "subprocess.Popen",
    ),
    "subprocess.check_output": (
        "import subprocess, sys\nsubprocess.check_output([sys.executable, '-c', 'print(' + "
        "repr({m}) + ')'])",
        "subprocess.Popen",
    ),
    "os.system": ("import os\nos.system('echo ' + {m})", "os.system"),
    "os.popen": ("import os\nprint(os.popen('echo ' + {m}).read())", "subprocess.Popen"),
    "os.execv": ("import os\nos.execv('/bin/echo', ['echo', {m}])", "os.exec"),
    "os.execl": ("import os\nos.execl('/bin/echo', 'echo', {m})", "os.exec"),
    "os.execve": ("import os\nos.execve('/bin/echo', ['echo', {m}], {{}})", "os.exec"),
    "os.execvp": ("import os\nos.execvp('echo', ['echo', {m}])", "os.exec"),
    "os.execlpe": ("import os\nos.execlpe('echo', 'echo', {m}, {{}})", "os.exec"),
    "os.execv-python": (
        "import os, sys\n"
        "os.execv(sys.executable, [sys.executable, '-c', 'print(' + repr({m}) + ')'])",
        "os.exec",
    ),
    "os.posix_spawn": (
        "import os\nos.waitpid(os.posix_spawn('/bin/echo', ['echo', {m}], {{}}), 0)",
        "os.posix_spawn",
    ),
    "os.posix_spawnp": (
        "import os\nos.waitpid(os.posix_spawnp('echo', ['echo', {m}], {{}}), 0)",
        "os.posix_spawn",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_starting_a_program_is_refused_and_reported(name):
    code, event = REFUSED[name]
    result = run_python(code.format(m=MARK), LIMITS)
    assert RAN not in result.output, result.output  # the program never ran
    assert f"running programs ({event}) is not allowed" in result.output, result.output
    assert result.exit_code == 1 and result.reason is None, result.output


@pytest.mark.parametrize("call", ["spawnv(os.P_WAIT, '/bin/echo', ['echo', {m}])",
                                  "spawnlp(os.P_WAIT, 'echo', 'echo', {m})"])  # fmt: skip
def test_os_spawn_fails_in_the_forked_child(call):
    # os.spawn* is fork + exec in Python: the exec is refused in the child, which exits 127.
    result = run_python(f"import os\nprint('returned', os.{call.format(m=MARK)})", LIMITS)
    assert RAN not in result.output, result.output
    assert "returned 127" in result.output, result.output


def test_a_refusal_can_be_caught_but_the_program_still_does_not_run():
    code = (  # noqa: UP032 (the code's own braces)
        "import os, subprocess\n"
        "for attempt in (lambda: subprocess.run(['echo', {m}]), lambda: os.system('echo ' + {m}),"
        " lambda: os.execv('/bin/echo', ['echo', {m}])):\n"
        "    try:\n        attempt()\n    except BaseException as e:\n"
        "        print('caught', type(e).__name__)\n"
        "print('done')\n"
    ).format(m=MARK)
    result = run_python(code, LIMITS)
    assert RAN not in result.output, result.output
    assert result.output.count("caught") == 3 and "done" in result.output, result.output
