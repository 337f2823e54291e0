"""Every benchmark task builds its cached graph; the standard orders of those with a function are exact and honest."""

import numpy as np
import pytest
import torch
from conftest import assert_same_jacobian

import benchmarks_tasks
import ccgym
from benchmarks_tasks import regenerate
from ccgym import kernels

TASKS = benchmarks_tasks.names()
EXECUTABLE = [name for name in TASKS if benchmarks_tasks.get(name).executable]
IMPORTED = [name for name in TASKS if name not in EXECUTABLE]


def test_nineteen_tasks_of_which_thirteen_executable():
    assert len(TASKS) == 19 and len(EXECUTABLE) == 13
    assert all(name.startswith("AlphaGrad-") for name in IMPORTED)
    with pytest.raises(KeyError, match="valid names"):
        benchmarks_tasks.get("NoSuchTask")


def test_regenerate_refuses_an_unknown_task_in_one_line(capsys):
    assert regenerate.main(["LIF", "LFI", "--check"]) == 2
    assert capsys.readouterr().err == f"error: unknown task 'LFI'; valid names: {', '.join(TASKS)}\n"


@pytest.mark.parametrize("name", TASKS)
def test_cache_equals_a_fresh_build(name):
    task = benchmarks_tasks.get(name)
    assert task.graph().to_json() == task.build().to_json()


@pytest.mark.parametrize("name", IMPORTED)
def test_imported_graphs_are_costed_not_executed(name):
    """No function, so no numeric check: the executor refuses rather than run operator labels."""
    graph = benchmarks_tasks.get(name).graph()
    assert graph.metadata["executable"] is False
    inputs = [torch.tensor(1.0, dtype=torch.float64)] * graph.num_inputs
    with pytest.raises(ValueError, match="not executable"):
        ccgym.execute(graph, ccgym.forward_order(graph), *inputs)


@pytest.mark.parametrize("name", EXECUTABLE)
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
