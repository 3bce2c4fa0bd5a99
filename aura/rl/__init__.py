"""Reinforcement learning on the AURA environments: Stable-Baselines3 training (PPO, DQN, A2C),
the seeded grid in parallel processes, Optuna tuning, and scores against random, the best hand
rule and the oracle.

Submodules are imported on demand (torch and Stable-Baselines3 are heavy): ``config`` (typed
params), ``train`` (one run, resumable), ``experiment`` (the grid), ``results`` (normalised scores
with confidence intervals, learning curves), ``tune`` (Optuna).
"""
