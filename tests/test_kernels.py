"""Kernel-level behaviour: masks, degrees, dry-run costs, copies, and the structure algebra."""

import numpy as np
import pytest
from functions import CASES

import ccgym
from ccgym import kernels
from ccgym.structure import Structure, canonicalize


@pytest.fixture(scope="module", params=["scalar_unary", "matmuls", "indexing"])
def graph(request):
    case = next(c for c in CASES if c.name == request.param)
    return ccgym.trace(case.fn, *case.inputs(0))


def test_mask_degrees_and_dry_run_follow_the_state(graph):
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    rng = np.random.default_rng(0)
    for action in rng.permutation(graph.num_intermediates):
        degrees = kernels.markowitz_degrees(packed, edges, eliminated)
        vertex = packed.num_inputs + action
        n_preds = int((edges[:, vertex] != kernels.NO_EDGE).sum())
        n_succs = int((edges[vertex, :] != kernels.NO_EDGE).sum())
        assert degrees[action] == n_preds * n_succs
        assert (degrees[eliminated] == -1).all()
        predicted = kernels.elimination_cost(packed, edges, vertex)
        before = kernels.memory(packed, edges)
        mults, change = kernels.eliminate(packed, edges, vertex)
        assert mults == predicted
        assert kernels.memory(packed, edges) == before + change
        assert (edges[:, vertex] == kernels.NO_EDGE).all() and (edges[vertex, :] == kernels.NO_EDGE).all()
        eliminated[action] = True
    assert eliminated.all()


def test_final_state_links_inputs_to_outputs_only(graph):
    packed = graph.packed
    edges, _ = packed.initial_state()
    for vertex in range(packed.num_inputs, packed.num_inputs + packed.num_intermediates):
        kernels.eliminate(packed, edges, vertex)
    src, dst = np.nonzero(edges != kernels.NO_EDGE)
    assert (src < packed.num_inputs).all()
    assert (dst >= packed.num_inputs + packed.num_intermediates).all()


def test_cost_model_table():
    """The examples of the cost model's table, as canonical structures."""
    n, m = 5, 3
    sin = canonicalize([0, 0], {0}, (n,), (n,))[0]  # z = sin(x): (p ; p), V over p
    add = canonicalize([0, 0], set(), (n,), (n,))[0]  # z = x + y: constant diagonal
    matvec_x = canonicalize([0, 1], {0, 1}, (m,), (n,))[0]  # y = W @ x, x -> y: dense
    matvec_w = canonicalize([0, 0, 1], {1}, (m,), (m, n))[0]  # W -> y: (p ; p, q), V over q
    total = canonicalize([1], set(), (), (n,))[0]  # s = sum(x)
    transpose = canonicalize([0, 1, 1, 0], set(), (m, n), (n, m))[0]  # z = x.T
    assert sin.value_shape == (n,) and add.value_shape == ()
    assert matvec_x.value_shape == (m, n) and matvec_w.value_shape == (n,)
    assert total.value_shape == () and transpose.value_shape == ()
    assert transpose.labels == (0, 1, 1, 0)


def _three_vertex_graph(shape_j, shape_k, shape_i) -> kernels.PackedGraph:
    """Vertices 0, 1, 2 of the given shapes and no edges: what the structure kernels read."""
    shapes = np.ones((3, kernels.MAX_NDIM), np.int64)
    for v, shape in enumerate((shape_j, shape_k, shape_i)):
        shapes[v, : len(shape)] = shape
    ndims = np.array([len(shape_j), len(shape_k), len(shape_i)], np.int64)
    return kernels.PackedGraph(np.full((3, 3), kernels.NO_EDGE, np.int64), shapes, ndims, 0, 0, 0)


@pytest.mark.parametrize(
    ("a", "b", "shapes", "mults", "values"),
    [
        # sum(sin(x)): ( ; p) constant times (p ; p) over p -> n multiplications, V over p.
        (([1], set()), ([0, 0], {0}), ((), (5,), (5,)), 5, (5,)),
        # sum(expand(a)): ( ; p) times (p ; ) both constant -> 1 product, then times n: 2.
        (([1], set()), ([0], set()), ((), (5,), ()), 2, ()),
        # W2 @ (W1 @ x): (p ; q) dense times (q ; r) dense -> m*n*k.
        (([0, 1], {0, 1}), ([0, 1], {0, 1}), ((2,), (3,), (4,)), 24, (2, 4)),
        # sin(x) then x.T-like diagonal chain: (p ; p) times (p ; p) -> n, V over p.
        (([0, 0], {0}), ([0, 0], {0}), ((5,), (5,), (5,)), 5, (5,)),
    ],
    ids=["sum-of-sin", "sum-of-broadcast", "matrix-chain", "diagonal-chain"],
)
def test_product_counts(a, b, shapes, mults, values):
    three = _three_vertex_graph(*shapes)
    sa = canonicalize(a[0], a[1], shapes[0], shapes[1])[0]
    sb = canonicalize(b[0], b[1], shapes[1], shapes[2])[0]
    code, count = kernels.product(three, sa.code, sb.code, 0, 1, 2)
    assert count == mults
    assert Structure.from_code(int(code), shapes[0], shapes[2]).value_shape == values


def test_join_keeps_common_groups_and_densifies_the_rest():
    three = _three_vertex_graph((4,), (), (4,))
    diagonal = canonicalize([0, 0], {0}, (4,), (4,))[0]
    constant_diagonal = canonicalize([0, 0], set(), (4,), (4,))[0]
    broadcast = canonicalize([0, 1], {1}, (4,), (4,))[0]
    same = Structure.from_code(int(kernels.join(three, diagonal.code, constant_diagonal.code, 0, 2)), (4,), (4,))
    assert same == diagonal
    mixed = Structure.from_code(int(kernels.join(three, diagonal.code, broadcast.code, 0, 2)), (4,), (4,))
    assert mixed == Structure.dense((4,), (4,))
