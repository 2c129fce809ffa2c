"""The OpenAI-compatible app: ``/v1/models``, ``/v1/completions``, ``/v1/chat/completions``
(plain and streaming, with tool calls and log-probs), ``/v1/rewards`` and ``/health``, over any
`Sampler`. ``/s/<session>/v1/...`` serves the same under a session (`agentrl.serve.sessions`).

Two backends. Over an `EngineSampler` (the default for ``agentrl serve``), every request joins
the engine's running decode batch as it arrives, a streamed answer (one prompt, ``n=1``, no
stop strings or tools, whose text must be seen whole) sends each token as it is decoded, and a
chat follow-up reuses its conversation's cached prefix (``usage.prompt_tokens_details``). Over
any other `Sampler`, requests are batched into ``generate`` calls (`BatchingEngine`) and a
streamed answer starts once its completion is done, then arrives token by token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from agentrl.sampling.base import Completion, Sampler, SamplingParams, uses_continuous_engine
from agentrl.serve import protocol as p
from agentrl.serve import weights
from agentrl.serve.batching import BatchingEngine
from agentrl.serve.continuous import ContinuousServing
from agentrl.serve.encoding import request_message, sse, sse_async, visible_pieces
from agentrl.serve.recording import Recorder, RequestLog
from agentrl.serve.sessions import RewardRequest, SessionPaths, attach_reward, session_of

log = logging.getLogger("agentrl.serve")
R = TypeVar("R", bound=BaseModel)


def create_app(
    sampler: Sampler,
    tokenizer: Any,
    *,
    model_name: str = "agentrl",
    api_key: str | None = None,
    max_request_bytes: int = 8 << 20,
    max_batch: int = 64,
    batch_window_s: float = 0.005,
    default_max_tokens: int = 1024,
    tool_format: str = "hermes",
    record_dir: str | None = None,
    engine: str = "auto",
    recorder: RequestLog | None = None,
    any_model: bool = False,
) -> FastAPI:
    """Build the app. Serve it with uvicorn (``agentrl serve``) or `agentrl.serve.ServerThread`.

    Args:
        sampler: generates; called from one thread with batches of prompts.
        tokenizer: the sampler's tokenizer (encodes prompts, renders chats, decodes output).
        model_name: the id in ``/v1/models``; requests naming another model get 404.
        api_key: if set, ``/v1/*`` requires ``Authorization: Bearer <api_key>``.
        max_request_bytes: larger request bodies get 413.
        max_batch: most prompts per ``generate`` call.
        batch_window_s: how long a request waits for others to batch with.
        default_max_tokens: chat requests without ``max_tokens`` get at most this many.
        tool_format: how tool calls are parsed from the model's text (`parse_tool_calls`).
        record_dir: write every request and answer there as trajectories (JSONL).
        engine: ``"continuous"`` (needs an `EngineSampler`): requests join its running batch
            and stream as decoded; ``"static"``: batched ``generate`` calls; ``"auto"``:
            continuous when the sampler has an engine.
        recorder: where answered requests go, instead of ``record_dir``'s `Recorder`.
        any_model: serve requests naming any model (a trainer's endpoint for unmodified
            programs), not only `model_name`.
    """
    backend: BatchingEngine | ContinuousServing
    if uses_continuous_engine(sampler, engine):
        backend = ContinuousServing(sampler)
    else:
        backend = BatchingEngine(sampler, max_batch=max_batch, window_s=batch_window_s)
    server = _Server(
        sampler=sampler,
        tokenizer=tokenizer,
        model_name=model_name,
        api_key=api_key,
        max_request_bytes=max_request_bytes,
        engine=backend,
        default_max_tokens=default_max_tokens,
        tool_format=tool_format,
        recorder=recorder if recorder is not None else Recorder(record_dir) if record_dir else None,
        any_model=any_model,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await server.engine.start()
        try:
            yield
        finally:
            await server.engine.stop()
            if server.recorder is not None:
                server.recorder.close()

    app = FastAPI(
        title="agentrl", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.server = server
    app.add_middleware(SessionPaths)

    weights.install(app, server)  # POST /v1/weights, the policy-version header

    @app.exception_handler(p.APIError)
    async def api_error(_: Request, exc: p.APIError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        stats = server.engine.stats
        return {"status": "ok", "generate_calls": stats.calls, "largest_batch": stats.largest}

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        server.authorize(request)
        return {"object": "list", "data": [server.model_card()]}

    @app.post("/v1/completions")
    async def completions(request: Request) -> Any:
        server.authorize(request)
        return await server.completions(await server.parse(request, p.CompletionRequest))

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        server.authorize(request)
        return await server.chat(await server.parse(request, p.ChatRequest))

    @app.post("/v1/rewards")
    async def rewards(request: Request) -> Any:
        server.authorize(request)
        return attach_reward(server.recorder, await server.parse(request, RewardRequest))

    return app


class _Server:
    def __init__(
        self,
        *,
        sampler: Sampler,
        tokenizer: Any,
        model_name: str,
        api_key: str | None,
        max_request_bytes: int,
        engine: BatchingEngine | ContinuousServing,
        default_max_tokens: int,
        tool_format: str,
        recorder: RequestLog | None,
        any_model: bool = False,
    ) -> None:
        self.sampler = sampler
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.api_key = api_key
        self.max_request_bytes = max_request_bytes
        self.engine = engine
        self.default_max_tokens = default_max_tokens
        self.tool_format = tool_format
        self.recorder = recorder
        self.any_model = any_model
        self.created = p.now()

    # --- request intake -------------------------------------------------------------------

    def authorize(self, request: Request) -> None:
        if self.api_key is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.api_key}".encode()):
            raise p.APIError(401, "missing or wrong API key (send Authorization: Bearer <key>)")

    async def parse(self, request: Request, model: type[R]) -> R:
        body = await self._read_body(request)
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise p.APIError(400, f"the request body is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise p.APIError(
                400, f"the request body must be a JSON object, got {type(data).__name__}"
            )
        try:
            parsed = model.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise p.APIError(400, f"{where}: {first['msg']}", param=where) from None
        refused = parsed.unsupported() if isinstance(parsed, p.SamplingRequest) else None
        if refused is not None:
            raise refused
        name = getattr(parsed, "model", None)
        if name is not None and name != self.model_name and not self.any_model:
            raise p.APIError(
                404,
                f"model {name!r} not found; this server serves {self.model_name!r}",
                param="model",
            )
        return parsed

    async def _read_body(self, request: Request) -> bytes:
        limit = self.max_request_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise p.APIError(413, f"request body of {declared} bytes exceeds the limit of {limit}")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise p.APIError(413, f"request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def model_card(self) -> dict[str, Any]:
        return {
            "id": self.model_name,
            "object": "model",
            "created": self.created,
            "owned_by": "agentrl",
            "max_model_len": self.sampler.max_context,
        }

    def _check_ids(self, ids: Sequence[int]) -> list[int]:
        if not ids:
            raise p.APIError(400, "the prompt is empty", param="prompt")
        vocab = self.tokenizer.vocab_size
        bad = [t for t in ids if not 0 <= t < vocab]
        if bad:
            raise p.APIError(
                400, f"token id {bad[0]} is outside the vocabulary [0, {vocab})", param="prompt"
            )
        return list(ids)

    def _max_tokens(self, asked: int | None, prompt_len: int) -> int:
        limit = self.sampler.max_context
        if limit is not None and prompt_len >= limit:
            raise p.APIError(
                400, f"the prompt has {prompt_len} tokens; the context is {limit}", param="prompt"
            )
        room = None if limit is None else limit - prompt_len
        wanted = asked if asked is not None else self.default_max_tokens
        return wanted if room is None else min(wanted, room)  # a longer ask ends with "length"

    async def _generate(self, prompt: list[int], params: SamplingParams) -> list[Completion]:
        try:
            return await self.engine.generate(prompt, params)
        except Exception as e:  # the sampler failed: answer 500 with the reason, keep serving
            log.exception("generation failed")
            raise p.APIError(500, f"generation failed: {type(e).__name__}: {e}") from None

    def _choices(
        self, index0: int, completions: list[Completion], req: p.SamplingRequest
    ) -> list[p.Choice]:
        return [
            p.decode_choice(
                index0 + j,
                c,
                self.tokenizer,
                stops=req.stops,
                keep_stop=req.include_stop_str_in_output,
                skip_special_tokens=req.skip_special_tokens,
            )
            for j, c in enumerate(completions)
        ]

    # --- /v1/completions ------------------------------------------------------------------

    def _prompts(self, prompt: Any) -> list[list[int]]:
        if isinstance(prompt, str):
            return [self._check_ids(self.tokenizer.encode(prompt))]
        if prompt and all(isinstance(t, int) for t in prompt):
            return [self._check_ids(prompt)]
        if not prompt:
            raise p.APIError(400, "the prompt is empty", param="prompt")
        return [
            self._check_ids(self.tokenizer.encode(x) if isinstance(x, str) else x) for x in prompt
        ]

    async def completions(self, req: p.CompletionRequest) -> Any:
        if req.echo:
            raise p.APIError(400, "echo=true is not supported", param="echo")
        prompts = self._prompts(req.prompt)
        if req.stream and len(prompts) > 1:
            raise p.APIError(400, "streaming supports one prompt per request", param="stream")
        params = req.sampling_params(self._max_tokens(req.max_tokens, max(map(len, prompts))))
        if req.stream and self._live(req):
            return sse_async(self._completion_live(prompts[0], params, req))
        results = await asyncio.gather(*(self._generate(x, params) for x in prompts))
        rid = p.new_id("cmpl")
        choices: list[p.Choice] = []
        for i, completions in enumerate(results):
            choices += self._choices(i * req.n, completions, req)
        if self.recorder is not None:
            for i, prompt in enumerate(prompts):
                self.recorder.record(
                    endpoint="/v1/completions",
                    request_id=f"{rid}/{i}",
                    prompt_ids=prompt,
                    choices=choices[i * req.n : (i + 1) * req.n],
                    policy_version=self.sampler.policy_version,
                    session=session_of(req.user),
                )
        n_prompt = sum(map(len, prompts))
        if req.stream:
            return sse(self._completion_chunks(rid, choices, req, n_prompt))
        return {
            "id": rid,
            "object": "text_completion",
            "created": p.now(),
            "model": self.model_name,
            "choices": [self._completion_choice(c, req) for c in choices],
            "usage": p.usage(n_prompt, choices),
        }

    # --- streaming as decoded (continuous engine) -----------------------------------------

    def _live(self, req: p.SamplingRequest) -> bool:
        """Whether this streamed request can send tokens as they are decoded."""
        return isinstance(self.engine, ContinuousServing) and req.n == 1 and not req.stops

    async def _pieces(
        self, prompt: list[int], params: SamplingParams, req: p.SamplingRequest
    ) -> AsyncIterator[tuple[int, str, float] | Completion]:
        """``(token id, the visible text it adds, log-prob)`` per token as decoded, then the
        `Completion`. EOS tokens add no text; a token ending inside a character adds ''."""
        assert isinstance(self.engine, ContinuousServing)
        eos = set(self.tokenizer.eos_token_ids)
        ids: list[int] = []
        shown = ""
        async for item in self.engine.stream(prompt, params):
            if isinstance(item, Completion):
                yield item
                return
            for token, logprob in zip(*item):
                ids.append(token)
                visible = [t for t in ids if t not in eos]
                text = self.tokenizer.decode(visible, skip_special_tokens=req.skip_special_tokens)
                if text.endswith("\ufffd"):
                    yield token, "", logprob
                    continue
                piece, shown = text[len(shown) :], text
                yield token, piece, logprob

    def _record_live(
        self, endpoint: str, rid: str, prompt: list[int], choice: p.Choice, **extra: Any
    ) -> p.Choice:
        if self.recorder is not None:
            self.recorder.record(
                endpoint=endpoint, request_id=rid, prompt_ids=prompt, choices=[choice],
                policy_version=self.sampler.policy_version, **extra,
            )  # fmt: skip
        return choice

    async def _completion_live(
        self, prompt: list[int], params: SamplingParams, req: p.CompletionRequest
    ) -> AsyncIterator[dict[str, Any]]:
        rid = p.new_id("cmpl")
        head = {
            "id": rid,
            "object": "text_completion",
            "created": p.now(),
            "model": self.model_name,
        }
        offset = 0
        async for item in self._pieces(prompt, params, req):
            if isinstance(item, Completion):
                choice = self._choices(0, [item], req)[0]
                self._record_live(
                    "/v1/completions", rid, prompt, choice, session=session_of(req.user)
                )
                end = {"index": 0, "text": "", "logprobs": None,
                       "finish_reason": choice.finish_reason}  # fmt: skip
                yield {**head, "choices": [end]}
                if req.stream_options and req.stream_options.include_usage:
                    yield {**head, "choices": [], "usage": p.usage(len(prompt), [choice])}
                return
            token, piece, logprob = item
            entry: dict[str, Any] = {"index": 0, "text": piece, "logprobs": None,
                                     "finish_reason": None}  # fmt: skip
            if req.logprobs is not None:
                label = p.token_label(token, piece, req.return_tokens_as_token_ids)
                entry["logprobs"] = {"tokens": [label], "token_logprobs": [logprob],
                                     "top_logprobs": None, "text_offset": [offset]}  # fmt: skip
            if req.return_token_ids:
                entry["token_ids"] = [token]
            offset += len(piece)
            yield {**head, "choices": [entry]}

    async def _chat_live(
        self,
        prompt: list[int],
        params: SamplingParams,
        req: p.ChatRequest,
        messages: list[dict[str, Any]],
    ) -> AsyncIterator[dict[str, Any]]:
        rid = p.new_id("chatcmpl")
        head = {"id": rid, "object": "chat.completion.chunk", "created": p.now(),
                "model": self.model_name}  # fmt: skip

        def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> Any:
            entry = {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            return {**head, "choices": [entry]}

        yield chunk({"role": "assistant", "content": ""})
        async for item in self._pieces(prompt, params, req):
            if isinstance(item, Completion):
                choice = self._choices(0, [item], req)[0]
                reply = {"role": "assistant", "content": choice.text}
                self._record_live(
                    "/v1/chat/completions", rid, prompt, choice, messages=messages,
                    replies=[reply], session=session_of(req.user),
                )  # fmt: skip
                yield chunk({}, choice.finish_reason)
                if req.stream_options and req.stream_options.include_usage:
                    yield {**head, "choices": [], "usage": p.usage(len(prompt), [choice])}
                return
            token, piece, logprob = item
            logprobs = None
            if req.logprobs:
                label = p.token_label(token, piece, req.return_tokens_as_token_ids)
                entry = {"token": label, "logprob": logprob, "bytes": list(piece.encode()),
                         "top_logprobs": []}  # fmt: skip
                logprobs = {"content": [entry]}
            yield chunk({"content": piece}, logprobs=logprobs)

    def _completion_choice(self, c: p.Choice, req: p.CompletionRequest) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": c.index,
            "text": c.text,
            "logprobs": None
            if req.logprobs is None
            else p.completion_logprobs(c, req.return_tokens_as_token_ids),
            "finish_reason": c.finish_reason,
        }
        if req.return_token_ids:
            out["token_ids"] = c.token_ids
        return out

    def _completion_chunks(
        self, rid: str, choices: list[p.Choice], req: p.CompletionRequest, n_prompt: int
    ) -> Iterator[dict[str, Any]]:
        head = {
            "id": rid,
            "object": "text_completion",
            "created": p.now(),
            "model": self.model_name,
        }
        for c in choices:
            logprobs = p.completion_logprobs(c, req.return_tokens_as_token_ids)
            pieces = visible_pieces(c)
            for k, piece in enumerate(pieces):
                last = k == len(pieces) - 1
                entry: dict[str, Any] = {
                    "index": c.index,
                    "text": piece,
                    "logprobs": None,
                    "finish_reason": c.finish_reason if last else None,
                }
                if req.logprobs is not None and k < len(c.token_ids):
                    entry["logprobs"] = {
                        "tokens": [logprobs["tokens"][k]],
                        "token_logprobs": [logprobs["token_logprobs"][k]],
                        "top_logprobs": None,
                        "text_offset": [logprobs["text_offset"][k]],
                    }
                if req.return_token_ids and k < len(c.token_ids):
                    entry["token_ids"] = [c.token_ids[k]]
                yield {**head, "choices": [entry]}
        if req.stream_options and req.stream_options.include_usage:
            yield {**head, "choices": [], "usage": p.usage(n_prompt, choices)}

    # --- /v1/chat/completions -------------------------------------------------------------

    async def chat(self, req: p.ChatRequest) -> Any:
        messages = [request_message(m, k) for k, m in enumerate(req.messages)]
        use_tools = bool(req.tools) and req.tool_choice != "none"
        try:
            prompt = self.tokenizer.encode_chat(
                messages, tools=req.tools if use_tools else None, add_generation_prompt=True
            )
        except Exception as e:  # the chat template refused these messages
            raise p.APIError(400, f"cannot render the messages: {e}", param="messages") from None
        prompt = self._check_ids(prompt)
        asked = req.max_completion_tokens or req.max_tokens
        params = req.sampling_params(self._max_tokens(asked, len(prompt)))
        if req.stream and not use_tools and self._live(req):
            return sse_async(self._chat_live(prompt, params, req, messages))
        choices = self._choices(0, await self._generate(prompt, params), req)
        replies = [self._reply(c, use_tools) for c in choices]
        rid = p.new_id("chatcmpl")
        if self.recorder is not None:
            self.recorder.record(
                endpoint="/v1/chat/completions",
                request_id=rid,
                prompt_ids=prompt,
                choices=choices,
                policy_version=self.sampler.policy_version,
                messages=messages,
                replies=[m for m, _ in replies],
                session=session_of(req.user),
            )
        if req.stream:
            return sse(self._chat_chunks(rid, choices, replies, req, len(prompt)))
        return {
            "id": rid,
            "object": "chat.completion",
            "created": p.now(),
            "model": self.model_name,
            "choices": [
                self._chat_choice(c, message, finish, req)
                for c, (message, finish) in zip(choices, replies)
            ],
            "usage": p.usage(len(prompt), choices),
        }

    def _reply(self, c: p.Choice, use_tools: bool) -> tuple[dict[str, Any], str]:
        """The assistant message of a choice and its finish reason (tool calls parsed)."""
        if use_tools:
            from agentrl.tools.calls import parse_tool_calls

            parsed = parse_tool_calls(
                c.text, self.tool_format, id_prefix=f"call_{uuid.uuid4().hex[:8]}_"
            )
            if parsed.calls:
                content = parsed.content.strip() or None
                calls = [call.to_dict() for call in parsed.calls]
                return {"role": "assistant", "content": content, "tool_calls": calls}, "tool_calls"
        return {"role": "assistant", "content": c.text}, c.finish_reason

    def _chat_choice(
        self, c: p.Choice, message: dict[str, Any], finish: str, req: p.ChatRequest
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": c.index,
            "message": message,
            "logprobs": p.chat_logprobs(c, req.return_tokens_as_token_ids)
            if req.logprobs
            else None,
            "finish_reason": finish,
        }
        if req.return_token_ids:
            out["token_ids"] = c.token_ids
        return out

    def _chat_chunks(
        self,
        rid: str,
        choices: list[p.Choice],
        replies: list[tuple[dict[str, Any], str]],
        req: p.ChatRequest,
        n_prompt: int,
    ) -> Iterator[dict[str, Any]]:
        head = {
            "id": rid,
            "object": "chat.completion.chunk",
            "created": p.now(),
            "model": self.model_name,
        }

        def chunk(
            index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None
        ) -> dict[str, Any]:
            entry = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            return {**head, "choices": [entry]}

        for c, (message, finish) in zip(choices, replies):
            yield chunk(c.index, {"role": "assistant", "content": ""})
            entries = p.chat_logprobs(c, req.return_tokens_as_token_ids)["content"]
            if "tool_calls" in message:
                logprobs = {"content": entries} if req.logprobs else None
                yield chunk(c.index, {"content": message["content"] or ""}, logprobs=logprobs)
                calls = [{"index": k, **call} for k, call in enumerate(message["tool_calls"])]
                yield chunk(c.index, {"tool_calls": calls})
            else:
                for k, piece in enumerate(visible_pieces(c)):
                    logprobs = {"content": entries[k : k + 1]} if req.logprobs else None
                    yield chunk(c.index, {"content": piece}, logprobs=logprobs)
            yield chunk(c.index, {}, finish)
        if req.stream_options and req.stream_options.include_usage:
            yield {**head, "choices": [], "usage": p.usage(n_prompt, choices)}
