"""The tree search of :mod:`baselines.mcts.search` in plain Python: the tests' oracle and the speed baseline.

Same arrays, same decisions, same floating-point operations in the same order
(so the same numbers to the last bit), written the way one would in Python:
a node's rows read as lists, loops and comprehensions. Only the environment
step calls compiled code (the kernels). Use it through ``run=reference.run_search``
(:class:`~baselines.mcts.search.Searcher`, :func:`~baselines.mcts.driver.search_orders`).
"""

from __future__ import annotations

import math

import numpy as np

from baselines.mcts.evaluators import Leaves
from baselines.mcts.search import (
    EPSILON,
    LOW_SCORE,
    MIN_LOGIT,
    TINY,
    Evaluation,
    Roots,
    SearchOutput,
    Selection,
    Settings,
)
from baselines.mcts.tree import NO_PARENT, ROOT_INDEX, UNVISITED, Tree
from ccgym import kernels


def _softmax(logits: list[float]) -> list[float]:
    """Softmax, summed left to right as the compiled loop."""
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = 0.0
    for x in exps:  # left to right, as the compiled loop (not sum(): Python >= 3.12 compensates)
        total += x
    return [x / total for x in exps]


def _masked(logits, legal: list[bool]) -> list[float]:
    """Logits less the largest legal one; illegal ones the finite minimum."""
    top = max((x for x, ok in zip(logits, legal) if ok), default=-math.inf)
    return [x - top if ok else MIN_LOGIT for x, ok in zip(logits, legal)]


class _Node:
    """One node's rows as Python lists."""

    def __init__(self, tree: Tree, b: int, node: int) -> None:
        self.visits = tree.children_visits[b, node].tolist()
        self.logits = tree.children_prior_logits[b, node].tolist()
        self.probs = tree.children_prior_probs[b, node].tolist()
        self.legal = tree.legal[b, node].tolist()
        rewards, values = tree.children_rewards[b, node].tolist(), tree.children_values[b, node].tolist()
        self.q = [r + v for r, v in zip(rewards, values)]
        self.count = int(tree.node_visits[b, node])
        self.raw_value = float(tree.raw_values[b, node])
        self.value = float(tree.node_values[b, node])


def _completed_q(node: _Node, settings: Settings) -> list[float]:
    """Completed Q-values by the mixed value, rescaled (:func:`baselines.mcts.search.completed_qvalues_into`)."""
    visited = [n > 0 for n in node.visits]
    sum_visits, sum_probs, weighted_q = 0, 0.0, 0.0
    for n, p, q, seen in zip(node.visits, node.probs, node.q, visited):
        if seen:
            sum_visits += n
            sum_probs += max(TINY, p)
            weighted_q += max(TINY, p) * q
    mixed = (
        (node.raw_value + sum_visits * (weighted_q / sum_probs)) / (sum_visits + 1) if sum_visits else node.raw_value
    )
    completed = [q if seen else mixed for q, seen in zip(node.q, visited)]
    low = min(q for q, ok in zip(completed, node.legal) if ok)
    high = max(q for q, ok in zip(completed, node.legal) if ok)
    scale = (settings.maxvisit_init + max(node.visits)) * settings.value_scale / max(high - low, EPSILON)
    return [(q - low) * scale if ok else 0.0 for q, ok in zip(completed, node.legal)]


def _argmax(scores: list[float | None]) -> int:
    """First index of the largest score; ``None`` entries are excluded."""
    best = -1
    for a, score in enumerate(scores):
        if score is not None and (best < 0 or score > scores[best]):
            best = a
    return best


def _considered_action(node: _Node, gumbel: list[float], q: list[float], considered: int) -> int:
    """The root action of best Gumbel score among the legal ones visited ``considered`` times."""
    return _argmax(
        [
            max(LOW_SCORE, g + logit + value) if ok and n == considered else None
            for g, logit, value, ok, n in zip(gumbel, node.logits, q, node.legal, node.visits)
        ]
    )


def _select(tree: Tree, b: int, index: int, table: np.ndarray, settings: Settings) -> int:
    """The action a simulation takes at node ``index`` of game ``b``."""
    node = _Node(tree, b, index)
    if settings.puct:
        seen = [q for q, ok, n in zip(node.q, node.legal, node.visits) if ok and n > 0]
        low, high = min([node.value, *seen]), max([node.value, *seen])
        exploration = math.sqrt(node.count) * (
            settings.pb_c_init + math.log((node.count + settings.pb_c_base + 1) / settings.pb_c_base)
        )
        return _argmax(
            [
                ((q - low) / max(high - low, EPSILON) if n > 0 else 0.0) + exploration * p / (n + 1) if ok else None
                for q, p, n, ok in zip(node.q, node.probs, node.visits, node.legal)
            ]
        )
    q = _completed_q(node, settings)
    if index == ROOT_INDEX:
        considered = int(table[min(settings.max_num_considered_actions, sum(node.legal)), sum(node.visits)])
        return _considered_action(node, tree.root_gumbel[b].tolist(), q, considered)
    improved = _softmax([logit + value for logit, value in zip(node.logits, q)])
    total = sum(node.visits)
    return _argmax([p - n / (1 + total) if ok else None for p, n, ok in zip(improved, node.visits, node.legal)])


def _leaf_state(tree: Tree, roots: Roots, leaves: Leaves, settings: Settings, b: int, index: int, action: int) -> int:
    """Write the state after ``action`` from node ``index`` into game ``b``'s leaf; returns its multiplications."""
    graph = kernels.graph_at(leaves.batch, b)
    edges, eliminated = leaves.edges[b], leaves.eliminated[b]
    touched = kernels.scratch(graph)
    if settings.from_keys:
        kernels.state_from_key(graph, tree.keys[b, index], edges, eliminated, touched)
    else:
        path = []
        while index != ROOT_INDEX:
            path.append(int(tree.action_from_parent[b, index]))
            index = int(tree.parents[b, index])
        edges[:] = roots.edges[b]
        eliminated[:] = roots.eliminated[b]
        for a in reversed(path):
            kernels.step(graph, edges, eliminated, a, touched)
    return int(kernels.step(graph, edges, eliminated, action, touched)[0])


def _load_roots(roots: Roots, leaves: Leaves) -> None:
    """The roots' states into the leaf buffers, for their evaluation."""
    leaves.edges[:] = roots.edges
    leaves.eliminated[:] = roots.eliminated
    for b in range(len(roots.active)):
        leaves.keys[b] = kernels.state_key(roots.eliminated[b])
    leaves.needed[:] = roots.active


def _set_node(tree: Tree, b: int, index: int, leaves: Leaves, logits, values) -> None:
    """Fill node ``index`` of game ``b`` from its leaf and evaluation."""
    legal = [not e for e in leaves.eliminated[b].tolist()]
    tree.keys[b, index] = leaves.keys[b]
    tree.legal[b, index] = legal
    masked = _masked(logits[b].tolist(), legal)
    tree.children_prior_logits[b, index] = masked
    tree.children_prior_probs[b, index] = _softmax(masked)
    value = float(values[b]) if leaves.needed[b] else 0.0
    tree.raw_values[b, index] = value
    tree.node_values[b, index] = value


def _expand_roots(tree: Tree, roots: Roots, leaves: Leaves, logits, values, gumbel) -> None:
    """Empty the trees, then make each active root."""
    for name, field in tree._asdict().items():
        field.fill({"parents": NO_PARENT, "action_from_parent": NO_PARENT, "children_index": UNVISITED}.get(name, 0))
    for b in np.flatnonzero(roots.active):
        _set_node(tree, b, ROOT_INDEX, leaves, logits, values)
        tree.node_visits[b, ROOT_INDEX] = 1
        tree.root_gumbel[b] = gumbel[b]


def _simulate_and_step(
    tree: Tree, roots: Roots, table, settings: Settings, selection: Selection, leaves: Leaves
) -> None:
    """Select down to a new edge in every active game and step its leaf."""
    leaves.needed[:] = False
    for b in np.flatnonzero(roots.active):
        index = ROOT_INDEX
        while True:
            action = _select(tree, b, index, table, settings)
            child = int(tree.children_index[b, index, action])
            if child == UNVISITED or not tree.legal[b, child].any():
                break
            index = child
        selection.parent[b], selection.action[b] = index, action
        if child == UNVISITED:
            mults = _leaf_state(tree, roots, leaves, settings, b, index, action)
            selection.reward[b] = -mults / leaves.normalizer[b]
            leaves.keys[b] = kernels.state_key(leaves.eliminated[b])
            leaves.needed[b] = not leaves.eliminated[b].all()


def _expand_and_backward(
    tree: Tree, roots: Roots, simulation: int, selection: Selection, leaves: Leaves, logits, values
) -> None:
    """Add each leaf's node and back its value up to the root."""
    for b in np.flatnonzero(roots.active):
        parent, action = int(selection.parent[b]), int(selection.action[b])
        index = int(tree.children_index[b, parent, action])
        if index == UNVISITED:
            index = simulation + 1
            tree.children_index[b, parent, action] = index
            tree.children_rewards[b, parent, action] = selection.reward[b]
            tree.parents[b, index] = parent
            tree.action_from_parent[b, index] = action
            _set_node(tree, b, index, leaves, logits, values)
        tree.node_visits[b, index] += 1
        value = float(tree.node_values[b, index])
        while index != ROOT_INDEX:
            parent, action = int(tree.parents[b, index]), int(tree.action_from_parent[b, index])
            value = float(tree.children_rewards[b, parent, action]) + value
            count = int(tree.node_visits[b, parent])
            tree.node_values[b, parent] = (float(tree.node_values[b, parent]) * count + value) / (count + 1)
            tree.children_values[b, parent, action] = tree.node_values[b, index]
            tree.children_visits[b, parent, action] += 1
            tree.node_visits[b, parent] = count + 1
            index = parent


def _summarize(tree: Tree, roots: Roots, settings: Settings, output: SearchOutput) -> None:
    """Action, visit counts, improved policy and root value of every game into ``output``."""
    output.visit_counts[:] = tree.children_visits[:, ROOT_INDEX]
    output.root_value[:] = tree.node_values[:, ROOT_INDEX]
    output.action[:] = -1
    output.improved_policy[:] = 0.0
    for b in np.flatnonzero(roots.active):
        node = _Node(tree, b, ROOT_INDEX)
        if settings.puct:
            output.action[b] = _argmax([n if ok else None for n, ok in zip(node.visits, node.legal)])
            output.improved_policy[b] = [n / sum(node.visits) for n in node.visits]
            continue
        q = _completed_q(node, settings)
        output.action[b] = _considered_action(node, tree.root_gumbel[b].tolist(), q, max(node.visits))
        output.improved_policy[b] = _softmax([logit + value for logit, value in zip(node.logits, q)])


def run_search(
    tree: Tree,
    roots: Roots,
    table,
    settings: Settings,
    selection: Selection,
    leaves: Leaves,
    scratch,
    evaluation: Evaluation,
    output: SearchOutput,
    evaluator: int,
):
    """:func:`baselines.mcts.search.run_search` in plain Python (``scratch`` is not used).

    It yields for every evaluation whatever ``evaluator`` says: the caller
    calls the evaluator, compiled or not, from Python.
    """
    _load_roots(roots, leaves)
    yield -1
    _expand_roots(tree, roots, leaves, evaluation.logits, evaluation.values, evaluation.gumbel)
    for simulation in range(table.shape[1]):
        _simulate_and_step(tree, roots, table, settings, selection, leaves)
        yield simulation
        _expand_and_backward(tree, roots, simulation, selection, leaves, evaluation.logits, evaluation.values)
    _summarize(tree, roots, settings, output)
