"""Speed of the elimination kernels and of the searches built on them, printed as JSON lines.

    python -m baselines.bench.kernels [--tasks RoeFlux3d Transformer] [--repeats 30]

Lines, in order:

- ``import`` (one per module): the median wall time of ``import MODULE`` in a
  fresh interpreter, less that of an empty one, for ``ccgym.kernels``,
  ``ccgym``, ``ccgym.envs`` and, for scale, ``torch``;
- ``kernel_warm_up``: the first kernel calls of this process (JIT compile, or
  loading Numba's on-disk cache), reported apart from every timing below;
- ``kernels`` (one per task): the median time of one elimination, of a whole
  reverse-mode episode, and of the same episode run by the very same kernel
  code as plain Python (Numba's ``py_func``, in this process), with the ratio;
- ``search_evaluations`` (one per task and kind): evaluations per second of
  the three inner loops the searches spend their time in, each run by the
  kernels before the search-state API (:mod:`baselines.bench.reference_kernels`)
  and by the current ones, in compiled loops in the same process:
  ``order`` (cost a whole order: random search, annealing), ``actions`` (cost
  every legal action of a mid-episode state: beam search) and ``node``
  (rebuild a state from its eliminated set, then cost its actions: A*);
- ``search_runs`` (one per task and method): evaluations per second of the
  search baselines themselves under an evaluation budget.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np
from numba import njit

import benchmarks_tasks
import ccgym
from baselines.bench import reference_kernels as before
from baselines.budget import Budget
from baselines.search import annealing, beam, random_search
from ccgym import kernels

DEFAULT_TASKS = ("RoeFlux3d", "RobotArm", "RandomF", "Transformer")
IMPORTED = ("ccgym.kernels", "ccgym", "ccgym.envs", "torch")
SEARCH_EVALUATIONS = {"random_search": 2000, "annealing": 2000, "beam": 64}


def _median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextlib.contextmanager
def plain_python_kernels() -> Iterator[None]:
    """Within the block, every kernel (and every kernel it calls) runs as interpreted Python."""
    compiled = {name: obj for name, obj in vars(kernels).items() if hasattr(obj, "py_func")}
    try:
        for name, dispatcher in compiled.items():
            setattr(kernels, name, dispatcher.py_func)
        yield
    finally:
        for name, dispatcher in compiled.items():
            setattr(kernels, name, dispatcher)


# ----------------------------------------------------------------------------- compiled evaluation loops


@njit(cache=True)
def _orders_before(packed, orders) -> int:
    total = 0
    for r in range(orders.shape[0]):
        total += before.run_order(packed.edges, packed.shapes, packed.ndims, packed.num_inputs, orders[r])[0]
    return total


@njit(cache=True)
def _orders_after(packed, orders) -> int:
    total = 0
    for r in range(orders.shape[0]):
        total += kernels.run_order(packed, orders[r])[0]
    return total


@njit(cache=True)
def _actions_before(packed, states, eliminated, costs) -> None:
    for s in range(states.shape[0]):
        for a in range(eliminated.shape[1]):
            if not eliminated[s, a]:
                costs[a] = before.elimination_cost(states[s], packed.shapes, packed.ndims, packed.num_inputs + a)


@njit(cache=True)
def _actions_after(packed, states, eliminated, costs) -> None:
    for s in range(states.shape[0]):
        kernels.action_costs_into(packed, states[s], eliminated[s], costs)


@njit(cache=True)
def _nodes_before(packed, eliminated, costs) -> None:
    for s in range(eliminated.shape[0]):
        edges = packed.edges.copy()
        for a in range(eliminated.shape[1]):
            if eliminated[s, a]:
                before.eliminate(edges, packed.shapes, packed.ndims, packed.num_inputs + a)
        for a in range(eliminated.shape[1]):
            if not eliminated[s, a]:
                costs[a] = before.elimination_cost(edges, packed.shapes, packed.ndims, packed.num_inputs + a)


@njit(cache=True)
def _nodes_after(packed, keys, edges, eliminated, costs) -> None:
    touched = kernels.scratch(packed)
    for s in range(keys.shape[0]):
        kernels.state_from_key(packed, keys[s], edges, eliminated, touched)
        kernels.action_costs_into(packed, edges, eliminated, costs)


def _mid_episode_states(packed: kernels.PackedGraph, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` states after a random half of a random order: ``(edges[count, V, V], eliminated[count, n])``."""
    rng = np.random.default_rng(seed)
    n = packed.num_intermediates
    states = np.empty((count, *packed.edges.shape), np.int64)
    eliminated = np.zeros((count, n), np.bool_)
    touched = kernels.scratch(packed)
    for s in range(count):
        states[s] = packed.edges
        for action in rng.permutation(n)[: n // 2]:
            kernels.step(packed, states[s], eliminated[s], int(action), touched)
    return states, eliminated


def search_evaluations(graph: ccgym.Graph, seconds: float, seed: int = 0) -> list[dict]:
    """Evaluations per second of the three search loops, before and after the state API."""
    packed = graph.packed
    n = packed.num_intermediates
    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(n) for _ in range(64)]).astype(np.int64)
    states, eliminated = _mid_episode_states(packed, 64, seed)
    keys = np.stack([kernels.state_key(e) for e in eliminated])
    edges, node_eliminated = packed.initial_state()
    costs = np.empty(n, np.int64)
    loops = {
        "order": (lambda: _orders_before(packed, orders), lambda: _orders_after(packed, orders), len(orders)),
        "actions": (
            lambda: _actions_before(packed, states, eliminated, costs),
            lambda: _actions_after(packed, states, eliminated, costs),
            len(states),
        ),
        "node": (
            lambda: _nodes_before(packed, eliminated, costs),
            lambda: _nodes_after(packed, keys, edges, node_eliminated, costs),
            len(keys),
        ),
    }
    records = []
    for kind, (old, new, evaluations) in loops.items():
        rates = {}
        for name, run in (("before", old), ("after", new)):
            run()  # compile
            repeats = max(3, int(seconds / max(_median_seconds(run, 3), 1e-9)))
            rates[name] = evaluations / _median_seconds(run, repeats)
        records.append(
            {"kind": kind, "before_per_s": round(rates["before"]), "after_per_s": round(rates["after"]),
             "speedup": round(rates["after"] / rates["before"], 2)}
        )  # fmt: skip
    return records


def search_runs(graph: ccgym.Graph) -> list[dict]:
    """Evaluations per second of each search baseline under an evaluation budget (compiled before timing)."""
    records = []
    for method, search in (("random_search", random_search), ("annealing", annealing), ("beam", beam)):
        evaluations = SEARCH_EVALUATIONS[method]
        search(graph, Budget(evaluations=1))  # compile
        start = time.perf_counter()
        search(graph, Budget(evaluations=evaluations))
        elapsed = time.perf_counter() - start
        records.append({"method": method, "evaluations": evaluations, "per_s": round(evaluations / elapsed, 1)})
    return records


def import_seconds(module: str, repeats: int = 5) -> float:
    """Median time of ``import module`` in a fresh interpreter, less the interpreter's own start."""

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    return statistics.median(run(f"import {module}") - run("pass") for _ in range(repeats))


def warm_up_seconds() -> float:
    """Time of the first kernel calls of this process on a small task."""
    packed = benchmarks_tasks.get("LIF").graph().packed
    start = time.perf_counter()
    kernels.run_order(packed, np.arange(packed.num_intermediates))
    kernels.action_costs(packed, packed.edges.copy(), np.zeros(packed.num_intermediates, np.bool_))
    kernels.markowitz_order(packed)
    return time.perf_counter() - start


def bench_task(graph: ccgym.Graph, repeats: int) -> dict:
    """Kernel timings of one graph, and the plain-Python ratio."""
    packed = graph.packed
    order = np.array(ccgym.reverse_order(graph), np.int64)
    episode = _median_seconds(lambda: kernels.run_order(packed, order), repeats)
    step_times = []
    for _ in range(repeats):
        edges = packed.edges.copy()
        for action in order:
            start = time.perf_counter()
            kernels.eliminate(packed, edges, packed.num_inputs + action)
            step_times.append(time.perf_counter() - start)
    with plain_python_kernels():
        python_episode = _median_seconds(lambda: kernels.run_order(packed, order), max(3, repeats // 10))
    return {
        "vertices": graph.num_vertices,
        "intermediates": graph.num_intermediates,
        "reverse_mults": int(kernels.run_order(packed, order)[0]),
        "elimination_median_s": statistics.median(step_times),
        "episode_median_s": episode,
        "python_episode_median_s": python_episode,
        "numba_speedup": python_episode / episode,
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON object per line: the warm-up, then the kernels, the search loops and the searches per task."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS), choices=benchmarks_tasks.names())
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per search-loop measurement (default: 1)")
    args = parser.parse_args(argv)
    for module in IMPORTED:
        print(json.dumps({"benchmark": "import", "module": module, "seconds": import_seconds(module)}), flush=True)
    print(json.dumps({"benchmark": "kernel_warm_up", "seconds": warm_up_seconds()}), flush=True)
    for name in args.tasks:
        graph = benchmarks_tasks.get(name).graph()
        print(json.dumps({"benchmark": "kernels", "task": name, **bench_task(graph, args.repeats)}), flush=True)
        for record in search_evaluations(graph, args.seconds):
            print(json.dumps({"benchmark": "search_evaluations", "task": name, **record}), flush=True)
        for record in search_runs(graph):
            print(json.dumps({"benchmark": "search_runs", "task": name, **record}), flush=True)


if __name__ == "__main__":
    main()
