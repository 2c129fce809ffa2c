"""``agentrl serve``: an OpenAI-compatible server over a model folder or a training run.

    agentrl serve --model runs/my-run/hf --port 8000
    agentrl serve --model tiny                      # the built-in tiny model (random weights)
    agentrl serve --run runs/deepscaler-grpo-20260126-093000 --record traces/

Then any OpenAI client works against ``http://127.0.0.1:8000/v1``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from agentrl.cli._mesh import add_mesh_argument, build_mesh
from agentrl.errors import ConfigError, ModelError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a model over the OpenAI HTTP API",
        description=(
            "Serve a model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, "
            "/v1/chat/completions with streaming and tool calls, /health). Binds to loopback "
            "unless --host says otherwise."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model", metavar="DIR", help="a Hugging Face checkpoint folder, or 'tiny'"
    )
    source.add_argument(
        "--run", metavar="RUN_DIR", help="a training run folder: serve its newest exported model"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("AGENTRL_API_KEY"),
        help="require 'Authorization: Bearer KEY' (default: $AGENTRL_API_KEY, else none)",
    )
    parser.add_argument(
        "--record",
        metavar="DIR",
        help="write requests/answers as trajectories, by session (the user field or a "
        "/s/SESSION/v1 base URL); POST /v1/rewards scores a session",
    )
    parser.add_argument("--served-model-name", help="the model id clients use (default: folder)")
    parser.add_argument("--max-context", type=int, default=4096, help="prompt + completion cap")
    parser.add_argument(
        "--max-batch",
        type=int,
        default=64,
        help="prompts per generate call (continuous: decode slots)",
    )
    parser.add_argument("--batch-window-ms", type=float, default=5.0, help="wait to batch (ms)")
    parser.add_argument("--max-request-mb", type=float, default=8.0, help="largest request body")
    parser.add_argument("--tool-format", default="hermes", help="tool-call syntax to parse")
    parser.add_argument("--seed", type=int, default=0, help="sampler seed")
    parser.add_argument(
        "--engine",
        choices=["continuous", "static"],
        default="continuous",
        help="continuous: requests join a running decode batch, streams are live, chat "
        "follow-ups reuse cached prefixes (default); static: batched generate calls",
    )
    add_mesh_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in ("port", "max_context", "max_batch"):
        if getattr(args, name) < 1:
            raise ConfigError(f"got --{name.replace('_', '-')}={getattr(args, name)}, need >= 1")
    folder = resolve_run(args.run) if args.run else args.model
    mesh = build_mesh(args.mesh)
    model, tokenizer, name = load_model(folder, mesh)

    import uvicorn

    from agentrl.sampling.base import Sampler
    from agentrl.serve import create_app

    sampler: Sampler
    if args.engine == "continuous":
        from agentrl.sampling.engine_sampler import EngineSampler

        sampler = EngineSampler(
            model,
            tokenizer,
            max_context=args.max_context,
            seed=args.seed,
            num_slots=args.max_batch,
            mesh=mesh,
        )
    else:
        from agentrl.sampling.jax_sampler import JaxSampler

        sampler = JaxSampler(
            model,
            tokenizer,
            max_context=args.max_context,
            seed=args.seed,
            max_batch=args.max_batch,
            mesh=mesh,
        )
    app = create_app(
        sampler,
        tokenizer,
        model_name=args.served_model_name or name,
        api_key=args.api_key,
        max_request_bytes=int(args.max_request_mb * (1 << 20)),
        max_batch=args.max_batch,
        batch_window_s=args.batch_window_ms / 1000,
        tool_format=args.tool_format,
        record_dir=args.record,
        engine=args.engine,
    )
    if folder != "tiny":  # a trainer's published weights folder: serve its policy version
        app.state.weights.startup(folder)
    print(f"agentrl serve: {args.served_model_name or name} on http://{args.host}:{args.port}/v1")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def load_model(folder: str, mesh: Any = None) -> tuple[Any, Any, str]:
    """``(model, tokenizer, name)`` for a model folder, or the built-in tiny model for 'tiny',
    sharded on `mesh` by the family's rules."""
    if folder == "tiny" and not Path(folder).exists():
        from agentrl.models.sharding import shard_model
        from agentrl.models.tiny import tiny_model

        model, tokenizer = tiny_model()
        return (model if mesh is None else shard_model(model, mesh)), tokenizer, "tiny"
    path = Path(folder)
    if not (path / "config.json").is_file():
        raise ModelError(f"--model {folder}: no config.json there (need a Hugging Face folder)")
    import agentrl.models as models

    model, tokenizer = models.load(path, mesh=mesh)
    return model, tokenizer, path.resolve().name


def resolve_run(run_dir: str) -> str:
    """The newest model folder (``config.json`` + ``tokenizer.json``) inside a run folder.

    Training runs export their policy as Hugging Face folders (`agentrl.infra.export_hf`);
    Orbax training-state checkpoints alone are not servable without the trainer's code.
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise ConfigError(f"--run {run_dir}: no such folder")
    found = [c.parent for c in root.rglob("config.json") if (c.parent / "tokenizer.json").is_file()]
    if not found:
        raise ModelError(
            f"--run {run_dir}: no exported model (a folder with config.json and tokenizer.json) "
            "inside; export one with agentrl.infra.checkpoint.export_hf or pass --model DIR"
        )
    newest = max(found, key=lambda p: (p / "config.json").stat().st_mtime)
    return str(newest)
