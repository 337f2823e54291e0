"""A size-agnostic policy-value network: message passing over the state's edge list, one logit per vertex.

Input is the compact encoding of :mod:`ccgym.features` for a batch of states
(:class:`GraphBatch`, from the env's ``observation="features"`` or from
``ccgym.features.encode_batch`` on a tree search's leaves). Every weight is
shared across vertices and edges, so one network serves graphs of any size:

1. embed each vertex's features and each edge's features;
2. ``layers`` rounds of message passing: every existing edge ``u -> w`` sends
   a message computed from ``(h_u, h_w, edge)`` forward to ``w`` and another
   backward to ``u``; a vertex averages what it receives from each side and
   updates ``h`` residually (pre-norm MLP);
3. policy: one shared scorer per vertex; the logits of actions ``0 .. A-1``
   are those of rows ``first_action_row ..`` (the env's layout), illegal
   ones set to the dtype's finite minimum (never ``-inf``);
4. value: an MLP over the mean and max of the vertex embeddings.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from ccgym.features import EDGE_FEATURES, LEGAL, VERTEX_FEATURES


class GraphBatch(NamedTuple):
    """A batch of encoded states as tensors (the fields of ``ccgym.features.Features``)."""

    vertex: Tensor  # float32[B, R, F_V]
    edge_index: Tensor  # int64[B, E, 2], rows of (src, dst)
    edge_features: Tensor  # float32[B, E, F_E]
    edge_mask: Tensor  # bool or 0/1 [B, E], where the slot's edge exists

    @classmethod
    def from_numpy(cls, features, device: torch.device | str = "cpu") -> GraphBatch:
        """Tensors from a batched ``ccgym.features.Features`` (or the env's observation dict)."""
        get = features.__getitem__ if isinstance(features, dict) else lambda name: getattr(features, name)
        return cls(
            torch.as_tensor(get("vertex"), dtype=torch.float32, device=device),
            torch.as_tensor(get("edge_index"), dtype=torch.int64, device=device),
            torch.as_tensor(get("edge_features"), dtype=torch.float32, device=device),
            torch.as_tensor(get("edge_mask"), device=device).bool(),
        )


def _mlp(inputs: int, width: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(inputs, width), nn.GELU(), nn.Linear(width, outputs))


class MessagePassing(nn.Module):
    """One round: messages along and against every edge, averaged per vertex, then a residual update."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.forward_message = _mlp(3 * width, width, width)
        self.backward_message = _mlp(3 * width, width, width)
        self.update = _mlp(3 * width, 2 * width, width)

    def forward(self, h: Tensor, edges: Tensor, src: Tensor, dst: Tensor) -> Tensor:
        """``h [B*R, d]``; the existing edges: ``edges [M, d]`` and their flat rows ``src``, ``dst`` ``[M]``."""
        x = self.norm(h)
        pair = torch.cat([x[src], x[dst], edges], dim=-1)
        incoming = _mean_at(self.forward_message(pair), dst, h.shape[0])
        outgoing = _mean_at(self.backward_message(pair), src, h.shape[0])
        return h + self.update(torch.cat([x, incoming, outgoing], dim=-1))


def _mean_at(messages: Tensor, index: Tensor, rows: int) -> Tensor:
    """Mean of the ``messages`` sent to each row (0 where none arrive)."""
    total = messages.new_zeros(rows, messages.shape[-1]).index_add_(0, index, messages)
    count = messages.new_zeros(rows, 1).index_add_(0, index, messages.new_ones(index.shape[0], 1))
    return total / count.clamp(min=1.0)


class GraphPolicyValueNet(nn.Module):
    """Policy logits over actions and a value per state, for graphs of any size.

    Args:
        width: embedding size.
        layers: rounds of message passing.
    """

    def __init__(self, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        self.width = width
        self.vertex_embedding = _mlp(len(VERTEX_FEATURES), width, width)
        self.edge_embedding = _mlp(len(EDGE_FEATURES), width, width)
        self.rounds = nn.ModuleList(MessagePassing(width) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.policy = _mlp(width, width, 1)
        self.value = _mlp(2 * width, width, 1)
        with torch.no_grad():  # start near a uniform policy and a zero value
            self.policy[-1].weight.mul_(0.01)
            self.value[-1].weight.mul_(0.01)

    def embed(self, batch: GraphBatch) -> Tensor:
        """Vertex embeddings ``[B, R, d]`` after message passing."""
        size, rows, _ = batch.vertex.shape
        offsets = (torch.arange(size, device=batch.vertex.device) * rows).view(size, 1)
        alive = batch.edge_mask.reshape(-1).nonzero().squeeze(1)  # only edges that exist now (slots are many more)
        src = (batch.edge_index[..., 0] + offsets).reshape(-1)[alive]
        dst = (batch.edge_index[..., 1] + offsets).reshape(-1)[alive]
        h = self.vertex_embedding(batch.vertex).reshape(size * rows, self.width)
        edges = self.edge_embedding(batch.edge_features.reshape(-1, batch.edge_features.shape[-1])[alive])
        for layer in self.rounds:
            h = layer(h, edges, src, dst)
        return self.norm(h).reshape(size, rows, self.width)

    def forward(self, batch: GraphBatch, first_action_row: int, num_actions: int) -> tuple[Tensor, Tensor]:
        """``(logits [B, A], value [B])``; actions are rows ``first_action_row ..``, illegal ones masked."""
        return self.heads(self.embed(batch), batch.vertex, first_action_row, num_actions)

    def heads(self, h: Tensor, vertex: Tensor, first_action_row: int, num_actions: int) -> tuple[Tensor, Tensor]:
        """:meth:`forward` from the vertex embeddings ``h [B, R, d]`` and the vertex features ``[B, R, F_V]``."""
        actions = slice(first_action_row, first_action_row + num_actions)
        logits = self.policy(h[:, actions]).squeeze(-1)
        legal = vertex[:, actions, LEGAL] > 0.5
        logits = torch.where(legal, logits, torch.finfo(logits.dtype).min)
        present = (vertex[..., :3].sum(-1, keepdim=True) > 0).to(h.dtype)  # padding rows have no kind
        mean = (h * present).sum(1) / present.sum(1).clamp(min=1.0)
        largest = torch.where(present > 0, h, torch.finfo(h.dtype).min).amax(1)
        value = self.value(torch.cat([mean, largest], dim=-1)).squeeze(-1)
        return logits, value
