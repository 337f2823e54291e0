"""The verified leaderboard: ``python -m baselines.leaderboard`` (run, validate, render)."""

from baselines.leaderboard.records import Proof, Row, read_rows
from baselines.leaderboard.render import markdown_table
from baselines.leaderboard.store import append_rows

__all__ = ["Proof", "Row", "append_rows", "markdown_table", "read_rows"]
