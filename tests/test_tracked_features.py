"""The tracked encoding (neighbour bitsets beside it) equals the encoding from scratch; bound compiled calls."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import benchmarks_tasks
from ccgym import features, kernels
from ccgym.envs.bound_call import BoundCall
from ccgym.envs.observation import Layout
from ccgym.random_graphs import RandomGraphSpec, random_graph


def neighbours_of(edges: np.ndarray, rows: np.ndarray, num_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Oracle: boolean ``[R, R]`` predecessor and successor relations of a state, by rows (no bit tricks)."""
    preds = np.zeros((num_rows, num_rows), bool)
    for src, dst in np.argwhere(edges != kernels.NO_EDGE):
        preds[rows[dst], rows[src]] = True
    return preds, preds.T.copy()


def unpacked(bits: np.ndarray, num_rows: int) -> np.ndarray:
    """``uint64[R, W]`` bitsets as ``bool[R, R]`` (bit c of a row is word c // 64, bit c % 64)."""
    little = np.unpackbits(bits.view(np.uint8).reshape(bits.shape[0], -1), axis=1, bitorder="little")
    return little[:, :num_rows].astype(bool)


def check_random_episodes(packed, plan, num_rows: int, seeds) -> None:
    """Eliminate random orders with the tracked update, comparing every step with a fresh encoding."""
    touched = kernels.scratch(packed)
    for seed in seeds:
        edges, eliminated = packed.initial_state()
        out = features.empty_features(num_rows, plan.edge_index.shape[0])
        neighbours = features.empty_neighbours(num_rows)
        features.encode_tracked(packed, plan, edges, eliminated, out, neighbours)
        for action in np.random.default_rng(seed).permutation(packed.num_intermediates):
            vertex = packed.num_inputs + int(action)
            expected_mults = kernels.elimination_cost(packed, edges, vertex)
            mults, _ = features.eliminate_and_update_tracked(packed, plan, edges, vertex, touched, out, neighbours)
            eliminated[action] = True
            assert mults == expected_mults
            fresh = features.empty_features(num_rows, plan.edge_index.shape[0])
            features.encode(packed, plan, edges, eliminated, fresh)
            for name, actual, expected in zip(features.Features._fields, out, fresh):
                np.testing.assert_array_equal(actual, expected, err_msg=name)
            preds, succs = neighbours_of(edges, plan.rows, num_rows)
            np.testing.assert_array_equal(unpacked(neighbours.preds, num_rows), preds)
            np.testing.assert_array_equal(unpacked(neighbours.succs, num_rows), succs)


@pytest.mark.parametrize("task", benchmarks_tasks.names())
def test_the_tracked_update_equals_the_encoding_from_scratch_on_every_task(task):
    packed = benchmarks_tasks.get(task).graph().packed
    plan = features.make_plan(packed)
    check_random_episodes(packed, plan, packed.edges.shape[0], seeds=[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), extra_rows=st.integers(0, 70))
def test_the_tracked_update_equals_the_encoding_from_scratch_on_random_graphs(seed, extra_rows):
    """Random graphs, laid out with spare rows (so bitsets span one word or more) and rows not equal to vertices."""
    graph = random_graph(np.random.default_rng(seed), RandomGraphSpec(num_intermediates=(5, 60), max_rank=2))
    layout = Layout(graph.num_inputs + extra_rows // 2, graph.num_intermediates + extra_rows, graph.num_outputs + 1)
    plan = features.make_plan(graph.packed, layout.rows(graph), layout.num_vertices, layout.max_edges, 10_000)
    check_random_episodes(graph.packed, plan, layout.num_vertices, seeds=[seed])


def test_a_bound_call_returns_what_the_compiled_function_returns():
    packed = benchmarks_tasks.get("RoeFlux").graph().packed
    costs = BoundCall(kernels.action_costs)
    for edges, eliminated in [packed.initial_state(), packed.initial_state()]:  # first call dispatches, then bound
        np.testing.assert_array_equal(costs(packed, edges, eliminated), kernels.action_costs(packed, edges, eliminated))
    eliminated[:3] = True
    np.testing.assert_array_equal(costs(packed, edges, eliminated), kernels.action_costs(packed, edges, eliminated))
