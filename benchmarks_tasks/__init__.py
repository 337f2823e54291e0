"""Benchmark tasks for cross-country elimination (the AlphaGrad task suite).

Thirteen tasks are PyTorch functions of float64 tensors with metadata
(:class:`Task`): spiking neurons (LIF, SNN, AdaLIF), Roe fluxes (RoeFlux,
RoeFlux3d), robot kinematics (RobotArm), MINPACK-2 equations (HumanHeartDipole,
PropaneCombustion), Black-Scholes greeks (BlackScholes), neural networks (MLP,
Transformer) and random functions (RandomF, RandomG). Six more,
``AlphaGrad-<name>``, are the AlphaGrad paper's own scalar graphs imported from
edge lists (:mod:`benchmarks_tasks.alphagrad`): costed, not executed.
"""

from __future__ import annotations

from collections.abc import Iterable

from .registry import TASKS
from .task import Task

__all__ = ["Task", "get", "names", "unknown"]

_BY_NAME: dict[str, Task] = {task.name: task for task in TASKS}


def names() -> list[str]:
    """The task names, in benchmark order."""
    return [task.name for task in TASKS]


def unknown(requested: Iterable[str]) -> str:
    """What is wrong with the first name in ``requested`` that is no task, listing the valid names ('' if none)."""
    for name in requested:
        if name not in _BY_NAME:
            return f"unknown task {name!r}; valid names: {', '.join(names())}"
    return ""


def get(name: str) -> Task:
    """The task called ``name``; ``KeyError`` (listing the valid names) if there is none."""
    if message := unknown([name]):
        raise KeyError(message)
    return _BY_NAME[name]
