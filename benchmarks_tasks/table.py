"""The task table of the README, computed from the cached graphs.

    python -m benchmarks_tasks.table                 # print the markdown table
    python -m benchmarks_tasks.table --write README.md   # replace it between the README's markers
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import ccgym
from benchmarks_tasks import get, names
from ccgym.markdown import replace_section

WHY_COUNTS_DIFFER = {
    "LIF": "PyTorch records (1 - alpha) and (1 - beta) as vertices of their own, and the spike, both an output and "
    "an operand of the reset, is an intermediate copied to its output vertex: 10 intermediates to the hand-built 9.",
    "SNN": "No published figures: a task of ccgym's spiking family.",
    "AdaLIF": "No published figures: a task of ccgym's spiking family.",
    "RoeFlux": "Same equations; constants are folded and PyTorch has no separate square/divide-by-constant vertices, "
    "so 90 intermediates to the paper's 98, and every count is somewhat lower.",
    "RoeFlux3d": "Velocities are (3,) vectors here, so the tangential momentum terms are vector vertices with "
    "diagonal Jacobians rather than separate scalars; 117 intermediates to 143.",
    "RobotArm": "We use the PUMA 560 Denavit-Hartenberg parameters and roll-pitch-yaw angles; the paper's arm and "
    "angle convention differ, hence 111 intermediates to 108 and different counts.",
    "HumanHeartDipole": "Written from the MINPACK-2 Fortran (data set DHHD1) with constant products folded: "
    "64 intermediates to 78.",
    "PropaneCombustion": "Written from the MINPACK-2 Fortran including the equilibrium constants K5..K10, which "
    "the paper's version omits: 56 intermediates to 51.",
    "BlackScholes": "The greeks are written in closed form by hand (38 intermediates); the paper's graph came from "
    "differentiating the price automatically (129), so all our counts are far lower.",
    "MLP": "Tensor vertices with structured Jacobians; log_softmax is one vertex, layer norm is written out; "
    "forward and Markowitz pay for dense weight Jacobians as in the paper, but with other decompositions.",
    "Transformer": "Softmax is one vertex whose Jacobian is dense along its axis; attention and layer norm are "
    "decomposed by PyTorch, not JAX, hence 56 intermediates to 90.",
    "RandomF": "Drawn by ccgym's own seeded generator with the paper's input shapes and sizes, not the paper's f.",
    "RandomG": "Drawn by ccgym's own seeded generator with the paper's sizes (15 scalar inputs, 20 outputs), "
    "not the paper's g.",
    **{
        f"AlphaGrad-{name}": "The paper's own graph, imported (costed, not executed): all four published counts "
        "are reproduced exactly (forward, reverse, Markowitz here, and the published AlphaGrad order replayed)."
        for name in ("RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g")
    },
    "AlphaGrad-BlackScholes_Jacobian": "The paper's own graph, imported (costed, not executed). Its vertex ids are "
    "not topologically ordered, so the paper's forward (ids ascending) and reverse (ids descending) orders are not "
    "ccgym's topological ones in this row: in the paper's orders ccgym counts exactly the published 545 / 572 / 350 "
    "/ 312, with its four copy edges as unit edges (free products, as in the paper; as ordinary edges, ids "
    "descending would cost 596 and the AlphaGrad order 313).",
}


def _published(task) -> str:
    p = task.published
    if not p:
        return "—"
    return f"{p['forward']} / {p['reverse']} / {p['markowitz']} / {p['alphagrad']}"


def markdown() -> str:
    """The table: sizes, our forward/reverse/Markowitz costs and peaks, and the paper's counts."""
    rows = [
        (
            "| Task | Domain | In / Int / Out | Forward mults (peak) | Reverse mults (peak) | Markowitz mults (peak) "
            "| Paper F / R / M / AlphaGrad | Paper sizes |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name in names():
        task = get(name)
        graph = task.graph()
        costs = [ccgym.cost(graph, order(graph)) for order in (ccgym.forward_order, ccgym.reverse_order, ccgym.markowitz_order)]
        sizes = task.published["sizes"] if task.published else None
        rows.append(
            f"| {name} | {task.domain} | {graph.num_inputs} / {graph.num_intermediates} / {graph.num_outputs} | "
            + " | ".join(f"{c.mults} ({c.peak_memory})" for c in costs)
            + f" | {_published(task)} | {' / '.join(map(str, sizes)) if sizes else '—'} |"
        )
        notes.append(f"- **{name}**: {WHY_COUNTS_DIFFER[name]}")
    return "\n".join(rows) + "\n\n" + "\n".join(notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a file's markers."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", type=Path, help="file whose task-table markers to fill")
    args = parser.parse_args(argv)
    if args.write:
        replace_section(args.write, "task-table", markdown())
    else:
        print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
