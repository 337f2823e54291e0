"""Budgets leave Numba's compiling out, and training runs report it apart."""

import time

import numpy as np
import pytest
from numba import njit

from baselines.budget import Budget
from baselines.compile_time import compile_seconds, excluding_compilation
from baselines.zero.train import Config, Run

SMALL = {"task": "LIF", "games": 2, "simulations": 4, "train_steps": 1}


def fresh_function(power: int):
    """A compiled function no cache holds: its first call compiles."""

    @njit(cache=False)
    def sum_of_powers(x):
        total = 0.0
        for value in x:
            total += value**power
        return total

    return sum_of_powers


@pytest.mark.parametrize("clock", [time.perf_counter, time.process_time])
def test_a_clock_excluding_compilation_stops_while_numba_compiles(clock):
    working, function = excluding_compilation(clock), fresh_function(3)
    raw, worked, compiled = clock(), working(), compile_seconds(clock)
    assert function(np.arange(4.0)) == 36.0
    raw, worked, compiled = clock() - raw, working() - worked, compile_seconds(clock) - compiled
    assert compiled > 0.01 and worked >= 0.0
    assert raw - worked == pytest.approx(compiled, abs=2e-3)
    before = compile_seconds(clock)
    function(np.arange(5.0))  # compiled already: nothing to leave out
    assert compile_seconds(clock) == before


def test_only_the_two_budget_clocks_are_kept():
    with pytest.raises(ValueError, match="perf_counter and time.process_time"):
        excluding_compilation(time.monotonic)


def test_a_search_budget_leaves_compiling_out():
    meter = Budget(seconds=60.0).start()
    started, compiled = time.perf_counter(), compile_seconds()
    fresh_function(4)(np.ones(3))
    compiled = compile_seconds() - compiled
    assert compiled > 0.01
    assert meter.elapsed <= time.perf_counter() - started - compiled + 2e-3


def test_an_alphazero_iteration_reports_its_compiling_apart_and_does_not_count_it():
    run = Run(Config(budget=1.0, **SMALL))
    iterate, function = run.iterate, fresh_function(5)

    def compiling_iteration() -> dict:
        function(np.ones(2))  # as a first iteration on a cold cache compiles the search
        return iterate()

    run.iterate = compiling_iteration
    lines: list[dict] = []
    started = time.process_time()
    run.train_for(1e-9, lines.append)  # one iteration
    spent = time.process_time() - started
    try:
        assert len(lines) == 1 and lines[0]["compile_seconds"] > 0.01
        assert run.compile_seconds == lines[0]["compile_seconds"]
        assert run.seconds <= spent - lines[0]["compile_seconds"] + 2e-3
    finally:
        run.close()
