"""A batch of elimination games in one vertex layout, stepped and reset by compiled calls.

The games live in a :class:`Games` record of flat arrays with a leading batch
axis ``B``; the graphs they eliminate are a :class:`ccgym.kernels.PackedBatch`
laid out exactly like the observation (:class:`ccgym.envs.observation.Layout`):
a graph with fewer inputs, intermediates or outputs than the layout has
isolated padding vertices at the end of each block, so vertex ``v`` is
observation row ``v`` and action ``a`` is vertex ``layout.inputs + a``.

:func:`step_games` eliminates one vertex in every stepping game, adds up its
reward terms and updates the game's observation slot, all in one call; it
checks nothing, :func:`first_illegal` does that beforehand.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ccgym import kernels
from ccgym.envs.batch_observation import reset_slot, update_slot
from ccgym.envs.observation import Layout
from ccgym.graph import Graph
from ccgym.kernels import PackedBatch, uncounted


class Games(NamedTuple):
    """``B`` games: their states, their costs so far, the last step's outcome and per-slot reward constants."""

    edges: np.ndarray  # int64[B, V, V], the current state of each game
    mask: np.ndarray  # bool[B, A], legal actions (padding actions are never legal)
    steps: np.ndarray  # int64[B], eliminations this episode
    mults: np.ndarray  # int64[B], multiplications this episode
    memory: np.ndarray  # int64[B], stored values now
    peak: np.ndarray  # int64[B], peak stored values this episode
    rewards: np.ndarray  # float64[B], of the last step
    terminated: np.ndarray  # bool[B], by the last step
    truncated: np.ndarray  # bool[B], by the last step
    initial_memory: np.ndarray  # int64[B], stored values of the slot's graph before any elimination
    mults_coefficient: np.ndarray  # float64[B], reward per multiplication (negated)
    memory_coefficient: np.ndarray  # float64[B], reward per unit of peak increase (negated)
    touched: np.ndarray  # int64[V], scratch space of the kernels

    @classmethod
    def allocate(cls, num_envs: int, layout: Layout) -> Games:
        """Zeroed games for ``num_envs`` slots of ``layout`` (reset them before stepping)."""
        v = layout.num_vertices
        counts = [np.zeros(num_envs, np.int64) for _ in range(4)]
        outcome = [np.zeros(num_envs, np.float64), np.zeros(num_envs, np.bool_), np.zeros(num_envs, np.bool_)]
        constants = [np.zeros(num_envs, np.int64), np.zeros(num_envs, np.float64), np.zeros(num_envs, np.float64)]
        edges = np.full((num_envs, v, v), kernels.NO_EDGE, np.int64)
        mask = np.zeros((num_envs, layout.intermediates), np.bool_)
        return cls(edges, mask, *counts, *outcome, *constants, np.empty(v, np.int64))


def padded_batch(layout: Layout, num_slots: int) -> PackedBatch:
    """A writable batch of ``num_slots`` empty graphs (all padding) in ``layout``; fill it with :func:`pad_into`."""
    v = layout.num_vertices
    return PackedBatch(
        np.full((num_slots, v, v), kernels.NO_EDGE, np.int64),
        np.ones((num_slots, v, kernels.MAX_NDIM), np.int64),
        np.zeros((num_slots, v), np.int64),
        np.zeros((num_slots, 3), np.int64),
        layout.inputs,
        layout.intermediates,
        layout.outputs,
    )


def pad_into(batch: PackedBatch, slot: int, graph: Graph, layout: Layout) -> None:
    """Write ``graph`` into slot ``slot`` of a :func:`padded_batch`, its vertices at their observation rows."""
    packed = graph.packed
    rows = layout.rows(graph)
    batch.edges[slot] = kernels.NO_EDGE
    batch.edges[slot][np.ix_(rows, rows)] = packed.edges
    batch.shapes[slot] = 1
    batch.shapes[slot, rows] = packed.shapes
    batch.ndims[slot] = 0
    batch.ndims[slot, rows] = packed.ndims
    batch.sizes[slot] = packed.num_inputs, packed.num_intermediates, packed.num_outputs


def repeat_slot(batch: PackedBatch, num_slots: int) -> PackedBatch:
    """``num_slots`` copies of a one-slot batch, as read-only views (nothing is copied)."""
    arrays = (batch.edges, batch.shapes, batch.ndims, batch.sizes)
    views = (np.broadcast_to(a, (num_slots, *a.shape[1:])) for a in arrays)
    return PackedBatch(*views, batch.num_inputs, batch.num_intermediates, batch.num_outputs)


@njit(cache=True, inline="always")
def _reset_game(batch: PackedBatch, games: Games, buffers, b: int) -> None:
    kernels.assign(games.edges[b], batch.edges[b])
    n = batch.sizes[b, 1]
    games.mask[b, :n] = True
    games.mask[b, n:] = False
    games.steps[b] = 0
    games.mults[b] = 0
    games.memory[b] = games.initial_memory[b]
    games.peak[b] = games.initial_memory[b]
    games.rewards[b] = 0.0
    games.terminated[b] = False
    games.truncated[b] = False
    reset_slot(buffers, b)


@njit(cache=True, inline="always")
def _step_game(batch: PackedBatch, games: Games, buffers, b: int, action: int, max_steps: int) -> None:
    graph = kernels.graph_at(batch, b)
    vertex = batch.num_inputs + action
    edges = games.edges[b]
    mults, change, n_preds, n_succs = kernels.eliminate_touched(graph, edges, vertex, games.touched)
    update_slot(buffers, graph, edges, vertex, games.touched, n_preds, n_succs, b)
    games.mask[b, action] = False
    games.steps[b] += 1
    games.mults[b] += mults
    games.memory[b] += change
    increase = max(0, games.memory[b] - games.peak[b])
    games.peak[b] += increase
    games.rewards[b] = -(games.mults_coefficient[b] * mults + games.memory_coefficient[b] * increase)
    games.terminated[b] = games.steps[b] == batch.sizes[b, 1]
    games.truncated[b] = not games.terminated[b] and games.steps[b] >= max_steps


@uncounted
def reset_games(batch: PackedBatch, games: Games, buffers, which) -> None:
    """Start a new episode in every slot ``b`` with ``which[b]``: initial state, mask, costs and observation."""
    for b in range(which.shape[0]):
        if which[b]:
            _reset_game(batch, games, buffers, b)


@uncounted
def step_games(batch: PackedBatch, games: Games, buffers, actions, resetting, max_steps: int) -> None:
    """Reset every slot with ``resetting[b]`` and eliminate ``actions[b]`` in every other one.

    Writes the games' state, costs, ``rewards``, ``terminated`` and
    ``truncated`` (an episode is truncated when it reaches ``max_steps``
    eliminations without terminating) and each slot's observation in
    ``buffers``. The actions must be legal (:func:`first_illegal`).
    """
    for b in range(actions.shape[0]):
        if resetting[b]:
            _reset_game(batch, games, buffers, b)
        else:
            _step_game(batch, games, buffers, b, actions[b], max_steps)


@uncounted
def first_illegal(mask, actions, skipped) -> int:
    """The first slot ``b`` without ``skipped[b]`` whose action is not legal in ``mask``, or -1."""
    for b in range(actions.shape[0]):
        if skipped[b]:
            continue
        a = actions[b]
        if a < 0 or a >= mask.shape[1] or not mask[b, a]:
            return b
    return -1
