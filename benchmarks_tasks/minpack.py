"""Nonlinear-equation tasks from the MINPACK-2 test problem collection.

Averick, Carter, Moré & Xue, "The MINPACK-2 test problem collection",
Argonne National Laboratory, Preprint MCS-P153-0692 (1992):

* ``HumanHeartDipole`` (subroutine ``dhhdfj``): the human heart dipole problem
  of Nelson & Hodgkin in the formulation of Dennis, Gay & Vu (1985); 8 unknowns
  (a, b, c, d, t, u, v, w), 8 residuals. Data set ``DHHD1`` (experiment 791129).
* ``PropaneCombustion`` (subroutine ``dcpffj``): combustion of propane in air,
  full formulation of Meintjes & Morgan (1990); 11 unknowns, 11 residuals, with
  pressure p = 40, R = 10 and the equilibrium constants K5..K10 of MINPACK-2.

AlphaGrad (Lohoff & Neftci, NeurIPS 2024) uses both residual functions as
Jacobian benchmarks ("HumanHeartDipole", "PropaneCombustion").
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._sampling import uniform
from .task import Task

__all__ = [
    "HHD_DATA",
    "HHD_START",
    "HUMAN_HEART_DIPOLE",
    "PROPANE_COMBUSTION",
    "PROPANE_K",
    "PROPANE_P",
    "PROPANE_R",
    "PROPANE_START",
    "human_heart_dipole",
    "propane_combustion",
]

# --- Human heart dipole ------------------------------------------------------

HHD_DATA: dict[str, float] = {
    "sum_mx": 0.485, "sum_my": -0.0019, "sum_a": -0.0581, "sum_b": 0.015,
    "sum_c": 0.105, "sum_d": 0.0406, "sum_e": 0.167, "sum_f": -0.399,
}
"""Measured sums of data set DHHD1 (experiment 791129)."""

HHD_START: tuple[float, ...] = (0.299, 0.186, -0.0273, 0.0254, -0.474, 0.474, -0.0892, 0.0892)
"""MINPACK-2 standard starting point of data set DHHD1."""


def human_heart_dipole(a: Tensor, b: Tensor, c: Tensor, d: Tensor,
                       t: Tensor, u: Tensor, v: Tensor, w: Tensor) -> tuple[Tensor, ...]:
    """The 8 residuals of the human heart dipole problem (MINPACK-2 ``dhhdfj``, DHHD1)."""
    s = HHD_DATA
    tt, vv, uu, ww = t * t, v * v, u * u, w * w
    tv, uw = t * v, u * w
    tsvs, usws = tt - vv, uu - ww
    ts3vs, vs3ts = tt - 3.0 * vv, vv - 3.0 * tt
    us3ws, ws3us = uu - 3.0 * ww, ww - 3.0 * uu
    at, bu, cv, dw = a * t, b * u, c * v, d * w
    ct, du, av, bw = c * t, d * u, a * v, b * w
    f1 = a + b - s["sum_mx"]
    f2 = c + d - s["sum_my"]
    f3 = at + bu - cv - dw - s["sum_a"]
    f4 = av + bw + ct + du - s["sum_b"]
    f5 = a * tsvs - 2.0 * c * tv + b * usws - 2.0 * d * uw - s["sum_c"]
    f6 = c * tsvs + 2.0 * a * tv + d * usws + 2.0 * b * uw - s["sum_d"]
    f7 = at * ts3vs + cv * vs3ts + bu * us3ws + dw * ws3us - s["sum_e"]
    f8 = ct * ts3vs - av * vs3ts + du * us3ws - bw * ws3us - s["sum_f"]
    return f1, f2, f3, f4, f5, f6, f7, f8


def _hhd_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return tuple(x0 + uniform(gen, -0.5, 0.5) for x0 in HHD_START)


HUMAN_HEART_DIPOLE = Task(
    name="HumanHeartDipole",
    domain="physiology (nonlinear equations)",
    description=(
        "Residuals of the MINPACK-2 human heart dipole problem: 8 polynomial equations in the "
        "dipole unknowns (a, b, c, d, t, u, v, w) that match measured sums (data set DHHD1)."
    ),
    source="MINPACK-2 test problem collection (Averick et al. 1992), dhhdfj; Dennis, Gay & Vu (1985)",
    fn=human_heart_dipole,
    make_inputs=_hhd_inputs,
    input_names=("a", "b", "c", "d", "t", "u", "v", "w"),
    output_names=tuple(f"f{i}" for i in range(1, 9)),
    published={
        "name": "HumanHeartDipole",
        "sizes": (8, 78, 8),
        "forward": 240,
        "reverse": 172,
        "markowitz": 194,
        "alphagrad": 148,
    },
)

# --- Combustion of propane (full formulation) --------------------------------

PROPANE_P = 40.0
PROPANE_R = 10.0
PROPANE_K: dict[int, float] = {5: 1.930e-1, 6: 2.597e-3, 7: 3.448e-3, 8: 1.799e-5, 9: 2.155e-4, 10: 3.846e-5}
"""Equilibrium constants K5..K10 of MINPACK-2 ``dcpffj``."""

PROPANE_START: tuple[float, ...] = (
    5.0, 2.5, 5.0, 0.1,
    5.0e-2 * PROPANE_K[5],
    PROPANE_K[6] / math.sqrt(PROPANE_P),
    5.0e1 * PROPANE_K[7] / math.sqrt(PROPANE_P),
    1.0e3 * PROPANE_K[8] / PROPANE_P,
    5.0e2 * PROPANE_K[9] / math.sqrt(PROPANE_P),
    5.0e4 * PROPANE_K[10] / PROPANE_P,
    20.0,
)
"""MINPACK-2 standard starting point."""


def propane_combustion(x1: Tensor, x2: Tensor, x3: Tensor, x4: Tensor, x5: Tensor, x6: Tensor,
                       x7: Tensor, x8: Tensor, x9: Tensor, x10: Tensor, x11: Tensor
                       ) -> tuple[Tensor, ...]:
    """The 11 residuals of the propane combustion problem (MINPACK-2 ``dcpffj``).

    All unknowns must be positive (square roots).
    """
    k = PROPANE_K
    p_x11 = PROPANE_P / x11
    sqrt_p_x11 = torch.sqrt(p_x11)
    f1 = x1 + x4 - 3.0
    f2 = 2.0 * x1 + x2 + x4 + x7 + x8 + x9 + 2.0 * x10 - PROPANE_R
    f3 = 2.0 * x2 + 2.0 * x5 + x6 + x7 - 8.0
    f4 = 2.0 * x3 + x9 - 4.0 * PROPANE_R
    f5 = k[5] * x2 * x4 - x1 * x5
    f6 = k[6] * torch.sqrt(x2 * x4) - torch.sqrt(x1) * x6 * sqrt_p_x11
    f7 = k[7] * torch.sqrt(x1 * x2) - torch.sqrt(x4) * x7 * sqrt_p_x11
    f8 = k[8] * x1 - x4 * x8 * p_x11
    f9 = k[9] * x1 * torch.sqrt(x3) - x4 * x9 * sqrt_p_x11
    f10 = k[10] * x1 * x1 - x4 * x4 * x10 * p_x11
    f11 = x11 - (x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10)
    return f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11


def _propane_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return tuple(x0 * uniform(gen, 0.5, 1.5) for x0 in PROPANE_START)


PROPANE_COMBUSTION = Task(
    name="PropaneCombustion",
    domain="chemistry (nonlinear equations)",
    description=(
        "Residuals of the MINPACK-2 combustion of propane problem (full formulation): 11 equations "
        "of element balance and chemical equilibrium in the 11 product mole numbers."
    ),
    source="MINPACK-2 test problem collection (Averick et al. 1992), dcpffj; Meintjes & Morgan (1990)",
    fn=propane_combustion,
    make_inputs=_propane_inputs,
    input_names=tuple(f"x{i}" for i in range(1, 12)),
    output_names=tuple(f"f{i}" for i in range(1, 12)),
    published={
        "name": "PropaneCombustion",
        "sizes": (11, 51, 11),
        "forward": 151,
        "reverse": 90,
        "markowitz": 111,
        "alphagrad": 88,
    },
)
