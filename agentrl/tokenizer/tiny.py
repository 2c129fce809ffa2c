"""The built-in tiny tokenizer: a 512-token byte-level BPE with a ChatML chat template.

It is trained with the `tokenizers` library on a fixed, generated corpus of the text the
embedded default sees (arithmetic word problems, step-by-step solutions ending in ``\\boxed{}``,
ChatML markup and Hermes-style tool calls), so the file `tiny_tokenizer.json` beside this module
can be rebuilt bit for bit::

    python -m agentrl.tokenizer.tiny        # rewrites agentrl/tokenizer/tiny_tokenizer.json

Digits are split one per token (as in Qwen 2), which keeps arithmetic learnable for a small model.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from pathlib import Path

import tokenizers
from tokenizers import decoders, models, normalizers, pre_tokenizers, trainers

from agentrl.tokenizer.core import Tokenizer

VOCAB_SIZE = 512
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
ASSET = Path(__file__).with_name("tiny_tokenizer.json")

# Qwen 2's pre-tokenizer split: contractions, words with one leading non-letter, single digits,
# punctuation runs, newlines, spaces.
_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# ChatML as Qwen 2.5 writes it: an optional system turn that also lists the tools, assistant tool
# calls as <tool_call> JSON, and tool results grouped into one user turn of <tool_response>s.
CHAT_TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0].role == 'system' %}
{{- messages[0].content + '\\n\\n' }}
{%- endif %}
{{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n' }}
{{- 'You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}
{%- for tool in tools %}
{{- '\\n' + (tool | tojson) }}
{%- endfor %}
{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and ' }}
{{- 'arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": ' }}
{{- '<function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}
{%- elif messages and messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' %}
{%- if not loop.first %}
{{- raise_exception('a system message must come first') }}
{%- endif %}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}
{{- '<|im_start|>user' }}
{%- endif %}
{{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
{{- '<|im_end|>\\n' }}
{%- endif %}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant\\n' + (message.content or '') }}
{%- for call in message.tool_calls or [] %}
{%- if call.function is defined %}
{%- set call = call.function %}
{%- endif %}
{%- if loop.first and message.content %}
{{- '\\n' }}
{%- elif not loop.first %}
{{- '\\n' }}
{%- endif %}
{{- '<tool_call>\\n{"name": "' + call.name + '", "arguments": ' }}
{%- if call.arguments is string %}
{{- call.arguments }}
{%- else %}
{{- call.arguments | tojson }}
{%- endif %}
{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

_SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a careful math tutor. Show your work.",
    "Solve the problem. Put the final answer in \\boxed{}.",
)
_SUFFIX = "Let's think step by step and output the final answer within \\boxed{}."
_WORDS = (
    "Tom has {a} apples and buys {b} more. How many apples does he have now?",
    "A box holds {a} pens. {b} pens are taken out. How many pens are left?",
    "Sara reads {a} pages on Monday and {b} pages on Tuesday. How many pages in total?",
    "There are {a} birds on a tree and {b} fly away. How many birds remain?",
    "A train travels {a} km, then {b} km more. What is the total distance?",
    "What is the sum of {a} and {b}?",
    "Compute the difference between {a} and {b}.",
    "If x = {a} and y = {b}, what is x + y?",
)


def _arithmetic(rng: random.Random) -> tuple[str, str]:
    """A chained +/-/* problem and its step-by-step solution."""
    terms = [rng.randint(1, 99) for _ in range(rng.randint(2, 4))]
    ops = [rng.choice("+-*") for _ in terms[1:]]
    expression, value, steps = str(terms[0]), terms[0], []
    for op, term in zip(ops, terms[1:]):
        new = value + term if op == "+" else value - term if op == "-" else value * term
        steps.append(f"{value}{op}{term}={new}.")
        expression += f"{op}{term}"
        value = new
    question = f"What is {expression}? {_SUFFIX}"
    return question, " ".join(steps) + f" \\boxed{{{value}}}"


def _word_problem(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(2, 99), rng.randint(1, 50)
    index = rng.randrange(len(_WORDS))
    minus = index in (1, 3, 6)
    answer = a - b if minus else a + b
    op = "-" if minus else "+"
    solution = f"We compute {a}{op}{b}={answer}. The answer is \\boxed{{{answer}}}."
    return f"{_WORDS[index].format(a=a, b=b)} {_SUFFIX}", solution


def _tool_turn(rng: random.Random) -> str:
    a, b = rng.randint(1, 999), rng.randint(1, 999)
    call = f'{{"name": "calculator", "arguments": {{"expression": "{a}*{b}"}}}}'
    return (
        f"<|im_start|>assistant\n<tool_call>\n{call}\n</tool_call><|im_end|>\n"
        f"<|im_start|>user\n<tool_response>\n{a * b}\n</tool_response><|im_end|>\n"
        f"<|im_start|>assistant\nThe product is {a * b}. \\boxed{{{a * b}}}<|im_end|>\n"
    )


def corpus(num_documents: int = 3000, seed: int = 0) -> Iterator[str]:
    """The fixed training corpus: ChatML conversations about arithmetic, some with tools."""
    rng = random.Random(seed)
    for i in range(num_documents):
        question, solution = (_arithmetic if i % 2 == 0 else _word_problem)(rng)
        system = rng.choice(_SYSTEM_PROMPTS)
        text = (
            f"<|im_start|>system\n{system}<|im_end|>\n"
            f"<|im_start|>user\n{question}<|im_end|>\n"
            f"<|im_start|>assistant\n{solution}<|im_end|>\n"
        )
        if i % 10 == 0:
            text += _tool_turn(rng)
        yield text + "<|endoftext|>"


def build_tiny_tokenizer() -> tokenizers.Tokenizer:
    """Train the tiny BPE from `corpus()`; deterministic, so it reproduces `ASSET` exactly."""
    backend = tokenizers.Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(tokenizers.Regex(_SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(corpus(), trainer=trainer)
    return backend


@functools.cache
def _asset_text() -> str:
    return ASSET.read_text(encoding="utf-8")


def builtin_tiny_tokenizer() -> Tokenizer:
    """The shipped tiny tokenizer (vocab 512; EOS ``<|im_end|>`` and ``<|endoftext|>``)."""
    backend = tokenizers.Tokenizer.from_str(_asset_text())
    endoftext = SPECIAL_TOKENS.index("<|endoftext|>")  # special tokens take the first ids
    return Tokenizer(
        backend,
        chat_template=CHAT_TEMPLATE,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_eos_token_ids=[endoftext],
        config={"model_max_length": 4096},
    )


def write_asset(path: Path = ASSET) -> None:
    """Rebuild the tokenizer and write it to `path`."""
    build_tiny_tokenizer().save(str(path), pretty=True)


if __name__ == "__main__":
    write_asset()
    print(f"wrote {ASSET}")
