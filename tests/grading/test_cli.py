"""`agentrl grade`: prints the verdict and why; the verdict is output, never an exit error."""

from __future__ import annotations

import io
import json

import pytest

from agentrl.cli import main


@pytest.mark.parametrize(
    ("response", "gold", "verdict"),
    [
        (r"so \boxed{\frac{1}{2}}", "0.5", "correct"),
        (r"\boxed{(0,1]}", "[0,1]", "wrong"),
        ("no idea", "3", "unparseable"),
        (r"\boxed{10^{10^{10^{10}}}}", "3", "timeout"),
    ],
)
def test_grade_prints_verdict_and_exits_zero(capsys, response, gold, verdict):
    assert main(["grade", response, "--gold", gold]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{verdict}: ")
    assert "predicted:" in out and "gold:" in out


def test_grade_json_and_alternatives(capsys):
    assert main(["grade", r"\boxed{6630}", "--gold", "6630.65", "--gold", "6630", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "correct"
    assert record["predicted"] == "6630" and record["grader_version"]


def test_grade_reads_stdin(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("The answer is 42.\n"))
    assert main(["grade", "-", "--gold", "42"]) == 0
    assert capsys.readouterr().out.startswith("correct")


def test_grade_rejects_a_bad_timeout_and_empty_gold(capsys):
    assert main(["grade", "1", "--gold", "1", "--timeout", "0"]) == 2
    assert "--timeout 0" in capsys.readouterr().err
    assert main(["grade", "1", "--gold", ""]) == 2
    assert "empty" in capsys.readouterr().err


def test_grade_needs_gold(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "1"])
    assert exit_info.value.code == 2
    assert "--gold" in capsys.readouterr().err
