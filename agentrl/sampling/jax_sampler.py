"""`JaxSampler`: batched prefill and KV-cached decode of an NNX model, under `jax.jit`.

How a `generate` call runs:

1. Prompts (``n`` copies each) are LEFT-padded to a bucketed length P (powers of two and
   1.5x powers of two), the batch to a bucketed size B, the new-token budget to a bucketed
   length D, so a run compiles a handful of times.
2. ``prefill`` encodes the prompts into a fresh cache of ``P + D`` slots per layer (keys and
   values, batch first) and samples the first token. A prompt repeated in the batch (a GRPO
   group, ``n > 1``) is encoded once and its cache rows copied.
3. ``decode`` runs the whole remaining loop on device inside one `jax.lax.while_loop`: each
   step feeds the last token, writes one cache row, samples, and stops a row on an EOS/stop
   id or its budget; the loop exits when every row is done.
4. With stop strings, decode runs in chunks of ``stop_check_interval`` steps and the host checks
   the decoded text between chunks; completions are cut right after the stop string.

The model's parameters are read at call time (``nnx.split``), so a trainer updating the model
in place is sampled from on the next call, with no copy and no recompilation.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from agentrl.errors import ConfigError, SamplerError
from agentrl.models.sharding import batch_shards, constrain_cache
from agentrl.sampling.base import Completion, FinishReason, Sampler, SamplingParams
from agentrl.sampling.processors import FilterConfig, sample_tokens
from agentrl.sampling.stops import first_stop
from agentrl.shapes import bucket


class DecodeState(NamedTuple):
    """Everything the decode loop carries, all on device."""

    cache: Any  # per-layer `LayerCache` (k, v), batch first
    mask_bs: jax.Array  # bool: slots holding real tokens
    tokens_bd: jax.Array  # int32: generated tokens (pad after a row is done)
    logprobs_bd: jax.Array  # float32: their log-probs (0 after done)
    count_b: jax.Array  # int32: tokens generated per row
    done_b: jax.Array  # bool
    step: jax.Array  # int32 scalar: index of the next token to generate
    keys_b: jax.Array  # one PRNG key per row
    prompt_len_b: jax.Array  # int32: real prompt tokens per row
    budget_b: jax.Array  # int32: most tokens this row may generate


class Knobs(NamedTuple):
    """Traced sampling values (changing them does not recompile)."""

    temperature: jax.Array
    top_p: jax.Array
    min_p: jax.Array
    stop_ids: jax.Array  # int32 [K], padded with -1
    pad_id: jax.Array


def shared_prompts(
    rows: Sequence[Sequence[int]], budgets: Sequence[int]
) -> tuple[list[Sequence[int]], list[int]]:
    """The distinct prompts among `rows` and, per row, the index of its prompt among them.

    A GRPO group (or ``n > 1``) repeats one prompt many times: its prefill is computed once and
    its cache rows copied. Rows without a token budget stay their own (they only stand in).
    """
    unique: list[Sequence[int]] = []
    index: dict[Any, int] = {}
    source = []
    for i, (row, budget) in enumerate(zip(rows, budgets)):
        key: Any = tuple(row) if budget > 0 else ("stand-in", i)
        if key not in index:
            index[key] = len(unique)
            unique.append(row)
        source.append(index[key])
    return unique, source


def padded_shapes(
    rows: int,
    unique: int,
    longest_prompt: int,
    longest_budget: int,
    min_bucket: int = 16,
    shards: int = 1,
) -> tuple[int, int, int, int]:
    """The padded sizes one `JaxSampler` device call compiles for: ``(B rows, U prefilled
    prompts, P prompt slots, D new-token slots)``; the cache has ``P + D`` slots per row.

    Prompt lengths get the finer ladder: prefill work grows with P, and a batch of 36-token
    chat prompts would otherwise pay for 64 positions. When sharing prompts saves no bucket,
    every row is prefilled (``U == B``). On a mesh, B and U are rounded up to a multiple of
    its `shards` (data x fsdp), which split the rows. `agentrl.train.plan` compiles these
    same shapes.
    """
    p = bucket(longest_prompt, min_bucket, half_steps=True)
    d = bucket(max(longest_budget, 1), min_bucket)
    b = -(-bucket(rows, 1) // shards) * shards
    u = -(-bucket(unique, 1) // shards) * shards
    return b, min(u, b), p, d


def left_pad(rows: Sequence[Sequence[int]], length: int, batch: int, pad_id: int) -> np.ndarray:
    """Rows right-aligned in a ``[batch, length]`` array of `pad_id` (extra rows all pad)."""
    out = np.full((batch, length), pad_id, dtype=np.int32)
    for i, row in enumerate(rows):
        if row:
            out[i, length - len(row) :] = row
    return out


class JaxSampler(Sampler):
    """KV-cached sampling from a Flax NNX causal LM (the `agentrl.models` call contract).

    Args:
        model: an NNX model: ``model(tokens, positions, attention_mask=, cache=, cache_index=)``
            returning ``.logits``/``.cache``, and ``model.init_cache(batch, slots, dtype)``.
        tokenizer: its tokenizer (EOS ids, pad id, decoding for text and stop strings).
        max_context: prompt + completion tokens per sequence at most.
        seed: seeds the sampler's own key, used when `SamplingParams.seed` is None.
        max_batch: most sequences per device call; bigger requests run in several calls.
        stop_check_interval: decode steps between host checks of stop strings.
        min_bucket: the smallest prompt/new-token bucket.
        cache_dtype: dtype of the KV cache (default: the model's compute dtype).
        mesh: a ``(data, fsdp, tp)`` mesh the model is sharded on: the KV cache's rows are
            split over data x fsdp (row buckets are padded to a multiple of it) and its KV
            heads over tp. None: wherever the model's arrays are.

    Attributes:
        policy_version: bumped by whoever updates the model's weights.
        num_compilations: how many times prefill/decode were traced (i.e. compiled).
        last_stats: the last `generate` call's wall time in prefill and in decode (first-token
            sampling counts as prefill) and its prompt and generated token counts.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_context: int = 4096,
        seed: int = 0,
        max_batch: int = 64,
        stop_check_interval: int = 32,
        min_bucket: int = 16,
        cache_dtype: Any = None,
        mesh: Mesh | None = None,
    ) -> None:
        for name, value, low in [
            ("max_context", max_context, 2),
            ("max_batch", max_batch, 1),
            ("stop_check_interval", stop_check_interval, 1),
            ("min_bucket", min_bucket, 1),
        ]:
            if value < low:
                raise ConfigError(f"got {name}={value}, need >= {low}")
        self.model = model
        self.tokenizer = tokenizer
        self.max_context = max_context
        self._context = max_context  # the base class types max_context as optional
        self.max_batch = max_batch
        self.stop_check_interval = stop_check_interval
        self.min_bucket = min_bucket
        self.mesh = mesh
        self._shards = batch_shards(mesh)
        self.policy_version = 0
        self.num_compilations = 0
        self.last_stats: dict[str, float] = {}
        self._key = jax.random.PRNGKey(seed)
        self._vocab_size = int(model.config.vocab_size)
        self._cache_dtype = cache_dtype or getattr(model, "dtype", jnp.float32)
        self._prefill = jax.jit(self._prefill_impl, static_argnames=("graphdef", "config", "d"))
        self._decode = jax.jit(
            self._decode_impl, static_argnames=("graphdef", "config"), donate_argnames=("state",)
        )

    # --- public -----------------------------------------------------------------------------

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        """For each prompt, `params.n` completions (token ids, log-probs, finish reason, text)."""
        rows = [self._checked(p, i) for i, p in enumerate(prompts) for _ in range(params.n)]
        self.last_stats = dict.fromkeys(
            ("prefill_s", "decode_s", "prompt_tokens", "generated_tokens"), 0.0
        )
        if params.seed is None:
            self._key, key = jax.random.split(self._key)
        else:
            key = jax.random.PRNGKey(params.seed)
        flat: list[Completion] = []
        for start in range(0, len(rows), self.max_batch):
            flat += self._generate_batch(rows[start : start + self.max_batch], params, key, start)
        return [flat[i * params.n : (i + 1) * params.n] for i in range(len(prompts))]

    def beam_search(
        self, prompt: Sequence[int], *, beam_width: int, max_tokens: int
    ) -> list[Completion]:
        """The `beam_width` most likely completions of `prompt`, best first (see `beam`)."""
        from agentrl.sampling.beam import beam_search

        return beam_search(
            self.model,
            self.tokenizer,
            self._checked(prompt, 0),
            beam_width=beam_width,
            max_tokens=max_tokens,
            max_context=self._context,
        )

    # --- host side --------------------------------------------------------------------------

    def _checked(self, prompt: Sequence[int], index: int) -> list[int]:
        ids = [int(t) for t in prompt]
        if not ids:
            raise SamplerError(f"prompt {index} is empty; need at least one token")
        bad = [t for t in ids if not 0 <= t < self._vocab_size]
        if bad:
            raise SamplerError(
                f"prompt {index} has token id {bad[0]}, outside the vocabulary [0, "
                f"{self._vocab_size})"
            )
        return ids

    def _knobs(self, params: SamplingParams) -> Knobs:
        stops = sorted({*self.tokenizer.eos_token_ids, *params.stop_token_ids})
        stop_ids = np.full(bucket(len(stops), 8), -1, np.int32)
        stop_ids[: len(stops)] = stops
        return Knobs(
            temperature=jnp.float32(max(params.temperature, 1e-6)),
            top_p=jnp.float32(params.top_p),
            min_p=jnp.float32(params.min_p),
            stop_ids=jnp.asarray(stop_ids),
            pad_id=jnp.int32(self.tokenizer.pad_token_id),
        )

    def _generate_batch(
        self, rows: list[list[int]], params: SamplingParams, key: jax.Array, offset: int
    ) -> list[Completion]:
        budgets = [max(0, min(params.max_tokens, self._context - len(r))) for r in rows]
        # A prompt that fills the context gets no tokens; a stand-in keeps it from inflating P.
        device_rows = [r if n > 0 else r[-1:] for r, n in zip(rows, budgets)]
        unique, source = shared_prompts(device_rows, budgets)
        b, u, p, d = padded_shapes(
            len(rows), len(unique), max(len(r) for r in device_rows), max(budgets),
            self.min_bucket, self._shards,
        )  # fmt: skip
        if u == b:  # too few repeats to save a bucket: prefill every row (the identity copy)
            unique, source = list(device_rows), list(range(len(rows)))
        source_b = np.zeros(b, np.int32)
        source_b[: len(rows)] = source
        pad_id = int(self.tokenizer.pad_token_id)
        tokens_up = left_pad(unique, p, u, pad_id)
        mask_up = left_pad([[1] * len(r) for r in unique], p, u, 0).astype(bool)
        budget_b = np.zeros(b, np.int32)
        budget_b[: len(rows)] = budgets
        keys_b = jax.vmap(jax.random.fold_in, (None, 0))(key, jnp.arange(b) + offset)
        config = FilterConfig.from_params(params, self._vocab_size)
        knobs = self._knobs(params)
        graphdef, weights = nnx.split(self.model)
        started = time.perf_counter()
        state = self._prefill(
            weights, jnp.asarray(tokens_up), jnp.asarray(mask_up), jnp.asarray(source_b), keys_b,
            jnp.asarray(budget_b), knobs, graphdef=graphdef, config=config, d=d,
        )  # fmt: skip
        jax.block_until_ready(state.tokens_bd)
        prefilled = time.perf_counter()
        cut: list[int | None] = [None] * len(rows)
        chunk = self.stop_check_interval if params.stop else d
        while True:
            state = self._decode(
                weights, state, knobs, jnp.int32(chunk), graphdef=graphdef, config=config
            )
            done_b = np.asarray(state.done_b)
            if params.stop:
                done_b = self._check_stops(state, rows, params.stop, cut, done_b)
                state = state._replace(done_b=jnp.asarray(done_b))
            if done_b[: len(rows)].all() or int(state.step) >= d:
                break
        completions = self._completions(state, rows, knobs, cut)
        stats = self.last_stats
        stats["prefill_s"] += prefilled - started
        stats["decode_s"] += time.perf_counter() - prefilled
        stats["prompt_tokens"] += sum(len(r) for r in rows)
        stats["generated_tokens"] += sum(len(c.token_ids) for c in completions)
        return completions

    def _check_stops(
        self,
        state: DecodeState,
        rows: list[list[int]],
        stops: Sequence[str],
        cut: list[int | None],
        done_b: np.ndarray,
    ) -> np.ndarray:
        """Mark rows whose text now contains a stop string; remember where to cut them."""
        tokens_bd, count_b = np.asarray(state.tokens_bd), np.asarray(state.count_b)
        done_b = done_b.copy()
        for i in range(len(rows)):
            if cut[i] is None:
                ids = tokens_bd[i, : count_b[i]].tolist()
                cut[i] = first_stop(ids, stops, self.tokenizer.decode)
                if cut[i] is not None:
                    done_b[i] = True
        return done_b

    def _completions(
        self, state: DecodeState, rows: list[list[int]], knobs: Knobs, cut: list[int | None]
    ) -> list[Completion]:
        tokens_bd, logprobs_bd = np.asarray(state.tokens_bd), np.asarray(state.logprobs_bd)
        count_b = np.asarray(state.count_b)
        stop_ids = set(np.asarray(knobs.stop_ids).tolist()) - {-1}
        out = []
        for i, row in enumerate(rows):
            n = int(count_b[i]) if cut[i] is None else int(cut[i])  # type: ignore[arg-type]
            ids = tokens_bd[i, :n].tolist()
            finish: FinishReason = "stop" if cut[i] is not None else "length"
            if cut[i] is None and ids and ids[-1] in stop_ids:
                finish = "stop"
            metadata: dict[str, object] = {"policy_version": self.policy_version}
            if len(row) >= self._context:
                metadata["error"] = (
                    f"prompt of {len(row)} tokens fills max_context={self.max_context}"
                )
            out.append(
                Completion(
                    token_ids=ids,
                    logprobs=logprobs_bd[i, :n].astype(float).tolist(),
                    finish_reason=finish,
                    text=self.tokenizer.decode(ids),
                    metadata=metadata,
                )
            )
        return out

    # --- device side ------------------------------------------------------------------------

    def _prefill_impl(
        self,
        weights: Any,
        tokens_up: jax.Array,
        mask_up: jax.Array,
        source_b: jax.Array,
        keys_b: jax.Array,
        budget_b: jax.Array,
        knobs: Knobs,
        *,
        graphdef: Any,
        config: FilterConfig,
        d: int,
    ) -> DecodeState:
        """Encode the distinct prompts into a fresh cache, copy each row's prompt cache
        (`source_b`: its prompt's index), and sample each row's first token."""
        self.num_compilations += 1  # runs only while tracing
        model = nnx.merge(graphdef, weights)
        u, p = tokens_up.shape
        positions_up = jnp.maximum(jnp.cumsum(mask_up, axis=1) - 1, 0).astype(jnp.int32)
        mask_us = jnp.concatenate([mask_up, jnp.zeros((u, d), bool)], axis=1)
        cache = constrain_cache(model.init_cache(u, p + d, self._cache_dtype), self.mesh)
        out = model(
            tokens_up, positions_up, attention_mask=mask_us, cache=cache, cache_index=0,
            last_logits_only=True,
        )  # fmt: skip
        if u == source_b.shape[0]:  # one row per prompt: `source_b` is the identity
            cache_rows, logits_bv, mask_bs = out.cache, out.logits[:, -1], mask_us
        else:
            cache_rows = jax.tree.map(lambda x: jnp.take(x, source_b, axis=0), out.cache)
            logits_bv, mask_bs = out.logits[source_b, -1], mask_us[source_b]
        cache_rows = constrain_cache(cache_rows, self.mesh)
        step_keys = jax.vmap(jax.random.fold_in, (0, None))(keys_b, 0)
        token_b, logprob_b = sample_tokens(
            logits_bv, step_keys, config, knobs.temperature, knobs.top_p, knobs.min_p
        )
        b = source_b.shape[0]
        live_b = budget_b > 0
        token_b = jnp.where(live_b, token_b, knobs.pad_id)
        logprob_b = jnp.where(live_b, logprob_b, 0.0)
        tokens_bd = jnp.full((b, d), knobs.pad_id, jnp.int32).at[:, 0].set(token_b)
        logprobs_bd = jnp.zeros((b, d), jnp.float32).at[:, 0].set(logprob_b)
        done_b = ~live_b | jnp.isin(token_b, knobs.stop_ids) | (budget_b <= 1)
        return DecodeState(
            cache=cache_rows,
            mask_bs=mask_bs,
            tokens_bd=tokens_bd,
            logprobs_bd=logprobs_bd,
            count_b=live_b.astype(jnp.int32),
            done_b=done_b,
            step=jnp.int32(1),
            keys_b=keys_b,
            prompt_len_b=jnp.sum(mask_bs, axis=1).astype(jnp.int32),
            budget_b=budget_b,
        )

    def _decode_impl(
        self,
        weights: Any,
        state: DecodeState,
        knobs: Knobs,
        num_steps: jax.Array,
        *,
        graphdef: Any,
        config: FilterConfig,
    ) -> DecodeState:
        """Generate up to `num_steps` more tokens per row, all inside one while_loop."""
        self.num_compilations += 1  # runs only while tracing
        model = nnx.merge(graphdef, weights)
        b, d = state.tokens_bd.shape
        p = state.mask_bs.shape[1] - d
        end = jnp.minimum(state.step + num_steps, d)

        def cond(s: DecodeState) -> jax.Array:
            return (s.step < end) & ~jnp.all(s.done_b)

        def body(s: DecodeState) -> DecodeState:
            slot = p + s.step - 1  # where the previous token goes
            last_b1 = jax.lax.dynamic_slice(s.tokens_bd, (0, s.step - 1), (b, 1))
            mask_bs = jax.lax.dynamic_update_slice(s.mask_bs, jnp.ones((b, 1), bool), (0, slot))
            positions_b1 = (s.prompt_len_b + s.step - 1)[:, None]
            out = model(
                last_b1, positions_b1, attention_mask=mask_bs, cache=s.cache, cache_index=slot
            )
            step_keys = jax.vmap(jax.random.fold_in, (0, None))(s.keys_b, s.step)
            token_b, logprob_b = sample_tokens(
                out.logits[:, 0], step_keys, config, knobs.temperature, knobs.top_p, knobs.min_p
            )
            token_b = jnp.where(s.done_b, knobs.pad_id, token_b)
            logprob_b = jnp.where(s.done_b, 0.0, logprob_b)
            count_b = jnp.where(s.done_b, s.count_b, s.step + 1)
            done_b = s.done_b | jnp.isin(token_b, knobs.stop_ids) | (count_b >= s.budget_b)
            return DecodeState(
                cache=constrain_cache(out.cache, self.mesh),
                mask_bs=mask_bs,
                tokens_bd=jax.lax.dynamic_update_slice(s.tokens_bd, token_b[:, None], (0, s.step)),
                logprobs_bd=jax.lax.dynamic_update_slice(
                    s.logprobs_bd, logprob_b[:, None], (0, s.step)
                ),
                count_b=count_b,
                done_b=done_b,
                step=s.step + 1,
                keys_b=s.keys_b,
                prompt_len_b=s.prompt_len_b,
                budget_b=s.budget_b,
            )

        return jax.lax.while_loop(cond, body, state)
