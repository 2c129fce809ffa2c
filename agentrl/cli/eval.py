"""``agentrl eval``: evaluate a policy on a benchmark suite; ``agentrl eval compare A B``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agentrl.cli._mesh import add_mesh_argument, build_mesh
from agentrl.errors import ConfigError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "eval",
        help="evaluate a policy on a benchmark suite (pass@k, report, plot)",
        description=(
            "Evaluate a policy on a suite: `agentrl eval --suite smoke`, "
            "`agentrl eval --suite deepscaler --model DIR --data-dir DIR`, "
            "`agentrl eval --suite gsm8k --endpoint URL --served-model NAME --tokenizer DIR`. "
            "Also `agentrl eval list` and `agentrl eval compare A B` (two result folders)."
        ),
    )
    p.add_argument("action", nargs="*", help="nothing, `list`, or `compare A B`")
    p.add_argument("--suite", help="a suite id (see `agentrl eval list`) or a suite YAML file")
    who = p.add_argument_group("policy (default: the built-in tiny model, untrained)")
    who.add_argument("--model", help="a Hugging Face checkpoint folder")
    who.add_argument("--run", help="a training run folder (uses its exported model/)")
    who.add_argument("--endpoint", help="an OpenAI-compatible server URL, e.g. a vLLM server")
    who.add_argument("--served-model", help="the model name the endpoint serves")
    who.add_argument("--tokenizer", help="tokenizer folder for --endpoint (token-in/token-out)")
    add_mesh_argument(who)
    p.add_argument("--data-dir", help="folder holding the suite's data files")
    p.add_argument("--out", help="output folder (default: evals/<suite>-<time>)")
    p.add_argument("--limit", type=int, help="evaluate at most N problems per task")
    p.add_argument("--k", type=int, help="samples per problem (overrides the suite)")
    p.add_argument("--max-tokens", type=int, help="completion budget (overrides the suite)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-resume", action="store_true", help="start over even if --out has results")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    action = list(args.action)
    if action[:1] == ["list"]:
        return _list()
    if action[:1] == ["compare"]:
        if len(action) != 3:
            raise ConfigError("usage: agentrl eval compare RESULTS_A RESULTS_B")
        from agentrl.eval.report import compare, load_results

        print(compare(load_results(action[1]), load_results(action[2])), end="")
        return 0
    if action:
        raise ConfigError(f"unknown eval action {action[0]!r}; use `list` or `compare A B`")
    if not args.suite:
        raise ConfigError("pass --suite (see `agentrl eval list`)")
    from agentrl.eval.runner import evaluate
    from agentrl.eval.suites import load_suite

    suite = load_suite(args.suite)
    policy = _policy(args)
    out = Path(args.out or _default_out(suite.id))
    results = evaluate(
        suite,
        policy,
        out_dir=out,
        data_dir=args.data_dir,
        limit=args.limit,
        k=args.k,
        max_tokens=args.max_tokens,
        seed=args.seed,
        resume=not args.no_resume,
        progress=not args.no_progress,
    )
    print((out / "results.md").read_text(), end="")
    print(f"wrote {out}/results.json, results.md, results.png", file=sys.stderr)
    return 0 if all(t["errors"] == 0 for t in results["tasks"].values()) else 1


def _list() -> int:
    from agentrl.eval.suites import SUITES

    for suite_id in SUITES.ids():
        suite = SUITES.make(suite_id)
        tasks = ", ".join(t.name for t in suite.tasks)
        print(f"{suite_id:16s} {suite.description} [{tasks}]")
    return 0


def _policy(args: argparse.Namespace) -> Any:
    from agentrl.eval import policy

    chosen = [x for x in ("model", "run", "endpoint") if getattr(args, x)]
    if len(chosen) > 1:
        raise ConfigError(f"pass one of --model, --run, --endpoint, got {', '.join(chosen)}")
    if args.endpoint and args.mesh:
        raise ConfigError("got --mesh with --endpoint: the server places its own model")
    if args.model:
        return policy.from_model_dir(args.model, seed=args.seed, mesh=build_mesh(args.mesh))
    if args.run:
        return policy.from_run_dir(args.run, seed=args.seed, mesh=build_mesh(args.mesh))
    if args.endpoint:
        if not args.served_model or not args.tokenizer:
            raise ConfigError("--endpoint needs --served-model and --tokenizer")
        return policy.from_endpoint(
            args.endpoint, served_model=args.served_model, tokenizer_dir=args.tokenizer
        )
    return policy.tiny_policy(seed=args.seed, mesh=build_mesh(args.mesh))


def _default_out(suite_id: str) -> str:
    import time

    return f"evals/{suite_id}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
