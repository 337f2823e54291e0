"""Anytime reporting: a running exact solve says when its bound or its best order improves."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Progress = Callable[[int, int, list[int]], None]  # (proven lower bound, best order's cost, best order)


class ProgressPrinter:
    """A :data:`Progress` that prints one line each time the bound rises or the best order gets cheaper."""

    def __init__(self, label: str = "exact", write: Callable[[str], None] | None = None) -> None:
        """``write`` takes each line (default: print it to stderr)."""
        self.label = label
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.start = time.perf_counter()
        self.lower_bound = -1
        self.mults = -1

    def __call__(self, lower_bound: int, mults: int, order: list[int]) -> None:
        if self.mults >= 0 and lower_bound <= self.lower_bound and mults >= self.mults:
            return
        improved_order = self.mults < 0 or mults < self.mults
        self.lower_bound = max(self.lower_bound, lower_bound)
        self.mults = mults if self.mults < 0 else min(self.mults, mults)
        gap = 100.0 * (self.mults - self.lower_bound) / self.mults if self.mults else 0.0
        line = (
            f"{self.label}: {time.perf_counter() - self.start:7.1f} s  bound {self.lower_bound}  "
            f"best {self.mults}  gap {gap:.1f}%"
        )
        if improved_order:
            line += "  order " + " ".join(str(a) for a in order)
        self.write(line)
