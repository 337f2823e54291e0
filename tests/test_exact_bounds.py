"""The reachable-structure bound against an oracle that visits every state every order can reach.

The oracle (:func:`every_state`) walks all elimination orders, merging states
by their full edge array (so it does not rely on order-freeness), and records
every edge code it sees per vertex pair, the cheapest product it forms through
each vertex, and the optimal cost to go. The bound must hold against all of it.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from programs import programs, random_inputs
from test_exact import random_scalar_graph, with_unit_edges
from test_unit_edges import example, returns_an_operand, with_unit_copies

import ccgym
from baselines import exact, heuristics
from baselines.exact import astar, cpsat
from baselines.exact.bounds import (
    STRUCTURES_PER_EDGE,
    carried_weights,
    closure_weights,
    pair_floors,
    product_weights,
    reachable_structures,
    root_bound,
    vertex_bounds,
)
from baselines.order_free import OrderDependentError, check_order_free
from ccgym import kernels
from ccgym.random_graphs import RandomGraphSpec, random_graph


class Oracle:
    """Every state reachable from the initial one, with what was seen on the way."""

    def __init__(self, graph: ccgym.Graph) -> None:
        packed = graph.packed
        self.packed = packed
        size = packed.edges.shape[0]
        self.codes: list[list[set[int]]] = [[set() for _ in range(size)] for _ in range(size)]
        self.cheapest = np.full(packed.num_intermediates, np.iinfo(np.int64).max, np.int64)
        self.pair_cheapest: dict[tuple[int, int, int], int] = {}  # (x, a, y) -> cheapest product seen
        self.to_go: dict[bytes, int] = {}
        self.states: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        edges, eliminated = packed.initial_state()
        self.optimum = self._visit(edges, eliminated)

    def _visit(self, edges: np.ndarray, eliminated: np.ndarray) -> int:
        key = edges.tobytes() + eliminated.tobytes()
        if key in self.to_go:
            return self.to_go[key]
        packed = self.packed
        self.states[key] = (edges, eliminated)
        for x, y in zip(*np.nonzero(edges != kernels.NO_EDGE)):
            self.codes[x][y].add(int(edges[x, y]))
        best = 0 if eliminated.all() else np.iinfo(np.int64).max
        for a in np.flatnonzero(~eliminated):
            v = packed.num_inputs + int(a)
            for i in np.flatnonzero(edges[:, v] != kernels.NO_EDGE):
                for j in np.flatnonzero(edges[v, :] != kernels.NO_EDGE):
                    mults = kernels.product(packed, edges[v, j], edges[i, v], int(j), v, int(i))[1]
                    self.cheapest[a] = min(self.cheapest[a], mults)
                    pair = (int(i), int(a), int(j))
                    self.pair_cheapest[pair] = min(self.pair_cheapest.get(pair, mults), mults)
            child, done = edges.copy(), eliminated.copy()
            mults, _ = kernels.eliminate(packed, child, v)
            done[a] = True
            best = min(best, mults + self._visit(child, done))
        self.to_go[key] = best
        return best


def tensor_graph(seed: int, max_intermediates: int = 7) -> ccgym.Graph:
    spec = RandomGraphSpec(num_inputs=(1, 3), num_intermediates=(2, max_intermediates), num_outputs=(1, 2), size=(2, 3))
    return random_graph(np.random.default_rng(seed), spec)


def assert_bound_holds(graph: ccgym.Graph, capacity: int = STRUCTURES_PER_EDGE) -> Oracle:
    """Every reached code lies in its reachable set, and every product costs at least its vertex's weight."""
    oracle = Oracle(graph)
    packed = graph.packed
    sets, counts, overflowed, _, _ = reachable_structures(packed, capacity)
    for x, row in enumerate(oracle.codes):
        for y, seen in enumerate(row):
            if seen and not overflowed[x, y]:
                assert seen <= set(sets[x, y, : counts[x, y]].tolist()), (x, y)
    weights = closure_weights(packed, capacity)
    if capacity == STRUCTURES_PER_EDGE:
        weights = product_weights(packed)
        assert (weights >= carried_weights(packed)).all()
    formed = oracle.cheapest != np.iinfo(np.int64).max
    assert (weights[formed] <= oracle.cheapest[formed]).all(), (weights, oracle.cheapest)
    assert root_bound(graph) <= oracle.optimum
    if capacity == STRUCTURES_PER_EDGE:
        floors = pair_floors(packed)
        for pair, cheapest in oracle.pair_cheapest.items():
            assert 0 <= floors[pair] <= cheapest, (pair, floors[pair], cheapest)
            assert floors[pair] >= weights[pair[1]]
    return oracle


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_closure_bound_holds_on_random_tensor_graphs(seed):
    assert_bound_holds(tensor_graph(seed))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_steps=7), seed=st.integers(0, 2**16))
def test_closure_bound_holds_on_random_traced_programs(program, seed):
    fn, shapes, _ = program
    assert_bound_holds(ccgym.trace(fn, *random_inputs(shapes, seed)))


@pytest.mark.parametrize("seed", range(15))
def test_closure_bound_holds_with_unit_edges(seed):
    assert_bound_holds(with_unit_edges(random_scalar_graph(500 + seed), seed))


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_closure_bound_holds_with_tensor_unit_copies(shape):
    graph = with_unit_copies(ccgym.trace(returns_an_operand, *example(shape)))
    assert_bound_holds(graph)
    assert product_weights(graph.packed).min() == 0  # the product with the identity copy is free


def test_overflowing_sets_give_up_their_floor_and_stay_sound():
    """With room for two codes per pair the sets overflow; the affected vertices fall back to no floor."""
    overflowed_somewhere = False
    for seed in range(25):
        graph = tensor_graph(1000 + seed)
        assert_bound_holds(graph, capacity=2)
        overflowed_somewhere |= bool(reachable_structures(graph.packed, 2)[2].any())
    assert overflowed_somewhere


def test_closure_bound_is_stronger_than_carried_axes_somewhere():
    """Not a soundness check: the new floor must actually bite on some random tensor graphs."""
    stronger = sum(
        bool((closure_weights(g.packed) > carried_weights(g.packed)).any())
        for g in (tensor_graph(2000 + seed) for seed in range(20))
    )
    assert stronger >= 5


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_astar_with_the_closure_bound_finds_the_oracle_optimum(seed):
    graph = tensor_graph(seed, max_intermediates=9)
    assume(order_free(graph))  # A* refuses the others by design (tests/test_exact.py checks that refusal)
    oracle = Oracle(graph)
    for state_floors in (False, True):
        solution = astar.solve(graph, heuristics.reverse(graph), seconds=30, state_floors=state_floors)
        assert solution.proven and solution.mults == oracle.optimum


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_cpsat_relaxation_with_pair_floors_stays_below_the_oracle_optimum(seed):
    graph = tensor_graph(seed, max_intermediates=8)
    oracle = Oracle(graph)
    solution = cpsat.solve(graph, heuristics.reverse(graph), seconds=10, workers=2)
    assert solution.lower_bound <= oracle.optimum <= solution.mults == ccgym.cost(graph, solution.order).mults


def order_free(graph: ccgym.Graph) -> bool:
    """Whether the check A* runs first accepts ``graph``."""
    try:
        check_order_free(graph)
    except OrderDependentError:
        return False
    return True


def state_bound(packed, edges: np.ndarray, eliminated: np.ndarray) -> int:
    """A*'s estimate on a tensor graph: the static weights raised by the structures reachable from this state."""
    weights = np.maximum(product_weights(packed), closure_weights(packed, STRUCTURES_PER_EDGE, edges, eliminated))
    return int(vertex_bounds(packed, edges, eliminated, weights).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_state_closure_estimate_is_admissible_and_consistent_in_every_state(seed):
    graph = tensor_graph(seed)
    packed = graph.packed
    oracle = Oracle(graph)
    for key, (edges, eliminated) in oracle.states.items():
        estimate = state_bound(packed, edges, eliminated)
        assert estimate <= oracle.to_go[key]
        for a in np.flatnonzero(~eliminated):
            child, done = edges.copy(), eliminated.copy()
            mults, _ = kernels.eliminate(packed, child, packed.num_inputs + int(a))
            done[a] = True
            assert estimate <= mults + state_bound(packed, child, done)


def test_a_running_solve_reports_its_bound_and_best_order_as_they_improve():
    graph = tensor_graph(7, max_intermediates=9)
    lines = []
    solution = exact.solve(graph, seconds=20, progress=exact.ProgressPrinter("t", write=lines.append))
    bounds = [int(line.split("bound ")[1].split()[0]) for line in lines]
    best = [int(line.split("best ")[1].split()[0]) for line in lines]
    assert lines and bounds == sorted(bounds) and best == sorted(best, reverse=True)
    assert (bounds[-1], best[-1]) == (solution.lower_bound, solution.mults)
    assert "order " + " ".join(map(str, solution.order)) in [line[line.index("order ") :] for line in lines if "order " in line]
