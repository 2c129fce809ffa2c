"""Rollout engine throughput with the tiny model, as one JSON object.

For each env, concurrency level and engine it reports episodes/s, sampled tokens/s, the tokens
the model prefilled per episode (``prefill_tokens_per_episode``) against the trajectory's
distinct tokens (``tokens_per_episode``), and the share of wall time spent outside the model
(env resets and steps, grading, tool calls, chat templating and the loop's own bookkeeping).

Engines: ``static`` is `JaxSampler` under the turn-synchronous loop (one padded `generate`
per turn for every active episode, each re-prefilling its whole history; a GRPO group's shared
prompt is prefilled once); ``continuous`` is `EngineSampler` under the loop without a turn
barrier (per-slot KV kept between turns, prefixes shared).

    python benchmarks/rollout.py --engine static continuous --envs tool-math chat \
        --concurrency 64 --rounds 1 --max-turns 3
    python benchmarks/rollout.py --pipeline --rounds 4 --engine static  # env steps overlap

Each configuration first runs its episodes once untimed, so XLA compilation of the shapes it
needs is not counted (`compilations_while_timed` checks). ``--scripted`` swaps the model for a
`ScriptedSampler` that sleeps ``--scripted-delay`` per call: this isolates the engine's own cost
from the model's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", nargs="+", default=["tool-math", "deepscaler"])
    parser.add_argument("--concurrency", nargs="+", type=int, default=[8, 64, 256])
    parser.add_argument("--rounds", type=int, default=2, help="episodes = rounds x concurrency")
    parser.add_argument("--max-tokens", type=int, default=32, help="tokens per turn")
    parser.add_argument("--max-turns", type=int, default=2, help="cap for multi-turn envs")
    parser.add_argument("--max-context", type=int, default=2048)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--pipeline", action="store_true", help="rollout(pipeline=True)")
    parser.add_argument(
        "--engine", nargs="+", default=["static", "continuous"], choices=["static", "continuous"]
    )
    parser.add_argument("--scripted", action="store_true", help="no model: scripted replies")
    parser.add_argument("--scripted-delay", type=float, default=0.05)
    return parser.parse_args()


class CountingSampler:
    """Wraps `JaxSampler.generate` to count the tokens it prefills: each distinct prompt of a
    call once (it copies the cache of repeated prompts)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.prefill_tokens = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def generate(self, prompts, params):  # type: ignore[no-untyped-def]
        self.prefill_tokens += sum(len(p) for p in {tuple(p) for p in prompts})
        return self.inner.generate(prompts, params)  # type: ignore[attr-defined]


def prefilled(sampler: object) -> int:
    engine = getattr(sampler, "engine", None)
    if engine is not None:
        return int(engine.stats.prefill_tokens)
    return int(getattr(sampler, "prefill_tokens", 0))


def make_sampler(
    args: argparse.Namespace, engine: str, concurrency: int
) -> tuple[object, object, str]:
    if args.scripted:
        from agentrl.testing import ScriptedSampler
        from agentrl.tokenizer import builtin_tiny_tokenizer

        tok = builtin_tiny_tokenizer()
        reply = "Let me think. 2+2=4, so the answer is \\boxed{4}."
        return ScriptedSampler(tok, [reply], delay_s=args.scripted_delay), tok, "scripted"
    from agentrl.sampling.engine_sampler import EngineSampler
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.testing import tiny_model

    model, tok = tiny_model()
    if engine == "continuous":
        sampler = EngineSampler(
            model, tok, max_context=args.max_context, num_slots=concurrency + args.group_size
        )
        return sampler, tok, "tiny"
    return (
        CountingSampler(JaxSampler(model, tok, max_context=args.max_context, max_batch=256)),
        tok,
        "tiny",
    )


def run_one(env: str, concurrency: int, engine: str, args: argparse.Namespace) -> dict:
    import agentrl
    from agentrl.rollout import rollout
    from agentrl.sampling.base import SamplingParams

    sampler, tok, _ = make_sampler(args, engine, concurrency)
    env_id = agentrl.registry.resolve(env)
    multi_turn = agentrl.make(env_id).max_turns > 1
    kwargs = {"max_turns": args.max_turns} if multi_turn else {}
    episodes = max(concurrency * args.rounds, args.group_size)
    episodes -= episodes % args.group_size

    def once(seed: int):
        return rollout(
            env_id,
            sampler,
            tok,
            num_episodes=episodes,
            group_size=args.group_size,
            params=SamplingParams(temperature=1.0, max_tokens=args.max_tokens),
            seed=seed,
            max_concurrency=concurrency,
            max_context=args.max_context,
            pipeline=args.pipeline,
            env_kwargs=kwargs,
            progress=False,
            engine=engine if not args.scripted else "static",
        )

    # Warm-up on the same episodes: the timed run then needs no shape the sampler has not
    # compiled (another seed can land in another prompt bucket and compile mid-run).
    # The continuous engine's shapes depend on timing (which requests share a round): warm up
    # until a pass compiles nothing new (at most 4 passes; the JSON reports any left).
    for _ in range(4 if engine == "continuous" else 1):
        compiled = getattr(sampler, "num_compilations", 0)
        once(seed=0)
        if getattr(sampler, "num_compilations", 0) == compiled:
            break
    compiled = getattr(sampler, "num_compilations", 0)
    engine_obj = getattr(sampler, "engine", None)
    if engine_obj is not None:
        engine_obj.flush()  # the timed run starts with no cached prefix, as the static one
    before = prefilled(sampler)
    result = once(seed=0)
    s = result.summary
    n = len(result.trajectories)
    return {
        "env": env_id,
        "concurrency": concurrency,
        "engine": engine,
        "episodes": s.num_episodes,
        "prefill_tokens_per_episode": round((prefilled(sampler) - before) / n, 1),
        "tokens_per_episode": round(sum(len(t.token_ids) for t in result.trajectories) / n, 1),
        "episodes_per_s": round(s.episodes_per_s, 3),
        "tokens_per_s": round(s.tokens_per_s, 1),
        "wall_s": round(s.wall_s, 3),
        "generate_s": round(s.generate_s, 3),
        "env_s": round(s.env_s, 3),
        "overhead_fraction": round(s.overhead_fraction, 4),
        "generate_calls": s.generate_calls,
        "terminations": s.terminations,
        "mean_reward": round(s.mean_reward, 4),
        "compilations_while_timed": getattr(sampler, "num_compilations", 0) - compiled,
    }


def main() -> None:
    args = parse_args()
    results = []
    for env in args.envs:
        for concurrency in args.concurrency:
            for engine in args.engine:
                results.append(run_one(env, concurrency, engine, args))
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # progress
    report = {
        "benchmark": "rollout",
        "policy": "scripted" if args.scripted else "tiny",
        "max_context": args.max_context,
        "max_turns": args.max_turns,
        "pipeline": args.pipeline,
        "max_tokens_per_turn": args.max_tokens,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_1m": os.getloadavg()[0],
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
