"""A stable-baselines3 ``VecEnv`` over ccgym's native vector env: sb3-contrib's ``MaskablePPO`` trains on it unchanged.

SB3 wraps anything that is not its own ``VecEnv`` in a ``DummyVecEnv`` of
single envs; :class:`CCElimSB3VecEnv` instead drives one
:class:`ccgym.envs.vector.CCElimVectorEnv` in ``SAME_STEP`` autoreset mode,
which is SB3's convention (a finished slot is reset by the step that ends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvObs, VecEnvStepReturn

from ccgym.envs.vector import CCElimVectorEnv


class CCElimSB3VecEnv(VecEnv):
    """SB3's ``VecEnv`` API on a native vector env (made with ``autoreset_mode=SAME_STEP`` and ``copy=True``).

    - ``step_wait`` returns ``(obs, rewards float32[B], dones bool[B], infos)``
      with one dict per slot: ``TimeLimit.truncated`` (truncated and not
      terminated), and for a slot whose episode ended ``terminal_observation``
      (its last observation; ``obs`` already holds the next episode's first)
      and ``episode_cost`` (``{"mults", "peak_memory"}``).
    - ``reset()`` returns the observations only; a seed set by ``seed(s)``
      applies at the next reset, slot ``b`` getting ``s + b`` as in SB3.
      Reset options are not supported.
    - ``action_masks()`` and ``env_method("action_masks")`` (what
      ``MaskablePPO`` calls) give the legal actions, one row per slot.
    - ``get_attr(name)`` reads the native env's attribute (the same value for
      every slot); ``env_method(name)`` calls the native method once and gives
      each slot its row of the result, which must have a leading batch axis.

    Wrap it in SB3's ``VecMonitor`` for episode statistics.
    """

    def __init__(self, env: CCElimVectorEnv) -> None:
        if env.autoreset_mode != AutoresetMode.SAME_STEP:
            mode = env.autoreset_mode
            raise ValueError(f"SB3 resets finished envs in the same step: use autoreset_mode=SAME_STEP, not {mode}")
        if not env.copy:
            raise ValueError("SB3 keeps the previous observation while stepping: make the env with copy=True")
        self.env = env
        self._actions: np.ndarray | None = None
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)

    @classmethod
    def make(cls, env_id: str, num_envs: int, **options: Any) -> CCElimSB3VecEnv:
        """The adapter over ``gym.make_vec(env_id, num_envs, ...)``'s native env (``options`` as for it)."""
        env = gym.make_vec(
            env_id, num_envs, vectorization_mode="vector_entry_point", autoreset_mode=AutoresetMode.SAME_STEP, **options
        )
        return cls(env)

    def action_masks(self) -> np.ndarray:
        """Legal actions of every slot, ``bool[B, A]``."""
        return self.env.action_masks()

    def reset(self) -> VecEnvObs:
        if any(self._options):
            raise ValueError("CCElimSB3VecEnv does not support reset options")
        obs, _ = self.env.reset(seed=self._seeds[0])
        self._reset_seeds()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = terminated | truncated
        slot_infos: list[dict[str, Any]] = [
            {"TimeLimit.truncated": bool(truncated[b] and not terminated[b])} for b in range(self.num_envs)
        ]
        for b in np.flatnonzero(dones):
            cost = infos["final_info"]["episode_cost"]
            slot_infos[b]["terminal_observation"] = infos["final_obs"][b]
            slot_infos[b]["episode_cost"] = {"mults": int(cost["mults"][b]), "peak_memory": int(cost["peak_memory"][b])}
        return obs, rewards.astype(np.float32), dones, slot_infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = getattr(self.env, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an attribute of the native env, which all slots share (so ``indices`` must be all of them)."""
        if sorted(self._get_indices(indices)) != list(range(self.num_envs)):
            raise ValueError("the slots share one native env: set attributes for all of them")
        setattr(self.env, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        result = getattr(self.env, method_name)(*method_args, **method_kwargs)
        return [result[b] for b in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        raise NotImplementedError("the native vector env does not render")
