"""What the learned agents' runs share: the log CSV, the reference costs, and the learning-curve picture."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import ccgym


def reference_costs(graph: ccgym.Graph, task: str, results: Path) -> dict[str, int]:
    """Reverse mode, Markowitz, and the optimum where the committed leaderboard has proven it."""
    costs = {
        "reverse": ccgym.cost(graph, ccgym.reverse_order(graph)).mults,
        "markowitz": ccgym.cost(graph, ccgym.markowitz_order(graph)).mults,
    }
    from baselines.leaderboard.records import read_proofs, read_rows  # the committed board, if there is one

    csv_path = results / "leaderboard.csv"
    if csv_path.exists():
        best = min(
            (row.value for row in read_rows(csv_path) if row.task == task and row.metric == "mults"), default=None
        )
        proven = [proof.lower_bound for proof in read_proofs(csv_path) if proof.task == task]
        if best is not None and proven and max(proven) >= best:
            costs["optimum"] = best
    return costs


def plot_curve(
    log: list[dict],
    references: dict[str, int],
    path: Path,
    title: str,
    x_axes: Sequence[tuple[str, str]] = (("seconds", "time (s)"), ("episodes", "episodes")),
    series: Sequence[tuple[str, str]] = (("best_mults", "best so far"), ("mean_mults", "mean of the iteration")),
    y_label: str = "multiplications",
) -> None:
    """The ``series`` (log column, label) against each of ``x_axes``, with the reference costs as lines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5 * len(x_axes), 4), dpi=100)
    FigureCanvasAgg(figure)
    for column, (axis_name, label) in enumerate(x_axes):
        axes = figure.add_subplot(1, len(x_axes), column + 1)
        x = [line[axis_name] for line in log]
        for index, (name, series_label) in enumerate(series):
            axes.plot(x, [line[name] for line in log], label=series_label, alpha=1.0 if index == 0 else 0.6)
        for (name, value), style in zip(references.items(), (":", "--", "-.")):
            axes.axhline(value, linestyle=style, color="grey", label=f"{name} {value}")
        axes.set_xlabel(label)
        axes.set_ylabel(y_label)
        axes.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path)


def read_log(path: Path, integer_columns: Sequence[str]) -> list[dict]:
    """The lines of a run's log CSV (none if it does not exist yet), numbers parsed, blanks as ``None``."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            {key: _number(value, key in integer_columns) for key, value in line.items()}
            for line in csv.DictReader(handle)
        ]


def _number(text: str, integer: bool) -> int | float | None:
    return None if text == "" else int(text) if integer else float(text)


def write_log(path: Path, columns: Sequence[str], log: list[dict]) -> None:
    """Rewrite a run's log CSV with ``log``'s lines (other keys ignored)."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(log)
