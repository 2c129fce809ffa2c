"""``agentrl train --algo grpo --data DIR``: learn from what ``agentrl serve --record DIR`` wrote.

The folder holds the server's request trajectories (``serve-*.jsonl``) and the rewards posted
to ``/v1/rewards`` (``serve-*.rewards``). Each session's requests are merged as the server
merges them (`agentrl.serve.sessions.merge_session`: requests that extend one another make one
multi-turn trajectory), every trajectory of a session gets the session's reward (the last one
posted, when several were), and sessions are grouped by task: the ``task`` the reward named,
else the session's first prompt (its exact tokens), so G sessions that a program began with the
same prompt are one GRPO group.

Left out, and counted when the run starts: sessions without a reward, requests without a
session (no ``user`` field, no ``/s/<session>`` URL: nothing could reward them), and sessions
whose first user message is one of the run's held-out problems. Each step learns from
``rollout.prompts_per_step`` groups drawn from ``(seed, step)``, as pool SFT draws its batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.serve.recording import REWARDS_SUFFIX
from agentrl.serve.sessions import merge_session, prompt_end
from agentrl.trajectory import Trajectory, TrajectoryError, read_jsonl
from agentrl.wrappers import normalize_prompt


def is_recording(path: str | None) -> bool:
    """Whether `path` is a folder ``agentrl serve --record`` wrote."""
    if path is None or not Path(path).is_dir():
        return False
    folder = Path(path)
    return any(folder.glob("serve-*.jsonl")) or any(folder.glob(f"*{REWARDS_SUFFIX}"))


@dataclass
class Recording:
    """A recording's rewarded sessions as GRPO groups, and what was left out."""

    groups: list[list[Trajectory]]
    prompts: list[str | None]  # each group's first user message
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self, folder: str) -> str:
        c = self.counts
        return (
            f"{folder}: {c['sessions']} sessions, {c['rewarded']} rewarded, in {len(self.groups)} "
            f"task groups ({c['singletons']} of one session, which GRPO cannot compare); left "
            f"out: {c['unrewarded']} without a reward, {c['no_session']} requests without a "
            f"session, {c['heldout']} on held-out problems"
        )


def _rewards(folder: Path) -> dict[str, tuple[float, str | None]]:
    rewards: dict[str, tuple[float, str | None]] = {}
    lines = []
    for path in sorted(folder.glob(f"*{REWARDS_SUFFIX}")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ConfigError(f"{path}:{lineno}: not a reward record: {e}") from None
    for row in sorted(lines, key=lambda r: r.get("time", 0.0)):  # the last posted wins
        rewards[str(row["session"])] = (float(row["reward"]), row.get("task"))
    return rewards


def _first_user(request: Trajectory) -> str | None:
    return next((m.get("content") for m in request.messages if m.get("role") == "user"), None)


def read_recording(folder: str, heldout: Iterable[str] = ()) -> Recording:
    """The rewarded sessions of `folder` as task groups (see the module docstring).

    Raises:
        ConfigError: no recorded request, a bad record (naming file and line), or no session
            with a reward.
    """
    path = Path(folder)
    try:
        requests = list(read_jsonl(path))
    except TrajectoryError as e:
        raise ConfigError(f"got data={folder!r}: {e}") from None
    if not requests:
        raise ConfigError(f"got data={folder!r}: no recorded requests (serve-*.jsonl) there")
    rewards = _rewards(path)
    sessions: dict[str, list[Trajectory]] = {}
    no_session = 0
    for request in requests:
        session = request.info.get("session")
        if session is None:
            no_session += 1
        else:
            sessions.setdefault(str(session), []).append(request)
    held = {normalize_prompt(p) for p in heldout}
    groups: dict[Any, list[Trajectory]] = {}
    group_ids: dict[Any, str] = {}
    prompts: dict[Any, str | None] = {}
    counts = {"sessions": len(sessions), "rewarded": 0, "unrewarded": 0, "heldout": 0}
    for session, asked in sessions.items():
        if session not in rewards:
            counts["unrewarded"] += 1
            continue
        asked.sort(key=lambda t: t.info.get("time", 0.0))
        first = _first_user(asked[0])
        if first is not None and normalize_prompt(first) in held:
            counts["heldout"] += 1
            continue
        counts["rewarded"] += 1
        reward, task = rewards[session]
        key = task if task is not None else tuple(asked[0].token_ids[: prompt_end(asked[0])])
        group = groups.setdefault(key, [])
        prompts.setdefault(key, first)
        group_id = group_ids.setdefault(key, f"recorded-{len(group_ids)}")
        group += [
            t.model_copy(update={"reward": reward, "group_id": group_id, "task_id": task})
            for t in merge_session(asked)
        ]
    if not groups:
        raise ConfigError(
            f"got data={folder!r}: none of its {len(sessions)} sessions has a reward "
            f'({counts["heldout"]} held out); POST /v1/rewards {{"user": ID, "reward": R}} '
            "to the recording server for each session"
        )
    singletons = sum(len({t.info.get("session") for t in g}) == 1 for g in groups.values())
    counts.update(no_session=no_session, singletons=singletons)
    return Recording(list(groups.values()), list(prompts.values()), counts)


class RecordedSessions:
    """The RL step source of ``--data DIR`` (a recording): draws groups, learns."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    def step(self, ctx: Any, learner: Any, step: int) -> tuple[dict[str, float], int]:
        import numpy as np

        from agentrl.train.agents import learn_from

        groups = self.recording.groups
        rng = np.random.default_rng([ctx.config.seed, step])
        draw = rng.choice(
            len(groups), min(ctx.config.rollout.prompts_per_step, len(groups)), replace=False
        )
        batch = [t for i in draw for t in groups[i]]
        ctx.on_prompts(self.recording.prompts[i] for i in draw)
        metrics, tokens = learn_from(ctx, learner, batch)
        return {
            **metrics,
            "reward/mean": float(np.mean([t.reward for t in batch])),
            "train/accuracy": float(np.mean([t.reward > 0 for t in batch])),
            "recording/groups": float(len(draw)),
        }, tokens

    def close(self) -> None:
        pass
