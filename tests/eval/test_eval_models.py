"""Eval with real samplers: the tiny model in-process, the same model behind `agentrl serve`,
the smoke suite from the command line, and the real data files through the deepscaler suite."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agentrl.eval import Policy, Suite, SuiteTask, evaluate, load_suite
from agentrl.eval.suites import SamplingSpec

SUITE = Suite(
    name="parity",
    tasks=(
        SuiteTask(
            name="arith",
            env="deepscaler-v0",
            num_problems=6,
            k=1,
            sampling=SamplingSpec(temperature=0.0, max_tokens=16),
            env_kwargs={"kinds": ["arithmetic"], "difficulty": [1]},
        ),
    ),
)


@pytest.fixture(scope="module")
def tiny():
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.testing import tiny_model

    model, tok = tiny_model(seed=3)
    return JaxSampler(model, tok, max_context=128, max_batch=1), tok


def test_greedy_eval_over_http_equals_in_process(tiny, tmp_path):
    from agentrl.sampling.openai_client import OpenAISampler
    from agentrl.serve import ServerThread, create_app

    sampler, tok = tiny
    local = evaluate(
        SUITE,
        Policy(sampler, tok, "tiny"),
        out_dir=tmp_path / "local",
        progress=False,
        chunk_size=1,
    )
    app = create_app(sampler, tok, model_name="tiny", max_batch=1)
    with ServerThread(app) as server, OpenAISampler(server.url, tokenizer=tok) as remote:
        over_http = evaluate(
            SUITE,
            Policy(remote, tok, "tiny"),
            out_dir=tmp_path / "http",
            progress=False,
            chunk_size=1,
        )

    def samples(out):
        lines = (out / "problems.jsonl").read_text().splitlines()
        return [(r["problem_id"], r["samples"]) for r in map(json.loads, lines)]

    assert samples(tmp_path / "local") == samples(tmp_path / "http")
    assert any(s[0]["policy_tokens"] > 0 for _, s in samples(tmp_path / "local"))
    assert local["tasks"]["arith"]["pass@1"] == over_http["tasks"]["arith"]["pass@1"]


def test_smoke_suite_from_the_command_line(tmp_path):
    out = tmp_path / "smoke"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentrl",
            "eval",
            "--suite",
            "smoke",
            "--limit",
            "4",
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "| arithmetic | 4 | 4 |" in run.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["suite"]["id"] == "smoke-v0"
    assert (out / "results.png").stat().st_size > 1000


@pytest.mark.realdata
def test_real_deepscaler_and_gsm8k_files_load_and_their_gold_answers_score(shared_data, tmp_path):
    from agentrl.testing import ScriptedSampler, byte_tokenizer

    tok = byte_tokenizer()
    answers: dict[str, str] = {}
    for name in ("aime.json", "amc.json", "math.json", "minerva.json", "olympiad_bench.json"):
        for rec in json.loads((shared_data / "deepscaler" / name).read_text()):
            answers.setdefault(rec["problem"].strip(), rec["answer"])

    def oracle(prompt: str) -> str:
        problem = next(p for p in answers if p in prompt)
        gold = answers[problem]
        gold = gold[0] if isinstance(gold, list) else gold
        return f"\\boxed{{{gold}}}"

    suite = load_suite("deepscaler").model_copy(
        update={
            "tasks": tuple(t.model_copy(update={"k": 1}) for t in load_suite("deepscaler").tasks)
        }
    )
    policy = Policy(ScriptedSampler(tok, oracle), tok, "oracle")
    results = evaluate(
        suite,
        policy,
        out_dir=tmp_path / "ds",
        data_dir=shared_data / "deepscaler",
        limit=5,
        progress=False,
    )
    assert {t: r["pass@1"] for t, r in results["tasks"].items()} == {
        "aime2024": 1.0,
        "amc": 1.0,
        "math500": 1.0,
        "minerva": 1.0,
        "olympiad_bench": 1.0,
    }
    gsm = load_suite("gsm8k")
    lines = (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:5]
    gold = {
        json.loads(x)["question"].strip(): json.loads(x)["answer"].split("####")[-1].strip()
        for x in lines
    }

    def gsm_oracle(prompt: str) -> str:
        return "\\boxed{" + next(g for q, g in gold.items() if q in prompt) + "}"

    policy = Policy(
        ScriptedSampler(tok, gsm_oracle),
        tok,
        "oracle",
    )
    results = evaluate(
        gsm,
        policy,
        out_dir=tmp_path / "gsm",
        data_dir=shared_data / "gsm8k",
        limit=5,
        progress=False,
    )
    assert results["tasks"]["gsm8k"]["pass@1"] == 1.0
