"""The server backend's pieces without servers: the staleness bound, the producer's gate
(rollouts run at most ``max_staleness`` versions ahead) and the config's checks."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from agentrl.config import load_config
from agentrl.errors import ConfigError
from agentrl.train.config import TrainConfig
from agentrl.train.server_rollout import _Producer, staleness_filter


def test_trajectories_older_than_the_bound_are_dropped():
    trajs = [SimpleNamespace(policy_version=v) for v in (5, 4, 3, 2)]
    kept, staleness = staleness_filter(trajs, version=5, max_staleness=1)
    assert [t.policy_version for t in kept] == [5, 4]
    assert staleness == [0, 1, 2, 3]
    kept0, _ = staleness_filter(trajs, version=5, max_staleness=0)
    assert [t.policy_version for t in kept0] == [5]


@pytest.mark.parametrize("k", [0, 1, 2])
def test_rollouts_run_at_most_max_staleness_versions_ahead(k):
    """A trainer that takes step s's batch, then 'updates' and publishes version s + 1: each
    rollout of step s starts with the servers on version >= s - k, and with k >= 1 the next
    step's rollout starts before the update of the current one ends."""
    seen: dict[int, int] = {}
    servers = {"version": 0}  # what the servers hold

    def sample(step: int):
        seen[step] = servers["version"]
        return [SimpleNamespace(policy_version=servers["version"])], 0.0

    producer = _Producer(sample, start=0, stop=6, max_staleness=k, version=0)
    overlapped = []
    for step in range(6):
        batch, _ = producer.take(step)
        kept, _ = staleness_filter(batch, step, k)
        assert kept == batch  # the gate keeps every batch within the bound
        time.sleep(0.05)  # the update
        overlapped.append(step + 1 in seen)  # the next rollout ran during it
        servers["version"] = step + 1
        producer.set_version(step + 1)
    producer.close()
    assert all(seen[s] >= s - k for s in seen)
    assert any(seen[s] == s - k for s in seen if s >= k)  # and it does run that far ahead
    assert any(overlapped) == (k >= 1)


def test_a_failed_rollout_reaches_the_trainer():
    def sample(step: int):
        raise RuntimeError("endpoints down")

    producer = _Producer(sample, start=0, stop=3, max_staleness=1, version=0)
    with pytest.raises(RuntimeError, match="endpoints down"):
        producer.take(0)
    producer.close()
    assert not producer.thread.is_alive()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["rollout.backend=server"], "needs either rollout.endpoints"),
        (["rollout.backend=server", "rollout.launch=1", "rollout.endpoints=[http://x:1]"],
         "not both"),
        (["rollout.launch=2"], "rollout.backend=local"),
        (["rollout.backend=server", "rollout.endpoints=[localhost:8000]"], "http"),
        (["rollout.backend=server", "rollout.launch=1", "rollout.sync_every=3",
          "rollout.max_staleness=1"], "need max_staleness >= 2"),
        (["rollout.backend=server", "rollout.launch=1", "algo=dpo"], "runs GRPO and PPO"),
    ],
)  # fmt: skip
def test_bad_server_settings_are_named(overrides, match):
    with pytest.raises(ConfigError, match=match):
        load_config(TrainConfig, None, overrides)


def test_producer_close_does_not_hang_a_waiting_rollout():
    started = threading.Event()

    def sample(step: int):
        started.set()
        return [], 0.0

    producer = _Producer(sample, start=0, stop=5, max_staleness=0, version=0)
    producer.take(0)  # step 1 now waits for version 1, which never comes
    producer.close()
    assert not producer.thread.is_alive()
