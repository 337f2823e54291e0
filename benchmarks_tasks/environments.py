"""Gymnasium entry points of the ``CCElim-<Task>-v0`` ids: look the task up by name, build the env on its graph.

:mod:`ccgym.registration` names these functions as strings, so neither this
module nor the task functions are imported until an id is made.
"""

from __future__ import annotations

from typing import Any

from ccgym.envs import CCElimEnv

from . import get


def task_env(task: str, **options: Any) -> CCElimEnv:
    """The single environment of task ``task`` (``options`` as for :class:`ccgym.envs.CCElimEnv`)."""
    return CCElimEnv(get(task).graph(), **options)
