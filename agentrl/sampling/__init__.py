"""Samplers: one interface, several backends. Heavy backends are imported lazily."""

from __future__ import annotations

from typing import Any

from agentrl.sampling.base import Completion, FinishReason, Sampler, SamplingParams

__all__ = [
    "Completion",
    "Engine",
    "EngineSampler",
    "FinishReason",
    "JaxSampler",
    "OpenAISampler",
    "Sampler",
    "SamplingParams",
]

_LAZY = {
    "Engine": "agentrl.sampling.engine",
    "EngineSampler": "agentrl.sampling.engine_sampler",
    "JaxSampler": "agentrl.sampling.jax_sampler",
    "OpenAISampler": "agentrl.sampling.openai_client",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'agentrl.sampling' has no attribute {name!r}")
