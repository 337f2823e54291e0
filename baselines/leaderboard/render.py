"""The leaderboard as markdown and as a picture, computed from the CSV rows only."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import benchmarks_tasks
from baselines.leaderboard.methods import METHODS, PUBLISHED_ALPHAGRAD as PUBLISHED
from baselines.leaderboard.records import Row, read_rows

NOTES = {
    "forward": "topological order",
    "reverse": "reverse topological order",
    "markowitz": "lowest |pred|·|succ| first, ties to the lowest index",
    "vlr": "lowest relative Markowitz degree (ANGEL), ties to the lowest index",
    "greedy": "cheapest next elimination, ties to the least memory, then the lowest index",
    "random": "one uniformly random order",
    "random_search": "best of as many random orders as the budget allows",
    "annealing": "simulated annealing over orders from the best heuristic order",
    "beam": "beam search over sets, widths 1, 2, 4, ... up to 64",
    "exact": "A* over sets (≤ 24 intermediates, or a tensor graph ≤ 62), else CP-SAT: exact on scalar graphs, "
    "a relaxation (lower bound only) on tensor graphs and graphs with unit edges; see baselines/README.md",
    PUBLISHED: "the order the AlphaGrad paper (Lohoff & Neftci, NeurIPS 2024) published for its own graph, replayed",
}


def _mults(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.metric == "mults"]


def best_values(rows: list[Row]) -> dict[str, dict[str, int]]:
    """``task -> method -> fewest multiplications`` over all rows."""
    best: dict[str, dict[str, int]] = defaultdict(dict)
    for row in _mults(rows):
        current = best[row.task].get(row.method)
        best[row.task][row.method] = row.value if current is None else min(current, row.value)
    return best


def optimum_or_bounds(rows: list[Row]) -> dict[str, tuple[int | None, int, float | None]]:
    """``task -> (lower bound, best known, seconds of the best bound's run)``; proven when equal, no bound: None."""
    result = {}
    for task in {row.task for row in _mults(rows)}:
        own = [row for row in _mults(rows) if row.task == task]
        bounded = [row for row in own if row.bound is not None]
        best_known = min(row.value for row in own)
        if bounded:
            top = max(bounded, key=lambda row: (row.bound, -row.wall_time_s))
            result[task] = (top.bound, best_known, top.wall_time_s)
        else:
            result[task] = (None, best_known, None)
    return result


def _task_order(tasks: set[str]) -> list[str]:
    known = [name for name in benchmarks_tasks.names() if name in tasks]
    return known + sorted(tasks - set(known))


def _methods_present(rows: list[Row]) -> list[str]:
    present = {row.method for row in rows}
    return [name for name in METHODS if name in present] + sorted(present - set(METHODS))


def markdown_table(rows: list[Row] | Path) -> str:
    """Per task, each method's fewest multiplications, and the optimum (bold) or ``[lower bound, best known]``."""
    rows = read_rows(rows) if isinstance(rows, Path) else rows
    best = best_values(rows)
    bounds = optimum_or_bounds(rows)
    methods = [name for name in _methods_present(rows) if name != "exact"]
    lines = [
        "| Task | " + " | ".join(methods) + " | optimum or [bound, best] | exact time (s) |",
        "|---|" + "---|" * (len(methods) + 2),
    ]
    for task in _task_order(set(best)):
        lower, known, seconds = bounds[task]
        cells = [_cell(best[task].get(name), known) for name in methods]
        if lower is None:
            target = "—"
        else:
            target = f"**{known}**" if lower >= known else f"[{lower}, {known}]"
        time_cell = "—" if seconds is None else f"{seconds:.1f}"
        lines.append(f"| {task} | " + " | ".join(cells) + f" | {target} | {time_cell} |")
    return "\n".join(lines)


def alphagrad_table(rows: list[Row] | Path) -> str:
    """Per paper graph: the published AlphaGrad order's count beside ccgym's best method and the optimum or bound."""
    rows = _mults(read_rows(rows) if isinstance(rows, Path) else rows)
    best = best_values(rows)
    bounds = optimum_or_bounds(rows)
    lines = [
        "| Task | AlphaGrad (published order) | ccgym's best | by | optimum or [bound, best] | ccgym's best vs AlphaGrad |",
        "|---|---|---|---|---|---|",
    ]
    for task in _task_order({row.task for row in rows if row.method == PUBLISHED}):
        published = best[task][PUBLISHED]
        ours = {name: value for name, value in best[task].items() if name != PUBLISHED}
        value = min(ours.values())
        winners = ", ".join(name for name in _methods_present(rows) if ours.get(name) == value)
        lower, known, _ = bounds[task]
        target = "—" if lower is None else (f"{known}" if lower >= known else f"[{lower}, {known}]")
        if value < published:
            verdict = f"**{published - value} fewer** ({(published - value) / published:.1%})"
        else:
            verdict = "equal" if value == published else f"{value - published} more"
        lines.append(f"| {task} | {published} | {value} | {winners} | {target} | {verdict} |")
    return "\n".join(lines)


def _comparison(rows: list[Row]) -> str:
    """The paragraph and table of :func:`alphagrad_table`, if the rows have the published orders."""
    if not any(row.method == PUBLISHED for row in rows):
        return ""
    return f"""
The paper's own graphs: the published AlphaGrad order (replayed by ccgym, it
costs exactly the published count) beside ccgym's best method.

{alphagrad_table(rows)}
"""


def _cell(value: int | None, known: int) -> str:
    if value is None:
        return "—"
    return f"**{value}**" if value == known else str(value)


def markdown(rows: list[Row]) -> str:
    """The whole ``LEADERBOARD.md``."""
    budgets = sorted({(row.method, row.budget) for row in rows if row.budget})
    seeds = sorted({row.seed for row in rows if row.seed}, key=int)
    versions = sorted({row.ccgym_version for row in rows})
    dates = sorted({row.date for row in rows})
    legend = "\n".join(f"- **{name}**: {NOTES.get(name, 'external method')}" for name in _methods_present(rows))
    runs = ", ".join(f"{method} {budget}" for method, budget in budgets) or "none"
    return f"""# ccgym leaderboard

Multiplications of the Jacobian by vertex elimination (fewer is better): the
best verified row per task and method in `results/leaderboard.csv`. Bold marks
the best known order of a task; the last columns give the proven optimum (bold)
or a proven lower bound and the best known cost, and the time of the exact
solver's run that proved the bound.

Every row was re-played by the numeric executor before it was written (its
Jacobian equals `torch.func.jacrev` at the task's example inputs, and the
executor's multiplication count equals the kernels'); re-check the whole file
with `python -m baselines.leaderboard validate`. The `AlphaGrad-<name>` tasks are
the AlphaGrad paper's own graphs, imported from edge lists: they have no
function to execute, so their rows are verified by the kernels' replay only
(a valid order costing the row's value). Generated by
`python -m baselines.leaderboard render`; do not edit by hand.

{markdown_table(rows)}
{_comparison(rows)}
![cost relative to Markowitz](leaderboard.png)

{legend}

Budgets: {runs}. Seeds: {", ".join(seeds) or "none"}. Rows: {len(rows)}; ccgym
{", ".join(versions)}; {dates[0] if dates else "—"} to {dates[-1] if dates else "—"}.
"""


def plot(rows: list[Row], path: Path) -> None:
    """Per task, each method's best cost relative to Markowitz (log scale), with the lower bound as a tick."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = best_values(rows)
    bounds = optimum_or_bounds(rows)
    tasks = [task for task in _task_order(set(best)) if "markowitz" in best[task]]
    methods = [name for name in _methods_present(rows) if name not in ("markowitz", "random")]
    width = 0.8 / max(len(methods), 1)
    figure, axes = plt.subplots(figsize=(max(8.0, 1.1 * len(tasks) + 1.5), 4.5))
    colours = plt.get_cmap("tab10")
    for m, name in enumerate(methods):
        xs = [t + (m - (len(methods) - 1) / 2) * width for t, task in enumerate(tasks) if name in best[task]]
        ys = [best[task][name] / best[task]["markowitz"] for task in tasks if name in best[task]]
        axes.bar(xs, ys, width, label=name, color=colours(m % 10))
    bounded = [(t, bounds[task][0] / best[task]["markowitz"]) for t, task in enumerate(tasks) if bounds[task][0]]
    for n, (t, ratio) in enumerate(bounded):
        axes.hlines(ratio, t - 0.45, t + 0.45, colors="black", linewidth=1.5, label=None if n else "lower bound")
    axes.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set_yscale("log")
    axes.set_xticks(range(len(tasks)), tasks, rotation=35, ha="right")
    axes.set_ylabel("multiplications / Markowitz")
    axes.set_title("Cost relative to minimal Markowitz (below 1 is cheaper)")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def render(csv_path: Path, markdown_path: Path, picture_path: Path) -> None:
    """Write the markdown page and the picture from the CSV."""
    rows = read_rows(csv_path)
    markdown_path.write_text(markdown(rows))
    plot(rows, picture_path)
