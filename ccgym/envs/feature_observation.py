"""``observation="features"``: the compact encoding of :mod:`ccgym.features` as a ``spaces.Dict``.

The keys are the fields of :class:`ccgym.features.Features`: ``vertex``
(one row per layout row), ``edge_index``, ``edge_features``, ``edge_mask`` and
``num_edges`` (``max_edges`` edge slots). Every step updates the encoding in
place in one compiled call; the observation is a fresh copy of it.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ccgym import features
from ccgym.envs.bound_call import BoundCall
from ccgym.envs.observation import Layout
from ccgym.graph import Graph
from ccgym.kernels import PackedGraph, uncounted


def edge_slots(observation: str, max_edges: int | None, layout: Layout, own_graph: PackedGraph | None) -> int | None:
    """The edge slots of ``observation="features"`` (``None`` for the other modes).

    ``max_edges`` if given; else the pairs joined by a path in ``own_graph``,
    the one graph of a layout that fits it exactly; else the most any graph of
    ``layout`` can have. ``ValueError`` if ``max_edges`` is given for another mode.
    """
    if observation != "features":
        if max_edges is not None:
            raise ValueError(f"max_edges sizes observation='features' only, not observation={observation!r}")
        return None
    if max_edges is not None:
        return max_edges
    return features.reachable_pairs(own_graph) if own_graph is not None else layout.max_edges


@uncounted
def _eliminate_and_update(graph: tuple, plan: tuple, edges, vertex: int, touched, out: tuple, neighbours: tuple):
    """:func:`ccgym.features.eliminate_and_update_tracked` over the fields of its named tuples.

    Numba types a named tuple argument in Python, field by field, and a plain
    tuple in C: this halves the cost of the call from Python (the env's step).
    """
    return features.eliminate_and_update_tracked(
        PackedGraph(*graph),
        features.FeaturePlan(*plan),
        edges,
        vertex,
        touched,
        features.Features(*out),
        features.Neighbours(*neighbours),
    )


class FeatureObservation:
    """Vertex features and a padded edge list, sized by a layout and a number of edge slots."""

    def __init__(self, layout: Layout, size_scale: int, max_edges: int) -> None:
        self.layout = layout
        self.size_scale = size_scale
        self.max_edges = max_edges
        rows = layout.num_vertices
        self.space = spaces.Dict(
            {
                "vertex": spaces.Box(0.0, 1.0, (rows, len(features.VERTEX_FEATURES)), np.float32),
                "edge_index": spaces.Box(0, rows - 1, (max_edges, 2), np.int64),
                "edge_features": spaces.Box(0.0, 1.0, (max_edges, len(features.EDGE_FEATURES)), np.float32),
                "edge_mask": spaces.MultiBinary(max_edges),
                "num_edges": spaces.Box(0, max_edges, (1,), np.int64),
            }
        )

    def load(self, graph: Graph) -> None:
        packed = graph.packed
        self.plan = features.make_plan(
            packed, self.layout.rows(graph), self.layout.num_vertices, self.max_edges, self.size_scale
        )
        self._initial = features.empty_features(self.layout.num_vertices, self.max_edges)
        self._initial_neighbours = features.empty_neighbours(self.layout.num_vertices)
        features.encode_tracked(packed, self.plan, *packed.initial_state(), self._initial, self._initial_neighbours)
        self._fields = tuple(packed), tuple(self.plan)
        self._touched = np.empty(graph.num_vertices, np.int64)
        self._eliminate = BoundCall(_eliminate_and_update)

    def reset(self) -> None:
        self._encoding = tuple(array.copy() for array in self._initial)
        self._neighbours = tuple(array.copy() for array in self._initial_neighbours)

    def eliminate(self, edges: np.ndarray, vertex: int) -> tuple[int, int]:
        graph_fields, plan_fields = self._fields
        return self._eliminate(
            graph_fields, plan_fields, edges, vertex, self._touched, self._encoding, self._neighbours
        )

    def observe(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """A fresh copy of the encoding (``mask`` is unused: legality is the ``legal`` vertex column)."""
        vertex, edge_index, edge_features, edge_mask, num_edges = self._encoding
        return {
            "vertex": vertex.copy(),
            "edge_index": edge_index.copy(),
            "edge_features": edge_features.copy(),
            "edge_mask": edge_mask.copy(),
            "num_edges": num_edges.copy(),
        }
