"""Loaders for the math datasets the built-in envs read.

- DeepScaleR format: a JSON list, JSON Lines or Parquet file of records with ``problem``,
  ``answer`` and an optional ``solution``. ``answer`` may be a string, a number (``142.0`` is
  read as ``"142"``) or a list of accepted alternatives (the first one is the canonical answer);
  ``solution`` may be a list of alternative solutions (the first is kept).
- GSM8K format: JSON Lines of ``{"question", "answer"}`` where ``answer`` is the worked solution
  ending in ``#### N``; the gold answer is N, and the ``<<48/2=24>>`` calculator annotations are
  stripped from the solution.

Every error names the file and the record, e.g.
``train.jsonl record 17: 'answer' does not end in '#### <number>'``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from agentrl.env import Task
from agentrl.errors import DataError

OnInvalid = Literal["raise", "skip"]


# -- reading files ------------------------------------------------------------------------------
def read_records(path: str | Path) -> list[Any]:
    """The raw records of a ``.json`` (list), ``.jsonl`` or ``.parquet`` file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist")
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} is not a file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    raise DataError(
        f"data file {str(path)!r}: unknown extension {suffix!r}; use .json, .jsonl or .parquet"
    )


def _read_json(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"{path.name}: not valid JSON (line {e.lineno}: {e.msg})") from e
    except UnicodeDecodeError as e:
        raise DataError(f"{path.name}: not UTF-8 text ({e.reason})") from e
    if not isinstance(data, list):
        raise DataError(
            f"{path.name}: expected a JSON list of records, got a {type(data).__name__}"
        )
    return data


def _read_jsonl(path: Path) -> list[Any]:
    records = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(f"{path.name} line {lineno}: not valid JSON ({e.msg})") from e
    return records


def _read_parquet(path: Path) -> list[Any]:
    import pyarrow.parquet as pq  # only Parquet users pay for the import

    try:
        return pq.read_table(path).to_pylist()
    except Exception as e:  # pyarrow raises many types; re-raise with the file named
        raise DataError(f"{path.name}: cannot read as Parquet ({e})") from e


# -- record -> Task -----------------------------------------------------------------------------
def answer_text(value: Any) -> str:
    """A gold answer as text: strings stripped, integral floats without ``.0``."""
    if isinstance(value, bool):
        raise ValueError(f"a boolean ({value}) is not an answer")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not an answer")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"an answer must be text or a number, got {type(value).__name__}")


def deepscaler_task(record: Any, source: str, index: int) -> Task:
    """One DeepScaleR-format record as a `Task`; raises ValueError saying what is wrong."""
    if not isinstance(record, Mapping):
        raise ValueError(
            f"expected an object with 'problem' and 'answer', got {type(record).__name__}"
        )
    problem = record.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        raise ValueError(f"'problem' must be non-empty text, got {_short(problem)}")
    raw = record.get("answer")
    alternatives = raw if isinstance(raw, list) else [raw]
    answers = tuple(a for a in (answer_text(v) for v in alternatives if v is not None) if a)
    if not answers:
        raise ValueError(f"'answer' must be a non-empty answer, got {_short(raw)}")
    solution = record.get("solution")
    if isinstance(solution, list) and solution and all(isinstance(s, str) for s in solution):
        solution = solution[0]  # several alternative solutions (OlympiadBench): keep the first
    if solution is not None and not isinstance(solution, str):
        raise ValueError(f"'solution' must be text when present, got {type(solution).__name__}")
    metadata = {k: v for k, v in record.items() if k not in ("problem", "answer", "solution")}
    return Task(
        f"{source}#{index}", problem.strip(), answers[0], solution or None, answers, metadata
    )


_GSM8K_FINAL = re.compile(r"####\s*(?P<answer>[^\n]+?)\s*$")
_CALC_ANNOTATION = re.compile(r"<<[^<>]*>>")


def gsm8k_task(record: Any, source: str, index: int) -> Task:
    """One GSM8K record as a `Task` (gold = the number after ``####``, annotations stripped)."""
    if not isinstance(record, Mapping):
        raise ValueError(
            f"expected an object with 'question' and 'answer', got {type(record).__name__}"
        )
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"'question' must be non-empty text, got {_short(question)}")
    answer = record.get("answer")
    if not isinstance(answer, str):
        raise ValueError(f"'answer' must be text ending in '#### <number>', got {_short(answer)}")
    match = _GSM8K_FINAL.search(answer)
    if match is None:
        raise ValueError(f"'answer' does not end in '#### <number>': {_short(answer[-60:])}")
    gold = match.group("answer").replace(",", "").strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", gold):
        raise ValueError(f"the answer after '####' is not a number: {gold!r}")
    steps = _CALC_ANNOTATION.sub("", answer[: match.start()]).strip()
    solution = f"{steps}\nThe answer is \\boxed{{{gold}}}." if steps else f"\\boxed{{{gold}}}"
    metadata = {k: v for k, v in record.items() if k not in ("question", "answer")}
    return Task(f"{source}#{index}", question.strip(), gold, solution, (gold,), metadata)


def load_tasks(
    data: str | Path | Sequence[Any],
    format: Literal["deepscaler", "gsm8k"],
    *,
    on_invalid: OnInvalid = "raise",
) -> list[Task]:
    """Read tasks from a file path or an in-memory list of records.

    Args:
        data: a ``.json``/``.jsonl``/``.parquet`` path, or a list of record dicts.
        format: "deepscaler" (problem/answer/solution) or "gsm8k" (question/answer with ####).
        on_invalid: "raise" stops at the first bad record with an error naming it; "skip"
            drops bad records and says on stderr how many and which.

    Raises:
        DataError: the file is missing or unreadable, a record is bad (with "raise"), or no
            valid record is left.
    """
    if on_invalid not in ("raise", "skip"):
        raise DataError(f"got on_invalid={on_invalid!r}, need 'raise' or 'skip'")
    convert = {"deepscaler": deepscaler_task, "gsm8k": gsm8k_task}.get(format)
    if convert is None:
        raise DataError(f"got format={format!r}, need 'deepscaler' or 'gsm8k'")
    if isinstance(data, str | Path):
        source = Path(data).name
        records: Sequence[Any] = read_records(data)
    elif isinstance(data, Sequence):
        source, records = "records", data
    else:
        raise DataError(f"data must be a file path or a list of records, got {type(data).__name__}")
    tasks, skipped = _convert_all(records, convert, source, on_invalid)
    if skipped:
        shown = ", ".join(f"{i} ({why})" for i, why in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        print(
            f"agentrl: {source}: skipped {len(skipped)} invalid records: {shown}{more}",
            file=sys.stderr,
        )
    if not tasks:
        raise DataError(f"{source}: no valid {format} records (read {len(records)})")
    return tasks


def _convert_all(
    records: Iterable[Any], convert: Any, source: str, on_invalid: OnInvalid
) -> tuple[list[Task], list[tuple[int, str]]]:
    tasks, skipped = [], []
    for index, record in enumerate(records):
        try:
            tasks.append(convert(record, source, index))
        except ValueError as e:
            if on_invalid == "raise":
                hint = " (pass on_invalid='skip' to drop such records)"
                raise DataError(f"{source} record {index}: {e}{hint}") from e
            skipped.append((index, str(e)))
    return tasks, skipped


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
