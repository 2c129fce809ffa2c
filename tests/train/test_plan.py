"""`agentrl train --plan`: the memory plan of a run, compiled on abstract shapes.

The plan is checked against a real run of the same tiny config. The CPU backend keeps no
allocator statistics (``memory_stats()`` is None), so the run's peak is measured as XLA would
see it on a device: before every device program it calls, the bytes of every live array
(``jax.live_arrays()``, each buffer once: parameters, optimizer state, reference, caches,
batches, and whatever else the run keeps alive), plus that call's own outputs and temporaries
from the executable it ran (``memory_analysis()`` of the same program on the same arguments),
less what it donates.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jax
import pytest

from agentrl.cli import main
from agentrl.config import load_config
from agentrl.errors import ConfigError
from agentrl.models.qwen2 import Qwen2Config
from agentrl.train.config import PRESETS, TrainConfig
from agentrl.train.plan import BREAKDOWN, plan
from agentrl.train.plan_check import parse_bytes

# A run small enough for seconds on CPU that still has every program the plan compiles:
# rollout and eval sampling, reference scoring (kl_coef > 0), advantages and the update.
TINY = [
    "mesh.devices=1",  # the plan is of one device; the run must be too (tests have 8)
    "model.tiny.num_hidden_layers=1",
    "model.max_context=96",
    "warm_start.enabled=false",
    "rollout.prompts_per_step=4",
    "rollout.group_size=2",
    "rollout.max_concurrency=8",
    "rollout.max_tokens=16",
    "eval.max_tokens=16",
    "eval.num_problems=8",
    "eval.every=100",
    "schedule.max_steps=1",
    "schedule.run_budget_s=null",
    "grpo.kl_coef=0.01",
    "grpo.num_minibatches=1",
    "grpo.dynamic_sampling=false",
    "grpo.buckets=[96]",
    "checkpoint.export_hf=false",
    "logging.plots=false",
    "logging.tensorboard=false",
    "logging.progress=false",
]


def tiny_config(*overrides: str) -> TrainConfig:
    return load_config(TrainConfig, PRESETS / "deepscaler.yaml", [*TINY, *overrides])


def config_only_folder(path: Path) -> Path:
    """A Hugging Face folder with config.json and nothing else (no weights, no tokenizer)."""
    path.mkdir(parents=True, exist_ok=True)
    hf = Qwen2Config.tiny(vocab_size=512, num_hidden_layers=2).to_hf()
    (path / "config.json").write_text(json.dumps(hf))
    return path


def test_parse_bytes_reads_decimal_and_binary_units() -> None:
    assert parse_bytes("80GB") == 80 * 10**9
    assert parse_bytes("80GiB") == 80 * 2**30
    assert parse_bytes("24G") == 24 * 10**9
    assert parse_bytes("1.5 MiB") == int(1.5 * 2**20)
    assert parse_bytes("4096") == 4096
    with pytest.raises(ConfigError, match="'eighty'"):
        parse_bytes("eighty")


class Recorder:
    """Wraps `jax.jit` so that every device program a run calls records its peak bytes."""

    def __init__(self) -> None:
        # Arrays alive before the run (left by earlier tests in this process) are not the run's.
        self.before = {x.unsafe_buffer_pointer() for x in jax.live_arrays()}
        self.real_jit = jax.jit
        self.peaks: dict[str, int] = {}
        self.prompt_slots = 0
        self._stats: dict[str, Any] = {}

    def jit(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        jitted = self.real_jit(fn, *args, **kwargs)
        recorder, name = self, getattr(fn, "__name__", "fn")

        class Recorded:
            def __call__(self, *a: Any, **k: Any) -> Any:
                recorder.record(name, jitted, a, k)
                return jitted(*a, **k)

            def __getattr__(self, attr: str) -> Any:
                return getattr(jitted, attr)

        return Recorded()

    def record(self, name: str, jitted: Any, args: Any, kwargs: Any) -> None:
        # Two array objects may share one buffer (an Orbax save leaves a zero-copy alias of
        # each saved array on CPU): count each buffer once.
        buffers = {x.unsafe_buffer_pointer(): x.nbytes for x in jax.live_arrays()}
        buffers = {ptr: n for ptr, n in buffers.items() if ptr not in self.before}
        live = sum(buffers.values())
        key = repr(jax.tree.map(lambda x: getattr(x, "shape", x), (args, kwargs)))
        if key not in self._stats:
            self._stats[key] = jitted.lower(*args, **kwargs).compile().memory_analysis()
        s = self._stats[key]
        peak = live + s.output_size_in_bytes + s.temp_size_in_bytes - s.alias_size_in_bytes
        self.peaks[name] = max(self.peaks.get(name, 0), peak)
        if name == "_prefill_impl":
            self.prompt_slots = max(self.prompt_slots, int(args[1].shape[1]))


# How far the plan may be from the measured peak, relative. The resident part is exact and the
# programs are the same executables; what a run keeps alive beyond the plan's model (PRNG keys,
# sampling knobs, metrics scalars) is a few KB next to ~4-8 MB (measured: under 0.1%). A
# missing resident (the reference copy, an optimizer state left alive) is 1 MB, 13% and more.
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real run of the tiny config, recording its programs' peaks, and its plan (at the
    prompt length the run's prefills had)."""
    from agentrl.train.pipeline import train

    recorder = Recorder()
    config = tiny_config()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jax, "jit", recorder.jit)
        train(config, run_dir=tmp_path_factory.mktemp("run") / "run")
    planned = plan(config, device_memory=10**9, prompt_tokens=recorder.prompt_slots)
    return recorder, planned


def test_plan_matches_the_measured_peak_of_a_real_run(
    measured: tuple[Recorder, dict[str, Any]],
) -> None:
    recorder, planned = measured
    programs = planned["programs"]
    pairs = {
        "_prefill_impl": max(
            programs["rollout_prefill"]["peak_bytes"], programs["eval_prefill"]["peak_bytes"]
        ),
        "_decode_impl": max(
            programs["rollout_decode"]["peak_bytes"], programs["eval_decode"]["peak_bytes"]
        ),
        "score": programs["reference"]["peak_bytes"],
        "_prepare_fn": programs["advantages"]["peak_bytes"],
        "_update_fn": programs["update"]["peak_bytes"],
    }
    report = {k: (v, recorder.peaks.get(k)) for k, v in pairs.items()}
    for name, (want, got) in report.items():
        assert got is not None, f"the run never called {name}: {report}"
        assert math.isclose(want, got, rel_tol=TOLERANCE), report
    peak = max(recorder.peaks.values())
    assert math.isclose(planned["per_device_bytes"], peak, rel_tol=TOLERANCE), (
        planned["per_device_bytes"],
        recorder.peaks,
    )


def test_plan_on_a_config_only_folder_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = config_only_folder(tmp_path / "model")
    sets = [a for s in TINY for a in ("--set", s) if not s.startswith("model.tiny")]
    code = main(["train", "--model", str(folder), "--plan", "--device-memory", "1GB", *sets])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["fits"] is True and out["settings"]["model"] == str(folder)
    assert set(out["breakdown"]) == set(BREAKDOWN)


def test_a_run_that_does_not_fit_stops_before_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = config_only_folder(tmp_path / "model")  # no weights: loading would fail otherwise
    sets = [a for s in TINY for a in ("--set", s) if not s.startswith("model.tiny")]
    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
            "--model",
            str(folder),
            "--device-memory",
            "12MB",
            "--run-dir",
            str(run_dir),
            *sets,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "more than the 12.0 MB" in err and "settings that would make it fit" in err
    named = ("rollout.max_concurrency=", "update.micro_batch_rows=", "model.remat=layer")
    assert any(setting in err for setting in named), err
    assert not run_dir.exists()


def test_plan_keys_and_breakdown_add_up(measured: tuple[Recorder, dict[str, Any]]) -> None:
    out = measured[1]
    assert set(out["breakdown"]) == set(BREAKDOWN)
    assert sum(out["breakdown"].values()) == out["per_device_bytes"]
    assert out["fits"] is True and out["device_memory_bytes"] == 10**9
    assert {"rollout_prefill", "rollout_decode", "reference", "advantages", "update"} <= set(
        out["programs"]
    )
    peak = max(p["peak_bytes"] for p in out["programs"].values())
    assert out["per_device_bytes"] == peak
    # Resident state is exact: float32 weights, AdamW's two moments, a frozen reference copy.
    n = out["settings"]["num_parameters"]
    assert out["breakdown"]["parameters"] == 4 * n
    assert out["breakdown"]["reference"] == 4 * n
    assert 8 * n <= out["breakdown"]["optimizer_state"] <= 8 * n + 64


def test_a_sharded_plan_splits_the_resident_state(
    measured: tuple[Recorder, dict[str, Any]],
) -> None:
    one = measured[1]
    two = plan(tiny_config("mesh.devices=2", "mesh.data=1", "mesh.fsdp=2"))
    assert two["num_devices"] == 2 and two["settings"]["mesh"] == {"data": 1, "fsdp": 2, "tp": 1}
    for part in ("parameters", "reference", "optimizer_state"):  # norms stay whole: not half
        assert 0.5 * one["breakdown"][part] <= two["breakdown"][part] < 0.6 * one["breakdown"][part]
