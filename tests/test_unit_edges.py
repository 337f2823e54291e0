"""Unit edges: a Jacobian that is exactly the identity makes its products free, and the executor agrees."""

import itertools
import json

import numpy as np
import pytest
import torch
from conftest import assert_same_jacobian

import ccgym
from ccgym import kernels
from ccgym.structure import Structure


def returns_an_operand(x, w):
    """``a`` is returned and used again, so the tracer copies it to an output vertex along an identity edge."""
    a = torch.sin(x)
    return a, a * x * w


def example(shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return torch.rand(shape, dtype=torch.float64, generator=generator), torch.rand(
        shape[-1:], dtype=torch.float64, generator=generator
    )


def with_unit_copies(graph: ccgym.Graph) -> ccgym.Graph:
    """The graph with the edges into its output copies marked unit (they are the identity)."""
    data = json.loads(graph.to_json())
    copies = {n for n, v in enumerate(graph.vertices) if v.op == "ccgym.copy"}
    for edge in data["edges"]:
        if edge["dst"] in copies:
            edge["unit"] = True
    return ccgym.Graph.from_json(json.dumps(data))


@pytest.mark.parametrize("shape", [(), (3,), (1, 3), (2, 3)])
def test_unit_products_are_free_exact_and_honest(shape):
    inputs = example(shape)
    plain = ccgym.trace(returns_an_operand, *inputs)
    unit = with_unit_copies(plain)
    assert sum(e.structure.unit for e in unit.edges) == 1
    expected = torch.func.jacrev(returns_an_operand, argnums=(0, 1))(*inputs)
    for order in itertools.permutations(range(unit.num_intermediates)):
        jacobian, mults = ccgym.execute(unit, order, *inputs)
        assert_same_jacobian(jacobian, expected)
        assert mults == ccgym.cost(unit, order).mults
        # the one product through the copy edge, d sin(x) / dx times the identity, costs nothing
        assert ccgym.cost(plain, order).mults - mults == inputs[0].numel()


def test_a_unit_mark_on_a_non_identity_edge_is_refused():
    inputs = example(())
    graph = ccgym.trace(returns_an_operand, *inputs)
    data = json.loads(graph.to_json())
    sine = next(e for e in data["edges"] if graph.vertices[e["dst"]].op.startswith("aten.sin"))
    sine["unit"] = True  # scalar, so the structure fits; the value, cos(x), does not
    marked = ccgym.Graph.from_json(json.dumps(data))
    with pytest.raises(ValueError, match="marked unit, but its Jacobian is not the identity"):
        ccgym.execute(marked, ccgym.forward_order(marked), *inputs)


def test_a_unit_structure_must_be_the_identitys():
    Structure((), (), (), (), unit=True)
    Structure((0, 0), (), (3,), (3,), unit=True)
    Structure((0, 1, 2, 1), (), (1, 3), (1, 3), unit=True)
    for labels, carried, out_shape, in_shape in [
        ((0, 0), (0,), (3,), (3,)),  # carries values
        ((0, 1), (), (3,), (3,)),  # not diagonal
        ((0, 1), (), (3,), (4,)),  # different shapes
    ]:
        with pytest.raises(ValueError, match="identity's structure"):
            Structure(labels, carried, out_shape, in_shape, unit=True)


def test_unit_flag_round_trips_and_is_absent_when_false():
    plain = ccgym.trace(returns_an_operand, *example((3,)))
    assert '"unit"' not in plain.to_json()
    unit = with_unit_copies(plain)
    assert ccgym.Graph.from_json(unit.to_json()).to_json() == unit.to_json()
    data = json.loads(unit.to_json())
    next(e for e in data["edges"] if "unit" in e)["unit"] = "yes"
    with pytest.raises(ValueError, match="field 'unit' must be bool"):
        ccgym.Graph.from_json(json.dumps(data))


def scalar_chain_graph() -> kernels.PackedGraph:
    """``x -> a -> b -> y`` and ``x -> b``, with ``x -> a`` and ``a -> b`` unit."""
    scalar = Structure((), (), (), ())
    unit = Structure((), (), (), (), unit=True)
    vertices = [
        ccgym.Vertex("x", "input", (), "input"),
        ccgym.Vertex("a", "intermediate", (), "copy"),
        ccgym.Vertex("b", "intermediate", (), "copy"),
        ccgym.Vertex("y", "output", (), "sin"),
    ]
    edges = [ccgym.Edge(0, 1, unit), ccgym.Edge(1, 2, unit), ccgym.Edge(0, 2, scalar), ccgym.Edge(2, 3, scalar)]
    return ccgym.Graph(vertices, edges).packed


def test_products_keep_the_other_factor_and_sums_are_not_unit():
    packed = scalar_chain_graph()
    unit, scalar = packed.edges[0, 1], packed.edges[2, 3]
    assert unit == kernels.UNIT and scalar == 0
    assert kernels.product(packed, unit, unit, 2, 1, 0) == (kernels.UNIT, 0)
    assert kernels.product(packed, scalar, unit, 3, 2, 1) == (scalar, 0)
    assert kernels.product(packed, scalar, scalar, 3, 2, 0) == (scalar, 1)
    assert kernels.join(packed, unit, unit, 2, 0) == 0  # 1 + 1 is not the identity
    edges = packed.edges.copy()
    assert kernels.eliminate(packed, edges, 1)[0] == 0  # x -> a -> b, joined with x -> b
    assert edges[0, 2] == 0
    assert kernels.eliminate(packed, edges, 2)[0] == 1


def test_unit_edges_keep_states_order_free():
    packed = scalar_chain_graph()
    states = []
    for order in ([1, 2], [2, 1]):
        edges = packed.edges.copy()
        for vertex in order:
            kernels.eliminate(packed, edges, vertex)
        states.append(edges)
    np.testing.assert_array_equal(*states)
