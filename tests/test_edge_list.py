"""The edge-list importer: layout, id maps, costs against the classic rule on random DAGs, and its errors."""

import copy
import json

import numpy as np
import pytest
import torch

import ccgym
from ccgym.edge_list import to_actions, to_ids

EXAMPLE = {
    "inputs": [{"id": "x", "name": "x"}, {"id": "y"}],
    "vertices": [{"id": 3, "op": "add"}, {"id": 2, "name": "s", "op": "sin"}, {"id": 1, "op": "mul"}],
    "outputs": [2, 3],
    "edges": [
        {"src": "x", "dst": 1},
        {"src": "y", "dst": 1},
        {"src": 1, "dst": 2},
        {"src": 2, "dst": 3},
        {"src": "x", "dst": 3, "copy": True},
    ],
    "metadata": {"source": "a test"},
}


def test_layout_names_ops_and_the_output_copy():
    graph = ccgym.Graph.from_edge_list(json.dumps(EXAMPLE))
    assert [(v.name, v.kind, v.op, v.shape) for v in graph.vertices] == [
        ("x", "input", "input", ()),
        ("y", "input", "input", ()),
        ("1", "intermediate", "mul", ()),  # listed last, but it feeds 2: topological order wins
        ("s", "intermediate", "sin", ()),  # output 2 feeds 3, so it is eliminable ...
        ("s:out", "output", "copy", ()),  # ... and copied to an output vertex along a unit edge
        ("3", "output", "add", ()),
    ]
    assert {(e.src, e.dst): e.structure.unit for e in graph.edges} == {
        (0, 2): False, (1, 2): False, (2, 3): False, (3, 5): False, (0, 5): True, (3, 4): True
    }  # fmt: skip
    assert graph.metadata == {"source": "a test", "executable": False, "edge_list_ids": ["x", "y", 1, 2, None, 3]}
    assert ccgym.Graph.from_json(graph.to_json()).metadata == graph.metadata


def test_the_output_copy_is_free():
    graph = ccgym.Graph.from_edge_list(EXAMPLE)
    # 1 first: x, y times 1 -> s; then s: x, y times s -> 3, and times the unit s -> s:out for free
    assert ccgym.cost(graph, to_actions(graph, [1, 2])).mults == 2 + 2
    # s first: 1 times s -> 3 (s -> s:out is free); then 1: x, y times 1 -> 3 and 1 -> s:out
    assert ccgym.cost(graph, to_actions(graph, [2, 1])).mults == 1 + 4


def test_ids_map_to_actions_and_back():
    graph = ccgym.Graph.from_edge_list(EXAMPLE)
    assert to_actions(graph, [2, 1]) == [1, 0]
    assert to_ids(graph, [1, 0]) == [2, 1]
    with pytest.raises(ValueError, match="no vertex has id 7"):
        to_actions(graph, [7])
    with pytest.raises(ValueError, match="vertex 3 is an output"):
        to_actions(graph, [3])
    with pytest.raises(ValueError, match="vertex 'x' is an input"):
        to_actions(graph, ["x"])
    with pytest.raises(ValueError, match="action 2 is out of range"):
        to_ids(graph, [2])
    traced = ccgym.trace(torch.sin, torch.tensor(1.0, dtype=torch.float64))
    with pytest.raises(ValueError, match="not imported from an edge list"):
        to_actions(traced, [])


def test_listed_topological_order_is_kept_and_ties_follow_the_list():
    data = {
        "inputs": [{"id": 0}],
        "vertices": [{"id": n} for n in (5, 4, 3, 2, 1)],
        "outputs": [1],
        "edges": [{"src": 0, "dst": 5}, {"src": 5, "dst": 1}, {"src": 0, "dst": 2}, {"src": 2, "dst": 4}],
    }
    graph = ccgym.Graph.from_edge_list(data)
    assert graph.metadata["edge_list_ids"] == [0, 5, 3, 2, 4, 1]  # 4 waits for 2; the output 1 goes last


def test_an_imported_graph_is_not_executed():
    graph = ccgym.Graph.from_edge_list(EXAMPLE)
    with pytest.raises(ValueError, match="not executable"):
        ccgym.execute(graph, [0, 1], torch.tensor(1.0), torch.tensor(2.0))


def random_edge_list(rng: np.random.Generator) -> dict:
    """A random scalar DAG as an edge list: mixed ids, shuffled vertices, copies, outputs that feed others."""
    n_in, n_mid = int(rng.integers(1, 4)), int(rng.integers(2, 9))
    ids = [f"v{k}" if rng.random() < 0.5 else 7 * k for k in range(n_in + n_mid)]
    density = rng.uniform(0.15, 0.5)
    edges = [
        {"src": ids[s], "dst": ids[d], "copy": bool(rng.random() < 0.25)}
        for d in range(n_in, n_in + n_mid)
        for s in range(d)
        if rng.random() < density
    ]
    outputs = [ids[k] for k in range(n_in + n_mid) if k >= n_in and rng.random() < 0.4 or rng.random() < 0.05]
    vertices = [{"id": ids[k], "op": "op"} for k in rng.permutation(range(n_in, n_in + n_mid))]
    rng.shuffle(edges)
    inputs = [{"id": i} for i in ids[:n_in]]
    return {"inputs": inputs, "vertices": vertices, "outputs": outputs or [ids[-1]], "edges": edges}


def classic_cost(edge_list: dict, order: list) -> int:
    """The classic rule on the edge list itself: ``|pred| * |succ|`` products, fill-in edges merge.

    A product with a copy edge is free; a product of two copies is a copy, a
    merged edge never is. An output that feeds others is eliminated like any
    vertex, but keeps its Jacobian: its incoming edges move to its own row.
    """
    edges = {(e["src"], e["dst"]): e["copy"] for e in edge_list["edges"]}
    outputs = set(edge_list["outputs"])
    mults = 0
    for v in order:
        preds = [i for i, j in edges if j == v]
        succs = [j for i, j in edges if i == v]
        for i in preds:
            for j in succs:
                mults += not (edges[i, v] or edges[v, j])
                edges[i, j] = (i, j) not in edges and edges[i, v] and edges[v, j]
        for i in preds:
            moved = edges.pop((i, v))
            if v in outputs:
                edges[i, ("row", v)] = moved
        for j in succs:
            del edges[v, j]
    return mults


@pytest.mark.parametrize("seed", range(60))
def test_random_orders_cost_what_the_classic_rule_says(seed):
    rng = np.random.default_rng(seed)
    data = random_edge_list(rng)
    graph = ccgym.Graph.from_edge_list(data)
    feeding = {e["src"] for e in data["edges"]}
    inputs = {i["id"] for i in data["inputs"]}
    eliminable = [v["id"] for v in data["vertices"] if v["id"] not in data["outputs"] or v["id"] in feeding]
    assert graph.num_intermediates == len(eliminable)
    assert graph.num_outputs == len(data["outputs"])
    assert graph.num_inputs == len(inputs)
    for _ in range(5):
        order = [eliminable[k] for k in rng.permutation(len(eliminable))]
        actions = to_actions(graph, order)
        assert to_ids(graph, actions) == order
        assert ccgym.cost(graph, actions).mults == classic_cost(data, order)


def broken(change) -> dict:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    return data


MALFORMED = [
    ("{", "not valid JSON"),
    ([], "an edge list is a JSON object"),
    (broken(lambda d: d.pop("edges")), r"missing field\(s\) \['edges'\]"),
    (broken(lambda d: d.update(edge=[])), r"unknown field\(s\) \['edge'\]"),
    (broken(lambda d: d.update(metadata=[])), "'metadata' must be an object"),
    (broken(lambda d: d.update(outputs=2)), "'outputs' must be a list"),
    (broken(lambda d: d["vertices"].append({"id": 1.5})), "an id is an integer or a string, not 1.5"),
    (broken(lambda d: d["vertices"].append({"id": True})), "an id is an integer or a string, not True"),
    (broken(lambda d: d["vertices"].append({"op": "sin"})), "has no id"),
    (broken(lambda d: d["vertices"].append({"id": 9, "shape": [2]})), "must be an object with fields"),
    (broken(lambda d: d["inputs"].append({"id": 9, "op": "sin"})), "an input must be an object with fields"),
    (broken(lambda d: d["vertices"].append({"id": "x"})), "duplicate id 'x'"),
    (broken(lambda d: d["outputs"].append(9)), "output 9 does not exist"),
    (broken(lambda d: d["outputs"].append(2)), "output 2 is listed twice"),
    (broken(lambda d: d["edges"].append({"src": 9, "dst": 3})), "dangling edge 9 -> 3: no vertex has id 9"),
    (broken(lambda d: d["edges"].append({"src": 1})), "needs a src and a dst"),
    (broken(lambda d: d["edges"].append({"src": 1, "dst": "y"})), "edge 1 -> 'y' points into input 'y'"),
    (broken(lambda d: d["edges"].append({"src": 1, "dst": 2})), "duplicate edge 1 -> 2"),
    (broken(lambda d: d["edges"].append({"src": 3, "dst": 1})), "cycle: 1 -> 2 -> 3 -> 1"),
    (broken(lambda d: d["edges"].append({"src": 3, "dst": 3})), "cycle: 3 -> 3"),
    (broken(lambda d: d["edges"][0].update(copy=1)), "'copy' must be true or false, not 1"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_malformed_edge_lists_name_the_fault(data, message):
    with pytest.raises(ValueError, match=message):
        ccgym.Graph.from_edge_list(data)
