"""Calling a compiled function many times with the same argument types, without Numba's per-call type dispatch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import typeof
from numba.core.dispatcher import Dispatcher


class BoundCall:
    """``function(*args)``, entering the compiled version chosen by the first call directly on later calls.

    Numba types every argument of every call to pick the compiled version; an
    env step passes 10 to 30 arrays that are always the same buffers, so
    typing them costs more than the call's work. The first call goes through
    the dispatcher (compiling or loading the cache); later calls enter that
    version directly. Numba cannot check what it no longer types: bind only
    calls whose arguments keep their types (the caller's own buffers, and
    scalars or arrays it makes itself of one dtype and layout).
    """

    def __init__(self, function: Dispatcher) -> None:
        self._function = function
        self._entry: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self._entry is not None:
            return self._entry(*args)
        result = self._function(*args)
        self._entry = self._function.overloads[tuple(typeof(arg) for arg in args)].entry_point
        return result
