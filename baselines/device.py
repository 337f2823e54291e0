"""The ``--device`` flag of the learned agents and the benchmarks."""

from __future__ import annotations


def check_device(device: str) -> str:
    """``device``, unless it names CUDA where torch sees no CUDA device: then ``ValueError`` naming the flag."""
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: no CUDA device is available here")
    return device
