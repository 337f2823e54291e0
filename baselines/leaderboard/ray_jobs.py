"""The leaderboard's jobs as Ray tasks (``run --ray``): one task per (task, method, seed), rows back to the driver.

The driver keeps as many jobs in flight as the cluster has CPUs (each task
asks for one), so every job in flight is running and the progress bar's
"running" count is true; it yields each job's row (or the error that refused
it) as soon as it finishes, and :func:`baselines.leaderboard.run.run` verifies
and appends it there, so the driver stays the board's one writer.
"""

from __future__ import annotations

from collections.abc import Iterator

from tqdm import tqdm

from baselines.leaderboard.records import Row
from baselines.leaderboard.run import Job, Plan, attempt, job_label
from baselines.ray_session import RaySession


def outcomes(plan: Plan, jobs: list[Job], bar: tqdm, address: str | None) -> Iterator[tuple[Job, Row | Exception]]:
    """Run ``jobs`` on Ray (a local instance when ``address`` is None); yield ``(job, row or error)`` as they finish."""
    with RaySession(address) as session:
        ray = session.ray
        remote_attempt = ray.remote(num_cpus=1)(attempt)
        slots, waiting, running = session.cpus(), list(reversed(jobs)), {}
        while waiting or running:
            while waiting and len(running) < slots:
                job = waiting.pop()
                running[remote_attempt.remote(plan, *job)] = job
            labels = [job_label(job) for job in running.values()]
            more = ", ..." if len(labels) > 3 else ""
            bar.set_postfix_str(f"running {len(running)}: " + ", ".join(labels[:3]) + more)
            [finished], _ = ray.wait(list(running), num_returns=1)
            job = running.pop(finished)
            yield job, ray.get(finished)
            bar.update()
