"""PPO's orders for the leaderboard: one training run per (task, seed, budget), two orders out of it."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import benchmarks_tasks
import ccgym
from baselines.budget import Budget
from baselines.ppo.train import Config, train


def trained_orders(graph: ccgym.Graph, seed: int, budget: Budget | None) -> dict[str, list[int]]:
    """``{"deterministic": ..., "best": ...}`` after training on ``graph``'s task for ``budget``'s seconds.

    ``deterministic`` is the trained policy's masked greedy episode; ``best``
    the cheaper of it and the best order seen while training. ``graph`` must
    be a benchmark task's graph (its settings are per task) and ``budget`` in
    seconds only (``ValueError`` otherwise). The run is remembered, so the two
    leaderboard methods train once.
    """
    if budget is None or budget.seconds is None or budget.evaluations is not None:
        raise ValueError(f"PPO trains for a budget in seconds only, not {budget}")
    task = graph.metadata.get("task")
    if task not in benchmarks_tasks.names() or benchmarks_tasks.get(task).graph().to_json() != graph.to_json():
        raise ValueError("PPO trains on the benchmark tasks' graphs only (its settings are per task)")
    return _train(task, seed, budget.seconds)


@lru_cache(maxsize=4)
def _train(task: str, seed: int, seconds: float) -> dict[str, list[int]]:
    with tempfile.TemporaryDirectory(prefix=f"ppo-{task}-") as folder:
        trainer = train(Config(task, budget=seconds, seed=seed), Path(folder), progress=False)
        order, mults = trainer.deterministic_order()
    progress = trainer.progress
    best = progress.best_order if progress.best_mults is not None and progress.best_mults < mults else order
    return {"deterministic": order, "best": list(best)}
