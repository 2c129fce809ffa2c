"""Token sequences and trajectories to padded, bucketed device batches.

A sequence of ``n`` tokens becomes ``n - 1`` training positions: inputs ``ids[:-1]``, targets
``ids[1:]``, and every per-token field (loss mask, sampler log-probs) is taken at the target.
Lengths are padded up to a bucket (powers of two from `MIN_BUCKET` by default) and the row count
up to a power of two, so a run compiles a handful of step functions, not one per batch. Padding
rows and positions have loss mask 0 and take no part in any statistic.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from agentrl.errors import ConfigError
from agentrl.shapes import bucket
from agentrl.trajectory import Trajectory

MIN_BUCKET = 16

# Terminations that mean "cut by a length limit": DAPO's overlong filtering masks them out.
OVERLONG_TERMINATIONS = ("max_tokens", "context_limit")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class TokenBatch:
    """One padded batch, ``[B, L]`` per token unless marked ``[B]``.

    The fields after `group_ids` are filled by the learners and stay None otherwise: `weights`
    turn per-token losses into the batch loss (`agentrl.trainers.losses.token_weights`),
    `metric_weights` average per-token metrics over the batch's masked tokens.
    """

    input_ids: Any
    target_ids: Any
    positions: Any
    attention_mask: Any  # bool: input position holds a real token
    loss_mask: Any  # float 0/1: the target is a policy token that counts
    old_logprobs: Any  # the sampler's log-prob of each target (0 off the mask)
    rewards: Any  # [B] episode rewards
    group_ids: Any  # [B] int: rows sharing an id come from one prompt
    weights: Any = None
    metric_weights: Any = None
    advantages: Any = None
    ref_logprobs: Any = None
    old_values: Any = None
    returns: Any = None
    is_weights: Any = None  # off-policy correction: truncated importance weights (`off_policy`)

    @property
    def num_rows(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def length(self) -> int:
        return int(self.input_ids.shape[1])

    def replace(self, **fields: Any) -> TokenBatch:
        return dataclasses.replace(self, **fields)

    def rows(self, start: int, stop: int) -> TokenBatch:
        """Rows ``[start, stop)`` of every array field."""
        return jax.tree.map(lambda x: x[start:stop], self)


def bucket_length(n: int, buckets: Sequence[int] | None = None) -> int:
    """The smallest bucket holding `n` positions (powers of two >= `MIN_BUCKET` by default).

    Raises:
        ConfigError: `n` is longer than the largest given bucket.
    """
    if buckets is None:
        return max(MIN_BUCKET, 1 << max(n - 1, 0).bit_length())
    for b in sorted(buckets):
        if b >= n:
            return int(b)
    raise ConfigError(
        f"got a sequence of {n} positions, longer than the largest bucket {max(buckets)}"
    )


def bucket_rows(n: int, multiple: int = 1) -> int:
    """Rows padded up the `agentrl.shapes.bucket` ladder (1, 2, 3, 4, 6, 8, 12, ...), then to a
    multiple of `multiple`: when dynamic sampling keeps, say, 136 of 256 rows, they pad to 192,
    not straight back to 256."""
    rows = bucket(n, 1, half_steps=True)
    return int(math.ceil(rows / multiple) * multiple)


def pack_sequences(
    token_ids: Sequence[Sequence[int]],
    loss_masks: Sequence[Sequence[int]],
    logprobs: Sequence[Sequence[float]] | None = None,
    rewards: Sequence[float] | None = None,
    group_ids: Sequence[int] | None = None,
    *,
    pad_id: int = 0,
    buckets: Sequence[int] | None = None,
    row_multiple: int = 1,
    length: int | None = None,
) -> TokenBatch:
    """Pad and shift sequences into a `TokenBatch` of NumPy arrays.

    Args:
        token_ids: one list of ids per row (each at least 2 long).
        loss_masks: 1 where the token counts in the loss, per row.
        logprobs: the sampler's per-token log-probs (zeros when None).
        rewards: one per row (zeros when None).
        group_ids: ints, rows of one prompt share one (each row its own when None).
        pad_id: id written at padding positions (never scored).
        buckets: allowed lengths (see `bucket_length`).
        row_multiple: the row count is padded to a multiple of this too.
        length: force this many positions instead of bucketing.
    """
    n_rows = len(token_ids)
    if n_rows == 0:
        raise ConfigError("got an empty batch, need at least one sequence")
    short = [i for i, ids in enumerate(token_ids) if len(ids) < 2]
    if short:
        raise ConfigError(f"sequence {short[0]} has {len(token_ids[short[0]])} tokens, need >= 2")
    longest = max(len(ids) for ids in token_ids) - 1
    width = length if length is not None else bucket_length(longest, buckets)
    if width < longest:
        raise ConfigError(f"got length={width}, but a sequence needs {longest} positions")
    rows = bucket_rows(n_rows, row_multiple)
    ids = np.full((rows, width + 1), pad_id, np.int32)
    mask = np.zeros((rows, width + 1), np.float32)
    lps = np.zeros((rows, width + 1), np.float32)
    real = np.zeros((rows, width + 1), bool)
    for i, seq in enumerate(token_ids):
        n = len(seq)
        ids[i, :n] = seq
        mask[i, :n] = loss_masks[i]
        real[i, :n] = True
        if logprobs is not None:
            lps[i, :n] = logprobs[i]
    reward_b = np.zeros(rows, np.float32)
    if rewards is not None:
        reward_b[:n_rows] = rewards
    group_b = np.arange(rows, dtype=np.int32)
    if group_ids is not None:
        group_b[:n_rows] = group_ids
    return TokenBatch(
        input_ids=ids[:, :-1],
        target_ids=ids[:, 1:],
        positions=np.broadcast_to(np.arange(width, dtype=np.int32), (rows, width)).copy(),
        attention_mask=real[:, :-1],
        loss_mask=mask[:, 1:],
        old_logprobs=lps[:, 1:],
        rewards=reward_b,
        group_ids=group_b,
    )


def group_indices(trajectories: Sequence[Trajectory]) -> list[int]:
    """Dense group ints in order of first appearance; a None `group_id` is a group of its own."""
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(trajectories):
        key = t.group_id if t.group_id is not None else f"\0row{i}"
        out.append(seen.setdefault(key, len(seen)))
    return out


def informative_groups(trajectories: Sequence[Trajectory]) -> list[str]:
    """The ids of the groups whose episodes' rewards differ, in the order they were sampled:
    the only groups a group baseline gives a nonzero advantage."""
    by_group: dict[str, list[float]] = {}
    for t in trajectories:
        if t.group_id is not None:
            by_group.setdefault(t.group_id, []).append(t.reward)
    return [g for g, rs in by_group.items() if max(rs) - min(rs) > 1e-9]


def drop_zero_variance_groups(trajectories: Sequence[Trajectory]) -> list[Trajectory]:
    """DAPO's dynamic sampling filter: drop groups whose episodes all earned the same reward.

    Such groups have zero advantage under any group baseline, so they only dilute the batch.
    Episodes without a `group_id` are kept.
    """
    keep = set(informative_groups(trajectories))
    return [t for t in trajectories if t.group_id is None or t.group_id in keep]


def trajectories_to_batch(
    trajectories: Sequence[Trajectory],
    *,
    pad_id: int = 0,
    buckets: Sequence[int] | None = None,
    row_multiple: int = 1,
    overlong_filter: bool = False,
    overlong_terminations: Sequence[str] = OVERLONG_TERMINATIONS,
) -> TokenBatch:
    """A `TokenBatch` from rollout trajectories (multi-turn: env and tool tokens are masked).

    Args:
        trajectories: the episodes; `loss_mask` and `logprobs` come from the sampler.
        pad_id: see `pack_sequences`.
        buckets: see `pack_sequences`.
        row_multiple: see `pack_sequences`.
        overlong_filter: DAPO's overlong filtering: episodes that ended by hitting a length limit
            (`overlong_terminations`) keep their row but get loss mask 0, so a cut-off answer
            is neither rewarded nor punished.
        overlong_terminations: which `Trajectory.termination` values count as overlong.
    """
    masks = []
    for t in trajectories:
        cut = overlong_filter and t.termination in overlong_terminations
        masks.append([0] * len(t.loss_mask) if cut else t.loss_mask)
    return pack_sequences(
        [t.token_ids for t in trajectories],
        masks,
        [t.logprobs for t in trajectories],
        [t.reward for t in trajectories],
        group_indices(trajectories),
        pad_id=pad_id,
        buckets=buckets,
        row_multiple=row_multiple,
    )
