"""The elimination kernels as they were before the search-state API (ccgym 0.1), kept as the benchmark's "before".

Same cost model and results as :mod:`ccgym.kernels`, in the old style: loose
arrays instead of one packed graph, and small arrays allocated by every
product and join. Only :mod:`baselines.bench.kernels` uses this module, to
measure the new kernels against it in the same run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ccgym.kernels import MAX_AXES, NO_EDGE

_CARRY_SHIFT = 32
_SLOTS = 2 * MAX_AXES


@njit(cache=True, inline="always")
def axis_label(code: int, axis: int) -> int:
    """Label of ``axis`` in a structure code."""
    return (code >> (4 * axis)) & 15


@njit(cache=True, inline="always")
def label_carried(code: int, label: int) -> bool:
    """Whether the value tensor of a structure code carries ``label``."""
    return ((code >> (_CARRY_SHIFT + label)) & 1) == 1


@njit(cache=True)
def canonical_code(raw_labels, raw_carried, sizes, n_axes: int) -> int:
    """Canonical code of a structure given by arbitrary label ids.

    ``raw_labels[a]`` is the id (``< len(raw_carried)``) of axis ``a``,
    ``raw_carried[id]`` whether that id is carried, ``sizes[a]`` the axis size.
    """
    new_label = np.full(raw_carried.shape[0], -1, np.int64)
    code = 0
    next_label = 0
    for a in range(n_axes):
        raw = raw_labels[a]
        if sizes[a] == 1:
            label = next_label
            next_label += 1
        else:
            if new_label[raw] < 0:
                new_label[raw] = next_label
                if raw_carried[raw]:
                    code |= 1 << (_CARRY_SHIFT + next_label)
                next_label += 1
            label = new_label[raw]
        code |= label << (4 * a)
    return code


@njit(cache=True)
def _edge_axis_sizes(shapes, ndims, dst: int, src: int, out):
    n_dst = ndims[dst]
    for a in range(n_dst):
        out[a] = shapes[dst, a]
    for a in range(ndims[src]):
        out[n_dst + a] = shapes[src, a]
    return n_dst + ndims[src]


@njit(cache=True)
def edge_size(code: int, shapes, ndims, dst: int, src: int) -> int:
    """Number of stored values of an edge: the product of its carried labels' sizes."""
    size = 1
    seen = 0
    n_dst = ndims[dst]
    for a in range(n_dst + ndims[src]):
        label = axis_label(code, a)
        if label_carried(code, label) and not (seen >> label) & 1:
            seen |= 1 << label
            size *= shapes[dst, a] if a < n_dst else shapes[src, a - n_dst]
    return size


@njit(cache=True)
def _find(parent, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True)
def product(code_a: int, code_b: int, shapes, ndims, j: int, k: int, i: int):
    """Structure and multiplication count of ``J[j,k] . J[k,i]``.

    ``code_a`` is the edge ``k -> j``, ``code_b`` the edge ``i -> k``. Labels of
    ``k``'s axes are unified; the count is the product of the sizes of all
    carried label classes, plus one multiplication per result value when
    classes that neither value tensor carries are summed out.
    """
    nd_j = ndims[j]
    nd_k = ndims[k]
    nd_i = ndims[i]
    if nd_j + nd_k + nd_i == 0:
        return 0, 1
    parent = np.arange(_SLOTS)
    size = np.ones(_SLOTS, np.int64)
    for a in range(nd_j):
        size[axis_label(code_a, a)] = shapes[j, a]
    for a in range(nd_k):
        la = axis_label(code_a, nd_j + a)
        lb = MAX_AXES + axis_label(code_b, a)
        size[la] = shapes[k, a]
        size[lb] = shapes[k, a]
        ra = _find(parent, la)
        rb = _find(parent, lb)
        if ra != rb:
            parent[rb] = ra
    for a in range(nd_i):
        size[MAX_AXES + axis_label(code_b, nd_k + a)] = shapes[i, a]

    carried = np.zeros(_SLOTS, np.bool_)
    for label in range(MAX_AXES):
        if label_carried(code_a, label):
            carried[_find(parent, label)] = True
        if label_carried(code_b, label):
            carried[_find(parent, MAX_AXES + label)] = True

    n_result = nd_j + nd_i
    raw = np.empty(MAX_AXES, np.int64)
    result_sizes = np.empty(MAX_AXES, np.int64)
    on_result = np.zeros(_SLOTS, np.bool_)
    for a in range(nd_j):
        root = _find(parent, axis_label(code_a, a))
        raw[a] = root
        result_sizes[a] = shapes[j, a]
        on_result[root] = True
    for a in range(nd_i):
        root = _find(parent, MAX_AXES + axis_label(code_b, nd_k + a))
        raw[nd_j + a] = root
        result_sizes[nd_j + a] = shapes[i, a]
        on_result[root] = True

    mults = 1
    result_values = 1
    summed_constant = 1
    for root in range(_SLOTS):
        if parent[root] != root:
            continue
        if carried[root]:
            mults *= size[root]
            if on_result[root]:
                result_values *= size[root]
        elif not on_result[root]:
            summed_constant *= size[root]
    if summed_constant > 1:
        mults += result_values
    return canonical_code(raw, carried, result_sizes, n_result), mults


@njit(cache=True)
def join(code_x: int, code_y: int, shapes, ndims, dst: int, src: int) -> int:
    """Structure of the sum of two Jacobians of the same edge.

    Label groups (sets of axes sharing a label) that both structures have are
    kept, carried if either carries them; every other axis becomes dense.
    """
    if code_x == code_y:
        return code_x
    sizes = np.empty(MAX_AXES, np.int64)
    n_axes = _edge_axis_sizes(shapes, ndims, dst, src, sizes)
    group_x = np.zeros(MAX_AXES, np.int64)
    group_y = np.zeros(MAX_AXES, np.int64)
    for a in range(n_axes):
        group_x[axis_label(code_x, a)] |= 1 << a
        group_y[axis_label(code_y, a)] |= 1 << a
    raw = np.empty(MAX_AXES, np.int64)
    carried = np.zeros(_SLOTS, np.bool_)
    for a in range(n_axes):
        lx = axis_label(code_x, a)
        ly = axis_label(code_y, a)
        if group_x[lx] == group_y[ly]:
            raw[a] = lx
            carried[lx] = label_carried(code_x, lx) or label_carried(code_y, ly)
        else:
            raw[a] = MAX_AXES + a
            carried[MAX_AXES + a] = True
    return canonical_code(raw, carried, sizes, n_axes)


@njit(cache=True)
def memory(edges, shapes, ndims) -> int:
    """Stored values over all edges of a state."""
    total = 0
    n = edges.shape[0]
    for src in range(n):
        for dst in range(n):
            code = edges[src, dst]
            if code != NO_EDGE:
                total += edge_size(code, shapes, ndims, dst, src)
    return total


@njit(cache=True)
def elimination_cost(edges, shapes, ndims, k: int) -> int:
    """Multiplications that eliminating vertex ``k`` would cost now (no change)."""
    n = edges.shape[0]
    mults = 0
    for i in range(n):
        code_b = edges[i, k]
        if code_b == NO_EDGE:
            continue
        for j in range(n):
            code_a = edges[k, j]
            if code_a != NO_EDGE:
                mults += product(code_a, code_b, shapes, ndims, j, k, i)[1]
    return mults


@njit(cache=True)
def eliminate(edges, shapes, ndims, k: int):
    """Eliminate vertex ``k`` in place; returns ``(mults, memory_change)``."""
    n = edges.shape[0]
    preds = np.empty(n, np.int64)
    succs = np.empty(n, np.int64)
    n_preds = 0
    n_succs = 0
    for v in range(n):
        if edges[v, k] != NO_EDGE:
            preds[n_preds] = v
            n_preds += 1
        if edges[k, v] != NO_EDGE:
            succs[n_succs] = v
            n_succs += 1
    mults = 0
    memory_change = 0
    for p in range(n_preds):
        i = preds[p]
        code_b = edges[i, k]
        for s in range(n_succs):
            j = succs[s]
            code, m = product(edges[k, j], code_b, shapes, ndims, j, k, i)
            mults += m
            old = edges[i, j]
            if old != NO_EDGE:
                memory_change -= edge_size(old, shapes, ndims, j, i)
                code = join(old, code, shapes, ndims, j, i)
            memory_change += edge_size(code, shapes, ndims, j, i)
            edges[i, j] = code
    for p in range(n_preds):
        i = preds[p]
        memory_change -= edge_size(edges[i, k], shapes, ndims, k, i)
        edges[i, k] = NO_EDGE
    for s in range(n_succs):
        j = succs[s]
        memory_change -= edge_size(edges[k, j], shapes, ndims, j, k)
        edges[k, j] = NO_EDGE
    return mults, memory_change


@njit(cache=True)
def run_order(edges, shapes, ndims, num_inputs: int, order):
    """Eliminate ``order`` (action ids) on a copy; returns ``(mults, peak_memory)``."""
    state = edges.copy()
    current = memory(state, shapes, ndims)
    peak = current
    mults = 0
    for a in range(order.shape[0]):
        m, change = eliminate(state, shapes, ndims, num_inputs + order[a])
        mults += m
        current += change
        peak = max(peak, current)
    return mults, peak
