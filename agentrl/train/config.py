"""The config tree of one `agentrl train` run: every hyperparameter visible in one place.

Layering (`load_config`): the env's recommended preset (``presets/<env>.yaml``, or
``<env>-hf.yaml`` when a real checkpoint is given) < ``--config FILE`` < ``--set a.b=v``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import Field, model_validator

from agentrl.config import Config
from agentrl.infra.configs import CheckpointConfig, LoggingConfig, MeshConfig
from agentrl.models.lora import LoRAConfig
from agentrl.trainers.distill import DistillConfig
from agentrl.trainers.dpo import DPOConfig
from agentrl.trainers.grpo import GRPOConfig
from agentrl.trainers.learner import DType, UpdateConfig
from agentrl.trainers.off_policy import OffPolicyConfig
from agentrl.trainers.ppo import PPOConfig
from agentrl.trainers.sft import SFTConfig

Algo = Literal["grpo", "ppo", "dpo", "sft", "distill"]
PRESETS = Path(__file__).parent / "presets"


class ModelSection(Config):
    """Which policy to train."""

    path: str | None = Field(
        default=None, description="Hugging Face checkpoint folder; None builds the tiny model"
    )
    tiny: dict[str, Any] = Field(
        default_factory=dict, description="overrides of the built-in tiny model's config"
    )
    max_context: int = Field(default=512, ge=16, description="prompt + completion tokens at most")
    teacher: str | None = Field(
        default=None,
        description="algo=distill: the teacher's Hugging Face folder (the same tokenizer)",
    )
    param_dtype: DType | None = Field(
        default=None,
        description="storage dtype of the weights; None: bfloat16 with a checkpoint (path), "
        "float32 for the tiny model",
    )
    compute_dtype: DType | None = Field(
        default=None,
        description="dtype of matmuls and activations (logits, log-probs and ratios are float32 "
        "whatever it is); None: as param_dtype",
    )
    kv_cache_dtype: DType | None = Field(
        default=None, description="dtype of the samplers' KV caches; None: compute_dtype"
    )
    remat: Literal["none", "layer", "dots"] = Field(
        default="none",
        description="what the update's backward pass recomputes instead of keeping: none; layer "
        "(each decoder layer keeps only its input); dots (keeps the projections' outputs)",
    )
    lora: LoRAConfig | None = Field(
        default=None,
        description="train LoRA adapters {rank, alpha, targets} on a frozen base in the RL "
        "stage (after the warm-start); the reference policy is the base (adapters off) and the "
        "run exports the PEFT adapter beside the merged model; None: full fine-tuning",
    )
    quantize: Literal["int8", "nf4"] | None = Field(
        default=None,
        description="with lora: store the frozen base's projections in int8 or NF4 (QLoRA)",
    )

    @model_validator(mode="after")
    def _check(self) -> ModelSection:
        if self.quantize is not None and self.lora is None:
            raise ValueError(
                f"got quantize={self.quantize!r} without lora: a quantized base cannot be "
                "trained; set lora (e.g. lora.rank=16) too"
            )
        return self

    def dtypes(self) -> ModelDTypes:
        """The dtypes a run uses, with the defaults resolved (not in the config itself, so that
        a preset validated before ``--model`` sets `path` still gets bfloat16)."""
        params = self.param_dtype or ("float32" if self.path is None else "bfloat16")
        compute = self.compute_dtype or params
        return ModelDTypes(params, compute, self.kv_cache_dtype or compute)


class ModelDTypes(NamedTuple):
    """`ModelSection.dtypes`: the run's resolved dtype names."""

    params: str
    compute: str
    kv_cache: str


class EnvSection(Config):
    """What to train on."""

    id: str = Field(default="deepscaler", description="registered env id")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="env constructor arguments")
    data: str | None = Field(
        default=None, description="training prompts file (answers, no solutions needed)"
    )
    eval_data: str | None = Field(
        default=None, description="held-out file; default: the last eval.num_problems of data"
    )
    sft_data: str | None = Field(
        default=None,
        description="worked-solution file for the warm-start; default: the env's own solutions",
    )


class WarmStartSection(Config):
    """Supervised warm-start on a small, fixed pool of worked solutions (as real data is)."""

    enabled: bool = True
    pool_size: int = Field(default=1000, ge=1, description="worked solutions available")
    batch_size: int = Field(default=64, ge=1)
    sft: SFTConfig = Field(
        default=SFTConfig(),
        description="optimizer etc. of every pool SFT: the warm-start, --control sft, --algo sft",
    )
    target_accuracy: float = Field(
        default=0.3, ge=0, le=1, description="stop once held-out accuracy reaches this"
    )
    eval_every: int = Field(default=100, ge=1, description="warm-start steps between evals")
    max_steps: int = Field(default=3000, ge=0)
    patience: int = Field(
        default=6, ge=1, description="evals without improvement before calling it a plateau"
    )


class RolloutSection(Config):
    """How the RL stage samples."""

    prompts_per_step: int = Field(default=32, ge=1)
    group_size: int = Field(default=8, ge=1, description="samples per prompt (GRPO group)")
    temperature: float = Field(default=1.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=64, ge=1, description="completion tokens per turn")
    engine: Literal["auto", "static", "continuous"] = Field(
        default="auto",
        description="continuous: the continuous-batching engine (episodes join and leave a "
        "running batch, KV cache reused across turns), for multi-turn and tool envs; static: "
        "one padded batch per turn (JaxSampler), faster when every episode is one turn of "
        "similar length; auto: continuous when the env has more than one turn, else static",
    )
    max_concurrency: int = Field(
        default=256,
        ge=1,
        description="episodes in flight at once (the sampler's batch); one RL step of the "
        "embedded default (32 prompts x 8) is one batch",
    )
    refill_rounds: int = Field(
        default=0,
        ge=0,
        description="with grpo.dynamic_sampling: extra rollouts of fresh prompts while fewer than "
        "prompts_per_step groups have differing rewards, then the batch keeps that many (DAPO's "
        "refill); 0 learns from the groups that are left",
    )
    backend: Literal["local", "server"] = Field(
        default="local",
        description="local: the in-process sampler, generation and update take turns; server: "
        "inference servers (rollout.endpoints or rollout.launch) sample the next steps while "
        "the trainer updates, and get its weights every rollout.sync_every updates",
    )
    endpoints: list[str] = Field(
        default_factory=list,
        description="backend=server: OpenAI-compatible servers of the policy (agentrl serve, "
        "vLLM), each reached at URL/v1",
    )
    server_kind: Literal["agentrl", "vllm"] = Field(
        default="agentrl",
        description="what rollout.endpoints are, for weight pushes: agentrl (POST /v1/weights, "
        "checksum verified) or vllm (VLLM_SERVER_DEV_MODE reload routes)",
    )
    launch: int = Field(
        default=0,
        ge=0,
        description="backend=server: start this many `agentrl serve` processes on loopback for "
        "the run (logs in RUN/servers/, stopped with the run, restarted if they die)",
    )
    launch_timeout_s: float = Field(
        default=300.0, gt=0, description="seconds a launched server may take to answer /health"
    )
    sync_every: int = Field(
        default=1, ge=1, description="backend=server: updates between weight pushes to servers"
    )
    max_staleness: int = Field(
        default=1,
        ge=0,
        description="backend=server: trajectories sampled more than this many policy versions "
        "before the update that would learn from them are dropped (and counted); rollouts run "
        "at most this far ahead. 0 is the synchronous algorithm",
    )
    request_batching: Literal["auto", "per_prompt", "per_call"] = Field(
        default="auto",
        description="per_call: one request holds all prompts of a generate call (agentrl serve "
        "--engine static samples them exactly as the local sampler); per_prompt: one request "
        "per prompt, spread over endpoints; auto: per_call for launched static-engine servers",
    )
    down_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="backend=server: when no endpoint answers for this long the run stops "
        "with an error (its last checkpoint intact, resume with --resume)",
    )


class ScheduleSection(Config):
    """How long the RL stage runs: whichever limit comes first."""

    max_steps: int = Field(default=1000, ge=0)
    time_budget_s: float | None = Field(
        default=None, gt=0, description="wall seconds for the RL stage"
    )
    run_budget_s: float | None = Field(
        default=None,
        gt=0,
        description="wall seconds for the whole run (the --control sft run not counted): "
        "the RL stage gets what the warm-start left, so a quick warm-start means more RL",
    )


class AgentSection(Config):
    """An OpenAI-client program as the environment (`agentrl.train.agents`)."""

    program: str | None = Field(
        default=None,
        description="'module:function' or 'file.py:function', function(base_url, task) -> "
        "reward, run rollout.group_size times per task against the run's own endpoint",
    )
    timeout_s: float = Field(
        default=600.0, gt=0, description="wall seconds per step's calls; later ones earn 0"
    )


class EvalSection(Config):
    """Held-out evaluation (greedy) before, during and after training."""

    num_problems: int = Field(default=256, ge=1)
    every: int = Field(default=25, ge=1, description="RL steps between evals")
    max_tokens: int = Field(default=64, ge=1)


class TrainConfig(Config):
    """One training run."""

    seed: int = 0
    algo: Algo = "grpo"
    env: EnvSection = EnvSection()
    model: ModelSection = ModelSection()
    warm_start: WarmStartSection = WarmStartSection()
    rollout: RolloutSection = RolloutSection()
    schedule: ScheduleSection = ScheduleSection()
    eval: EvalSection = EvalSection()
    agent: AgentSection = AgentSection()
    checkpoint: CheckpointConfig = CheckpointConfig(every=50, keep=2)
    logging: LoggingConfig = LoggingConfig()
    mesh: MeshConfig = Field(
        default=MeshConfig(),
        description="the device mesh over every device of every process (default: all data "
        "parallel); the policy, reference, critic, teacher, optimizer state and samplers' KV "
        "caches are sharded on it",
    )
    grpo: GRPOConfig = GRPOConfig()
    ppo: PPOConfig = PPOConfig()
    dpo: DPOConfig = DPOConfig()
    distill: DistillConfig = DistillConfig()
    update: UpdateConfig = Field(
        default=UpdateConfig(),
        description="micro-batching and optimizer precision of every learner of the run",
    )
    off_policy: OffPolicyConfig = OffPolicyConfig()
    data: str | None = Field(
        default=None,
        description="a file of your own (agentrl.train.datasets): chat records for algo=sft "
        "or distill (instead of the env's worked solutions), preference pairs for algo=dpo "
        "(instead of pairs from rollouts); batches of warm_start.batch_size; or a folder "
        "agentrl serve --record wrote, whose rewarded sessions algo=grpo or ppo learns from "
        "(agentrl.train.recorded)",
    )
    control: Literal["none", "sft"] = Field(
        default="none",
        description="sft: also spend the RL stage's wall time on more warm-start SFT, and compare",
    )

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.algo == "grpo" and self.rollout.group_size < 2:
            raise ValueError(f"got rollout.group_size={self.rollout.group_size}, GRPO needs >= 2")
        if self.algo == "distill" and self.model.teacher is None:
            raise ValueError("got algo=distill without model.teacher (--teacher DIR)")
        _check_backend(self.rollout)
        if self.rollout.backend == "server" and self.algo not in ("grpo", "ppo"):
            raise ValueError(
                f"got rollout.backend=server with algo={self.algo}: the server backend runs "
                "GRPO and PPO; use rollout.backend=local"
            )
        if self.rollout.backend == "server" and self.agent.program is not None:
            raise ValueError(
                "got rollout.backend=server with agent.program: an agent program runs against "
                "the run's own endpoint; use rollout.backend=local"
            )
        if self.algo == "dpo" and self.data is None and self.rollout.group_size < 2:
            raise ValueError(
                f"got rollout.group_size={self.rollout.group_size}, online DPO needs >= 2"
            )
        if self.agent.program is not None and (self.algo not in ("grpo", "ppo") or self.data):
            raise ValueError(
                f"got agent.program with algo={self.algo}, data={self.data!r}: an agent program "
                "is the RL stage's environment (algo grpo or ppo, no data file)"
            )
        return self


def _check_backend(r: RolloutSection) -> None:
    if r.backend == "local":
        if r.endpoints or r.launch:
            raise ValueError(
                f"got rollout.endpoints={r.endpoints} / rollout.launch={r.launch} with "
                "rollout.backend=local; set rollout.backend=server to use servers"
            )
        return
    if bool(r.endpoints) == bool(r.launch):
        raise ValueError(
            f"rollout.backend=server needs either rollout.endpoints (got {r.endpoints}) or "
            f"rollout.launch > 0 (got {r.launch}), not both"
        )
    for url in r.endpoints:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"got rollout.endpoints entry {url!r}, need an http(s):// URL")
    if r.max_staleness < r.sync_every - 1:
        raise ValueError(
            f"got rollout.max_staleness={r.max_staleness} with rollout.sync_every="
            f"{r.sync_every}: servers lag up to sync_every - 1 versions between pushes, so "
            f"every such batch would be dropped; need max_staleness >= {r.sync_every - 1}"
        )


def preset_path(env_id: str, *, real_model: bool) -> Path | None:
    """The env's recommended preset file, if it ships one."""
    from agentrl.registration import parse_id

    name = parse_id(env_id)[0]
    candidates = [f"{name}-hf.yaml"] if real_model else []
    candidates.append(f"{name}.yaml")
    for candidate in candidates:
        if (PRESETS / candidate).is_file():
            return PRESETS / candidate
    return None
