"""``agentrl serve`` throughput and latency with the tiny model, as JSON.

Starts the server in this process (loopback, a free port), then for 1, 8 and 32 concurrent
clients sends streamed chat completions for ``--seconds`` and reports requests/s, time to first
token (the first content chunk) and p50/p99 latency, for each engine: ``static`` (`JaxSampler`,
requests batched into ``generate`` calls, a stream starts once its completion is done) and
``continuous`` (`EngineSampler`: requests join the running decode batch, tokens stream as
decoded). Each level first runs a warm-up so XLA compilation of its shapes is not counted.

    python benchmarks/serve.py
    python benchmarks/serve.py --clients 32 --max-tokens 32 --seconds 10 --engine static continuous

``--scripted`` swaps the model for a `ScriptedSampler` (no model compute): what is left is
the cost of HTTP, JSON, batching and templating.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import httpx


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed time per level")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-window-ms", type=float, default=5.0)
    parser.add_argument("--scripted", action="store_true")
    parser.add_argument(
        "--engine", nargs="+", default=["static", "continuous"], choices=["static", "continuous"]
    )
    return parser.parse_args()


def make_app(args: argparse.Namespace, engine: str):  # type: ignore[no-untyped-def]
    from agentrl.serve import create_app

    if args.scripted:
        from agentrl.testing import ScriptedSampler
        from agentrl.tokenizer import builtin_tiny_tokenizer

        tok = builtin_tiny_tokenizer()
        sampler = ScriptedSampler(tok, ["The answer is \\boxed{4}."], max_context=4096)
        policy = "scripted"
    else:
        from agentrl.sampling.engine import EngineSampler
        from agentrl.sampling.jax_sampler import JaxSampler
        from agentrl.testing import tiny_model

        model, tok = tiny_model()
        if engine == "continuous":
            sampler = EngineSampler(model, tok, max_context=1024, num_slots=64)
        else:
            sampler = JaxSampler(model, tok, max_context=1024, max_batch=64)
        policy = "tiny"
    app = create_app(
        sampler, tok, model_name=policy, max_batch=64, batch_window_s=args.batch_window_ms / 1000,
        engine=engine if not args.scripted else "static",
    )  # fmt: skip
    return app, policy


def load(
    url: str, model: str, clients: int, seconds: float, max_tokens: int
) -> tuple[list[float], list[float]]:
    """Latencies and times to first token (s) of the streamed requests that finished within
    `seconds`, from `clients` threads."""
    latencies: list[float] = []
    firsts: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(k: int) -> None:
        with httpx.Client(base_url=url, timeout=600) as http:
            i = 0
            while time.perf_counter() < stop_at:
                body = {
                    "model": model,
                    "messages": [{"role": "user", "content": f"What is {k} + {i}?"}],
                    "max_tokens": max_tokens,
                    "temperature": 1.0,
                    "stream": True,
                }
                start = time.perf_counter()
                first = None
                with http.stream("POST", "/v1/chat/completions", json=body) as response:
                    for line in response.iter_lines():
                        if first is None and '"content": "' in line and '"content": ""' not in line:
                            first = time.perf_counter() - start
                    status = response.status_code
                took = time.perf_counter() - start
                with lock:
                    if status == 200:
                        latencies.append(took)
                        firsts.append(took if first is None else first)
                    else:
                        errors.append(f"{status}")
                i += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return latencies, firsts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    from agentrl.serve import ServerThread

    results = []
    for engine in args.engine:
        app, policy = make_app(args, engine)
        with ServerThread(app) as server:
            for clients in args.clients:
                load(server.url, policy, clients, args.warmup, args.max_tokens)
                start = time.perf_counter()
                latencies, firsts = load(server.url, policy, clients, args.seconds, args.max_tokens)
                wall = time.perf_counter() - start
                health = httpx.get(server.url + "/health").json()
                results.append(
                    {
                        "engine": engine,
                        "clients": clients,
                        "requests": len(latencies),
                        "requests_per_s": round(len(latencies) / wall, 2),
                        "ttft_p50_ms": round(1000 * statistics.median(firsts), 1),
                        "ttft_p99_ms": round(1000 * percentile(firsts, 0.99), 1),
                        "p50_ms": round(1000 * statistics.median(latencies), 1),
                        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
                        "largest_batch": health["largest_batch"],
                    }
                )
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # progress
    report = {
        "benchmark": "serve",
        "policy": policy,
        "max_tokens": args.max_tokens,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_1m": os.getloadavg()[0],
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
