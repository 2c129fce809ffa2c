"""Trajectories to padded, shifted, bucketed batches; DAPO filters."""

from __future__ import annotations

import numpy as np
import pytest
from trainer_helpers import make_trajectories

from agentrl.errors import ConfigError
from agentrl.trainers.batching import (
    bucket_length,
    bucket_rows,
    drop_zero_variance_groups,
    pack_sequences,
    trajectories_to_batch,
)


def test_buckets():
    assert [bucket_length(n) for n in (1, 16, 17, 33, 100)] == [16, 16, 32, 64, 128]
    assert bucket_length(40, [32, 48, 96]) == 48
    with pytest.raises(ConfigError, match="longer than the largest bucket 96"):
        bucket_length(97, [32, 96])
    sizes = (1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 136, 200)
    assert [bucket_rows(n) for n in sizes] == [1, 2, 3, 4, 6, 6, 8, 8, 12, 16, 192, 256]
    assert bucket_rows(3, multiple=8) == 8


def test_batch_is_shifted_masked_and_padded():
    trajs = make_trajectories(groups=2, group_size=3, env_tokens=True)
    b = trajectories_to_batch(trajs, pad_id=0, row_multiple=4)
    assert b.input_ids.shape == (8, 16)  # 6 rows -> 8 (multiple of 4), longest 15 -> 16
    for i, t in enumerate(trajs):
        n = len(t.token_ids)
        np.testing.assert_array_equal(b.input_ids[i, : n - 1], t.token_ids[:-1])
        np.testing.assert_array_equal(b.target_ids[i, : n - 1], t.token_ids[1:])
        # the target's mask: env tokens between the two policy turns stay out of the loss
        np.testing.assert_array_equal(b.loss_mask[i, : n - 1], t.loss_mask[1:])
        np.testing.assert_array_equal(b.old_logprobs[i, : n - 1], t.logprobs[1:])
        assert b.attention_mask[i, :n].all() and not b.attention_mask[i, n:].any()
        assert b.loss_mask[i, n - 1 :].sum() == 0
    assert b.loss_mask[6:].sum() == 0 and not b.attention_mask[6:].any()
    np.testing.assert_array_equal(b.group_ids[:6], [0, 0, 0, 1, 1, 1])
    assert len(set(b.group_ids[6:]) | {0, 1}) == 4  # padding rows are groups of their own
    np.testing.assert_allclose(b.rewards[:6], [t.reward for t in trajs])


def test_dynamic_sampling_and_overlong_filter():
    trajs = make_trajectories(groups=2, group_size=2)
    for t in trajs[:2]:
        t.reward = 1.0
    kept = drop_zero_variance_groups(trajs)
    assert [t.group_id for t in kept] == ["g1", "g1"]
    trajs[2].termination = "max_tokens"
    b = trajectories_to_batch(trajs, overlong_filter=True)
    assert b.loss_mask[2].sum() == 0 and b.loss_mask[3].sum() > 0
    assert trajectories_to_batch(trajs).loss_mask[2].sum() > 0


def test_pack_rejects_bad_input():
    with pytest.raises(ConfigError, match="need at least one"):
        pack_sequences([], [])
    with pytest.raises(ConfigError, match="sequence 1 has 1 tokens"):
        pack_sequences([[1, 2], [3]], [[0, 1], [1]])
