"""A maskable actor-critic policy that scores each vertex: one logit per vertex, for graphs of any size.

The features extractor (:class:`GraphFeaturesExtractor`) runs the message
passing of :class:`baselines.networks.GraphPolicyValueNet` over the env's
``observation="features"`` and hands on every vertex's embedding;
:class:`VertexScoringPolicy` replaces sb3-contrib's linear action head (one
weight row per action, tied to one graph size) by the network's shared
per-vertex scorer and its pooled value head. Every weight is shared across
vertices and edges, so a policy's ``state_dict`` fits a policy built for any
other graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from sb3_contrib.common.maskable.distributions import MaskableDistribution
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import Tensor

from baselines.networks import GraphBatch, GraphPolicyValueNet

FEATURE_KEYS = ("vertex", "edge_index", "edge_features", "edge_mask")


class GraphFeaturesExtractor(BaseFeaturesExtractor):
    """Vertex embeddings ``[B, R * width]`` (flattened, as stable-baselines3 wants) of a features observation."""

    def __init__(self, observation_space: spaces.Dict, width: int = 64, layers: int = 3) -> None:
        missing = [key for key in FEATURE_KEYS if key not in observation_space.spaces]
        if missing:
            raise ValueError(f"the graph policy needs observation='features'; the observation lacks {missing}")
        self.rows = observation_space["vertex"].shape[0]
        super().__init__(observation_space, features_dim=self.rows * width)
        self.net = GraphPolicyValueNet(width, layers)

    def forward(self, observations: dict[str, Tensor]) -> Tensor:
        batch = GraphBatch.from_numpy({key: observations[key] for key in FEATURE_KEYS}, observations["vertex"].device)
        return self.net.embed(batch).flatten(1)


class VertexScoringPolicy(MaskableActorCriticPolicy):
    """sb3-contrib's maskable actor-critic whose action head scores each action's vertex embedding.

    Actions ``0 .. A-1`` are the vertex rows ``first_action_row ..`` (the
    env's layout: the number of input rows). The features extractor must be a
    :class:`GraphFeaturesExtractor` (the default); ``net_arch`` and
    ``ortho_init`` do not apply (the network initialises itself near a uniform
    policy and a zero value).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        first_action_row: int,
        features_extractor_class: type[BaseFeaturesExtractor] = GraphFeaturesExtractor,
        **kwargs: Any,
    ) -> None:
        if not issubclass(features_extractor_class, GraphFeaturesExtractor):
            raise TypeError(
                f"the policy scores the vertices of a GraphFeaturesExtractor, not {features_extractor_class}"
            )
        rows = observation_space["vertex"].shape[0]
        if not 0 <= first_action_row <= rows - action_space.n:
            raise ValueError(
                f"actions from row {first_action_row} overrun {rows} vertex rows ({action_space.n} actions)"
            )
        self.first_action_row = first_action_row
        kwargs.update(ortho_init=False, share_features_extractor=True, net_arch=[])
        super().__init__(observation_space, action_space, lr_schedule, features_extractor_class=features_extractor_class,
                         **kwargs)  # fmt: skip

    def _build(self, lr_schedule: Schedule) -> None:
        """Only the optimiser: the heads are the network's, inside the features extractor."""
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(first_action_row=self.first_action_row)
        for key in ("net_arch", "ortho_init"):
            data.pop(key, None)
        return data

    def logits_and_values(self, obs: PyTorchObs) -> tuple[Tensor, Tensor]:
        """``(logits [B, A], values [B, 1])``: one logit per action's vertex (illegal ones at the float minimum)."""
        embeddings = self.extract_features(obs)
        net: GraphPolicyValueNet = self.features_extractor.net
        h = embeddings.view(embeddings.shape[0], -1, net.width)
        logits, values = net.heads(h, obs["vertex"].float(), self.first_action_row, int(self.action_space.n))
        return logits, values.unsqueeze(-1)

    def _distribution(self, logits: Tensor, action_masks: np.ndarray | None) -> MaskableDistribution:
        distribution = self.action_dist.proba_distribution(action_logits=logits)
        if action_masks is not None:
            distribution.apply_masking(action_masks)
        return distribution

    def forward(
        self, obs: PyTorchObs, deterministic: bool = False, action_masks: np.ndarray | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        logits, values = self.logits_and_values(obs)
        distribution = self._distribution(logits, action_masks)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, values, distribution.log_prob(actions)

    def evaluate_actions(
        self, obs: PyTorchObs, actions: Tensor, action_masks: np.ndarray | None = None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        logits, values = self.logits_and_values(obs)
        distribution = self._distribution(logits, action_masks)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: PyTorchObs, action_masks: np.ndarray | None = None) -> MaskableDistribution:
        return self._distribution(self.logits_and_values(obs)[0], action_masks)

    def predict_values(self, obs: PyTorchObs) -> Tensor:
        return self.logits_and_values(obs)[1]
