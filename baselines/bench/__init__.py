"""Speed benchmarks: kernels and searches (`python -m baselines.bench.kernels`), environments (`python -m baselines.bench.envs`)."""
