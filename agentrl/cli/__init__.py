"""The ``agentrl`` command. Each subcommand lives in its own module under `agentrl.cli`.

A command module defines ``register(subparsers)``, which adds its parser and sets
``func=run`` (``run(args) -> int``). Command modules must import nothing heavy (jax, torch) at
module level, so ``agentrl --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agentrl.errors import AgentRLError

# Order is the order in `agentrl --help`.
COMMANDS = ("train", "eval", "generate", "serve", "envs", "tools", "grade")


def build_parser() -> argparse.ArgumentParser:
    from agentrl import __version__

    parser = argparse.ArgumentParser(
        prog="agentrl",
        description="Train and evaluate LLM agents with reinforcement learning, in JAX.",
    )
    parser.add_argument("--version", action="version", version=f"agentrl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"agentrl.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"agentrl.cli.{name}":
                raise
            continue  # a command whose module is not there yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except AgentRLError as e:
        print(f"agentrl {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
