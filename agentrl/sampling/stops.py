"""Stop strings, checked on decoded text on the host.

A completion that contains a stop string ends at the first token whose text completes it: the
completion keeps the text up to and including that token (`SamplingParams.stop`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def first_stop(
    token_ids: Sequence[int], stops: Sequence[str], decode: Callable[[Sequence[int]], str]
) -> int | None:
    """The length of the shortest prefix of `token_ids` whose text contains a stop string.

    Containment grows monotonically with the prefix, so a binary search over prefix lengths
    needs O(log n) decodes instead of one per token.

    Returns:
        That length, or None when the whole text contains no stop string.
    """
    if not stops or not token_ids:
        return None

    def hit(n: int) -> bool:
        text = decode(token_ids[:n])
        return any(s in text for s in stops)

    if not hit(len(token_ids)):
        return None
    low, high = 1, len(token_ids)  # hit(high) holds; find the smallest such n
    while low < high:
        mid = (low + high) // 2
        if hit(mid):
            high = mid
        else:
            low = mid + 1
    return low
