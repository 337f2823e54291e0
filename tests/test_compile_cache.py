"""A cached compiled function is compiled afresh when a function it calls changes in another file.

Numba alone checks only the cached function's own file; ``ccgym.compile_cache``
stamps every cached function of the project with all its compiled sources.
The packages are copied to a temporary folder, so the test edits a copy.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# features.diagonal_size (features.py) inlines kernels.axis_label (kernels.py)
SCRIPT = """
import json
import benchmarks_tasks
from ccgym import features

packed = benchmarks_tasks.get("LIF").graph().packed
features.diagonal_size(packed, 0, 0, 0)
stats = features.diagonal_size.stats
print(json.dumps({"hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


def _run(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("NUMBA_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=root, env=env, timeout=300, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_change_in_another_file_recompiles_a_cached_function(tmp_path):
    for package in ("ccgym", "benchmarks_tasks"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert _run(tmp_path) == {"hits": 0, "misses": 1}  # compiled, and cached
    assert _run(tmp_path) == {"hits": 1, "misses": 0}  # loaded from the cache
    kernels = tmp_path / "ccgym" / "kernels.py"
    kernels.write_text(kernels.read_text() + "\n# an edit to the callee's file\n")
    assert _run(tmp_path) == {"hits": 0, "misses": 1}  # features.py is unchanged, but compiled afresh
    assert _run(tmp_path) == {"hits": 1, "misses": 0}
