"""The package layout of DESIGN.md: top-level folders installed into the agentrl namespace."""

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
