"""`chat-v0`: a multi-turn conversation with a user who has a few requests, scored by a rubric.

Each episode draws a scenario: a user with two or three requests, asked one at a time. A reply
*addresses* a request when it mentions one of the request's key terms. The user moves on to the
next request once the current one is addressed, and repeats it otherwise; the episode ends when
every request is addressed (terminated) or after `max_turns` replies (truncated).

The user is rule-based by default. Given a `Sampler` and a tokenizer, another model plays the
user instead: it is told the request to ask about and phrases it itself (the rubric is the same).

Reward, given on the last turn (0 before): an `agentrl.rewards.Rubric` of ``addressed``
(weight 0.8: the share of requests addressed) and ``concise`` (weight 0.2: the share of requests
addressed by a reply of at most `max_words` words). Both are 0 for empty or off-topic replies;
``turns`` (weight 0) is logged only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentrl.env import Env, Task, Turn
from agentrl.errors import ConfigError
from agentrl.messages import Message
from agentrl.rewards import Rubric


@dataclass(frozen=True)
class Request:
    """A user request: the question, terms showing a reply addressed it, and a model reply."""

    ask: str
    terms: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class Scenario:
    name: str
    requests: tuple[Request, ...]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("packing", (
        Request("I'm going hiking for two days in the mountains. What should I pack?",
                ("boots", "jacket", "water", "layers", "map"),
                "Pack sturdy boots, warm layers, a rain jacket, water and a map."),
        Request("And what should I eat on the trail?",
                ("nuts", "snacks", "sandwich", "fruit", "bars"),
                "Bring nuts, fruit, energy bars and a sandwich for lunch."),
    )),
    Scenario("cooking", (
        Request("How long should I boil an egg for a soft yolk?",
                ("minutes", "6", "six", "7", "seven"),
                "Boil it for about 6 to 7 minutes, then cool it in cold water."),
        Request("How do I stop the shell from cracking?",
                ("room temperature", "vinegar", "salt", "gently", "pin"),
                "Use eggs at room temperature, lower them in gently and add a splash of vinegar."),
    )),
    Scenario("sleep", (
        Request("I keep waking up tired. Any tips for better sleep?",
                ("schedule", "screens", "caffeine", "dark", "routine"),
                "Keep a regular schedule, no late caffeine or screens, and a dark room."),
        Request("How many hours should an adult sleep?",
                ("7", "8", "seven", "eight", "hours"),
                "Most adults need 7 to 9 hours a night."),
    )),
    Scenario("python", (
        Request("How do I read a text file line by line in Python?",
                ("open(", "with open", "for line", "readline"),
                "Use `with open(path) as f:` and then `for line in f:`."),
        Request("And how do I strip the newline at the end of each line?",
                ("strip", "rstrip"),
                "Call `line.rstrip('\\n')`, or `line.strip()` to drop all surrounding whitespace."),
    )),
    Scenario("garden", (
        Request("My tomato plants have yellow leaves. What could be wrong?",
                ("water", "nitrogen", "fertilizer", "overwatering", "disease"),
                "Often overwatering or too little nitrogen; check the soil and add fertilizer."),
        Request("How often should I water them?",
                ("week", "daily", "times", "soil", "inch"),
                "Water deeply two or three times a week, when the top inch of soil is dry."),
        Request("Should I remove the yellow leaves?",
                ("yes", "remove", "prune", "cut"),
                "Yes, remove the yellow leaves so the plant puts its energy into healthy growth."),
    )),
    Scenario("travel", (
        Request("I have a long flight tomorrow. How can I avoid jet lag?",
                ("light", "sleep", "hydrated", "water", "schedule"),
                "Shift your sleep schedule, stay hydrated and get daylight when you land."),
        Request("Is it a good idea to drink coffee on the plane?",
                ("caffeine", "avoid", "dehydrat", "sleep", "water"),
                "Better avoid it: caffeine disturbs sleep and dehydrates; drink water instead."),
    )),
)  # fmt: skip

CLOSING = "Thanks, that's everything I needed!"


def addressed(reply: str, request: Request) -> bool:
    """Whether `reply` mentions one of `request`'s key terms (case-insensitive, word start)."""
    text = reply.lower()
    return any(
        re.search(r"(?<![a-z0-9])" + re.escape(term.lower()), text) for term in request.terms
    )


class Addressed:
    """Reward: the share of the user's requests that some reply addressed."""

    name = "addressed"

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        requests = _requests(task)
        return sum(addressed(completion, r) for r in requests) / len(requests)


class Concise:
    """Reward: the share of requests addressed by a reply of at most `max_words` words.

    ``completion`` is the assistant's replies joined by blank lines; each reply is judged alone.
    """

    name = "concise"

    def __init__(self, max_words: int = 60) -> None:
        self.max_words = max_words

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        replies = [r for r in completion.split(REPLY_SEPARATOR) if len(r.split()) <= self.max_words]
        requests = _requests(task)
        return sum(any(addressed(r, q) for r in replies) for q in requests) / len(requests)


class Turns:
    """Metric (weight 0): how many replies the assistant needed."""

    name = "turns"

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        return float(completion.count(REPLY_SEPARATOR) + 1)


REPLY_SEPARATOR = "\n\n<|reply|>\n\n"


def _requests(task: Mapping[str, Any]) -> list[Request]:
    return [Request(**r) for r in task["metadata"]["requests"]]


class ChatEnv(Env):
    """Help a user with a few requests; rubric reward (addressed 0.8, concise 0.2) at the end.

    Args:
        user_sampler: a `Sampler` that plays the user; None uses the rule-based user.
        user_tokenizer: the tokenizer for `user_sampler` (``encode_chat``/``decode``).
        user_params: `SamplingParams` for the user model.
        max_words: the longest reply that counts as concise.
        max_turns: assistant replies per episode.
    """

    reward_range = (0.0, 1.0)

    def __init__(
        self,
        *,
        user_sampler: Any = None,
        user_tokenizer: Any = None,
        user_params: Any = None,
        max_words: int = 60,
        max_turns: int = 6,
        render_mode: str | None = None,
    ) -> None:
        if (user_sampler is None) != (user_tokenizer is None):
            raise ConfigError("pass user_sampler and user_tokenizer together (or neither)")
        if max_words < 1:
            raise ConfigError(f"got max_words={max_words}, need >= 1")
        super().__init__(max_turns=max_turns, render_mode=render_mode)
        self.user_sampler = user_sampler
        self.user_tokenizer = user_tokenizer
        self.user_params = user_params
        self.rubric = Rubric([Addressed(), Concise(max_words), Turns()], weights=[0.8, 0.2, 0.0])
        self.num_tasks = len(SCENARIOS)
        self.scenario = SCENARIOS[0]
        self.position = 0  # index of the request the user is asking about
        self.replies: list[str] = []

    def _reset(self, options: dict[str, Any]) -> tuple[list[Message], Task]:
        index = self._task_index(options)
        self.scenario, self.position, self.replies = SCENARIOS[index], 0, []
        requests = [
            dict(ask=r.ask, terms=list(r.terms), reply=r.reply) for r in self.scenario.requests
        ]
        first = self.scenario.requests[0].ask
        task = Task(
            f"chat/{self.scenario.name}",
            first,
            answer=" ".join(r.reply for r in self.scenario.requests),
            metadata={"requests": requests},
        )
        return [{"role": "user", "content": first}], task

    def _step(self, action: str) -> Turn:
        self.replies.append(action)
        current = self.scenario.requests[self.position]
        if addressed(action, current):
            self.position += 1
        finished = self.position == len(self.scenario.requests)
        if finished or self.turn >= self.max_turns:
            reward, components = self._score()
            closing = [{"role": "user", "content": CLOSING}] if finished else []
            return Turn(closing, reward, finished, components)  # type: ignore[arg-type]
        return Turn([{"role": "user", "content": self._user_reply(action, current)}])

    def _score(self) -> tuple[float, dict[str, float]]:
        task = self.task.to_dict() if self.task else {}
        completion = REPLY_SEPARATOR.join(self.replies)
        result = self.rubric(completion, task)
        return result.total, result.components

    def _user_reply(self, action: str, previous: Request) -> str:
        request = self.scenario.requests[self.position]
        if self.user_sampler is not None:
            return self._simulated_user(request)
        if request is previous:
            return f"That doesn't answer my question. {request.ask}"
        return f"Thanks! {request.ask}"

    def _simulated_user(self, request: Request) -> str:
        """Ask the user model to voice `request`, given the conversation with roles swapped."""
        from agentrl.sampling.base import SamplingParams

        system = (
            "You are a user chatting with an assistant. Reply in one or two sentences as the user. "
            f"Your next question is: {request.ask}"
        )
        swapped: list[Message] = [{"role": "system", "content": system}]
        for message in self._transcript:
            role = {"user": "assistant", "assistant": "user"}.get(message["role"], message["role"])
            swapped.append({"role": role, "content": message["content"]})  # type: ignore[typeddict-item]
        prompt_ids = self.user_tokenizer.encode_chat(swapped, add_generation_prompt=True)
        params = self.user_params or SamplingParams(temperature=0.0, max_tokens=64)
        completion = self.user_sampler.generate([prompt_ids], params)[0][0]
        ids = [i for i in completion.token_ids if i not in set(self.user_tokenizer.eos_token_ids)]
        text = self.user_tokenizer.decode(ids).strip()
        return text or request.ask

    def oracle_action(self) -> str | None:
        """A short reply that addresses the current request."""
        if self.done:
            return None
        return self.scenario.requests[self.position].reply

    def sft_messages(self) -> list[Message] | None:
        """The whole conversation with model replies, for SFT."""
        if self.task is None:
            return None
        messages: list[Message] = []
        requests = self.scenario.requests
        for i, request in enumerate(requests):
            ask = request.ask if i == 0 else f"Thanks! {request.ask}"
            messages += [
                {"role": "user", "content": ask},
                {"role": "assistant", "content": request.reply},
            ]
        return messages
