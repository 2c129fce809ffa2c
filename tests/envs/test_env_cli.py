"""``agentrl envs`` (list, show, check), entry-point plugins, and the custom env example."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentrl
from agentrl.cli import main
from agentrl.env import Env, Task, Turn

ROOT = Path(__file__).resolve().parents[2]


class AlwaysPays(Env):
    """Pays 1 for anything: fails the empty-text check."""

    def _reset(self, options):
        return [{"role": "user", "content": "hi"}], Task("x", "hi", "1")

    def _step(self, action):
        return Turn([], 1.0, True)


def test_list_shows_builtins_with_source_and_description(capsys):
    assert main(["envs", "list"]) == 0
    out = capsys.readouterr().out
    for env_id in ("deepscaler-v0", "gsm8k-v0", "countdown-v0", "tool-math-v0", "chat-v0"):
        line = next(line for line in out.splitlines() if line.startswith(env_id))
        assert "agentrl" in line and len(line.split()) > 3
    assert "guess-number-v0" in out


def test_show_prints_spec_spaces_components_and_an_oracle_episode(capsys):
    assert main(["envs", "show", "countdown", "--seed", "1", "--arg", "num_numbers=3"]) == 0
    out = capsys.readouterr().out
    assert "id:            countdown-v0" in out
    assert "TextSpace" in out and "ChatSpace" in out
    assert "reward components: correct, valid_expression" in out
    assert "--- sample episode (seed 1, oracle actions), return 1 ---" in out
    assert "[assistant]" in out and "\\boxed{" in out


def test_check_passes_and_a_failing_env_names_its_check(capsys):
    assert main(["envs", "check", "guess-number"]) == 0
    assert "ok    guess-number-v0" in capsys.readouterr().out
    agentrl.register("always-pays-v0", AlwaysPays, overwrite=True)
    try:
        assert main(["envs", "check", "always-pays"]) == 1
        assert "FAIL  always-pays-v0: check 'empty_earns_min' failed" in capsys.readouterr().out
    finally:
        agentrl.registry.unregister("always-pays-v0")
    assert main(["envs", "check"]) == 2  # neither an id nor --all
    assert "give one environment id or --all" in capsys.readouterr().err
    assert main(["envs", "show", "gsm8l"]) == 2
    assert "Did you mean `gsm8k-v0`" in capsys.readouterr().err


def test_bad_env_argument_is_named(capsys):
    assert main(["envs", "show", "chat", "--arg", "max turns"]) == 2
    assert "--arg 'max turns'" in capsys.readouterr().err


def _env_vars(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "JAX_PLATFORMS": "cpu", **extra}


def test_a_pip_installed_plugin_appears_in_envs_list(tmp_path):
    source = tmp_path / "src"
    (source / "myplug").mkdir(parents=True)
    (source / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "myplug"
        version = "0.1"

        [project.entry-points."agentrl.envs"]
        my-plugin-v0 = "myplug:Env"
        """)
    )
    (source / "myplug" / "__init__.py").write_text(
        textwrap.dedent('''
        from agentrl.env import Env as _Base, Task, Turn

        class Env(_Base):
            """Say hello; a plugin environment."""

            def _reset(self, options):
                task = Task("hi", "Say hello.", answer="hello", solution="hello")
                return [{"role": "user", "content": task.prompt}], task

            def _step(self, action):
                return Turn([], float(action.strip() == "hello"), True)
        ''')
    )
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True, capture_output=True, env=_env_vars(),
    )  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "agentrl", "envs", "list"],
        capture_output=True, text=True, cwd=tmp_path, env=_env_vars(PYTHONPATH=str(target)),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("my-plugin-v0"))
    assert "myplug" in line and "Say hello; a plugin environment." in line
    check = subprocess.run(
        [sys.executable, "-m", "agentrl", "envs", "check", "my-plugin"],
        capture_output=True, text=True, cwd=tmp_path, env=_env_vars(PYTHONPATH=str(target)),
    )  # fmt: skip
    assert check.returncode == 0 and "ok    my-plugin-v0" in check.stdout, (
        check.stdout + check.stderr
    )


def test_custom_env_example_runs_and_is_short():
    path = ROOT / "examples" / "custom_env.py"
    assert len(path.read_text().splitlines()) < 50
    run = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=_env_vars(), cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert "(1.0, True)" in run.stdout
    assert "check_env passed: gymnasium, contract" in run.stdout


@pytest.mark.parametrize("argv", [["envs", "--help"], ["envs", "list", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert "usage: agentrl envs" in capsys.readouterr().out
