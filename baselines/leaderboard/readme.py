"""Write the leaderboard table into a markdown file's ``leaderboard`` section.

    python -m baselines.leaderboard.readme [README.md] [--results results]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baselines.leaderboard.render import markdown_table
from ccgym.markdown import replace_section


def main(argv: list[str] | None = None) -> int:
    """Fill the section from ``RESULTS/leaderboard.csv``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path, nargs="?", default=Path("README.md"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    replace_section(args.file, "leaderboard", markdown_table(args.results / "leaderboard.csv"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
