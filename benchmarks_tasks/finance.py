"""Finance task: the first-order greeks of the Black-Scholes call (``BlackScholes``).

For a European call without dividends (Black & Scholes, J. Polit. Econ. 81, 1973),

    C = S N(d1) - K exp(-rT) N(d2),
    d1 = (ln(S/K) + (r + sigma^2/2) T) / (sigma sqrt(T)),   d2 = d1 - sigma sqrt(T),

with N(x) = (1 + erf(x / sqrt(2))) / 2 and density phi(x) = exp(-x^2/2) / sqrt(2 pi),
the first-order sensitivities in closed form (e.g. Hull, "Options, Futures, and
Other Derivatives", ch. 19) are

    delta  = dC/dS     = N(d1)
    dual   = dC/dK     = -exp(-rT) N(d2)
    vega   = dC/dsigma = S phi(d1) sqrt(T)
    rho    = dC/dr     = K T exp(-rT) N(d2)
    theta  = -dC/dT    = -S phi(d1) sigma / (2 sqrt(T)) - r K exp(-rT) N(d2).

The Jacobian of this task is thus the matrix of second-order greeks (the
Hessian of C, with the theta row negated), which is what AlphaGrad's
``BlackScholes_Jacobian`` task (Lohoff & Neftci, NeurIPS 2024) computes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._sampling import uniform
from .task import Task

__all__ = ["BLACK_SCHOLES", "black_scholes_greeks"]


def _normal_cdf(x: Tensor) -> Tensor:
    return 0.5 * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


def black_scholes_greeks(s: Tensor, k: Tensor, sigma: Tensor, r: Tensor, t: Tensor
                         ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """``(delta, dual_delta, vega, rho, theta)`` of a European call (all 0-d)."""
    sqrt_t = torch.sqrt(t)
    sigma_sqrt_t = sigma * sqrt_t
    d1 = (torch.log(s / k) + (r + 0.5 * sigma * sigma) * t) / sigma_sqrt_t
    d2 = d1 - sigma_sqrt_t
    discount = torch.exp(-(r * t))
    s_phi_d1 = s * (torch.exp(-0.5 * d1 * d1) * (1.0 / math.sqrt(2.0 * math.pi)))
    k_disc_n_d2 = k * discount * _normal_cdf(d2)
    delta = _normal_cdf(d1)
    dual_delta = -(discount * _normal_cdf(d2))
    vega = s_phi_d1 * sqrt_t
    rho = t * k_disc_n_d2
    theta = -(s_phi_d1 * sigma / (2.0 * sqrt_t)) - r * k_disc_n_d2
    return delta, dual_delta, vega, rho, theta


def _black_scholes_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return (
        uniform(gen, 80.0, 120.0),   # spot S
        uniform(gen, 80.0, 120.0),   # strike K
        uniform(gen, 0.1, 0.5),      # volatility sigma
        uniform(gen, 0.0, 0.1),      # interest rate r
        uniform(gen, 0.25, 2.0),     # time to maturity T (years)
    )


BLACK_SCHOLES = Task(
    name="BlackScholes",
    domain="computational finance",
    description=(
        "Closed-form first-order greeks (delta, dC/dK, vega, rho, theta) of the Black-Scholes "
        "European call price, so that the Jacobian of the task is the matrix of second-order greeks."
    ),
    source="Black & Scholes (1973); greeks as in Hull, Options, Futures, and Other Derivatives",
    fn=black_scholes_greeks,
    make_inputs=_black_scholes_inputs,
    input_names=("S", "K", "sigma", "r", "T"),
    output_names=("delta", "dual_delta", "vega", "rho", "theta"),
    published={
        "name": "BlackScholes_Jacobian",
        "sizes": (5, 129, 5),
        "forward": 545,
        "reverse": 572,
        "markowitz": 350,
        "alphagrad": 312,
    },
)
