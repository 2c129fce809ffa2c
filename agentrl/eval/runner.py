"""Run a suite against a policy: k episodes per problem, per-problem records, resumable.

Each finished problem is appended to ``problems.jsonl`` in the output folder as soon as its
chunk completes, so a killed eval continues where it stopped. A sampler failure on one chunk is
retried with backoff; if it persists the chunk's problems are recorded as errors, not fatal.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrl.errors import AgentRLError, ConfigError
from agentrl.eval.metrics import bootstrap_ci, majority_vote, pass_at_k
from agentrl.eval.policy import Policy
from agentrl.eval.suites import Suite, SuiteTask
from agentrl.trajectory import Trajectory


@dataclass(frozen=True)
class Problem:
    """One problem of a suite task: a dataset index or a generator seed."""

    problem_id: str
    task_index: int | None
    seed: int


def problems_for(task: SuiteTask, env: Any, *, limit: int | None, seed: int) -> list[Problem]:
    """The problems a suite task evaluates, in a fixed order."""
    num_tasks = getattr(env, "num_tasks", None)
    caps = [x for x in (task.num_problems, limit, num_tasks) if x]
    if num_tasks:
        return [Problem(str(i), i, seed + i) for i in range(min(caps))]
    if task.num_problems is None and limit is None:
        raise ConfigError(f"suite task {task.name!r} generates problems: set num_problems")
    return [Problem(f"seed{seed + i}", None, seed + i) for i in range(min(caps))]


def sample_record(traj: Trajectory) -> dict[str, Any]:
    """What is kept of one episode: reward, correctness, the normalized answer, tokens."""
    from agentrl.grading import extract_answer, normalize

    final = next((m["content"] for m in reversed(traj.messages) if m["role"] == "assistant"), "")
    extracted = extract_answer(final) if final else None
    correct = traj.reward_components.get("correct")
    return {
        "reward": traj.reward,
        "correct": bool(correct if correct is not None else traj.reward > 0),
        "predicted": normalize(extracted) if extracted else None,
        "termination": traj.termination,
        "error": traj.error,
        "policy_tokens": traj.num_policy_tokens,
    }


def problem_record(task: SuiteTask, problem: Problem, trajs: list[Trajectory]) -> dict[str, Any]:
    samples = [sample_record(t) for t in trajs]
    n, c = len(samples), sum(s["correct"] for s in samples)
    return {
        "task": task.name,
        "problem_id": problem.problem_id,
        "gold": trajs[0].info.get("answer") if trajs else None,
        "samples": samples,
        "n": n,
        "correct": c,
        "pass@1": c / n,
        "pass@k": pass_at_k(n, c, n),
        "maj@k": majority_vote([s["predicted"] for s in samples], [s["correct"] for s in samples]),
        "mean_reward": sum(s["reward"] for s in samples) / n,
        "error": None,
    }


def error_record(task: SuiteTask, problem: Problem, error: str) -> dict[str, Any]:
    return {"task": task.name, "problem_id": problem.problem_id, "samples": [], "error": error}


class ProblemLog:
    """problems.jsonl: one line per finished problem, read back on resume."""

    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = path
        self.done: dict[tuple[str, str], dict[str, Any]] = {}
        if resume and path.is_file():
            for line in path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the half-written last line of a killed run
                if rec.get("error") is None:
                    self.done[(rec["task"], rec["problem_id"])] = rec
        elif path.exists():
            path.unlink()
        # Rewrite without broken lines or stale errors, so appends start on a clean line.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in self.done.values()))

    def add(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")
        if record.get("error") is None:
            self.done[(record["task"], record["problem_id"])] = record


def _chunks(items: list[Problem], size: int) -> Iterable[list[Problem]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def run_task(
    task: SuiteTask,
    policy: Policy,
    log: ProblemLog,
    *,
    data_dir: Path | None,
    limit: int | None,
    seed: int,
    k: int | None,
    max_tokens: int | None,
    chunk_size: int,
    retries: int,
    on_progress: Callable[[int, int, float], None] | None,
) -> list[dict[str, Any]]:
    """Evaluate one suite task; returns its per-problem records (resumed ones included)."""
    import agentrl
    from agentrl.rollout import rollout

    env_kwargs = dict(task.env_kwargs)
    if task.data is not None:
        if data_dir is None:
            raise ConfigError(f"suite task {task.name!r} reads {task.data!r}: pass --data-dir")
        path = data_dir / task.data
        if not path.is_file():
            raise ConfigError(f"suite task {task.name!r}: no file {str(path)!r}")
        env_kwargs["data"] = str(path)
    probe = agentrl.make(task.env, **env_kwargs)
    problems = problems_for(task, probe, limit=limit, seed=seed)
    samples = k or task.k
    params = task.sampling.model_copy(
        update={"max_tokens": max_tokens} if max_tokens else {}
    ).params(seed=seed)
    todo = [p for p in problems if (task.name, p.problem_id) not in log.done]
    finished = len(problems) - len(todo)
    errors: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(todo, chunk_size):
        trajs = _run_chunk(
            rollout, task, probe, policy, chunk, samples, params, env_kwargs, retries
        )
        for i, problem in enumerate(chunk):
            if isinstance(trajs, str):
                errors[problem.problem_id] = error_record(task, problem, trajs)
                log.add(errors[problem.problem_id])
            else:
                log.add(problem_record(task, problem, trajs[i * samples : (i + 1) * samples]))
        finished += len(chunk)
        if on_progress is not None:
            recs = [
                log.done[(task.name, p.problem_id)]
                for p in problems
                if (task.name, p.problem_id) in log.done
            ]
            acc = sum(r["pass@1"] for r in recs) / max(len(recs), 1)
            on_progress(finished, len(problems), acc)
    return [log.done.get((task.name, p.problem_id)) or errors[p.problem_id] for p in problems]


def _run_chunk(
    rollout: Any,
    task: SuiteTask,
    probe: Any,
    policy: Policy,
    chunk: list[Problem],
    samples: int,
    params: Any,
    env_kwargs: dict[str, Any],
    retries: int,
) -> list[Trajectory] | str:
    """Trajectories of a chunk in problem order, or the error text after `retries` failures."""
    kwargs: dict[str, Any] = {"group_size": samples, "params": params, "progress": False}
    if chunk[0].task_index is not None:
        kwargs.update(tasks=[p.task_index for p in chunk], seed=chunk[0].seed)
    else:
        kwargs.update(num_episodes=len(chunk) * samples, seed=chunk[0].seed)
    last_error = ""
    for attempt in range(retries + 1):
        try:
            result = rollout(
                task.env, policy.sampler, policy.tokenizer, env_kwargs=env_kwargs, **kwargs
            )
            return list(result.trajectories)
        except AgentRLError as e:
            last_error = f"{type(e).__name__}: {e}"
            time.sleep(min(30.0, 0.5 * 2**attempt))
    return last_error


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan


def summarize(task: SuiteTask, records: list[dict[str, Any]], *, k: int) -> dict[str, Any]:
    """Task-level metrics over problems that ran; errored problems are counted, not scored."""
    ok = [r for r in records if r.get("error") is None]
    pass1 = [r["pass@1"] for r in ok]
    return {
        "problems": len(ok),
        "errors": len(records) - len(ok),
        "k": k,
        "pass@1": _mean(pass1),
        "pass@1_ci": list(bootstrap_ci(pass1)),
        "pass@k": _mean([r["pass@k"] for r in ok]),
        "maj@k": _mean([float(r["maj@k"]) for r in ok]),
        "mean_reward": _mean([r["mean_reward"] for r in ok]),
        "sampling": task.sampling.model_dump(),
        "env": task.env,
        "data": task.data,
        "per_problem": [
            {
                "problem_id": r["problem_id"],
                "pass@1": r.get("pass@1", 0.0),
                "gold": r.get("gold"),
                "error": r.get("error"),
            }
            for r in records
        ],
    }


def evaluate(
    suite: Suite,
    policy: Policy,
    *,
    out_dir: str | Path,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    k: int | None = None,
    max_tokens: int | None = None,
    seed: int = 0,
    resume: bool = True,
    chunk_size: int = 16,
    retries: int = 3,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate `policy` on every task of `suite`; write and return the results.

    Returns the content of ``results.json`` (also written with ``results.md`` and
    ``results.png`` to `out_dir`).
    """
    from agentrl import __version__
    from agentrl.eval.report import write_report
    from agentrl.grading import GRADER_VERSION

    out = Path(out_dir)
    log = ProblemLog(out / "problems.jsonl", resume=resume)
    started = time.time()
    tasks: dict[str, Any] = {}
    for task in suite.tasks:
        bar = _progress_bar(task.name, enabled=progress)
        records = run_task(
            task,
            policy,
            log,
            data_dir=Path(data_dir) if data_dir else None,
            limit=limit,
            seed=seed,
            k=k,
            max_tokens=max_tokens,
            chunk_size=chunk_size,
            retries=retries,
            on_progress=bar,
        )
        tasks[task.name] = summarize(task, records, k=k or task.k)
    results = {
        "suite": {
            "id": suite.id,
            "name": suite.name,
            "version": suite.version,
            "tasks": [t.model_dump() for t in suite.tasks],
        },
        "policy": policy.describe(),
        "grader_version": GRADER_VERSION,
        "agentrl_version": __version__,
        "seed": seed,
        "limit": limit,
        "k_override": k,
        "max_tokens_override": max_tokens,
        "wall_seconds": time.time() - started,
        "tasks": tasks,
    }
    write_report(results, out)
    return results


def _progress_bar(name: str, *, enabled: bool) -> Callable[[int, int, float], None] | None:
    if not enabled:
        return None
    from tqdm import tqdm

    bar: Any = None
    started = time.time()

    def update(done: int, total: int, accuracy: float) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=name, unit="problem")
        bar.n = done
        rate = done / max(time.time() - started, 1e-9)
        bar.set_postfix_str(f"acc={100 * accuracy:.1f}% {rate:.2f} problems/s")
        if done >= total:
            bar.close()

    return update
