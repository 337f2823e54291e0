"""Simulated annealing over orders, started from the best heuristic order.

A move takes the vertex at one position and reinserts it at another; every
candidate is costed exactly by the kernels. The temperature falls
geometrically over the budget from ``T0 = 2%`` of the starting cost to
``T0 / 1000``; worse orders are accepted with probability ``exp(-delta / T)``.
Starting from the cheapest of forward, reverse, Markowitz, VLR and greedy means
the result never costs more than any of them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

import ccgym
from baselines import heuristics
from baselines.budget import Budget
from ccgym import kernels

_CHUNK = 256
_START_FRACTION = 0.02
_COOLING = 1e-3


@njit(cache=True)
def _anneal(
    graph,
    order,
    cost: int,
    best,
    best_cost: int,
    t_from: float,
    t_to: float,
    steps: int,
    seed: int,
):
    """``steps`` annealing moves on ``order`` (in place) cooling from ``t_from`` to ``t_to``.

    Returns ``(cost, best_cost)``; ``best`` holds the cheapest order seen.
    """
    np.random.seed(seed)
    n = order.shape[0]
    candidate = order.copy()
    for step in range(steps):
        temperature = t_from * (t_to / t_from) ** (step / max(steps - 1, 1))
        i = np.random.randint(n)
        j = np.random.randint(n - 1)
        j += j >= i
        moved = order[i]
        candidate[:] = order
        if i < j:
            candidate[i:j] = order[i + 1 : j + 1]
        else:
            candidate[j + 1 : i + 1] = order[j:i]
        candidate[j] = moved
        mults = kernels.run_order(graph, candidate)[0]
        delta = mults - cost
        if delta <= 0 or np.random.random() < np.exp(-delta / temperature):
            order[:] = candidate
            cost = mults
            if cost < best_cost:
                best_cost = cost
                best[:] = order
    return cost, best_cost


def start_order(graph: ccgym.Graph) -> list[int]:
    """The cheapest of the deterministic heuristics' orders."""
    candidates = [
        h(graph)
        for h in (heuristics.reverse, heuristics.markowitz, heuristics.vlr, heuristics.greedy, heuristics.forward)
    ]
    return min(candidates, key=lambda order: ccgym.cost(graph, order).mults)


def annealing(graph: ccgym.Graph, budget: Budget, seed: int = 0) -> list[int]:
    """The cheapest order simulated annealing visits within ``budget`` (one evaluation per move)."""
    packed = graph.packed
    order = np.asarray(start_order(graph), np.int64)
    if order.shape[0] < 2:
        return [int(a) for a in order]
    cost = ccgym.cost(graph, order).mults
    best, best_cost = order.copy(), cost
    t_start = max(_START_FRACTION * cost, 1.0)
    t_end = t_start * _COOLING
    seeds = np.random.SeedSequence(seed)
    meter = budget.start()
    while not meter.exhausted:
        left = meter.left()
        steps = _CHUNK if left is None else min(_CHUNK, left)
        t_from = t_start * (t_end / t_start) ** meter.progress
        meter.spend(steps)
        t_to = t_start * (t_end / t_start) ** meter.progress
        chunk_seed = int(seeds.spawn(1)[0].generate_state(1)[0])
        cost, best_cost = _anneal(
            packed,
            order,
            cost,
            best,
            best_cost,
            t_from,
            max(t_to, math.ulp(1.0)),
            steps,
            chunk_seed,
        )
    return [int(a) for a in best]
