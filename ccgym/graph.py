"""The computational graph: vertices with shapes and ops, edges with structures."""

from __future__ import annotations

import json
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
        """Load a graph; a malformed one raises ``ValueError`` naming the fault."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"graph is not valid JSON: {error}") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} document")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown graph format version {data.get('version')!r} (this ccgym reads {FORMAT_VERSION})")
        try:
            vertices = [
                Vertex(
                    name=str(v["name"]),
                    kind=v["kind"],
                    shape=tuple(int(s) for s in v["shape"]),
                    op=str(v["op"]),
                    args=list(v.get("args", [])),
                    kwargs=dict(v.get("kwargs", {})),
                    source=str(v.get("source", "")),
                )
                for v in data["vertices"]
            ]
            raw_edges = [
                (int(e["src"]), int(e["dst"]), list(e["labels"]), list(e["carried"]), e.get("unit", False))
                for e in data["edges"]
            ]
            constants = [_tensor_from_json(c) for c in data.get("constants", [])]
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed graph document: missing or wrong field {error}") from error
        edges = []
        for src, dst, labels, carried, unit in raw_edges:
            for end in (src, dst):
                if not 0 <= end < len(vertices):
                    raise ValueError(f"dangling edge {src} -> {dst}: vertex {end} does not exist")
            out_shape, in_shape = vertices[dst].shape, vertices[src].shape
            if len(labels) != len(out_shape) + len(in_shape):
                raise ValueError(
                    f"shape mismatch on edge {src} -> {dst}: {len(labels)} labels for shapes {out_shape} and {in_shape}"
                )
            if not isinstance(unit, bool):
                raise ValueError(f"edge {src} -> {dst}: 'unit' must be true or false, not {unit!r}")
            try:
                structure = Structure(tuple(labels), tuple(carried), out_shape, in_shape, unit)
            except ValueError as error:
                raise ValueError(f"edge {src} -> {dst}: {error}") from None
            canonical = Structure.from_code(structure.code, out_shape, in_shape)
            if canonical != structure or any(
                structure.sizes[a] != structure.sizes[structure.labels.index(lab)] for a, lab in enumerate(labels)
            ):
                raise ValueError(f"shape mismatch or non-canonical structure on edge {src} -> {dst}: {labels}, {carried}")
            edges.append(Edge(src, dst, structure))
        return cls(
            vertices,
            edges,
            constants,
            data.get("output_container", "tuple"),
            dict(data.get("metadata", {})),
        )


    @classmethod
    def from_edge_list(cls, data: str | Mapping[str, Any]) -> Graph:
        """Import a scalar graph from an edge list; format and id maps in :mod:`ccgym.edge_list`."""
        from ccgym.edge_list import from_edge_list  # that module builds on this one

        return from_edge_list(data)


def _validate(graph: Graph) -> None:
    kinds = [v.kind for v in graph.vertices]
    for v in graph.vertices:
        if v.kind not in VERTEX_KINDS:
            raise ValueError(f"vertex {v.name!r} has unknown kind {v.kind!r}")
        if len(v.shape) > kernels.MAX_NDIM:
            raise ValueError(f"vertex {v.name!r} has {len(v.shape)} dimensions; at most {kernels.MAX_NDIM} are supported")
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


def _tensor_from_json(data: dict) -> np.ndarray:
    try:
        dtype = np.dtype(data["dtype"])
    except TypeError as error:
        raise ValueError(f"unknown constant dtype {data['dtype']!r}") from error
    return np.array(data["data"], dtype=dtype).reshape(data["shape"])
