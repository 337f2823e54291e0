"""Tests of the benchmark task functions in ``benchmarks_tasks``.

Generic checks run on every task; the domain oracles compare against
independent implementations (numpy, 4x4 matrices, autograd of a price,
torch.nn.functional) or against properties from the literature.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

import benchmarks_tasks as bt
from benchmarks_tasks.random_functions import RANDOM_F_SEED, RANDOM_G_SEED, random_function
from benchmarks_tasks.spiking import Spike

FUNCTION_NAMES = [
    "LIF", "SNN", "AdaLIF", "RoeFlux", "RoeFlux3d", "RobotArm", "HumanHeartDipole",
    "PropaneCombustion", "BlackScholes", "MLP", "Transformer", "RandomF", "RandomG",
]
IMPORTED_NAMES = [
    f"AlphaGrad-{name}"
    for name in ("RoeFlux_1d", "RobotArm_6DOF", "HumanHeartDipole", "PropaneCombustion", "g", "BlackScholes_Jacobian")
]
EXPECTED_NAMES = FUNCTION_NAMES + IMPORTED_NAMES
PUBLISHED_KEYS = {"name", "sizes", "forward", "reverse", "markowitz", "alphagrad"}


def f64(*values: float) -> tuple[Tensor, ...]:
    return tuple(torch.tensor(v, dtype=torch.float64) for v in values)


def as_tuple(out: Tensor | tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    return out if isinstance(out, tuple) else (out,)


def flatten(tree: object) -> list[Tensor]:
    if isinstance(tree, Tensor):
        return [tree]
    return [leaf for item in tree for leaf in flatten(item)]


# --- registry and generic checks ---------------------------------------------


def test_names_and_order() -> None:
    assert bt.names() == EXPECTED_NAMES
    assert [bt.get(n).name for n in EXPECTED_NAMES] == EXPECTED_NAMES
    assert [n for n in EXPECTED_NAMES if bt.get(n).executable] == FUNCTION_NAMES


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(KeyError) as info:
        bt.get("NoSuchTask")
    for name in EXPECTED_NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_metadata(name: str) -> None:
    task = bt.get(name)
    assert isinstance(task, bt.Task)
    assert task.domain and task.description and task.source
    assert len(set(task.input_names)) == len(task.input_names)
    assert len(set(task.output_names)) == len(task.output_names)
    assert len(task.input_shapes) == len(task.input_names)
    assert len(task.output_shapes) == len(task.output_names)
    if name in ("SNN", "AdaLIF"):
        assert task.published is None
    else:
        assert set(task.published) == PUBLISHED_KEYS | ({"orders"} if name in IMPORTED_NAMES else set())
        assert len(task.published["sizes"]) == 3


@pytest.mark.parametrize("name", IMPORTED_NAMES)
def test_imported_tasks_have_no_function(name: str) -> None:
    """The paper's own graphs are costed only: asking for a function's inputs says so instead of failing later."""
    task = bt.get(name)
    assert task.fn is None and task.make_inputs is None and not task.executable
    assert task.input_shapes == ((),) * len(task.input_names)
    assert task.output_shapes == ((),) * len(task.output_names)
    with pytest.raises(ValueError, match="costed, not executed"):
        task.example_inputs()


def test_a_task_has_a_function_or_a_graph_loader_not_both() -> None:
    common = {"name": "T", "domain": "d", "description": "d", "source": "s", "input_names": (), "output_names": ()}
    function = {"fn": torch.sin, "make_inputs": lambda gen: ()}
    for parts in ({}, {"fn": torch.sin}, {**function, "load_graph": lambda: None}):
        with pytest.raises(ValueError, match="either fn and make_inputs, or load_graph"):
            bt.Task(**common, **parts)
    assert bt.Task(**common, **function).executable


@pytest.mark.parametrize("name", FUNCTION_NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_runs_on_example_inputs(name: str, seed: int) -> None:
    task = bt.get(name)
    inputs = task.example_inputs(seed)
    assert len(inputs) == len(task.input_names)
    for x in inputs:
        assert x.dtype == torch.float64 and x.ndim <= 4
    for a, b in zip(inputs, task.example_inputs(seed)):
        assert torch.equal(a, b)
    out = task.fn(*inputs)
    assert isinstance(out, tuple) == (len(task.output_names) > 1)
    outs = as_tuple(out)
    assert len(outs) == len(task.output_names)
    for y in outs:
        assert isinstance(y, Tensor) and y.dtype == torch.float64
        assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_jacobian_is_finite(name: str) -> None:
    task = bt.get(name)
    inputs = task.example_inputs()
    jac = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
    blocks = flatten(jac)
    assert len(blocks) == len(task.input_names) * len(task.output_names)
    for block in blocks:
        assert block.dtype == torch.float64
        assert torch.isfinite(block).all()


# forward-mode AD loads torch-internal decompositions that still use torch.jit.script
JIT_WARNING = "ignore:`torch.jit.script` is deprecated:DeprecationWarning"


@pytest.mark.filterwarnings(JIT_WARNING)
@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_forward_and_reverse_jacobians_agree(name: str) -> None:
    task = bt.get(name)
    inputs = task.example_inputs(1)
    argnums = tuple(range(len(inputs)))
    rev = flatten(torch.func.jacrev(task.fn, argnums=argnums)(*inputs))
    fwd = flatten(torch.func.jacfwd(task.fn, argnums=argnums)(*inputs))
    for a, b in zip(rev, fwd):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# --- spiking -----------------------------------------------------------------


def test_spike_forward_is_heaviside() -> None:
    x = torch.tensor([-1.0, -1e-12, 0.0, 1e-12, 2.0], dtype=torch.float64)
    assert torch.equal(Spike.apply(x), torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0], dtype=torch.float64))


@pytest.mark.filterwarnings(JIT_WARNING)
def test_spike_backward_is_fast_sigmoid_surrogate() -> None:
    x = torch.linspace(-2.0, 2.0, 41, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(Spike.apply(x).sum(), x)
    expected = 1.0 / (1.0 + 10.0 * x.detach().abs()) ** 2
    torch.testing.assert_close(grad, expected, rtol=0, atol=1e-15)
    _, tangent = torch.func.jvp(Spike.apply, (x.detach(),), (torch.ones_like(x),))
    torch.testing.assert_close(tangent, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(20))
def test_lif_spikes_exactly_when_membrane_crosses_threshold(seed: int) -> None:
    task = bt.get("LIF")
    u, i, s, alpha, beta, theta = task.example_inputs(seed)
    u_pre = alpha * u + (1 - alpha) * i
    # the drawn threshold, and thresholds just below and above the integrated membrane
    for th in (theta, u_pre - 1e-9, u_pre + 1e-9):
        u_next, i_next, z_next = task.fn(u, i, s, alpha, beta, th)
        crossed = bool(u_pre > th)
        assert z_next.item() == (1.0 if crossed else 0.0)
        torch.testing.assert_close(u_next, u_pre - th * z_next)
        torch.testing.assert_close(i_next, beta * i + (1 - beta) * s)


def test_snn_matches_layerwise_reference() -> None:
    task = bt.get("SNN")
    x, w1, w2, u1, u2, target = task.example_inputs(3)
    loss, u1_next, u2_next = task.fn(x, w1, w2, u1, u2, target)
    v1 = 0.9 * u1 + w1 @ x
    z1 = (v1 > 1.0).double()
    v2 = 0.9 * u2 + w2 @ z1
    z2 = (v2 > 1.0).double()
    torch.testing.assert_close(u1_next, v1 - z1)
    torch.testing.assert_close(u2_next, v2 - z2)
    torch.testing.assert_close(loss, F.mse_loss(z2, target))


def test_adalif_follows_eprop_equations() -> None:
    task = bt.get("AdaLIF")
    x, z, v, a, w_in, w_rec = task.example_inputs(2)
    v_next, a_next, z_next = task.fn(x, z, v, a, w_in, w_rec)
    alpha, rho, beta, v_th = math.exp(-1 / 20), math.exp(-1 / 200), 1.8, 0.6
    torch.testing.assert_close(v_next, alpha * v + w_in @ x + w_rec @ z - v_th * z)
    torch.testing.assert_close(a_next, rho * a + z)
    assert torch.equal(z_next, (v_next > v_th + beta * a_next).double())


# --- Roe flux ----------------------------------------------------------------

GAMMA = 1.4


def euler_flux_1d(rho: float, u: float, p: float) -> np.ndarray:
    energy = p / (GAMMA - 1) + 0.5 * rho * u * u
    return np.array([rho * u, rho * u * u + p, u * (energy + p)])


def euler_flux_3d(rho: float, vel: np.ndarray, p: float) -> np.ndarray:
    energy = p / (GAMMA - 1) + 0.5 * rho * vel @ vel
    return np.concatenate([[rho * vel[0]], rho * vel[0] * vel + p * np.eye(3)[0], [vel[0] * (energy + p)]])


def roe_1d(*state: float) -> np.ndarray:
    return np.array([f.item() for f in bt.get("RoeFlux").fn(*f64(*state))])


def roe_3d(rho_l: float, vel_l: np.ndarray, p_l: float, rho_r: float, vel_r: np.ndarray, p_r: float
           ) -> np.ndarray:
    mass, mom, energy = bt.get("RoeFlux3d").fn(*f64(rho_l, vel_l, p_l, rho_r, vel_r, p_r))
    return np.concatenate([[mass.item()], mom.numpy(), [energy.item()]])


@pytest.mark.parametrize("seed", range(5))
def test_roe_1d_consistent_with_euler_flux(seed: int) -> None:
    rho, u, p = (x.item() for x in bt.get("RoeFlux").example_inputs(seed)[:3])
    np.testing.assert_allclose(roe_1d(rho, u, p, rho, u, p), euler_flux_1d(rho, u, p), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_roe_1d_mirror_symmetry(seed: int) -> None:
    rho_l, u_l, p_l, rho_r, u_r, p_r = (x.item() for x in bt.get("RoeFlux").example_inputs(seed))
    flux = roe_1d(rho_l, u_l, p_l, rho_r, u_r, p_r)
    mirrored = roe_1d(rho_r, -u_r, p_r, rho_l, -u_l, p_l)
    np.testing.assert_allclose(mirrored, flux * np.array([-1.0, 1.0, -1.0]), rtol=1e-12, atol=1e-13)


def test_roe_1d_is_upwind_for_supersonic_flow() -> None:
    # all Roe eigenvalues positive (negative): the flux is the left (right) physical flux
    left, right = (1.0, 3.0, 1.0), (1.5, 3.5, 2.0)
    np.testing.assert_allclose(roe_1d(*left, *right), euler_flux_1d(*left), rtol=1e-12)
    left, right = (1.0, -3.5, 2.0), (1.5, -3.0, 1.0)
    np.testing.assert_allclose(roe_1d(*left, *right), euler_flux_1d(*right), rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_roe_3d_consistent_with_euler_flux(seed: int) -> None:
    rho, vel, p = (x.numpy() for x in bt.get("RoeFlux3d").example_inputs(seed)[:3])
    np.testing.assert_allclose(roe_3d(rho, vel, p, rho, vel, p), euler_flux_3d(rho, vel, p),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_roe_3d_mirror_symmetry(seed: int) -> None:
    rho_l, vel_l, p_l, rho_r, vel_r, p_r = (x.numpy() for x in bt.get("RoeFlux3d").example_inputs(seed))
    flux = roe_3d(rho_l, vel_l, p_l, rho_r, vel_r, p_r)
    mirrored = roe_3d(rho_r, -vel_r, p_r, rho_l, -vel_l, p_l)
    np.testing.assert_allclose(mirrored, flux * np.array([-1.0, 1.0, 1.0, 1.0, -1.0]), rtol=1e-12, atol=1e-13)


def test_roe_3d_is_upwind_for_supersonic_flow() -> None:
    left = (1.0, np.array([3.0, 0.5, -0.2]), 1.0)
    right = (1.5, np.array([3.5, -0.3, 0.4]), 2.0)
    np.testing.assert_allclose(roe_3d(*left, *right), euler_flux_3d(*left), rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_roe_3d_reduces_to_1d_without_tangential_velocity(seed: int) -> None:
    rho_l, u_l, p_l, rho_r, u_r, p_r = (x.item() for x in bt.get("RoeFlux").example_inputs(seed))
    flux_3d = roe_3d(rho_l, np.array([u_l, 0.0, 0.0]), p_l, rho_r, np.array([u_r, 0.0, 0.0]), p_r)
    flux_1d = roe_1d(rho_l, u_l, p_l, rho_r, u_r, p_r)
    np.testing.assert_allclose(flux_3d[[0, 1, 4]], flux_1d, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(flux_3d[2:4], 0.0, atol=1e-14)


# --- robot arm ---------------------------------------------------------------

PUMA560 = [  # (d, a, alpha), Corke's standard DH model of the PUMA 560
    (0.0, 0.0, math.pi / 2), (0.0, 0.4318, 0.0), (0.15005, 0.0203, -math.pi / 2),
    (0.4318, 0.0, math.pi / 2), (0.0, 0.0, -math.pi / 2), (0.0, 0.0, 0.0),
]


def dh_matrix(q: Tensor, d: float, a: float, alpha: float) -> Tensor:
    c, s = torch.cos(q), torch.sin(q)
    ca, sa = torch.tensor(math.cos(alpha), dtype=torch.float64), torch.tensor(math.sin(alpha), dtype=torch.float64)
    zero, one = torch.zeros_like(q), torch.ones_like(q)
    return torch.stack([
        torch.stack([c, -s * ca, s * sa, a * c]),
        torch.stack([s, c * ca, -c * sa, a * s]),
        torch.stack([zero, sa + zero, ca + zero, d + zero]),
        torch.stack([zero, zero, zero, one]),
    ])


def reference_pose(*q: Tensor) -> tuple[Tensor, ...]:
    t = torch.eye(4, dtype=torch.float64)
    for qi, params in zip(q, PUMA560):
        t = t @ dh_matrix(qi, *params)
    r = t[:3, :3]
    roll = torch.atan2(r[2, 1], r[2, 2])
    pitch = torch.asin(-r[2, 0])
    yaw = torch.atan2(r[1, 0], r[0, 0])
    return t[0, 3], t[1, 3], t[2, 3], roll, pitch, yaw


@pytest.mark.parametrize("seed", range(10))
def test_robot_arm_matches_dh_matrix_product(seed: int) -> None:
    task = bt.get("RobotArm")
    q = task.example_inputs(seed)
    for got, want in zip(task.fn(*q), reference_pose(*q)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    argnums = tuple(range(6))
    jac = flatten(torch.func.jacrev(task.fn, argnums=argnums)(*q))
    ref = flatten(torch.func.jacrev(reference_pose, argnums=argnums)(*q))
    for got, want in zip(jac, ref):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_robot_arm_zero_pose() -> None:
    # Corke, Robotics, Vision and Control: p560.fkine(qz) has translation (0.4521, -0.1500, 0.4318)
    x, y, z, roll, pitch, yaw = bt.get("RobotArm").fn(*f64(*[0.0] * 6))
    np.testing.assert_allclose([x.item(), y.item(), z.item()], [0.4521, -0.15005, 0.4318], atol=1e-12)
    np.testing.assert_allclose([roll.item(), pitch.item(), yaw.item()], 0.0, atol=1e-12)


# --- MINPACK-2 ---------------------------------------------------------------

HHD1 = {"mx": 0.485, "my": -0.0019, "A": -0.0581, "B": 0.015, "C": 0.105, "D": 0.0406, "E": 0.167, "F": -0.399}


def hhd_numpy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residual and analytic Jacobian of MINPACK-2 dhhdfj (data set DHHD1)."""
    a, b, c, d, t, u, v, w = x
    s = HHD1
    f = np.array([
        a + b - s["mx"],
        c + d - s["my"],
        t * a + u * b - v * c - w * d - s["A"],
        v * a + w * b + t * c + u * d - s["B"],
        a * (t**2 - v**2) - 2 * c * t * v + b * (u**2 - w**2) - 2 * d * u * w - s["C"],
        c * (t**2 - v**2) + 2 * a * t * v + d * (u**2 - w**2) + 2 * b * u * w - s["D"],
        a * t * (t**2 - 3 * v**2) + c * v * (v**2 - 3 * t**2)
        + b * u * (u**2 - 3 * w**2) + d * w * (w**2 - 3 * u**2) - s["E"],
        c * t * (t**2 - 3 * v**2) - a * v * (v**2 - 3 * t**2)
        + d * u * (u**2 - 3 * w**2) - b * w * (w**2 - 3 * u**2) - s["F"],
    ])
    tsvs, usws = t**2 - v**2, u**2 - w**2
    j = np.array([
        [1, 1, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0, 0, 0, 0],
        [t, u, -v, -w, a, b, -c, -d],
        [v, w, t, u, c, d, a, b],
        [tsvs, usws, -2 * t * v, -2 * u * w, 2 * (a * t - c * v), 2 * (b * u - d * w),
         -2 * (a * v + c * t), -2 * (b * w + d * u)],
        [2 * t * v, 2 * u * w, tsvs, usws, 2 * (c * t + a * v), 2 * (d * u + b * w),
         2 * (a * t - c * v), 2 * (b * u - d * w)],
        [t * (t**2 - 3 * v**2), u * (u**2 - 3 * w**2), v * (v**2 - 3 * t**2), w * (w**2 - 3 * u**2),
         3 * (a * tsvs - 2 * c * t * v), 3 * (b * usws - 2 * d * u * w),
         -3 * (c * tsvs + 2 * a * t * v), -3 * (d * usws + 2 * b * u * w)],
        [-v * (v**2 - 3 * t**2), -w * (w**2 - 3 * u**2), t * (t**2 - 3 * v**2), u * (u**2 - 3 * w**2),
         3 * (c * tsvs + 2 * a * t * v), 3 * (d * usws + 2 * b * u * w),
         3 * (a * tsvs - 2 * c * t * v), 3 * (b * usws - 2 * d * u * w)],
    ], dtype=float)
    return f, j


K = {5: 0.193, 6: 2.597e-3, 7: 3.448e-3, 8: 1.799e-5, 9: 2.155e-4, 10: 3.846e-5}
P, R = 40.0, 10.0


def propane_numpy(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residual and analytic Jacobian of MINPACK-2 dcpffj (combustion of propane, full)."""
    x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11 = x
    r = P / x11
    sr = math.sqrt(r)
    f = np.array([
        x1 + x4 - 3,
        2 * x1 + x2 + x4 + x7 + x8 + x9 + 2 * x10 - R,
        2 * x2 + 2 * x5 + x6 + x7 - 8,
        2 * x3 + x9 - 4 * R,
        K[5] * x2 * x4 - x1 * x5,
        K[6] * math.sqrt(x2 * x4) - math.sqrt(x1) * x6 * sr,
        K[7] * math.sqrt(x1 * x2) - math.sqrt(x4) * x7 * sr,
        K[8] * x1 - x4 * x8 * r,
        K[9] * x1 * math.sqrt(x3) - x4 * x9 * sr,
        K[10] * x1**2 - x4**2 * x10 * r,
        x11 - sum(x[:10]),
    ])
    j = np.zeros((11, 11))
    j[10, :10] = -1.0
    j[10, 10] = 1.0
    xfrac = 1.0 / math.sqrt(x11) ** 3
    sp = math.sqrt(P)
    j[0, [0, 3]] = 1
    j[1, [0, 1, 3, 6, 7, 8, 9]] = [2, 1, 1, 1, 1, 1, 2]
    j[2, [1, 4, 5, 6]] = [2, 2, 1, 1]
    j[3, [2, 8]] = [2, 1]
    j[4, [0, 1, 3, 4]] = [-x5, K[5] * x4, K[5] * x2, -x1]
    j[5, [0, 1, 3, 5, 10]] = [-0.5 * x6 * sr / math.sqrt(x1), 0.5 * K[6] * math.sqrt(x4 / x2),
                              0.5 * K[6] * math.sqrt(x2 / x4), -math.sqrt(x1) * sr,
                              0.5 * math.sqrt(x1) * x6 * sp * xfrac]
    j[6, [0, 1, 3, 6, 10]] = [0.5 * K[7] * math.sqrt(x2 / x1), 0.5 * K[7] * math.sqrt(x1 / x2),
                              -0.5 * x7 * sr / math.sqrt(x4), -math.sqrt(x4) * sr,
                              0.5 * math.sqrt(x4) * x7 * sp * xfrac]
    j[7, [0, 3, 7, 10]] = [K[8], -x8 * r, -x4 * r, x4 * x8 * P / x11**2]
    j[8, [0, 2, 3, 8, 10]] = [K[9] * math.sqrt(x3), 0.5 * K[9] * x1 / math.sqrt(x3), -x9 * sr,
                              -x4 * sr, 0.5 * x4 * x9 * sp * xfrac]
    j[9, [0, 3, 9, 10]] = [2 * K[10] * x1, -2 * x4 * x10 * r, -x4**2 * r, x4**2 * x10 * P / x11**2]
    return f, j


@pytest.mark.parametrize(("name", "reference"), [("HumanHeartDipole", hhd_numpy),
                                                 ("PropaneCombustion", propane_numpy)])
@pytest.mark.parametrize("seed", range(5))
def test_minpack_matches_numpy_reference(name: str, reference, seed: int) -> None:
    task = bt.get(name)
    inputs = task.example_inputs(seed)
    f_ref, j_ref = reference(np.array([x.item() for x in inputs]))
    np.testing.assert_allclose([f.item() for f in task.fn(*inputs)], f_ref, rtol=1e-12, atol=1e-14)
    jac = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
    j = np.array([[entry.item() for entry in row] for row in jac])
    np.testing.assert_allclose(j, j_ref, rtol=1e-10, atol=1e-14)


# --- Black-Scholes -----------------------------------------------------------


def call_price(s: Tensor, k: Tensor, sigma: Tensor, r: Tensor, t: Tensor) -> Tensor:
    d1 = (torch.log(s / k) + (r + sigma**2 / 2) * t) / (sigma * torch.sqrt(t))
    d2 = d1 - sigma * torch.sqrt(t)
    return s * torch.special.ndtr(d1) - k * torch.exp(-r * t) * torch.special.ndtr(d2)


@pytest.mark.parametrize("seed", range(5))
def test_black_scholes_greeks_are_price_derivatives(seed: int) -> None:
    task = bt.get("BlackScholes")
    inputs = task.example_inputs(seed)
    grad = torch.func.grad(call_price, argnums=tuple(range(5)))(*inputs)
    sign = (1.0, 1.0, 1.0, 1.0, -1.0)  # theta = -dC/dT
    for greek, g, sg in zip(task.fn(*inputs), grad, sign):
        torch.testing.assert_close(greek, sg * g, rtol=1e-10, atol=1e-12)
    hessian = torch.func.hessian(call_price, argnums=tuple(range(5)))(*inputs)
    jac = torch.func.jacrev(task.fn, argnums=tuple(range(5)))(*inputs)
    for row_j, row_h, sg in zip(jac, hessian, sign):
        for got, want in zip(row_j, row_h):
            torch.testing.assert_close(got, sg * want, rtol=1e-8, atol=1e-10)


# --- neural networks ---------------------------------------------------------


def test_mlp_matches_torch_functional() -> None:
    task = bt.get("MLP")
    x, y, w1, b1, w2, b2, gamma, beta = task.example_inputs(4)
    h = F.layer_norm(torch.tanh(F.linear(x, w1, b1)), (8,), gamma, beta, eps=1e-5)
    want = F.cross_entropy(F.linear(h, w2, b2), y.argmax(dim=-1))
    torch.testing.assert_close(task.fn(x, y, w1, b1, w2, b2, gamma, beta), want)


def test_transformer_matches_torch_functional() -> None:
    task = bt.get("Transformer")
    x, y, *params = task.example_inputs(4)

    def block(h: Tensor, wq: Tensor, wk: Tensor, wv: Tensor, w: Tensor, b: Tensor,
              gamma: Tensor, beta: Tensor) -> Tensor:
        att = F.scaled_dot_product_attention(F.linear(h, wq), F.linear(h, wk), F.linear(h, wv))
        return F.silu(F.linear(F.layer_norm(h + att, (4,), gamma, beta, eps=1e-5), w, b))

    want = F.cross_entropy(block(block(x, *params[:7]), *params[7:]), y.argmax(dim=-1))
    torch.testing.assert_close(task.fn(x, y, *params), want)


# --- random functions --------------------------------------------------------

RANDOM_SPECS = {
    "RandomF": (RANDOM_F_SEED, ((4,), (2, 3), (4, 4), (4, 1)), 80, 5, False),
    "RandomG": (RANDOM_G_SEED, ((),) * 15, 105, 20, True),
}


@pytest.mark.parametrize("name", list(RANDOM_SPECS))
def test_random_function_regenerates_bit_for_bit(name: str) -> None:
    seed, shapes, num_ops, num_outputs, scalar_only = RANDOM_SPECS[name]
    task = bt.get(name)
    rebuilt = random_function(seed, shapes, num_ops, num_outputs, scalar_only=scalar_only)
    again = random_function(seed, shapes, num_ops, num_outputs, scalar_only=scalar_only)
    assert rebuilt.program == again.program == task.fn.program
    for seed_inputs in range(3):
        inputs = task.example_inputs(seed_inputs)
        for a, b in zip(task.fn(*inputs), rebuilt(*inputs)):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", list(RANDOM_SPECS))
def test_random_function_shapes_and_size(name: str) -> None:
    _, shapes, num_ops, num_outputs, scalar_only = RANDOM_SPECS[name]
    task = bt.get(name)
    assert task.input_shapes == shapes == task.fn.input_shapes
    assert len(task.fn.program) == num_ops
    assert len(task.output_names) == num_outputs
    if scalar_only:
        assert all(shape == () for shape in task.output_shapes)
    with pytest.raises(ValueError):
        task.fn(*[torch.zeros(3, dtype=torch.float64)] * len(shapes))


@pytest.mark.parametrize("name", list(RANDOM_SPECS))
def test_random_function_uses_every_input_and_value(name: str) -> None:
    task = bt.get(name)
    fn = task.fn
    consumed = {i for ins in fn.program for i in ins.args}
    num_inputs = len(fn.input_shapes)
    assert set(range(num_inputs)) <= consumed
    # every computed value feeds a later operation or is an output: no dead code
    assert consumed | set(fn.outputs) == set(range(num_inputs + len(fn.program)))
    inputs = task.example_inputs()
    jac = torch.func.jacrev(fn, argnums=tuple(range(num_inputs)))(*inputs)
    for k in range(num_inputs):
        assert any(bool(row[k].abs().sum() > 0) for row in jac)
    for row in jac:
        assert any(bool(block.abs().sum() > 0) for block in row)


def test_random_function_depends_on_seed() -> None:
    shapes = ((4,), (2, 3), (4, 4), (4, 1))
    assert random_function(1, shapes, 80, 5).program != random_function(2, shapes, 80, 5).program


@pytest.mark.parametrize("seed", range(3))
def test_random_function_is_finite_on_whole_input_box(seed: int) -> None:
    # bounds hold for all inputs in [-1, 1]: try the corners of the box too
    task = bt.get("RandomG")
    for corner in (-1.0, 1.0):
        inputs = tuple(torch.full(x.shape, corner, dtype=torch.float64) for x in task.example_inputs(seed))
        assert all(torch.isfinite(y).all() for y in task.fn(*inputs))
