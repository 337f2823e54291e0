"""PPO on ccgym: stable-baselines3 / sb3-contrib glue for the native vector env."""

from baselines.ppo.vec_env import CCElimSB3VecEnv

__all__ = ["CCElimSB3VecEnv"]
