"""The leaderboard: verified rows only, locked append-only CSV files, rendering, and the command line."""

import dataclasses
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import benchmarks_tasks
import ccgym
from baselines.leaderboard import markdown_table, read_rows, verify
from baselines.leaderboard import methods as methods_module
from baselines.leaderboard.__main__ import main
from baselines.leaderboard.methods import Method, Outcome
from baselines.leaderboard.records import proofs_path, read_proofs
from baselines.leaderboard.render import alphagrad_table, learned_table, plot, render
from baselines.leaderboard.run import run
from baselines.leaderboard.store import append_rows

ROOT = Path(__file__).parent.parent


def test_rows_are_written_verified_and_complete(board, board_plan):
    rows = read_rows(board)
    assert {(r.task, r.method) for r in rows} == {(t, m) for t in board_plan.tasks for m in board_plan.methods}
    exact = {r.task: r for r in rows if r.method == "exact"}
    assert exact["LIF"].value == exact["LIF"].bound == 24 and exact["AdaLIF"].bound == 132
    for row in rows:
        verify.check(row)
        assert row.ccgym_version == ccgym.__version__ and row.metric == "mults"


def test_the_run_records_the_bounds_it_proved(board):
    proofs = read_proofs(board)
    assert {(p.task, p.lower_bound, p.source) for p in proofs} == {("LIF", 24, "run"), ("AdaLIF", 132, "run")}


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


def test_a_failing_row_is_refused_and_not_written(board_plan, tmp_path, monkeypatch, capsys):
    liar = Method("liar", lambda graph, seed, budget: Outcome([0] * graph.num_intermediates), False, False)
    monkeypatch.setitem(methods_module.METHODS, "liar", liar)
    path = tmp_path / "board.csv"
    report = run(dataclasses.replace(board_plan, tasks=["LIF"], methods=["markowitz", "liar"]), path, progress=False)
    assert [r.method for r in read_rows(path)] == ["markowitz"]
    assert [(task, method) for task, method, _, _ in report.refused] == [("LIF", "liar")]
    assert "REFUSED LIF / liar" in capsys.readouterr().err


def test_the_published_alphagrad_order_is_a_verified_row_on_the_papers_graphs_only(tmp_path, monkeypatch, board_plan):
    plan = dataclasses.replace(
        board_plan, tasks=["LIF", "AlphaGrad-RoeFlux_1d"], methods=["reverse", "alphagrad-published"]
    )
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


def test_appending_keeps_every_earlier_byte_and_writes_a_result_once(board, tmp_path):
    path = tmp_path / "board.csv"
    path.write_bytes(board.read_bytes())
    before = path.read_bytes()
    rows = read_rows(board)
    assert append_rows(path, rows[:2]) == []  # already there
    assert path.read_bytes() == before
    new = [dataclasses.replace(row, seed="7") for row in rows if row.method == "beam"]
    assert append_rows(path, new + new) == new
    assert path.read_bytes().startswith(before)
    assert read_rows(path) == rows + new
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_foreign_file_is_not_extended(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="header"):
        append_rows(path, [])
    assert path.read_text() == "a,b\n1,2\n"


def test_a_malformed_board_is_not_extended_nor_rendered(board, tmp_path, capsys):
    path = tmp_path / "leaderboard.csv"
    path.write_text(board.read_text().replace(",24\n", ",abc\n", 1))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="lower_bound='abc' is not a non-negative integer"):
        append_rows(path, [dataclasses.replace(read_rows(board)[0], seed="5")])
    assert main(["--results", str(tmp_path), "--tasks", "LIF", "--methods", "forward"]) == 1
    assert main(["render", "--results", str(tmp_path)]) == 1
    assert "error: " in capsys.readouterr().err and path.read_bytes() == before


APPENDER = """
import sys, time
from pathlib import Path
from baselines.leaderboard.records import Row
from baselines.leaderboard.store import append_rows
path, worker, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
(path.parent / f"ready{worker}").touch()
while not (path.parent / "go").exists():
    time.sleep(0.001)
for n in range(count):
    append_rows(path, [Row("LIF", "forward", "mults", n, worker, "", 0.0, "0", "0.1.0", "2026-01-01")])
"""


def test_concurrent_appends_keep_every_row(tmp_path):
    """Several processes appending one row at a time to one CSV, all at once: no row is lost."""
    workers, count = 4, 40
    path = tmp_path / "leaderboard.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(path), str(w), str(count)], env=env)
        for w in range(workers)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready*"))) < workers and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()
    assert [process.wait(timeout=120) for process in processes] == [0] * workers
    rows = read_rows(path)
    assert sorted((row.seed, row.value) for row in rows) == sorted(
        (str(w), n) for w in range(workers) for n in range(count)
    )


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_result_files_get_ordinary_permissions(board, tmp_path, umask):
    old = os.umask(umask)
    try:
        path = tmp_path / "board.csv"
        append_rows(path, read_rows(board))
        render(path, tmp_path / "LEADERBOARD.md", tmp_path / "board.png")
    finally:
        os.umask(old)
    for name in ("board.csv", "LEADERBOARD.md", "board.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name
    (tmp_path / "board.csv").chmod(0o664)
    append_rows(path, [dataclasses.replace(read_rows(board)[0], seed="3")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o664  # an existing file keeps its mode


def test_markdown_and_picture(board, tmp_path):
    table = markdown_table(board)
    lines = table.splitlines()
    assert lines[0].startswith("| Task | forward | markowitz | beam | optimum")
    lif = next(line for line in lines if line.startswith("| LIF "))
    assert "| 32 |" in lif and "| **24** |" in lif
    plot(read_rows(board), read_proofs(board), tmp_path / "board.png")
    assert (tmp_path / "board.png").read_bytes().startswith(b"\x89PNG")


def optimum_cell(csv_path: Path, task: str) -> str:
    """The "optimum or [bound, best]" cell of a task in the rendered table."""
    line = next(line for line in markdown_table(csv_path).splitlines() if line.startswith(f"| {task} |"))
    return line.split(" | ")[-2]


def test_only_a_proven_bound_is_bold(board, tmp_path):
    """Without the proofs beside the CSV its bounds are claims, ``[24?, 24]``; with them, proven optima."""
    path = tmp_path / "leaderboard.csv"
    path.write_bytes(board.read_bytes())
    assert (optimum_cell(path, "LIF"), optimum_cell(path, "AdaLIF")) == ("[24?, 24]", "[132?, 132]")
    proofs_path(path).write_bytes(proofs_path(board).read_bytes())
    assert (optimum_cell(path, "LIF"), optimum_cell(path, "AdaLIF")) == ("**24**", "**132**")


def test_command_line_run_validate_render(tmp_path):
    folder = ["--results", str(tmp_path)]
    assert main([*folder, "--quick", "--tasks", "LIF", "--methods", "reverse", "annealing", "--budget", "50evals"]) == 0
    assert main(["validate", *folder]) == 0
    assert main(["render", *folder]) == 0
    page = (tmp_path / "LEADERBOARD.md").read_text()
    assert "| LIF |" in page
    assert f"validate {(tmp_path / 'leaderboard.csv').as_posix()}`" in page


def test_run_writes_into_quick_results_unless_told(tmp_path, monkeypatch):
    """The committed board in results/ is never extended by a run that does not name it."""
    monkeypatch.chdir(tmp_path)
    assert main(["--quick", "--tasks", "LIF", "--methods", "forward"]) == 0
    assert [r.method for r in read_rows(tmp_path / "quick-results" / "leaderboard.csv")] == ["forward"]
    assert not (tmp_path / "results").exists()
    assert "validate quick-results/leaderboard.csv`" in (tmp_path / "quick-results" / "LEADERBOARD.md").read_text()


@pytest.mark.parametrize(
    "argv",
    [["run", "--tasks", "LFI"], ["--quick", "--tasks", "LIF", "LFI"], ["run", "--tasks", "lif", "--results", "x"]],
)
def test_an_unknown_task_is_one_clear_line(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    wrong = next(word for word in argv if word in ("LFI", "lif"))
    assert err == f"error: unknown task {wrong!r}; valid names: {', '.join(benchmarks_tasks.names())}\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("budget", "message"), [("0s", "finite positive"), ("nans", "not a budget")])
def test_a_bad_budget_is_a_usage_error(budget, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--tasks", "LIF", "--budget", budget])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.skipif(not (ROOT / "results" / "leaderboard.csv").exists(), reason="no published results")
def test_published_results_validate(capsys):
    """The committed leaderboard still holds under the current kernels, executor and methods."""
    assert main(["validate", "--results", str(ROOT / "results"), "--trust-bounds"]) == 0
    out = capsys.readouterr().out
    assert " 0 REJECTED" in out and "reproduced by re-running their method" in out


@pytest.mark.skipif(not (ROOT / "results" / "leaderboard.csv").exists(), reason="no published results")
def test_published_proofs_belong_to_rows_of_the_board():
    csv_path = ROOT / "results" / "leaderboard.csv"
    claims = {(r.task, r.bound, r.budget, r.seed) for r in read_rows(csv_path) if r.bound is not None}
    for proof in read_proofs(csv_path):
        assert (proof.task, proof.lower_bound, proof.budget, proof.seed) in claims


def test_learned_agents_run_only_when_named():
    from baselines.leaderboard.run import Plan

    for name in ("alphazero", "alphazero-pretrained", "ppo", "ppo-best"):
        assert methods_module.METHODS[name].learned and name not in Plan().methods
    assert {"forward", "exact", "beam"} <= set(Plan().methods)


def test_merge_brings_verified_rows_once_and_refuses_the_rest(board, tmp_path, capsys):
    target = tmp_path / "target" / "leaderboard.csv"
    assert main(["merge", str(board), "--results", str(target.parent)]) == 0
    assert read_rows(target) == read_rows(board)
    assert {(p.task, p.lower_bound) for p in read_proofs(target)} == {("LIF", 24), ("AdaLIF", 132)}
    assert main(["merge", str(board), "--results", str(target.parent)]) == 0  # nothing new: nothing written twice
    assert len(read_rows(target)) == len(read_rows(board))

    tampered = tmp_path / "tampered.csv"
    lines = board.read_text().splitlines()
    header, first = lines[0], lines[1].split(",")
    first[3] = str(int(first[3]) - 1)  # claims one multiplication fewer than its order costs
    tampered.write_text("\n".join([header, ",".join(first), *lines[2:]]) + "\n")
    fresh = tmp_path / "fresh" / "leaderboard.csv"
    assert main(["merge", str(tampered), "--results", str(fresh.parent)]) == 1
    assert len(read_rows(fresh)) == len(lines) - 2 and "REJECTED" in capsys.readouterr().err


def test_the_learned_agents_table_holds_alphazero_against_its_goals(tmp_path, monkeypatch, board_plan):
    forward = Method("alphazero", lambda graph, seed, budget: Outcome(ccgym.forward_order(graph)), True, True, learned=True)
    monkeypatch.setitem(methods_module.METHODS, "alphazero", forward)  # a stand-in agent: forward mode's order
    plan = dataclasses.replace(board_plan, tasks=["LIF"], methods=["reverse", "markowitz", "alphazero"])
    path = tmp_path / "board.csv"
    assert not run(plan, path, progress=False).refused
    graph = benchmarks_tasks.get("LIF").graph()
    costs = [ccgym.cost(graph, order(graph)).mults for order in (ccgym.reverse_order, ccgym.markowitz_order)]
    agent = ccgym.cost(graph, ccgym.forward_order(graph)).mults
    verdict = f"**{agent - min(costs)} more**" if agent > min(costs) else "met"
    assert learned_table(path).splitlines()[2].startswith(
        f"| LIF | {costs[0]} | {costs[1]} | — | — | — | {agent} | {verdict}"
    )
