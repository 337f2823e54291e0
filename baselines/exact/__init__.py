"""Exact solvers: the optimal order of a graph, or the best order found with a proven lower bound.

:func:`solve` picks the method by the graph:

- at most ``ASTAR_INTERMEDIATES`` intermediates, or a tensor graph of at most
  62: A* over sets of eliminated vertices (:mod:`baselines.exact.astar`); a
  graph it does not close in half the time goes on to CP-SAT (the exact model
  on a scalar graph, the relaxation on a tensor graph), and the larger bound
  of the two counts;
- a larger scalar graph: the CP-SAT model (:mod:`baselines.exact.cpsat`);
- a larger tensor graph: the CP-SAT relaxation, which gives a proven lower
  bound only.

The starting order (the incumbent every method prunes with, and the answer if
nothing better is found) comes from a short simulated annealing run: a tenth of
the time limit, but at most 0.1 s per intermediate.
"""

from __future__ import annotations

import time

import ccgym
from baselines.budget import BUDGET_CLOCK, Budget, check_seconds
from baselines.exact import astar
from baselines.exact.progress import Progress, ProgressPrinter
from baselines.exact.solution import Solution
from baselines.search import annealing

ASTAR_INTERMEDIATES = 24
INCUMBENT_SHARE = 0.1  # of the time limit, spent by annealing on a starting order ...
INCUMBENT_SECONDS_PER_VERTEX = 0.1  # ... but no more than this per intermediate
ASTAR_SHARE = 0.5  # of the rest, for A* on a small scalar graph before CP-SAT takes over

__all__ = ["Progress", "ProgressPrinter", "Solution", "solve"]


def solve(graph: ccgym.Graph, seconds: float = 60.0, seed: int = 0, progress: Progress | None = None) -> Solution:
    """The optimum of ``graph`` if it can be proven within ``seconds``, else the best order and a lower bound.

    ``seconds`` leave out Numba's compiling, as every search budget does
    (:mod:`baselines.compile_time`); the solution's ``seconds`` are wall time.
    ``progress`` (e.g. a :class:`ProgressPrinter`) hears of every rise of the
    bound and every cheaper order. ``ValueError`` unless ``seconds`` is finite
    and positive.
    """
    seconds = check_seconds(seconds)
    start, begun = time.perf_counter(), BUDGET_CLOCK()  # the limit leaves Numba's compiling out
    packed = graph.packed
    n = packed.num_intermediates
    scalar = bool((packed.ndims == 0).all())
    incumbent_seconds = min(INCUMBENT_SHARE * seconds, INCUMBENT_SECONDS_PER_VERTEX * n)
    incumbent = annealing(graph, Budget(seconds=max(incumbent_seconds, 1e-3)), seed)
    left = seconds - (BUDGET_CLOCK() - begun)
    if n <= ASTAR_INTERMEDIATES or (not scalar and n <= astar.MAX_INTERMEDIATES):
        solution = astar.solve(graph, incumbent, seconds=left * ASTAR_SHARE, progress=progress)
    else:
        solution = _cpsat_solve(graph, incumbent, left, seed, progress)
    if not solution.proven and solution.method == "A*":
        rest = seconds - (BUDGET_CLOCK() - begun)
        solution = _tighter(solution, _cpsat_solve(graph, solution.order, rest, seed, progress))
    return Solution(solution.order, solution.mults, solution.lower_bound, time.perf_counter() - start, solution.method)


def _cpsat_solve(graph: ccgym.Graph, order: list[int], seconds: float, seed: int, progress: Progress | None) -> Solution:
    """:func:`baselines.exact.cpsat.solve`, importing OR-Tools only now: reading or rendering a board never needs it."""
    from baselines.exact import cpsat

    return cpsat.solve(graph, order, seconds=seconds, seed=seed, progress=progress)


def _tighter(first: Solution, second: Solution) -> Solution:
    """The cheaper order with the larger of two proven lower bounds."""
    best = min(first, second, key=lambda s: s.mults)
    return Solution(
        best.order,
        best.mults,
        max(first.lower_bound, second.lower_bound),
        best.seconds,
        f"{first.method}+{second.method}",
    )
