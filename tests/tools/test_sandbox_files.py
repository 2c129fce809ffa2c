"""The python tool's sandbox reads nothing it was not given: the kernel (Landlock, or bubblewrap
where Landlock is missing) refuses the host's secrets, the run folder, other processes'
environments and symlinks out of scratch, as root and as an unprivileged user.

The attacks run with ``switch_user=False`` so that file permissions of an own uid cannot hide a
missing confinement; they are parametrized over the mechanisms this machine has."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from agentrl.cli import main
from agentrl.errors import ToolError
from agentrl.tools import sandbox
from agentrl.tools.python import PythonTool
from agentrl.tools.sandbox import SandboxLimits, isolation, run_python

LIMITS = SandboxLimits(
    wall_time_s=20, cpu_time_s=2, memory_mb=512, max_output_chars=4000, switch_user=False
)
SECRET = f"agentrl-secret-{uuid.uuid4().hex}"


def read_code(path: str | Path) -> str:
    """Code that prints what it could read of `path`, or the error's type and errno."""
    return (
        "try:\n"
        f"    print('READ', open({str(path)!r}, 'rb').read()[:200])\n"
        "except OSError as e:\n"
        "    print('REFUSED', type(e).__name__, e.errno)\n"
    )


# Landlock refuses (EACCES); in bubblewrap's mount namespace the path is not there (ENOENT).
REFUSALS = ("REFUSED PermissionError 13", "REFUSED FileNotFoundError 2")


def assert_refused(result: sandbox.SandboxResult) -> None:
    assert any(r in result.output for r in REFUSALS), result.output
    assert SECRET not in result.output and "READ" not in result.output.replace("REFUSED", "")


@pytest.fixture(params=["landlock", "bwrap"])
def mechanism(request, monkeypatch):
    """Run under one mechanism: Landlock as probed, or bubblewrap with Landlock hidden."""
    probe = dict(sandbox._files_probe())
    if request.param == "landlock" and not probe["abi"]:
        pytest.skip(f"Landlock does not bind here: {probe['reason']}")
    if request.param == "bwrap":
        if not probe["bwrap"]:
            pytest.skip(f"bubblewrap unavailable: {probe.get('bwrap_reason', 'not installed')}")
        monkeypatch.setattr(sandbox, "_FILES", {**probe, "abi": 0})
    assert sandbox.files_mechanism(LIMITS) == request.param
    return request.param


@pytest.fixture
def secret_file(tmp_path) -> Path:
    path = tmp_path / "token.txt"
    path.write_text(SECRET)
    return path


def test_the_python_installation_and_scratch_still_work(mechanism):
    code = (
        "import numpy as np, sympy as sp, os\n"
        "open('notes.txt', 'w').write('kept')\n"
        "os.mkdir('sub'); os.rename('notes.txt', 'sub/n.txt')\n"
        "print(np.arange(5).sum(), sp.factor(sp.Symbol('x')**2 - 1), open('sub/n.txt').read())\n"
        "_ = open(os.devnull, 'w').write('x')\n"
    )
    result = run_python(code, LIMITS)
    assert result.output == "10 (x - 1)*(x + 1) kept\n", result.output
    assert result.isolation["files"].startswith(
        {"landlock": "landlock", "bwrap": "bubble"}[mechanism]
    )


@pytest.mark.skipif(
    os.geteuid() != 0, reason="/etc/shadow is unreadable to a non-root caller anyway"
)
def test_root_cannot_read_etc_shadow(mechanism):
    assert Path("/etc/shadow").read_bytes() is not None  # the caller itself can
    assert_refused(run_python(read_code("/etc/shadow"), LIMITS))


def test_a_file_in_the_callers_home_is_refused(mechanism):
    home = Path.home()
    path = home / f".agentrl-test-{uuid.uuid4().hex}"
    try:
        path.write_text(SECRET)
    except OSError as e:
        pytest.skip(f"cannot write a file in the home folder {home}: {e}")
    try:
        assert_refused(run_python(read_code(path), LIMITS))
        listing = run_python(f"import os\nprint(os.listdir({str(home)!r}))", LIMITS)
        assert path.name not in listing.output, listing.output  # bwrap shows only its binds
    finally:
        path.unlink()


def test_the_run_folder_cannot_be_listed_or_read(mechanism, tmp_path, secret_file):
    """tmp_path stands for the run folder: checkpoints, data, the trainer's config."""
    code = f"import os\nprint(os.listdir({str(tmp_path)!r}))\n"
    result = run_python(code, LIMITS)
    refused = "PermissionError" in result.output or "FileNotFoundError" in result.output
    assert refused and "token.txt" not in result.output, result.output
    assert_refused(run_python(read_code(secret_file), LIMITS))


def test_other_processes_environments_are_refused(mechanism):
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={**os.environ, "AGENTRL_TEST_TOKEN": SECRET},
    )
    try:
        deadline = time.monotonic() + 10  # until it has exec'd: we can read its environment
        while SECRET.encode() not in Path(f"/proc/{other.pid}/environ").read_bytes():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert_refused(run_python(read_code(f"/proc/{other.pid}/environ"), LIMITS))
        # The trainer itself: the sandbox's parent.
        assert_refused(run_python(read_code(f"/proc/{os.getpid()}/environ"), LIMITS))
    finally:
        other.kill()
        other.wait()


def test_a_symlink_planted_in_scratch_does_not_lead_out(mechanism, secret_file):
    code = (
        f"import os\nos.symlink({str(secret_file)!r}, 'link')\n"
        f"os.symlink({str(secret_file.parent)!r}, 'dir')\n"
        + read_code("link")
        + read_code("dir/token.txt")
    )
    result = run_python(code, LIMITS)
    assert sum(result.output.count(r) for r in REFUSALS) == 2, result.output
    assert SECRET not in result.output


def test_listed_read_paths_are_readable_and_nothing_else(mechanism, tmp_path, secret_file):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("dataset")
    limits = SandboxLimits(**{**LIMITS.__dict__, "read_paths": (str(shared),)})
    code = (
        f"print(open({str(shared / 'data.txt')!r}).read())\n"
        + read_code(secret_file)
        + f"try:\n    open({str(shared / 'new.txt')!r}, 'w')\n"
        "except OSError as e:\n    print('NO WRITE', type(e).__name__)\n"
    )
    result = run_python(code, limits)
    assert result.output.startswith("dataset\n"), result.output
    assert_refused(result)
    assert "NO WRITE" in result.output and not (shared / "new.txt").exists()
    assert "1 listed path(s)" in result.isolation["files"]
    with pytest.raises(ToolError, match="read_paths must be absolute, got 'rel'"):
        SandboxLimits(read_paths=("rel",))
    with pytest.raises(ToolError, match="does not exist"):
        SandboxLimits(read_paths=(str(tmp_path / "missing"),))


def test_writes_outside_scratch_are_refused_by_the_kernel_alone(mechanism, tmp_path):
    """With the audit hook off, the kernel still keeps writes inside scratch."""
    target = tmp_path / "escape.txt"
    limits = SandboxLimits(**{**LIMITS.__dict__, "audit_hook": False})
    code = f"try:\n    open({str(target)!r}, 'w')\nexcept OSError as e:\n    print('NO', e.errno)\n"
    result = run_python(code, limits)
    assert result.output in ("NO 13\n", "NO 30\n", "NO 2\n"), result.output
    assert not target.exists()


def test_the_environment_holds_no_secrets_of_the_caller(monkeypatch):
    for name in ("HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY", "WANDB_API_KEY"):
        monkeypatch.setenv(name, SECRET)
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    result = run_python("import os, json\nprint(json.dumps(dict(os.environ)))", LIMITS)
    environment = json.loads(result.output)
    assert SECRET not in result.output
    assert set(environment) <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "LC_CTYPE",  # added by the interpreter for its UTF-8 mode
        "PWD",  # set by bubblewrap to the scratch directory
    }, environment


@pytest.fixture
def no_mechanism(monkeypatch):
    """This machine as one without Landlock and bubblewrap."""
    monkeypatch.setattr(
        sandbox,
        "_FILES",
        {
            **sandbox._files_probe(),
            "abi": 0,
            "reason": "test: no Landlock",
            "bwrap": "",
            "bwrap_reason": "test: no bwrap",
        },
    )
    monkeypatch.setattr(sandbox, "_ANNOUNCED", set())


def test_without_a_mechanism_it_runs_warns_once_and_says_so(no_mechanism):
    with pytest.warns(RuntimeWarning, match="NO FILE ISOLATION"):
        first = run_python("print(1)", LIMITS)
    assert first.output == "1\n"
    assert first.isolation["files"].startswith("none: Landlock unavailable (test: no Landlock)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_python("print(2)", LIMITS).output == "2\n"  # once, not every run


def test_require_isolation_refuses_without_a_mechanism(no_mechanism):
    strict = SandboxLimits(**{**LIMITS.__dict__, "require_isolation": True})
    with pytest.raises(ToolError, match="require_isolation=True but no kernel mechanism"):
        run_python("print(1)", strict)
    with pytest.raises(ToolError, match="needs confine_files=True"):
        SandboxLimits(require_isolation=True, confine_files=False)


def test_require_isolation_runs_where_a_mechanism_binds(mechanism):
    strict = SandboxLimits(**{**LIMITS.__dict__, "require_isolation": True})
    tool = PythonTool(strict)  # a Tool; its `fn` is the PythonTool instance
    assert tool(code="print(3)") == "3"
    assert tool.fn.isolation == isolation(strict) and tool.fn.isolation["files"].startswith(
        {"landlock": "landlock", "bwrap": "bubblewrap"}[mechanism]
    )


def test_tools_show_python_names_the_isolation(capsys):
    assert main(["tools", "show", "python"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["function"]["name"] == "python"
    files = isolation(SandboxLimits())["files"]
    assert f"sandbox isolation, files: {files}" in captured.err
