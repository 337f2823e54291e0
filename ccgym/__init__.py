"""ccgym: cross-country elimination of computational graphs as a reinforcement-learning benchmark.

``import ccgym`` loads only numpy and numba: the graph model and the costing of
orders. The tracer, the executor and the compiled Jacobians (torch) load on
first use of :func:`trace`, :func:`execute` or :func:`compile_jacobian`; the environments (gymnasium) with
``ccgym.envs``. When gymnasium is imported, with or after ccgym, the
``CCElim-*`` ids are registered with it (:mod:`ccgym.registration`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ccgym import compile_cache

compile_cache.install()  # before any module of the project compiles

from ccgym import edge_list
from ccgym.elimination import Cost, check_order, cost, forward_order, markowitz_order, reverse_order
from ccgym.graph import Edge, Graph, Vertex
from ccgym.registration import register_when_gymnasium_loads
from ccgym.structure import Structure

if TYPE_CHECKING:
    from ccgym.compiled_jacobian import CompiledJacobian, compile_jacobian
    from ccgym.envs import make_env
    from ccgym.executor import execute
    from ccgym.tracer import UnsupportedOperatorError, trace

__version__ = "0.1.0"

_LAZY = {
    "trace": "ccgym.tracer",
    "UnsupportedOperatorError": "ccgym.tracer",
    "execute": "ccgym.executor",
    "compile_jacobian": "ccgym.compiled_jacobian",
    "CompiledJacobian": "ccgym.compiled_jacobian",
    "make_env": "ccgym.envs",
}

__all__ = [
    "CompiledJacobian",
    "Cost",
    "Edge",
    "Graph",
    "Structure",
    "UnsupportedOperatorError",
    "Vertex",
    "check_order",
    "compile_jacobian",
    "cost",
    "edge_list",
    "execute",
    "forward_order",
    "make_env",
    "markowitz_order",
    "reverse_order",
    "trace",
]


def __getattr__(name: str) -> Any:
    """Load the torch- and gymnasium-backed parts of the API on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ccgym' has no attribute {name!r}")


register_when_gymnasium_loads()
