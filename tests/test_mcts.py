"""The compiled tree search: optima, masks at every depth, the tree's invariants, agreement with plain Python."""

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import benchmarks_tasks
import ccgym
from baselines import exact
from baselines.mcts import (
    Leaves,
    Roots,
    SearchConfig,
    Searcher,
    pad_graphs,
    reference,
    rollout_evaluator,
    run_search,
    search,
    search_order,
    search_orders,
    uniform_evaluator,
)
from baselines.mcts.search import MIN_LOGIT, considered_visits_table
from baselines.mcts.tree import NO_PARENT, ROOT_INDEX, UNVISITED, Tree
from ccgym import kernels
from ccgym.random_graphs import RandomGraphSpec, random_graph

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [
    {},
    {"selection": "puct"},
    {"rebuild": "key"},
    {"gumbel_scale": 0.0, "max_num_considered_actions": 4},
]


def small_graph(seed: int, intermediates, max_rank: int = 2) -> ccgym.Graph:
    return random_graph(
        np.random.default_rng(seed), RandomGraphSpec(num_intermediates=intermediates, max_rank=max_rank)
    )


def brute_force_optimum(graph: ccgym.Graph) -> int:
    packed = graph.packed
    orders = itertools.permutations(range(packed.num_intermediates))
    return min(kernels.run_order(packed, np.array(order))[0] for order in orders)


def mixed_batch():
    """Three graphs of different sizes padded to one layout: scalar, scalar, tensor."""
    graphs = [benchmarks_tasks.get("LIF").graph(), small_graph(7, 6, max_rank=0), small_graph(8, 9)]
    return graphs, pad_graphs([g.packed for g in graphs])


def illegal_first_evaluator(leaves: Leaves):
    """A prior that puts by far the largest logit on every eliminated action (a search must never take one)."""
    return np.where(leaves.eliminated, 50.0, 0.0), np.zeros(leaves.eliminated.shape[0])


def searches(batch, evaluate, config: SearchConfig, seed: int, run=run_search):
    """Play every game of ``batch`` to the end; yields ``(roots, searcher, output)`` after each search."""
    searcher = Searcher(batch, evaluate, config, run)
    b, a, v = batch.sizes.shape[0], batch.num_intermediates, batch.edges.shape[1]
    roots = Roots(np.empty((b, v, v), np.int64), np.empty((b, a), np.bool_), np.ones(b, np.bool_))
    kernels.reset_batch(batch, roots.edges, roots.eliminated, roots.active)
    rng = np.random.default_rng(seed)
    zeros = np.zeros(b, np.int64)
    while roots.active.any():
        output = searcher.search(roots, rng)
        yield roots, searcher, output
        kernels.step_batch(
            batch,
            roots.edges,
            roots.eliminated,
            output.action,
            roots.active,
            zeros,
            zeros.copy(),
            np.empty(v, np.int64),
        )
        roots.active[:] = ~roots.eliminated.all(axis=1)


# ----------------------------------------------------------------------------- optima


@pytest.mark.parametrize("seed", range(4))
def test_finds_the_brute_force_optimum_of_small_scalar_graphs(seed):
    graph = small_graph(seed, 7, max_rank=0)
    order, mults = search_order(graph, uniform_evaluator, 1024, seed=0)
    assert mults == brute_force_optimum(graph)
    assert sorted(order) == list(range(7)) and ccgym.cost(graph, order).mults == mults


@pytest.mark.parametrize("name", ["LIF", "random-100", "random-103", "random-104"])
def test_a_uniform_prior_finds_the_exact_optimum(name):
    """Zero logits and values, and enough simulations per move (many: a zero value makes deep subtrees look worse)."""
    graph = benchmarks_tasks.get(name).graph() if name == "LIF" else small_graph(int(name[7:]), (8, 10))
    solution = exact.solve(graph, seconds=5)
    assert solution.proven
    assert search_order(graph, uniform_evaluator, 1024, seed=0)[1] == solution.mults


@pytest.mark.parametrize("task, optimum", [("AdaLIF", 132), ("SNN", 422)])  # proven (README leaderboard)
def test_a_rollout_value_needs_few_simulations(task, optimum):
    graph = benchmarks_tasks.get(task).graph()
    mults = search_order(graph, rollout_evaluator, 64, seed=0, gumbel_scale=0.0)[1]
    assert (
        mults
        <= 1.02 * optimum
        < min(
            ccgym.cost(graph, ccgym.reverse_order(graph)).mults, ccgym.cost(graph, ccgym.markowitz_order(graph)).mults
        )
    )


def test_orders_of_a_padded_batch_are_each_graphs_own():
    graphs, batch = mixed_batch()
    orders, mults = search_orders(batch, rollout_evaluator, 8, seed=1)
    for graph, order, cost in zip(graphs, orders, mults):
        assert sorted(order) == list(range(graph.num_intermediates))
        assert ccgym.cost(graph, order).mults == cost


# ----------------------------------------------------------------------------- masks and invariants


def check_tree(tree: Tree, roots: Roots, searcher: Searcher) -> None:
    """Every invariant of a finished search, game by game."""
    simulations = searcher.config.num_simulations
    for b in np.flatnonzero(roots.active):
        used = np.flatnonzero(tree.node_visits[b] > 0)
        assert used[0] == ROOT_INDEX and tree.node_visits[b, ROOT_INDEX] == simulations + 1
        assert (tree.parents[b, tree.node_visits[b] == 0] == NO_PARENT).all()
        np.testing.assert_array_equal(tree.legal[b, ROOT_INDEX], ~roots.eliminated[b])
        for node in used:
            legal, visits = tree.legal[b, node], tree.children_visits[b, node]
            children = tree.children_index[b, node]
            # every action ever selected at this node is legal in its state (the root's and every depth below)
            assert not (visits > 0)[~legal].any() and (children[~legal] == UNVISITED).all()
            logits = tree.children_prior_logits[b, node]
            assert (logits[~legal] == MIN_LOGIT).all() and (not legal.any() or logits[legal].max() == 0.0)
            if legal.any():  # visits = one expansion + one per simulation through it
                assert tree.node_visits[b, node] == 1 + visits.sum()
            else:
                assert visits.sum() == 0
            for action in np.flatnonzero(children != UNVISITED):
                child = children[action]
                assert tree.parents[b, child] == node and tree.action_from_parent[b, child] == action
                assert visits[action] == tree.node_visits[b, child]
                assert tree.children_values[b, node, action] == tree.node_values[b, child]
                # the child's state is the parent's plus this action, and the action is not legal below
                assert not tree.legal[b, child, action]
                np.testing.assert_array_equal(tree.legal[b, child] | (np.arange(legal.size) == action), legal)
                word, bit = divmod(action, 64)
                expected = tree.keys[b, node].copy()
                expected[word] |= np.uint64(1) << np.uint64(bit)
                np.testing.assert_array_equal(tree.keys[b, child], expected)
            # the node's value is the mean of its own value and the returns of the simulations through it
            returns = (
                tree.raw_values[b, node]
                + (visits * (tree.children_rewards[b, node] + tree.children_values[b, node])).sum()
            )
            assert tree.node_values[b, node] == pytest.approx(returns / tree.node_visits[b, node], abs=1e-9)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_masks_hold_at_every_depth_and_the_tree_is_consistent(config):
    _, batch = mixed_batch()
    for roots, searcher, output in searches(batch, illegal_first_evaluator, SearchConfig(24, **config), seed=2):
        check_tree(searcher.tree, roots, searcher)
        for b in np.flatnonzero(roots.active):
            assert not roots.eliminated[b, output.action[b]]
            policy = output.improved_policy[b]
            assert policy.sum() == pytest.approx(1.0) and (policy[roots.eliminated[b]] == 0).all()
            np.testing.assert_array_equal(output.visit_counts[b], searcher.tree.children_visits[b, ROOT_INDEX])


@pytest.mark.parametrize("selection", ["gumbel", "puct"])
def test_selection_skips_illegal_actions_even_with_unmasked_logits(selection):
    """The second line of defence: were a node's logits left unmasked, every argmax still skips illegal actions."""
    packed = benchmarks_tasks.get("LIF").graph().packed
    config = SearchConfig(48, selection=selection, max_num_considered_actions=4)
    _, searcher, _ = next(
        itertools.islice(searches(kernels.repeat_graph(packed, 1), uniform_evaluator, config, seed=5), 3, None)
    )
    tree = searcher.tree
    tree.children_prior_logits[~tree.legal] = 50.0  # what an expansion that forgot the mask would store
    tree.children_prior_probs[~tree.legal] = 1.0
    tree.children_visits[0, ROOT_INDEX] = 0  # the root as at the start of a search: every action is considered
    checked = 0
    for node in np.flatnonzero(tree.node_visits[0] > 0):
        if not tree.legal[0, node].any():
            continue
        if selection == "puct":
            action = search.puct_action(tree, 0, node, searcher.settings)
        elif node == ROOT_INDEX:
            action = search.gumbel_root_action(tree, 0, searcher.table, searcher.settings, searcher.scratch)
        else:
            action = search.interior_action(tree, 0, node, searcher.settings, searcher.scratch)
        assert tree.legal[0, node, action]
        assert tree.legal[0, node, reference._select(tree, 0, node, searcher.table, searcher.settings)]
        checked += 1
    assert checked > 10


class CheckingEvaluator:
    """The uniform evaluator, checking every leaf it is given: its state is the one its key names."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, leaves: Leaves):
        self.calls += 1
        assert leaves.needed.shape == leaves.normalizer.shape == (leaves.edges.shape[0],)
        edges, eliminated = np.empty_like(leaves.edges[0]), np.empty_like(leaves.eliminated[0])
        for b in np.flatnonzero(leaves.needed):
            graph = kernels.graph_at(leaves.batch, b)
            kernels.state_from_key(graph, leaves.keys[b], edges, eliminated, kernels.scratch(graph))
            np.testing.assert_array_equal(eliminated, leaves.eliminated[b])
            np.testing.assert_array_equal(edges, leaves.edges[b])
        return uniform_evaluator(leaves)


@pytest.mark.parametrize("undo_per_vertex", [search.UNDO_PER_VERTEX, 0])  # 0: every undo log overflows
def test_every_leaf_has_the_state_of_its_key(undo_per_vertex, monkeypatch):
    """Path replay through the undo log (or a copy of the root when it overflows) rebuilds the right states."""
    monkeypatch.setattr(search, "UNDO_PER_VERTEX", undo_per_vertex)
    graphs = [benchmarks_tasks.get(task).graph().packed for task in ("RoeFlux", "MLP")] + [small_graph(9, 12).packed]
    evaluator, config = CheckingEvaluator(), SearchConfig(16)
    for _ in itertools.islice(searches(pad_graphs(graphs), evaluator, config, seed=6), 12):
        pass
    assert evaluator.calls == 12 * (config.num_simulations + 1)  # the roots, then once per simulation


def test_sequential_halving_table():
    table = considered_visits_table(4, 16)
    np.testing.assert_array_equal(table[4], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    np.testing.assert_array_equal(table[1], np.arange(16))
    assert table.shape == (5, 16)


# ----------------------------------------------------------------------------- compiled against plain Python


@pytest.mark.parametrize("in_loop", [True, False], ids=["evaluator-in-loop", "evaluator-from-python"])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_compiled_and_plain_python_searches_agree(config, in_loop):
    """Same visit counts, actions, policies and whole trees, move after move, on a fixed seed.

    The compiled search runs the (compiled) rollout evaluator inside its loop,
    or calls it from Python at every simulation as it calls a network.
    """
    _, batch = mixed_batch()
    config = SearchConfig(16, **config)
    evaluator = rollout_evaluator if in_loop else lambda leaves: rollout_evaluator(leaves)
    compiled = searches(batch, evaluator, config, seed=3)
    python = searches(batch, rollout_evaluator, config, seed=3, run=reference.run_search)
    moves = 0
    for (_, fast, out_fast), (_, slow, out_slow) in zip(compiled, python, strict=True):
        for name, a, b in zip(out_fast._fields, out_fast, out_slow):
            np.testing.assert_array_equal(a, b, err_msg=name)
        for name, a, b in zip(Tree._fields, fast.tree, slow.tree):
            np.testing.assert_array_equal(a, b, err_msg=name)
        moves += 1
    assert moves == batch.num_intermediates


def test_path_replay_and_keys_rebuild_the_same_states():
    _, batch = mixed_batch()
    by_path = search_orders(batch, rollout_evaluator, 16, seed=4)
    by_key = search_orders(batch, rollout_evaluator, 16, seed=4, rebuild="key")
    assert by_path[0] == by_key[0] and (by_path[1] == by_key[1]).all()


def test_the_search_loads_neither_torch_nor_gymnasium():
    code = "import sys, baselines.mcts\nprint('torch' in sys.modules, 'gymnasium' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    assert result.stdout.split() == ["False", "False"]
