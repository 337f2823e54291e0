"""The AlphaGrad paper's own scalar graphs as tasks, ``AlphaGrad-<name>``: costed, not executed.

Six graphs of Lohoff & Neftci (NeurIPS 2024) have only scalar vertices and
edges. ``paper_graphs/<name>.json`` holds each one as the paper's reference
implementation builds it, exported as an edge list (provenance in the file's
``source``, format in ``paper_graphs/README.md``), with the published
multiplication counts and orders. :func:`edge_list` rewrites a file as a ccgym
edge list (:mod:`ccgym.edge_list`): the inputs become ``x1 .. xn``, the
vertices keep the paper's ids, so a published order translates with
``ccgym.edge_list.to_actions``, the jaxpr primitives become op labels, and the
copy edges become unit edges (a product with them is free, as in the paper).
There is no PyTorch function behind these graphs, so ``ccgym.execute`` cannot
check them; the kernels cost them exactly as the paper does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ccgym

from .task import Task

__all__ = ["ALPHAGRAD_TASKS", "PAPER_DIR", "edge_list"]

PAPER_DIR = Path(__file__).parent / "paper_graphs"

# paper name -> (domain, what the function computes)
_PAPER_GRAPHS = {
    "RoeFlux_1d": ("computational fluid dynamics", "Roe's approximate Riemann flux of the 1-d Euler equations"),
    "RobotArm_6DOF": ("robotics", "the forward kinematics of a six-joint robot arm"),
    "HumanHeartDipole": ("physiology (nonlinear equations)", "the MINPACK-2 human heart dipole residuals"),
    "PropaneCombustion": ("chemistry (nonlinear equations)", "the MINPACK-2 propane combustion residuals"),
    "g": ("random functions", "the paper's random scalar function g"),
    "BlackScholes_Jacobian": (
        "computational finance",
        "the Jacobian of the Black-Scholes greeks, built by differentiating the price automatically",
    ),
}


def edge_list(paper: dict[str, Any]) -> dict[str, Any]:
    """A paper graph file's content as a ccgym edge list."""

    def vertex_id(end: list) -> int | str:
        kind, number = end
        return f"x{number}" if kind == "input" else number

    return {
        "inputs": [{"id": f"x{n}", "name": f"x{n}"} for n in range(1, paper["num_inputs"] + 1)],
        "vertices": [{"id": v["id"], "name": f"v{v['id']}", "op": v["primitive"]} for v in paper["vertices"]],
        "outputs": paper["outputs"],
        "edges": [
            {"src": vertex_id(e["src"]), "dst": e["dst"], "copy": e.get("copy", False)} for e in paper["edges"]
        ],
        "metadata": {"paper_name": paper["name"], "source": paper["source"]},
    }


def _task(paper_name: str) -> Task:
    path = PAPER_DIR / f"{paper_name}.json"
    paper = json.loads(path.read_text())
    domain, what = _PAPER_GRAPHS[paper_name]
    sizes = (paper["num_inputs"], len(paper["vertices"]) - len(paper["outputs"]), len(paper["outputs"]))
    return Task(
        name=f"AlphaGrad-{paper_name}",
        domain=domain,
        description=(
            f"The AlphaGrad paper's own graph of {what}: {sizes[0]} inputs, {sizes[1]} intermediates, "
            f"{sizes[2]} outputs, all scalar; imported from its edge list, costed but not executed."
        ),
        source=paper["source"],
        input_names=tuple(f"x{n}" for n in range(1, sizes[0] + 1)),
        output_names=tuple(f"v{o}" for o in paper["outputs"]),
        load_graph=lambda: ccgym.Graph.from_edge_list(edge_list(paper)),
        published={"name": paper["name"], "sizes": sizes, **paper["published"], "orders": paper["orders"]},
    )


ALPHAGRAD_TASKS: tuple[Task, ...] = tuple(_task(name) for name in _PAPER_GRAPHS)
