"""How much work a search baseline may do: seconds, evaluations, or both."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from numbers import Integral, Real

from baselines.compile_time import excluding_compilation

NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?"  # a decimal number as budgets and leaderboard files write it


def check_seconds(seconds: float) -> float:
    """``seconds`` as a float; ``ValueError`` unless it is a finite positive number."""
    if isinstance(seconds, bool) or not isinstance(seconds, Real) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a time limit must be a finite positive number of seconds, got {seconds!r}")
    return float(seconds)


def check_evaluations(evaluations: int) -> int:
    """``evaluations`` as an int; ``ValueError`` unless it is a positive integer."""
    if isinstance(evaluations, bool) or not isinstance(evaluations, Integral) or evaluations <= 0:
        raise ValueError(f"an evaluation budget must be a positive integer, got {evaluations!r}")
    return int(evaluations)


@dataclass(frozen=True)
class Budget:
    """A limit on wall-clock seconds and/or on evaluations (whichever is reached first).

    The seconds leave out Numba's compiling (:mod:`baselines.compile_time`),
    so that a cold cache does not shorten a search.

    What one evaluation is depends on the method: costing one complete order
    for random search and annealing, one beam pass per unit of its width for
    beam search.
    """

    seconds: float | None = None
    evaluations: int | None = None

    def __post_init__(self) -> None:
        if self.seconds is None and self.evaluations is None:
            raise ValueError("a budget needs seconds, evaluations, or both")
        if self.seconds is not None:
            object.__setattr__(self, "seconds", check_seconds(self.seconds))
        if self.evaluations is not None:
            object.__setattr__(self, "evaluations", check_evaluations(self.evaluations))

    def __str__(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"{self.seconds:g}s")
        if self.evaluations is not None:
            parts.append(f"{self.evaluations}evals")
        return "+".join(parts)

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Inverse of ``str``: ``"2s"``, ``"1000evals"`` or ``"2s+1000evals"``; ``ValueError`` otherwise."""
        match = re.fullmatch(rf"(?:({NUMBER})s)?(\+?)(?:([0-9]+)evals)?", text)
        seconds, plus, evaluations = match.groups() if match else (None, "", None)
        if not (seconds or evaluations) or bool(plus) != bool(seconds and evaluations):
            raise ValueError(f"not a budget: {text!r} (use e.g. '2s', '1000evals' or '2s+1000evals')")
        return cls(None if seconds is None else float(seconds), None if evaluations is None else int(evaluations))

    def start(self) -> Meter:
        """A meter that counts evaluations and time against this budget from now."""
        return Meter(self)


BUDGET_CLOCK = excluding_compilation(time.perf_counter)


@dataclass
class Meter:
    """Spending of one budget."""

    budget: Budget
    evaluations: int = 0
    started: float = field(default_factory=BUDGET_CLOCK)

    @property
    def elapsed(self) -> float:
        """Wall-clock seconds since the start, less those spent compiling."""
        return BUDGET_CLOCK() - self.started

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
