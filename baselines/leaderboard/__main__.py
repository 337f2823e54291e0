"""The leaderboard command line.

python -m baselines.leaderboard [--quick]        # quick run (about a minute) into quick-results/, then render
python -m baselines.leaderboard run --full --results results   # the published run: 3 seeds, 10 s searches, 300 s exact
python -m baselines.leaderboard run --tasks LIF MLP --methods beam exact --seeds 0 1 --budget 5s
python -m baselines.leaderboard run --methods alphazero --budget 60s   # learned agents run only when named
python -m baselines.leaderboard run --quick --ray   # every job a Ray task (local instance; --ray-address auto|ADDR)
python -m baselines.leaderboard validate [CSV]   # re-check every row; exit 1 if any is rejected or a bound unverified
python -m baselines.leaderboard validate --reprove-bounds   # ... re-running the exact solver for every lower bound
python -m baselines.leaderboard render           # rewrite LEADERBOARD.md and leaderboard.png from the CSV
python -m baselines.leaderboard runtime --results results   # time each task's best order: runtime_us rows
python -m baselines.leaderboard merge OTHER.csv --results results   # append another board's rows, each verified

Every command takes --results FOLDER. run writes into quick-results/ unless
told otherwise, so the committed board in results/ changes only when named;
validate and render read results/ unless told otherwise.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import benchmarks_tasks
from baselines.budget import Budget
from baselines.leaderboard.merge import merge
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.render import render
from baselines.leaderboard.run import FULL, QUICK, run
from baselines.leaderboard.validate import validate

RESULTS = Path("results")  # the committed board: what validate and render read by default
QUICK_RESULTS = Path("quick-results")  # where run writes by default
COMMANDS = ("run", "validate", "render", "merge", "runtime")


def _budget(text: str) -> Budget:
    try:
        return Budget.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """Parse the command (``run`` when none is named) and run it; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(word in COMMANDS for word in argv) and not {"-h", "--help"} & set(argv):
        argv.insert(0, "run")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--results", type=Path, help="folder of the CSV, markdown and picture (run: quick-results, else: results)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m baselines.leaderboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", parents=[common], help="run, verify and append rows, then render")
    speed = run_parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="one seed, 0.5 s searches, 2 s exact (the default)")
    speed.add_argument("--full", action="store_true", help="seeds 0-2, 10 s searches, 300 s exact")
    run_parser.add_argument("--tasks", nargs="+", help="task names (default: all)")
    run_parser.add_argument("--methods", nargs="+", choices=list(METHODS), help="methods (default: all but the learned ones)")
    run_parser.add_argument("--seeds", nargs="+", type=int, help="seeds of the seeded methods")
    run_parser.add_argument("--budget", type=_budget, help="budget of each search run, e.g. 5s or 2000evals")
    run_parser.add_argument("--exact-budget", type=_budget, help="time limit of the exact solver, e.g. 60s")
    run_parser.add_argument("--ray", action="store_true", help="run every job as a Ray task (pip install -e '.[ray]')")
    run_parser.add_argument(
        "--ray-address", help="with --ray: 'auto' or a cluster's address (default: start a local instance)"
    )
    validate_parser = commands.add_parser("validate", parents=[common], help="re-check every row of a CSV")
    validate_parser.add_argument("csv", nargs="?", type=Path, help="the CSV (default: RESULTS/leaderboard.csv)")
    validate_parser.add_argument(
        "--reprove-bounds", action="store_true", help="re-run the exact solver under each row's budget and seed"
    )
    validate_parser.add_argument(
        "--trust-bounds", action="store_true", help="accept lower bounds that were not re-proved as claims (exit 0)"
    )
    commands.add_parser("render", parents=[common], help="write LEADERBOARD.md and leaderboard.png from the CSV")
    merge_parser = commands.add_parser("merge", parents=[common], help="append another CSV's rows, each verified")
    merge_parser.add_argument("source", type=Path, help="the other board's leaderboard.csv")
    runtime_parser = commands.add_parser(
        "runtime", parents=[common], help="time the compiled Jacobian of each task's best order: runtime_us rows"
    )
    runtime_parser.add_argument("--tasks", nargs="+", help="task names (default: every task with a function)")
    runtime_parser.add_argument("--batch", type=int, default=1, help="inputs per call (copies, under torch.vmap)")
    runtime_parser.add_argument("--warmup", type=int, default=3, help="untimed calls first")
    runtime_parser.add_argument("--repeats", type=int, default=20, help="timed calls at least")
    runtime_parser.add_argument("--min-seconds", type=float, default=0.5, help="seconds of timed calls at least")
    runtime_parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args(argv)
    if args.command == "run" and args.ray_address is not None and not args.ray:
        parser.error("--ray-address needs --ray")
    folder = args.results or (QUICK_RESULTS if args.command == "run" else RESULTS)
    csv_path = folder / "leaderboard.csv"
    if args.command == "validate":
        return validate(args.csv or csv_path, args.reprove_bounds, args.trust_bounds)
    if args.command in ("run", "runtime") and (message := benchmarks_tasks.unknown(args.tasks or [])):
        print(f"error: {message}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            status = _run(args, csv_path)
        elif args.command == "merge":
            status = merge(args.source, csv_path)
        elif args.command == "runtime":
            status = _runtime(args, csv_path)
        else:
            status = 0
        render(csv_path, folder / "LEADERBOARD.md", folder / "leaderboard.png")
    except (ValueError, RuntimeError) as error:  # a CSV that is not a leaderboard (refused, never extended); no Ray
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"rendered {folder / 'LEADERBOARD.md'} and {folder / 'leaderboard.png'}")
    return status


def _runtime(args: argparse.Namespace, csv_path: Path) -> int:
    from baselines.leaderboard.runtime import Settings, main_runtime

    settings = Settings(args.batch, args.warmup, args.repeats, args.min_seconds)
    return main_runtime(csv_path, args.tasks, settings, args.threads)


def _run(args: argparse.Namespace, csv_path: Path) -> int:
    plan = FULL if args.full else QUICK
    overrides = {
        "tasks": args.tasks,
        "methods": args.methods,
        "seeds": args.seeds,
        "budget": args.budget,
        "exact_budget": args.exact_budget,
    }
    plan = replace(plan, **{key: value for key, value in overrides.items() if value is not None})
    report = run(plan, csv_path, on_ray=args.ray, ray_address=args.ray_address)
    repeated = f" ({len(report.repeated)} more were already there)" if report.repeated else ""
    print(f"wrote {len(report.written)} verified rows to {csv_path}{repeated}")
    if report.refused:
        print(f"REFUSED {len(report.refused)} rows:", file=sys.stderr)
        for task, method, seed, reason in report.refused:
            print(f"  {task} / {method} / seed {seed}: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
