"""Wall-clock measurements of a callable: median and quartiles after a warm-up, and the machine they were taken on.

Every runtime figure ccgym reports (the ``reward="runtime"`` environments, the
leaderboard's ``runtime_us`` rows, ``python -m baselines.bench.runtime``) is a
:class:`Timing` from :func:`measure`: ``warmup`` calls that are not timed
(first-call costs: allocations, caches, lazy initialisation), then calls timed
one by one with ``time.perf_counter`` until both ``repeats`` calls and
``min_seconds`` of timed calls are done. CUDA work is synchronised before and
after each timed call. Timings are noisy by nature: compare figures only from
one run on one machine (:func:`machine` describes it).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Timing:
    """Median and quartiles of the timed calls, in microseconds, and how they were taken."""

    median_us: float
    q1_us: float
    q3_us: float
    repeats: int
    warmup: int

    @property
    def spread_us(self) -> float:
        """The interquartile range."""
        return self.q3_us - self.q1_us

    def as_dict(self) -> dict[str, float | int]:
        """The fields, rounded to 0.1 us."""
        return {
            "median_us": round(self.median_us, 1),
            "q1_us": round(self.q1_us, 1),
            "q3_us": round(self.q3_us, 1),
            "repeats": self.repeats,
            "warmup": self.warmup,
        }


def measure(
    function: Callable[..., Any], *args: Any, warmup: int = 3, repeats: int = 5, min_seconds: float = 0.2
) -> Timing:
    """Time ``function(*args)``: ``warmup`` untimed calls, then at least ``repeats`` calls and ``min_seconds``."""
    if warmup < 0 or repeats < 1 or min_seconds < 0:
        raise ValueError(f"need warmup >= 0, repeats >= 1 and min_seconds >= 0, got {warmup}, {repeats}, {min_seconds}")
    cuda = any(isinstance(a, torch.Tensor) and a.is_cuda for a in args)
    for _ in range(warmup):
        function(*args)
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < repeats or time.perf_counter() - started < min_seconds:
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        function(*args)
        if cuda:
            torch.cuda.synchronize()
        samples.append((time.perf_counter() - start) * 1e6)
    if len(samples) == 1:
        return Timing(samples[0], samples[0], samples[0], 1, warmup)
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return Timing(median, q1, q3, len(samples), warmup)


def machine(device: torch.device | str = "cpu") -> str:
    """One line naming the processor (or GPU), its cores, the torch version and its intra-op threads."""
    device = torch.device(device)
    if device.type == "cuda":
        processor = torch.cuda.get_device_name(device)
    else:
        processor = _cpu_model() or platform.processor() or platform.machine()
    return (
        f"{processor}; {os.cpu_count()} cores; {platform.system()} {platform.machine()}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
