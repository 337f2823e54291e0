"""AlphaZero reference agent: ``python baselines/alphazero.py --help`` (the code is in :mod:`baselines.zero`)."""

import sys

from baselines.zero.train import main

if __name__ == "__main__":
    sys.exit(main())
