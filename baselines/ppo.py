"""PPO reference agent: ``python baselines/ppo.py --help`` (the code is in :mod:`baselines.ppo`)."""

import sys

from baselines.ppo.train import main

if __name__ == "__main__":
    sys.exit(main())
