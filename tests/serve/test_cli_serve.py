"""``agentrl serve`` argument handling and run-folder resolution (no model is loaded)."""

from __future__ import annotations

import os
import time

import pytest

from agentrl.cli import main
from agentrl.cli.serve import resolve_run
from agentrl.errors import ConfigError, ModelError


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--model", "--run", "--host", "--port", "--api-key", "--record"):
        assert option in out
    assert "127.0.0.1" in out


def test_model_or_run_is_required(capsys):
    with pytest.raises(SystemExit):
        main(["serve"])
    assert "--model" in capsys.readouterr().err


def test_bad_model_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "nope")]) == 2
    assert "no config.json" in capsys.readouterr().err
    assert main(["serve", "--model", "tiny", "--port", "0"]) == 2
    assert "--port=0" in capsys.readouterr().err


def test_resolve_run_picks_the_newest_exported_model(tmp_path):
    with pytest.raises(ModelError, match="no exported model"):
        resolve_run(str(tmp_path))
    with pytest.raises(ConfigError, match="no such folder"):
        resolve_run(str(tmp_path / "missing"))
    for name, age in (("checkpoints/100/hf", 100), ("final/hf", 0), ("half", 0)):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        if name != "half":
            (folder / "tokenizer.json").write_text("{}")
        past = time.time() - age
        os.utime(folder / "config.json", (past, past))
    assert resolve_run(str(tmp_path)) == str(tmp_path / "final" / "hf")
