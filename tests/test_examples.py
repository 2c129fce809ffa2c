"""The examples run as the README says (as subprocesses, as a user runs them), and the README's
"A first program" is examples/quickstart.py, word for word."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _run(name: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_readme_first_program_is_quickstart_verbatim():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"## A first program\n\n```python\n(.*?)```\n", readme, re.S)
    assert len(blocks) == 1, "README needs one python block under '## A first program'"
    assert blocks[0] == (EXAMPLES / "quickstart.py").read_text()


def test_quickstart_trains_two_grpo_steps():
    # The argument shortens the 20-step run to 2: the rest is JIT compilation.
    out = _run("quickstart.py", "2", timeout=300)
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["step 0", "step 1"], out
    for line in lines:
        assert re.fullmatch(r"step \d: reward \d\.\d{3} loss [+-]\d\.\d{4}", line), line


def test_custom_env_registers_and_passes_check_env():
    out = _run("custom_env.py")
    assert re.fullmatch(
        r"Spell '[a-z]+' backwards. Reply with the reversed word only.", out.splitlines()[0]
    )
    assert "(1.0, True)" in out  # the oracle's reply earns the max
    checks = out.split("check_env passed: ")[1].split(", ")
    assert {"oracle_earns_max", "garbage_earns_min", "same_seed_same_episode"} <= set(checks)


def test_custom_tool_schema_and_calls():
    out = _run("custom_tool.py")
    assert '"name": "unit_convert"' in out
    assert "call_0: 4828.03 m" in out
    assert "call_1: error: invalid arguments for tool `unit_convert`" in out


def test_custom_examples_stay_short():
    for name in ("custom_env.py", "custom_tool.py"):
        assert len((EXAMPLES / name).read_text().splitlines()) < 50, name  # as the README says
