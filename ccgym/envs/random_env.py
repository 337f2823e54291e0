"""RandomCCElimEnv: a fresh random graph at every reset, for agents that generalise across graphs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ccgym.envs.cc_elim import CCElimEnv
from ccgym.graph import Graph
from ccgym.random_graphs import IntRange, RandomGraphSpec, random_graph


class RandomCCElimEnv(CCElimEnv):
    """:class:`CCElimEnv` whose ``reset`` draws a new graph with :func:`ccgym.random_graphs.random_graph`.

    The graph is drawn from the env's ``np_random``, so ``reset(seed=s)``
    always gives the same graph. The spaces are sized for the largest graph
    of the ranges (``pad_to`` may make them larger still); ``size_scale``
    defaults to the largest Jacobian of the ranges, so observations of
    different graphs are on one scale. With a range of intermediate counts,
    the actions beyond the current graph's count are padding and never legal
    (so ``check_env``, which samples actions without the mask, needs a
    fixed count, the default).

    Args:
        num_inputs, num_intermediates, num_outputs, size, max_rank: the
            graph ranges (see :class:`ccgym.random_graphs.RandomGraphSpec`).
        pad_to, size_scale, options: as for :class:`CCElimEnv`.
    """

    def __init__(
        self,
        *,
        num_inputs: IntRange = (1, 4),
        num_intermediates: IntRange = 24,
        num_outputs: IntRange = (1, 4),
        size: IntRange = (2, 4),
        max_rank: int = 2,
        pad_to: tuple[int, int, int] | None = None,
        size_scale: int | None = None,
        **options: Any,
    ) -> None:
        self.graph_spec = RandomGraphSpec(num_inputs, num_intermediates, num_outputs, size, max_rank)
        super().__init__(
            random_graph(np.random.default_rng(0), self.graph_spec),  # replaced at the first reset
            pad_to=self.graph_spec.padding(pad_to),
            size_scale=size_scale or self.graph_spec.max_jacobian_size,
            **options,
        )

    def _episode_graph(self) -> Graph:
        return random_graph(self.np_random, self.graph_spec)
