"""ccgym: cross-country elimination of computational graphs as a reinforcement-learning benchmark."""

from ccgym.elimination import Cost, check_order, cost, forward_order, reverse_order
from ccgym.envs import make_env  # registers the CCElim-* Gymnasium environments
from ccgym.executor import execute
from ccgym.graph import Edge, Graph, Vertex
from ccgym.structure import Structure
from ccgym.tracer import UnsupportedOperatorError, trace

__version__ = "0.1.0"

__all__ = [
    "Cost",
    "Edge",
    "Graph",
    "Structure",
    "UnsupportedOperatorError",
    "Vertex",
    "check_order",
    "cost",
    "execute",
    "forward_order",
    "make_env",
    "reverse_order",
    "trace",
]
