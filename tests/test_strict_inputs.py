"""Bad input gets a clear error, never a silently wrong number: orders, graphs, sizes, tracing, envs."""

import gymnasium as gym
import numpy as np
import pytest
import torch

import benchmarks_tasks
import ccgym
from ccgym.graph import Edge, Graph, Vertex
from ccgym.random_graphs import MAX_VERTICES, RandomGraphSpec
from ccgym.structure import canonicalize


@pytest.fixture(scope="module")
def lif():
    return benchmarks_tasks.get("LIF").graph()


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ([1.5, 0.0], "holds integers"),
        ("0123456789", "got str"),
        (set(range(10)), "got set"),
        ({a: a for a in range(10)}, "got dict"),
        ([True] * 10, "holds integers"),
        (np.arange(10.0), "array of float64"),
        (np.arange(10).reshape(2, 5), "shape"),
        ([0, 1, 2], "incomplete order"),
        ([0] * 10, "eliminated twice"),
    ],
    ids=["floats", "string", "set", "dict", "bools", "float-array", "2d", "incomplete", "repeated"],
)
def test_orders_are_sequences_of_integers(lif, order, message):
    with pytest.raises(ValueError, match=message):
        ccgym.cost(lif, order)


def test_integer_sequences_of_any_kind_are_orders(lif):
    expected = ccgym.cost(lif, list(range(10)))
    assert ccgym.cost(lif, tuple(range(10))) == expected
    assert ccgym.cost(lif, range(10)) == expected
    assert ccgym.cost(lif, np.arange(10, dtype=np.int32)) == expected
    assert ccgym.cost(lif, [np.int64(a) for a in range(10)]) == expected


def _chain(size: int) -> Graph:
    """x -> sin -> y over vectors of ``size`` values."""
    diagonal = canonicalize([0, 0], {0}, (size,), (size,))[0]
    copy = canonicalize([0, 0], set(), (size,), (size,))[0]
    vertices = [
        Vertex("x", "input", (size,), "input"),
        Vertex("s", "intermediate", (size,), "aten.sin.default"),
        Vertex("y", "output", (size,), "ccgym.copy"),
    ]
    return Graph(vertices, [Edge(0, 1, diagonal), Edge(1, 2, copy)])


@pytest.mark.parametrize("shape", [(0,), (-3,), (2.0,), (True,)], ids=["zero", "negative", "float", "bool"])
def test_shapes_are_positive_integers(shape):
    with pytest.raises(ValueError, match="sizes must be positive integers"):
        Graph([Vertex("x", "input", shape, "input")], [])


def test_counts_that_could_leave_int64_are_refused_when_packing():
    assert ccgym.cost(_chain(2**10), [0]).mults == 2**10  # exact where it fits
    huge = _chain(2**21)
    with pytest.raises(ValueError, match="too large to count exactly"):
        ccgym.cost(huge, [0])


def test_a_dense_reshape_of_a_large_tensor_is_refused_before_allocating():
    with pytest.raises(ValueError, match="stored densely"):
        ccgym.trace(lambda x: torch.sin(x.flatten()), torch.ones(256, 256, dtype=torch.float64))


def test_an_input_without_values_is_refused():
    with pytest.raises(ValueError, match="no values"):
        ccgym.trace(torch.sin, torch.ones(0, 3, dtype=torch.float64))


@pytest.mark.parametrize(
    "options",
    [
        {"num_intermediates": 2.5},
        {"num_intermediates": True},
        {"num_intermediates": MAX_VERTICES + 1},
        {"num_inputs": (3, 2)},
        {"size": (2, 3, 4)},
        {"max_rank": 3},
    ],
    ids=["float", "bool", "too-many", "empty-range", "triple", "rank"],
)
def test_random_graph_ranges_are_checked(options):
    with pytest.raises(ValueError, match="must be"):
        RandomGraphSpec(**options)
    with pytest.raises(ValueError, match="must be"):
        gym.make(ccgym.registration.RANDOM_ID, **options)


@pytest.mark.parametrize("illegal_action", ["raise", "penalize"])
def test_stepping_a_finished_episode_raises_in_every_mode(lif, illegal_action):
    env = ccgym.make_env(lif, illegal_action=illegal_action)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)  # no episode started
    env.reset(seed=0)
    for action in range(lif.num_intermediates):
        *_, terminated, _, _ = env.step(action)
    assert terminated
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(0)
    env.reset()
    env.step(0)  # a new episode runs again


def test_a_truncated_episode_cannot_be_stepped_either(lif):
    env = ccgym.make_env(lif, illegal_action="penalize")
    env.reset(seed=0)
    env.step(0)
    truncated = False
    while not truncated:
        *_, truncated, info = env.step(0)  # eliminated already: illegal
        assert info["illegal_action"]
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(1)
