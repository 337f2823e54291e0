"""Gymnasium entry points of the ``CCElim-<Task>-v0`` ids: look the task up by name, build the env(s) on its graph.

:mod:`ccgym.registration` names these functions as strings, so neither this
module nor the task functions are imported until an id is made.
"""

from __future__ import annotations

from typing import Any

from ccgym.envs import CCElimEnv
from ccgym.envs.vector import CCElimVectorEnv

from . import get


def task_env(task: str, **options: Any) -> CCElimEnv:
    """The single environment of task ``task`` (``options`` as for :class:`ccgym.envs.CCElimEnv`).

    With ``reward="runtime"`` and no ``example_inputs``, the task's own (seed 0)
    are passed: the order's compiled Jacobian is timed at them (``ValueError``
    for a task without a function).
    """
    if options.get("reward") == "runtime" and options.get("example_inputs") is None:
        options["example_inputs"] = get(task).example_inputs(0)
    return CCElimEnv(get(task).graph(), **options)


def task_vector_env(task: str, num_envs: int = 1, **options: Any) -> CCElimVectorEnv:
    """``num_envs`` games of task ``task`` in one native vector env.

    ``options`` as for :class:`ccgym.envs.vector.CCElimVectorEnv`.
    """
    return CCElimVectorEnv(get(task).graph(), num_envs, **options)
