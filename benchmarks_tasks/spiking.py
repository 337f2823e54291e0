"""Spiking-neuron tasks: LIF, SNN and AdaLIF.

* ``LIF``: one Euler step of a single current-based leaky integrate-and-fire
  neuron with reset by subtraction, written with 9 intermediate operations like
  the hand-built LIF graph (6 inputs, 9 intermediates, 3 outputs) of Lohoff & Neftci,
  "Optimizing Gradient Accumulation in Spiking Neural Networks with AlphaGrad"
  (NNPC 2023), whose gradient AlphaGrad brought from 25 to 22 multiplications.
* ``SNN``: one time step of a two-layer feed-forward LIF network with a
  time-local regression loss on the output spikes, as in Zenke & Neftci,
  "Brain-inspired learning on neuromorphic substrates", Proc. IEEE 109 (2021).
* ``AdaLIF``: one step of a recurrent layer of adaptive-threshold LIF (ALIF)
  neurons as in e-prop, Bellec et al., "A solution to the learning dilemma for
  recurrent networks of spiking neurons", Nat. Commun. 11 (2020).

The spike nonlinearity is the Heaviside step with the SuperSpike fast-sigmoid
surrogate derivative ``1 / (1 + k|x|)^2`` (Zenke & Ganguli, Neural Comput. 30,
2018), implemented by :class:`Spike`.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ._sampling import bernoulli, uniform
from .task import Task

__all__ = ["ADALIF", "LIF", "SNN", "SURROGATE_SLOPE", "Spike", "adalif", "lif", "snn", "spike"]

SURROGATE_SLOPE = 10.0
"""Slope ``k`` of the fast-sigmoid surrogate derivative ``1 / (1 + k|x|)^2``."""


def _surrogate(x: Tensor) -> Tensor:
    return (1.0 + SURROGATE_SLOPE * x.abs()) ** -2


class Spike(torch.autograd.Function):
    """Heaviside step ``H(x) = [x > 0]`` whose derivative is replaced by a surrogate.

    Forward gives exactly 0 or 1; backward (and forward-mode jvp) use
    ``1 / (1 + k|x|)^2`` with ``k = SURROGATE_SLOPE``.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor], output: Tensor) -> None:
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * _surrogate(x)

    @staticmethod
    def jvp(ctx: Any, x_tangent: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return x_tangent * _surrogate(x)


def spike(x: Tensor) -> Tensor:
    """Apply :class:`Spike`."""
    return Spike.apply(x)


# --- LIF ---------------------------------------------------------------------


def lif(u: Tensor, i: Tensor, s: Tensor, alpha: Tensor, beta: Tensor, theta: Tensor
        ) -> tuple[Tensor, Tensor, Tensor]:
    """One step of a current-based LIF neuron (all arguments 0-d).

    ``u``: membrane potential, ``i``: synaptic current, ``s``: incoming spike,
    ``alpha``/``beta``: membrane/synaptic decay factors, ``theta``: threshold.
    The neuron spikes when the integrated membrane crosses ``theta`` and is then
    reset by subtracting ``theta``.
    """
    u_pre = alpha * u + (1.0 - alpha) * i
    i_next = beta * i + (1.0 - beta) * s
    z_next = spike(u_pre - theta)
    u_next = u_pre - theta * z_next
    return u_next, i_next, z_next


def _lif_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return (
        uniform(gen, 0.0, 1.0),      # u
        uniform(gen, 0.0, 2.0),      # i
        bernoulli(gen, 0.5, ()),     # s
        uniform(gen, 0.8, 0.99),     # alpha
        uniform(gen, 0.5, 0.9),      # beta
        uniform(gen, 0.5, 1.0),      # theta
    )


LIF = Task(
    name="LIF",
    domain="spiking neurons",
    description=(
        "One step of a single current-based leaky integrate-and-fire neuron: "
        "u' = alpha*u + (1-alpha)*i - theta*z', i' = beta*i + (1-beta)*s, "
        "z' = H(alpha*u + (1-alpha)*i - theta) with a surrogate derivative."
    ),
    source="Lohoff & Neftci, NNPC 2023 (AlphaGrad LIF neuron graph, 6/9/3 vertices)",
    fn=lif,
    make_inputs=_lif_inputs,
    input_names=("u", "i", "s", "alpha", "beta", "theta"),
    output_names=("u_next", "i_next", "z_next"),
    published={
        "name": "LIF neuron (NNPC 2023)",
        "sizes": (6, 9, 3),
        "forward": 27,
        "reverse": 25,
        "markowitz": 23,
        "alphagrad": 22,
    },
)


# --- SNN ---------------------------------------------------------------------

SNN_DECAY = 0.9
SNN_THRESHOLD = 1.0


def snn(x: Tensor, w1: Tensor, w2: Tensor, u1: Tensor, u2: Tensor, target: Tensor
        ) -> tuple[Tensor, Tensor, Tensor]:
    """One time step of a 4 -> 6 -> 3 LIF network and its time-local loss.

    Each layer integrates ``u_pre = decay*u + W @ z_in``, spikes with
    ``z = H(u_pre - threshold)`` and resets by subtraction. The loss is the mean
    squared error between the output spikes and ``target``. Returns
    ``(loss, u1_next, u2_next)``.
    """
    u1_pre = SNN_DECAY * u1 + w1 @ x
    z1 = spike(u1_pre - SNN_THRESHOLD)
    u1_next = u1_pre - SNN_THRESHOLD * z1
    u2_pre = SNN_DECAY * u2 + w2 @ z1
    z2 = spike(u2_pre - SNN_THRESHOLD)
    u2_next = u2_pre - SNN_THRESHOLD * z2
    loss = ((z2 - target) ** 2).mean()
    return loss, u1_next, u2_next


def _snn_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return (
        bernoulli(gen, 0.5, (4,)),           # x: input spikes
        uniform(gen, -0.5, 1.0, (6, 4)),     # w1
        uniform(gen, -0.5, 1.0, (3, 6)),     # w2
        uniform(gen, 0.0, 1.0, (6,)),        # u1
        uniform(gen, 0.0, 1.0, (3,)),        # u2
        bernoulli(gen, 0.5, (3,)),           # target spikes
    )


SNN = Task(
    name="SNN",
    domain="spiking neurons",
    description=(
        "One time step of a two-layer (4 -> 6 -> 3) LIF spiking network with reset by "
        "subtraction and a mean-squared-error loss of the output spikes against a target; "
        "returns the loss and the new membrane potentials."
    ),
    source="Zenke & Neftci, Proc. IEEE 109 (2021): LIF layer u' = alpha*u + W z, time-local loss",
    fn=snn,
    make_inputs=_snn_inputs,
    input_names=("x", "w1", "w2", "u1", "u2", "target"),
    output_names=("loss", "u1_next", "u2_next"),
)


# --- AdaLIF ------------------------------------------------------------------

ADALIF_ALPHA = math.exp(-1.0 / 20.0)   # membrane decay, tau_m = 20 ms, dt = 1 ms
ADALIF_RHO = math.exp(-1.0 / 200.0)    # adaptation decay, tau_a = 200 ms
ADALIF_BETA = 1.8                      # adaptation strength
ADALIF_V_TH = 0.6                      # baseline threshold


def adalif(x: Tensor, z: Tensor, v: Tensor, a: Tensor, w_in: Tensor, w_rec: Tensor
           ) -> tuple[Tensor, Tensor, Tensor]:
    """One step of a recurrent layer of adaptive-threshold LIF neurons (e-prop ALIF).

    ``v' = alpha*v + W_in x + W_rec z - z*v_th``, ``a' = rho*a + z``,
    ``A' = v_th + beta*a'`` and ``z' = H(v' - A')``. Returns ``(v', a', z')``.
    """
    v_next = ADALIF_ALPHA * v + w_in @ x + w_rec @ z - ADALIF_V_TH * z
    a_next = ADALIF_RHO * a + z
    threshold = ADALIF_V_TH + ADALIF_BETA * a_next
    z_next = spike(v_next - threshold)
    return v_next, a_next, z_next


def _adalif_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return (
        bernoulli(gen, 0.5, (3,)),           # x: input spikes
        bernoulli(gen, 0.3, (4,)),           # z: previous spikes
        uniform(gen, 0.0, 1.0, (4,)),        # v
        uniform(gen, 0.0, 0.5, (4,)),        # a
        uniform(gen, -0.5, 1.5, (4, 3)),     # w_in
        uniform(gen, -0.5, 0.5, (4, 4)),     # w_rec
    )


ADALIF = Task(
    name="AdaLIF",
    domain="spiking neurons",
    description=(
        "One step of a recurrent layer of 4 adaptive-threshold LIF neurons driven by 3 inputs: "
        "threshold A = v_th + beta*a, adaptation a' = rho*a + z, membrane "
        "v' = alpha*v + W_in x + W_rec z - z*v_th, spike z' = H(v' - A') with a surrogate derivative."
    ),
    source="Bellec et al., Nat. Commun. 11 (2020), e-prop ALIF neuron model (Methods)",
    fn=adalif,
    make_inputs=_adalif_inputs,
    input_names=("x", "z", "v", "a", "w_in", "w_rec"),
    output_names=("v_next", "a_next", "z_next"),
)
