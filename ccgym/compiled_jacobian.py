"""Runnable Jacobians: an elimination order compiled into a straight-line PyTorch function.

:func:`compile_jacobian` plans once what :func:`ccgym.execute` does at every
call, and writes it as Python source (``CompiledJacobian.source``):

1. the forward pass, one ATen call per vertex whose value is needed;
2. the edge partials, each from the primal values by a closed formula
   (elementwise derivatives from :mod:`ccgym.derivative_formulas`, the other
   operand of a contraction, the softmax Jacobian) or, where the rule's value
   depends on no input, as a constant prepared at compile time;
3. the products and sums of the order, each one fixed tensor operation: a
   product of two labelled tensors is a broadcast multiplication of views when
   it sums nothing and takes no diagonal, a matrix product of views when it
   is one, else one ``torch.einsum`` whose equation is written out in
   advance; a sum onto an edge of another structure first re-lays both values
   by a precomputed gather;
4. the Jacobian blocks, expanded to dense tensors only at the end.

Structured values stay structured: a diagonal is a vector, a Kronecker delta or
a broadcast is never stored. Products and sums of values known at compile time
are folded then, a product with the constant ``1`` is no operation and one with
``-1`` a negation; so the function runs fewer tensor operations than the
order's multiplication count suggests on graphs with many additions
(:attr:`CompiledJacobian.num_operations` counts them).

The function works on any batch through ``torch.vmap`` (:meth:`CompiledJacobian.batched`),
in float32 or float64 (the examples' dtype), on the examples' device, and
optionally through ``torch.compile``.
"""

from __future__ import annotations

import itertools
import linecache
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from ccgym import kernels, rules
from ccgym.derivative_formulas import derivative_source
from ccgym.elimination import check_order, cost
from ccgym.executor import decode, operand_vertices, primal_values
from ccgym.graph import Graph
from ccgym.structure import Structure, product_classes

_NAME = re.compile(r"\b[vt][0-9]+\b")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class _Edge:
    """An edge's structure and its value: known at compile time (``const``, float64) or held by variable ``name``."""

    structure: Structure
    const: torch.Tensor | None = None
    name: str = ""


class _Source:
    """Straight-line Python under construction: ``(target, expression)`` lines and the globals they read."""

    def __init__(self, dtype: torch.dtype, device: torch.device) -> None:
        self.dtype = dtype
        self.device = device
        self.lines: list[tuple[str, str]] = []
        self.namespace: dict[str, Any] = {"torch": torch, "F": torch.nn.functional, "DTYPE": dtype, "DEVICE": device}
        self._constant_names: dict[int, str] = {}
        self._constants: list[torch.Tensor] = []  # keeps every id() above unique while planning
        self._temporaries = itertools.count()

    def emit(self, expression: str, target: str | None = None) -> str:
        """Assign ``expression`` to ``target`` (a fresh temporary by default); returns the target.

        A bare variable is not copied to a temporary: the variable itself is returned.
        """
        if target is None and _NAME.fullmatch(expression):
            return expression
        target = target or f"t{next(self._temporaries)}"
        self.lines.append((target, expression))
        return target

    def constant(self, value: torch.Tensor, convert: bool = True) -> str:
        """A global holding ``value`` on the device (floating values in the compiled dtype)."""
        if id(value) not in self._constant_names:
            name = f"K{len(self._constant_names)}"
            dtype = self.dtype if convert and value.is_floating_point() else value.dtype
            self.namespace[name] = value.to(device=self.device, dtype=dtype)
            self._constant_names[id(value)] = name
            self._constants.append(value)
        return self._constant_names[id(value)]

    def function(self, num_inputs: int, returned: str, filename: str) -> tuple[Callable, str, int]:
        """The function (its dead lines dropped), its source, and how many tensor operations it runs."""
        needed = set(_NAME.findall(returned))
        kept = []
        for target, expression in reversed(self.lines):
            if target in needed:
                kept.append((target, expression))
                needed.update(_NAME.findall(expression))
        kept.reverse()
        arguments = ", ".join(f"v{n}" for n in range(num_inputs))
        body = [f"    {target} = {expression}" for target, expression in kept] + [f"    return {returned}"]
        source = f"def jacobian({arguments}):\n" + "\n".join(body) + "\n"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = dict(self.namespace)
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- source generated above from the graph
        operations = sum(not _NAME.fullmatch(expression) for _, expression in kept)
        return namespace["jacobian"], source, operations


class CompiledJacobian:
    """The Jacobian of a graph's function by one elimination order, as a PyTorch function.

    Call it with tensors shaped like the examples (same dtype and device); it
    returns the Jacobian nested like ``torch.func.jacrev(fn, argnums=tuple(range(len(inputs))))``.
    ``batched(*inputs)`` maps it over a leading batch dimension of every input
    (``torch.vmap``). ``source`` is the generated code, ``num_operations`` the
    tensor operations it runs per call, ``mults`` the order's multiplication
    count (``ccgym.cost``).
    """

    def __init__(self, graph: Graph, order: np.ndarray, dtype: torch.dtype, device: torch.device, use_compile: bool):
        self.graph = graph
        self.order = [int(a) for a in order]
        self.dtype = dtype
        self.device = device
        self.mults = cost(graph, self.order).mults
        source, returned = _plan(graph, order, dtype, device)
        filename = f"<ccgym compiled jacobian {id(self):x}>"
        function, self.source, self.num_operations = source.function(graph.num_inputs, returned, filename)
        self._function = torch.compile(function, dynamic=False) if use_compile else function
        self._batched: Callable | None = None
        self._shapes = [v.shape for v in graph.vertices if v.kind == "input"]

    def __call__(self, *inputs: torch.Tensor) -> Any:
        """The Jacobian at ``inputs``; ``ValueError`` for inputs of the wrong number, shape, dtype or device.

        ``TypeError`` for an input that is not a tensor.
        """
        self._check(inputs, "")
        return self._function(*inputs)

    def batched(self, *inputs: torch.Tensor) -> Any:
        """Jacobians of a batch: every input has a leading batch dimension, and so does every block returned."""
        for n, x in enumerate(inputs):
            if not isinstance(x, torch.Tensor) or x.dim() == 0:
                raise ValueError(f"input {n} must be a tensor with a leading batch dimension")
        if self._batched is None:
            self._batched = torch.vmap(self._function)
        self._check(tuple(x[0] for x in inputs), " after the batch dimension")
        if len({x.shape[0] for x in inputs}) > 1:
            raise ValueError(f"the inputs have different batch sizes {[x.shape[0] for x in inputs]}")
        return self._batched(*inputs)

    def _check(self, inputs: Sequence[torch.Tensor], where: str) -> None:
        if len(inputs) != len(self._shapes):
            raise ValueError(f"the function takes {len(self._shapes)} inputs, got {len(inputs)}")
        for n, (x, shape) in enumerate(zip(inputs, self._shapes)):
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"input {n} must be a tensor, got {type(x).__name__}")
            if tuple(x.shape) != shape:
                raise ValueError(f"input {n} has shape {tuple(x.shape)}{where}; the examples had {shape}")
            if x.dtype != self.dtype or x.device != self.device:
                raise ValueError(
                    f"input {n} is {x.dtype} on {x.device}; this Jacobian was compiled for {self.dtype} "
                    f"on {self.device} "
                    "(compile another from examples of that dtype and device)"
                )

    def __repr__(self) -> str:
        return (
            f"CompiledJacobian({self.graph!r}, mults={self.mults}, operations={self.num_operations}, "
            f"dtype={self.dtype}, device={self.device})"
        )


def compile_jacobian(
    fn: Callable[..., Any] | None,
    order: Sequence[int],
    *example_inputs: torch.Tensor,
    graph: Graph | None = None,
    compile: bool = False,
) -> CompiledJacobian:
    """The Jacobian of ``fn`` computed by elimination ``order``, as a callable planned once.

    ``fn`` is traced at ``example_inputs`` (:func:`ccgym.trace`) unless
    ``graph`` is given (e.g. a benchmark task's cached graph, whose indices
    the leaderboard's orders use; ``fn`` may then be None). The callable takes
    tensors of the examples' shapes, dtype (float32 or float64) and device.
    ``compile=True`` wraps the generated function in ``torch.compile``.
    ``ValueError`` for an order that is not a permutation of the
    intermediates, for examples that are not floating-point tensors of the
    graph's input shapes, and for a graph that cannot be executed.
    """
    if not example_inputs:
        raise ValueError("give example inputs: they fix the shapes, dtype and device the Jacobian is compiled for")
    for n, x in enumerate(example_inputs):
        if not isinstance(x, torch.Tensor) or x.dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"example input {n} must be a float32 or float64 tensor, got {getattr(x, 'dtype', type(x))}"
            )
    dtypes = {x.dtype for x in example_inputs}
    devices = {x.device for x in example_inputs}
    if len(dtypes) > 1 or len(devices) > 1:
        raise ValueError(
            f"the example inputs mix dtypes {sorted(map(str, dtypes))} or devices {sorted(map(str, devices))}"
        )
    if graph is None:
        if fn is None:
            raise ValueError("give a function to trace, or its graph")
        from ccgym.tracer import trace

        graph = trace(fn, *example_inputs)
    if not graph.metadata.get("executable", True):
        raise ValueError("this graph is not executable (imported from an edge list): it can be costed, not run")
    shapes = [v.shape for v in graph.vertices if v.kind == "input"]
    if len(example_inputs) != len(shapes) or any(tuple(x.shape) != s for x, s in zip(example_inputs, shapes)):
        given = [tuple(x.shape) for x in example_inputs]
        raise ValueError(f"the graph's inputs have shapes {shapes}, the examples {given}")
    array = check_order(graph, order)
    return CompiledJacobian(graph, array, dtypes.pop(), devices.pop(), compile)


# --- planning ------------------------------------------------------------------------------------------------


def _plan(graph: Graph, order: np.ndarray, dtype: torch.dtype, device: torch.device) -> tuple[_Source, str]:
    """Write the forward pass, the partials and the order's eliminations; returns them and the Jacobian's source."""
    source = _Source(dtype, device)
    examples = [torch.zeros(v.shape, dtype=torch.float64) + 0.5 for v in graph.vertices if v.kind == "input"]
    values = primal_values(graph, examples)  # shapes and constants only: no value below depends on these numbers
    planner = _Planner(graph, source, values)
    planner.forward_pass()
    planner.load_partials()
    for action in order.tolist():
        planner.eliminate(graph.intermediate_vertex(action))
    return source, planner.jacobian()


class _Planner:
    """Simulates :class:`ccgym.executor._Executor` on structures, writing each value operation as source."""

    def __init__(self, graph: Graph, source: _Source, values: list[torch.Tensor]) -> None:
        self.graph = graph
        self.packed = graph.packed
        self.source = source
        self.values = values
        self.edges: dict[tuple[int, int], _Edge] = {}
        self.preds: list[set[int]] = [set() for _ in graph.vertices]
        self.succs: list[set[int]] = [set() for _ in graph.vertices]

    # forward pass and partials

    def forward_pass(self) -> None:
        for v, vertex in enumerate(self.graph.vertices):
            if vertex.kind == "input":
                continue
            args = [self.render(item) for item in vertex.args]
            kwargs = ", ".join(f"{key}={self.render(item)}" for key, item in vertex.kwargs.items())
            if vertex.op == rules.COPY_OP:
                expression = args[0]
            elif vertex.op == rules.AUTOGRAD_FUNCTION_OP:
                name = f"function_{v}"
                function = rules.resolve_function(vertex.kwargs["function"])
                self.source.namespace[name] = function
                # no autograd graph is needed: a Function in torch.func's style runs its forward as a plain function
                expression = f"{name}.{'forward' if _has_setup_context(function) else 'apply'}({args[0]})"
            else:
                name = f"op_{v}"
                self.source.namespace[name] = _aten(vertex.op)
                expression = f"{name}({', '.join(args + ([kwargs] if kwargs else []))})"
            self.source.emit(expression, f"v{v}")

    def render(self, item: Any) -> str:
        """Source of a JSON argument: vertices as their variables, constants as globals."""
        if isinstance(item, dict):
            if set(item) == {"vertex"}:
                return f"v{item['vertex']}"
            if set(item) == {"const"}:
                return self.source.constant(self._graph_constant(item["const"]))
            if set(item) == {"dtype"}:
                dtype = getattr(torch, item["dtype"])
                return "DTYPE" if dtype.is_floating_point else f"torch.{item['dtype']}"
            return "{" + ", ".join(f"{key!r}: {self.render(value)}" for key, value in item.items()) + "}"
        if isinstance(item, list):
            return "[" + ", ".join(self.render(x) for x in item) + "]"
        if isinstance(item, float) and not math.isfinite(item):
            return f"float({str(item)!r})"
        return repr(item)

    def _graph_constant(self, index: int) -> torch.Tensor:
        cache = self.__dict__.setdefault("_constants", {})
        if index not in cache:
            cache[index] = torch.from_numpy(self.graph.constants[index].copy())
        return cache[index]

    def load_partials(self) -> None:
        for dst, vertex in enumerate(self.graph.vertices):
            if vertex.kind == "input":
                continue
            refs = operand_vertices(vertex.args)
            args = decode(vertex.args, self.values, self.graph)
            call = rules.OpCall(vertex.op, args, decode(vertex.kwargs, self.values, self.graph), self.values[dst])
            for operand, ref in enumerate(refs):
                if ref is not None:
                    self.accumulate(ref, dst, self.partial(call, operand, dst))
        expected = {(e.src, e.dst): replace(e.structure, unit=False) for e in self.graph.edges}
        if {key: edge.structure for key, edge in self.edges.items()} != expected:
            raise RuntimeError(
                "the structure rules give other edges than the graph holds; was it traced by another ccgym?"
            )
        for edge in self.graph.edges:
            if edge.structure.unit:
                local = self.edges[(edge.src, edge.dst)]
                if local.const is None or not bool((local.const == 1.0).all()):
                    raise ValueError(
                        f"edge {edge.src} -> {edge.dst} is marked unit, but its Jacobian is not the identity"
                    )
                self.edges[(edge.src, edge.dst)] = replace(local, structure=edge.structure)

    def partial(self, call: rules.OpCall, operand: int, dst: int) -> _Edge:
        """``d dst / d operand``: a compile-time constant, or source that computes it from the primal values."""
        out_shape = tuple(call.out.shape)
        in_shape = tuple(call.operands[operand].shape)
        raw_labels, value_labels, raw_value = rules.raw_local_jacobian(call, operand)
        structure, keep, permutation = rules.local_layout(raw_labels, value_labels, out_shape, in_shape)
        kind = rules.value_source(call, operand)
        vertex = self.graph.vertices[dst]
        expression = None
        if kind == "elementwise":
            expression = self._elementwise(vertex, operand, dst, out_shape, value_labels)
        elif kind == "contraction":
            other = _tensor_items(vertex.args)[1 - operand]
            equation = rules.contraction_reduction(call, operand)
            if "vertex" in other:
                lhs, _, rhs = equation.partition("->")
                expression = _rearranged(f"v{other['vertex']}", lhs, rhs)
        elif kind == "softmax":
            self.source.namespace["softmax_jacobian"] = rules.softmax_jacobian
            dim = call.args[1] % call.operands[0].dim()
            log = call.name not in ("softmax", "_softmax")
            expression = f"softmax_jacobian({self.render(vertex.args[0])}, {dim}, {log})"
        if expression is None or not _NAME.search(expression):
            return _Edge(structure, const=rules.make_local(raw_labels, value_labels, raw_value, out_shape, in_shape)[1])
        if len(keep) < raw_value.dim():
            expression = f"({expression}).reshape({[raw_value.shape[d] for d in keep]})"
        if permutation != sorted(permutation):
            expression = f"({expression}).permute({permutation})"
        return _Edge(structure, name=self.source.emit(expression))

    def _elementwise(self, vertex, operand: int, dst: int, out_shape: tuple, value_labels: list[int]) -> str | None:
        """The derivative at every output element, taken at the value's dims (None if it depends on no vertex)."""
        items = vertex.args
        position = [
            n for n, item in enumerate(items) if isinstance(item, dict) and ("vertex" in item or "const" in item)
        ][operand]
        args = [self.render(item) for item in items]
        literals = [item if isinstance(item, (int, float)) and not isinstance(item, bool) else None for item in items]
        formula = None
        if vertex.op != rules.AUTOGRAD_FUNCTION_OP and not vertex.kwargs:
            formula = derivative_source(vertex.op, position, args, literals, f"v{dst}")
        if vertex.op == rules.AUTOGRAD_FUNCTION_OP and _has_setup_context(
            rules.resolve_function(vertex.kwargs["function"])
        ):
            name = f"backward_{dst}"
            self.source.namespace[name] = _FunctionBackward(rules.resolve_function(vertex.kwargs["function"]))
            formula = f"{name}({args[0]}, v{dst})"
        elif formula is None:
            fallback = f"vjp_{dst}_{position}"
            function = (
                rules.resolve_function(vertex.kwargs["function"]).apply
                if vertex.op == rules.AUTOGRAD_FUNCTION_OP
                else _aten(vertex.op)
            )
            kwargs = {} if vertex.op == rules.AUTOGRAD_FUNCTION_OP else decode(vertex.kwargs, [], self.graph)
            self.source.namespace[fallback] = _ElementwiseVJP(function, position, out_shape, kwargs)
            formula = f"{fallback}({', '.join(args)})"
        elif not _NAME.search(formula):
            return None
        referenced = [
            self._shape_of(item) for item, arg in zip(items, args) if re.search(rf"\b{re.escape(arg)}\b", formula)
        ]
        shape = _broadcast_shape(referenced + ([out_shape] if re.search(rf"\bv{dst}\b", formula) else []))
        padded = (1,) * (len(out_shape) - len(shape)) + shape
        if len(shape) == len(value_labels) and padded == tuple(
            n if d in value_labels else 1 for d, n in enumerate(out_shape)
        ):
            return formula
        index = ", ".join(":" if d in value_labels else "0" for d in range(len(out_shape)))
        return f"({formula}).expand({list(out_shape)})[{index}]"

    def _shape_of(self, item: Any) -> tuple[int, ...]:
        if isinstance(item, dict) and "vertex" in item:
            return self.graph.vertices[item["vertex"]].shape
        if isinstance(item, dict) and "const" in item:
            return tuple(self.graph.constants[item["const"]].shape)
        return ()

    # elimination

    def structure(self, code: int, dst: int, src: int) -> Structure:
        return Structure.from_code(code, self.graph.vertices[dst].shape, self.graph.vertices[src].shape)

    def accumulate(self, src: int, dst: int, edge: _Edge) -> None:
        """Add ``edge`` onto ``src -> dst``, joining the structures."""
        if (src, dst) in self.edges:
            old = self.edges[(src, dst)]
            code = int(kernels.join(self.packed, old.structure.code, edge.structure.code, dst, src))
            joined = self.structure(code, dst, src)
            a, b = self.embed(old, joined), self.embed(edge, joined)
            if a.const is not None and b.const is not None:
                edge = _Edge(joined, const=a.const + b.const)
            else:
                edge = _Edge(joined, name=self.source.emit(f"{self.operand(a)} + {self.operand(b)}"))
        self.edges[(src, dst)] = edge
        self.preds[dst].add(src)
        self.succs[src].add(dst)

    def operand(self, edge: _Edge) -> str:
        return edge.name or self.source.constant(edge.const)

    def embed(self, edge: _Edge, target: Structure) -> _Edge:
        """The same Jacobian in the coarser ``target`` structure, by a gather planned here."""
        if edge.structure.code == target.code and not edge.structure.unit:
            return edge
        gather, padded = _embedding(edge.structure, target)
        if edge.const is not None:
            flat = edge.const.reshape(-1)
            flat = torch.cat([flat, flat.new_zeros(1)]) if padded else flat
            return _Edge(target, const=flat[torch.from_numpy(gather)].reshape(target.value_shape))
        flat = f"{edge.name}.reshape(-1)"
        flat = f"F.pad({flat}, (0, 1))" if padded else flat
        index = self.source.constant(torch.from_numpy(gather))
        return _Edge(
            target, name=self.source.emit(f"{flat}.index_select(0, {index}).reshape({list(target.value_shape)})")
        )

    def eliminate(self, k: int) -> None:
        for i in sorted(self.preds[k]):
            right = self.edges.pop((i, k))
            self.succs[i].discard(k)
            for j in sorted(self.succs[k]):
                self.accumulate(i, j, self.product(self.edges[(k, j)], right, j, k, i))
        for j in self.succs[k]:
            del self.edges[(k, j)]
            self.preds[j].discard(k)
        self.preds[k].clear()
        self.succs[k].clear()

    def product(self, left: _Edge, right: _Edge, j: int, k: int, i: int) -> _Edge:
        """``J[j,k] . J[k,i]`` as one planned operation (or none: folded, or a product with a unit edge)."""
        code, _ = kernels.product(self.packed, left.structure.code, right.structure.code, j, k, i)
        structure = self.structure(int(code), j, i)
        if left.structure.unit or right.structure.unit:
            kept = right if left.structure.unit else left
            return replace(kept, structure=structure)
        a_sub, b_sub, out, factor, sizes = _equation(left.structure, right.structure, structure)
        if left.const is not None and right.const is not None:
            return _Edge(structure, const=torch.einsum(f"{a_sub},{b_sub}->{out}", left.const, right.const) * factor)
        for scalar, scalar_sub, other, other_sub in ((left, a_sub, right, b_sub), (right, b_sub, left, a_sub)):
            if scalar.const is not None and not scalar_sub:
                scale = float(scalar.const) * factor
                return _Edge(structure, name=self.source.emit(_scaled(_rearranged(other.name, other_sub, out), scale)))
        if left.const is not None or right.const is not None:
            const_edge = left if left.const is not None else right
            scaled = replace(const_edge, const=const_edge.const * factor)
            left, right = (scaled, right) if const_edge is left else (left, scaled)
            factor = 1
        a, b = self.operand(left), self.operand(right)
        summed = set(a_sub + b_sub) - set(out)
        if not summed and len(set(a_sub)) == len(a_sub) and len(set(b_sub)) == len(b_sub):
            expression = f"{_aligned(a, a_sub, out)} * {_aligned(b, b_sub, out)}"
        else:
            expression = (
                _matmul(a, a_sub, b, b_sub, out, sizes)
                or f"torch.einsum({a_sub + ',' + b_sub + '->' + out!r}, {a}, {b})"
            )
        return _Edge(structure, name=self.source.emit(_scaled(expression, float(factor))))

    # the result

    def jacobian(self) -> str:
        """Source of the nested Jacobian, every block dense."""
        graph = self.graph
        inputs = [v for v, x in enumerate(graph.vertices) if x.kind == "input"]
        outputs = [v for v, x in enumerate(graph.vertices) if x.kind == "output"]
        rows = []
        for o in outputs:
            blocks = []
            for x in inputs:
                out_shape, in_shape = graph.vertices[o].shape, graph.vertices[x].shape
                if (x, o) not in self.edges:
                    blocks.append(f"torch.zeros({list(out_shape + in_shape)}, dtype=DTYPE, device=DEVICE)")
                    continue
                dense = self.embed(self.edges[(x, o)], Structure.dense(out_shape, in_shape))
                if dense.const is not None:
                    blocks.append(f"{self.source.constant(dense.const.reshape(out_shape + in_shape))}.clone()")
                elif dense.structure.value_shape != out_shape + in_shape:
                    blocks.append(self.source.emit(f"{dense.name}.reshape({list(out_shape + in_shape)})"))
                else:
                    blocks.append(dense.name)
            rows.append("(" + "".join(f"{block}, " for block in blocks) + ")")
        if graph.output_container == "single":
            return rows[0]
        listed = ", ".join(rows)
        return f"[{listed}]" if graph.output_container == "list" else f"({listed},)"


class _ElementwiseVJP:
    """``d out / d args[position]`` of an elementwise function at every output element, by one VJP of ones."""

    def __init__(self, function: Callable, position: int, out_shape: tuple[int, ...], kwargs: dict) -> None:
        self.function = function
        self.position = position
        self.out_shape = out_shape
        self.kwargs = kwargs

    def __call__(self, *args: Any) -> torch.Tensor:
        def partial(x: torch.Tensor) -> torch.Tensor:
            return self.function(*args[: self.position], x, *args[self.position + 1 :], **self.kwargs)

        out, pullback = torch.func.vjp(partial, args[self.position].expand(self.out_shape))
        return pullback(torch.ones_like(out))[0]


def _has_setup_context(function: type[torch.autograd.Function]) -> bool:
    return function.setup_context is not torch.autograd.Function.setup_context


class _FunctionBackward:
    """The diagonal of an elementwise ``torch.autograd.Function``'s Jacobian: its ``backward`` of ones, called directly.

    For a Function written the way ``torch.func`` needs it (``forward`` without
    ``ctx``, ``setup_context``, ``backward``): the tracer has checked that its
    Jacobian is diagonal, and calling ``setup_context`` and ``backward`` as
    plain functions avoids building an autograd graph (and works under ``torch.vmap``).
    """

    def __init__(self, function: type[torch.autograd.Function]) -> None:
        self.function = function

    @torch.compiler.disable  # torch.compile runs it as it is (it refuses a ctx of another kind)
    def __call__(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        context = _Context()
        self.function.setup_context(context, (x,), out)
        gradient = self.function.backward(context, torch.ones_like(out))
        return gradient[0] if isinstance(gradient, tuple) else gradient


class _Context:
    """The part of autograd's ``ctx`` that ``setup_context`` and ``backward`` of an elementwise Function use."""

    needs_input_grad = (True,)
    materialize_grads = True

    def save_for_backward(self, *tensors: torch.Tensor) -> None:
        self.saved_tensors = tensors

    def save_for_forward(self, *tensors: torch.Tensor) -> None:
        self.saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors: torch.Tensor) -> None:
        """Nothing to mark: no autograd graph is built."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


def _aten(op: str) -> Callable:
    namespace, packet, overload = op.split(".")
    return getattr(getattr(getattr(torch.ops, namespace), packet), overload)


def _tensor_items(items: list) -> list[dict]:
    """The JSON items of the tensor operands, in operand order (lists flattened)."""
    found = []
    for item in items:
        if isinstance(item, dict) and ("vertex" in item or "const" in item):
            found.append(item)
        elif isinstance(item, list):
            found.extend(_tensor_items(item))
    return found


def _broadcast_shape(shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(torch.broadcast_shapes(*shapes))


def _equation(left: Structure, right: Structure, result: Structure) -> tuple[str, str, str, int, dict[str, int]]:
    """Subscripts of ``J[j,k] . J[k,i]``'s two value tensors and of the result's, the constant factor, letter sizes.

    The labels of ``k``'s axes on the two edges are unified as the executor
    unifies them (:func:`ccgym.structure.product_classes`); a class carried by
    neither value and on no result axis multiplies the result by its size.
    """
    classes = product_classes(left, right)
    letter = {c: _LETTERS[n] for n, c in enumerate(sorted(classes.carried))}
    a_sub = "".join(letter[c] for c in classes.left)
    b_sub = "".join(letter[c] for c in classes.right)
    out = "".join(letter[classes.result[result.labels.index(label)]] for label in result.carried)
    return a_sub, b_sub, out, classes.constant, {letter[c]: classes.size[c] for c in classes.carried}


def _aligned(name: str, sub: str, out: str) -> str:
    """``name`` (indexed by ``sub``) as a view that broadcasts against a tensor indexed by ``out``."""
    present = sorted(sub, key=out.index)
    if present != list(sub):
        name = f"{name}.permute({[sub.index(c) for c in present]})"
    index = [":" if c in sub else "None" for c in out]
    while index and index[0] == "None":
        index.pop(0)  # leading axes broadcast by themselves
    return f"{name}[{', '.join(index)}]" if "None" in index else name


def _rearranged(name: str, sub: str, out: str) -> str:
    """``name`` indexed by ``sub`` as the tensor indexed by ``out``: a permutation, a sum over axes, or an einsum."""
    if sub == out:
        return name
    if len(set(sub)) == len(sub) and set(out) <= set(sub):
        kept = [c for c in sub if c in out]
        summed = [n for n, c in enumerate(sub) if c not in out]
        name = f"{name}.sum({summed})" if summed else name
        return name if kept == list(out) else f"{name}.permute({[kept.index(c) for c in out]})"
    return f"torch.einsum({sub + '->' + out!r}, {name})"


def _matmul(a: str, a_sub: str, b: str, b_sub: str, out: str, sizes: dict[str, int]) -> str | None:
    """``einsum(a_sub,b_sub->out)`` as one matrix product of views, when it is one (else None).

    That is: letters are not repeated within an operand, every letter of one
    operand only is kept, every shared one is summed (no batch letters).
    """
    if len(set(a_sub)) < len(a_sub) or len(set(b_sub)) < len(b_sub) or set(a_sub) & set(b_sub) & set(out):
        return None
    summed = [c for c in a_sub if c in b_sub]
    left = [c for c in a_sub if c not in b_sub]
    right = [c for c in b_sub if c not in a_sub]
    if not summed or not set(left + right) <= set(out):
        return None
    first = _matrix(a, a_sub, left + summed, sizes, len(left))
    product = f"{first} @ {_matrix(b, b_sub, summed + right, sizes, len(summed))}"
    natural = [sizes[c] for c in left + right]
    if len(left) > 1 or len(right) > 1:
        product = f"({product}).reshape({natural})"
    produced = left + right
    return product if produced == list(out) else f"({product}).permute({[produced.index(c) for c in out]})"


def _matrix(name: str, sub: str, order: list[str], sizes: dict[str, int], rows: int) -> str:
    """``name`` (indexed by ``sub``) as a matrix, the first ``rows`` letters of ``order`` as its rows (or a vector)."""
    if list(sub) != order:
        name = f"{name}.permute({[sub.index(c) for c in order]})"
    shape = [math.prod(sizes[c] for c in order[:rows]), math.prod(sizes[c] for c in order[rows:])]
    shape = [n for n, letters in zip(shape, (order[:rows], order[rows:])) if letters]
    return name if shape == [sizes[c] for c in order] else f"{name}.reshape({shape})"


def _scaled(expression: str, scale: float) -> str:
    if scale == 1.0:
        return expression
    if scale == -1.0:
        return f"-{expression}" if _NAME.fullmatch(expression) else f"-({expression})"
    return f"({expression}) * {scale!r}"


def _embedding(source: Structure, target: Structure) -> tuple[np.ndarray, bool]:
    """For every position of ``target``'s flat value, the flat position of ``source``'s it copies (or one past its
    end: zero), and whether any position is zero. ``target`` must be coarser (as in :func:`ccgym.executor.embed`)."""
    origin: dict[int, int] = {}
    for axis, label in enumerate(target.labels):
        if target.sizes[axis] > 1 and origin.setdefault(label, source.labels[axis]) != source.labels[axis]:
            raise ValueError(f"structure {target} is not coarser than {source}")
    if any(label not in origin.values() for label in source.carried) or (source.carried and not target.carried):
        raise ValueError(f"structure {target} cannot hold values that vary over {source}")
    used = sorted({origin[label] for label in target.carried})
    source_size = math.prod(source.value_shape)
    gather = np.full(max(1, math.prod(target.value_shape)), source_size, np.int64)
    grids = np.meshgrid(*[np.arange(source.label_size(label)) for label in used], indexing="ij")
    at = {label: grid.reshape(-1) for label, grid in zip(used, grids)}
    t = (
        np.ravel_multi_index([at[origin[label]] for label in target.carried], target.value_shape)
        if target.carried
        else 0
    )
    s = np.ravel_multi_index([at[label] for label in source.carried], source.value_shape) if source.carried else 0
    gather[t] = s
    return gather, bool((gather == source_size).any())
