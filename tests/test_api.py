"""The public contract: orders, cost, and their errors."""

import pytest
import torch
from functions import CASES

import ccgym


@pytest.fixture(scope="module")
def graph():
    case = next(c for c in CASES if c.name == "vector_elementwise")
    return ccgym.trace(case.fn, *case.inputs(0))


def test_forward_and_reverse_orders(graph):
    n = graph.num_intermediates
    assert ccgym.forward_order(graph) == list(range(n))
    assert ccgym.reverse_order(graph) == list(range(n))[::-1]
    assert graph.num_inputs + n + graph.num_outputs == graph.num_vertices


def test_cost_is_integers(graph):
    result = ccgym.cost(graph, ccgym.reverse_order(graph))
    assert type(result.mults) is int and type(result.peak_memory) is int


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (lambda n: [0, 0] + list(range(2, n)), "eliminated twice"),
        (lambda n: list(range(n - 1)) + [n], "out of range"),
        (lambda n: list(range(n - 1)) + [-1], "out of range"),
        (lambda n: list(range(n - 1)), "incomplete order"),
        (lambda n: [list(range(n))], "holds integers"),
    ],
    ids=["repeat", "too-large", "negative", "incomplete", "nested"],
)
def test_illegal_orders_are_refused(graph, order, message):
    bad = order(graph.num_intermediates)
    with pytest.raises(ValueError, match=message):
        ccgym.cost(graph, bad)
    with pytest.raises(ValueError, match=message):
        ccgym.execute(graph, bad, *(torch.zeros(5, dtype=torch.float64),) * 2)


def test_execute_checks_its_inputs(graph):
    with pytest.raises(ValueError, match="2 inputs"):
        ccgym.execute(graph, ccgym.forward_order(graph), torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="shape"):
        ccgym.execute(graph, ccgym.forward_order(graph), torch.zeros(4), torch.zeros(5))
