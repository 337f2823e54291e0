"""How much work a search baseline may do: seconds, evaluations, or both."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    """A limit on wall-clock seconds and/or on evaluations (whichever is reached first).

    What one evaluation is depends on the method: costing one complete order
    for random search and annealing, one beam pass per unit of its width for
    beam search.
    """

    seconds: float | None = None
    evaluations: int | None = None

    def __post_init__(self) -> None:
        if self.seconds is None and self.evaluations is None:
            raise ValueError("a budget needs seconds, evaluations, or both")

    def __str__(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"{self.seconds:g}s")
        if self.evaluations is not None:
            parts.append(f"{self.evaluations}evals")
        return "+".join(parts)

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Inverse of ``str``: ``"2s"``, ``"1000evals"`` or ``"2s+1000evals"``."""
        seconds = evaluations = None
        for part in text.split("+"):
            if match := re.fullmatch(r"([0-9.]+(?:e[0-9]+)?)s", part):
                seconds = float(match.group(1))
            elif match := re.fullmatch(r"([0-9]+)evals", part):
                evaluations = int(match.group(1))
            else:
                raise ValueError(f"not a budget: {text!r} (use e.g. '2s', '1000evals' or '2s+1000evals')")
        return cls(seconds, evaluations)

    def start(self) -> Meter:
        """A meter that counts evaluations and time against this budget from now."""
        return Meter(self)


@dataclass
class Meter:
    """Spending of one budget."""

    budget: Budget
    evaluations: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def spend(self, evaluations: int) -> None:
        self.evaluations += evaluations

    def left(self) -> int | None:
        """Evaluations left (``None`` when only time limits)."""
        if self.budget.evaluations is None:
            return None
        return max(self.budget.evaluations - self.evaluations, 0)

    @property
    def exhausted(self) -> bool:
        if self.budget.evaluations is not None and self.evaluations >= self.budget.evaluations:
            return True
        return self.budget.seconds is not None and self.elapsed >= self.budget.seconds

    @property
    def progress(self) -> float:
        """Fraction of the budget spent, in ``[0, 1]`` (the larger of the two)."""
        fractions = [0.0]
        if self.budget.evaluations:
            fractions.append(self.evaluations / self.budget.evaluations)
        if self.budget.seconds:
            fractions.append(self.elapsed / self.budget.seconds)
        return min(max(fractions), 1.0)
