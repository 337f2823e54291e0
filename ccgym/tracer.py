"""Trace a PyTorch function into a :class:`ccgym.Graph` through ``torch.export``."""

from __future__ import annotations

import contextlib
import inspect
import operator
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.export.graph_signature import InputKind

from ccgym import kernels, rules
from ccgym.graph import Edge, Graph, Vertex
from ccgym.structure import Structure, canonicalize


class UnsupportedOperatorError(ValueError):
    """An operator without a Jacobian-structure rule, or without a derivative."""


# Operators that only pass their operand through (for float64 data).
_ALIASES = {"alias", "clone", "contiguous", "detach_copy", "lift_fresh_copy", "_to_copy", "to", "view_as", "type_as"}
# Operators whose result does not depend on the operand's values.
_VALUE_FREE = {"zeros_like", "ones_like", "full_like", "empty_like", "new_zeros", "new_ones", "new_full", "new_empty"}
_IGNORED = {"_assert_tensor_metadata", "_assert_scalar", "sym_constrain_range_for_size"}
_NON_DIFFERENTIABLE = {
    "gt", "lt", "ge", "le", "eq", "ne", "sign", "floor", "ceil", "round", "trunc", "argmax", "argmin",
    "logical_and", "logical_or", "logical_not", "bitwise_and", "bitwise_or", "detach",
}  # fmt: skip

_ORIGINAL_APPLY = torch.autograd.Function.__dict__["apply"]


@torch.library.custom_op("ccgym::autograd_function", mutates_args=())
def _autograd_function(x: torch.Tensor, function: str) -> torch.Tensor:
    """Stand-in that keeps a user's autograd.Function whole through torch.export."""
    return _ORIGINAL_APPLY.__get__(None, rules.resolve_function(function))(x)


@_autograd_function.register_fake
def _(x: torch.Tensor, function: str) -> torch.Tensor:
    return torch.empty_like(x)


@contextlib.contextmanager
def _autograd_functions_kept_whole() -> Iterator[None]:
    """While tracing, calls of ``torch.autograd.Function.apply`` become one operator."""

    def apply(cls, *args, **kwargs):
        if kwargs or len(args) != 1 or not isinstance(args[0], torch.Tensor):
            raise UnsupportedOperatorError(
                f"autograd.Function {cls.__qualname__}: only functions of exactly one tensor are supported"
            )
        return torch.ops.ccgym.autograd_function(args[0], rules.register_function(cls))

    torch.autograd.Function.apply = classmethod(apply)
    try:
        yield
    finally:
        torch.autograd.Function.apply = _ORIGINAL_APPLY


@contextlib.contextmanager
def _user_frames_recorded() -> Iterator[None]:
    """Make torch.export record the user's own frames in each node's stack trace.

    Non-strict export keeps only frames named ``forward`` and registered
    anchors (``torch.fx.proxy._STACK_TRACE_ANCHORS``); every Python function
    called outside torch and ccgym while tracing is registered for the duration.
    """
    anchors = getattr(torch.fx.proxy, "_STACK_TRACE_ANCHORS", None)
    if anchors is None:
        yield
        return
    library_roots = (os.path.dirname(torch.__file__), os.path.dirname(__file__))
    added: set[tuple[str, str]] = set()

    def profile(frame, event, arg):
        if event == "call":
            key = (frame.f_code.co_filename, frame.f_code.co_name)
            if not key[0].startswith(library_roots) and key not in anchors:
                anchors.add(key)
                added.add(key)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)
        anchors.difference_update(added)


class _Wrapper(torch.nn.Module):
    def __init__(self, fn: Callable) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def _source_line(node: torch.fx.Node) -> str:
    """``path:line: code`` of the innermost user frame that made ``node``."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in [^\n]*(?:\n(?!\s*File )\s*([^\n]*))?', node.meta.get("stack_trace") or "")
    if not frames:
        return ""
    path, line, code = frames[-1]
    return f"{_portable_path(path)}:{line}: {code.strip()}".rstrip(": ")


def _portable_path(path: str) -> str:
    """``path`` from the folder above its top-level package, so graphs do not name a machine's folders."""
    root = os.path.dirname(path)
    while os.path.exists(os.path.join(root, "__init__.py")):
        root = os.path.dirname(root)
    return os.path.relpath(path, root) if os.path.isabs(path) else path


def _op_name(target) -> str:
    return str(target)


def _packet(target) -> str:
    return _op_name(target).split(".")[1] if isinstance(target, torch._ops.OpOverload) else ""


@dataclass
class _Traced:
    """A vertex under construction."""

    vertex: Vertex
    value: torch.Tensor
    preds: dict[int, int] = field(default_factory=dict)  # predecessor -> structure code


def trace(fn: Callable[..., torch.Tensor | tuple[torch.Tensor, ...] | list[torch.Tensor]], *example_inputs: torch.Tensor) -> Graph:
    """Trace ``fn`` at ``example_inputs`` into a computational graph.

    Every input must be a floating-point tensor (traced in float64) of at most
    four dimensions; ``fn`` returns a tensor or a tuple/list of tensors.
    Constants are folded. An operator without a structure rule raises
    :class:`UnsupportedOperatorError` naming it and its source line.
    """
    if not example_inputs:
        raise ValueError("trace needs at least one example input")
    inputs = []
    for n, x in enumerate(example_inputs):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"input {n} must be a floating-point tensor, got {type(x).__name__}")
        if x.dim() > kernels.MAX_NDIM:
            raise ValueError(f"input {n} has {x.dim()} dimensions; at most {kernels.MAX_NDIM} are supported")
        if x.numel() == 0:
            raise ValueError(f"input {n} has shape {tuple(x.shape)}, with no values: there is nothing to differentiate")
        inputs.append(x.detach().to(torch.float64))
    result = fn(*inputs)
    container = "single" if isinstance(result, torch.Tensor) else type(result).__name__
    if container not in ("single", "tuple", "list"):
        raise TypeError(f"the function must return a tensor or a tuple/list of tensors, not {container}")
    program = _export(fn, inputs)
    return _Builder(program, inputs, container, _input_names(fn, len(inputs))).build()


def _input_names(fn: Callable, count: int) -> list[str]:
    """Parameter names of ``fn`` for its positional inputs, ``x0, x1, ...`` where it has none."""
    try:
        parameters = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    return [parameters[n] if n < len(parameters) else f"x{n}" for n in range(count)]


def _export(fn: Callable, inputs: list[torch.Tensor]) -> torch.export.ExportedProgram:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with _autograd_functions_kept_whole(), _user_frames_recorded():
                program = torch.export.export(_Wrapper(fn), tuple(inputs), strict=False)
        except UnsupportedOperatorError:
            raise
        except Exception as error:
            raise ValueError(f"torch.export could not trace the function: {error}") from error
        decompositions = None  # built only when needed: it costs about 50 ms
        for _ in range(8):
            missing = {
                node.target
                for node in program.graph.nodes
                if node.op == "call_function" and _needs_decomposition(node.target)
            }
            if not missing:
                break
            decompositions = decompositions or torch.export.default_decompositions()
            table = {op: decompositions[op] for op in missing if op in decompositions}
            if not table:
                break
            program = program.run_decompositions(table)
    return program


def _needs_decomposition(target) -> bool:
    if not isinstance(target, torch._ops.OpOverload):
        return False
    name = _packet(target)
    known = _ALIASES | _VALUE_FREE | _IGNORED | _NON_DIFFERENTIABLE
    return not rules.is_supported(_op_name(target)) and name not in known and not _op_name(target).startswith("ccgym.")


class _Builder:
    def __init__(
        self, program: torch.export.ExportedProgram, inputs: list[torch.Tensor], container: str, names: list[str]
    ) -> None:
        self.program = program
        self.inputs = inputs
        self.names = names
        self.container = container
        self.traced: list[_Traced] = []
        self.constants: list[np.ndarray] = []
        self.env: dict[torch.fx.Node, object] = {}  # node -> vertex index (int wrapped) or constant value

    def build(self) -> Graph:
        kinds = {spec.arg.name: spec for spec in self.program.graph_signature.input_specs}
        user_inputs = iter(zip(self.names, self.inputs))
        for node in self.program.graph.nodes:
            if node.op == "placeholder":
                spec = kinds[node.name]
                if spec.kind == InputKind.USER_INPUT:
                    name, value = next(user_inputs)
                    self.env[node] = self._add(Vertex(name, "input", tuple(value.shape), "input"), value, {})
                else:
                    self.env[node] = _Constant(self._state_value(spec))
            elif node.op == "call_function":
                self.env[node] = self._call(node)
            elif node.op == "output":
                return self._finish(node.args[0], _source_line(node))
        raise AssertionError("exported graph has no output")

    def _state_value(self, spec) -> torch.Tensor:
        if spec.kind == InputKind.CONSTANT_TENSOR:
            return self.program.constants[spec.target]
        return self.program.state_dict[spec.target]

    def _add(self, vertex: Vertex, value: torch.Tensor, preds: dict[int, int]) -> _VertexRef:
        self.traced.append(_Traced(vertex, value, preds))
        return _VertexRef(len(self.traced) - 1)

    def _concrete(self, arg):
        """Replace nodes in an argument by example values."""
        if isinstance(arg, torch.fx.Node):
            item = self.env[arg]
            return self.traced[item.index].value if isinstance(item, _VertexRef) else item.value
        if isinstance(arg, (list, tuple)):
            return type(arg)(self._concrete(a) for a in arg)
        return arg

    def _depends_on_inputs(self, arg) -> bool:
        if isinstance(arg, torch.fx.Node):
            return isinstance(self.env[arg], _VertexRef)
        if isinstance(arg, (list, tuple)):
            return any(self._depends_on_inputs(a) for a in arg)
        return False

    def _call(self, node: torch.fx.Node):
        target = node.target
        name = _packet(target)
        source = _source_line(node)
        args = self._concrete(list(node.args))
        kwargs = self._concrete(dict(node.kwargs))
        traced = self._depends_on_inputs(list(node.args)) or self._depends_on_inputs(list(node.kwargs.values()))
        if target is operator.getitem:
            if traced:
                raise UnsupportedOperatorError(f"multi-output operator on a traced value at {source}")
            return _Constant(args[0][args[1]])
        if name in _IGNORED:
            return _Constant(None)
        if not traced or name in _VALUE_FREE:
            with torch.no_grad():
                return _Constant(target(*args, **kwargs))
        if name in _ALIASES:
            return self._alias(node, args, kwargs, source)
        op = _op_name(target)
        if op.startswith("ccgym.autograd_function"):
            return self._autograd_function(node, args, source)
        if name in _NON_DIFFERENTIABLE:
            raise UnsupportedOperatorError(
                f"operator {op} has no derivative and is applied to a traced value at {source or 'unknown line'}; "
                "use torch.where with a constant condition, relu, maximum or a spike autograd.Function instead"
            )
        if not rules.is_supported(op):
            raise UnsupportedOperatorError(f"unsupported operator {op} at {source or 'unknown line'}")
        with torch.no_grad():
            value = target(*args, **kwargs)
        return self._intermediate(node, op, args, kwargs, value, source)

    def _alias(self, node, args, kwargs, source):
        ref = self.env[node.args[0]]
        dtype = kwargs.get("dtype", args[1] if len(args) > 1 and isinstance(args[1], torch.dtype) else None)
        if dtype is not None and not dtype.is_floating_point:
            raise UnsupportedOperatorError(f"conversion of a traced value to {dtype} at {source}")
        return ref

    def _autograd_function(self, node, args, source):
        x, name = args
        function = rules.resolve_function(name)
        with torch.no_grad():
            value = function.apply(x)
        if value.shape != x.shape:
            raise UnsupportedOperatorError(f"autograd.Function {name} at {source} is not elementwise (shape changes)")
        _check_diagonal(function, x, name, source)
        return self._intermediate(node, rules.AUTOGRAD_FUNCTION_OP, [args[0]], {"function": name}, value, source, [node.args[0]])

    def _intermediate(self, node, op, args, kwargs, value, source, node_args=None):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise UnsupportedOperatorError(f"operator {op} at {source} does not return a floating-point tensor")
        if value.dim() > kernels.MAX_NDIM:
            raise UnsupportedOperatorError(
                f"operator {op} at {source} makes a tensor of {value.dim()} dimensions; at most {kernels.MAX_NDIM} are supported"
            )
        node_args = list(node.args) if node_args is None else node_args
        operand_refs = list(self._operand_refs(node_args))
        call = rules.OpCall(op, args, kwargs, value)
        live = {n for n, ref in enumerate(operand_refs) if ref is not None}
        preds: dict[int, int] = {}
        try:
            local_jacobians = rules.local_jacobians(call, live)
        except ValueError as error:
            raise ValueError(f"{op} at {source}: {error}") from error
        for local in local_jacobians:
            src = operand_refs[local.operand]
            code = local.structure.code
            if src in preds:
                src_shape = self.traced[src].vertex.shape
                code = int(kernels.join(_pair_graph(value.shape, src_shape), preds[src], code, 0, 1))
            preds[src] = code
        vertex = Vertex(node.name, "intermediate", tuple(value.shape), op, self._json_args(node_args), self._json_args(kwargs), source)
        return self._add(vertex, value, preds)

    def _operand_refs(self, node_args) -> Iterator[int | None]:
        """Vertex index of each tensor operand (None for constants), in operand order."""
        for arg in node_args:
            if isinstance(arg, torch.fx.Node):
                item = self.env[arg]
                if isinstance(item, _VertexRef):
                    yield item.index
                elif isinstance(item.value, torch.Tensor):
                    yield None
            elif isinstance(arg, (list, tuple)):
                yield from self._operand_refs(arg)

    def _json_args(self, item):
        if isinstance(item, torch.fx.Node):
            ref = self.env[item]
            if isinstance(ref, _VertexRef):
                return {"vertex": ref.index}
            return self._json_args(ref.value)
        if isinstance(item, torch.Tensor):
            self.constants.append(item.detach().cpu().numpy().copy())
            return {"const": len(self.constants) - 1}
        if isinstance(item, dict):
            return {k: self._json_args(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [self._json_args(x) for x in item]
        if isinstance(item, torch.dtype):
            return {"dtype": str(item).removeprefix("torch.")}
        if item is None or isinstance(item, (bool, int, float, str)):
            return item
        raise UnsupportedOperatorError(f"cannot record argument {item!r} of type {type(item).__name__}")

    def _finish(self, returned, source: str) -> Graph:
        returned = list(returned)
        has_succ = {src for t in self.traced for src in t.preds}
        output_of: list[int] = []
        used = set()
        for n, item in enumerate(returned):
            ref = self.env[item] if isinstance(item, torch.fx.Node) else _Constant(item)
            if isinstance(ref, _VertexRef):
                v = ref.index
                t = self.traced[v]
                if t.vertex.kind == "input" or v in has_succ or v in used:
                    out = Vertex(f"output_{n}", "intermediate", t.vertex.shape, rules.COPY_OP, [{"vertex": v}], {}, source)
                    v = self._add(out, t.value, {v: _identity_code(t.vertex.shape)}).index
                used.add(v)
                output_of.append(v)
            else:
                value = ref.value
                if not isinstance(value, torch.Tensor):
                    raise TypeError(f"output {n} is not a tensor")
                vertex = Vertex(f"output_{n}", "intermediate", tuple(value.shape), rules.COPY_OP, [self._json_args(value)], {}, source)
                output_of.append(self._add(vertex, value.to(torch.float64), {}).index)
        return self._assemble(output_of)

    def _assemble(self, output_of: list[int]) -> Graph:
        alive = set(output_of)
        for v in range(len(self.traced) - 1, -1, -1):
            if v in alive:
                alive.update(self.traced[v].preds)
        inputs = [v for v, t in enumerate(self.traced) if t.vertex.kind == "input"]
        outputs = set(output_of)
        middle = [v for v, t in enumerate(self.traced) if t.vertex.kind != "input" and v in alive and v not in outputs]
        order = inputs + middle + output_of
        index = {v: n for n, v in enumerate(order)}
        kinds = ["input"] * len(inputs) + ["intermediate"] * len(middle) + ["output"] * len(output_of)
        vertices = [
            Vertex(t.vertex.name, kind, t.vertex.shape, t.vertex.op, _renumber(t.vertex.args, index), t.vertex.kwargs, t.vertex.source)
            for t, kind in ((self.traced[v], kind) for v, kind in zip(order, kinds))
        ]
        edges = [
            Edge(index[src], index[dst], Structure.from_code(code, self.traced[dst].vertex.shape, self.traced[src].vertex.shape))
            for dst in order
            for src, code in sorted(self.traced[dst].preds.items(), key=lambda item: index[item[0]])
        ]
        return Graph(vertices, edges, self.constants, self.container)


@dataclass(frozen=True)
class _VertexRef:
    index: int


@dataclass(frozen=True)
class _Constant:
    value: object


def _renumber(item, index: dict[int, int]):
    if isinstance(item, dict):
        if set(item) == {"vertex"}:
            return {"vertex": index[item["vertex"]]}
        return {k: _renumber(v, index) for k, v in item.items()}
    if isinstance(item, list):
        return [_renumber(x, index) for x in item]
    return item


def _pair_graph(out_shape, in_shape) -> kernels.PackedGraph:
    """A two-vertex graph (vertex 0 = out, vertex 1 = in) whose shapes the structure kernels read."""
    shapes = np.ones((2, kernels.MAX_NDIM), np.int64)
    shapes[0, : len(out_shape)] = out_shape
    shapes[1, : len(in_shape)] = in_shape
    no_edges = np.full((2, 2), kernels.NO_EDGE, np.int64)
    return kernels.PackedGraph(no_edges, shapes, np.array([len(out_shape), len(in_shape)], np.int64), 0, 0, 0)


def _identity_code(shape: tuple[int, ...]) -> int:
    n = len(shape)
    return canonicalize(list(range(n)) * 2, set(), tuple(shape), tuple(shape))[0].code


def _check_diagonal(function, x: torch.Tensor, name: str, source: str) -> None:
    """An elementwise function has a diagonal Jacobian: its VJP scales the cotangent."""
    generator = torch.Generator().manual_seed(0)
    cotangent = torch.rand(x.shape, generator=generator, dtype=x.dtype) + 0.5
    point = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = function.apply(point)
        (ones,) = torch.autograd.grad(y, point, torch.ones_like(y), retain_graph=True)
        (scaled,) = torch.autograd.grad(y, point, cotangent)
    if not torch.allclose(scaled, ones * cotangent):
        raise UnsupportedOperatorError(f"autograd.Function {name} at {source} does not have a diagonal Jacobian")
