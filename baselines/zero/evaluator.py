"""The policy-value network as the tree search's evaluator: every game's leaf encoded and scored in one call."""

from __future__ import annotations

import numpy as np
import torch

from baselines.mcts import Leaves
from baselines.networks import GraphBatch, GraphPolicyValueNet
from ccgym import features
from ccgym.kernels import PackedBatch


class NetworkEvaluator:
    """``evaluate(leaves) -> (logits, values)`` for :class:`baselines.mcts.Searcher`, from a network.

    The leaves are encoded with :func:`ccgym.features.encode_batch` into
    buffers allocated once; the network's value is read in the search's
    units (minus the multiplications to come over the graph's normalizer).
    """

    def __init__(self, net: GraphPolicyValueNet, batch: PackedBatch, plans: features.FeaturePlan, device: str) -> None:
        self.net = net
        self.batch = batch
        self.plans = plans
        self.device = device
        size, rows = plans.rows.shape[0], plans.vertex_static.shape[1]
        self.buffers = features.empty_features(rows, plans.edge_index.shape[1], size)

    def encode(self, edges: np.ndarray, eliminated: np.ndarray) -> GraphBatch:
        """The network's input for states ``edges[B, V, V]`` of this batch's graphs."""
        features.encode_batch(self.batch, self.plans, edges, eliminated, self.buffers)
        return GraphBatch.from_numpy(self.buffers, self.device)

    @torch.no_grad()
    def __call__(self, leaves: Leaves) -> tuple[np.ndarray, np.ndarray]:
        self.net.eval()
        logits, values = self.net(self.encode(leaves.edges, leaves.eliminated), self.batch.num_inputs, self.batch.num_intermediates)
        return logits.double().cpu().numpy(), values.double().cpu().numpy()
