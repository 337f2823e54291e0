"""Measured runtime of compiled Jacobians against torch.func.jacrev and jacfwd, printed as JSON lines.

    python -m baselines.bench.runtime [--tasks LIF MLP] [--batches 1 64 1024] [--min-seconds 0.2] \\
        [--device cuda] [--jsonl results/runtime.jsonl] [--png results/runtime.png]
    python -m baselines.bench.runtime --from results/runtime.jsonl --png results/runtime.png   # table and picture only

For every task with a function and every batch size ``B``, in one process:
``jacrev`` and ``jacfwd`` (``torch.func``, all inputs as ``argnums``; for
``B > 1`` under ``torch.vmap``) and the compiled Jacobian
(:func:`ccgym.compile_jacobian`, ``batched`` for ``B > 1``) of the forward,
reverse and Markowitz orders and of the best known order (fewest
multiplications on ``results/leaderboard.csv``). Inputs are the task's
example points (seeds ``0 .. B-1``), float64, on the CPU or ``--device``
(every method then runs there, and each timing waits for the device). Each
compiled Jacobian is first checked against jacrev at one point.

Every line is one (task, batch, method) with the order's multiplication count
and the compiled function's tensor operations (``operations``), and a
:class:`ccgym.timing.Timing` (median and quartiles of wall time per call, in
microseconds, after ``--warmup`` untimed calls; at least ``--repeats`` timed
calls and ``--min-seconds``), the machine and its load average. The markdown table (medians,
and each compiled order's speed-up over jacrev) goes to stderr at the end;
``--png`` draws the speed-ups.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

import benchmarks_tasks
import ccgym
from baselines.device import check_device
from baselines.leaderboard.records import read_rows
from ccgym.timing import machine, measure

BOARD = Path("results/leaderboard.csv")
ORDERS = ("forward", "reverse", "markowitz", "best")
REFERENCES = ("jacrev", "jacfwd")
METHODS = REFERENCES + ORDERS


def best_known_orders(board: Path) -> dict[str, tuple[str, list[int]]]:
    """Per task, the method and order with the fewest multiplications on a leaderboard CSV (first such line)."""
    best: dict[str, tuple[int, str, list[int]]] = {}
    for row in read_rows(board):
        if row.metric == "mults" and (row.task not in best or row.value < best[row.task][0]):
            best[row.task] = (row.value, row.method, row.actions)
    return {task: (method, order) for task, (_, method, order) in best.items()}


def orders_of(graph: ccgym.Graph, best: list[int]) -> dict[str, list[int]]:
    """The four orders the benchmark compiles."""
    return {
        "forward": ccgym.forward_order(graph),
        "reverse": ccgym.reverse_order(graph),
        "markowitz": ccgym.markowitz_order(graph),
        "best": best,
    }


def task_lines(name: str, batches: list[int], best: list[int], timing: dict, device: str = "cpu") -> list[dict]:
    """Time every method on one task at every batch size, with the inputs on ``device``."""
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    argnums = tuple(range(len(task.input_names)))
    point = tuple(x.to(device) for x in task.example_inputs(0))
    compiled = {}
    for order_name, order in orders_of(graph, best).items():
        jacobian = ccgym.compile_jacobian(None, order, *point, graph=graph)
        _check(jacobian(*point), torch.func.jacrev(task.fn, argnums=argnums)(*point), f"{name} {order_name}")
        compiled[order_name] = jacobian
    lines = []
    for batch in batches:
        points = [tuple(x.to(device) for x in task.example_inputs(seed)) for seed in range(batch)]
        inputs = point if batch == 1 else tuple(torch.stack(xs) for xs in zip(*points))
        functions = {
            "jacrev": torch.func.jacrev(task.fn, argnums=argnums),
            "jacfwd": torch.func.jacfwd(task.fn, argnums=argnums),
        }
        if batch > 1:
            functions = {method: torch.vmap(function) for method, function in functions.items()}
        for order_name, jacobian in compiled.items():
            functions[order_name] = jacobian if batch == 1 else jacobian.batched
        for method, function in functions.items():
            measured = measure(function, *inputs, **timing)
            line = {"task": name, "batch": batch, "method": method}
            if method in compiled:
                line |= {"mults": compiled[method].mults, "operations": compiled[method].num_operations}
            lines.append(line | measured.as_dict())
    return lines


def _check(actual, expected, what: str) -> None:
    if isinstance(expected, torch.Tensor):
        if not torch.allclose(actual, expected, rtol=1e-9, atol=1e-10):
            raise AssertionError(f"{what}: the compiled Jacobian differs from jacrev")
        return
    for a, e in zip(actual, expected, strict=True):
        _check(a, e, what)


def markdown_table(lines: list[dict]) -> str:
    """Median microseconds per call of every method; each compiled order's speed-up over jacrev in brackets."""
    header = "| Task | B | jacrev | jacfwd | forward | reverse | Markowitz | best known | best known: mults / ops |"
    rows = [header, "|" + "---|" * 9]
    cells: dict[tuple[str, int], dict[str, dict]] = {}
    for line in lines:
        cells.setdefault((line["task"], line["batch"]), {})[line["method"]] = line
    for (task, batch), methods in cells.items():
        reference = methods["jacrev"]["median_us"]
        fastest = min(methods, key=lambda m: methods[m]["median_us"])
        shown = []
        for method in METHODS:
            text = _microseconds(methods[method]["median_us"])
            if method in ORDERS:
                text += f" ({reference / methods[method]['median_us']:.1f}x)"
            shown.append(f"**{text}**" if method == fastest else text)
        best = methods["best"]
        rows.append(f"| {task} | {batch} | " + " | ".join(shown) + f" | {best['mults']} / {best['operations']} |")
    return "\n".join(rows)


def _microseconds(value: float) -> str:
    return f"{value / 1000:,.1f} ms" if value >= 10_000 else f"{value:,.0f} µs"


def draw(lines: list[dict], path: Path) -> None:
    """One panel per batch size: each method's time over jacrev's, per task (log scale; below 1 is faster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    batches = sorted({line["batch"] for line in lines})
    tasks = list(dict.fromkeys(line["task"] for line in lines))
    figure, axes = plt.subplots(len(batches), 1, figsize=(12, 3.2 * len(batches)), squeeze=False)
    width = 0.8 / (len(METHODS) - 1)
    for axis, batch in zip(axes[:, 0], batches):
        table = {(line["task"], line["method"]): line["median_us"] for line in lines if line["batch"] == batch}
        for n, method in enumerate(METHODS[1:]):
            ratios = [table[(task, method)] / table[(task, "jacrev")] for task in tasks]
            axis.bar(np.arange(len(tasks)) + (n - 2) * width, ratios, width, label=method)
        axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_yscale("log")
        axis.set_ylabel("time / jacrev's")
        axis.set_title(f"batch {batch}")
        axis.set_xticks(np.arange(len(tasks)), tasks, rotation=30, ha="right", fontsize=8)
    axes[0, 0].legend(ncol=5, fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.12))
    machine = lines[0].get("machine", "")
    figure.suptitle(f"Compiled Jacobians against jacrev (below 1: faster), float64; {machine}", fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", help="tasks with a function (default: all of them)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 64, 1024])
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1: a shared machine)")
    parser.add_argument("--device", default="cpu", help="where the inputs and every method run (default: cpu)")
    parser.add_argument("--board", type=Path, default=BOARD, help="leaderboard CSV of the best known orders")
    parser.add_argument("--jsonl", type=Path, help="also append the lines to this file")
    parser.add_argument("--from", dest="source", type=Path, help="read lines from this file instead of measuring")
    parser.add_argument("--png", type=Path, help="draw the speed-ups into this picture")
    args = parser.parse_args(argv)
    try:
        check_device(args.device)
    except ValueError as error:
        parser.error(str(error))
    if args.source:
        lines = [json.loads(text) for text in args.source.read_text().splitlines() if text.strip()]
    else:
        lines = _measure(args)
    print(markdown_table(lines), file=sys.stderr)
    if args.png:
        draw(lines, args.png)


def _measure(args: argparse.Namespace) -> list[dict]:
    torch.set_num_threads(args.threads)
    names = args.tasks or [task.name for task in benchmarks_tasks.TASKS if task.executable]
    if message := benchmarks_tasks.unknown(names):
        raise SystemExit(f"error: {message}")
    best = best_known_orders(args.board)
    machine_line = machine(args.device)
    stamp = {"machine": machine_line, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")}
    timing = {"warmup": args.warmup, "repeats": args.repeats, "min_seconds": args.min_seconds}
    lines = []
    for name in names:
        if not benchmarks_tasks.get(name).executable:
            raise SystemExit(f"error: task {name} has no function to differentiate")
        for line in task_lines(name, args.batches, best[name][1], timing, args.device):
            line |= {"best_by": best[name][0]} if line["method"] == "best" else {}
            lines.append(line | stamp | {"load": round(os.getloadavg()[0], 2)})  # how busy the machine was
            print(json.dumps(lines[-1]), flush=True)
            if args.jsonl:
                with args.jsonl.open("a") as handle:
                    handle.write(json.dumps(lines[-1]) + "\n")
    return lines


if __name__ == "__main__":
    main()
