import sys
from pathlib import Path

import numpy as np
import torch

from ccgym import kernels

sys.path.insert(0, str(Path(__file__).parent))


def flatten_jacobian(jacobian) -> list[torch.Tensor]:
    """The blocks of a (possibly nested) jacrev-style Jacobian, in order."""
    if isinstance(jacobian, torch.Tensor):
        return [jacobian]
    return [block for part in jacobian for block in flatten_jacobian(part)]


def assert_same_jacobian(actual, expected) -> None:
    """Same nesting, same shapes, equal to float64 round-off."""
    assert type(actual) is type(expected)
    blocks, reference = flatten_jacobian(actual), flatten_jacobian(expected)
    assert len(blocks) == len(reference)
    for block, ref in zip(blocks, reference):
        assert block.dtype == torch.float64
        assert block.shape == ref.shape
        torch.testing.assert_close(block, ref, rtol=1e-9, atol=1e-11)


def random_states(packed: kernels.PackedGraph, count: int, seed: int):
    """``count`` states reached by random prefixes of random orders: ``(edges, eliminated)`` pairs."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        edges, eliminated = packed.initial_state()
        for action in rng.permutation(packed.num_intermediates)[: rng.integers(packed.num_intermediates + 1)]:
            kernels.step(packed, edges, eliminated, int(action))
        yield edges, eliminated
