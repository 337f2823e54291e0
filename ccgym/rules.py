"""Jacobian-structure rules: one per operator.

For a call of a supported operator, :func:`local_jacobians` returns, for each
differentiable tensor operand, the labelled structure of ``d out / d operand``
(see ``docs/cost-model.md``) and its value tensor. The structure
depends only on the operator and shapes; the values on the primal values.
:data:`SUPPORTED` lists the operators, and :func:`evaluate` runs one.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ccgym.structure import Structure, canonicalize

COPY_OP = "ccgym.copy"
AUTOGRAD_FUNCTION_OP = "ccgym.autograd_function"

# Elementwise operators, by how their partial derivative depends on the operands:
# not at all (constant), on the other operands only, or on all of them.
_CONSTANT_DERIVATIVE = {"add", "sub", "rsub", "neg"}
_OTHERS_DERIVATIVE = {"mul"}
_ELEMENTWISE = _CONSTANT_DERIVATIVE | _OTHERS_DERIVATIVE | {
    "div", "pow", "sqrt", "rsqrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "sigmoid", "erf", "erfc", "abs", "relu", "maximum", "minimum", "where", "square", "reciprocal",
    "silu", "softplus", "gelu", "elu", "leaky_relu", "clamp", "clamp_min", "clamp_max",
}  # fmt: skip
_CONTRACTIONS = {"mm", "mv", "dot", "bmm", "matmul", "einsum", "linear"}
_REDUCTIONS = {"sum", "mean"}
_PERMUTATIONS = {"permute", "transpose", "swapaxes", "swapdims", "t", "numpy_T", "mT", "adjoint", "movedim"}
_RESHAPES = {"view", "reshape", "_unsafe_view", "unsqueeze", "squeeze", "flatten", "unflatten"}
_SOFTMAXES = {"softmax", "_softmax", "log_softmax", "_log_softmax"}
_SELECTIONS = {"select", "slice", "cat", "stack", "expand"}


@dataclass
class OpCall:
    """One call of an operator on concrete values."""

    op: str
    args: list
    kwargs: dict
    out: torch.Tensor

    @property
    def name(self) -> str:
        """Operator name without namespace and overload, e.g. ``"add"``."""
        return self.op.split(".")[1] if self.op.startswith("aten.") else self.op

    @property
    def operands(self) -> list[torch.Tensor]:
        """Tensor operands in order of appearance (lists flattened)."""
        return list(_tensors_in(self.args))

    def arg(self, position: int, keyword: str, default=None):
        """Argument by position or keyword."""
        if position < len(self.args):
            return self.args[position]
        return self.kwargs.get(keyword, default)

    def replaced(self, operand: int, tensor: torch.Tensor) -> OpCall:
        """The same call with tensor operand ``operand`` replaced."""
        counter = iter(range(1 << 30))

        def swap(item):
            if isinstance(item, torch.Tensor):
                return tensor if next(counter) == operand else item
            if isinstance(item, (list, tuple)):
                return type(item)(swap(x) for x in item)
            return item

        return OpCall(self.op, [swap(a) for a in self.args], self.kwargs, self.out)


@dataclass(frozen=True)
class LocalJacobian:
    """``d out / d operand`` as a canonical structure and its value tensor."""

    operand: int
    structure: Structure
    value: torch.Tensor


def _tensors_in(items):
    for item in items:
        if isinstance(item, torch.Tensor):
            yield item
        elif isinstance(item, (list, tuple)):
            yield from _tensors_in(item)


def is_supported(op: str) -> bool:
    """Whether ``op`` (e.g. ``"aten.sin.default"``) has a structure rule."""
    if op in (COPY_OP, AUTOGRAD_FUNCTION_OP):
        return True
    parts = op.split(".")
    return len(parts) == 3 and parts[0] == "aten" and parts[1] in _RULE_OF


def evaluate(op: str, args: list, kwargs: dict) -> torch.Tensor:
    """Run operator ``op`` on concrete arguments."""
    if op == COPY_OP:
        return args[0]
    if op == AUTOGRAD_FUNCTION_OP:
        return resolve_function(kwargs["function"]).apply(*args)
    namespace, packet, overload = op.split(".")
    return getattr(getattr(getattr(torch.ops, namespace), packet), overload)(*args, **kwargs)


_FUNCTIONS: dict[str, type[torch.autograd.Function]] = {}


def register_function(function: type[torch.autograd.Function]) -> str:
    """Remember an autograd.Function for this process; returns its ``"module:QualName"``."""
    name = f"{function.__module__}:{function.__qualname__}"
    _FUNCTIONS[name] = function
    return name


def resolve_function(qualified_name: str) -> type[torch.autograd.Function]:
    """The ``torch.autograd.Function`` named ``"module:QualName"``."""
    if qualified_name in _FUNCTIONS:
        return _FUNCTIONS[qualified_name]
    module_name, _, qualname = qualified_name.partition(":")
    try:
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"cannot import autograd.Function {qualified_name!r}: {error}") from error
    return target


def local_jacobians(call: OpCall, live: set[int]) -> list[LocalJacobian]:
    """Local Jacobians of ``call.out`` with respect to the operands in ``live``."""
    out_shape = tuple(call.out.shape)
    operands = call.operands
    result = []
    for operand in sorted(live):
        raw_labels, value_labels, value = raw_local_jacobian(call, operand)
        structure, value = make_local(
            raw_labels, value_labels, value.to(torch.float64), out_shape, tuple(operands[operand].shape)
        )
        result.append(LocalJacobian(operand, structure, value))
    return result


# A rule returns (raw labels of all axes, raw labels of the value's dims, value).
RuleResult = tuple[list[int], list[int], torch.Tensor]


def raw_local_jacobian(call: OpCall, operand: int) -> RuleResult:
    """The rule's raw labels of every axis, the raw labels of its value's dims, and the value (not yet canonical)."""
    return _RULE_OF[call.name](call, operand)


def value_source(call: OpCall, operand: int) -> str:
    """What the value of ``d out / d operand`` is computed from, for planning code that recomputes it.

    ``"elementwise"``: the operator's derivative at every output element (taken
    at the dims the rule's value labels name); ``"contraction"``: the other
    operand, reduced by :func:`contraction_reduction`; ``"softmax"``:
    :func:`softmax_jacobian` of the operand; ``"constant"``: nothing that
    depends on the operands' values.
    """
    rule = _RULE_OF[call.name]
    if rule is _elementwise:
        return "constant" if call.name in _CONSTANT_DERIVATIVE else "elementwise"
    if rule is _contraction:
        return "constant" if operand == 2 else "contraction"
    return "softmax" if rule is _softmax and call.operands[0].dim() else "constant"
_OWN = 1000  # raw labels from here on are private to one axis
DENSE_RESHAPE_LIMIT = 2**24  # values of a dense reshape Jacobian (128 MiB of float64)


def _broadcast_labels(in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Labels of an operand broadcast to ``out_shape``: axis ``d`` of the output is label ``d``."""
    offset = len(out_shape) - len(in_shape)
    return [
        offset + b if size == out_shape[offset + b] else _OWN + b for b, size in enumerate(in_shape)
    ]


def _elementwise(call: OpCall, operand: int) -> RuleResult:
    out_shape = tuple(call.out.shape)
    operands = call.operands
    x = operands[operand]
    if call.name in _CONSTANT_DERIVATIVE:
        depends_on = []
    elif call.name in _OTHERS_DERIVATIVE:
        depends_on = [t for n, t in enumerate(operands) if n != operand]
    elif call.name == "div" and operand == 0:
        depends_on = operands[1:]
    else:
        depends_on = operands
    varying = [
        d
        for d in range(len(out_shape))
        if any(
            t.dim() > len(out_shape) - 1 - d and t.shape[d - len(out_shape) + t.dim()] > 1 for t in depends_on
        )
    ]
    derivative = elementwise_derivative(call, operand)
    index = tuple(slice(None) if d in varying else 0 for d in range(len(out_shape)))
    return list(range(len(out_shape))) + _broadcast_labels(tuple(x.shape), out_shape), varying, derivative[index]


def elementwise_derivative(call: OpCall, operand: int) -> torch.Tensor:
    """``d out / d operand`` of an elementwise operator at every output element."""
    x = call.operands[operand]
    if not x.is_floating_point():
        raise ValueError(f"{call.op}: operand {operand} of dtype {x.dtype} is not differentiable")
    expanded = x.detach().expand(call.out.shape).clone().requires_grad_(True)
    with torch.enable_grad():
        out = evaluate(call.op, call.replaced(operand, expanded).args, call.kwargs)
        (gradient,) = torch.autograd.grad(out, expanded, torch.ones_like(out), allow_unused=True)
    return torch.zeros_like(expanded) if gradient is None else gradient.detach()


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _einsum_equation(call: OpCall) -> tuple[list[str], str]:
    """Subscripts of the two contracted operands and of the output."""
    name = call.name
    a, b = call.operands[:2]
    if name == "einsum":
        equation = call.args[0].replace(" ", "")
        inputs, _, output = equation.partition("->")
        subscripts = inputs.split(",")
        if "." in equation or not _ or len(subscripts) != 2:
            raise ValueError(f"einsum {equation!r}: only explicit two-operand equations without '...' are supported")
        for s in [*subscripts, output]:
            if len(set(s)) != len(s):
                raise ValueError(f"einsum {equation!r}: repeated index within one operand is not supported")
        return subscripts, output
    if name == "linear":
        batch = _LETTERS[: a.dim() - 1]
        return [batch + "y", "zy"], batch + "z"
    # mm, mv, dot, bmm and matmul: matmul's broadcasting rules.
    a_mat = "ij"[2 - min(a.dim(), 2) :] if a.dim() > 1 else "j"
    b_mat = "jk" if b.dim() > 1 else "j"
    out_mat = ("i" if a.dim() > 1 else "") + ("k" if b.dim() > 1 else "")
    batch_out = call.out.dim() - len(out_mat)
    letters = iter("lmnopqrstuvw")
    batch_letters = [next(letters) for _ in range(batch_out)]
    a_batch = _batch_subscripts(a.shape[: a.dim() - len(a_mat)], call.out.shape[:batch_out], batch_letters, "ABCD")
    b_batch = _batch_subscripts(b.shape[: b.dim() - len(b_mat)], call.out.shape[:batch_out], batch_letters, "EFGH")
    return [a_batch + a_mat, b_batch + b_mat], "".join(batch_letters) + out_mat


def _batch_subscripts(shape, out_shape, out_letters, own_letters) -> str:
    offset = len(out_shape) - len(shape)
    return "".join(
        out_letters[offset + d] if size == out_shape[offset + d] else own_letters[d] for d, size in enumerate(shape)
    )


def _contraction(call: OpCall, operand: int) -> RuleResult:
    out_shape = tuple(call.out.shape)
    if operand == 2:  # the bias of linear: broadcast onto the output
        return list(range(len(out_shape))) + _broadcast_labels(tuple(call.operands[2].shape), out_shape), [], call.out.new_ones(())
    subscripts, output = _einsum_equation(call)
    mine, other = subscripts[operand], subscripts[1 - operand]
    reduction = contraction_reduction(call, operand)
    value = torch.einsum(reduction, call.operands[1 - operand])
    kept = reduction.partition("->")[2]
    label = {c: n for n, c in enumerate(dict.fromkeys(output + mine + other))}
    return [label[c] for c in output + mine], [label[c] for c in kept], value


def contraction_reduction(call: OpCall, operand: int) -> str:
    """The einsum equation that turns the other operand of a contraction into the value of ``d out / d operand``."""
    subscripts, output = _einsum_equation(call)
    mine, other = subscripts[operand], subscripts[1 - operand]
    return f"{other}->" + "".join(c for c in other if c in mine or c in output)


def _reduction_dims(dims, ndim: int) -> list[int]:
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        return list(range(ndim))
    dims = [dims] if isinstance(dims, int) else dims
    return sorted(d % ndim for d in dims) if ndim else []


def _reduction(call: OpCall, operand: int) -> RuleResult:
    x = call.operands[0]
    dims = _reduction_dims(call.arg(1, "dim") if call.op.endswith(("dim_IntList", ".dim")) else None, x.dim())
    keepdim = bool(call.arg(2, "keepdim", False)) if call.op.endswith(("dim_IntList", ".dim")) else False
    out_labels = [d if d not in dims else _OWN + d for d in range(x.dim()) if d not in dims or keepdim]
    in_labels = [d if d not in dims else 2 * _OWN + d for d in range(x.dim())]
    scale = 1.0 / math.prod(x.shape[d] for d in dims) if call.name == "mean" else 1.0
    return out_labels + in_labels, [], torch.tensor(scale, dtype=torch.float64)


def _permutation(call: OpCall, operand: int) -> RuleResult:
    n = call.operands[0].dim()
    order = list(range(n))
    if call.name == "permute":
        order = [d % n for d in call.args[1]]
    elif call.name in ("transpose", "swapaxes", "swapdims", "mT", "adjoint"):
        d0, d1 = (call.args[1] % n, call.args[2] % n) if len(call.args) > 2 else (n - 2, n - 1)
        order[d0], order[d1] = d1, d0
    elif call.name == "movedim":
        sources, destinations = ([x] if isinstance(x, int) else list(x) for x in call.args[1:3])
        rest = [d for d in order if d not in [s % n for s in sources]]
        order = [None] * n
        for source, destination in zip(sources, destinations):
            order[destination % n] = source % n
        order = [d if d is not None else rest.pop(0) for d in order]
    else:  # t, numpy_T: reverse the axes
        order = order[::-1]
    return order + list(range(n)), [], torch.tensor(1.0, dtype=torch.float64)


def _reshape(call: OpCall, operand: int) -> RuleResult:
    in_shape = tuple(call.operands[0].shape)
    out_shape = tuple(call.out.shape)
    big_in = [d for d, s in enumerate(in_shape) if s != 1]
    big_out = [d for d, s in enumerate(out_shape) if s != 1]
    if [in_shape[d] for d in big_in] == [out_shape[d] for d in big_out]:
        # Only axes of size one come or go: the identity on the other axes.
        label_in = {d: n for n, d in enumerate(big_in)}
        label_out = {d: n for n, d in enumerate(big_out)}
        out_labels = [label_out.get(d, _OWN + d) for d in range(len(out_shape))]
        in_labels = [label_in.get(d, 2 * _OWN + d) for d in range(len(in_shape))]
        return out_labels + in_labels, [], torch.tensor(1.0, dtype=torch.float64)
    # Axes merge or split: the identity of the flattened tensors, stored densely.
    n_out, n_in = len(out_shape), len(in_shape)
    values = math.prod(out_shape) ** 2
    if values > DENSE_RESHAPE_LIMIT:
        raise ValueError(
            f"reshape {list(in_shape)} -> {list(out_shape)} merges or splits axes, so its Jacobian is stored densely: "
            f"{values:,} values ({values * 8 / 2**30:.1f} GiB), more than the {DENSE_RESHAPE_LIMIT:,} ccgym allows; "
            "reshape a smaller tensor, or keep the axes apart"
        )
    identity = torch.eye(math.prod(out_shape), dtype=torch.float64).reshape(out_shape + in_shape)
    labels = list(range(n_out + n_in))
    return labels, labels, identity


def _selection_matrix(rows: int, cols: int, row_of_col: Callable[[int], int]) -> torch.Tensor:
    matrix = torch.zeros(rows, cols, dtype=torch.float64)
    for col in range(cols):
        row = row_of_col(col)
        if 0 <= row < rows:
            matrix[row, col] = 1.0
    return matrix


def _selection(call: OpCall, operand: int) -> RuleResult:
    x = call.operands[operand]
    out_shape = tuple(call.out.shape)
    if call.name == "expand":
        return list(range(len(out_shape))) + _broadcast_labels(tuple(x.shape), out_shape), [], x.new_ones((), dtype=torch.float64)
    if call.name == "stack":
        dim = call.arg(1, "dim", 0) % call.out.dim()
        out_labels = [d if d < dim else (_OWN if d == dim else d - 1) for d in range(call.out.dim())]
        one_hot = torch.zeros(out_shape[dim], dtype=torch.float64)
        one_hot[operand] = 1.0
        return out_labels + list(range(x.dim())), [_OWN], one_hot
    dim = call.arg(1, "dim", 0) % x.dim()
    if call.name == "select":
        index = call.args[2] % x.shape[dim]
        in_labels = [d if d != dim else _OWN for d in range(x.dim())]
        out_labels = [d for d in range(x.dim()) if d != dim]
        one_hot = torch.zeros(x.shape[dim], dtype=torch.float64)
        one_hot[index] = 1.0
        return out_labels + in_labels, [_OWN], one_hot
    if call.name == "slice":
        start = call.arg(2, "start") or 0
        start = max(start + x.shape[dim], 0) if start < 0 else min(start, x.shape[dim])
        step = call.arg(4, "step", 1)
        matrix = _selection_matrix(out_shape[dim], x.shape[dim], lambda col: (col - start) // step if (col - start) % step == 0 else -1)
    else:  # cat
        offset = sum(t.shape[dim] for t in call.operands[:operand] if t.dim() > 0)
        matrix = _selection_matrix(out_shape[dim], x.shape[dim], lambda col: offset + col)
    out_labels = [d if d != dim else _OWN for d in range(x.dim())]
    in_labels = [d if d != dim else 2 * _OWN for d in range(x.dim())]
    return out_labels + in_labels, [_OWN, 2 * _OWN], matrix


def _softmax(call: OpCall, operand: int) -> RuleResult:
    x = call.operands[0]
    dim = call.args[1] % x.dim() if x.dim() else 0
    if x.dim() == 0:  # softmax of a scalar is constant
        return [], [], torch.tensor(0.0, dtype=torch.float64)
    value = softmax_jacobian(x.detach().to(torch.float64), dim, log=call.name not in ("softmax", "_softmax"))
    rest = [d for d in range(x.dim()) if d != dim]
    out_labels = [d if d != dim else _OWN for d in range(x.dim())]
    in_labels = [d if d != dim else 2 * _OWN for d in range(x.dim())]
    return out_labels + in_labels, rest + [_OWN, 2 * _OWN], value


def softmax_jacobian(x: torch.Tensor, dim: int, log: bool) -> torch.Tensor:
    """``d softmax(x) / d x`` (or of log_softmax) along ``dim``: the other dims first, then output and input index."""
    s = torch.softmax(x, dim).movedim(dim, -1)
    if log:
        value = torch.eye(s.shape[-1], dtype=s.dtype, device=s.device) - s.unsqueeze(-2)
    else:
        value = torch.diag_embed(s) - s.unsqueeze(-1) * s.unsqueeze(-2)
    return value.expand(*s.shape[:-1], s.shape[-1], s.shape[-1])


def _identity(call: OpCall, operand: int) -> RuleResult:
    n = call.out.dim()
    return list(range(n)) + list(range(n)), [], torch.tensor(1.0, dtype=torch.float64)


_RULE_OF: dict[str, Callable[[OpCall, int], RuleResult]] = {
    **dict.fromkeys(_ELEMENTWISE, _elementwise),
    **dict.fromkeys(_CONTRACTIONS, _contraction),
    **dict.fromkeys(_REDUCTIONS, _reduction),
    **dict.fromkeys(_PERMUTATIONS, _permutation),
    **dict.fromkeys(_RESHAPES, _reshape),
    **dict.fromkeys(_SELECTIONS, _selection),
    **dict.fromkeys(_SOFTMAXES, _softmax),
    COPY_OP: _identity,
    AUTOGRAD_FUNCTION_OP: _elementwise,
}

SUPPORTED: dict[str, list[str]] = {
    "elementwise (with broadcasting)": sorted(_ELEMENTWISE),
    "contractions": sorted(_CONTRACTIONS),
    "reductions": sorted(_REDUCTIONS),
    "permutations": sorted(_PERMUTATIONS),
    "reshapes": sorted(_RESHAPES),
    "indexing and broadcasting": sorted(_SELECTIONS),
    "softmax": sorted(_SOFTMAXES),
    "custom": ["torch.autograd.Function with one tensor argument, elementwise (e.g. a spike with a surrogate)"],
}


def local_layout(
    raw_labels: list[int], value_labels: list[int], out_shape: tuple[int, ...], in_shape: tuple[int, ...]
) -> tuple[Structure, list[int], list[int]]:
    """The canonical structure of a rule's result, the value dims :func:`make_local` keeps, and how it permutes them."""
    structure, mapping = canonicalize(raw_labels, set(value_labels), out_shape, in_shape)
    keep = [d for d, raw in enumerate(value_labels) if raw in mapping]
    kept_labels = [mapping[value_labels[d]] for d in keep]
    return structure, keep, sorted(range(len(kept_labels)), key=kept_labels.__getitem__)


def make_local(
    raw_labels: list[int],
    value_labels: list[int],
    value: torch.Tensor,
    out_shape: tuple[int, ...],
    in_shape: tuple[int, ...],
) -> tuple[Structure, torch.Tensor]:
    """Canonical structure and value of a local Jacobian given with raw labels.

    ``value`` is indexed by ``value_labels`` (one raw label per dimension).
    Dimensions of size one are dropped: canonical structures carry no label of
    size one.
    """
    if value.dim() != len(value_labels):
        raise ValueError(f"value of shape {tuple(value.shape)} for labels {value_labels}")
    structure, keep, permutation = local_layout(raw_labels, value_labels, out_shape, in_shape)
    value = value.reshape([value.shape[d] for d in keep]) if len(keep) < value.dim() else value
    value = value.permute(permutation) if permutation != list(range(len(permutation))) else value
    if tuple(value.shape) != structure.value_shape:
        raise ValueError(f"value of shape {tuple(value.shape)} does not fit structure {structure}")
    return structure, value
