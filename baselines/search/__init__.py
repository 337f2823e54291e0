"""Search baselines on the Numba kernels: each takes a graph, a :class:`~baselines.budget.Budget` and a seed."""

from baselines.search.beam_search import beam
from baselines.search.random_sampling import random_search
from baselines.search.simulated_annealing import annealing

__all__ = ["annealing", "beam", "random_search"]
