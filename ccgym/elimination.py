"""Elimination orders and what they cost, on the Numba kernels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ccgym import kernels
from ccgym.graph import Graph


@dataclass(frozen=True)
class Cost:
    """Multiplications of an order, and the peak of stored values it passes through."""

    mults: int
    peak_memory: int


def forward_order(graph: Graph) -> list[int]:
    """Forward mode: intermediates in topological order."""
    return list(range(graph.num_intermediates))


def reverse_order(graph: Graph) -> list[int]:
    """Reverse mode (backpropagation): intermediates in reverse topological order."""
    return list(range(graph.num_intermediates - 1, -1, -1))


def markowitz_order(graph: Graph) -> list[int]:
    """Minimal Markowitz: always eliminate the vertex of lowest ``|pred| * |succ|`` now, ties to the lowest index."""
    return [int(a) for a in kernels.markowitz_order(graph.packed)]


def check_order(graph: Graph, order: Sequence[int]) -> np.ndarray:
    """The order as an ``int64`` array; ``ValueError`` unless it is a permutation of the intermediates."""
    n = graph.num_intermediates
    array = np.asarray(list(order), dtype=np.int64)
    if array.ndim != 1:
        raise ValueError("an order is a flat sequence of intermediate indices")
    seen = set()
    for action in array.tolist():
        if not 0 <= action < n:
            raise ValueError(f"vertex {action} is out of range: intermediates are 0 .. {n - 1}")
        if action in seen:
            raise ValueError(f"vertex {action} is eliminated twice")
        seen.add(action)
    if len(seen) != n:
        missing = sorted(set(range(n)) - seen)
        raise ValueError(f"incomplete order: {len(missing)} intermediates not eliminated, e.g. {missing[:5]}")
    return array


def cost(graph: Graph, order: Sequence[int]) -> Cost:
    """Multiplications and peak memory of eliminating ``order`` on ``graph``."""
    array = check_order(graph, order)
    mults, peak = kernels.run_order(graph.packed, array)
    return Cost(int(mults), int(peak))
