"""The ordered list of benchmark tasks."""

from __future__ import annotations

from .alphagrad import ALPHAGRAD_TASKS
from .finance import BLACK_SCHOLES
from .fluids import ROE_FLUX, ROE_FLUX_3D
from .minpack import HUMAN_HEART_DIPOLE, PROPANE_COMBUSTION
from .neural import MLP, TRANSFORMER
from .random_functions import RANDOM_F, RANDOM_G
from .robotics import ROBOT_ARM
from .spiking import ADALIF, LIF, SNN
from .task import Task

__all__ = ["TASKS"]

TASKS: tuple[Task, ...] = (
    LIF,
    SNN,
    ADALIF,
    ROE_FLUX,
    ROE_FLUX_3D,
    ROBOT_ARM,
    HUMAN_HEART_DIPOLE,
    PROPANE_COMBUSTION,
    BLACK_SCHOLES,
    MLP,
    TRANSFORMER,
    RANDOM_F,
    RANDOM_G,
    *ALPHAGRAD_TASKS,
)
