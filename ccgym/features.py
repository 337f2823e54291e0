"""A compact encoding of elimination states for learned agents: vertex features and a padded edge list.

This module imports only numpy, numba and :mod:`ccgym.kernels`: a tree search
can encode its leaves without gymnasium or torch. ``CCElimEnv(observation=
"features")`` returns the same arrays as its observation.

**Encoding** (:class:`Features`, the keys of the env's observation dict):

- ``vertex``: ``float32[R, F_V]``, one row per vertex; vertex ``v`` is row
  ``plan.rows[v]`` (the env's ``Layout``: inputs, then intermediates, then
  outputs, so action ``a`` is row ``layout.inputs + a``); padding rows are 0;
- ``edge_index``: ``int64[E, 2]``, the ``(row(src), row(dst))`` of every edge
  *slot*; ``edge_features``: ``float32[E, F_E]``; ``edge_mask``: ``int8[E]``,
  1 where the slot's edge exists now; ``num_edges``: ``int64[1]``, how many do.

Every pair ``src -> dst`` that a path joins in the original graph owns one
slot for good (``plan.slot_of[src, dst]``, in row-major order of the pairs):
elimination never creates reachability, so these pairs hold every edge of
every state, and their number is the graph's ``E`` (:func:`reachable_pairs`).
An elimination clears the slots of the eliminated vertex's edges and writes
those of the edges it creates or joins; ``edge_index`` never changes for a
graph, slots of absent edges are all 0 but their index, and slots beyond the
graph's pairs (padding) have index ``(0, 0)``. Because a slot belongs to its
pair, an encoding updated step by step equals the encoding of the same state
from scratch, array for array.

Sizes are ``log(size) / log(size_scale)`` as in the dense observation
(:mod:`ccgym.envs.observation`), counts ``log(1 + count) / log(R)``, and all
values lie in ``[0, 1]`` (a size or cost beyond its scale is clipped to 1):

================  ======  ==================================================================
vertex column     kind    value
================  ======  ==================================================================
``input``         static  1 for inputs (the three kinds are one-hot; all 0 on padding rows)
``intermediate``  static  1 for intermediates
``output``        static  1 for outputs
``legal``         state   1 for intermediates not yet eliminated: the action mask
``size``          static  log size of the vertex's value (``numel``)
``rank``          static  number of axes / ``MAX_NDIM``
``depth``         static  longest path from an input to the vertex in the original graph,
                          over the longest path of the graph
``height``        static  longest path from the vertex to an output, likewise
``preds``         state   ``log(1 + |pred(v)|) / log(R)``, predecessors now
``succs``         state   ``log(1 + |succ(v)|) / log(R)``, successors now
``markowitz``     state   ``log(1 + |pred(v)| * |succ(v)|) / (2 log(R))``
``cost``          state   ``log(1 + mults) / log(1 + R**2 * size_scale**1.5)``: the
                          multiplications of eliminating the vertex now
                          (:func:`ccgym.kernels.action_costs`); 0 unless legal
================  ======  ==================================================================

=================  ==================================================================
edge column        value (0 for absent edges)
=================  ==================================================================
``stored``         log size of the stored value tensor (what memory counts)
``dense``          log size of the dense Jacobian, ``numel(dst) * numel(src)``
``diagonal``       log size of its Kronecker-delta part: the product of the sizes of
                   labels shared by an output and an input axis
``carried_dense``  1 if every entry of the Jacobian is stored (``stored == dense``)
=================  ==================================================================

The scale denominators are ``1 / plan.scales[SCALE_SIZE | SCALE_COUNT |
SCALE_COST]``, so ``expm1(cost / plan.scales[SCALE_COST])`` decodes a cost
(to float32 precision, a relative 1e-6).

**API** (the builders of plans and buffers are Python; everything that
encodes is njit, callable from njit code, and allocates nothing):

- ``plan = make_plan(graph, rows, num_rows, max_edges, size_scale)``: what
  encoding needs of one graph in one layout (:class:`FeaturePlan`, read-only,
  shared by every state of the graph); the defaults fit the graph alone;
- ``out = empty_features(num_rows, max_edges, batch_size=None)``: buffers;
- ``encode(graph, plan, edges, eliminated, out)``: a state from scratch;
- ``update(graph, plan, edges, vertex, touched, n_preds, n_succs, out)``:
  after ``kernels.eliminate_touched(graph, edges, vertex, touched)`` returned
  ``(mults, memory_change, n_preds, n_succs)``; it touches only the slots of
  the changed edges and the rows of ``vertex`` and of ``touched``; a row
  costs the vertices that paths join to it and the products of its cost;
- ``eliminate_and_update(graph, plan, edges, vertex, touched, out)``: both in
  one call; returns ``(mults, memory_change)``;
- the same with :class:`Neighbours` kept beside the encoding (the envs do):
  ``encode_tracked(..., out, neighbours)``, ``update_tracked(...,
  neighbours)`` and ``eliminate_and_update_tracked(..., out, neighbours)``
  write the same ``out``, but a row's update reads the vertex's neighbours
  from a few words of bitsets instead of searching ``edges`` along its paths;
- batches: a :class:`FeaturePlan` whose fields have a leading axis ``B``,
  from :func:`repeat_plan` (one graph, views) or :func:`stack_plans`;
  :func:`plan_at` and :func:`features_at` give slot ``b``, so a vector env
  fills slot ``b`` with ``encode(graph_at(batch, b), plan_at(plans, b),
  states[b], eliminated[b], features_at(out, b))`` and updates it with
  ``update(graph_at(batch, b), plan_at(plans, b), states[b], vertex,
  touched, n_preds, n_succs, features_at(out, b))``; :func:`encode_batch`
  encodes ``states[B, V, V]`` in one call.

A graph padded to a batch layout (isolated padding vertices, as in
:class:`ccgym.kernels.PackedBatch`) takes ``rows[v] = -1`` for its padding
vertices: they get no row, so its encoding equals that of the unpadded graph.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic

from ccgym import kernels
from ccgym.kernels import NO_EDGE, PackedBatch, PackedGraph, graph_at, uncounted

VERTEX_FEATURES = (
    "input", "intermediate", "output", "legal", "size", "rank",
    "depth", "height", "preds", "succs", "markowitz", "cost",
)  # fmt: skip
INPUT, INTERMEDIATE, OUTPUT, LEGAL, SIZE, RANK, DEPTH, HEIGHT, PREDS, SUCCS, MARKOWITZ, COST = range(
    len(VERTEX_FEATURES)
)
EDGE_FEATURES = ("stored", "dense", "diagonal", "carried_dense")
STORED, DENSE, DIAGONAL, CARRIED_DENSE = range(len(EDGE_FEATURES))
SCALE_SIZE, SCALE_COUNT, SCALE_COST = range(3)
_ONE = np.uint64(1)
_LOG1P_COUNTS = np.array([math.log1p(count) for count in range(4096)])  # frozen into the compiled code


class FeaturePlan(NamedTuple):
    """What encoding needs of one graph in one layout (or of ``B`` graphs, with a leading axis).

    A vertex's predecessors and successors in any state are among its
    ``ancestors`` and ``descendants``, so counting them costs what the
    graph's paths do, not ``V``.
    """

    rows: np.ndarray  # int64[V], row of each vertex, -1 for none
    vertices: np.ndarray  # int64[R], vertex of each row, -1 for none
    slot_of: np.ndarray  # int64[V, V], slot of the pair src -> dst, -1 where no state has that edge
    descendants: np.ndarray  # int64[E], those of u are descendants[starts[0, u] : starts[0, u + 1]]
    ancestors: np.ndarray  # int64[E], those of u are ancestors[starts[1, u] : starts[1, u + 1]]
    starts: np.ndarray  # int64[2, V + 1]
    edge_index: np.ndarray  # int64[E, 2], (row(src), row(dst)) of every slot
    vertex_static: np.ndarray  # float32[R, F_V], the static columns (the others 0)
    scales: np.ndarray  # float64[3], 1 / log of the size, count and cost scales


class Features(NamedTuple):
    """An encoded state (or ``B`` of them, with a leading axis): the env's observation dict."""

    vertex: np.ndarray  # float32[R, F_V]
    edge_index: np.ndarray  # int64[E, 2]
    edge_features: np.ndarray  # float32[E, F_E]
    edge_mask: np.ndarray  # int8[E]
    num_edges: np.ndarray  # int64[1]


class Neighbours(NamedTuple):
    """The rows joined to each row by an edge now, as bitsets (or ``B`` of them, with a leading axis).

    Bit ``c`` of row ``r``'s bitset is bit ``c % 64`` of word ``c // 64``.
    Not part of the encoding: what the ``*_tracked`` functions keep beside it.
    """

    preds: np.ndarray  # uint64[R, W], rows with an edge to each row
    succs: np.ndarray  # uint64[R, W], rows with an edge from each row


# ----------------------------------------------------------------------------- sizes


def inverse_log_scale(size_scale: int) -> float:
    """``1 / log(size_scale)``, or 0 when every size is 1."""
    return 1.0 / math.log(size_scale) if size_scale > 1 else 0.0


@uncounted
def log_ratio(size: int, inv_log_scale: float) -> float:
    """``log(size) * inv_log_scale``, clipped to 1."""
    return min(math.log(size) * inv_log_scale, 1.0)


@uncounted
def numel(graph: PackedGraph, v: int) -> int:
    """Number of values of vertex ``v``."""
    size = 1
    for a in range(graph.ndims[v]):
        size *= graph.shapes[v, a]
    return size


@uncounted
def diagonal_size(graph: PackedGraph, code: int, dst: int, src: int) -> int:
    """Product of the sizes of an edge's labels shared by an output axis and an input axis."""
    n_dst = graph.ndims[dst]
    on_input = 0
    for b in range(graph.ndims[src]):
        on_input |= 1 << kernels.axis_label(code, n_dst + b)
    size = 1
    seen = 0
    for a in range(n_dst):
        bit = 1 << kernels.axis_label(code, a)
        if on_input & bit and not seen & bit:
            seen |= bit
            size *= graph.shapes[dst, a]
    return size


def largest_jacobian_size(graph: PackedGraph) -> int:
    """Entries of the largest dense edge Jacobian that ``graph`` can have."""
    return int(np.prod(graph.shapes, axis=1).max()) ** 2


# ----------------------------------------------------------------------------- plans


@njit(cache=True)
def reachable(graph: PackedGraph):
    """``bool[V, V]``: whether a path joins ``src -> dst`` in the initial state."""
    edges = graph.edges
    n = edges.shape[0]
    reach = np.zeros((n, n), np.bool_)
    for src in range(n - 1, -1, -1):
        for mid in range(src + 1, n):
            if edges[src, mid] != NO_EDGE:
                reach[src, mid] = True
                for dst in range(mid + 1, n):
                    reach[src, dst] |= reach[mid, dst]
    return reach


def reachable_pairs(graph: PackedGraph) -> int:
    """Pairs joined by a path: the most edges any state of ``graph`` can have."""
    return int(reachable(graph).sum())


@njit(cache=True)
def _longest_paths(graph: PackedGraph):
    """Edges on the longest path from an input to each vertex, and from each vertex to an output."""
    edges = graph.edges
    n = edges.shape[0]
    depth = np.zeros(n, np.int64)
    height = np.zeros(n, np.int64)
    for dst in range(n):
        for src in range(dst):
            if edges[src, dst] != NO_EDGE:
                depth[dst] = max(depth[dst], depth[src] + 1)
    for src in range(n - 1, -1, -1):
        for dst in range(src + 1, n):
            if edges[src, dst] != NO_EDGE:
                height[src] = max(height[src], height[dst] + 1)
    return depth, height


def _vertex_static(graph: PackedGraph, rows: np.ndarray, num_rows: int, inv_size: float) -> np.ndarray:
    """The static vertex columns, one row per shown vertex."""
    n = rows.shape[0]
    shown = np.flatnonzero(rows >= 0)
    r = rows[shown]
    kind = np.searchsorted([graph.num_inputs, graph.num_inputs + graph.num_intermediates], np.arange(n), "right")
    depth, height = _longest_paths(graph)
    longest = max(int(depth.max()), 1)
    static = np.zeros((num_rows, len(VERTEX_FEATURES)), np.float32)
    static[r, kind[shown]] = 1.0
    static[r, SIZE] = np.minimum(np.log(np.prod(graph.shapes[shown], axis=1)) * inv_size, 1.0)
    static[r, RANK] = graph.ndims[shown] / kernels.MAX_NDIM
    static[r, DEPTH] = depth[shown] / longest
    static[r, HEIGHT] = height[shown] / longest
    return static


def _starts(vertex_of_pair: np.ndarray, n: int) -> np.ndarray:
    """``int64[n + 1]``: where each vertex's run starts in pairs sorted by ``vertex_of_pair``."""
    return np.concatenate([[0], np.cumsum(np.bincount(vertex_of_pair, minlength=n))]).astype(np.int64)


def make_plan(
    graph: PackedGraph,
    rows: np.ndarray | None = None,
    num_rows: int | None = None,
    max_edges: int | None = None,
    size_scale: int | None = None,
) -> FeaturePlan:
    """The :class:`FeaturePlan` of ``graph`` (read-only arrays).

    Args:
        graph: the packed graph.
        rows: the row of each vertex (-1: none); default: vertex ``v`` is row ``v``.
        num_rows: rows of the encoding (``R``); default: the graph's vertices.
        max_edges: edge slots (``E``); default: :func:`reachable_pairs`, which must fit.
        size_scale: the size that maps to 1; default: :func:`largest_jacobian_size`.
    """
    n = graph.edges.shape[0]
    rows = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    num_rows = n if num_rows is None else num_rows
    size_scale = largest_jacobian_size(graph) if size_scale is None else size_scale
    pairs = np.argwhere(reachable(graph))
    max_edges = len(pairs) if max_edges is None else max_edges
    if len(pairs) > max_edges:
        raise ValueError(f"the graph has {len(pairs)} reachable pairs, more than max_edges={max_edges} edge slots")
    slot_of = np.full((n, n), -1, np.int64)
    slot_of[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))
    by_dst = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
    descendants = np.zeros(max_edges, np.int64)
    descendants[: len(pairs)] = pairs[:, 1]
    ancestors = np.zeros(max_edges, np.int64)
    ancestors[: len(pairs)] = by_dst[:, 0]
    edge_index = np.zeros((max_edges, 2), np.int64)
    edge_index[: len(pairs)] = rows[pairs]
    inv_size = inverse_log_scale(size_scale)
    scales = np.array(
        [inv_size, 1.0 / math.log(max(num_rows, 2)), 1.0 / math.log1p(num_rows**2 * max(size_scale, 1) ** 1.5)]
    )
    shown = np.flatnonzero(rows >= 0)
    vertices = np.full(num_rows, -1, np.int64)
    vertices[rows[shown]] = shown
    plan = FeaturePlan(
        rows,
        vertices,
        slot_of,
        descendants,
        ancestors,
        np.stack([_starts(pairs[:, 0], n), _starts(by_dst[:, 1], n)]),
        edge_index,
        _vertex_static(graph, rows, num_rows, inv_size),
        scales,
    )
    for array in plan:
        array.flags.writeable = False
    return plan


def repeat_plan(plan: FeaturePlan, batch_size: int) -> FeaturePlan:
    """``batch_size`` copies of one plan, for a batch of one graph's states (views: nothing is copied)."""
    return FeaturePlan(*(np.broadcast_to(array, (batch_size, *array.shape)) for array in plan))


def stack_plans(plans: list[FeaturePlan]) -> FeaturePlan:
    """The plans of a batch's graphs (made with one ``num_rows`` and ``max_edges``) as one batched plan."""
    return FeaturePlan(*(np.stack(arrays) for arrays in zip(*plans)))


def empty_features(num_rows: int, max_edges: int, batch_size: int | None = None) -> Features:
    """Zeroed :class:`Features` buffers, with a leading axis ``batch_size`` if given."""
    lead = () if batch_size is None else (batch_size,)
    return Features(
        np.zeros((*lead, num_rows, len(VERTEX_FEATURES)), np.float32),
        np.zeros((*lead, max_edges, 2), np.int64),
        np.zeros((*lead, max_edges, len(EDGE_FEATURES)), np.float32),
        np.zeros((*lead, max_edges), np.int8),
        np.zeros((*lead, 1), np.int64),
    )


def empty_neighbours(num_rows: int, batch_size: int | None = None) -> Neighbours:
    """Zeroed :class:`Neighbours` buffers, with a leading axis ``batch_size`` if given."""
    shape = (*(() if batch_size is None else (batch_size,)), num_rows, (num_rows + 63) // 64)
    return Neighbours(np.zeros(shape, np.uint64), np.zeros(shape, np.uint64))


@njit(cache=True, inline="always")
def plan_at(plans: FeaturePlan, b: int) -> FeaturePlan:
    """Plan ``b`` of a batch of plans."""
    return FeaturePlan(
        plans.rows[b],
        plans.vertices[b],
        plans.slot_of[b],
        plans.descendants[b],
        plans.ancestors[b],
        plans.starts[b],
        plans.edge_index[b],
        plans.vertex_static[b],
        plans.scales[b],
    )


@njit(cache=True, inline="always")
def features_at(out: Features, b: int) -> Features:
    """Slot ``b`` of batched buffers (views)."""
    return Features(out.vertex[b], out.edge_index[b], out.edge_features[b], out.edge_mask[b], out.num_edges[b])


@njit(cache=True, inline="always")
def neighbours_at(neighbours: Neighbours, b: int) -> Neighbours:
    """Slot ``b`` of batched :class:`Neighbours` (views)."""
    return Neighbours(neighbours.preds[b], neighbours.succs[b])


# ----------------------------------------------------------------------------- encoding


@njit(cache=True, inline="always")
def _write_edge(graph: PackedGraph, plan: FeaturePlan, edges, src: int, dst: int, out: Features) -> None:
    """Write the features of the existing edge ``src -> dst`` into its slot."""
    slot = plan.slot_of[src, dst]
    code = edges[src, dst]
    inv_size = plan.scales[SCALE_SIZE]
    stored = kernels.edge_size(graph, code, dst, src)
    dense = numel(graph, dst) * numel(graph, src)
    out.edge_features[slot, STORED] = log_ratio(stored, inv_size)
    out.edge_features[slot, DENSE] = log_ratio(dense, inv_size)
    out.edge_features[slot, DIAGONAL] = log_ratio(diagonal_size(graph, code, dst, src), inv_size)
    out.edge_features[slot, CARRIED_DENSE] = 1.0 if stored == dense else 0.0
    out.edge_mask[slot] = 1


@njit(cache=True, inline="always")
def _clear_edge(plan: FeaturePlan, src: int, dst: int, out: Features) -> None:
    slot = plan.slot_of[src, dst]
    features = out.edge_features
    for column in range(features.shape[1]):
        features[slot, column] = 0.0
    out.edge_mask[slot] = 0


@njit(cache=True, inline="always")
def _write_vertex(graph: PackedGraph, plan: FeaturePlan, edges, v: int, legal: bool, out: Features) -> None:
    """Write the state columns of vertex ``v``'s row: its edges now and, if legal, its elimination cost."""
    r = plan.rows[v]
    if r >= 0:  # (one exit: inlined code with an early return compiles badly)
        first_succ = plan.starts[0, v]
        last_succ = plan.starts[0, v + 1]
        n_succs = 0
        for k in range(first_succ, last_succ):
            if edges[v, plan.descendants[k]] != NO_EDGE:
                n_succs += 1
        n_preds = 0
        mults = 0
        for k in range(plan.starts[1, v], plan.starts[1, v + 1]):
            i = plan.ancestors[k]
            code_b = edges[i, v]
            if code_b != NO_EDGE:
                n_preds += 1
                if legal:
                    for k_succ in range(first_succ, last_succ):
                        j = plan.descendants[k_succ]
                        if edges[v, j] != NO_EDGE:
                            mults += kernels.product_mults(graph, edges[v, j], code_b, j, v, i)
        _write_state_columns(plan, r, legal, n_preds, n_succs, mults, out)


@njit(cache=True, inline="always")
def _write_state_columns(plan: FeaturePlan, r: int, legal: bool, n_preds: int, n_succs: int, mults: int, out) -> None:
    """Write row ``r``'s state columns from its counts and its elimination cost."""
    inv_count = plan.scales[SCALE_COUNT]
    vertex = out.vertex
    vertex[r, LEGAL] = 1.0 if legal else 0.0
    vertex[r, PREDS] = _log1p_count(n_preds) * inv_count
    vertex[r, SUCCS] = _log1p_count(n_succs) * inv_count
    vertex[r, MARKOWITZ] = _log1p_count(n_preds * n_succs) * inv_count * 0.5
    vertex[r, COST] = min(math.log1p(mults) * plan.scales[SCALE_COST], 1.0)


@njit(cache=True, inline="always")
def _log1p_count(count: int) -> float:
    """``math.log1p(count)``, from a table for the small counts that make most of a row's columns."""
    return _LOG1P_COUNTS[count] if count < _LOG1P_COUNTS.shape[0] else math.log1p(count)


@intrinsic
def _popcount(typingctx, word):
    """Set bits of a ``uint64``, as an ``int64``."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(word), codegen


@intrinsic
def _lowest_bit(typingctx, word):
    """Index of the lowest set bit of a nonzero ``uint64``, as an ``int64``."""

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.int64(word), codegen


@njit(cache=True, inline="always")
def _set_bit(bits, r: int, c: int) -> None:
    bits[r, c >> 6] |= _ONE << np.uint64(c & 63)


@njit(cache=True, inline="always")
def _clear_bit(bits, r: int, c: int) -> None:
    bits[r, c >> 6] &= ~(_ONE << np.uint64(c & 63))


@njit(cache=True, inline="always")
def _write_vertex_tracked(
    graph: PackedGraph, plan: FeaturePlan, edges, v: int, legal: bool, out: Features, neighbours: Neighbours
) -> None:
    """:func:`_write_vertex`, reading ``v``'s neighbours from ``neighbours``."""
    r = plan.rows[v]
    if r >= 0:
        preds = neighbours.preds
        succs = neighbours.succs
        words = preds.shape[1]
        n_preds = 0
        n_succs = 0
        for w in range(words):
            n_preds += _popcount(preds[r, w])
            n_succs += _popcount(succs[r, w])
        mults = 0
        if legal:
            for w_pred in range(words):
                word_pred = preds[r, w_pred]
                while word_pred:
                    i = plan.vertices[64 * w_pred + _lowest_bit(word_pred)]
                    word_pred &= word_pred - _ONE
                    code_b = edges[i, v]
                    for w_succ in range(words):
                        word_succ = succs[r, w_succ]
                        while word_succ:
                            j = plan.vertices[64 * w_succ + _lowest_bit(word_succ)]
                            word_succ &= word_succ - _ONE
                            mults += kernels.product_mults(graph, edges[v, j], code_b, j, v, i)
        _write_state_columns(plan, r, legal, n_preds, n_succs, mults, out)


@njit(cache=True, inline="always")
def _is_intermediate(graph: PackedGraph, v: int) -> bool:
    return graph.num_inputs <= v < graph.num_inputs + graph.num_intermediates


@uncounted
def encode(graph: PackedGraph, plan: FeaturePlan, edges, eliminated, out: Features) -> None:
    """Write the encoding of the state ``(edges, eliminated)`` into ``out``."""
    kernels.assign(out.vertex, plan.vertex_static)
    kernels.assign(out.edge_index, plan.edge_index)
    out.edge_features[:] = 0.0
    out.edge_mask[:] = 0
    n = edges.shape[0]
    count = 0
    for src in range(n):
        for dst in range(src + 1, n):
            if edges[src, dst] != NO_EDGE:
                _write_edge(graph, plan, edges, src, dst, out)
                count += 1
    out.num_edges[0] = count
    for v in range(n):
        legal = _is_intermediate(graph, v) and not eliminated[v - graph.num_inputs]
        _write_vertex(graph, plan, edges, v, legal, out)


@uncounted
def update(
    graph: PackedGraph, plan: FeaturePlan, edges, vertex: int, touched, n_preds: int, n_succs: int, out: Features
) -> None:
    """Bring ``out`` from the state before eliminating ``vertex`` to the state after it.

    ``touched``, ``n_preds`` and ``n_succs`` are what
    :func:`ccgym.kernels.eliminate_touched` reported; ``edges`` is the state
    after it. A touched intermediate has had an edge, so it is not eliminated.
    """
    _update_edges(graph, plan, edges, vertex, touched, n_preds, n_succs, out)
    _write_vertex(graph, plan, edges, vertex, False, out)
    for t in range(n_preds + n_succs):
        _write_vertex(graph, plan, edges, touched[t], _is_intermediate(graph, touched[t]), out)


@njit(cache=True, inline="always")
def _update_edges(graph: PackedGraph, plan: FeaturePlan, edges, vertex: int, touched, n_preds: int, n_succs: int, out):
    """The edge slots and ``num_edges`` of :func:`update`."""
    added = 0
    for p in range(n_preds):
        pred = touched[p]
        _clear_edge(plan, pred, vertex, out)
        for s in range(n_succs):
            succ = touched[n_preds + s]
            if out.edge_mask[plan.slot_of[pred, succ]] == 0:
                added += 1
            _write_edge(graph, plan, edges, pred, succ, out)
    for s in range(n_succs):
        _clear_edge(plan, vertex, touched[n_preds + s], out)
    out.num_edges[0] += added - n_preds - n_succs


@uncounted
def eliminate_and_update(graph: PackedGraph, plan: FeaturePlan, edges, vertex: int, touched, out: Features):
    """:func:`ccgym.kernels.eliminate` that also updates ``out``; returns ``(mults, memory_change)``.

    ``touched`` is scratch space of ``int64[V]``.
    """
    mults, memory_change, n_preds, n_succs = kernels.eliminate_touched(graph, edges, vertex, touched)
    update(graph, plan, edges, vertex, touched, n_preds, n_succs, out)
    return mults, memory_change


@uncounted
def encode_tracked(graph: PackedGraph, plan: FeaturePlan, edges, eliminated, out: Features, neighbours: Neighbours):
    """:func:`encode`, and the neighbours of the state into ``neighbours``."""
    encode(graph, plan, edges, eliminated, out)
    neighbours.preds[:] = 0
    neighbours.succs[:] = 0
    n = edges.shape[0]
    for src in range(n):
        for dst in range(src + 1, n):
            if edges[src, dst] != NO_EDGE:
                _set_bit(neighbours.succs, plan.rows[src], plan.rows[dst])
                _set_bit(neighbours.preds, plan.rows[dst], plan.rows[src])


@uncounted
def update_tracked(
    graph: PackedGraph,
    plan: FeaturePlan,
    edges,
    vertex: int,
    touched,
    n_preds: int,
    n_succs: int,
    out: Features,
    neighbours: Neighbours,
) -> None:
    """:func:`update` that also keeps ``neighbours`` (of the same state as ``out``) up to date."""
    rows = plan.rows
    r = rows[vertex]
    for p in range(n_preds):
        pred = rows[touched[p]]
        _clear_bit(neighbours.succs, pred, r)
        for s in range(n_preds, n_preds + n_succs):
            _set_bit(neighbours.succs, pred, rows[touched[s]])
            _set_bit(neighbours.preds, rows[touched[s]], pred)
    for s in range(n_preds, n_preds + n_succs):
        _clear_bit(neighbours.preds, rows[touched[s]], r)
    for w in range(neighbours.preds.shape[1]):
        neighbours.preds[r, w] = 0
        neighbours.succs[r, w] = 0
    _update_edges(graph, plan, edges, vertex, touched, n_preds, n_succs, out)
    _write_vertex_tracked(graph, plan, edges, vertex, False, out, neighbours)
    for t in range(n_preds + n_succs):
        _write_vertex_tracked(graph, plan, edges, touched[t], _is_intermediate(graph, touched[t]), out, neighbours)


@uncounted
def eliminate_and_update_tracked(
    graph: PackedGraph, plan: FeaturePlan, edges, vertex: int, touched, out: Features, neighbours: Neighbours
):
    """:func:`eliminate_and_update` that also keeps ``neighbours`` up to date; returns ``(mults, memory_change)``."""
    mults, memory_change, n_preds, n_succs = kernels.eliminate_touched(graph, edges, vertex, touched)
    update_tracked(graph, plan, edges, vertex, touched, n_preds, n_succs, out, neighbours)
    return mults, memory_change


@uncounted
def encode_batch(batch: PackedBatch, plans: FeaturePlan, states, eliminated, out: Features) -> None:
    """Encode every state ``(states[b], eliminated[b])`` into slot ``b`` of batched ``out``."""
    for b in range(states.shape[0]):
        encode(graph_at(batch, b), plan_at(plans, b), states[b], eliminated[b], features_at(out, b))
