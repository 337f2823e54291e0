"""A compiled, batched Gumbel MuZero tree search over the real elimination kernels (and its plain-Python twin).

- :mod:`~baselines.mcts.tree`: the trees of ``B`` games as flat arrays (:class:`Tree`, :func:`tree_init`);
- :mod:`~baselines.mcts.search`: the ``njit`` steps and :class:`Searcher` (one search per move);
- :mod:`~baselines.mcts.evaluators`: the evaluator contract (:class:`Leaves`) and network-free evaluators;
- :mod:`~baselines.mcts.driver`: whole episodes (:func:`search_order`, :func:`search_orders`);
- :mod:`~baselines.mcts.reference`: the same search in plain Python, for tests and as the speed baseline.
"""

from baselines.mcts.driver import layout_vertices, pad_graphs, search_order, search_orders
from baselines.mcts.evaluators import Evaluator, Leaves, rollout_evaluator, uniform_evaluator
from baselines.mcts.search import Roots, SearchConfig, Searcher, SearchOutput, reverse_costs, run_search
from baselines.mcts.tree import Tree, tree_init

__all__ = [
    "Evaluator",
    "Leaves",
    "Roots",
    "SearchConfig",
    "SearchOutput",
    "Searcher",
    "Tree",
    "layout_vertices",
    "pad_graphs",
    "reverse_costs",
    "rollout_evaluator",
    "run_search",
    "search_order",
    "search_orders",
    "tree_init",
    "uniform_evaluator",
]
