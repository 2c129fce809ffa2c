"""Loading DeepScaleR- and GSM8K-format files (the tests write their own small files)."""

from __future__ import annotations

import json

import pytest

from agentrl.envs.data import DataError, load_tasks

DEEPSCALER = [
    {"problem": "What is 2+3?", "answer": "5", "solution": "2+3=5. \\boxed{5}", "level": 1},
    {"problem": "Find x if 2x=8.", "answer": 4.0},
    {"problem": "Give 1/2 as a decimal.", "answer": ["0.5\n", "\\frac{1}{2}"]},
]
GSM8K = [
    {
        "question": "Ann has 3 bags of 4 apples. How many apples?",
        "answer": "3 bags * 4 = <<3*4=12>>12 apples\n#### 12",
    },
    {
        "question": "A shop sold 1,200 pens and 300 more. Total?",
        "answer": "1200+300=1500\n#### 1,500",
    },
]


def _write(tmp_path, name, records):
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif name.endswith(".json"):
        path.write_text(json.dumps(records))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    return path


@pytest.mark.parametrize("name", ["tasks.json", "tasks.jsonl", "tasks.parquet"])
def test_deepscaler_formats_load_the_same_tasks(tmp_path, name):
    records = [dict(r, answer=str(r["answer"])) for r in DEEPSCALER[:2]]  # parquet: one type
    tasks = load_tasks(_write(tmp_path, name, records), "deepscaler")
    assert [t.prompt for t in tasks] == ["What is 2+3?", "Find x if 2x=8."]
    assert [t.answer for t in tasks] == ["5", "4.0"]
    assert tasks[0].solution == "2+3=5. \\boxed{5}" and tasks[1].solution is None
    assert tasks[0].id == f"{name}#0"


def test_deepscaler_answers_numbers_and_alternatives():
    tasks = load_tasks(DEEPSCALER, "deepscaler")
    assert tasks[1].answer == "4"  # 4.0 from a JSON number is the integer 4
    assert tasks[2].answer == "0.5" and tasks[2].answers == ("0.5", "\\frac{1}{2}")
    assert tasks[0].metadata == {"level": 1}


def test_gsm8k_gold_is_the_number_after_hashes_and_annotations_are_stripped(tmp_path):
    tasks = load_tasks(_write(tmp_path, "gsm.jsonl", GSM8K), "gsm8k")
    assert [t.answer for t in tasks] == ["12", "1500"]
    assert "<<" not in tasks[0].solution
    assert tasks[0].solution == "3 bags * 4 = 12 apples\nThe answer is \\boxed{12}."


@pytest.mark.parametrize(
    "records, fmt, match",
    [
        ([{"problem": "x"}], "deepscaler", r"records record 0: 'answer' must be a non-empty"),
        ([DEEPSCALER[0], {"answer": "1"}], "deepscaler", r"record 1: 'problem' must be"),
        ([DEEPSCALER[0], "just text"], "deepscaler", r"record 1: expected an object"),
        ([{"problem": "x", "answer": None}], "deepscaler", r"answer.*None"),
        ([{"question": "q", "answer": "no hashes"}], "gsm8k", r"record 0: 'answer' does not end"),
        ([{"question": "q", "answer": "#### seven"}], "gsm8k", r"not a number: 'seven'"),
    ],
)
def test_bad_records_are_named(records, fmt, match):
    with pytest.raises(DataError, match=match):
        load_tasks(records, fmt)


def test_file_errors_name_the_file_and_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"question": "q", "answer": "#### 1"}\n{not json\n')
    with pytest.raises(DataError, match=r"broken.jsonl line 2: not valid JSON"):
        load_tasks(broken, "gsm8k")
    with pytest.raises(DataError, match="does not exist"):
        load_tasks(tmp_path / "missing.json", "deepscaler")
    (tmp_path / "obj.json").write_text('{"problem": "x"}')
    with pytest.raises(DataError, match=r"obj.json: expected a JSON list"):
        load_tasks(tmp_path / "obj.json", "deepscaler")
    (tmp_path / "t.csv").write_text("a,b")
    with pytest.raises(DataError, match=r"unknown extension '\.csv'"):
        load_tasks(tmp_path / "t.csv", "deepscaler")


def test_skip_drops_bad_records_and_says_so(capsys):
    records = [DEEPSCALER[0], {"problem": "x", "answer": ""}, DEEPSCALER[1]]
    with pytest.raises(DataError, match="record 1"):
        load_tasks(records, "deepscaler")
    tasks = load_tasks(records, "deepscaler", on_invalid="skip")
    assert [t.id for t in tasks] == ["records#0", "records#2"]
    assert "skipped 1 invalid records: 1 (" in capsys.readouterr().err
    with pytest.raises(DataError, match="no valid"):
        load_tasks([{"problem": "x"}], "deepscaler", on_invalid="skip")
