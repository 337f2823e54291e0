"""AlphaZero on one task or on random graphs: self-play with the compiled Gumbel search, a replay buffer, a graph network.

    python baselines/alphazero.py [--task LIF|random] [--budget 120] [--seed 0] [--simulations 16] [--games 16]
                                  [--init CHECKPOINT] [--out runs/alphazero-LIF-seed0] [--resume] [--device cpu]
                                  [--ray [--workers 2] [--ray-address auto|ADDRESS]]

One iteration plays ``--games`` games at once (a search of ``--simulations``
simulations before every move, every game's leaves scored in one network
call), stores each position as its state key with the search's improved
policy and the multiplications still to come (over the reverse-mode cost, so
values are near -1 on every task), then takes gradient steps on the policy's
cross-entropy to the improved policy and the value's squared error. The best
order ever played is kept. With ``--task random`` every iteration draws a
fresh graph per game (:data:`RANDOM_GRAPHS`), for a network that is then used
on the tasks zero-shot (:mod:`baselines.zero.zero_shot`) or as the starting
point of a run on one task (``--init``; :mod:`baselines.zero.pretrained`
ships such a network). The run stops when
``--budget`` CPU seconds of its own process are spent (so a busy machine slows
it down but does not shorten it; CPU time before a kill counts). The
iteration running when the budget runs out finishes, so a run can overshoot
by one iteration. Numba's compiling is not counted (about 45 CPU-s on a
machine whose cache is cold; :mod:`baselines.compile_time`): ``log.csv``
reports it apart. It writes, in ``--out``:

- ``log.csv``: one line per iteration (CPU time, the part of it spent
  compiling and not counted, episodes, costs, losses);
- ``checkpoint.pt``: network, optimiser, replay buffer, graph pool,
  generators, best order and counters, written atomically after every
  iteration; ``--resume``
  continues from it with the same settings, losing at most the iteration
  that was running;
- ``curve.png``: the best and mean cost against time and episodes, with
  reverse mode, Markowitz and the optimum (where the leaderboard has it) as
  lines (on random graphs: the mean cost over reverse mode's);
- ``best_order.json``: the best order and its cost (on a task).

With ``--ray --workers N`` the games are played by N self-play actors on Ray,
each with its own ``--games`` games, search and copy of the network, and the
learner here trains on what they send (:mod:`baselines.zero.distributed`);
the budget is then in wall-clock seconds, since the actors' CPU time is not
this process's.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

import benchmarks_tasks
from baselines.compile_time import compile_seconds, excluding_compilation
from baselines.device import check_device
from baselines.learning_curves import plot_curve, read_log, reference_costs, write_log
from baselines.mcts import SearchConfig, Searcher
from baselines.networks import GraphPolicyValueNet
from baselines.zero import checkpoint
from baselines.zero.evaluator import NetworkEvaluator, StateEncoder
from baselines.zero.graphs import GraphPool
from baselines.zero.replay import ReplayBuffer
from baselines.zero.self_play import Episodes, play
from ccgym import features, kernels
from ccgym.random_graphs import RandomGraphSpec, random_graph

RANDOM = "random"  # the --task that trains on fresh random graphs
RANDOM_GRAPHS = RandomGraphSpec(num_inputs=(1, 4), num_intermediates=(16, 40), num_outputs=(1, 4), size=(2, 4))
LOG_COLUMNS = (
    "iteration", "seconds", "compile_seconds", "episodes", "best_mults", "mean_mults", "mean_vs_reverse",
    "policy_loss", "value_loss",
)  # fmt: skip
INTEGER_COLUMNS = ("iteration", "episodes", "best_mults")


@dataclass(frozen=True)
class Config:
    """Everything a run depends on (a resumed run must be given the same)."""

    task: str = "LIF"
    budget: float = 120.0  # CPU seconds of the run's own process
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
    threads: int = 1  # torch's CPU threads: one wastes no CPU time waiting on a busy machine
    workers: int = 0  # self-play actors on Ray (baselines.zero.distributed); 0: this process plays
    init: str = ""  # a checkpoint whose network the run starts from (baselines.zero.pretrained); "": random weights

    def __post_init__(self) -> None:
        if self.task != RANDOM and self.task not in benchmarks_tasks.names():
            raise ValueError(f"unknown task {self.task!r}; valid: {RANDOM}, {', '.join(benchmarks_tasks.names())}")
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise ValueError(f"--budget must be a positive number of seconds, got {self.budget}")
        for name in (
            "simulations", "games", "considered_actions", "width", "layers", "batch_size", "train_steps", "threads"
        ):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.workers < 0:
            raise ValueError(f"--workers must be at least 1, got {self.workers}")
        check_device(self.device)
        if self.init and not Path(self.init).is_file():
            raise ValueError(f"--init: no checkpoint at {self.init}")


class Run:
    """One training run: the graphs, the network, the search, the buffer, and what has been learned so far.

    On a task every game plays the task's graph; with ``task="random"``
    every iteration draws a fresh graph per game from :data:`RANDOM_GRAPHS`.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.random = config.task == RANDOM
        if self.random:
            layout = RANDOM_GRAPHS.padding()
            v = sum(layout)
            # a slot is reused only once the replay buffer has overwritten every position of its old graph
            slots = -(-config.replay_capacity // RANDOM_GRAPHS.num_intermediates[0]) + config.games
            self.graph = None
            self.pool = GraphPool(layout, slots, max_edges=v * (v - 1) // 2)
        else:
            self.graph = benchmarks_tasks.get(config.task).graph()
            packed = self.graph.packed
            layout = (packed.num_inputs, packed.num_intermediates, packed.num_outputs)
            self.pool = GraphPool(layout, 1, max_edges=features.reachable_pairs(packed))
            self.pool.add(packed)
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.net = GraphPolicyValueNet(config.width, config.layers).to(config.device)
        if config.init:
            self.net.load_state_dict(initial_weights(Path(config.init), config))
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate)
        self.search_config = SearchConfig(config.simulations, max_num_considered_actions=config.considered_actions)
        self.replay = ReplayBuffer(config.replay_capacity, kernels.key_words(layout[1]), layout[1])
        self.rng = np.random.default_rng(config.seed)
        self.game_slots = np.zeros(config.games, np.int64)
        self.searcher: Searcher | None = None  # for the games of the pool's slots game_slots
        self.iteration = 0
        self.episodes = 0
        self.seconds = 0.0
        self.compile_seconds = 0.0  # Numba's compiling in this process, left out of seconds (not checkpointed)
        self.best_order: list[int] = []
        self.best_mults: int | None = None

    # ------------------------------------------------------------------------- one iteration

    def iterate(self) -> dict:
        """Self-play one round, learn from the buffer; returns the iteration's log line."""
        episodes, slots = self.play_round()
        normalizers = self.pool.normalizers[slots]
        self.replay.add(slots[episodes.games], episodes.keys, episodes.policies, episodes.values)
        if not self.random:
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
            "mean_vs_reverse": float((episodes.mults / normalizers).mean()),
            "policy_loss": float(np.mean([loss[0] for loss in losses])),
            "value_loss": float(np.mean([loss[1] for loss in losses])),
        }

    def play_round(self) -> tuple[Episodes, np.ndarray]:
        """One round of self-play (by Ray actors in ray mode): the episodes, and each game's slot in the pool."""
        if self.random:
            self.game_slots[:] = [self.pool.add(random_graph(self.rng, RANDOM_GRAPHS).packed) for _ in self.game_slots]
        if self.random or self.searcher is None:
            batch, plans = self.pool.batch(self.game_slots)
            evaluator = NetworkEvaluator(self.net, StateEncoder(batch, plans, self.config.device))
            self.searcher = Searcher(batch, evaluator, self.search_config)
        normalizers = self.pool.normalizers[self.game_slots]
        return play(self.searcher.leaves.batch, self.searcher, normalizers, self.rng), self.game_slots.copy()

    def close(self) -> None:
        """Release what the run holds besides memory: nothing here, the Ray actors in ray mode."""

    def train_for(
        self,
        budget: float,
        after_iteration: Callable[[dict], None] = lambda line: None,
        clock: Callable[[], float] = time.process_time,
    ) -> None:
        """Iterate until ``budget`` seconds of ``clock`` are spent in all (those before a resume count).

        The default clock is this process's CPU time; the leaderboard passes
        ``time.perf_counter``, since its budgets are wall-clock for every method.
        Numba's compiling is not counted (:mod:`baselines.compile_time`): each
        line reports it apart, as ``compile_seconds`` of that iteration.
        """
        working = excluding_compilation(clock)
        while self.seconds < budget:
            started, compiled = working(), compile_seconds(clock)
            line = self.iterate()
            self.seconds += working() - started
            line["seconds"] = round(self.seconds, 3)
            line["compile_seconds"] = round(compile_seconds(clock) - compiled, 3)
            self.compile_seconds += line["compile_seconds"]
            after_iteration(line)

    def _train_step(self) -> tuple[float, float]:
        """One gradient step on a batch drawn from the buffer: ``(policy loss, value loss)``."""
        slots, keys, policies, values = self.replay.sample(self.rng, self.config.batch_size)
        batch, plans = self.pool.batch(slots)
        v, actions = batch.edges.shape[1], batch.num_intermediates
        edges = np.empty((len(keys), v, v), np.int64)
        eliminated = np.empty((len(keys), actions), np.bool_)
        touched = np.empty(v, np.int64)
        for b, key in enumerate(keys):
            kernels.state_from_key(kernels.graph_at(batch, b), key, edges[b], eliminated[b], touched)
        inputs = StateEncoder(batch, plans, self.config.device).encode(edges, eliminated)
        self.net.train()
        logits, predicted = self.net(inputs, batch.num_inputs, actions)
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
            "pool": self.pool.state_dict(),
            "game_slots": self.game_slots,
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
        saved.setdefault("workers", 0)  # checkpoints from before Ray were local runs
        saved.setdefault("init", "")  # and from before --init started from random weights
        mine = {key: value for key, value in asdict(self.config).items() if key != "budget"}
        if saved != mine:
            changed = sorted(key for key in mine if saved.get(key) != mine[key])
            raise ValueError(f"the checkpoint was written with other settings: {', '.join(changed)}")
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.replay.load_state_dict(state["replay"])
        self.pool.load_state_dict(state["pool"])
        self.game_slots[:] = state["game_slots"]
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.iteration, self.episodes, self.seconds = state["iteration"], state["episodes"], state["seconds"]
        self.best_order, self.best_mults = state["best_order"], state["best_mults"]


def initial_weights(path: Path, config: Config) -> dict:
    """The network weights of the checkpoint at ``path`` (a run's, or a pretrained network's), checked to fit ``config``."""
    state = checkpoint.load(path)
    shape = {name: state["config"][name] for name in ("width", "layers")}
    if shape != {"width": config.width, "layers": config.layers}:
        raise ValueError(f"--init {path}: its network has {shape}, this run's width {config.width} and "
                         f"layers {config.layers}")  # fmt: skip
    return state["net"]


# ----------------------------------------------------------------------------- the command


def make_run(config: Config, ray_address: str | None = None) -> Run:
    """A run in this process, or with ``config.workers`` one whose games Ray actors play (Ray imported only then)."""
    if config.workers == 0:
        return Run(config)
    from baselines.zero.distributed import RayRun

    return RayRun(config, ray_address)


def train(
    config: Config, out: Path, resume: bool = False, progress: bool = True, ray_address: str | None = None
) -> Run:
    """Run (or continue) training until the budget is spent; writes the files of the module docstring.

    With ``config.workers`` the run uses Ray: the instance this process has
    joined, else the cluster at ``ray_address``, else a local one; its budget
    is then wall-clock time.
    """
    lock = checkpoint.hold_folder(out)
    run = None
    try:
        run = make_run(config, ray_address)
        state_path, log_path = out / "checkpoint.pt", out / "log.csv"
        if resume:
            if not state_path.exists():
                raise FileNotFoundError(f"--resume: no checkpoint in {out}")
            run.load_state_dict(checkpoint.load(state_path))
        elif state_path.exists() or log_path.exists():
            raise FileExistsError(f"{out} already holds a run: pass --resume to continue it, or another --out")
        log = [line for line in read_log(log_path, INTEGER_COLUMNS) if line["iteration"] <= run.iteration]
        write_log(log_path, LOG_COLUMNS, log)  # drop lines of an iteration that was killed before its checkpoint
        bar = tqdm(total=round(config.budget), initial=min(round(run.seconds), round(config.budget)),
                   unit=_unit(config), desc=f"alphazero {config.task}", disable=not progress)  # fmt: skip

        def record(line: dict) -> None:
            checkpoint.save(state_path, run.state_dict())
            log.append(line)
            write_log(log_path, LOG_COLUMNS, log)
            bar.update(min(round(run.seconds), round(config.budget)) - bar.n)
            bar.set_postfix(best=run.best_mults, vs_reverse=round(line["mean_vs_reverse"], 3), episodes=run.episodes)

        run.train_for(config.budget, record, time.perf_counter if config.workers else time.process_time)
        bar.close()
        title = f"AlphaZero on {config.task}, seed {config.seed}"
        if run.random and log:
            series = (("mean_vs_reverse", "mean of the iteration"),)
            plot_curve(log, {"reverse": 1}, out / "curve.png", title, series=series, y_label="cost / reverse mode")
        elif log:
            plot_curve(log, reference_costs(run.graph, config.task, Path("results")), out / "curve.png", title)
        if not run.random:
            (out / "best_order.json").write_text(json.dumps({"task": config.task, "mults": run.best_mults,
                                                             "order": run.best_order}) + "\n")  # fmt: skip
        return run
    finally:
        if run is not None:
            run.close()
        lock.release()


def _compiling(run: Run) -> str:
    """What the run spent compiling, not counted in its seconds (nothing when the cache held everything)."""
    return f" (and {run.compile_seconds:.0f} s compiling, not counted)" if run.compile_seconds >= 0.5 else ""


def _unit(config: Config) -> str:
    """What the budget counts: this process's CPU seconds, or with Ray workers wall-clock seconds."""
    return "s" if config.workers else "cpu-s"


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, train, and print the best order's cost beside the reference costs."""
    defaults = Config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--task", default=defaults.task, help=f"a benchmark task, or {RANDOM} for fresh random graphs (default: LIF)"
    )
    parser.add_argument("--budget", type=float, default=defaults.budget, help="CPU seconds of training (default: 120)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--simulations", type=int, default=defaults.simulations, help="per move (default: 16)")
    parser.add_argument("--games", type=int, default=defaults.games, help="games played at once (default: 16)")
    parser.add_argument("--train-steps", type=int, default=defaults.train_steps, help="per iteration (default: 8)")
    parser.add_argument("--device", default=defaults.device, help="cpu or cuda (default: cpu)")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads (default: 1)")
    parser.add_argument("--init", type=Path, help="start from this checkpoint's network (e.g. a --task random run's)")
    parser.add_argument("--out", type=Path, help="output folder (default: runs/alphazero-TASK-seedSEED)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--ray", action="store_true", help="self-play on Ray actors (pip install -e '.[ray]')")
    parser.add_argument("--workers", type=int, help="with --ray: self-play actors (default: 2)")
    parser.add_argument("--ray-address", help="with --ray: 'auto' or a cluster's address (default: a local instance)")
    args = parser.parse_args(argv)
    if not args.ray and (args.workers is not None or args.ray_address is not None):
        parser.exit(2, "error: --workers and --ray-address need --ray\n")
    workers = (2 if args.workers is None else args.workers) if args.ray else 0
    if args.ray and workers < 1:
        parser.exit(2, f"error: --workers must be at least 1, got {workers}\n")
    try:
        config = Config(args.task, args.budget, args.seed, args.simulations, args.games,
                        train_steps=args.train_steps, device=args.device, threads=args.threads,
                        workers=workers, init=str(args.init or ""))  # fmt: skip
        out = args.out or Path("runs") / f"alphazero-{args.task}-seed{args.seed}"
        run = train(config, out, resume=args.resume, ray_address=args.ray_address)
    except (ValueError, RuntimeError, FileExistsError, FileNotFoundError) as error:
        parser.exit(2, f"error: {error}\n")
    if run.random:
        print(f"random graphs: {run.episodes} episodes in {run.seconds:.0f} CPU-s{_compiling(run)}; files in {out}; "
              f"try it on the tasks: python -m baselines.zero.zero_shot {out / 'checkpoint.pt'}")  # fmt: skip
        return 0
    references = reference_costs(run.graph, args.task, Path("results"))
    compared = ", ".join(f"{name} {value}" for name, value in references.items())
    print(f"{args.task}: best order {run.best_mults} mults after {run.episodes} episodes "
          f"in {run.seconds:.0f} {_unit(config)}{_compiling(run)} ({compared}); files in {out}")  # fmt: skip
    return 0
