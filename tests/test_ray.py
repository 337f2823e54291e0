"""Scale-out on Ray, against one local Ray instance of 2 CPUs: the leaderboard's jobs and AlphaZero's self-play.

Oracles: the same leaderboard run without Ray (and ``validate``, which
re-runs every reproducible method and re-proves every bound), the local
AlphaZero mode (one worker must play and learn bit for bit as it does), an
uninterrupted run (a run resumed from a checkpoint must continue it exactly),
and ``ccgym.cost``.
"""

import csv
import json
import logging

import numpy as np
import pytest
import torch

import benchmarks_tasks
import ccgym
from baselines.budget import Budget
from baselines.leaderboard.__main__ import main as leaderboard
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.records import read_proofs, read_rows
from baselines.leaderboard.validate import validate
from baselines.zero import checkpoint
from baselines.zero.train import Config, Run, make_run
from baselines.zero.train import main as alphazero

ray = pytest.importorskip("ray")

SMALL = {"task": "LIF", "games": 2, "simulations": 4, "train_steps": 2, "batch_size": 32}


@pytest.fixture(scope="module", autouse=True)
def ray_instance():
    """One local Ray instance for the module; the commands under test join it instead of starting their own."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


def test_the_leaderboard_on_ray_writes_the_rows_of_the_local_run_and_they_validate(tmp_path):
    command = ["run", "--quick", "--tasks", "LIF", "AdaLIF"]
    assert leaderboard([*command, "--results", str(tmp_path / "local")]) == 0
    assert leaderboard([*command, "--ray", "--results", str(tmp_path / "ray")]) == 0
    local = {(row.task, row.method, row.seed): row for row in read_rows(tmp_path / "local" / "leaderboard.csv")}
    on_ray = {(row.task, row.method, row.seed): row for row in read_rows(tmp_path / "ray" / "leaderboard.csv")}
    assert len(on_ray) == len(local) == 20 and on_ray.keys() == local.keys()
    replayable = [job for job, row in local.items() if METHODS[job[1]].replayable(budget_of(row.budget))]
    assert len(replayable) == 12  # six deterministic or seeded heuristics on each task
    for job in replayable:
        assert on_ray[job].order == local[job].order and on_ray[job].value == local[job].value
    for job, row in on_ray.items():  # time-limited: any order, but a true cost (validate replays it too)
        order = [int(action) for action in row.order.split()]
        assert ccgym.cost(benchmarks_tasks.get(job[0]).graph(), order).mults == row.value
    proofs = read_proofs(tmp_path / "ray" / "leaderboard.csv")
    assert sorted(proof.task for proof in proofs) == ["AdaLIF", "LIF"]  # the driver recorded the exact runs' bounds
    assert validate(tmp_path / "ray" / "leaderboard.csv", reprove_bounds=True) == 0


def test_a_ray_address_needs_the_ray_flag(tmp_path, capsys):
    with pytest.raises(SystemExit):
        leaderboard(["run", "--tasks", "LIF", "--ray-address", "auto", "--results", str(tmp_path)])
    assert "--ray-address needs --ray" in capsys.readouterr().err


def test_alphazero_trains_with_two_workers_and_resumes(tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    flags = ["--task", "LIF", "--games", "2", "--simulations", "4", "--train-steps", "2", "--out", str(out)]
    assert alphazero([*flags, "--budget", "3", "--ray", "--workers", "2"]) == 0
    saved = checkpoint.load(out / "checkpoint.pt")
    assert saved["config"]["workers"] == 2 and saved["iteration"] >= 1
    assert saved["episodes"] == 2 * 2 * saved["iteration"]  # two workers of two games each per iteration
    best = json.loads((out / "best_order.json").read_text())
    graph = benchmarks_tasks.get("LIF").graph()
    assert best["mults"] == ccgym.cost(graph, best["order"]).mults == saved["best_mults"]
    assert sorted(best["order"]) == list(range(graph.num_intermediates))

    assert alphazero([*flags, "--budget", str(saved["seconds"] + 1), "--ray", "--workers", "2", "--resume"]) == 0
    with (out / "log.csv").open(newline="") as handle:
        iterations = [int(line["iteration"]) for line in csv.DictReader(handle)]
    assert iterations == list(range(1, len(iterations) + 1)) and len(iterations) > saved["iteration"]
    local = Run(Config(task="LIF", games=2, simulations=4, train_steps=2))  # the same settings, but no workers
    with pytest.raises(ValueError, match="other settings: workers$"):
        local.load_state_dict(saved)


def test_one_worker_plays_and_learns_bit_for_bit_as_the_local_mode():
    torch.set_num_threads(1)
    local, distributed = Run(Config(**SMALL)), make_run(Config(**SMALL, workers=1))
    try:
        lines = [(local.iterate(), distributed.iterate()) for _ in range(2)]
        assert all(mine == theirs for mine, theirs in lines)  # losses compared exactly
        assert (local.best_order, local.best_mults) == (distributed.best_order, distributed.best_mults)
        assert_same_state(local, distributed)
    finally:
        distributed.close()


def test_a_resumed_ray_run_continues_exactly_as_the_uninterrupted_one(tmp_path):
    torch.set_num_threads(1)
    config = Config(**SMALL, workers=2)
    uninterrupted = make_run(config)
    try:
        for _ in range(2):
            uninterrupted.iterate()
        checkpoint.save(tmp_path / "checkpoint.pt", uninterrupted.state_dict())
        expected = uninterrupted.iterate()
    finally:
        uninterrupted.close()
    resumed = make_run(config)
    try:
        resumed.load_state_dict(checkpoint.load(tmp_path / "checkpoint.pt"))
        assert resumed.iterate() == expected
        assert_same_state(uninterrupted, resumed)
    finally:
        resumed.close()


def budget_of(text: str) -> Budget | None:
    return Budget.parse(text) if text else None


def assert_same_state(first: Run, second: Run) -> None:
    """Same weights, replay buffer, generator and counters."""
    for (name, mine), theirs in zip(first.net.state_dict().items(), second.net.state_dict().values()):
        assert torch.equal(mine, theirs), name
    replay, other = first.replay.state_dict(), second.replay.state_dict()
    assert replay.keys() == other.keys() and all(np.array_equal(replay[key], other[key]) for key in replay)
    assert first.rng.bit_generator.state == second.rng.bit_generator.state
    assert (first.iteration, first.episodes) == (second.iteration, second.episodes)
