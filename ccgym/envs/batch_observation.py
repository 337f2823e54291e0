"""Observations of a batch of games: one preallocated buffer per mode, updated slot by slot inside compiled steps.

An observation mode of the vector env is a *batch encoder* in two halves:

- its **buffers**, a ``NamedTuple`` of arrays with a leading batch axis (the
  batch observation and each slot's initial one), which compiled code takes
  as one argument. The generic :func:`reset_slot` and :func:`update_slot`
  dispatch on the buffers' type, at compile time, to the two ``@njit``
  functions that :func:`register` recorded for it, inlined into the
  compiled step: ``reset(buffers, b)`` restores slot ``b``'s initial
  observation; ``update(buffers, graph, edges, vertex, touched, n_preds,
  n_succs, b)`` rewrites what eliminating ``vertex`` changed (the arguments
  of :func:`ccgym.kernels.eliminate_touched`, ``edges`` after it);
- a :class:`BatchEncoder`, the Python object that owns the buffers, gives the
  single observation space and hands out observations.

:data:`ENCODERS` maps the env's ``observation`` option to a factory
``(layout, size_scale, mask, initial_slots) -> BatchEncoder``; a new mode
(such as ``"features"``) is one more registered buffers type, one more
encoder class and one more entry.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple, Protocol

import numpy as np
from gymnasium import spaces
from numba import njit
from numba.extending import overload

from ccgym.envs.observation import (
    DENSE,
    DIAGONAL,
    EDGE,
    ELIMINABLE,
    INPUT,
    OUTPUT,
    STORED,
    VERTEX_SIZE,
    Layout,
    dense_space,
    encode,
    inverse_log_scale,
    update_touched,
)
from ccgym.graph import Graph

EDGE_CHANNELS = (EDGE, STORED, DENSE, DIAGONAL)  # zero where there is no edge; EDGE is 1 where there is
VERTEX_CHANNELS = (VERTEX_SIZE, ELIMINABLE, INPUT, OUTPUT)  # zero off the diagonal

_SLOT_FUNCTIONS: dict[type, tuple[Callable, Callable]] = {}


def register(buffers_type: type, reset: Callable, update: Callable) -> None:
    """Make :func:`reset_slot` and :func:`update_slot` call ``reset`` and ``update`` (``@njit``) on ``buffers_type``."""
    _SLOT_FUNCTIONS[buffers_type] = (reset, update)


def reset_slot(buffers: Any, b: int) -> None:
    """Restore slot ``b``'s initial observation (compiled code only)."""
    raise TypeError("reset_slot is called from compiled code only")


def update_slot(buffers: Any, graph, edges, vertex: int, touched, n_preds: int, n_succs: int, b: int) -> None:
    """Rewrite slot ``b``'s observation after ``vertex`` was eliminated (compiled code only)."""
    raise TypeError("update_slot is called from compiled code only")


@overload(reset_slot, inline="always")
def _reset_slot(buffers, b):
    reset = _SLOT_FUNCTIONS[buffers.instance_class][0]

    def implementation(buffers, b):
        reset(buffers, b)

    return implementation


@overload(update_slot, inline="always")
def _update_slot(buffers, graph, edges, vertex, touched, n_preds, n_succs, b):
    update = _SLOT_FUNCTIONS[buffers.instance_class][1]

    def implementation(buffers, graph, edges, vertex, touched, n_preds, n_succs, b):
        update(buffers, graph, edges, vertex, touched, n_preds, n_succs, b)

    return implementation


class BatchEncoder(Protocol):
    """What the vector env needs of an observation mode (``ENCODERS[mode](layout, size_scale, mask, initial_slots)``).

    ``mask`` is the games' ``bool[B, A]`` legal actions (kept up to date by
    the env); ``initial_slots`` is 1 when every slot starts from the same
    graph, else ``B``.
    """

    single_observation_space: spaces.Space
    buffers: NamedTuple  # a type given to :func:`register`

    def load(self, slot: int, graph: Graph) -> None:
        """Encode ``graph``'s initial observation as initial slot ``slot``."""

    def observation(self, copy: bool) -> Any:
        """The batch observation: the buffers themselves, or a copy."""

    def slot_observation(self, b: int) -> Any:
        """A copy of slot ``b``'s observation."""


class DenseBuffers(NamedTuple):
    """The dense ``(C, N, N)`` observation of every slot (:mod:`ccgym.envs.observation`)."""

    obs: np.ndarray  # float32[B, C, N, N], the batch observation
    initial: np.ndarray  # float32[K, C, N, N], slot b starts from initial[b % K] (K is 1 or B)
    rows: np.ndarray  # int64[N], observation row of each batch vertex: the identity
    inv_log_scale: float


@njit(cache=True, inline="always")
def _reset_dense(buffers: DenseBuffers, b: int) -> None:
    """Copy slot ``b``'s initial observation over the entries that can differ from it.

    Those are the vertex channels' diagonal and the edge channels wherever an
    edge exists now or initially (above the diagonal: a source's row comes
    before its destination's; elsewhere both are zero), far fewer than
    ``C * N * N`` entries.
    """
    obs = buffers.obs[b]
    initial = buffers.initial[b % buffers.initial.shape[0]]
    n = obs.shape[1]
    for r in range(n):
        for channel in VERTEX_CHANNELS:
            obs[channel, r, r] = initial[channel, r, r]
        for c in range(r + 1, n):
            if obs[EDGE, r, c] != 0.0 or initial[EDGE, r, c] != 0.0:
                for channel in EDGE_CHANNELS:
                    obs[channel, r, c] = initial[channel, r, c]


@njit(cache=True, inline="always")
def _update_dense(buffers: DenseBuffers, graph, edges, vertex: int, touched, n_preds: int, n_succs: int, b: int):
    update_touched(graph, edges, vertex, touched, n_preds, n_succs, buffers.rows, buffers.inv_log_scale, buffers.obs[b])


register(DenseBuffers, _reset_dense, _update_dense)


class DenseEncoder:
    """``observation="graph"``: the ``Box(0, 1, (C, N, N))`` of :class:`ccgym.envs.CCElimEnv`, for every slot.

    With ``with_mask`` (``observation="dict"``) it is ``{"graph": that Box,
    "action_mask": MultiBinary(A)}``, the mask being an ``int8`` view of the
    games' ``mask`` array.
    """

    def __init__(self, layout: Layout, size_scale: int, mask: np.ndarray, initial_slots: int, with_mask: bool) -> None:
        self.layout = layout
        self._mask = mask
        self._with_mask = with_mask
        self.single_observation_space = dense_space(layout, with_mask)
        self.buffers = DenseBuffers(
            np.zeros((mask.shape[0], *layout.shape), np.float32),
            np.zeros((initial_slots, *layout.shape), np.float32),
            np.arange(layout.num_vertices, dtype=np.int64),
            inverse_log_scale(size_scale),
        )

    def load(self, slot: int, graph: Graph) -> None:
        """Encode ``graph``'s initial observation into ``initial[slot]``."""
        packed = graph.packed
        edges, eliminated = packed.initial_state()
        rows = self.layout.rows(graph)
        encode(packed, edges, eliminated, rows, self.buffers.inv_log_scale, self.buffers.initial[slot])

    def observation(self, copy: bool) -> np.ndarray | dict[str, np.ndarray]:
        """The batch observation: the buffers themselves, or a copy."""
        graph = self.buffers.obs.copy() if copy else self.buffers.obs
        if not self._with_mask:
            return graph
        mask = self._mask.view(np.int8)
        return {"graph": graph, "action_mask": mask.copy() if copy else mask}

    def slot_observation(self, b: int) -> np.ndarray | dict[str, np.ndarray]:
        """A copy of slot ``b``'s observation."""
        graph = self.buffers.obs[b].copy()
        return {"graph": graph, "action_mask": self._mask[b].astype(np.int8)} if self._with_mask else graph


ENCODERS: dict[str, Callable[..., BatchEncoder]] = {
    "graph": partial(DenseEncoder, with_mask=False),
    "dict": partial(DenseEncoder, with_mask=True),
}
