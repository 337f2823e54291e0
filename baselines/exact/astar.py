"""A* over sets of eliminated vertices: the optimum of small graphs, or a proven lower bound.

A search node is the *set* of intermediates eliminated so far (a bitmask, so at
most 62 intermediates). This rests on the cost model's order-freeness
(property 3): the state after a set, and so every later cost, does not depend
on the order the set was eliminated in. The node's state is rebuilt from
its key (:func:`ccgym.kernels.state_from_key`); :func:`solve` first checks order-freeness
on the graph at hand (:func:`baselines.order_free.check_order_free`) and
refuses a graph where it fails.

Guarantees: with the consistent bound of :mod:`baselines.exact.bounds`, the
first time the cheapest open node costs at least the incumbent, the incumbent
is optimal. At a time or node limit, the smallest ``g + h`` left open (or the
incumbent, if smaller) is a proven lower bound: the optimal path always has an
open node whose ``g + h`` does not exceed the optimum.

With ``state_floors`` the weights of the bound on a tensor graph are recomputed in every state
expanded, from the structures reachable from that state
(:func:`baselines.exact.bounds.closure_weights`): a child's reachable sets are
subsets of its parent's, so its floors only rise and the bound stays
consistent (docs/exact-bounds.md).

Reductions, each keeping an optimal order reachable:

- *upper-bound pruning*: a child whose ``g + h`` reaches the incumbent's cost is
  dropped (it cannot lead to a cheaper order);
- *chain rule* (scalar graphs without unit edges only): if a vertex ``v`` left has exactly one
  predecessor, which is an input or again a vertex with exactly one
  predecessor, and so on up to an input, and likewise one successor in a chain
  down to an output, then some optimal completion eliminates ``v`` next, and
  only that child is generated. Proof: every path into (out of) ``v`` runs along
  its chain, so after any further eliminations ``v`` still has exactly one
  predecessor and one successor (the first vertex of each chain that is left)
  and costs exactly 1. Eliminating ``v`` replaces ``v`` by that single vertex in
  the predecessor (successor) set of every vertex it feeds (is fed by), so no
  other vertex's ``|pred| * |succ|`` grows, now or after any later set of
  eliminations. Moving ``v`` to the front of an optimal completion therefore
  costs no more.
"""

from __future__ import annotations

import heapq
import time

import numpy as np
from numba import njit, types
from numba.typed import Dict, List

import ccgym
from baselines.budget import BUDGET_CLOCK
from baselines.exact.bounds import (
    STRUCTURES_PER_EDGE,
    classic_rule,
    closure_weights,
    product_weights,
    root_bound,
    vertex_bounds,
)
from baselines.exact.progress import Progress
from baselines.exact.solution import Solution
from baselines.order_free import check_order_free
from ccgym import kernels

MAX_INTERMEDIATES = 62
_CHUNK = 2000  # node expansions between time checks ...
_CLOSURE_CHUNK = 20  # ... when every expansion recomputes the reachable structures


@njit(cache=True)
def _single_chain(adjacent, v: int, upward: bool, num_inputs: int, first_output: int) -> bool:
    """Whether ``v`` has one predecessor (successor), that one too, and so on to an input (output)."""
    n = adjacent.shape[0]
    u = v
    while True:
        count = 0
        nxt = -1
        for w in range(n):
            if adjacent[w, u] if upward else adjacent[u, w]:
                count += 1
                nxt = w
        if count != 1:
            return False
        if (upward and nxt < num_inputs) or (not upward and nxt >= first_output):
            return True
        u = nxt


@njit(cache=True)
def _chain_vertex(edges, num_inputs: int, eliminated) -> int:
    """Lowest intermediate the chain rule applies to, or -1."""
    adjacent = edges != kernels.NO_EDGE
    first_output = num_inputs + eliminated.shape[0]
    for a in range(eliminated.shape[0]):
        v = num_inputs + a
        if (
            not eliminated[a]
            and _single_chain(adjacent, v, True, num_inputs, first_output)
            and _single_chain(adjacent, v, False, num_inputs, first_output)
        ):
            return a
    return -1


@njit(cache=True)
def _trace_back(mask: int, parent, n: int, out) -> None:
    """Write the order that reached ``mask`` (following parent actions) into ``out``."""
    position = n
    while mask != 0:
        action = parent[mask]
        position -= 1
        out[position] = action
        mask ^= 1 << action


@njit(cache=True)
def _search(
    graph,
    chain_rule,
    weights,
    state_closure,
    heap,
    g_best,
    parent,
    closed,
    upper,
    best_order,
    max_expansions,
    max_nodes,
):
    """Run A* for at most ``max_expansions`` expansions; returns ``(finished, upper)``.

    ``finished`` means the incumbent (``best_order``, cost ``upper``) is optimal.
    """
    n = graph.num_intermediates
    num_inputs = graph.num_inputs
    full = (1 << n) - 1
    edges, eliminated = graph.edges.copy(), np.zeros(n, np.bool_)
    key = np.zeros(1, np.uint64)
    touched = kernels.scratch(graph)
    for _ in range(max_expansions):
        if len(heap) == 0:
            return True, upper
        f, neg_g, mask = heapq.heappop(heap)
        if f >= upper:
            return True, upper
        g = -neg_g
        if g != g_best[mask] or (mask in closed and closed[mask] == g):
            continue
        key[0] = mask
        kernels.state_from_key(graph, key, edges, eliminated, touched)
        if state_closure:
            here = np.maximum(weights, closure_weights(graph, STRUCTURES_PER_EDGE, edges, eliminated))
        else:
            here = weights
        bounds = vertex_bounds(graph, edges, eliminated, here)
        h = bounds.sum()
        if g + h > f:  # pushed with its parent's estimate: queue it again at its own bound
            heapq.heappush(heap, (g + h, neg_g, mask))
            continue
        closed[mask] = g
        forced = _chain_vertex(edges, num_inputs, eliminated) if chain_rule else -1
        for a in range(n):
            if eliminated[a] or (forced >= 0 and a != forced):
                continue
            g2 = g + kernels.elimination_cost(graph, edges, num_inputs + a)
            f2 = g2 + h - bounds[a]
            child = mask | (1 << a)
            if f2 >= upper or (child in g_best and g_best[child] <= g2):
                continue
            g_best[child] = g2
            parent[child] = a
            if child == full:
                _trace_back(child, parent, n, best_order)
                upper = kernels.run_order(graph, best_order)[0]  # at most g2
            else:
                heapq.heappush(heap, (f2, -g2, child))
        if len(g_best) > max_nodes:
            return False, upper
    return False, upper


def solve(
    graph: ccgym.Graph,
    incumbent: list[int],
    seconds: float = 60.0,
    max_nodes: int = 3_000_000,
    progress: Progress | None = None,
    state_floors: bool = False,
) -> Solution:
    """A* from the empty set, pruned by ``incumbent`` (any valid order, e.g. the best heuristic's).

    Stops at ``seconds`` or ``max_nodes`` stored nodes and then returns the best
    order found with a proven lower bound. ``progress(lower_bound, upper, order)``
    is called between chunks of expansions. ``state_floors`` recomputes the
    reachable-structure floors in every state of a tensor graph: a stronger
    bound, but each expansion then costs milliseconds (MLP, closed in seconds
    with the fixed floors, is not closed in 150 s with them), so it is off by
    default.
    """
    packed = graph.packed
    n = packed.num_intermediates
    if n > MAX_INTERMEDIATES:
        raise ValueError(f"A* over sets handles at most {MAX_INTERMEDIATES} intermediates, the graph has {n}")
    check_order_free(graph)
    start, begun = time.perf_counter(), BUDGET_CLOCK()
    chain_rule = classic_rule(packed)
    state_closure = state_floors and not bool((packed.ndims == 0).all())  # scalar products cost 1 (0 at unit edges)
    best_order = np.asarray(ccgym.check_order(graph, incumbent), np.int64).copy()
    upper = ccgym.cost(graph, incumbent).mults
    weights = product_weights(packed)
    heap = List([(root_bound(graph), 0, 0)])
    g_best = Dict.empty(types.int64, types.int64)
    g_best[0] = 0
    parent = Dict.empty(types.int64, types.int64)
    closed = Dict.empty(types.int64, types.int64)
    finished = False
    while not finished and BUDGET_CLOCK() - begun < seconds and len(g_best) <= max_nodes:
        finished, upper = _search(
            packed,
            chain_rule,
            weights,
            state_closure,
            heap,
            g_best,
            parent,
            closed,
            upper,
            best_order,
            _CLOSURE_CHUNK if state_closure else _CHUNK,
            max_nodes,
        )
        if progress is not None:
            progress(_lower_bound(heap, upper, finished), int(upper), [int(a) for a in best_order])
    order = [int(a) for a in best_order]
    mults = ccgym.cost(graph, order).mults
    return Solution(order, mults, _lower_bound(heap, upper, finished), time.perf_counter() - start, "A*")


def _lower_bound(heap: List, upper: int, finished: bool) -> int:
    """Proven lower bound: the incumbent when finished, else the least ``g + h`` still open."""
    if finished or len(heap) == 0:
        return int(upper)
    return int(min(upper, heap[0][0]))
