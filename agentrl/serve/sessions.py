"""Sessions: the requests of one agent run, merged into trajectories, and the reward it earned.

A request belongs to a session by its URL or its OpenAI ``user`` field:

- ``http://HOST:PORT/s/<session>/v1`` as the client's ``base_url`` puts every request under
  session ``<session>`` with no change to the program (this is how ``agentrl train --agent``
  runs each call of a program); the path wins over ``user``.
- otherwise the request body's ``user`` field names the session; a request with neither is a
  session of its own (one trajectory per request, as ``agentrl serve --record`` always did).

`merge_session` turns a session's requests, in the order they were answered, into trajectories,
token-in/token-out: a request whose prompt tokens start with all the tokens of an earlier
trajectory of the session (its prompts and sampled tokens) extends that trajectory; the new
prompt tokens between (tool results, the user's next message, the template's turn markers)
become an ``env`` span with loss mask 0 and the sampled tokens a ``policy`` span with mask 1.
A request that extends nothing starts a trajectory of its own. So an agent loop whose chat
template re-renders the model's replies as the tokens it sampled becomes one multi-turn
trajectory per session; one that rewrites its history (summaries, a re-rendered tool call whose
text differs from what was sampled) gives one trajectory per request that does not extend.

``POST /v1/rewards {"user": ID, "reward": R}`` (or ``POST /s/<ID>/v1/rewards {"reward": R}``)
attaches a reward to a recorded session, optionally with a ``task`` key that groups sessions of
one task for GRPO (default: the session's first prompt).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrl.serve.protocol import APIError
from agentrl.trajectory import Span, Trajectory

PREFIX = "/s/"
_path_session: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agentrl_path_session", default=None
)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def split_session(path: str) -> tuple[str | None, str]:
    """``("abc", "/v1/models")`` for ``"/s/abc/v1/models"``; ``(None, path)`` otherwise."""
    if path.startswith(PREFIX):
        session, sep, rest = path[len(PREFIX) :].partition("/")
        if session and sep:
            return unquote(session), "/" + rest
    return None, path


class SessionPaths:
    """ASGI middleware: serve ``/s/<session>/...`` as ``/...`` with the session remembered for
    the request (`session_of`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        session, path = (None, "")
        if scope["type"] == "http":
            session, path = split_session(scope["path"])
        if session is None:
            await self.app(scope, receive, send)
            return
        token = _path_session.set(session)
        try:
            await self.app({**scope, "path": path, "raw_path": path.encode()}, receive, send)
        finally:
            _path_session.reset(token)


def session_of(user: str | None) -> str | None:
    """The current request's session: its ``/s/<session>`` path, else its ``user`` field."""
    return _path_session.get() or user or None


class RewardRequest(BaseModel):
    """The body of ``POST /v1/rewards``."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = Field(default=None, description="the session (default: the URL's)")
    reward: float
    task: str | None = Field(
        default=None, description="groups sessions of one task (default: the first prompt)"
    )

    @field_validator("reward")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"got reward={value!r}, need a finite number")
        return value


def attach_reward(recorder: Any, req: RewardRequest) -> dict[str, Any]:
    """``POST /v1/rewards``: hand the reward to the server's recorder; the response echoes it."""
    session = session_of(req.user)
    if session is None:
        raise APIError(
            400, "name the session: send 'user', or post to /s/<session>/v1/rewards", param="user"
        )
    if recorder is None:
        raise APIError(400, "this server records no sessions; start it with --record DIR")
    recorder.reward(session, req.reward, task=req.task)
    return {"object": "reward", "user": session, "reward": req.reward, "task": req.task}


def prompt_end(request: Trajectory) -> int:
    """Where a recorded request's prompt ends (its first span, or its first sampled token)."""
    if request.spans and request.spans[0].role == "prompt":
        return request.spans[0].end
    return request.prompt_length


class _Chain:
    """A trajectory being built from the requests that extend one another."""

    def __init__(self, first: Trajectory) -> None:
        self.requests = [first]
        end = prompt_end(first)
        self.tokens = list(first.token_ids)
        self.mask = [0] * end + [1] * (len(first.token_ids) - end)
        self.logprobs = [0.0] * end + list(first.logprobs[end:])
        self.spans = [Span(role="prompt", start=0, end=end, turn=0)]
        self.spans.append(Span(role="policy", start=end, end=len(self.tokens), turn=0))

    def extends(self, request: Trajectory) -> bool:
        n = len(self.tokens)
        return prompt_end(request) >= n and request.token_ids[:n] == self.tokens

    def extend(self, request: Trajectory) -> None:
        turn = len(self.requests)
        start, end = len(self.tokens), prompt_end(request)
        if end > start:
            self.spans.append(Span(role="env", start=start, end=end, turn=turn))
        self.spans.append(Span(role="policy", start=end, end=len(request.token_ids), turn=turn))
        self.mask += [0] * (end - start) + [1] * (len(request.token_ids) - end)
        self.logprobs += [0.0] * (end - start) + list(request.logprobs[end:])
        self.tokens = list(request.token_ids)
        self.requests.append(request)

    def trajectory(self) -> Trajectory:
        first, last = self.requests[0], self.requests[-1]
        return Trajectory(
            env_id=first.env_id,
            group_id=first.group_id,
            policy_version=first.policy_version,
            token_ids=self.tokens,
            loss_mask=self.mask,
            logprobs=self.logprobs,
            spans=self.spans,
            termination=last.termination,
            messages=last.messages,
            info={
                **{k: v for k, v in last.info.items() if k not in ("request_id", "text")},
                "requests": [r.info.get("request_id") for r in self.requests],
                "turns": len(self.requests),
            },
        )


def merge_session(requests: Sequence[Trajectory]) -> list[Trajectory]:
    """A session's recorded requests (one `Trajectory` each, in answer order) as trajectories:
    each request extends the newest trajectory whose tokens its prompt starts with, or starts
    one (see the module docstring). Token ids are the session's own, never re-tokenized."""
    chains: list[_Chain] = []
    for request in requests:
        for chain in reversed(chains):
            if chain.extends(request):
                chain.extend(request)
                break
        else:
            chains.append(_Chain(request))
    return [chain.trajectory() for chain in chains]
