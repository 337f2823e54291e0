"""Views of an elimination state: a text table (``"ansi"``) and a picture of the graph (``"rgb_array"``)."""

from __future__ import annotations

import numpy as np

from ccgym import kernels
from ccgym.graph import Graph

COLORS = {"input": "#4c72b0", "intermediate": "#dd8452", "eliminated": "#ffffff", "output": "#55a868"}


def _status(graph: Graph, eliminated: np.ndarray, v: int) -> str:
    kind = graph.vertices[v].kind
    if kind == "intermediate" and eliminated[v - graph.num_inputs]:
        return "eliminated"
    return kind


def render_text(graph: Graph, edges: np.ndarray, eliminated: np.ndarray, summary: str) -> str:
    """``summary`` and a table of the vertices still in the graph: predecessors, successors, cost now."""
    packed = graph.packed
    lines = [
        summary,
        f"{'action':>6}  {'vertex':<24} {'kind':<12} {'shape':<10} {'preds':>5} {'succs':>5} {'cost now':>9}",
    ]
    for v, vertex in enumerate(graph.vertices):
        status = _status(graph, eliminated, v)
        if status == "eliminated":
            continue
        action = str(v - graph.num_inputs) if status == "intermediate" else ""
        preds = int((edges[:, v] != kernels.NO_EDGE).sum())
        succs = int((edges[v] != kernels.NO_EDGE).sum())
        cost = str(kernels.elimination_cost(packed, edges, v)) if status == "intermediate" else ""
        lines.append(
            f"{action:>6}  {vertex.name[:24]:<24} {status:<12} {vertex.shape!s:<10} {preds:>5} {succs:>5} {cost:>9}"
        )
    return "\n".join(lines) + "\n"


def _positions(graph: Graph) -> np.ndarray:
    """``(x, y)`` of every vertex: x is its depth (longest path from an input), y spreads each layer."""
    initial = graph.packed.edges
    depth = np.zeros(graph.num_vertices, np.int64)
    for dst in range(graph.num_vertices):
        srcs = np.flatnonzero(initial[:, dst] != kernels.NO_EDGE)
        if srcs.size:
            depth[dst] = depth[srcs].max() + 1
    positions = np.zeros((graph.num_vertices, 2))
    for layer in np.unique(depth):
        members = np.flatnonzero(depth == layer)
        positions[members, 0] = layer
        positions[members, 1] = np.arange(members.size) - (members.size - 1) / 2
    return positions


def render_image(graph: Graph, edges: np.ndarray, eliminated: np.ndarray, title: str) -> np.ndarray:
    """The current edges over the original vertex positions, as ``uint8[H, W, 3]``."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
    except ImportError as error:  # an optional dependency
        raise ImportError("render_mode='rgb_array' needs matplotlib: pip install matplotlib") from error

    positions = _positions(graph)
    figure = Figure(figsize=(8, 5), dpi=80)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    src, dst = np.nonzero(edges != kernels.NO_EDGE)
    segments = np.stack([positions[src], positions[dst]], axis=1)
    axes.add_collection(LineCollection(segments, colors="#555555", linewidths=0.8, alpha=0.6, zorder=1))
    status = np.array([_status(graph, eliminated, v) for v in range(graph.num_vertices)])
    for name, color in COLORS.items():
        members = status == name
        if members.any():
            axes.scatter(*positions[members].T, s=40, c=color, edgecolors="#333333", label=name, zorder=2)
    axes.set_title(title, fontsize=10)
    figure.legend(loc="lower center", ncol=len(COLORS), fontsize=8, frameon=False)
    axes.set_axis_off()
    axes.autoscale_view()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
