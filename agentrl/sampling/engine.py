"""A continuous-batching JAX engine: requests join and leave a running decode batch, and the KV
cache of earlier turns stays resident so a follow-up prefills only its new tokens.

Layout: per-slot cache rows. The engine owns ``num_slots`` rows of KV cache, each
``max_context`` (plus one prefill chunk) columns long, in the models' layout (keys ``[slot,
kv_heads, head_dim, column]``, values ``[slot, kv_heads, column, head_dim]``). A row holds one
sequence contiguously from column 0, so a token's column is its position and the model's own
attention (causal over marked slots, sliding windows included) runs unchanged. Paged blocks
would let rows share prefix blocks without copies, but the models attend over one contiguous
cache per row: paging would need a gather of every block on every decode step (a copy of the
whole context per layer per step) or a custom kernel, which on CPU costs more than the one-time
row copy that sharing a GRPO prompt takes here. Rows are cheap to reason about: eviction frees a
whole row, and the model code is untouched.

How it runs (`Engine.step`, called by whoever drives the engine):

1. Admission: a waiting request takes a row. It reuses the longest cached prefix among all rows:
   a resident row it extends (the episode's own previous turn: token-in/token-out makes each
   turn's prompt an extension of the last) is taken over in place; a prefix shared with another
   row (the G prompts of a GRPO group, an earlier conversation) is copied into a free row. When
   no row is free, the least recently used resident row is evicted; its sequence is
   re-prefilled if it ever comes back.
2. Prefill: the uncached tokens of admitted requests, in chunks of at most ``prefill_chunk``,
   several requests side by side (``jax.vmap`` of the model over rows, each with its own write
   column), and the first token sampled from the last real position.
3. Decode: every decoding request's row is gathered into a compact working set (only the first
   L columns, L bucketed to the longest live row) and ``steps_per_round`` decode steps run in
   one jitted loop; each new column is written back to its row. Finished requests release
   their rows at once (the row stays resident for reuse until evicted).

Shapes are bucketed (decode rows, cache columns and prefill lengths to powers of two; prefill
rows to 1 or ``prefill_rows``, or for one-bucket chunks such as a GRPO group's followers, which
prefill a single token each, ``prefill_rows * 4**k`` up to a full call's tokens; row copies to
powers of four), so a run compiles a handful of times (`Engine.num_compilations`).

Sampling matches `JaxSampler`: the same filters (`processors`), per-request keys folded with the
token index (``fold_in(key, i)`` for the i-th new token), log-probs of
``log_softmax(logits / temperature)``. Each request carries its own sampling values, so
requests with different temperatures or filters share a decode batch.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from agentrl.errors import ConfigError, SamplerError
from agentrl.models.sharding import batch_shards, cache_sharding
from agentrl.sampling._engine_ops import (
    TRACES,
    Flags,
    RowParams,
    copy_rows,
    decode,
    ladder,
    prefill,
)
from agentrl.sampling.base import FinishReason, SamplingParams
from agentrl.sampling.requests import EngineStats, Request
from agentrl.sampling.stops import first_stop
from agentrl.shapes import bucket

_FREE, _PREFILL, _DECODE, _RESIDENT = "free", "prefill", "decode", "resident"
_MIN_SHARED = 8  # a shared prefix shorter than this is prefilled rather than copied


class Engine:
    """Continuous batching over per-slot KV rows with prefix reuse (see the module docstring).

    Args:
        model: an `agentrl.models` causal LM.
        tokenizer: its tokenizer (EOS ids, pad id, decoding for stop strings).
        num_slots: KV rows; at most this many requests decode at once, and finished sequences
            stay resident in the others until evicted.
        max_context: prompt + completion tokens per sequence at most.
        prefill_chunk: most new tokens one request prefills per call (longer prompts take
            several); also bounds the prefill shapes.
        prefill_rows: most requests prefilled side by side in one call.
        steps_per_round: decode steps per jitted call at most (the host checks stop strings,
            admits requests and streams tokens between rounds); while requests wait for a row,
            rounds stop after a quarter of it, so they join sooner. The loop also exits as soon
            as every row is done.
        prefill_budget: (padded) prompt tokens prefilled per `step` at most before the next
            decode round, so new requests join quickly without stalling running ones long.
        prefix_reuse: keep and reuse cached prefixes (False: every request prefills its whole
            prompt; for comparisons and tests).
        seed: the engine's own key, used for requests without a seed.
        min_bucket: the smallest column/prefill bucket.
        cache_dtype: dtype of the KV store (default: the model's compute dtype).
        mesh: a ``(data, fsdp, tp)`` mesh the model is sharded on: the cache rows are split
            over data x fsdp (their count padded to a multiple of it), KV heads over tp.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        num_slots: int = 64,
        max_context: int = 4096,
        prefill_chunk: int = 256,
        prefill_rows: int = 8,
        steps_per_round: int = 32,
        prefill_budget: int = 4096,
        prefix_reuse: bool = True,
        seed: int = 0,
        min_bucket: int = 16,
        cache_dtype: Any = None,
        mesh: Mesh | None = None,
    ) -> None:
        for name, value, low in [
            ("num_slots", num_slots, 1),
            ("max_context", max_context, 2),
            ("prefill_chunk", prefill_chunk, 1),
            ("prefill_rows", prefill_rows, 1),
            ("steps_per_round", steps_per_round, 1),
            ("prefill_budget", prefill_budget, 1),
            ("min_bucket", min_bucket, 1),
        ]:
            if value < low:
                raise ConfigError(f"got {name}={value}, need >= {low}")
        self.model = model
        self.tokenizer = tokenizer
        self.num_slots = num_slots
        self.max_context = max_context
        self.prefill_chunk = ladder(prefill_chunk, min_bucket)
        self.prefill_rows = prefill_rows
        self.steps_per_round = steps_per_round
        self.prefill_budget = prefill_budget
        self.prefix_reuse = prefix_reuse
        self.min_bucket = min_bucket
        self.num_compilations = 0
        self.stats = EngineStats()
        # Room for one padded prefill chunk or decode round past the context, in whole buckets.
        extra = max(self.prefill_chunk, steps_per_round)
        self.columns = -(-(max_context + extra) // min_bucket) * min_bucket
        self._vocab_size = int(model.config.vocab_size)
        self._pad_id = int(tokenizer.pad_token_id)
        self._eos = tuple(int(t) for t in getattr(tokenizer, "eos_token_ids", ()) or ())
        dtype = cache_dtype or getattr(model, "dtype", jnp.float32)
        # One extra row: padding lanes of a bucketed call read and write it, never a real row.
        self.mesh = mesh
        shards = batch_shards(mesh)
        rows = -(-(num_slots + 1) // shards) * shards  # rows past the scratch row stay unused
        # Made in place (a jit with the cache's shardings), never whole on one device.
        out = None if mesh is None else cache_sharding(mesh)
        make = functools.partial(model.init_cache, rows, self.columns, dtype)
        self._store: Any = jax.jit(make, out_shardings=out)()
        self._scratch = num_slots
        self._state = [_FREE] * num_slots
        self._tokens: list[list[int]] = [[] for _ in range(num_slots)]  # KV held per row
        self._used = [0.0] * num_slots
        self._owner: list[Request | None] = [None] * num_slots
        self._waiting: list[Request] = []
        # Submissions land in the inbox without the engine lock, which a running step holds
        # for its whole device call: a server's event loop must never wait on a step.
        self._inbox: collections.deque[Request] = collections.deque()
        self._lock = threading.RLock()
        self._key_lock = threading.Lock()
        self._signal = threading.Event()
        self._key = jax.random.PRNGKey(seed)
        self._thread: threading.Thread | None = None
        self._running = False
        self._clock = 0

    # --- public -----------------------------------------------------------------------------

    def submit(
        self,
        prompt: Sequence[int],
        params: SamplingParams,
        *,
        key: jax.Array | None = None,
        on_token: Callable[[Request, list[int], list[float]], None] | None = None,
    ) -> Request:
        """Queue one completion of `prompt`; it is admitted as soon as a row is free.

        Args:
            key: its PRNG key; default ``PRNGKey(params.seed)`` or a fresh split of the
                engine's key. `EngineSampler` folds in the row index, as `JaxSampler` does.
            on_token: called (from the engine's thread) with each chunk of new tokens.
        """
        ids = self._checked(prompt)
        if key is None:
            if params.seed is not None:
                key = jax.random.PRNGKey(params.seed)
            else:
                with self._key_lock:
                    self._key, key = jax.random.split(self._key)
        budget = max(0, min(params.max_tokens, self.max_context - len(ids)))
        request = Request(ids, params, key, budget, on_token)
        if budget == 0:
            request.error = f"prompt of {len(ids)} tokens fills max_context={self.max_context}"
            request._finish("length")
        else:
            self._inbox.append(request)
            self._signal.set()
        return request

    def _drain(self) -> None:
        while self._inbox:
            self._waiting.append(self._inbox.popleft())

    def abort(self, request: Request) -> None:
        """Stop a request (a client went away); its tokens so far stay."""
        with self._lock:
            self._drain()
            if request.done:
                return
            if request in self._waiting:
                self._waiting.remove(request)
            elif request.slot >= 0:
                self._release(request.slot)
            request._finish("abort")

    @property
    def busy(self) -> bool:
        return bool(self._inbox or self._waiting) or any(o is not None for o in self._owner)

    def step(self) -> bool:
        """Admit, prefill, and run one decode round. Returns whether any work was done."""
        with self._lock:
            self._drain()
            graphdef, weights = nnx.split(self.model)
            # Admit and prefill, up to a token budget per step, so a burst of new requests
            # joins the decode batch together instead of a few per round. Admission runs again
            # after each prefill: requests waiting on a prefix another row was computing (a
            # GRPO group's shared prompt) copy it and join this very round.
            admitted, budget = self._admit(), self.prefill_budget
            while budget > 0 and any(s == _PREFILL for s in self._state):
                while budget > 0 and any(s == _PREFILL for s in self._state):
                    budget -= self._prefill_round(graphdef, weights)
                admitted += self._admit()
            decoding = [i for i, s in enumerate(self._state) if s == _DECODE]
            if decoding:
                self._decode_round(decoding, graphdef, weights)
            return bool(admitted or decoding)

    def run_until(self, requests: Sequence[Request]) -> None:
        """Drive the engine on this thread until every one of `requests` is done (or, with
        the background thread running, wait for them)."""
        if self._thread is not None:
            for r in requests:
                r.wait()
            return
        while not all(r.done for r in requests):
            if not self.step() and not all(r.done for r in requests):
                raise SamplerError("the engine stalled with requests pending")

    def start(self) -> Engine:
        """Run `step` on a background thread whenever there is work (servers)."""
        with self._lock:
            if self._thread is None:
                self._running = True
                self._thread = threading.Thread(
                    target=self._loop, daemon=True, name="agentrl-engine"
                )
                self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._running = False
            self._signal.set()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)

    def flush(self) -> None:
        """Drop every resident (not running) prefix: the weights changed, the KV is stale."""
        with self._lock:
            for i, s in enumerate(self._state):
                if s == _RESIDENT:
                    self._state[i], self._tokens[i] = _FREE, []

    # --- host side --------------------------------------------------------------------------

    def _loop(self) -> None:
        while self._running:
            self._signal.clear()
            if not self.busy:
                self._signal.wait(0.5)
                continue
            try:
                self.step()
            except Exception as e:  # every request in flight gets the error
                with self._lock:
                    self._drain()
                    for r in [*self._waiting, *(o for o in self._owner if o is not None)]:
                        r.error = f"engine: {type(e).__name__}: {e}"
                        if r.slot >= 0:
                            self._release(r.slot)
                        r._finish("abort")
                    self._waiting.clear()

    def _checked(self, prompt: Sequence[int]) -> list[int]:
        ids = [int(t) for t in prompt]
        if not ids:
            raise SamplerError("prompt is empty; need at least one token")
        bad = [t for t in ids if not 0 <= t < self._vocab_size]
        if bad:
            raise SamplerError(
                f"prompt has token id {bad[0]}, outside the vocabulary [0, {self._vocab_size})"
            )
        return ids

    def _width(self, n: int) -> int:
        """The cache columns a call works on: powers of two, capped at the row length.
        (A 2x ladder, not 4x: every decode step attends over and copies this many columns.)"""
        return min(self.columns, bucket(n, self.min_bucket))

    def _touch(self, slot: int) -> None:
        self._clock += 1
        self._used[slot] = self._clock

    def _admit(self) -> int:
        admitted = 0
        copies: list[tuple[int, int, int]] = []  # (source, target, columns), run in one call
        for request in list(self._waiting):
            choice = self._place(request)
            if choice is None:
                continue
            slot, source, shared = choice
            self._waiting.remove(request)
            if source is not None and source != slot:
                copies.append((source, slot, shared))
                self.stats.row_copies += 1
            if self._state[slot] == _RESIDENT and source != slot:
                self.stats.evictions += 1
            self._state[slot] = _PREFILL
            self._tokens[slot] = list(request.prompt[:shared])
            self._owner[slot] = request
            request.slot, request.prefilled = slot, shared
            request.cached_tokens = shared
            self.stats.cached_tokens += shared
            self._touch(slot)
            admitted += 1
        self._copy_rows(copies)
        return admitted

    def _copy_rows(self, copies: list[tuple[int, int, int]]) -> None:
        """Copy shared prefixes into their new rows, in one device call, in admission order:
        a row that a later admission evicted and overwrites is copied from first, and a row
        still waiting for its prefill is never a source (`_place` makes such requests wait)."""
        if not copies:
            return
        n = ladder(len(copies), 4)
        source_n = np.full(n, self._scratch, np.int32)
        target_n = np.full(n, self._scratch, np.int32)
        for i, (source, target, _) in enumerate(copies):
            source_n[i], target_n[i] = source, target
        width = self._width(max(shared for _, _, shared in copies))
        with self._counting():
            self._store = copy_rows(
                self._store, jnp.asarray(source_n), jnp.asarray(target_n), width, mesh=self.mesh
            )

    def _place(self, request: Request) -> tuple[int, int | None, int] | None:
        """``(row, row to copy from or None, reused prefix length)``, or None to wait."""
        prompt = request.prompt
        best, best_len = None, 0
        if self.prefix_reuse:
            arr = np.asarray(prompt, np.int64)
            for i, s in enumerate(self._state):
                owner = self._owner[i]
                # A row still prefilling will hold its prompt: match against that, then wait.
                held = owner.prompt if s == _PREFILL and owner is not None else self._tokens[i]
                if s == _FREE or not held:
                    continue
                n = _common_prefix(held, arr)
                if n > best_len:
                    best, best_len = i, n
        # Prefill at least the prompt's last token: its logits give the first sample.
        best_len = min(best_len, len(prompt) - 1)
        if best is not None and best_len >= _MIN_SHARED and self._state[best] == _PREFILL:
            return None  # its KV is still being computed: copy it in a later round
        if (
            best is not None
            and self._state[best] == _RESIDENT
            and best_len >= len(self._tokens[best]) - 1
        ):
            return best, best, best_len  # the prompt extends this row: take it over
        free = [i for i, s in enumerate(self._state) if s == _FREE]
        if free:
            target = free[0]
        else:
            resident = [i for i, s in enumerate(self._state) if s == _RESIDENT]
            if not resident:
                return None
            target = min(resident, key=lambda i: self._used[i])
        if best is None or best_len < _MIN_SHARED:
            return target, None, 0
        if target == best:  # the only row to take is the source itself: cut it back
            return target, target, best_len
        return target, best, best_len

    def _release(self, slot: int) -> None:
        self._owner[slot] = None
        self._state[slot] = _RESIDENT if (self.prefix_reuse and self._tokens[slot]) else _FREE
        if self._state[slot] == _FREE:
            self._tokens[slot] = []
        self._touch(slot)

    def _row_params(self, requests: Sequence[Request | None], rows: int) -> tuple[RowParams, Flags]:
        greedy = np.ones(rows, bool)
        temperature = np.ones(rows, np.float32)
        top_k = np.zeros(rows, np.int32)
        top_p = np.full(rows, 2.0, np.float32)
        min_p = np.zeros(rows, np.float32)
        stops = [sorted({*self._eos, *(r.params.stop_token_ids if r else ())}) for r in requests]
        width = bucket(max([len(s) for s in stops] + [1]), 8)
        stop_ids = np.full((rows, width), -1, np.int32)
        keys = np.zeros((rows, *np.shape(jax.random.PRNGKey(0))), np.uint32)
        for i, r in enumerate(requests):
            stop_ids[i, : len(stops[i])] = stops[i]
            if r is None:
                continue
            p = r.params
            keys[i] = np.asarray(r.key)
            if p.temperature == 0:
                continue
            greedy[i] = False
            temperature[i] = max(p.temperature, 1e-6)
            if 0 < p.top_k < self._vocab_size:
                top_k[i] = p.top_k
            if p.top_p < 1:
                top_p[i] = p.top_p
            min_p[i] = p.min_p
        flags = Flags(
            sampled=not greedy.all(),
            top_k=int(bucket(int(top_k.max()), 8)) if top_k.max() > 0 else 0,
            top_p=bool((top_p < 2).any()),
            min_p=bool((min_p > 0).any()),
        )
        if flags.top_k > self._vocab_size:
            flags = flags._replace(top_k=self._vocab_size)
        values = RowParams(
            jnp.asarray(greedy), jnp.asarray(temperature), jnp.asarray(top_k),
            jnp.asarray(top_p), jnp.asarray(min_p), jnp.asarray(stop_ids), jnp.asarray(keys),
        )  # fmt: skip
        return values, flags

    def _prefill_round(self, graphdef: Any, weights: Any) -> int:
        """One prefill call for up to ``prefill_rows`` requests (more when their chunks are
        short); returns the tokens it took, padding included."""
        pending = [r for r in (self._owner[i] for i in range(self.num_slots)) if r is not None]
        pending = [r for r in pending if self._state[r.slot] == _PREFILL]
        # Short chunks (a GRPO group's followers prefill one token each) go many rows to a
        # call: a call holds at most prefill_rows x prefill_chunk tokens, as a full one does.
        short = [r for r in pending if len(r.prompt) - r.prefilled <= self.min_bucket]
        if len(short) > self.prefill_rows:
            most = self.prefill_rows * self.prefill_chunk // self.min_bucket
            reqs = short[: min(most, self.num_slots)]
            m = min(ladder(len(reqs), self.prefill_rows), max(most, self.prefill_rows))
        else:
            reqs = pending[: self.prefill_rows]
            m = 1 if len(reqs) == 1 else self.prefill_rows
        chunks = [min(len(r.prompt) - r.prefilled, self.prefill_chunk) for r in reqs]
        # A 2x ladder for the chunk (a turn's new tokens are often just past a power of 4).
        t = min(self.prefill_chunk, bucket(max(chunks), self.min_bucket))
        width = self._width(max(r.prefilled for r in reqs) + t)
        tokens = np.full((m, t), self._pad_id, np.int32)
        start = np.zeros(m, np.int32)
        count = np.ones(m, np.int32)
        slot_m = np.full(m, self._scratch, np.int32)
        for i, (r, n) in enumerate(zip(reqs, chunks)):
            tokens[i, :n] = r.prompt[r.prefilled : r.prefilled + n]
            start[i], count[i], slot_m[i] = r.prefilled, n, r.slot
        rows, flags = self._row_params(reqs, m)
        with self._counting():
            self._store, token_m, logprob_m = prefill(
                weights, self._store, jnp.asarray(tokens), jnp.asarray(start),
                jnp.asarray(count), jnp.asarray(slot_m), rows, graphdef=graphdef, flags=flags,
                width=width, mesh=self.mesh,
            )  # fmt: skip
        token_m, logprob_m = np.asarray(token_m), np.asarray(logprob_m)
        self.stats.prefill_calls += 1
        for i, (r, n) in enumerate(zip(reqs, chunks)):
            self._tokens[r.slot] += r.prompt[r.prefilled : r.prefilled + n]
            r.prefilled += n
            r.prefilled_tokens += n
            self.stats.prefill_tokens += n
            if r.prefilled == len(r.prompt):
                self._state[r.slot] = _DECODE
                self._accept(r, [int(token_m[i])], [float(logprob_m[i])])
        return m * t

    def _decode_round(self, slots: list[int], graphdef: Any, weights: Any) -> None:
        reqs: list[Request] = [r for r in (self._owner[i] for i in slots) if r is not None]
        b = bucket(len(reqs), min(4, self.num_slots))
        steps = self.steps_per_round
        lengths = [len(self._tokens[r.slot]) for r in reqs]
        width = self._width(max(lengths) + steps)
        slot_b = np.full(b, self._scratch, np.int32)
        length_b = np.zeros(b, np.int32)
        last_b = np.full(b, self._pad_id, np.int32)
        count_b = np.zeros(b, np.int32)
        budget_b = np.zeros(b, np.int32)
        for i, r in enumerate(reqs):
            slot_b[i], length_b[i], last_b[i] = r.slot, lengths[i], r.token_ids[-1]
            count_b[i], budget_b[i] = len(r.token_ids), r.budget
        rows, flags = self._row_params(reqs, b)
        # Requests waiting for a row or for their prefill join at the next round: keep it short.
        waiting = bool(self._inbox or self._waiting) or _PREFILL in self._state
        limit = max(1, steps // 4) if waiting else steps
        with self._counting():
            self._store, tokens_bk, logprobs_bk, fed_b = decode(
                weights, self._store, jnp.asarray(slot_b), jnp.asarray(length_b),
                jnp.asarray(last_b), jnp.asarray(count_b), jnp.asarray(budget_b), rows,
                jnp.int32(limit),
                graphdef=graphdef, flags=flags, width=width, steps=steps, pad_id=self._pad_id,
                mesh=self.mesh,
            )  # fmt: skip
        tokens_bk, logprobs_bk = np.asarray(tokens_bk), np.asarray(logprobs_bk)
        fed_b = np.asarray(fed_b)
        self.stats.decode_rounds += 1
        for i, r in enumerate(reqs):
            fed = int(fed_b[i])  # tokens whose KV was written: the last one and new ones
            self._tokens[r.slot] += r.token_ids[-1:] + tokens_bk[i, : fed - 1].tolist()
            self._accept(r, tokens_bk[i, :fed].tolist(), logprobs_bk[i, :fed].tolist())

    def _accept(self, r: Request, ids: list[int], logprobs: list[float]) -> None:
        """Take a request's new tokens: cut at a stop, emit, finish and release if done."""
        stops = {*self._eos, *r.params.stop_token_ids}
        room = r.budget - len(r.token_ids)
        ids, logprobs = ids[:room], logprobs[:room]
        finish: FinishReason | None = None
        for j, t in enumerate(ids):
            if t in stops:
                ids, logprobs, finish = ids[: j + 1], logprobs[: j + 1], "stop"
                break
        if r.params.stop:
            before = len(r.token_ids)
            cut = first_stop(r.token_ids + ids, r.params.stop, self.tokenizer.decode)
            if cut is not None:
                keep = max(cut - before, 0)
                ids, logprobs, finish = ids[:keep], logprobs[:keep], "stop"
        if finish is None and len(r.token_ids) + len(ids) >= r.budget:
            finish = "length"
        self.stats.generated_tokens += len(ids)
        r._emit(ids, logprobs)
        if finish is not None:
            self._release(r.slot)
            r.slot = -1
            r._finish(finish)

    @contextlib.contextmanager
    def _counting(self) -> Iterator[None]:
        """Count the compilations a device call triggers (traces run only when compiling)."""
        before = TRACES[0]
        try:
            yield
        finally:
            self.num_compilations += TRACES[0] - before


def _common_prefix(tokens: list[int], arr: np.ndarray) -> int:
    n = min(len(tokens), len(arr))
    if n == 0:
        return 0
    eq = np.asarray(tokens[:n], np.int64) == arr[:n]
    return n if eq.all() else int(np.argmin(eq))
