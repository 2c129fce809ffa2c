"""What an eval runs against: a sampler plus the tokenizer whose chat template it speaks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.sampling.base import Sampler


@dataclass
class Policy:
    """A sampler, its tokenizer and a name for reports.

    Attributes:
        sampler: any `agentrl.sampling.Sampler` (JaxSampler, OpenAISampler, a scripted one).
        tokenizer: an `agentrl.tokenizer.Tokenizer`; its chat template renders the prompts.
        model_id: how reports name the policy (a folder, a served model name).
    """

    sampler: Sampler
    tokenizer: Any
    model_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        template = getattr(self.tokenizer, "chat_template", None) or ""
        return {
            "model_id": self.model_id,
            "sampler": type(self.sampler).__name__,
            "chat_template_sha256": hashlib.sha256(template.encode()).hexdigest()[:16],
            **self.extra,
        }


def from_model_dir(
    path: str | Path, *, max_context: int = 4096, seed: int = 0, mesh: Any = None
) -> Policy:
    """A Hugging Face checkpoint folder, sampled in-process with the JaxSampler (sharded on
    `mesh` when given)."""
    from agentrl.models import load
    from agentrl.sampling.jax_sampler import JaxSampler

    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{str(folder)!r} is not a model folder (no config.json)")
    model, tokenizer = load(folder, mesh=mesh)
    sampler = JaxSampler(model, tokenizer, max_context=max_context, seed=seed, mesh=mesh)
    return Policy(sampler, tokenizer, str(folder))


def from_run_dir(path: str | Path, **kwargs: Any) -> Policy:
    """The final model of a training run folder (its exported Hugging Face ``model/``)."""
    folder = Path(path) / "model"
    if not (folder / "config.json").is_file():
        raise ConfigError(
            f"run folder {str(path)!r} has no exported model at {str(folder)!r}; "
            "did the run finish?"
        )
    policy = from_model_dir(folder, **kwargs)
    policy.model_id = str(path)
    return policy


def from_endpoint(url: str, *, served_model: str, tokenizer_dir: str | Path) -> Policy:
    """An OpenAI-compatible server (vLLM, SGLang, ``agentrl serve``), token-in/token-out."""
    from agentrl.sampling.openai_client import OpenAISampler
    from agentrl.tokenizer import Tokenizer

    tokenizer = Tokenizer.from_pretrained(tokenizer_dir)
    sampler = OpenAISampler(url, model=served_model, tokenizer=tokenizer)
    return Policy(sampler, tokenizer, served_model, {"endpoint": url})


def tiny_policy(*, seed: int = 0, mesh: Any = None) -> Policy:
    """The built-in tiny model, untrained: a smoke test of the whole eval path, offline."""
    from agentrl.models.sharding import shard_model
    from agentrl.models.tiny import tiny_model
    from agentrl.sampling.jax_sampler import JaxSampler

    model, tokenizer = tiny_model(seed=seed)
    if mesh is not None:
        shard_model(model, mesh)
    sampler = JaxSampler(model, tokenizer, max_context=512, seed=seed, mesh=mesh)
    return Policy(sampler, tokenizer, "builtin-tiny (untrained)")
