"""Write the leaderboard tables into a markdown file's ``leaderboard``, ``alphagrad-comparison`` and ``learned-agents`` sections.

    python -m baselines.leaderboard.readme [README.md] [--results results]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baselines.leaderboard.render import alphagrad_table, learned_table, markdown_table
from ccgym.markdown import replace_section


def main(argv: list[str] | None = None) -> int:
    """Fill the sections from ``RESULTS/leaderboard.csv``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, nargs="?", default=Path("README.md"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    csv_path = args.results / "leaderboard.csv"
    replace_section(args.file, "leaderboard", markdown_table(csv_path))
    replace_section(args.file, "alphagrad-comparison", alphagrad_table(csv_path))
    replace_section(args.file, "learned-agents", learned_table(csv_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
