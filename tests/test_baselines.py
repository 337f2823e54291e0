"""Heuristics and search baselines: valid orders, the rules they claim, reproducibility, and budgets."""

import math

import numpy as np
import pytest
from test_exact import random_scalar_graph

import benchmarks_tasks
import ccgym
from baselines import heuristics
from baselines.budget import Budget
from baselines.search import annealing, beam, random_search
from baselines.search.simulated_annealing import start_order
from ccgym import kernels

TASKS = benchmarks_tasks.names()
HEURISTICS = [heuristics.forward, heuristics.reverse, heuristics.markowitz, heuristics.vlr, heuristics.greedy]


def replay_scores(graph, order, score):
    """Check that every step of ``order`` takes the lowest ``score(edges, eliminated)`` (ties: lowest index)."""
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    for action in order:
        scores = score(edges, eliminated)
        left = np.flatnonzero(~eliminated)
        assert action == left[np.argmin(scores[left])]
        kernels.eliminate(packed, edges, packed.num_inputs + action)
        eliminated[action] = True


def degrees(graph, edges):
    """``|pred|`` and ``|succ|`` of each intermediate, counted directly."""
    packed = graph.packed
    adjacent = edges != kernels.NO_EDGE
    inner = slice(packed.num_inputs, packed.num_inputs + packed.num_intermediates)
    return adjacent.sum(axis=0)[inner], adjacent.sum(axis=1)[inner]


@pytest.mark.parametrize("name", TASKS)
def test_heuristics_give_valid_orders(name):
    graph = benchmarks_tasks.get(name).graph()
    for heuristic in HEURISTICS + [heuristics.random_order]:
        ccgym.check_order(graph, heuristic(graph))


@pytest.mark.parametrize("seed", range(10))
def test_markowitz_and_vlr_follow_their_rules(seed):
    graph = random_scalar_graph(300 + seed, max_intermediates=12)
    indep, dep = brute_dependence(graph)
    first = graph.num_inputs

    def markowitz(edges, eliminated):
        preds, succs = degrees(graph, edges)
        return preds * succs

    def relative(edges, eliminated):
        offset = (indep * dep)[first : first + graph.num_intermediates]
        return markowitz(edges, eliminated) - offset

    replay_scores(graph, heuristics.markowitz(graph), markowitz)
    replay_scores(graph, heuristics.vlr(graph), relative)


def brute_dependence(graph):
    """Inputs each vertex depends on and outputs depending on it, by search."""
    adjacent = graph.packed.edges != kernels.NO_EDGE
    n = graph.num_vertices

    def reach(v, forward):
        seen, frontier = {v}, [v]
        while frontier:
            w = frontier.pop()
            for u in np.flatnonzero(adjacent[w] if forward else adjacent[:, w]):
                if int(u) not in seen:
                    seen.add(int(u))
                    frontier.append(int(u))
        return seen

    indep = np.array([sum(u < graph.num_inputs for u in reach(v, False)) for v in range(n)])
    dep = np.array([sum(u >= n - graph.num_outputs for u in reach(v, True)) for v in range(n)])
    return indep, dep


@pytest.mark.parametrize("name", TASKS)
def test_dependence_counts(name):
    graph = benchmarks_tasks.get(name).graph()
    indep, dep = heuristics.dependence_counts(graph)
    expected_indep, expected_dep = brute_dependence(graph)
    np.testing.assert_array_equal(indep, expected_indep)
    np.testing.assert_array_equal(dep, expected_dep)


@pytest.mark.parametrize("name", ["SNN", "MLP", "RoeFlux3d"])
def test_greedy_takes_the_cheapest_step_then_the_least_memory(name):
    graph = benchmarks_tasks.get(name).graph()
    packed = graph.packed
    edges, eliminated = packed.initial_state()
    for action in heuristics.greedy(graph):
        options = []
        for a in np.flatnonzero(~eliminated):
            trial = edges.copy()
            mults, change = kernels.eliminate(packed, trial, packed.num_inputs + a)
            options.append((mults, change, a))
        assert action == min(options)[2]
        kernels.eliminate(packed, edges, packed.num_inputs + action)
        eliminated[action] = True


def test_random_order_is_a_reproducible_permutation():
    graph = benchmarks_tasks.get("RoeFlux").graph()
    assert heuristics.random_order(graph, 3) == heuristics.random_order(graph, 3)
    assert heuristics.random_order(graph, 3) != heuristics.random_order(graph, 4)
    ccgym.check_order(graph, heuristics.random_order(graph, 3))


def test_markowitz_keeps_the_published_counts():
    expected = {"LIF": 24, "SNN": 566, "RoeFlux": 319, "MLP": 1939, "RandomG": 327}
    for name, mults in expected.items():
        graph = benchmarks_tasks.get(name).graph()
        assert ccgym.cost(graph, heuristics.markowitz(graph)).mults == mults


@pytest.mark.parametrize("search", [random_search, annealing, beam])
def test_searches_are_reproducible_under_an_evaluation_budget(search):
    graph = benchmarks_tasks.get("AdaLIF").graph()
    first = search(graph, Budget(evaluations=300), seed=5)
    assert first == search(graph, Budget(evaluations=300), seed=5)
    ccgym.check_order(graph, first)


@pytest.mark.parametrize("name", ["RobotArm", "Transformer"])
def test_annealing_never_loses_to_its_start(name):
    graph = benchmarks_tasks.get(name).graph()
    order = annealing(graph, Budget(evaluations=500), seed=0)
    assert ccgym.cost(graph, order).mults <= ccgym.cost(graph, start_order(graph)).mults
    assert ccgym.cost(graph, start_order(graph)).mults <= ccgym.cost(graph, heuristics.markowitz(graph)).mults


def test_search_finds_the_optimum_of_small_tasks():
    """Optima from the exact solver: LIF 24, AdaLIF 132, SNN 422."""
    for name, optimum in (("LIF", 24), ("AdaLIF", 132), ("SNN", 422)):
        graph = benchmarks_tasks.get(name).graph()
        assert ccgym.cost(graph, beam(graph, Budget(evaluations=200))).mults == optimum
        assert ccgym.cost(graph, annealing(graph, Budget(evaluations=3000))).mults == optimum


def test_random_search_improves_with_budget():
    graph = benchmarks_tasks.get("Transformer").graph()
    small = ccgym.cost(graph, random_search(graph, Budget(evaluations=1), seed=1)).mults
    large = ccgym.cost(graph, random_search(graph, Budget(evaluations=2000), seed=1)).mults
    assert large <= small


def test_a_seconds_budget_is_kept():
    graph = benchmarks_tasks.get("RoeFlux3d").graph()
    for search in (random_search, annealing, beam):
        budget = Budget(seconds=0.3)
        meter = budget.start()
        search(graph, budget)
        assert meter.elapsed < 1.5


def test_budget_text_round_trip():
    for budget in (Budget(seconds=2.0), Budget(evaluations=1000), Budget(seconds=0.5, evaluations=10)):
        assert Budget.parse(str(budget)) == budget
    with pytest.raises(ValueError):
        Budget.parse("two seconds")
    with pytest.raises(ValueError):
        Budget()


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, 0, 0.0, -1.0, True, "5"])
def test_seconds_must_be_finite_and_positive(seconds):
    with pytest.raises(ValueError, match="finite positive number of seconds"):
        Budget(seconds=seconds)


@pytest.mark.parametrize("evaluations", [0, -5, 2.5, math.nan, True])
def test_evaluations_must_be_a_positive_integer(evaluations):
    with pytest.raises(ValueError, match="positive integer"):
        Budget(evaluations=evaluations)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0s", "finite positive"),
        ("0evals", "positive integer"),
        ("1e999s", "finite positive"),
        ("nans", "not a budget"),
        ("infs", "not a budget"),
        ("-2s", "not a budget"),
        ("2s+", "not a budget"),
        ("2s1000evals", "not a budget"),
        ("2s+3s", "not a budget"),
        ("1.2.3s", "not a budget"),
        ("", "not a budget"),
    ],
)
def test_budget_text_is_parsed_strictly(text, message):
    with pytest.raises(ValueError, match=message):
        Budget.parse(text)
