"""Time Numba spends compiling, left out of the baselines' budgets and reported apart.

A cold Numba cache (a fresh install, a new machine, an edited kernel) makes
the first call of every compiled function compile it, about 45 CPU-seconds
for the AlphaZero agent's search. Counted in a budget, that would shorten the
run by as much on a fresh machine only. Numba announces each compilation (its
``"numba:compile"`` event; loading from the cache is not one), and a listener
installed when this module is imported adds up their durations on the two
clocks the baselines' budgets use: the wall clock and this process's CPU time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from numba.core import event

Clock = Callable[[], float]
CLOCKS: tuple[Clock, ...] = (time.perf_counter, time.process_time)


class _CompileTimes(event.Listener):
    """Seconds spent inside compilations (nested ones counted once), on each of :data:`CLOCKS`."""

    def __init__(self) -> None:
        self.totals = [0.0 for _ in CLOCKS]
        self._depth = 0
        self._started = [0.0 for _ in CLOCKS]

    def on_start(self, _: event.Event) -> None:
        if self._depth == 0:
            self._started = [clock() for clock in CLOCKS]
        self._depth += 1

    def on_end(self, _: event.Event) -> None:
        self._depth -= 1
        if self._depth == 0:
            self.totals = [total + clock() - start for total, clock, start in zip(self.totals, CLOCKS, self._started)]


_TIMES = _CompileTimes()
event.register("numba:compile", _TIMES)


def compile_seconds(clock: Clock = time.perf_counter) -> float:
    """Seconds this process has spent compiling so far, on ``clock`` (one of :data:`CLOCKS`)."""
    if clock not in CLOCKS:
        raise ValueError(f"compile time is kept on time.perf_counter and time.process_time only, not {clock!r}")
    return _TIMES.totals[CLOCKS.index(clock)]


def excluding_compilation(clock: Clock) -> Clock:
    """``clock`` stopped while Numba compiles: its reading less :func:`compile_seconds` on it."""
    compile_seconds(clock)  # refuses another clock now, not at the first reading

    def read() -> float:
        return clock() - compile_seconds(clock)

    return read
