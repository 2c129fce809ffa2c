"""``agentrl grade``: grade one response against a gold answer and say why.

agentrl grade 'so the answer is \\boxed{\\frac{1}{2}}' --gold 0.5
agentrl grade '\\boxed{(0,1]}' --gold '[0,1]' --json
agentrl grade - --gold 42 < response.txt          # read the response from stdin
agentrl grade '\\boxed{6630}' --gold 6630.65 --gold 6630   # any of several golds

The verdict (correct, wrong, unparseable, timeout) is the output, not an error: the exit status
is 0 whatever it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade a math answer against a gold answer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("response", help="the model's response text, or - to read stdin")
    parser.add_argument(
        "--gold",
        action="append",
        required=True,
        metavar="ANSWER",
        help="the gold answer; repeat for alternatives (correct if any matches)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds sympy may spend (default 5)"
    )
    parser.add_argument("--json", action="store_true", help="print the Grade as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agentrl.errors import ConfigError
    from agentrl.grading import DEFAULT_TIMEOUT, GRADER_VERSION, grade

    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if not timeout > 0:
        raise ConfigError(f"got --timeout {timeout}, need > 0 seconds")
    response = sys.stdin.read() if args.response == "-" else args.response
    gold = args.gold[0] if len(args.gold) == 1 else args.gold
    result = grade(response, gold, timeout=timeout)
    if args.json:
        record = {
            "verdict": result.verdict,
            "reason": result.reason,
            "predicted": result.predicted,
            "gold": result.gold,
            "grader_version": GRADER_VERSION,
        }
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(
            f"{result.verdict}: {result.reason}\n"
            f"  predicted: {result.predicted or '(none)'}\n"
            f"  gold:      {result.gold}"
        )
    return 0
