"""Native vector environments: ``B`` elimination games stepped by one compiled call per ``step``.

:class:`CCElimVectorEnv` runs ``B`` copies of :class:`ccgym.envs.CCElimEnv`
on one graph, :class:`RandomCCElimVectorEnv` a random graph per slot (that of
:class:`ccgym.envs.RandomCCElimEnv`); ``gym.make_vec(id, num_envs=B)`` makes
them for every ``CCElim-*`` id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ccgym import kernels
from ccgym.envs.batch_features import FeatureEncoder
from ccgym.envs.batch_observation import ENCODERS, BatchEncoder
from ccgym.envs.bound_call import BoundCall
from ccgym.envs.feature_observation import edge_slots
from ccgym.envs.games import Games, first_illegal, pad_into, padded_batch, repeat_slot, reset_games, step_games
from ccgym.envs.observation import Layout
from ccgym.envs.rewards import Baselines, RewardFunction
from ccgym.features import largest_jacobian_size
from ccgym.graph import Graph
from ccgym.kernels import PackedBatch
from ccgym.random_graphs import RandomGraphSpec, random_graph

OBSERVATIONS = (*ENCODERS, "features")

NO_STEP_LIMIT = np.iinfo(np.int64).max
GRAPH_RANGES = tuple(field.name for field in dataclasses.fields(RandomGraphSpec))


class CCElimVectorEnv(VectorEnv):
    """``num_envs`` games of :class:`ccgym.envs.CCElimEnv` on one graph, all stepped by one compiled call.

    **Description.** Each slot eliminates the graph's intermediates one at a
    time, exactly as :class:`ccgym.envs.CCElimEnv` does with the same
    options; ``step`` runs every slot's elimination (the kernels), its reward
    terms and the incremental update of its observation in one ``@njit``
    call over the batch (:func:`ccgym.envs.games.step_games`).

    **Action Space.** ``MultiDiscrete([A] * num_envs)``, one intermediate per
    slot (``single_action_space`` is ``Discrete(A)``). The legal ones are
    :meth:`action_masks` and ``infos["action_mask"]``, both ``bool[B, A]``;
    an illegal action (already eliminated, padding, out of range) raises
    ``ValueError`` naming the slot and the action, and nothing is stepped.

    **Observation Space.** ``batch_space`` of the single env's:
    ``Box(0, 1, (B, 8, N, N), float32)`` for ``observation="graph"``, a
    ``Dict`` of ``graph`` and an ``int8[B, A]`` ``action_mask`` for
    ``"dict"``. Observations live in one preallocated buffer that each step
    rewrites in place, touching only the entries an elimination changes (a
    reset copies the precomputed initial observation). With ``copy=True``
    (the default, as for Gymnasium's vector envs) ``reset`` and ``step``
    return copies of the buffers (and of the mask in ``infos``); with
    ``copy=False`` they return the buffers themselves, which the next call
    overwrites (read them, never write into them: the updates rely on them).

    **Rewards.** Those of :class:`ccgym.envs.CCElimEnv` (``reward``,
    ``normalize``, ``reward_scale``), as ``float64[B]``; 0 for a slot that a
    step resets.

    **Starting State.** Nothing eliminated; every slot starts from the same
    state, so ``reset(seed=...)`` only seeds ``np_random``.

    **Episode End.** A slot terminates when all its intermediates are
    eliminated, and is truncated when it reaches ``max_episode_steps``
    eliminations first. What happens next is ``autoreset_mode`` (also
    ``metadata["autoreset_mode"]``):

    - ``NEXT_STEP`` (default): the next ``step`` ignores the slot's action,
      resets it and returns its first observation with reward 0 and both
      flags False;
    - ``SAME_STEP``: the ending ``step`` returns the new episode's first
      observation and info; the last observation is in
      ``infos["final_obs"]`` (an object array, ``None`` elsewhere) and the
      last info in ``infos["final_info"]``, both masked by
      ``infos["_final_obs"]`` / ``infos["_final_info"]``;
    - ``DISABLED``: stepping a finished slot raises
      ``gymnasium.error.ResetNeeded``; reset slots with
      ``reset(options={"reset_mask": bool[B]})`` (any mode accepts it).

    **Info** is a dict of arrays, each key ``k`` with a ``bool[B]`` mask
    ``_k`` of the slots that set it: ``action_mask`` ``bool[B, A]``,
    ``mults`` (this episode so far) and ``peak_memory``; on the step that
    ends an episode also ``episode_cost`` ``{"mults", "peak_memory"}``, the
    episode's totals (in ``final_info`` with ``SAME_STEP``).

    Args:
        graph: a :class:`ccgym.Graph` (``gym.make_vec`` ids look a task's up by name).
        num_envs: the number of slots ``B``.
        pad_to, size_scale: as for :class:`ccgym.envs.CCElimEnv`.
        options: ``reward``, ``normalize``, ``reward_scale`` as for
            :class:`ccgym.envs.CCElimEnv`, and:
        observation: ``"graph"``, ``"dict"`` (:data:`ccgym.envs.batch_observation.ENCODERS`) or
            ``"features"`` (:mod:`ccgym.envs.batch_features`), as for :class:`ccgym.envs.CCElimEnv`.
        autoreset_mode: a ``gymnasium.vector.AutoresetMode`` (or its value).
        max_episode_steps: truncate episodes at this many eliminations (``None``: never).
        copy: return copies of the observation and mask buffers (see above).
        max_edges: edge slots of ``observation="features"``; default as for :class:`ccgym.envs.CCElimEnv`
            (the graph's reachable pairs, or the layout's most with ``pad_to`` or random graphs).

    Version History:
        v0: the first version.
    """

    metadata: ClassVar[dict[str, Any]] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        graph: Graph,
        num_envs: int = 1,
        *,
        pad_to: tuple[int, int, int] | None = None,
        size_scale: int | None = None,
        **options: Any,
    ) -> None:
        if not isinstance(graph, Graph):
            raise TypeError(f"CCElimVectorEnv takes a ccgym.Graph, got {type(graph).__name__}")
        if graph.num_intermediates == 0:
            raise ValueError("the graph has no intermediate vertices: there is nothing to eliminate")
        layout = Layout(*pad_to) if pad_to is not None else Layout.of(graph)
        one = padded_batch(layout, 1)
        pad_into(one, 0, graph, layout)
        options["max_edges"] = edge_slots(
            options.get("observation", "graph"), options.get("max_edges"), layout, graph.packed if pad_to is None else None
        )  # as CCElimEnv
        self._configure(repeat_slot(one, num_envs), layout, size_scale or largest_jacobian_size(graph.packed), 1, **options)
        self.graphs = [graph] * num_envs
        self._load(slice(None), 0, graph)

    @property
    def graph(self) -> Graph:
        """The graph of every slot."""
        return self.graphs[0]

    def action_masks(self) -> np.ndarray:
        """Legal actions now, ``bool[B, A]`` (the sb3-contrib convention, one row per slot)."""
        return self._games.mask.copy()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Start new episodes in every slot, or in those of ``options["reset_mask"]``."""
        super().reset(seed=seed)
        which = self._reset_mask(options)
        self._new_episodes(which, seed)
        self._reset_games(self._batch, self._games, self.encoder.buffers, which)
        self._done = self._done & ~which
        self._fresh = self._fresh & ~which
        self._ready = not self._fresh.any()
        infos = self._infos()
        return self.encoder.observation(self.copy), infos if which.all() else _restricted(infos, which)

    def step(self, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Eliminate ``actions[b]`` in every slot ``b`` (resetting finished slots as ``autoreset_mode`` says)."""
        actions = self._checked(actions)
        resetting = self._done if self.autoreset_mode == AutoresetMode.NEXT_STEP else self._no_slots
        illegal = self._first_illegal(self._games.mask, actions, resetting)
        if illegal >= 0:
            raise ValueError(self._illegal_message(illegal, int(actions[illegal])))
        if resetting.any():
            self._new_episodes(resetting, None)
        self._step_games(self._batch, self._games, self.encoder.buffers, actions, resetting, self._max_steps)
        games = self._games
        terminated, truncated = games.terminated.copy(), games.truncated.copy()
        rewards = games.rewards.copy()
        done = terminated | truncated
        infos = self._infos()
        if done.any():
            infos |= _episode_cost(games, done)
            if self.autoreset_mode == AutoresetMode.SAME_STEP:
                infos = self._reset_ended(done, infos)
        self._done = self._no_slots if self.autoreset_mode == AutoresetMode.SAME_STEP else done
        return self.encoder.observation(self.copy), rewards, terminated, truncated, infos

    # ------------------------------------------------------------------------- construction

    def _configure(
        self,
        batch: PackedBatch,
        layout: Layout,
        size_scale: int,
        initial_slots: int,
        *,
        reward: str | Mapping[str, float] = "mults",
        normalize: str | None = None,
        reward_scale: float = 1.0,
        observation: str = "graph",
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        max_episode_steps: int | None = None,
        copy: bool = True,
        max_edges: int | None = None,
    ) -> None:
        """Everything but the graphs: options, spaces, buffers (the options' defaults are here)."""
        num_envs = batch.edges.shape[0]
        if num_envs < 1:
            raise ValueError(f"num_envs must be at least 1, got {num_envs}")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be one of {OBSERVATIONS}, got {observation!r}")
        if max_episode_steps is not None and max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be None or positive, got {max_episode_steps}")
        self.num_envs = num_envs
        self.layout = layout
        self.size_scale = size_scale
        self.reward_function = RewardFunction.from_options(reward, normalize, reward_scale)
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**type(self).metadata, "autoreset_mode": self.autoreset_mode}
        self.copy = copy
        self.render_mode = None
        self._max_steps = NO_STEP_LIMIT if max_episode_steps is None else int(max_episode_steps)
        self._batch = batch
        self._games = Games.allocate(num_envs, layout)
        self.encoder = _encoder(observation, layout, size_scale, self._games.mask, initial_slots, max_edges)
        self.single_action_space = spaces.Discrete(layout.intermediates)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.single_observation_space = self.encoder.single_observation_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._done = np.zeros(num_envs, np.bool_)
        self._fresh = np.ones(num_envs, np.bool_)  # slots never reset
        self._ready = False  # no slot is fresh
        self._no_slots = np.zeros(num_envs, np.bool_)
        # the compiled calls always get these buffers, and bool[B] / int64[B] arrays made here
        self._step_games, self._reset_games = BoundCall(step_games), BoundCall(reset_games)
        self._first_illegal = BoundCall(first_illegal)

    def _load(self, slots: int | slice, initial_slot: int, graph: Graph) -> None:
        """Set the per-slot constants of ``graph`` (memory, reward coefficients, initial observation)."""
        packed = graph.packed
        games = self._games
        games.initial_memory[slots] = kernels.memory(packed, packed.edges)
        coefficients = self.reward_function.coefficients(Baselines.of(graph))
        games.mults_coefficient[slots], games.memory_coefficient[slots] = coefficients
        self.encoder.load(initial_slot, graph)

    def _new_episodes(self, which: np.ndarray, seed: int | None) -> None:
        """Prepare the graphs of the slots about to reset: the same graph always, here."""

    # ------------------------------------------------------------------------- steps

    def _checked(self, actions: Any) -> np.ndarray:
        """``actions`` as ``int64[B]``; ``ResetNeeded`` or ``ValueError`` if they cannot be stepped."""
        if not self._ready:
            raise gym.error.ResetNeeded("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            expected = f"integers of shape ({self.num_envs},)"
            raise ValueError(f"actions must be {expected}, got {actions.dtype} of shape {actions.shape}")
        if self.autoreset_mode == AutoresetMode.DISABLED and self._done.any():
            slot = int(np.flatnonzero(self._done)[0])
            raise gym.error.ResetNeeded(
                f"slot {slot} has finished its episode and autoreset_mode is DISABLED: "
                "reset it with reset(options={'reset_mask': ...})"
            )
        return np.ascontiguousarray(actions, np.int64)

    def _illegal_message(self, slot: int, action: int) -> str:
        n = int(self._batch.sizes[slot, 1])
        if not 0 <= action < self.single_action_space.n:
            problem = f"is not in the action space Discrete({self.single_action_space.n})"
        elif action >= n:
            problem = f"is padding: this slot's graph has {n} intermediates (actions 0 .. {n - 1})"
        else:
            problem = f"is illegal: intermediate {action} is already eliminated"
        legal = "the legal actions are infos['action_mask'] and env.action_masks()"
        return f"slot {slot}: action {action} {problem}; {legal}"

    def _reset_mask(self, options: dict[str, Any] | None) -> np.ndarray:
        """The slots a ``reset`` starts: ``options["reset_mask"]`` (checked as Gymnasium's vector envs do), else all."""
        if not options or "reset_mask" not in options:
            return np.ones(self.num_envs, np.bool_)
        mask = options["reset_mask"]
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must be a numpy bool array of shape ({self.num_envs},)")
        if not mask.any():
            raise ValueError("options['reset_mask'] must select at least one slot")
        return mask.copy()

    def _infos(self) -> dict[str, Any]:
        """What every step reports for every slot."""
        games = self._games
        every = np.ones(self.num_envs, np.bool_)
        return {
            "action_mask": games.mask.copy() if self.copy else games.mask,
            "_action_mask": every,
            "mults": games.mults.copy(),
            "_mults": every.copy(),
            "peak_memory": games.peak.copy(),
            "_peak_memory": every.copy(),
        }

    def _reset_ended(self, done: np.ndarray, infos: dict[str, Any]) -> dict[str, Any]:
        """SAME_STEP: keep the ending slots' last observation and info, reset them, report their first ones."""
        final_obs = np.full(self.num_envs, None, dtype=object)
        for b in np.flatnonzero(done):
            final_obs[b] = self.encoder.slot_observation(b)
        self._new_episodes(done, None)
        self._reset_games(self._batch, self._games, self.encoder.buffers, done)
        return self._infos() | {
            "final_obs": final_obs,
            "_final_obs": done.copy(),
            "final_info": _restricted(infos, done),
            "_final_info": done.copy(),
        }


class RandomCCElimVectorEnv(CCElimVectorEnv):
    """:class:`CCElimVectorEnv` whose slots eliminate random graphs, a new one at each of their resets.

    **Description.** Slot ``b`` draws its graph with
    :func:`ccgym.random_graphs.random_graph` from its own generator at each of
    its resets, so it plays exactly the episodes of a
    :class:`ccgym.envs.RandomCCElimEnv` reset with seed ``seed + b``. The
    graphs are padded to one layout (``pad_to``, by default the largest
    counts of the ranges): isolated padding vertices at the end of each
    block, whose actions are never legal. Drawing a graph happens in Python
    (a few milliseconds), before the compiled step that resets the slot.

    **Spaces, Rewards, Episode End, Info** as for :class:`CCElimVectorEnv`.

    **Starting State.** ``reset(seed=s)`` seeds slot ``b``'s generator with
    ``s + b`` (those of the slots it resets); without a seed the generators
    go on (and are seeded at random the first time).

    Args:
        num_envs: the number of slots.
        pad_to, size_scale: as for :class:`ccgym.envs.RandomCCElimEnv`.
        options: the graph ranges ``num_inputs``, ``num_intermediates``,
            ``num_outputs``, ``size`` and ``max_rank`` (see
            :class:`ccgym.random_graphs.RandomGraphSpec`, whose defaults they
            keep), and the other options of :class:`CCElimVectorEnv`.

    Version History:
        v0: the first version.
    """

    def __init__(
        self,
        num_envs: int = 1,
        *,
        pad_to: tuple[int, int, int] | None = None,
        size_scale: int | None = None,
        **options: Any,
    ) -> None:
        ranges = {name: options.pop(name) for name in GRAPH_RANGES if name in options}
        self.graph_spec = RandomGraphSpec(**ranges)
        layout = Layout(*self.graph_spec.padding(pad_to))
        size_scale = size_scale or self.graph_spec.max_jacobian_size
        self._configure(padded_batch(layout, num_envs), layout, size_scale, num_envs, **options)
        self.graphs: list[Graph | None] = [None] * num_envs  # each slot's current graph, from its first reset on
        self._generators: list[np.random.Generator | None] = [None] * num_envs

    @property
    def graph(self) -> Graph:
        raise AttributeError("each slot has its own graph: see graphs")

    def _new_episodes(self, which: np.ndarray, seed: int | None) -> None:
        """Draw a graph for every slot in ``which`` from its generator, and load it into the slot."""
        for b in np.flatnonzero(which):
            if seed is not None or self._generators[b] is None:
                self._generators[b] = seeding.np_random(None if seed is None else seed + int(b))[0]
            graph = random_graph(self._generators[b], self.graph_spec)
            pad_into(self._batch, b, graph, self.layout)
            self._load(b, b, graph)
            self.graphs[b] = graph


def _encoder(
    observation: str, layout: Layout, size_scale: int, mask: np.ndarray, initial_slots: int, max_edges: int | None
) -> BatchEncoder:
    """The batch encoder of an observation mode."""
    slots = edge_slots(observation, max_edges, layout, None)
    if slots is None:
        return ENCODERS[observation](layout, size_scale, mask, initial_slots)
    return FeatureEncoder(layout, size_scale, mask, initial_slots, slots)


def _episode_cost(games: Games, done: np.ndarray) -> dict[str, Any]:
    """The ``episode_cost`` info of the slots whose episodes end now."""
    cost = {
        "mults": np.where(done, games.mults, 0),
        "_mults": done.copy(),
        "peak_memory": np.where(done, games.peak, 0),
        "_peak_memory": done.copy(),
    }
    return {"episode_cost": cost, "_episode_cost": done.copy()}


def _restricted(infos: dict[str, Any], which: np.ndarray) -> dict[str, Any]:
    """``infos`` as set by the slots in ``which`` only: other slots' values zeroed and unmasked."""
    restricted: dict[str, Any] = {}
    for key, value in infos.items():
        if isinstance(value, dict):
            restricted[key] = _restricted(value, which)
        elif key.startswith("_"):
            restricted[key] = value & which
        else:
            keep = which.reshape(-1, *(1,) * (value.ndim - 1))
            restricted[key] = np.where(keep, value, np.zeros_like(value))
    return restricted
