"""`ChatSession`: a multi-turn conversation kept as tokens, appended and never re-tokenized.

Why: a trainer must score exactly the tokens the sampler produced. Re-rendering and re-encoding
the whole conversation each turn can change earlier tokens (BPE merges across a boundary, a
template that rewrites old turns), so the session keeps every token it has handed out and only
ever appends.

How the appended tokens are found: for new environment/tool messages the session renders the
conversation with and without them and encodes only the text delta. A sampled completion is kept
verbatim; the text the template would put after it (``<|im_end|>`` if generation stopped
early, the ``\\n`` after ``<|im_end|>``) is prepended to the next delta.

For append-only templates (Qwen 2/2.5 ChatML, Llama 3.x, Gemma) the session's tokens equal the
tokens of a full render of the same conversation, provided the sampled completion is what the
template would render for its text. Known exceptions, where the session keeps what was sampled
and a full render differs:

* templates that rewrite earlier turns, e.g. Qwen 3 drops the ``<think>...</think>`` block of
  assistant turns before the last user message (`diverged` is set; the delta is computed
  against a neutral anchor conversation instead);
* templates that normalize assistant text (Llama 3 and Gemma ``trim`` it): a completion with
  leading/trailing whitespace renders differently from how it was sampled;
* a completion whose tokens are not the canonical encoding of its text (sampling may produce
  any token sequence; a full render re-encodes canonically).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from agentrl.errors import IncrementalRenderError
from agentrl.tokenizer.core import Tokenizer
from agentrl.trajectory import Span

_ANCHOR: list[dict[str, Any]] = [
    {"role": "user", "content": "anchor"},
    {"role": "assistant", "content": "anchor"},
]


class ChatSession:
    """Token-in/token-out conversation state for one episode.

    Args:
        tokenizer: the policy's tokenizer (its chat template renders the turns).
        tools: tool schemas shown to the model (rendered by the template), or None.
        **template_vars: extra chat-template variables (e.g. ``enable_thinking=False``).

    Attributes:
        token_ids: the whole conversation so far.
        loss_mask: 1 on sampled tokens, 0 elsewhere.
        logprobs: the sampler's log-prob on sampled tokens, 0.0 elsewhere.
        spans: `agentrl.trajectory.Span` per prompt / completion / env or tool delta.
        messages: the conversation as messages (assistant turns hold the sampled text).
        diverged: True once the template rewrote history, so a full render would differ.
    """

    def __init__(
        self, tokenizer: Tokenizer, tools: Sequence[Any] | None = None, **template_vars: Any
    ) -> None:
        self.tokenizer = tokenizer
        self.tools = list(tools) if tools else None
        self.template_vars = template_vars
        self.token_ids: list[int] = []
        self.loss_mask: list[int] = []
        self.logprobs: list[float] = []
        self.spans: list[Span] = []
        self.messages: list[dict[str, Any]] = []
        self.diverged = False
        self._turn = 0
        self._completion: list[int] | None = None  # the last completion, awaiting its closing

    def _render(self, messages: Sequence[Mapping[str, Any]], add_generation_prompt: bool) -> str:
        return self.tokenizer.render(
            messages, self.tools, add_generation_prompt, **self.template_vars
        )

    def _append(self, ids: Sequence[int], role: str, logprobs: Sequence[float] | None) -> None:
        start = len(self.token_ids)
        self.token_ids.extend(int(i) for i in ids)
        sampled = role == "policy"
        self.loss_mask.extend([int(sampled)] * len(ids))
        self.logprobs.extend([float(x) for x in logprobs] if logprobs else [0.0] * len(ids))
        end = len(self.token_ids)
        self.spans.append(Span(role=role, start=start, end=end, turn=self._turn))  # type: ignore[arg-type]

    def start(self, messages: Sequence[Mapping[str, Any]]) -> list[int]:
        """Begin the episode with `messages`; returns the prompt ids (ending in the
        generation prompt)."""
        if self.token_ids:
            raise IncrementalRenderError("start() was already called on this session")
        if not messages:
            raise IncrementalRenderError("start() needs at least one message, got none")
        self.messages = [dict(m) for m in messages]
        ids = self.tokenizer.encode(self._render(self.messages, True))
        self._append(ids, "prompt", None)
        return ids

    def add_completion(
        self, token_ids: Sequence[int], logprobs: Sequence[float] | None = None
    ) -> str:
        """Append sampled tokens verbatim (loss mask 1); returns their text.

        Args:
            token_ids: the completion, including the EOS token that ended it, if any.
            logprobs: the sampler's log-prob per token (0.0 each when None).
        """
        if not self.token_ids:
            raise IncrementalRenderError("call start() before add_completion()")
        if self._completion is not None:
            raise IncrementalRenderError("two completions in a row; add_messages() in between")
        if logprobs is not None and len(logprobs) != len(token_ids):
            raise IncrementalRenderError(
                f"got {len(logprobs)} logprobs for {len(token_ids)} tokens, need one per token"
            )
        self._append(token_ids, "policy", logprobs)
        self._completion = [int(i) for i in token_ids]
        content_ids = list(self._completion)
        while content_ids and content_ids[-1] in self.tokenizer.eos_token_ids:
            content_ids.pop()
        self.messages.append({"role": "assistant", "content": self.tokenizer.decode(content_ids)})
        return self.tokenizer.decode(self._completion)

    def add_messages(self, messages: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append environment or tool messages after a completion.

        Returns:
            The appended ids: the close of the assistant turn, the new messages, and the
            generation prompt of the next assistant turn.
        """
        if self._completion is None:
            raise IncrementalRenderError("add_messages() must follow add_completion()")
        if not messages:
            raise IncrementalRenderError("add_messages() needs at least one message, got none")
        new = [dict(m) for m in messages]
        text = self._closing(self._completion) + self._delta(new)
        ids = self.tokenizer.encode(text)
        self.messages.extend(new)
        self._turn += 1
        self._completion = None
        role = "tool" if all(m.get("role") == "tool" for m in new) else "env"
        self._append(ids, role, None)
        return ids

    def _delta(self, new: list[dict[str, Any]]) -> str:
        """Template text the new messages add (plus the next generation prompt)."""
        before = self._render(self.messages, False)
        after = self._render(self.messages + new, True)
        if after.startswith(before):
            return after[len(before) :]
        # The template rewrote history (e.g. dropped an earlier think block): render the new
        # messages after a neutral exchange instead, and keep the sampled history as it was.
        self.diverged = True
        system = [m for m in self.messages[:1] if m.get("role") == "system"]
        anchor = system + copy.deepcopy(_ANCHOR)
        before = self._render(anchor, False)
        after = self._render(anchor + new, True)
        if not after.startswith(before):
            raise IncrementalRenderError(
                "the chat template is not append-only for these messages; cannot render "
                f"{[m.get('role') for m in new]} incrementally"
            )
        return after[len(before) :]

    def _closing(self, completion: list[int]) -> str:
        """Text the template puts after `completion` to end the assistant turn."""
        opened = self._render(self.messages[:-1], True)
        closed = self._render(self.messages, False)
        sampled = self.tokenizer.decode(completion)
        turn = closed[len(opened) :] if closed.startswith(opened) else closed
        if closed.startswith(opened) and turn.startswith(sampled):
            return turn[len(sampled) :]
        # The template normalized the assistant text: close the turn after its end-of-turn
        # token, which the completion holds when it stopped on EOS.
        self.diverged = True
        eos_texts = [self.tokenizer.decode([i]) for i in self.tokenizer.eos_token_ids]
        found = [(turn.rfind(e), e) for e in eos_texts if e and e in turn]
        if not found:
            return ""
        index, eos = max(found)
        ended = bool(completion) and completion[-1] in self.tokenizer.eos_token_ids
        return turn[index + len(eos) :] if ended else turn[index:]

    @property
    def text(self) -> str:
        """The conversation's text (decoded tokens)."""
        return self.tokenizer.decode(self.token_ids)

    def copy(self) -> ChatSession:
        """An independent copy (e.g. to branch one prompt into a group of episodes)."""
        twin = copy.copy(self)
        for name in ("token_ids", "loss_mask", "logprobs", "spans", "messages"):
            setattr(twin, name, list(getattr(self, name)))
        twin._completion = None if self._completion is None else list(self._completion)
        twin.messages = copy.deepcopy(self.messages)
        return twin
