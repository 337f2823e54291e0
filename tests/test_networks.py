"""The policy-value network: one masked logit per action, any graph size, padding changes nothing."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from baselines.networks import GraphBatch, GraphPolicyValueNet
from ccgym.registration import env_id

torch.set_num_threads(1)


def observe(task: str, actions: list[int], **options) -> tuple[dict, object]:
    """The features observation after ``actions``, and the env's layout."""
    env = gym.make(env_id(task), observation="features", **options)
    obs, _ = env.reset(seed=0)
    for action in actions:
        obs, *_ = env.step(action)
    return obs, env.unwrapped.layout


def as_batch(*observations: dict) -> GraphBatch:
    return GraphBatch.from_numpy({key: np.stack([o[key] for o in observations]) for key in observations[0]})


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return GraphPolicyValueNet(width=16, layers=2).eval()


def test_illegal_actions_get_the_finite_minimum_and_legal_ones_a_real_logit(net):
    obs, layout = observe("LIF", [0, 3])
    with torch.no_grad():
        logits, value = net(as_batch(obs), layout.inputs, layout.intermediates)
    assert logits.shape == (1, layout.intermediates) and value.shape == (1,)
    minimum = torch.finfo(logits.dtype).min
    assert (logits[0, [0, 3]] == minimum).all()
    legal = [a for a in range(layout.intermediates) if a not in (0, 3)]
    assert torch.isfinite(logits[0, legal]).all() and (logits[0, legal] > minimum).all()
    assert torch.softmax(logits, -1)[0, [0, 3]].sum() == 0


def test_one_network_serves_graphs_of_any_size(net):
    with torch.no_grad():
        for task in ("LIF", "RoeFlux", "MLP"):
            obs, layout = observe(task, [])
            logits, value = net(as_batch(obs), layout.inputs, layout.intermediates)
            assert logits.shape == (1, layout.intermediates) and torch.isfinite(value).all()


def test_padding_rows_and_slots_change_nothing(net):
    obs, layout = observe("LIF", [1])
    rows, slots = 7, 40  # empty rows after the outputs and empty edge slots, as a padded layout has
    padded = {
        "vertex": np.concatenate([obs["vertex"], np.zeros((rows, obs["vertex"].shape[1]), np.float32)]),
        "edge_index": np.concatenate([obs["edge_index"], np.zeros((slots, 2), np.int64)]),
        "edge_features": np.concatenate([obs["edge_features"], np.zeros((slots, 4), np.float32)]),
        "edge_mask": np.concatenate([obs["edge_mask"], np.zeros(slots, np.int8)]),
    }
    with torch.no_grad():
        logits, value = net(as_batch(obs), layout.inputs, layout.intermediates)
        padded_logits, padded_value = net(as_batch(padded), layout.inputs, layout.intermediates)
    torch.testing.assert_close(padded_logits, logits)
    torch.testing.assert_close(padded_value, value)


def test_a_padded_layout_keeps_the_real_actions_and_masks_the_rest(net):
    padded, layout = observe("LIF", [1], pad_to=(9, 14, 5))
    with torch.no_grad():
        logits, _ = net(as_batch(padded), layout.inputs, layout.intermediates)
    assert torch.isfinite(logits[0, [0, 2, 9]]).all() and logits[0, 1] == torch.finfo(logits.dtype).min
    assert (logits[0, 10:] == torch.finfo(logits.dtype).min).all()  # LIF has 10 intermediates


def test_states_in_one_batch_do_not_see_each_other(net):
    first, layout = observe("LIF", [])
    second, _ = observe("LIF", [2, 5, 7])
    with torch.no_grad():
        alone = net(as_batch(first), layout.inputs, layout.intermediates)
        together = net(as_batch(first, second), layout.inputs, layout.intermediates)
    torch.testing.assert_close(together[0][:1], alone[0])
    torch.testing.assert_close(together[1][:1], alone[1])


def test_it_learns_to_prefer_an_action():
    torch.manual_seed(0)
    net = GraphPolicyValueNet(width=16, layers=1)
    obs, layout = observe("LIF", [])
    batch = as_batch(obs)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(60):
        logits, value = net(batch, layout.inputs, layout.intermediates)
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([4])) + (value - 0.5).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    logits, value = net(batch, layout.inputs, layout.intermediates)
    assert logits.argmax().item() == 4 and abs(value.item() - 0.5) < 0.1
