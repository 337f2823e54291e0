"""Every benchmark task traces to its cached graph, and its standard orders are exact and honest."""

import numpy as np
import pytest
import torch
from conftest import assert_same_jacobian

import benchmarks_tasks
import ccgym
from benchmarks_tasks import regenerate
from ccgym import kernels

TASKS = benchmarks_tasks.names()


def test_thirteen_tasks():
    assert len(TASKS) == 13
    with pytest.raises(KeyError, match="valid names"):
        benchmarks_tasks.get("NoSuchTask")


def test_regenerate_refuses_an_unknown_task_in_one_line(capsys):
    assert regenerate.main(["LIF", "LFI", "--check"]) == 2
    assert capsys.readouterr().err == f"error: unknown task 'LFI'; valid names: {', '.join(TASKS)}\n"


@pytest.mark.parametrize("name", TASKS)
def test_cache_equals_a_fresh_trace(name):
    task = benchmarks_tasks.get(name)
    assert task.graph().to_json() == task.trace().to_json()


@pytest.mark.parametrize("name", TASKS)
def test_standard_orders_are_exact_and_honest(name):
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    orders = {"forward": ccgym.forward_order(graph), "reverse": ccgym.reverse_order(graph), "markowitz": ccgym.markowitz_order(graph)}
    for seed in (0, 1):
        inputs = task.example_inputs(seed)
        expected = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
        for order in orders.values():
            jacobian, mults = ccgym.execute(graph, order, *inputs)
            assert_same_jacobian(jacobian, expected)
            assert mults == ccgym.cost(graph, order).mults


@pytest.mark.parametrize("name", TASKS)
def test_state_after_a_set_is_order_free_on_every_task(name):
    """Cost model, property 3, on the benchmark graphs: search over sets of eliminated vertices may rely on it."""
    graph = benchmarks_tasks.get(name).graph()
    packed = graph.packed
    rng = np.random.default_rng(0)
    for _ in range(20):
        subset = rng.choice(graph.num_intermediates, size=rng.integers(1, graph.num_intermediates + 1), replace=False)
        states = []
        for order in (subset, rng.permutation(subset)):
            edges = packed.edges.copy()
            for action in order:
                kernels.eliminate(packed, edges, packed.num_inputs + action)
            states.append(edges)
        np.testing.assert_array_equal(states[0], states[1])
