"""Random input helpers shared by the task modules (all float64)."""

from __future__ import annotations

import torch
from torch import Tensor


def uniform(gen: torch.Generator, low: float, high: float, shape: tuple[int, ...] = ()) -> Tensor:
    """Uniform samples in ``[low, high)`` with the given shape (``()`` gives a 0-d tensor)."""
    return low + (high - low) * torch.rand(shape, generator=gen, dtype=torch.float64)


def bernoulli(gen: torch.Generator, p: float, shape: tuple[int, ...]) -> Tensor:
    """0/1 samples (float64) that are 1 with probability ``p``."""
    return (torch.rand(shape, generator=gen, dtype=torch.float64) < p).to(torch.float64)


def one_hot_rows(gen: torch.Generator, rows: int, classes: int) -> Tensor:
    """A ``(rows, classes)`` float64 matrix whose rows are random one-hot vectors."""
    labels = torch.randint(classes, (rows,), generator=gen)
    return torch.nn.functional.one_hot(labels, classes).to(torch.float64)
