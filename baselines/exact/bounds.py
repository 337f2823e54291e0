"""Admissible lower bounds on the cost of finishing an elimination.

Whenever an intermediate ``v`` is eliminated, its predecessors separate the
inputs from ``v`` and its successors separate ``v`` from the outputs (every
path in the original graph survives elimination as a path through the vertices
left). Elimination never creates a path, so a separator of a later state is a
separator of the current one: the minimum vertex cut ``cut_in(v)`` between the
inputs and ``v`` (inputs may be cut), and likewise ``cut_out(v)``, can only
grow. Every product ``J[j,v] . J[v,i]`` costs at least one multiplication, so
eliminating ``v`` at any later time costs at least ``cut_in(v) * cut_out(v)``
products.

Each of those products costs at least ``weight(v)`` multiplications: if every
edge into ``v`` of the original graph carries the label of one of ``v``'s axes
(as ``sin`` does), every path into ``v``, and so every edge into ``v`` in any
later state (a join of path products, whose last edge is an original one),
carries that axis too, since a product or a join carries a label class when a
factor or a summand does; likewise for the edges out of ``v``. A product through
``v`` then has a carried class holding that axis, and costs at least its size.
``weight(v)`` is the largest such axis (1 if none; always 1 on scalar graphs).

A product with a unit edge (:data:`ccgym.kernels.UNIT`, an identity) is free.
An edge that is unit in a later state is a single path of unit edges (a product
keeps the other factor, a join is never unit), so its last edge into ``v`` (or
first edge out of ``v``) is an original unit edge: ``weight(v)`` is 0 when
``v`` has an original unit edge, and only then can a product through ``v`` be
free. Where no edge is unit and every vertex is scalar, eliminating ``v`` costs
exactly ``|pred(v)| * |succ(v)|`` (:func:`classic_rule`).

A second, usually stronger, floor on a product through ``v`` comes from the
*reachable structures* (:func:`reachable_structures`): a set ``S(x, y)`` of
codes for every pair of vertices that holds the code of the edge ``x -> y`` in
every state any order can reach. The cheapest product ``product(s2, s1)`` over
``s1`` in ``S(x, v)`` and ``s2`` in ``S(v, y)`` (all ``x``, ``y``) is then a
floor on every product through ``v`` (:func:`closure_weights`). No
monotonicity of costs is assumed; docs/exact-bounds.md has the argument.
``weight(v)`` is the larger of the two floors.

The sum of ``cut_in(v) * cut_out(v) * weight(v)`` over the intermediates left
is a lower bound on the cost to go. It is consistent: one step costs at least
the term it removes, and the other terms do not shrink (the weights are the
same in every state).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ccgym import kernels


@njit(cache=True)
def _max_disjoint_paths(adjacent, is_source, alive, target: int, limit: int) -> int:
    """Most paths from the sources to ``target`` that share no vertex but ``target`` (a min vertex cut).

    ``adjacent[u, w]`` says ``u -> w``; only ``alive`` vertices take part, every
    one but ``target`` with capacity one. Stops early at ``limit``.
    """
    n = adjacent.shape[0]
    through = np.zeros(n, np.bool_)  # unit flow through a vertex
    flow = np.zeros((n, n), np.int64)  # flow on edge u -> w
    prev = np.empty(2 * n, np.int64)  # BFS tree over split nodes: 2u = u_in, 2u+1 = u_out
    queue = np.empty(2 * n, np.int64)
    paths = 0
    while paths < limit:
        prev[:] = -2
        head = 0
        tail = 0
        for u in range(n):
            if alive[u] and is_source[u] and u != target:
                prev[2 * u] = -1
                queue[tail] = 2 * u
                tail += 1
        found = False
        while head < tail and not found:
            node = queue[head]
            head += 1
            u = node // 2
            if node % 2 == 0:  # u_in: through u, or back along an edge carrying flow into u
                if not through[u] and prev[2 * u + 1] == -2:
                    prev[2 * u + 1] = node
                    queue[tail] = 2 * u + 1
                    tail += 1
                for w in range(n):
                    if flow[w, u] > 0 and prev[2 * w + 1] == -2:
                        prev[2 * w + 1] = node
                        queue[tail] = 2 * w + 1
                        tail += 1
            else:  # u_out: along any edge, or back through u
                if through[u] and prev[2 * u] == -2:
                    prev[2 * u] = node
                    queue[tail] = 2 * u
                    tail += 1
                for w in range(n):
                    if alive[w] and adjacent[u, w] and prev[2 * w] == -2:
                        prev[2 * w] = node
                        if w == target:
                            found = True
                            break
                        queue[tail] = 2 * w
                        tail += 1
        if not found:
            break
        node = 2 * target
        while prev[node] != -1:
            before = prev[node]
            if before // 2 == node // 2:  # the split edge of one vertex
                through[node // 2] = before % 2 == 0
            elif before % 2 == 1:  # forward along u -> w
                flow[before // 2, node // 2] += 1
            else:  # backward: cancel flow on w -> u
                flow[node // 2, before // 2] -= 1
            node = before
        paths += 1
    return paths


@njit(cache=True)
def vertex_cuts(graph: kernels.PackedGraph, edges, eliminated):
    """``(cut_in, cut_out)`` of every intermediate left in state ``edges`` (0 for eliminated ones)."""
    n = edges.shape[0]
    num_inputs = graph.num_inputs
    num_intermediates = graph.num_intermediates
    adjacent = edges != kernels.NO_EDGE
    backward = adjacent.T.copy()
    alive = np.ones(n, np.bool_)
    alive[num_inputs : num_inputs + num_intermediates] = ~eliminated
    is_input = np.zeros(n, np.bool_)
    is_input[:num_inputs] = True
    is_output = np.zeros(n, np.bool_)
    is_output[num_inputs + num_intermediates :] = True
    cut_in = np.zeros(num_intermediates, np.int64)
    cut_out = np.zeros(num_intermediates, np.int64)
    for a in range(num_intermediates):
        if eliminated[a]:
            continue
        v = num_inputs + a
        n_preds = adjacent[:, v].sum()
        n_succs = adjacent[v, :].sum()
        cut_in[a] = n_preds if n_preds <= 1 else _max_disjoint_paths(adjacent, is_input, alive, v, n_preds)
        cut_out[a] = n_succs if n_succs <= 1 else _max_disjoint_paths(backward, is_output, alive, v, n_succs)
    return cut_in, cut_out


@njit(cache=True)
def _always_carried(edges, v: int, axis: int, incoming: bool, ndims) -> bool:
    """Whether every original edge into (out of) ``v`` carries the label of ``v``'s ``axis``."""
    n = edges.shape[0]
    any_edge = False
    for u in range(n):
        code = edges[u, v] if incoming else edges[v, u]
        if code == kernels.NO_EDGE:
            continue
        any_edge = True
        position = axis if incoming else ndims[u] + axis  # the destination's axes come first
        if not kernels.label_carried(code, kernels.axis_label(code, position)):
            return False
    return any_edge


@njit(cache=True)
def _has_unit_edge(edges, v: int) -> bool:
    """Whether an edge into or out of ``v`` is a unit edge."""
    for u in range(edges.shape[0]):
        for code in (edges[u, v], edges[v, u]):
            if code != kernels.NO_EDGE and code & kernels.UNIT:
                return True
    return False


@njit(cache=True)
def carried_weights(graph: kernels.PackedGraph):
    """The floor from always-carried axes (0 at unit edges), from the original graph's edges."""
    weights = np.ones(graph.num_intermediates, np.int64)
    for a in range(graph.num_intermediates):
        v = graph.num_inputs + a
        if _has_unit_edge(graph.edges, v):
            weights[a] = 0
            continue
        for axis in range(graph.ndims[v]):
            if _always_carried(graph.edges, v, axis, True, graph.ndims) or _always_carried(
                graph.edges, v, axis, False, graph.ndims
            ):
                weights[a] = max(weights[a], graph.shapes[v, axis])
    return weights


def classic_rule(graph: kernels.PackedGraph) -> bool:
    """Whether eliminating ``v`` always costs ``|pred(v)| * |succ(v)|``: every vertex scalar, no unit edge."""
    present = graph.edges != kernels.NO_EDGE
    return bool((graph.ndims == 0).all() and not (graph.edges[present] & kernels.UNIT).any())


@njit(cache=True)
def vertex_bounds(graph: kernels.PackedGraph, edges, eliminated, weights):
    """``cut_in(v) * cut_out(v) * weight(v)`` for every intermediate left (0 for eliminated ones)."""
    cut_in, cut_out = vertex_cuts(graph, edges, eliminated)
    return cut_in * cut_out * weights


def root_bound(graph) -> int:
    """The lower bound on the optimum of a whole graph: the sum of the terms of all its intermediates."""
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    return int(vertex_bounds(packed, edges, eliminated, product_weights(packed)).sum())


STRUCTURES_PER_EDGE = 48  # capacity of one set S(x, y); a fuller set is marked overflowed


@njit(cache=True)
def _add_code(sets, counts, x: int, y: int, code: int) -> bool:
    """Add ``code`` to ``S(x, y)`` unless present; False when the set is full (the code is then lost)."""
    for c in range(counts[x, y]):
        if sets[x, y, c] == code:
            return True
    if counts[x, y] == sets.shape[2]:
        return False
    sets[x, y, counts[x, y]] = code
    counts[x, y] += 1
    return True


@njit(cache=True)
def reachable_structures(graph: kernels.PackedGraph, capacity: int, edges=None, eliminated=None):
    """``(sets, counts, overflowed, cheapest, tainted)``: every edge code any elimination order can reach.

    From the state ``(edges, eliminated)`` (the initial one by default):
    ``sets[x, y, :counts[x, y]]`` is ``S(x, y)``: the state's edge ``x -> y``,
    every ``product(s2, s1)`` for an intermediate ``v`` left between them with
    ``s1`` in ``S(x, v)`` and ``s2`` in ``S(v, y)``, closed under
    :func:`kernels.join` in both argument orders. Vertices are numbered
    topologically, so ``S(x, y)`` depends only on pairs of a shorter span and one
    pass by span computes the closure. ``overflowed[x, y]`` says ``S(x, y)`` was
    incomplete (full, or built from an incomplete set). ``cheapest[a]`` is the
    fewest multiplications of any product through intermediate ``a`` formed from
    those sets; ``tainted[a]`` says it was formed from an incomplete set and is
    no floor.
    """
    if edges is None:
        edges = graph.edges
    size = edges.shape[0]
    num_inputs = graph.num_inputs
    first_output = num_inputs + graph.num_intermediates
    alive = np.ones(size, np.bool_)
    if eliminated is not None:
        alive[num_inputs:first_output] = ~eliminated
    vertices = np.flatnonzero(alive)
    sets = np.full((size, size, capacity), kernels.NO_EDGE, np.int64)
    counts = np.zeros((size, size), np.int64)
    overflowed = np.zeros((size, size), np.bool_)
    cheapest = np.full(graph.num_intermediates, np.iinfo(np.int64).max, np.int64)
    tainted = np.zeros(graph.num_intermediates, np.bool_)
    for span in range(1, vertices.shape[0]):
        for p in range(vertices.shape[0] - span):
            x = vertices[p]
            y = vertices[p + span]
            if x >= first_output or y < num_inputs:
                continue
            complete = True
            if edges[x, y] != kernels.NO_EDGE:
                complete &= _add_code(sets, counts, x, y, edges[x, y])
            for q in range(p + 1, p + span):
                v = vertices[q]
                if v < num_inputs or v >= first_output:
                    continue
                if overflowed[x, v] or overflowed[v, y]:
                    complete = False
                    tainted[v - num_inputs] = True
                for s in range(counts[x, v]):
                    for t in range(counts[v, y]):
                        code, mults = kernels.product(graph, sets[v, y, t], sets[x, v, s], y, v, x)
                        cheapest[v - num_inputs] = min(cheapest[v - num_inputs], mults)
                        complete &= _add_code(sets, counts, x, y, code)
            i = 0
            while i < counts[x, y]:
                for k in range(i + 1):
                    complete &= _add_code(sets, counts, x, y, kernels.join(graph, sets[x, y, i], sets[x, y, k], y, x))
                    complete &= _add_code(sets, counts, x, y, kernels.join(graph, sets[x, y, k], sets[x, y, i], y, x))
                i += 1
            overflowed[x, y] = not complete
    return sets, counts, overflowed, cheapest, tainted


@njit(cache=True)
def closure_weights(graph: kernels.PackedGraph, capacity: int = STRUCTURES_PER_EDGE, edges=None, eliminated=None):
    """The floor on one product through each intermediate from the structures reachable from a state.

    The initial state by default; 0 where the floor is unknown (a set overflowed) or no product can form.
    """
    cheapest, tainted = reachable_structures(graph, capacity, edges, eliminated)[3:]
    weights = np.zeros(graph.num_intermediates, np.int64)
    for a in range(graph.num_intermediates):
        if not tainted[a] and cheapest[a] != np.iinfo(np.int64).max:
            weights[a] = cheapest[a]
    return weights


def product_weights(graph: kernels.PackedGraph):
    """``weight(v)`` of every intermediate: the larger of the two floors on one product through it."""
    return np.maximum(carried_weights(graph), closure_weights(graph))


@njit(cache=True)
def pair_floors(graph: kernels.PackedGraph, capacity: int = STRUCTURES_PER_EDGE):
    """``floors[x, a, y]``: the fewest multiplications of a product ``J[y,v] . J[v,x]`` through intermediate ``a``.

    The cheapest product of a code in ``S(x, v)`` with one in ``S(v, y)`` from
    the initial state (see :func:`reachable_structures`), never below the
    always-carried floor of ``v``; where either set is incomplete, only that
    floor. -1 where no such product can form.
    """
    sets, counts, overflowed, _, _ = reachable_structures(graph, capacity)
    carried = carried_weights(graph)
    size = graph.edges.shape[0]
    floors = np.full((size, graph.num_intermediates, size), -1, np.int64)
    for a in range(graph.num_intermediates):
        v = graph.num_inputs + a
        for x in range(v):
            if counts[x, v] == 0:
                continue
            for y in range(v + 1, size):
                if counts[v, y] == 0:
                    continue
                if overflowed[x, v] or overflowed[v, y]:
                    floors[x, a, y] = carried[a]
                    continue
                least = np.iinfo(np.int64).max
                for s in range(counts[x, v]):
                    for t in range(counts[v, y]):
                        least = min(least, kernels.product(graph, sets[v, y, t], sets[x, v, s], y, v, x)[1])
                floors[x, a, y] = max(least, carried[a])
    return floors
