"""The verified leaderboard: ``python -m baselines.leaderboard`` (run, validate, render)."""

from baselines.leaderboard.records import Row, append_rows, read_rows
from baselines.leaderboard.render import markdown_table

__all__ = ["Row", "append_rows", "markdown_table", "read_rows"]
