"""Re-check a leaderboard row from scratch: the order is valid, costs what it claims, and is exact and honest.

Exact: ``ccgym.execute`` of the order at the task's example inputs (seed 0)
equals ``torch.func.jacrev`` of the task's function to float64 round-off.
Honest: the multiplications the executor performs equal ``ccgym.cost``'s
count, which must equal the row's value. Labelled: a row of a replayable
method (see :meth:`Method.replayable`) is re-run and must give its order. A
lower bound cannot be re-proven cheaply: :func:`check` only makes sure it does
not exceed the cost of the row's own order, :func:`reprove` re-runs the exact
solver under the row's budget and seed.

A task without a function (the AlphaGrad paper's own graphs, imported from
edge lists: ``task.executable`` is false) has nothing to execute: its rows are
verified by the kernels' replay and the relabelling check alone, and the
README and ``LEADERBOARD.md`` say so.

A ``runtime_us`` row (a measured wall time, :mod:`baselines.leaderboard.runtime`)
is a noisy measurement: its order is checked as valid and its compiled
Jacobian (``ccgym.compile_jacobian``) as equal to jacrev's, but its value
cannot be replayed; validating also requires its measurement (spread,
machine) beside the CSV.
"""

from __future__ import annotations

import time
from functools import cache

import torch

import benchmarks_tasks
import ccgym
from baselines.budget import Budget
from baselines.leaderboard.methods import METHODS, time_limit
from baselines.leaderboard.records import RUNTIME_METRIC, Proof, Row, today

RTOL = 1e-9
ATOL = 1e-10
METRICS = {"mults": lambda cost: cost.mults, "peak_memory": lambda cost: cost.peak_memory}


class Rejected(Exception):
    """A row that failed a check; the message says which."""


class Unverified(Exception):
    """A claimed lower bound that could not be re-proved; the message says why."""


def check(row: Row) -> None:
    """Raise :class:`Rejected` unless ``row`` passes every check but the replay and the bound's proof."""
    try:
        task = benchmarks_tasks.get(row.task)
    except KeyError as error:
        raise Rejected(str(error.args[0])) from None
    _check_method(row)
    graph = task.graph()
    try:
        order = ccgym.check_order(graph, row.actions)
    except ValueError as error:
        raise Rejected(f"invalid order: {error}") from None
    if row.metric == RUNTIME_METRIC:
        _check_runtime(row, task, graph, order)
        return
    if row.metric not in METRICS:
        raise Rejected(f"unknown metric {row.metric!r}; known: {', '.join(METRICS)}, {RUNTIME_METRIC}")
    cost = ccgym.cost(graph, order)
    if METRICS[row.metric](cost) != row.value:
        raise Rejected(f"claims {row.metric} = {row.value}, but the order costs {METRICS[row.metric](cost)}")
    if row.bound is not None and row.metric != "mults":
        raise Rejected(f"a lower bound bounds the multiplications, but the row's metric is {row.metric}")
    if row.bound is not None and row.bound > cost.mults:
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


def _check_runtime(row: Row, task: benchmarks_tasks.Task, graph: ccgym.Graph, order) -> None:
    """A measured runtime: of a task with a function, positive, no bound, and its compiled Jacobian exact."""
    if not task.executable:
        raise Rejected(f"task {row.task} has no function: there is no Jacobian to time")
    if row.bound is not None:
        raise Rejected(f"a lower bound bounds the multiplications, but the row's metric is {row.metric}")
    if row.value <= 0:
        raise Rejected("a measured runtime is at least 1 microsecond")
    inputs = task.example_inputs(0)
    mismatch = _difference(ccgym.compile_jacobian(None, order, *inputs, graph=graph)(*inputs), _reference(row.task))
    if mismatch:
        raise Rejected(f"inexact compiled Jacobian: {mismatch}")


def _check_method(row: Row) -> None:
    """Raise :class:`Rejected` unless the row fits its method (when the method is known).

    A seed and a budget exactly when the method takes them; a lower bound only
    from the exact solver, whose budget is in seconds only.
    """
    method = METHODS.get(row.method)
    if method is None:
        return  # an external method: its order is checked, its label cannot be
    for given, needed, what in ((row.seed, method.seeded, "seed"), (row.budget, method.budgeted, "budget")):
        if bool(given) != needed:
            raise Rejected(f"{row.method} {'needs' if needed else 'takes no'} {what}, the row has {given!r}")
    if row.bound is not None and not method.proves_bounds:
        raise Rejected(f"{row.method} proves no lower bound, the row claims {row.bound}")
    if method.proves_bounds:
        try:
            time_limit(Budget.parse(row.budget))
        except ValueError as error:
            raise Rejected(str(error)) from None


def replay(row: Row) -> bool:
    """Re-run a replayable method with the row's seed and budget; whether it was re-run.

    :class:`Rejected` if it gives another order than the row's.
    """
    method = METHODS.get(row.method)
    budget = Budget.parse(row.budget) if row.budget else None
    if method is None or not method.replayable(budget):
        return False
    graph = benchmarks_tasks.get(row.task).graph()
    order = method.run(graph, int(row.seed or 0), budget).order
    if order != row.actions:
        cost = ccgym.cost(graph, order).mults
        raise Rejected(f"mislabelled: re-running {row.method} gives another order (costing {cost} mults)")
    return True


def reprove(row: Row, source: str) -> Proof:
    """Re-run the exact solver under the row's budget and seed; the proof of its bound, or :class:`Unverified`."""
    method = METHODS.get(row.method)
    if method is None or not method.proves_bounds:
        raise Unverified(f"{row.method!r} is not the exact solver: there are no settings to re-run")
    start = time.perf_counter()
    outcome = method.run(benchmarks_tasks.get(row.task).graph(), int(row.seed or 0), Budget.parse(row.budget))
    if outcome.lower_bound < row.bound:
        raise Unverified(f"the exact solver under {row.budget} proved only {outcome.lower_bound}, not {row.bound}")
    return proof_of(row, source, time.perf_counter() - start)


def proof_of(row: Row, source: str, wall_time_s: float) -> Proof:
    """The record that ``row``'s lower bound was proven here today, by ``source`` in ``wall_time_s``."""
    return Proof(row.task, row.bound, row.budget, row.seed, round(wall_time_s, 3), source, ccgym.__version__, today())


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
