"""PyTorch networks over ccgym's compact observation (``ccgym.features``), shared by the learned agents."""

from baselines.networks.graph_network import GraphBatch, GraphPolicyValueNet

__all__ = ["GraphBatch", "GraphPolicyValueNet"]
