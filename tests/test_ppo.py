"""The PPO agent: a per-vertex policy that fits any graph, a short run on LIF, kill-and-resume, leaderboard rows."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3.common.utils import obs_as_tensor

import benchmarks_tasks
import ccgym
from baselines.budget import Budget
from baselines.leaderboard import verify
from baselines.leaderboard.methods import METHODS
from baselines.leaderboard.run import Plan, run
from baselines.learning_curves import reference_costs
from baselines.ppo import leaderboard
from baselines.ppo.policy import VertexScoringPolicy
from baselines.ppo.settings import settings_for
from baselines.ppo.train import Config, make_envs, train
from baselines.zero import checkpoint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def log_lines(folder: Path) -> list[dict]:
    with (folder / "log.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def model_on(task: str, num_envs: int = 3) -> MaskablePPO:
    envs = make_envs(task, num_envs)
    kwargs = {"first_action_row": envs.venv.env.layout.inputs, "features_extractor_kwargs": {"width": 16, "layers": 2}}
    return MaskablePPO(VertexScoringPolicy, envs, n_steps=8, batch_size=8, policy_kwargs=kwargs, seed=0)


def play_randomly(model: MaskablePPO, steps: int, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    envs = model.get_env()
    obs = envs.reset()
    for _ in range(steps):
        masks = envs.action_masks()
        obs, *_ = envs.step(np.array([rng.choice(np.flatnonzero(row)) for row in masks]))
    return obs, envs.action_masks()


def test_one_logit_per_vertex_masked_on_graphs_of_any_size():
    rng = np.random.default_rng(0)
    models = {task: model_on(task) for task in ("LIF", "AlphaGrad-PropaneCombustion", "random")}
    weights = models["LIF"].policy.state_dict()
    for model in models.values():
        model.policy.load_state_dict(weights)  # the same weights fit every size: nothing depends on the graph
        obs, masks = play_randomly(model, 5, rng)
        num_actions = model.action_space.n
        tensors = obs_as_tensor(obs, "cpu")
        with torch.no_grad():
            logits, values = model.policy.logits_and_values(tensors)
            probabilities = model.policy.get_distribution(tensors, action_masks=masks).distribution.probs
        assert logits.shape == probabilities.shape == (3, num_actions) and values.shape == (3, 1)
        assert (probabilities[~torch.as_tensor(masks)] == 0).all()  # eliminated (and, random: padding) vertices
        torch.testing.assert_close(probabilities.sum(1), torch.ones(3))
        assert (probabilities[torch.as_tensor(masks)] > 0).all()
        actions, _ = model.predict(obs, action_masks=masks, deterministic=False)
        assert masks[np.arange(3), actions].all()
    assert len({model.observation_space["vertex"].shape for model in models.values()}) == 3  # three sizes


def test_a_short_run_on_lif_finds_the_optimum_and_plays_it(tmp_path):
    trainer = train(Config("LIF", budget=120, steps=2048), tmp_path, progress=False)
    graph = benchmarks_tasks.get("LIF").graph()
    optimum = reference_costs(graph, "LIF", ROOT / "results")["optimum"]  # proven by the exact solver, recorded
    best = trainer.progress
    assert ccgym.cost(graph, ccgym.check_order(graph, best.best_order)).mults == best.best_mults == optimum
    result = json.loads((tmp_path / "result.json").read_text())
    deterministic = result["deterministic"]
    assert ccgym.cost(graph, ccgym.check_order(graph, deterministic["order"])).mults == deterministic["mults"]
    assert deterministic["mults"] < ccgym.cost(graph, ccgym.reverse_order(graph)).mults  # it learned something
    lines = log_lines(tmp_path)
    assert [int(line["update"]) for line in lines] == list(range(1, len(lines) + 1)) and len(lines) == 4
    assert int(lines[-1]["steps"]) == trainer.model.num_timesteps == 2048
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_a_killed_run_resumes_where_its_checkpoint_left_it(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "baselines/ppo.py", "--task", "LIF", "--budget", "600", "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (out / "log.csv").exists() and len(log_lines(out)) >= 3:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the run wrote no third update in 120 s")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    saved = checkpoint.load(out / "checkpoint.pt")["progress"]
    assert saved["updates"] >= 2 and saved["best_mults"] is not None  # the log is written after the checkpoint

    trainer = train(Config("LIF", budget=saved["seconds"] + 1.0), out, resume=True, progress=False)
    progress = trainer.progress
    assert progress.updates > saved["updates"] and progress.episodes > saved["episodes"]  # counting went on
    assert progress.best_mults <= saved["best_mults"]
    lines = log_lines(out)
    assert [int(line["update"]) for line in lines] == list(range(1, progress.updates + 1))  # no update lost or twice
    steps = [int(line["steps"]) for line in lines]
    assert steps == sorted(steps) and len(set(steps)) == len(steps) and steps[-1] <= trainer.model.num_timesteps
    assert float(lines[-1]["seconds"]) >= saved["seconds"]
    with pytest.raises(ValueError, match="num_envs"):
        train(Config("LIF", budget=1.0, settings=settings_for("LIF", num_envs=2)), out, resume=True)
    with pytest.raises(FileExistsError, match="--resume"):
        train(Config("LIF", budget=1.0), out, progress=False)


def test_leaderboard_rows_of_one_training_pass_verification(tmp_path):
    leaderboard._train.cache_clear()
    plan = Plan(tasks=["LIF"], methods=["ppo", "ppo-best"], seeds=[0], budget=Budget(seconds=3.0))
    report = run(plan, tmp_path / "leaderboard.csv", progress=False)
    assert not report.refused and [row.method for row in report.written] == ["ppo", "ppo-best"]
    assert leaderboard._train.cache_info().misses == 1  # one training, two rows
    deterministic, best = report.written
    assert best.value <= deterministic.value
    for row in report.written:
        verify.check(row)
        assert row.budget == "3s" and row.seed == "0"
        assert not verify.replay(row)  # a clock cannot be replayed: checked as an order only
    assert "ppo" not in Plan().methods and "ppo-best" not in Plan().methods  # learned: run only when named
    graph = benchmarks_tasks.get("LIF").graph()
    with pytest.raises(ValueError, match="seconds only"):
        METHODS["ppo"].run(graph, 0, Budget(evaluations=100))
    with pytest.raises(ValueError, match="benchmark tasks"):
        METHODS["ppo"].run(ccgym.trace(lambda x: x.sin() * x.cos(), torch.ones(2)), 0, Budget(seconds=1.0))
