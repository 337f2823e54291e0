"""Compiled Jacobians equal torch.func.jacrev: every task with a function, four orders, two dtypes, batches."""

import itertools
import json
import random
from functools import cache
from pathlib import Path

import pytest
import torch
from conftest import flatten_jacobian
from functions import CASES
from test_unit_edges import example, returns_an_operand, with_unit_copies

import benchmarks_tasks
import ccgym
from baselines.leaderboard.records import read_rows
from ccgym import rules
from ccgym.derivative_formulas import BINARY, UNARY, derivative_source

torch.set_num_threads(1)

BOARD = Path(__file__).parent.parent / "results" / "leaderboard.csv"
EXECUTABLE = [task.name for task in benchmarks_tasks.TASKS if task.executable]
TOLERANCE = {torch.float64: 1e-10, torch.float32: 2e-4}


def assert_close_jacobian(actual, expected, dtype: torch.dtype) -> None:
    """Same nesting and shapes as jacrev's, every block equal to round-off (relative to the block's largest entry)."""
    assert type(actual) is type(expected)
    if not isinstance(expected, torch.Tensor):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close_jacobian(a, e, dtype)
        return
    assert actual.dtype == dtype and actual.shape == expected.shape
    scale = 1.0 + expected.abs().max().item() if expected.numel() else 1.0
    difference = (actual.double() - expected.double()).abs().max().item() if expected.numel() else 0.0
    assert difference <= TOLERANCE[dtype] * scale, f"differs from jacrev by {difference:.3g} (scale {scale:.3g})"


@cache
def best_orders() -> dict[str, list[int]]:
    """The order with the fewest multiplications on the committed board, per task."""
    best: dict[str, tuple[int, list[int]]] = {}
    for row in read_rows(BOARD):
        if row.metric == "mults" and (row.task not in best or row.value < best[row.task][0]):
            best[row.task] = (row.value, row.actions)
    return {task: order for task, (_, order) in best.items()}


def named_orders(graph: ccgym.Graph, task: str) -> dict[str, list[int]]:
    return {
        "forward": ccgym.forward_order(graph),
        "reverse": ccgym.reverse_order(graph),
        "markowitz": ccgym.markowitz_order(graph),
        "best": best_orders()[task],
    }


@pytest.mark.parametrize("name", EXECUTABLE)
def test_every_task_and_order_equals_jacrev_in_both_dtypes(name):
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    for dtype in (torch.float64, torch.float32):
        inputs = tuple(x.to(dtype) for x in task.example_inputs(1))  # not the point the graph was traced at
        expected = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
        for order_name, order in named_orders(graph, name).items():
            jacobian = ccgym.compile_jacobian(task.fn, order, *inputs, graph=graph)
            assert jacobian.mults == ccgym.cost(graph, order).mults
            try:
                assert_close_jacobian(jacobian(*inputs), expected, dtype)
            except AssertionError as error:
                raise AssertionError(f"{name}, {order_name} order, {dtype}: {error}") from None


@pytest.mark.parametrize("name", ["LIF", "SNN", "RoeFlux", "MLP", "Transformer"])
def test_a_batch_equals_vmapped_jacrev(name):
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    points = [task.example_inputs(seed) for seed in range(3)]
    batch = tuple(torch.stack(xs) for xs in zip(*points))
    expected = torch.vmap(torch.func.jacrev(task.fn, argnums=tuple(range(len(batch)))))(*batch)
    jacobian = ccgym.compile_jacobian(None, best_orders()[name], *points[0], graph=graph)
    assert_close_jacobian(jacobian.batched(*batch), expected, torch.float64)
    assert_close_jacobian(torch.vmap(jacobian)(*batch), expected, torch.float64)
    single = jacobian(*points[2])  # the batch's last point, alone
    for block, batched_block in zip(flatten_jacobian(single), flatten_jacobian(jacobian.batched(*batch))):
        torch.testing.assert_close(block, batched_block[2], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_traced_functions_of_every_operator_family(case):
    """Traced here (fn, not a cached graph), compiled for three orders, run at another point than the tracing one."""
    inputs = case.inputs(0)
    jacobian = ccgym.compile_jacobian(case.fn, ccgym.markowitz_order(ccgym.trace(case.fn, *inputs)), *inputs)
    graph = jacobian.graph
    n = graph.num_intermediates
    other = case.inputs(1)
    expected = torch.func.jacrev(case.fn, argnums=tuple(range(len(other))))(*other)
    for order in (ccgym.forward_order(graph), ccgym.reverse_order(graph), random.Random(0).sample(range(n), n)):
        compiled = ccgym.compile_jacobian(None, order, *inputs, graph=graph)
        assert_close_jacobian(compiled(*other), expected, torch.float64)
    assert_close_jacobian(jacobian(*other), expected, torch.float64)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_each_unary_formula_is_autograds_derivative(name):
    x = torch.linspace(0.1, 0.9, 7, dtype=torch.float64) + (1.5 if name == "acosh" else 0.0)
    op = f"aten.{name}.default"
    out = rules.evaluate(op, [x], {})
    expected = rules.elementwise_derivative(rules.OpCall(op, [x], {}, out), 0)
    formula = derivative_source(op, 0, ["x"], [None], "out")
    torch.testing.assert_close(eval(formula, {"torch": torch, "x": x, "out": out}), expected)


@pytest.mark.parametrize(
    ("op", "position"),
    [(f"aten.{name}.Tensor", p) for name, p in BINARY if name != "atan2"]
    + [
        ("aten.atan2.default", 0),
        ("aten.atan2.default", 1),
        ("aten.pow.Tensor_Tensor", 0),
        ("aten.pow.Tensor_Tensor", 1),
    ],
)
def test_each_binary_formula_is_autograds_derivative(op, position):
    a = torch.linspace(0.2, 0.9, 5, dtype=torch.float64)
    b = torch.linspace(-1.3, 1.1, 5, dtype=torch.float64)
    out = rules.evaluate(op, [a, b], {})
    expected = rules.elementwise_derivative(rules.OpCall(op, [a, b], {}, out), position)
    formula = derivative_source(op, position, ["a", "b"], [None, None], "out")
    torch.testing.assert_close(eval(formula, {"torch": torch, "a": a, "b": b, "out": out}), expected)


@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_unit_edges_are_free_products(shape):
    inputs = example(shape)
    unit = with_unit_copies(ccgym.trace(returns_an_operand, *inputs))
    expected = torch.func.jacrev(returns_an_operand, argnums=(0, 1))(*inputs)
    for order in itertools.permutations(range(unit.num_intermediates)):
        assert_close_jacobian(
            ccgym.compile_jacobian(None, order, *inputs, graph=unit)(*inputs), expected, torch.float64
        )


def test_a_unit_mark_on_a_non_identity_edge_is_refused():
    inputs = example(())
    unit = with_unit_copies(ccgym.trace(returns_an_operand, *inputs))
    data = json.loads(unit.to_json())
    sine = next(e for e in data["edges"] if unit.vertices[e["dst"]].op.startswith("aten.sin"))
    sine["unit"] = True  # scalar: its structure fits the identity's, its value cos(x) does not
    with pytest.raises(ValueError, match="marked unit, but its Jacobian is not the identity"):
        ccgym.compile_jacobian(None, ccgym.forward_order(unit), *inputs, graph=ccgym.Graph.from_json(json.dumps(data)))


def test_nested_like_jacrev_for_one_input_and_one_output():
    def f(x):
        return torch.sin(x) * x.sum()

    x = torch.linspace(0.0, 1.0, 4, dtype=torch.float64)
    jacobian = ccgym.compile_jacobian(f, [1, 0], x)  # sum, then sin
    assert_close_jacobian(jacobian(x), torch.func.jacrev(f, argnums=(0,))(x), torch.float64)


def test_bad_orders_and_inputs_are_refused_with_reasons():
    task = benchmarks_tasks.get("LIF")
    graph = task.graph()
    inputs = task.example_inputs(0)
    n = graph.num_intermediates
    for order, reason in (([0] * n, "twice"), (list(range(n - 1)), "incomplete"), ([*range(n - 1), n], "out of range")):
        with pytest.raises(ValueError, match=reason):
            ccgym.compile_jacobian(None, order, *inputs, graph=graph)
    with pytest.raises(ValueError, match="shapes"):
        ccgym.compile_jacobian(None, ccgym.reverse_order(graph), *inputs[:5], graph=graph)
    jacobian = ccgym.compile_jacobian(task.fn, ccgym.reverse_order(graph), *inputs, graph=graph)
    with pytest.raises(ValueError, match="takes 6 inputs, got 5"):
        jacobian(*inputs[:5])
    with pytest.raises(ValueError, match=r"input 2 has shape \(3,\)"):
        jacobian(*inputs[:2], torch.zeros(3, dtype=torch.float64), *inputs[3:])
    with pytest.raises(ValueError, match="compiled for torch.float64"):
        jacobian(*(x.float() for x in inputs))
    with pytest.raises(ValueError, match=r"input 0 has shape \(3,\) after the batch dimension"):
        jacobian.batched(*(x.expand(2, 3) for x in inputs))
    with pytest.raises(ValueError, match="leading batch dimension"):
        jacobian.batched(*inputs)
    with pytest.raises(ValueError, match="different batch sizes"):
        jacobian.batched(*(x.expand(2 + (n == 0)) for n, x in enumerate(inputs)))
    with pytest.raises(ValueError, match="float32 or float64"):
        ccgym.compile_jacobian(task.fn, ccgym.reverse_order(graph), *(x.to(torch.int64) for x in inputs))
    paper = benchmarks_tasks.get("AlphaGrad-PropaneCombustion").graph()
    scalars = [torch.zeros((), dtype=torch.float64)] * paper.num_inputs
    with pytest.raises(ValueError, match="not executable"):
        ccgym.compile_jacobian(None, ccgym.reverse_order(paper), *scalars, graph=paper)


def test_through_torch_compile():
    """``compile=True``: the same Jacobian through torch.compile (about 20 s of compiling on a 2-core CPU)."""
    case = next(case for case in CASES if case.name == "vector_elementwise")
    graph = ccgym.trace(case.fn, *case.inputs(0))
    jacobian = ccgym.compile_jacobian(None, ccgym.markowitz_order(graph), *case.inputs(0), graph=graph, compile=True)
    for seed in (1, 2):
        inputs = case.inputs(seed)
        expected = torch.func.jacrev(case.fn, argnums=(0, 1))(*inputs)
        assert_close_jacobian(jacobian(*inputs), expected, torch.float64)
