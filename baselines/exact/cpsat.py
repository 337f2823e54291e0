"""Optimal vertex elimination of scalar graphs as a CP-SAT model (OR-Tools); a lower bound for tensor graphs.

On a scalar graph, eliminating ``v`` costs ``|pred(v)| * |succ(v)|`` at that
time, and ``i`` is then a predecessor of ``v`` exactly when ``i`` is not yet
eliminated and some path ``i -> ... -> v`` of the original graph has all its
interior vertices eliminated before ``v`` (elimination never cancels an edge).
The model encodes that:

- ``pos[v]``: the step at which ``v`` is eliminated (all different); for each
  pair of intermediates where one is an ancestor of the other, a literal
  ``before[u, w]`` reified as ``pos[u] < pos[w]`` (the cost depends on no other
  pair);
- ``reach_in[v, i]`` for every ancestor ``i`` of ``v``: forced true by an edge
  ``i -> v``, and by an edge ``i -> w`` when ``reach_in[v, w]`` holds and ``w``
  goes before ``v``; ``pred[v, i]`` is forced by ``reach_in[v, i]`` when ``i``
  is an input or goes after ``v``; likewise ``reach_out``/``succ`` towards the
  outputs;
- ``cost[v] = (sum of pred[v, .]) * (sum of succ[v, .])`` and the objective is
  the sum of the costs.

All constraints only force literals up, so every feasible assignment costs at
least what its order truly costs, and the minimum is the true optimum: the
solver's proven objective bound is a lower bound on the optimal order. The
order it returns is re-costed by the kernels. Redundant constraints make the
bound stronger: each count is at least the vertex's minimum cut in the original
graph (:mod:`baselines.exact.bounds`), with the McCormick inequality
``cost >= cut_out * n_pred + cut_in * n_succ - cut_in * cut_out``.

On a tensor graph the same model, with each vertex's count of products
weighted by ``weight(v)`` (:func:`baselines.exact.bounds.product_weights`, the
least any product through ``v`` can cost), is a relaxation: which edges exist
does not depend on shapes, so the model still counts every order's products
exactly, and the order's true cost is at least the weighted count. Its proven
bound is then a lower bound on the optimum, and its order is only a candidate,
re-costed by the kernels. A scalar graph with unit edges (free products) is
treated the same way: the vertices of unit edges get weight 0, the rest 1.
On such graphs each pair ``(x, y)`` of a vertex's possible predecessor and
successor also gets its own floor (:func:`baselines.exact.bounds.pair_floors`):
a literal ``both[v, x, y]``, forced true when both are ends of ``v`` as it
goes, adds what that pair's cheapest product costs beyond ``weight(v)``.

Why CP-SAT rather than a MILP (HiGHS, SCIP): the model is a permutation with
reified precedences and Boolean implications, which a MILP can only state with
weak big-M rows; CP-SAT propagates them exactly, multiplies two integer counts
natively, takes a complete solution hint from the heuristics, and still reports
a proven bound from its LP and core-based workers when stopped at a time limit.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

try:
    from ortools.sat.python import cp_model
except ImportError as error:  # the one optional dependency of the exact solver
    raise ImportError('CP-SAT, the exact solver of large graphs, needs OR-Tools: pip install -e ".[baselines]"') from error

import ccgym
from baselines.budget import BUDGET_CLOCK
from baselines.exact.bounds import classic_rule, pair_floors, product_weights, root_bound, vertex_cuts
from baselines.exact.progress import Progress
from baselines.exact.solution import Solution
from ccgym import kernels


class _Model:
    """The CP-SAT model of one graph, with the maps needed to hint and decode it."""

    def __init__(self, graph: ccgym.Graph) -> None:
        packed = graph.packed
        weights = product_weights(packed)
        self.first = packed.num_inputs
        self.n = packed.num_intermediates
        self.adjacent = packed.edges != kernels.NO_EDGE
        self.reaches = _transitive_closure(self.adjacent)
        cut_in, cut_out = _cuts(graph)
        self.model = cp_model.CpModel()
        self.pos = [self.model.new_int_var(0, max(self.n - 1, 0), f"pos{a}") for a in range(self.n)]
        self.model.add_all_different(self.pos)
        self.before: dict[tuple[int, int], cp_model.IntVar] = {}
        self.pred: dict[int, dict[int, cp_model.IntVar]] = {}
        self.succ: dict[int, dict[int, cp_model.IntVar]] = {}
        self.reach_in: dict[int, dict[int, cp_model.IntVar]] = {}
        self.reach_out: dict[int, dict[int, cp_model.IntVar]] = {}
        self.counts: dict[int, tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]] = {}
        self.both: dict[tuple[int, int, int], tuple] = {}
        for a in range(self.n):
            v = self.first + a
            self.reach_in[v], self.pred[v] = self._side(v, upward=True)
            self.reach_out[v], self.succ[v] = self._side(v, upward=False)
            n_pred = self.model.new_int_var(cut_in[a], len(self.pred[v]), f"npred{v}")
            n_succ = self.model.new_int_var(cut_out[a], len(self.succ[v]), f"nsucc{v}")
            self.model.add(n_pred == sum(self.pred[v].values()))
            self.model.add(n_succ == sum(self.succ[v].values()))
            products = self.model.new_int_var(
                cut_in[a] * cut_out[a], len(self.pred[v]) * len(self.succ[v]), f"products{v}"
            )
            self.model.add_multiplication_equality(products, [n_pred, n_succ])
            self.model.add(products >= cut_out[a] * n_pred + cut_in[a] * n_succ - cut_in[a] * cut_out[a])
            self.counts[v] = (n_pred, n_succ, products)
        objective = [int(weights[v - self.first]) * p for v, (_, _, p) in self.counts.items()]
        if not classic_rule(packed):
            objective += self._pair_extras(packed, weights)
        self.model.minimize(sum(objective))

    def _pair_extras(self, packed, weights) -> list:
        """What each product costs beyond its vertex's weight, from the floors of its own pair of endpoints.

        ``both[v, x, y]`` is forced true when ``x`` is a predecessor and ``y`` a
        successor of ``v`` as it is eliminated; the product ``J[y,v] . J[v,x]``
        then costs at least ``floors[x, v, y]``, the weight plus the extra.
        """
        floors = pair_floors(packed)
        terms = []
        for v in self.counts:
            a = v - self.first
            for x, is_pred in self.pred[v].items():
                for y, is_succ in self.succ[v].items():
                    extra = int(floors[x, a, y]) - int(weights[a])
                    if extra <= 0:
                        continue
                    both = self.model.new_bool_var(f"both{v}_{x}_{y}")
                    self.model.add_bool_or([both, ~is_pred, ~is_succ])
                    self.both[(v, x, y)] = (both, is_pred, is_succ)
                    terms.append(extra * both)
        return terms

    def is_intermediate(self, u: int) -> bool:
        return self.first <= u < self.first + self.n

    def goes_before(self, u: int, w: int) -> cp_model.IntVar:
        """Literal: intermediate ``u`` is eliminated before intermediate ``w`` (comparable pairs only)."""
        key = (min(u, w), max(u, w))
        if key not in self.before:
            literal = self.model.new_bool_var(f"before{key}")
            a, b = (self.pos[k - self.first] for k in key)
            self.model.add(a < b).only_enforce_if(literal)
            self.model.add(a > b).only_enforce_if(~literal)
            self.before[key] = literal
        return self.before[key] if u < w else ~self.before[key]

    def _side(self, v: int, upward: bool) -> tuple[dict, dict]:
        """``reach`` and ``pred`` (or ``succ``) literals of ``v`` on one side, with their implications."""
        relatives = np.flatnonzero(self.reaches[:, v] if upward else self.reaches[v, :])
        reach = {int(u): self.model.new_bool_var(f"reach{v}_{u}") for u in relatives}
        ends = {}
        for u, reached in reach.items():
            if self.adjacent[u, v] if upward else self.adjacent[v, u]:
                self.model.add(reached == 1)
            for w in np.flatnonzero(self.adjacent[u, :] if upward else self.adjacent[:, u]):
                w = int(w)
                if w in reach and self.is_intermediate(w):
                    self.model.add_bool_or([reached, ~reach[w], ~self.goes_before(w, v)])
            if self.is_intermediate(u):
                ends[u] = self.model.new_bool_var(f"end{v}_{u}")
                self.model.add_bool_or([ends[u], ~reached, self.goes_before(u, v)])
            else:
                ends[u] = reached
        return reach, ends

    def hint(self, order: list[int]) -> None:
        """A complete solution hint: the order and every literal it implies."""
        step = {self.first + a: t for t, a in enumerate(order)}
        at_end: dict[tuple[int, int], bool] = {}  # (v, u): u is a predecessor or successor of v as v goes
        for a, t in enumerate(np.argsort(order)):
            self.model.add_hint(self.pos[a], int(t))
        for (u, w), literal in self.before.items():
            self.model.add_hint(literal, step[u] < step[w])
        for v, (n_pred, n_succ, products) in self.counts.items():
            sizes = []
            for reach, ends, upward in (
                (self.reach_in[v], self.pred[v], True),
                (self.reach_out[v], self.succ[v], False),
            ):
                reached = self._reached(v, step, upward)
                size = 0
                for u, literal in reach.items():
                    self.model.add_hint(literal, u in reached)
                    alive = not self.is_intermediate(u) or step[u] > step[v]
                    if ends[u] is not literal:
                        self.model.add_hint(ends[u], u in reached and alive)
                    size += u in reached and alive
                    at_end[(v, u)] = u in reached and alive
                sizes.append(size)
            self.model.add_hint(n_pred, sizes[0])
            self.model.add_hint(n_succ, sizes[1])
            self.model.add_hint(products, sizes[0] * sizes[1])
        for (v, x, y), (both, _, _) in self.both.items():
            self.model.add_hint(both, at_end[(v, x)] and at_end[(v, y)])

    def _reached(self, v: int, step: dict[int, int], upward: bool) -> set[int]:
        """Vertices joined to ``v`` by a path whose interior is eliminated before ``v``."""
        reached: set[int] = set()
        frontier = [v]
        while frontier:
            w = frontier.pop()
            for u in np.flatnonzero(self.adjacent[:, w] if upward else self.adjacent[w, :]):
                u = int(u)
                if u not in reached:
                    reached.add(u)
                    if self.is_intermediate(u) and step[u] < step[v]:
                        frontier.append(u)
        return reached

    def order(self, solver: cp_model.CpSolver) -> list[int]:
        """The elimination order of the solver's solution."""
        return [int(a) for a in np.argsort([solver.value(p) for p in self.pos], kind="stable")]


def solve(
    graph: ccgym.Graph,
    incumbent: list[int],
    seconds: float = 60.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Solution:
    """Minimise the cost, starting from ``incumbent``; stops at ``seconds``.

    ``progress`` hears of every better order the solver finds (re-costed by the
    kernels) and every rise of its proven bound.

    Returns the better of the solver's order and the incumbent, with the
    solver's proven lower bound (at least the root bound). Exact on scalar
    graphs without unit edges; elsewhere the bound comes from the relaxation.
    """
    exact = classic_rule(graph.packed)
    start, begun = time.perf_counter(), BUDGET_CLOCK()
    built = _Model(graph)
    built.hint(list(incumbent))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds - (BUDGET_CLOCK() - begun), 0.1)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers or max(os.cpu_count() or 1, 8)
    if progress is not None:
        watcher = _Watcher(graph, built, incumbent, progress)
        solver.best_bound_callback = watcher.on_bound
        status = solver.solve(built.model, watcher)
    else:
        status = solver.solve(built.model)
    best = list(incumbent)
    best_cost = ccgym.cost(graph, best).mults
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        candidate = built.order(solver)
        candidate_cost = ccgym.cost(graph, candidate).mults
        if candidate_cost < best_cost:
            best, best_cost = candidate, candidate_cost
    root = root_bound(graph)
    if status == cp_model.OPTIMAL:
        bound = round(solver.objective_value)
    elif status == cp_model.FEASIBLE:
        bound = math.ceil(solver.best_objective_bound - 1e-6)
    else:
        bound = root
    if bound > best_cost or (exact and status == cp_model.OPTIMAL and bound != best_cost):
        raise RuntimeError(f"CP-SAT model and kernels disagree: optimum {bound}, order costs {best_cost}")
    return Solution(
        best, best_cost, max(bound, root), time.perf_counter() - start, "CP-SAT" if exact else "CP-SAT relaxation"
    )


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Passes the solver's better orders (costed by the kernels) and rising bounds on to ``progress``."""

    def __init__(self, graph: ccgym.Graph, built: _Model, incumbent: list[int], progress: Progress) -> None:
        super().__init__()
        self.graph = graph
        self.built = built
        self.progress = progress
        self.order = list(incumbent)
        self.mults = ccgym.cost(graph, self.order).mults
        self.lower_bound = root_bound(graph)
        progress(self.lower_bound, self.mults, self.order)

    def on_solution_callback(self) -> None:
        order = [int(a) for a in np.argsort([self.value(p) for p in self.built.pos], kind="stable")]
        mults = ccgym.cost(self.graph, order).mults
        if mults < self.mults:
            self.order, self.mults = order, mults
            self.progress(self.lower_bound, self.mults, self.order)

    def on_bound(self, bound: float) -> None:
        bound = math.ceil(bound - 1e-6)
        if bound > self.lower_bound:
            self.lower_bound = bound
            self.progress(min(bound, self.mults), self.mults, self.order)


def _transitive_closure(adjacent: np.ndarray) -> np.ndarray:
    """``reaches[u, w]``: a path ``u -> ... -> w`` of length at least one (vertices in topological order)."""
    n = adjacent.shape[0]
    reaches = adjacent.copy()
    for w in range(n):
        for u in np.flatnonzero(adjacent[:, w]):
            reaches[:, w] |= reaches[:, u]
    return reaches


def _cuts(graph: ccgym.Graph) -> tuple[list[int], list[int]]:
    """Minimum input and output vertex cuts of every intermediate in the original graph."""
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    cut_in, cut_out = vertex_cuts(packed, edges, eliminated)
    return [int(c) for c in cut_in], [int(c) for c in cut_out]
