"""``agentrl serve --record DIR``: every answered request becomes token-level trajectories.

An agent written against the OpenAI API (not a Gym env) thereby produces training data: each
choice of each request is one `Trajectory` whose prompt span holds the request's prompt tokens
(for chat, the conversation rendered by the server's template) and whose policy span holds the
sampled tokens with their log-probs. Trainers read the folder with `agentrl.trajectory.read_jsonl`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentrl.serve.protocol import Choice
from agentrl.trajectory import Span, Trajectory, TrajectoryWriter


class Recorder:
    """Appends trajectories to ``DIR/serve-<time>-<pid>.jsonl``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = Path(folder) / f"serve-{stamp}-{os.getpid()}.jsonl"
        self._writer = TrajectoryWriter(self.path)

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
    ) -> None:
        for k, choice in enumerate(choices):
            self._writer.write(
                _trajectory(
                    endpoint=endpoint,
                    request_id=request_id,
                    prompt_ids=prompt_ids,
                    choice=choice,
                    policy_version=policy_version,
                    messages=[*messages, replies[k]] if messages and replies else [],
                )
            )

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
            "choice": choice.index,
            "finish_reason": choice.finish_reason,
            "text": choice.text,
            "time": time.time(),
            "logprobs_missing": choice.completion.logprobs is None,
        },
    )
