"""The :class:`Task` record: one benchmark function with its metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import ccgym

GRAPH_DIR = Path(__file__).parent / "graphs"

__all__ = ["Task"]


@dataclass(frozen=True)
class Task:
    """A benchmark for Jacobian accumulation: a function or an imported graph, and its metadata.

    An *executable* task has a PyTorch function ``fn`` and ``make_inputs``; its
    graph is traced, and every order can be run by ``ccgym.execute``. A task
    imported from an edge list has ``load_graph`` instead: its graph is costed
    by the kernels but never executed (``graph.metadata["executable"]`` is
    false). ``published`` holds the AlphaGrad (Lohoff & Neftci, NeurIPS 2024)
    figures for the paper's version of the task, or ``None`` when the paper has
    none: ``{"name": paper task name, "sizes": (inputs, intermediates, outputs),
    "forward": int, "reverse": int, "markowitz": int, "alphagrad": int}``
    (multiplication counts of the respective elimination orders), plus for
    the paper's own graphs ``"orders"``: the published Markowitz and AlphaGrad
    orders as lists of the paper's vertex ids.
    """

    name: str
    domain: str
    description: str
    source: str
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    fn: Callable[..., Tensor | tuple[Tensor, ...]] | None = None
    make_inputs: Callable[[torch.Generator], tuple[Tensor, ...]] | None = None
    load_graph: Callable[[], ccgym.Graph] | None = None
    published: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if (self.fn is None) != (self.make_inputs is None) or (self.fn is None) == (self.load_graph is None):
            raise ValueError(f"task {self.name}: give either fn and make_inputs, or load_graph")

    @property
    def executable(self) -> bool:
        """Whether the task has a function, so that orders can be executed on numbers."""
        return self.fn is not None

    def example_inputs(self, seed: int = 0) -> tuple[Tensor, ...]:
        """A valid random input point (float64), reproducible from ``seed``; ``ValueError`` without a function."""
        if self.make_inputs is None:
            raise ValueError(f"task {self.name} has no function: its graph is costed, not executed")
        return self.make_inputs(torch.Generator().manual_seed(seed))

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the inputs, in ``input_names`` order."""
        if not self.executable:
            return tuple(v.shape for v in self.graph().vertices if v.kind == "input")
        return tuple(tuple(x.shape) for x in self.example_inputs())

    @property
    def output_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the outputs, in ``output_names`` order (computed by running ``fn`` where there is one)."""
        if not self.executable:
            return tuple(v.shape for v in self.graph().vertices if v.kind == "output")
        out = self.fn(*self.example_inputs())
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(tuple(y.shape) for y in outs)

    @property
    def graph_path(self) -> Path:
        """Where the task's graph is cached inside the package."""
        return GRAPH_DIR / f"{self.name}.json"

    def build(self) -> ccgym.Graph:
        """A fresh graph: ``fn`` traced at ``example_inputs()``, or the imported graph of a task without one."""
        graph = ccgym.trace(self.fn, *self.example_inputs()) if self.executable else self.load_graph()
        graph.metadata["task"] = self.name
        return graph

    def graph(self) -> ccgym.Graph:
        """The cached graph (loaded once per process; regenerate with ``python -m benchmarks_tasks.regenerate``)."""
        return _load_graph(self.graph_path)


@cache
def _load_graph(path: Path) -> ccgym.Graph:
    if not path.exists():
        raise FileNotFoundError(f"no cached graph {path}; run `python -m benchmarks_tasks.regenerate`")
    return ccgym.Graph.from_json(path.read_text())
