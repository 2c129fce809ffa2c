"""The package layout: top-level envs/, tools/, trainers/ installed in the agentrl namespace."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "agentrl": "agentrl",
    "envs": "agentrl.envs",
    "tools": "agentrl.tools",
    "trainers": "agentrl.trainers",
}


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set()
    for folder, dotted in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((dotted, *rel)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_plain_python_layers_do_not_load_jax():
    code = (
        "import sys, agentrl, agentrl.envs, agentrl.tools, agentrl.trainers\n"
        "import agentrl.trajectory, agentrl.messages, agentrl.sampling\n"
        "agentrl.registry.ids()\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_cli_version_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "agentrl", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.strip().startswith("agentrl ")
    out = subprocess.run(
        [sys.executable, "-m", "agentrl", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert "usage: agentrl" in out.stdout


def test_test_module_names_are_unique():
    # tests/ folders have no __init__.py, so pytest imports test modules by basename.
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_public_api_is_small_and_every_name_resolves():
    import agentrl
    import agentrl.errors

    assert len(agentrl.__all__) <= 25, agentrl.__all__
    for name in agentrl.__all__:
        assert getattr(agentrl, name) is not None, name
    # Error classes live in agentrl.errors; only the root is at the top.
    errors = [n for n in agentrl.__all__ if n.endswith("Error")]
    assert errors == ["AgentRLError"]
    assert issubclass(agentrl.errors.EnvError, agentrl.AgentRLError)
    # What every custom env needs is one import away.
    needed = {"Env", "Wrapper", "Task", "Turn", "make", "register", "check_env"}
    assert needed <= set(agentrl.__all__)


# Exceptions that never reach a user: each is caught where it is raised (or crosses only the
# sandbox child's pipe as text), so they stay beside the code that signals with them.
INTERNAL_EXCEPTIONS = {
    "tools/_sandbox_child.py": {"SandboxViolation", "SandboxImportBlocked"},  # child-side only
    "tools/_landlock.py": {"LandlockError"},  # turned into "isolation: none" by the sandbox
    "agentrl/grading/latex.py": {"LatexParseError"},  # the grader falls back to plain text
    "agentrl/grading/pool.py": {"_WorkerDied"},
    "envs/countdown.py": {"ExpressionError"},  # a wrong answer, graded 0
    "agentrl/serve/protocol.py": {"APIError"},  # rendered as the HTTP error body
}


def test_every_public_exception_lives_in_errors_py():
    import ast

    stray = []
    for folder in ("agentrl", "envs", "tools", "trainers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "agentrl/errors.py":
                continue
            for node in ast.parse(path.read_text()).body:
                if not isinstance(node, ast.ClassDef):
                    continue
                bases = [ast.unparse(b) for b in node.bases]
                is_error = any(b.endswith(("Error", "Exception", "Timeout")) for b in bases)
                if is_error and node.name not in INTERNAL_EXCEPTIONS.get(rel, set()):
                    stray.append(f"{rel}: {node.name}")
    assert not stray, f"define these in agentrl/errors.py: {stray}"
