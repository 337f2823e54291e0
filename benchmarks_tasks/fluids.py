"""Computational fluid dynamics tasks: Roe's approximate Riemann solver flux.

Both tasks evaluate the numerical flux of Roe, "Approximate Riemann solvers,
parameter vectors, and difference schemes", J. Comput. Phys. 43 (1981), for the
Euler equations of an ideal gas (gamma = 1.4), in the form given by Toro,
"Riemann Solvers and Numerical Methods for Fluid Dynamics", 3rd ed. (2009),
Sec. 11.2-11.3:

    F = 1/2 (F(U_L) + F(U_R)) - 1/2 sum_k |lambda_k| alpha_k r_k

with Roe averages u~ = (sqrt(rho_L) u_L + sqrt(rho_R) u_R) / (sqrt(rho_L) + sqrt(rho_R))
(same for the enthalpy H), a~^2 = (gamma - 1)(H~ - |u~|^2 / 2), rho~ = sqrt(rho_L rho_R)
and the wave strengths in primitive-jump form
alpha_{1,5} = (dp -/+ rho~ a~ du) / (2 a~^2), alpha_2 = drho - dp / a~^2 and, in 3-D,
the shear waves alpha_{3,4} = rho~ dv, rho~ dw. No entropy fix is applied.
AlphaGrad's ``RoeFlux_1d`` and ``RoeFlux_3d`` tasks (Lohoff & Neftci, NeurIPS
2024) are this flux; here the states are given in primitive variables.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._sampling import uniform
from .task import Task

__all__ = ["GAMMA", "ROE_FLUX", "ROE_FLUX_3D", "roe_flux_1d", "roe_flux_3d"]

GAMMA = 1.4
"""Ratio of specific heats of the ideal gas."""


def _total_energy(rho: Tensor, speed2: Tensor, p: Tensor) -> Tensor:
    """Total energy per volume ``p/(gamma-1) + rho |v|^2 / 2``."""
    return p / (GAMMA - 1.0) + 0.5 * rho * speed2


def roe_flux_1d(rho_l: Tensor, u_l: Tensor, p_l: Tensor, rho_r: Tensor, u_r: Tensor, p_r: Tensor
                ) -> tuple[Tensor, Tensor, Tensor]:
    """Roe flux (mass, momentum, energy) between two 1-D Euler states given as (rho, u, p)."""
    e_l = _total_energy(rho_l, u_l * u_l, p_l)
    e_r = _total_energy(rho_r, u_r * u_r, p_r)
    m_l = rho_l * u_l
    m_r = rho_r * u_r
    h_l = (e_l + p_l) / rho_l
    h_r = (e_r + p_r) / rho_r

    sq_l = torch.sqrt(rho_l)
    sq_r = torch.sqrt(rho_r)
    sq_sum = sq_l + sq_r
    u = (sq_l * u_l + sq_r * u_r) / sq_sum
    h = (sq_l * h_l + sq_r * h_r) / sq_sum
    a2 = (GAMMA - 1.0) * (h - 0.5 * u * u)
    a = torch.sqrt(a2)
    rho = sq_l * sq_r

    dp = p_r - p_l
    rho_a_du = rho * a * (u_r - u_l)
    w1 = torch.abs(u - a) * ((dp - rho_a_du) / (2.0 * a2))
    w2 = torch.abs(u) * ((rho_r - rho_l) - dp / a2)
    w3 = torch.abs(u + a) * ((dp + rho_a_du) / (2.0 * a2))

    ua = u * a
    mass = 0.5 * (m_l + m_r) - 0.5 * (w1 + w2 + w3)
    momentum = 0.5 * (m_l * u_l + p_l + m_r * u_r + p_r) - 0.5 * (w1 * (u - a) + w2 * u + w3 * (u + a))
    energy = 0.5 * (u_l * (e_l + p_l) + u_r * (e_r + p_r)) - 0.5 * (
        w1 * (h - ua) + w2 * (0.5 * u * u) + w3 * (h + ua)
    )
    return mass, momentum, energy


def roe_flux_3d(rho_l: Tensor, vel_l: Tensor, p_l: Tensor, rho_r: Tensor, vel_r: Tensor, p_r: Tensor
                ) -> tuple[Tensor, Tensor, Tensor]:
    """Roe flux in the x direction between two 3-D Euler states (rho, velocity (3,), p).

    Returns ``(mass, momentum, energy)`` with ``momentum`` of shape ``(3,)``.
    """
    e_l = _total_energy(rho_l, torch.sum(vel_l * vel_l), p_l)
    e_r = _total_energy(rho_r, torch.sum(vel_r * vel_r), p_r)
    un_l = vel_l[0]
    un_r = vel_r[0]
    m_l = rho_l * un_l
    m_r = rho_r * un_r
    h_l = (e_l + p_l) / rho_l
    h_r = (e_r + p_r) / rho_r

    sq_l = torch.sqrt(rho_l)
    sq_r = torch.sqrt(rho_r)
    sq_sum = sq_l + sq_r
    vel = (sq_l * vel_l + sq_r * vel_r) / sq_sum
    u = vel[0]
    vel_t = vel[1:]
    q2 = torch.sum(vel * vel)
    h = (sq_l * h_l + sq_r * h_r) / sq_sum
    a2 = (GAMMA - 1.0) * (h - 0.5 * q2)
    a = torch.sqrt(a2)
    rho = sq_l * sq_r

    dp = p_r - p_l
    rho_a_du = rho * a * (un_r - un_l)
    w1 = torch.abs(u - a) * ((dp - rho_a_du) / (2.0 * a2))
    w2 = torch.abs(u) * ((rho_r - rho_l) - dp / a2)
    w5 = torch.abs(u + a) * ((dp + rho_a_du) / (2.0 * a2))
    w_shear = torch.abs(u) * (rho * (vel_r[1:] - vel_l[1:]))

    ua = u * a
    w_acoustic = w1 + w2 + w5
    mass = 0.5 * (m_l + m_r) - 0.5 * w_acoustic
    mom_n = 0.5 * (m_l * un_l + p_l + m_r * un_r + p_r) - 0.5 * (w1 * (u - a) + w2 * u + w5 * (u + a))
    mom_t = 0.5 * (m_l * vel_l[1:] + m_r * vel_r[1:]) - 0.5 * (w_acoustic * vel_t + w_shear)
    energy = 0.5 * (un_l * (e_l + p_l) + un_r * (e_r + p_r)) - 0.5 * (
        w1 * (h - ua) + w2 * (0.5 * q2) + w5 * (h + ua) + torch.sum(w_shear * vel_t)
    )
    return mass, torch.cat([mom_n.unsqueeze(0), mom_t]), energy


def _state_1d(gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    return uniform(gen, 0.5, 2.0), uniform(gen, -1.0, 1.0), uniform(gen, 0.5, 2.0)


def _roe_1d_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return _state_1d(gen) + _state_1d(gen)


def _state_3d(gen: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    return uniform(gen, 0.5, 2.0), uniform(gen, -1.0, 1.0, (3,)), uniform(gen, 0.5, 2.0)


def _roe_3d_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return _state_3d(gen) + _state_3d(gen)


_SOURCE = "Roe, J. Comput. Phys. 43 (1981); Toro, Riemann Solvers and Numerical Methods, ch. 11"

ROE_FLUX = Task(
    name="RoeFlux",
    domain="computational fluid dynamics",
    description=(
        "Roe's approximate Riemann solver flux (mass, momentum, energy) of the 1-D Euler "
        "equations (gamma = 1.4) between a left and a right state given as density, velocity, pressure."
    ),
    source=_SOURCE,
    fn=roe_flux_1d,
    make_inputs=_roe_1d_inputs,
    input_names=("rho_l", "u_l", "p_l", "rho_r", "u_r", "p_r"),
    output_names=("mass_flux", "momentum_flux", "energy_flux"),
    published={
        "name": "RoeFlux_1d",
        "sizes": (6, 98, 3),
        "forward": 620,
        "reverse": 364,
        "markowitz": 407,
        "alphagrad": 320,
    },
)

ROE_FLUX_3D = Task(
    name="RoeFlux3d",
    domain="computational fluid dynamics",
    description=(
        "Roe's approximate Riemann solver flux in the x direction of the 3-D Euler equations "
        "(gamma = 1.4) between a left and a right state given as density, velocity vector, pressure; "
        "outputs the mass flux, the momentum flux vector and the energy flux."
    ),
    source=_SOURCE,
    fn=roe_flux_3d,
    make_inputs=_roe_3d_inputs,
    input_names=("rho_l", "vel_l", "p_l", "rho_r", "vel_r", "p_r"),
    output_names=("mass_flux", "momentum_flux", "energy_flux"),
    published={
        "name": "RoeFlux_3d",
        "sizes": (10, 143, 3),
        "forward": 1556,
        "reverse": 979,
        "markowitz": 938,
        "alphagrad": 811,
    },
)
