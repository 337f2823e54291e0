"""The check that search over *sets* of eliminated vertices is sound on a graph.

Cost model, property 3: the state after eliminating a set must not depend on
the order. Set-based search (A*, dynamic programming, beam search with
duplicate merging) rebuilds a set's state from its key by eliminating it in
index order (:func:`ccgym.kernels.state_from_key`), so it may only run on
graphs where that gives the same edges as any other order.
"""

from __future__ import annotations

import numpy as np

import ccgym
from ccgym import kernels


class OrderDependentError(ValueError):
    """The state after a set of eliminations depended on their order."""


def check_order_free(graph: ccgym.Graph, trials: int = 20, seed: int = 0) -> None:
    """Compare index order with a random order on ``trials`` random subsets; raise on any difference."""
    packed = graph.packed
    n = packed.num_intermediates
    rng = np.random.default_rng(seed)
    for _ in range(trials if n else 0):
        eliminated = rng.random(n) < rng.random()
        by_index, rebuilt = packed.initial_state()
        kernels.state_from_key(packed, kernels.state_key(eliminated), by_index, rebuilt, kernels.scratch(packed))
        shuffled = packed.edges.copy()
        for action in rng.permutation(np.flatnonzero(eliminated)):
            kernels.eliminate(packed, shuffled, packed.num_inputs + int(action))
        if not np.array_equal(by_index, shuffled):
            raise OrderDependentError(
                f"eliminating {np.flatnonzero(eliminated).tolist()} in two orders gave different states; "
                "search over sets is not sound on this graph"
            )
