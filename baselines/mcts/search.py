"""Gumbel MuZero search (or PUCT) over ``B`` games at once, compiled with Numba, on the real elimination kernels.

mctx's structure, ported: a simulation is :func:`simulate` (select from the
root down to an edge not expanded yet, in every game), :func:`step_leaves`
(the environment as the model: rebuild the parent's state, eliminate the
action; reward ``-mults / normalizer``, discount 1, a terminal state has
value 0), one call of the Python evaluator on the leaves of all games,
:func:`expand` and :func:`backward`. :func:`run_search` is the whole search
as one compiled generator that yields whenever the leaves wait for the
evaluator, so only the evaluator call is Python; every loop over games, nodes
and actions is ``njit`` code, and nothing is allocated per node. The
per-simulation functions are :func:`ccgym.kernels.uncounted`: they read the
tree's named tuples inside their loops, where Numba's reference counting cost
more than the search itself. An evaluator written in Numba
(:class:`~baselines.mcts.evaluators.CompiledEvaluator`, such as the uniform
and rollout ones) is called from inside the loop instead (``evaluator`` of
:func:`run_search`): no Python at all during a search.

- **Root** (``selection="gumbel"``): Gumbel noise ``g`` per legal action;
  sequential halving over ``m = min(max_num_considered_actions, #legal)``
  actions, driven by a precomputed table of visit counts
  (:func:`considered_visits_table`); the simulation picks the argmax of
  ``g + logits + sigma(q)`` among the actions whose count equals the table's.
- **Interior nodes**: deterministic, the legal argmax of
  ``softmax(logits + sigma(q)) - N(a) / (1 + sum N)``.
- ``sigma(q)``: completed Q-values (:func:`completed_qvalues_into`): unvisited
  actions get the mixed value, then min-max rescaling over the legal actions
  and the factor ``(maxvisit_init + max N) * value_scale``.
- **Result per root**: the action taken is, among the most visited, the one
  of largest ``g + logits + sigma(q)``; the improved policy (the training
  target) is ``softmax(logits + sigma(q))``.
- ``selection="puct"``: AlphaZero's PUCT at every node (Q normalised by the
  parent and siblings), the most visited action, the visit distribution as
  the policy.

Masks hold at every depth: each node stores its legal actions, illegal logits
hold the dtype's finite minimum (so softmax gives them 0, never NaN) and every
argmax skips them.

A leaf's parent state is rebuilt in the game's leaf buffer by replaying its
path from the root (``rebuild="path"``, the default): the previous leaf's
changes are undone from a log of the entries each elimination changed (a
copy of the root only if the log overflowed), then the path's few actions
are eliminated. ``rebuild="key"`` rebuilds it from the node's state key
instead (every eliminated vertex again, from the initial graph). Both give
the same states; path replay is faster, most of all late in an episode
(``python -m baselines.bench.mcts``: 5-13x on RoeFlux half-way through).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from numba import njit

from baselines.mcts.evaluators import FROM_PYTHON, CompiledEvaluator, Evaluator, Leaves, evaluate_compiled
from baselines.mcts.tree import ROOT_INDEX, UNVISITED, Tree, is_terminal, tree_init, tree_reset
from ccgym import kernels
from ccgym.kernels import PackedBatch, PackedGraph, uncounted

MIN_LOGIT = float(np.finfo(np.float64).min)  # logit of an illegal action: finite, so softmax never sees -inf
TINY = float(np.finfo(np.float64).tiny)  # floor of a prior probability in the mixed value
LOW_SCORE = -1e9  # floor of a considered action's score at the root, as mctx
EPSILON = 1e-8  # smallest denominator of a min-max rescaling
SELECTIONS = ("gumbel", "puct")
REBUILDS = ("path", "key")
UNDO_PER_VERTEX = 16  # undo log entries per vertex of the layout, per game


class SearchConfig(NamedTuple):
    """Settings of one search; the defaults are mctx's (Gumbel MuZero, PUCT constants of MuZero)."""

    num_simulations: int
    max_num_considered_actions: int = 16
    gumbel_scale: float = 1.0  # 0 for a deterministic search
    value_scale: float = 0.1
    maxvisit_init: float = 50.0
    selection: str = "gumbel"  # or "puct"
    pb_c_init: float = 1.25
    pb_c_base: float = 19652.0
    rebuild: str = "path"  # or "key"


class Settings(NamedTuple):
    """The numbers of a :class:`SearchConfig` that the compiled steps read."""

    puct: bool
    from_keys: bool
    max_num_considered_actions: int
    value_scale: float
    maxvisit_init: float
    pb_c_init: float
    pb_c_base: float

    @classmethod
    def of(cls, config: SearchConfig) -> Settings:
        if config.selection not in SELECTIONS or config.rebuild not in REBUILDS:
            raise ValueError(f"selection must be one of {SELECTIONS} and rebuild one of {REBUILDS}, got {config}")
        if config.num_simulations < 1 or config.max_num_considered_actions < 1:
            raise ValueError(f"num_simulations and max_num_considered_actions must be at least 1, got {config}")
        return cls(
            config.selection == "puct",
            config.rebuild == "key",
            int(config.max_num_considered_actions),
            float(config.value_scale),
            float(config.maxvisit_init),
            float(config.pb_c_init),
            float(config.pb_c_base),
        )


class Roots(NamedTuple):
    """The current state of every game: where each search starts."""

    edges: np.ndarray  # int64[B, V, V]
    eliminated: np.ndarray  # bool[B, A], padding actions marked (as kernels.reset_batch does)
    active: np.ndarray  # bool[B], games not finished: only these are searched


class Selection(NamedTuple):
    """Per game, the edge a simulation expands and what it led to."""

    parent: np.ndarray  # int64[B], node the selection ended at
    action: np.ndarray  # int64[B], action taken from it
    reward: np.ndarray  # float64[B], of that step (written only for a new node)
    node: np.ndarray  # int64[B], the leaf node, after expand


class Scratch(NamedTuple):
    """Working space of the compiled steps, allocated once."""

    qvalues: np.ndarray  # float64[A]
    logits: np.ndarray  # float64[A], the improved policy's logits at an interior node
    path: np.ndarray  # int64[A], actions from a node up to the root
    touched: np.ndarray  # int64[V], kernel scratch
    undo_cells: np.ndarray  # int64[B, L], per game: entries ``src * V + dst`` the leaf changed since its root ...
    undo_codes: np.ndarray  # int64[B, L], ... and their codes before (L = UNDO_PER_VERTEX * V)
    undo_count: np.ndarray  # int64[B], entries logged
    undo_stale: np.ndarray  # bool[B], the log overflowed: copy the root instead of undoing


class Evaluation(NamedTuple):
    """The evaluator's outputs for the current leaves, and the roots' Gumbel noise."""

    logits: np.ndarray  # float64[B, A]
    values: np.ndarray  # float64[B]
    gumbel: np.ndarray  # float64[B, A], drawn once per search (times gumbel_scale)


class SearchOutput(NamedTuple):
    """What one search gives per game (zeros and action -1 for inactive games)."""

    action: np.ndarray  # int64[B], the action to play
    visit_counts: np.ndarray  # int64[B, A], the root's children visits
    improved_policy: np.ndarray  # float64[B, A], the policy target
    root_value: np.ndarray  # float64[B], the search's value of the root


def considered_visits_table(max_num_considered: int, num_simulations: int) -> np.ndarray:
    """Sequential halving's visit count of the considered actions at each simulation, for every ``m``.

    Row ``m`` (``0 .. max_num_considered``) is the sequence for ``m``
    considered actions: each round gives every considered action
    ``max(1, num_simulations // (ceil(log2 m) * m_now))`` visits, then halves
    ``m_now`` (never below 2). ``int64[max_num_considered + 1, num_simulations]``.
    """
    table = np.empty((max_num_considered + 1, num_simulations), np.int64)
    for m in range(max_num_considered + 1):
        if m <= 1:
            table[m] = np.arange(num_simulations)
            continue
        log2m = math.ceil(math.log2(m))
        sequence: list[int] = []
        visits = [0] * m
        considered = m
        while len(sequence) < num_simulations:
            for _ in range(max(1, num_simulations // (log2m * considered))):
                sequence.extend(visits[:considered])
                for i in range(considered):
                    visits[i] += 1
            considered = max(2, considered // 2)
        table[m] = sequence[:num_simulations]
    return table


def reverse_costs(batch: PackedBatch) -> np.ndarray:
    """Each graph's reverse-mode multiplications (at least 1): the value normalizer. ``float64[B]``."""
    costs = np.empty(batch.sizes.shape[0], np.float64)
    _reverse_costs_into(batch, costs)
    return costs


@njit(cache=True)
def _reverse_costs_into(batch: PackedBatch, out) -> None:
    """Writes ``out[b]``."""
    for b in range(out.shape[0]):
        order = np.arange(batch.sizes[b, 1])[::-1].copy()
        out[b] = max(1, kernels.run_order(kernels.graph_at(batch, b), order)[0])


# ----------------------------------------------------------------------------- policies of one node


@uncounted
def softmax_into(logits, out) -> None:
    """``out = softmax(logits)`` (``out`` may be ``logits``). Writes ``out``."""
    top = logits[0]
    for a in range(1, logits.shape[0]):
        top = max(top, logits[a])
    total = 0.0
    for a in range(logits.shape[0]):
        out[a] = math.exp(logits[a] - top)
        total += out[a]
    for a in range(logits.shape[0]):
        out[a] /= total


@uncounted
def mask_logits_into(logits, legal, out) -> None:
    """``out`` = logits less the largest legal one on legal actions, the finite minimum elsewhere. Writes ``out``."""
    top = -np.inf
    for a in range(logits.shape[0]):
        if legal[a]:
            top = max(top, logits[a])
    for a in range(logits.shape[0]):
        out[a] = logits[a] - top if legal[a] else MIN_LOGIT


@uncounted
def completed_qvalues_into(tree: Tree, b: int, node: int, settings: Settings, out) -> None:
    """mctx's ``qtransform_completed_by_mix_value`` over the legal actions (illegal ones get 0).

    Visited actions keep ``Q = reward + value``; unvisited ones get the mixed
    value ``(raw_value + sum N * sum_visited(pi Q) / sum_visited(pi)) / (sum N + 1)``
    (``pi`` floored at the smallest normal float); then
    ``(q - min) / max(max - min, EPSILON) * (maxvisit_init + max N) * value_scale``
    with min and max over the legal actions. Writes ``out``.
    """
    visits, probs, legal = tree.children_visits[b, node], tree.children_prior_probs[b, node], tree.legal[b, node]
    rewards, values = tree.children_rewards[b, node], tree.children_values[b, node]
    sum_visits = 0
    max_visits = 0
    sum_probs = 0.0
    weighted_q = 0.0
    for a in range(visits.shape[0]):
        if visits[a] > 0:
            sum_visits += visits[a]
            max_visits = max(max_visits, visits[a])
            p = max(TINY, probs[a])
            sum_probs += p
            weighted_q += p * (rewards[a] + values[a])
    mixed = tree.raw_values[b, node]
    if sum_visits > 0:
        mixed = (mixed + sum_visits * (weighted_q / sum_probs)) / (sum_visits + 1)
    low = np.inf
    high = -np.inf
    for a in range(visits.shape[0]):
        if legal[a]:
            out[a] = rewards[a] + values[a] if visits[a] > 0 else mixed
            low = min(low, out[a])
            high = max(high, out[a])
    scale = (settings.maxvisit_init + max_visits) * settings.value_scale / max(high - low, EPSILON)
    for a in range(visits.shape[0]):
        out[a] = (out[a] - low) * scale if legal[a] else 0.0


@uncounted
def considered_action(tree: Tree, b: int, considered_visit: int, qvalues) -> int:
    """The legal root action of largest ``max(LOW_SCORE, g + logits + q)`` among those visited ``considered_visit``
    times (mctx's ``score_considered``); -1 if there is none. Writes nothing.
    """
    legal, visits = tree.legal[b, ROOT_INDEX], tree.children_visits[b, ROOT_INDEX]
    gumbel, logits = tree.root_gumbel[b], tree.children_prior_logits[b, ROOT_INDEX]
    best = -1
    best_score = 0.0
    for a in range(qvalues.shape[0]):
        if legal[a] and visits[a] == considered_visit:
            score = max(LOW_SCORE, gumbel[a] + logits[a] + qvalues[a])
            if best < 0 or score > best_score:
                best, best_score = a, score
    return best


@uncounted
def gumbel_root_action(tree: Tree, b: int, table, settings: Settings, scratch: Scratch) -> int:
    """Sequential halving with Gumbel at the root. Writes the scratch's ``qvalues``."""
    qvalues = scratch.qvalues
    completed_qvalues_into(tree, b, ROOT_INDEX, settings, qvalues)
    legal, visits = tree.legal[b, ROOT_INDEX], tree.children_visits[b, ROOT_INDEX]
    num_legal = 0
    simulation = 0
    for a in range(qvalues.shape[0]):
        num_legal += legal[a]
        simulation += visits[a]
    considered = table[min(settings.max_num_considered_actions, num_legal), simulation]
    return considered_action(tree, b, considered, qvalues)


@uncounted
def interior_action(tree: Tree, b: int, node: int, settings: Settings, scratch: Scratch) -> int:
    """The legal argmax of ``softmax(logits + sigma(q)) - N(a) / (1 + sum N)``.

    Writes the scratch's ``qvalues`` and ``logits``.
    """
    qvalues, logits = scratch.qvalues, scratch.logits
    completed_qvalues_into(tree, b, node, settings, qvalues)
    visits, legal, prior = tree.children_visits[b, node], tree.legal[b, node], tree.children_prior_logits[b, node]
    sum_visits = 0
    top = -np.inf
    for a in range(qvalues.shape[0]):
        sum_visits += visits[a]
        if legal[a]:
            logits[a] = prior[a] + qvalues[a]
            top = max(top, logits[a])
    total = 0.0  # softmax over the legal actions: an illegal logit's exp(finite minimum - top) is exactly 0
    for a in range(qvalues.shape[0]):
        if legal[a]:
            logits[a] = math.exp(logits[a] - top)
            total += logits[a]
    best = -1
    best_score = 0.0
    for a in range(qvalues.shape[0]):
        if legal[a]:
            score = logits[a] / total - visits[a] / (1 + sum_visits)
            if best < 0 or score > best_score:
                best, best_score = a, score
    return best


@uncounted
def puct_action(tree: Tree, b: int, node: int, settings: Settings) -> int:
    """The legal argmax of ``Q_norm(a) + sqrt(N) * c(N) * P(a) / (1 + N(a))``; writes nothing.

    ``Q_norm`` is mctx's ``qtransform_by_parent_and_siblings``: Q min-max
    rescaled with the node's value, unvisited actions 0;
    ``c(N) = pb_c_init + log((N + pb_c_base + 1) / pb_c_base)``.
    """
    probs, visits, legal = tree.children_prior_probs[b, node], tree.children_visits[b, node], tree.legal[b, node]
    rewards, values = tree.children_rewards[b, node], tree.children_values[b, node]
    low = tree.node_values[b, node]
    high = low
    for a in range(probs.shape[0]):
        if legal[a] and visits[a] > 0:
            low = min(low, rewards[a] + values[a])
            high = max(high, rewards[a] + values[a])
    count = tree.node_visits[b, node]
    exploration = math.sqrt(count) * (
        settings.pb_c_init + math.log((count + settings.pb_c_base + 1) / settings.pb_c_base)
    )
    best = -1
    best_score = 0.0
    for a in range(probs.shape[0]):
        if not legal[a]:
            continue
        value = (rewards[a] + values[a] - low) / max(high - low, EPSILON) if visits[a] > 0 else 0.0
        score = value + exploration * probs[a] / (visits[a] + 1)
        if best < 0 or score > best_score:
            best, best_score = a, score
    return best


# ----------------------------------------------------------------------------- the steps of a simulation


@uncounted
def simulate(tree: Tree, roots: Roots, table, settings: Settings, selection: Selection, scratch: Scratch) -> None:
    """Select from each active root down to an edge not expanded yet, or to a terminal node.

    Writes ``selection.parent`` and ``selection.action`` (and the scratch).
    """
    for b in range(roots.active.shape[0]):
        if not roots.active[b]:
            continue
        node = ROOT_INDEX
        while True:
            if settings.puct:
                action = puct_action(tree, b, node, settings)
            elif node == ROOT_INDEX:
                action = gumbel_root_action(tree, b, table, settings, scratch)
            else:
                action = interior_action(tree, b, node, settings, scratch)
            child = tree.children_index[b, node, action]
            if child == UNVISITED or is_terminal(tree, b, child):
                break
            node = child
        selection.parent[b] = node
        selection.action[b] = action


@uncounted
def logged_step(graph: PackedGraph, edges, eliminated, action: int, b: int, scratch: Scratch) -> int:
    """:func:`ccgym.kernels.step`, after logging the entries it will change in game ``b``'s undo log.

    The entries are ``pred -> vertex``, ``pred -> succ`` and ``vertex -> succ``;
    a log that would overflow is marked stale instead. Returns the
    multiplications. Writes ``edges``, ``eliminated`` and the scratch (``touched``, the undo log).
    """
    if not scratch.undo_stale[b]:
        vertex = graph.num_inputs + action
        v = edges.shape[0]
        touched, cells, codes = scratch.touched, scratch.undo_cells[b], scratch.undo_codes[b]
        preds = 0
        for i in range(vertex):
            if edges[i, vertex] != kernels.NO_EDGE:
                touched[preds] = i
                preds += 1
        succs = 0
        for j in range(vertex + 1, v):
            if edges[vertex, j] != kernels.NO_EDGE:
                touched[preds + succs] = j
                succs += 1
        count = scratch.undo_count[b]
        if count + preds * succs + preds + succs > cells.shape[0]:
            scratch.undo_stale[b] = True
        else:
            for p in range(preds):
                i = touched[p]
                cells[count], codes[count] = i * v + vertex, edges[i, vertex]
                count += 1
                for s in range(preds, preds + succs):
                    cells[count], codes[count] = i * v + touched[s], edges[i, touched[s]]
                    count += 1
            for s in range(preds, preds + succs):
                cells[count], codes[count] = vertex * v + touched[s], edges[vertex, touched[s]]
                count += 1
            scratch.undo_count[b] = count
    return kernels.step(graph, edges, eliminated, action, scratch.touched)[0]


@uncounted
def restore_root(roots: Roots, b: int, edges, eliminated, scratch: Scratch) -> None:
    """Bring game ``b``'s leaf buffers back to its root: undo the log (newest entry first), or copy the root if stale.

    Writes ``edges``, ``eliminated`` and the undo log (emptied).
    """
    if scratch.undo_stale[b]:
        kernels.assign(edges, roots.edges[b])
    else:
        v = edges.shape[0]
        cells, codes = scratch.undo_cells[b], scratch.undo_codes[b]
        for k in range(scratch.undo_count[b] - 1, -1, -1):
            edges[cells[k] // v, cells[k] % v] = codes[k]
    scratch.undo_count[b] = 0
    scratch.undo_stale[b] = False
    kernels.assign(eliminated, roots.eliminated[b])


@uncounted
def replay_path(
    graph: PackedGraph, tree: Tree, roots: Roots, b: int, node: int, edges, eliminated, scratch: Scratch
) -> None:
    """Write the state of ``node`` into game ``b``'s leaf buffers: back to the root, then its path's actions, logged.

    Writes ``edges``, ``eliminated`` and the scratch (``path``, ``touched``, the undo log).
    """
    path, parents, actions = scratch.path, tree.parents[b], tree.action_from_parent[b]
    depth = 0
    while node != ROOT_INDEX:
        path[depth] = actions[node]
        node = parents[node]
        depth += 1
    restore_root(roots, b, edges, eliminated, scratch)
    for i in range(depth - 1, -1, -1):
        logged_step(graph, edges, eliminated, path[i], b, scratch)


@uncounted
def step_leaves(
    tree: Tree, roots: Roots, settings: Settings, selection: Selection, leaves: Leaves, scratch: Scratch
) -> None:
    """The environment as the model: every selected edge not expanded yet is stepped with the real kernels.

    The parent's state is rebuilt in the leaf buffers by :func:`replay_path`,
    or from its key (``settings.from_keys``, which leaves the undo log stale).
    Writes, per game, the leaf's state into ``leaves`` (``edges``,
    ``eliminated``, ``keys``), ``leaves.needed`` (a new, non-terminal leaf of
    an active game), ``selection.reward`` (``-mults / normalizer``) and the scratch.
    """
    for b in range(roots.active.shape[0]):
        leaves.needed[b] = False
        parent, action = selection.parent[b], selection.action[b]
        if not roots.active[b] or tree.children_index[b, parent, action] != UNVISITED:
            continue
        graph = kernels.graph_at(leaves.batch, b)
        edges, eliminated = leaves.edges[b], leaves.eliminated[b]
        if settings.from_keys:
            kernels.state_from_key(graph, tree.keys[b, parent], edges, eliminated, scratch.touched)
            scratch.undo_stale[b] = True
        else:
            replay_path(graph, tree, roots, b, parent, edges, eliminated, scratch)
        mults = logged_step(graph, edges, eliminated, action, b, scratch)
        selection.reward[b] = -mults / leaves.normalizer[b]
        kernels.state_key_into(eliminated, leaves.keys[b])
        leaves.needed[b] = not eliminated.all()


@uncounted
def set_node(tree: Tree, b: int, node: int, leaves: Leaves, logits, values) -> None:
    """Fill a new node from game ``b``'s leaf and its evaluation (value 0 where not needed: terminal).

    Writes the node's ``keys``, ``legal``, ``children_prior_logits`` (masked), ``children_prior_probs``,
    ``raw_values`` and ``node_values``.
    """
    kernels.assign(tree.keys[b, node], leaves.keys[b])
    legal, eliminated = tree.legal[b, node], leaves.eliminated[b]
    for a in range(legal.shape[0]):
        legal[a] = not eliminated[a]
    mask_logits_into(logits[b], tree.legal[b, node], tree.children_prior_logits[b, node])
    softmax_into(tree.children_prior_logits[b, node], tree.children_prior_probs[b, node])
    value = values[b] if leaves.needed[b] else 0.0
    tree.raw_values[b, node] = value
    tree.node_values[b, node] = value


@uncounted
def expand(tree: Tree, roots: Roots, simulation: int, selection: Selection, leaves: Leaves, logits, values) -> None:
    """Add the node of each selected edge (index ``simulation + 1``), or count a terminal node's revisit.

    Writes, for a new node, the edge's ``children_index`` and ``children_rewards``,
    the node's ``parents``, ``action_from_parent`` and what :func:`set_node`
    writes; for every active game the leaf's ``node_visits`` (+1) and ``selection.node``.
    """
    for b in range(roots.active.shape[0]):
        if not roots.active[b]:
            continue
        parent, action = selection.parent[b], selection.action[b]
        node = tree.children_index[b, parent, action]
        if node == UNVISITED:
            node = simulation + 1
            tree.children_index[b, parent, action] = node
            tree.children_rewards[b, parent, action] = selection.reward[b]
            tree.parents[b, node] = parent
            tree.action_from_parent[b, node] = action
            set_node(tree, b, node, leaves, logits, values)
        tree.node_visits[b, node] += 1
        selection.node[b] = node


@uncounted
def backward(tree: Tree, roots: Roots, selection: Selection) -> None:
    """Back the leaf's value up to the root: ``value <- reward + value`` on every edge, running means at every node.

    Writes ``node_values`` and ``node_visits`` of the ancestors, ``children_values`` and ``children_visits`` of
    the path.
    """
    for b in range(roots.active.shape[0]):
        if not roots.active[b]:
            continue
        parents, actions, node_visits, node_values = (
            tree.parents[b],
            tree.action_from_parent[b],
            tree.node_visits[b],
            tree.node_values[b],
        )
        rewards, children_values, children_visits = (
            tree.children_rewards[b],
            tree.children_values[b],
            tree.children_visits[b],
        )
        node = selection.node[b]
        value = node_values[node]
        while node != ROOT_INDEX:
            parent, action = parents[node], actions[node]
            value = rewards[parent, action] + value
            count = node_visits[parent]
            node_values[parent] = (node_values[parent] * count + value) / (count + 1)
            children_values[parent, action] = node_values[node]
            children_visits[parent, action] += 1
            node_visits[parent] = count + 1
            node = parent


# ----------------------------------------------------------------------------- one search


@uncounted
def load_roots(roots: Roots, leaves: Leaves, scratch: Scratch) -> None:
    """Put every root's state in ``leaves`` for its evaluation.

    Writes ``leaves`` (``edges``, ``eliminated``, ``keys``, ``needed``) and the undo logs (emptied).
    """
    scratch.undo_stale[:] = True
    for b in range(roots.active.shape[0]):
        restore_root(roots, b, leaves.edges[b], leaves.eliminated[b], scratch)
        kernels.state_key_into(roots.eliminated[b], leaves.keys[b])
        leaves.needed[b] = roots.active[b]


@njit(cache=True)
def expand_roots(tree: Tree, roots: Roots, leaves: Leaves, logits, values, gumbel) -> None:
    """Empty the trees and make each active root node from its evaluation.

    Writes every tree field (:func:`tree_reset`), then the root's node fields and ``root_gumbel``.
    """
    tree_reset(tree)
    for b in range(roots.active.shape[0]):
        if roots.active[b]:
            set_node(tree, b, ROOT_INDEX, leaves, logits, values)
            tree.node_visits[b, ROOT_INDEX] = 1
            tree.root_gumbel[b] = gumbel[b]


@njit(cache=True)
def summarize(tree: Tree, roots: Roots, settings: Settings, scratch: Scratch, output: SearchOutput) -> None:
    """The action, visit counts, improved policy and root value of every game. Writes ``output`` (and the scratch)."""
    for b in range(roots.active.shape[0]):
        output.visit_counts[b] = tree.children_visits[b, ROOT_INDEX]
        output.root_value[b] = tree.node_values[b, ROOT_INDEX]
        policy = output.improved_policy[b]
        if not roots.active[b]:
            output.action[b] = -1
            policy[:] = 0.0
            continue
        visits = tree.children_visits[b, ROOT_INDEX]
        if settings.puct:
            best = -1
            for a in range(visits.shape[0]):
                if tree.legal[b, ROOT_INDEX, a] and (best < 0 or visits[a] > visits[best]):
                    best = a
            output.action[b] = best
            policy[:] = visits / visits.sum()
            continue
        completed_qvalues_into(tree, b, ROOT_INDEX, settings, scratch.qvalues)
        output.action[b] = considered_action(tree, b, visits.max(), scratch.qvalues)
        for a in range(visits.shape[0]):
            policy[a] = tree.children_prior_logits[b, ROOT_INDEX, a] + scratch.qvalues[a]
        softmax_into(policy, policy)


@njit(cache=True)
def run_search(
    tree: Tree,
    roots: Roots,
    table,
    settings: Settings,
    selection: Selection,
    leaves: Leaves,
    scratch: Scratch,
    evaluation: Evaluation,
    output: SearchOutput,
    evaluator: int,
):
    """One search of every active game, as a generator: it yields whenever ``leaves`` wait for an evaluation.

    With ``evaluator`` :data:`~baselines.mcts.evaluators.FROM_PYTHON` the
    caller writes the evaluator's outputs for ``leaves`` into ``evaluation``
    and resumes it: first for the roots (``evaluation.gumbel`` must be drawn
    by then), then once per simulation. With the code of a compiled evaluator
    it runs that evaluator in place and never yields: the whole search is one
    resume. Writes the tree, the buffers and, at the end, ``output``.
    """
    load_roots(roots, leaves, scratch)
    if evaluator == FROM_PYTHON:
        yield -1
    else:
        evaluate_compiled(evaluator, leaves, evaluation.logits, evaluation.values)
    expand_roots(tree, roots, leaves, evaluation.logits, evaluation.values, evaluation.gumbel)
    for simulation in range(table.shape[1]):
        simulate(tree, roots, table, settings, selection, scratch)
        step_leaves(tree, roots, settings, selection, leaves, scratch)
        if evaluator == FROM_PYTHON:
            yield simulation
        else:
            evaluate_compiled(evaluator, leaves, evaluation.logits, evaluation.values)
        expand(tree, roots, simulation, selection, leaves, evaluation.logits, evaluation.values)
        backward(tree, roots, selection)
    summarize(tree, roots, settings, scratch, output)


SearchRun = Callable[..., Iterator[int]]  # run_search, or reference.run_search


class Searcher:
    """The search of ``B`` games of one :class:`~ccgym.kernels.PackedBatch`; all storage allocated once.

    ``search(roots, rng)`` runs ``config.num_simulations`` simulations from
    every active root and returns a :class:`SearchOutput`; the evaluator is
    called once for the roots and once per simulation, each time on all games.
    ``run`` is the search generator: :func:`run_search`, or the plain-Python
    one of :mod:`baselines.mcts.reference`. Given a
    :class:`~baselines.mcts.evaluators.CompiledEvaluator`, the search runs it
    in place, without a Python call per simulation.
    """

    def __init__(
        self, batch: PackedBatch, evaluate: Evaluator, config: SearchConfig, run: SearchRun = run_search
    ) -> None:
        self.settings = Settings.of(config)
        self.config = config
        self.evaluate = evaluate
        self.run = run
        b, a, v = batch.sizes.shape[0], batch.num_intermediates, batch.edges.shape[1]
        # own writable copies: one array type (compiled once) whatever made the batch (views, read-only graphs)
        batch = PackedBatch(*(np.array(x, np.int64) for x in batch[:4]), *batch[4:])
        self.table = considered_visits_table(config.max_num_considered_actions, config.num_simulations)
        self.tree = tree_init(b, config.num_simulations, a)
        self.leaves = Leaves(
            batch,
            np.empty((b, v, v), np.int64),
            np.empty((b, a), np.bool_),
            np.empty((b, kernels.key_words(a)), np.uint64),
            np.zeros(b, np.bool_),
            reverse_costs(batch),
        )
        self.selection = Selection(np.zeros(b, np.int64), np.zeros(b, np.int64), np.zeros(b), np.zeros(b, np.int64))
        self.scratch = Scratch(
            np.empty(a),
            np.empty(a),
            np.empty(a, np.int64),
            np.empty(v, np.int64),
            np.empty((b, UNDO_PER_VERTEX * v), np.int64),
            np.empty((b, UNDO_PER_VERTEX * v), np.int64),
            np.zeros(b, np.int64),
            np.ones(b, np.bool_),
        )
        self.evaluation = Evaluation(np.zeros((b, a)), np.zeros(b), np.zeros((b, a)))

    def search(self, roots: Roots, rng: np.random.Generator) -> SearchOutput:
        """Search from ``roots`` (Gumbel noise drawn from ``rng``); a fresh :class:`SearchOutput`."""
        leaves, evaluation, evaluate = self.leaves, self.evaluation, self.evaluate
        b, a = leaves.eliminated.shape
        evaluation.gumbel[:] = self.config.gumbel_scale * rng.gumbel(size=(b, a))
        output = SearchOutput(np.empty(b, np.int64), np.empty((b, a), np.int64), np.empty((b, a)), np.empty(b))
        code = evaluate.code if isinstance(evaluate, CompiledEvaluator) else FROM_PYTHON
        state = (self.tree, roots, self.table, self.settings, self.selection, leaves, self.scratch, evaluation, output)
        for _ in self.run(*state, code):
            logits, values = evaluate(leaves)
            np.copyto(evaluation.logits, logits)
            np.copyto(evaluation.values, values)
        return output
