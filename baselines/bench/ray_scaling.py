"""Scale-out on Ray: AlphaZero self-play with 1, 2, ... workers, and the leaderboard with and without Ray (JSON lines).

    python -m baselines.bench.ray_scaling [--task LIF] [--games 16] [--simulations 16] [--workers 1 2]
                                          [--iterations 3] [--driver-threads N]
                                          [--board-tasks LIF AdaLIF SNN PropaneCombustion] [--board-budgets 0.5s 2s]

``self_play`` lines: one AlphaZero configuration (the command's defaults) in
the local mode (``workers: 0``) and with each worker count, on one local Ray
instance started here (this machine's CPUs). The driver (the local mode's
self-play, and the learner) uses ``--driver-threads`` torch threads (default:
1, as ``Config.threads``), each actor one. After one untimed iteration
(Numba's cache, the actors' first call) every iteration is timed and split:

- ``round_s``: the self-play round as the driver sees it; ``actor_s``: the
  slowest actor's own time in it (loading the weights and playing);
  ``transfer_s``: the difference (weights into the object store, scheduling,
  the episodes back, merging);
- ``learner_s``: the rest of the iteration, on the driver: the replay buffer
  (``replay_s``) and the gradient steps;
- ``episodes_per_s``: episodes over the whole iteration;
  ``self_play_episodes_per_s``: episodes over the round alone.

``leaderboard`` lines: ``python -m baselines.leaderboard run --quick --tasks
... --budget B`` for each of ``--board-budgets`` as a fresh process, with and
without ``--ray`` (Ray's start included), each into a new folder: wall time,
rows written, and the sum of the rows' own times (the work to share out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

from baselines.leaderboard.records import read_rows
from baselines.ray_session import RaySession
from baselines.zero.distributed import RayRun
from baselines.zero.train import Config, Run, make_run


def timed(method: Callable, seconds: list[float]) -> Callable:
    """``method``, appending the seconds of every call to ``seconds``."""

    def call(*args, **kwargs):
        started = time.perf_counter()
        result = method(*args, **kwargs)
        seconds.append(time.perf_counter() - started)
        return result

    return call


def self_play_line(config: Config, iterations: int) -> dict:
    """Time ``iterations`` iterations of a run of ``config`` after a warm-up one (see the module docstring)."""
    run: Run = make_run(config)
    try:
        rounds: list[float] = []
        replay: list[float] = []
        run.play_round = timed(run.play_round, rounds)
        run.replay.add = timed(run.replay.add, replay)
        run.iterate()
        rounds.clear()
        replay.clear()
        whole, actors = [], []
        for _ in range(iterations):
            started = time.perf_counter()
            run.iterate()
            whole.append(time.perf_counter() - started)
            actors.append(max(run.round_seconds) if isinstance(run, RayRun) else rounds[-1])
    finally:
        run.close()
    episodes = config.games * max(1, config.workers)
    iteration, round_, actor = statistics.mean(whole), statistics.mean(rounds), statistics.mean(actors)
    weights = sum(tensor.numel() * tensor.element_size() for tensor in run.net.state_dict().values())
    return {
        "bench": "self_play",
        "task": config.task,
        "workers": config.workers,
        "games_per_worker": config.games,
        "simulations": config.simulations,
        "train_steps": config.train_steps,
        "driver_threads": torch.get_num_threads(),
        "iterations": iterations,
        "episodes_per_iteration": episodes,
        "iteration_s": round(iteration, 3),
        "round_s": round(round_, 3),
        "actor_s": round(actor, 3),
        "transfer_s": round(round_ - actor, 3),
        "learner_s": round(iteration - round_, 3),
        "replay_s": round(statistics.mean(replay), 4),
        "weight_bytes": weights,
        "episodes_per_s": round(episodes / iteration, 2),
        "self_play_episodes_per_s": round(episodes / round_, 2),
    }


def leaderboard_line(tasks: list[str], budget: str, ray: bool) -> dict:
    """Wall time of ``run --quick --tasks ... --budget BUDGET`` in a fresh process, with or without ``--ray``."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "baselines.leaderboard", "run", "--quick", "--tasks", *tasks]
        command += ["--budget", budget, "--results", folder] + (["--ray"] if ray else [])
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        wall = time.perf_counter() - started
        rows = read_rows(Path(folder) / "leaderboard.csv")
    return {
        "bench": "leaderboard",
        "ray": ray,
        "tasks": tasks,
        "budget": budget,
        "rows": len(rows),
        "wall_s": round(wall, 2),
        "rows_own_s": round(sum(row.wall_time_s for row in rows), 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Config()
    parser.add_argument("--task", default=defaults.task)
    parser.add_argument("--games", type=int, default=defaults.games, help="games per worker")
    parser.add_argument("--simulations", type=int, default=defaults.simulations)
    parser.add_argument("--train-steps", type=int, default=defaults.train_steps)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations per configuration")
    parser.add_argument("--driver-threads", type=int, default=defaults.threads, help="torch threads of the driver")
    parser.add_argument("--board-tasks", nargs="+", default=["LIF", "AdaLIF", "SNN", "PropaneCombustion"])
    parser.add_argument("--board-budgets", nargs="+", default=["0.5s", "2s"], help="budgets of the searches")
    args = parser.parse_args(argv)
    config = Config(args.task, games=args.games, simulations=args.simulations, train_steps=args.train_steps,
                    threads=args.driver_threads)  # fmt: skip
    started = time.perf_counter()
    with RaySession() as session:
        line = {"bench": "ray_start", "s": round(time.perf_counter() - started, 2), "cpus": session.cpus()}
        print(json.dumps(line), flush=True)
        for workers in [0, *args.workers]:
            print(json.dumps(self_play_line(replace(config, workers=workers), args.iterations)), flush=True)
    for budget in args.board_budgets:
        for ray in (False, True):
            print(json.dumps(leaderboard_line(args.board_tasks, budget, ray)), flush=True)


if __name__ == "__main__":
    main()
