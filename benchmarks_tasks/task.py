"""The :class:`Task` record: one benchmark function with its metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

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
