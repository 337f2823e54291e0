"""Import a scalar computational graph from an edge list, the format any AD tool can write.

An edge list is a JSON object (or the same data as a Python mapping)::

    {
      "inputs":   [{"id": "x", "name": "x"}, {"id": "y"}],
      "vertices": [{"id": 1, "op": "mul"}, {"id": 2, "name": "s", "op": "sin"}, {"id": 3, "op": "add"}],
      "outputs":  [2, 3],
      "edges":    [{"src": "x", "dst": 1}, {"src": "y", "dst": 1}, {"src": 1, "dst": 2},
                   {"src": 2, "dst": 3}, {"src": "x", "dst": 3, "copy": true}],
      "metadata": {"source": "exported by my AD tool"}
    }

- ``inputs`` are the independent variables, in argument order; ``vertices`` are
  all other values, in any order. An ``id`` is an integer or a string, unique
  over both lists. ``name`` (default: the id as text) and, on vertices, ``op``
  (an operator label, default ``"unknown"``) are kept on the ccgym vertex.
- ``edges``: one per local partial derivative ``d dst / d src``, a scalar. No
  edge points into an input, no two join the same pair, and they form no cycle.
  ``"copy": true`` says the partial is exactly 1 (a copy or a type conversion):
  a *unit* edge, and a product with it costs nothing (:mod:`ccgym.kernels`).
- ``outputs``: ids of the dependent variables, in order. Outputs are never
  eliminated, so an output that also feeds other vertices, or is an input, stays
  an ordinary vertex and gets an output vertex of its own, named
  ``"<name>:out"`` with op ``"copy"``, fed by a unit edge: the copy costs no
  multiplication, and eliminating the vertex costs what it would without it.
- Vertices without edges are fine: they are intermediates that cost 0 to eliminate.
- ``metadata`` (optional) is copied into ``graph.metadata``.

Every vertex and edge is scalar. The graph numbers its vertices as ccgym does:
inputs in ``inputs`` order, then the intermediates in a topological order that
keeps the order of ``vertices`` wherever the edges allow (ids listed in
topological order keep it), then the outputs in ``outputs`` order.
``graph.metadata["edge_list_ids"]`` holds the id of every ccgym vertex (``None``
for an added output vertex); :func:`to_actions` turns ids into action ids, so an
elimination order written in the edge list's ids becomes a ccgym order, and
:func:`to_ids` turns actions back. ``graph.metadata["executable"]`` is false:
the vertices carry operator labels, not operators, so the graph is costed, never
executed. Malformed input raises ``ValueError`` naming the fault.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccgym.graph import Edge, Graph, Vertex
from ccgym.structure import Structure

Id = int | str
IDS_KEY = "edge_list_ids"
_FIELDS = {"inputs", "vertices", "outputs", "edges"}
_SCALAR = Structure((), (), (), ())
_UNIT = Structure((), (), (), (), unit=True)


@dataclass(frozen=True)
class _Node:
    id: Id
    name: str
    op: str


def from_edge_list(data: str | Mapping[str, Any]) -> Graph:
    """The ccgym graph of an edge list (see the module docstring); ``ValueError`` if it is malformed."""
    document = _document(data)
    inputs = [_node(item, "input") for item in _list(document, "inputs")]
    others = [_node(item, "vertex") for item in _list(document, "vertices")]
    nodes = _unique(inputs + others)
    outputs = _outputs(_list(document, "outputs"), nodes)
    edges = _edges(_list(document, "edges"), nodes, {node.id for node in inputs})
    feeding = {src for src, _, _ in edges}
    input_ids = {node.id for node in inputs}
    copied = [o for o in outputs if o in feeding or o in input_ids]
    sinks = set(outputs) - set(copied)
    intermediates = [n for n in _topological(others, edges) if n.id not in sinks]

    vertices = [Vertex(n.name, "input", (), "input") for n in inputs]
    vertices += [Vertex(n.name, "intermediate", (), n.op) for n in intermediates]
    ids: list[Id | None] = [n.id for n in inputs + intermediates]
    for o in outputs:
        node = nodes[o]
        if o in sinks:
            vertices.append(Vertex(node.name, "output", (), node.op))
            ids.append(o)
        else:
            vertices.append(Vertex(f"{node.name}:out", "output", (), "copy"))
            ids.append(None)
    index = {i: v for v, i in enumerate(ids) if i is not None}
    graph_edges = [Edge(index[src], index[dst], _UNIT if copy else _SCALAR) for src, dst, copy in edges]
    first_output = len(inputs) + len(intermediates)
    graph_edges += [Edge(index[o], first_output + outputs.index(o), _UNIT) for o in copied]
    metadata = {**document.get("metadata", {}), "executable": False, IDS_KEY: ids}
    return Graph(vertices, sorted(graph_edges, key=lambda e: (e.src, e.dst)), metadata=metadata)


def to_actions(graph: Graph, ids: Sequence[Id]) -> list[int]:
    """Action ids of vertices given by their edge-list ids (an order in your ids becomes a ccgym order)."""
    index = {i: v for v, i in enumerate(_ids(graph)) if i is not None}
    actions = []
    for i in ids:
        if i not in index:
            raise ValueError(f"no vertex has id {i!r}")
        action = index[i] - graph.num_inputs
        if not 0 <= action < graph.num_intermediates:
            kind = graph.vertices[index[i]].kind
            raise ValueError(f"vertex {i!r} is an {kind}: only intermediates are eliminated")
        actions.append(action)
    return actions


def to_ids(graph: Graph, actions: Sequence[int]) -> list[Id]:
    """Edge-list ids of the vertices that actions eliminate."""
    ids = _ids(graph)
    for action in actions:
        if not 0 <= action < graph.num_intermediates:
            raise ValueError(f"action {action} is out of range: intermediates are 0 .. {graph.num_intermediates - 1}")
    return [ids[graph.num_inputs + action] for action in actions]


def _ids(graph: Graph) -> list[Id | None]:
    if IDS_KEY not in graph.metadata:
        raise ValueError("the graph was not imported from an edge list: it has no edge-list ids")
    return graph.metadata[IDS_KEY]


def _document(data: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise ValueError(f"edge list is not valid JSON: {error}") from error
    if not isinstance(data, Mapping):
        raise ValueError("an edge list is a JSON object")
    if missing := _FIELDS - set(data):
        raise ValueError(f"malformed edge list: missing field(s) {sorted(missing)}")
    if unknown := set(data) - _FIELDS - {"metadata"}:
        raise ValueError(f"malformed edge list: unknown field(s) {sorted(unknown)}")
    if not isinstance(data.get("metadata", {}), Mapping):
        raise ValueError("edge list 'metadata' must be an object")
    return data


def _list(document: Mapping[str, Any], field: str) -> list:
    if not isinstance(document[field], list):
        raise ValueError(f"edge list '{field}' must be a list")
    return document[field]


def _check_id(value: Any, where: str) -> Id:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{where}: an id is an integer or a string, not {value!r}")
    return value


def _object(item: Any, allowed: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping) or not set(item) <= allowed:
        raise ValueError(f"{where} must be an object with fields from {sorted(allowed)}, got {item!r}")
    return item


def _node(item: Any, kind: str) -> _Node:
    allowed = {"id", "name"} | ({"op"} if kind == "vertex" else set())
    item = _object(item, allowed, f"an {kind}" if kind == "input" else f"a {kind}")
    if "id" not in item:
        raise ValueError(f"{kind} {item!r} has no id")
    node_id = _check_id(item["id"], kind)
    op = "input" if kind == "input" else str(item.get("op", "unknown"))
    return _Node(node_id, str(item.get("name", node_id)), op)


def _unique(nodes: list[_Node]) -> dict[Id, _Node]:
    by_id: dict[Id, _Node] = {}
    for node in nodes:
        if node.id in by_id:
            raise ValueError(f"duplicate id {node.id!r}")
        by_id[node.id] = node
    return by_id


def _outputs(items: list, nodes: dict[Id, _Node]) -> list[Id]:
    outputs: list[Id] = []
    for item in items:
        output = _check_id(item, "output")
        if output not in nodes:
            raise ValueError(f"output {output!r} does not exist")
        if output in outputs:
            raise ValueError(f"output {output!r} is listed twice")
        outputs.append(output)
    return outputs


def _edges(items: list, nodes: dict[Id, _Node], inputs: set[Id]) -> list[tuple[Id, Id, bool]]:
    edges: list[tuple[Id, Id, bool]] = []
    seen = set()
    for item in items:
        item = _object(item, {"src", "dst", "copy"}, "an edge")
        if "src" not in item or "dst" not in item:
            raise ValueError(f"edge {item!r} needs a src and a dst")
        src, dst = _check_id(item["src"], "edge src"), _check_id(item["dst"], "edge dst")
        for end in (src, dst):
            if end not in nodes:
                raise ValueError(f"dangling edge {src!r} -> {dst!r}: no vertex has id {end!r}")
        if dst in inputs:
            raise ValueError(f"edge {src!r} -> {dst!r} points into input {dst!r}")
        if (src, dst) in seen:
            raise ValueError(f"duplicate edge {src!r} -> {dst!r}")
        copy = item.get("copy", False)
        if not isinstance(copy, bool):
            raise ValueError(f"edge {src!r} -> {dst!r}: 'copy' must be true or false, not {copy!r}")
        seen.add((src, dst))
        edges.append((src, dst, copy))
    return edges


def _topological(others: list[_Node], edges: list[tuple[Id, Id, bool]]) -> list[_Node]:
    """The non-input vertices in a topological order, ties kept in list order; ``ValueError`` on a cycle."""
    position = {node.id: n for n, node in enumerate(others)}
    succs: dict[Id, list[Id]] = {node.id: [] for node in others}
    waiting = {node.id: 0 for node in others}
    for src, dst, _ in edges:
        if src in position:
            succs[src].append(dst)
            waiting[dst] += 1
    ready = [position[i] for i, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = others[heapq.heappop(ready)]
        order.append(node)
        for dst in succs[node.id]:
            waiting[dst] -= 1
            if waiting[dst] == 0:
                heapq.heappush(ready, position[dst])
    if len(order) < len(others):
        stuck = [node.id for node in others if waiting[node.id]]
        raise ValueError(f"the edges form a cycle: {_cycle(edges, stuck)}")
    return order


def _cycle(edges: list[tuple[Id, Id, bool]], stuck: list[Id]) -> str:
    """One cycle among the vertices a topological sort could not place, as ``a -> b -> a``.

    Each of them waits for a predecessor that is stuck too, so walking back
    from any of them repeats a vertex.
    """
    pred = {dst: src for src, dst, _ in edges if src in stuck and dst in stuck}
    path = [stuck[0]]
    while pred[path[-1]] not in path:
        path.append(pred[path[-1]])
    cycle = path[path.index(pred[path[-1]]) :][::-1]
    return " -> ".join(repr(i) for i in cycle + cycle[:1])
