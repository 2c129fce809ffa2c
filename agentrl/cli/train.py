"""``agentrl train``: train a policy on an environment.

With no other argument (``agentrl train --env deepscaler``) it runs the embedded default: the
built-in tiny model, warm-started with SFT, then GRPO, on CPU, in minutes. ``--model DIR --data
FILE`` runs the same pipeline on a Hugging Face checkpoint and a data file, with the env's
real-model preset (DeepScaleR's published settings for ``deepscaler``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agentrl.cli._mesh import add_mesh_argument
from agentrl.errors import ConfigError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a policy on an environment (SFT warm-start, then GRPO/PPO/DPO)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--env", default=None, help="registered env id (default: deepscaler)")
    p.add_argument("--algo", choices=["grpo", "ppo", "dpo", "sft", "distill"], help="default: grpo")
    p.add_argument("--model", help="Hugging Face checkpoint folder (default: built-in tiny model)")
    p.add_argument(
        "--data",
        help="training data: the env's problems (DeepScaleR/GSM8K JSON, JSONL or Parquet), chat "
        "records {messages, tools} for --algo sft/distill, or {prompt, chosen, rejected} pairs "
        "for --algo dpo (JSON, JSONL, Parquet or a datasets.save_to_disk folder), or a folder "
        "that agentrl serve --record wrote (rewarded sessions, for --algo grpo/ppo)",
    )
    p.add_argument(
        "--agent",
        metavar="MODULE:FUNCTION",
        help="an OpenAI-client program as the environment: FUNCTION(base_url, task) -> reward, "
        "run against this run's own endpoint (agentrl.train.agents)",
    )
    p.add_argument(
        "--teacher", help="--algo distill: the teacher's Hugging Face folder (same tokenizer)"
    )
    p.add_argument("--config", help="YAML config file (see --print-config)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set grpo.optimizer.lr=1e-6 (repeatable)",
    )
    p.add_argument("--seed", type=int, help="run seed")
    add_mesh_argument(p)
    p.add_argument(
        "--control",
        choices=["none", "sft"],
        help="sft: also spend the RL stage's time on more SFT, for comparison",
    )
    p.add_argument("--run-dir", help="run folder (default: runs/<env>-<algo>-<time>)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a killed run from its folder")
    p.add_argument("--print-config", action="store_true", help="print the resolved config, exit")
    p.add_argument(
        "--plan",
        action="store_true",
        help="print the run's memory plan (per-device bytes of its compiled programs, no "
        "weights loaded: a --model folder with only config.json will do) as JSON, exit",
    )
    p.add_argument(
        "--device-memory",
        metavar="SIZE",
        help="memory per device (80GB, 80GiB, 24G): the plan is checked against it, and a run "
        "that does not fit stops before loading anything; 'off' skips the check a run on an "
        "accelerator does by default against the device's own memory",
    )
    hosts = p.add_argument_group(
        "several processes (JAX's runtime; without these flags a SLURM step or TPU pod of "
        "several hosts is detected and joined, a plain machine runs alone)"
    )
    hosts.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address")
    hosts.add_argument("--num-processes", type=int, metavar="N", help="processes in the run")
    hosts.add_argument("--process-id", type=int, metavar="I", help="this process, 0..N-1")
    hosts.add_argument(
        "--coordinator-timeout",
        type=int,
        default=300,
        metavar="S",
        help="seconds to wait for the coordinator and the other processes (default: 300)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


# Flags that would silently disagree with the config.yaml of a run being resumed.
RESUME_CLASHES = (
    "env", "algo", "model", "data", "agent", "teacher", "config", "seed", "control", "run_dir",
)  # fmt: skip


def resolve_config(args: argparse.Namespace) -> Any:
    """Preset of the env < --config < flags < --set, validated."""
    from agentrl.config import load_config
    from agentrl.train.config import TrainConfig, preset_path

    if args.resume:
        from agentrl.infra.run_dir import RunDir

        clash = [f"--{f.replace('_', '-')}" for f in RESUME_CLASHES if getattr(args, f) is not None]
        if clash:
            raise ConfigError(
                f"got --resume with {', '.join(clash)}: a resumed run keeps its own config.yaml "
                "(change a value with --set KEY=VALUE)"
            )
        run = RunDir.open(args.resume)
        if not run.config_path.is_file():
            raise ConfigError(f"run folder {args.resume!r} has no config.yaml to resume from")
        flags = ["logging.progress=false"] if args.quiet else []
        flags += mesh_flags(args.mesh)
        return load_config(TrainConfig, run.config_path, [*flags, *args.set])
    env_id = args.env or "deepscaler"
    real = args.model is not None
    preset = preset_path(env_id, real_model=real)
    base = load_config(TrainConfig, preset) if preset is not None else TrainConfig()
    flags = [f"env.id={env_id}"]
    for flag, key in (
        ("algo", "algo"),
        ("model", "model.path"),
        ("data", data_key(args.data)),
        ("teacher", "model.teacher"),
        ("agent", "agent.program"),
        ("seed", "seed"),
        ("control", "control"),
    ):
        value = getattr(args, flag)
        if value is not None:
            flags.append(f"{key}={value}")
    if args.quiet:
        flags.append("logging.progress=false")
    flags += mesh_flags(args.mesh)
    return load_config(TrainConfig, args.config, [*flags, *args.set], base=base)


def mesh_flags(text: str | None) -> list[str]:
    """``--mesh data=2,tp=2`` as the overrides ``mesh.data=2``, ``mesh.tp=2``."""
    if text is None:
        return []
    from agentrl.infra.configs import MeshConfig

    return [f"mesh.{axis}={size}" for axis, size in MeshConfig.overrides(text).items()]


def data_key(path: str | None) -> str:
    """Where ``--data`` goes: ``data`` for chat records or preference pairs (a file of your
    own) or a serve recording, ``env.data`` for the env's problems (which the env reads and
    checks)."""
    if path is None:
        return "env.data"
    from agentrl.train.datasets import data_kind
    from agentrl.train.recorded import is_recording

    if is_recording(path):
        return "data"

    return "env.data" if data_kind(path) == "env" else "data"


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if args.print_config:
        from agentrl.config import print_config

        print_config(config)
        return 0
    from agentrl.infra.distributed import initialize, is_main

    # Before anything uses a device: afterwards jax.devices() lists every process's devices.
    initialize(
        args.coordinator,
        num_processes=args.num_processes,
        process_id=args.process_id,
        timeout_s=args.coordinator_timeout,
    )
    if args.plan or planned(args):
        from agentrl.train.plan_check import check_plan, parse_bytes

        budget = None if args.device_memory in (None, "off") else parse_bytes(args.device_memory)
        result = check_plan(config, budget, print_plan=args.plan)
        if args.plan:
            return 0 if result.get("fits") is not False else 1
    from agentrl.train.pipeline import train

    summary = train(config, run_dir=args.run_dir, resume=args.resume)
    if not is_main():
        return 0
    keys = ("eval_before", "eval_after", "control")
    headline = {k: round(summary[k]["accuracy"], 4) for k in keys if k in summary}
    print(
        json.dumps(
            {
                "run_dir": summary.get("run_dir"),
                "steps": summary.get("steps"),
                "accuracy": headline,
                "wall_seconds": round(summary.get("wall_seconds", 0.0), 1),
                "wall_seconds_without_control": round(
                    summary.get("wall_seconds_without_control", 0.0), 1
                ),
            }
        )
    )
    print("plots and summary.json are in the run folder above", file=sys.stderr)
    return 0


def planned(args: argparse.Namespace) -> bool:
    """Whether a run plans its memory first: with --device-memory, or on an accelerator that
    reports its memory when training a real model (--device-memory off skips it)."""
    if args.device_memory == "off":
        return False
    if args.device_memory is not None:
        return True
    if args.model is None:
        return False
    from agentrl.train.plan import device_memory_limit

    return device_memory_limit() is not None
