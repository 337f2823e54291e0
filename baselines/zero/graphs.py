"""The graphs a run learns from, in one padded vertex layout, with their feature plans.

A task run plays one graph; a run on random graphs plays fresh ones every
iteration. Either way a self-play position refers to its graph by a pool
slot, so the replay buffer can rebuild and encode any position later: states
are stored as keys of the layout's actions (a graph's padding actions are
always eliminated, and eliminating an isolated padding vertex changes
nothing), and every plan maps the layout's vertex ``v`` to row ``v``.
"""

from __future__ import annotations

import numpy as np

from baselines.mcts import layout_vertices, pad_graphs
from ccgym import features, kernels
from ccgym.features import FeaturePlan
from ccgym.kernels import PackedBatch, PackedGraph


class GraphPool:
    """``capacity`` graph slots in the layout ``(inputs, intermediates, outputs)``, reused oldest first.

    Each slot keeps the padded graph, its feature plan (``max_edges`` edge
    slots) and its normalizer: the multiplications of reverse mode, which
    puts values of every graph on one scale.
    """

    def __init__(self, layout: tuple[int, int, int], capacity: int, max_edges: int) -> None:
        if capacity < 1:
            raise ValueError(f"a graph pool needs at least one slot, got {capacity}")
        self.layout = tuple(int(count) for count in layout)
        self.capacity = capacity
        self.max_edges = max_edges
        v = sum(self.layout)
        self.edges = np.full((capacity, v, v), kernels.NO_EDGE, np.int64)
        self.shapes = np.ones((capacity, v, kernels.MAX_NDIM), np.int64)
        self.ndims = np.zeros((capacity, v), np.int64)
        self.sizes = np.zeros((capacity, 3), np.int64)
        self.normalizers = np.zeros(capacity)
        self.plans: FeaturePlan | None = None  # allocated with the first graph's plan as the template
        self.added = 0

    def add(self, graph: PackedGraph) -> int:
        """Store ``graph`` in the oldest slot; returns the slot."""
        padded = pad_graphs([graph], self.layout)
        slot = self.added % self.capacity
        for pool_array, array in zip((self.edges, self.shapes, self.ndims, self.sizes), padded[:4]):
            pool_array[slot] = array[0]
        self._plan(slot)
        reverse = np.arange(graph.num_intermediates - 1, -1, -1, dtype=np.int64)
        self.normalizers[slot] = max(1, int(kernels.run_order(graph, reverse)[0]))
        self.added += 1
        return slot

    def _plan(self, slot: int) -> None:
        """Make the feature plan of the graph in ``slot``: the layout's vertex ``v`` at row ``v``."""
        rows = np.full(sum(self.layout), -1, np.int64)
        real = layout_vertices(self.layout, self.sizes[slot])
        rows[real] = real
        graph = PackedGraph(self.edges[slot], self.shapes[slot], self.ndims[slot], *self.layout)
        plan = features.make_plan(graph, rows, len(rows), self.max_edges)
        if self.plans is None:
            self.plans = FeaturePlan(*(np.zeros((self.capacity, *array.shape), array.dtype) for array in plan))
        for pool_array, array in zip(self.plans, plan):
            pool_array[slot] = array

    def batch(self, slots: np.ndarray) -> tuple[PackedBatch, FeaturePlan]:
        """The graphs and plans of ``slots`` (views when the pool holds one graph, else copies)."""
        if self.plans is None:
            raise RuntimeError("the graph pool is empty")

        def take(array: np.ndarray) -> np.ndarray:
            return np.broadcast_to(array[0], (len(slots), *array.shape[1:])) if self.capacity == 1 else array[slots]

        graphs = PackedBatch(*(take(a) for a in (self.edges, self.shapes, self.ndims, self.sizes)), *self.layout)
        return graphs, FeaturePlan(*(take(array) for array in self.plans))

    def state_dict(self) -> dict:
        """Everything needed to restore the pool (for checkpoints): the graphs sparsely, the plans not at all."""
        present = np.argwhere(self.edges != kernels.NO_EDGE)
        arrays = {name: getattr(self, name) for name in ("shapes", "ndims", "sizes", "normalizers")}
        return {**arrays, "edge_at": present, "edge_codes": self.edges[tuple(present.T)], "added": self.added}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` gave, planning each stored graph again."""
        if state["shapes"].shape != self.shapes.shape:
            raise ValueError("the checkpoint's graph pool does not fit this run's layout and capacity")
        for name in ("shapes", "ndims", "sizes", "normalizers"):
            getattr(self, name)[:] = state[name]
        self.edges[:] = kernels.NO_EDGE
        self.edges[tuple(state["edge_at"].T)] = state["edge_codes"]
        self.added = int(state["added"])
        for slot in range(min(self.added, self.capacity)):
            self._plan(slot)
