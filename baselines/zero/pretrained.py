"""Networks pretrained on random graphs, shipped for zero-shot orders and as the start of a run on one task.

``weights/random-seed0.pt`` (:data:`RANDOM_SEED0`) holds the network of::

    python baselines/alphazero.py --task random --budget 900 --seed 0

(2,784 self-play episodes in 904 CPU seconds, one torch thread, on a shared
2-core machine, 2026-11-25), taken out of that run's checkpoint by::

    python -m baselines.zero.pretrained runs/alphazero-random-seed0/checkpoint.pt baselines/zero/weights/random-seed0.pt

It is what ``python -m baselines.zero.zero_shot`` and ``alphazero.py --init``
read (both accept a full checkpoint too), and what the leaderboard's
``alphazero-pretrained`` method starts from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baselines.zero import checkpoint

RANDOM_SEED0 = Path(__file__).with_name("weights") / "random-seed0.pt"
KEPT = ("config", "net", "iteration", "episodes", "seconds")  # what a network file keeps of a run's checkpoint


def export(run_checkpoint: Path, out: Path) -> None:
    """Write the network of ``run_checkpoint`` (with its settings and how long it trained) to ``out``."""
    state = checkpoint.load(run_checkpoint)
    checkpoint.save(out, {key: state[key] for key in KEPT})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep only the network of an AlphaZero checkpoint.")
    parser.add_argument("checkpoint", type=Path, help="a run's checkpoint.pt")
    parser.add_argument("out", type=Path, help="the network file to write")
    args = parser.parse_args(argv)
    if not args.checkpoint.is_file():
        parser.exit(2, f"error: no checkpoint at {args.checkpoint}\n")
    export(args.checkpoint, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
