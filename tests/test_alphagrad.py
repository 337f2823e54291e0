"""The AlphaGrad paper's own graphs: ccgym counts exactly what the paper published, order for order."""

import json

import gymnasium as gym
import pytest

import benchmarks_tasks
import ccgym
from benchmarks_tasks.alphagrad import PAPER_DIR
from ccgym.edge_list import to_actions

PAPER = {
    "RoeFlux_1d": (620, 364, 407, 320),
    "RobotArm_6DOF": (397, 301, 288, 231),
    "HumanHeartDipole": (240, 172, 194, 148),
    "PropaneCombustion": (151, 90, 111, 88),
    "g": (632, 566, 451, 417),
    "BlackScholes_Jacobian": (545, 572, 350, 312),
}  # forward, reverse, Markowitz, AlphaGrad, from the paper's table


def graph_of(name: str) -> ccgym.Graph:
    return benchmarks_tasks.get(f"AlphaGrad-{name}").graph()


def paper_ids(graph: ccgym.Graph) -> list[int]:
    """The paper's ids of the intermediates, ascending (the paper's forward order)."""
    return sorted(graph.metadata["edge_list_ids"][graph.num_inputs : graph.num_inputs + graph.num_intermediates])


@pytest.mark.parametrize("name", PAPER)
def test_the_papers_orders_cost_the_published_counts(name):
    graph = graph_of(name)
    published = benchmarks_tasks.get(f"AlphaGrad-{name}").published
    ids = paper_ids(graph)
    counts = [
        ccgym.cost(graph, to_actions(graph, order)).mults
        for order in (ids, ids[::-1], published["orders"]["markowitz"], published["orders"]["alphagrad"])
    ]
    assert tuple(counts) == PAPER[name]
    assert counts == [published[key] for key in ("forward", "reverse", "markowitz", "alphagrad")]


@pytest.mark.parametrize("name", PAPER)
def test_ccgyms_markowitz_order_costs_the_published_markowitz_count(name):
    graph = graph_of(name)
    assert ccgym.cost(graph, ccgym.markowitz_order(graph)).mults == PAPER[name][2]


@pytest.mark.parametrize("name", PAPER)
def test_forward_and_reverse_are_the_papers_where_its_ids_are_topological(name):
    """The paper's forward is its ids ascending; ccgym's is topological. They agree unless the ids are not."""
    graph = graph_of(name)
    ids_forward = to_actions(graph, paper_ids(graph))
    if name == "BlackScholes_Jacobian":
        assert ids_forward != ccgym.forward_order(graph)
        costs = [ccgym.cost(graph, order(graph)).mults for order in (ccgym.forward_order, ccgym.reverse_order)]
        assert costs == [582, 501]
    else:
        assert ids_forward == ccgym.forward_order(graph)


def test_copy_edges_are_the_only_unit_edges_and_free_products_matter():
    graph = graph_of("BlackScholes_Jacobian")
    ids = graph.metadata["edge_list_ids"]
    unit = {(ids[e.src], ids[e.dst]) for e in graph.edges if e.structure.unit}
    assert unit == {(36, 38), (49, 50), (57, 59), (70, 71)}
    data = json.loads(graph.to_json())
    for edge in data["edges"]:
        edge.pop("unit", None)
    plain = ccgym.Graph.from_json(json.dumps(data))
    published = benchmarks_tasks.get("AlphaGrad-BlackScholes_Jacobian").published
    descending = paper_ids(plain)[::-1]
    # charged like any other edge, the copies would cost the paper's reverse and AlphaGrad orders more
    assert ccgym.cost(plain, to_actions(plain, descending)).mults == 596
    assert ccgym.cost(plain, to_actions(plain, published["orders"]["alphagrad"])).mults == 313


@pytest.mark.parametrize("name", PAPER)
def test_graphs_keep_the_papers_sizes_names_and_ops(name):
    paper = json.loads((PAPER_DIR / f"{name}.json").read_text())
    graph = graph_of(name)
    assert graph.num_inputs == paper["num_inputs"]
    assert graph.num_intermediates + graph.num_outputs == len(paper["vertices"])
    assert graph.num_outputs == len(paper["outputs"]) and len(graph.edges) == len(paper["edges"])
    ops = {v["id"]: v["primitive"] for v in paper["vertices"]}
    ids = graph.metadata["edge_list_ids"]
    for vertex, paper_id in zip(graph.vertices[graph.num_inputs :], ids[graph.num_inputs :]):
        assert (vertex.name, vertex.op) == (f"v{paper_id}", ops[paper_id])
    assert graph.metadata["paper_name"] == name and "AlphaGrad" in graph.metadata["source"]


def test_the_environment_is_registered():
    env = gym.make("CCElim-AlphaGrad-RoeFlux_1d-v0")
    _, info = env.reset(seed=0)
    assert info["action_mask"].sum() == 98
    total = sum(env.step(a)[1] for a in to_actions(env.unwrapped.graph, paper_ids(env.unwrapped.graph))[::-1])
    assert total == -364
