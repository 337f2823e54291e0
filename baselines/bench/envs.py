"""Environment steps per second next to the raw kernel step: ``python -m baselines.bench.envs``.

A uniformly random masked policy eliminates the intermediates in a uniformly
random order, so every loop replays the same pre-drawn random permutations:

- ``kernel``: :func:`ccgym.kernels.eliminate` on a copy of the initial arrays;
- ``compiled``: the same elimination loop compiled (one call per episode);
- ``env``: ``CCElimEnv.step`` (reward, observation and info included);
- ``env features``: the same with ``observation="features"``;
- ``gym.make``: the same through ``gym.make``'s wrappers (the usual way in);
- ``gym.make+mask``: as ``gym.make``, but the policy draws each action from
  ``info["action_mask"]`` itself (the cost of a real masked random agent).

Episodes restart (array copy or ``reset``) inside the timed loop. The loops
take turns in ``rounds`` rounds and each reports its best round, so that
the ratios hold on a machine that other work slows now and then. Each line
of output is a JSON object; ``overhead`` is kernel steps/s over this loop's,
``vs_compiled`` compiled steps/s over this loop's.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator

import gymnasium as gym
import numpy as np
from numba import njit

import benchmarks_tasks
from ccgym import kernels
from ccgym.envs.cc_elim import CCElimEnv
from ccgym.registration import env_id
from ccgym.graph import Graph


def _orders(n: int, seed: int) -> Iterator[list[int]]:
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n).tolist()


def _timed(run_episode: Callable[[list[int]], None], n: int, seconds: float, seed: int) -> tuple[int, float]:
    """Steps and elapsed time of whole episodes run until ``seconds`` have passed."""
    steps = 0
    start = time.perf_counter()
    for order in _orders(n, seed):
        run_episode(order)
        steps += n
        if time.perf_counter() - start >= seconds:
            return steps, time.perf_counter() - start
    raise AssertionError("unreachable")


def kernel_episode(graph: Graph) -> Callable[[list[int]], None]:
    """One episode of raw kernel steps."""
    packed = graph.packed

    def run(order: list[int]) -> None:
        edges = packed.edges.copy()
        for action in order:
            kernels.eliminate(packed, edges, packed.num_inputs + action)

    return run


@njit(cache=True)
def _eliminate_all(graph: kernels.PackedGraph, vertices: np.ndarray) -> None:
    edges = graph.edges.copy()
    for vertex in vertices:
        kernels.eliminate(graph, edges, vertex)


def compiled_episode(graph: Graph) -> Callable[[list[int]], None]:
    """One episode of kernel steps in one compiled call."""
    packed = graph.packed

    def run(order: list[int]) -> None:
        _eliminate_all(packed, np.asarray(order, np.int64) + packed.num_inputs)

    return run


def env_episode(env: gym.Env) -> Callable[[list[int]], None]:
    """One episode through the Gymnasium API."""

    def run(order: list[int]) -> None:
        env.reset()
        for action in order:
            env.step(action)

    return run


def masked_policy_episode(env: gym.Env, seed: int) -> Callable[[list[int]], None]:
    """One episode of a random policy reading ``info["action_mask"]`` (it draws its own order)."""
    rng = np.random.default_rng(seed)

    def run(order: list[int]) -> None:
        _, info = env.reset()
        terminated = False
        while not terminated:
            legal = np.flatnonzero(info["action_mask"])
            _, _, terminated, _, info = env.step(legal[rng.integers(legal.size)])

    return run


def measure(task: str, seconds: float, seed: int = 0, rounds: int = 5) -> list[dict]:
    """The figures of every loop for one task (``seconds`` each, over all rounds), as JSON-ready records."""
    graph = benchmarks_tasks.get(task).graph()
    n = graph.num_intermediates
    loops = {
        "kernel": kernel_episode(graph),
        "compiled": compiled_episode(graph),
        "env": env_episode(CCElimEnv(graph)),
        "env features": env_episode(CCElimEnv(graph, observation="features")),
        "gym.make": env_episode(gym.make(env_id(task))),
        "gym.make+mask": masked_policy_episode(gym.make(env_id(task)), seed),
    }
    for run in loops.values():  # compile and warm up
        run(list(range(n)))
    timings: dict[str, list[tuple[int, float]]] = {api: [] for api in loops}
    for _ in range(rounds):
        for api, run in loops.items():
            timings[api].append(_timed(run, n, seconds / rounds, seed))
    records = []
    for api, rounds_run in timings.items():
        best = max(steps / elapsed for steps, elapsed in rounds_run)
        records.append(
            {"task": task, "vertices": graph.num_vertices, "intermediates": n, "api": api,
             "steps": sum(steps for steps, _ in rounds_run), "seconds": round(sum(t for _, t in rounds_run), 3),
             "steps_per_s": round(best, 1)}
        )  # fmt: skip
    for record in records:
        record["overhead"] = round(records[0]["steps_per_s"] / record["steps_per_s"], 2)
        record["vs_compiled"] = round(records[1]["steps_per_s"] / record["steps_per_s"], 2)
    return records


def largest_task() -> str:
    """The benchmark task with the most vertices."""
    return max(benchmarks_tasks.names(), key=lambda name: benchmarks_tasks.get(name).graph().num_vertices)


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per task and loop."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="*", help="task names (default: RoeFlux and the largest task)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per loop (default: 2)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the loops take turns in (default: 5)")
    args = parser.parse_args(argv)
    for task in args.tasks or ["RoeFlux", largest_task()]:
        for record in measure(task, args.seconds, rounds=args.rounds):
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
