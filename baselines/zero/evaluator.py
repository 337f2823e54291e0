"""The policy-value network as the tree search's evaluator: every game's leaf encoded and scored in one call."""

from __future__ import annotations

import numpy as np
import torch

from baselines.mcts import Leaves
from baselines.networks import GraphBatch, GraphPolicyValueNet
from ccgym import features
from ccgym.kernels import PackedBatch


class StateEncoder:
    """Network inputs for ``B`` states of a batch's graphs, encoded into buffers allocated once."""

    def __init__(self, batch: PackedBatch, plans: features.FeaturePlan, device: str) -> None:
        self.batch = batch
        self.plans = plans
        self.device = device
        size, rows = plans.rows.shape[0], plans.vertex_static.shape[1]
        self.buffers = features.empty_features(rows, plans.edge_index.shape[1], size)

    def encode(self, edges: np.ndarray, eliminated: np.ndarray) -> GraphBatch:
        """The network's input for states ``edges[B, V, V]`` (:func:`ccgym.features.encode_batch`)."""
        features.encode_batch(self.batch, self.plans, edges, eliminated, self.buffers)
        return GraphBatch.from_numpy(self.buffers, self.device)


class NetworkEvaluator:
    """``evaluate(leaves) -> (logits, values)`` for :class:`baselines.mcts.Searcher`, from a network.

    The network's value is read in the search's units: minus the
    multiplications to come over the graph's normalizer.
    """

    def __init__(self, net: GraphPolicyValueNet, encoder: StateEncoder) -> None:
        self.net = net
        self.encoder = encoder

    @torch.no_grad()
    def __call__(self, leaves: Leaves) -> tuple[np.ndarray, np.ndarray]:
        self.net.eval()
        batch = self.encoder.batch
        inputs = self.encoder.encode(leaves.edges, leaves.eliminated)
        logits, values = self.net(inputs, batch.num_inputs, batch.num_intermediates)
        return logits.double().cpu().numpy(), values.double().cpu().numpy()
