"""reward="runtime": 0 per step, minus the measured runtime of the order's compiled Jacobian at the end."""

import gymnasium as gym
import numpy as np
import pytest
import torch

import benchmarks_tasks
import ccgym
from ccgym.envs import CCElimEnv, RandomCCElimEnv

torch.set_num_threads(1)
FAST = {"warmup": 1, "repeats": 3, "min_seconds": 0.0}


def play(env, order, seed=0):
    _, info = env.reset(seed=seed)
    rewards = []
    for action in order:
        _, reward, terminated, truncated, info = env.step(action)
        rewards.append(reward)
    assert terminated and not truncated
    return rewards, info


@pytest.mark.parametrize("batch", [None, 4])
def test_only_the_last_step_is_rewarded_with_its_measured_runtime(batch):
    env = gym.make("CCElim-LIF-v0", reward="runtime", runtime_batch=batch, runtime_measurement=FAST)
    graph = benchmarks_tasks.get("LIF").graph()
    rewards, info = play(env, ccgym.markowitz_order(graph))
    runtime = info["runtime"]
    assert rewards[:-1] == [0.0] * (len(rewards) - 1)
    assert rewards[-1] == -runtime["median_us"] < 0
    assert 0 < runtime["q1_us"] <= runtime["median_us"] <= runtime["q3_us"]
    assert runtime["repeats"] >= 3 and runtime["warmup"] == 1 and runtime["batch"] == (batch or 1)
    assert "cores" in runtime["machine"] and "torch" in runtime["machine"]
    assert info["mults"] == ccgym.cost(graph, ccgym.markowitz_order(graph)).mults  # the counts are still reported


def test_normalized_by_a_baseline_measured_once():
    graph = benchmarks_tasks.get("RoeFlux").graph()
    inputs = benchmarks_tasks.get("RoeFlux").example_inputs(0)
    env = CCElimEnv(
        graph, reward="runtime", normalize="reverse", reward_scale=2.0, example_inputs=inputs, runtime_measurement=FAST
    )
    first = play(env, ccgym.forward_order(graph))
    second = play(env, ccgym.reverse_order(graph), seed=1)
    for rewards, info in (first, second):
        runtime = info["runtime"]
        assert rewards[-1] == pytest.approx(-2.0 * runtime["median_us"] / runtime["normalizer_us"])
    assert first[1]["runtime"]["normalizer_us"] == second[1]["runtime"]["normalizer_us"] > 0


def test_runtime_needs_inputs_that_fit_a_function_and_one_graph():
    graph = benchmarks_tasks.get("LIF").graph()
    with pytest.raises(ValueError, match="pass example_inputs"):
        CCElimEnv(graph, reward="runtime")
    with pytest.raises(ValueError, match="shapes"):
        CCElimEnv(graph, reward="runtime", example_inputs=[torch.zeros(2, dtype=torch.float64)] * 6)
    with pytest.raises(ValueError, match="options of reward='runtime'"):
        CCElimEnv(graph, example_inputs=benchmarks_tasks.get("LIF").example_inputs(0))
    with pytest.raises(ValueError, match="no function"):
        gym.make("CCElim-AlphaGrad-PropaneCombustion-v0", reward="runtime")
    with pytest.raises(ValueError, match="runtime_measurement takes"):
        gym.make("CCElim-LIF-v0", reward="runtime", runtime_measurement={"seconds": 1})
    with pytest.raises(ValueError, match="option of the single environment"):
        gym.make_vec("CCElim-LIF-v0", num_envs=2, vectorization_mode="vector_entry_point", reward="runtime")
    first = ccgym.random_graphs.random_graph(np.random.default_rng(0), ccgym.random_graphs.RandomGraphSpec())
    inputs = [torch.zeros(v.shape, dtype=torch.float64) for v in first.vertices if v.kind == "input"]
    env = RandomCCElimEnv(reward="runtime", example_inputs=inputs)
    with pytest.raises(ValueError, match="changes graphs"):
        env.reset(seed=1)
