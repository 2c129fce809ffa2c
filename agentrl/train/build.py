"""The parts of an `agentrl train` run, built from its config: the policy, the sampler, the task
split and the data a run learns from, and the checks that stop a bad config before anything
loads. `agentrl.train.pipeline` runs them in order; `agentrl.train.plan` builds the same parts on
abstract shapes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError, EnvError
from agentrl.train.config import TrainConfig
from agentrl.train.datasets import (
    Chat,
    Preference,
    fields_found,
    read_own_data,
    same_vocabulary,
)
from agentrl.train.tasks import TaskSplit


def build_policy(config: TrainConfig, mesh: Any = None) -> tuple[Any, Any]:
    """The model and tokenizer: a Hugging Face folder (read straight into its shards), or the
    built-in tiny model, in the run's dtypes and with its remat policy, sharded on `mesh` by
    the family's partition rules (what `finish_policy` adds too)."""
    kinds = policy_dtypes(config)
    if config.model.path is not None:
        from agentrl.models import load

        model, tokenizer = load(config.model.path, mesh=mesh, **kinds)
    else:
        from agentrl.models.tiny import tiny_model

        model, tokenizer = tiny_model(seed=config.seed, **{**config.model.tiny, **kinds})
    model = finish_policy(model, config)
    if mesh is not None:
        from agentrl.models.sharding import shard_model

        shard_model(model, mesh)
    return model, tokenizer


def policy_dtypes(config: TrainConfig) -> dict[str, Any]:
    """The ``dtype`` / ``param_dtype`` arguments the run's model is built with."""
    import jax.numpy as jnp

    dtypes = config.model.dtypes()
    return {"dtype": jnp.dtype(dtypes.compute), "param_dtype": jnp.dtype(dtypes.params)}


def finish_policy(model: Any, config: TrainConfig) -> Any:
    """What a run does to the freshly built (or loaded) model before anything uses it. The
    memory plan (`agentrl.train.plan`) runs this on the abstract model too, so whatever it
    changes (remat, adapters, quantized kernels) is planned for."""
    model.remat = config.model.remat
    return model


def mesh_summary(mesh: Any) -> dict[str, Any]:
    """What summary.json records of the mesh: the axis sizes used and the devices/processes."""
    import jax

    return {
        "mesh": {axis: int(size) for axis, size in mesh.shape.items()},
        "num_devices": jax.device_count(),
        "num_processes": jax.process_count(),
    }


def check_rollout_split(config: TrainConfig, mesh: Any) -> None:
    """An RL step's rows (``prompts_per_step x group_size``) must split evenly into the
    learner's minibatches and micro-batches, each over the mesh's data x fsdp devices:
    otherwise padding rows would fill whole minibatches, which are skipped, and the run would
    take fewer, larger optimizer steps than the same config on one device.

    Raises:
        ConfigError: naming the values and the multiple they need.
    """
    from agentrl.models.sharding import batch_shards

    if config.algo not in ("grpo", "ppo"):
        return
    minibatches = (config.grpo if config.algo == "grpo" else config.ppo).num_minibatches
    rows = config.rollout.prompts_per_step * config.rollout.group_size
    shards = batch_shards(mesh)
    part = config.update.micro_batch_rows or shards  # a minibatch's rows split into these
    multiple = minibatches * part
    if rows % multiple:
        what = (
            f"update.micro_batch_rows={part}"
            if config.update.micro_batch_rows
            else f"data x fsdp = {shards} devices"
        )
        raise ConfigError(
            f"got rollout.prompts_per_step={config.rollout.prompts_per_step} x "
            f"rollout.group_size={config.rollout.group_size} = {rows} rows per step, which do "
            f"not split into {config.algo}.num_minibatches={minibatches} minibatches of "
            f"whole multiples of {what}; need a multiple of {multiple} rows"
        )


def check_teacher(config: TrainConfig) -> None:
    """algo=distill: the teacher folder's tokenizer must be the student's (the teacher scores
    the student's token ids). Reads the tokenizers only, so a bad teacher fails fast.

    Raises:
        ConfigError: no such folder, or the two vocabularies differ (naming both).
    """
    from agentrl.tokenizer import Tokenizer

    teacher = config.model.teacher
    if teacher is None or not Path(teacher).is_dir():
        raise ConfigError(f"got model.teacher={teacher!r}, need a Hugging Face model folder")
    if config.model.path is not None:
        student, student_name = Tokenizer.from_pretrained(config.model.path), config.model.path
    else:
        from agentrl.models.tiny import tiny_tokenizer

        student, student_name = tiny_tokenizer(), "the built-in tiny model"
    same_vocabulary(student, Tokenizer.from_pretrained(teacher), student_name, teacher)


def max_turns(env: Any) -> int:
    """An env's turns per episode, read through its wrappers (1 when it does not say)."""
    try:
        return int(env.get_wrapper_attr("max_turns"))
    except AttributeError:
        return int(getattr(env, "max_turns", 1))


def build_sampler(
    config: TrainConfig, model: Any, tokenizer: Any, *, multi_turn: bool, mesh: Any = None
) -> Any:
    """The sampler rollouts use, reading the live weights (``rollout.engine``; ``auto`` picks
    the continuous engine for an env whose episodes take more than one turn), its KV cache
    sharded on `mesh`."""
    import jax.numpy as jnp

    rollout = config.rollout
    cache_dtype = jnp.dtype(config.model.dtypes().kv_cache)
    engine = rollout.engine
    if engine == "auto":
        engine = "continuous" if multi_turn else "static"
    if engine == "continuous":
        from agentrl.sampling.engine_sampler import EngineSampler

        return EngineSampler(
            model,
            tokenizer,
            max_context=config.model.max_context,
            seed=config.seed,
            num_slots=rollout.max_concurrency + rollout.group_size,
            cache_dtype=cache_dtype,
            mesh=mesh,
        )
    from agentrl.sampling.jax_sampler import JaxSampler

    return JaxSampler(
        model,
        tokenizer,
        max_context=config.model.max_context,
        seed=config.seed,
        max_batch=rollout.max_concurrency,
        cache_dtype=cache_dtype,
        mesh=mesh,
    )


def build_split(config: TrainConfig) -> tuple[TaskSplit, Any | None]:
    """The training env, held-out selection, and the env holding warm-start solutions."""
    import agentrl

    env_cfg = config.env

    def make(key: str, data: str | None) -> Any:
        kwargs = dict(env_cfg.kwargs)
        if data is not None:
            if not Path(data).is_file():
                what = "a folder" if Path(data).is_dir() else "not there"
                raise ConfigError(f"got {key}={data!r}, which is {what}; need a data file")
            kwargs["data"] = data
        try:
            return agentrl.make(env_cfg.id, **kwargs)
        except EnvError as e:  # name what the file has: it may be meant as chat data
            if data is None:
                raise
            raise ConfigError(
                f"got {key}={data!r}, which env {env_cfg.id!r} cannot use ({e}); "
                f"{fields_found(data)}; chat data needs 'messages', preference pairs "
                "'prompt', 'chosen', 'rejected' (pass those as data=FILE)"
            ) from None

    env = make("env.data", env_cfg.data)
    eval_env = make("env.eval_data", env_cfg.eval_data) if env_cfg.eval_data else None
    sft_env = make("env.sft_data", env_cfg.sft_data) if env_cfg.sft_data else None
    return TaskSplit.build(env, eval_env, config.eval.num_problems), sft_env


@dataclass
class RunData:
    """Every problem a run uses: the split, the SFT pool with its prompts, and a data file's
    preference pairs (``data``, algo=dpo)."""

    split: TaskSplit
    conversations: list[Chat]
    pool_prompts: list[str]
    pairs: list[Preference] = field(default_factory=list)
    agent: Any = None  # the RL step source of agent.program or a recording (train/agents.py)


def prepare_data(config: TrainConfig) -> RunData:
    """The task split, the SFT pool (a chat file's conversations, else the env's worked
    solutions) and preference pairs: every data check of a run, done before anything slow
    (or a run folder) is made."""
    if config.algo == "distill":
        check_teacher(config)
    split, sft_env = build_split(config)
    agent = prepare_agent(config, split)
    if config.data is not None and agent is None:
        own = read_own_data(
            config.data, config.algo, split.heldout_prompts(), mode=config.distill.mode
        )
        if own.held_out:
            say(f"{own.held_out} records of {config.data} are held-out problems, left out")
        if own.kind == "chat":
            return RunData(split, own.chats, own.prompts)
    else:
        own = None
    conversations: list[Chat] = []
    prompts: list[str] = []
    on_pool = config.algo == "sft" or (
        config.algo == "distill" and config.distill.mode != "on_policy"
    )
    if config.warm_start.enabled or on_pool or config.control == "sft":
        solutions, prompts = split.warm_start_conversations(config.warm_start.pool_size, sft_env)
        conversations = [Chat(list(m)) for m in solutions]
    pairs = own.pairs if own is not None else []
    return RunData(split, conversations, prompts + [p.prompt_text for p in pairs], pairs, agent)


def prepare_agent(config: TrainConfig, split: TaskSplit) -> Any:
    """``agent.program``'s loaded function, or ``data`` as a recording, as an RL step source
    (None for neither); loading fails here, before a run folder is made."""
    from agentrl.train.recorded import RecordedSessions, is_recording, read_recording

    if config.agent.program is not None:
        from agentrl.train.agents import AgentPrograms, load_agent

        return AgentPrograms(load_agent(config.agent.program), config.agent.program)
    if not is_recording(config.data):
        return None
    assert config.data is not None  # is_recording says so
    if config.algo not in ("grpo", "ppo"):
        raise ConfigError(
            f"got data={config.data!r}, a serve recording, with algo={config.algo}; "
            "recorded sessions train with algo grpo or ppo"
        )
    recording = read_recording(config.data, split.heldout_prompts())
    say(recording.describe(config.data))
    return RecordedSessions(recording)


def say(text: str) -> None:
    """A line for the user on stderr, as the run's other notices."""
    print(f"agentrl: {text}", file=sys.stderr, flush=True)
