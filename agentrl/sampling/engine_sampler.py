"""`EngineSampler`: the `Sampler` interface over the continuous-batching `Engine`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import jax

from agentrl.sampling.base import Completion, Sampler, SamplingParams
from agentrl.sampling.engine import Engine
from agentrl.sampling.requests import Request


class EngineSampler(Sampler):
    """`Sampler` over an `Engine`: `generate` submits every row and drives the engine until
    they are done; `engine` is there for callers that stream or submit as they go (rollouts,
    the server).

    Args:
        model, tokenizer: as for `JaxSampler`.
        max_context: prompt + completion tokens per sequence at most.
        seed: the engine's key for unseeded requests.
        **engine_kwargs: `Engine` options (``num_slots``, ``prefix_reuse``, ...).

    Attributes:
        last_stats: the last `generate` call's prefill and decode wall time and token counts.
    """

    def __init__(
        self, model: Any, tokenizer: Any, *, max_context: int = 4096, seed: int = 0,
        **engine_kwargs: Any,
    ) -> None:  # fmt: skip
        self.engine = Engine(model, tokenizer, max_context=max_context, seed=seed, **engine_kwargs)
        self.model = model
        self.tokenizer = tokenizer
        self.max_context = max_context
        self._version = 0
        self._key = jax.random.PRNGKey(seed)
        self.last_stats: dict[str, float] = {}

    @property
    def policy_version(self) -> int:  # type: ignore[override]
        return self._version

    @policy_version.setter
    def policy_version(self, value: int) -> None:
        if value != self._version:
            self.engine.flush()  # cached prefixes were computed with the old weights
        self._version = value

    @property
    def num_compilations(self) -> int:
        return self.engine.num_compilations

    def _split(self) -> jax.Array:
        self._key, key = jax.random.split(self._key)
        return key

    def submit(
        self,
        prompt: Sequence[int],
        params: SamplingParams,
        *,
        on_token: Callable[[Request, list[int], list[float]], None] | None = None,
    ) -> list[Request]:
        """Queue `params.n` completions of `prompt` (keys as in `generate`); the engine runs
        them when driven (`Engine.step`) or on its background thread (`Engine.start`)."""
        base = jax.random.PRNGKey(params.seed) if params.seed is not None else self._split()
        return [
            self.engine.submit(prompt, params, key=jax.random.fold_in(base, j), on_token=on_token)
            for j in range(params.n)
        ]

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        base = jax.random.PRNGKey(params.seed) if params.seed is not None else self._split()
        started = time.perf_counter()
        requests = []
        for i, prompt in enumerate(prompts):
            for j in range(params.n):
                row = i * params.n + j
                requests.append(
                    self.engine.submit(prompt, params, key=jax.random.fold_in(base, row))
                )
        self.engine.run_until(requests)
        first = max((r.first_token_at or started) for r in requests)
        end = time.perf_counter()
        self.last_stats = {
            "prefill_s": first - started,
            "decode_s": end - first,
            "prompt_tokens": float(sum(len(r.prompt) for r in requests)),
            "generated_tokens": float(sum(len(r.token_ids) for r in requests)),
        }
        flat = [self.completion(r) for r in requests]
        return [flat[i * params.n : (i + 1) * params.n] for i in range(len(prompts))]

    def completion(self, r: Request) -> Completion:
        metadata: dict[str, object] = {
            "policy_version": self._version,
            "cached_tokens": r.cached_tokens,
            "prefilled_tokens": r.prefilled_tokens,
        }
        if r.error is not None:
            metadata["error"] = r.error
        return Completion(
            token_ids=list(r.token_ids),
            logprobs=list(r.logprobs),
            finish_reason=r.finish_reason or "abort",
            text=self.tokenizer.decode(r.token_ids),
            metadata=metadata,
        )

    def close(self) -> None:
        self.engine.stop()
