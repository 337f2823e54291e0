"""Imports run one way: ccgym -> benchmarks_tasks -> baselines, and the core stays light."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "gymnasium", "benchmarks_tasks", "baselines", "ray")


def _loaded_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; returns which of HEAVY it loaded, and what it printed as JSON."""
    script = f"import json, sys\n{code}\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_kernels_load_neither_torch_nor_gymnasium():
    assert not any(_loaded_after("import ccgym.kernels").values())


def test_the_feature_encoder_loads_neither_torch_nor_gymnasium():
    assert not any(_loaded_after("import ccgym.features").values())


def test_a_graph_file_is_read_and_costed_with_ccgym_alone():
    code = (
        "import ccgym\n"
        "g = ccgym.Graph.from_json(open('benchmarks_tasks/graphs/SNN.json').read())\n"  # it has a custom operator
        "assert ccgym.cost(g, ccgym.markowitz_order(g)).mults > 0"
    )
    assert not any(_loaded_after(code).values())


def test_torch_loads_on_first_use_of_trace():
    loaded = _loaded_after("import ccgym\nccgym.trace")
    assert loaded["torch"] and not loaded["gymnasium"]


@pytest.mark.parametrize("first", ["ccgym", "gymnasium"])
def test_ids_are_registered_whichever_is_imported_first(first):
    other = "gymnasium" if first == "ccgym" else "ccgym"
    code = f"import {first}\nimport {other}\nimport gymnasium as gym\nassert 'CCElim-LIF-v0' in gym.registry\n"
    loaded = _loaded_after(code + "assert 'CCElim-Random-v0' in gym.registry")
    assert not loaded["torch"] and not loaded["benchmarks_tasks"]  # registering imports no task


def test_the_module_prefix_id_works_in_a_fresh_process():
    loaded = _loaded_after("import gymnasium as gym\ngym.make('ccgym:CCElim-LIF-v0').reset(seed=0)")
    assert loaded["benchmarks_tasks"] and not loaded["baselines"]


def test_without_the_ray_flag_nothing_about_ray_is_imported(tmp_path):
    code = (
        "from pathlib import Path\n"
        "from baselines.leaderboard.__main__ import main\n"
        "from baselines.zero.train import Config, train\n"
        f"assert main(['run', '--tasks', 'LIF', '--methods', 'greedy', '--results', {str(tmp_path / 'board')!r}]) == 0\n"
        f"train(Config(budget=0.01, games=2, simulations=2, train_steps=1), Path({str(tmp_path / 'run')!r}), "
        "progress=False)"
    )
    loaded = _loaded_after(code)
    assert loaded["baselines"] and not loaded["ray"]


def _imported_packages(package: str) -> set[str]:
    """Top-level names that any module of ``package`` imports, anywhere in the file."""
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_ccgym_imports_neither_tasks_nor_baselines():
    assert not _imported_packages("ccgym") & {"benchmarks_tasks", "baselines"}


def test_tasks_import_ccgym_but_not_baselines():
    imported = _imported_packages("benchmarks_tasks")
    assert "ccgym" in imported and "baselines" not in imported


def test_the_ray_flag_without_ray_installed_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    from baselines.leaderboard.__main__ import main as leaderboard
    from baselines.zero.train import main as alphazero

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError, as where it is not installed
    assert leaderboard(["run", "--tasks", "LIF", "--methods", "forward", "--ray", "--results", str(tmp_path)]) == 1
    assert 'pip install -e ".[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "leaderboard.csv").exists()
    with pytest.raises(SystemExit) as exit_status:
        alphazero(["--games", "2", "--simulations", "2", "--ray", "--out", str(tmp_path / "run")])
    assert exit_status.value.code == 2 and 'pip install -e ".[ray]"' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        alphazero(["--workers", "2", "--out", str(tmp_path / "run")])
    assert "need --ray" in capsys.readouterr().err


def test_without_or_tools_boards_are_read_and_only_a_cp_sat_solve_asks_for_it():
    code = (
        "sys.modules['ortools'] = None\n"  # import ortools raises ImportError, as where it is not installed
        "from pathlib import Path\n"
        "import benchmarks_tasks\n"
        "from baselines import exact\n"
        "from baselines.learning_curves import reference_costs\n"
        "graph = benchmarks_tasks.get('LIF').graph()\n"
        "assert reference_costs(graph, 'LIF', Path('results'))['optimum'] == 24\n"
        "assert exact.solve(graph, seconds=20).proven\n"  # A* closes it: no CP-SAT
        "try:\n"
        "    from baselines.exact import cpsat\n"
        "except ImportError as error:\n"
        "    assert 'pip install -e \".[baselines]\"' in str(error)\n"
        "else:\n"
        "    raise AssertionError('cpsat imported without OR-Tools')\n"
    )
    assert _loaded_after(code)["baselines"]
