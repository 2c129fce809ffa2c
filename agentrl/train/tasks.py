"""Which problems each stage of a run sees: a warm-start pool, a held-out set, fresh RL prompts.

The three never share a seed range, so the held-out set measures generalization and the RL
stage draws problems the warm-start never showed. With a data file the held-out set is a
separate file (``env.eval_data``) or the file's last ``eval.num_problems`` records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentrl.errors import ConfigError
from agentrl.rollout.copies import EnvCopies

POOL_SEED = 1_000_000  # warm-start worked solutions
HELDOUT_SEED = 2_000_000  # held-out evaluation
TRAIN_SEED = 3_000_000  # RL prompts: a fresh block per step


@dataclass
class TaskSplit:
    """Task selection for one env: ``rollout`` keyword arguments for each purpose.

    Attributes:
        env: the training env, as a factory of per-episode copies.
        eval_env: the env the held-out set comes from (the same env when there is no file).
        train_indices: dataset indices RL may draw from (None for a generator).
        heldout_indices: dataset indices of the held-out set (None for a generator).
        heldout_size: how many held-out problems.
        rl_offset: where RL starts in `train_indices`: past the warm-start pool's records, so
            RL draws problems the warm-start did not show before it wraps around.
    """

    env: EnvCopies
    eval_env: EnvCopies
    train_indices: list[int] | None
    heldout_indices: list[int] | None
    heldout_size: int
    rl_offset: int = 0

    @classmethod
    def build(cls, env: Any, eval_env: Any | None, heldout_size: int) -> TaskSplit:
        """Split `env`'s tasks (or take `eval_env`'s) into RL and held-out problems.

        Raises:
            ConfigError: a dataset too small to hold out `heldout_size` records and still
                leave some for training.
        """
        train, held = EnvCopies(env), EnvCopies(eval_env if eval_env is not None else env)
        if env.num_tasks is None:
            return cls(train, held, None, None, heldout_size)
        if eval_env is not None:
            n = min(heldout_size, eval_env.num_tasks or heldout_size)
            return cls(train, held, list(range(env.num_tasks)), list(range(n)), n)
        if env.num_tasks <= heldout_size:
            raise ConfigError(
                f"the data has {env.num_tasks} records, too few to hold out "
                f"eval.num_problems={heldout_size} and train on the rest; lower "
                "eval.num_problems or pass env.eval_data=FILE"
            )
        cut = env.num_tasks - heldout_size
        return cls(train, held, list(range(cut)), list(range(cut, env.num_tasks)), heldout_size)

    def heldout_kwargs(self) -> dict[str, Any]:
        if self.heldout_indices is None:
            return {"num_episodes": self.heldout_size, "seed": HELDOUT_SEED}
        return {"tasks": self.heldout_indices, "seed": HELDOUT_SEED}

    def train_kwargs(
        self, step: int, prompts: int, group_size: int, *, round: int = 0, rounds: int = 1
    ) -> dict[str, Any]:
        """RL step `step`'s prompts: `prompts` fresh tasks, `group_size` episodes each. A step
        that may refill its batch owns `rounds` blocks of prompts; this is block `round`."""
        start = (step * rounds + round) * prompts
        first = TRAIN_SEED + start
        if self.train_indices is None:
            return {"num_episodes": prompts * group_size, "group_size": group_size, "seed": first}
        n, first_index = len(self.train_indices), self.rl_offset + start
        tasks = [self.train_indices[(first_index + k) % n] for k in range(prompts)]
        return {"tasks": tasks, "group_size": group_size, "seed": first}

    def heldout_prompts(self) -> set[str]:
        """The held-out problems' prompts, so the warm-start pool can leave them out."""
        env = self.eval_env()
        prompts = set()
        for k in range(self.heldout_size):
            if self.heldout_indices is None:
                _, info = env.reset(seed=HELDOUT_SEED + k)
            else:
                _, info = env.reset(
                    seed=HELDOUT_SEED + k, options={"task_index": self.heldout_indices[k]}
                )
            prompts.add(info["task"]["prompt"])
        return prompts

    def warm_start_conversations(self, pool_size: int, sft_env: Any | None) -> list[list[Any]]:
        """Up to `pool_size` worked-solution conversations, none of them a held-out problem.

        Drawn from the front of the RL problems (without ``env.sft_data``), which then start
        after them (`rl_offset`).

        Raises:
            ConfigError: the env (or ``env.sft_data``) has no worked solutions at all.
        """
        source = EnvCopies(sft_env)() if sft_env is not None else self.env()
        exclude = self.heldout_prompts()
        conversations: list[list[Any]] = []
        indices = (
            list(range(source.num_tasks))
            if source.num_tasks is not None and sft_env is not None
            else self.train_indices
        )
        attempts = pool_size * 4 if indices is None else len(indices)
        for k in range(attempts):
            if len(conversations) >= pool_size:
                break
            if sft_env is None and indices is not None:
                self.rl_offset = k + 1
            if indices is None:
                _, info = source.reset(seed=POOL_SEED + k)
            else:
                _, info = source.reset(seed=POOL_SEED + k, options={"task_index": indices[k]})
            messages = source.sft_messages()
            if messages is not None and info["task"]["prompt"] not in exclude:
                conversations.append(messages)
        if not conversations:
            name = getattr(getattr(source, "spec", None), "id", None) or type(source).__name__
            where = "env.sft_data" if sft_env is not None else f"env {name!r}"
            raise ConfigError(
                f"no worked solutions for SFT: {where} has none (sft_messages() gave None on "
                f"{attempts} tasks); pass env.sft_data=FILE with solutions, or set "
                "warm_start.enabled=false (and neither algo=sft nor control=sft)"
            )
        return conversations
