"""Evaluation metrics as papers report them: pass@k, maj@k, bootstrap confidence intervals.

Plain NumPy; no jax.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from agentrl.errors import ConfigError


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. (2021) from n samples of which c are correct.

    pass@k = 1 - C(n - c, k) / C(n, k): the probability that at least one of k samples drawn
    without replacement from the n is correct. Computed as a running product for stability.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ConfigError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def majority_vote(answers: Sequence[str | None], correct: Sequence[bool]) -> bool:
    """maj@k for one problem: is the most frequent (normalized) answer a correct one?

    Ties go to the answer seen first, so the result is deterministic. Unparseable answers (None)
    never win a vote.
    """
    votes = Counter(a for a in answers if a is not None)
    if not votes:
        return False
    top = max(votes.values())
    winner = next(a for a in answers if a is not None and votes[a] == top)
    return any(ok for a, ok in zip(answers, correct) if a == winner)


def bootstrap_ci(
    values: Sequence[float],
    *,
    statistic: Callable[[np.ndarray], float] = np.mean,  # type: ignore[assignment]
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` over per-problem values."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, data.size, size=(resamples, data.size))
    stats = np.array([statistic(data[row]) for row in idx])
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


def paired_difference_ci(
    a: Sequence[float], b: Sequence[float], *, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of (b - a) over paired problems with its bootstrap interval: (diff, low, high)."""
    if len(a) != len(b):
        raise ConfigError(f"paired results differ in length: {len(a)} vs {len(b)}")
    diff = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    low, high = bootstrap_ci(diff.tolist(), confidence=confidence, seed=seed)
    return float(diff.mean()) if diff.size else math.nan, low, high
