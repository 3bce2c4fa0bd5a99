"""Reinforcement learning on the AURA environments: Stable-Baselines3 training (PPO, DQN, A2C),
the seeded grid in parallel processes, Optuna tuning, and scores against random, the best hand
rule and the oracle.

Submodules are imported on demand (torch and Stable-Baselines3 are heavy):

- ``config``: typed params, a package (value ``checks``, ``algorithms``, ``environments``, a
  ``run``, the grid's ``experiment``); ``train``: one run, resumable; ``experiment``: the grid
  trained; ``tune``: Optuna (its study's database in ``tune_storage``, what a study found in
  ``tune_results``);
- scoring the grid: ``scoring`` (saved policies on held-out episodes), ``references`` (random,
  the hand rules, the oracle, the upper reference), ``intervals`` (normalised scores with 95%
  intervals over seeds and episodes), ``curves`` (learning curves), ``actions`` (what each policy
  does);
- the grid's ``results.json``: ``results`` (written), ``saved`` (read back, checked against the
  params), ``tables`` (for notebooks and the CLI), ``fingerprint`` (a digest of its returns),
  ``selection`` (the policy exported for serving, ``selected.json``), ``episodes`` (the spec's
  episode analysis: mean reward and its spread, length, success rate, consistency) and
  ``grid_target`` (the grid's wall-time target, met or missed);
- ``progress``: one progress count over the grid's worker processes; ``numerics``: which compute
  kernels a process trains with; ``features``: one-hot inputs for category observations;
- studies beside the grid: ``probes`` (one thing changed), ``budget`` (a longer training),
  ``imitation`` (a start taught the difficulty filter's moves), ``compare`` (two grids, run by run),
  ``pools`` (tutor matching on tutor pools the policies were not trained on).
"""
