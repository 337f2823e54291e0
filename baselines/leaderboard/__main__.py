"""The leaderboard command line.

python -m baselines.leaderboard [--quick]        # quick run (about a minute), then render
python -m baselines.leaderboard run --full       # the published run: 3 seeds, 10 s searches, 300 s exact
python -m baselines.leaderboard run --tasks LIF MLP --methods beam exact --seeds 0 1 --budget 5s
python -m baselines.leaderboard validate [CSV]   # re-check every row; exit 1 if any is rejected
python -m baselines.leaderboard render           # rewrite LEADERBOARD.md and leaderboard.png
(every command takes --results FOLDER, default results/)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

import benchmarks_tasks
from baselines.budget import Budget
from baselines.leaderboard import verify
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.records import read_rows
from baselines.leaderboard.render import render
from baselines.leaderboard.run import FULL, QUICK, run

RESULTS = Path("results")


COMMANDS = ("run", "validate", "render")


def main(argv: list[str] | None = None) -> int:
    """Parse the command (``run`` when none is named) and run it; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(word in COMMANDS for word in argv) and not {"-h", "--help"} & set(argv):
        argv.insert(0, "run")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--results", type=Path, default=RESULTS, help="folder of the CSV, markdown and picture")
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
    run_parser.add_argument("--methods", nargs="+", choices=list(METHODS), help="methods (default: all)")
    run_parser.add_argument("--seeds", nargs="+", type=int, help="seeds of the seeded methods")
    run_parser.add_argument("--budget", type=Budget.parse, help="budget of each search run, e.g. 5s or 2000evals")
    run_parser.add_argument("--exact-budget", type=Budget.parse, help="time limit of the exact solver, e.g. 60s")
    validate_parser = commands.add_parser("validate", parents=[common], help="re-check every row of a CSV")
    validate_parser.add_argument("csv", nargs="?", type=Path, help="the CSV (default: RESULTS/leaderboard.csv)")
    commands.add_parser("render", parents=[common], help="write LEADERBOARD.md and leaderboard.png from the CSV")
    args = parser.parse_args(argv)
    csv_path = args.results / "leaderboard.csv"
    if args.command == "validate":
        return validate(args.csv or csv_path)
    if args.command == "run" and (message := benchmarks_tasks.unknown(args.tasks or [])):
        print(f"error: {message}", file=sys.stderr)
        return 2
    status = _run(args, csv_path) if args.command == "run" else 0
    render(csv_path, args.results / "LEADERBOARD.md", args.results / "leaderboard.png")
    print(f"rendered {args.results / 'LEADERBOARD.md'} and {args.results / 'leaderboard.png'}")
    return status


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
    report = run(plan, csv_path)
    print(f"wrote {len(report.written)} verified rows to {csv_path}")
    if report.refused:
        print(f"REFUSED {len(report.refused)} rows:", file=sys.stderr)
        for task, method, seed, reason in report.refused:
            print(f"  {task} / {method} / seed {seed}: {reason}", file=sys.stderr)
        return 1
    return 0


def validate(csv_path: Path) -> int:
    """Re-check every row; print each rejection; 0 if all pass, 1 otherwise."""
    try:
        rows = read_rows(csv_path)
    except ValueError as error:
        print(f"REJECTED {csv_path}: {error}", file=sys.stderr)
        return 1
    rejected = 0
    for number, row in enumerate(tqdm(rows, desc="validate", unit="row", file=sys.stderr), start=2):
        try:
            verify.check(row)
        except verify.Rejected as error:
            rejected += 1
            tqdm.write(
                f"REJECTED line {number} ({row.task} / {row.method} / seed {row.seed}): {error}", file=sys.stderr
            )
    print(f"{len(rows) - rejected} of {len(rows)} rows accepted" + (f", {rejected} REJECTED" if rejected else ""))
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
