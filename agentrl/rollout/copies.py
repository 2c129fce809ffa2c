"""Per-episode env copies that share the env's read-only task list."""

from __future__ import annotations

import copy
from typing import Any


class EnvCopies:
    """A zero-argument factory of copies of `env`, all sharing its task list.

    The rollout engine needs one env per concurrent episode. Deep-copying a dataset-backed env
    copied every record: about a second per copy for DeepScaleR's 7.5k problems, minutes per
    256-episode batch, and building each from its id re-read the file. The records are read-only
    (episodes only index them), so the copies share them; the rest of the env (its RNG, its
    current task and turn) is still copied per episode.
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        tasks = getattr(getattr(env, "unwrapped", env), "tasks", None)  # through wrappers
        self._shared = {} if tasks is None else {id(tasks): tasks}

    def __call__(self) -> Any:
        return copy.deepcopy(self.env, dict(self._shared))

    @property
    def num_tasks(self) -> int | None:
        return getattr(self.env, "num_tasks", None)
