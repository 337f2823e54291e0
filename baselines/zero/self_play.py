"""Self-play: ``B`` games of one batch of graphs, every move chosen by a search; positions with their targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from baselines.mcts import Roots, Searcher
from ccgym import kernels
from ccgym.kernels import PackedBatch


@dataclass
class Episodes:
    """What one round of self-play gives: every game's order and cost, and the positions to learn from.

    ``games[p]`` is the game of position ``p``; ``values[p]`` its value
    target: minus the multiplications its game still spent from there, over
    the game's normalizer.
    """

    orders: list[list[int]]
    mults: np.ndarray  # int64[B]
    games: np.ndarray  # int64[P]
    keys: np.ndarray  # uint64[P, W]
    policies: np.ndarray  # float32[P, A], the search's improved policy
    values: np.ndarray  # float32[P]


def play(batch: PackedBatch, searcher: Searcher, normalizer: np.ndarray, rng: np.random.Generator) -> Episodes:
    """Play every game of ``batch`` once from its initial state."""
    size, actions, v = batch.sizes.shape[0], batch.num_intermediates, batch.edges.shape[1]
    roots = Roots(np.empty((size, v, v), np.int64), np.empty((size, actions), np.bool_), np.ones(size, np.bool_))
    kernels.reset_batch(batch, roots.edges, roots.eliminated, roots.active)
    roots.active[:] = ~roots.eliminated.all(axis=1)
    orders: list[list[int]] = [[] for _ in range(size)]
    step_mults, memory_change, touched = np.zeros(size, np.int64), np.zeros(size, np.int64), np.empty(v, np.int64)
    games, keys, policies, spent = [], [], [], []  # one entry per position
    while roots.active.any():
        output = searcher.search(roots, rng)
        active = np.flatnonzero(roots.active)
        for game in active:
            games.append(game)
            keys.append(kernels.state_key(roots.eliminated[game]))
            policies.append(output.improved_policy[game].astype(np.float32))
            orders[game].append(int(output.action[game]))
        kernels.step_batch(
            batch, roots.edges, roots.eliminated, output.action, roots.active, step_mults, memory_change, touched
        )
        spent.extend(step_mults[active])
        roots.active[:] = ~roots.eliminated.all(axis=1)
    games_array, spent_array = np.array(games, np.int64), np.array(spent, np.int64)
    to_go = np.zeros(len(games), np.int64)  # multiplications from each position to its game's end
    for game in range(size):
        positions = np.flatnonzero(games_array == game)
        to_go[positions] = np.cumsum(spent_array[positions][::-1])[::-1]
    mults = np.array([spent_array[games_array == game].sum() for game in range(size)], np.int64)
    return Episodes(
        orders,
        mults,
        games_array,
        np.array(keys, np.uint64).reshape(len(games), -1),
        np.array(policies, np.float32).reshape(len(games), actions),
        (-to_go / normalizer[games_array]).astype(np.float32),
    )
