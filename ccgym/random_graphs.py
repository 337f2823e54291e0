"""Random computational graphs: executable programs of supported ATen operators.

:func:`random_graph` draws a straight-line program, evaluates it at random
inputs and builds its :class:`ccgym.Graph` from the structure rules directly
(no tracing, a few milliseconds). Values have the shapes ``()``, ``(n,)`` and
``(n, n)`` with one axis length ``n`` per graph, so any two values broadcast.
The graph has exactly the number of intermediates drawn, every intermediate
reaches an output, and ``ccgym.execute`` runs it like a traced graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ccgym import rules
from ccgym.graph import Edge, Graph, Vertex

IntRange = int | tuple[int, int]

# No softmax: torch's CPU softmax always enters an OpenMP region, which hangs in a worker
# forked (AsyncVectorEnv's default on Linux) from a process whose OpenMP threads have run.
UNARY_OPS = ("aten.sin.default", "aten.cos.default", "aten.tanh.default", "aten.sigmoid.default", "aten.neg.default")
BINARY_OPS = ("aten.add.Tensor", "aten.sub.Tensor", "aten.mul.Tensor")
# Relative frequency of each kind of step, where it applies to the first operand.
KIND_WEIGHTS = {
    "unary": 3.0,
    "binary": 4.0,
    "sum": 1.0,
    "expand": 1.0,
    "mv": 1.0,
    "mm": 0.5,
    "dot": 0.5,
    "t": 0.5,
}
FRESH_PROBABILITY = 0.5  # chance that an operand is drawn from the values nothing uses yet
MAX_VERTICES = 1024  # inputs + intermediates + outputs of one random graph (its state is V x V int64)
MAX_SIZE = 64  # axis length n: a (n, n) value has n**2 entries and dense edges n**4


@dataclass(frozen=True)
class RandomGraphSpec:
    """Inclusive ranges of a random graph's sizes; an int ``k`` means ``(k, k)``.

    ``size`` is the range of the axis length ``n``; ``max_rank`` the largest
    rank of a value (0 gives the classic scalar graphs).
    """

    num_inputs: IntRange = (1, 4)
    num_intermediates: IntRange = 24
    num_outputs: IntRange = (1, 4)
    size: IntRange = (2, 4)
    max_rank: int = 2

    def __post_init__(self) -> None:
        for name, minimum, maximum in (
            ("num_inputs", 1, MAX_VERTICES),
            ("num_intermediates", 1, MAX_VERTICES),
            ("num_outputs", 1, MAX_VERTICES),
            ("size", 2, MAX_SIZE),
        ):
            object.__setattr__(self, name, _as_range(name, getattr(self, name), minimum, maximum))
        largest = self.num_inputs[1] + self.num_intermediates[1] + self.num_outputs[1]
        if largest > MAX_VERTICES:
            raise ValueError(f"a random graph has at most {MAX_VERTICES} vertices; these ranges allow {largest}")
        if isinstance(self.max_rank, bool) or self.max_rank not in (0, 1, 2):
            raise ValueError(f"max_rank must be 0, 1 or 2, got {self.max_rank!r}")

    @property
    def max_jacobian_size(self) -> int:
        """Entries of the largest dense edge Jacobian a graph of this spec can have."""
        return self.size[1] ** (2 * self.max_rank)

    def padding(self, pad_to: tuple[int, int, int] | None = None) -> tuple[int, int, int]:
        """``(inputs, intermediates, outputs)`` that fit every graph of the spec: ``pad_to``, or the largest counts."""
        largest = (self.num_inputs[1], self.num_intermediates[1], self.num_outputs[1])
        if pad_to is None:
            return largest
        if any(room < count for room, count in zip(pad_to, largest)):
            raise ValueError(f"pad_to={pad_to} is smaller than the largest random graph {largest}")
        return tuple(pad_to)


def _as_range(name: str, value: IntRange, minimum: int, maximum: int) -> tuple[int, int]:
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2 or not all(
        isinstance(end, (int, np.integer)) and not isinstance(end, bool) and minimum <= end <= maximum for end in pair
    ) or pair[0] > pair[1]:
        raise ValueError(
            f"{name} must be an int or a (low, high) pair of ints with {minimum} <= low <= high <= {maximum}, got {value!r}"
        )
    return int(pair[0]), int(pair[1])


def random_graph(rng: np.random.Generator, spec: RandomGraphSpec | None = None) -> Graph:
    """A random graph drawn with ``rng`` (reproducible from its state)."""
    spec = spec or RandomGraphSpec()
    n = int(rng.integers(spec.size[0], spec.size[1] + 1))
    counts = [
        int(rng.integers(low, high + 1)) for low, high in (spec.num_inputs, spec.num_intermediates, spec.num_outputs)
    ]
    builder = _Builder(rng, n, spec.max_rank)
    for _ in range(counts[0]):
        builder.add_input()
    num_intermediates, num_outputs = counts[1], counts[2]
    for step in range(num_intermediates):
        # Keep few enough unused intermediates that the remaining steps can consume them all.
        room = (num_intermediates - step - 1) + 2 * num_outputs
        builder.add_step("intermediate", must_merge=len(builder.open) + 1 > room)
    for step in range(num_outputs):
        builder.add_step("output", must_merge=len(builder.open) > 2 * (num_outputs - step - 1))
    return Graph(builder.vertices, builder.edges, [], "tuple", {"generator": "ccgym.random_graphs"})


class _Builder:
    """A program under construction: vertices, their example values and edges."""

    def __init__(self, rng: np.random.Generator, n: int, max_rank: int) -> None:
        self.rng = rng
        self.n = n
        self.max_rank = max_rank
        self.vertices: list[Vertex] = []
        self.values: list[torch.Tensor] = []
        self.edges: list[Edge] = []
        self.sources: list[int] = []  # inputs and intermediates: what an operator may use
        self.unused: set[int] = set()  # inputs and intermediates without a user
        self.open: set[int] = set()  # intermediates without a user

    def add_input(self) -> None:
        shape = (self.n,) * int(self.rng.integers(0, self.max_rank + 1))
        index = len(self.vertices)
        self.vertices.append(Vertex(f"x{index}", "input", shape, "input"))
        self.values.append(torch.from_numpy(self.rng.uniform(-1.0, 1.0, shape)))
        self.sources.append(index)
        self.unused.add(index)

    def add_step(self, kind: str, must_merge: bool) -> None:
        """Append one operator call; ``must_merge`` makes it consume two open intermediates."""
        if must_merge and len(self.open) >= 2:
            x, y = (int(v) for v in self.rng.choice(sorted(self.open), 2, replace=False))
            op, operands, extra = str(self.rng.choice(BINARY_OPS)), [x, y], []
        elif must_merge:
            op, operands, extra = self._draw_call(next(iter(self.open)))
        else:
            op, operands, extra = self._draw_call(self._draw_operand(exclude=None))
        self._add(kind, op, operands, extra)

    def _draw_operand(self, exclude: int | None, rank: int | None = None) -> int | None:
        """A value (of ``rank`` if given) other than ``exclude``; unused ones are preferred; None if there is none."""
        pool = [v for v in self.sources if v != exclude and (rank is None or self.values[v].dim() == rank)]
        fresh = [v for v in pool if v in self.unused]
        if fresh and self.rng.random() < FRESH_PROBABILITY:
            pool = fresh
        return int(self.rng.choice(pool)) if pool else None

    def _draw_call(self, x: int) -> tuple[str, list[int], list]:
        """An operator call with first operand ``x``: ``(op, operands, trailing arguments)``."""
        rank = self.values[x].dim()
        partners = {
            "binary": self._draw_operand(exclude=x),
            "mv": self._draw_operand(exclude=x, rank=1) if rank == 2 else None,
            "mm": self._draw_operand(exclude=x, rank=2) if rank == 2 else None,
            "dot": self._draw_operand(exclude=x, rank=1) if rank == 1 else None,
        }
        applicable = {
            "unary": True,
            "sum": rank >= 1,
            "expand": rank < self.max_rank,
            "t": rank == 2,
            **{kind: partner is not None for kind, partner in partners.items()},
        }
        kinds = [kind for kind, ok in applicable.items() if ok]
        weights = np.array([KIND_WEIGHTS[kind] for kind in kinds])
        kind = kinds[int(self.rng.choice(len(kinds), p=weights / weights.sum()))]
        if kind == "binary":
            return str(self.rng.choice(BINARY_OPS)), [x, partners[kind]], []
        if kind in partners:
            return f"aten.{kind}.default", [x, partners[kind]], []
        if kind == "unary":
            return str(self.rng.choice(UNARY_OPS)), [x], []
        if kind == "sum":
            return "aten.sum.dim_IntList", [x], [[int(self.rng.integers(0, rank))]]
        if kind == "expand":
            return "aten.expand.default", [x], [[self.n] * (rank + 1)]
        return "aten.t.default", [x], []

    def _add(self, kind: str, op: str, operands: list[int], extra: list) -> None:
        args = [self.values[v] for v in operands] + extra
        value = rules.evaluate(op, args, {})
        index = len(self.vertices)
        call = rules.OpCall(op, args, {}, value)
        for local in rules.local_jacobians(call, set(range(len(operands)))):
            self.edges.append(Edge(operands[local.operand], index, local.structure))
        name = f"y{index}" if kind == "output" else f"v{index}_{op.split('.')[1].lstrip('_')}"
        self.vertices.append(Vertex(name, kind, tuple(value.shape), op, [{"vertex": v} for v in operands] + extra))
        self.values.append(value)
        self.unused.difference_update(operands)
        self.open.difference_update(operands)
        if kind == "intermediate":
            self.sources.append(index)
            self.unused.add(index)
            self.open.add(index)
