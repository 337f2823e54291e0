"""Run methods on tasks, verify every order, and append the rows that pass."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

import benchmarks_tasks
import ccgym
from baselines.budget import Budget
from baselines.leaderboard import verify
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.records import Row, today
from baselines.leaderboard.store import append_rows, record_proofs


@dataclass(frozen=True)
class Plan:
    """Which methods run on which tasks with which seeds and budgets.

    Deterministic methods run once per task; seeded ones once per seed; the
    exact solver, the slowest, only with the first seed. A method runs only on
    the tasks it applies to (``alphagrad-published`` on the paper's graphs).
    Learned methods (PPO) train an agent per run: they run only when named.
    """

    tasks: list[str] = field(default_factory=benchmarks_tasks.names)
    methods: list[str] = field(default_factory=lambda: [name for name, method in METHODS.items() if not method.learned])
    seeds: list[int] = field(default_factory=lambda: [0])
    budget: Budget = field(default_factory=lambda: Budget(seconds=0.5))
    exact_budget: Budget = field(default_factory=lambda: Budget(seconds=2.0))

    def jobs(self) -> list[tuple[str, str, int | None]]:
        """``(task, method, seed)`` triples in run order (seed ``None`` for deterministic methods)."""
        jobs = []
        for task in self.tasks:
            for name in self.methods:
                method = METHODS[name]
                if not method.applies(benchmarks_tasks.get(task).graph()):
                    continue
                seeds = self.seeds[:1] if name == "exact" else self.seeds if method.seeded else [None]
                jobs += [(task, name, seed) for seed in seeds]
        return jobs


QUICK = Plan()
FULL = Plan(seeds=[0, 1, 2], budget=Budget(seconds=10.0), exact_budget=Budget(seconds=300.0))


@dataclass
class Report:
    """What a run wrote, what was already on the board, and what it refused (with the reason)."""

    written: list[Row] = field(default_factory=list)
    repeated: list[Row] = field(default_factory=list)
    refused: list[tuple[str, str, int | None, str]] = field(default_factory=list)


def run(plan: Plan, csv_path: Path, progress: bool = True) -> Report:
    """Run every job of ``plan``; each verified row is appended to ``csv_path`` at once, each failure refused loudly.

    A row equal to one already on the board (see :func:`records.key`) is not
    written twice. A lower bound the exact solver proved in this run is also
    recorded beside the CSV (:func:`store.record_proofs`).
    """
    report = Report()
    jobs = plan.jobs()
    bar = tqdm(jobs, desc="leaderboard", unit="run", disable=not progress, file=sys.stderr)
    for task, name, seed in bar:
        bar.set_postfix_str(f"{task} {name}" + ("" if seed is None else f" seed {seed}"))
        try:
            row = _attempt(plan, task, name, seed)
            verify.check(row)
        except (verify.Rejected, ValueError, RuntimeError) as error:
            report.refused.append((task, name, seed, str(error)))
            tqdm.write(f"REFUSED {task} / {name} / seed {seed}: {error}", file=sys.stderr)
            continue
        written = append_rows(csv_path, [row])
        (report.written if written else report.repeated).append(row)
        if row.bound is not None:
            record_proofs(csv_path, [verify.proof_of(row, "run", row.wall_time_s)])
    return report


def _attempt(plan: Plan, task_name: str, name: str, seed: int | None) -> Row:
    """Run one method and describe its result as a row (not yet verified)."""
    method = METHODS[name]
    budget = (plan.exact_budget if name == "exact" else plan.budget) if method.budgeted else None
    graph = benchmarks_tasks.get(task_name).graph()
    start = time.perf_counter()
    outcome = method.run(graph, 0 if seed is None else seed, budget)
    wall = time.perf_counter() - start
    return Row(
        task=task_name,
        method=name,
        metric="mults",
        value=ccgym.cost(graph, outcome.order).mults,
        seed="" if seed is None else str(seed),
        budget="" if budget is None else str(budget),
        wall_time_s=round(wall, 3),
        order=" ".join(str(a) for a in outcome.order),
        ccgym_version=ccgym.__version__,
        date=today(),
        lower_bound="" if outcome.lower_bound is None else str(outcome.lower_bound),
    )
