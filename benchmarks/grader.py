"""Grader throughput (responses/s with 1 and 2 sympy workers) and worst-case latency, as JSON.

    python benchmarks/grader.py                 # the full run (about a minute on 2 cores)
    python benchmarks/grader.py --n 300         # quicker

`symbolic_only` repeats the measurement on the part of the mix that needs sympy, where the
number of workers matters; the rest is decided in the calling process.

`math_verify` grades the same mix with Math-Verify (``pip install math-verify``, or the
``bench`` extra; skipped when it is not installed) and with this grader, one response at a
time in the main thread (Math-Verify's timeouts use signals, which only work there): responses/s
and worst latency of each, how often the two verdicts agree (correct or not), the correct rate
of each per kind, and the first disagreements. Math-Verify gets the gold in ``$...$``, as its
documentation asks.

The mix is built procedurally to look like graded rollouts of a math policy: mostly integers,
then fractions and decimals written in other forms, symbolic answers that need sympy, tuples,
intervals and sets, wrong answers, and responses with no answer at all. Responses are graded by
`2 * workers` threads sharing one pool, as a rollout engine would. When
../shared/data/deepscaler/math.json exists, its 500 gold answers are graded against themselves
in a box as well. Pathological inputs are then graded one at a time and all at once, and the
worst wall time per call is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agentrl.grading import GRADER_VERSION, WorkerPool, grade

MATH500 = Path(__file__).resolve().parents[2] / "shared" / "data" / "deepscaler" / "math.json"
PATHOLOGICAL = [
    (r"10^{10^{10^{10}}}", "5"),
    (r"9^{9^{9^{9}}}", "5"),
    ("100000000!", "5"),
    (r"(x+1)^{1000}(x-1)^{1000}", r"(x^2-1)^{1000}+1"),
    (r"e^{e^{e^{e^{10}}}}", "5"),
    (r"\sin(10^{10^{5}})", "0"),
    ("(" * 400 + "1" + ")" * 400, "2"),
    (r"x^{x^{x^{x^{x^{x}}}}}", r"x^{x^{x^{x^{x}}}}"),
]


def _box(answer: str) -> str:
    return f"Let me work it out. ... Therefore the final answer is $\\boxed{{{answer}}}$."


def make_mix(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """(kind, response, gold) triples in realistic proportions."""
    rng = random.Random(seed)
    kinds = [
        ("integer", 45),
        ("fraction", 12),
        ("decimal", 8),
        ("symbolic", 12),
        ("tuple_interval_set", 8),
        ("wrong", 10),
        ("unparseable", 5),
    ]
    population = [k for k, weight in kinds for _ in range(weight)]
    return [_make_one(rng.choice(population), rng) for _ in range(n)]


def _make_one(kind: str, rng: random.Random) -> tuple[str, str, str]:
    a, b, c = rng.randint(1, 999), rng.randint(2, 60), rng.randint(1, 20)
    if kind == "integer":
        gold = str(a * c)
        return kind, _box(rng.choice([gold, f"{int(gold):,}", gold + r"\text{ cm}"])), gold
    if kind == "fraction":
        gold = rf"\frac{{{a}}}{{{b}}}"
        return kind, _box(rng.choice([f"{a * c}/{b * c}", rf"\dfrac{{{a}}}{{{b}}}", gold])), gold
    if kind == "decimal":
        gold = f"{a / 8:g}"
        return kind, _box(rng.choice([rf"\frac{{{a}}}{{8}}", f"{a / 8:.4f}"])), gold
    if kind == "symbolic":
        x = rng.choice("xyt")
        pairs = [
            (rf"{c}\sqrt{{{b * b * 2}}}", rf"{c * b}\sqrt{{2}}"),
            (f"{x}^2-{c * c}", f"({x}-{c})({x}+{c})"),
            (rf"\frac{{{x}}}{{{b}}}+\frac{{{x}}}{{{b}}}", rf"\frac{{2{x}}}{{{b}}}"),
            (rf"{c}\pi", rf"\pi\cdot{c}"),
            (rf"y={c}{x}+{a}", rf"{c}{x}+{a}=y"),
        ]
        response, gold = rng.choice(pairs)
        return kind, _box(response), gold
    if kind == "tuple_interval_set":
        options = [
            (f"({a},{c})", f"({a}, {c})"),
            (rf"[{c},\infty)", rf"[{c}, \infty)"),
            (rf"\{{{a},{c},{b}\}}", rf"\{{{b},{a},{c}\}}"),
            (rf"(-\frac{{1}}{{{b}}},{c}]", rf"(-\frac1{{{b}}}, {c}]"),
        ]
        response, gold = rng.choice(options)
        return kind, _box(response), gold
    if kind == "wrong":
        gold = str(a)
        return kind, _box(rng.choice([str(a + 1), rf"\frac{{{a}}}{{{b}}}", f"{a}x"])), gold
    return kind, "I am not sure how to finish this problem.", str(a)


def throughput(items: list[tuple[str, str]], workers: int, timeout: float) -> dict[str, object]:
    pool = WorkerPool(workers, max_requests=10**9)  # no recycling inside the measurement
    try:
        pool.warm()  # start the workers (import sympy) before timing
        pids = pool.pids()
        cpu_before = time.process_time() + sum(_cpu_seconds(p) for p in pids)
        with ThreadPoolExecutor(max_workers=2 * workers) as threads:
            started = time.perf_counter()
            results = list(
                threads.map(lambda item: grade(item[0], item[1], timeout=timeout, pool=pool), items)
            )
            elapsed = time.perf_counter() - started
        cpu = time.process_time() + sum(_cpu_seconds(p) for p in pool.pids()) - cpu_before
    finally:
        pool.close()
    return {
        "workers": workers,
        "responses": len(items),
        "seconds": round(elapsed, 3),
        "responses_per_s": round(len(items) / elapsed, 1),
        # CPU time (caller + workers) does not depend on how busy the machine is.
        "cpu_ms_per_response": round(1000 * cpu / len(items), 3),
        "verdicts": dict(Counter(r.verdict for r in results)),
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pathological(timeout: float) -> dict[str, object]:
    pool = WorkerPool(2)
    cases: list[dict[str, Any]] = []
    try:
        pool.warm()  # start the workers (import sympy) before timing
        for response, gold in PATHOLOGICAL:
            started = time.perf_counter()
            result = grade(_box(response), gold, timeout=timeout, pool=pool)
            latency = time.perf_counter() - started
            cases.append(
                {
                    "input": response[:40],
                    "verdict": result.verdict,
                    "reason": result.reason[:80],
                    "latency_s": round(latency, 3),
                }
            )
        # All at once from as many threads: the worst caller still returns.
        with ThreadPoolExecutor(max_workers=len(PATHOLOGICAL)) as threads:
            started = time.perf_counter()

            def timed(item: tuple[str, str]) -> float:
                grade(_box(item[0]), item[1], timeout=timeout, pool=pool)
                return time.perf_counter() - started

            concurrent = list(threads.map(timed, PATHOLOGICAL))
    finally:
        pool.close()
    return {
        "timeout_s": timeout,
        "cases": cases,
        "worst_latency_s": max(c["latency_s"] for c in cases),
        "concurrent_threads": len(PATHOLOGICAL),
        "concurrent_worst_latency_s": round(max(concurrent), 3),
        "note": "sequential: pre-screened inputs return at once, others at the timeout plus a "
        "kill; concurrent: callers queue for the 2 workers, each wait bounded by the timeout "
        "plus a worker restart",
    }


def math_verify_column(mix: list[tuple[str, str, str]], timeout: float) -> dict[str, object]:
    """Both graders on the same mix, sequentially: speed, worst latency, agreement."""
    try:
        from math_verify import parse, verify
    except ImportError:
        return {"skipped": "math-verify is not installed (pip install -e '.[bench]')"}

    def theirs(response: str, gold: str) -> bool:
        try:
            return bool(verify(parse(f"${gold}$"), parse(response)))
        except Exception:  # a grader error counts as "not correct", as a reward would
            return False

    pool = WorkerPool(2)
    columns: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, list[bool]] = {}
    try:
        pool.warm()
        theirs(_box("1"), "1")  # import and warm Math-Verify's parser before timing
        graders = {
            "agentrl": lambda r, g: grade(r, g, timeout=timeout, pool=pool).verdict == "correct",
            "math_verify": theirs,
        }
        for name, fn in graders.items():
            latencies, results = [], []
            started = time.perf_counter()
            for _, response, gold in mix:
                t0 = time.perf_counter()
                results.append(fn(response, gold))
                latencies.append(time.perf_counter() - t0)
            elapsed = time.perf_counter() - started
            verdicts[name] = results
            per_kind: dict[str, list[bool]] = {}
            for (kind, _, _), ok in zip(mix, results):
                per_kind.setdefault(kind, []).append(ok)
            columns[name] = {
                "responses_per_s": round(len(mix) / elapsed, 1),
                "worst_latency_s": round(max(latencies), 3),
                "correct_rate_by_kind": {k: round(sum(v) / len(v), 3) for k, v in per_kind.items()},
            }
        worst = {}
        for name, fn in graders.items():
            latencies = []
            for response, gold in PATHOLOGICAL:
                t0 = time.perf_counter()
                fn(_box(response), gold)
                latencies.append(time.perf_counter() - t0)
            worst[name] = round(max(latencies), 3)
    finally:
        pool.close()
    pairs = list(zip(verdicts["agentrl"], verdicts["math_verify"]))
    agree = sum(a == b for a, b in pairs)
    differ = [
        {"kind": kind, "response": response[-60:], "gold": gold, "agentrl": a, "math_verify": b}
        for (kind, response, gold), (a, b) in zip(mix, pairs)
        if a != b
    ]
    for name in columns:
        columns[name]["pathological_worst_latency_s"] = worst[name]
    return {
        "responses": len(mix),
        "threads": 1,
        **columns,
        "agreement": {
            "same_verdict": agree,
            "of": len(pairs),
            "rate": round(agree / len(pairs), 4),
        },
        "disagreements": differ[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="responses in the mix")
    parser.add_argument("--timeout", type=float, default=2.0, help="grade timeout in seconds")
    args = parser.parse_args()
    mix = make_mix(args.n)
    items = [(response, gold) for _, response, gold in mix]
    report: dict[str, object] = {
        "grader_version": GRADER_VERSION,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
        "mix": dict(Counter(kind for kind, _, _ in mix)),
        "throughput": [throughput(items, w, args.timeout) for w in (1, 2)],
    }
    # The share that needs sympy is where worker processes matter.
    symbolic = [(r, g) for kind, r, g in mix if kind == "symbolic"]
    report["symbolic_only"] = [throughput(symbolic, w, args.timeout) for w in (1, 2)]
    if MATH500.exists():
        golds = [str(r["answer"]) for r in json.loads(MATH500.read_text())]
        report["math500_gold_vs_boxed_gold"] = throughput(
            [(_box(g), g) for g in golds], 2, args.timeout
        )
    report["pathological"] = pathological(args.timeout)
    report["math_verify"] = math_verify_column(mix, args.timeout)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
