"""Environment steps per second next to the raw kernel step: ``python -m baselines.bench.envs``.

A uniformly random masked policy eliminates the intermediates in a uniformly
random order, so every loop replays the same pre-drawn random permutations:

- ``kernel``: :func:`ccgym.kernels.eliminate` on a copy of the initial arrays;
- ``compiled``: the same elimination loop compiled (one call per episode,
  :func:`ccgym.kernels.eliminate_touched` with its scratch allocated once);
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

Then the native vector env (:func:`measure_vector`), per game-step (one
``step`` of all ``B`` games divided by ``B``, ``copy=False``), driven by a
random masked policy that draws every slot's action in numpy from
``action_masks()`` (its time is reported apart), next to compiled loops over
whole episodes in the same run:

- ``compiled kernel``: :func:`ccgym.kernels.eliminate_touched`, the baseline of ``ratio``;
- ``compiled kernel+dense``: the same keeping the dense ``(8, N, N)``
  observation up to date (:func:`ccgym.envs.observation.eliminate_and_update`),
  and resetting it by copying the whole initial observation.

Each of these loops runs in several rounds, interleaved, and keeps its best
round; the policy is timed alone and subtracted. ``--cpu-time`` times
everything with the thread's CPU time, for a machine shared with other work.
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
from ccgym.envs.observation import Layout, eliminate_and_update, encode
from ccgym.features import inverse_log_scale, largest_jacobian_size
from ccgym.graph import Graph
from ccgym.registration import env_id

Clock = Callable[[], float]


def _orders(n: int, seed: int) -> Iterator[list[int]]:
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n).tolist()


def _timed(
    run_episode: Callable[[list[int]], None], n: int, seconds: float, seed: int, clock: Clock
) -> tuple[int, float]:
    """Steps and elapsed time of whole episodes run until ``seconds`` have passed."""
    steps = 0
    start = clock()
    for order in _orders(n, seed):
        run_episode(order)
        steps += n
        if clock() - start >= seconds:
            return steps, clock() - start
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
def _eliminate_all(graph: kernels.PackedGraph, vertices: np.ndarray, touched: np.ndarray) -> None:
    edges = graph.edges.copy()
    for vertex in vertices:
        kernels.eliminate_touched(graph, edges, vertex, touched)


def compiled_episode(graph: Graph) -> Callable[[list[int]], None]:
    """One episode of kernel steps in one compiled call."""
    packed = graph.packed
    touched = kernels.scratch(packed)

    def run(order: list[int]) -> None:
        _eliminate_all(packed, np.asarray(order, np.int64) + packed.num_inputs, touched)

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


def measure(
    task: str, seconds: float, seed: int = 0, rounds: int = 5, clock: Clock = time.perf_counter
) -> list[dict]:
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
            timings[api].append(_timed(run, n, seconds / rounds, seed, clock))
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


@njit(cache=True)
def _kernel_episodes(graph: kernels.PackedGraph, orders: np.ndarray) -> None:
    """Eliminate every order (a row) on a fresh copy of the initial edges."""
    touched = kernels.scratch(graph)
    for e in range(orders.shape[0]):
        edges = graph.edges.copy()
        for a in range(orders.shape[1]):
            kernels.eliminate_touched(graph, edges, graph.num_inputs + orders[e, a], touched)


@njit(cache=True)
def _dense_episodes(graph: kernels.PackedGraph, orders, rows, inv_log_scale: float, initial, obs) -> None:
    """:func:`_kernel_episodes` keeping the dense observation ``obs`` up to date (reset by copying ``initial``)."""
    touched = np.empty(graph.edges.shape[0], np.int64)
    for e in range(orders.shape[0]):
        edges = graph.edges.copy()
        obs[:] = initial
        for a in range(orders.shape[1]):
            eliminate_and_update(graph, edges, graph.num_inputs + orders[e, a], rows, inv_log_scale, touched, obs)


def _masked_random_actions(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """A uniformly random legal action per row of ``masks`` (0 for a row without one)."""
    scores = rng.random(masks.shape)
    scores[~masks] = -1.0
    return scores.argmax(axis=1)


def _rounds(run: Callable[[], object], units: int, budget: float, clock: Clock) -> tuple[float, int]:
    """Call ``run`` (``units`` of work each) until ``budget`` seconds have passed: ``(seconds, units)``."""
    start, calls = clock(), 0
    while clock() - start < budget:
        run()
        calls += 1
    return clock() - start, calls * units


def measure_vector(
    task: str, seconds: float, num_envs: int = 64, rounds: int = 3, seed: int = 0, clock: Clock = time.perf_counter
) -> list[dict]:
    """The native vector env per game-step next to the compiled kernel loops, as JSON-ready records."""
    graph = benchmarks_tasks.get(task).graph()
    packed, n = graph.packed, graph.num_intermediates
    rng = np.random.default_rng(seed)
    orders = np.array([rng.permutation(n) for _ in range(64)])
    layout = Layout.of(graph)
    rows, inv_log_scale = layout.rows(graph), inverse_log_scale(largest_jacobian_size(graph.packed))
    initial, obs = np.zeros(layout.shape, np.float32), np.zeros(layout.shape, np.float32)
    encode(packed, *packed.initial_state(), rows, inv_log_scale, initial)
    envs = gym.make_vec(env_id(task), num_envs, vectorization_mode="vector_entry_point", copy=False)
    envs.reset(seed=seed)
    feature_envs = gym.make_vec(
        env_id(task), num_envs, vectorization_mode="vector_entry_point", copy=False, observation="features"
    )
    feature_envs.reset(seed=seed)
    loops = {
        "kernel": (lambda: _kernel_episodes(packed, orders), orders.size),
        "dense": (lambda: _dense_episodes(packed, orders, rows, inv_log_scale, initial, obs), orders.size),
        "policy+vector": (lambda: envs.step(_masked_random_actions(rng, envs.action_masks())), num_envs),
        "policy+features": (
            lambda: feature_envs.step(_masked_random_actions(rng, feature_envs.action_masks())),
            num_envs,
        ),
        "policy": (lambda: _masked_random_actions(rng, envs.action_masks()), num_envs),
    }
    for run, _ in loops.values():  # compile, or load the cache
        run()
    timings = {name: [] for name in loops}
    for _ in range(rounds):
        for name, (run, units) in loops.items():
            timings[name].append(_rounds(run, units, seconds / rounds, clock))
    us = {name: 1e6 * min(elapsed / units for elapsed, units in rounds_) for name, rounds_ in timings.items()}
    vector_us = us["policy+vector"] - us["policy"]
    base = {"task": task, "vertices": graph.num_vertices, "intermediates": n, "clock": clock.__name__}
    return [
        {**base, "api": "compiled kernel", "us_per_elimination": round(us["kernel"], 3)},
        {**base, "api": "compiled kernel+dense", "us_per_elimination": round(us["dense"], 3),
         "ratio": round(us["dense"] / us["kernel"], 2)},
        {**base, "api": "vector", "num_envs": num_envs, "observation": "graph",
         "us_per_game_step": round(vector_us, 3), "policy_us_per_game_step": round(us["policy"], 3),
         "ratio": round(vector_us / us["kernel"], 2)},
        {**base, "api": "vector", "num_envs": num_envs, "observation": "features",
         "us_per_game_step": round(us["policy+features"] - us["policy"], 3),
         "ratio": round((us["policy+features"] - us["policy"]) / us["kernel"], 2)},
    ]  # fmt: skip


def largest_task() -> str:
    """The benchmark task with the most vertices."""
    return max(benchmarks_tasks.names(), key=lambda name: benchmarks_tasks.get(name).graph().num_vertices)


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per task and loop."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="*", help="task names (default: RoeFlux and the largest task)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per loop (default: 2)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the loops take turns in (default: 5)")
    parser.add_argument("--num-envs", type=int, default=64, help="games of the vector env (default: 64)")
    parser.add_argument("--cpu-time", action="store_true", help="time with the thread's CPU time, not the wall clock")
    args = parser.parse_args(argv)
    clock = time.thread_time if args.cpu_time else time.perf_counter
    for task in args.tasks or ["RoeFlux", largest_task()]:
        vector = measure_vector(task, args.seconds, args.num_envs, clock=clock)
        for record in measure(task, args.seconds, rounds=args.rounds, clock=clock) + vector:
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
