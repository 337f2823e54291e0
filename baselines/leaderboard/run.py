"""Run methods on tasks, verify every order, and append the rows that pass."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
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


Job = tuple[str, str, int | None]  # (task, method, seed), as Plan.jobs() gives them


def run(
    plan: Plan, csv_path: Path, progress: bool = True, on_ray: bool = False, ray_address: str | None = None
) -> Report:
    """Run every job of ``plan``; each verified row is appended to ``csv_path`` at once, each failure refused loudly.

    A row equal to one already on the board (see :func:`records.key`) is not
    written twice. A lower bound the exact solver proved in this run is also
    recorded beside the CSV (:func:`store.record_proofs`). With ``on_ray`` the
    jobs run as Ray tasks (:mod:`baselines.leaderboard.ray_jobs`, on a local
    instance, or on the cluster at ``ray_address``); their rows come back here
    and are verified and appended in the order they finish.
    """
    report = Report()
    jobs = plan.jobs()
    bar = tqdm(total=len(jobs), desc="leaderboard", unit="run", disable=not progress, file=sys.stderr)
    if on_ray:
        from baselines.leaderboard import ray_jobs  # Ray is imported only here

        outcomes = ray_jobs.outcomes(plan, jobs, bar, ray_address)
    else:
        outcomes = _local_outcomes(plan, jobs, bar)
    for (task, name, seed), outcome in outcomes:
        try:
            if isinstance(outcome, Exception):
                raise outcome
            verify.check(outcome)
        except (verify.Rejected, ValueError, RuntimeError) as error:
            report.refused.append((task, name, seed, str(error)))
            tqdm.write(f"REFUSED {task} / {name} / seed {seed}: {error}", file=sys.stderr)
            continue
        written = append_rows(csv_path, [outcome])
        (report.written if written else report.repeated).append(outcome)
        if outcome.bound is not None:
            record_proofs(csv_path, [verify.proof_of(outcome, "run", outcome.wall_time_s)])
    bar.close()
    return report


def _local_outcomes(plan: Plan, jobs: list[Job], bar: tqdm) -> Iterator[tuple[Job, Row | Exception]]:
    """Run the jobs one after another in this process."""
    for job in jobs:
        bar.set_postfix_str(job_label(job))
        yield job, attempt(plan, *job)
        bar.update()


def job_label(job: Job) -> str:
    """``task method [seed N]``, for progress lines."""
    task, name, seed = job
    return f"{task} {name}" + ("" if seed is None else f" seed {seed}")


def attempt(plan: Plan, task_name: str, name: str, seed: int | None) -> Row | Exception:
    """The job's row (not yet verified), or the ``ValueError``/``RuntimeError`` that refused it."""
    try:
        return _attempt(plan, task_name, name, seed)
    except (ValueError, RuntimeError) as error:
        return error


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
