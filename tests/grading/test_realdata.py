"""Every gold answer of the real data files grades correct against itself in a box."""

from __future__ import annotations

import json

import pytest

from agentrl.errors import GradingError
from agentrl.grading import WorkerPool, grade

pytestmark = pytest.mark.realdata


def _records(shared_data):
    for path in sorted((shared_data / "deepscaler").glob("*.json")):
        for i, record in enumerate(json.loads(path.read_text())):
            yield f"{path.name}:{i}", record["answer"]
    for path in sorted((shared_data / "gsm8k").glob("*.jsonl")):
        for i, line in enumerate(path.read_text().splitlines()):
            yield f"{path.name}:{i}", json.loads(line)["answer"].split("####")[-1].strip()


def test_gold_answers_grade_themselves_correct(shared_data):
    pool = WorkerPool(2)
    failures, missing, graded = [], [], 0
    try:
        for where, answer in _records(shared_data):
            if answer is None or answer == "":
                missing.append(where)
                with pytest.raises(GradingError):
                    grade(r"\boxed{1}", answer, pool=pool)
                continue
            for alternative in answer if isinstance(answer, list) else [answer]:
                result = grade(rf"So the answer is $\boxed{{{alternative}}}$.", answer, pool=pool)
                graded += 1
                if result.verdict != "correct":
                    failures.append((where, alternative, result))
    finally:
        pool.close()
    assert failures == []
    assert graded > 17_000
    # Four training records carry no answer at all; the grader refuses them with a clear error.
    assert len(missing) <= 4


def test_gsm8k_reference_solutions_grade_correct(shared_data):
    """Whole GSM8K solutions, `<<a*b=c>>` annotations and all, as if a model wrote them."""
    lines = (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()
    failures = []
    for i, line in enumerate(lines):
        solution = json.loads(line)["answer"]
        result = grade(solution, solution.split("####")[-1].strip())
        if result.verdict != "correct":
            failures.append((i, result))
    assert failures == [] and len(lines) > 1000
