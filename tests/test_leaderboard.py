"""The leaderboard: verified rows only, append-only CSV, validation that rejects tampering, rendering."""

import dataclasses
from pathlib import Path

import pytest

import ccgym
from baselines.budget import Budget
from baselines.leaderboard import markdown_table, read_rows, verify
from baselines.leaderboard import methods as methods_module
from baselines.leaderboard.__main__ import main
from baselines.leaderboard.methods import Method, Outcome
from baselines.leaderboard.records import append_rows
from baselines.leaderboard.render import alphagrad_table, plot
from baselines.leaderboard.run import Plan, run

RESULTS = Path(__file__).parent.parent / "results"
PLAN = Plan(
    tasks=["LIF", "AdaLIF"],
    methods=["forward", "markowitz", "beam", "exact"],
    seeds=[0],
    budget=Budget(evaluations=20),
    exact_budget=Budget(seconds=2.0),
)


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("board") / "leaderboard.csv"
    report = run(PLAN, path, progress=False)
    assert not report.refused and len(report.written) == 8
    return path


def test_rows_are_written_verified_and_complete(board):
    rows = read_rows(board)
    assert {(r.task, r.method) for r in rows} == {(t, m) for t in PLAN.tasks for m in PLAN.methods}
    exact = {r.task: r for r in rows if r.method == "exact"}
    assert exact["LIF"].value == exact["LIF"].bound == 24 and exact["AdaLIF"].bound == 132
    for row in rows:
        verify.check(row)
        assert row.ccgym_version == ccgym.__version__ and row.metric == "mults"


def test_validate_accepts_the_rows(board):
    assert main(["validate", str(board)]) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        {"value": 23},  # cheaper than the order really is
        {"order": "0 0 1 2 3 4 5 6 7 8"},  # not a permutation
        {"order": "9 8 7 6 5 4 3 2 1 0"},  # a different order than the value belongs to
        {"lower_bound": "25"},  # a "bound" above the order's own cost
        {"task": "NoSuchTask"},
        {"metric": "additions"},
    ],
)
def test_validate_rejects_a_tampered_row(board, tmp_path, tamper):
    rows = read_rows(board)
    target = next(i for i, r in enumerate(rows) if r.task == "LIF" and r.method == "markowitz")
    rows[target] = dataclasses.replace(rows[target], **tamper)
    tampered = tmp_path / "tampered.csv"
    append_rows(tampered, rows)
    assert main(["validate", str(tampered)]) == 1


def test_a_dishonest_or_inexact_executor_is_caught(board, monkeypatch):
    row = next(r for r in read_rows(board) if r.task == "AdaLIF" and r.method == "beam")
    real = ccgym.execute
    monkeypatch.setattr(verify.ccgym, "execute", lambda *args: (real(*args)[0], real(*args)[1] + 1))
    with pytest.raises(verify.Rejected, match="dishonest"):
        verify.check(row)

    def inexact(*args):
        jacobian, mults = real(*args)
        jacobian[0][0].add_(1e-6)
        return jacobian, mults

    monkeypatch.setattr(verify.ccgym, "execute", inexact)
    with pytest.raises(verify.Rejected, match="inexact"):
        verify.check(row)


def test_a_failing_row_is_refused_and_not_written(tmp_path, monkeypatch, capsys):
    liar = Method("liar", lambda graph, seed, budget: Outcome([0] * graph.num_intermediates), False, False)
    monkeypatch.setitem(methods_module.METHODS, "liar", liar)
    path = tmp_path / "board.csv"
    report = run(dataclasses.replace(PLAN, tasks=["LIF"], methods=["markowitz", "liar"]), path, progress=False)
    assert [r.method for r in read_rows(path)] == ["markowitz"]
    assert [(task, method) for task, method, _, _ in report.refused] == [("LIF", "liar")]
    assert "REFUSED LIF / liar" in capsys.readouterr().err


def test_the_published_alphagrad_order_is_a_verified_row_on_the_papers_graphs_only(tmp_path, monkeypatch):
    plan = dataclasses.replace(PLAN, tasks=["LIF", "AlphaGrad-RoeFlux_1d"], methods=["reverse", "alphagrad-published"])
    assert [(task, method) for task, method, _ in plan.jobs()] == [
        ("LIF", "reverse"), ("AlphaGrad-RoeFlux_1d", "reverse"), ("AlphaGrad-RoeFlux_1d", "alphagrad-published")
    ]  # fmt: skip
    path = tmp_path / "board.csv"
    assert not run(plan, path, progress=False).refused
    rows = {(r.task, r.method): r for r in read_rows(path)}
    assert rows["AlphaGrad-RoeFlux_1d", "alphagrad-published"].value == 320  # the paper's count
    assert rows["AlphaGrad-RoeFlux_1d", "reverse"].value == 364

    def no_execution(*args):
        raise AssertionError("an imported graph has no function to execute")

    monkeypatch.setattr(verify.ccgym, "execute", no_execution)
    verify.check(rows["AlphaGrad-RoeFlux_1d", "alphagrad-published"])  # the kernels' replay alone
    with pytest.raises(verify.Rejected, match="claims mults = 319"):
        verify.check(dataclasses.replace(rows["AlphaGrad-RoeFlux_1d", "alphagrad-published"], value=319))
    assert alphagrad_table(path).splitlines()[2] == "| AlphaGrad-RoeFlux_1d | 320 | 364 | reverse | — | 44 more |"


def test_appending_keeps_every_earlier_byte(board, tmp_path):
    path = tmp_path / "board.csv"
    path.write_bytes(board.read_bytes())
    before = path.read_bytes()
    append_rows(path, read_rows(board)[:2])
    assert path.read_bytes().startswith(before)
    assert len(read_rows(path)) == len(read_rows(board)) + 2
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_foreign_file_is_not_extended(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="columns"):
        append_rows(path, [])
    assert path.read_text() == "a,b\n1,2\n"


def test_markdown_and_picture(board, tmp_path):
    table = markdown_table(board)
    lines = table.splitlines()
    assert lines[0].startswith("| Task | forward | markowitz | beam | optimum")
    lif = next(line for line in lines if line.startswith("| LIF "))
    assert "| 32 |" in lif and "| **24** |" in lif
    plot(read_rows(board), tmp_path / "board.png")
    assert (tmp_path / "board.png").read_bytes().startswith(b"\x89PNG")


def test_command_line_run_validate_render(tmp_path):
    folder = ["--results", str(tmp_path)]
    assert main([*folder, "--quick", "--tasks", "LIF", "--methods", "reverse", "annealing", "--budget", "50evals"]) == 0
    assert main(["validate", *folder]) == 0
    assert main(["render", *folder]) == 0
    assert "| LIF |" in (tmp_path / "LEADERBOARD.md").read_text()


@pytest.mark.skipif(not (RESULTS / "leaderboard.csv").exists(), reason="no published results")
def test_published_results_validate():
    """The committed leaderboard still holds under the current kernels and executor."""
    assert main(["validate", str(RESULTS / "leaderboard.csv")]) == 0
