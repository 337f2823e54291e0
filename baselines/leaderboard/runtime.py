"""Measured runtimes on the board: the best known order of each task, compiled and timed, as ``runtime_us`` rows.

``python -m baselines.leaderboard runtime [--tasks ...] [--batch B] [--results FOLDER]`` takes, for every
task with a function, the row of fewest multiplications on the board (the first such line), compiles its
order (``ccgym.compile_jacobian`` at the task's example inputs, float64, CPU; ``batch`` copies under
``torch.vmap`` when ``B > 1``) and times it (:func:`ccgym.timing.measure`). Each result is verified like any
row (the order is valid; the compiled Jacobian equals jacrev's) and appended as a row of metric
``runtime_us`` (method, seed, budget and order those of the timed row; value the median in microseconds)
with its :class:`~baselines.leaderboard.records.Measurement` (quartiles, settings, machine) beside the CSV.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

import benchmarks_tasks
import ccgym
from baselines.leaderboard import verify
from baselines.leaderboard.records import RUNTIME_METRIC, Measurement, Row, measurements_path, read_rows, today
from baselines.leaderboard.store import append_records, append_rows
from ccgym.timing import machine, measure


@dataclass(frozen=True)
class Settings:
    """How each order is timed: ``batch`` copies of the inputs, ``warmup`` untimed calls, then the timed ones."""

    batch: int = 1
    warmup: int = 3
    repeats: int = 20
    min_seconds: float = 0.5


@dataclass
class Report:
    """The rows written, and the tasks refused (with the reason)."""

    written: list[Row] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def best_rows(rows: list[Row]) -> dict[str, Row]:
    """Per task, the first row with the fewest multiplications."""
    best: dict[str, Row] = {}
    for row in rows:
        if row.metric == "mults" and (row.task not in best or row.value < best[row.task].value):
            best[row.task] = row
    return best


def measure_best_orders(csv_path: Path, tasks: list[str] | None, settings: Settings, progress: bool = True) -> Report:
    """Time the best known order of every task with a function (or of ``tasks``) and append verified rows."""
    best = best_rows(read_rows(csv_path))
    names = tasks or [name for name in best if benchmarks_tasks.get(name).executable]
    report = Report()
    for name in tqdm(names, desc="runtime", unit="task", disable=not progress, file=sys.stderr):
        try:
            if name not in best:
                raise verify.Rejected("no row of multiplications on the board to take the order from")
            row, measurement = _timed(best[name], settings)
            verify.check(row)
        except (verify.Rejected, ValueError) as error:
            report.refused.append((name, str(error)))
            tqdm.write(f"REFUSED {name}: {error}", file=sys.stderr)
            continue
        append_records(measurements_path(csv_path), Measurement, [measurement])
        if append_rows(csv_path, [row]):
            report.written.append(row)
    return report


def _timed(source: Row, settings: Settings) -> tuple[Row, Measurement]:
    task = benchmarks_tasks.get(source.task)
    if not task.executable:
        raise verify.Rejected(f"task {task.name} has no function: there is no Jacobian to time")
    inputs = task.example_inputs(0)
    start = time.perf_counter()
    jacobian = ccgym.compile_jacobian(None, source.actions, *inputs, graph=task.graph())
    if settings.batch == 1:
        timing = measure(
            jacobian, *inputs, warmup=settings.warmup, repeats=settings.repeats, min_seconds=settings.min_seconds
        )
    else:
        batch = tuple(x.expand(settings.batch, *x.shape).clone() for x in inputs)
        timing = measure(
            jacobian.batched, *batch, warmup=settings.warmup, repeats=settings.repeats, min_seconds=settings.min_seconds
        )
    median_us = round(timing.median_us, 1)  # as recorded; the row's value is this median, rounded once more
    value = max(1, round(median_us))
    row = Row(
        task=source.task,
        method=source.method,
        metric=RUNTIME_METRIC,
        value=value,
        seed=source.seed,
        budget=source.budget,
        wall_time_s=round(time.perf_counter() - start, 3),
        order=source.order,
        ccgym_version=ccgym.__version__,
        date=today(),
    )
    measurement = Measurement(
        task=source.task,
        method=source.method,
        seed=source.seed,
        budget=source.budget,
        order=source.order,
        value=value,
        median_us=median_us,
        q1_us=round(timing.q1_us, 1),
        q3_us=round(timing.q3_us, 1),
        repeats=timing.repeats,
        warmup=timing.warmup,
        batch=settings.batch,
        dtype=str(inputs[0].dtype).removeprefix("torch."),
        machine=machine(),
        ccgym_version=ccgym.__version__,
        date=today(),
    )
    return row, measurement


def main_runtime(csv_path: Path, tasks: list[str] | None, settings: Settings, threads: int) -> int:
    """The ``runtime`` command: 0 if every task was timed and written, else 1."""
    torch.set_num_threads(threads)
    report = measure_best_orders(csv_path, tasks, settings)
    for row in report.written:
        print(f"{row.task}: {row.method} order, {row.value} µs")
    print(f"wrote {len(report.written)} runtime rows to {csv_path}, measurements in {measurements_path(csv_path)}")
    return 1 if report.refused else 0
