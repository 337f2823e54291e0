"""``validate``: strict parsing, tampered and mislabelled rows, duplicates, and bounds re-proved or flagged."""

import csv
import dataclasses
import re
from pathlib import Path

import pytest
from test_leaderboard import optimum_cell

from baselines.budget import Budget
from baselines.leaderboard import Row, read_rows
from baselines.leaderboard.__main__ import main
from baselines.leaderboard.records import columns, proofs_path, read_proofs
from baselines.leaderboard.run import Plan, run
from baselines.leaderboard.store import append_rows


def copy_of(board: Path, folder: Path) -> Path:
    path = folder / "leaderboard.csv"
    path.write_bytes(board.read_bytes())
    return path


def with_fields(board: Path, folder: Path, method: str, raw: dict[str, str]) -> Path:
    """A copy of the board whose LIF row of ``method`` has the raw texts ``raw`` in some fields."""
    with board.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    for record in records:
        if record["task"] == "LIF" and record["method"] == method:
            record.update(raw)
    path = folder / "leaderboard.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(Row))
        writer.writeheader()
        writer.writerows(records)
    return path


def validate(*argv: str) -> int:
    return main(["validate", *argv])


def test_validate_accepts_the_rows_replaying_the_deterministic_ones(board, capsys):
    assert validate(str(board), "--trust-bounds") == 0
    out = capsys.readouterr().out
    assert "8 rows: 8 accepted (6 reproduced by re-running their method), 0 REJECTED" in out  # forward, markowitz, beam


def test_bounds_are_unverified_claims_unless_trusted(board, capsys):
    assert validate(str(board)) == 1
    captured = capsys.readouterr()
    assert re.search(r"UNVERIFIED line \d+ \(LIF / exact / seed 0\): lower bound 24 is a claim", captured.err)
    assert "2 UNVERIFIED" in captured.out and "--reprove-bounds" in captured.out and "FAILS" in captured.out


def test_bounds_are_re_proved_and_recorded(board, tmp_path, capsys):
    path = copy_of(board, tmp_path)
    assert validate(str(path), "--reprove-bounds") == 0
    assert "2 re-proved, 0 UNVERIFIED" in capsys.readouterr().out
    lines = {row.task: n for n, row in enumerate(read_rows(path), start=2) if row.method == "exact"}
    assert {(p.task, p.lower_bound, p.source) for p in read_proofs(path)} == {
        ("LIF", 24, f"reprove line {lines['LIF']}"),
        ("AdaLIF", 132, f"reprove line {lines['AdaLIF']}"),
    }
    assert optimum_cell(path, "LIF") == "**24**"


@pytest.fixture(scope="module")
def gap(tmp_path_factory) -> Path:
    """A real exact row whose bound is far below its cost: RoeFlux3d after 1 s (optimum at most 620)."""
    path = tmp_path_factory.mktemp("gap") / "leaderboard.csv"
    plan = Plan(tasks=["RoeFlux3d"], methods=["exact"], seeds=[0], exact_budget=Budget(seconds=1.0))
    (row,) = run(plan, path, progress=False).written
    assert row.bound < 620 <= row.value
    return path


def test_a_forged_bound_never_passes(gap, tmp_path, capsys):
    """The issue's forgery: a bound raised to the row's own cost, claiming a proven optimum."""
    real = read_rows(gap)[0]
    path = tmp_path / "leaderboard.csv"
    append_rows(path, [dataclasses.replace(real, lower_bound=str(real.value))])
    assert validate(str(path)) == 1
    assert f"lower bound {real.value} is a claim" in capsys.readouterr().err
    assert validate(str(path), "--reprove-bounds") == 1
    err = capsys.readouterr().err
    assert re.search(rf"UNVERIFIED .*: the exact solver under 1s proved only \d+, not {real.value}", err)
    assert not read_proofs(path)
    assert optimum_cell(path, "RoeFlux3d") == f"[{real.value}?, {real.value}]"
    proofs_path(path).write_bytes(proofs_path(gap).read_bytes())  # the run's own proof of the real bound
    assert optimum_cell(path, "RoeFlux3d") == f"[{real.bound}, {real.value}]"


def test_a_bound_above_a_verified_cost_is_rejected(board, tmp_path, capsys):
    """An exact row with the forward order claiming it optimal (32), while Markowitz's row costs 24."""
    path = with_fields(board, tmp_path, "exact", {"order": "0 1 2 3 4 5 6 7 8 9", "value": "32", "lower_bound": "32"})
    assert validate(str(path), "--trust-bounds") == 1
    err = capsys.readouterr().err
    assert re.search(r"REJECTED line \d+ \(LIF / exact / seed 0\): lower bound 32 exceeds the verified cost 24 of", err)


def test_a_mislabelled_row_is_rejected(board, tmp_path, capsys):
    """A ``forward`` row carrying the Markowitz order and count."""
    path = with_fields(board, tmp_path, "markowitz", {"method": "forward"})
    assert validate(str(path), "--trust-bounds") == 1
    err = capsys.readouterr().err
    assert re.search(r"REJECTED line \d+ \(LIF / forward\): mislabelled: re-running forward gives another order", err)


@pytest.mark.parametrize(
    ("method", "fields", "message"),
    [
        ("markowitz", {"value": "23"}, "claims mults = 23, but the order costs 24"),
        ("markowitz", {"order": "0 0 1 2 3 4 5 6 7 8"}, "invalid order"),
        ("markowitz", {"order": "9 8 7 6 5 4 3 2 1 0"}, "claims mults = 24, but the order costs 27"),
        ("markowitz", {"lower_bound": "20"}, "markowitz proves no lower bound"),
        ("markowitz", {"seed": "0"}, "markowitz takes no seed"),
        ("markowitz", {"budget": "5s"}, "markowitz takes no budget"),
        ("beam", {"seed": ""}, "beam needs seed"),
        ("exact", {"budget": "100evals"}, "the exact solver needs a budget in seconds only"),
        ("exact", {"lower_bound": "25"}, "lower bound 25 exceeds the cost 24 of the row's own order"),
        ("markowitz", {"task": "NoSuchTask"}, "unknown task 'NoSuchTask'"),
        ("markowitz", {"metric": "additions"}, "unknown metric 'additions'"),
    ],
)
def test_a_tampered_row_is_rejected(board, tmp_path, capsys, method, fields, message):
    path = with_fields(board, tmp_path, method, fields)
    assert validate(str(path), "--trust-bounds") == 1
    captured = capsys.readouterr()
    assert "REJECTED line" in captured.err and message in captured.err
    assert "8 rows: 7 accepted" in captured.out


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("lower_bound", "abc", "is not a non-negative integer"),
        ("lower_bound", "-1", "is not a non-negative integer"),
        ("value", "1.5", "is not a non-negative integer"),
        ("value", " 24", "is not a non-negative integer"),
        ("value", "", "is not a non-negative integer"),
        ("wall_time_s", "nan", "is not a finite non-negative number of seconds"),
        ("wall_time_s", "1e999", "is not a finite non-negative number of seconds"),
        ("order", "1,5,0", "is not a list of intermediate indices"),
        ("order", "1  5", "is not a list of intermediate indices"),
        ("seed", "x", "is not a non-negative integer"),
        ("budget", "fast", "not a budget"),
        ("budget", "0s", "finite positive number of seconds"),
        ("date", "yesterday", "is not a date"),
        ("date", "2026-02-30", "day is out of range"),
        ("task", "", "is empty"),
    ],
)
def test_a_malformed_field_is_rejected_by_name(board, tmp_path, capsys, field, text, problem):
    path = with_fields(board, tmp_path, "markowitz", {field: text})
    assert validate(str(path), "--trust-bounds") == 1
    captured = capsys.readouterr()
    assert re.search(rf"REJECTED line 3 \(.*\): {field}={re.escape(repr(text))} .*{problem}", captured.err)
    assert "8 rows: 7 accepted" in captured.out  # the other lines are still checked


def test_duplicates_blank_lines_and_short_lines_are_rejected(board, tmp_path, capsys):
    lines = board.read_text().splitlines(keepends=True)
    rerun = lines[2].replace(",2026-", ",2025-")  # the same result on another day
    path = tmp_path / "leaderboard.csv"
    path.write_text("".join([*lines, lines[1], "\n", "LIF,forward\n", rerun]))
    assert validate(str(path), "--trust-bounds") == 1
    err = capsys.readouterr().err
    assert "REJECTED line 10 (LIF / forward): duplicate of line 2" in err
    assert "REJECTED line 11: blank line" in err
    assert "REJECTED line 12: 2 fields, the header has 11" in err
    assert "REJECTED line 13 (LIF / markowitz): duplicate of line 3" in err


def test_header_only_empty_missing_and_foreign_files(board, tmp_path, capsys):
    path = tmp_path / "leaderboard.csv"
    path.write_text(board.read_text().splitlines(keepends=True)[0])
    assert validate(str(path)) == 0
    assert "0 rows" in capsys.readouterr().out
    path.write_text("")
    assert validate(str(path)) == 1
    assert "empty file" in capsys.readouterr().err
    assert validate(str(tmp_path / "none.csv")) == 1
    assert "no such file" in capsys.readouterr().err
    path.write_text("a,b\n1,2\n")
    assert validate(str(path)) == 1
    assert "is not the header" in capsys.readouterr().err
