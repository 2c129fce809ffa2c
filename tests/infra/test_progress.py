"""agentrl.infra.progress: periodic lines without a terminal, a tqdm bar with one, or nothing."""

from __future__ import annotations

import io

from agentrl.infra.progress import Progress, format_duration


def test_non_tty_prints_lines_not_carriage_returns():
    out = io.StringIO()  # StringIO.isatty() is False
    with Progress(total=4, file=out, interval_s=0.0) as bar:
        for step in range(1, 5):
            bar.update(step, {"reward/mean": 0.25 * step, "loss": 1.5, "kl": 0.002}, tokens=1000)
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("train 1/4 | reward 0.250 | loss 1.500 | kl 2.00e-03 | ")
    assert "tok/s" in lines[0] and "eta " in lines[0]
    assert lines[-1].startswith("train 4/4 | reward 1.000")
    assert "eta" not in lines[-1]  # done


def test_non_tty_throttles_to_the_interval_but_prints_the_last_step():
    out = io.StringIO()
    bar = Progress(total=50, file=out, interval_s=3600.0)
    for step in range(1, 51):
        bar.update(step, {"loss": 1.0})
    lines = out.getvalue().splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["train 1/50", "train 50/50"]


def test_values_persist_and_resume_counts_from_initial():
    out = io.StringIO()
    bar = Progress(total=10, initial=6, file=out, interval_s=0.0)
    bar.update(7, {"eval/accuracy": 0.5, "loss": 2.0})
    bar.update(8, {"loss": 1.0})
    assert bar.line().startswith("train 8/10 | loss 1.000 | acc 0.500")


def test_tty_mode_uses_tqdm_and_disabled_is_silent():
    out = io.StringIO()
    with Progress(total=3, file=out, tty=True) as bar:
        for step in (1, 2, 3):
            bar.update(step, {"reward": 0.5})
    assert "3/3" in out.getvalue() and "reward 0.500" in out.getvalue()
    silent = io.StringIO()
    with Progress(total=3, file=silent, enabled=False) as bar:
        bar.update(1, {"reward": 0.5})
    assert silent.getvalue() == ""


def test_format_duration():
    assert format_duration(0) == "0:00:00"
    assert format_duration(3723.4) == "1:02:03"


def test_set_total_moves_the_end_in_both_modes():
    """A timed stage learns its step count as it goes; the bar (and its ETA) must follow."""
    out = io.StringIO()
    bar = Progress(total=1000, file=out, interval_s=0.0)
    bar.update(1)
    bar.set_total(4)
    bar.update(2)
    assert bar.line().startswith("train 2/4")
    bar.update(4)
    assert "eta" not in out.getvalue().splitlines()[-1]
    tty = io.StringIO()
    with Progress(total=1000, file=tty, tty=True) as bar:
        bar.update(1)
        bar.set_total(3)
        bar.update(3)
    assert "3/3" in tty.getvalue()
