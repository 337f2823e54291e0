"""Deep-learning tasks: a small MLP and a small transformer, each with a scalar loss.

These follow the two neural-network tasks of AlphaGrad (Lohoff & Neftci,
"Optimizing Automatic Differentiation with Deep Reinforcement Learning",
NeurIPS 2024): a 2-layer perceptron with layer norm (8 input vertices) and a
stack of two attention blocks on 4x4 matrices with layer norm and SiLU
(16 input vertices), both trained with a softmax cross-entropy loss. Layer norm
is written out (Ba, Kiros & Hinton 2016); attention is scaled dot-product
attention (Vaswani et al. 2017); SiLU(x) = x sigmoid(x) (Elfwing et al. 2018).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._sampling import one_hot_rows, uniform
from .task import Task

__all__ = ["MLP", "TRANSFORMER", "layer_norm", "mlp", "silu", "softmax_cross_entropy", "transformer"]

LAYER_NORM_EPS = 1e-5


def layer_norm(x: Tensor, gamma: Tensor, beta: Tensor) -> Tensor:
    """Layer normalisation over the last axis with gain ``gamma`` and bias ``beta``."""
    centred = x - x.mean(dim=-1, keepdim=True)
    var = (centred * centred).mean(dim=-1, keepdim=True)
    return centred * torch.rsqrt(var + LAYER_NORM_EPS) * gamma + beta


def silu(x: Tensor) -> Tensor:
    """SiLU / swish: ``x * sigmoid(x)``."""
    return x * torch.sigmoid(x)


def softmax_cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean over rows of ``-sum(targets * log_softmax(logits))`` (targets: one-hot rows)."""
    return -(targets * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()


# --- MLP ---------------------------------------------------------------------


def mlp(x: Tensor, y: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor,
        gamma: Tensor, beta: Tensor) -> Tensor:
    """Cross-entropy loss of ``softmax(W2 LN(tanh(W1 x + b1)) + b2)`` against ``y``.

    ``x``, ``y``: (1, 4); ``w1``: (8, 4); ``b1``, ``gamma``, ``beta``: (8,);
    ``w2``: (4, 8); ``b2``: (4,).
    """
    hidden = layer_norm(torch.tanh(x @ w1.T + b1), gamma, beta)
    return softmax_cross_entropy(hidden @ w2.T + b2, y)


def _mlp_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return (
        uniform(gen, -1.0, 1.0, (1, 4)),                  # x
        one_hot_rows(gen, 1, 4),                          # y
        uniform(gen, -1.0, 1.0, (8, 4)) / math.sqrt(4),   # w1
        uniform(gen, -0.1, 0.1, (8,)),                    # b1
        uniform(gen, -1.0, 1.0, (4, 8)) / math.sqrt(8),   # w2
        uniform(gen, -0.1, 0.1, (4,)),                    # b2
        uniform(gen, 0.5, 1.5, (8,)),                     # gamma
        uniform(gen, -0.5, 0.5, (8,)),                    # beta
    )


MLP = Task(
    name="MLP",
    domain="deep learning",
    description=(
        "Softmax cross-entropy loss of a 2-layer perceptron (4 -> 8 tanh units with layer norm -> "
        "4 logits) on one example; the inputs are the example, its one-hot label and all parameters."
    ),
    source="Lohoff & Neftci, NeurIPS 2024 (AlphaGrad 2-layer MLP task)",
    fn=mlp,
    make_inputs=_mlp_inputs,
    input_names=("x", "y", "w1", "b1", "w2", "b2", "gamma", "beta"),
    output_names=("loss",),
    published={
        "name": "MLP",
        "sizes": (8, 38, 1),
        "forward": 10930,
        "reverse": 392,
        "markowitz": 4796,
        "alphagrad": 389,
    },
)


# --- Transformer -------------------------------------------------------------


def _attention_block(x: Tensor, wq: Tensor, wk: Tensor, wv: Tensor, w: Tensor, b: Tensor,
                     gamma: Tensor, beta: Tensor) -> Tensor:
    """``SiLU(W LN(x + Attention(x)) + b)`` for a (tokens, features) matrix ``x``."""
    q, k, v = x @ wq.T, x @ wk.T, x @ wv.T
    scores = (q @ k.T) * (1.0 / math.sqrt(x.shape[-1]))
    hidden = layer_norm(x + torch.softmax(scores, dim=-1) @ v, gamma, beta)
    return silu(hidden @ w.T + b)


def transformer(x: Tensor, y: Tensor,
                wq1: Tensor, wk1: Tensor, wv1: Tensor, w1: Tensor, b1: Tensor, gamma1: Tensor, beta1: Tensor,
                wq2: Tensor, wk2: Tensor, wv2: Tensor, w2: Tensor, b2: Tensor, gamma2: Tensor, beta2: Tensor,
                ) -> Tensor:
    """Cross-entropy loss of two stacked attention blocks on 4 tokens of 4 features.

    ``x``: (4, 4) tokens, ``y``: (4, 4) one-hot labels per token, all weight
    matrices (4, 4), biases/gains (4,).
    """
    h = _attention_block(x, wq1, wk1, wv1, w1, b1, gamma1, beta1)
    logits = _attention_block(h, wq2, wk2, wv2, w2, b2, gamma2, beta2)
    return softmax_cross_entropy(logits, y)


def _block_params(gen: torch.Generator) -> tuple[Tensor, ...]:
    mats = tuple(uniform(gen, -1.0, 1.0, (4, 4)) / math.sqrt(4) for _ in range(4))
    return mats + (
        uniform(gen, -0.1, 0.1, (4,)),     # b
        uniform(gen, 0.5, 1.5, (4,)),      # gamma
        uniform(gen, -0.5, 0.5, (4,)),     # beta
    )


def _transformer_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    x = uniform(gen, -1.0, 1.0, (4, 4))
    y = one_hot_rows(gen, 4, 4)
    return (x, y) + _block_params(gen) + _block_params(gen)


TRANSFORMER = Task(
    name="Transformer",
    domain="deep learning",
    description=(
        "Softmax cross-entropy loss of two stacked attention blocks (self-attention with residual, "
        "layer norm, linear layer and SiLU) on a 4x4 token matrix; the inputs are the tokens, "
        "their one-hot labels and all parameters."
    ),
    source="Lohoff & Neftci, NeurIPS 2024 (AlphaGrad transformer task); Vaswani et al. (2017)",
    fn=transformer,
    make_inputs=_transformer_inputs,
    input_names=("x", "y",
                 "wq1", "wk1", "wv1", "w1", "b1", "gamma1", "beta1",
                 "wq2", "wk2", "wv2", "w2", "b2", "gamma2", "beta2"),
    output_names=("loss",),
    published={
        "name": "Transformer",
        "sizes": (16, 90, 1),
        "forward": 135010,
        "reverse": 4688,
        "markowitz": 51869,
        "alphagrad": 4656,
    },
)
