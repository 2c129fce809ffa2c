"""``agentrl tools list/show`` and examples/custom_tool.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agentrl.cli import main
from agentrl.registration import tools as registry

ROOT = Path(__file__).resolve().parents[2]


def test_tools_list_shows_names_descriptions_and_parameters(capsys):
    assert main(["tools", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("python", "calculator", "search"):
        assert any(line.startswith(name + " ") for line in out.splitlines()), out
    assert "parameters: expression: string" in out
    assert "parameters: query: string, k: integer|null (optional)" in out
    assert main(["tools", "list", "--json"]) == 0
    names = [json.loads(line)["function"]["name"] for line in capsys.readouterr().out.splitlines()]
    assert {"python", "calculator", "search"} <= set(names)


def test_tools_show_prints_the_schema_and_unknown_names_fail(capsys):
    assert main(["tools", "show", "calculator"]) == 0
    assert json.loads(capsys.readouterr().out) == registry.make("calculator").schema()
    assert main(["tools", "show", "calculater"]) == 2
    assert "Did you mean `calculator`?" in capsys.readouterr().err


def test_custom_tool_example_runs():
    path = ROOT / "examples" / "custom_tool.py"
    assert len(path.read_text().splitlines()) < 50
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    schema = json.loads(out.split("\ncall_0")[0])
    assert schema["function"]["name"] == "unit_convert"
    assert schema["function"]["parameters"]["required"] == ["value"]
    assert "call_0: 4828.03 m" in out
    assert "call_1: error: invalid arguments for tool `unit_convert`: argument `value`" in out
