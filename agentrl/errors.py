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


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """A ' Did you mean ...?' suffix for an error message, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
