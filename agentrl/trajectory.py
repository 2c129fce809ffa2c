"""Trajectories: the one contract trainers read.

A trajectory is one episode as tokens. ``token_ids`` is the whole conversation exactly as the
policy saw and produced it (token-in, token-out: history is appended, never re-tokenized), so
what a trainer scores is exactly what was sampled. ``loss_mask`` is 1 only on tokens the policy
sampled; prompt, environment and tool tokens are 0. ``logprobs`` holds the sampler's log-prob
of each sampled token and 0.0 elsewhere.

On disk trajectories are JSONL, one episode per line (`write_jsonl`, `append_jsonl`,
`TrajectoryWriter`; `read_jsonl` streams a file or a folder of ``*.jsonl``). `validate_jsonl`
checks a file and is what ``python -m agentrl.trajectory FILE...`` runs. Trainers take either
one stitched sequence per episode (`Trajectory.stitched`) or one sample per policy turn
(`Trajectory.turn_samples`).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentrl.errors import TrajectoryError

Termination = Literal["terminated", "truncated", "context_limit", "max_tokens", "error"]
SpanRole = Literal["prompt", "policy", "env", "tool"]


class Span(BaseModel):
    """A half-open token range ``[start, end)`` produced by one source in one turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: SpanRole
    start: int
    end: int
    turn: int  # env step index: 0 for the initial prompt and the first action, then 1, 2, ...


class Trajectory(BaseModel):
    """One episode, token-level. See the module docstring for the invariants."""

    model_config = ConfigDict(extra="forbid")

    env_id: str
    seed: int | None = None
    task_id: str | None = None
    group_id: str | None = None  # episodes sharing a task in GRPO-style group sampling
    policy_version: int = 0
    token_ids: list[int]
    loss_mask: list[int]
    logprobs: list[float]
    spans: list[Span]
    step_rewards: list[float] = Field(default_factory=list)  # one per env step
    reward: float = 0.0  # the episode's total (sum of step_rewards)
    reward_components: dict[str, float] = Field(default_factory=dict)
    termination: Termination = "terminated"
    error: str | None = None  # why the episode failed, when termination == "error"
    messages: list[dict[str, Any]] = Field(default_factory=list)  # readable copy of the chat
    info: dict[str, Any] = Field(default_factory=dict)

    @property
    def num_policy_tokens(self) -> int:
        return sum(self.loss_mask)

    @property
    def prompt_length(self) -> int:
        """Tokens before the first sampled token."""
        for i, m in enumerate(self.loss_mask):
            if m:
                return i
        return len(self.token_ids)

    def validate_invariants(self) -> None:
        """Raise `TrajectoryError` naming the first broken invariant."""
        n = len(self.token_ids)
        if len(self.loss_mask) != n or len(self.logprobs) != n:
            raise TrajectoryError(
                f"lengths differ: token_ids={n}, loss_mask={len(self.loss_mask)}, "
                f"logprobs={len(self.logprobs)}"
            )
        if any(m not in (0, 1) for m in self.loss_mask):
            raise TrajectoryError("loss_mask holds values other than 0 and 1")
        if any(t < 0 for t in self.token_ids):
            raise TrajectoryError("negative token id")
        for i, (m, lp) in enumerate(zip(self.loss_mask, self.logprobs)):
            if m and not (math.isfinite(lp) and lp <= 1e-6):
                raise TrajectoryError(f"logprob {lp!r} at sampled position {i} is not a log-prob")
            if not m and lp != 0.0:
                raise TrajectoryError(f"logprob {lp!r} at unsampled position {i} should be 0.0")
        position = 0
        for span in self.spans:
            if span.start != position or span.end < span.start:
                raise TrajectoryError(f"span {span} does not continue at token {position}")
            want = 1 if span.role == "policy" else 0
            if any(m != want for m in self.loss_mask[span.start : span.end]):
                raise TrajectoryError(f"loss_mask inside {span} is not all {want}")
            position = span.end
        if position != n:
            raise TrajectoryError(f"spans cover {position} of {n} tokens")
        if not all(math.isfinite(r) for r in [self.reward, *self.step_rewards]):
            raise TrajectoryError(f"non-finite reward in {self.step_rewards} / {self.reward}")
        if self.step_rewards and not math.isclose(
            sum(self.step_rewards), self.reward, rel_tol=1e-6, abs_tol=1e-6
        ):
            raise TrajectoryError(
                f"reward {self.reward} != sum of step_rewards {sum(self.step_rewards)}"
            )
        if self.termination == "error" and not self.error:
            raise TrajectoryError("termination is 'error' but no error message is recorded")

    def stitched(self) -> Sample:
        """The whole episode as one training sequence (loss on every policy turn)."""
        return Sample(
            token_ids=list(self.token_ids),
            loss_mask=list(self.loss_mask),
            logprobs=list(self.logprobs),
            reward=self.reward,
            env_id=self.env_id,
            group_id=self.group_id,
            turn=None,
        )

    def turn_samples(self) -> list[Sample]:
        """One sample per policy span: the history before it as prompt, the span as completion.

        Each sample's reward is the episode's total reward (the return seen from that turn in
        an undiscounted episodic setting is what GRPO-style trainers credit); ``step_reward``
        keeps the env's reward for that turn alone.
        """
        samples = []
        for span in self.spans:
            if span.role != "policy":
                continue
            n_prompt = span.start
            samples.append(
                Sample(
                    token_ids=list(self.token_ids[: span.end]),
                    loss_mask=[0] * n_prompt + [1] * (span.end - n_prompt),
                    logprobs=[0.0] * n_prompt + list(self.logprobs[span.start : span.end]),
                    reward=self.reward,
                    env_id=self.env_id,
                    group_id=self.group_id,
                    turn=span.turn,
                    step_reward=(
                        self.step_rewards[span.turn] if span.turn < len(self.step_rewards) else 0.0
                    ),
                )
            )
        return samples


@dataclass
class Sample:
    """A training sequence cut from a trajectory (see `Trajectory.stitched`/`turn_samples`).

    Attributes:
        token_ids: prompt and completion tokens.
        loss_mask: 1 on the tokens to train on.
        logprobs: the sampler's log-probs where ``loss_mask`` is 1, else 0.0.
        reward: the episode's total reward.
        turn: the policy turn this sample holds, or None for a stitched episode.
        step_reward: the env's reward for that turn alone (turn samples only).
    """

    token_ids: list[int]
    loss_mask: list[int]
    logprobs: list[float]
    reward: float
    env_id: str
    group_id: str | None = None
    turn: int | None = None
    step_reward: float = 0.0


# --- JSONL ------------------------------------------------------------------------------------


def _dump(trajectory: Trajectory) -> str:
    return trajectory.model_dump_json() + "\n"


def write_jsonl(path: str | os.PathLike[str], trajectories: Iterable[Trajectory]) -> int:
    """Write trajectories to ``path`` (replacing it atomically); returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as f:
        for trajectory in trajectories:
            f.write(_dump(trajectory))
            count += 1
    tmp.replace(path)
    return count


def append_jsonl(path: str | os.PathLike[str], trajectories: Iterable[Trajectory]) -> int:
    """Append trajectories to ``path`` (created if missing); returns how many were written."""
    with TrajectoryWriter(path) as writer:
        for trajectory in trajectories:
            writer.write(trajectory)
        return writer.count


class TrajectoryWriter:
    """Appends trajectories to a JSONL file, one flushed line each; safe to share across threads.

    A reader never sees half a line from a writer that is still running, and a killed writer
    leaves at most its last line cut short (which `read_jsonl` reports with its line number).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.count = 0

    def write(self, trajectory: Trajectory) -> None:
        line = _dump(trajectory)
        with self._lock:
            if self._file is None:
                raise TrajectoryError(f"writer for {self.path} is closed")
            self._file.write(line)
            self._file.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _jsonl_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.jsonl"))
    if not path.exists():
        raise TrajectoryError(f"no such trajectory file or folder: {path}")
    return [path]


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Trajectory]:
    """Stream trajectories from a JSONL file, or from every ``*.jsonl`` under a folder.

    Raises:
        TrajectoryError: naming the file and line of a record that is not a trajectory.
    """
    for file in _jsonl_files(Path(path)):
        with file.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    yield _parse_line(line, file, lineno)


def _parse_line(line: str, file: Path, lineno: int) -> Trajectory:
    try:
        return Trajectory.model_validate_json(line)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise TrajectoryError(f"{file}:{lineno}: {where}: {first['msg']}") from None


@dataclass
class ValidationReport:
    """What `validate_jsonl` found: how many records, and each problem as ``file:line: why``."""

    num_trajectories: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_jsonl(path: str | os.PathLike[str], *, max_errors: int = 20) -> ValidationReport:
    """Check every record under ``path`` against the schema and `validate_invariants`.

    Unlike `read_jsonl` it does not stop at the first bad record; it collects up to
    ``max_errors`` problems.
    """
    report = ValidationReport()
    for file in _jsonl_files(Path(path)):
        with file.open(encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                report.num_trajectories += 1
                try:
                    _parse_line(line, file, lineno).validate_invariants()
                except TrajectoryError as e:
                    msg = str(e)
                    prefix = f"{file}:{lineno}: "
                    report.errors.append(msg if msg.startswith(prefix) else prefix + msg)
                if len(report.errors) >= max_errors:
                    return report
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agentrl.trajectory FILE_OR_DIR...``: validate trajectory files."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m agentrl.trajectory FILE_OR_DIR...", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            report = validate_jsonl(path)
        except TrajectoryError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
            continue
        for error in report.errors:
            print(error, file=sys.stderr)
        verdict = "ok" if report.ok else f"{len(report.errors)} invalid"
        print(
            json.dumps(
                {"path": str(path), "trajectories": report.num_trajectories, "result": verdict}
            )
        )
        status = status or (0 if report.ok else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
