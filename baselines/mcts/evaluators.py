"""The evaluator contract of the tree search, and two evaluators without a network, compiled.

An evaluator is a plain Python callable ``evaluate(leaves) -> (logits, values)``
called once per simulation (and once per move for the roots) with the leaves of
all ``B`` games:

- ``leaves`` is a :class:`Leaves` record; row ``b`` is game ``b``. Its arrays
  are the search's own buffers, overwritten at the next simulation: read them
  during the call, copy what must be kept, and never write to them (the
  search undoes its eliminations in ``leaves.edges`` from a log).
- ``logits``: ``float[B, A]``, finite, the prior over actions of each leaf
  (any real numbers; the search masks the illegal ones itself).
- ``values``: ``float[B]``, the expected return from the leaf in the search's
  units: minus the multiplications still to come divided by
  ``leaves.normalizer[b]`` (so a good value is near ``-remaining / reverse``).

Rows with ``leaves.needed[b]`` False (a terminal leaf, a game already
finished, a leaf visited before) are ignored: an evaluator may skip them.
A network computes its features from ``leaves.batch`` (shapes, sizes) and the
leaf's ``edges`` and ``eliminated``; ``keys`` let it cache evaluations of states
reached by different orders (states are order-free).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numba import njit

from ccgym import kernels
from ccgym.kernels import PackedBatch


class Leaves(NamedTuple):
    """The leaf state of every game, what an evaluator scores."""

    batch: PackedBatch  # the B graphs in one vertex layout (V vertices, A actions)
    edges: np.ndarray  # int64[B, V, V], the leaf states (structure codes or NO_EDGE)
    eliminated: np.ndarray  # bool[B, A], legal actions are ~eliminated (padding actions are marked eliminated)
    keys: np.ndarray  # uint64[B, W], state keys: equal keys are equal states (for caches)
    needed: np.ndarray  # bool[B], rows whose outputs the search uses
    normalizer: np.ndarray  # float64[B], multiplications per unit of value (the graph's reverse-mode cost)


Evaluator = Callable[[Leaves], tuple[np.ndarray, np.ndarray]]


FROM_PYTHON, UNIFORM, ROLLOUT = -1, 0, 1  # the search calls a Python evaluator, or one written in Numba


class CompiledEvaluator:
    """One of the evaluators written in Numba (``code``: :data:`UNIFORM` or :data:`ROLLOUT`).

    It is an :data:`Evaluator` like any other (calling it allocates the
    outputs), and the compiled search runs it from inside its own loop
    (:func:`evaluate_compiled`), so a whole search is one compiled call with
    no Python per simulation. (A code rather than a function argument: Numba
    cannot cache a function that takes another compiled function.)
    """

    def __init__(self, code: int, doc: str) -> None:
        self.code = code
        self.__doc__ = doc

    def __call__(self, leaves: Leaves) -> tuple[np.ndarray, np.ndarray]:
        logits = np.empty(leaves.eliminated.shape, np.float64)
        values = np.empty(leaves.eliminated.shape[0], np.float64)
        evaluate_compiled(self.code, leaves, logits, values)
        return logits, values


@njit(cache=True)
def evaluate_compiled(code: int, leaves: Leaves, logits, values) -> None:
    """Fill ``logits`` and ``values`` for ``leaves`` as the compiled evaluator ``code`` does."""
    logits[:] = 0.0
    values[:] = 0.0
    if code == ROLLOUT:
        _greedy_values(leaves.batch, leaves.edges, leaves.eliminated, leaves.needed, leaves.normalizer, values)


@njit(cache=True)
def _greedy_values(batch: PackedBatch, edges, eliminated, needed, normalizer, values) -> None:
    """Writes ``values[b]`` for every needed game: minus its greedy completion's multiplications over its normalizer."""
    n = eliminated.shape[1]
    state = np.empty(edges.shape[1:], np.int64)
    left = np.empty(n, np.bool_)
    costs = np.empty(n, np.int64)
    touched = np.empty(edges.shape[1], np.int64)
    for b in range(edges.shape[0]):
        if not needed[b]:
            continue
        graph = kernels.graph_at(batch, b)
        state[:] = edges[b]
        left[:] = eliminated[b]
        total = 0
        for _ in range(n - left.sum()):
            kernels.action_costs_into(graph, state, left, costs)
            best = -1
            for a in range(n):
                if not left[a] and (best < 0 or costs[a] < costs[best]):
                    best = a
            total += kernels.step(graph, state, left, best, touched)[0]
        values[b] = -total / normalizer[b]


uniform_evaluator = CompiledEvaluator(
    UNIFORM, "Zero logits (a uniform prior over the legal actions) and value 0 everywhere."
)
rollout_evaluator = CompiledEvaluator(
    ROLLOUT,
    "Zero logits; the value of a greedy completion (cheapest action now, ties to the lowest) of each needed leaf.",
)
