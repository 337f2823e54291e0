"""ccgym.features and observation="features": incremental equals from scratch, oracles, bounds, spaces."""

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from conftest import random_states
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import benchmarks_tasks
from ccgym import features, kernels
from ccgym.envs import RANDOM_ID, CCElimEnv, RandomCCElimEnv, env_id
from ccgym.envs.observation import CHANNELS, Layout
from ccgym.envs.observation import encode as encode_dense
from ccgym.features import COST, EDGE_FEATURES, LEGAL, SCALE_COST, VERTEX_FEATURES
from ccgym.structure import Structure

TASKS = benchmarks_tasks.names()


def task_graph(task: str):
    return benchmarks_tasks.get(task).graph()


def encoding_of(packed, plan, edges, eliminated) -> features.Features:
    """A from-scratch encoding in fresh buffers."""
    out = features.empty_features(*plan.vertex_static.shape[:1], plan.edge_index.shape[0])
    features.encode(packed, plan, edges, eliminated, out)
    return out


def transitive_closure(edges: np.ndarray) -> np.ndarray:
    """Pairs joined by a path, by repeated boolean matrix products (an oracle independent of the kernels)."""
    adjacency = (edges != kernels.NO_EDGE).astype(np.int64)
    closure = adjacency.copy()
    while True:
        grown = ((closure + closure @ adjacency) > 0).astype(np.int64)
        if (grown == closure).all():
            return closure.astype(bool)
        closure = grown


def assert_same_encoding(actual: features.Features, expected: features.Features) -> None:
    for name, a, b in zip(features.Features._fields, actual, expected):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("task", TASKS)
def test_incremental_encoding_equals_the_encoding_from_scratch(task):
    packed = task_graph(task).packed
    plan = features.make_plan(packed)
    touched = np.empty(packed.edges.shape[0], np.int64)
    for seed in range(2):
        edges, eliminated = packed.initial_state()
        out = encoding_of(packed, plan, edges, eliminated)
        for action in np.random.default_rng(seed).permutation(packed.num_intermediates):
            vertex = packed.num_inputs + int(action)
            expected_costs = kernels.elimination_cost(packed, edges, vertex), kernels.memory(packed, edges)
            mults, change = features.eliminate_and_update(packed, plan, edges, vertex, touched, out)
            eliminated[action] = True
            assert mults == expected_costs[0] and change == kernels.memory(packed, edges) - expected_costs[1]
            assert_same_encoding(out, encoding_of(packed, plan, edges, eliminated))


@pytest.mark.parametrize("task", TASKS)
def test_the_edge_list_is_the_set_of_edges_with_their_structure(task):
    graph = task_graph(task)
    packed = graph.packed
    plan = features.make_plan(packed)
    inv_scale = plan.scales[features.SCALE_SIZE]
    shapes = [v.shape for v in graph.vertices]
    for edges, eliminated in random_states(packed, 4, seed=1):
        out = encoding_of(packed, plan, edges, eliminated)
        live = np.flatnonzero(out.edge_mask)
        assert out.num_edges[0] == live.size == (edges != kernels.NO_EDGE).sum()
        listed = {tuple(pair) for pair in out.edge_index[live]}
        assert listed == {tuple(pair) for pair in np.argwhere(edges != kernels.NO_EDGE)}  # rows are vertices here
        for slot in live:
            src, dst = out.edge_index[slot]
            structure = Structure.from_code(int(edges[src, dst]), shapes[dst], shapes[src])
            stored = math.prod(structure.value_shape)
            dense = math.prod(shapes[dst]) * math.prod(shapes[src])
            n_out = len(shapes[dst])
            shared = set(structure.labels[:n_out]) & set(structure.labels[n_out:])
            diagonal = math.prod(structure.label_size(label) for label in shared)
            expected = [min(math.log(size) * inv_scale, 1.0) for size in (stored, dense, diagonal)]
            np.testing.assert_allclose(out.edge_features[slot, :3], expected, rtol=1e-6, atol=1e-7)
            assert out.edge_features[slot, 3] == float(stored == dense)
        assert not out.edge_features[out.edge_mask == 0].any()


@pytest.mark.parametrize("task", ["LIF", "RoeFlux", "Transformer"])
def test_edge_features_match_the_dense_observation(task):
    graph = task_graph(task)
    packed = graph.packed
    layout = Layout(graph.num_inputs + 1, graph.num_intermediates + 3, graph.num_outputs + 2)
    rows = layout.rows(graph)
    plan = features.make_plan(packed, rows, layout.num_vertices, layout.max_edges, 1000)
    dense = np.zeros(layout.shape, np.float32)
    for edges, eliminated in random_states(packed, 3, seed=2):
        out = features.empty_features(layout.num_vertices, layout.max_edges)
        features.encode(packed, plan, edges, eliminated, out)
        encode_dense(packed, edges, eliminated, rows, plan.scales[features.SCALE_SIZE], dense)
        live = out.edge_mask == 1
        src, dst = out.edge_index[live].T
        for column, channel in enumerate(("stored", "dense", "diagonal")):
            np.testing.assert_array_equal(out.edge_features[live, column], dense[CHANNELS.index(channel), src, dst])
        np.testing.assert_array_equal(dense[CHANNELS.index("edge")].sum(), live.sum())
        np.testing.assert_array_equal(out.vertex[:, LEGAL], np.diagonal(dense[CHANNELS.index("eliminable")]))


@pytest.mark.parametrize("task", TASKS)
def test_the_cost_feature_decodes_to_the_action_costs(task):
    packed = task_graph(task).packed
    plan = features.make_plan(packed)
    actions = slice(packed.num_inputs, packed.num_inputs + packed.num_intermediates)
    for edges, eliminated in random_states(packed, 5, seed=3):
        out = encoding_of(packed, plan, edges, eliminated)
        costs = kernels.action_costs(packed, edges, eliminated)
        decoded = np.expm1(out.vertex[actions, COST].astype(np.float64) / plan.scales[SCALE_COST])
        np.testing.assert_allclose(decoded, np.maximum(costs, 0), rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(out.vertex[actions, LEGAL], ~eliminated)
        assert not out.vertex[: packed.num_inputs, COST].any() and not out.vertex[actions.stop :, COST].any()


@pytest.mark.parametrize("task", ["LIF", "RoeFlux", "RandomG"])
def test_the_cost_feature_of_an_action_is_what_the_env_charges_for_it(task):
    env = gym.make(env_id(task), observation="features")
    layout = env.unwrapped.layout
    rows = layout.inputs + np.arange(env.action_space.n)
    scale = 1 / math.log1p(layout.num_vertices**2 * env.unwrapped.size_scale**1.5)  # as the docstring says
    obs, info = env.reset()
    rng = np.random.default_rng(0)
    done = False
    while not done:
        action = rng.choice(np.flatnonzero(info["action_mask"]))
        predicted = np.expm1(np.float64(obs["vertex"][rows[action], COST]) / scale)
        mults_before = info["mults"]
        obs, _, done, _, info = env.step(action)
        assert predicted == pytest.approx(info["mults"] - mults_before, rel=1e-5, abs=1e-3)


@pytest.mark.parametrize("task", ["LIF", "RoeFlux", "MLP"])
def test_batched_encoding_equals_encoding_each_state(task):
    packed = task_graph(task).packed
    plan = features.make_plan(packed)
    states = list(random_states(packed, 5, seed=4))
    edges = np.stack([state[0] for state in states])
    eliminated = np.stack([state[1] for state in states])
    out = features.empty_features(plan.vertex_static.shape[0], plan.edge_index.shape[0], batch_size=len(states))
    features.encode_batch(kernels.repeat_graph(packed, len(states)), features.repeat_plan(plan, len(states)),
                          edges, eliminated, out)  # fmt: skip
    for b, state in enumerate(states):
        assert_same_encoding(features.Features(*(array[b] for array in out)), encoding_of(packed, plan, *state))


def padded(graph, layout: Layout) -> tuple[kernels.PackedGraph, np.ndarray]:
    """A graph packed with isolated padding vertices up to ``layout`` (as a batch pads it), and its rows (-1: none)."""
    packed = graph.packed
    keep = layout.rows(graph)
    n = layout.num_vertices
    edges = np.full((n, n), kernels.NO_EDGE, np.int64)
    edges[np.ix_(keep, keep)] = packed.edges
    shapes = np.ones((n, kernels.MAX_NDIM), np.int64)
    shapes[keep] = packed.shapes
    ndims = np.zeros(n, np.int64)
    ndims[keep] = packed.ndims
    rows = np.full(n, -1, np.int64)
    rows[keep] = keep
    return kernels.PackedGraph(edges, shapes, ndims, layout.inputs, layout.intermediates, layout.outputs), rows


def test_graphs_padded_to_a_batch_encode_like_the_env_encodes_them():
    """A batch of different graphs in one layout (rows -1 for padding vertices) encodes as each graph alone."""
    graphs = [task_graph(task) for task in ("LIF", "AdaLIF")]
    layout = Layout(*np.max([(g.num_inputs, g.num_intermediates, g.num_outputs) for g in graphs], axis=0))
    n, size_scale = layout.num_vertices, 10_000
    batch_graphs, batch_plans, expected, states = [], [], [], []
    for seed, graph in enumerate(graphs):
        packed = graph.packed
        pad, rows = padded(graph, layout)
        batch_graphs.append(pad)
        batch_plans.append(features.make_plan(pad, rows, n, layout.max_edges, size_scale))
        plan = features.make_plan(packed, rows[rows >= 0], n, layout.max_edges, size_scale)
        edges, eliminated = pad.initial_state()
        eliminated[packed.num_intermediates :] = True  # padding actions are never legal
        state = packed.initial_state()
        for action in np.random.default_rng(seed).permutation(packed.num_intermediates)[:5]:
            kernels.step(packed, *state, int(action), kernels.scratch(packed))
            kernels.step(pad, edges, eliminated, int(action), kernels.scratch(pad))
        states.append((edges, eliminated))
        expected.append(features.empty_features(n, layout.max_edges))
        features.encode(packed, plan, *state, expected[-1])
    batch = kernels.PackedBatch(
        *(np.stack(arrays) for arrays in zip(*[g[:3] for g in batch_graphs])),
        np.array([[g.num_inputs, g.num_intermediates, g.num_outputs] for g in graphs]),
        layout.inputs, layout.intermediates, layout.outputs,
    )  # fmt: skip
    out = features.empty_features(n, layout.max_edges, batch_size=len(graphs))
    features.encode_batch(batch, features.stack_plans(batch_plans), *map(np.stack, zip(*states)), out)
    for b, encoding in enumerate(expected):
        assert_same_encoding(features.Features(*(array[b] for array in out)), encoding)


@pytest.mark.parametrize("task", TASKS)
def test_edge_slots_are_the_reachable_pairs_and_bound_every_state(task):
    graph = task_graph(task)
    packed = graph.packed
    closure = transitive_closure(packed.edges)
    plan = features.make_plan(packed)
    assert features.reachable_pairs(packed) == closure.sum() == plan.edge_index.shape[0]
    np.testing.assert_array_equal(plan.slot_of >= 0, closure)
    assert closure.sum() <= Layout.of(graph).max_edges
    for seed in range(3):
        edges, _ = packed.initial_state()
        for action in np.random.default_rng(seed).permutation(packed.num_intermediates):
            kernels.eliminate(packed, edges, packed.num_inputs + int(action))
            present = edges != kernels.NO_EDGE
            assert present.sum() <= closure.sum() and not (present & ~closure).any()


def test_static_columns_are_kinds_sizes_and_path_lengths():
    graph = task_graph("BlackScholes")
    packed = graph.packed
    plan = features.make_plan(packed)
    adjacency = packed.edges != kernels.NO_EDGE
    depth = np.zeros(graph.num_vertices)
    for v in range(graph.num_vertices):  # vertices are topologically numbered
        preds = np.flatnonzero(adjacency[:, v])
        depth[v] = depth[preds].max() + 1 if preds.size else 0
    height = np.zeros(graph.num_vertices)
    for v in reversed(range(graph.num_vertices)):
        succs = np.flatnonzero(adjacency[v])
        height[v] = height[succs].max() + 1 if succs.size else 0
    static = plan.vertex_static
    kinds = [v.kind for v in graph.vertices]
    for column in ("input", "intermediate", "output"):
        np.testing.assert_array_equal(static[:, VERTEX_FEATURES.index(column)], [kind == column for kind in kinds])
    np.testing.assert_allclose(static[:, VERTEX_FEATURES.index("depth")], depth / depth.max(), rtol=1e-6)
    np.testing.assert_allclose(static[:, VERTEX_FEATURES.index("height")], height / depth.max(), rtol=1e-6)
    np.testing.assert_allclose(
        static[:, VERTEX_FEATURES.index("rank")], [len(v.shape) / kernels.MAX_NDIM for v in graph.vertices]
    )


@pytest.mark.parametrize("env_name", [env_id("LIF"), env_id("RoeFlux"), RANDOM_ID])
def test_env_checkers_pass_for_features(env_name):
    check_env(gym.make(env_name, observation="features").unwrapped)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*unconventional shape")  # 2-D arrays want a custom policy
        sb3_check_env(gym.make(env_name, observation="features", illegal_action="penalize").unwrapped)


@pytest.mark.parametrize("env_name", [env_id(task) for task in TASKS] + [RANDOM_ID])
def test_observations_stay_in_the_space(env_name):
    env = gym.make(env_name, observation="features")
    space = env.observation_space
    assert set(space.spaces) == set(features.Features._fields)
    assert space["vertex"].shape[1] == len(VERTEX_FEATURES) and space["edge_features"].shape[1] == len(EDGE_FEATURES)
    rng = np.random.default_rng(0)
    for seed in range(2):
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            assert space.contains(obs), {key: space[key].contains(value) for key, value in obs.items()}
            assert all(np.isfinite(value).all() for value in obs.values())
            np.testing.assert_array_equal(obs["vertex"][env.unwrapped.layout.inputs + np.arange(env.action_space.n),
                                                        LEGAL], info["action_mask"])  # fmt: skip
            obs, _, done, _, info = env.step(rng.choice(np.flatnonzero(info["action_mask"])))
        assert obs["num_edges"][0] == obs["edge_mask"].sum() > 0


def test_each_observation_is_fresh_data():
    env = gym.make(env_id("RoeFlux"), observation="features")
    first, info = env.reset(seed=0)
    kept = {key: value.copy() for key, value in first.items()}
    second, *_ = env.step(int(np.flatnonzero(info["action_mask"])[0]))
    for key in features.Features._fields:
        assert not np.shares_memory(first[key], second[key])
        np.testing.assert_array_equal(first[key], kept[key])  # the step left the earlier observation alone
    assert (second["vertex"] != first["vertex"]).any()


def test_padding_shares_the_shapes_of_tasks():
    envs = [gym.make(env_id(task), observation="features", pad_to=(16, 128, 20)) for task in ("LIF", "RoeFlux")]
    layout = Layout(16, 128, 20)
    for env in envs:
        assert env.observation_space == envs[0].observation_space
        assert env.observation_space["edge_index"].shape == (layout.max_edges, 2)
        obs, _ = env.reset()
        graph = env.unwrapped.graph
        rows = layout.rows(graph)
        padding = np.setdiff1d(np.arange(layout.num_vertices), rows)
        assert not obs["vertex"][padding].any()
        live = obs["edge_index"][obs["edge_mask"] == 1]
        assert np.isin(live, rows).all()
        expected = {(rows[s], rows[d]) for s, d in np.argwhere(graph.packed.edges != kernels.NO_EDGE)}
        assert {tuple(pair) for pair in live} == expected


def test_random_env_slots_are_bounded_by_the_layout():
    env = RandomCCElimEnv(num_intermediates=(5, 20), observation="features")
    layout = env.layout
    assert env.observation_space["edge_index"].shape == (layout.max_edges, 2)
    for seed in range(5):
        env.reset(seed=seed)
        assert features.reachable_pairs(env.graph.packed) <= layout.max_edges


def test_edge_slots_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="reachable pairs, more than max_edges=10"):
        CCElimEnv(task_graph("LIF"), observation="features", max_edges=10)
    with pytest.raises(ValueError, match="max_edges sizes observation='features' only"):
        CCElimEnv(task_graph("LIF"), max_edges=100)
