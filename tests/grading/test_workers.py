"""The grader never hangs its caller: slow sympy work is killed, the worker replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from agentrl.errors import ConfigError, GradingError
from agentrl.grading import Grade, WorkerPool, grade, prescreen

# Passes the pre-screen (no giant integers) but makes simplify expand a degree-2000 polynomial.
SLOW = r"(x+1)^{1000}(x-1)^{1000}"
SLOW_GOLD = r"(x^2-1)^{1000}+1"
TOWER = r"10^{10^{10^{10}}}"


@pytest.fixture(scope="module")
def pool():
    pool = WorkerPool(2)
    pool.warm()  # start-up time is not part of what these tests bound
    yield pool
    pool.close()


def test_slow_input_times_out_and_the_worker_is_replaced(pool):
    assert prescreen(SLOW) is None and prescreen(SLOW_GOLD) is None
    assert grade(r"\boxed{p+q}", "q+p", pool=pool).verdict == "correct"  # workers started
    before, restarts = set(pool.pids()), pool.restarts
    started = time.monotonic()
    result = grade(rf"\boxed{{{SLOW}}}", SLOW_GOLD, timeout=0.5, pool=pool)
    assert result.verdict == "timeout", result
    assert time.monotonic() - started < 5.0  # 0.5 s of sympy plus a kill, never the full 15 s+
    assert pool.restarts == restarts + 1
    after = set(pool.pids())
    assert len(after) == 2 and after != before  # the killed worker has a successor
    assert grade(r"\boxed{2\sqrt{2}}", r"\sqrt{8}", pool=pool).verdict == "correct"


def test_pathological_inputs_from_many_threads_all_return(pool):
    inputs = [TOWER, "100000000!", SLOW, TOWER, SLOW, r"9^{9^{9^{9}}}"]
    results: list[Grade | None] = [None] * len(inputs)

    def work(i: int) -> None:
        gold = SLOW_GOLD if inputs[i] == SLOW else "5"
        results[i] = grade(rf"\boxed{{{inputs[i]}}}", gold, timeout=0.5, pool=pool)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a grading thread hung"
    assert time.monotonic() - started < 60
    assert [r.verdict for r in results if r is not None] == ["timeout"] * len(inputs)


def test_a_worker_killed_from_outside_is_replaced(pool):
    assert grade(r"\boxed{a+b}", "b+a", pool=pool).verdict == "correct"
    for pid in pool.pids():
        os.kill(pid, signal.SIGKILL)
    assert grade(r"\boxed{a b}", "ba", pool=pool).verdict == "correct"


def test_gold_must_not_be_empty():
    with pytest.raises(GradingError, match="empty"):
        grade(r"\boxed{1}", "")
    with pytest.raises(GradingError, match="None"):
        grade(r"\boxed{1}", None)  # type: ignore[arg-type]


def test_pool_size_and_timeout_are_validated():
    with pytest.raises(ConfigError, match="size=0"):
        WorkerPool(0)
    with pytest.raises(ConfigError, match="timeout=0"):
        grade(r"\boxed{1}", "1", timeout=0)


def test_grade_is_frozen_and_explains_itself():
    result = grade(r"\boxed{\dfrac{2}{4}}", "0.5")
    assert (result.verdict, result.predicted, result.gold) == ("correct", r"\frac{2}{4}", "0.5")
    assert result.correct and result.reason
    with pytest.raises(AttributeError):
        result.verdict = "wrong"  # type: ignore[misc]


def test_huge_or_deeply_nested_answers_are_bounded(pool):
    deep = "(" * 400 + "1" + ")" * 400
    assert grade(rf"\boxed{{{deep}}}", deep, pool=pool).verdict == "correct"  # same text
    started = time.monotonic()
    # 1 != 2: "wrong" when sympy finishes within the budget, "timeout" on a slow machine.
    assert grade(rf"\boxed{{{deep}}}", "2", timeout=0.5, pool=pool).verdict in ("wrong", "timeout")
    assert time.monotonic() - started < 30  # nesting skips the in-process pass
    long_answer = "1+" * 1500 + "1"
    result = grade(rf"\boxed{{{long_answer}}}", "1501", pool=pool)
    assert result.verdict == "timeout" and "3001 characters" in result.reason


def test_warm_starts_every_worker_and_close_stops_them(pool):
    pool.close()
    assert pool.pids() == []
    pool.warm()
    assert len(pool.pids()) == 2


def test_workers_are_recycled_after_max_requests():
    small = WorkerPool(1, max_requests=2)
    try:
        grade(r"\boxed{a+b}", "b+a", pool=small)
        first = small.pids()
        grade(r"\boxed{a+c}", "c+a", pool=small)  # the second request retires the worker
        second = small.pids()
        assert len(first) == len(second) == 1 and first != second
        assert grade(r"\boxed{a+d}", "d+a", pool=small).verdict == "correct"
    finally:
        small.close()
    with pytest.raises(ConfigError, match="max_requests=0"):
        WorkerPool(1, max_requests=0)


def test_workers_that_cannot_start_raise_a_clear_error(monkeypatch):
    from agentrl.grading import pool as pool_module

    monkeypatch.setattr(pool_module._Worker, "command", (sys.executable, "-c", "exit(3)"))
    broken = WorkerPool(1)
    with pytest.raises(GradingError, match="start-up"):
        grade(r"\boxed{x+y}", "y+x", pool=broken)
    broken.close()


def test_grading_and_rewards_import_neither_jax_nor_sympy():
    code = (
        "import sys, agentrl.grading, agentrl.rewards, agentrl.cli.grade\n"
        "loaded = [m for m in ('jax', 'sympy', 'torch') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
