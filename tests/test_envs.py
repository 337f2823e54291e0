"""The CCElim Gymnasium environments: API, costs, rewards, masks, seeding, vector envs, exact random graphs, learning."""

import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
import torch
from conftest import assert_same_jacobian
from gymnasium.utils.env_checker import check_env
from sb3_contrib import MaskablePPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

import benchmarks_tasks
import ccgym
from baselines.bench.envs import measure
from ccgym import kernels, rules
from ccgym.envs import RANDOM_ID, CCElimEnv, RandomCCElimEnv, env_id
from ccgym.envs.observation import CHANNELS, EDGE, ELIMINABLE, encode, inverse_log_scale
from ccgym.random_graphs import RandomGraphSpec, random_graph

TASKS = benchmarks_tasks.names()
IDS = [env_id(task) for task in TASKS] + [RANDOM_ID]


def rollout(env: gym.Env, seed: int = 0, policy_seed: int = 0) -> tuple[float, dict, dict]:
    """An episode of a uniformly random masked policy: ``(return, first info, last info)``."""
    rng = np.random.default_rng(policy_seed)
    _, info = env.reset(seed=seed)
    first, total, done = info, 0.0, False
    while not done:
        _, reward, terminated, truncated, info = env.step(rng.choice(np.flatnonzero(info["action_mask"])))
        total += reward
        done = terminated or truncated
    return total, first, info


def as_function(graph: ccgym.Graph):
    """A graph's program as a differentiable PyTorch function, replayed op by op (the oracle for random graphs)."""

    def fn(*inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values = list(inputs)
        for vertex in graph.vertices[graph.num_inputs :]:
            args = [values[arg["vertex"]] if isinstance(arg, dict) else arg for arg in vertex.args]
            values.append(rules.evaluate(vertex.op, args, vertex.kwargs))
        return tuple(values[-graph.num_outputs :])

    return fn


def test_every_task_and_the_random_generator_have_an_id():
    registered = {name for name in gym.registry if name.startswith("CCElim-")}
    assert registered == set(IDS)


@pytest.mark.parametrize("env_name", IDS)
def test_gymnasium_env_checker_passes(env_name):
    check_env(gym.make(env_name).unwrapped)


@pytest.mark.parametrize("task", TASKS)
def test_random_masked_policy_costs_what_ccgym_cost_says(task):
    env = gym.make(env_id(task))
    total, first, last = rollout(env)
    graph = env.unwrapped.graph
    cost = ccgym.cost(graph, last["order"])
    assert total == -cost.mults == -last["mults"]
    assert last["peak_memory"] == cost.peak_memory
    assert first["memory"] == kernels.memory(graph.packed, graph.packed.edges)
    reverse = ccgym.cost(graph, ccgym.reverse_order(graph))
    assert last["baselines"]["reverse"] == {"mults": reverse.mults, "peak_memory": reverse.peak_memory}
    assert last["baselines"]["markowitz"]["mults"] == ccgym.cost(graph, ccgym.markowitz_order(graph)).mults
    assert last["ratios"]["reverse"]["mults"] == pytest.approx(cost.mults / reverse.mults)


@pytest.mark.parametrize("task", TASKS)
def test_memory_return_is_minus_the_peak_increase(task):
    total, first, last = rollout(gym.make(env_id(task), reward="memory"), policy_seed=1)
    assert total == -(last["peak_memory"] - first["memory"])
    assert last["peak_memory"] == ccgym.cost(gym.make(env_id(task)).unwrapped.graph, last["order"]).peak_memory


@pytest.mark.parametrize("task", ["RoeFlux", "MLP", "Transformer"])
def test_weighted_normalised_rewards(task):
    options = {"reward": {"mults": 2.0, "memory": 0.5}, "normalize": "reverse", "reward_scale": 3.0}
    total, first, last = rollout(gym.make(env_id(task), **options))
    reverse = last["baselines"]["reverse"]
    expected = 3.0 * (
        2.0 * last["mults"] / reverse["mults"] + 0.5 * (last["peak_memory"] - first["memory"]) / reverse["peak_memory"]
    )
    assert total == pytest.approx(-expected)

    env = gym.make(env_id(task), normalize="reverse")
    env.reset()
    rewards = [env.step(action)[1] for action in ccgym.reverse_order(env.unwrapped.graph)]
    assert sum(rewards) == pytest.approx(-1.0)


@pytest.mark.parametrize("task", TASKS)
def test_observation_is_the_encoding_of_the_current_state(task):
    env = CCElimEnv(benchmarks_tasks.get(task).graph())
    graph, packed = env.graph, env.graph.packed
    rows, scale = env.layout.rows(graph), inverse_log_scale(env.size_scale)
    rng = np.random.default_rng(0)
    obs, info = env.reset()
    for action in rng.permutation(graph.num_intermediates)[: graph.num_intermediates // 2 + 1]:
        obs, _, _, _, info = env.step(action)
    edges, eliminated = packed.initial_state()
    for action in info["order"]:
        kernels.eliminate(packed, edges, graph.intermediate_vertex(action))
        eliminated[action] = True
    expected = np.zeros((len(CHANNELS), *edges.shape), np.float32)
    encode(packed, edges, eliminated, rows, scale, expected)
    np.testing.assert_array_equal(obs, expected)
    np.testing.assert_array_equal(obs[EDGE] == 1.0, edges != kernels.NO_EDGE)
    np.testing.assert_array_equal(
        np.diagonal(obs[ELIMINABLE])[graph.num_inputs :][: graph.num_intermediates], info["action_mask"]
    )
    assert env.observation_space.contains(obs)


def test_illegal_actions_raise_a_value_error_naming_them():
    env = gym.make(env_id("LIF"))
    env.reset()
    env.step(3)
    with pytest.raises(ValueError, match="action 3 is illegal.*already eliminated"):
        env.step(3)
    with pytest.raises(ValueError, match="action 99 is not in the action space"):
        env.step(99)
    padded = gym.make(env_id("LIF"), pad_to=(8, 16, 4))
    padded.reset()
    with pytest.raises(ValueError, match="action 12 is padding"):
        padded.step(12)


def test_any_integer_type_is_an_action():
    env = gym.make(env_id("LIF"))
    env.reset()
    for action in (1, np.int64(2), np.int32(3), np.uint8(4), np.array(5)):
        assert env.step(action)[4]["order"][-1] == int(action)
    for illegal in (np.int64(2), np.int32(3)):
        with pytest.raises(ValueError, match="already eliminated"):
            env.step(illegal)
    with pytest.raises(ValueError, match="not in the action space"):
        env.step(6.0)


def test_penalized_illegal_actions_leave_the_state_unchanged():
    env = gym.make(env_id("LIF"), illegal_action="penalize", illegal_penalty=5.0)
    env.reset()
    before, _, _, _, info_before = env.step(3)
    for repeat in range(1, env.unwrapped.graph.num_intermediates + 1):
        obs, reward, terminated, truncated, info = env.step(3)
        np.testing.assert_array_equal(obs, before)
        assert reward == -5.0 and info["illegal_action"] and not terminated
        assert {key: info[key] for key in ("mults", "memory", "order")} == {
            key: info_before[key] for key in ("mults", "memory", "order")
        }
        np.testing.assert_array_equal(info["action_mask"], info_before["action_mask"])
        assert truncated == (repeat == env.unwrapped.graph.num_intermediates)


def test_dict_observation_carries_the_mask():
    env = gym.make(env_id("AdaLIF"), observation="dict")
    obs, info = env.reset()
    for _ in range(3):
        assert env.observation_space.contains(obs)
        np.testing.assert_array_equal(obs["action_mask"], info["action_mask"])
        obs, _, _, _, info = env.step(int(np.flatnonzero(info["action_mask"])[-1]))


def test_padding_gives_tasks_one_shape():
    envs = [gym.make(env_id(task), pad_to=(16, 128, 20)) for task in ("LIF", "RoeFlux", "Transformer")]
    for env in envs:
        assert env.observation_space.shape == (len(CHANNELS), 164, 164) and env.action_space.n == 128
        total, _, last = rollout(env)
        assert total == -ccgym.cost(env.unwrapped.graph, last["order"]).mults


def test_random_env_is_reproducible_and_draws_new_graphs():
    env, twin = gym.make(RANDOM_ID), gym.make(RANDOM_ID)
    obs, _ = env.reset(seed=7)
    graph = env.unwrapped.graph.to_json()
    np.testing.assert_array_equal(twin.reset(seed=7)[0], obs)
    assert twin.unwrapped.graph.to_json() == graph
    assert rollout(env, seed=7)[2]["order"] == rollout(twin, seed=7)[2]["order"]
    env.reset()
    assert env.unwrapped.graph.to_json() != graph
    assert env.reset(seed=8)[0].shape == obs.shape


def test_random_env_ranges_and_padding():
    env = RandomCCElimEnv(num_inputs=(1, 3), num_intermediates=(5, 30), num_outputs=2, size=3, max_rank=1)
    assert env.action_space.n == 30 and env.observation_space.shape == (len(CHANNELS), 35, 35)
    counts = set()
    for seed in range(5):
        total, _, last = rollout(env, seed=seed)
        graph = env.graph
        counts.add(graph.num_intermediates)
        assert 1 <= graph.num_inputs <= 3 and 5 <= graph.num_intermediates <= 30 and graph.num_outputs == 2
        assert all(len(v.shape) <= 1 and set(v.shape) <= {3} for v in graph.vertices)
        assert not last["action_mask"].any() and total == -ccgym.cost(graph, last["order"]).mults
    assert len(counts) > 1


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_are_exact_and_fast(seed):
    graph = random_graph(np.random.default_rng(seed), RandomGraphSpec(num_intermediates=(10, 40)))
    edges = graph.packed.edges
    live = (edges[graph.num_inputs : graph.num_inputs + graph.num_intermediates] != kernels.NO_EDGE).any(axis=1)
    assert live.all(), "every intermediate has a successor"
    generator = torch.Generator().manual_seed(seed)
    inputs = [
        torch.rand(v.shape, generator=generator, dtype=torch.float64) * 2 - 1
        for v in graph.vertices[: graph.num_inputs]
    ]
    expected = torch.func.jacrev(as_function(graph), argnums=tuple(range(len(inputs))))(*inputs)
    shuffled = np.random.default_rng(seed).permutation(graph.num_intermediates).tolist()
    for order in (ccgym.forward_order(graph), ccgym.reverse_order(graph), shuffled):
        jacobian, mults = ccgym.execute(graph, order, *inputs)
        assert_same_jacobian(jacobian, expected)
        assert mults == ccgym.cost(graph, order).mults


def test_random_graphs_are_fast():
    rng = np.random.default_rng(0)
    random_graph(rng)  # compiles the kernels
    start = time.perf_counter()
    for _ in range(10):
        random_graph(rng)
    assert (time.perf_counter() - start) / 10 < 0.05


def test_scalar_random_graphs_cost_the_classic_count():
    graph = random_graph(np.random.default_rng(0), RandomGraphSpec(num_intermediates=20, max_rank=0))
    edges, _ = graph.packed.initial_state()
    expected = 0
    for action in ccgym.forward_order(graph):
        vertex = graph.intermediate_vertex(action)
        expected += (edges[:, vertex] != kernels.NO_EDGE).sum() * (edges[vertex] != kernels.NO_EDGE).sum()
        kernels.eliminate(graph.packed, edges, vertex)
    assert ccgym.cost(graph, ccgym.forward_order(graph)).mults == expected


def _masked_random_action(rng: np.random.Generator, mask: np.ndarray) -> int:
    """A legal action; 0 when there is none (a finished episode, whose next step the vector env spends on reset)."""
    legal = np.flatnonzero(mask)
    return int(rng.choice(legal)) if legal.size else 0


def _vector_rollout(envs: gym.vector.VectorEnv, steps: int) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(0)
    obs, infos = envs.reset(seed=[1, 2])
    episodes = 0
    for _ in range(steps):
        actions = np.array([_masked_random_action(rng, mask) for mask in infos["action_mask"]])
        obs, _, terminated, _, infos = envs.step(actions)
        episodes += int(terminated.sum())
    envs.close()
    return obs, episodes


@pytest.mark.parametrize("env_name", [env_id("LIF"), RANDOM_ID])
def test_gymnasium_vector_envs(env_name):
    steps = 2 * gym.make(env_name).action_space.n + 2
    sync = _vector_rollout(gym.vector.SyncVectorEnv([lambda: gym.make(env_name)] * 2), steps)
    asynchronous = _vector_rollout(gym.vector.AsyncVectorEnv([lambda: gym.make(f"ccgym:{env_name}")] * 2), steps)
    assert sync[1] == asynchronous[1] == 4
    np.testing.assert_array_equal(sync[0], asynchronous[0])


def test_stable_baselines3_vec_envs():
    for vec_env_cls in (DummyVecEnv, SubprocVecEnv):
        envs = make_vec_env("ccgym:CCElim-LIF-v0", n_envs=2, seed=0, vec_env_cls=vec_env_cls)
        envs.reset()
        rng = np.random.default_rng(0)
        finished = 0
        for _ in range(12):  # LIF has 10 intermediates: every env finishes one episode
            masks = np.stack(envs.env_method("action_masks"))
            _, _, dones, infos = envs.step(np.array([rng.choice(np.flatnonzero(mask)) for mask in masks]))
            finished += int(dones.sum())
            assert all(info["episode"]["r"] < 0 for info, done in zip(infos, dones) if done)
        assert finished == 2
        envs.close()


def test_maskable_ppo_learns_briefly():
    env = gym.make(env_id("LIF"), normalize="reverse")
    model = MaskablePPO("MlpPolicy", env, n_steps=32, batch_size=16, n_epochs=1, seed=0)
    model.learn(total_timesteps=64)
    obs, _ = env.reset()
    done = False
    while not done:
        action, _ = model.predict(obs, action_masks=env.unwrapped.action_masks(), deterministic=True)
        obs, _, done, _, info = env.step(action)
    assert sorted(info["order"]) == list(range(env.action_space.n))


def test_render_modes():
    text_env = gym.make(env_id("BlackScholes"), render_mode="ansi")
    image_env = gym.make(RANDOM_ID, render_mode="rgb_array")
    for env in (text_env, image_env):
        env.reset(seed=0)
        env.step(0)
    text = text_env.render()
    assert "1/38 eliminated" in text and "cost now" in text
    image = image_env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.std() > 0


def test_wrong_ids_and_options_fail_clearly():
    with pytest.raises(gym.error.NameNotFound):
        gym.make("CCElim-Nonesuch-v0")
    with pytest.raises(gym.error.VersionNotFound):
        gym.make("CCElim-LIF-v1")
    with pytest.raises(TypeError, match="unexpected keyword argument 'rewards'"):
        gym.make(env_id("LIF"), rewards="memory")
    with pytest.raises(ValueError, match="reward must be one of"):
        gym.make(env_id("LIF"), reward="speed")
    with pytest.raises(ValueError, match="normalize must be"):
        gym.make(env_id("LIF"), normalize="fastest")


def test_a_graph_without_intermediates_is_refused():
    with pytest.raises(ValueError, match="nothing to eliminate"):
        ccgym.make_env(ccgym.trace(lambda x: x, torch.rand(2)))


def test_make_without_importing_ccgym():
    code = "import gymnasium as gym; env = gym.make('ccgym:CCElim-LIF-v0'); env.reset(seed=0); print(env.spec.id)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "CCElim-LIF-v0"


def test_make_env_over_a_traced_graph():
    graph = ccgym.trace(lambda x, w: torch.tanh(w @ x).sum(), torch.rand(3), torch.rand(2, 3))
    env = ccgym.make_env(graph, reward="mults")
    total, _, last = rollout(env)
    assert total == -ccgym.cost(graph, last["order"]).mults


def test_bench_reports_all_loops():
    records = measure("LIF", seconds=0.02)
    assert [record["api"] for record in records] == [
        "kernel", "compiled", "env", "env features", "gym.make", "gym.make+mask"
    ]  # fmt: skip
    assert all(record["steps_per_s"] > 0 and record["overhead"] > 0 < record["vs_compiled"] for record in records)
