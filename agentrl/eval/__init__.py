"""Benchmark evaluation: suites, policies, pass@k metrics, reports.

>>> from agentrl.eval import load_suite
>>> load_suite("smoke").id
'smoke-v0'
"""

from agentrl.eval.metrics import bootstrap_ci, majority_vote, pass_at_k
from agentrl.eval.policy import Policy
from agentrl.eval.runner import evaluate
from agentrl.eval.suites import SUITES, SamplingSpec, Suite, SuiteTask, load_suite

__all__ = [
    "SUITES",
    "Policy",
    "SamplingSpec",
    "Suite",
    "SuiteTask",
    "bootstrap_ci",
    "evaluate",
    "load_suite",
    "majority_vote",
    "pass_at_k",
]
