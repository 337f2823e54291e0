"""The native vector envs: every slot is a CCElimEnv, Gymnasium 1.x autoreset, masks, seeding, costs, spaces."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import batch_space

import benchmarks_tasks
import ccgym
from baselines.bench.envs import measure_vector
from ccgym import kernels
from ccgym.envs import RANDOM_ID, CCElimEnv, RandomCCElimEnv, env_id
from ccgym.envs.vector import CCElimVectorEnv, RandomCCElimVectorEnv
from ccgym.registration import task_names

IDS = [env_id(task) for task in task_names()] + [RANDOM_ID]
INFO_KEYS = ("action_mask", "mults", "peak_memory")
SMALL_RANDOM = {"num_intermediates": (4, 12), "num_outputs": (1, 3), "size": 3}


def graph(task: str) -> ccgym.Graph:
    return benchmarks_tasks.get(task).graph()


def first_cost(g: ccgym.Graph, action: int) -> int:
    """Multiplications of eliminating ``action`` first."""
    return kernels.elimination_cost(g.packed, g.packed.edges, g.intermediate_vertex(action))


def masked_actions(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """A random legal action per slot; 0 where there is none (a finished slot, whose action is ignored)."""
    return np.array([rng.choice(np.flatnonzero(row)) if row.any() else 0 for row in masks])


def assert_same_observations(actual, expected) -> None:
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            np.testing.assert_array_equal(actual[key], expected[key])
    else:
        np.testing.assert_array_equal(actual, expected)


def assert_same_infos(actual: dict, expected: dict) -> None:
    """The vector env's info keys agree with those that SyncVectorEnv collects from single envs."""
    for key in INFO_KEYS:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
        np.testing.assert_array_equal(actual[f"_{key}"], expected[f"_{key}"], err_msg=key)
    assert ("final_obs" in actual) == ("final_obs" in expected)
    if "final_obs" in expected:
        np.testing.assert_array_equal(actual["_final_obs"], expected["_final_obs"])
        for slot in np.flatnonzero(expected["_final_obs"]):
            assert_same_observations(actual["final_obs"][slot], expected["final_obs"][slot])
        assert actual["final_obs"][~expected["_final_obs"]].tolist() == [None] * int((~expected["_final_obs"]).sum())
        np.testing.assert_array_equal(actual["_final_info"], expected["_final_info"])
        assert_same_infos(actual["final_info"], expected["final_info"])


def run_against_sync(native: gym.vector.VectorEnv, sync: SyncVectorEnv, steps: int, seed: int = 0) -> int:
    """Step both with the same random masked actions, checking every output; returns the episodes that ended."""
    rng = np.random.default_rng(seed)
    obs, infos = native.reset(seed=seed)
    expected_obs, expected_infos = sync.reset(seed=seed)
    assert_same_observations(obs, expected_obs)
    assert_same_infos(infos, expected_infos)
    ended = 0
    for _ in range(steps):
        np.testing.assert_array_equal(native.action_masks(), infos["action_mask"])
        actions = masked_actions(rng, infos["action_mask"])
        obs, rewards, terminated, truncated, infos = native.step(actions)
        expected = sync.step(actions)
        assert_same_observations(obs, expected[0])
        for actual, wanted in zip((rewards, terminated, truncated), expected[1:4]):
            np.testing.assert_array_equal(actual, wanted)
        assert_same_infos(infos, expected[4])
        assert native.observation_space.contains(obs)
        ended += int((terminated | truncated).sum())
    return ended


@pytest.mark.parametrize(
    ("task", "options"),
    [
        ("LIF", {}),
        ("RoeFlux", {"reward": "memory"}),
        ("Transformer", {"observation": "dict", "reward": {"mults": 2.0, "memory": 0.5}, "normalize": "reverse"}),
        ("AdaLIF", {"pad_to": (8, 16, 4), "size_scale": 10_000, "reward_scale": 0.1}),
        ("RoeFlux", {"observation": "features"}),
        ("AdaLIF", {"observation": "features", "pad_to": (8, 16, 4)}),
    ],
)
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_every_slot_is_a_single_env_stepping_the_same_actions(task, options, mode):
    g = graph(task)
    native = CCElimVectorEnv(g, 3, autoreset_mode=mode, **options)
    sync = SyncVectorEnv([lambda: CCElimEnv(g, **options)] * 3, autoreset_mode=mode)
    assert run_against_sync(native, sync, steps=2 * g.num_intermediates + 3) == 6


@pytest.mark.parametrize("observation", ["graph", "features"])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_random_slots_are_seeded_random_single_envs(mode, observation):
    native = RandomCCElimVectorEnv(4, autoreset_mode=mode, observation=observation, **SMALL_RANDOM)
    sync = SyncVectorEnv(
        [lambda: RandomCCElimEnv(observation=observation, **SMALL_RANDOM)] * 4, autoreset_mode=mode
    )
    ended = run_against_sync(native, sync, steps=40, seed=3)
    assert ended >= 8  # episodes of 4 to 12 steps: slots end and restart out of step with each other
    for slot, env in enumerate(sync.envs):
        assert native.graphs[slot].to_json() == env.unwrapped.graph.to_json()


def test_truncation_matches_a_time_limit():
    g = graph("LIF")
    native = CCElimVectorEnv(g, 2, max_episode_steps=4, autoreset_mode=AutoresetMode.SAME_STEP)
    sync = SyncVectorEnv([lambda: gym.wrappers.TimeLimit(CCElimEnv(g), 4)] * 2, autoreset_mode=AutoresetMode.SAME_STEP)
    assert run_against_sync(native, sync, steps=9) == 4


def test_next_step_autoreset_ignores_the_action_and_restarts():
    env = CCElimVectorEnv(graph("LIF"), 2)
    first, _ = env.reset()
    for action in range(10):
        obs, rewards, terminated, _, infos = env.step(np.array([action, 9 - action]))
    assert terminated.all() and not infos["action_mask"].any()
    np.testing.assert_array_equal(infos["episode_cost"]["mults"], infos["mults"])
    assert infos["_episode_cost"].all()
    obs, rewards, terminated, truncated, infos = env.step(np.array([-1, 12345]))  # ignored: the slots reset
    np.testing.assert_array_equal(obs, first)
    assert not rewards.any() and not terminated.any() and not truncated.any() and infos["action_mask"].all()
    assert "episode_cost" not in infos and not infos["mults"].any()


def test_same_step_autoreset_reports_the_last_observation_and_info():
    env = CCElimVectorEnv(graph("LIF"), 2, autoreset_mode="SameStep")
    first, _ = env.reset()
    for action in range(9):
        last, *_ = env.step(np.array([action, action]))
    obs, _, terminated, _, infos = env.step(np.array([9, 9]))
    assert terminated.all()
    np.testing.assert_array_equal(obs, first)
    assert infos["_final_obs"].all() and infos["_final_info"].all() and infos["action_mask"].all()
    ended = np.stack(infos["final_obs"])
    assert not np.array_equal(ended, last) and not np.array_equal(ended, first)
    final = infos["final_info"]
    assert not final["action_mask"].any() and final["episode_cost"]["mults"].tolist() == final["mults"].tolist()
    assert final["mults"][0] == ccgym.cost(env.graph, list(range(10))).mults
    infos = env.step(np.array([0, 0]))[4]  # the new episodes go on, no extra reset step
    assert (infos["mults"] == first_cost(env.graph, 0)).all() and not infos["action_mask"][:, 0].any()


def test_disabled_autoreset_raises_on_a_finished_slot_until_it_is_reset():
    env = CCElimVectorEnv(graph("LIF"), 3, autoreset_mode=AutoresetMode.DISABLED)
    first, _ = env.reset()
    for action in range(10):
        env.step(np.full(3, action))
    with pytest.raises(gym.error.ResetNeeded, match="slot 0 has finished"):
        env.step(np.zeros(3, np.int64))
    reset_mask = np.array([True, False, True])
    obs, infos = env.reset(options={"reset_mask": reset_mask})
    np.testing.assert_array_equal(obs[reset_mask], first[reset_mask])
    np.testing.assert_array_equal(infos["_action_mask"], reset_mask)
    assert not infos["action_mask"][1].any()  # a slot that did not reset sets nothing
    with pytest.raises(gym.error.ResetNeeded, match="slot 1"):
        env.step(np.zeros(3, np.int64))
    env.reset(options={"reset_mask": ~reset_mask})
    assert (env.step(np.zeros(3, np.int64))[4]["mults"] == first_cost(env.graph, 0)).all()
    with pytest.raises(ValueError, match="at least one"):
        env.reset(options={"reset_mask": np.zeros(3, np.bool_)})


def test_illegal_actions_raise_naming_slot_and_action_and_change_nothing():
    env = CCElimVectorEnv(graph("LIF"), 3, pad_to=(6, 12, 3))
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(3, np.int64))
    env.reset()
    env.step(np.array([3, 4, 5]))
    with pytest.raises(ValueError, match=r"slot 1: action 4 is illegal: intermediate 4 is already eliminated"):
        env.step(np.array([4, 4, 6]))
    with pytest.raises(ValueError, match=r"slot 2: action 11 is padding: this slot's graph has 10 intermediates"):
        env.step(np.array([0, 0, 11]))
    with pytest.raises(ValueError, match=r"slot 0: action 12 is not in the action space Discrete\(12\)"):
        env.step(np.array([12, 0, 0]))
    with pytest.raises(ValueError, match="actions must be integers of shape"):
        env.step(np.array([0.0, 1.0, 2.0]))
    twin = CCElimVectorEnv(graph("LIF"), 3, pad_to=(6, 12, 3))
    twin.reset()
    twin.step(np.array([3, 4, 5]))
    for actual, expected in zip(env.step(np.array([0, 0, 0])), twin.step(np.array([0, 0, 0]))):
        np.testing.assert_equal(actual, expected)


def test_copy_false_returns_the_buffers_themselves():
    env = CCElimVectorEnv(graph("LIF"), 2, observation="dict", copy=False)
    obs, infos = env.reset()
    stepped, _, _, _, step_infos = env.step(np.array([0, 1]))
    assert stepped["graph"] is obs["graph"] and stepped["action_mask"].base is infos["action_mask"]
    assert step_infos["action_mask"] is infos["action_mask"]
    copied = CCElimVectorEnv(graph("LIF"), 2)
    first, _ = copied.reset()
    assert copied.step(np.array([0, 1]))[0] is not first


@pytest.mark.parametrize("task", benchmarks_tasks.names())
def test_per_game_returns_are_minus_the_cost_of_each_order(task):
    g = graph(task)
    env = CCElimVectorEnv(g, 4)
    rng = np.random.default_rng(1)
    _, infos = env.reset()
    orders, returns = [[] for _ in range(4)], np.zeros(4)
    for _ in range(g.num_intermediates):
        actions = masked_actions(rng, infos["action_mask"])
        _, rewards, terminated, _, infos = env.step(actions)
        returns += rewards
        for slot, action in enumerate(actions):
            orders[slot].append(int(action))
    assert terminated.all()
    for slot, order in enumerate(orders):
        cost = ccgym.cost(g, order)
        assert returns[slot] == -cost.mults == -infos["episode_cost"]["mults"][slot]
        assert infos["episode_cost"]["peak_memory"][slot] == cost.peak_memory


def test_random_slots_draw_different_graphs_and_reproduce_with_a_seed():
    env, twin = RandomCCElimVectorEnv(4), RandomCCElimVectorEnv(4)
    obs, _ = env.reset(seed=11)
    assert len({g.to_json() for g in env.graphs}) == 4
    np.testing.assert_array_equal(twin.reset(seed=11)[0], obs)
    rng, twin_rng = np.random.default_rng(0), np.random.default_rng(0)
    for _ in range(30):  # past the first episode of every slot
        stepped = env.step(masked_actions(rng, env.action_masks()))
        twin_stepped = twin.step(masked_actions(twin_rng, twin.action_masks()))
        np.testing.assert_array_equal(stepped[0], twin_stepped[0])
        np.testing.assert_array_equal(stepped[1], twin_stepped[1])
    assert [g.to_json() for g in env.graphs] == [g.to_json() for g in twin.graphs]
    assert not np.array_equal(env.reset(seed=12)[0], twin.reset(seed=11)[0])


def test_random_returns_are_minus_the_cost_of_each_graph_and_order():
    env = RandomCCElimVectorEnv(3, num_intermediates=(5, 15))
    rng = np.random.default_rng(2)
    _, infos = env.reset(seed=0)
    orders, returns, checked = [[] for _ in range(3)], np.zeros(3), 0
    for _ in range(40):
        graphs = list(env.graphs)
        actions = masked_actions(rng, infos["action_mask"])
        _, rewards, terminated, _, infos = env.step(actions)
        for slot in range(3):
            if orders[slot] is None:  # this step reset the slot
                orders[slot], returns[slot] = [], 0.0
                continue
            orders[slot].append(int(actions[slot]))
            returns[slot] += rewards[slot]
            if terminated[slot]:
                assert returns[slot] == -ccgym.cost(graphs[slot], orders[slot]).mults
                orders[slot], checked = None, checked + 1
    assert checked >= 6


@pytest.mark.parametrize("env_name", IDS)
def test_make_vec_gives_the_native_env_for_every_id(env_name):
    env = gym.make_vec(env_name, num_envs=2, vectorization_mode="vector_entry_point")
    native = RandomCCElimVectorEnv if env_name == RANDOM_ID else CCElimVectorEnv
    assert type(env) is native and env.spec.id == env_name
    single = gym.make(env_name)
    assert env.single_observation_space == single.observation_space
    assert env.single_action_space == single.action_space
    assert env.observation_space == batch_space(single.observation_space, 2)
    assert env.action_space == spaces.MultiDiscrete([single.action_space.n] * 2)
    assert env.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    obs, infos = env.reset(seed=0)
    assert env.observation_space.contains(obs) and infos["action_mask"].shape == (2, single.action_space.n)
    obs, *_ = env.step(masked_actions(np.random.default_rng(0), env.action_masks()))
    assert env.observation_space.contains(obs)


def test_make_vec_passes_options_and_dict_spaces_batch():
    env = gym.make_vec(
        env_id("MLP"), num_envs=3, vectorization_mode="vector_entry_point",
        observation="dict", autoreset_mode=AutoresetMode.SAME_STEP, max_episode_steps=5,
    )  # fmt: skip
    assert env.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    assert env.observation_space == batch_space(env.single_observation_space, 3)
    obs, _ = env.reset()
    assert obs["action_mask"].dtype == np.int8 and env.observation_space.contains(obs)
    for _ in range(5):
        obs, _, terminated, truncated, infos = env.step(masked_actions(np.random.default_rng(0), env.action_masks()))
    assert truncated.all() and not terminated.any() and infos["_final_obs"].all()
    assert env.observation_space.contains(obs)
    assert env.single_observation_space.contains(infos["final_obs"][0])


def test_gymnasium_vector_wrappers_read_the_episodes():
    env = gym.wrappers.vector.RecordEpisodeStatistics(CCElimVectorEnv(graph("LIF"), 2))
    env.reset(seed=0)
    for _ in range(10):
        _, _, _, _, infos = env.step(masked_actions(np.random.default_rng(0), env.unwrapped.action_masks()))
    assert infos["_episode"].all() and (infos["episode"]["l"] == 10).all()
    assert (infos["episode"]["r"] == -infos["episode_cost"]["mults"]).all()


def test_bench_reports_the_vector_env_beside_the_compiled_kernel():
    records = measure_vector("LIF", seconds=0.05, num_envs=4, rounds=1)
    assert [(record["api"], record.get("observation")) for record in records] == [
        ("compiled kernel", None), ("compiled kernel+dense", None), ("vector", "graph"), ("vector", "features")
    ]  # fmt: skip
    assert records[0]["us_per_elimination"] > 0 and records[2]["policy_us_per_game_step"] > 0
    vector, kernel = records[2]["us_per_game_step"], records[0]["us_per_elimination"]
    assert records[2]["ratio"] == pytest.approx(vector / kernel, rel=0.02)
