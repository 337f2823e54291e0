"""The AlphaZero agent: a short run learns LIF, a killed run resumes without losing progress, folders are guarded."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import ccgym
from baselines.zero import checkpoint
from baselines.zero.train import Config, Run, train

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"task": "LIF", "games": 4, "simulations": 8, "train_steps": 2}


def log_lines(folder: Path) -> list[dict]:
    with (folder / "log.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_short_run_writes_its_files_and_plays_lif_well(tmp_path):
    torch.set_num_threads(1)
    run = train(Config(budget=1.0, **SMALL), tmp_path, progress=False)
    graph = run.graph
    assert run.iteration >= 1 and run.episodes == 4 * run.iteration
    assert run.best_mults == ccgym.cost(graph, run.best_order).mults  # the kept order is what it claims
    assert run.best_mults <= ccgym.cost(graph, ccgym.reverse_order(graph)).mults
    best = json.loads((tmp_path / "best_order.json").read_text())
    assert best == {"task": "LIF", "mults": run.best_mults, "order": run.best_order}
    assert [int(line["iteration"]) for line in log_lines(tmp_path)] == list(range(1, run.iteration + 1))
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_a_folder_holds_one_run(tmp_path):
    lock = checkpoint.hold_folder(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="another run"):
            train(Config(budget=1.0, **SMALL), tmp_path, progress=False)
    finally:
        lock.release()
    (tmp_path / "log.csv").write_text("iteration\n")
    with pytest.raises(FileExistsError, match="--resume"):
        train(Config(budget=1.0, **SMALL), tmp_path, progress=False)


def test_resuming_with_other_settings_is_refused():
    run = Run(Config(**SMALL))
    state = run.state_dict()
    other = Run(Config(**{**SMALL, "simulations": 4}))
    with pytest.raises(ValueError, match="simulations"):
        other.load_state_dict(state)


def test_a_killed_run_resumes_where_its_checkpoint_left_it(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "baselines/alphazero.py", "--task", "LIF", "--games", "4", "--simulations", "8",
               "--train-steps", "2", "--budget", "600", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if (out / "log.csv").exists() and len(log_lines(out)) >= 3:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run wrote no third iteration in 300 s")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    saved = checkpoint.load(out / "checkpoint.pt")
    assert saved["iteration"] >= 3 and saved["episodes"] == 4 * saved["iteration"]

    config = Config(budget=saved["seconds"] + 1.0, **SMALL)
    run = train(config, out, resume=True, progress=False)
    assert run.iteration > saved["iteration"] and run.episodes == 4 * run.iteration  # counting went on
    assert run.best_mults <= saved["best_mults"]
    iterations = [int(line["iteration"]) for line in log_lines(out)]
    assert iterations == list(range(1, run.iteration + 1))  # no restart, no line of a lost iteration twice
    seconds = [float(line["seconds"]) for line in log_lines(out)]
    assert seconds == sorted(seconds) and seconds[-1] >= saved["seconds"]


def test_the_search_bench_reports_the_network_beside_the_search():
    from baselines.bench.mcts import network_line, roots_after
    from baselines.mcts import SearchConfig
    from benchmarks_tasks import get

    packed = get("LIF").graph().packed
    line = network_line(packed, roots_after(packed, 2, 0), SearchConfig(4), seconds=0.01)
    assert line["leaves_per_second"] > 0 and line["search"]["simulations_per_second"] > 0
    assert 0 < line["search"]["evaluator_share"] <= 1
