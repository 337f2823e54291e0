"""Elimination orders and what they cost, on the Numba kernels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

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
    """The order as an ``int64`` array; ``ValueError`` unless it is a permutation of the intermediates.

    An order is a sequence (a list, tuple or 1-d integer array) of integers:
    strings, sets and other unordered collections, floats and booleans are
    refused rather than converted.
    """
    n = graph.num_intermediates
    if isinstance(order, np.ndarray):
        if order.ndim != 1 or not np.issubdtype(order.dtype, np.integer):
            raise ValueError(f"an order is a flat sequence of integers, got an array of {order.dtype} and shape {order.shape}")
    elif isinstance(order, (str, bytes)) or not isinstance(order, Sequence):
        raise ValueError(f"an order is a sequence of intermediate indices (a list, tuple or array), got {type(order).__name__}")
    for action in order:
        if isinstance(action, (bool, np.bool_)) or not isinstance(action, Integral):
            raise ValueError(f"an order holds integers, got {action!r} ({type(action).__name__})")
    array = np.array([int(a) for a in order], dtype=np.int64) if len(order) else np.zeros(0, np.int64)
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
