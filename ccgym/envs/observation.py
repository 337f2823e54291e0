"""The observation: edge and vertex features of an elimination state as one fixed-shape tensor.

An observation is ``float32[len(CHANNELS), N, N]`` with values in ``[0, 1]``.
Row and column ``r`` describe the same vertex; a :class:`Layout` reserves
blocks of rows for inputs, intermediates and outputs (padded with zeros when a
graph has fewer), so the vertex of action ``a`` is always row
``layout.inputs + a``. Edge channels hold the edge ``src -> dst`` at
``[channel, row(src), row(dst)]``; vertex channels hold vertex ``v`` on the
diagonal ``[channel, row(v), row(v)]`` (no edge is a self-loop).

Sizes are given as ``log(size) / log(size_scale)`` (clipped to 1), so ``0``
means one value and ``1`` the size scale (by default the largest dense edge
Jacobian the graph can have):

====================  ======  ==============================================================
channel               where   value
====================  ======  ==============================================================
``edge``              edges   1 where the edge exists
``stored``            edges   log size of its stored value tensor (what memory counts)
``dense``             edges   log size of its dense Jacobian, ``numel(dst) * numel(src)``
``diagonal``          edges   log size of its Kronecker-delta part: the product of the sizes of
                              labels shared by an output and an input axis (``n`` for
                              elementwise ops on ``n`` values, 0 for a dense block)
``vertex_size``       vertex  log of the vertex's number of values
``eliminable``        vertex  1 for intermediates not yet eliminated: the action mask
``input``             vertex  1 for inputs
``output``            vertex  1 for outputs
====================  ======  ==============================================================

The kernels here keep an observation up to date as vertices are eliminated,
touching only the edges an elimination changes. :class:`GraphObservation`
serves it to ``CCElimEnv`` (``observation="graph"`` or ``"dict"``);
:class:`ObservationMode` is what the env asks of an observation mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from gymnasium import spaces
from numba import njit

from ccgym import kernels
from ccgym.envs.bound_call import BoundCall
from ccgym.features import diagonal_size, inverse_log_scale, log_ratio, numel
from ccgym.graph import Graph

CHANNELS = ("edge", "stored", "dense", "diagonal", "vertex_size", "eliminable", "input", "output")
EDGE, STORED, DENSE, DIAGONAL, VERTEX_SIZE, ELIMINABLE, INPUT, OUTPUT = range(len(CHANNELS))


@dataclass(frozen=True)
class Layout:
    """Rows reserved for inputs, intermediates and outputs (and actions: one per intermediate row)."""

    inputs: int
    intermediates: int
    outputs: int

    @classmethod
    def of(cls, graph: Graph) -> Layout:
        """The layout that fits ``graph`` exactly."""
        return cls(graph.num_inputs, graph.num_intermediates, graph.num_outputs)

    @property
    def num_vertices(self) -> int:
        """Rows (and columns) of an observation."""
        return self.inputs + self.intermediates + self.outputs

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of an observation."""
        return len(CHANNELS), self.num_vertices, self.num_vertices

    @property
    def max_edges(self) -> int:
        """The most edges (and paths) a graph of this layout can have: outputs are sinks, inputs sources."""
        i, m, o = self.inputs, self.intermediates, self.outputs
        return i * m + i * o + m * (m - 1) // 2 + m * o

    def rows(self, graph: Graph) -> np.ndarray:
        """Observation row of every vertex of ``graph``; ``ValueError`` if it does not fit."""
        counts = (graph.num_inputs, graph.num_intermediates, graph.num_outputs)
        room = (self.inputs, self.intermediates, self.outputs)
        if any(count > space for count, space in zip(counts, room)):
            raise ValueError(f"a graph with (inputs, intermediates, outputs) = {counts} does not fit the layout {room}")
        starts = (0, self.inputs, self.inputs + self.intermediates)
        return np.concatenate([start + np.arange(count) for start, count in zip(starts, counts)]).astype(np.int64)


@njit(cache=True, inline="always")
def _write_edge(graph: kernels.PackedGraph, edges, src: int, dst: int, rows, inv_log_scale: float, obs) -> None:
    r = rows[src]
    c = rows[dst]
    code = edges[src, dst]
    if code == kernels.NO_EDGE:  # (no early return: inlined code with one compiles badly)
        obs[EDGE, r, c] = 0.0
        obs[STORED, r, c] = 0.0
        obs[DENSE, r, c] = 0.0
        obs[DIAGONAL, r, c] = 0.0
    else:
        obs[EDGE, r, c] = 1.0
        obs[STORED, r, c] = log_ratio(kernels.edge_size(graph, code, dst, src), inv_log_scale)
        obs[DENSE, r, c] = log_ratio(numel(graph, dst) * numel(graph, src), inv_log_scale)
        obs[DIAGONAL, r, c] = log_ratio(diagonal_size(graph, code, dst, src), inv_log_scale)


@kernels.uncounted
def encode(graph: kernels.PackedGraph, edges, eliminated, rows, inv_log_scale: float, obs) -> None:
    """Write the observation of a state ``(edges, eliminated)`` into ``obs``."""
    obs[:] = 0.0
    n = edges.shape[0]
    for src in range(n):
        for dst in range(n):
            if edges[src, dst] != kernels.NO_EDGE:
                _write_edge(graph, edges, src, dst, rows, inv_log_scale, obs)
    for v in range(n):
        r = rows[v]
        obs[VERTEX_SIZE, r, r] = log_ratio(numel(graph, v), inv_log_scale)
        if v < graph.num_inputs:
            obs[INPUT, r, r] = 1.0
        elif v < graph.num_inputs + eliminated.shape[0]:
            obs[ELIMINABLE, r, r] = 0.0 if eliminated[v - graph.num_inputs] else 1.0
        else:
            obs[OUTPUT, r, r] = 1.0


@kernels.uncounted
def update_touched(
    graph: kernels.PackedGraph, edges, vertex: int, touched, n_preds: int, n_succs: int, rows, inv_log_scale: float, obs
) -> None:
    """Rewrite in ``obs`` the entries that eliminating ``vertex`` changed.

    ``touched``, ``n_preds`` and ``n_succs`` are as reported by
    :func:`ccgym.kernels.eliminate_touched`; ``edges`` is the state after it.
    """
    for p in range(n_preds):
        _write_edge(graph, edges, touched[p], vertex, rows, inv_log_scale, obs)
        for s in range(n_succs):
            _write_edge(graph, edges, touched[p], touched[n_preds + s], rows, inv_log_scale, obs)
    for s in range(n_succs):
        _write_edge(graph, edges, vertex, touched[n_preds + s], rows, inv_log_scale, obs)
    obs[ELIMINABLE, rows[vertex], rows[vertex]] = 0.0


@kernels.uncounted
def eliminate_and_update(graph: kernels.PackedGraph, edges, vertex: int, rows, inv_log_scale: float, touched, obs):
    """:func:`ccgym.kernels.eliminate` that also updates ``obs``; returns ``(mults, memory_change)``.

    ``touched`` is scratch space of ``int64[V]``.
    """
    mults, memory_change, n_preds, n_succs = kernels.eliminate_touched(graph, edges, vertex, touched)
    update_touched(graph, edges, vertex, touched, n_preds, n_succs, rows, inv_log_scale, obs)
    return mults, memory_change


Observation = np.ndarray | dict[str, np.ndarray]


class ObservationMode(Protocol):
    """An observation mode of ``CCElimEnv``: its space, and its state kept up to date as vertices are eliminated."""

    space: spaces.Space

    def load(self, graph: Graph) -> None:
        """Prepare for episodes on ``graph`` (it fits the layout)."""

    def reset(self) -> None:
        """Observe the initial state of the loaded graph."""

    def eliminate(self, edges: np.ndarray, vertex: int) -> tuple[int, int]:
        """Eliminate ``vertex`` in ``edges`` and observe the result; returns ``(mults, memory_change)``."""

    def observe(self, mask: np.ndarray) -> Observation:
        """The observation now, as fresh arrays; ``mask`` is the legal actions."""


def dense_space(layout: Layout, with_mask: bool) -> spaces.Space:
    """The ``Box`` of the dense observation, or with ``with_mask`` a ``Dict`` of it and the action mask."""
    graph_space = spaces.Box(0.0, 1.0, layout.shape, np.float32)
    if with_mask:
        return spaces.Dict({"graph": graph_space, "action_mask": spaces.MultiBinary(layout.intermediates)})
    return graph_space


class GraphObservation:
    """The ``(8, N, N)`` observation of this module, alone (``"graph"``) or with the action mask (``"dict"``)."""

    def __init__(self, layout: Layout, size_scale: int, with_mask: bool) -> None:
        self.layout = layout
        self._inv_log_scale = inverse_log_scale(size_scale)
        self._with_mask = with_mask
        self.space = dense_space(layout, with_mask)

    def load(self, graph: Graph) -> None:
        packed = graph.packed
        self._packed = packed
        self._rows = self.layout.rows(graph)
        self._initial = np.zeros(self.layout.shape, np.float32)
        encode(packed, *packed.initial_state(), self._rows, self._inv_log_scale, self._initial)
        self._touched = np.empty(graph.num_vertices, np.int64)
        self._eliminate = BoundCall(eliminate_and_update)

    def reset(self) -> None:
        self._obs = self._initial.copy()

    def eliminate(self, edges: np.ndarray, vertex: int) -> tuple[int, int]:
        return self._eliminate(
            self._packed, edges, vertex, self._rows, self._inv_log_scale, self._touched, self._obs
        )

    def observe(self, mask: np.ndarray) -> Observation:
        if self._with_mask:
            return {"graph": self._obs.copy(), "action_mask": mask.astype(np.int8)}
        return self._obs.copy()
