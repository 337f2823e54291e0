"""Gymnasium environments for cross-country elimination.

``CCElim-<Task>-v0`` for every benchmark task and ``CCElim-Random-v0`` (a new
random graph at every reset) are registered with Gymnasium by ``import ccgym``
(see :mod:`ccgym.registration`); ``gym.make`` them, or build an environment
over your own graph with :func:`make_env`. ``gym.make_vec(id, num_envs=B)``
gives their native vector envs (:mod:`ccgym.envs.vector`), which step all
``B`` games in one compiled call.
"""

from ccgym.envs.cc_elim import CCElimEnv, make_env
from ccgym.envs.random_env import RandomCCElimEnv
from ccgym.envs.vector import CCElimVectorEnv, RandomCCElimVectorEnv
from ccgym.registration import RANDOM_ID, env_id

__all__ = ["RANDOM_ID", "CCElimEnv", "CCElimVectorEnv", "RandomCCElimEnv", "RandomCCElimVectorEnv", "env_id", "make_env"]
