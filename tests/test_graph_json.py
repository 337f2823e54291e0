"""Graph serialisation: round trip, and clear errors for malformed documents."""

import json

import pytest
import torch
from functions import CASES

import ccgym
from ccgym.graph import FORMAT_VERSION


@pytest.fixture(scope="module")
def graph():
    case = next(c for c in CASES if c.name == "matmuls")
    return case, ccgym.trace(case.fn, *case.inputs(0))


def test_round_trip_keeps_everything(graph):
    case, g = graph
    loaded = ccgym.Graph.from_json(g.to_json())
    assert loaded.vertices == g.vertices
    assert loaded.edges == g.edges
    assert all(torch.equal(a, b) for a, b in zip(loaded.constants, g.constants))
    order = ccgym.reverse_order(g)
    assert ccgym.cost(loaded, order) == ccgym.cost(g, order)
    inputs = case.inputs(3)
    for block, ref in zip(*(ccgym.execute(x, order, *inputs)[0] for x in (loaded, g))):
        for a, b in zip(block, ref):
            assert torch.equal(a, b)


def _broken(g, change) -> str:
    data = json.loads(g.to_json())
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=FORMAT_VERSION + 1), "unknown graph format version"),
        (lambda d: d.update(format="something-else"), "not a ccgym-graph"),
        (lambda d: d["edges"].append({**d["edges"][0], "dst": 999}), "dangling edge"),
        (lambda d: d["edges"].append({"src": d["edges"][-1]["dst"], "dst": d["edges"][-1]["src"],
                                      "labels": d["edges"][-1]["labels"], "carried": []}), "backwards"),
        (lambda d: d["edges"][0].update(labels=d["edges"][0]["labels"] + [0]), "shape mismatch"),
        (lambda d: d["vertices"][3].update(shape=[7, 7]), "shape mismatch"),
        (lambda d: d["vertices"][0].update(kind="parameter"), "unknown kind"),
        (lambda d: d["vertices"].pop(), "dangling edge"),
        (lambda d: d.pop("edges"), "missing or wrong field"),
    ],
    ids=["version", "format", "dangling", "cycle", "labels", "vertex-shape", "kind", "missing-vertex", "no-edges"],
)
def test_malformed_graphs_are_refused_by_name(graph, change, message):
    _, g = graph
    with pytest.raises(ValueError, match=message):
        ccgym.Graph.from_json(_broken(g, change))


def test_not_json_is_refused():
    with pytest.raises(ValueError, match="not valid JSON"):
        ccgym.Graph.from_json("{not json")
