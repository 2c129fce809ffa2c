"""Padded sizes that keep the number of compiled shapes small.

A jitted function compiles once per input shape, so batch rows, prompt lengths and token budgets
are padded up to a short ladder of sizes. One ladder serves the sampler and the trainers.
"""

from __future__ import annotations


def bucket(n: int, minimum: int = 16, *, half_steps: bool = False) -> int:
    """The smallest power of two >= max(n, minimum); with `half_steps`, 1.5x powers of two
    (24, 48, 96, ... or 3, 6, 12, ... from a minimum of 1) count too, so padding wastes at most a
    third instead of a half, for two compiled shapes per octave instead of one.

        >>> [bucket(n, 1, half_steps=True) for n in (3, 5, 7, 9, 136)]
        [3, 6, 8, 12, 192]
    """
    size = minimum
    while size < n:
        size *= 2
    if half_steps and size >= 2 * minimum and n <= size * 3 // 4:
        size = size * 3 // 4
    return size
