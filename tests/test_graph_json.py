"""Graph serialisation: round trip, and clear errors for malformed documents."""

import json

import numpy as np
import pytest
import torch
from functions import CASES
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(loaded.constants, g.constants))
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
        (lambda d: d.pop("edges"), "has no field 'edges'"),
        (lambda d: d.update(metadata=[1, 2]), "field 'metadata' must be dict"),
        (lambda d: d["edges"][0].update(src=10**30), "dangling edge"),
        (lambda d: d["edges"][0].update(src=0.0), "field 'src' must be int"),
        (lambda d: d["edges"][0].update(dst="3"), "field 'dst' must be int"),
        (lambda d: d["edges"][0].update(src=True), "field 'src' must be int"),
        (lambda d: d["vertices"][0].update(shape=[-3]), "must hold integers >= 1"),
        (lambda d: d["vertices"][0].update(shape=[0]), "must hold integers >= 1"),
        (lambda d: d["vertices"][0].update(shape=[2.5]), "must hold integers >= 1"),
        (lambda d: d["edges"][0].update(labels=[99] * len(d["edges"][0]["labels"])), "not a structure"),
        (lambda d: d["constants"].append({"dtype": "float64", "shape": [2, 2], "data": [1.0]}), "do not fill"),
        (lambda d: d["constants"].append({"dtype": "float128x", "shape": [], "data": [1.0]}), "unknown dtype"),
        (lambda d: d["vertices"].__setitem__(0, "x"), "vertex 0 must be a JSON object"),
    ],
    ids=["version", "format", "dangling", "cycle", "labels", "vertex-shape", "kind", "missing-vertex", "no-edges",
         "metadata-list", "huge-id", "float-id", "string-id", "bool-id", "negative-shape", "zero-shape", "float-shape",
         "label-range", "constant-shape", "constant-dtype", "vertex-not-object"],
)
def test_malformed_graphs_are_refused_by_name(graph, change, message):
    _, g = graph
    with pytest.raises(ValueError, match=message):
        ccgym.Graph.from_json(_broken(g, change))


def test_not_json_is_refused():
    with pytest.raises(ValueError, match="not valid JSON"):
        ccgym.Graph.from_json("{not json")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _containers(data, path=()):
    """Every (path, container) of a JSON document, the document itself included."""
    yield path, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from _containers(value, (*path, key))


@settings(max_examples=150, deadline=None)
@given(choice=st.integers(0, 10**6), key_choice=st.integers(0, 10**6), value=JSON_VALUES, delete=st.booleans())
def test_any_mutation_of_a_valid_document_loads_or_raises_value_error(graph, choice, key_choice, value, delete):
    _, g = graph
    data = json.loads(g.to_json())
    containers = [(p, c) for p, c in _containers(data) if isinstance(c, (dict, list)) and c]
    _, container = containers[choice % len(containers)]
    keys = list(container) if isinstance(container, dict) else list(range(len(container)))
    key = keys[key_choice % len(keys)]
    if delete:
        del container[key]
    else:
        container[key] = value
    try:
        loaded = ccgym.Graph.from_json(json.dumps(data))
    except ValueError:
        return
    ccgym.cost(loaded, ccgym.forward_order(loaded))  # whatever loads can be costed
