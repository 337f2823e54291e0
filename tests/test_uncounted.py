"""Kernels compiled without reference counting (``ccgym.kernels.uncounted``) neither keep nor free a caller's arrays.

Numba counts the arrays that compiled code allocates (``NUMBA_NRT_STATS=1``,
set before it starts, hence a fresh interpreter). A compiled caller that
counts references allocates every array, then runs each uncounted entry point
on them and on views of them; when its arrays are gone, each allocation must
have been freed exactly once.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import gc, json
import numpy as np
from numba import njit
from numba.core.runtime import rtsys
import benchmarks_tasks
from ccgym import features, kernels
from ccgym.envs.observation import eliminate_and_update

graph = benchmarks_tasks.get("RoeFlux").graph()
packed = graph.packed
rows = np.arange(graph.num_vertices)
plan = features.make_plan(packed, rows, graph.num_vertices, features.reachable_pairs(packed), 1 << 20)


@njit
def every_entry_point(graph, plan, rows):
    # allocated here, so counted: the uncounted calls must neither free nor keep them
    v = graph.edges.shape[0]
    n = graph.num_intermediates
    e = plan.edge_index.shape[0]
    batch = kernels.PackedBatch(
        np.stack((graph.edges, graph.edges)), np.stack((graph.shapes, graph.shapes)),
        np.stack((graph.ndims, graph.ndims)), np.full((2, 3), n),
        graph.num_inputs, n, graph.num_outputs,
    )
    plans = features.FeaturePlan(
        np.stack((plan.rows, plan.rows)), np.stack((plan.vertices, plan.vertices)),
        np.stack((plan.slot_of, plan.slot_of)), np.stack((plan.descendants, plan.descendants)),
        np.stack((plan.ancestors, plan.ancestors)), np.stack((plan.starts, plan.starts)),
        np.stack((plan.edge_index, plan.edge_index)), np.stack((plan.vertex_static, plan.vertex_static)),
        np.stack((plan.scales, plan.scales)),
    )
    out = features.Features(
        np.zeros((2, v, 12), np.float32), np.zeros((2, e, 2), np.int64), np.zeros((2, e, 4), np.float32),
        np.zeros((2, e), np.int8), np.zeros((2, 1), np.int64),
    )
    words = (v + 63) // 64
    neighbours = features.Neighbours(np.zeros((2, v, words), np.uint64), np.zeros((2, v, words), np.uint64))
    states = np.empty((2, v, v), np.int64)
    eliminated = np.zeros((2, n), np.bool_)
    touched = kernels.scratch(graph)
    costs = np.zeros((2, n), np.int64)
    mults = np.zeros(2, np.int64)
    change = np.zeros(2, np.int64)
    obs = np.zeros((8, v, v), np.float32)
    total = 0
    kernels.reset_batch(batch, states, eliminated, np.ones(2, np.bool_))
    features.encode_batch(batch, plans, states, eliminated, out)
    features.encode_tracked(graph, plan, states[1], eliminated[1], features.features_at(out, 1),
                            features.neighbours_at(neighbours, 1))
    for a in range(n):
        kernels.action_costs_batch(batch, states, eliminated, costs)
        kernels.step_batch(batch, states[:1], eliminated[:1], np.full(1, a), np.ones(1, np.bool_), mults, change,
                           touched)
        total += features.eliminate_and_update_tracked(
            kernels.graph_at(batch, 1), features.plan_at(plans, 1), states[1], graph.num_inputs + a, touched,
            features.features_at(out, 1), features.neighbours_at(neighbours, 1),
        )[0]
        eliminate_and_update(graph, graph.edges.copy(), graph.num_inputs + a, rows, 0.1, touched, obs)
        total += kernels.elimination_cost(graph, states[1], graph.num_inputs + a) + mults[0] + costs[0, 0]
    key = kernels.state_key(eliminated[0])
    kernels.state_from_key(graph, key, states[0], eliminated[0], touched)
    return total + kernels.memory(graph, states[0])


every_entry_point(packed, plan, rows)  # compile
gc.collect()
before = rtsys.get_allocation_stats()
for _ in range(3):
    every_entry_point(packed, plan, rows)
gc.collect()
after = rtsys.get_allocation_stats()
print(json.dumps({"allocated": after.mi_alloc - before.mi_alloc, "freed": after.mi_free - before.mi_free}))
"""


def test_uncounted_entry_points_free_every_array_a_counting_caller_allocates():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
        env={**os.environ, "NUMBA_NRT_STATS": "1"},
    )
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["allocated"] > 50  # the caller's arrays, three times over
    assert stats["freed"] == stats["allocated"]
