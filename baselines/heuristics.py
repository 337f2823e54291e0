"""Elimination-order heuristics: functions ``Graph -> order``.

Every greedy rule here scores the intermediates that are left in the current
state, eliminates the lowest score, and breaks ties by the lowest intermediate
index (so each is deterministic).
"""

from __future__ import annotations

import numpy as np

import ccgym
from ccgym import kernels

_NEVER = np.iinfo(np.int64).max


def forward(graph: ccgym.Graph) -> list[int]:
    """Forward mode: topological order."""
    return ccgym.forward_order(graph)


def reverse(graph: ccgym.Graph) -> list[int]:
    """Reverse mode: reverse topological order."""
    return ccgym.reverse_order(graph)


def markowitz(graph: ccgym.Graph) -> list[int]:
    """Minimal Markowitz degree (:func:`ccgym.markowitz_order`): lowest ``|pred| * |succ|`` first, ties to the lowest index."""
    return ccgym.markowitz_order(graph)


def vlr(graph: ccgym.Graph) -> list[int]:
    """Lowest relative Markowitz degree (VLR), as ANGEL's ``lowest_relative_markowitz_vertex``.

    The score of ``v`` is ``|pred(v)| * |succ(v)| - indep(v) * dep(v)``, where
    ``indep(v)`` counts the inputs ``v`` depends on and ``dep(v)`` the outputs
    that depend on ``v`` (both fixed: elimination keeps every path). Ties go to
    the lowest intermediate index.
    """
    packed = graph.packed
    indep, dep = dependence_counts(graph)
    offset = (indep * dep)[packed.num_inputs : packed.num_inputs + packed.num_intermediates]
    edges, eliminated = packed.initial_state()
    touched = kernels.scratch(packed)
    order = []
    for _ in range(packed.num_intermediates):
        degrees = kernels.markowitz_degrees(packed, edges, eliminated)
        action = int(np.argmin(np.where(eliminated, _NEVER, degrees - offset)))
        kernels.step(packed, edges, eliminated, action, touched)
        order.append(action)
    return order


def greedy(graph: ccgym.Graph) -> list[int]:
    """Cheapest next step: the vertex whose elimination costs the fewest multiplications now.

    Ties go to the vertex whose elimination leaves the fewest stored values,
    then to the lowest intermediate index. On scalar graphs the first criterion
    is minimal Markowitz.
    """
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    touched = kernels.scratch(packed)
    order = []
    for _ in range(packed.num_intermediates):
        costs = kernels.action_costs(packed, edges, eliminated)
        costs = np.where(eliminated, _NEVER, costs)
        tied = np.flatnonzero(costs == costs.min())
        changes = [kernels.eliminate(packed, edges.copy(), packed.num_inputs + a)[1] for a in tied]
        action = int(tied[int(np.argmin(changes))])
        kernels.step(packed, edges, eliminated, action, touched)
        order.append(action)
    return order


def random_order(graph: ccgym.Graph, seed: int = 0) -> list[int]:
    """A uniformly random permutation of the intermediates, reproducible from ``seed``."""
    return [int(a) for a in np.random.default_rng(seed).permutation(graph.num_intermediates)]


def dependence_counts(graph: ccgym.Graph) -> tuple[np.ndarray, np.ndarray]:
    """Per vertex: how many inputs it depends on, and how many outputs depend on it."""
    packed = graph.packed
    n = graph.num_vertices
    adjacency = packed.edges != kernels.NO_EDGE
    from_inputs = np.zeros((n, packed.num_inputs), np.bool_)
    from_inputs[np.arange(packed.num_inputs), np.arange(packed.num_inputs)] = True
    for v in range(n):  # vertices are topologically ordered
        from_inputs[v] |= adjacency[:v, v] @ from_inputs[:v] > 0
    to_outputs = np.zeros((n, packed.num_outputs), np.bool_)
    first_output = n - packed.num_outputs
    to_outputs[first_output:] = np.eye(packed.num_outputs, dtype=np.bool_)
    for v in range(n - 1, -1, -1):
        to_outputs[v] |= adjacency[v, v + 1 :] @ to_outputs[v + 1 :] > 0
    return from_inputs.sum(axis=1), to_outputs.sum(axis=1)
