"""Exact solvers against brute force over all orders, and the soundness of their bounds and reductions."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from programs import programs, random_inputs

import benchmarks_tasks
import ccgym
from baselines import exact, heuristics
from baselines.exact import astar, cpsat
from baselines.exact.bounds import classic_rule, product_weights, root_bound, vertex_bounds, vertex_cuts
from baselines.order_free import OrderDependentError, check_order_free
from ccgym import kernels
from ccgym.graph import Edge, Graph, Vertex
from ccgym.structure import Structure

SCALAR = Structure((), (), (), ())


def random_scalar_graph(seed: int, max_intermediates: int = 7) -> Graph:
    """A random scalar DAG: every intermediate has a predecessor and a successor."""
    rng = np.random.default_rng(seed)
    n_in, n_mid, n_out = int(rng.integers(1, 4)), int(rng.integers(2, max_intermediates + 1)), int(rng.integers(1, 4))
    density = rng.uniform(0.1, 0.5)
    vertices = [Vertex(f"x{i}", "input", (), "input") for i in range(n_in)]
    vertices += [Vertex(f"v{i}", "intermediate", (), "sin") for i in range(n_mid)]
    vertices += [Vertex(f"y{i}", "output", (), "sin") for i in range(n_out)]
    first_output = n_in + n_mid
    edges = set()
    for dst in range(n_in, len(vertices)):
        sources = range(min(dst, first_output))
        edges.add((int(rng.choice(sources)), dst))
        edges |= {(src, dst) for src in sources if rng.random() < density}
    for v in range(n_in, first_output):
        if not any(src == v for src, _ in edges):
            edges.add((v, int(rng.integers(v + 1, len(vertices)))))
    return Graph(vertices, [Edge(src, dst, SCALAR) for src, dst in sorted(edges)])


def with_unit_edges(graph: Graph, seed: int) -> Graph:
    """The scalar graph with about a third of its edges marked unit (identity copies: their products are free)."""
    rng = np.random.default_rng(seed)
    unit = Structure((), (), (), (), unit=True)
    edges = [Edge(e.src, e.dst, unit if rng.random() < 0.35 else e.structure) for e in graph.edges]
    return Graph(graph.vertices, edges)


def brute_force(graph: Graph) -> int:
    """The optimum by costing every order."""
    packed = graph.packed
    return min(
        kernels.run_order(packed, np.array(order, np.int64))[0]
        for order in itertools.permutations(range(packed.num_intermediates))
    )


@pytest.mark.parametrize("seed", range(40))
def test_astar_is_optimal_on_random_scalar_graphs(seed):
    graph = random_scalar_graph(seed)
    optimum = brute_force(graph)
    solution = astar.solve(graph, heuristics.forward(graph), seconds=30)
    assert solution.proven and solution.mults == solution.lower_bound == optimum
    assert ccgym.cost(graph, solution.order).mults == optimum
    assert root_bound(graph) <= optimum


@pytest.mark.parametrize("seed", range(20))
def test_exact_solvers_stay_sound_with_unit_edges(seed):
    """Free products break the classic rule: A* (no chain rule, weight 0) stays optimal, CP-SAT a sound relaxation."""
    graph = with_unit_edges(random_scalar_graph(300 + seed), seed)
    optimum = brute_force(graph)
    solution = astar.solve(graph, heuristics.forward(graph), seconds=30)
    assert solution.proven and solution.mults == solution.lower_bound == optimum
    assert root_bound(graph) <= optimum
    relaxed = cpsat.solve(graph, heuristics.forward(graph), seconds=10, workers=2)
    assert relaxed.lower_bound <= optimum <= relaxed.mults == ccgym.cost(graph, relaxed.order).mults
    assert relaxed.method == ("CP-SAT" if classic_rule(graph.packed) else "CP-SAT relaxation")


@pytest.mark.parametrize("seed", range(20))
def test_bound_terms_hold_at_every_step_with_unit_edges(seed):
    graph = with_unit_edges(random_scalar_graph(400 + seed), seed)
    packed = graph.packed
    weights = product_weights(packed)
    edges, eliminated = packed.initial_state()
    for action in np.random.default_rng(seed).permutation(packed.num_intermediates):
        terms = vertex_bounds(packed, edges, eliminated, weights)
        mults, _ = kernels.eliminate(packed, edges, packed.num_inputs + action)
        eliminated[action] = True
        assert mults >= terms[action]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_steps=7), seed=st.integers(0, 2**16))
def test_astar_is_optimal_on_random_tensor_programs(program, seed):
    fn, shapes, _ = program
    graph = ccgym.trace(fn, *random_inputs(shapes, seed))
    optimum = brute_force(graph)
    solution = astar.solve(graph, heuristics.reverse(graph), seconds=30)
    assert solution.proven and solution.mults == optimum
    assert root_bound(graph) <= optimum


@pytest.mark.parametrize("seed", range(12))
def test_cpsat_is_optimal_on_random_scalar_graphs(seed):
    graph = random_scalar_graph(100 + seed)
    optimum = brute_force(graph)
    solution = cpsat.solve(graph, heuristics.forward(graph), seconds=20, workers=2)
    assert solution.proven and solution.mults == optimum
    assert ccgym.cost(graph, solution.order).mults == optimum


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_steps=7), seed=st.integers(0, 2**16))
def test_cpsat_relaxation_bounds_tensor_programs(program, seed):
    fn, shapes, _ = program
    graph = ccgym.trace(fn, *random_inputs(shapes, seed))
    optimum = brute_force(graph)
    solution = cpsat.solve(graph, heuristics.reverse(graph), seconds=10, workers=2)
    assert solution.lower_bound <= optimum <= solution.mults == ccgym.cost(graph, solution.order).mults


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_steps=8), seed=st.integers(0, 2**16), data=st.data())
def test_every_step_costs_at_least_its_bound_term(program, seed, data):
    """The bound's per-vertex terms hold at every step of any order (admissible and consistent)."""
    fn, shapes, _ = program
    graph = ccgym.trace(fn, *random_inputs(shapes, seed))
    packed = graph.packed
    weights = product_weights(packed)
    edges, eliminated = packed.initial_state()
    for action in data.draw(st.permutations(range(packed.num_intermediates))):
        terms = vertex_bounds(packed, edges, eliminated, weights)
        mults, _ = kernels.eliminate(packed, edges, packed.num_inputs + action)
        eliminated[action] = True
        assert mults >= terms[action]
        later = vertex_bounds(packed, edges, eliminated, weights)
        assert (later[~eliminated] >= terms[~eliminated]).all()


def test_a_time_limit_still_gives_a_sound_bound():
    """Stopped early, A* returns a valid order and a bound between the root bound and the optimum (274 on MLP)."""
    graph = benchmarks_tasks.get("MLP").graph()
    solution = astar.solve(graph, heuristics.reverse(graph), seconds=0.5)
    assert root_bound(graph) <= solution.lower_bound <= 274 <= solution.mults
    assert ccgym.cost(graph, solution.order).mults == solution.mults
    assert not solution.proven


def test_solve_proves_small_tasks():
    for name, optimum in (("LIF", 24), ("AdaLIF", 132)):
        solution = exact.solve(benchmarks_tasks.get(name).graph(), seconds=10)
        assert solution.proven and solution.mults == optimum


@pytest.mark.parametrize("seconds", [math.nan, math.inf, 0.0, -1.0])
def test_solve_refuses_a_time_limit_that_is_not_finite_and_positive(seconds):
    with pytest.raises(ValueError, match="finite positive number of seconds"):
        exact.solve(benchmarks_tasks.get("LIF").graph(), seconds=seconds)


def min_separator(graph: Graph, target: int, upward: bool) -> int:
    """Smallest vertex set (not ``target``) meeting every path between ``target`` and the inputs (outputs)."""
    packed = graph.packed
    adjacent = packed.edges != kernels.NO_EDGE
    n = graph.num_vertices
    ends = range(packed.num_inputs) if upward else range(n - packed.num_outputs, n)
    others = [u for u in range(n) if u != target]
    for size in range(len(others) + 1):
        for cut in itertools.combinations(others, size):
            seen, frontier = set(), [target]
            while frontier:
                w = frontier.pop()
                for u in np.flatnonzero(adjacent[:, w] if upward else adjacent[w, :]):
                    if u not in cut and u not in seen:
                        seen.add(int(u))
                        frontier.append(int(u))
            if not any(e in seen for e in ends):
                return size
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(15))
def test_cuts_are_minimum_vertex_separators(seed):
    graph = random_scalar_graph(200 + seed, max_intermediates=6)
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    cut_in, cut_out = vertex_cuts(packed, edges, eliminated)
    for a in range(packed.num_intermediates):
        v = packed.num_inputs + a
        assert cut_in[a] == min_separator(graph, v, upward=True)
        assert cut_out[a] == min_separator(graph, v, upward=False)


@pytest.mark.parametrize("name", benchmarks_tasks.names())
def test_every_task_is_order_free(name):
    """A* and beam search treat a state as a set; they run only where this holds (and check it themselves)."""
    check_order_free(benchmarks_tasks.get(name).graph(), trials=40, seed=1)


def test_order_dependence_is_refused(monkeypatch):
    graph = benchmarks_tasks.get("LIF").graph()
    monkeypatch.setattr("baselines.order_free.kernels.state_from_key", lambda graph, key, edges, eliminated, touched: edges.fill(0))
    with pytest.raises(OrderDependentError):
        check_order_free(graph)
