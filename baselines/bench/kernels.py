"""Speed of the elimination kernels, printed as JSON lines.

    python -m baselines.bench.kernels [--tasks RoeFlux3d Transformer] [--repeats 30]

For each task: the warm-up (first call: JIT compile or on-disk cache load),
the median time of one elimination inside the kernel, the median time of a
whole reverse-mode episode, and the same episode run by the very same kernel
code as plain Python (Numba's ``py_func``, in this process), with the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator

import numpy as np

import ccgym
from ccgym import kernels

DEFAULT_TASKS = ("RoeFlux3d", "RobotArm", "RandomF", "Transformer")


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


def warm_up_seconds() -> float:
    """Time of the first kernel call of this process on a tiny graph."""
    import torch

    graph = ccgym.trace(lambda x: torch.sin(x) * x, torch.ones(2, dtype=torch.float64))
    packed = graph.packed
    start = time.perf_counter()
    kernels.run_order(packed, np.arange(graph.num_intermediates))
    kernels.markowitz_degrees(packed, packed.edges, np.zeros(graph.num_intermediates, np.bool_))
    kernels.elimination_cost(packed, packed.edges, packed.num_inputs)
    return time.perf_counter() - start


def bench_task(graph: ccgym.Graph, repeats: int) -> dict:
    """Kernel timings of one graph, and the plain-Python ratio."""
    packed = graph.packed
    order = np.array(ccgym.reverse_order(graph), np.int64)
    args = (packed, order)
    episode = _median_seconds(lambda: kernels.run_order(*args), repeats)

    step_times = []
    for _ in range(repeats):
        edges = packed.edges.copy()
        for action in order:
            start = time.perf_counter()
            kernels.eliminate(packed, edges, packed.num_inputs + action)
            step_times.append(time.perf_counter() - start)
    with plain_python_kernels():
        python_episode = _median_seconds(lambda: kernels.run_order(*args), max(3, repeats // 10))
    return {
        "vertices": graph.num_vertices,
        "intermediates": graph.num_intermediates,
        "reverse_mults": int(kernels.run_order(*args)[0]),
        "elimination_median_s": statistics.median(step_times),
        "episode_median_s": episode,
        "python_episode_median_s": python_episode,
        "numba_speedup": python_episode / episode,
    }


def main(argv: list[str] | None = None) -> None:
    """Print one JSON object per line: the warm-up, then one per task."""
    import benchmarks_tasks

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS), choices=benchmarks_tasks.names())
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    print(json.dumps({"benchmark": "kernel_warm_up", "seconds": warm_up_seconds()}), flush=True)
    for name in args.tasks:
        result = bench_task(benchmarks_tasks.get(name).graph(), args.repeats)
        print(json.dumps({"benchmark": "kernels", "task": name, **result}), flush=True)


if __name__ == "__main__":
    main()
