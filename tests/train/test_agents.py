"""Agent programs as environments: ``agentrl train --agent module:function`` against the run's
own endpoint, ``agentrl train --algo grpo --data DIR`` on what ``agentrl serve --record``
recorded, and the errors a bad program or a bad reward gets."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from agentrl.errors import ConfigError
from agentrl.infra.metrics import read_metrics
from agentrl.train.agents import Call, check_reward, load_agent, run_calls

TINY = [
    "model.tiny.num_hidden_layers=1", "model.max_context=256", "warm_start.enabled=false",
    "eval.num_problems=4", "eval.max_tokens=8", "eval.every=2", "rollout.prompts_per_step=2",
    "rollout.group_size=2", "rollout.max_tokens=8", "schedule.max_steps=2",
    "schedule.time_budget_s=null", "checkpoint.every=2", "logging.tensorboard=false",
]  # fmt: skip
RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"

# Token-in/token-out over /v1/completions: each turn's prompt is the last one plus what was
# sampled plus an observation, so each session is one two-turn trajectory. In the first step the
# first call of each task fails after its requests (an exception, a reward that is not a
# number): reward 0, data, not a crash. The reward is the call's index in its group, so every
# group's rewards differ.
PROGRAM = """
import httpx
from agentrl.models.tiny import tiny_tokenizer

tok = tiny_tokenizer()

def solve(base_url, task):
    ids = tok.encode_chat(task["messages"], add_generation_prompt=True)
    for _ in range(2):
        body = {"model": "gpt-4o", "prompt": ids, "max_tokens": 6, "return_token_ids": True}
        answer = httpx.post(base_url + "/completions", json=body, timeout=300).json()
        ids = ids + answer["choices"][0]["token_ids"] + tok.encode(" Check it.")
    step, index, j = base_url.split("/s/")[1].split("-")[:3]  # the trainer's session id
    if (step, j) == ("0", "0"):
        if index == "0":
            raise ValueError("the program broke")
        return "high"
    return float(j)

not_a_function = 42
"""


def _train(
    env: dict[str, str], cwd: Path, run: Path, *extra: str, ok: bool = True, sets: list[str] = TINY
) -> subprocess.CompletedProcess[str]:
    flags = [a for kv in sets for a in ("--set", kv)]
    args = ["train", "--env", "deepscaler", "--run-dir", str(run), "--quiet", *flags, *extra]
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert (proc.returncode == 0) == ok, proc.stderr[-3000:]
    return proc


def _complete(run: Path) -> list[dict[str, Any]]:
    """The run folder is whole (plots included); returns the metrics rows."""
    for name in ("config.yaml", "metrics.jsonl", "summary.json", "model/model.safetensors"):
        assert (run / name).is_file(), name
    assert any((run / "checkpoints").iterdir())
    assert {p.name for p in (run / "plots").glob("*.png")} >= {"accuracy.png"}
    summary = json.loads((run / "summary.json").read_text())
    assert summary["algo"] == "grpo" and summary["steps"] == 2
    assert summary["eval_after"]["n"] == 4
    rows = read_metrics(run / "metrics.jsonl")
    assert [row["step"] for row in rows] == [1, 2]
    return rows


def test_agent_program_trains_through_the_runs_own_endpoint(
    jax_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "my_agents.py").write_text(PROGRAM)
    run = tmp_path / "run"
    proc = _train(jax_env, tmp_path, run, "--agent", "my_agents:solve")
    rows = _complete(run)
    assert "program: my_agents:solve" in (run / "config.yaml").read_text()
    first, second = rows
    assert first["agent/sessions"] == second["agent/sessions"] == 4  # 2 tasks x 2 calls
    # The failed calls earned 0 and were counted, and the run went on.
    assert first["agent/errors"] == 2 and second["agent/errors"] == 0
    assert "2 of 4 calls of my_agents:solve failed" in proc.stderr
    assert "raised ValueError: the program broke" in proc.stderr
    # Every session sent two chained requests: one two-turn trajectory each.
    for row in rows:
        assert row["agent/requests"] == 8 and row["agent/no_requests"] == 0
        assert row["agent/multi_turn"] == row["rollout/episodes"] == 4
    # Rewards: 0 for the failed calls and each group's first call, 1 for its second.
    assert first["reward/mean"] == second["reward/mean"] == 0.5
    # Rewards differ within the groups: GRPO updated (no skipped step).
    assert all("skipped" not in r and r["grad_norm"] > 0 for r in rows), rows
    prompts = (run / "data" / "train_prompts.jsonl").read_text().splitlines()
    assert len(prompts) == 4  # two fresh tasks per step, as an env rollout draws them


def test_a_bad_program_fails_before_a_run_folder(jax_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "my_agents.py").write_text(PROGRAM)
    run = tmp_path / "run"
    proc = _train(jax_env, tmp_path, run, "--agent", "no_such_agents:solve", ok=False)
    assert "got agent.program='no_such_agents:solve': no module named 'no_such_agents'" in (
        proc.stderr
    )
    proc = _train(jax_env, tmp_path, run, "--agent", "my_agents:not_a_function", ok=False)
    assert "'not_a_function' is 42 (of type int), not a function" in proc.stderr
    assert not run.exists()


def test_load_agent_names_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agents_ok.py").write_text(
        "def solve(base_url, task):\n    return 1.0\n\ndef one_arg(base_url):\n    return 0\n"
    )
    (tmp_path / "agents_broken.py").write_text("import no_such_dependency\n")
    assert load_agent("agents_ok:solve")("u", {}) == 1.0
    assert load_agent(f"{tmp_path / 'agents_ok.py'}:solve")("u", {}) == 1.0
    cases = {
        "agents_ok": "need 'module:function' or 'file.py:function'",
        "agents_ok:solv": "'agents_ok' has no attribute 'solv'; did you mean 'solve'?",
        "agents_ok:one_arg": "'one_arg' cannot be called as (base_url, task)",
        "missing.py:solve": "no such file 'missing.py'",
        "agents_broken:solve": "importing 'agents_broken' raised ModuleNotFoundError: No module "
        "named 'no_such_dependency'",
    }
    for spec, message in cases.items():
        with pytest.raises(ConfigError) as e:
            load_agent(spec)
        assert f"got agent.program={spec!r}" in str(e.value) and message in str(e.value)


def test_failed_calls_are_data() -> None:
    def program(base_url: str, task: dict[str, Any]) -> Any:
        behaviour = task["do"]
        if behaviour == "hang":
            time.sleep(30)
        if behaviour == "raise":
            raise KeyError("answer")
        return behaviour

    behaviours = ["hang", "raise", "high", float("nan"), None, True, 3, 0.5]
    calls = [Call("g", f"s{k}", {"do": b}) for k, b in enumerate(behaviours)]
    started = time.monotonic()
    run_calls(program, "http://127.0.0.1:9", calls, timeout_s=1.0)
    assert time.monotonic() - started < 10  # the hung call does not hold the step
    assert [c.reward for c in calls] == [0, 0, 0, 0, 0, 1.0, 3.0, 0.5]
    assert [c.timed_out for c in calls] == [True] + [False] * 7
    assert calls[0].error == "timed out after 1 s"
    assert calls[1].error == "raised KeyError: 'answer'"
    assert calls[2].error == "returned 'high' (str), need a finite number"
    assert calls[3].error == "returned nan (float), need a finite number"
    assert calls[4].error == "returned None (NoneType), need a finite number"
    assert [c.error for c in calls[5:]] == [None] * 3
    assert check_reward(math.inf)[1] == "returned inf (float), need a finite number"


def _record(folder: Path) -> None:
    """A recording of three tasks, two sessions each, two turns a session, over the tiny
    tokenizer; rewards for all but one session; one request with no session at all."""
    from agentrl.models.tiny import tiny_tokenizer
    from agentrl.serve import ServerThread, create_app
    from agentrl.testing import ScriptedSampler

    tok = tiny_tokenizer()
    sampler = ScriptedSampler(tok, ["Let me see.", "\\boxed{4}", "\\boxed{5}"])
    app = create_app(sampler, tok, model_name="tiny", record_dir=str(folder))
    with ServerThread(app) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0)
        for task in range(3):
            for j in range(2):
                user = f"task{task}-{j}"
                messages = [{"role": "user", "content": f"What is {task} + 2?"}]
                for _ in range(2):
                    reply = client.chat.completions.create(
                        model="tiny", messages=messages, user=user
                    )
                    messages += [
                        {"role": "assistant", "content": reply.choices[0].message.content},
                        {"role": "user", "content": "Sure?"},
                    ]
                if user != "task2-1":
                    body = {"user": user, "reward": float(j)}
                    openai.OpenAI(base_url=server.url, api_key="x").post(
                        "/v1/rewards", body=body, cast_to=object
                    )
        client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": "?"}])


def test_grpo_on_a_serve_recording(jax_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "traces"
    _record(folder)
    run = tmp_path / "run"
    proc = _train(jax_env, tmp_path, run, "--algo", "grpo", "--data", str(folder))
    rows = _complete(run)
    assert (
        f"{folder}: 6 sessions, 5 rewarded, in 3 task groups (1 of one session, which GRPO "
        "cannot compare); left out: 1 without a reward, 1 requests without a session, 0 on "
        "held-out problems"
    ) in proc.stderr
    for row in rows:  # two groups a step: 2 + 2 sessions, or 2 + 1
        assert row["rollout/episodes"] in (3, 4) and row["recording/groups"] == 2
        assert "skipped" not in row and row["grad_norm"] > 0
    # Each session's two requests were merged: a trajectory has both replies' tokens.
    assert rows[0]["rollout/mean_completion_tokens"] > 2 * 4
    prompts = {json.loads(x)["prompt"] for x in (run / "data" / "train_prompts.jsonl").open()}
    assert prompts <= {f"What is {t} + 2?" for t in range(3)} and len(prompts) >= 2


def test_the_training_endpoint_answers_open_sessions_only() -> None:
    """Outside the running step's sessions the endpoint answers 409 (a timed-out call's late
    request must not sample while the learner updates); rewards come from the function."""
    import httpx

    from agentrl.serve import ServerThread, create_app
    from agentrl.testing import ScriptedSampler, byte_tokenizer
    from agentrl.train.agents import SessionCollector, SessionGate

    tok = byte_tokenizer()
    sessions = SessionCollector()
    app = create_app(ScriptedSampler(tok, ["hi"]), tok, recorder=sessions, any_model=True)
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    with ServerThread(SessionGate(app, sessions)) as server:
        url = server.url + "/s/{}/v1/chat/completions"
        closed = httpx.post(url.format("a"), json=body)
        assert closed.status_code == 409 and "session 'a' is not open" in closed.text
        sessions.open(["a"])
        assert (
            httpx.post(url.format("a"), json=body).json()["choices"][0]["message"]["content"]
            == "hi"
        )
        reward = httpx.post(server.url + "/s/a/v1/rewards", json={"reward": 1})
        assert reward.status_code == 400 and "return value is the session's reward" in reward.text
        assert httpx.post(server.url + "/v1/chat/completions", json=body).status_code == 409
        taken = sessions.take(["a"], wait_s=5)
        assert [t.info["session"] for t in taken["a"]] == ["a"]
        assert httpx.post(url.format("a"), json=body).status_code == 409


def test_read_recording_groups_rewards_and_leaves_out(tmp_path: Path) -> None:
    from agentrl.train.recorded import is_recording, read_recording

    folder = tmp_path / "traces"
    _record(folder)
    assert is_recording(str(folder)) and not is_recording(str(tmp_path))
    recording = read_recording(str(folder), heldout=["What is 1 + 2?"])
    assert recording.counts == {
        "sessions": 6, "rewarded": 3, "unrewarded": 1, "heldout": 2, "no_session": 1,
        "singletons": 1,
    }  # fmt: skip
    assert recording.prompts == ["What is 0 + 2?", "What is 2 + 2?"]
    first, second = recording.groups
    assert [t.reward for t in first] == [0.0, 1.0] and [t.reward for t in second] == [0.0]
    assert all(t.info["turns"] == 2 for t in first + second)  # each session merged
    # A later reward replaces an earlier one; a named task groups across prompts.
    [rewards] = folder.glob("*.rewards")
    later = [{"session": "task0-0", "reward": 0.25, "task": "all", "time": 2e9},
             {"session": "task1-0", "reward": 0.75, "task": "all", "time": 2e9}]  # fmt: skip
    with rewards.open("a") as f:
        f.writelines(json.dumps(row) + "\n" for row in later)
    regrouped = read_recording(str(folder))
    assert sorted(t.reward for t in regrouped.groups[0]) == [0.25, 0.75]
    rewards.unlink()
    with pytest.raises(ConfigError, match="none of its 6 sessions has a reward"):
        read_recording(str(folder))
