"""``agentrl generate``: sample a completion from a checkpoint folder, the quickest way to see
that a model loads and talks.

agentrl generate --model runs/sft/checkpoint --prompt 'What is 12+35-8?' --chat
agentrl generate --model DIR --prompt 'Once upon a time' --max-tokens 64 --temperature 0.8
agentrl generate --model DIR --prompt 'What is 2+3?' --chat --json   # one JSON line

With ``--chat`` the prompt becomes a user message rendered by the checkpoint's chat template;
otherwise it is encoded as plain text (after the BOS token, for models that have one).
``--temperature 0`` (the default) is greedy decoding.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from agentrl.cli._mesh import add_mesh_argument, build_mesh


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="sample a completion from a checkpoint folder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", required=True, metavar="DIR", help="Hugging Face checkpoint folder"
    )
    parser.add_argument("--prompt", required=True, help="the prompt text")
    parser.add_argument("--chat", action="store_true", help="render the prompt as a user message")
    parser.add_argument("--system", default=None, help="with --chat: a system message first")
    parser.add_argument("--max-tokens", type=int, default=128, help="new tokens at most (128)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 is greedy (default)")
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (1.0)")
    parser.add_argument("--top-k", type=int, default=0, help="keep the k likeliest tokens (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument(
        "--max-context", type=int, default=4096, help="prompt + completion tokens at most (4096)"
    )
    add_mesh_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one line {"text": ..., "token_ids": [...], "finish_reason": ...}',
    )
    parser.set_defaults(func=run)


def prompt_ids(tokenizer: Any, args: argparse.Namespace) -> list[int]:
    """The prompt's token ids: the chat template's rendering, or the plain text after BOS."""
    if args.chat:
        messages = [{"role": "user", "content": args.prompt}]
        if args.system is not None:
            messages.insert(0, {"role": "system", "content": args.system})
        return list(tokenizer.encode_chat(messages, add_generation_prompt=True))
    ids = list(tokenizer.encode(args.prompt))
    bos = tokenizer.bos_token_id
    return [bos, *ids] if bos is not None and ids[:1] != [bos] else ids


def run(args: argparse.Namespace) -> int:
    from agentrl.errors import ModelError
    from agentrl.models import load
    from agentrl.sampling import JaxSampler, SamplingParams

    params = SamplingParams(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_tokens=args.max_tokens,
        seed=args.seed,
    )
    mesh = build_mesh(args.mesh)
    model, tokenizer = load(args.model, mesh=mesh)
    if tokenizer is None:
        raise ModelError(f"{args.model} has no tokenizer.json; cannot encode the prompt")
    sampler = JaxSampler(model, tokenizer, max_context=args.max_context, seed=args.seed, mesh=mesh)
    (completion,) = sampler.generate([prompt_ids(tokenizer, args)], params)[0]
    text = tokenizer.decode(completion.token_ids, skip_special_tokens=True)
    if args.json:
        record = {
            "text": text,
            "token_ids": completion.token_ids,
            "finish_reason": completion.finish_reason,
        }
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(text)
    return 0
