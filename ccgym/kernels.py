"""Numba kernels for structural vertex elimination, and the state API that searches build on.

This module imports only numpy and numba: a search worker can use it without
torch or gymnasium.

**Packed graph.** A graph is one :class:`PackedGraph` (a ``NamedTuple``, so
njit code takes it as a single argument); ``ccgym.Graph.packed`` builds it
once and its arrays are read-only:

- ``edges``: ``int64[V, V]``, ``edges[src, dst]`` is the structure code of the
  edge ``src -> dst`` in the initial state, or :data:`NO_EDGE`;
- ``shapes``: ``int64[V, MAX_NDIM]`` (padded with 1) and ``ndims``: ``int64[V]``;
- vertices are numbered inputs first, then intermediates in topological order,
  then outputs, so action ``a`` eliminates vertex ``num_inputs + a``.

**State.** An elimination state is ``edges`` (a writable ``int64[V, V]`` copy
of the initial one, changed in place) and ``eliminated`` (``bool[n]`` over the
actions). States are *order-free*: the edges after eliminating a set do not
depend on the order, so a set is a complete description of a state.

- one state: :func:`step` (eliminate an action and mark it),
  :func:`eliminate_touched` (eliminate a vertex and report the predecessors
  and successors it joined), :func:`elimination_cost` (one action, no
  change; :func:`product_mults` is one of its products) and
  :func:`action_costs` / :func:`action_costs_into` (every action of a state
  in one call), :func:`memory`, :func:`markowitz_degrees`,
  :func:`run_order`, :func:`markowitz_order`; :func:`eliminate` is the
  convenience form for code outside loops;
- compact keys: :func:`state_key` packs ``eliminated`` into
  ``uint64[key_words(n)]`` and :func:`state_from_key` rebuilds the state;
- batches: a :class:`PackedBatch` holds ``B`` graphs padded to one vertex
  layout (or one graph repeated without copying, :func:`repeat_graph`);
  :func:`reset_batch`, :func:`step_batch` and :func:`action_costs_batch` work
  on ``states[B, V, V]`` and ``eliminated[B, n]`` in one call.

Loops pass a scratch array (:func:`scratch`, ``int64[V]``, allocated once) to
the functions that eliminate; then nothing allocates on the heap per product,
per elimination or per step. The functions that allocate nothing are compiled
without Numba's reference counting (:func:`uncounted`); any compiled code may
call them. The kernels check nothing (legality is the caller's job: the envs
enforce it).

**Structure codes.** A code packs a canonical labelled-Jacobian structure (see
``docs/cost-model.md``) into one integer: bits ``4a .. 4a+3`` hold the label of
axis ``a`` (the destination's axes first, then the source's), bits ``32 + l``
say whether label ``l`` is carried by the value tensor. Canonical means: labels
are numbered by first appearance over the axes, and every axis of size one has
a label of its own that is not carried. Equal structures have equal codes.

Bit 48 (:data:`UNIT`) marks a *unit* edge: its Jacobian is exactly the identity
(the source and destination have one shape, each destination axis shares its
label with the matching source axis, nothing is carried, and the one stored
value is 1), as for a copy or a type conversion. A product with a unit factor
costs 0 multiplications and is the other factor, whose code, re-expressed on
the new endpoints, is unchanged (the unit edge's endpoints have one shape). A
sum is never unit: :func:`join` drops the bit. Traced graphs have no unit edges.

While two codes are unified, their labels occupy 16 *slots* (the first code's
labels ``0..7``, the second's ``8..15``); small maps over slots are kept in one
integer, four bits per slot (:func:`_nibble`), so that nothing is allocated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numba.extending import overload

MAX_NDIM = 4
MAX_AXES = 2 * MAX_NDIM
NO_EDGE = -1
CARRY_SHIFT = 32
UNIT = 1 << 48  # the edge's Jacobian is exactly the identity
_B_SLOTS = MAX_AXES  # slot of label l of the second code in a product
_SLOTS = 2 * MAX_AXES


def uncounted(function):
    """``njit(cache=True)`` without Numba's reference counting: for the kernels and the envs' compiled steps.

    Numba counts the references to every array it binds, with an atomic
    operation each time; an elimination reads its arrays from named tuples
    inside its loops, and counting took 40% of the kernel's time and 60% of
    the feature update's (``perf`` on RoeFlux). A function compiled this way,
    and whatever it calls (Numba compiles the callees the same way), counts
    nothing. So it must allocate nothing (Numba refuses to compile an
    allocation, including the temporary of an array assignment: use
    :func:`assign`) and return no array; helpers that return views into
    their arguments (:func:`graph_at`) are ``inline="always"``. Callers that
    count references may call it: it neither keeps nor frees their arrays
    (``tests/test_uncounted.py``). ``_nrt`` is a private option of Numba's
    (its own helpers use it); the tests would show if a release changed it.
    """
    return njit(cache=True, _nrt=False)(function)


def assign(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` for arrays of one shape, without the temporary copy Numba may allocate."""
    dst[...] = src


@overload(assign, inline="always")
def _assign(dst, src):
    if dst.ndim == 1:

        def assign_items(dst, src):
            for i in range(dst.shape[0]):
                dst[i] = src[i]

        return assign_items

    def assign_rows(dst, src):
        for i in range(dst.shape[0]):
            assign(dst[i], src[i])

    return assign_rows


class PackedGraph(NamedTuple):
    """A graph's initial elimination state as read-only arrays."""

    edges: np.ndarray  # int64[V, V], structure codes or NO_EDGE
    shapes: np.ndarray  # int64[V, MAX_NDIM], padded with 1
    ndims: np.ndarray  # int64[V]
    num_inputs: int
    num_intermediates: int
    num_outputs: int

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        """A fresh ``(edges, eliminated)`` state, safe to modify."""
        return self.edges.copy(), np.zeros(self.num_intermediates, np.bool_)


class PackedBatch(NamedTuple):
    """``B`` graphs with one vertex layout: the fields of :class:`PackedGraph` with a leading batch axis.

    ``num_inputs`` and ``num_intermediates`` are those of the layout; a graph
    with fewer has isolated padding vertices at the end of each block (its
    padding actions are never legal and cost nothing). ``sizes[b]`` is graph
    ``b``'s own ``(inputs, intermediates, outputs)``.
    """

    edges: np.ndarray  # int64[B, V, V]
    shapes: np.ndarray  # int64[B, V, MAX_NDIM]
    ndims: np.ndarray  # int64[B, V]
    sizes: np.ndarray  # int64[B, 3]
    num_inputs: int
    num_intermediates: int
    num_outputs: int


def repeat_graph(graph: PackedGraph, batch_size: int) -> PackedBatch:
    """``batch_size`` copies of one graph as a :class:`PackedBatch` (views: nothing is copied)."""
    v = graph.edges.shape[0]
    sizes = np.array([graph.num_inputs, graph.num_intermediates, graph.num_outputs], np.int64)
    return PackedBatch(
        np.broadcast_to(graph.edges, (batch_size, v, v)),
        np.broadcast_to(graph.shapes, (batch_size, *graph.shapes.shape)),
        np.broadcast_to(graph.ndims, (batch_size, v)),
        np.broadcast_to(sizes, (batch_size, 3)),
        graph.num_inputs,
        graph.num_intermediates,
        graph.num_outputs,
    )


@njit(cache=True, inline="always")
def graph_at(batch: PackedBatch, b: int) -> PackedGraph:
    """Graph ``b`` of a batch, in the batch's layout."""
    return PackedGraph(
        batch.edges[b], batch.shapes[b], batch.ndims[b], batch.num_inputs, batch.num_intermediates, batch.num_outputs
    )


# ----------------------------------------------------------------------------- structure codes


@njit(cache=True, inline="always")
def axis_label(code: int, axis: int) -> int:
    """Label of ``axis`` in a structure code."""
    return (code >> (4 * axis)) & 15


@njit(cache=True, inline="always")
def label_carried(code: int, label: int) -> bool:
    """Whether the value tensor of a structure code carries ``label``."""
    return ((code >> (CARRY_SHIFT + label)) & 1) == 1


@njit(cache=True, inline="always")
def _nibble(packed: int, index: int) -> int:
    """Entry ``index`` (0..15) of sixteen 4-bit entries packed in one integer.

    (``int`` is a no-op when compiled; as plain Python it keeps the arithmetic
    on unbounded ints, as the compiled code's wrap-around 64-bit ints behave.)
    """
    return (int(packed) >> (4 * int(index))) & 15


@njit(cache=True, inline="always")
def _with_nibble(packed: int, index: int, value: int) -> int:
    """``packed`` with entry ``index`` set to ``value``."""
    shift = 4 * int(index)
    return (int(packed) & ~(15 << shift)) | (int(value) << shift)


@njit(cache=True, inline="always")
def _identity_slots() -> int:
    """Sixteen slots, each its own parent."""
    packed = 0
    for slot in range(_SLOTS):
        packed |= slot << (4 * slot)
    return packed


@njit(cache=True, inline="always")
def _root(parents: int, slot: int) -> int:
    while _nibble(parents, slot) != slot:
        slot = _nibble(parents, slot)
    return slot


@njit(cache=True, inline="always")
def _axis_size(graph: PackedGraph, dst: int, src: int, axis: int) -> int:
    """Size of axis ``axis`` of the Jacobian ``d dst / d src`` (the destination's axes first)."""
    n_dst = graph.ndims[dst]
    return graph.shapes[dst, axis] if axis < n_dst else graph.shapes[src, axis - n_dst]


@uncounted
def edge_size(graph: PackedGraph, code: int, dst: int, src: int) -> int:
    """Number of stored values of an edge: the product of its carried labels' sizes."""
    size = 1
    seen = 0
    for a in range(graph.ndims[dst] + graph.ndims[src]):
        label = axis_label(code, a)
        if label_carried(code, label) and not (seen >> label) & 1:
            seen |= 1 << label
            size *= _axis_size(graph, dst, src, a)
    return size


@njit(cache=True, inline="always")
def _label_axis(code: int, label_of: int, assigned: int, next_label: int, axis: int, raw: int, size: int, carried: int):
    """Give ``axis`` its canonical label in ``code``: a new one for a size-one axis, else that of raw label ``raw``.

    Raw labels are numbered on first appearance and carried if ``carried``
    has their bit. Returns the updated ``(code, label_of, assigned, next_label)``.
    """
    if size == 1:
        label = next_label
        next_label += 1
    else:
        if not (assigned >> raw) & 1:
            assigned |= 1 << raw
            label_of = _with_nibble(label_of, raw, next_label)
            if (carried >> raw) & 1:
                code |= 1 << (CARRY_SHIFT + next_label)
            next_label += 1
        label = _nibble(label_of, raw)
    return code | (label << (4 * axis)), label_of, assigned, next_label


@njit(cache=True, inline="always")
def _unify(code_a: int, code_b: int, nd_j: int, nd_k: int, nd_i: int):
    """Unify the labels of ``k``'s axes in ``J[j,k] . J[k,i]``: ``(parents, carried, on_result)`` over the slots.

    ``carried`` and ``on_result`` have the bits of the root slots of the
    classes that a value tensor carries and that an axis of the result has.
    """
    parents = _identity_slots()
    for a in range(nd_k):
        root_a = _root(parents, axis_label(code_a, nd_j + a))
        root_b = _root(parents, _B_SLOTS + axis_label(code_b, a))
        if root_a != root_b:
            parents = _with_nibble(parents, root_b, root_a)
    carried = 0
    for label in range(MAX_AXES):
        if label_carried(code_a, label):
            carried |= 1 << _root(parents, label)
        if label_carried(code_b, label):
            carried |= 1 << _root(parents, _B_SLOTS + label)
    on_result = 0
    for a in range(nd_j):
        on_result |= 1 << _root(parents, axis_label(code_a, a))
    for a in range(nd_i):
        on_result |= 1 << _root(parents, _B_SLOTS + axis_label(code_b, nd_k + a))
    return parents, carried, on_result


@njit(cache=True, inline="always")
def _unified_mults(
    graph: PackedGraph, code_a: int, code_b: int, j: int, k: int, i: int, parents: int, carried: int, on_result: int
) -> int:
    """Multiplications of a product whose labels :func:`_unify` unified."""
    nd_j = graph.ndims[j]
    nd_k = graph.ndims[k]
    # every class has an axis of j, k or i; visit each class once
    mults = 1
    result_values = 1
    summed_constant = 1
    seen = 0
    for a in range(nd_j + nd_k + graph.ndims[i]):
        if a < nd_j:
            root = _root(parents, axis_label(code_a, a))
            size = graph.shapes[j, a]
        elif a < nd_j + nd_k:
            root = _root(parents, axis_label(code_a, a))
            size = graph.shapes[k, a - nd_j]
        else:
            root = _root(parents, _B_SLOTS + axis_label(code_b, a - nd_j))
            size = graph.shapes[i, a - nd_j - nd_k]
        if (seen >> root) & 1:
            continue
        seen |= 1 << root
        if (carried >> root) & 1:
            mults *= size
            if (on_result >> root) & 1:
                result_values *= size
        elif not (on_result >> root) & 1:
            summed_constant *= size
    if summed_constant > 1:
        mults += result_values
    return mults


@uncounted
def product(graph: PackedGraph, code_a: int, code_b: int, j: int, k: int, i: int):
    """Structure and multiplication count of ``J[j,k] . J[k,i]``.

    ``code_a`` is the edge ``k -> j``, ``code_b`` the edge ``i -> k``. Labels of
    ``k``'s axes are unified; the count is the product of the sizes of all
    carried label classes, plus one multiplication per result value when
    classes that neither value tensor carries are summed out. A unit factor
    costs nothing and leaves the other factor's code.
    """
    if code_a & UNIT:
        return code_b, 0
    if code_b & UNIT:
        return code_a, 0
    nd_j = graph.ndims[j]
    nd_k = graph.ndims[k]
    nd_i = graph.ndims[i]
    if nd_j + nd_k + nd_i == 0:
        return 0, 1
    parents, carried, on_result = _unify(code_a, code_b, nd_j, nd_k, nd_i)
    mults = _unified_mults(graph, code_a, code_b, j, k, i, parents, carried, on_result)
    code = 0
    label_of = 0
    assigned = 0
    next_label = 0
    for a in range(nd_j + nd_i):
        if a < nd_j:
            root = _root(parents, axis_label(code_a, a))
            size = graph.shapes[j, a]
        else:
            root = _root(parents, _B_SLOTS + axis_label(code_b, nd_k + a - nd_j))
            size = graph.shapes[i, a - nd_j]
        code, label_of, assigned, next_label = _label_axis(
            code, label_of, assigned, next_label, a, root, size, carried
        )
    return code, mults


@njit(cache=True, inline="always")
def product_mults(graph: PackedGraph, code_a: int, code_b: int, j: int, k: int, i: int) -> int:
    """The multiplications of :func:`product` alone (its structure is not built); inlined into its callers."""
    nd_j = graph.ndims[j]
    nd_k = graph.ndims[k]
    nd_i = graph.ndims[i]
    mults = 0  # one exit: an early return in an inlined function costs more than the product
    if not (code_a & UNIT or code_b & UNIT):
        if nd_j + nd_k + nd_i == 0:
            mults = 1
        else:
            parents, carried, on_result = _unify(code_a, code_b, nd_j, nd_k, nd_i)
            mults = _unified_mults(graph, code_a, code_b, j, k, i, parents, carried, on_result)
    return mults


@uncounted
def join(graph: PackedGraph, code_x: int, code_y: int, dst: int, src: int) -> int:
    """Structure of the sum of two Jacobians of the same edge.

    Label groups (sets of axes sharing a label) that both structures have are
    kept, carried if either carries them; every other axis becomes dense. A
    sum is never a unit edge.
    """
    code_x &= ~UNIT
    code_y &= ~UNIT
    if code_x == code_y:
        return code_x
    n_axes = graph.ndims[dst] + graph.ndims[src]
    groups_x = 0  # axis bitmask of each label, 8 bits per label
    groups_y = 0
    for a in range(n_axes):
        groups_x |= 1 << (8 * axis_label(code_x, a) + a)
        groups_y |= 1 << (8 * axis_label(code_y, a) + a)
    kept = 0  # labels of x whose group y has too
    carried = 0  # over raw labels: x's labels 0..7, a dense axis a is MAX_AXES + a
    for a in range(n_axes):
        lx = axis_label(code_x, a)
        ly = axis_label(code_y, a)
        if ((groups_x >> (8 * lx)) & 255) == ((groups_y >> (8 * ly)) & 255):
            kept |= 1 << lx
            if label_carried(code_x, lx) or label_carried(code_y, ly):
                carried |= 1 << lx
        else:
            carried |= 1 << (MAX_AXES + a)
    code = 0
    label_of = 0
    assigned = 0
    next_label = 0
    for a in range(n_axes):
        lx = axis_label(code_x, a)
        raw = lx if (kept >> lx) & 1 else MAX_AXES + a
        code, label_of, assigned, next_label = _label_axis(
            code, label_of, assigned, next_label, a, raw, _axis_size(graph, dst, src, a), carried
        )
    return code


# ----------------------------------------------------------------------------- one state


@uncounted
def memory(graph: PackedGraph, edges) -> int:
    """Stored values over all edges of a state."""
    total = 0
    n = edges.shape[0]
    for src in range(n):
        for dst in range(src + 1, n):
            code = edges[src, dst]
            if code != NO_EDGE:
                total += edge_size(graph, code, dst, src)
    return total


@uncounted
def elimination_cost(graph: PackedGraph, edges, vertex: int) -> int:
    """Multiplications that eliminating ``vertex`` would cost now (the state is not changed)."""
    n = edges.shape[0]
    mults = 0
    for i in range(vertex):
        code_b = edges[i, vertex]
        if code_b == NO_EDGE:
            continue
        for j in range(vertex + 1, n):
            code_a = edges[vertex, j]
            if code_a != NO_EDGE:
                mults += product_mults(graph, code_a, code_b, j, vertex, i)
    return mults


@uncounted
def eliminate_touched(graph: PackedGraph, edges, vertex: int, touched):
    """Eliminate ``vertex`` in place, reporting the vertices whose edges changed.

    ``touched`` (``int64[V]``, scratch the caller owns) receives ``vertex``'s
    predecessors, then its successors; the edges that changed are ``pred ->
    succ`` for every pair and those of ``vertex`` itself. Returns ``(mults,
    memory_change, n_preds, n_succs)``. This is the allocation-free core of
    every elimination (written out in one function: a call per product costs
    more than the product).
    """
    n_preds = 0
    for i in range(vertex):
        if edges[i, vertex] != NO_EDGE:
            touched[n_preds] = i
            n_preds += 1
    n_succs = 0
    for j in range(vertex + 1, edges.shape[0]):
        if edges[vertex, j] != NO_EDGE:
            touched[n_preds + n_succs] = j
            n_succs += 1
    mults = 0
    change = 0
    for p in range(n_preds):
        i = touched[p]
        code_b = edges[i, vertex]
        for s in range(n_preds, n_preds + n_succs):
            j = touched[s]
            code, m = product(graph, edges[vertex, j], code_b, j, vertex, i)
            mults += m
            old = edges[i, j]
            if old != NO_EDGE:
                change -= edge_size(graph, old, j, i)
                code = join(graph, old, code, j, i)
            change += edge_size(graph, code, j, i)
            edges[i, j] = code
    for p in range(n_preds):
        i = touched[p]
        change -= edge_size(graph, edges[i, vertex], vertex, i)
        edges[i, vertex] = NO_EDGE
    for s in range(n_preds, n_preds + n_succs):
        j = touched[s]
        change -= edge_size(graph, edges[vertex, j], j, vertex)
        edges[vertex, j] = NO_EDGE
    return mults, change, n_preds, n_succs


@njit(cache=True)
def scratch(graph: PackedGraph):
    """Scratch space for :func:`eliminate_touched` and :func:`step`: ``int64[V]``."""
    return np.empty(graph.edges.shape[0], np.int64)


@njit(cache=True)
def eliminate(graph: PackedGraph, edges, vertex: int):
    """Eliminate ``vertex`` in place; returns ``(mults, memory_change)``.

    A convenience that allocates its scratch; loops call :func:`eliminate_touched`.
    """
    mults, change, _, _ = eliminate_touched(graph, edges, vertex, scratch(graph))
    return mults, change


@uncounted
def step(graph: PackedGraph, edges, eliminated, action: int, touched):
    """Eliminate action ``action`` and mark it in ``eliminated``; returns ``(mults, memory_change)``.

    ``touched`` is scratch from :func:`scratch` (see :func:`eliminate_touched`).
    """
    eliminated[action] = True
    mults, change, _, _ = eliminate_touched(graph, edges, graph.num_inputs + action, touched)
    return mults, change


@uncounted
def action_costs_into(graph: PackedGraph, edges, eliminated, out) -> None:
    """Write the multiplications of every action into ``out`` (-1 for eliminated ones)."""
    for a in range(eliminated.shape[0]):
        out[a] = -1 if eliminated[a] else elimination_cost(graph, edges, graph.num_inputs + a)


@njit(cache=True)
def action_costs(graph: PackedGraph, edges, eliminated):
    """Multiplications of eliminating each action next; -1 for eliminated ones."""
    out = np.empty(eliminated.shape[0], np.int64)
    action_costs_into(graph, edges, eliminated, out)
    return out


@njit(cache=True)
def markowitz_degrees(graph: PackedGraph, edges, eliminated):
    """``|pred(v)| * |succ(v)|`` of every action's vertex; -1 for eliminated ones."""
    n = edges.shape[0]
    degrees = np.full(eliminated.shape[0], -1, np.int64)
    for a in range(eliminated.shape[0]):
        if eliminated[a]:
            continue
        v = graph.num_inputs + a
        n_preds = 0
        n_succs = 0
        for u in range(n):
            if edges[u, v] != NO_EDGE:
                n_preds += 1
            if edges[v, u] != NO_EDGE:
                n_succs += 1
        degrees[a] = n_preds * n_succs
    return degrees


@njit(cache=True)
def markowitz_order(graph: PackedGraph):
    """Minimal Markowitz: always eliminate the vertex of lowest ``|pred| * |succ|``, ties to the lowest action."""
    edges = graph.edges.copy()
    n = graph.num_intermediates
    eliminated = np.zeros(n, np.bool_)
    order = np.empty(n, np.int64)
    touched = scratch(graph)
    for position in range(n):
        degrees = markowitz_degrees(graph, edges, eliminated)
        best = -1
        for a in range(n):
            if not eliminated[a] and (best < 0 or degrees[a] < degrees[best]):
                best = a
        step(graph, edges, eliminated, best, touched)
        order[position] = best
    return order


@njit(cache=True)
def run_order(graph: PackedGraph, order):
    """Eliminate ``order`` (action ids) on a copy of the initial state; returns ``(mults, peak_memory)``."""
    edges = graph.edges.copy()
    touched = scratch(graph)
    current = memory(graph, edges)
    peak = current
    mults = 0
    for a in range(order.shape[0]):
        m, change, _, _ = eliminate_touched(graph, edges, graph.num_inputs + order[a], touched)
        mults += m
        current += change
        peak = max(peak, current)
    return mults, peak


# ----------------------------------------------------------------------------- compact keys


@njit(cache=True)
def key_words(num_intermediates: int) -> int:
    """Length of a state key: one 64-bit word per 64 actions (at least one)."""
    return max(1, (num_intermediates + 63) // 64)


@uncounted
def state_key_into(eliminated, key) -> None:
    """Write the eliminated set as a bitset into ``key`` (``uint64[key_words(n)]``)."""
    key[:] = 0
    for a in range(eliminated.shape[0]):
        if eliminated[a]:
            key[a // 64] |= np.uint64(1) << np.uint64(a % 64)


@njit(cache=True)
def state_key(eliminated):
    """The eliminated set as a bitset ``uint64[key_words(n)]``: equal keys mean equal states."""
    key = np.empty(key_words(eliminated.shape[0]), np.uint64)
    state_key_into(eliminated, key)
    return key


@uncounted
def state_from_key(graph: PackedGraph, key, edges, eliminated, touched) -> None:
    """Rebuild the state of a key into ``edges`` and ``eliminated`` (eliminating the set in index order).

    ``touched`` is scratch from :func:`scratch`.
    """
    assign(edges, graph.edges)
    for a in range(eliminated.shape[0]):
        eliminated[a] = ((key[a // 64] >> np.uint64(a % 64)) & np.uint64(1)) == np.uint64(1)
        if eliminated[a]:
            eliminate_touched(graph, edges, graph.num_inputs + a, touched)


# ----------------------------------------------------------------------------- batches


@uncounted
def reset_batch(batch: PackedBatch, states, eliminated, which) -> None:
    """Restore the initial state of every game ``b`` with ``which[b]``.

    A graph's padding actions are marked eliminated, so they are never legal.
    """
    for b in range(states.shape[0]):
        if not which[b]:
            continue
        assign(states[b], batch.edges[b])
        eliminated[b] = False
        eliminated[b, batch.sizes[b, 1] :] = True


@uncounted
def step_batch(batch: PackedBatch, states, eliminated, actions, active, mults, memory_change, touched) -> None:
    """Eliminate ``actions[b]`` in every game with ``active[b]``; writes ``mults[b]`` and ``memory_change[b]``.

    Inactive games get zeros. ``touched`` is scratch of ``int64[V]``.
    """
    for b in range(states.shape[0]):
        if active[b]:
            mults[b], memory_change[b] = step(graph_at(batch, b), states[b], eliminated[b], actions[b], touched)
        else:
            mults[b] = 0
            memory_change[b] = 0


@uncounted
def action_costs_batch(batch: PackedBatch, states, eliminated, out) -> None:
    """Write the cost of every action of every game into ``out[B, n]`` (-1 for illegal ones)."""
    for b in range(states.shape[0]):
        action_costs_into(graph_at(batch, b), states[b], eliminated[b], out[b])
