"""The grader worker process: reads JSON requests on stdin, answers one JSON line each.

Started by `agentrl.grading.pool.WorkerPool` as ``python -m agentrl.grading._worker``. The
parent enforces the time limit by killing this process; here we only cap memory, so a runaway
big-integer computation fails fast instead of swapping the host.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_MEMORY_LIMIT_BYTES = 2 << 30


def _limit_memory() -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = _MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(hard, 2 << 30)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ImportError, ValueError, OSError):
        pass  # best effort: the parent's kill on timeout is the real guarantee


def handle(request: dict[str, Any]) -> dict[str, str]:
    """Compare one normalized (prediction, gold) pair with sympy."""
    from agentrl.grading.structure import compare, parse
    from agentrl.grading.symbolic import SympyComparator

    comparator = SympyComparator()
    try:
        equal = compare(parse(request["pred"]), parse(request["gold"]), comparator)
    except MemoryError:
        return {"verdict": "timeout", "reason": "ran out of memory comparing with sympy"}
    except RecursionError:
        return {"verdict": "timeout", "reason": "expression nested too deeply for sympy"}
    except OverflowError as e:
        return {"verdict": "timeout", "reason": f"number too large to evaluate: {e}"}
    except Exception as e:  # reported as the verdict's reason, not swallowed
        return {"verdict": "wrong", "reason": f"sympy could not compare: {type(e).__name__}: {e}"}
    if equal:
        return {"verdict": "correct", "reason": "equivalent (sympy)"}
    note = f" ({comparator.notes[0]})" if comparator.notes else ""
    return {"verdict": "wrong", "reason": f"not equivalent (sympy){note}"}


def main() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # anything sympy prints must not corrupt the protocol
    _limit_memory()
    import agentrl.grading.symbolic  # noqa: F401  (pay the sympy import before "ready")

    protocol.write('{"ready": true}\n')
    protocol.flush()
    for line in sys.stdin:
        reply = handle(json.loads(line))
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
