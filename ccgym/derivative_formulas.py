"""Elementwise derivatives as Python source, for the code that :mod:`ccgym.compiled_jacobian` generates.

:func:`derivative_source` writes ``d out / d args[position]`` of an elementwise
ATen operator as an expression over the source of its arguments and of its
output, e.g. ``torch.cos(v3)`` for ``sin(v3)``. The formulas are the ones
PyTorch's autograd uses (``tests/test_compiled_jacobian.py`` checks each
against :func:`ccgym.rules.elementwise_derivative`, which asks autograd); an
operator or argument position without a formula gets ``None``, and the caller
falls back to a vector-Jacobian product.
"""

from __future__ import annotations

import math

LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# d out / d x of out = f(x), over the source of x ({x}) and of out ({o}).
UNARY: dict[str, str] = {
    "exp": "{o}",
    "exp2": f"{{o}} * {LN2!r}",
    "expm1": "{o} + 1",
    "log": "{x}.reciprocal()",
    "log2": f"({{x}} * {LN2!r}).reciprocal()",
    "log10": f"({{x}} * {LN10!r}).reciprocal()",
    "log1p": "({x} + 1).reciprocal()",
    "sqrt": "0.5 / {o}",
    "rsqrt": "-0.5 * {o} / {x}",
    "sin": "torch.cos({x})",
    "cos": "-torch.sin({x})",
    "tan": "1 + {o} * {o}",
    "asin": "torch.rsqrt(1 - {x} * {x})",
    "acos": "-torch.rsqrt(1 - {x} * {x})",
    "atan": "(1 + {x} * {x}).reciprocal()",
    "sinh": "torch.cosh({x})",
    "cosh": "torch.sinh({x})",
    "tanh": "1 - {o} * {o}",
    "asinh": "torch.rsqrt({x} * {x} + 1)",
    "acosh": "torch.rsqrt({x} * {x} - 1)",
    "atanh": "(1 - {x} * {x}).reciprocal()",
    "sigmoid": "{o} * (1 - {o})",
    "erf": f"{TWO_OVER_SQRT_PI!r} * torch.exp(-{{x}} * {{x}})",
    "erfc": f"{-TWO_OVER_SQRT_PI!r} * torch.exp(-{{x}} * {{x}})",
    "abs": "torch.sign({x})",
    "relu": "({o} > 0).to({o}.dtype)",
    "square": "2 * {x}",
    "reciprocal": "-{o} * {o}",
}

# d out / d args[position] of a binary operator, over the source of the arguments ({a}, {b}) and of out ({o}).
BINARY: dict[tuple[str, int], str] = {
    ("mul", 0): "{b}",
    ("mul", 1): "{a}",
    ("div", 0): "1 / {b}",
    ("div", 1): "-{o} / {b}",
    ("atan2", 0): "{b} / ({a} * {a} + {b} * {b})",
    ("atan2", 1): "-{a} / ({a} * {a} + {b} * {b})",
}


def derivative_source(op: str, position: int, args: list[str], literals: list[object], out: str) -> str | None:
    """Source of ``d out / d args[position]`` for the ATen operator ``op`` (e.g. ``"aten.sin.default"``), or None.

    ``args`` holds the source of every positional argument and ``literals``
    the Python value of those that are plain numbers (None for tensors).
    """
    parts = op.split(".")
    if len(parts) != 3 or parts[0] != "aten":
        return None
    name, overload = parts[1], parts[2]
    if name in UNARY and position == 0 and len(args) == 1:
        return UNARY[name].format(x=args[0], o=out)
    if name == "pow":
        return _pow_source(overload, position, args, literals, out)
    if (name, position) in BINARY and len(args) == 2:
        return BINARY[(name, position)].format(a=args[0], b=args[1], o=out)
    return None


def _pow_source(overload: str, position: int, args: list[str], literals: list[object], out: str) -> str | None:
    """``pow(x, c)``, ``pow(x, y)`` and ``pow(c, y)``; an exponent of 0 is left to the fallback (0 * x**-1)."""
    if len(args) != 2:
        return None
    if overload == "Tensor_Scalar" and position == 0 and isinstance(literals[1], (int, float)) and literals[1] != 0:
        return f"{float(literals[1])!r} * {args[0]}.pow({float(literals[1]) - 1.0!r})"
    if overload == "Tensor_Tensor":
        return f"{args[1]} * {args[0]}.pow({args[1]} - 1)" if position == 0 else f"{out} * torch.log({args[0]})"
    if overload == "Scalar" and position == 1 and isinstance(literals[0], (int, float)) and literals[0] > 0:
        return f"{out} * {math.log(literals[0])!r}"
    return None
