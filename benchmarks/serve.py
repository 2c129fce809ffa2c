"""``agentrl serve`` throughput and latency with the tiny model, as JSON.

Starts ``agentrl serve --model tiny`` as its own process (loopback, a free port), so the
server's engine never shares an interpreter lock with the clients, then for 1, 8 and 32
concurrent clients (one asyncio loop here) sends streamed chat completions for ``--seconds``
and reports requests/s, time to first token (the first content chunk) and p50/p99 latency, for
each engine: ``static`` (`JaxSampler`, requests batched into ``generate`` calls, a stream starts
once its completion is done) and ``continuous`` (`EngineSampler`: requests join the running
decode batch, tokens stream as decoded). Each level first runs a warm-up so XLA compilation of
its shapes is not counted.

    python benchmarks/serve.py
    python benchmarks/serve.py --clients 32 --max-tokens 32 --seconds 10 --engine static continuous
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="untimed time per level")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-window-ms", type=float, default=5.0)
    parser.add_argument(
        "--engine", nargs="+", default=["static", "continuous"], choices=["static", "continuous"]
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(engine: str, args: argparse.Namespace) -> Iterator[str]:
    """``agentrl serve`` in a child process; yields its URL once /health answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "agentrl", "serve", "--model", "tiny", "--port", str(port),
        "--engine", engine, "--max-context", "1024", "--max-batch", "64",
        "--batch-window-ms", str(args.batch_window_ms),
    ]  # fmt: skip
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-serve-{engine}.log"
    with log_path.open("w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if child.poll() is not None:
                raise SystemExit(f"agentrl serve exited with {child.returncode}; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"agentrl serve did not start in 300 s; see {log_path}")
            time.sleep(0.5)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()


async def load(
    url: str, model: str, clients: int, seconds: float, max_tokens: int
) -> tuple[list[float], list[float]]:
    """Latencies and times to first token (s) of the streamed requests that finished within
    `seconds`, from `clients` concurrent clients."""
    latencies: list[float] = []
    firsts: list[float] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients + 4)

    async def client(http: httpx.AsyncClient, k: int) -> None:
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
            async with http.stream("POST", "/v1/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if first is None and '"content": "' in line and '"content": ""' not in line:
                        first = time.perf_counter() - start
                status = response.status_code
            took = time.perf_counter() - start
            if status == 200:
                latencies.append(took)
                firsts.append(took if first is None else first)
            else:
                errors.append(f"{status}")
            i += 1

    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as http:
        await asyncio.gather(*(client(http, k) for k in range(clients)))
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    return latencies, firsts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    results = []
    for engine in args.engine:
        with server(engine, args) as url:
            policy = httpx.get(url + "/v1/models").json()["data"][0]["id"]
            for clients in args.clients:
                asyncio.run(load(url, policy, clients, args.warmup, args.max_tokens))
                start = time.perf_counter()
                latencies, firsts = asyncio.run(
                    load(url, policy, clients, args.seconds, args.max_tokens)
                )
                wall = time.perf_counter() - start
                health = httpx.get(url + "/health").json()
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
                        "largest_batch": health.get("largest_batch"),
                    }
                )
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # progress
    report = {
        "benchmark": "serve",
        "policy": "tiny",
        "server": "agentrl serve --model tiny, its own process",
        "max_tokens": args.max_tokens,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_1m": os.getloadavg()[0],
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
