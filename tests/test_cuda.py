"""The compiled Jacobian and the runtime reward on a CUDA device (skipped where there is none).

CI has no GPU; these run on a lent GPU machine (README, "Measured runtime").
Every task's Jacobian is compiled for inputs on the GPU and compared with
``torch.func.jacrev`` of the task's function on the CPU at the same point.
"""

import pytest
import torch
from conftest import flatten_jacobian
from test_compiled_jacobian import EXECUTABLE, assert_close_jacobian, best_orders
from test_runtime_reward import FAST, play

import benchmarks_tasks
import ccgym
from ccgym.envs import CCElimEnv

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def on_cpu(jacobian):
    """The same nesting with every block moved to the CPU, after checking that each was on the GPU."""
    if isinstance(jacobian, torch.Tensor):
        assert jacobian.device.type == "cuda"
        return jacobian.cpu()
    return type(jacobian)(on_cpu(part) for part in jacobian)


@pytest.mark.parametrize("name", EXECUTABLE)
def test_every_task_on_the_gpu_equals_jacrev_in_both_dtypes(name):
    task = benchmarks_tasks.get(name)
    graph = task.graph()
    for dtype in (torch.float64, torch.float32):
        inputs = tuple(x.to(dtype) for x in task.example_inputs(1))
        expected = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
        on_gpu = tuple(x.cuda() for x in inputs)
        jacobian = ccgym.compile_jacobian(task.fn, best_orders()[name], *on_gpu, graph=graph)
        assert_close_jacobian(on_cpu(jacobian(*on_gpu)), expected, dtype)
        with pytest.raises(ValueError, match="compiled for"):
            jacobian(*inputs)  # CPU inputs to a GPU Jacobian are refused


def test_a_batch_on_the_gpu_equals_vmapped_jacrev():
    task = benchmarks_tasks.get("RoeFlux")
    points = [task.example_inputs(seed) for seed in range(4)]
    batch = tuple(torch.stack(xs) for xs in zip(*points))
    expected = torch.vmap(torch.func.jacrev(task.fn, argnums=tuple(range(len(batch)))))(*batch)
    jacobian = ccgym.compile_jacobian(None, best_orders()["RoeFlux"], *(x.cuda() for x in points[0]), graph=task.graph())
    result = on_cpu(jacobian.batched(*(x.cuda() for x in batch)))
    assert len(flatten_jacobian(result)) == len(flatten_jacobian(expected))
    assert_close_jacobian(result, expected, torch.float64)


def test_through_torch_compile_on_the_gpu():
    task = benchmarks_tasks.get("RoeFlux")
    inputs = task.example_inputs(2)
    expected = torch.func.jacrev(task.fn, argnums=tuple(range(len(inputs))))(*inputs)
    on_gpu = tuple(x.cuda() for x in inputs)
    jacobian = ccgym.compile_jacobian(None, best_orders()["RoeFlux"], *on_gpu, graph=task.graph(), compile=True)
    assert_close_jacobian(on_cpu(jacobian(*on_gpu)), expected, torch.float64)


def test_the_runtime_reward_times_the_gpu_function():
    task = benchmarks_tasks.get("RoeFlux")
    graph = task.graph()
    on_gpu = tuple(x.cuda() for x in task.example_inputs(0))
    env = CCElimEnv(graph, reward="runtime", example_inputs=on_gpu, runtime_batch=64, runtime_measurement=FAST)
    rewards, info = play(env, ccgym.reverse_order(graph))
    runtime = info["runtime"]
    assert rewards[-1] == -runtime["median_us"] < 0 and runtime["batch"] == 64
    assert 0 < runtime["q1_us"] <= runtime["median_us"] <= runtime["q3_us"]
    assert torch.cuda.get_device_name() in runtime["machine"]
