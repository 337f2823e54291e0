"""What an exact solver returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Solution:
    """The best order found, its cost, a proven lower bound on the optimum, and how it was found."""

    order: list[int]
    mults: int
    lower_bound: int
    seconds: float
    method: str

    @property
    def proven(self) -> bool:
        """Whether ``order`` is proven optimal (the bound meets its cost)."""
        return self.lower_bound >= self.mults
