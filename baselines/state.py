"""Njit helpers on elimination states ``(edges, eliminated)``, built on :mod:`ccgym.kernels`.

A state is the kernels' ``edges`` matrix plus a boolean ``eliminated`` array
over the intermediates (action ids). Nothing here changes the cost model; these
are loops over the kernels that the baselines run many times.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ccgym import kernels


@njit(cache=True)
def step_costs(edges, shapes, ndims, num_inputs: int, eliminated):
    """Multiplications of eliminating each intermediate next; -1 for eliminated ones."""
    costs = np.full(eliminated.shape[0], -1, np.int64)
    for a in range(eliminated.shape[0]):
        if not eliminated[a]:
            costs[a] = kernels.elimination_cost(edges, shapes, ndims, num_inputs + a)
    return costs


@njit(cache=True)
def memory_change_of(edges, shapes, ndims, vertex: int) -> int:
    """Change of stored values if ``vertex`` were eliminated now (the state is left as it was)."""
    trial = edges.copy()
    return kernels.eliminate(trial, shapes, ndims, vertex)[1]


@njit(cache=True)
def eliminate_set(edges, shapes, ndims, num_inputs: int, eliminated) -> int:
    """Eliminate every marked intermediate in index order, in place; returns the multiplications.

    The resulting state is that of any order of the same set only where the
    cost model's order-freeness holds (see :func:`baselines.order_free.check_order_free`).
    """
    mults = 0
    for a in range(eliminated.shape[0]):
        if eliminated[a]:
            mults += kernels.eliminate(edges, shapes, ndims, num_inputs + a)[0]
    return mults
