"""Which problems each stage of a run sees: a held-out set, a warm-start pool, fresh RL prompts.

Held out means never trained on, by content: the held-out problems are distinct, and every
training stage (warm-start pool, RL prompts and their refills, the SFT control, online DPO
pairs) excludes them by normalized prompt text, not by seed range. With a generator the
training env is wrapped in `HoldOut`, which redraws a held-out problem; with a data file the
training indices leave out every record whose prompt is held out (duplicates included). The
held-out set is a separate file (``env.eval_data``), the data file's last distinct records, or
the generator's first distinct problems from `HELDOUT_SEED`.

`TrainedPrompts` records what the run actually trained on, so ``summary.json`` reports an overlap
that was measured, not assumed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.rollout.copies import EnvCopies
from agentrl.wrappers import HoldOut, normalize_prompt

POOL_SEED = 1_000_000  # warm-start worked solutions
HELDOUT_SEED = 2_000_000  # held-out evaluation
TRAIN_SEED = 3_000_000  # RL prompts: a fresh block per step
HELDOUT_DRAWS = 20  # generator draws per held-out problem before the space counts as too small


@dataclass
class TaskSplit:
    """Task selection for one env: ``rollout`` keyword arguments for each purpose.

    Attributes:
        env: the training env (held-out problems excluded), as a factory of per-episode copies.
        eval_env: the env the held-out set comes from.
        heldout: the held-out problems, ``{"prompt", "answer"}`` each, all distinct.
        heldout_seeds: the generator seeds that draw them (None for a dataset).
        heldout_indices: their dataset indices (None for a generator).
        train_indices: dataset indices RL may draw from (None for a generator).
        rl_offset: where RL starts in `train_indices`: past the warm-start pool's records, so
            RL draws problems the warm-start did not show before it wraps around.
    """

    env: EnvCopies
    eval_env: EnvCopies
    heldout: list[dict[str, str]]
    heldout_seeds: list[int] | None = None
    heldout_indices: list[int] | None = None
    train_indices: list[int] | None = None
    rl_offset: int = 0

    @classmethod
    def build(cls, env: Any, eval_env: Any | None, heldout_size: int) -> TaskSplit:
        """Hold out `heldout_size` distinct problems (of `eval_env`, else of `env`) and exclude
        them from `env`.

        Raises:
            ConfigError: too few distinct problems to hold out `heldout_size` and still train
                on the rest.
        """
        source = eval_env if eval_env is not None else env
        if source.num_tasks is None:
            seeds, heldout = _distinct_generated(source, heldout_size)
            indices = None
        else:
            order = range(source.num_tasks)  # a held-out file: from its start
            if eval_env is None:  # the data file's last records
                order = range(source.num_tasks - 1, -1, -1)
            indices, heldout = _distinct_records(source, order, heldout_size)
            seeds = None
            if eval_env is None:
                indices, heldout = indices[::-1], heldout[::-1]
        prompts = {normalize_prompt(p["prompt"]) for p in heldout}
        train_indices = None
        if env.num_tasks is not None:
            train_indices = [i for i in range(env.num_tasks) if _prompt(env, i) not in prompts]
            if eval_env is None and (len(heldout) < heldout_size or not train_indices):
                raise ConfigError(
                    f"the data has {len(heldout) + len(train_indices)} records, too few distinct "
                    f"problems to hold out eval.num_problems={heldout_size} and train on the "
                    "rest; lower eval.num_problems or pass env.eval_data=FILE"
                )
            if not train_indices:
                raise ConfigError(
                    f"every one of the data's {env.num_tasks} records is a held-out problem of "
                    "env.eval_data; nothing is left to train on"
                )
        return cls(
            EnvCopies(HoldOut(env, prompts)),
            EnvCopies(source),
            heldout,
            heldout_seeds=seeds,
            heldout_indices=indices,
            train_indices=train_indices,
        )

    @property
    def heldout_size(self) -> int:
        return len(self.heldout)

    def heldout_prompts(self) -> set[str]:
        """The held-out problems' normalized prompts."""
        return {normalize_prompt(p["prompt"]) for p in self.heldout}

    def heldout_kwargs(self) -> dict[str, Any]:
        if self.heldout_indices is None:
            return {"seeds": self.heldout_seeds}
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

    def warm_start_conversations(
        self, pool_size: int, sft_env: Any | None
    ) -> tuple[list[list[Any]], list[str]]:
        """Up to `pool_size` worked-solution conversations and their prompts, none of them a
        held-out problem.

        Drawn from the front of the RL problems (without ``env.sft_data``), which then start
        after them (`rl_offset`).

        Raises:
            ConfigError: the env (or ``env.sft_data``) has no worked solutions at all.
        """
        source = EnvCopies(sft_env)() if sft_env is not None else self.env()
        exclude = self.heldout_prompts()
        conversations: list[list[Any]] = []
        prompts: list[str] = []
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
            prompt = info["task"]["prompt"]
            if messages is not None and normalize_prompt(prompt) not in exclude:
                conversations.append(messages)
                prompts.append(prompt)
        if not conversations:
            name = getattr(getattr(source, "spec", None), "id", None) or type(source).__name__
            where = "env.sft_data" if sft_env is not None else f"env {name!r}"
            raise ConfigError(
                f"no worked solutions for SFT: {where} has none (sft_messages() gave None on "
                f"{attempts} tasks); pass env.sft_data=FILE with solutions, or set "
                "warm_start.enabled=false (and neither algo=sft nor control=sft)"
            )
        return conversations, prompts


@dataclass
class TrainedPrompts:
    """The run's record of every distinct prompt a stage trained on, beside its held-out set.

    ``data/heldout.jsonl`` holds the held-out problems; ``data/train_prompts.jsonl`` gets a line
    per new distinct prompt as stages use them (a resumed run reads it back first). `overlap`
    counts recorded prompts that are held out: 0 unless the split is broken.
    """

    folder: Path
    heldout: set[str]
    seen: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, folder: Path, split: TaskSplit) -> TrainedPrompts:
        folder.mkdir(parents=True, exist_ok=True)
        heldout_path = folder / "heldout.jsonl"
        if not heldout_path.is_file():
            _write_lines(heldout_path, split.heldout, mode="w")
        record = cls(folder, split.heldout_prompts())
        if record.path.is_file():
            with record.path.open(encoding="utf-8") as f:
                record.seen = {normalize_prompt(json.loads(line)["prompt"]) for line in f if line}
        return record

    @property
    def path(self) -> Path:
        return self.folder / "train_prompts.jsonl"

    def add(self, prompts: Iterable[str | None]) -> None:
        new: dict[str, str] = {}
        for prompt in prompts:
            if prompt is None:
                continue
            key = normalize_prompt(prompt)
            if key not in self.seen and key not in new:
                new[key] = prompt
        if new:
            self.seen.update(new)
            _write_lines(self.path, [{"prompt": p} for p in new.values()], mode="a")

    @property
    def overlap(self) -> int:
        return len(self.seen & self.heldout)

    def summary(self) -> dict[str, int]:
        return {
            "heldout": len(self.heldout),
            "train_prompts": len(self.seen),
            "heldout_overlap": self.overlap,
        }


def _write_lines(path: Path, rows: Iterable[dict[str, Any]], *, mode: str) -> None:
    with path.open(mode, encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _prompt(env: Any, index: int) -> str | None:
    """Task `index`'s normalized prompt (None when its reset fails: a bad record stays in the
    training set, where its episode ends as an error, which is data)."""
    tasks = getattr(getattr(env, "unwrapped", env), "tasks", None)
    if tasks is not None and hasattr(tasks[index], "prompt"):  # no reset for big files
        return normalize_prompt(tasks[index].prompt)
    try:
        _, info = env.reset(seed=HELDOUT_SEED, options={"task_index": index})
    except Exception:
        return None
    return normalize_prompt(info["task"]["prompt"])


def _distinct_records(
    env: Any, order: Iterable[int], size: int
) -> tuple[list[int], list[dict[str, str]]]:
    indices: list[int] = []
    heldout: list[dict[str, str]] = []
    seen: set[str] = set()
    for i in order:
        if len(indices) >= size:
            break
        _, info = env.reset(seed=HELDOUT_SEED, options={"task_index": i})
        task = info["task"]
        key = normalize_prompt(task["prompt"])
        if key not in seen:
            seen.add(key)
            indices.append(i)
            heldout.append({"prompt": task["prompt"], "answer": task["answer"]})
    return indices, heldout


def _distinct_generated(env: Any, size: int) -> tuple[list[int], list[dict[str, str]]]:
    seeds: list[int] = []
    heldout: list[dict[str, str]] = []
    seen: set[str] = set()
    for k in range(size * HELDOUT_DRAWS):
        if len(seeds) >= size:
            break
        _, info = env.reset(seed=HELDOUT_SEED + k)
        task = info["task"]
        key = normalize_prompt(task["prompt"])
        if key not in seen:
            seen.add(key)
            seeds.append(HELDOUT_SEED + k)
            heldout.append({"prompt": task["prompt"], "answer": task["answer"]})
    if len(seeds) >= size:
        return seeds, heldout
    raise ConfigError(
        f"the generator gave only {len(seeds)} distinct problems in {size * HELDOUT_DRAWS} "
        f"draws, too few to hold out eval.num_problems={size}; widen the task or lower it"
    )
