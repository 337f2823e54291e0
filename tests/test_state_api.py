"""The kernels' search-state API: keys, touched vertices, per-action costs, batches, and no allocation."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import random_states

import benchmarks_tasks
from ccgym import kernels

TASKS = benchmarks_tasks.names()


@pytest.mark.parametrize("task", TASKS)
def test_a_state_is_rebuilt_from_its_key(task):
    packed = benchmarks_tasks.get(task).graph().packed
    rebuilt_edges, rebuilt_eliminated = packed.initial_state()
    for edges, eliminated in random_states(packed, 8, seed=1):
        key = kernels.state_key(eliminated)
        assert key.dtype == np.uint64 and key.shape == (kernels.key_words(packed.num_intermediates),)
        kernels.state_from_key(packed, key, rebuilt_edges, rebuilt_eliminated, kernels.scratch(packed))
        np.testing.assert_array_equal(rebuilt_eliminated, eliminated)
        np.testing.assert_array_equal(rebuilt_edges, edges)  # order-free: the key is the whole state


def test_keys_of_different_sets_differ_beyond_one_word():
    eliminated = np.zeros(130, np.bool_)
    keys = set()
    for a in (0, 63, 64, 127, 128, 129):
        eliminated[:] = False
        eliminated[a] = True
        keys.add(kernels.state_key(eliminated).tobytes())
    assert len(keys) == 6 and kernels.key_words(130) == 3


@pytest.mark.parametrize("task", ["RoeFlux", "MLP", "RandomF"])
def test_eliminate_touched_reports_the_joined_vertices(task):
    packed = benchmarks_tasks.get(task).graph().packed
    touched = np.empty(packed.edges.shape[0], np.int64)
    for edges, eliminated in random_states(packed, 5, seed=2):
        left = np.flatnonzero(~eliminated)
        if not left.size:
            continue
        vertex = packed.num_inputs + int(left[0])
        preds = np.flatnonzero(edges[:, vertex] != kernels.NO_EDGE)
        succs = np.flatnonzero(edges[vertex] != kernels.NO_EDGE)
        plain = edges.copy()
        expected = kernels.eliminate(packed, plain, vertex)
        mults, change, n_preds, n_succs = kernels.eliminate_touched(packed, edges, vertex, touched)
        assert (mults, change) == expected
        np.testing.assert_array_equal(edges, plain)
        np.testing.assert_array_equal(touched[:n_preds], preds)
        np.testing.assert_array_equal(touched[n_preds : n_preds + n_succs], succs)


@pytest.mark.parametrize("task", TASKS)
def test_batched_kernels_equal_the_single_state_kernels(task):
    packed = benchmarks_tasks.get(task).graph().packed
    states = list(random_states(packed, 6, seed=3))
    batch = kernels.repeat_graph(packed, len(states))
    edges = np.stack([s[0] for s in states])
    eliminated = np.stack([s[1] for s in states])

    costs = np.empty(eliminated.shape, np.int64)
    kernels.action_costs_batch(batch, edges, eliminated, costs)
    for b, (state_edges, state_eliminated) in enumerate(states):
        expected = [
            -1 if state_eliminated[a] else kernels.elimination_cost(packed, state_edges, packed.num_inputs + a)
            for a in range(packed.num_intermediates)
        ]
        np.testing.assert_array_equal(costs[b], expected)
        np.testing.assert_array_equal(kernels.action_costs(packed, state_edges, state_eliminated), expected)

    rng = np.random.default_rng(4)
    active = np.array([not e.all() for e in eliminated])
    actions = np.array([rng.choice(np.flatnonzero(~e)) if not e.all() else 0 for e in eliminated], np.int64)
    mults = np.empty(len(states), np.int64)
    change = np.empty(len(states), np.int64)
    kernels.step_batch(batch, edges, eliminated, actions, active, mults, change, kernels.scratch(packed))
    for b, (state_edges, state_eliminated) in enumerate(states):
        if active[b]:
            assert (mults[b], change[b]) == kernels.step(packed, state_edges, state_eliminated, int(actions[b]), kernels.scratch(packed))
        else:
            assert mults[b] == change[b] == 0
        np.testing.assert_array_equal(edges[b], state_edges)
        np.testing.assert_array_equal(eliminated[b], state_eliminated)

    kernels.reset_batch(batch, edges, eliminated, np.ones(len(states), np.bool_))
    assert (edges == packed.edges).all() and not eliminated.any()


ALLOCATIONS = """
import numpy as np
from numba import njit
from numba.core.runtime import rtsys
import benchmarks_tasks
from ccgym import kernels

@njit
def episode(packed, edges, eliminated, touched, costs, steps):
    for action in range(steps):
        kernels.action_costs_into(packed, edges, eliminated, costs)
        kernels.eliminate_touched(packed, edges, packed.num_inputs + action, touched)
        kernels.step(packed, edges, eliminated, action, touched)

def allocations(steps, measure=True):
    edges, eliminated = packed.initial_state()
    touched = np.empty(edges.shape[0], np.int64)
    costs = np.empty(packed.num_intermediates, np.int64)
    before = rtsys.get_allocation_stats().alloc if measure else 0
    episode(packed, edges, eliminated, touched, costs, steps)
    return rtsys.get_allocation_stats().alloc - before

packed = benchmarks_tasks.get("MLP").graph().packed
allocations(1, measure=False)  # compile
print(allocations(1), allocations(packed.num_intermediates))
"""


def test_eliminating_and_costing_allocate_nothing():
    environment = {**os.environ, "NUMBA_NRT_STATS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", ALLOCATIONS],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
    )
    one_step, whole_episode = map(int, result.stdout.split()[-2:])
    assert whole_episode == one_step  # only the arguments' boxing counts: nothing per elimination
