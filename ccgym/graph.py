"""The computational graph: vertices with shapes and ops, edges with structures."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ccgym import kernels
from ccgym.kernels import PackedGraph
from ccgym.packing import pack
from ccgym.structure import Structure

FORMAT_NAME = "ccgym-graph"
FORMAT_VERSION = 1
VERTEX_KINDS = ("input", "intermediate", "output")
OUTPUT_CONTAINERS = ("single", "tuple", "list")


@dataclass(frozen=True)
class Vertex:
    """A value of the function.

    ``op`` names the operator that computes it (``"input"`` for inputs), and
    ``args`` its arguments as JSON data where ``{"vertex": n}`` refers to
    vertex ``n`` and ``{"const": n}`` to ``Graph.constants[n]``.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    op: str
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class Edge:
    """The local partial derivative ``d dst / d src`` with its labelled structure."""

    src: int
    dst: int
    structure: Structure


@dataclass
class Graph:
    """A DAG of inputs, intermediates (topologically ordered) and outputs.

    Vertices are numbered inputs first, then intermediates, then outputs;
    action ``a`` of an elimination order is intermediate ``a``, i.e. vertex
    ``num_inputs + a``. Outputs are sinks. A graph is validated when built and
    treated as immutable afterwards (its counts and packed arrays are cached).
    """

    vertices: list[Vertex]
    edges: list[Edge]
    constants: list[np.ndarray] = field(default_factory=list)
    output_container: str = "tuple"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate(self)

    @cached_property
    def num_inputs(self) -> int:
        """Number of independent vertices."""
        return sum(v.kind == "input" for v in self.vertices)

    @cached_property
    def num_intermediates(self) -> int:
        """Number of vertices an elimination order eliminates."""
        return sum(v.kind == "intermediate" for v in self.vertices)

    @cached_property
    def num_outputs(self) -> int:
        """Number of dependent vertices."""
        return sum(v.kind == "output" for v in self.vertices)

    @cached_property
    def num_vertices(self) -> int:
        """All vertices."""
        return len(self.vertices)

    @cached_property
    def packed(self) -> PackedGraph:
        """The graph as kernel arrays (computed once)."""
        return pack(self)

    def intermediate_vertex(self, action: int) -> int:
        """Vertex index of intermediate (action) ``action``."""
        return self.num_inputs + action

    def __repr__(self) -> str:
        return (
            f"Graph(inputs={self.num_inputs}, intermediates={self.num_intermediates}, "
            f"outputs={self.num_outputs}, edges={len(self.edges)})"
        )

    def to_json(self) -> str:
        """Serialise to a JSON string (see :meth:`from_json`)."""
        return json.dumps(
            {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "output_container": self.output_container,
                "metadata": self.metadata,
                "constants": [_tensor_to_json(c) for c in self.constants],
                "vertices": [
                    {
                        "name": v.name,
                        "kind": v.kind,
                        "shape": list(v.shape),
                        "op": v.op,
                        "args": v.args,
                        "kwargs": v.kwargs,
                        "source": v.source,
                    }
                    for v in self.vertices
                ],
                "edges": [_edge_to_json(e) for e in self.edges],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Graph:
        """Load a graph; a malformed one raises ``ValueError`` naming the fault.

        Every field is read strictly: ids, shapes and labels are JSON integers
        (not floats, strings or booleans), shapes are positive, and the
        document is checked like any graph (:class:`Graph` validates itself).
        """
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:
            raise ValueError(f"graph is not valid JSON: {error}") from error
        document = _Fields(data, "the document")
        if document.get("format", str) != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} document")
        version = data.get("version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise ValueError(f"unknown graph format version {version!r} (this ccgym reads {FORMAT_VERSION})")
        vertices = [_vertex_from_json(_Fields(v, f"vertex {n}")) for n, v in enumerate(document.get("vertices", list))]
        edges = [_edge_from_json(_Fields(e, f"edge {n}"), vertices) for n, e in enumerate(document.get("edges", list))]
        constants = [
            _tensor_from_json(_Fields(c, f"constant {n}")) for n, c in enumerate(document.get("constants", list, []))
        ]
        return cls(
            vertices,
            edges,
            constants,
            document.get("output_container", str, "tuple"),
            document.get("metadata", dict, {}),
        )

    @classmethod
    def from_edge_list(cls, data: str | Mapping[str, Any]) -> Graph:
        """Import a scalar graph from an edge list; format and id maps in :mod:`ccgym.edge_list`."""
        from ccgym.edge_list import from_edge_list  # that module builds on this one

        return from_edge_list(data)


class _Fields:
    """Typed access to one JSON object's fields, with errors that name the object and the field."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be a JSON object, got {type(data).__name__}")
        self.data = data
        self.where = where

    def get(self, name: str, kind: type, default: Any = ...) -> Any:
        """Field ``name`` of JSON type ``kind`` (``int`` excludes booleans); ``default`` if absent, else required."""
        if name not in self.data:
            if default is ...:
                raise ValueError(f"{self.where} has no field {name!r}")
            return default
        value = self.data[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{self.where}: field {name!r} must be {kind.__name__}, got {value!r}")
        return value

    def ints(self, name: str, minimum: int | None = None) -> tuple[int, ...]:
        """Field ``name`` as a list of JSON integers, each at least ``minimum``."""
        values = self.get(name, list)
        for value in values:
            if not isinstance(value, int) or isinstance(value, bool) or (minimum is not None and value < minimum):
                bound = "" if minimum is None else f" >= {minimum}"
                raise ValueError(f"{self.where}: field {name!r} must hold integers{bound}, got {value!r}")
        return tuple(values)


def _vertex_from_json(fields: _Fields) -> Vertex:
    return Vertex(
        name=fields.get("name", str),
        kind=fields.get("kind", str),
        shape=fields.ints("shape", minimum=1),
        op=fields.get("op", str),
        args=fields.get("args", list, []),
        kwargs=fields.get("kwargs", dict, {}),
        source=fields.get("source", str, ""),
    )


def _edge_from_json(fields: _Fields, vertices: list[Vertex]) -> Edge:
    src, dst = fields.get("src", int), fields.get("dst", int)
    for end in (src, dst):
        if not 0 <= end < len(vertices):
            raise ValueError(f"dangling edge {src} -> {dst}: vertex {end} does not exist")
    labels, carried = fields.ints("labels", minimum=0), fields.ints("carried", minimum=0)
    out_shape, in_shape = vertices[dst].shape, vertices[src].shape
    if len(labels) != len(out_shape) + len(in_shape):
        raise ValueError(f"shape mismatch on edge {src} -> {dst}: {len(labels)} labels for shapes {out_shape} and {in_shape}")
    if any(label >= kernels.MAX_AXES for label in labels + carried) or not set(carried) <= set(labels):
        raise ValueError(f"edge {src} -> {dst}: labels {labels} and carried {carried} are not a structure")
    unit = fields.get("unit", bool, False)
    try:
        structure = Structure(labels, carried, out_shape, in_shape, unit)
    except ValueError as error:
        raise ValueError(f"edge {src} -> {dst}: {error}") from None
    if Structure.from_code(structure.code, out_shape, in_shape) != structure or any(
        structure.sizes[a] != structure.sizes[labels.index(label)] for a, label in enumerate(labels)
    ):
        raise ValueError(f"shape mismatch or non-canonical structure on edge {src} -> {dst}: {labels}, {carried}")
    return Edge(src, dst, structure)


def _validate(graph: Graph) -> None:
    kinds = [v.kind for v in graph.vertices]
    for v in graph.vertices:
        if v.kind not in VERTEX_KINDS:
            raise ValueError(f"vertex {v.name!r} has unknown kind {v.kind!r}")
        if len(v.shape) > kernels.MAX_NDIM:
            raise ValueError(f"vertex {v.name!r} has {len(v.shape)} dimensions; at most {kernels.MAX_NDIM} are supported")
        if not all(isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0 for size in v.shape):
            raise ValueError(f"vertex {v.name!r} has shape {v.shape}: sizes must be positive integers")
    expected = sorted(kinds, key=VERTEX_KINDS.index)
    if kinds != expected:
        raise ValueError("vertices must be ordered inputs, intermediates, outputs")
    if graph.output_container not in OUTPUT_CONTAINERS:
        raise ValueError(f"unknown output container {graph.output_container!r}")
    if graph.output_container == "single" and kinds.count("output") != 1:
        raise ValueError("a single-output graph needs exactly one output vertex")
    seen = set()
    for e in graph.edges:
        n = len(graph.vertices)
        if not (0 <= e.src < n and 0 <= e.dst < n):
            raise ValueError(f"dangling edge {e.src} -> {e.dst}")
        if e.src >= e.dst:
            raise ValueError(
                f"edge {e.src} -> {e.dst} goes backwards: vertices must be topologically ordered (a cycle?)"
            )
        if (e.src, e.dst) in seen:
            raise ValueError(f"duplicate edge {e.src} -> {e.dst}")
        seen.add((e.src, e.dst))
        if graph.vertices[e.dst].kind == "input":
            raise ValueError(f"edge {e.src} -> {e.dst} points into an input")
        if graph.vertices[e.src].kind == "output":
            raise ValueError(f"edge {e.src} -> {e.dst} leaves an output; outputs must be sinks")
        if e.structure.out_shape != graph.vertices[e.dst].shape or e.structure.in_shape != graph.vertices[e.src].shape:
            raise ValueError(f"shape mismatch on edge {e.src} -> {e.dst}")


def _edge_to_json(edge: Edge) -> dict:
    """An edge's JSON object; ``"unit"`` only on unit edges, so older files read the same."""
    structure = edge.structure
    data = {"src": edge.src, "dst": edge.dst, "labels": list(structure.labels), "carried": list(structure.carried)}
    return {**data, "unit": True} if structure.unit else data


def _tensor_to_json(array: np.ndarray) -> dict:
    return {"dtype": array.dtype.name, "shape": list(array.shape), "data": array.ravel().tolist()}


def _tensor_from_json(fields: _Fields) -> np.ndarray:
    name = fields.get("dtype", str)
    try:
        dtype = np.dtype(name)
    except TypeError as error:
        raise ValueError(f"{fields.where}: unknown dtype {name!r}") from error
    shape = fields.ints("shape", minimum=0)
    try:
        array = np.array(fields.get("data", list), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"{fields.where}: data is not a flat list of {name} values: {error}") from error
    if array.ndim != 1 or array.size != math.prod(shape):
        raise ValueError(f"{fields.where}: {array.size} values do not fill the shape {list(shape)}")
    return array.reshape(shape)
