"""CCElimEnv: cross-country elimination of a computational graph as a Gymnasium environment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ccgym import kernels
from ccgym.elimination import Cost
from ccgym.envs import rendering
from ccgym.envs.feature_observation import FeatureObservation, edge_slots
from ccgym.envs.observation import GraphObservation, Layout, Observation, ObservationMode
from ccgym.envs.rewards import Baselines, RewardFunction
from ccgym.features import largest_jacobian_size
from ccgym.graph import Graph

if TYPE_CHECKING:
    import torch

    from ccgym.envs.runtime_reward import RuntimeReward

ILLEGAL_ACTIONS = ("raise", "penalize")
OBSERVATIONS = ("graph", "dict", "features")


class CCElimEnv(gym.Env[Observation, np.int64]):
    """Eliminate a graph's intermediates one at a time; each step costs what its elimination costs.

    ``step(a)`` eliminates intermediate ``a`` (vertex ``num_inputs + a``) with
    the Numba kernels; the episode terminates when every intermediate is
    eliminated and the remaining edges are the Jacobian's blocks.

    **Actions** ``Discrete(intermediates)``. The legal ones (intermediates not
    yet eliminated) are ``info["action_mask"]`` and :meth:`action_masks`, the
    method sb3-contrib's ``MaskablePPO`` calls. An illegal action raises
    ``ValueError``; with ``illegal_action="penalize"`` it instead leaves the
    state unchanged, rewards ``-illegal_penalty`` and sets
    ``info["illegal_action"]``, and the episode is truncated after as many
    illegal actions as the graph has intermediates. Stepping a finished
    episode raises ``RuntimeError`` in either mode.

    **Observations** ``Box(0, 1, (8, N, N), float32)``, channel by channel in
    :mod:`ccgym.envs.observation`; with ``observation="dict"``,
    ``{"graph": that Box, "action_mask": MultiBinary(intermediates)}``; with
    ``observation="features"``, vertex features and a padded edge list
    (:mod:`ccgym.features`, :mod:`ccgym.envs.feature_observation`).

    **Rewards** minus the step's multiplications (``reward="mults"``), minus
    its increase of the peak stored values (``"memory"``), or a weighted sum
    (``{"mults": 1.0, "memory": 0.1}``); ``normalize`` and ``reward_scale``
    scale them (see :mod:`ccgym.envs.rewards`). ``reward="runtime"`` instead
    rewards 0 per step and, at the end, minus the measured runtime of the
    episode's order compiled into a Jacobian function at ``example_inputs``
    (see :mod:`ccgym.envs.runtime_reward`; noisy, and slow: each episode
    compiles and times its order).

    **Info** at every step: ``action_mask``, ``mults`` (so far), ``memory``
    (stored values now), ``peak_memory`` and ``order`` (actions so far); at
    the end also ``baselines`` (``{"forward" | "reverse" | "markowitz":
    {"mults", "peak_memory"}}``) and ``ratios`` (this episode over each), and
    with ``reward="runtime"`` ``runtime`` (the measurement, its spread and the machine).

    Args:
        graph: a :class:`ccgym.Graph` (``gym.make`` ids look a benchmark task's up by name).
        reward: ``"mults"``, ``"memory"``, ``{term: weight}`` or ``"runtime"``.
        normalize: ``None``, ``"forward"``, ``"reverse"``, ``"markowitz"`` or
            ``"best"``: divide each term by that order's cost of the same kind.
        reward_scale: multiplies every reward (not the illegal-action penalty).
        illegal_action: ``"raise"`` or ``"penalize"``.
        illegal_penalty: the penalty, in reward units.
        observation: ``"graph"``, ``"dict"`` or ``"features"``.
        pad_to: ``(inputs, intermediates, outputs)`` to size the spaces for,
            so that graphs of different sizes share them; padding actions are
            never legal. Default: the graph's own counts.
        size_scale: the Jacobian size that the size channels map to 1.
            Default: the largest dense edge Jacobian of the graph.
        max_edges: edge slots of ``observation="features"``. Default: the
            graph's pairs joined by a path, or with ``pad_to`` the most a
            graph of that layout can have.
        render_mode: ``None``, ``"ansi"`` or ``"rgb_array"``.
        example_inputs: with ``reward="runtime"``, the tensors the compiled
            Jacobian is timed at (their dtype and device too).
        runtime_batch: with ``reward="runtime"``, time a batch of this many
            copies of the inputs (``torch.vmap``) instead of one call.
        runtime_measurement: with ``reward="runtime"``, ``warmup``,
            ``repeats`` and ``min_seconds`` of :func:`ccgym.timing.measure`
            (default 2, 10 and 0).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        graph: Graph,
        *,
        reward: str | Mapping[str, float] = "mults",
        normalize: str | None = None,
        reward_scale: float = 1.0,
        illegal_action: str = "raise",
        illegal_penalty: float = 1.0,
        observation: str = "graph",
        pad_to: tuple[int, int, int] | None = None,
        size_scale: int | None = None,
        max_edges: int | None = None,
        render_mode: str | None = None,
        example_inputs: Sequence[torch.Tensor] | None = None,
        runtime_batch: int | None = None,
        runtime_measurement: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(graph, Graph):
            raise TypeError(f"CCElimEnv takes a ccgym.Graph, got {type(graph).__name__}; use gym.make('CCElim-<Task>-v0') for a task")
        if graph.packed.num_intermediates == 0:
            raise ValueError("the graph has no intermediate vertices: there is nothing to eliminate")
        if illegal_action not in ILLEGAL_ACTIONS:
            raise ValueError(f"illegal_action must be one of {ILLEGAL_ACTIONS}, got {illegal_action!r}")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be one of {OBSERVATIONS}, got {observation!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self._runtime: RuntimeReward | None = None
        self._runtime_options: dict[str, Any] | None = None
        if isinstance(reward, str) and reward == "runtime":
            self._runtime_options = {
                "example_inputs": example_inputs,
                "normalize": normalize,
                "scale": reward_scale,
                "batch": runtime_batch,
                "measurement": runtime_measurement,
            }
            reward, normalize = {"mults": 0.0}, None  # every step rewards 0; the episode's end, its runtime
        elif example_inputs is not None or runtime_batch is not None or runtime_measurement is not None:
            raise ValueError("example_inputs, runtime_batch and runtime_measurement are options of reward='runtime'")
        self.reward_function = RewardFunction.from_options(reward, normalize, reward_scale)
        self.illegal_action = illegal_action
        self.illegal_penalty = float(illegal_penalty)
        self.render_mode = render_mode
        self.layout = Layout(*pad_to) if pad_to is not None else Layout.of(graph)
        self.size_scale = size_scale if size_scale is not None else largest_jacobian_size(graph.packed)
        self._observer: ObservationMode
        max_edges = edge_slots(observation, max_edges, self.layout, graph.packed if pad_to is None else None)
        if max_edges is not None:
            self._observer = FeatureObservation(self.layout, self.size_scale, max_edges)
        else:
            self._observer = GraphObservation(self.layout, self.size_scale, with_mask=observation == "dict")
        self.observation_space = self._observer.space
        self.action_space = spaces.Discrete(self.layout.intermediates)
        self._load(graph)
        self._needs_reset = True

    @property
    def graph(self) -> Graph:
        """The graph of the current episode."""
        return self._graph

    def action_masks(self) -> np.ndarray:
        """Legal actions now, as ``bool[intermediates]`` (the sb3-contrib convention)."""
        return self._mask.copy()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Observation, dict]:
        """Start an episode on :meth:`_episode_graph` with nothing eliminated."""
        super().reset(seed=seed)
        graph = self._episode_graph()
        if graph is not self._graph:
            self._load(graph)
        self._edges = self._packed.edges.copy()
        self._observer.reset()
        self._mask = self._initial_mask.copy()
        self._memory = self._peak = self._initial_memory
        self._mults = 0
        self._order: list[int] = []
        self._illegal_count = 0
        self._needs_reset = False
        return self._observation(), self._info()

    def step(self, action: int | np.integer) -> tuple[Observation, float, bool, bool, dict]:
        """Eliminate intermediate ``action``; ``RuntimeError`` once the episode is over (call ``reset``)."""
        if self._needs_reset:
            raise RuntimeError("no episode is running (none started, or it terminated or was truncated): call reset()")
        mask = self._mask
        plainly_legal = type(action) in (int, np.int64) and 0 <= action < mask.shape[0] and mask[action]
        if not plainly_legal and (problem := self._illegal_reason(action)) is not None:
            if self.illegal_action == "raise":
                raise ValueError(f"{problem}; the legal actions are info['action_mask'] and env.action_masks()")
            self._illegal_count += 1
            info = self._info()
            info["illegal_action"] = True
            truncated = self._needs_reset = self._illegal_count >= self._packed.num_intermediates
            return self._observation(), -self.illegal_penalty, False, truncated, info
        # the common case, kept short: a step's Python costs more than its compiled elimination
        action = int(action)
        mults, memory_change = self._observer.eliminate(self._edges, self._packed.num_inputs + action)
        mask[action] = False
        order = self._order
        order.append(action)
        self._mults += mults
        memory = self._memory = self._memory + memory_change
        peak_increase = memory - self._peak if memory > self._peak else 0
        self._peak += peak_increase
        reward = -(self._mults_coefficient * mults + self._memory_coefficient * peak_increase)
        terminated = self._needs_reset = len(order) == self._packed.num_intermediates
        info = self._info()
        if self._runtime is not None:
            reward, runtime = self._runtime.reward(order) if terminated else (0.0, None)
            if terminated:
                info["runtime"] = runtime
        return self._observer.observe(mask), float(reward), terminated, False, info

    def render(self) -> str | np.ndarray | None:
        """A text table (``"ansi"``) or a picture of the graph (``"rgb_array"``) of the current state."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='ansi' or 'rgb_array'")
            return None
        eliminated = ~self._mask[: self._packed.num_intermediates]
        summary = (
            f"{self._graph.metadata.get('task', 'graph')}: {len(self._order)}/{self._packed.num_intermediates} eliminated, "
            f"{self._mults} mults, memory {self._memory} (peak {self._peak})"
        )
        if self.render_mode == "ansi":
            return rendering.render_text(self._graph, self._edges, eliminated, summary)
        return rendering.render_image(self._graph, self._edges, eliminated, summary)

    def _episode_graph(self) -> Graph:
        """The graph the next episode eliminates: always the same one here."""
        return self._graph

    def _load(self, graph: Graph) -> None:
        """Everything that depends only on the graph: rows, initial observation and state, rewards."""
        packed = graph.packed
        self._graph = graph
        self._packed = packed
        self._observer.load(graph)
        self._initial_mask = np.zeros(self.layout.intermediates, np.bool_)
        self._initial_mask[: packed.num_intermediates] = True
        self._initial_memory = int(kernels.memory(packed, packed.edges))
        self.baselines = Baselines.of(graph)
        if self._runtime_options is not None:
            if self._runtime is not None and self._runtime.graph is not graph:
                raise ValueError("reward='runtime' times one graph at its example inputs; this env changes graphs")
            if self._runtime is None:
                from ccgym.envs.runtime_reward import RuntimeReward

                self._runtime = RuntimeReward(graph, **self._runtime_options)
        self._mults_coefficient, self._memory_coefficient = self.reward_function.coefficients(self.baselines)

    def _illegal_reason(self, action: int | np.integer) -> str | None:
        """Why ``action`` is illegal now, or None."""
        if not self.action_space.contains(action):
            return f"action {action!r} is not in the action space Discrete({self.action_space.n})"
        action = int(action)
        n = self._packed.num_intermediates
        if action >= n:
            return f"action {action} is padding: this graph has {n} intermediates (actions 0 .. {n - 1})"
        if not self._mask[action]:
            name = self._graph.vertices[self._graph.intermediate_vertex(action)].name
            return f"action {action} is illegal: intermediate {action} ({name!r}) is already eliminated"
        return None

    def _observation(self) -> Observation:
        return self._observer.observe(self._mask)

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "action_mask": self._mask.copy(),
            "mults": self._mults,
            "memory": self._memory,
            "peak_memory": self._peak,
            "order": list(self._order),
        }
        if len(self._order) == self._packed.num_intermediates:
            info["baselines"] = self.baselines.as_dict()
            info["ratios"] = self.baselines.ratios(Cost(self._mults, self._peak))
        return info


def make_env(graph: Graph, **options: Any) -> CCElimEnv:
    """A :class:`CCElimEnv` over your own graph (e.g. from :func:`ccgym.trace`); ``options`` as for it."""
    return CCElimEnv(graph, **options)
