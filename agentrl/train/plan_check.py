"""Checking a memory plan: against a budget, on a CPU-only machine, and what to change.

`check_plan` is what ``agentrl train --plan`` / ``--device-memory`` run: the plan
(`agentrl.train.plan.plan`) in-process on an accelerator, or in a fresh CPU process
(`plan_in_subprocess`) with fake devices and remat kept apart; a plan that does not fit stops
the run, naming settings that would make it fit (`suggestions`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import jax

from agentrl.errors import ConfigError
from agentrl.train.config import TrainConfig
from agentrl.train.plan import GB, Program, Residents, plan


def parse_bytes(text: str) -> int:
    """``"80GB"`` (10^9), ``"80GiB"`` (2^30), ``"512MiB"``, ``"24G"`` or plain bytes.

    Raises:
        ConfigError: not a size.
    """
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?)(b?)\s*", text.lower())
    if match is None or (match.group(3) and not match.group(2)):
        raise ConfigError(f"got device memory {text!r}, need a size such as 80GB, 80GiB or 24G")
    number, prefix, binary = float(match.group(1)), match.group(2), match.group(3)
    power = " kmgt".index(prefix) if prefix else 0
    return int(number * (1024 if binary else 1000) ** power)


def suggestions(config: TrainConfig, residents: Residents, peak: Program, budget: int) -> list[str]:
    """Settings that would bring the peak under `budget`, most direct first. The row counts
    are estimates: a sampler's or an update's own bytes grow about linearly with its rows."""
    out = []
    room = budget - residents.total  # what the programs may use beyond resident state
    scalable = max(1, peak.peak - residents.total - peak.gradients)
    if room - peak.gradients > 0:
        share = (room - peak.gradients) / scalable
        if peak.name.endswith(("prefill", "decode")):
            rows = min(
                config.rollout.max_concurrency,
                config.rollout.prompts_per_step * config.rollout.group_size,
            )
            fit = _power_of_two_below(rows * share)
            if fit >= 1:
                out.append(f"rollout.max_concurrency={fit} (now {config.rollout.max_concurrency})")
        elif peak.name in ("update", "sft_update", "reference"):
            rows = config.update.micro_batch_rows or _update_rows(config, peak.name)
            shards = residents.learner.batch_shards  # a micro-batch splits over them
            fit = _power_of_two_below(rows * share) // shards * shards
            if fit >= 1 and fit < rows:
                out.append(f"update.micro_batch_rows={fit} (now {rows} rows per pass)")
            if config.model.remat == "none":
                out.append("model.remat=layer (recompute layer activations in the backward pass)")
    if config.model.dtypes().params == "float32":
        out.append("model.param_dtype=bfloat16 (half the weights, gradients and caches)")
    out.append("mesh.fsdp over more devices (splits parameters and optimizer state)")
    if config.model.lora is None:
        out.append("model.lora (train adapters: no optimizer state for the base)")
    if config.model.quantize is None:
        out.append("model.quantize=nf4 with model.lora (QLoRA: a 4-bit frozen base)")
    if room <= 0:
        out.insert(
            0,
            f"less resident state: parameters, optimizer state and reference take "
            f"{size(residents.total)} per device of the {size(budget)}",
        )
    return out


def size(n: int) -> str:
    """Bytes as GB (10^9) or, below one, MB."""
    return f"{n / GB:.2f} GB" if n >= GB else f"{n / 10**6:.1f} MB"


def _update_rows(config: TrainConfig, program: str) -> int:
    """Rows of one update pass without micro-batching: a minibatch of the rollout batch (RL)
    or a warm-start batch."""
    if program == "sft_update":
        return config.warm_start.batch_size
    episodes = config.rollout.prompts_per_step * config.rollout.group_size
    return max(1, episodes // config.grpo.num_minibatches)


def _power_of_two_below(x: float) -> int:
    return 0 if x < 1 else 1 << (int(x).bit_length() - 1)


# XLA's CPU pipeline turns the optimization barriers that keep remat's recomputation apart
# into plain values before CSE, which then merges the recomputation with the forward pass: a
# CPU compile keeps every activation whatever `model.remat` says. GPU and TPU keep them.
CPU_PLAN_FLAGS = "--xla_disable_hlo_passes=cse_barrier_expander"


def plan_in_subprocess(
    config: TrainConfig,
    *,
    devices: int = 1,
    device_memory: int | None = None,
    prompt_tokens: int | None = None,
) -> dict[str, Any]:
    """`plan` in a fresh CPU process with `devices` fake devices and `CPU_PLAN_FLAGS`: how a
    machine without the run's accelerators (a laptop) plans it.

    Raises:
        ConfigError: the planning process failed (its error is on stderr).
    """
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    flags = f"{CPU_PLAN_FLAGS} --xla_force_host_platform_device_count={devices}"
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flags}".strip()
    request = {
        "config": config.model_dump(mode="json"),
        "device_memory": device_memory,
        "prompt_tokens": prompt_tokens,
    }
    proc = subprocess.run(
        [sys.executable, "-c", "from agentrl.train.plan_check import _child; _child()"],
        input=json.dumps(request),
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise ConfigError(f"the planning process failed (exit {proc.returncode}; see above)")
    return dict(json.loads(proc.stdout))


def _child() -> None:
    """`plan_in_subprocess`'s other end: a request on stdin, the plan on stdout."""
    import json
    import sys

    from agentrl.errors import AgentRLError

    request = json.loads(sys.stdin.read())
    try:
        out = plan(
            TrainConfig.model_validate(request["config"]),
            device_memory=request["device_memory"],
            prompt_tokens=request["prompt_tokens"],
        )
    except AgentRLError as e:
        print(f"agentrl: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(out))


def mesh_devices(config: TrainConfig) -> int:
    """How many devices the config's mesh names (``mesh.devices``, or its fixed axes; a -1
    axis counts 1): the fake CPU devices a plan of it needs."""
    mesh = config.mesh
    if mesh.devices is not None:
        return mesh.devices
    return math.prod(s for s in (mesh.data, mesh.fsdp, mesh.tp) if s != -1)


def check_plan(
    config: TrainConfig, device_memory: int | None, *, print_plan: bool = False
) -> dict[str, Any]:
    """Plan `config`; print the plan (`print_plan`) or say in one line whether it fits.

    Raises:
        ConfigError: the plan does not fit and this is a run, not ``--plan``: naming the
            peak program and settings that would make it fit.
    """
    import json
    import sys

    if jax.default_backend() == "cpu":
        devices = mesh_devices(config)
        result = plan_in_subprocess(config, devices=devices, device_memory=device_memory)
    else:  # on the accelerator itself: its own compiler's figures
        result = plan(config, device_memory=device_memory)
    if print_plan:
        print(json.dumps(result))
    budget, need = result["device_memory_bytes"], result["per_device_bytes"]
    if result["fits"] is False:
        message = (
            f"the run needs {size(need)} per device (peak: {result['peak_program']}), "
            f"more than the {size(budget)} it has; settings that would make it fit: "
            + "; ".join(result["suggestions"])
        )
        if not print_plan:
            raise ConfigError(message)
        print(f"agentrl: {message}", file=sys.stderr)
    elif budget is not None and not print_plan:
        print(
            f"agentrl: memory plan: {size(need)} per device of {size(budget)} "
            f"(peak: {result['peak_program']})",
            file=sys.stderr,
            flush=True,
        )
    return result
