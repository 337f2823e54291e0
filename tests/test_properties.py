"""Property tests on random programs: exact, honest, the scalar rule, and order-freeness."""

import itertools

import numpy as np
import torch
from conftest import assert_same_jacobian
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programs import programs, random_inputs

import ccgym
from ccgym import kernels
from ccgym.executor import dense, partial_state

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def classic_scalar_cost(graph: ccgym.Graph, order: list[int]) -> int:
    """Vertex elimination on a scalar graph by the textbook rule, with plain sets."""
    preds = {v: set() for v in range(graph.num_vertices)}
    succs = {v: set() for v in range(graph.num_vertices)}
    for e in graph.edges:
        preds[e.dst].add(e.src)
        succs[e.src].add(e.dst)
    total = 0
    for action in order:
        k = graph.intermediate_vertex(action)
        total += len(preds[k]) * len(succs[k])
        for i in preds[k]:
            succs[i].discard(k)
            for j in succs[k]:
                succs[i].add(j)
                preds[j].add(i)
        for j in succs[k]:
            preds[j].discard(k)
        preds[k], succs[k] = set(), set()
    return total


@SETTINGS
@given(program=programs(scalar_only=True, max_steps=7), seed=st.integers(0, 2**16))
def test_scalar_rule_over_all_orders(program, seed):
    """On scalar graphs every order costs |pred| * |succ| per step, and all orders agree on the Jacobian."""
    fn, shapes, _ = program
    inputs = random_inputs(shapes, seed)
    graph = ccgym.trace(fn, *inputs)
    expected = torch.func.jacrev(fn, argnums=tuple(range(len(inputs))))(*inputs)
    orders = list(itertools.permutations(range(graph.num_intermediates)))
    for n, order in enumerate(orders):
        assert ccgym.cost(graph, order).mults == classic_scalar_cost(graph, list(order))
        if n % max(1, len(orders) // 4) == 0:
            jacobian, mults = ccgym.execute(graph, order, *inputs)
            assert_same_jacobian(jacobian, expected)
            assert mults == classic_scalar_cost(graph, list(order))


@SETTINGS
@given(program=programs(), seed=st.integers(0, 2**16), data=st.data())
def test_random_tensor_programs_are_exact_and_honest(program, seed, data):
    fn, shapes, _ = program
    inputs = random_inputs(shapes, seed)
    graph = ccgym.trace(fn, *inputs)
    order = data.draw(st.permutations(range(graph.num_intermediates)))
    expected = torch.func.jacrev(fn, argnums=tuple(range(len(inputs))))(*inputs)
    jacobian, mults = ccgym.execute(graph, order, *inputs)
    assert_same_jacobian(jacobian, expected)
    assert mults == ccgym.cost(graph, order).mults


@SETTINGS
@given(program=programs(), seed=st.integers(0, 2**16), data=st.data())
def test_state_after_a_set_does_not_depend_on_the_order(program, seed, data):
    """Cost model, property 3: edges, their structures and their values depend on the set only."""
    fn, shapes, _ = program
    inputs = random_inputs(shapes, seed)
    graph = ccgym.trace(fn, *inputs)
    subset = data.draw(st.sets(st.sampled_from(range(graph.num_intermediates)))) if graph.num_intermediates else set()
    first = data.draw(st.permutations(sorted(subset)))
    second = data.draw(st.permutations(sorted(subset)))
    packed = graph.packed
    states = []
    for order in (first, second):
        edges = packed.edges.copy()
        for action in order:
            kernels.eliminate(packed, edges, graph.intermediate_vertex(action))
        states.append(edges)
    np.testing.assert_array_equal(states[0], states[1])
    a, b = partial_state(graph, first, *inputs), partial_state(graph, second, *inputs)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][0] == b[key][0]
        torch.testing.assert_close(dense(*a[key][::-1]), dense(*b[key][::-1]), rtol=1e-9, atol=1e-11)
