"""The Gymnasium ids: ``CCElim-<Task>-v0`` for every benchmark task, and ``CCElim-Random-v0``.

Nothing here imports gymnasium, the environments or the task package:
:func:`register_when_gymnasium_loads` (run by ``import ccgym``) registers the
ids as soon as gymnasium is imported, whichever of the two comes first, and
every id names its entry points as strings that Gymnasium imports at ``make``
time. The task ids are those of the graph files that the task package
``benchmarks_tasks`` ships (found on disk without importing it); their entry
points, in that package, look the task up by name.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

RANDOM_ID = "CCElim-Random-v0"
TASK_PACKAGE = "benchmarks_tasks"


def env_id(task: str) -> str:
    """The id of a benchmark task's environment."""
    return f"CCElim-{task}-v0"


def task_names() -> list[str]:
    """Names of the tasks whose graphs the task package ships (none if it is not installed)."""
    spec = importlib.util.find_spec(TASK_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return []
    folders = [Path(location) / "graphs" for location in spec.submodule_search_locations]
    return sorted({path.stem for folder in folders if folder.is_dir() for path in folder.glob("*.json")})


def register_envs() -> None:
    """Register every id with Gymnasium (imports it)."""
    import gymnasium as gym

    for task in task_names():
        gym.register(
            id=env_id(task),
            entry_point=f"{TASK_PACKAGE}.environments:task_env",
            vector_entry_point=f"{TASK_PACKAGE}.environments:task_vector_env",
            kwargs={"task": task},
        )
    gym.register(
        id=RANDOM_ID,
        entry_point="ccgym.envs.random_env:RandomCCElimEnv",
        vector_entry_point="ccgym.envs.vector:RandomCCElimVectorEnv",
    )


class _RegisterAfterGymnasium(importlib.abc.MetaPathFinder):
    """Finds nothing itself; when gymnasium is first imported, registers the ids once it has loaded."""

    def find_spec(self, name: str, path: object = None, target: ModuleType | None = None):
        if name != "gymnasium":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            load = spec.loader.exec_module

            def load_then_register(module: ModuleType) -> None:
                load(module)
                register_envs()

            spec.loader.exec_module = load_then_register
        return spec


def register_when_gymnasium_loads() -> None:
    """Register the ids now if gymnasium is imported, else as soon as it is."""
    if "gymnasium" in sys.modules:
        register_envs()
    elif not any(isinstance(finder, _RegisterAfterGymnasium) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterGymnasium())
