from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from agentrl.errors import ConfigError
from agentrl.eval.metrics import bootstrap_ci, majority_vote, paired_difference_ci, pass_at_k


def brute_force_pass_at_k(outcomes: list[bool], k: int) -> float:
    subsets = list(itertools.combinations(range(len(outcomes)), k))
    return sum(any(outcomes[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_pass_at_k_equals_enumeration_over_all_k_subsets(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(
                brute_force_pass_at_k(outcomes, k), abs=1e-12
            )


def test_pass_at_1_is_the_fraction_correct_and_bad_arguments_are_named():
    assert pass_at_k(16, 4, 1) == pytest.approx(0.25)
    with pytest.raises(ConfigError, match="k=5"):
        pass_at_k(4, 1, 5)


def test_majority_vote_ignores_unparseable_and_breaks_ties_by_first_seen():
    assert majority_vote(
        ["3", "4", "3", None, None, None], [True, False, True, False, False, False]
    )
    assert not majority_vote(["4", "3", "4", "3"], [False, True, False, True])
    assert not majority_vote([None, None], [False, False])


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_more_data():
    rng = np.random.default_rng(1)
    small = rng.random(20) < 0.5
    large = rng.random(2000) < 0.5
    lo_s, hi_s = bootstrap_ci(small)
    lo_l, hi_l = bootstrap_ci(large)
    assert lo_s <= small.mean() <= hi_s
    assert lo_l <= large.mean() <= hi_l
    assert hi_l - lo_l < hi_s - lo_s
    assert all(math.isnan(x) for x in bootstrap_ci([]))


def test_paired_difference():
    diff, lo, hi = paired_difference_ci([0, 0, 1, 1], [1, 1, 1, 1])
    assert diff == pytest.approx(0.5)
    assert lo <= diff <= hi
    with pytest.raises(ConfigError):
        paired_difference_ci([1], [1, 2])
