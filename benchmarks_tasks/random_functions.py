"""Random-function tasks ``RandomF`` and ``RandomG`` and the generator behind them.

AlphaGrad (Lohoff & Neftci, NeurIPS 2024) benchmarks two randomly generated
functions, "f" (4 tensor inputs, 75 intermediates, 5 outputs) and "g"
(15 scalar inputs, 85 intermediates, 20 outputs). Their exact code is not
reproduced here; instead :func:`random_function` draws a program of a given
number of operations from a fixed vocabulary (elementwise unary functions,
binary arithmetic, arithmetic with constants and, unless ``scalar_only``,
matrix products, reductions over one axis and transposes) with
``random.Random(seed)``, so a seed determines the function bit for bit.

While drawing, every value carries its shape and an interval that bounds its
entries for inputs in ``[-1, 1]``; an operation is only chosen where it is
defined and smooth on that interval (``log``/``sqrt`` of values >= 0.1,
``exp`` of values <= 2, division by values bounded away from 0) and keeps the
bound below ``MAX_BOUND``, so the function and its Jacobian are finite on the
whole input box. Every input is used and exactly ``num_outputs`` values are
left unused by later operations; those are the outputs (no dead code).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ._sampling import uniform
from .task import Task

__all__ = ["RANDOM_F", "RANDOM_G", "Instruction", "RandomFunction", "random_function"]

Shape = tuple[int, ...]
Interval = tuple[float, float]

INPUT_BOUND = 1.0
"""Inputs are assumed to lie in ``[-INPUT_BOUND, INPUT_BOUND]``."""
MAX_BOUND = 100.0
"""No value may be bounded by more than this in absolute value."""
MIN_DISTANCE = 0.1
"""Margin from the singularities of ``log``, ``sqrt`` and division."""
CONSTANTS = (-2.0, -1.5, -0.5, 0.5, 1.5, 2.0, 3.0)
"""Constants used by ``add_const`` and ``mul_const``."""


def _monotone(f: Callable[[float], float]) -> Callable[[Interval], Interval]:
    return lambda iv: (f(iv[0]), f(iv[1]))


def _square_bound(iv: Interval) -> Interval:
    lo, hi = iv
    if lo >= 0.0:
        return lo * lo, hi * hi
    if hi <= 0.0:
        return hi * hi, lo * lo
    return 0.0, max(lo * lo, hi * hi)


def _mul_bound(x: Interval, y: Interval) -> Interval:
    products = [a * b for a in x for b in y]
    return min(products), max(products)


def _away_from_zero(iv: Interval) -> bool:
    return iv[0] >= MIN_DISTANCE or iv[1] <= -MIN_DISTANCE


# name -> (torch function, bound of the result or None where the op is not allowed)
UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Interval], Interval | None]]] = {
    "sin": (torch.sin, lambda iv: (-1.0, 1.0)),
    "cos": (torch.cos, lambda iv: (-1.0, 1.0)),
    "tanh": (torch.tanh, _monotone(math.tanh)),
    "sigmoid": (torch.sigmoid, _monotone(lambda v: 1.0 / (1.0 + math.exp(-v)))),
    "atan": (torch.atan, _monotone(math.atan)),
    "exp": (torch.exp, lambda iv: _monotone(math.exp)(iv) if iv[1] <= 2.0 else None),
    "log": (torch.log, lambda iv: _monotone(math.log)(iv) if iv[0] >= MIN_DISTANCE else None),
    "sqrt": (torch.sqrt, lambda iv: _monotone(math.sqrt)(iv) if iv[0] >= MIN_DISTANCE else None),
    "neg": (torch.neg, lambda iv: (-iv[1], -iv[0])),
    "square": (lambda x: x ** 2, _square_bound),
}

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[[Interval, Interval], Interval | None]]] = {
    "add": (lambda x, y: x + y, lambda a, b: (a[0] + b[0], a[1] + b[1])),
    "sub": (lambda x, y: x - y, lambda a, b: (a[0] - b[1], a[1] - b[0])),
    "mul": (lambda x, y: x * y, _mul_bound),
    "div": (lambda x, y: x / y,
            lambda a, b: _mul_bound(a, (1.0 / b[1], 1.0 / b[0])) if _away_from_zero(b) else None),
}


@dataclass(frozen=True)
class Instruction:
    """One operation: ``op`` applied to the values ``args`` (indices; inputs come first).

    ``param`` is the constant of ``add_const``/``mul_const`` or ``(dim, keepdim)``
    of ``sum``/``mean``; ``None`` otherwise.
    """

    op: str
    args: tuple[int, ...]
    param: float | tuple[int, bool] | None = None

    def apply(self, values: list[Tensor]) -> Tensor:
        """Evaluate the operation on already computed ``values``."""
        x = values[self.args[0]]
        if self.op in UNARY:
            return UNARY[self.op][0](x)
        if self.op in BINARY:
            return BINARY[self.op][0](x, values[self.args[1]])
        if self.op == "matmul":
            return x @ values[self.args[1]]
        if self.op == "add_const":
            return x + self.param
        if self.op == "mul_const":
            return x * self.param
        if self.op == "transpose":
            return x.T
        dim, keepdim = self.param
        reduce = torch.sum if self.op == "sum" else torch.mean
        return reduce(x, dim=dim, keepdim=keepdim)


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    """The broadcast shape of ``a`` and ``b``, or ``None`` if they do not broadcast."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        m = a[-i] if i <= len(a) else 1
        n = b[-i] if i <= len(b) else 1
        if m != n and 1 not in (m, n):
            return None
        out.append(max(m, n))
    return tuple(reversed(out))


def _matmul_shape(a: Shape, b: Shape) -> Shape | None:
    if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2) or a[-1] != b[0]:
        return None
    return a[:-1] + b[1:]


class _Builder:
    """Draws a program; ``values`` holds (shape, bound) of inputs and results so far."""

    def __init__(self, rng: random.Random, input_shapes: tuple[Shape, ...], scalar_only: bool) -> None:
        self.rng = rng
        self.scalar_only = scalar_only
        self.num_inputs = len(input_shapes)
        self.values: list[tuple[Shape, Interval]] = [(s, (-INPUT_BOUND, INPUT_BOUND)) for s in input_shapes]
        self.used = [False] * len(input_shapes)
        self.program: list[Instruction] = []

    @property
    def pending(self) -> list[int]:
        """Values not yet used by any operation."""
        return [i for i, u in enumerate(self.used) if not u]

    def _result(self, ins: Instruction) -> tuple[Shape, Interval] | None:
        """Shape and bound of ``ins``'s result, or ``None`` where ``ins`` is not allowed."""
        shape, iv = self.values[ins.args[0]]
        new_shape: Shape | None = shape
        bound: Interval | None
        if ins.op in UNARY:
            bound = UNARY[ins.op][1](iv)
        elif ins.op in BINARY:
            shape_b, iv_b = self.values[ins.args[1]]
            new_shape, bound = _broadcast(shape, shape_b), BINARY[ins.op][1](iv, iv_b)
        elif ins.op == "matmul":
            new_shape = _matmul_shape(shape, self.values[ins.args[1]][0])
            if new_shape is None:
                return None
            lo, hi = _mul_bound(iv, self.values[ins.args[1]][1])
            bound = (shape[-1] * lo, shape[-1] * hi)
        elif ins.op == "add_const":
            bound = (iv[0] + ins.param, iv[1] + ins.param)
        elif ins.op == "mul_const":
            bound = _mul_bound(iv, (ins.param, ins.param))
        elif ins.op == "transpose":
            new_shape, bound = shape[::-1], iv
        else:
            dim, keepdim = ins.param
            new_shape = shape[:dim] + ((1,) if keepdim else ()) + shape[dim + 1:]
            scale = shape[dim] if ins.op == "sum" else 1
            bound = (scale * iv[0], scale * iv[1])
        if new_shape is None or bound is None or max(abs(bound[0]), abs(bound[1])) > MAX_BOUND:
            return None
        return new_shape, bound

    def _partners(self, first: int, candidates: list[int], kind: str) -> list[int]:
        """The values of ``candidates`` other than ``first`` whose shape fits it for a binary op
        or a matmul (no ``x - x`` or ``x / x``)."""
        fits = _matmul_shape if kind == "matmul" else _broadcast
        shape = self.values[first][0]
        return [i for i in candidates if i != first and fits(shape, self.values[i][0]) is not None]

    def _transposable(self, i: int) -> bool:
        """Whether value ``i`` is a matrix that is not itself a transpose (no double transposes)."""
        made_by = self.program[i - self.num_inputs].op if i >= self.num_inputs else None
        return len(self.values[i][0]) == 2 and made_by != "transpose"

    def _draw_op(self, first: int, others: list[int]) -> Instruction:
        """A random operation on ``first`` (and, for binary ones, a fitting value from ``others``)."""
        rng = self.rng
        shape = self.values[first][0]
        kinds = ["unary"] * 3 + ["const"]
        if self._partners(first, others, "binary"):
            kinds += ["binary"] * 3
        if not self.scalar_only:
            kinds += ["matmul"] * 2 * bool(self._partners(first, others, "matmul"))
            kinds += ["reduce"] * (len(shape) > 0) + ["transpose"] * self._transposable(first)
        kind = rng.choice(kinds)
        if kind == "unary":
            return Instruction(rng.choice(sorted(UNARY)), (first,))
        if kind == "const":
            return Instruction(rng.choice(("add_const", "mul_const")), (first,), rng.choice(CONSTANTS))
        if kind in ("binary", "matmul"):
            partners = self._partners(first, others, kind)
            pending = [i for i in partners if not self.used[i]]
            second = rng.choice(pending if pending and rng.random() < 0.5 else partners)
            op = "matmul" if kind == "matmul" else rng.choice(sorted(BINARY))
            return Instruction(op, (first, second))
        if kind == "transpose":
            return Instruction("transpose", (first,))
        return Instruction(rng.choice(("sum", "mean")), (first,), (rng.randrange(len(shape)), rng.random() < 0.5))

    def _draw(self, mode: str) -> Instruction:
        """A random operation for ``mode``, by its effect on the number of pending values.

        'reduce' joins two pending values (-1), 'keep' uses one pending value and
        otherwise used ones (0), 'grow' uses only used values (+1), 'free' anything.
        """
        rng = self.rng
        pending = self.pending
        first_choices = [i for i in pending if i < self.num_inputs] or pending
        used = [i for i, u in enumerate(self.used) if u]
        if mode == "reduce":
            kind = "binary" if self.scalar_only or rng.random() < 0.8 else "matmul"
            joinable = [i for i in pending if self._partners(i, pending, kind)]
            if not joinable:
                return self._shrink()
            first = rng.choice([i for i in joinable if i < self.num_inputs] or joinable)
            second = rng.choice(self._partners(first, pending, kind))
            op = "matmul" if kind == "matmul" else rng.choice(sorted(BINARY))
            return Instruction(op, (first, second))
        if mode == "keep":
            return self._draw_op(rng.choice(first_choices), used)
        if mode == "grow":
            return self._draw_op(rng.choice(used), used)
        first = rng.choice(first_choices) if rng.random() < 0.85 else rng.randrange(len(self.values))
        return self._draw_op(first, list(range(len(self.values))))

    def _shrink(self) -> Instruction:
        """Make the widest pending value easier to join: average out an axis, or squash with tanh."""
        def size(i: int) -> tuple[int, float]:
            shape, (lo, hi) = self.values[i]
            return len(shape), max(-lo, hi)
        target = max(self.pending, key=size)
        if self.values[target][0]:
            return Instruction("mean", (target,), (0, False))
        return Instruction("tanh", (target,))

    def step(self, remaining: int, num_outputs: int, slack: int) -> None:
        """Append one operation, steering towards exactly ``num_outputs`` pending values at the end."""
        excess = len(self.pending) - num_outputs
        if abs(excess) + slack < remaining:
            mode = "free"
        else:
            mode = "reduce" if excess > 0 else "keep" if excess == 0 else "grow"
        for _ in range(200):
            ins = self._draw(mode)
            result = self._result(ins)
            if result is not None:
                break
        else:
            if mode != "reduce":
                raise RuntimeError("random_function: no valid operation found; try another seed")
            ins = self._shrink()
            result = self._result(ins)
        for i in ins.args:
            self.used[i] = True
        self.values.append(result)
        self.used.append(False)
        self.program.append(ins)


class RandomFunction:
    """A function given by a drawn :class:`Instruction` program (see :func:`random_function`)."""

    def __init__(self, seed: int, input_shapes: tuple[Shape, ...], program: tuple[Instruction, ...],
                 outputs: tuple[int, ...]) -> None:
        self.seed = seed
        self.input_shapes = input_shapes
        self.program = program
        self.outputs = outputs

    def __call__(self, *inputs: Tensor) -> tuple[Tensor, ...]:
        if tuple(tuple(x.shape) for x in inputs) != self.input_shapes:
            raise ValueError(f"expected inputs of shapes {self.input_shapes}")
        values = list(inputs)
        for ins in self.program:
            values.append(ins.apply(values))
        return tuple(values[i] for i in self.outputs)

    def __repr__(self) -> str:
        return (f"RandomFunction(seed={self.seed}, input_shapes={self.input_shapes}, "
                f"num_ops={len(self.program)}, num_outputs={len(self.outputs)})")


def random_function(seed: int, input_shapes: tuple[Shape, ...], num_ops: int, num_outputs: int,
                    *, scalar_only: bool = False) -> RandomFunction:
    """Draw a random function of ``len(input_shapes)`` inputs with ``num_ops`` operations.

    The result returns a tuple of ``num_outputs`` tensors and is fully
    determined by the arguments. ``scalar_only`` restricts the vocabulary to
    elementwise operations (for 0-d inputs). Raises ``RuntimeError`` when the
    drawn program cannot meet these constraints (then try another seed).
    """
    shapes = tuple(tuple(s) for s in input_shapes)
    builder = _Builder(random.Random(seed), shapes, scalar_only)
    # room for the _shrink steps that joining the last pending values may need
    # (one per axis, then tanh on both operands)
    slack = 3 + max(len(s) for s in shapes)
    for step in range(num_ops):
        builder.step(num_ops - step, num_outputs, slack)
    outputs = tuple(builder.pending)
    if len(outputs) != num_outputs or min(outputs) < builder.num_inputs:
        raise RuntimeError("random_function: could not reach the requested outputs; try another seed")
    return RandomFunction(seed, shapes, tuple(builder.program), outputs)


def _box_inputs(shapes: tuple[Shape, ...]) -> Callable[[torch.Generator], tuple[Tensor, ...]]:
    def make(gen: torch.Generator) -> tuple[Tensor, ...]:
        return tuple(uniform(gen, -INPUT_BOUND, INPUT_BOUND, s) for s in shapes)
    return make


RANDOM_F_SEED = 1
RANDOM_F_SHAPES: tuple[Shape, ...] = ((4,), (2, 3), (4, 4), (4, 1))
RANDOM_G_SEED = 0
RANDOM_G_SHAPES: tuple[Shape, ...] = ((),) * 15

RANDOM_F = Task(
    name="RandomF",
    domain="random functions",
    description=(
        "A fixed random function of 4 tensor inputs (shapes (4,), (2,3), (4,4), (4,1)) made of 80 "
        "elementwise, arithmetic, matrix-product, reduction and transpose operations, 5 outputs."
    ),
    source=f"ccgym random_function generator (seed {RANDOM_F_SEED}), modelled on AlphaGrad's random function f",
    fn=random_function(RANDOM_F_SEED, RANDOM_F_SHAPES, num_ops=80, num_outputs=5),
    make_inputs=_box_inputs(RANDOM_F_SHAPES),
    input_names=("x1", "x2", "x3", "x4"),
    output_names=tuple(f"y{i}" for i in range(1, 6)),
    published={
        "name": "f",
        "sizes": (4, 75, 5),
        "forward": 17728,
        "reverse": 9333,
        "markowitz": 12083,
        "alphagrad": 6374,
    },
)

RANDOM_G = Task(
    name="RandomG",
    domain="random functions",
    description=(
        "A fixed random function of 15 scalar inputs made of 105 scalar elementwise and "
        "arithmetic operations, 20 outputs."
    ),
    source=f"ccgym random_function generator (seed {RANDOM_G_SEED}), modelled on AlphaGrad's random function g",
    fn=random_function(RANDOM_G_SEED, RANDOM_G_SHAPES, num_ops=105, num_outputs=20, scalar_only=True),
    make_inputs=_box_inputs(RANDOM_G_SHAPES),
    input_names=tuple(f"x{i}" for i in range(1, 16)),
    output_names=tuple(f"y{i}" for i in range(1, 21)),
    published={
        "name": "g",
        "sizes": (15, 85, 20),
        "forward": 632,
        "reverse": 566,
        "markowitz": 451,
        "alphagrad": 417,
    },
)
