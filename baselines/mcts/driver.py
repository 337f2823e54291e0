"""Whole episodes with a search at every move: one graph, or ``B`` games at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import ccgym
from baselines.mcts.evaluators import Evaluator
from baselines.mcts.search import Roots, SearchConfig, Searcher, SearchRun, run_search
from ccgym import kernels
from ccgym.kernels import PackedBatch, PackedGraph


def pad_graphs(graphs: Sequence[PackedGraph], layout: tuple[int, int, int] | None = None) -> PackedBatch:
    """Graphs padded to one vertex layout: each block (inputs, intermediates, outputs) as long as the longest.

    ``layout`` fixes the blocks' lengths instead (``ValueError`` if a graph does not fit).

    A graph's vertices keep their order inside each block; the padding vertices
    are isolated and come last in each block, so action ``a`` of every graph is
    vertex ``num_inputs + a`` of the layout (``reset_batch`` marks the padding
    actions eliminated).
    """
    counts = np.array([(g.num_inputs, g.num_intermediates, g.num_outputs) for g in graphs], np.int64)
    if layout is None:
        layout = counts.max(axis=0)
    elif (counts > np.asarray(layout)).any():
        raise ValueError(f"a graph with (inputs, intermediates, outputs) {counts.max(axis=0)} does not fit {layout}")
    layout = np.asarray(layout, np.int64)
    v = int(layout.sum())
    edges = np.full((len(graphs), v, v), kernels.NO_EDGE, np.int64)
    shapes = np.ones((len(graphs), v, kernels.MAX_NDIM), np.int64)
    ndims = np.zeros((len(graphs), v), np.int64)
    for b, graph in enumerate(graphs):
        rows = layout_vertices(layout, counts[b])
        edges[b][np.ix_(rows, rows)] = graph.edges
        shapes[b, rows] = graph.shapes
        ndims[b, rows] = graph.ndims
    return PackedBatch(edges, shapes, ndims, counts, int(layout[0]), int(layout[1]), int(layout[2]))


def layout_vertices(layout: Sequence[int], counts: Sequence[int]) -> np.ndarray:
    """The vertices of a padded ``layout`` that a graph with ``counts`` (inputs, intermediates, outputs) fills."""
    starts = (0, layout[0], layout[0] + layout[1])
    return np.concatenate([start + np.arange(count) for start, count in zip(starts, counts)])


def search_orders(
    batch: PackedBatch,
    evaluate: Evaluator,
    num_simulations: int,
    seed: int = 0,
    run: SearchRun = run_search,
    **options,
) -> tuple[list[list[int]], np.ndarray]:
    """Play every game of ``batch`` to the end, searching before every move; returns ``(orders, mults)``.

    ``options`` are the other fields of :class:`SearchConfig`; ``run`` picks
    the compiled search or the plain-Python one (``baselines.mcts.reference.run_search``).
    ``orders[b]`` is game ``b``'s elimination order (its own action ids) and
    ``mults[b]`` (``int64``) its multiplications.
    """
    b, a, v = batch.sizes.shape[0], batch.num_intermediates, batch.edges.shape[1]
    searcher = Searcher(batch, evaluate, SearchConfig(num_simulations, **options), run)
    roots = Roots(np.empty((b, v, v), np.int64), np.empty((b, a), np.bool_), np.ones(b, np.bool_))
    kernels.reset_batch(batch, roots.edges, roots.eliminated, roots.active)
    roots.active[:] = ~roots.eliminated.all(axis=1)
    rng = np.random.default_rng(seed)
    orders: list[list[int]] = [[] for _ in range(b)]
    mults = np.zeros(b, np.int64)
    step_mults, memory_change, touched = np.zeros(b, np.int64), np.zeros(b, np.int64), np.empty(v, np.int64)
    while roots.active.any():
        actions = searcher.search(roots, rng).action
        kernels.step_batch(
            batch, roots.edges, roots.eliminated, actions, roots.active, step_mults, memory_change, touched
        )
        for game in np.flatnonzero(roots.active):
            orders[game].append(int(actions[game]))
        mults += step_mults
        roots.active[:] = ~roots.eliminated.all(axis=1)
    return orders, mults


def search_order(
    graph: ccgym.Graph | PackedGraph, evaluate: Evaluator, num_simulations: int, seed: int = 0, **options
) -> tuple[list[int], int]:
    """One episode of ``graph`` with a search before every move; returns ``(order, mults)``.

    ``options`` as for :func:`search_orders`.
    """
    packed = graph.packed if isinstance(graph, ccgym.Graph) else graph
    orders, mults = search_orders(kernels.repeat_graph(packed, 1), evaluate, num_simulations, seed, **options)
    return orders[0], int(mults[0])
