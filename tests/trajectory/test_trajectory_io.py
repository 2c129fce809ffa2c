"""Trajectory JSONL IO, the validator and the training exports."""

from __future__ import annotations

import json

import pytest

from agentrl.trajectory import (
    Span,
    Trajectory,
    TrajectoryError,
    TrajectoryWriter,
    append_jsonl,
    main,
    read_jsonl,
    validate_jsonl,
    write_jsonl,
)


def two_turn(seed: int = 0, reward: float = 1.0) -> Trajectory:
    # prompt(3) policy(2) env(2) policy(3)
    return Trajectory(
        env_id="count-v0",
        seed=seed,
        group_id="g",
        token_ids=[1, 2, 3, 10, 11, 4, 5, 12, 13, 14],
        loss_mask=[0, 0, 0, 1, 1, 0, 0, 1, 1, 1],
        logprobs=[0, 0, 0, -0.1, -0.2, 0, 0, -0.3, -0.4, -0.5],
        spans=[
            Span(role="prompt", start=0, end=3, turn=0),
            Span(role="policy", start=3, end=5, turn=0),
            Span(role="env", start=5, end=7, turn=1),
            Span(role="policy", start=7, end=10, turn=1),
        ],
        step_rewards=[0.25, reward - 0.25],
        reward=reward,
    )


def test_write_read_append_roundtrip(tmp_path):
    path = tmp_path / "sub" / "t.jsonl"
    assert write_jsonl(path, [two_turn(0), two_turn(1)]) == 2
    assert append_jsonl(path, [two_turn(2)]) == 1
    back = list(read_jsonl(path))
    assert back == [two_turn(0), two_turn(1), two_turn(2)]
    assert write_jsonl(path, [two_turn(5)]) == 1  # write replaces
    assert [t.seed for t in read_jsonl(path)] == [5]


def test_writer_is_line_by_line_and_a_folder_reads_as_one(tmp_path):
    with TrajectoryWriter(tmp_path / "a.jsonl") as writer:
        writer.write(two_turn(0))
        # flushed: a reader sees it while the writer is still open
        assert [t.seed for t in read_jsonl(tmp_path / "a.jsonl")] == [0]
    write_jsonl(tmp_path / "b.jsonl", [two_turn(1)])
    assert [t.seed for t in read_jsonl(tmp_path)] == [0, 1]
    with pytest.raises(TrajectoryError, match="closed"):
        writer.write(two_turn(3))


def test_read_names_file_and_line_of_a_bad_record(tmp_path):
    path = tmp_path / "t.jsonl"
    write_jsonl(path, [two_turn(0)])
    with path.open("a") as f:
        f.write('{"env_id": "x", "token_ids": "oops"}\n')
    with pytest.raises(TrajectoryError, match=r"t\.jsonl:2: "):
        list(read_jsonl(path))
    with pytest.raises(TrajectoryError, match="no such trajectory file"):
        list(read_jsonl(tmp_path / "missing.jsonl"))


def test_validator_collects_every_broken_invariant(tmp_path, capsys):
    bad_mask = two_turn(1).model_copy(update={"loss_mask": [0, 0, 0, 1, 0, 0, 0, 1, 1, 1]})
    bad_reward = two_turn(2).model_copy(update={"reward": 5.0})
    path = tmp_path / "t.jsonl"
    write_jsonl(path, [two_turn(0), bad_mask, bad_reward])
    with path.open("a") as f:
        f.write("{not json\n")
    report = validate_jsonl(path)
    assert report.num_trajectories == 4 and not report.ok
    assert len(report.errors) == 3
    assert report.errors[0].startswith(f"{path}:2: ") and "unsampled position 4" in report.errors[0]
    assert report.errors[1].startswith(f"{path}:3: ") and "reward 5.0" in report.errors[1]
    assert report.errors[2].startswith(f"{path}:4: ")

    assert main([str(path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out == {"path": str(path), "trajectories": 4, "result": "3 invalid"}
    good = tmp_path / "good.jsonl"
    write_jsonl(good, [two_turn(0)])
    assert main([str(good)]) == 0


def test_stitched_and_turn_samples():
    traj = two_turn()
    whole = traj.stitched()
    assert whole.token_ids == traj.token_ids and whole.loss_mask == traj.loss_mask
    assert whole.turn is None and whole.reward == 1.0
    first, second = traj.turn_samples()
    assert first.token_ids == [1, 2, 3, 10, 11]
    assert first.loss_mask == [0, 0, 0, 1, 1]
    assert first.logprobs == [0, 0, 0, -0.1, -0.2]
    assert (first.turn, first.step_reward, first.reward) == (0, 0.25, 1.0)
    assert second.token_ids == traj.token_ids
    assert second.loss_mask == [0] * 7 + [1, 1, 1]  # the first turn is now prompt
    assert second.logprobs == [0.0] * 7 + [-0.3, -0.4, -0.5]
    assert (second.turn, second.step_reward) == (1, 0.75)
