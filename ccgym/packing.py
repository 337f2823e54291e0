"""Pack a :class:`ccgym.Graph` into the flat arrays the kernels work on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ccgym import kernels
from ccgym.kernels import PackedGraph

if TYPE_CHECKING:
    from ccgym.graph import Graph


def pack(graph: Graph) -> PackedGraph:
    """Flat arrays of a graph: structure codes, padded shapes and ranks (read-only)."""
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
