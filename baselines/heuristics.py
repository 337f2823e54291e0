"""Elimination-order heuristics: functions ``Graph -> order``."""

from __future__ import annotations

import numpy as np

import ccgym
from ccgym import kernels


def forward(graph: ccgym.Graph) -> list[int]:
    """Forward mode: topological order."""
    return ccgym.forward_order(graph)


def reverse(graph: ccgym.Graph) -> list[int]:
    """Reverse mode: reverse topological order."""
    return ccgym.reverse_order(graph)


def markowitz(graph: ccgym.Graph) -> list[int]:
    """Minimal Markowitz degree: always eliminate the vertex of lowest ``|pred| * |succ|``.

    Ties go to the lowest intermediate index.
    """
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    order = []
    for _ in range(packed.num_intermediates):
        degrees = kernels.markowitz_degrees(edges, packed.num_inputs, eliminated)
        action = int(np.argmin(np.where(eliminated, np.iinfo(np.int64).max, degrees)))
        kernels.eliminate(edges, packed.shapes, packed.ndims, packed.num_inputs + action)
        eliminated[action] = True
        order.append(action)
    return order
