"""A trained network used zero-shot: one greedy pass over a graph, no search, an order in milliseconds.

    python -m baselines.zero.zero_shot runs/alphazero-random-seed0/checkpoint.pt [--tasks LIF RoeFlux ...]

For every task (default: all) it prints a JSON line with the greedy order's
multiplications beside reverse mode's and Markowitz's and the time per order
(after one warm-up order), then a markdown table of the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

import benchmarks_tasks
import ccgym
from baselines.networks import GraphPolicyValueNet
from baselines.zero import checkpoint
from baselines.zero.evaluator import StateEncoder
from ccgym import features, kernels


def load_network(path: Path, device: str = "cpu") -> GraphPolicyValueNet:
    """The network of an AlphaZero checkpoint (:mod:`baselines.zero.train`), in evaluation mode."""
    state = checkpoint.load(path)
    net = GraphPolicyValueNet(state["config"]["width"], state["config"]["layers"]).to(device)
    net.load_state_dict(state["net"])
    return net.eval()


@torch.no_grad()
def greedy_order(net: GraphPolicyValueNet, graph: ccgym.Graph, device: str = "cpu") -> list[int]:
    """Eliminate the network's most likely legal action until none is left; returns the order (action ids)."""
    packed = graph.packed
    encoder = StateEncoder(kernels.repeat_graph(packed, 1), features.repeat_plan(features.make_plan(packed), 1), device)
    edges, eliminated = packed.edges.copy()[None], np.zeros((1, packed.num_intermediates), np.bool_)
    touched = kernels.scratch(packed)
    order = []
    for _ in range(packed.num_intermediates):
        logits, _ = net(encoder.encode(edges, eliminated), packed.num_inputs, packed.num_intermediates)
        action = int(logits[0].argmax())
        kernels.step(packed, edges[0], eliminated[0], action, touched)
        order.append(action)
    return order


def evaluate(net: GraphPolicyValueNet, task: str) -> dict:
    """The greedy order's cost on ``task`` beside reverse mode and Markowitz, and the seconds it took."""
    graph = benchmarks_tasks.get(task).graph()
    greedy_order(net, graph)  # warm-up: compilation and first calls
    started = time.perf_counter()
    order = greedy_order(net, graph)
    seconds = time.perf_counter() - started
    return {
        "task": task,
        "vertices": graph.num_vertices,
        "reverse": ccgym.cost(graph, ccgym.reverse_order(graph)).mults,
        "markowitz": ccgym.cost(graph, ccgym.markowitz_order(graph)).mults,
        "greedy_network": ccgym.cost(graph, order).mults,
        "ms_per_order": round(1000 * seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Evaluate a checkpoint's network on the tasks; JSON lines, then a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, help="an AlphaZero run's checkpoint.pt")
    parser.add_argument("--tasks", nargs="+", default=benchmarks_tasks.names(), help="task names (default: all)")
    args = parser.parse_args(argv)
    if message := benchmarks_tasks.unknown(args.tasks):
        parser.exit(2, f"error: {message}\n")
    if not args.checkpoint.is_file():
        parser.exit(2, f"error: no checkpoint at {args.checkpoint}\n")
    torch.set_num_threads(1)
    net = load_network(args.checkpoint)
    lines = []
    for task in args.tasks:
        lines.append(evaluate(net, task))
        print(json.dumps(lines[-1]), flush=True)
    print("\n| task | vertices | reverse | Markowitz | greedy network | vs Markowitz | ms per order |")
    print("|---|---|---|---|---|---|---|")
    for line in lines:
        ratio = line["greedy_network"] / line["markowitz"]
        print(f"| {line['task']} | {line['vertices']} | {line['reverse']} | {line['markowitz']} | "
              f"{line['greedy_network']} | {ratio:.2f}x | {line['ms_per_order']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
