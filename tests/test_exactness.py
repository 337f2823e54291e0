"""Exact and honest: every order reproduces torch.func.jacrev, and the kernels count what the executor does."""

import random

import pytest
import torch
from conftest import assert_same_jacobian
from functions import CASES

import ccgym
from ccgym.executor import partial_state

N_RANDOM_ORDERS = 20


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.name)
def traced(request):
    case = request.param
    return case, ccgym.trace(case.fn, *case.inputs(0))


def orders_to_check(graph, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    n = graph.num_intermediates
    return [ccgym.forward_order(graph), ccgym.reverse_order(graph)] + [
        rng.sample(range(n), n) for _ in range(N_RANDOM_ORDERS)
    ]


def test_every_order_is_exact_and_honest(traced):
    case, graph = traced
    for seed in (0, 1):  # the tracing point and a second random point
        inputs = case.inputs(seed)
        expected = torch.func.jacrev(case.fn, argnums=tuple(range(len(inputs))))(*inputs)
        for order in orders_to_check(graph, seed):
            jacobian, mults = ccgym.execute(graph, order, *inputs)
            assert_same_jacobian(jacobian, expected)
            assert mults == ccgym.cost(graph, order).mults


def test_memory_is_the_values_the_executor_stores(traced):
    """Kernel memory of every state equals the numbers the executor holds; the peak is their maximum."""
    case, graph = traced
    inputs = case.inputs(0)
    packed = graph.packed
    for order in orders_to_check(graph)[1:3]:
        edges = packed.edges.copy()
        stored = []
        for n in range(len(order) + 1):
            if n:
                ccgym.kernels.eliminate(packed, edges, graph.intermediate_vertex(order[n - 1]))
            state = partial_state(graph, order[:n], *inputs)
            stored.append(sum(value.numel() for _, value in state.values()))
            assert ccgym.kernels.memory(packed, edges) == stored[-1]
            assert {(s, d) for s, d in zip(*((edges != ccgym.kernels.NO_EDGE).nonzero()))} == set(state)
        assert ccgym.cost(graph, order).peak_memory == max(stored)
