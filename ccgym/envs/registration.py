"""The Gymnasium ids: ``CCElim-<Task>-v0`` for every benchmark task, and ``CCElim-Random-v0``."""

from __future__ import annotations

from importlib import resources

import gymnasium as gym

RANDOM_ID = "CCElim-Random-v0"


def env_id(task: str) -> str:
    """The id of a benchmark task's environment."""
    return f"CCElim-{task}-v0"


def task_names() -> list[str]:
    """Names of the tasks with a cached graph.

    Read from the package data, not from ``benchmarks_tasks.names()``:
    ``benchmarks_tasks`` imports ccgym, so while it is being imported first
    its names are not defined yet.
    """
    graphs = resources.files("benchmarks_tasks").joinpath("graphs")
    return sorted(entry.name.removesuffix(".json") for entry in graphs.iterdir() if entry.name.endswith(".json"))


def register_envs() -> None:
    """Register every id with Gymnasium (``import ccgym`` does this)."""
    for task in task_names():
        gym.register(id=env_id(task), entry_point="ccgym.envs.cc_elim:CCElimEnv", kwargs={"graph": task})
    gym.register(id=RANDOM_ID, entry_point="ccgym.envs.random_env:RandomCCElimEnv")
