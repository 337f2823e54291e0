"""Pack a :class:`ccgym.Graph` into the flat arrays the kernels work on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ccgym import kernels
from ccgym.kernels import PackedGraph

if TYPE_CHECKING:
    from ccgym.graph import Graph


INT64_MAX = 2**63 - 1


def cost_bound(graph: Graph) -> int:
    """An upper bound on any count the kernels make for ``graph``: any order's multiplications or memory.

    Eliminating ``k`` forms each product ``J[j,k] . J[k,i]`` once, for an
    ancestor ``i`` and a descendant ``j`` of ``k`` (elimination never adds a
    path), at a cost of at most ``2 * n_i * n_k * n_j`` (``n``: a vertex's
    number of values). Summed over ``k`` this bounds every order; an edge
    stores at most ``n_i * n_j`` values, so the pairs bound memory.
    """
    sizes = [math.prod(v.shape) for v in graph.vertices]
    n = len(sizes)
    children: list[list[int]] = [[] for _ in range(n)]
    for edge in graph.edges:
        children[edge.src].append(edge.dst)
    descendants = [0] * n  # bitsets of vertices reachable from each vertex
    for v in range(n - 1, -1, -1):  # vertices are topologically ordered
        for child in children[v]:
            descendants[v] |= descendants[child] | (1 << child)
    ancestors = [0] * n
    for v in range(n):
        for child in children[v]:
            ancestors[child] |= ancestors[v] | (1 << v)

    def total(bits: int) -> int:
        return sum(sizes[u] for u in range(n) if (bits >> u) & 1)

    below = [total(bits) for bits in descendants]
    mults = sum(2 * sizes[k] * total(ancestors[k]) * below[k] for k in range(n))
    memory = sum(sizes[v] * below[v] for v in range(n))
    return max(mults, memory)


def pack(graph: Graph) -> PackedGraph:
    """Flat arrays of a graph: structure codes, padded shapes and ranks (read-only).

    ``ValueError`` if the graph is so large that a count could leave int64
    (:func:`cost_bound`): the kernels count in 64-bit integers and never wrap.
    """
    if cost_bound(graph) > INT64_MAX:
        raise ValueError(
            f"the graph is too large to count exactly: with {graph.num_vertices} vertices of up to "
            f"{max(math.prod(v.shape) for v in graph.vertices)} values, a count could exceed 2**63 - 1"
        )
    n = graph.num_vertices
    edges = np.full((n, n), kernels.NO_EDGE, np.int64)
    shapes = np.ones((n, kernels.MAX_NDIM), np.int64)
    ndims = np.zeros(n, np.int64)
    for v, vertex in enumerate(graph.vertices):
        shapes[v, : len(vertex.shape)] = vertex.shape
        ndims[v] = len(vertex.shape)
    for edge in graph.edges:
        edges[edge.src, edge.dst] = edge.structure.code
    for array in (edges, shapes, ndims):
        array.flags.writeable = False  # shared by every user of a cached graph: eliminate on copies
    return PackedGraph(edges, shapes, ndims, graph.num_inputs, graph.num_intermediates, graph.num_outputs)
