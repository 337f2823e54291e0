"""Best of N uniformly random orders."""

from __future__ import annotations

import numpy as np
from numba import njit

import ccgym
from baselines.budget import Budget
from ccgym import kernels

_CHUNK = 256


@njit(cache=True)
def _best_of(graph, count: int, seed: int, best, best_cost: int) -> int:
    """Cost ``count`` random orders; keep the cheapest in ``best``; returns its cost."""
    np.random.seed(seed)
    order = np.arange(graph.num_intermediates)
    for _ in range(count):
        np.random.shuffle(order)
        mults = kernels.run_order(graph, order)[0]
        if mults < best_cost:
            best_cost = mults
            best[:] = order
    return best_cost


def random_search(graph: ccgym.Graph, budget: Budget, seed: int = 0) -> list[int]:
    """The cheapest of as many random orders as the budget allows (one evaluation each).

    With an evaluation budget the result depends on ``seed`` only.
    """
    packed = graph.packed
    n = packed.num_intermediates
    best = np.arange(n)
    best_cost = np.iinfo(np.int64).max
    meter = budget.start()
    chunk_seeds = np.random.SeedSequence(seed)
    while not meter.exhausted:
        left = meter.left()
        count = _CHUNK if left is None else min(_CHUNK, left)
        chunk_seed = int(chunk_seeds.spawn(1)[0].generate_state(1)[0])
        best_cost = _best_of(packed, count, chunk_seed, best, best_cost)
        meter.spend(count)
    return [int(a) for a in best]
