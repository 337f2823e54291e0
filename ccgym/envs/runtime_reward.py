"""The measured-runtime reward: minus the wall time of the episode's order, compiled into a Jacobian function.

With ``reward="runtime"`` a :class:`ccgym.envs.CCElimEnv` rewards every step
0 and the step that ends the episode ``-reward_scale * t / N``: ``t`` is the
median wall time, in microseconds, of one call of
``ccgym.compile_jacobian(None, order, *example_inputs, graph=graph)`` (or of
its ``batched`` form on ``batch`` copies of the examples), measured by
:func:`ccgym.timing.measure` after ``warmup`` untimed calls over at least
``repeats`` calls and ``min_seconds``; ``N`` is 1, or with ``normalize`` the
same measurement of that baseline order (``"best"``: the fastest of forward,
reverse and Markowitz), taken once per environment when first needed. The
measurement, its spread and the machine go into the final step's
``info["runtime"]``. The reward is noisy by nature: it varies from episode to
episode on one machine, and between machines.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ccgym.compiled_jacobian import compile_jacobian
from ccgym.elimination import forward_order, markowitz_order, reverse_order
from ccgym.envs.rewards import NORMALIZERS
from ccgym.graph import Graph
from ccgym.timing import Timing, machine, measure

MEASUREMENT_DEFAULTS = {"warmup": 2, "repeats": 10, "min_seconds": 0.0}


class RuntimeReward:
    """Measures the runtime of compiled orders of one graph at fixed example inputs."""

    def __init__(
        self,
        graph: Graph,
        example_inputs: Sequence[torch.Tensor] | None,
        normalize: str | None = None,
        scale: float = 1.0,
        batch: int | None = None,
        measurement: Mapping[str, Any] | None = None,
    ) -> None:
        if example_inputs is None:
            raise ValueError(
                "reward='runtime' measures the compiled Jacobian at example inputs: pass example_inputs=(...) "
                "(gym.make of a task id passes the task's own)"
            )
        if normalize is not None and normalize not in NORMALIZERS:
            raise ValueError(f"normalize must be None or one of {NORMALIZERS}, got {normalize!r}")
        if batch is not None and batch < 1:
            raise ValueError(f"runtime_batch must be a positive batch size or None, got {batch}")
        unknown = set(measurement or {}) - set(MEASUREMENT_DEFAULTS)
        if unknown:
            raise ValueError(f"runtime_measurement takes {sorted(MEASUREMENT_DEFAULTS)}, not {sorted(unknown)}")
        self.graph = graph
        self.inputs = tuple(example_inputs)
        self.normalize = normalize
        self.scale = float(scale)
        self.batch = batch
        self.measurement = MEASUREMENT_DEFAULTS | dict(measurement or {})
        self.machine = machine(self.inputs[0].device if self.inputs else "cpu")
        self._batched_inputs = None if batch is None else tuple(x.expand(batch, *x.shape).clone() for x in self.inputs)
        compile_jacobian(None, reverse_order(graph), *self.inputs, graph=graph)  # refuses inputs that do not fit now
        self._normalizer: float | None = None

    def time(self, order: Sequence[int]) -> Timing:
        """The measured runtime of ``order``'s compiled Jacobian."""
        jacobian = compile_jacobian(None, order, *self.inputs, graph=self.graph)
        if self._batched_inputs is None:
            return measure(jacobian, *self.inputs, **self.measurement)
        return measure(jacobian.batched, *self._batched_inputs, **self.measurement)

    def reward(self, order: Sequence[int]) -> tuple[float, dict[str, Any]]:
        """The end-of-episode reward of ``order`` and what goes into ``info["runtime"]``."""
        timing = self.time(order)
        normalizer = self.normalizer()
        info = dataclasses.asdict(timing) | {
            "machine": self.machine,
            "batch": self.batch or 1,
            "normalizer_us": normalizer,
        }
        return -self.scale * timing.median_us / normalizer, info

    def normalizer(self) -> float:
        """``N``: 1, or the baseline order's median runtime in microseconds (measured once)."""
        if self.normalize is None:
            return 1.0
        if self._normalizer is None:
            baselines = {"forward": forward_order, "reverse": reverse_order, "markowitz": markowitz_order}
            names = list(baselines) if self.normalize == "best" else [self.normalize]
            self._normalizer = min(self.time(baselines[name](self.graph)).median_us for name in names)
        return self._normalizer
