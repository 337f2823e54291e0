"""Rewards of the CCElim environments, their scaling, and the baseline orders they are scaled by.

A step that eliminates a vertex has two costs: the multiplications it performs
and how much it raises the peak of stored values (``max(0, memory after -
peak before)``). The reward is minus a weighted sum of them::

    reward = -reward_scale * (w_mults * mults / N_mults + w_memory * peak_increase / N_memory)

so an episode returns ``-reward_scale * (w_mults * total mults / N_mults + w_memory *
(peak - initial memory) / N_memory)``. ``N_mults`` and ``N_memory`` are 1 unless
``normalize`` names a baseline order of the same graph; then they are its
multiplications and its peak memory (``"best"``: the smallest over forward,
reverse and Markowitz, per term). With ``normalize="reverse"``, the
multiplication return of reverse mode is -1 on every graph, so one set of
hyper-parameters can serve several tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ccgym.elimination import Cost, cost, forward_order, markowitz_order, reverse_order
from ccgym.graph import Graph

TERMS = ("mults", "memory")
BASELINES = ("forward", "reverse", "markowitz")
NORMALIZERS = (*BASELINES, "best")


@dataclass(frozen=True)
class Baselines:
    """Costs of the forward, reverse and Markowitz orders of one graph."""

    forward: Cost
    reverse: Cost
    markowitz: Cost

    @classmethod
    def of(cls, graph: Graph) -> Baselines:
        """Run the three orders on ``graph``."""
        return cls(
            cost(graph, forward_order(graph)),
            cost(graph, reverse_order(graph)),
            cost(graph, markowitz_order(graph)),
        )

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{baseline: {"mults": ..., "peak_memory": ...}}``."""
        return {name: {"mults": c.mults, "peak_memory": c.peak_memory} for name, c in self._costs().items()}

    def ratios(self, episode: Cost) -> dict[str, dict[str, float]]:
        """``episode / baseline`` for each baseline and each of mults and peak memory."""
        return {
            name: {"mults": _ratio(episode.mults, c.mults), "peak_memory": _ratio(episode.peak_memory, c.peak_memory)}
            for name, c in self._costs().items()
        }

    def normalizers(self, normalize: str | None) -> tuple[float, float]:
        """``(N_mults, N_memory)`` for a ``normalize`` option (see the module docstring)."""
        if normalize is None:
            return 1.0, 1.0
        chosen = list(self._costs().values()) if normalize == "best" else [self._costs()[normalize]]
        return float(max(1, min(c.mults for c in chosen))), float(max(1, min(c.peak_memory for c in chosen)))

    def _costs(self) -> dict[str, Cost]:
        return {"forward": self.forward, "reverse": self.reverse, "markowitz": self.markowitz}


def _ratio(value: int, baseline: int) -> float:
    if baseline:
        return value / baseline
    return 1.0 if value == 0 else float("inf")


@dataclass(frozen=True)
class RewardFunction:
    """Weights of the two costs, the baseline they are normalised by, and a global scale."""

    weights: Mapping[str, float]
    normalize: str | None = None
    scale: float = 1.0

    @classmethod
    def from_options(cls, reward: str | Mapping[str, float], normalize: str | None, scale: float) -> RewardFunction:
        """Validate the environment's reward options: ``reward`` is a term name or ``{term: weight}``."""
        if reward == "runtime":
            raise ValueError("reward='runtime' is an option of the single environment (CCElimEnv): it times one graph")
        weights = {reward: 1.0} if isinstance(reward, str) else dict(reward)
        unknown = set(weights) - set(TERMS)
        if not weights or unknown:
            raise ValueError(f"reward must be one of {TERMS} or a mapping from them to weights, got {reward!r}")
        if normalize is not None and normalize not in NORMALIZERS:
            raise ValueError(f"normalize must be None or one of {NORMALIZERS}, got {normalize!r}")
        return cls({term: float(weights.get(term, 0.0)) for term in TERMS}, normalize, float(scale))

    def coefficients(self, baselines: Baselines) -> tuple[float, float]:
        """Reward per multiplication and per unit of peak increase, both to be negated."""
        n_mults, n_memory = baselines.normalizers(self.normalize)
        return self.scale * self.weights["mults"] / n_mults, self.scale * self.weights["memory"] / n_memory
