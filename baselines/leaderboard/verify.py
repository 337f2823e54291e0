"""Re-check a leaderboard row from scratch: the order is valid, costs what it claims, and is exact and honest.

Exact: ``ccgym.execute`` of the order at the task's example inputs (seed 0)
equals ``torch.func.jacrev`` of the task's function to float64 round-off.
Honest: the multiplications the executor performs equal ``ccgym.cost``'s
count, which must equal the row's value. A lower bound cannot be re-proven
cheaply; it is only checked not to exceed the cost of the row's own order.

A task without a function (the AlphaGrad paper's own graphs, imported from
edge lists: ``task.executable`` is false) has nothing to execute: its rows are
verified by the kernels' replay alone (a valid order that costs the row's value,
and a sound bound), and the README and ``LEADERBOARD.md`` say so.
"""

from __future__ import annotations

from functools import cache

import torch

import benchmarks_tasks
import ccgym
from baselines.leaderboard.records import Row

RTOL = 1e-9
ATOL = 1e-10
METRICS = {"mults": lambda cost: cost.mults, "peak_memory": lambda cost: cost.peak_memory}


class Rejected(Exception):
    """A row that failed a check; the message says which."""


def check(row: Row) -> None:
    """Raise :class:`Rejected` unless ``row`` passes every check."""
    try:
        task = benchmarks_tasks.get(row.task)
    except KeyError as error:
        raise Rejected(str(error.args[0])) from None
    graph = task.graph()
    try:
        order = ccgym.check_order(graph, row.actions)
    except ValueError as error:
        raise Rejected(f"invalid order: {error}") from None
    if row.metric not in METRICS:
        raise Rejected(f"unknown metric {row.metric!r}; known: {', '.join(METRICS)}")
    cost = ccgym.cost(graph, order)
    if METRICS[row.metric](cost) != row.value:
        raise Rejected(f"claims {row.metric} = {row.value}, but the order costs {METRICS[row.metric](cost)}")
    if row.bound is not None and not 0 <= row.bound <= cost.mults:
        raise Rejected(f"lower bound {row.bound} exceeds the cost {cost.mults} of the row's own order")
    if not task.executable:
        return  # an imported graph: the kernels' replay above is its whole verification
    inputs = task.example_inputs(0)
    jacobian, performed = ccgym.execute(graph, order, *inputs)
    if performed != cost.mults:
        raise Rejected(f"dishonest: the executor performed {performed} multiplications, the kernels count {cost.mults}")
    mismatch = _difference(jacobian, _reference(row.task))
    if mismatch:
        raise Rejected(f"inexact: {mismatch}")


@cache
def _reference(name: str):
    task = benchmarks_tasks.get(name)
    inputs = task.example_inputs(0)
    return torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)


def _difference(actual, expected, where: str = "J") -> str:
    """Where two nested Jacobians differ (empty if they agree)."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
            return f"{where} has the wrong type or shape"
        if not torch.allclose(actual, expected.to(actual.dtype), rtol=RTOL, atol=ATOL):
            return f"{where} differs from jacrev by up to {(actual - expected).abs().max().item():.3g}"
        return ""
    if type(actual) is not type(expected) or len(actual) != len(expected):
        return f"{where} is nested differently from jacrev's"
    for index, (a, e) in enumerate(zip(actual, expected)):
        if message := _difference(a, e, f"{where}[{index}]"):
            return message
    return ""
