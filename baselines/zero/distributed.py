"""AlphaZero self-play on Ray (``python baselines/alphazero.py --ray --workers N``): N actors play, the driver learns.

Every iteration the learner's weights go into Ray's object store once; each
actor (:class:`SelfPlayer`, one CPU, one torch thread) loads them into its own
copy of the network and plays one round of its own ``--games`` games with its
own search, exactly as the local mode plays (:meth:`Run.play_round
<baselines.zero.train.Run.play_round>` of a local run held by the actor). The
driver merges the rounds in worker order, whatever order they finish in, into
its replay buffer and takes the iteration's gradient steps as in local mode:
one iteration is ``N * games`` episodes and ``train_steps`` steps. The budget
is wall-clock time (the actors' CPU time is not the driver's). Ray runs train
on a task's graph; random graphs (``--task random``) are refused for now,
since the driver's graph pool would have to receive every actor's graphs.

Random numbers: worker 0 plays with the learner's own generator (its state
travels to the actor and back), worker ``k >= 1`` with a generator derived
from ``(seed, iteration, k)``. The actors keep nothing between iterations but
the weights they are sent, so the checkpoint the driver writes (the local
mode's) is all a resumed run needs. What is bit-identical:

- ``--workers 1`` plays and learns exactly as the local mode with the same
  settings (both with one torch thread, the default; tested);
- a run with N workers is reproducible from its seed, and a resumed run
  continues exactly as the run it resumes would have;
- N workers are not the local mode with ``N * games`` games: the games are
  split between generators, so their moves differ (same distribution).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch

from baselines.ray_session import RaySession
from baselines.zero.self_play import Episodes
from baselines.zero.train import RANDOM, Config, Run


class SelfPlayer:
    """A self-play actor: a local run on the CPU whose network is refreshed before every round."""

    def __init__(self, config: Config) -> None:
        # one CPU per actor; its weights come from the learner before every round, so --init is the learner's
        self.run = Run(replace(config, workers=0, device="cpu", threads=1, init=""))

    def play_round(self, weights: dict[str, torch.Tensor], rng_state: dict) -> tuple[Episodes, np.ndarray, dict, float]:
        """Load ``weights``, play one round from generator state ``rng_state``.

        Returns the episodes, the games' pool slots, the generator's new state, and the seconds it took.
        """
        started = time.perf_counter()
        self.run.net.load_state_dict(weights)
        self.run.rng.bit_generator.state = rng_state
        episodes, slots = self.run.play_round()
        return episodes, slots, self.run.rng.bit_generator.state, time.perf_counter() - started


class RayRun(Run):
    """A :class:`~baselines.zero.train.Run` whose self-play rounds ``config.workers`` Ray actors play.

    ``round_seconds`` holds, after each round, every actor's own time for it
    (loading the weights and playing), for measuring where an iteration goes.
    """

    def __init__(self, config: Config, address: str | None = None) -> None:
        if config.workers < 1:
            raise ValueError(f"a Ray run needs at least one worker, got {config.workers}")
        if config.task == RANDOM:
            raise ValueError(f"--ray trains on a task's graph; --task {RANDOM} runs in one process only (for now)")
        super().__init__(config)
        self.session = RaySession(address)
        try:
            actor = self.session.ray.remote(num_cpus=1)(SelfPlayer)
            self.players = [actor.remote(config) for _ in range(config.workers)]
        except BaseException:
            self.session.close()
            raise
        self.round_seconds: list[float] = []

    def play_round(self) -> tuple[Episodes, np.ndarray]:
        """Every actor plays one round with the learner's current weights; their episodes merged in worker order.

        The games' pool slots are the actors' own: on a task every pool holds the task's graph in slot 0.
        """
        ray = self.session.ray
        weights = ray.put({name: tensor.detach().cpu() for name, tensor in self.net.state_dict().items()})
        states = [self.rng.bit_generator.state] + [
            worker_rng(self.config.seed, self.iteration, worker).bit_generator.state
            for worker in range(1, self.config.workers)
        ]
        rounds = ray.get([player.play_round.remote(weights, state) for player, state in zip(self.players, states)])
        self.rng.bit_generator.state = rounds[0][2]
        self.round_seconds = [seconds for *_, seconds in rounds]
        return merge([episodes for episodes, *_ in rounds]), np.concatenate([slots for _, slots, *_ in rounds])

    def close(self) -> None:
        """End the actors, and Ray if this run started it."""
        for player in self.players:
            self.session.ray.kill(player)
        self.players = []
        self.session.close()


def worker_rng(seed: int, iteration: int, worker: int) -> np.random.Generator:
    """The generator worker ``worker >= 1`` plays iteration ``iteration`` with (worker 0 uses the learner's)."""
    return np.random.default_rng([seed, iteration, worker])


def merge(rounds: list[Episodes]) -> Episodes:
    """The episodes of several rounds as one, in the given order (games numbered on across rounds)."""
    offsets = np.cumsum([0] + [len(episodes.orders) for episodes in rounds[:-1]])
    return Episodes(
        [order for episodes in rounds for order in episodes.orders],
        np.concatenate([episodes.mults for episodes in rounds]),
        np.concatenate([episodes.games + offset for episodes, offset in zip(rounds, offsets)]),
        np.concatenate([episodes.keys for episodes in rounds]),
        np.concatenate([episodes.policies for episodes in rounds]),
        np.concatenate([episodes.values for episodes in rounds]),
    )
