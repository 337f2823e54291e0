"""Robotics task: forward kinematics of a 6-DOF arm (``RobotArm``).

The arm is the Unimation PUMA 560 with the standard Denavit-Hartenberg
parameters of Corke's Robotics Toolbox (``mdl_puma560``; Corke &
Armstrong-Helouvry, "A search for consensus among model parameters reported
for the PUMA 560 robot", ICRA 1994), in metres:

    joint   d         a        alpha
    1       0         0        +pi/2
    2       0         0.4318   0
    3       0.15005   0.0203   -pi/2
    4       0.4318    0        +pi/2
    5       0         0        -pi/2
    6       0         0        0

with the link transform A_i = Rot_z(q_i) Trans_z(d_i) Trans_x(a_i) Rot_x(alpha_i)
(no base or tool transform). The transforms are multiplied out with scalar
arithmetic; constant factors (the zeros, the signs from cos/sin alpha, the link
lengths) are kept symbolic while the graph is built, so structural zeros cost
nothing and only the entries the outputs need are computed. The orientation is given as roll-pitch-yaw angles
(R = Rot_z(yaw) Rot_y(pitch) Rot_x(roll)), with atan2 written through the
half-angle identity atan2(y, x) = 2 atan(y / (sqrt(x^2 + y^2) + x)).
AlphaGrad's ``RobotArm_6DOF`` task (Lohoff & Neftci, NeurIPS 2024) is the same
kind of function for a different industrial arm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from ._sampling import uniform
from .task import Task

__all__ = ["PUMA560_DH", "ROBOT_ARM", "robot_arm"]

PUMA560_DH: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.0, math.pi / 2),
    (0.0, 0.4318, 0.0),
    (0.15005, 0.0203, -math.pi / 2),
    (0.4318, 0.0, math.pi / 2),
    (0.0, 0.0, -math.pi / 2),
    (0.0, 0.0, 0.0),
)
"""Standard DH parameters ``(d, a, alpha)`` of the PUMA 560, joints 1 to 6."""

@dataclass(frozen=True)
class _Term:
    """The value ``coef * value`` with the Python constant ``coef`` kept symbolic."""

    coef: float
    value: Tensor

    def tensor(self) -> Tensor:
        """Materialise ``coef * value`` (a sign flip or a scaling only where needed)."""
        if self.coef == 1.0:
            return self.value
        if self.coef == -1.0:
            return -self.value
        return self.coef * self.value


Entry = float | _Term
"""A matrix entry: a constant, or a constant times a 0-d tensor."""


def _mul(x: Entry, y: Entry) -> Entry:
    if isinstance(x, _Term) and not isinstance(y, _Term):
        x, y = y, x
    if not isinstance(y, _Term):
        return x * y
    if not isinstance(x, _Term):
        return 0.0 if x == 0.0 else _Term(x * y.coef, y.value)
    return _Term(x.coef * y.coef, x.value * y.value)


def _add(x: Entry, y: Entry) -> Entry:
    if isinstance(x, _Term) and not isinstance(y, _Term):
        x, y = y, x
    if not isinstance(y, _Term):
        return x + y
    if not isinstance(x, _Term):
        return y if x == 0.0 else _Term(y.coef, y.value + x / y.coef)
    if x.coef == y.coef:
        return _Term(x.coef, x.value + y.value)
    if x.coef == -y.coef:
        return _Term(x.coef, x.value - y.value)
    return _Term(x.coef, x.value + (y.coef / x.coef) * y.value)


def _is_zero(x: Entry) -> bool:
    return not isinstance(x, _Term) and x == 0.0


class _Frame:
    """The top 3 rows of a homogeneous 4x4 transform (the last row is 0 0 0 1).

    Entries of products are computed on first access and cached, and structural
    zeros are known without computing anything, so only the entries that the
    outputs need become operations.
    """

    def __init__(self, compute: Callable[[int, int], Entry], zeros: frozenset[tuple[int, int]]) -> None:
        self._compute = compute
        self._cache: dict[tuple[int, int], Entry] = {}
        self.zeros = zeros

    def __getitem__(self, ij: tuple[int, int]) -> Entry:
        if ij not in self._cache:
            self._cache[ij] = self._compute(*ij)
        return self._cache[ij]

    def __matmul__(self, other: _Frame) -> _Frame:
        def terms(i: int, j: int) -> list[int]:
            return [k for k in range(3) if (i, k) not in self.zeros and (k, j) not in other.zeros]

        def entry(i: int, j: int) -> Entry:
            total: Entry = self[i, 3] if j == 3 else 0.0
            for k in terms(i, j):
                total = _add(total, _mul(self[i, k], other[k, j]))
            return total

        zeros = frozenset((i, j) for i in range(3) for j in range(4)
                          if not terms(i, j) and (j != 3 or (i, 3) in self.zeros))
        return _Frame(entry, zeros)


def _snap(v: float) -> float:
    """Round ``v`` to an exact integer when it is one up to round-off (cos(pi/2) -> 0)."""
    return float(round(v)) if abs(v - round(v)) < 1e-12 else v


def _dh_frame(q: Tensor, d: float, a: float, alpha: float) -> _Frame:
    """The DH link transform ``Rot_z(q) Trans_z(d) Trans_x(a) Rot_x(alpha)``."""
    ca, sa = _snap(math.cos(alpha)), _snap(math.sin(alpha))
    c, s = _Term(1.0, torch.cos(q)), _Term(1.0, torch.sin(q))
    rows: list[list[Entry]] = [
        [c, _mul(-ca, s), _mul(sa, s), _mul(a, c)],
        [s, _mul(ca, c), _mul(-sa, c), _mul(a, s)],
        [0.0, sa, ca, d],
    ]
    zeros = frozenset((i, j) for i in range(3) for j in range(4) if _is_zero(rows[i][j]))
    return _Frame(lambda i, j: rows[i][j], zeros)


def _atan2(y: Tensor, x: Tensor) -> Tensor:
    """atan2 via the half-angle identity (valid except on the ray y = 0, x <= 0)."""
    return 2.0 * torch.atan(y / (torch.sqrt(x * x + y * y) + x))


def robot_arm(q1: Tensor, q2: Tensor, q3: Tensor, q4: Tensor, q5: Tensor, q6: Tensor
              ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """End-effector pose of the PUMA 560: ``(x, y, z, roll, pitch, yaw)``."""
    a1, a2, a3, a4, a5, a6 = (_dh_frame(q, *p) for q, p in zip((q1, q2, q3, q4, q5, q6), PUMA560_DH))
    pose = (a1 @ a2 @ a3) @ (a4 @ a5 @ a6)
    r11, r21, r31, r32, r33, x, y, z = (
        pose[ij].tensor() for ij in ((0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (0, 3), (1, 3), (2, 3))
    )
    roll = _atan2(r32, r33)
    pitch = torch.asin(-r31)
    yaw = _atan2(r21, r11)
    return x, y, z, roll, pitch, yaw


def _robot_arm_inputs(gen: torch.Generator) -> tuple[Tensor, ...]:
    return tuple(uniform(gen, -math.pi, math.pi) for _ in range(6))


ROBOT_ARM = Task(
    name="RobotArm",
    domain="robotics",
    description=(
        "Forward kinematics of the 6-DOF PUMA 560 arm: from the six joint angles, the product of "
        "the Denavit-Hartenberg link transforms gives the end-effector position (x, y, z) and its "
        "orientation as roll-pitch-yaw angles."
    ),
    source=(
        "Denavit-Hartenberg forward kinematics; PUMA 560 standard DH parameters from Corke's "
        "Robotics Toolbox (Corke & Armstrong-Helouvry, ICRA 1994)"
    ),
    fn=robot_arm,
    make_inputs=_robot_arm_inputs,
    input_names=("q1", "q2", "q3", "q4", "q5", "q6"),
    output_names=("x", "y", "z", "roll", "pitch", "yaw"),
    published={
        "name": "RobotArm_6DOF",
        "sizes": (6, 108, 6),
        "forward": 397,
        "reverse": 301,
        "markowitz": 288,
        "alphagrad": 231,
    },
)
