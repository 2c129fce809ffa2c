"""The exception hierarchy. Every error agentrl raises on purpose derives from `AgentRLError`.

Messages name the bad value and, where it helps, what would have been accepted:
``got max_turns=0, need >= 1``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AgentRLError(Exception):
    """Root of agentrl's errors; catch this to catch them all."""


class ConfigError(AgentRLError, ValueError):
    """A configuration value or combination of values is invalid."""


class UnknownIdError(AgentRLError, KeyError):
    """A registry lookup (env, tool, reward, model preset, suite) found nothing."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain.
        return str(self.args[0]) if self.args else ""


class EnvError(AgentRLError):
    """An environment was misused (e.g. `step` after the episode ended) or is broken."""


class ToolError(AgentRLError):
    """A tool is misdefined or a tool call cannot be executed."""


class GradingError(AgentRLError):
    """The grader was given input it cannot interpret at all."""


class CheckpointError(AgentRLError):
    """A checkpoint is missing, half-written or does not match the model."""


class ModelError(AgentRLError):
    """A model folder or config cannot be loaded, or does not match the architecture."""


class SamplerError(AgentRLError):
    """Generation failed: a server that kept failing, a prompt longer than the context, ..."""


# -- more specific errors, each a subclass of the family above it ----------------------------


class TrajectoryError(AgentRLError):
    """A trajectory violates an invariant (see `Trajectory.validate_invariants`)."""


class RewardError(AgentRLError):
    """A reward function returned something that is not a finite number."""


class MetricsError(AgentRLError, TypeError):
    """A metric value is not a number, or a metric name is reserved."""


class ChatTemplateError(AgentRLError, ValueError):
    """A chat template failed to compile or refused the conversation (``raise_exception``)."""


class IncrementalRenderError(AgentRLError):
    """The session was used out of order, or the template cannot render the new messages."""


class EnvCheckError(EnvError):
    """An environment failed one of `check_env`'s checks; `check` names which."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"check {check!r} failed: {message}")
        self.check = check


class DataError(EnvError):
    """A dataset file or record cannot be read as the expected format."""


class ToolArgumentError(ToolError):
    """A call's arguments do not match the tool's parameters."""


class CalculatorError(ToolError):
    """The expression is not arithmetic the calculator accepts, or is too large."""


class WorkerTimeout(ToolError):
    """The worker did not answer in time and was killed."""


class WorkerError(ToolError):
    """The function raised in the worker; the message is the worker's."""


class WeightSyncError(AgentRLError):
    """A server refused a weight push, reported other weights than the trainer's, or could
    not be reached: rollouts must not continue on a policy the trainer does not know."""


class ServerUnreachable(WeightSyncError):
    """The push could not reach the server at all (down or restarting)."""


class AsyncRolloutError(AgentRLError):
    """The server backend cannot go on: endpoints down too long, or a weight sync refused."""


class ServerLaunchError(AgentRLError):
    """A launched ``agentrl serve`` did not come up (its log's tail says why)."""


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """A ' Did you mean ...?' suffix for an error message, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
