"""The methods the leaderboard can run, by name."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

import benchmarks_tasks
import ccgym
from baselines import exact, heuristics, search
from baselines.budget import Budget
from baselines.zero import pretrained
from baselines.zero import train as zero
from ccgym.edge_list import to_actions

PUBLISHED_ALPHAGRAD = "alphagrad-published"


@dataclass(frozen=True)
class Outcome:
    """A method's order, and a proven lower bound on the optimum if it has one."""

    order: list[int]
    lower_bound: int | None = None


@dataclass(frozen=True)
class Method:
    """A named way to choose an order; ``seeded``/``budgeted`` say whether it uses a seed and a budget.

    ``proves_bounds``: its outcomes carry a proven lower bound (the exact
    solver); such a method depends on the clock and is never replayable.
    ``applies`` says whether the method has an order for a graph (most methods order any graph).
    ``learned``: it trains an agent first, so runs only when named (not in a plan's default methods).
    """

    name: str
    run: Callable[[ccgym.Graph, int, Budget | None], Outcome]
    seeded: bool
    budgeted: bool
    proves_bounds: bool = False
    applies: Callable[[ccgym.Graph], bool] = lambda graph: True
    learned: bool = False

    def replayable(self, budget: Budget | None) -> bool:
        """Whether running it again with the same seed and ``budget`` gives the same order.

        True for every method but the exact solver as long as no time limit
        can cut it short: no budget, or a budget of evaluations only.
        """
        return not self.proves_bounds and (budget is None or budget.seconds is None)


def _heuristic(name: str, fn: Callable[[ccgym.Graph], list[int]]) -> Method:
    return Method(name, lambda graph, seed, budget: Outcome(fn(graph)), seeded=False, budgeted=False)


def _search(name: str, fn: Callable[[ccgym.Graph, Budget, int], list[int]]) -> Method:
    return Method(name, lambda graph, seed, budget: Outcome(fn(graph, budget, seed)), seeded=True, budgeted=True)


def time_limit(budget: Budget | None, method: str = "exact solver") -> float:
    """A time-limited method's limit: ``budget`` must be in seconds only (``ValueError`` otherwise)."""
    if budget is None or budget.seconds is None or budget.evaluations is not None:
        raise ValueError(f"the {method} needs a budget in seconds only, not {budget}")
    return budget.seconds


def _exact(graph: ccgym.Graph, seed: int, budget: Budget | None) -> Outcome:
    label = f"exact {graph.metadata.get('task', 'graph')}"
    printer = exact.ProgressPrinter(label, write=lambda line: tqdm.write(line, file=sys.stderr))
    solution = exact.solve(graph, seconds=time_limit(budget), seed=seed, progress=printer)
    return Outcome(solution.order, solution.lower_bound)


def _alphazero(init: Path | None) -> Callable[[ccgym.Graph, int, Budget | None], Outcome]:
    """AlphaZero trained on the task's graph for the budget's wall seconds, from ``init``'s network or from scratch.

    Its outcome is the best order it played.
    """

    def run(graph: ccgym.Graph, seed: int, budget: Budget | None) -> Outcome:
        seconds = time_limit(budget, "alphazero method")
        config = zero.Config(task=graph.metadata.get("task", ""), budget=seconds, seed=seed, init=str(init or ""))
        agent = zero.Run(config)
        agent.train_for(seconds, clock=time.perf_counter)
        return Outcome(agent.best_order)

    return run


def _published_alphagrad_order(graph: ccgym.Graph) -> list[int] | None:
    """The order the AlphaGrad paper published for this graph (one of the paper's own), as actions; else None."""
    name = graph.metadata.get("task")
    if name not in benchmarks_tasks.names():
        return None
    ids = (benchmarks_tasks.get(name).published or {}).get("orders", {}).get("alphagrad")
    return None if ids is None else to_actions(graph, ids)


def _alphagrad_published(graph: ccgym.Graph, seed: int, budget: Budget | None) -> Outcome:
    order = _published_alphagrad_order(graph)
    if order is None:
        raise ValueError("the AlphaGrad paper published no order for this graph")
    return Outcome(order)


METHODS: dict[str, Method] = {
    method.name: method
    for method in (
        _heuristic("forward", heuristics.forward),
        _heuristic("reverse", heuristics.reverse),
        _heuristic("markowitz", heuristics.markowitz),
        _heuristic("vlr", heuristics.vlr),
        _heuristic("greedy", heuristics.greedy),
        Method("random", lambda graph, seed, budget: Outcome(heuristics.random_order(graph, seed)), True, False),
        _search("random_search", search.random_search),
        _search("annealing", search.annealing),
        _search("beam", search.beam),
        Method("exact", _exact, seeded=True, budgeted=True, proves_bounds=True),
        Method("alphazero", _alphazero(None), seeded=True, budgeted=True, learned=True),
        Method("alphazero-pretrained", _alphazero(pretrained.RANDOM_SEED0), seeded=True, budgeted=True, learned=True),
        Method(
            PUBLISHED_ALPHAGRAD,
            _alphagrad_published,
            seeded=False,
            budgeted=False,
            applies=lambda graph: _published_alphagrad_order(graph) is not None,
        ),
    )
}


def _ppo(name: str, which: str) -> Method:
    """PPO (``baselines/ppo``): the trained policy's order (``which="deterministic"``) or the best seen (``"best"``)."""

    def run(graph: ccgym.Graph, seed: int, budget: Budget | None) -> Outcome:
        from baselines.ppo.leaderboard import trained_orders  # torch and sb3 load only when PPO runs

        return Outcome(trained_orders(graph, seed, budget)[which])

    return Method(name, run, seeded=True, budgeted=True, learned=True)


METHODS.update({method.name: method for method in (_ppo("ppo", "deterministic"), _ppo("ppo-best", "best"))})
