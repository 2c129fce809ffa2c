"""``agentrl serve --record DIR``: every answered request becomes token-level trajectories.

An agent written against the OpenAI API (not a Gym env) thereby produces training data: each
choice of each request is one `Trajectory` whose prompt span holds the request's prompt tokens
(for chat, the conversation rendered by the server's template) and whose policy span holds the
sampled tokens with their log-probs; ``info["session"]`` names its session (`agentrl.serve.
sessions`: the ``/s/<session>`` URL or the ``user`` field). ``POST /v1/rewards`` appends
``{"session", "reward", "task", "time"}`` lines to ``serve-<time>-<pid>.rewards`` beside the
trajectories (not ``*.jsonl``, so trajectory readers skip it). ``agentrl train --algo grpo --data
DIR`` merges each session's requests (`merge_session`) and learns from the rewarded ones
(`agentrl.train.recorded`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentrl.serve.protocol import APIError, Choice
from agentrl.trajectory import Span, Trajectory, TrajectoryWriter

REWARDS_SUFFIX = ".rewards"


class RequestLog:
    """Where the app hands every answered request (`Recorder`, or a trainer's collector)."""

    def record(
        self,
        *,
        endpoint: str,
        request_id: str,
        prompt_ids: Sequence[int],
        choices: Sequence[Choice],
        policy_version: int,
        messages: Sequence[Mapping[str, Any]] | None = None,
        replies: Sequence[Mapping[str, Any]] | None = None,
        session: str | None = None,
    ) -> None:
        for k, choice in enumerate(choices):
            trajectory = _trajectory(
                endpoint=endpoint,
                request_id=request_id,
                prompt_ids=prompt_ids,
                choice=choice,
                policy_version=policy_version,
                messages=[*messages, replies[k]] if messages and replies else [],
                session=session,
            )
            self.write(trajectory, session)

    def write(self, trajectory: Trajectory, session: str | None) -> None:
        raise NotImplementedError

    def reward(self, session: str, reward: float, *, task: str | None = None) -> None:
        """Attach `reward` to `session` (``POST /v1/rewards``); `APIError` 404 if unknown."""
        raise APIError(400, "this server takes no rewards")

    def close(self) -> None:
        pass


class Recorder(RequestLog):
    """Appends trajectories to ``DIR/serve-<time>-<pid>.jsonl``, rewards to ``.rewards``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = Path(folder) / f"serve-{stamp}-{os.getpid()}.jsonl"
        self.rewards_path = self.path.with_suffix(REWARDS_SUFFIX)
        self._writer = TrajectoryWriter(self.path)
        self._lock = threading.Lock()
        self.sessions: set[str] = set()  # the sessions this server recorded

    def write(self, trajectory: Trajectory, session: str | None) -> None:
        if session is not None:
            with self._lock:
                self.sessions.add(session)
        self._writer.write(trajectory)

    def reward(self, session: str, reward: float, *, task: str | None = None) -> None:
        with self._lock:
            if session not in self.sessions:
                raise APIError(
                    404,
                    f"no recorded session {session!r}: this server has recorded "
                    f"{len(self.sessions)} sessions (send its requests with user={session!r} "
                    f"or to /s/{session}/v1 first)",
                    param="user",
                )
            line = {"session": session, "reward": reward, "task": task, "time": time.time()}
            with self.rewards_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")

    def close(self) -> None:
        self._writer.close()


def _trajectory(
    *,
    endpoint: str,
    request_id: str,
    prompt_ids: Sequence[int],
    choice: Choice,
    policy_version: int,
    messages: list[Mapping[str, Any]],
    session: str | None = None,
) -> Trajectory:
    n_prompt, n_out = len(prompt_ids), len(choice.token_ids)
    logprobs = choice.completion.logprobs or [0.0] * n_out
    return Trajectory(
        env_id=f"serve{endpoint}",
        group_id=request_id,  # the n choices of one request share a prompt
        policy_version=policy_version,
        token_ids=[*prompt_ids, *choice.token_ids],
        loss_mask=[0] * n_prompt + [1] * n_out,
        logprobs=[0.0] * n_prompt + [float(x) for x in logprobs],
        spans=[
            Span(role="prompt", start=0, end=n_prompt, turn=0),
            Span(role="policy", start=n_prompt, end=n_prompt + n_out, turn=0),
        ],
        termination="terminated" if choice.finish_reason == "stop" else "max_tokens",
        messages=[dict(m) for m in messages],
        info={
            "request_id": request_id,
            "session": session,
            "choice": choice.index,
            "finish_reason": choice.finish_reason,
            "text": choice.text,
            "time": time.time(),
            "logprobs_missing": choice.completion.logprobs is None,
        },
    )
