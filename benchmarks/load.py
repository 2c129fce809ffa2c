"""Checkpoint loading: time and peak memory of `agentrl.models.load` on a 0.5B-shaped checkpoint.

A random Qwen 2.5 0.5B-shaped checkpoint (hidden 896, 24 layers, vocab 151936: 494M
parameters) is written in bfloat16 as a Hugging Face folder split over several safetensors
files with their index, as published checkpoints are. Each load then runs in a fresh process
that reports its wall time and how far its memory rose above the baseline of its imports:

- ``peak_rss``: the kernel's high-water mark (VmHWM), which also counts the checkpoint's
  memory-mapped file pages while they are resident;
- ``peak_anon``: the peak of anonymous memory (RssAnon, sampled every 2 ms), i.e. the
  process's own copies; a loader that held the stored weights and the converted ones at once
  would show about ``stored + final`` here.

Side by side: transformers' ``from_pretrained`` of the same folder in the same dtypes.

    python benchmarks/load.py                 # prints one JSON document
    python benchmarks/load.py --no-transformers
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


class AnonPeak:
    """Samples RssAnon in a thread; `peak_mib` is the highest value seen."""

    def __init__(self, interval_s: float = 0.002) -> None:
        self.interval_s = interval_s
        self.peak_kib = _status_kib("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, _status_kib("RssAnon"))
            time.sleep(self.interval_s)

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, _status_kib("RssAnon"))


def write_checkpoint(folder: str) -> None:
    """The random 0.5B-shaped checkpoint, bfloat16, in ~500 MB files with an index."""
    import jax.numpy as jnp
    from flax import nnx

    from agentrl.models import CausalLM, Qwen2Config, save

    config = Qwen2Config.qwen2_5_0_5b()
    model = CausalLM(config, rngs=nnx.Rngs(0), param_dtype=jnp.bfloat16)
    save(model, None, folder, max_shard_bytes=500 * 2**20)


def measure(side: str, folder: str, dtype: str) -> dict[str, Any]:
    """Load `folder` once (in this process) and report time and memory above the baseline."""
    if side == "agentrl":
        import jax
        import jax.numpy as jnp

        from agentrl.models import load

        def run() -> Any:
            model, _ = load(folder, dtype=getattr(jnp, dtype))
            jax.block_until_ready(jax.tree.leaves(model))
            return model
    else:
        import torch
        import transformers

        def run() -> Any:
            return transformers.AutoModelForCausalLM.from_pretrained(
                folder, dtype=getattr(torch, dtype)
            )

    base_rss, base_anon = _status_kib("VmRSS"), _status_kib("RssAnon")
    start = time.perf_counter()
    with AnonPeak() as anon:
        model = run()
    seconds = time.perf_counter() - start
    if side == "agentrl":
        import jax

        leaves = jax.tree.leaves(model)
        nbytes = sum(x.size * x.dtype.itemsize for x in leaves)
    else:
        nbytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return {
        "seconds": round(seconds, 2),
        "params_mib": round(nbytes / 2**20),
        "peak_rss_mib": round((_status_kib("VmHWM") - base_rss) / 1024),
        "peak_anon_mib": round((anon.peak_kib - base_anon) / 1024),
    }


def run_child(side: str, folder: str, dtype: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", side, folder, dtype]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{side} load of {dtype} failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-transformers", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("SIDE", "FOLDER", "DTYPE"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    sides = ["agentrl"] + ([] if args.no_transformers else ["transformers"])
    with tempfile.TemporaryDirectory() as folder:
        _write_in_child(folder)
        files = sorted(Path(folder).glob("*.safetensors"))
        report: dict[str, Any] = {
            "benchmark": "load",
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "checkpoint": {
                "shape": "qwen2_5_0_5b",
                "stored_dtype": "bfloat16",
                "files": len(files),
                "mib": round(sum(f.stat().st_size for f in files) / 2**20),
            },
            "loads": [],
        }
        for dtype in ("bfloat16", "float32"):
            for side in sides:
                row = {"side": side, "dtype": dtype, **run_child(side, folder, dtype)}
                print(json.dumps(row), file=sys.stderr, flush=True)  # progress
                report["loads"].append(row)
    print(json.dumps(report, indent=2))


def _write_in_child(folder: str) -> None:
    """Write the checkpoint in its own process, so its memory never counts against a load."""
    code = f"import runpy; m = runpy.run_path({__file__!r}); m['write_checkpoint']({folder!r})"
    subprocess.run([sys.executable, "-c", code], check=True)


if __name__ == "__main__":
    main()
