"""PPO on one task or on random graphs: sb3-contrib's MaskablePPO with a per-vertex policy on the native vector env.

    python baselines/ppo.py [--task LIF | --task random] [--budget 60] [--steps N] [--seed 0]
                            [--out runs/ppo-LIF-seed0] [--resume] [--device cpu] [--num-envs 16] ...

The policy (:mod:`baselines.ppo.policy`) reads ``observation="features"`` and
scores every vertex with one shared network, so it serves graphs of any size;
rewards are divided by the reverse-mode cost (reverse mode returns -1 on every
task); the settings come from :mod:`baselines.ppo.settings` (per task) and the
flags. Training stops when ``--budget`` seconds of the run's own time are spent
(time before a kill counts; Numba's compiling does not, see
:mod:`baselines.compile_time`) or after ``--steps`` environment steps. The order
of every finished training episode is watched and the best kept. At the end
the policy plays one deterministic, masked episode (sb3-contrib's
``evaluate_policy``). The run writes, in ``--out``:

- ``log.csv``: one line per update (steps, episodes, time, the compiling left
  out of it, best and mean cost of the rollout's episodes, mean cost over
  reverse mode, losses);
- ``checkpoint.pt``: the model (sb3's zip: policy, optimiser, counters), the
  best order, the counters and the log, written atomically after every update;
  ``--resume`` continues from it with the same settings, losing at most the
  rollout that was running;
- ``curve.png``: best and mean cost against time and steps, with reverse
  mode, Markowitz and the optimum (where the leaderboard has it) as lines;
- ``result.json``: the best order seen, the deterministic order, their costs.

``--task random`` trains on ``CCElim-Random-v0`` (a new random graph per
episode and slot): there is no one best order, so ``best_mults`` stays blank,
the curve shows the mean cost over reverse mode, and no ``result.json`` is written.
"""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium.vector import AutoresetMode
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.evaluation import evaluate_policy
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor
from tqdm import tqdm

import benchmarks_tasks
from baselines.budget import BUDGET_CLOCK
from baselines.compile_time import compile_seconds
from baselines.device import check_device
from baselines.learning_curves import plot_curve, reference_costs, write_log
from baselines.ppo.policy import VertexScoringPolicy
from baselines.ppo.settings import Settings, settings_for
from baselines.ppo.vec_env import CCElimSB3VecEnv
from baselines.zero import checkpoint
from ccgym.envs.vector import CCElimVectorEnv, RandomCCElimVectorEnv

RANDOM = "random"  # --task value that trains on CCElim-Random-v0
LOG_COLUMNS = ("update", "steps", "episodes", "seconds", "compile_seconds", "best_mults", "mean_mults", "mean_ratio",
               "policy_loss", "value_loss", "entropy")  # fmt: skip
ENV_OPTIONS = {"observation": "features", "normalize": "reverse", "autoreset_mode": AutoresetMode.SAME_STEP}


@dataclass(frozen=True)
class Config:
    """Everything a run depends on but its length (a resumed run must be given the same)."""

    task: str = "LIF"
    budget: float = 60.0  # seconds of the run's own time
    steps: int | None = None  # environment steps (all slots together); None: until the budget is spent
    seed: int = 0
    device: str = "cpu"
    threads: int = 1  # torch's CPU threads: more only help on an idle machine with large graphs
    settings: Settings | None = None  # None: the task's (baselines.ppo.settings.settings_for)

    def __post_init__(self) -> None:
        if self.settings is None:
            object.__setattr__(self, "settings", settings_for(self.task))
        if self.task != RANDOM and self.task not in benchmarks_tasks.names():
            raise ValueError(f"unknown task {self.task!r}; valid: {RANDOM}, {', '.join(benchmarks_tasks.names())}")
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise ValueError(f"--budget must be a positive number of seconds, got {self.budget}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"--steps must be at least 1, got {self.steps}")
        if self.threads < 1:
            raise ValueError(f"--threads must be at least 1, got {self.threads}")
        check_device(self.device)

    def identity(self) -> dict[str, Any]:
        """The settings a checkpoint must share with the run that resumes it (all but the run's length)."""
        left_out = ("budget", "steps", "threads", "settings")  # the settings are added flat below
        return {key: value for key, value in asdict(self).items() if key not in left_out} | asdict(self.settings)


def make_envs(task: str, num_envs: int) -> VecMonitor:
    """``num_envs`` slots of the task's (or random graphs') native vector env, adapted to sb3, rewards over reverse."""
    if task == RANDOM:
        native = RandomCCElimVectorEnv(num_envs, **ENV_OPTIONS)
    else:
        native = CCElimVectorEnv(benchmarks_tasks.get(task).graph(), num_envs, **ENV_OPTIONS)
    return VecMonitor(CCElimSB3VecEnv(native))


@dataclass
class Progress:
    """What a run has done so far: counters, the best order seen, and the running rollout's episodes."""

    updates: int = 0
    episodes: int = 0
    seconds: float = 0.0
    best_mults: int | None = None
    best_order: list[int] = field(default_factory=list)
    rollout_mults: list[int] = field(default_factory=list)
    rollout_ratios: list[float] = field(default_factory=list)

    def finish_episode(self, order: list[int], mults: int, ratio: float, keep_best: bool) -> None:
        self.episodes += 1
        self.rollout_mults.append(mults)
        self.rollout_ratios.append(ratio)
        if keep_best and (self.best_mults is None or mults < self.best_mults):
            self.best_mults, self.best_order = mults, order


class Trainer:
    """One run: the envs, the model, its progress, and the files it writes into ``out``."""

    def __init__(self, config: Config, out: Path) -> None:
        self.config = config
        self.out = out
        self.compiled_before = compile_seconds()  # Numba's compiling so far; a log line holds what an update added
        self.compile_seconds = 0.0  # in this process, left out of the budget (not checkpointed)
        self.settings = config.settings
        self.graph = None if config.task == RANDOM else benchmarks_tasks.get(config.task).graph()
        self.envs = make_envs(config.task, self.settings.num_envs)
        native = self.envs.venv.env
        self.slots_actions: list[list[int]] = [[] for _ in range(self.settings.num_envs)]
        self.progress = Progress()
        self.log: list[dict] = []
        n_steps = self.settings.n_steps or native.single_action_space.n
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.model = MaskablePPO(
            VertexScoringPolicy,
            self.envs,
            learning_rate=self.settings.learning_rate,
            n_steps=n_steps,
            batch_size=self.settings.batch_size,
            n_epochs=self.settings.n_epochs,
            gamma=self.settings.gamma,
            gae_lambda=self.settings.gae_lambda,
            clip_range=self.settings.clip_range,
            ent_coef=self.settings.ent_coef,
            vf_coef=self.settings.vf_coef,
            max_grad_norm=self.settings.max_grad_norm,
            policy_kwargs={
                "first_action_row": native.layout.inputs,
                "features_extractor_kwargs": {"width": self.settings.width, "layers": self.settings.layers},
            },
            seed=config.seed,
            device=config.device,
        )

    @property
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    @property
    def log_path(self) -> Path:
        return self.out / "log.csv"

    # ------------------------------------------------------------------------- checkpoints

    def save(self) -> None:
        """Write the model and the progress atomically (the rollout that is running is not part of it)."""
        model = io.BytesIO()
        self.model.save(model)
        progress = asdict(self.progress) | {"rollout_mults": [], "rollout_ratios": []}
        state = {"config": self.config.identity(), "model": model.getvalue(), "progress": progress, "log": self.log}
        checkpoint.save(self.checkpoint_path, state)

    def load(self) -> None:
        """Continue from the checkpoint in ``out`` (``ValueError`` if it was written with other settings)."""
        state = checkpoint.load(self.checkpoint_path)
        mine = json.loads(json.dumps(self.config.identity()))
        saved = json.loads(json.dumps(state["config"]))
        if saved != mine:
            changed = sorted(key for key in mine if saved.get(key) != mine[key])
            raise ValueError(f"the checkpoint was written with other settings: {', '.join(changed)}")
        self.model = MaskablePPO.load(io.BytesIO(state["model"]), env=self.envs, device=self.config.device)
        self.model._last_obs = None  # the envs are fresh: the next learn() resets them
        self.progress = Progress(**state["progress"])
        self.log = state["log"]
        if self.config.task == RANDOM:  # new graphs, not those of the killed run's episodes again
            self.envs.seed(self.config.seed + self.model.num_timesteps)

    # ------------------------------------------------------------------------- training

    def done(self) -> bool:
        steps = self.config.steps is not None and self.model.num_timesteps >= self.config.steps
        return steps or self.progress.seconds >= self.config.budget

    def learn(self, bar: tqdm | None = None) -> None:
        """Train until the budget or the steps are spent, logging and checkpointing after every update."""
        if self.done():
            return
        remaining = 10**15 if self.config.steps is None else self.config.steps - self.model.num_timesteps
        watcher = _Watcher(self, bar)
        self.model.learn(remaining, callback=watcher, reset_num_timesteps=False)
        watcher.end_update()
        self.save()

    def end_update(self) -> None:
        """Log the update that just finished (its rollout's episodes and the losses) and checkpoint."""
        progress = self.progress
        progress.updates += 1
        values = self.model.logger.name_to_value
        line = {
            "update": progress.updates,
            "steps": self.model.num_timesteps,
            "episodes": progress.episodes,
            "seconds": round(progress.seconds, 3),
            "compile_seconds": round(compile_seconds() - self.compiled_before, 3),
            "best_mults": progress.best_mults if progress.best_mults is not None else "",
            "mean_mults": float(np.mean(progress.rollout_mults)) if progress.rollout_mults else "",
            "mean_ratio": float(np.mean(progress.rollout_ratios)) if progress.rollout_ratios else "",
            "policy_loss": values.get("train/policy_gradient_loss", ""),
            "value_loss": values.get("train/value_loss", ""),
            "entropy": -values["train/entropy_loss"] if "train/entropy_loss" in values else "",
        }
        progress.rollout_mults, progress.rollout_ratios = [], []
        self.compile_seconds += line["compile_seconds"]
        self.compiled_before = compile_seconds()
        self.log.append(line)
        self.save()
        write_log(self.log_path, LOG_COLUMNS, self.log)

    # ------------------------------------------------------------------------- evaluation

    def deterministic_order(self) -> tuple[list[int], int]:
        """The trained policy's order on the task: one deterministic, masked episode (sb3-contrib's evaluation)."""
        if self.graph is None:
            raise ValueError("a run on random graphs has no one task to play")
        env = VecMonitor(CCElimSB3VecEnv(CCElimVectorEnv(self.graph, 1, **ENV_OPTIONS)))
        order: list[int] = []
        mults: list[int] = []

        def record(local: dict[str, Any], _: dict[str, Any]) -> None:
            order.append(int(local["actions"][local["i"]]))
            if local["done"]:
                mults.append(local["info"]["episode_cost"]["mults"])

        evaluate_policy(self.model, env, n_eval_episodes=1, deterministic=True, callback=record, warn=False)
        return order, mults[0]


class _Watcher(BaseCallback):
    """Watches training: every finished episode's order, the time budget, and the end of each update."""

    def __init__(self, trainer: Trainer, bar: tqdm | None) -> None:
        super().__init__()
        self.trainer = trainer
        self.bar = bar
        self.pending = False  # a rollout ended and its update has run, but is not logged yet
        self.seconds_before = trainer.progress.seconds
        self.started = 0.0

    def _on_training_start(self) -> None:
        self.started = BUDGET_CLOCK()

    def _on_rollout_start(self) -> None:
        self.end_update()

    def _on_rollout_end(self) -> None:
        self.pending = True

    def end_update(self) -> None:
        if self.pending:
            self.pending = False
            self._clock()
            self.trainer.end_update()

    def _clock(self) -> None:
        self.trainer.progress.seconds = self.seconds_before + BUDGET_CLOCK() - self.started
        if self.bar is not None:
            budget = self.trainer.config.budget
            self.bar.update(min(round(self.trainer.progress.seconds), round(budget)) - self.bar.n)
            self.bar.set_postfix(best=self.trainer.progress.best_mults, steps=self.model.num_timesteps)

    def _on_step(self) -> bool:
        trainer, slots = self.trainer, self.trainer.slots_actions
        keep_best = trainer.graph is not None
        for b, (action, done, info) in enumerate(
            zip(self.locals["actions"], self.locals["dones"], self.locals["infos"])
        ):
            slots[b].append(int(action))
            if done:
                mults = info["episode_cost"]["mults"]
                trainer.progress.finish_episode(slots[b], mults, -float(info["episode"]["r"]), keep_best)
                slots[b] = []
        self._clock()
        return trainer.progress.seconds < trainer.config.budget  # learn() itself stops at the steps, after the update


# ----------------------------------------------------------------------------- the command


def train(config: Config, out: Path, resume: bool = False, progress: bool = True) -> Trainer:
    """Run (or continue) training until the budget is spent; writes the files of the module docstring."""
    lock = checkpoint.hold_folder(out)
    try:
        trainer = Trainer(config, out)
        if resume:
            if not trainer.checkpoint_path.exists():
                raise FileNotFoundError(f"--resume: no checkpoint in {out}")
            trainer.load()
        elif trainer.checkpoint_path.exists() or trainer.log_path.exists():
            raise FileExistsError(f"{out} already holds a run: pass --resume to continue it, or another --out")
        write_log(trainer.log_path, LOG_COLUMNS, trainer.log)  # the checkpoint's: no line of a lost update
        bar = tqdm(total=round(config.budget), initial=min(round(trainer.progress.seconds), round(config.budget)),
                   unit="s", desc=f"ppo {config.task}", disable=not progress)  # fmt: skip
        trainer.learn(bar)
        bar.close()
        _write_results(trainer)
        return trainer
    finally:
        lock.release()


def _write_results(trainer: Trainer) -> None:
    """``curve.png`` and, for a task, ``result.json`` with the deterministic and the best order."""
    config, log = trainer.config, trainer.log
    title = f"PPO on {config.task}, seed {config.seed}"
    axes = (("seconds", "time (s)"), ("steps", "environment steps"))
    if trainer.graph is None:
        if log:
            series = (("mean_ratio", "mean cost / reverse mode"),)
            plot_curve(log, {"reverse": 1}, trainer.out / "curve.png", title, axes, series, "cost / reverse mode")
        return
    order, mults = trainer.deterministic_order()
    best = trainer.progress
    result = {"task": config.task, "deterministic": {"mults": mults, "order": order},
              "best": {"mults": best.best_mults, "order": best.best_order}}  # fmt: skip
    (trainer.out / "result.json").write_text(json.dumps(result) + "\n")
    if log:
        references = reference_costs(trainer.graph, config.task, Path("results"))
        plot_curve(log, references, trainer.out / "curve.png", title, axes)


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, train, and print the orders' costs beside the reference costs."""
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default=defaults.task, help=f"a benchmark task or {RANDOM} (default: LIF)")
    parser.add_argument("--budget", type=float, default=defaults.budget, help="seconds of training (default: 60)")
    parser.add_argument("--steps", type=int, help="stop after this many environment steps (default: budget only)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default=defaults.device, help="cpu or cuda (default: cpu)")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads (default: 1)")
    parser.add_argument("--num-envs", type=int, help="games at once (default: the task's settings)")
    parser.add_argument("--n-steps", type=int, help="steps per game and rollout (default: the task's settings)")
    parser.add_argument("--learning-rate", type=float, help="(default: the task's settings)")
    parser.add_argument("--ent-coef", type=float, help="entropy bonus (default: the task's settings)")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/ppo-TASK-seedSEED)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    args = parser.parse_args(argv)
    try:
        settings = settings_for(args.task, num_envs=args.num_envs, n_steps=args.n_steps,
                                learning_rate=args.learning_rate, ent_coef=args.ent_coef)  # fmt: skip
        config = Config(args.task, args.budget, args.steps, args.seed, args.device, args.threads, settings)
        out = args.out or Path("runs") / f"ppo-{args.task}-seed{args.seed}"
        trainer = train(config, out, resume=args.resume)
    except (ValueError, RuntimeError, FileExistsError, FileNotFoundError) as error:
        parser.exit(2, f"error: {error}\n")
    progress = trainer.progress
    done = f"{progress.episodes} episodes, {trainer.model.num_timesteps} steps in {progress.seconds:.0f} s"
    if trainer.compile_seconds >= 0.5:
        done += f" (and {trainer.compile_seconds:.0f} s compiling, not counted)"
    if trainer.graph is None:
        ratio = trainer.log[-1]["mean_ratio"] if trainer.log else float("nan")
        print(f"random graphs: last rollout's mean cost {ratio:.3f} x reverse mode after {done}; files in {out}")
        return 0
    result = json.loads((out / "result.json").read_text())
    references = reference_costs(trainer.graph, args.task, Path("results"))
    compared = ", ".join(f"{name} {value}" for name, value in references.items())
    print(f"{args.task}: deterministic policy {result['deterministic']['mults']} mults, best seen "
          f"{progress.best_mults} after {done} ({compared}); files in {out}")  # fmt: skip
    return 0
