"""Rebuild the benchmark tasks' graphs (trace the functions, import the edge lists) and write the caches.

    python -m benchmarks_tasks.regenerate            # every task
    python -m benchmarks_tasks.regenerate LIF MLP    # some tasks
    python -m benchmarks_tasks.regenerate --check    # fail if a cache is stale
"""

from __future__ import annotations

import argparse
import sys

from benchmarks_tasks import get, names, unknown
from benchmarks_tasks.task import GRAPH_DIR


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the cached graph of each named task."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", nargs="*", help="task names (default: all)")
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 if any differs")
    args = parser.parse_args(argv)
    if message := unknown(args.tasks):
        print(f"error: {message}", file=sys.stderr)
        return 2
    stale = []
    GRAPH_DIR.mkdir(exist_ok=True)
    for name in args.tasks or names():
        task = get(name)
        text = task.build().to_json() + "\n"
        current = task.graph_path.read_text() if task.graph_path.exists() else None
        if args.check:
            status = "ok" if current == text else "STALE"
            stale += [name] if current != text else []
        else:
            task.graph_path.write_text(text)
            status = "written"
        print(f"{name:20s} {status}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
