"""The AlphaZero agent: a short run learns LIF, a killed run resumes without losing progress, folders are guarded."""

import copy
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import benchmarks_tasks
import ccgym
from baselines.mcts import layout_vertices
from baselines.zero import checkpoint, pretrained
from baselines.zero.graphs import GraphPool
from baselines.zero.train import Config, Run, train
from baselines.zero.zero_shot import greedy_order, load_network
from ccgym import kernels
from ccgym.kernels import PackedGraph

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


RANDOM_SMALL = {"task": "random", "games": 2, "simulations": 4, "train_steps": 1, "batch_size": 32}


def test_a_random_run_stores_positions_that_rebuild_on_their_own_graphs():
    torch.set_num_threads(1)
    run = Run(Config(**RANDOM_SMALL))
    run.iterate()
    run.iterate()
    assert run.pool.added == 4 and run.replay.size > 0
    for index in range(0, run.replay.size, 7):
        slot, key = run.replay.slots[index], run.replay.keys[index]
        batch, _ = run.pool.batch(np.array([slot]))
        graph = kernels.graph_at(batch, 0)
        a = int(batch.sizes[0, 1])
        edges, eliminated = np.empty_like(graph.edges), np.empty(batch.num_intermediates, np.bool_)
        kernels.state_from_key(graph, key, edges, eliminated, kernels.scratch(graph))
        assert eliminated[a:].all()  # the graph's padding actions are always eliminated
        real = layout_vertices(run.pool.layout, batch.sizes[0])
        own = PackedGraph(graph.edges[np.ix_(real, real)], graph.shapes[real], graph.ndims[real], *batch.sizes[0])
        own_edges = own.initial_state()[0].copy()
        for action in np.flatnonzero(eliminated[:a]):  # the same set eliminated on the unpadded graph
            kernels.eliminate(own, own_edges, own.num_inputs + action)
        assert (edges[np.ix_(real, real)] == own_edges).all()
        assert run.pool.normalizers[slot] == kernels.run_order(own, np.arange(a - 1, -1, -1))[0]


def test_a_resumed_random_run_continues_exactly_as_the_run_would_have():
    torch.set_num_threads(1)
    run = Run(Config(**RANDOM_SMALL))
    run.iterate()
    state = copy.deepcopy(run.state_dict())
    resumed = Run(Config(**RANDOM_SMALL))
    resumed.load_state_dict(state)
    for field in resumed.pool.plans._fields:
        assert (getattr(resumed.pool.plans, field) == getattr(run.pool.plans, field)).all()
    assert run.iterate() == resumed.iterate()


def test_a_pool_reuses_its_oldest_slot_and_refuses_a_graph_too_large():
    graphs = [benchmarks_tasks.get(name).graph().packed for name in ("LIF", "AdaLIF", "LIF")]
    layout = tuple(max(getattr(g, name) for g in graphs) for name in ("num_inputs", "num_intermediates", "num_outputs"))
    pool = GraphPool(layout, 2, max_edges=2000)
    assert [pool.add(graph) for graph in graphs] == [0, 1, 0]
    batch, plans = pool.batch(np.array([1, 0]))
    assert (batch.sizes[0] == (graphs[1].num_inputs, graphs[1].num_intermediates, graphs[1].num_outputs)).all()
    real = layout_vertices(layout, batch.sizes[0])  # each real vertex at its own row, padding at none
    assert (plans.rows[0][real] == real).all() and (np.delete(plans.rows[0], real) == -1).all()
    with pytest.raises(ValueError, match="does not fit"):
        GraphPool((1, 1, 1), 1, max_edges=10).add(graphs[0])


def test_zero_shot_greedy_orders_are_valid_and_reported_honestly(tmp_path, capsys):
    from baselines.zero.zero_shot import main as zero_shot

    torch.set_num_threads(1)
    run = train(Config(budget=0.5, **{**RANDOM_SMALL, "games": 1}), tmp_path, progress=False)
    assert run.best_mults is None and not (tmp_path / "best_order.json").exists()
    net = load_network(tmp_path / "checkpoint.pt")
    graph = benchmarks_tasks.get("AdaLIF").graph()
    order = greedy_order(net, graph)
    assert sorted(order) == list(range(graph.num_intermediates))
    assert zero_shot([str(tmp_path / "checkpoint.pt"), "--tasks", "LIF", "AdaLIF"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["task"] for line in lines] == ["LIF", "AdaLIF"]
    assert lines[1]["greedy_network"] == ccgym.cost(graph, order).mults
    assert lines[1]["markowitz"] == ccgym.cost(graph, ccgym.markowitz_order(graph)).mults


def test_a_run_starts_from_the_network_it_is_given_and_refuses_one_that_does_not_fit(tmp_path):
    source = Run(Config(**{**SMALL, "seed": 1}))
    checkpoint.save(tmp_path / "source.pt", source.state_dict())
    pretrained.export(tmp_path / "source.pt", tmp_path / "net.pt")
    started = Run(Config(**{**SMALL, "init": str(tmp_path / "net.pt")}))
    for name, tensor in source.net.state_dict().items():
        assert torch.equal(started.net.state_dict()[name], tensor), name
    assert not all(torch.equal(Run(Config(**SMALL)).net.state_dict()[n], t) for n, t in source.net.state_dict().items())
    with pytest.raises(ValueError, match="width"):
        Run(Config(**{**SMALL, "width": 32, "init": str(tmp_path / "net.pt")}))
    with pytest.raises(ValueError, match="no checkpoint"):
        Config(**{**SMALL, "init": str(tmp_path / "missing.pt")})
    with pytest.raises(ValueError, match="init"):  # a run is resumed from the same starting network only
        Run(Config(**SMALL)).load_state_dict(started.state_dict())


def test_the_shipped_pretrained_network_orders_unseen_tasks_better_than_markowitz():
    net = load_network(pretrained.RANDOM_SEED0)
    for task in ("SNN", "AdaLIF"):  # never trained on: it learned on random graphs only
        graph = benchmarks_tasks.get(task).graph()
        order = greedy_order(net, graph)
        assert ccgym.cost(graph, order).mults < ccgym.cost(graph, ccgym.markowitz_order(graph)).mults
