"""The --device flag: CUDA is refused, naming the flag, where torch sees no CUDA device."""

import pytest
import torch

from baselines.bench.mcts import main as bench_mcts
from baselines.device import check_device
from baselines.zero.train import Config


def test_cuda_is_refused_where_torch_sees_none_and_accepted_where_it_does(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert check_device("cpu") == "cpu"
    with pytest.raises(ValueError, match=r"--device cuda:1: no CUDA device is available here"):
        check_device("cuda:1")
    with pytest.raises(ValueError, match="no CUDA device"):
        Config(device="cuda")  # the agents' settings check it
    with pytest.raises(SystemExit) as exit_status:
        bench_mcts(["--device", "cuda"])  # before any measuring
    assert exit_status.value.code == 2
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert check_device("cuda") == "cuda"
