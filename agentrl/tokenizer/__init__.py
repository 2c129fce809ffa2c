"""Tokenizers and chat templates: `Tokenizer`, the incremental `ChatSession`, the tiny built-in.

>>> from agentrl.tokenizer import builtin_tiny_tokenizer
>>> tok = builtin_tiny_tokenizer()
>>> tok.render([{"role": "user", "content": "What is 2+3?"}], add_generation_prompt=True)
'<|im_start|>user\\nWhat is 2+3?<|im_end|>\\n<|im_start|>assistant\\n'
>>> tok.decode(tok.encode("2+3=5. \\\\boxed{5}"))
'2+3=5. \\\\boxed{5}'
"""

from __future__ import annotations

from agentrl.tokenizer.core import Tokenizer
from agentrl.tokenizer.session import ChatSession, IncrementalRenderError
from agentrl.tokenizer.template import ChatTemplateError, render_template


def builtin_tiny_tokenizer() -> Tokenizer:
    """The shipped 512-token byte-level BPE with a ChatML template (`agentrl.tokenizer.tiny`)."""
    from agentrl.tokenizer.tiny import builtin_tiny_tokenizer as build

    return build()


__all__ = [
    "ChatSession",
    "ChatTemplateError",
    "IncrementalRenderError",
    "Tokenizer",
    "builtin_tiny_tokenizer",
    "render_template",
]
