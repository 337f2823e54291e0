"""Every benchmark task traces to its cached graph, and its standard orders are exact and honest."""

import pytest
import torch
from conftest import assert_same_jacobian

import benchmarks_tasks
import ccgym
from baselines.heuristics import markowitz

TASKS = benchmarks_tasks.names()


def test_thirteen_tasks():
    assert len(TASKS) == 13
    with pytest.raises(KeyError, match="valid names"):
        benchmarks_tasks.get("NoSuchTask")


@pytest.mark.parametrize("name", TASKS)
def test_cache_equals_a_fresh_trace(name):
    task = benchmarks_tasks.get(name)
    assert task.graph().to_json() == task.trace().to_json()


@pytest.mark.parametrize("name", TASKS)
def test_standard_orders_are_exact_and_honest(name):
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    orders = {"forward": ccgym.forward_order(graph), "reverse": ccgym.reverse_order(graph), "markowitz": markowitz(graph)}
    for seed in (0, 1):
        inputs = task.example_inputs(seed)
        expected = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
        for order in orders.values():
            jacobian, mults = ccgym.execute(graph, order, *inputs)
            assert_same_jacobian(jacobian, expected)
            assert mults == ccgym.cost(graph, order).mults
