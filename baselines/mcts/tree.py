"""The search trees of ``B`` games at once, as flat NumPy arrays allocated once.

The layout is mctx's: node ``0`` is the root, the node first expanded by
simulation ``i`` gets index ``i + 1``, so ``N = num_simulations + 1`` nodes
are enough and nothing grows. An edge ``(node, action)`` holds the prior, the
visit count, the reward and the value of the child it leads to.

Shapes: ``B`` games, ``N`` nodes per game, ``A`` actions (the layout's
intermediates: action ``a`` eliminates vertex ``num_inputs + a``), ``W`` words
of a state key (:func:`ccgym.kernels.key_words`).

There is no ``children_discounts``: the discount is 1 on every edge, and a
terminal node (every action eliminated) has no children and value 0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ccgym import kernels

ROOT_INDEX = 0
NO_PARENT = -1  # parents and action_from_parent of the root and of unused nodes
UNVISITED = -1  # children_index of an edge not expanded yet


class Tree(NamedTuple):
    """The search trees of ``B`` games (see the module docstring for the shapes)."""

    node_visits: np.ndarray  # int64[B, N], times a simulation ended at or passed through the node
    raw_values: np.ndarray  # float64[B, N], the evaluator's value of the node (0 at a terminal node)
    node_values: np.ndarray  # float64[B, N], running mean of the returns backed up through the node
    parents: np.ndarray  # int64[B, N], NO_PARENT for the root and unused nodes
    action_from_parent: np.ndarray  # int64[B, N], the action that leads to the node, NO_PARENT likewise
    children_index: np.ndarray  # int64[B, N, A], node the edge leads to, or UNVISITED
    children_prior_logits: np.ndarray  # float64[B, N, A], masked: max legal logit 0, illegal ones the finite minimum
    children_prior_probs: np.ndarray  # float64[B, N, A], softmax of children_prior_logits (0 on illegal actions)
    children_visits: np.ndarray  # int64[B, N, A]
    children_rewards: np.ndarray  # float64[B, N, A], -(multiplications of the step) / normalizer
    children_values: np.ndarray  # float64[B, N, A], node_values of the child
    legal: np.ndarray  # bool[B, N, A], actions not eliminated in the node's state
    keys: np.ndarray  # uint64[B, N, W], the node's state key (its eliminated set)
    root_gumbel: np.ndarray  # float64[B, A], Gumbel noise of the root (times gumbel_scale)


def tree_init(batch_size: int, num_simulations: int, num_actions: int) -> Tree:
    """Storage for the trees of ``batch_size`` games of ``num_simulations`` simulations, reset."""
    b, n, a = batch_size, num_simulations + 1, num_actions
    tree = Tree(
        node_visits=np.empty((b, n), np.int64),
        raw_values=np.empty((b, n), np.float64),
        node_values=np.empty((b, n), np.float64),
        parents=np.empty((b, n), np.int64),
        action_from_parent=np.empty((b, n), np.int64),
        children_index=np.empty((b, n, a), np.int64),
        children_prior_logits=np.empty((b, n, a), np.float64),
        children_prior_probs=np.empty((b, n, a), np.float64),
        children_visits=np.empty((b, n, a), np.int64),
        children_rewards=np.empty((b, n, a), np.float64),
        children_values=np.empty((b, n, a), np.float64),
        legal=np.empty((b, n, a), np.bool_),
        keys=np.empty((b, n, kernels.key_words(a)), np.uint64),
        root_gumbel=np.empty((b, a), np.float64),
    )
    tree_reset(tree)
    return tree


@njit(cache=True)
def tree_reset(tree: Tree) -> None:
    """Empty every tree: no node expanded. Writes every field."""
    tree.node_visits[:] = 0
    tree.raw_values[:] = 0.0
    tree.node_values[:] = 0.0
    tree.parents[:] = NO_PARENT
    tree.action_from_parent[:] = NO_PARENT
    tree.children_index[:] = UNVISITED
    tree.children_prior_logits[:] = 0.0
    tree.children_prior_probs[:] = 0.0
    tree.children_visits[:] = 0
    tree.children_rewards[:] = 0.0
    tree.children_values[:] = 0.0
    tree.legal[:] = False
    tree.keys[:] = 0
    tree.root_gumbel[:] = 0.0


@njit(cache=True, inline="always")
def is_terminal(tree: Tree, b: int, node: int) -> bool:
    """Whether the node's state has no legal action (every vertex eliminated)."""
    legal = tree.legal[b, node]
    for a in range(legal.shape[0]):
        if legal[a]:
            return False
    return True
