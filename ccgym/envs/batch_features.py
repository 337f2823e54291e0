"""``observation="features"`` for the vector env: the compact encoding of :mod:`ccgym.features`, one slot per game.

A batch encoder in the sense of :mod:`ccgym.envs.batch_observation`: the
buffers hold the batch encoding, each initial slot's encoding and plan
(``K`` initial slots: 1 when every game plays one graph, else one per game),
and the compiled step updates a slot with :func:`ccgym.features.update_tracked`
after each elimination, touching only the changed slots and rows (each slot's
:class:`ccgym.features.Neighbours` are kept beside its encoding).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ccgym import features
from ccgym.envs.batch_observation import register
from ccgym.envs.feature_observation import FeatureObservation
from ccgym.envs.games import pad_into, padded_batch
from ccgym.envs.observation import Layout
from ccgym.graph import Graph
from ccgym.kernels import PackedGraph, assign


class FeatureBuffers(NamedTuple):
    """The encoding of every slot, and what each initial slot starts from."""

    out: features.Features  # fields with a leading axis B: the batch observation
    initial: features.Features  # fields with a leading axis K: slot b starts from initial slot b % K
    plans: features.FeaturePlan  # fields with a leading axis K, for the batch layout's padded graphs
    neighbours: features.Neighbours  # fields with a leading axis B: beside the batch observation
    initial_neighbours: features.Neighbours  # fields with a leading axis K


@njit(cache=True, inline="always")
def _reset_features(buffers: FeatureBuffers, b: int) -> None:
    """Copy slot ``b``'s initial encoding over its encoding."""
    k = b % buffers.initial.vertex.shape[0]
    assign(buffers.out.vertex[b], buffers.initial.vertex[k])
    assign(buffers.out.edge_index[b], buffers.initial.edge_index[k])
    assign(buffers.out.edge_features[b], buffers.initial.edge_features[k])
    assign(buffers.out.edge_mask[b], buffers.initial.edge_mask[k])
    assign(buffers.out.num_edges[b], buffers.initial.num_edges[k])
    assign(buffers.neighbours.preds[b], buffers.initial_neighbours.preds[k])
    assign(buffers.neighbours.succs[b], buffers.initial_neighbours.succs[k])


@njit(cache=True, inline="always")
def _update_features(buffers: FeatureBuffers, graph, edges, vertex: int, touched, n_preds: int, n_succs: int, b: int):
    plan = features.plan_at(buffers.plans, b % buffers.initial.vertex.shape[0])
    out = features.features_at(buffers.out, b)
    neighbours = features.neighbours_at(buffers.neighbours, b)
    features.update_tracked(graph, plan, edges, vertex, touched, n_preds, n_succs, out, neighbours)


register(FeatureBuffers, _reset_features, _update_features)


class FeatureEncoder:
    """The observation space of ``CCElimEnv(observation="features")``, for every slot.

    ``max_edges`` edge slots: the reachable pairs of the one graph when all
    games play it, else the most any graph of the layout can have.
    """

    def __init__(
        self, layout: Layout, size_scale: int, mask: np.ndarray, initial_slots: int, max_edges: int
    ) -> None:
        self.layout = layout
        self.size_scale = size_scale
        self.max_edges = max_edges
        self.single_observation_space = FeatureObservation(layout, size_scale, max_edges).space
        rows, num_slots = layout.num_vertices, mask.shape[0]
        v = layout.num_vertices
        self.buffers = FeatureBuffers(
            features.empty_features(rows, max_edges, num_slots),
            features.empty_features(rows, max_edges, initial_slots),
            features.FeaturePlan(
                np.full((initial_slots, v), -1, np.int64),
                np.full((initial_slots, rows), -1, np.int64),
                np.full((initial_slots, v, v), -1, np.int64),
                np.zeros((initial_slots, max_edges), np.int64),
                np.zeros((initial_slots, max_edges), np.int64),
                np.zeros((initial_slots, 2, v + 1), np.int64),
                np.zeros((initial_slots, max_edges, 2), np.int64),
                np.zeros((initial_slots, rows, len(features.VERTEX_FEATURES)), np.float32),
                np.zeros((initial_slots, 3), np.float64),
            ),
            features.empty_neighbours(rows, num_slots),
            features.empty_neighbours(rows, initial_slots),
        )

    def load(self, slot: int, graph: Graph) -> None:
        """Plan and encode ``graph``, padded to the batch layout, as initial slot ``slot``."""
        one = padded_batch(self.layout, 1)
        pad_into(one, 0, graph, self.layout)
        layout = self.layout
        padded = PackedGraph(one.edges[0], one.shapes[0], one.ndims[0], layout.inputs, layout.intermediates, layout.outputs)
        rows = np.full(self.layout.num_vertices, -1, np.int64)
        real = self.layout.rows(graph)
        rows[real] = real  # padded vertex v sits at row v; padding vertices get none
        plan = features.make_plan(padded, rows, self.layout.num_vertices, self.max_edges, self.size_scale)
        for batch_array, array in zip(self.buffers.plans, plan):
            batch_array[slot] = array
        eliminated = np.ones(self.layout.intermediates, np.bool_)
        eliminated[: graph.num_intermediates] = False
        initial = features.features_at(self.buffers.initial, slot)
        neighbours = features.neighbours_at(self.buffers.initial_neighbours, slot)
        features.encode_tracked(padded, plan, padded.edges.copy(), eliminated, initial, neighbours)

    def observation(self, copy: bool) -> dict[str, np.ndarray]:
        """The batch observation: the buffers themselves, or copies."""
        return {name: array.copy() if copy else array for name, array in self.buffers.out._asdict().items()}

    def slot_observation(self, b: int) -> dict[str, np.ndarray]:
        """A copy of slot ``b``'s observation."""
        return {name: array[b].copy() for name, array in self.buffers.out._asdict().items()}
