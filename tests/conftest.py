import sys
from pathlib import Path

import numpy as np
import pytest
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


@pytest.fixture(scope="session")
def board_plan():
    """The plan of :func:`board`: LIF and AdaLIF, four methods, searches by evaluations, exact until proven."""
    from baselines.budget import Budget
    from baselines.leaderboard.run import Plan

    return Plan(
        tasks=["LIF", "AdaLIF"],
        methods=["forward", "markowitz", "beam", "exact"],
        seeds=[0],
        budget=Budget(evaluations=20),
        exact_budget=Budget(seconds=10.0),  # both optima are proven in about a second; the margin is for a busy machine
    )


@pytest.fixture(scope="session")
def board(tmp_path_factory, board_plan) -> Path:
    """A small leaderboard CSV written by ``run``, with the proofs of its exact bounds beside it."""
    from baselines.leaderboard.run import run

    path = tmp_path_factory.mktemp("board") / "leaderboard.csv"
    report = run(board_plan, path, progress=False)
    assert not report.refused and len(report.written) == 8
    return path


def random_states(packed: kernels.PackedGraph, count: int, seed: int):
    """``count`` states reached by random prefixes of random orders: ``(edges, eliminated)`` pairs."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        edges, eliminated = packed.initial_state()
        touched = kernels.scratch(packed)
        for action in rng.permutation(packed.num_intermediates)[: rng.integers(packed.num_intermediates + 1)]:
            kernels.step(packed, edges, eliminated, int(action), touched)
        yield edges, eliminated
