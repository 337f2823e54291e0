"""PPO's settings: the defaults, and every task's departures from them (the one place to tune per task).

A run's settings are ``Settings()`` updated by ``TASK_SETTINGS[task]`` (the
random-graph env's key is ``"random"``), then by the command-line flags.

Why the defaults are what they are:

- ``num_envs`` games run at once in the native vector env (one compiled step
  for all); ``n_steps`` steps of each per rollout, ``None`` meaning one
  episode's length (the task's intermediates), so every rollout ends whole
  episodes and the curve gets a point per episode batch.
- ``gamma = 1``: the return is minus the whole order's cost; rewards are
  divided by the reverse-mode cost (``normalize="reverse"``), so reverse mode
  returns -1 on every task and one learning rate and value scale serve all.
- ``ent_coef`` keeps the policy exploring; the best order seen while
  training is kept, so exploration is never wasted.
- ``width`` and ``layers`` size :class:`baselines.networks.GraphPolicyValueNet`,
  the network the AlphaZero agent uses too. On graphs of 40 to 130
  intermediates a gradient step over 128 states costs most of the time (the
  messages run over every live edge), so the defaults keep the network small
  (32 wide, 2 rounds) and the epochs few: at width 64, 3 rounds and 4 epochs
  one update on AlphaGrad-RoeFlux_1d took about 15 s on this 2-core machine.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Settings:
    """The hyperparameters of one PPO run (a resumed run must be given the same)."""

    num_envs: int = 8
    n_steps: int | None = None  # per slot and rollout; None: the task's number of intermediates
    batch_size: int = 128
    n_epochs: int = 2
    learning_rate: float = 3e-4
    gamma: float = 1.0
    gae_lambda: float = 0.95
    clip_range: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    width: int = 32
    layers: int = 2

    def __post_init__(self) -> None:
        for name in ("num_envs", "batch_size", "n_epochs", "width", "layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.n_steps is not None and self.n_steps < 1:
            raise ValueError(f"n_steps must be at least 1 (or None), got {self.n_steps}")
        if not (self.learning_rate > 0.0 and 0.0 <= self.gamma <= 1.0):
            raise ValueError(
                f"need a positive learning rate and gamma in [0, 1], got {self.learning_rate}, {self.gamma}"
            )


# few intermediates: more games per rollout, and a network as large as the AlphaZero agent's (it is cheap here)
SMALL_GRAPH = {"num_envs": 16, "n_steps": 32, "batch_size": 64, "n_epochs": 4, "width": 64, "layers": 3}

TASK_SETTINGS: dict[str, dict[str, Any]] = {
    "LIF": SMALL_GRAPH,  # 10 intermediates
    "AdaLIF": SMALL_GRAPH,  # 12
    "SNN": SMALL_GRAPH,  # 14
    "MLP": SMALL_GRAPH,  # 20
    # everything else (38 to 129 intermediates) keeps the defaults: 8 games, one episode per rollout
    "random": {"num_envs": 16, "n_steps": 48},  # CCElim-Random-v0's default graphs: 24 intermediates
}


def settings_for(task: str, **overrides: Any) -> Settings:
    """The defaults, updated by the task's entry of :data:`TASK_SETTINGS` and then by ``overrides`` (not None)."""
    known = {field.name for field in fields(Settings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown PPO settings {unknown}; known: {sorted(known)}")
    given = {key: value for key, value in overrides.items() if value is not None}
    return replace(Settings(), **{**TASK_SETTINGS.get(task, {}), **given})
