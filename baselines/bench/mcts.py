"""Speed of the tree search: simulations per second, compiled against plain Python, printed as JSON lines.

    python -m baselines.bench.mcts [--tasks LIF RoeFlux] [--batches 1 32] [--simulations 50] [--seconds 3] \\
        [--device cuda]

Every line is one search configuration, run from the task's first state
(every action legal, the widest tree) with the uniform evaluator (zero
logits and values) and Gumbel selection, by the compiled search and by the
plain-Python one (:mod:`baselines.mcts.reference`) in the same process:

- ``compiled``: the compiled search with the uniform evaluator run inside
  its loop (a :class:`~baselines.mcts.evaluators.CompiledEvaluator`: the
  whole search is one compiled call);
- ``compiled_python_evaluator``: the compiled search calling the same
  evaluator from Python once per simulation, as it calls a network;
- ``python``: the plain-Python search, the same evaluator called from Python;

- ``simulations_per_second``: game-simulations (``B`` per step of the search)
  per second, over whole searches (root evaluation, tree reset and result
  included), median of repeated searches filling ``--seconds``;
- ``evaluator_share``: the fraction of that time spent inside the evaluator
  call (the Python call and its arrays), the rest being the tree and the
  kernels;
- ``speedup``: compiled over plain Python (``speedup_python_evaluator``: the
  second over plain Python);
- ``rebuild``: ``path`` (replay the actions from the root, the default) and
  ``key`` (rebuild from the state key: every eliminated vertex again), both
  compiled; the line ``rebuild`` compares them at a mid-episode root, where
  a key holds many eliminations and a path few.

- ``network``: the compiled search with the graph network of the AlphaZero
  agent as its evaluator (``baselines.zero.evaluator``, an untrained
  ``GraphPolicyValueNet(64, 3)``, one torch thread per core, on the CPU or
  ``--device``), and the network's own throughput: leaves encoded and scored
  per second (the encoding is always on the CPU).

The first compiled search of a process is a warm-up (Numba's cache or JIT)
and is not timed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import benchmarks_tasks
from baselines.device import check_device
from baselines.mcts import Roots, SearchConfig, Searcher, reference, run_search, uniform_evaluator
from baselines.mcts.evaluators import Evaluator, Leaves
from ccgym import kernels


class TimedEvaluator:
    """An evaluator (the uniform one by default), with the time spent in its calls."""

    def __init__(self, evaluate: Evaluator = uniform_evaluator) -> None:
        self.evaluate = evaluate
        self.seconds = 0.0

    def __call__(self, leaves: Leaves) -> tuple[np.ndarray, np.ndarray]:
        start = time.perf_counter()
        result = self.evaluate(leaves)
        self.seconds += time.perf_counter() - start
        return result


def roots_after(packed: kernels.PackedGraph, batch_size: int, moves: int) -> Roots:
    """``batch_size`` copies of the state after the first ``moves`` actions of the reverse order."""
    edges, eliminated = packed.initial_state()
    touched = kernels.scratch(packed)
    for action in range(packed.num_intermediates - 1, packed.num_intermediates - 1 - moves, -1):
        kernels.step(packed, edges, eliminated, action, touched)
    return Roots(
        np.repeat(edges[None], batch_size, 0), np.repeat(eliminated[None], batch_size, 0), np.ones(batch_size, np.bool_)
    )


def measure(
    packed: kernels.PackedGraph,
    roots: Roots,
    config: SearchConfig,
    run,
    seconds: float,
    evaluate: Evaluator = uniform_evaluator,
    in_loop: bool = False,
) -> dict:
    """Simulations per second and the evaluator's share of the time, over repeated searches.

    ``in_loop``: pass the (compiled) evaluator to the search as it is, so the
    compiled search runs it inside its own loop; its share is then not measured.
    """
    batch_size = roots.active.shape[0]
    evaluator = evaluate if in_loop else TimedEvaluator(evaluate)
    searcher = Searcher(kernels.repeat_graph(packed, batch_size), evaluator, config, run)
    rng = np.random.default_rng(0)
    searcher.search(roots, rng)  # warm-up
    if not in_loop:
        evaluator.seconds = 0.0
    times = []
    started = time.perf_counter()
    while not times or time.perf_counter() - started < seconds:
        start = time.perf_counter()
        searcher.search(roots, rng)
        times.append(time.perf_counter() - start)
    return {
        "simulations_per_second": round(batch_size * config.num_simulations / statistics.median(times)),
        "evaluator_share": None if in_loop else round(evaluator.seconds / sum(times), 3),
        "searches": len(times),
    }


def network_line(
    packed: kernels.PackedGraph, roots: Roots, config: SearchConfig, seconds: float, device: str = "cpu"
) -> dict:
    """The search with the AlphaZero agent's network (on ``device``) as evaluator, and the network's throughput."""
    import torch

    from baselines.networks import GraphPolicyValueNet
    from baselines.zero.evaluator import NetworkEvaluator, StateEncoder
    from ccgym import features

    torch.manual_seed(0)
    batch_size = roots.active.shape[0]
    batch = kernels.repeat_graph(packed, batch_size)
    encoder = StateEncoder(batch, features.repeat_plan(features.make_plan(packed), batch_size), device)
    network = NetworkEvaluator(GraphPolicyValueNet(64, 3).to(device), encoder)
    search = measure(packed, roots, config, run_search, seconds, evaluate=network)
    leaves = Leaves(
        batch, roots.edges, roots.eliminated, np.zeros((batch_size, 1), np.uint64), roots.active,
        np.ones(batch_size),
    )  # fmt: skip
    network(leaves)  # warm-up
    calls, started = 0, time.perf_counter()
    while not calls or time.perf_counter() - started < seconds:
        network(leaves)
        calls += 1
    return {"search": search, "leaves_per_second": round(calls * batch_size / (time.perf_counter() - started))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=["LIF", "RoeFlux"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 32])
    parser.add_argument("--simulations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--device", default="cpu", help="where the network line's network runs (default: cpu)")
    args = parser.parse_args(argv)
    try:
        check_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    config = SearchConfig(args.simulations)
    for task in args.tasks:
        packed = benchmarks_tasks.get(task).graph().packed
        for batch_size in args.batches:
            roots = roots_after(packed, batch_size, 0)
            compiled = measure(packed, roots, config, run_search, args.seconds, in_loop=True)
            generator = measure(packed, roots, config, run_search, args.seconds)
            python = measure(packed, roots, config, reference.run_search, args.seconds)
            line = {"kind": "search", "task": task, "batch": batch_size, "simulations": args.simulations}
            line |= {"compiled": compiled, "compiled_python_evaluator": generator, "python": python}
            baseline = python["simulations_per_second"]
            line["speedup"] = round(compiled["simulations_per_second"] / baseline, 1)
            line["speedup_python_evaluator"] = round(generator["simulations_per_second"] / baseline, 1)
            print(json.dumps(line), flush=True)
        roots = roots_after(packed, args.batches[-1], 0)
        line = {"kind": "network", "task": task, "batch": args.batches[-1], "simulations": args.simulations}
        line["device"] = args.device
        print(json.dumps(line | network_line(packed, roots, config, args.seconds, args.device)), flush=True)
        moves = packed.num_intermediates // 2
        roots = roots_after(packed, args.batches[-1], moves)
        line = {"kind": "rebuild", "task": task, "batch": args.batches[-1], "moves_before_root": moves}
        for rebuild in ("path", "key"):
            line[rebuild] = measure(packed, roots, config._replace(rebuild=rebuild), run_search, args.seconds)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
