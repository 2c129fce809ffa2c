"""Seconds per GRPO step, rollout and update apart: agentrl (JAX) against TRL's GRPOTrainer.

Both sides start from the same weights (the JAX model is written as a Hugging Face folder and
loaded by transformers) and run the same workload: 4 prompts x group 4, 32-token prompts,
64-token completions (EOS is disabled on both sides so every completion is full length),
temperature 1, no KL term (TRL's default beta=0), one optimizer step per rollout. The update's
FLOPs are ``6 x matmul params x tokens`` (forward + backward); its utilization is reported
against the fp32 matmul peak measured in this run (the best of JAX and torch on 2048^3).

    python benchmarks/train_step.py                  # both sizes, JSON on stdout
    python benchmarks/train_step.py --sizes small --steps 2 --no-trl

TRL is not a dependency of agentrl; install it (``pip install trl``) to get its column.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

SIZES: dict[str, dict[str, int]] = {
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=704, head_dim=64),
    "large": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8,
                  num_key_value_heads=4, intermediate_size=1408, head_dim=64),
}  # fmt: skip
PROMPTS, GROUP, PROMPT_LEN, COMPLETION_LEN = 4, 4, 32, 64


def matmul_peak(n: int = 2048, repeats: int = 5) -> dict[str, float]:
    """Best fp32 GFLOP/s of an n^3 matmul, in JAX and in torch."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    a = jnp.asarray(np.random.default_rng(0).normal(size=(n, n)), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, a).block_until_ready()
    best = min(_timed(lambda: dot(a, a).block_until_ready()) for _ in range(repeats))
    out = {"jax_gflops": 2 * n**3 / best / 1e9}
    try:
        import torch

        t = torch.randn(n, n)
        torch.mm(t, t)
        out["torch_gflops"] = (
            2 * n**3 / min(_timed(lambda: torch.mm(t, t)) for _ in range(repeats)) / 1e9
        )
    except ImportError:
        pass
    return out


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_prompts(tokenizer: Any, seed: int = 0) -> list[str]:
    """Prompt texts that encode to exactly PROMPT_LEN tokens (and decode back to themselves)."""
    rng = random.Random(seed)
    words = ["add", "the", "sum", "of", "and", "what", "is", "seven", "plus", "times", "number"]
    prompts: list[str] = []
    while len(prompts) < PROMPTS:
        text = " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(40))
        ids = tokenizer.encode(text)[:PROMPT_LEN]
        text = tokenizer.decode(ids)
        if len(tokenizer.encode(text)) == PROMPT_LEN:
            prompts.append(text)
    return prompts


def reward_of(text: str) -> float:
    """A cheap, deterministic reward (share of digits), the same on both sides."""
    return sum(ch.isdigit() for ch in text) / max(len(text), 1)


def matmul_params(cfg: dict[str, int], vocab: int) -> int:
    """Parameters that sit in matmuls (attention, MLP, LM head), which is what the FLOPs count."""
    d, f, h = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * h, cfg["num_key_value_heads"] * h
    per_layer = d * q + 2 * d * kv + q * d + 3 * d * f
    return cfg["num_hidden_layers"] * per_layer + d * vocab


class _NoEOS:
    """The tokenizer with no EOS ids, so the sampler always writes full-length completions."""

    eos_token_ids: tuple[int, ...] = ()

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)


def run_agentrl(model: Any, tokenizer: Any, prompts: list[str], steps: int, warmup: int) -> dict:
    from agentrl.sampling.base import SamplingParams
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.trainers.grpo import GRPOConfig, GRPOLearner
    from agentrl.trajectory import Span, Trajectory

    sampler = JaxSampler(model, _NoEOS(tokenizer), max_context=PROMPT_LEN + COMPLETION_LEN)
    config = GRPOConfig(optimizer={"lr": 1e-6}, buckets=(PROMPT_LEN + COMPLETION_LEN,))
    learner = GRPOLearner(config, model, pad_id=tokenizer.pad_token_id)
    prompt_ids = [tokenizer.encode(p) for p in prompts]
    params = SamplingParams(temperature=1.0, max_tokens=COMPLETION_LEN, n=GROUP)
    rollout_s, update_s = [], []
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        groups = sampler.generate(prompt_ids, params)
        t1 = time.perf_counter()
        trajs = []
        for g, (ids, completions) in enumerate(zip(prompt_ids, groups)):
            for c in completions:
                n, m = len(ids), len(c.token_ids)
                trajs.append(Trajectory(
                    env_id="bench-v0", group_id=str(g), token_ids=ids + c.token_ids,
                    loss_mask=[0] * n + [1] * m, logprobs=[0.0] * n + list(c.logprobs or []),
                    spans=[Span(role="prompt", start=0, end=n, turn=0),
                           Span(role="policy", start=n, end=n + m, turn=0)],
                    reward=reward_of(c.text or ""),
                ))  # fmt: skip
        learner.train_step(trajs)
        sampler.policy_version += 1
        t2 = time.perf_counter()
        if step >= warmup:
            rollout_s.append(t1 - t0)
            update_s.append(t2 - t1)
    tokens = sum(len(t.token_ids) for t in trajs)
    return _summary(rollout_s, update_s, tokens)


def run_trl(folder: str, prompts: list[str], steps: int, warmup: int) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(), per_device_train_batch_size=PROMPTS * GROUP,
        num_generations=GROUP, max_completion_length=COMPLETION_LEN, learning_rate=1e-6,
        generation_kwargs={"min_new_tokens": COMPLETION_LEN}, temperature=1.0, beta=0.0,
        max_steps=warmup + steps, use_cpu=True, report_to=[], save_strategy="no",
        logging_steps=1, disable_tqdm=True, seed=0,
    )  # fmt: skip

    def reward(completions: list[str], **_: Any) -> list[float]:
        return [reward_of(c) for c in completions]

    data = Dataset.from_dict({"prompt": prompts * (warmup + steps) * GROUP})
    trainer = GRPOTrainer(
        model=model, reward_funcs=reward, args=args, train_dataset=data, processing_class=tokenizer
    )
    rollout_times: list[float] = []
    generate = trainer._generate_and_score_completions

    def timed_generate(*a: Any, **kw: Any) -> Any:
        start = time.perf_counter()
        out = generate(*a, **kw)
        rollout_times.append(time.perf_counter() - start)
        return out

    trainer._generate_and_score_completions = timed_generate  # type: ignore[method-assign]
    step_times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *a: Any, **kw: Any) -> None:
            self.start = time.perf_counter()

        def on_step_end(self, *a: Any, **kw: Any) -> None:
            step_times.append(time.perf_counter() - self.start)

    trainer.add_callback(StepTimer())
    with contextlib.redirect_stdout(sys.stderr):  # TRL prints its logs; stdout is our JSON
        trainer.train()
    rollout = rollout_times[warmup:]
    update = [s - r for s, r in zip(step_times[warmup:], rollout)]
    tokens = PROMPTS * GROUP * (PROMPT_LEN + COMPLETION_LEN)
    return _summary(rollout, update, tokens)


def _summary(rollout_s: list[float], update_s: list[float], tokens: int) -> dict:
    rollout, update = statistics.median(rollout_s), statistics.median(update_s)
    return {
        "rollout_s": round(rollout, 4),
        "update_s": round(update, 4),
        "step_s": round(rollout + update, 4),
        "tokens_per_step": tokens,
        "rollout_samples_s": [round(x, 4) for x in rollout_s],
        "update_samples_s": [round(x, 4) for x in update_s],
    }


def bench_size(name: str, steps: int, warmup: int, with_trl: bool, peak: float) -> dict:
    from agentrl.models import save
    from agentrl.models.tiny import tiny_config, tiny_model_from_config, tiny_tokenizer

    tokenizer = tiny_tokenizer()
    cfg = tiny_config(
        vocab_size=tokenizer.vocab_size, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_ids[0], **SIZES[name],
    )  # fmt: skip
    model = tiny_model_from_config(cfg, seed=0)
    prompts = make_prompts(tokenizer)
    result: dict[str, Any] = {"config": SIZES[name]}
    with tempfile.TemporaryDirectory() as folder:
        save(model, tokenizer, folder)  # before training: both sides start from these weights
        result["agentrl"] = run_agentrl(model, tokenizer, prompts, steps, warmup)
        if with_trl:
            result["trl"] = run_trl(folder, prompts, steps, warmup)
    flops = (
        6
        * matmul_params(SIZES[name], cfg.vocab_size)
        * PROMPTS
        * GROUP
        * (PROMPT_LEN + COMPLETION_LEN)
    )
    result["update_gflop"] = round(flops / 1e9, 1)
    for side in ("agentrl", "trl"):
        if side in result:
            achieved = flops / result[side]["update_s"] / 1e9
            result[side]["update_gflops"] = round(achieved, 1)
            result[side]["update_flop_utilization"] = round(achieved / peak, 3)
    if "trl" in result:
        result["step_ratio_vs_trl"] = round(
            result["agentrl"]["step_s"] / result["trl"]["step_s"], 3
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps (compilation)")
    parser.add_argument("--no-trl", action="store_true", help="skip the TRL side")
    args = parser.parse_args()
    with_trl = not args.no_trl
    if with_trl:
        try:
            import trl  # noqa: F401
        except ImportError:
            with_trl = False
    peak = matmul_peak()
    best_peak = max(peak.values())
    report: dict[str, Any] = {
        "workload": {"prompts": PROMPTS, "group": GROUP, "prompt_tokens": PROMPT_LEN,
                     "completion_tokens": COMPLETION_LEN, "kl": False, "inner_epochs": 1},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg_start": os.getloadavg()},
        "matmul_peak_gflops": {k: round(v, 1) for k, v in peak.items()},
        "trl": with_trl,
    }  # fmt: skip
    for name in args.sizes.split(","):
        report[name] = bench_size(name, args.steps, args.warmup, with_trl, best_peak)
    report["machine"]["load_avg_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
