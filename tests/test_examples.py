"""The examples run as the README says (as subprocesses, as a user runs them), and the README's
"A first program" is examples/quickstart.py, word for word."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _run(name: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_readme_first_program_is_quickstart_verbatim():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"## A first program\n\n```python\n(.*?)```\n", readme, re.S)
    assert len(blocks) == 1, "README needs one python block under '## A first program'"
    assert blocks[0] == (EXAMPLES / "quickstart.py").read_text()


def test_quickstart_trains_two_grpo_steps():
    # The argument shortens the 20-step run to 2: the rest is JIT compilation.
    out = _run("quickstart.py", "2", timeout=300)
    lines = out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["step 0", "step 1"], out
    for line in lines:
        assert re.fullmatch(r"step \d: reward \d\.\d{3} loss [+-]\d\.\d{4}", line), line


def test_custom_env_registers_and_passes_check_env():
    out = _run("custom_env.py")
    assert re.fullmatch(
        r"Spell '[a-z]+' backwards. Reply with the reversed word only.", out.splitlines()[0]
    )
    assert "(1.0, True)" in out  # the oracle's reply earns the max
    checks = out.split("check_env passed: ")[1].split(", ")
    assert {"oracle_earns_max", "garbage_earns_min", "same_seed_same_episode"} <= set(checks)


def test_custom_tool_schema_and_calls():
    out = _run("custom_tool.py")
    assert '"name": "unit_convert"' in out
    assert "call_0: 4828.03 m" in out
    assert "call_1: error: invalid arguments for tool `unit_convert`" in out


def test_custom_examples_stay_short():
    for name in ("custom_env.py", "custom_tool.py"):
        assert len((EXAMPLES / name).read_text().splitlines()) < 50, name  # as the README says


def test_grpo_from_scratch_runs_and_states_its_eval() -> None:
    out = _run(
        "grpo_from_scratch.py",
        *("--steps", "1", "--prompts-per-step", "2", "--group-size", "2", "--eval-problems", "4"),
        timeout=300,
    )
    lines = out.strip().splitlines()
    assert re.fullmatch(r"before: pass@1 \d\.\d{3}", lines[0]), out
    assert re.fullmatch(r"step 0: reward \d\.\d{3} loss [+-]\d\.\d{4}", lines[1]), out
    assert re.fullmatch(r"after: pass@1 \d\.\d{3}", lines[2]), out


def test_grpo_from_scratch_loss_equals_the_learner_loss() -> None:
    """The one-file GRPO and `GRPOLearner` (configured as its docstring says it simplifies)
    score one batch the same. Rewards differ within each group and pi_old is perturbed, so the
    advantages, the ratios and the clip all take part (an all-zero batch would prove nothing)."""
    import importlib.util

    import numpy as np

    from agentrl.models.tiny import tiny_model
    from agentrl.rollout import rollout
    from agentrl.sampling import JaxSampler, SamplingParams
    from agentrl.trainers.grpo import GRPOConfig, GRPOLearner

    spec = importlib.util.spec_from_file_location(
        "grpo_from_scratch", EXAMPLES / "grpo_from_scratch.py"
    )
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example  # its dataclass looks its module up there
    spec.loader.exec_module(example)

    model, tokenizer = tiny_model(seed=0)
    sampler = JaxSampler(model, tokenizer, max_context=128, seed=0)
    group = 4
    result = rollout(
        "deepscaler", sampler, tokenizer, num_episodes=3 * group, group_size=group, seed=5,
        params=SamplingParams(temperature=1.0, max_tokens=12, seed=1), progress=False,
        env_kwargs={"kinds": ["addsub"], "difficulty": [1]},
    )  # fmt: skip
    rng = np.random.default_rng(0)
    trajectories = []
    for k, t in enumerate(result.trajectories):
        noise = rng.uniform(-0.4, 0.4, len(t.logprobs))
        old = [min(lp + n, 0.0) if m else 0.0 for lp, n, m in zip(t.logprobs, noise, t.loss_mask)]
        reward = float((k * 7) % 3 == 0)  # differs within every group of 4
        trajectories.append(t.model_copy(update={"reward": reward, "logprobs": old}))
    rewards = np.array([t.reward for t in trajectories], np.float32)
    assert all(len(set(rewards[i : i + group])) > 1 for i in range(0, len(rewards), group))

    ours = example.grpo_loss(
        model,
        example.make_batch(trajectories, tokenizer.pad_token_id),
        example.group_advantages(rewards, group),
        clip_eps=0.2,
        temperature=1.0,
    )
    config = GRPOConfig(aggregation="token_mean", optimizer={"lr": 1e-3})
    metrics = GRPOLearner(config, model, pad_id=tokenizer.pad_token_id).train_step(trajectories)
    assert metrics["clip_frac"] > 0  # the perturbed pi_old puts some ratios past the clip
    assert abs(float(ours) - metrics["loss"]) <= 1e-5 * max(1.0, abs(metrics["loss"]))


def _example_module(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agent_program_runs_tools_and_survives_malformed_calls() -> None:
    """The loop against a scripted server: a good calculator call, a malformed one (the error
    goes back as the tool's answer), then the boxed answer, which earns 1."""
    from agentrl.serve import ServerThread, create_app
    from agentrl.testing import ScriptedSampler, byte_tokenizer

    def policy(prompt: str) -> str:
        call = '<tool_call>\n{{"name": "calculator", "arguments": {}}}\n</tool_call>'
        seen = prompt.count("<tool_response>")
        if seen == 0:
            return call.format('{"expression": "(5 * 4 + 3 * 3) / 12"}')
        if seen == 1:
            assert "2.4166666666666665" in prompt  # the calculator's answer came back
            return call.format('{"expr": "oops"}')
        assert "error: bad arguments ('expression')" in prompt
        return "So the sum is \\boxed{29/12}."

    example = _example_module("agent_program")
    tok = byte_tokenizer()
    app = create_app(ScriptedSampler(tok, policy), tok, model_name="scripted", any_model=True)
    task = {"messages": [{"role": "user", "content": "What is 5/3 + 3/4?"}], "answer": "29/12"}
    with ServerThread(app) as server:
        assert example.solve(server.url + "/v1", {**task, "answers": ["29/12"]}) == 1.0
        assert example.solve(server.url + "/v1", {**task, "answer": "1"}, max_turns=2) == 0.0
    assert example.calculator("9**9**9") == "error: use numbers, + - * / and parentheses"


def test_agent_program_trains_one_step(tmp_path: Path) -> None:
    import json

    run = tmp_path / "run"
    sets = ["warm_start.enabled=false", "model.tiny.num_hidden_layers=1", "eval.num_problems=4",
            "eval.max_tokens=8", "rollout.prompts_per_step=2", "rollout.group_size=2",
            "rollout.max_tokens=16", "logging.tensorboard=false",
            "mesh.devices=1"]  # one of the 8 fake devices the test session asks for  # fmt: skip
    flags = [x for s in sets for x in ("--set", s)]
    out = _run("agent_program.py", "1", "--run-dir", str(run), "--quiet", *flags, timeout=600)
    assert json.loads(out.strip().splitlines()[-1])["steps"] == 1
    [row] = [json.loads(line) for line in (run / "metrics.jsonl").open()]
    assert row["agent/sessions"] == 4 and row["agent/requests"] >= 4
    assert (run / "model" / "model.safetensors").is_file()


def test_agent_program_is_short_and_uses_only_openai() -> None:
    """The agent loop needs nothing of agentrl: only its `__main__` block starts the trainer."""
    import ast

    source = (EXAMPLES / "agent_program.py").read_text()
    assert len(source.splitlines()) < 80  # as the issue and the README say
    top = ast.parse(source).body
    imported = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in top if isinstance(n, ast.ImportFrom) and n.module}
    assert imported == {"json", "re", "sys", "openai"}
