"""Numeric executor: run an elimination order on values and count its multiplications.

The executor is the oracle for the kernels: it multiplies real value tensors
(float64), counts every scalar multiplication it performs (the size of each
product tensor it forms), and checks at each step that the structure it
obtains by its own label unification is the one the kernels predict.

A unit edge (``Structure.unit``) must hold exactly the identity, which the
executor checks when it loads the local Jacobians; a product with it performs
no multiplication and its value is the other factor itself. A graph whose
``metadata["executable"]`` is false (imported from an edge list: its vertices
carry operator labels, not operators) is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from ccgym import kernels, rules
from ccgym.elimination import check_order
from ccgym.graph import Graph
from ccgym.structure import Structure, product_classes

Jacobian = tuple


def primal_values(graph: Graph, inputs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Value of every vertex at ``inputs`` (float64)."""
    if len(inputs) != graph.num_inputs:
        raise ValueError(f"the graph has {graph.num_inputs} inputs, got {len(inputs)}")
    values: list[torch.Tensor] = []
    for v, vertex in enumerate(graph.vertices):
        if vertex.kind == "input":
            x = inputs[v]
            if not isinstance(x, torch.Tensor) or tuple(x.shape) != vertex.shape:
                raise ValueError(f"input {v} must be a tensor of shape {vertex.shape}")
            value = x.detach().to(torch.float64)
        else:
            with torch.no_grad():
                args, kwargs = decode(vertex.args, values, graph), decode(vertex.kwargs, values, graph)
                value = rules.evaluate(vertex.op, args, kwargs)
        values.append(value)
    return values


def decode(item, values: list[torch.Tensor], graph: Graph):
    """JSON arguments with every ``{"vertex": n}`` replaced by ``values[n]`` and every constant by its tensor."""
    if isinstance(item, dict):
        if set(item) == {"vertex"}:
            return values[item["vertex"]]
        if set(item) == {"const"}:
            return torch.from_numpy(graph.constants[item["const"]].copy())
        if set(item) == {"dtype"}:
            return getattr(torch, item["dtype"])
        return {k: decode(v, values, graph) for k, v in item.items()}
    if isinstance(item, list):
        return [decode(x, values, graph) for x in item]
    return item


def operand_vertices(args) -> list[int | None]:
    """Vertex of each tensor operand in JSON arguments (None for constants)."""
    refs: list[int | None] = []
    for item in args:
        if isinstance(item, dict) and set(item) == {"vertex"}:
            refs.append(item["vertex"])
        elif isinstance(item, dict) and set(item) == {"const"}:
            refs.append(None)
        elif isinstance(item, list):
            refs.extend(operand_vertices(item))
    return refs


def embed(value: torch.Tensor, source: Structure, target: Structure) -> torch.Tensor:
    """The same Jacobian stored in a coarser structure (a copy: no multiplications)."""
    if source == target:
        return value
    origin: dict[int, int] = {}
    for axis, label in enumerate(target.labels):
        if target.sizes[axis] > 1 and origin.setdefault(label, source.labels[axis]) != source.labels[axis]:
            raise ValueError(f"structure {target} is not coarser than {source}")
    if not target.carried:
        if source.carried:
            raise ValueError(f"structure {target} cannot hold values that vary over {source}")
        return value
    used = sorted({origin[label] for label in target.carried})
    grids = dict(zip(used, torch.meshgrid(*[torch.arange(source.label_size(lab)) for lab in used], indexing="ij")))
    if any(label not in grids for label in source.carried):
        raise ValueError(f"structure {target} cannot hold values that vary over {source}")
    result = value.new_zeros(target.value_shape)
    result[tuple(grids[origin[label]] for label in target.carried)] = value[tuple(grids[lab] for lab in source.carried)]
    return result


def dense(value: torch.Tensor, structure: Structure) -> torch.Tensor:
    """The full Jacobian tensor of shape ``out_shape + in_shape``."""
    return embed(value, structure, Structure.dense(structure.out_shape, structure.in_shape)).reshape(structure.sizes)


class _Executor:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.packed = graph.packed
        self.edges: dict[tuple[int, int], tuple[Structure, torch.Tensor]] = {}
        self.preds: list[set[int]] = [set() for _ in graph.vertices]
        self.succs: list[set[int]] = [set() for _ in graph.vertices]
        self.mults = 0

    def structure(self, code: int, dst: int, src: int) -> Structure:
        return Structure.from_code(code, self.graph.vertices[dst].shape, self.graph.vertices[src].shape)

    def accumulate(self, src: int, dst: int, structure: Structure, value: torch.Tensor) -> None:
        """Add a Jacobian onto edge ``src -> dst`` (joining structures, no multiplications)."""
        if (src, dst) in self.edges:
            old_structure, old_value = self.edges[(src, dst)]
            code = int(kernels.join(self.packed, old_structure.code, structure.code, dst, src))
            joined = self.structure(code, dst, src)
            value = embed(old_value, old_structure, joined) + embed(value, structure, joined)
            structure = joined
        self.edges[(src, dst)] = (structure, value)
        self.preds[dst].add(src)
        self.succs[src].add(dst)

    def load_local_jacobians(self, values: list[torch.Tensor]) -> None:
        for dst, vertex in enumerate(self.graph.vertices):
            if vertex.kind == "input":
                continue
            refs = operand_vertices(vertex.args)
            args = decode(vertex.args, values, self.graph)
            call = rules.OpCall(vertex.op, args, decode(vertex.kwargs, values, self.graph), values[dst])
            live = {n for n, ref in enumerate(refs) if ref is not None}
            for local in rules.local_jacobians(call, live):
                self.accumulate(refs[local.operand], dst, local.structure, local.value)
        expected = {(e.src, e.dst): dataclasses.replace(e.structure, unit=False) for e in self.graph.edges}
        found = {key: structure for key, (structure, _) in self.edges.items()}
        if found != expected:
            raise RuntimeError("the structure rules give other edges than the graph holds; was it traced by another ccgym?")
        for edge in self.graph.edges:
            if edge.structure.unit:
                value = self.edges[(edge.src, edge.dst)][1]
                if not bool((value == 1.0).all()):
                    where = f"edge {edge.src} -> {edge.dst}"
                    raise ValueError(f"{where} is marked unit, but its Jacobian is not the identity")
                self.edges[(edge.src, edge.dst)] = (edge.structure, value)

    def eliminate(self, k: int) -> None:
        for i in sorted(self.preds[k]):
            structure_b, value_b = self.edges.pop((i, k))
            self.succs[i].discard(k)
            for j in sorted(self.succs[k]):
                structure_a, value_a = self.edges[(k, j)]
                structure, value = self.product(structure_a, value_a, structure_b, value_b, j, k, i)
                self.accumulate(i, j, structure, value)
        for j in self.succs[k]:
            del self.edges[(k, j)]
            self.preds[j].discard(k)
        self.preds[k].clear()
        self.succs[k].clear()

    def product(self, sa: Structure, va: torch.Tensor, sb: Structure, vb: torch.Tensor, j: int, k: int, i: int):
        """``J[j,k] . J[k,i]`` by label unification, counting multiplications; a unit factor is free."""
        if sa.unit or sb.unit:
            return self.unit_product(sa, va, sb, vb, j, k, i)
        classes = product_classes(sa, sb)
        carried, result_classes, size = classes.carried, classes.result, classes.size
        product = _aligned(va, classes.left, carried) * _aligned(vb, classes.right, carried)
        self.mults += product.numel()
        summed = [d for d, c in enumerate(carried) if c not in result_classes]
        if summed:
            product = product.sum(dim=summed)
        kept = [c for c in carried if c in result_classes]
        if classes.constant > 1:
            product = product * classes.constant
            self.mults += product.numel()

        code, _ = kernels.product(self.packed, sa.code, sb.code, j, k, i)
        structure = self.structure(int(code), j, i)
        _check_same_structure(structure, result_classes, set(carried), size)
        big = [d for d, c in enumerate(kept) if size[c] > 1]
        product = product.reshape([size[kept[d]] for d in big])
        position = {kept[d]: n for n, d in enumerate(big)}
        permutation = [position[result_classes[structure.labels.index(lab)]] for lab in structure.carried]
        return structure, product.permute(permutation)

    def unit_product(self, sa: Structure, va: torch.Tensor, sb: Structure, vb: torch.Tensor, j: int, k: int, i: int):
        """A product with a unit factor: the other factor itself, on the edge ``i -> j``, with no multiplication."""
        kept, value = (sb, vb) if sa.unit else (sa, va)
        code, mults = kernels.product(self.packed, sa.code, sb.code, j, k, i)
        structure = self.structure(int(code), j, i)
        if mults != 0 or structure.code != kept.code:
            raise AssertionError("kernel and executor disagree on a product with a unit edge")
        return structure, value

    def jacobian(self, container: str) -> Jacobian:
        inputs = [v for v, x in enumerate(self.graph.vertices) if x.kind == "input"]
        outputs = [v for v, x in enumerate(self.graph.vertices) if x.kind == "output"]
        rows = []
        for o in outputs:
            row = []
            for x in inputs:
                shape = self.graph.vertices[o].shape + self.graph.vertices[x].shape
                if (x, o) in self.edges:
                    structure, value = self.edges[(x, o)]
                    row.append(dense(value, structure))
                else:
                    row.append(torch.zeros(shape, dtype=torch.float64))
            rows.append(tuple(row))
        if container == "single":
            return rows[0]
        return list(rows) if container == "list" else tuple(rows)


def _aligned(value: torch.Tensor, classes: list, order: list) -> torch.Tensor:
    """A value tensor indexed by label classes, laid out over ``order`` (diagonals taken)."""
    letters = {c: chr(ord("a") + n) for n, c in enumerate(order)}
    unique = list(dict.fromkeys(classes))
    if len(unique) < len(classes):  # two labels unified: take the diagonal (a copy)
        value = torch.einsum("".join(letters[c] for c in classes) + "->" + "".join(letters[c] for c in unique), value)
    present = sorted(unique, key=order.index)
    value = value.permute([unique.index(c) for c in present]) if present != unique else value
    shape = [value.shape[present.index(c)] if c in present else 1 for c in order]
    return value.reshape(shape)


def _check_same_structure(structure: Structure, result_classes: list, carried: set, size: dict) -> None:
    """The kernel's structure must group and carry axes as the unification does."""
    for a, class_a in enumerate(result_classes):
        if size[class_a] == 1:
            continue
        if (structure.labels[a] in structure.carried) != (class_a in carried):
            raise AssertionError("kernel and executor disagree on a carried label")
        for b, class_b in enumerate(result_classes):
            if size[class_b] > 1 and (structure.labels[a] == structure.labels[b]) != (class_a == class_b):
                raise AssertionError("kernel and executor disagree on shared labels")


def _run(graph: Graph, actions: np.ndarray, inputs: Sequence[torch.Tensor]) -> _Executor:
    if not graph.metadata.get("executable", True):
        raise ValueError("this graph is not executable (imported from an edge list): it can be costed, not run")
    executor = _Executor(graph)
    executor.load_local_jacobians(primal_values(graph, inputs))
    for action in actions.tolist():
        executor.eliminate(graph.intermediate_vertex(action))
    return executor


def partial_state(
    graph: Graph, actions: Sequence[int], *inputs: torch.Tensor
) -> dict[tuple[int, int], tuple[Structure, torch.Tensor]]:
    """Edges ``(src, dst) -> (structure, value)`` after eliminating ``actions`` (any subset, in that order)."""
    array = np.asarray(list(actions), dtype=np.int64).reshape(-1)
    if len(set(array.tolist())) != len(array) or any(not 0 <= a < graph.num_intermediates for a in array.tolist()):
        raise ValueError(f"actions must be distinct intermediates 0 .. {graph.num_intermediates - 1}")
    return dict(_run(graph, array, inputs).edges)


def execute(graph: Graph, order: Sequence[int], *inputs: torch.Tensor) -> tuple[Jacobian, int]:
    """Run ``order`` numerically at ``inputs``; returns ``(jacobian, mults_performed)``.

    The Jacobian is nested as ``torch.func.jacrev(fn, argnums=tuple(range(len(inputs))))``
    would return it, in float64.
    """
    executor = _run(graph, check_order(graph, order), inputs)
    return executor.jacobian(graph.output_container), executor.mults
