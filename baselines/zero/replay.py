"""A replay buffer of self-play positions: each a compact state key with its search targets."""

from __future__ import annotations

import numpy as np


class ReplayBuffer:
    """The last ``capacity`` positions: graph slot, state key, improved policy and value target, in ring arrays.

    A position is stored as its graph's slot in the run's
    :class:`~baselines.zero.graphs.GraphPool` and its state key
    (:func:`ccgym.kernels.state_key`), not as an encoding: states are
    order-free, so the key rebuilds the state
    (:func:`ccgym.kernels.state_from_key`) when a batch is sampled.
    """

    def __init__(self, capacity: int, key_words: int, num_actions: int) -> None:
        self.slots = np.zeros(capacity, np.int64)
        self.keys = np.zeros((capacity, key_words), np.uint64)
        self.policies = np.zeros((capacity, num_actions), np.float32)
        self.values = np.zeros(capacity, np.float32)
        self.size = 0
        self.next = 0

    def add(self, slots: np.ndarray, keys: np.ndarray, policies: np.ndarray, values: np.ndarray) -> None:
        """Append positions (rows of the four arrays), overwriting the oldest when full."""
        for slot, key, policy, value in zip(slots, keys, policies, values):
            self.slots[self.next], self.keys[self.next] = slot, key
            self.policies[self.next], self.values[self.next] = policy, value
            self.next = (self.next + 1) % len(self.values)
            self.size = min(self.size + 1, len(self.values))

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``count`` positions drawn uniformly with replacement: ``(slots, keys, policies, values)``."""
        index = rng.integers(self.size, size=count)
        return self.slots[index], self.keys[index], self.policies[index], self.values[index]

    def state_dict(self) -> dict:
        """Everything needed to restore the buffer (for checkpoints)."""
        arrays = {"slots": self.slots, "keys": self.keys, "policies": self.policies, "values": self.values}
        return {**arrays, "size": self.size, "next": self.next}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` gave."""
        if state["keys"].shape != self.keys.shape or state["policies"].shape != self.policies.shape:
            raise ValueError("the checkpoint's replay buffer does not fit this run's graph and capacity")
        self.slots[:], self.keys[:] = state["slots"], state["keys"]
        self.policies[:], self.values[:] = state["policies"], state["values"]
        self.size, self.next = int(state["size"]), int(state["next"])
