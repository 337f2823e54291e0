"""AlphaZero on one task: self-play with the compiled Gumbel search, a replay buffer, and a graph network.

    python baselines/alphazero.py [--task LIF] [--budget 120] [--seed 0] [--simulations 16] [--games 16]
                                  [--out runs/alphazero-LIF] [--resume] [--device cpu]

One iteration plays ``--games`` games at once (a search of ``--simulations``
simulations before every move, every game's leaves scored in one network
call), stores each position as its state key with the search's improved
policy and the multiplications still to come (over the reverse-mode cost, so
values are near -1 on every task), then takes gradient steps on the policy's
cross-entropy to the improved policy and the value's squared error. The best
order ever played is kept. The run stops when ``--budget`` seconds of its own
time are spent (time before a kill counts); it writes, in ``--out``:

- ``log.csv``: one line per iteration (time, episodes, costs, losses);
- ``checkpoint.pt``: network, optimiser, replay buffer, generators, best order
  and counters, written atomically after every iteration; ``--resume``
  continues from it with the same settings, losing at most the iteration
  that was running;
- ``curve.png``: the best and mean cost against time and episodes, with
  reverse mode, Markowitz and the optimum (where the leaderboard has it) as lines;
- ``best_order.json``: the best order and its cost.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import benchmarks_tasks
import ccgym
from baselines.learning_curves import plot_curve, read_log, reference_costs, write_log
from baselines.mcts import SearchConfig, Searcher
from baselines.networks import GraphPolicyValueNet
from baselines.zero import checkpoint
from baselines.zero.evaluator import NetworkEvaluator, StateEncoder
from baselines.zero.replay import ReplayBuffer
from baselines.zero.self_play import play
from ccgym import features, kernels

LOG_COLUMNS = ("iteration", "seconds", "episodes", "best_mults", "mean_mults", "policy_loss", "value_loss")
INTEGER_COLUMNS = ("iteration", "episodes", "best_mults")


@dataclass(frozen=True)
class Config:
    """Everything a run depends on (a resumed run must be given the same)."""

    task: str = "LIF"
    budget: float = 120.0  # seconds of the run's own time
    seed: int = 0
    simulations: int = 16
    games: int = 16
    considered_actions: int = 16
    width: int = 64
    layers: int = 3
    learning_rate: float = 1e-3
    batch_size: int = 256
    train_steps: int = 8  # gradient steps per iteration
    replay_capacity: int = 20_000
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise ValueError(f"--budget must be a positive number of seconds, got {self.budget}")
        for name in ("simulations", "games", "considered_actions", "width", "layers", "batch_size", "train_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"--device {self.device}: no CUDA device is available here")


class Run:
    """One training run: the graph, the network, the search, the buffer, and what has been learned so far."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.graph = benchmarks_tasks.get(config.task).graph()
        packed = self.graph.packed
        self.batch = kernels.repeat_graph(packed, config.games)
        self.normalizer = np.full(config.games, float(ccgym.cost(self.graph, ccgym.reverse_order(self.graph)).mults))
        torch.manual_seed(config.seed)
        self.net = GraphPolicyValueNet(config.width, config.layers).to(config.device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate)
        plan = features.make_plan(packed)
        self.evaluator = NetworkEvaluator(
            self.net, StateEncoder(self.batch, features.repeat_plan(plan, config.games), config.device)
        )
        self.sample_encoder = StateEncoder(
            kernels.repeat_graph(packed, config.batch_size), features.repeat_plan(plan, config.batch_size), config.device
        )
        search = SearchConfig(config.simulations, max_num_considered_actions=config.considered_actions)
        self.searcher = Searcher(self.batch, self.evaluator, search)
        self.replay = ReplayBuffer(
            config.replay_capacity, kernels.key_words(packed.num_intermediates), packed.num_intermediates
        )
        self.rng = np.random.default_rng(config.seed)
        self.iteration = 0
        self.episodes = 0
        self.seconds = 0.0
        self.best_order: list[int] = []
        self.best_mults: int | None = None

    # ------------------------------------------------------------------------- one iteration

    def iterate(self) -> dict:
        """Self-play one round, learn from the buffer; returns the iteration's log line."""
        episodes = play(self.batch, self.searcher, self.normalizer, self.rng)
        self.replay.add(episodes.keys, episodes.policies, episodes.values)
        for order, mults in zip(episodes.orders, episodes.mults):
            if self.best_mults is None or mults < self.best_mults:
                self.best_mults, self.best_order = int(mults), list(order)
        losses = [self._train_step() for _ in range(self.config.train_steps)]
        self.iteration += 1
        self.episodes += len(episodes.orders)
        return {
            "iteration": self.iteration,
            "episodes": self.episodes,
            "best_mults": self.best_mults,
            "mean_mults": float(episodes.mults.mean()),
            "policy_loss": float(np.mean([loss[0] for loss in losses])),
            "value_loss": float(np.mean([loss[1] for loss in losses])),
        }

    def _train_step(self) -> tuple[float, float]:
        """One gradient step on a batch drawn from the buffer: ``(policy loss, value loss)``."""
        keys, policies, values = self.replay.sample(self.rng, self.config.batch_size)
        packed = self.graph.packed
        edges = np.empty((len(keys), *packed.edges.shape), np.int64)
        eliminated = np.empty((len(keys), packed.num_intermediates), np.bool_)
        touched = kernels.scratch(packed)
        for b, key in enumerate(keys):
            kernels.state_from_key(packed, key, edges[b], eliminated[b], touched)
        inputs = self.sample_encoder.encode(edges, eliminated)
        self.net.train()
        logits, predicted = self.net(inputs, packed.num_inputs, packed.num_intermediates)
        target = torch.as_tensor(policies, device=self.config.device)
        log_probabilities = torch.log_softmax(logits, dim=-1)
        policy_loss = -(target * log_probabilities.clamp(min=-1e9)).sum(-1).mean()
        value_loss = (predicted - torch.as_tensor(values, device=self.config.device)).pow(2).mean()
        self.optimizer.zero_grad()
        (policy_loss + value_loss).backward()
        self.optimizer.step()
        return policy_loss.item(), value_loss.item()

    # ------------------------------------------------------------------------- checkpoints

    def state_dict(self) -> dict:
        """What :meth:`load_state_dict` needs to continue exactly where this run is."""
        return {
            "config": asdict(self.config),
            "net": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "replay": self.replay.state_dict(),
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "iteration": self.iteration,
            "episodes": self.episodes,
            "seconds": self.seconds,
            "best_order": self.best_order,
            "best_mults": self.best_mults,
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from a checkpoint of a run with the same settings (``ValueError`` otherwise)."""
        saved = {key: value for key, value in state["config"].items() if key != "budget"}
        mine = {key: value for key, value in asdict(self.config).items() if key != "budget"}
        if saved != mine:
            changed = sorted(key for key in mine if saved.get(key) != mine[key])
            raise ValueError(f"the checkpoint was written with other settings: {', '.join(changed)}")
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.replay.load_state_dict(state["replay"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.iteration, self.episodes, self.seconds = state["iteration"], state["episodes"], state["seconds"]
        self.best_order, self.best_mults = state["best_order"], state["best_mults"]


# ----------------------------------------------------------------------------- the command


def train(config: Config, out: Path, resume: bool = False, progress: bool = True) -> Run:
    """Run (or continue) training until the budget is spent; writes the files of the module docstring."""
    lock = checkpoint.hold_folder(out)
    try:
        run = Run(config)
        state_path, log_path = out / "checkpoint.pt", out / "log.csv"
        if resume:
            if not state_path.exists():
                raise FileNotFoundError(f"--resume: no checkpoint in {out}")
            run.load_state_dict(checkpoint.load(state_path))
        elif state_path.exists() or log_path.exists():
            raise FileExistsError(f"{out} already holds a run: pass --resume to continue it, or another --out")
        log = [line for line in read_log(log_path, INTEGER_COLUMNS) if line["iteration"] <= run.iteration]
        write_log(log_path, LOG_COLUMNS, log)  # drop lines of an iteration that was killed before its checkpoint
        bar = tqdm(total=round(config.budget), initial=min(round(run.seconds), round(config.budget)), unit="s",
                   desc=f"alphazero {config.task}", disable=not progress)  # fmt: skip
        while run.seconds < config.budget:
            started = time.perf_counter()
            line = run.iterate()
            spent = time.perf_counter() - started
            run.seconds += spent
            line["seconds"] = round(run.seconds, 3)
            checkpoint.save(state_path, run.state_dict())
            log.append(line)
            write_log(log_path, LOG_COLUMNS, log)
            bar.update(min(round(run.seconds), round(config.budget)) - bar.n)
            bar.set_postfix(best=run.best_mults, mean=round(line["mean_mults"], 1), episodes=run.episodes)
        bar.close()
        references = reference_costs(run.graph, config.task, Path("results"))
        (out / "best_order.json").write_text(json.dumps({"task": config.task, "mults": run.best_mults,
                                                         "order": run.best_order}) + "\n")  # fmt: skip
        if log:
            plot_curve(log, references, out / "curve.png", f"AlphaZero on {config.task}, seed {config.seed}")
        return run
    finally:
        lock.release()


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, train, and print the best order's cost beside the reference costs."""
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default=defaults.task, help=f"a benchmark task (default: {defaults.task})")
    parser.add_argument("--budget", type=float, default=defaults.budget, help="seconds of training (default: 120)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--simulations", type=int, default=defaults.simulations, help="per move (default: 16)")
    parser.add_argument("--games", type=int, default=defaults.games, help="games played at once (default: 16)")
    parser.add_argument("--train-steps", type=int, default=defaults.train_steps, help="per iteration (default: 8)")
    parser.add_argument("--device", default=defaults.device, help="cpu or cuda (default: cpu)")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/alphazero-TASK-seedSEED)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    args = parser.parse_args(argv)
    if args.task not in benchmarks_tasks.names():
        parser.exit(2, f"error: unknown task {args.task!r}; valid names: {', '.join(benchmarks_tasks.names())}\n")
    try:
        config = Config(args.task, args.budget, args.seed, args.simulations, args.games,
                        train_steps=args.train_steps, device=args.device)  # fmt: skip
        out = args.out or Path("runs") / f"alphazero-{args.task}-seed{args.seed}"
        run = train(config, out, resume=args.resume)
    except (ValueError, RuntimeError, FileExistsError, FileNotFoundError) as error:
        parser.exit(2, f"error: {error}\n")
    references = reference_costs(run.graph, args.task, Path("results"))
    compared = ", ".join(f"{name} {value}" for name, value in references.items())
    print(f"{args.task}: best order {run.best_mults} mults after {run.episodes} episodes "
          f"in {run.seconds:.0f} s ({compared}); files in {out}")  # fmt: skip
    return 0
