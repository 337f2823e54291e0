"""Random straight-line PyTorch programs, drawn by hypothesis, as test functions.

Values have shapes in a small family that broadcasts: scalars ``()``, vectors
``(n,)`` and matrices ``(n, n)``; every step applies one operator to earlier
values, so every program is a random DAG of supported operators.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from hypothesis import strategies as st

N = 3
UNARY: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "exp_neg_square": lambda x: torch.exp(-x * x),
    "neg": torch.neg,
    "scale": lambda x: 1.5 * x,
}
BINARY: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "safe_div": lambda x, y: x / (1.0 + y * y),
}


def _shape_steps(shape: tuple[int, ...]) -> list[str]:
    """Shape-changing operators applicable to a value of ``shape``."""
    return {
        (): ["expand"],
        (N,): ["sum", "expand", "select", "softmax", "stack"],
        (N, N): ["sum0", "sum1", "transpose", "matvec", "matmul", "select", "softmax"],
    }[shape]


def _apply(kind: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    shape = tuple(x.shape)
    table = {
        "expand": lambda: x.unsqueeze(0).expand((N, *shape)),
        "sum": lambda: x.sum(),
        "sum0": lambda: x.sum(dim=0),
        "sum1": lambda: x.mean(dim=1),
        "transpose": lambda: x.T,
        "select": lambda: x[1],
        "softmax": lambda: torch.softmax(x, dim=-1),
        "stack": lambda: torch.stack([x, torch.cos(x), x * 2.0]),
        "matvec": lambda: x @ (y if y.shape == (N,) else x[0]),
        "matmul": lambda: x @ (y if y.shape == (N, N) else x),
    }
    return table[kind]()


@st.composite
def programs(draw, scalar_only: bool = False, max_steps: int = 8):
    """A random program: ``(fn, input_shapes, description)``."""
    shapes = [()] if scalar_only else [(), (N,), (N, N)]
    n_inputs = draw(st.integers(1, 3))
    input_shapes = [draw(st.sampled_from(shapes)) for _ in range(n_inputs)]
    steps = []
    value_shapes = list(input_shapes)
    for _ in range(draw(st.integers(1, max_steps))):
        kinds = ["unary", "binary"] + ([] if scalar_only else ["shape"])
        kind = draw(st.sampled_from(kinds))
        a = draw(st.integers(0, len(value_shapes) - 1))
        b = draw(st.integers(0, len(value_shapes) - 1))
        if kind == "unary":
            op = draw(st.sampled_from(sorted(UNARY)))
            shape = value_shapes[a]
        elif kind == "binary":
            op = draw(st.sampled_from(sorted(BINARY)))
            shape = max(value_shapes[a], value_shapes[b], key=len)
        else:
            op = draw(st.sampled_from(_shape_steps(value_shapes[a])))
            x = torch.zeros(value_shapes[a])
            shape = tuple(_apply(op, x, torch.zeros(value_shapes[b])).shape)
        steps.append((kind, op, a, b))
        value_shapes.append(shape)
    n_values = len(value_shapes)
    n_outputs = draw(st.integers(1, 2))
    outputs = sorted({n_values - 1} | {draw(st.integers(n_inputs, n_values - 1)) for _ in range(n_outputs - 1)})

    def fn(*inputs: torch.Tensor):
        values = list(inputs)
        for kind, op, a, b in steps:
            if kind == "unary":
                values.append(UNARY[op](values[a]))
            elif kind == "binary":
                values.append(BINARY[op](values[a], values[b]))
            else:
                values.append(_apply(op, values[a], values[b]))
        return tuple(values[o] for o in outputs)

    return fn, [tuple(s) for s in input_shapes], f"inputs {input_shapes}, steps {steps}, outputs {outputs}"


def random_inputs(shapes: list[tuple[int, ...]], seed: int) -> tuple[torch.Tensor, ...]:
    """Standard-normal float64 inputs of the given shapes."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(shape, generator=generator, dtype=torch.float64) for shape in shapes)
