"""The stable-baselines3 adapter of the native vector env: SB3's VecEnv contract, masks, and MaskablePPO on it."""

import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

import benchmarks_tasks
from baselines.ppo import CCElimSB3VecEnv
from ccgym.envs import CCElimEnv, env_id
from ccgym.envs.vector import CCElimVectorEnv


def masked_actions(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    return np.array([rng.choice(np.flatnonzero(row)) for row in masks])


@pytest.mark.parametrize("max_steps", [None, 7])
def test_steps_like_a_dummy_vec_env_of_single_envs(max_steps):
    graph = benchmarks_tasks.get("LIF").graph()

    def single() -> gym.Env:
        env = CCElimEnv(graph)
        return env if max_steps is None else gym.wrappers.TimeLimit(env, max_steps)

    adapter = CCElimSB3VecEnv.make(env_id("LIF"), 3, max_episode_steps=max_steps)
    dummy = DummyVecEnv([single] * 3)
    np.testing.assert_array_equal(adapter.reset(), dummy.reset())
    rng, ended = np.random.default_rng(0), 0
    for _ in range(25):
        masks = np.stack(adapter.env_method("action_masks"))
        np.testing.assert_array_equal(masks, np.stack(dummy.env_method("action_masks")))
        actions = masked_actions(rng, masks)
        obs, rewards, dones, infos = adapter.step(actions)
        expected_obs, expected_rewards, expected_dones, expected_infos = dummy.step(actions)
        np.testing.assert_array_equal(obs, expected_obs)
        assert rewards.dtype == expected_rewards.dtype == np.float32
        np.testing.assert_array_equal(rewards, expected_rewards)
        np.testing.assert_array_equal(dones, expected_dones)
        for info, expected in zip(infos, expected_infos):
            assert info["TimeLimit.truncated"] == expected["TimeLimit.truncated"]
            assert ("terminal_observation" in info) == ("terminal_observation" in expected)
            if "terminal_observation" in info:
                np.testing.assert_array_equal(info["terminal_observation"], expected["terminal_observation"])
                assert info["episode_cost"]["mults"] == expected["mults"]
        ended += int(dones.sum())
    assert ended >= 6


def test_attributes_and_masks_for_sb3_contrib():
    adapter = CCElimSB3VecEnv.make(env_id("AdaLIF"), 2, observation="dict")
    assert adapter.get_attr("render_mode") == [None, None] and adapter.render_mode is None
    assert is_masking_supported(adapter)
    adapter.reset()
    masks = get_action_masks(adapter)
    assert masks.shape == (2, 12) and masks.all()
    np.testing.assert_array_equal(masks, adapter.action_masks())
    assert len(adapter.env_method("action_masks", indices=[1])) == 1
    assert adapter.env_is_wrapped(gym.Wrapper) == [False, False]
    with pytest.raises(ValueError, match="SAME_STEP"):
        CCElimSB3VecEnv(CCElimVectorEnv(benchmarks_tasks.get("LIF").graph(), 2))
    with pytest.raises(ValueError, match="copy=True"):
        CCElimSB3VecEnv(
            CCElimVectorEnv(benchmarks_tasks.get("LIF").graph(), 2, autoreset_mode=AutoresetMode.SAME_STEP, copy=False)
        )


def test_seed_applies_at_the_next_reset():
    adapter = CCElimSB3VecEnv.make("CCElim-Random-v0", 2)
    adapter.seed(5)
    first = adapter.reset()
    graphs = [g.to_json() for g in adapter.env.graphs]
    adapter.seed(5)
    np.testing.assert_array_equal(adapter.reset(), first)
    assert [g.to_json() for g in adapter.env.graphs] == graphs
    adapter.reset()  # no seed: the generators go on
    assert [g.to_json() for g in adapter.env.graphs] != graphs


def test_maskable_ppo_learns_on_the_adapter_unchanged():
    start = time.perf_counter()
    envs = VecMonitor(CCElimSB3VecEnv.make(env_id("LIF"), 4, normalize="reverse"))
    model = MaskablePPO("MlpPolicy", envs, n_steps=16, batch_size=32, n_epochs=1, seed=0)
    model.learn(total_timesteps=128)
    assert len(model.ep_info_buffer) >= 4 and all(info["r"] < 0 for info in model.ep_info_buffer)
    obs = envs.reset()
    for _ in range(10):
        actions, _ = model.predict(obs, action_masks=get_action_masks(envs), deterministic=True)
        obs, _, dones, infos = envs.step(actions)
    assert dones.all() and all(info["episode"]["l"] == 10 for info in infos)
    assert time.perf_counter() - start < 20
