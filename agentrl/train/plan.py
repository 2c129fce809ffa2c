"""A memory plan of a run, before it loads anything: ``agentrl train ... --plan``.

The plan compiles the run's own device programs on abstract shapes (``jax.ShapeDtypeStruct``,
no weights: a ``--model`` folder holding only config.json is enough) at the sizes the config
asks for, and adds up what XLA's memory analysis says each needs per device:

- the sampler's prefill and decode at the rollout's batch (``min(rollout.max_concurrency,
  prompts_per_step x group_size)`` rows, prompts shared within a group) and at the held-out
  eval's, with a cache of ``P + D`` slots (`agentrl.sampling.jax_sampler.padded_shapes`);
- the reference scoring and advantage programs on the whole rollout batch;
- the update on one minibatch (its micro-batches accumulate inside the program);
- the warm-start's SFT update, when the run has one.

The objects are the run's own: the model is built with `nnx.eval_shape`, the learner by the
pipeline's `rl_learner` / `sft_learner` inside one traced function (so its optimizer state and
reference copy come out as abstract values with the shardings a real run gives them), and
the sampler by `build_sampler`. A program's peak is XLA's ``arguments + outputs - aliased +
temporaries`` plus what stays resident across programs without being one of its arguments
(parameters, optimizer state, the reference copy); the plan's ``per_device_bytes`` is the
largest of these.

The figures are the compiling backend's. On an accelerator ``agentrl train`` plans in-process
on the device itself. On a CPU-only machine the plan runs in a fresh process
(`plan_in_subprocess`) with as many fake CPU devices as the mesh needs and with XLA's
``cse_barrier_expander`` pass off, without which XLA CPU merges remat's recomputation back into
the forward pass and keeps every activation. The resident part (parameters, master copy,
optimizer state, reference, KV cache) is exact; temporaries are XLA CPU's, whose fusion and
buffer assignment differ from a GPU's or TPU's (bfloat16 matmuls run in float32 on CPU, so
they come out larger).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from agentrl.errors import ConfigError
from agentrl.train.config import TrainConfig

GB = 10**9
BREAKDOWN = (
    "parameters",
    "master_weights",
    "reference",
    "optimizer_state",
    "gradients",
    "activations_and_temporaries",
    "kv_cache",
)
# Prompt length the sampler programs are planned for when the caller does not say: chat
# prompts of math problems (DeepScaleR, GSM8K) are 50-300 tokens with their template.
DEFAULT_PROMPT_TOKENS = 256


def device_memory_limit() -> int | None:
    """The first local device's memory limit as JAX reports it (None on CPU)."""
    stats = jax.local_devices()[0].memory_stats()
    if not stats or "bytes_limit" not in stats:
        return None
    return int(stats["bytes_limit"])


@dataclass
class Program:
    """One compiled program's per-device figures (bytes)."""

    name: str
    stage: str
    argument: int
    output: int
    alias: int
    temp: int
    resident_elsewhere: int  # resident buffers that are not among its arguments
    kv_cache: int = 0
    gradients: int = 0
    compile_s: float = 0.0

    @property
    def own(self) -> int:
        return self.argument + self.output - self.alias + self.temp

    @property
    def peak(self) -> int:
        return self.own + self.resident_elsewhere

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "peak_bytes": self.peak,
            "argument_bytes": self.argument,
            "output_bytes": self.output,
            "alias_bytes": self.alias,
            "temp_bytes": self.temp,
            "resident_elsewhere_bytes": self.resident_elsewhere,
            "compile_seconds": round(self.compile_s, 2),
        }


def nbytes(tree: Any) -> int:
    """Per-device bytes of an abstract (or concrete) tree: each leaf's shard on one device."""
    total = 0
    for leaf in jax.tree.leaves(tree):
        shape = tuple(leaf.shape)
        sharding = getattr(leaf, "sharding", None)
        if sharding is not None:
            shape = tuple(sharding.shard_shape(shape))
        total += math.prod(shape) * np.dtype(leaf.dtype).itemsize
    return total


class _Ids:
    """What the learners and the sampler read of a tokenizer, for a config-only folder."""

    def __init__(self, pad: int, eos: tuple[int, ...]) -> None:
        self.pad_token_id = pad
        self.eos_token_ids = eos

    def decode(self, ids: Any) -> str:  # never called while lowering
        return ""


def abstract_policy(config: TrainConfig) -> tuple[Any, Any]:
    """The run's model built with `nnx.eval_shape` (no weights), and what stands in for its
    tokenizer: `agentrl.train.build.build_policy` without reading a weight (the same
    dtypes, then the same `finish_policy`)."""
    from agentrl.models.transformer import CausalLM
    from agentrl.train.build import finish_policy, policy_dtypes

    kinds = policy_dtypes(config)
    if config.model.path is None:
        from agentrl.models.tiny import tiny_model, tiny_tokenizer

        tokenizer = tiny_tokenizer()
        overrides = {**config.model.tiny, **kinds}
        model = nnx.eval_shape(
            lambda: finish_policy(tiny_model(seed=config.seed, **overrides)[0], config)
        )
        return model, tokenizer
    from agentrl.models import read_config

    model_config = read_config(config.model.path)
    model = nnx.eval_shape(
        lambda: finish_policy(CausalLM(model_config, rngs=nnx.Rngs(0), **kinds), config)
    )
    eos = model_config.eos_token_id
    eos_ids = (eos,) if isinstance(eos, int) else tuple(eos or ())
    pad = model_config.pad_token_id
    return model, _Ids(pad if pad is not None else (eos_ids[0] if eos_ids else 0), eos_ids)


@dataclass
class Residents:
    """A stage's resident state as abstract trees whose leaves are shared objects: the model's
    weights, the learner's trainable params, frozen rest, optimizer state and reference."""

    learner: Any
    graphdef: Any  # the model's, after the stage changed it (adapters, quantized kernels)
    weights: Any
    params: Any
    frozen: Any
    opt_state: Any
    reference: Any  # the ReferencePolicy's states, or None
    leaf_ids: dict[int, int]  # id(leaf) -> per-device bytes, every resident leaf once
    groups: dict[str, int]  # bytes per group (a leaf counts in the first group holding it)

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    def elsewhere(self, args: Any, kept: set[int] | None = None) -> int:
        """Resident bytes that are not among the arguments a program keeps (`kept`: indices
        into the flattened `args`; jit drops the ones its program never reads)."""
        leaves = jax.tree.leaves(args)
        kept = set(range(len(leaves))) if kept is None else kept
        passed = {id(x) for i, x in enumerate(leaves) if i in kept}
        return sum(b for i, b in self.leaf_ids.items() if i not in passed)


def build_residents(
    config: TrainConfig,
    model: Any,
    tokenizer: Any,
    make_learner: Any,
    mesh: Any = None,
    *,
    adapters: bool = False,
) -> Residents:
    """Trace the learner's construction on the abstract model and return its resident state.

    `make_learner(ctx)` is the pipeline's `rl_learner` or `sft_learner`. It runs inside a
    jitted function of the model's state, so the optimizer state and the reference copy come
    out as abstract values carrying the shardings XLA gives them from the parameters'.
    """
    from agentrl.train.stages import RunContext

    graphdef, state = nnx.split(model)
    if mesh is not None:  # the weights as the family's partition rules place them
        state = sharded(model, state, mesh)
    holder: dict[str, Any] = {}

    def build(state: Any) -> Any:
        live = nnx.merge(graphdef, state)
        stub = SimpleNamespace(policy_version=0)  # what attach_adapters tells a sampler
        ctx = RunContext(config, live, tokenizer, stub, None, lambda *a: None, mesh=mesh)  # type: ignore[arg-type]
        if adapters:  # the RL stage: model.quantize and model.lora, as the pipeline attaches them
            from agentrl.train.stages import attach_adapters

            attach_adapters(ctx)
        learner = make_learner(ctx)
        holder["graphdef"] = nnx.graphdef(live)
        ref = getattr(learner, "ref", None)
        # Each resident leaf counts once, in the first group holding it: the model's weights
        # (which the sampler reads), a master copy the optimizer updates, the optimizer's
        # state, the reference policy's own copy.
        trees = [
            ("parameters", nnx.state(live)),
            ("master_weights", learner.params),
            ("parameters", learner.frozen),
            ("optimizer_state", learner.opt_state),
            ("reference", None if ref is None else ref._states),
        ]
        unique: list[Any] = []
        index: dict[int, int] = {}
        layout = []
        for name, tree in trees:
            leaves, treedef = jax.tree.flatten(tree)
            slots = []
            for leaf in leaves:
                if id(leaf) not in index:
                    index[id(leaf)] = len(unique)
                    unique.append(leaf)
                slots.append(index[id(leaf)])
            layout.append((name, treedef, slots))
        holder.update(learner=learner, layout=layout)
        return unique

    lowered = jax.jit(build).lower(state)
    compiled = lowered.compile()
    shapes = jax.tree.leaves(lowered.out_info)
    shardings = jax.tree.leaves(compiled.output_shardings)
    flat = [jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh) for s, sh in zip(shapes, shardings)]
    layout = holder["layout"]
    learner = holder["learner"]
    if mesh is not None:  # the optimizer state as the learner places it on a real mesh
        slots = next(entry[2] for entry in layout if entry[0] == "optimizer_state")
        learner.params = jax.tree.unflatten(layout[1][1], [flat[i] for i in layout[1][2]])
        placed = jax.tree.leaves(learner._opt_shardings())
        for i, sharding in zip(slots, placed):
            flat[i] = jax.ShapeDtypeStruct(flat[i].shape, flat[i].dtype, sharding=sharding)
    trees = [jax.tree.unflatten(treedef, [flat[i] for i in slots]) for _, treedef, slots in layout]
    groups = dict.fromkeys(("parameters", "master_weights", "optimizer_state", "reference"), 0)
    counted: set[int] = set()
    for name, _, slots in layout:
        fresh = {i for i in slots if i not in counted}
        counted.update(fresh)
        groups[name] += nbytes([flat[i] for i in fresh])
    return Residents(
        learner=holder["learner"],
        graphdef=holder["graphdef"],
        weights=trees[0],
        params=trees[1],
        frozen=trees[2],
        opt_state=trees[3],
        reference=trees[4],
        leaf_ids={id(leaf): nbytes(leaf) for leaf in flat},
        groups=groups,
    )


def sharded(model: Any, state: Any, mesh: Any) -> Any:
    """Abstract `state` with each leaf on its rule's `NamedSharding` (see
    `agentrl.models.sharding`). The optimizer state, a master copy and a reference copy then
    take their shardings from these in the traced learner, as XLA gives them in a run."""
    from jax.sharding import NamedSharding

    from agentrl.models.sharding import path_str, rules_for, spec_for

    rules = rules_for(model)

    def one(path: Any, leaf: Any) -> Any:
        spec = spec_for(path_str(path), leaf.shape, mesh, rules)
        return jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=NamedSharding(mesh, spec))

    return jax.tree_util.tree_map_with_path(one, state)


def _kept_arguments(lowered: Any) -> set[int] | None:
    """Which flattened arguments the compiled program kept (None: all, or unknown)."""
    lowering = getattr(lowered, "_lowering", None)
    kept = getattr(lowering, "compile_args", {}).get("kept_var_idx")
    return None if kept is None else set(kept)


def multi_turn(config: TrainConfig) -> bool:
    """Whether the run's env takes more than one turn (``rollout.engine=auto`` then runs the
    continuous engine), from the env built without a data file.

    Raises:
        ConfigError: the env cannot be built without its data file.
    """
    import agentrl
    from agentrl.errors import EnvError
    from agentrl.train.build import max_turns

    try:
        env = agentrl.make(config.env.id, **config.env.kwargs)
    except EnvError as e:
        raise ConfigError(
            f"the plan cannot build env {config.env.id!r} to count its turns ({e}); set "
            "rollout.engine=static or continuous"
        ) from None
    return max_turns(env) > 1


class Planner:
    """Compiles one run's programs on abstract inputs and keeps their figures."""

    def __init__(
        self, config: TrainConfig, prompt_tokens: int | None = None, mesh: Any = None
    ) -> None:
        self.config = config
        ctx = config.model.max_context
        if prompt_tokens is None:
            # Room the completion budgets leave in the context, else a typical math prompt.
            longest = max(config.rollout.max_tokens, config.eval.max_tokens)
            room = ctx - longest
            prompt_tokens = (
                min(room, DEFAULT_PROMPT_TOKENS) if room >= 16 else DEFAULT_PROMPT_TOKENS
            )
        self.prompt_tokens = max(1, min(prompt_tokens, ctx - 1))
        self.model, self.tokenizer = abstract_policy(config)
        from agentrl.infra.mesh import make_mesh
        from agentrl.train.build import check_rollout_split

        # As the run: the config's mesh, and a mesh of one device places nothing.
        full = make_mesh(config.mesh if mesh is None else mesh)
        check_rollout_split(config, full)
        self.mesh = full if full.size > 1 else None
        self.programs: list[Program] = []

    # -- placement ---------------------------------------------------------------------------
    def _put(self, tree: Any) -> Any:
        """Abstract host arrays as a learner's `put` places them (batch axes split)."""
        if self.mesh is None:
            return tree
        from jax.sharding import NamedSharding

        from agentrl.models.sharding import BATCH_SPEC

        sharding = NamedSharding(self.mesh, BATCH_SPEC)
        return jax.tree.map(
            lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), tree
        )

    def _replicated(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """An abstract input every device holds whole (the sampler's small host inputs)."""
        if self.mesh is None:
            return jax.ShapeDtypeStruct(shape, dtype)
        from jax.sharding import NamedSharding, PartitionSpec

        return jax.ShapeDtypeStruct(
            shape, dtype, sharding=NamedSharding(self.mesh, PartitionSpec())
        )

    def _compile(
        self, name: str, stage: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
        residents: Residents,
    ) -> tuple[Program, Any]:  # fmt: skip
        started = time.perf_counter()
        lowered = fn.lower(*args, **kwargs)
        compiled = lowered.compile()
        stats = compiled.memory_analysis()
        if stats is None:
            raise ConfigError(f"the {jax.default_backend()} backend gives no memory analysis")
        program = Program(
            name,
            stage,
            argument=int(stats.argument_size_in_bytes),
            output=int(stats.output_size_in_bytes),
            alias=int(stats.alias_size_in_bytes),
            temp=int(stats.temp_size_in_bytes),
            resident_elsewhere=residents.elsewhere(args, _kept_arguments(lowered)),
            compile_s=time.perf_counter() - started,
        )
        self.programs.append(program)
        shapes = jax.tree.leaves(lowered.out_info)
        shardings = jax.tree.leaves(compiled.output_shardings)
        out = jax.tree.unflatten(
            jax.tree.structure(lowered.out_info),
            [jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=h) for s, h in zip(shapes, shardings)],
        )
        return program, out

    # -- the sampler -------------------------------------------------------------------------
    def sampler_programs(self, stage: str, residents: Residents) -> None:
        """Prefill and decode at the rollout's and the held-out eval's batches."""
        from agentrl.sampling.base import SamplingParams
        from agentrl.sampling.jax_sampler import padded_shapes
        from agentrl.train.build import build_sampler

        cfg = self.config
        engine = cfg.rollout.engine
        if engine == "auto":
            engine = "continuous" if multi_turn(cfg) else "static"
        if engine != "static":
            raise ConfigError(
                f"got rollout.engine={cfg.rollout.engine!r} (the continuous engine here): the "
                "plan covers the static sampler (rollout.engine=static) only"
            )
        sampler = build_sampler(cfg, self.model, self.tokenizer, multi_turn=False, mesh=self.mesh)
        ctx, p_len = cfg.model.max_context, self.prompt_tokens
        cases = []
        if stage == "rl":
            rows = min(
                cfg.rollout.max_concurrency, cfg.rollout.prompts_per_step * cfg.rollout.group_size
            )
            unique = max(1, math.ceil(rows / cfg.rollout.group_size))
            params = SamplingParams(temperature=cfg.rollout.temperature, top_p=cfg.rollout.top_p)
            cases.append(
                ("rollout", rows, unique, min(cfg.rollout.max_tokens, ctx - p_len), params)
            )
        rows = min(cfg.rollout.max_concurrency, cfg.eval.num_problems)
        greedy = SamplingParams(temperature=0.0)
        cases.append(("eval", rows, rows, min(cfg.eval.max_tokens, ctx - p_len), greedy))
        graphdef = residents.graphdef
        seen = set()
        for name, rows, unique, budget, params in cases:
            b, u, p, d = padded_shapes(
                rows, unique, p_len, budget, sampler.min_bucket, sampler._shards
            )
            key = (b, u, p, d, params.temperature == 0)
            if key in seen:
                continue
            seen.add(key)
            self._sampler_pair(
                f"{name}_", stage, sampler, graphdef, (b, u, p, d), params, residents
            )

    def _sampler_pair(
        self, prefix: str, stage: str, sampler: Any, graphdef: Any, shape: tuple[int, ...],
        params: Any, residents: Residents,
    ) -> None:  # fmt: skip
        from agentrl.sampling.processors import FilterConfig

        b, u, p, d = shape
        sds = self._replicated
        knobs = jax.tree.map(lambda x: sds(x.shape, x.dtype), sampler._knobs(params))
        keys = jax.eval_shape(lambda: jax.random.split(jax.random.PRNGKey(0), b))
        keys = sds(keys.shape, keys.dtype)
        config = FilterConfig.from_params(params, sampler._vocab_size)
        args = (
            residents.weights, sds((u, p), jnp.int32), sds((u, p), jnp.bool_),
            sds((b,), jnp.int32), keys, sds((b,), jnp.int32), knobs,
        )  # fmt: skip
        static = {"graphdef": graphdef, "config": config, "d": d}
        prefill, state = self._compile(
            prefix + "prefill", stage, sampler._prefill, args, static, residents
        )
        prefill.kv_cache = nbytes(state.cache)
        decode_args = (residents.weights, state, knobs, sds((), jnp.int32))
        decode, _ = self._compile(
            prefix + "decode", stage, sampler._decode, decode_args,
            {"graphdef": graphdef, "config": config}, residents,
        )  # fmt: skip
        decode.kv_cache = nbytes(state.cache)

    # -- the learners ------------------------------------------------------------------------
    def host_batch(self, rows: int, length: int) -> Any:
        """An abstract host `TokenBatch` of `rows` x `length` positions (pack_sequences' dtypes)."""
        from agentrl.trainers.batching import pack_sequences

        one = pack_sequences([[0, 0]], [[1, 1]], length=length)
        return jax.tree.map(lambda x: jax.ShapeDtypeStruct((rows, *x.shape[1:]), x.dtype), one)

    def update_program(self, name: str, stage: str, residents: Residents, batch: Any) -> None:
        learner = residents.learner
        args = (residents.params, residents.opt_state, residents.frozen, None, self._put(batch))
        program, _ = self._compile(name, stage, learner._update, args, {}, residents)
        program.gradients = nbytes(residents.params)

    def write_back_program(self, stage: str, residents: Residents) -> None:
        """With a float32 master copy, each step rounds it into fresh model weights, which
        exist next to the old ones until the modules take them."""
        learner = residents.learner
        if getattr(learner, "_master", False):
            self._compile(
                f"{stage}_write_back", stage, learner._to_model, (residents.params,), {}, residents
            )

    def rl_programs(self, residents: Residents) -> None:
        """GRPO: reference scoring and advantages on the rollout batch, the minibatch update."""
        from agentrl.trainers.batching import bucket_length, bucket_rows

        cfg, learner = self.config, residents.learner
        c = learner.config
        length = bucket_length(cfg.model.max_context - 1, c.buckets)
        episodes = cfg.rollout.prompts_per_step * cfg.rollout.group_size
        rows = bucket_rows(episodes, learner.row_multiple * c.num_minibatches)
        batch = self._put(self.host_batch(rows, length))
        ref_bl = None
        if learner.ref is not None:  # scored a micro-batch at a time (ReferencePolicy.logprobs)
            micro = cfg.update.micro_batch_rows or rows
            part = jax.tree.map(
                lambda x: jax.ShapeDtypeStruct((micro, *x.shape[1:]), x.dtype), batch
            )
            _, ref_bl = self._compile(
                "reference", "rl", learner.ref._score, (residents.reference, self._put(part)), {},
                residents,
            )  # fmt: skip
            ref_bl = jax.ShapeDtypeStruct((rows, *ref_bl.shape[1:]), ref_bl.dtype)
            ref_bl = self._put(ref_bl)
        args = (residents.params, residents.frozen, batch, ref_bl)
        _, prepared = self._compile("advantages", "rl", learner._prepare, args, {}, residents)
        mb_rows = rows // c.num_minibatches
        minibatch = jax.tree.map(
            lambda x: jax.ShapeDtypeStruct((mb_rows, *x.shape[1:]), x.dtype), prepared
        )
        self.update_program("update", "rl", residents, minibatch)
        self.write_back_program("rl", residents)

    def sft_program(self, residents: Residents) -> None:
        from agentrl.trainers.batching import bucket_length, bucket_rows

        cfg, learner = self.config, residents.learner
        length = bucket_length(cfg.model.max_context - 1, learner.config.buckets)
        rows = bucket_rows(cfg.warm_start.batch_size, learner.row_multiple)
        self.update_program("sft_update", "warm_start", residents, self.host_batch(rows, length))
        self.write_back_program("warm_start", residents)

    # -- the whole run -----------------------------------------------------------------------
    def run(self) -> list[tuple[str, Residents]]:
        from agentrl.train.stages import rl_learner, sft_learner

        cfg = self.config
        if cfg.algo != "grpo":
            raise ConfigError(
                f"got algo={cfg.algo!r}: the plan covers algo=grpo (and its warm-start)"
            )
        stages = []
        if cfg.warm_start.enabled:
            warm = build_residents(cfg, self.model, self.tokenizer, sft_learner, self.mesh)
            self.sft_program(warm)
            self.sampler_programs("warm_start", warm)
            stages.append(("warm_start", warm))
        rl = build_residents(cfg, self.model, self.tokenizer, rl_learner, self.mesh, adapters=True)
        self.sampler_programs("rl", rl)
        self.rl_programs(rl)
        stages.append(("rl", rl))
        return stages


def plan(
    config: TrainConfig,
    *,
    device_memory: int | None = None,
    prompt_tokens: int | None = None,
    mesh: Any = None,
) -> dict[str, Any]:
    """The memory plan of `config` as one JSON-able dict (see the module docstring).

    Args:
        config: the run's resolved config.
        device_memory: bytes per device to check against (default: the device's own limit,
            when JAX reports one).
        prompt_tokens: prompt length the sampler programs are planned for (default 256).
        mesh: a `agentrl.infra.mesh.MeshConfig` instead of the config's ``mesh``, over the
            devices of this process (fake CPU devices on a laptop:
            ``XLA_FLAGS=--xla_force_host_platform_device_count=8``; `plan_in_subprocess`
            starts such a process).
    """
    started = time.perf_counter()
    planner = Planner(config, prompt_tokens, mesh)
    stages = dict(planner.run())
    peak = max(planner.programs, key=lambda p: p.peak)
    residents = stages[peak.stage]
    breakdown = {
        "parameters": residents.groups["parameters"],
        "master_weights": residents.groups["master_weights"],
        "reference": residents.groups["reference"],
        "optimizer_state": residents.groups["optimizer_state"],
        "gradients": peak.gradients,
        "kv_cache": peak.kv_cache,
    }
    breakdown["activations_and_temporaries"] = peak.peak - sum(breakdown.values())
    budget = device_memory if device_memory is not None else device_memory_limit()
    out: dict[str, Any] = {
        "per_device_bytes": peak.peak,
        "per_device_gb": round(peak.peak / GB, 3),
        "peak_program": peak.name,
        "breakdown": {k: breakdown[k] for k in BREAKDOWN},
        "device_memory_bytes": budget,
        "fits": None if budget is None else peak.peak <= budget,
        "programs": {p.name: p.as_dict() for p in planner.programs},
        "settings": settings(config, planner),
        "backend": jax.default_backend(),
        "num_devices": 1 if planner.mesh is None else planner.mesh.size,
        "plan_seconds": round(time.perf_counter() - started, 1),
    }
    if out["fits"] is False:
        from agentrl.train.plan_check import suggestions

        out["suggestions"] = suggestions(config, residents, peak, budget)  # type: ignore[arg-type]
    return out


def settings(config: TrainConfig, planner: Planner) -> dict[str, Any]:
    """The config values the figures depend on."""
    model = planner.model.config
    learner = config.grpo
    return {
        "model": config.model.path or "builtin-tiny",
        "model_type": model.model_type,
        "num_parameters": model.num_parameters(),
        "max_context": config.model.max_context,
        "prompt_tokens": planner.prompt_tokens,
        "model.param_dtype": config.model.dtypes().params,
        "model.compute_dtype": config.model.dtypes().compute,
        "model.kv_cache_dtype": config.model.dtypes().kv_cache,
        "model.remat": config.model.remat,
        "update.micro_batch_rows": config.update.micro_batch_rows,
        "update.master_weights": config.update.master_weights,
        "update.opt_state_dtype": config.update.opt_state_dtype,
        "rollout.max_concurrency": config.rollout.max_concurrency,
        "rollout.prompts_per_step": config.rollout.prompts_per_step,
        "rollout.group_size": config.rollout.group_size,
        "rollout.max_tokens": config.rollout.max_tokens,
        "eval.max_tokens": config.eval.max_tokens,
        "grpo.num_minibatches": learner.num_minibatches,
        "grpo.kl_coef": learner.kl_coef,
        "optimizer": learner.optimizer.name,
        "warm_start.enabled": config.warm_start.enabled,
        "mesh": None if planner.mesh is None else dict(planner.mesh.shape),
    }
