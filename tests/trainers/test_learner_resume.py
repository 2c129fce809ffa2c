"""A learner's state_dict through an Orbax checkpoint resumes exactly: the next step's metrics
and parameters equal those of a run that never stopped."""

from __future__ import annotations

import jax
import numpy as np
from trainer_helpers import make_model, random_sequences

from agentrl.infra.checkpoint import Checkpointer, abstract_like
from agentrl.trainers.sft import SFTConfig, SFTLearner


def test_sft_learner_resumes_exactly(tmp_path):
    config = SFTConfig(optimizer={"lr": 1e-2, "schedule": "cosine", "total_steps": 4})
    data = list(zip(*random_sequences(4, seed=3)))
    through = SFTLearner(config, make_model())
    through.train_step(data)
    with Checkpointer(tmp_path, keep=1, every=1) as ckpt:
        ckpt.save(1, through.state_dict(), force=True)
    want = through.train_step(data)

    resumed = SFTLearner(config, make_model(seed=9))  # other weights: all must come back
    with Checkpointer(tmp_path, keep=1, every=1) as ckpt:
        restored = ckpt.restore_latest(abstract_like(resumed.state_dict()))
    resumed.load_state_dict(restored.state)
    assert resumed.step == 1
    got = resumed.train_step(data)
    assert got == want  # loss, grad norm and the scheduled lr, bit for bit
    for a, b in zip(jax.tree.leaves(through.params), jax.tree.leaves(resumed.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
