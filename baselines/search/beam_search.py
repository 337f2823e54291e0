"""Beam search over partial orders, merging partial orders that eliminated the same set.

A pass keeps the ``width`` cheapest partial orders of each length (ranked by
the multiplications spent so far), extends each by every vertex left, and
keeps the ``width`` cheapest distinct *sets* among the children: two partial
orders of the same set reach the same state (order-freeness, checked on the
graph before the search), so only the cheaper is kept. Sets are told apart by a
64-bit Zobrist hash; a collision could only drop a candidate, never make an
order invalid or mis-costed. Ties are broken by parent rank and then lowest
vertex index in the first pass, at random in later ones.

Budgeted driver: passes of width 1, 2, 4, ... up to the stated width, then
further passes at that width with random tie-breaking, until the budget is
spent; a pass of width ``w`` counts as ``w`` evaluations.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import ccgym
from baselines.budget import Budget
from baselines.order_free import check_order_free
from ccgym import kernels

DEFAULT_WIDTH = 64


@njit(cache=True)
def _pass(graph, width: int, keys, seed: int):
    """One beam pass; returns ``(order, mults)`` of the cheapest complete order."""
    random_ties = seed >= 0
    if random_ties:
        np.random.seed(seed)
    n = graph.num_intermediates
    v = graph.edges.shape[0]
    # two generations of the beam, swapped after every depth
    states = np.empty((2, width, v, v), np.int64)
    eliminated = np.zeros((2, width, n), np.bool_)
    orders = np.zeros((2, width, n), np.int64)
    spent = np.zeros(width, np.int64)
    hashes = np.zeros(width, np.uint64)
    states[0, 0] = graph.edges
    costs = np.empty((width, n), np.int64)
    touched = kernels.scratch(graph)
    score = np.empty(width * n, np.int64)
    tie = np.empty(width * n, np.float64)
    parent = np.empty(width * n, np.int64)
    action = np.empty(width * n, np.int64)
    kept_parent = np.empty(width, np.int64)
    kept_action = np.empty(width, np.int64)
    kept_score = np.empty(width, np.int64)
    kept_hash = np.empty(width, np.uint64)
    size = 1
    now = 0
    for depth in range(n):
        count = 0
        for p in range(size):
            kernels.action_costs_into(graph, states[now, p], eliminated[now, p], costs[p])
            for a in range(n):
                if eliminated[now, p, a]:
                    continue
                score[count] = spent[p] + costs[p, a]
                tie[count] = np.random.random() if random_ties else (p * n + a) / (size * n)
                parent[count] = p
                action[count] = a
                count += 1
        ranking = np.argsort(score[:count] + tie[:count])  # ties lie in [0, 1)
        kept = 0
        for r in range(count):
            if kept == width:
                break
            k = ranking[r]
            h = hashes[parent[k]] ^ keys[action[k]]
            duplicate = False
            for q in range(kept):
                if kept_hash[q] == h:
                    duplicate = True
                    break
            if not duplicate:
                kept_parent[kept] = parent[k]
                kept_action[kept] = action[k]
                kept_score[kept] = score[k]
                kept_hash[kept] = h
                kept += 1
        new = 1 - now
        for q in range(kept):
            p = kept_parent[q]
            states[new, q] = states[now, p]
            eliminated[new, q] = eliminated[now, p]
            kernels.step(graph, states[new, q], eliminated[new, q], kept_action[q], touched)
            orders[new, q] = orders[now, p]
            orders[new, q, depth] = kept_action[q]
        now = new
        spent[:kept] = kept_score[:kept]
        hashes[:kept] = kept_hash[:kept]
        size = kept
    return orders[now, 0].copy(), spent[0]


def beam(graph: ccgym.Graph, budget: Budget, seed: int = 0, width: int = DEFAULT_WIDTH) -> list[int]:
    """The cheapest order of the beam passes that fit in ``budget`` (see the module docstring)."""
    packed = graph.packed
    n = packed.num_intermediates
    check_order_free(graph)
    keys = np.random.default_rng(seed).integers(0, 2**63, size=max(n, 1), dtype=np.uint64)
    seeds = np.random.SeedSequence(seed)
    meter = budget.start()
    best, best_cost = None, None
    current, last_seconds = 1, 0.0
    while best is None or not meter.exhausted:
        left = meter.left()
        if best is not None and left is not None and left < current:
            break
        if best is not None and budget.seconds is not None and meter.elapsed + last_seconds > budget.seconds:
            break
        tie_seed = -1 if current < width or best is None else int(seeds.spawn(1)[0].generate_state(1)[0] >> 1)
        started = meter.elapsed
        order, mults = _pass(packed, current, keys, tie_seed)
        last_seconds = (meter.elapsed - started) * (2 if current < width else 1)
        meter.spend(current)
        if best_cost is None or mults < best_cost:
            best, best_cost = order, mults
        current = min(2 * current, width)
    return [int(a) for a in best]
