"""`OpenAISampler`: the `Sampler` interface over OpenAI-compatible HTTP servers (vLLM, SGLang,
``agentrl serve``).

Token-in/token-out goes through ``/v1/completions``: the prompt is sent as a list of token ids
and the completion's token ids come back either as ``choices[i].token_ids`` (``return_token_ids``)
or as logprob tokens spelled ``"token_id:1234"`` (``return_tokens_as_token_ids``). A vLLM server
for rollouts is started like this::

    vllm serve Qwen/Qwen2.5-1.5B-Instruct --port 8000 \\
        --return-tokens-as-token-ids --logprobs-mode processed_logprobs

(``--logprobs-mode processed_logprobs`` makes the returned log-probs those of the distribution
actually sampled from, after temperature, which is what `Completion.logprobs` promises; older
vLLM versions return raw model log-probs.) The server must accept a token-id list as
``prompt``, the ``logprobs`` field, and should accept vLLM's extras ``top_k``, ``min_p``,
``stop_token_ids`` and ``include_stop_str_in_output``.

`OpenAISampler.chat` uses ``/v1/chat/completions`` instead (the server applies its own chat
template), for evaluating endpoints where token-level trajectories are not needed.

Requests run on an asyncio loop in a background thread with one pooled `httpx.AsyncClient`;
`generate` itself is synchronous, like every `Sampler`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import random
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx

from agentrl.errors import ConfigError, SamplerError
from agentrl.sampling.base import Completion, FinishReason, Sampler, SamplingParams

T = TypeVar("T")
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "tool_calls": "stop",
    "length": "length",
    "abort": "abort",
}


@dataclass
class _Endpoint:
    url: str  # ends in /v1
    in_flight: int = 0
    failures: int = 0  # consecutive failed attempts
    cooldown_until: float = 0.0  # loop time before which it is picked only if all others are
    version: int | None = None  # the policy version last pushed to it (servers that send none)
    busy_s: float = 0.0  # seconds with at least one request in flight (server idle time)
    busy_since: float | None = None

    def started(self) -> None:
        if self.in_flight == 0:
            self.busy_since = time.perf_counter()
        self.in_flight += 1

    def ended(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0 and self.busy_since is not None:
            self.busy_s += time.perf_counter() - self.busy_since
            self.busy_since = None

    def busy_seconds(self) -> float:
        live = 0.0 if self.busy_since is None else time.perf_counter() - self.busy_since
        return self.busy_s + live


class OpenAISampler(Sampler):
    """Samples from one or several OpenAI-compatible servers.

    Args:
        base_url: the server's URL (``http://host:8000`` or ``http://host:8000/v1``), or a
            list of them serving the same model; requests are spread over them.
        model: the model name to request; default: the first one ``/v1/models`` lists.
        api_key: sent as ``Authorization: Bearer``.
        tokenizer: decodes completions into `Completion.text` (optional).
        max_concurrency: requests in flight at once, over all endpoints.
        timeout: seconds for one request (connect, write, and each read).
        max_retries: retries of a request after a 408/409/425/429, a 5xx, a timeout or a
            dropped connection; other 4xx answers fail at once.
        backoff_s: the first retry waits about this long; each further one doubles it, up to
            ``max_backoff_s``, with random jitter (and never less than a ``Retry-After``).
        balance: ``"least_in_flight"`` (the endpoint with the fewest open requests) or
            ``"round_robin"``.
        max_context: the server's context length; when None, the first read of
            ``sampler.max_context`` asks ``/v1/models`` (vLLM and ``agentrl serve`` report
            ``max_model_len``) so the rollout engine keeps episodes within it.
        extra_body: more fields for every request body (server-specific options).
        batch_prompts: send the prompts of one `generate` call as one request per endpoint
            (contiguous chunks, each a list of token-id prompts; chunk 0 with the call's seed,
            chunk ``c`` with a seed derived from it), instead of one request per prompt with a
            seed derived per prompt. ``agentrl serve --engine static`` samples row ``i`` of
            such a request exactly as the in-process `JaxSampler` does, so with one endpoint
            this mode reproduces local sampling bit for bit (with several, still independent
            of timing and of which server answers); vLLM would give every prompt of a request
            the same seed, so leave it off there.
        give_up_after_s: when set, a request that fails for transport reasons or a 5xx keeps
            being retried on whichever endpoint is up until this many seconds have passed
            since its first failure (instead of after `max_retries`): the time every endpoint
            may be down before `generate` raises.

    Each `Completion` records in ``metadata["policy_version"]`` the version the server
    reports (``x-agentrl-policy-version`` header or a ``policy_version`` field), else the
    version last pushed to that endpoint (``sampler.endpoints[i].version``), and in
    ``metadata["endpoint"]`` which server answered.

    Raises:
        SamplerError: from `generate` when a request still fails after its retries.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        model: str | None = None,
        api_key: str | None = None,
        tokenizer: Any = None,
        max_concurrency: int = 64,
        timeout: float = 300.0,
        max_retries: int = 6,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        balance: Literal["least_in_flight", "round_robin"] = "least_in_flight",
        max_context: int | None = None,
        extra_body: Mapping[str, Any] | None = None,
        batch_prompts: bool = False,
        give_up_after_s: float | None = None,
    ) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ConfigError("got base_url=[], need at least one server URL")
        checks = [
            ("max_concurrency", max_concurrency, max_concurrency >= 1, ">= 1"),
            ("timeout", timeout, timeout > 0, "> 0"),
            ("max_retries", max_retries, max_retries >= 0, ">= 0"),
            ("backoff_s", backoff_s, backoff_s >= 0, ">= 0"),
        ]
        for name, value, ok, need in checks:
            if not ok:
                raise ConfigError(f"got {name}={value!r}, need {need}")
        if balance not in ("least_in_flight", "round_robin"):
            raise ConfigError(f"got balance={balance!r}, need 'least_in_flight' or 'round_robin'")
        self.endpoints = [_Endpoint(_v1(u)) for u in urls]
        self.model = model
        self.tokenizer = tokenizer
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.balance = balance
        self._max_context = max_context
        self._probed = max_context is not None
        self.extra_body = dict(extra_body or {})
        self.retries = 0  # requests retried so far (for tests and logs)
        self.batch_prompts = batch_prompts
        self.give_up_after_s = give_up_after_s
        self.started_at = time.perf_counter()
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._next = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="agentrl-openai", daemon=True
        )
        self._thread.start()
        self._client: httpx.AsyncClient | None = None
        self._semaphore: asyncio.Semaphore | None = None

    # --- the Sampler interface ------------------------------------------------------------

    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        """Complete token-id prompts through ``/v1/completions``: one request per prompt (each
        with its own seed, derived from ``params.seed``), or one for all (`batch_prompts`)."""
        if self.batch_prompts and len(prompts) > 1:
            return self._run(self._complete_batch(prompts, params))
        calls = [self._complete(p, _prompt_params(params, i)) for i, p in enumerate(prompts)]
        return self._run(self._gather(calls))

    def chat(
        self,
        conversations: Sequence[Sequence[Mapping[str, Any]]],
        params: SamplingParams,
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[list[Completion]]:
        """Answer chat conversations through ``/v1/chat/completions``.

        Each `Completion` carries the reply text, the assistant message (with any
        ``tool_calls``) in ``metadata["message"]``, and token ids and log-probs when the
        server returns them (vLLM with ``return_tokens_as_token_ids``), else ``[]``/None.
        """
        calls = [self._chat(list(c), params, tools) for c in conversations]
        return self._run(self._gather(calls))

    def models(self) -> list[dict[str, Any]]:
        """The ``data`` of the first endpoint's ``/v1/models``."""
        return self._run(self._models(self.endpoints[0]))

    def close(self) -> None:
        """Close the connection pool and stop the background loop."""
        if self._loop.is_closed():
            return
        if self._client is not None:
            self._run(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> OpenAISampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- request bodies and answers -------------------------------------------------------

    async def _complete(self, prompt: Sequence[int], params: SamplingParams) -> list[Completion]:
        body = {
            "model": await self._model_name(),
            "prompt": [int(t) for t in prompt],
            **_sampling_fields(params),
            "logprobs": 0,  # the sampled tokens' log-probs, no alternatives
            "echo": False,
            "return_tokens_as_token_ids": True,
            "return_token_ids": True,
            **self.extra_body,
        }
        answer = await self._post("/completions", body)
        choices = _choices(answer, params.n)
        return [self._completion(c, _completion_tokens(c), answer) for c in choices]

    async def _complete_batch(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        chunks = min(len(self.endpoints), len(prompts))
        bounds = [len(prompts) * c // chunks for c in range(chunks + 1)]
        calls = [
            self._complete_chunk(prompts[bounds[c] : bounds[c + 1]], _prompt_params(params, c))
            for c in range(chunks)
        ]
        return [row for part in await self._gather(calls) for row in part]

    async def _complete_chunk(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        body = {
            "model": await self._model_name(),
            "prompt": [[int(t) for t in p] for p in prompts],
            **_sampling_fields(params),
            "logprobs": 0,
            "echo": False,
            "return_tokens_as_token_ids": True,
            "return_token_ids": True,
            **self.extra_body,
        }
        answer = await self._post("/completions", body)
        flat = _choices(answer, params.n * len(prompts))
        out = [self._completion(c, _completion_tokens(c), answer) for c in flat]
        return [out[i * params.n : (i + 1) * params.n] for i in range(len(prompts))]

    async def _chat(
        self,
        messages: list[Mapping[str, Any]],
        params: SamplingParams,
        tools: Sequence[Mapping[str, Any]] | None,
    ) -> list[Completion]:
        body: dict[str, Any] = {
            "model": await self._model_name(),
            "messages": [dict(m) for m in messages],
            **_sampling_fields(params),
            "logprobs": True,
            "top_logprobs": 0,
            "return_tokens_as_token_ids": True,
            **self.extra_body,
        }
        if tools:
            body["tools"] = [dict(t) for t in tools]
        answer = await self._post("/chat/completions", body)
        out = []
        for choice in _choices(answer, params.n):
            message = choice.get("message") or {}
            ids, logprobs = _chat_tokens(choice)
            completion = self._completion(choice, (ids, logprobs), answer)
            completion.text = message.get("content") or ""
            completion.metadata["message"] = message
            out.append(completion)
        return out

    def _completion(
        self,
        choice: Mapping[str, Any],
        tokens: tuple[list[int], list[float] | None],
        answer: Mapping[str, Any],
    ) -> Completion:
        ids, logprobs = tokens
        text = choice.get("text")
        if text is None and self.tokenizer is not None:
            text = self.tokenizer.decode(ids)
        finish = _FINISH.get(str(choice.get("finish_reason")), "length")
        metadata: dict[str, object] = {"endpoint": answer.get("_endpoint")}
        if answer.get("policy_version") is not None:
            metadata["policy_version"] = int(answer["policy_version"])
        return Completion(
            token_ids=ids, logprobs=logprobs, finish_reason=finish, text=text, metadata=metadata
        )

    @property
    def max_context(self) -> int | None:
        """The server's context length (asked of ``/v1/models`` once, when not given)."""
        if not self._probed:
            self._probed = True
            with contextlib.suppress(SamplerError):  # a server without /v1/models: unknown
                self._run(self._model_name(probe=True))
        return self._max_context

    @max_context.setter
    def max_context(self, value: int | None) -> None:
        self._max_context = value
        self._probed = True

    async def _model_name(self, probe: bool = False) -> str:
        """The model to request; the first answer of ``/v1/models`` fills in what is unknown."""
        if self.model is None or probe:
            data = await self._models(self.endpoints[0])
            if not data:
                raise SamplerError(f"{self.endpoints[0].url}/models lists no model")
            card = next((d for d in data if d.get("id") == self.model), data[0])
            self.model = self.model or str(card["id"])
            if self._max_context is None and isinstance(card.get("max_model_len"), int):
                self._max_context = card["max_model_len"]
            self._probed = True
        return self.model

    async def _models(self, endpoint: _Endpoint) -> list[dict[str, Any]]:
        answer = await self._request("GET", endpoint, "/models", None)
        return list(answer.get("data") or [])

    # --- transport: pooling, balancing, retries -------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed():
            raise SamplerError("this OpenAISampler is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @staticmethod
    async def _gather(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
        try:
            async with asyncio.TaskGroup() as group:  # the first failure cancels the rest
                tasks = [group.create_task(c) for c in calls]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # callers expect a SamplerError, not a group
        return [t.result() for t in tasks]

    def _pick(self) -> _Endpoint:
        # A failing endpoint cools down; otherwise a dead server, answering instantly, would
        # look like the least busy one and attract every request.
        now = asyncio.get_running_loop().time()
        healthy = [e for e in self.endpoints if e.cooldown_until <= now]
        if not healthy:
            return min(self.endpoints, key=lambda e: e.cooldown_until)
        if self.balance == "round_robin":
            endpoint = healthy[self._next % len(healthy)]
        else:
            least = min(e.in_flight for e in healthy)
            idle = [e for e in healthy if e.in_flight == least]
            endpoint = idle[self._next % len(idle)]
        self._next += 1
        return endpoint

    def _failed(self, endpoint: _Endpoint) -> None:
        endpoint.failures += 1
        pause = min(self.max_backoff_s, self.backoff_s * 2 ** (endpoint.failures - 1))
        endpoint.cooldown_until = asyncio.get_running_loop().time() + pause

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        async with self._semaphore:
            return await self._request("POST", None, path, body)

    async def _request(
        self, method: str, endpoint: _Endpoint | None, path: str, body: dict[str, Any] | None
    ) -> dict[str, Any]:
        """One request with retries; a retry goes to whichever endpoint is picked then."""
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self.max_concurrency + 4,
                max_keepalive_connections=self.max_concurrency,
            )
            self._client = httpx.AsyncClient(timeout=self._timeout, limits=limits)
        problem = ""
        attempt, first_failure = 0, None
        while True:
            target = endpoint or self._pick()
            target.started()
            retry_after = 0.0
            sent_version = target.version
            try:
                response = await self._client.request(
                    method, target.url + path, json=body, headers=self._headers
                )
            except httpx.TransportError as e:  # refused, reset, dropped mid-answer, timed out
                problem = f"{target.url}{path}: {type(e).__name__}: {e}"
            else:
                if response.status_code == 200:
                    target.failures = 0
                    data = _json(response, target.url + path)
                    header = response.headers.get("x-agentrl-policy-version")
                    if data.get("policy_version") is None:
                        data["policy_version"] = int(header) if header else sent_version
                    data["_endpoint"] = target.url
                    return data
                problem = f"{target.url}{path} answered {response.status_code}: {_brief(response)}"
                if response.status_code < 500 and response.status_code not in _RETRY_STATUS:
                    raise SamplerError(problem)
                retry_after = _retry_after(response)
            finally:
                target.ended()
            self._failed(target)
            now = time.perf_counter()
            first_failure = now if first_failure is None else first_failure
            if self.give_up_after_s is not None:
                more = now - first_failure < self.give_up_after_s
            else:
                more = attempt < self.max_retries
            if not more:
                break
            self.retries += 1
            await asyncio.sleep(max(retry_after, self._backoff(attempt)))
            attempt += 1
        if self.give_up_after_s is not None:
            raise SamplerError(
                f"no endpoint answered for {now - first_failure:.0f}s (give_up_after_s="
                f"{self.give_up_after_s}); last: {problem}"
            )
        raise SamplerError(f"gave up after {self.max_retries + 1} attempts; last: {problem}")

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": half the exponential delay fixed, half random, so retries of many
        # requests that failed together spread out instead of hammering the server in step.
        delay = min(self.max_backoff_s, self.backoff_s * 2**attempt)
        return delay / 2 + random.uniform(0, delay / 2)


def _prompt_params(params: SamplingParams, index: int) -> SamplingParams:
    """Prompt `index`'s parameters: its own seed, so that several prompts of one call (a GRPO
    group repeats one prompt) are not sampled with one random stream; prompt 0 keeps it."""
    if params.seed is None or index == 0:
        return params
    digest = hashlib.blake2b(f"{params.seed}:{index}".encode(), digest_size=4).digest()
    return dataclasses.replace(params, seed=int.from_bytes(digest, "big") & 0x7FFFFFFF)


def _v1(url: str) -> str:
    url = url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"got base_url={url!r}, need an http:// or https:// URL")
    return url if url.endswith("/v1") else url + "/v1"


def _sampling_fields(params: SamplingParams) -> dict[str, Any]:
    body: dict[str, Any] = {
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "n": params.n,
        "include_stop_str_in_output": True,  # SamplingParams: completions keep the stop string
        "skip_special_tokens": False,
    }
    if params.top_k:
        body["top_k"] = params.top_k
    if params.min_p:
        body["min_p"] = params.min_p
    if params.stop:
        body["stop"] = list(params.stop)
    if params.stop_token_ids:
        body["stop_token_ids"] = list(params.stop_token_ids)
    if params.seed is not None:
        body["seed"] = params.seed
    return body


def _json(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as e:
        raise SamplerError(f"{where} answered 200 with invalid JSON: {e}") from None
    if not isinstance(data, dict):
        raise SamplerError(f"{where} answered 200 with a {type(data).__name__}, need an object")
    return data


def _brief(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:300] + ("..." if len(text) > 300 else "")


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("retry-after", 0))))
    except ValueError:
        return 0.0


def _choices(answer: Mapping[str, Any], n: int) -> list[Mapping[str, Any]]:
    choices = sorted(answer.get("choices") or [], key=lambda c: int(c.get("index", 0)))
    if len(choices) != n:
        raise SamplerError(f"server returned {len(choices)} choices, asked for n={n}")
    return choices


def _token_id(token: Any) -> int:
    if isinstance(token, int):
        return token
    text = str(token)
    if not text.startswith("token_id:"):
        raise SamplerError(
            f"server returned the token {text!r} as text, not as 'token_id:N'; it must support "
            "return_tokens_as_token_ids (vLLM: --return-tokens-as-token-ids) or return_token_ids"
        )
    return int(text[len("token_id:") :])


def _logprobs(values: Sequence[Any]) -> list[float] | None:
    if any(v is None for v in values):
        return None
    return [float(v) for v in values]


def _completion_tokens(choice: Mapping[str, Any]) -> tuple[list[int], list[float] | None]:
    lp = choice.get("logprobs") or {}
    logprobs = _logprobs(lp.get("token_logprobs") or []) if lp else None
    if choice.get("token_ids") is not None:
        ids = [int(t) for t in choice["token_ids"]]
    elif lp.get("tokens") is not None:
        ids = [_token_id(t) for t in lp["tokens"]]
    else:
        raise SamplerError(
            "server returned neither token_ids nor logprob tokens; it must support "
            "return_token_ids or logprobs with return_tokens_as_token_ids"
        )
    if logprobs is not None and len(logprobs) != len(ids):
        raise SamplerError(f"server returned {len(logprobs)} log-probs for {len(ids)} tokens")
    return ids, logprobs


def _chat_tokens(choice: Mapping[str, Any]) -> tuple[list[int], list[float] | None]:
    content = (choice.get("logprobs") or {}).get("content")
    if choice.get("token_ids") is not None:
        ids = [int(t) for t in choice["token_ids"]]
        logprobs = _logprobs([e.get("logprob") for e in content]) if content else None
        return ids, logprobs if logprobs is None or len(logprobs) == len(ids) else None
    if not content:
        return [], None
    try:
        ids = [_token_id(e.get("token")) for e in content]
    except SamplerError:
        return [], None  # a plain OpenAI-style server: text only
    return ids, _logprobs([e.get("logprob") for e in content])
