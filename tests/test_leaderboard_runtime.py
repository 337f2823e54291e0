"""``runtime_us`` rows: the best orders timed, verified as orders, accepted as noisy measurements with their machine."""

import csv
from pathlib import Path

import pytest
import torch

from baselines.leaderboard.__main__ import main
from baselines.leaderboard.records import RUNTIME_METRIC, Row, columns, measurements_path, read_measurements, read_rows
from baselines.leaderboard.runtime import Settings, best_rows, measure_best_orders

torch.set_num_threads(1)
QUICK = Settings(batch=1, warmup=1, repeats=3, min_seconds=0.0)


@pytest.fixture
def timed_board(board, tmp_path) -> Path:
    path = tmp_path / "leaderboard.csv"
    path.write_bytes(board.read_bytes())
    report = measure_best_orders(path, None, QUICK, progress=False)
    assert not report.refused and {row.task for row in report.written} == {"LIF", "AdaLIF"}
    return path


def test_the_best_order_of_each_task_is_timed_with_its_spread_and_machine(timed_board):
    rows = read_rows(timed_board)
    best = best_rows(rows)
    runtimes = [row for row in rows if row.metric == RUNTIME_METRIC]
    measurements = {(m.task, m.order): m for m in read_measurements(timed_board)}
    assert len(runtimes) == 2
    for row in runtimes:
        source = best[row.task]
        assert (row.method, row.seed, row.budget, row.order) == (
            source.method,
            source.seed,
            source.budget,
            source.order,
        )
        measured = measurements[(row.task, row.order)]
        assert measured.value == row.value == max(1, round(measured.median_us))
        assert measured.q1_us <= measured.median_us <= measured.q3_us and measured.repeats >= 3
        assert "cores" in measured.machine and measured.dtype == "float64" and measured.batch == 1


def test_validate_accepts_them_as_measurements_not_replays(timed_board, capsys):
    assert main(["validate", str(timed_board), "--trust-bounds"]) == 0
    out = capsys.readouterr().out
    assert "10 rows: 10 accepted" in out and "2 measured runtimes (orders verified, values not replayed)" in out


def rewrite(path: Path, change) -> None:
    with path.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    for record in records:
        if record["metric"] == RUNTIME_METRIC and record["task"] == "LIF":
            change(record)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(Row), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def test_a_runtime_without_its_measurement_or_with_a_bad_order_is_rejected(timed_board, capsys):
    rewrite(timed_board, lambda record: record.update(value=str(int(record["value"]) + 1)))
    assert main(["validate", str(timed_board), "--trust-bounds"]) == 1
    assert "without its measurement" in capsys.readouterr().err
    rewrite(timed_board, lambda record: record.update(order=" ".join(record["order"].split()[:-1])))
    assert main(["validate", str(timed_board), "--trust-bounds"]) == 1
    assert "invalid order" in capsys.readouterr().err
    measurements_path(timed_board).write_text("not,a,measurement\n")
    assert main(["validate", str(timed_board), "--trust-bounds"]) == 1
    assert "REJECTED" in capsys.readouterr().err


def test_the_command_times_named_tasks(board, tmp_path, capsys):
    path = tmp_path / "leaderboard.csv"
    path.write_bytes(board.read_bytes())
    argv = [
        "runtime",
        "--results",
        str(tmp_path),
        "--tasks",
        "LIF",
        "--warmup",
        "1",
        "--repeats",
        "3",
        "--min-seconds",
        "0",
    ]
    assert main(argv) == 0
    assert "wrote 1 runtime rows" in capsys.readouterr().out
    assert [row.task for row in read_rows(path) if row.metric == RUNTIME_METRIC] == ["LIF"]


def test_merge_brings_runtime_rows_with_their_measurements(board, timed_board, tmp_path_factory, capsys):
    target = tmp_path_factory.mktemp("target") / "leaderboard.csv"
    target.write_bytes(board.read_bytes())
    assert main(["merge", str(timed_board), "--results", str(target.parent)]) == 0
    assert "merged 2 rows" in capsys.readouterr().out
    assert {(m.task, m.value) for m in read_measurements(target)} == {
        (row.task, row.value) for row in read_rows(target) if row.metric == RUNTIME_METRIC
    }
    assert main(["validate", str(target), "--trust-bounds"]) == 0
