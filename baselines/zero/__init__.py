"""The AlphaZero reference agent: self-play with the compiled Gumbel search, a graph network, and training.

- :mod:`~baselines.zero.evaluator`: the network as the search's evaluator (leaves encoded in one batched call);
- :mod:`~baselines.zero.replay`: positions kept as compact state keys with their search targets;
- :mod:`~baselines.zero.self_play`: whole episodes of ``B`` games, searched move by move;
- :mod:`~baselines.zero.checkpoint`: atomic checkpoints, and one run per output folder;
- :mod:`~baselines.zero.train`: the training loop and ``python baselines/alphazero.py``.
"""
