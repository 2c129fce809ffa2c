"""`gsm8k-v0`: grade-school math word problems in GSM8K's format.

Data: JSON Lines of ``{"question", "answer"}`` where the answer is a worked solution ending in
``#### N`` (its ``<<a*b=c>>`` calculator annotations are stripped for SFT). The user turn is the
question plus the boxed-answer instruction; the reward is 1 when the boxed answer equals N, else 0.
Without ``data=`` the env uses the procedural generator (word problems and arithmetic by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .data import OnInvalid
from .math_env import MathEnv
from .procedural import ProblemMix


class GSM8KEnv(MathEnv):
    """GSM8K word problems; reward 1 for the correct final number in ``\\boxed{}``, else 0."""

    data_format = "gsm8k"
    env_id = "gsm8k-v0"

    def __init__(
        self,
        data: str | Path | Sequence[Any] | None = None,
        *,
        mix: ProblemMix | None = None,
        kinds: str | Sequence[str] | Mapping[str, float] | None = None,
        difficulty: int | Sequence[int] | Mapping[int, float] | None = None,
        on_invalid: OnInvalid = "raise",
        max_turns: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        if data is None and mix is None and kinds is None:
            kinds = {"word": 3.0, "arithmetic": 1.0, "percentage": 1.0}
        super().__init__(
            data,
            mix=mix,
            kinds=kinds,
            difficulty=difficulty,
            on_invalid=on_invalid,
            max_turns=max_turns,
            render_mode=render_mode,
        )
