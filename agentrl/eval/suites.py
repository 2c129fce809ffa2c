"""Benchmark suites: named, versioned lists of (env, dataset, sampling, k, metrics).

Built-in suites are registered in `SUITES`; users add their own in code
(``SUITES.register("mine-v0", Suite(...))``) or as a YAML file passed to ``agentrl eval --suite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentrl.errors import ConfigError
from agentrl.registration import Registry
from agentrl.sampling.base import SamplingParams


class SamplingSpec(BaseModel):
    """The sampling settings a suite fixes, so results are comparable across runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    max_tokens: int = 1024

    def params(self, *, n: int = 1, seed: int | None = None) -> SamplingParams:
        return SamplingParams(
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_tokens=self.max_tokens,
            n=n,
            seed=seed,
        )


class SuiteTask(BaseModel):
    """One benchmark inside a suite.

    Attributes:
        name: short name used in reports ("aime2024").
        env: registered env id.
        data: dataset file, relative to ``--data-dir``; None for envs that generate problems.
        num_problems: how many problems (required for generated ones; a cap for files).
        k: samples per problem; pass@1 is averaged over them.
        env_kwargs: extra arguments for the env constructor.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    env: str
    data: str | None = None
    num_problems: int | None = Field(default=None, ge=1)
    k: int = Field(default=1, ge=1)
    sampling: SamplingSpec = SamplingSpec()
    env_kwargs: dict[str, Any] = Field(default_factory=dict)


class Suite(BaseModel):
    """A named, versioned benchmark suite."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int = 0
    description: str = ""
    tasks: tuple[SuiteTask, ...]

    @property
    def id(self) -> str:
        return f"{self.name}-v{self.version}"


SUITES: Registry[Suite] = Registry("eval suite")

# DeepScaleR reports pass@1 averaged over 16 samples at temperature 0.6, top-p 0.95.
_DEEPSCALER_SAMPLING = SamplingSpec(temperature=0.6, top_p=0.95, max_tokens=8192)

_BUILTIN: tuple[Suite, ...] = (
    Suite(
        name="deepscaler",
        description="DeepScaleR's evaluation: AIME 2024, AMC, MATH-500, Minerva, OlympiadBench.",
        tasks=tuple(
            SuiteTask(
                name=name, env="deepscaler-v0", data=file, k=16, sampling=_DEEPSCALER_SAMPLING
            )
            for name, file in (
                ("aime2024", "aime.json"),
                ("amc", "amc.json"),
                ("math500", "math.json"),
                ("minerva", "minerva.json"),
                ("olympiad_bench", "olympiad_bench.json"),
            )
        ),
    ),
    Suite(
        name="gsm8k",
        description="GSM8K test split, greedy.",
        tasks=(
            SuiteTask(
                name="gsm8k",
                env="gsm8k-v0",
                data="test.jsonl",
                sampling=SamplingSpec(max_tokens=1024),
            ),
        ),
    ),
    Suite(
        name="countdown",
        description="Generated Countdown puzzles: reach the target with the given numbers.",
        tasks=(
            SuiteTask(
                name="countdown",
                env="countdown-v0",
                num_problems=200,
                k=4,
                sampling=SamplingSpec(temperature=0.6, max_tokens=512),
            ),
        ),
    ),
    Suite(
        name="tool-math",
        description="Generated math problems solved with the python and calculator tools.",
        tasks=(
            SuiteTask(
                name="tool-math",
                env="tool-math-v0",
                num_problems=100,
                k=1,
                sampling=SamplingSpec(max_tokens=512),
            ),
        ),
    ),
    Suite(
        name="smoke",
        description="A few generated arithmetic problems: offline, seconds, for checking a setup.",
        tasks=(
            SuiteTask(
                name="arithmetic",
                env="deepscaler-v0",
                num_problems=24,
                k=4,
                sampling=SamplingSpec(temperature=0.6, max_tokens=48),
            ),
        ),
    ),
)
for _suite in _BUILTIN:
    SUITES.register(_suite.id, lambda s=_suite: s, source="agentrl")


def load_suite(name_or_path: str) -> Suite:
    """A registered suite by id (``smoke``, ``deepscaler-v0``) or a suite YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
        if not path.is_file():
            raise ConfigError(f"suite file {str(path)!r} does not exist")
        try:
            return Suite.model_validate(yaml.safe_load(path.read_text()))
        except ValidationError as e:
            raise ConfigError(f"suite file {str(path)!r} is invalid: {e}") from e
    return SUITES.make(name_or_path)
