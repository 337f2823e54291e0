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
    """A benchmark function for Jacobian accumulation and everything needed to run it.

    ``published`` holds the AlphaGrad (Lohoff & Neftci, NeurIPS 2024) figures for
    the paper's version of the task, or ``None`` when the paper has none:
    ``{"name": paper task name, "sizes": (inputs, intermediates, outputs),
    "forward": int, "reverse": int, "markowitz": int, "alphagrad": int}``
    (multiplication counts of the respective elimination orders).
    """

    name: str
    domain: str
    description: str
    source: str
    fn: Callable[..., Tensor | tuple[Tensor, ...]]
    make_inputs: Callable[[torch.Generator], tuple[Tensor, ...]]
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    published: dict[str, Any] | None = field(default=None, hash=False)

    def example_inputs(self, seed: int = 0) -> tuple[Tensor, ...]:
        """A valid random input point (float64), reproducible from ``seed``."""
        return self.make_inputs(torch.Generator().manual_seed(seed))

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the inputs, in ``input_names`` order."""
        return tuple(tuple(x.shape) for x in self.example_inputs())

    @property
    def output_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the outputs, in ``output_names`` order (computed by running ``fn``)."""
        out = self.fn(*self.example_inputs())
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(tuple(y.shape) for y in outs)

    @property
    def graph_path(self) -> Path:
        """Where the traced graph is cached inside the package."""
        return GRAPH_DIR / f"{self.name}.json"

    def trace(self) -> ccgym.Graph:
        """A fresh trace of ``fn`` at ``example_inputs()``."""
        graph = ccgym.trace(self.fn, *self.example_inputs())
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
