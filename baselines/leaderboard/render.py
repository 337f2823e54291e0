"""The leaderboard as markdown and as a picture, computed from the CSV rows only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import benchmarks_tasks
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.methods import PUBLISHED_ALPHAGRAD as PUBLISHED
from baselines.leaderboard.records import Proof, Row, proofs_path, read_proofs, read_rows

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
    "exact": "A* over sets (≤ 24 intermediates, or a tensor graph ≤ 62), then CP-SAT where A* leaves a gap or the "
    "graph is larger: exact on scalar graphs, a relaxation (lower bound only) on tensor graphs and graphs with unit "
    "edges; see baselines/README.md and docs/exact-bounds.md",
    "ppo": "MaskablePPO with a per-vertex graph policy (baselines/ppo), its deterministic order after training",
    "ppo-best": "the best order PPO met while training (or its deterministic order if cheaper): same run as ppo",
    "alphazero": "AlphaZero (baselines/zero) trained from scratch on the task for the budget; the best order it played",
    "alphazero-pretrained": "the same, starting from the network pretrained on random graphs that ccgym ships "
    "(baselines/zero/pretrained.py: 904 CPU-s once, shared by all tasks)",
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


@dataclass(frozen=True)
class Target:
    """What the board knows of a task's optimum: the best known cost and the best lower bound.

    ``proven``: the bound was proven here (a :class:`Proof` beside the CSV);
    otherwise it is only claimed by a row. ``seconds``: the time of the run
    that proved (or claims) it.
    """

    best: int
    bound: int | None = None
    proven: bool = False
    seconds: float | None = None

    @property
    def cell(self) -> str:
        """``**optimum**``, ``[bound, best]``, or ``[bound?, best]`` for a bound that is only claimed."""
        if self.bound is None:
            return "—"
        if self.proven and self.bound >= self.best:
            return f"**{self.best}**"
        return f"[{self.bound}{'' if self.proven else '?'}, {self.best}]"


def targets(rows: list[Row], proofs: list[Proof]) -> dict[str, Target]:
    """``task -> Target``: the largest proven bound, else the largest claimed one (a row's ``lower_bound``)."""
    result = {}
    for task in {row.task for row in _mults(rows)}:
        best = min(row.value for row in _mults(rows) if row.task == task)
        proven = [proof for proof in proofs if proof.task == task]
        claimed = [row for row in _mults(rows) if row.task == task and row.bound is not None]
        if proven:
            top = max(proven, key=lambda proof: (proof.lower_bound, -proof.wall_time_s))
            result[task] = Target(best, top.lower_bound, True, top.wall_time_s)
        elif claimed:
            top = max(claimed, key=lambda row: (row.bound, -row.wall_time_s))
            result[task] = Target(best, top.bound, False, top.wall_time_s)
        else:
            result[task] = Target(best)
    return result


def _task_order(tasks: set[str]) -> list[str]:
    known = [name for name in benchmarks_tasks.names() if name in tasks]
    return known + sorted(tasks - set(known))


def _methods_present(rows: list[Row]) -> list[str]:
    present = {row.method for row in rows}
    return [name for name in METHODS if name in present] + sorted(present - set(METHODS))


def markdown_table(csv_path: Path) -> str:
    """Per task, each method's fewest multiplications, and the optimum (bold) or ``[lower bound, best known]``."""
    return _table(read_rows(csv_path), read_proofs(csv_path))


def _table(rows: list[Row], proofs: list[Proof]) -> str:
    best = best_values(rows)
    known = targets(rows, proofs)
    methods = [name for name in _methods_present(rows) if name != "exact"]
    lines = [
        "| Task | " + " | ".join(methods) + " | optimum or [bound, best] | exact time (s) |",
        "|---|" + "---|" * (len(methods) + 2),
    ]
    for task in _task_order(set(best)):
        target = known[task]
        cells = [_cell(best[task].get(name), target.best) for name in methods]
        time_cell = "—" if target.seconds is None else f"{target.seconds:.1f}"
        lines.append(f"| {task} | " + " | ".join(cells) + f" | {target.cell} | {time_cell} |")
    return "\n".join(lines)


def alphagrad_table(csv_path: Path) -> str:
    """Per paper graph: the published AlphaGrad order's count beside ccgym's best method and the optimum or bound."""
    return _alphagrad_table(read_rows(csv_path), read_proofs(csv_path))


def _alphagrad_table(rows: list[Row], proofs: list[Proof]) -> str:
    rows = _mults(rows)
    best = best_values(rows)
    known = targets(rows, proofs)
    lines = [
        "| Task | AlphaGrad (published order) | ccgym's best | by | optimum or [bound, best] | ccgym's best vs AlphaGrad |",
        "|---|---|---|---|---|---|",
    ]
    for task in _task_order({row.task for row in rows if row.method == PUBLISHED}):
        published = best[task][PUBLISHED]
        ours = {name: value for name, value in best[task].items() if name != PUBLISHED}
        value = min(ours.values())
        winners = ", ".join(name for name in _methods_present(rows) if ours.get(name) == value)
        target = known[task].cell
        if value < published:
            verdict = f"**{published - value} fewer** ({(published - value) / published:.1%})"
        else:
            verdict = "equal" if value == published else f"{value - published} more"
        lines.append(f"| {task} | {published} | {value} | {winners} | {target} | {verdict} |")
    return "\n".join(lines)


LEARNED = ("ppo-best", "alphazero", "alphazero-pretrained")  # the learned agents' columns, best order seen


def learned_table(csv_path: Path) -> str:
    """Per task, the learned agents beside reverse, Markowitz, annealing, the optimum and AlphaGrad's published count.

    The last two columns hold the AlphaZero agent (the better of its two
    methods) against its goals: no worse than min(Markowitz, reverse), and no
    worse than the published AlphaGrad count where the paper has one.
    """
    rows = _mults(read_rows(csv_path))
    best = best_values(rows)
    known = targets(rows, read_proofs(csv_path))
    agents = [name for name in LEARNED if any(row.method == name for row in rows)]
    lines = [
        "| Task | reverse | Markowitz | annealing | optimum or [bound, best] | AlphaGrad (published) | "
        + " | ".join(agents) + " | AlphaZero vs min(Markowitz, reverse) | AlphaZero vs AlphaGrad |",
        "|---|" + "---|" * (len(agents) + 7),
    ]  # fmt: skip
    for task in _task_order({row.task for row in rows if row.method in agents}):
        values = best[task]
        cells = [values.get(name) for name in ("reverse", "markowitz", "annealing")]
        zero = [values[name] for name in ("alphazero", "alphazero-pretrained") if name in values]
        line = [task, *(_plain(value) for value in cells), known[task].cell, _plain(values.get(PUBLISHED))]
        line += [_cell(values.get(name), known[task].best) for name in agents]
        floor = [values[name] for name in ("reverse", "markowitz") if name in values]
        line += [_against(min(zero), min(floor)) if zero and floor else "—"]
        line += [_against(min(zero), values[PUBLISHED]) if zero and PUBLISHED in values else "—"]
        lines.append("| " + " | ".join(line) + " |")
    return "\n".join(lines)


def _plain(value: int | None) -> str:
    return "—" if value is None else str(value)


def _against(value: int, goal: int) -> str:
    """``value`` against a goal it should not exceed: ``met (−n)``, ``met`` when equal, or ``**n more**``."""
    if value < goal:
        return f"met ({value - goal})"
    return "met (equal)" if value == goal else f"**{value - goal} more**"


def _comparison(rows: list[Row], proofs: list[Proof]) -> str:
    """The paragraph and table of :func:`alphagrad_table`, if the rows have the published orders."""
    if not any(row.method == PUBLISHED for row in rows):
        return ""
    return f"""
The paper's own graphs: the published AlphaGrad order (replayed by ccgym, it
costs exactly the published count) beside ccgym's best method.

{_alphagrad_table(rows, proofs)}
"""


def _cell(value: int | None, known: int) -> str:
    if value is None:
        return "—"
    return f"**{value}**" if value == known else str(value)


def markdown(rows: list[Row], proofs: list[Proof], csv_path: Path) -> str:
    """The whole ``LEADERBOARD.md`` of the rows and proofs of ``csv_path``, naming that CSV."""
    csv_name = csv_path.as_posix()
    budgets = sorted({(row.method, row.budget) for row in rows if row.budget})
    seeds = sorted({row.seed for row in rows if row.seed}, key=int)
    versions = sorted({row.ccgym_version for row in rows})
    dates = sorted({row.date for row in rows})
    legend = "\n".join(f"- **{name}**: {NOTES.get(name, 'external method')}" for name in _methods_present(rows))
    runs = ", ".join(f"{method} {budget}" for method, budget in budgets) or "none"
    return f"""# ccgym leaderboard

Multiplications of the Jacobian by vertex elimination (fewer is better): the
best verified row per task and method in `{csv_name}`. Bold marks the best
known order of a task; the last columns give the optimum (bold) or a lower
bound and the best known cost, and the time of the exact solver's run behind
the bound. A bound counts as proven (a bold optimum, or `[bound, best]`) only
when the exact solver proved it on this machine, in the run that wrote it or
by `validate --reprove-bounds`, as recorded in `{proofs_path(csv_path).as_posix()}`;
`[bound?, best]` is a bound the CSV only claims.

`run` re-played every order with the numeric executor before writing its row
(Jacobian equal to `torch.func.jacrev` at the task's example inputs, executor
count equal to the kernels'). Re-check the whole file, re-running every
deterministic method, with `python -m baselines.leaderboard validate {csv_name}`;
add `--reprove-bounds` to re-run the exact solver for every bound, or
`--trust-bounds` to accept them as claims. Generated by
`python -m baselines.leaderboard render --results {csv_path.parent.as_posix()}`;
do not edit by hand.

{_table(rows, proofs)}

The `AlphaGrad-<name>` tasks are the AlphaGrad paper's own graphs, imported
from edge lists: they have no function to execute, so their rows are verified
by the kernels' replay only (a valid order costing the row's value).
{_comparison(rows, proofs)}
![cost relative to Markowitz](leaderboard.png)

{legend}

Budgets: {runs}. Seeds: {", ".join(seeds) or "none"}. Rows: {len(rows)}; ccgym
{", ".join(versions)}; {dates[0] if dates else "—"} to {dates[-1] if dates else "—"}.
"""


def plot(rows: list[Row], proofs: list[Proof], path: Path) -> None:
    """Per task, each method's best cost relative to Markowitz (log scale), with the proven lower bound as a tick."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    best = best_values(rows)
    known = targets(rows, proofs)
    tasks = [task for task in _task_order(set(best)) if "markowitz" in best[task]]
    methods = [name for name in _methods_present(rows) if name not in ("markowitz", "random")]
    width = 0.8 / max(len(methods), 1)
    figure, axes = plt.subplots(figsize=(max(8.0, 1.1 * len(tasks) + 1.5), 4.5))
    colours = plt.get_cmap("tab10")
    for m, name in enumerate(methods):
        xs = [t + (m - (len(methods) - 1) / 2) * width for t, task in enumerate(tasks) if name in best[task]]
        ys = [best[task][name] / best[task]["markowitz"] for task in tasks if name in best[task]]
        axes.bar(xs, ys, width, label=name, color=colours(m % 10))
    bounded = [(t, known[task].bound / best[task]["markowitz"]) for t, task in enumerate(tasks) if known[task].proven]
    for n, (t, ratio) in enumerate(bounded):
        axes.hlines(ratio, t - 0.45, t + 0.45, colors="black", linewidth=1.5, label=None if n else "proven lower bound")
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
    """Write the markdown page and the picture from the CSV and the proofs beside it."""
    rows, proofs = read_rows(csv_path), read_proofs(csv_path)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(markdown(rows, proofs, csv_path))
    plot(rows, proofs, picture_path)
