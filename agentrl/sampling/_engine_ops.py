"""The continuous engine's device programs: per-row sampling, and the jitted prefill, decode and
row-copy steps over the engine's KV cache rows (`agentrl.sampling.engine` schedules them).

Everything here is a pure function of arrays; `TRACES` counts how often they were traced
(compiled), which `Engine.num_compilations` reports.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh

from agentrl.models.layers import LayerCache
from agentrl.models.sharding import constrain_cache
from agentrl.sampling.processors import FilterConfig, filter_logits, inverse_cdf_sample


def ladder(n: int, minimum: int) -> int:
    """The smallest ``minimum * 4**k`` >= n: few shapes (each compiles), at most 4x padding.

    Shapes multiply (rows x prefill length x cache columns), so the engine's buckets step by 4
    rather than 2 to keep a run's compilations to a handful; the padding costs less than a
    compilation on every new combination.
    """
    size = minimum
    while size < n:
        size *= 4
    return size


class Flags(NamedTuple):
    """The compile-time union of the sampling features the rows of one call use."""

    sampled: bool  # some row samples (others may still be greedy)
    top_k: int  # the largest top-k among rows (0: none)
    top_p: bool
    min_p: bool


class RowParams(NamedTuple):
    """Per-row sampling values (traced)."""

    greedy: jax.Array  # bool [B]
    temperature: jax.Array  # float32 [B]
    top_k: jax.Array  # int32 [B], 0 = off
    top_p: jax.Array  # float32 [B], 2.0 = off (keeps every token, even past rounding)
    min_p: jax.Array  # float32 [B]
    stop_ids: jax.Array  # int32 [B, K], -1 padded
    keys: jax.Array  # one PRNG key per row


def sample_rows(
    logits_bv: jax.Array, step_b: jax.Array, rows: RowParams, flags: Flags
) -> tuple[jax.Array, jax.Array]:
    """One token per row and its log-prob, each row under its own sampling values.

    Equal, row by row, to `processors.sample_tokens` with that row's `SamplingParams`: greedy
    rows take the argmax and report ``log_softmax(logits)``; sampled rows filter top-k, then
    top-p, then min-p, and draw with the key ``fold_in(key, step)``.
    """
    logits_bv = logits_bv.astype(jnp.float32)
    greedy_tok = jnp.argmax(logits_bv, axis=-1).astype(jnp.int32)
    greedy_lp = jax.nn.log_softmax(logits_bv, axis=-1)
    if not flags.sampled:
        return greedy_tok, jnp.take_along_axis(greedy_lp, greedy_tok[:, None], axis=-1)[:, 0]
    scaled_bv = logits_bv / rows.temperature[:, None]
    logprobs_bv = jax.nn.log_softmax(scaled_bv, axis=-1)
    filtered_bv = scaled_bv
    if flags.top_k > 0:
        top_bk = jax.lax.top_k(scaled_bv, flags.top_k)[0]
        kth_b1 = jnp.take_along_axis(top_bk, jnp.maximum(rows.top_k - 1, 0)[:, None], axis=-1)
        drop = (rows.top_k > 0)[:, None] & (scaled_bv < kth_b1)
        filtered_bv = jnp.where(drop, -jnp.inf, scaled_bv)
    config = FilterConfig(use_top_p=flags.top_p, use_min_p=flags.min_p)
    filtered_bv = filter_logits(filtered_bv, config, rows.top_p[:, None], rows.min_p[:, None])
    keys = jax.vmap(jax.random.fold_in)(rows.keys, step_b)
    sampled_tok = inverse_cdf_sample(keys, filtered_bv)
    token_b = jnp.where(rows.greedy, greedy_tok, sampled_tok)
    lp_bv = jnp.where(rows.greedy[:, None], greedy_lp, logprobs_bv)
    return token_b, jnp.take_along_axis(lp_bv, token_b[:, None], axis=-1)[:, 0]


def copy_impl(
    store: Any, source_n: jax.Array, target_n: jax.Array, width: int, mesh: Mesh | None = None
) -> Any:
    """Copy the first `width` columns of row ``source_n[i]`` to row ``target_n[i]``, in order
    (padding lanes copy the scratch row onto itself)."""
    TRACES[0] += 1  # runs only while tracing

    def copy(x: jax.Array, axis: int, source: jax.Array, target: jax.Array) -> jax.Array:
        size = list(x.shape[1:])
        size[axis - 1] = width
        row = jax.lax.dynamic_slice(x, (source, 0, 0, 0), (1, *size))
        return jax.lax.dynamic_update_slice(x, row, (target, 0, 0, 0))

    def body(i: int, store: Any) -> Any:
        s, t = source_n[i], target_n[i]
        return tuple(LayerCache(copy(c.k, 3, s, t), copy(c.v, 2, s, t)) for c in store)

    return constrain_cache(jax.lax.fori_loop(0, source_n.shape[0], body, store), mesh)


def _gather(store: Any, slot_b: jax.Array, shift_b: jax.Array, width: int) -> Any:
    """Working rows ``[B, ..., width]`` whose column c holds column ``c + shift_b`` of row
    ``slot_b`` (clipped to the row: callers mask the columns that map outside it).

    Shifting each row so that every row's next write lands on the same column lets the model
    write the cache at one scalar index, in place, as in `JaxSampler`; the rows' own positions
    go to the model as ``positions`` and the valid columns as its attention mask.
    """
    columns = store[0].v.shape[2]
    idx_bw = jnp.clip(jnp.arange(width, dtype=jnp.int32)[None] + shift_b[:, None], 0, columns - 1)
    slots_b1 = slot_b[:, None]
    return tuple(
        LayerCache(
            c.k[slots_b1, :, :, idx_bw].transpose(0, 2, 3, 1),  # [B, W, h, d] -> [B, h, d, W]
            c.v[slots_b1, :, idx_bw, :].transpose(0, 2, 1, 3),  # [B, W, h, d] -> [B, h, W, d]
        )
        for c in store
    )


def _scatter(
    store: Any, rows: Any, slot_b: jax.Array, source: int, start_b: jax.Array, size: int
) -> Any:
    """Write working columns ``source .. source + size`` of each row back to its slot, at
    columns ``start_b .. start_b + size``."""

    def body(i: int, store: Any) -> Any:
        out = []
        for c, r in zip(store, rows):
            k = r.k[i][None, :, :, source : source + size]
            v = r.v[i][None, :, source : source + size]
            out.append(LayerCache(
                jax.lax.dynamic_update_slice(c.k, k, (slot_b[i], 0, 0, start_b[i])),
                jax.lax.dynamic_update_slice(c.v, v, (slot_b[i], 0, start_b[i], 0)),
            ))  # fmt: skip
        return tuple(out)

    return jax.lax.fori_loop(0, slot_b.shape[0], body, store)


def prefill_impl(
    weights: Any,
    store: Any,
    tokens_mt: jax.Array,
    start_m: jax.Array,
    count_m: jax.Array,
    slot_m: jax.Array,
    rows: RowParams,
    *,
    graphdef: Any,
    flags: Flags,
    width: int,
    mesh: Mesh | None = None,
) -> tuple[Any, jax.Array, jax.Array]:
    """Prefill each lane's chunk (``count_m`` real tokens, then padding) after the ``start_m``
    tokens its row holds; sample from each lane's last real position."""
    TRACES[0] += 1  # runs only while tracing
    model = nnx.merge(graphdef, weights)
    t = tokens_mt.shape[1]
    base = width - t  # every lane's chunk goes to working columns base .. width - 1
    work = _gather(store, slot_m, start_m - base, width)
    column_w = jnp.arange(width, dtype=jnp.int32)[None]
    mask_mw = (column_w >= (base - start_m)[:, None]) & (column_w < (base + count_m)[:, None])
    positions_mt = start_m[:, None] + jnp.arange(t, dtype=jnp.int32)[None]
    out = model(
        tokens_mt, positions_mt, attention_mask=mask_mw, cache=work, cache_index=base,
        last_logits_only=True,
    )  # fmt: skip
    hidden_m1d = jnp.take_along_axis(out.hidden, (count_m - 1)[:, None, None], axis=1)
    logits_mv = model.head(hidden_m1d)[:, 0]
    # Whole chunks are written back: pad columns past a lane's tokens are never marked valid.
    store = constrain_cache(_scatter(store, out.cache, slot_m, base, start_m, t), mesh)
    token_m, logprob_m = sample_rows(logits_mv, jnp.zeros_like(start_m), rows, flags)
    return store, token_m, logprob_m


def decode_impl(
    weights: Any,
    store: Any,
    slot_b: jax.Array,
    length_b: jax.Array,
    last_b: jax.Array,
    count_b: jax.Array,
    budget_b: jax.Array,
    rows: RowParams,
    limit: jax.Array,
    *,
    graphdef: Any,
    flags: Flags,
    width: int,
    steps: int,
    pad_id: int,
    mesh: Mesh | None = None,
) -> tuple[Any, jax.Array, jax.Array, jax.Array]:
    """Up to `steps` decode steps for the rows in `slot_b`, in a compact working set whose
    rows are shifted so that step j writes working column ``width - steps + j`` in all."""
    TRACES[0] += 1  # runs only while tracing
    model = nnx.merge(graphdef, weights)
    b = slot_b.shape[0]
    base = width - steps
    work = _gather(store, slot_b, length_b - base, width)
    column_w = jnp.arange(width, dtype=jnp.int32)[None]
    held_bw = column_w >= (base - length_b)[:, None]
    is_stop = jnp.any(last_b[:, None] == rows.stop_ids, axis=1)
    done0 = (budget_b == 0) | is_stop | (count_b >= budget_b)

    def cond(carry: Any) -> jax.Array:
        j, _, _, _, _, _, done = carry
        return (j < jnp.minimum(limit, steps)) & ~jnp.all(done)

    def body(carry: Any) -> Any:
        j, work, last, fed, tokens, logprobs, done = carry
        mask_bw = held_bw & (column_w <= base + j)
        out = model(
            last[:, None], (length_b + j)[:, None], attention_mask=mask_bw, cache=work,
            cache_index=base + j,
        )  # fmt: skip
        token, logprob = sample_rows(out.logits[:, 0], count_b + fed, rows, flags)
        live = ~done
        fed = fed + live.astype(jnp.int32)
        tokens = tokens.at[:, j].set(jnp.where(live, token, pad_id))
        logprobs = logprobs.at[:, j].set(jnp.where(live, logprob, 0.0))
        last = jnp.where(live, token, last)
        stop = jnp.any(token[:, None] == rows.stop_ids, axis=1)
        done = done | (live & (stop | (count_b + fed >= budget_b)))
        return j + 1, out.cache, last, fed, tokens, logprobs, done

    zeros = jnp.zeros(b, jnp.int32)
    carry = (
        jnp.int32(0), work, last_b, zeros, jnp.full((b, steps), pad_id, jnp.int32),
        jnp.zeros((b, steps), jnp.float32), done0,
    )  # fmt: skip
    _, work, _, fed, tokens, logprobs, _ = jax.lax.while_loop(cond, body, carry)
    store = constrain_cache(_scatter(store, work, slot_b, base, length_b, steps), mesh)
    return store, tokens, logprobs, fed


TRACES = [0]  # traces (compilations) of the functions below, across engines
prefill = jax.jit(
    prefill_impl, static_argnames=("graphdef", "flags", "width", "mesh"),
    donate_argnames=("store",),
)  # fmt: skip
decode = jax.jit(
    decode_impl, static_argnames=("graphdef", "flags", "width", "steps", "pad_id", "mesh"),
    donate_argnames=("store",),
)  # fmt: skip
copy_rows = jax.jit(copy_impl, static_argnames=("width", "mesh"), donate_argnums=(0,))
