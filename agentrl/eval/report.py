"""Eval outputs: results.json (everything needed to reproduce), a Markdown table, a PNG chart,
and side-by-side comparison of two result files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from agentrl.errors import ConfigError
from agentrl.eval.metrics import paired_difference_ci


def _pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def markdown_table(results: dict[str, Any]) -> str:
    """One row per suite task: pass@1 with its 95% interval, pass@k, maj@k, mean reward."""
    lines = [
        f"# {results['suite']['id']} — {results['policy']['model_id']}",
        "",
        "| task | problems | k | pass@1 (%) | 95% CI | pass@k (%) | maj@k (%) "
        "| mean reward | errors |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for name, t in results["tasks"].items():
        lo, hi = t["pass@1_ci"]
        lines.append(
            f"| {name} | {t['problems']} | {t['k']} | {_pct(t['pass@1'])} | "
            f"[{_pct(lo)}, {_pct(hi)}] | {_pct(t['pass@k'])} | {_pct(t['maj@k'])} | "
            f"{t['mean_reward']:.3f} | {t['errors']} |"
        )
    lines += ["", f"grader {results['grader_version']}, seed {results['seed']}."]
    return "\n".join(lines) + "\n"


def plot_results(results: dict[str, Any], path: Path) -> None:
    """A bar chart of pass@1 per task with 95% interval whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["tasks"])
    values = [100 * results["tasks"][n]["pass@1"] for n in names]
    errs = [
        [
            100 * (results["tasks"][n]["pass@1"] - results["tasks"][n]["pass@1_ci"][0])
            for n in names
        ],
        [
            100 * (results["tasks"][n]["pass@1_ci"][1] - results["tasks"][n]["pass@1"])
            for n in names
        ],
    ]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(names) + 2), 3.6), dpi=120)
    ax.bar(names, values, yerr=errs, capsize=4, color="#4C72B0")
    ax.set_ylabel("pass@1 (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{results['suite']['id']}: {results['policy']['model_id']}")
    for i, v in enumerate(values):
        ax.text(i, v + 2, f"{v:.1f}", ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "results.json.tmp"
    tmp.write_text(json.dumps(results, indent=2, sort_keys=True))
    tmp.replace(out_dir / "results.json")
    (out_dir / "results.md").write_text(markdown_table(results))
    plot_results(results, out_dir / "results.png")


def load_results(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    if not p.is_file():
        raise ConfigError(f"no eval results at {str(path)!r} (expected results.json)")
    return json.loads(p.read_text())


def compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """A Markdown table of pass@1 for A and B per shared task, with B-A and its paired 95% CI."""
    lines = [
        f"A: {a['policy']['model_id']} ({a['suite']['id']})",
        f"B: {b['policy']['model_id']} ({b['suite']['id']})",
        "",
        "| task | A pass@1 (%) | B pass@1 (%) | B-A (points) | 95% CI |",
        "|---|---:|---:|---:|---|",
    ]
    for name in a["tasks"]:
        if name not in b["tasks"]:
            continue
        pa = {p["problem_id"]: p["pass@1"] for p in a["tasks"][name]["per_problem"]}
        pb = {p["problem_id"]: p["pass@1"] for p in b["tasks"][name]["per_problem"]}
        shared = sorted(set(pa) & set(pb))
        diff, lo, hi = paired_difference_ci([pa[i] for i in shared], [pb[i] for i in shared])
        lines.append(
            f"| {name} | {_pct(a['tasks'][name]['pass@1'])} | {_pct(b['tasks'][name]['pass@1'])} "
            f"| {100 * diff:+.1f} | [{100 * lo:+.1f}, {100 * hi:+.1f}] |"
        )
    return "\n".join(lines) + "\n"
