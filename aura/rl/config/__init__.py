"""Typed configuration of RL training, read from the ``03_rl_training`` section of a params file.

Hyperparameters are data (as in rl-baselines3-zoo): one block per algorithm and environment, each
a dataclass whose defaults are the spec's values (PPO learning rate 3e-4, batch 64, gamma 0.99;
DQN buffer 50,000, exploration fraction 0.1; A2C 5-step updates). Every run writes the exact
:class:`~aura.rl.config.run.RunConfig` it used as ``config.yaml``, and
:func:`~aura.rl.config.run.load_run_config` reads it back, so a saved model always says how it was
made. Loading validates everything up front and names the offending key, so a typo fails before an
hour of training rather than after it.

This module holds the section's name, the seed offsets of the episodes apart from training and
the error every check raises; the rest is in its modules:

- ``checks``: the value checks every block shares (known keys, integers, ranges, numbers);
- ``algorithms``: one hyperparameter dataclass per algorithm (PPO, DQN, A2C), and their registry;
- ``environments``: which environment a run trains on, checked to build;
- ``run``: one training run (its budget, an LSTM, an imitation start), saved as ``config.yaml``;
- ``experiment``: the grid of algorithms x environments x seeds, from a params file.
"""

from __future__ import annotations

from aura.config import ParamsError

SECTION = "03_rl_training"
"""Name of the params section (the notebook stem) that configures RL training."""

EVAL_SEED_OFFSET = 10_000
"""Added to a run's seed to seed its evaluation environment, so evaluation episodes are not the
training episodes."""

TEST_SEED_OFFSET = 1_000_000
"""Added to the shared seed to seed the held-out test episodes, which every policy and every
reference (random, hand rule, oracle) of an environment is scored on."""

CEILING_SEED_OFFSET = 2_000_000
"""Added to the shared seed to seed the episodes the observation ceiling learns from."""

SELECTION_SEED_OFFSET = 3_000_000
"""Added to the shared seed to seed the episodes on which the exported run is chosen among the
seeds, apart from the held-out ones so that the chosen run's held-out score stays unbiased."""

EXPERIENCE_SEED_OFFSET = 4_000_000
"""Added to the shared seed to seed the sessions the tutor-matching experience reference learns
from."""

VALIDATION_SEED_OFFSET = CEILING_SEED_OFFSET
"""Added to the shared seed to seed the validation episodes `aura tune` optimises. They are the
episodes the observation ceiling learns from: neither is scored as held-out, so sharing them
biases no reported score, and a value of its own would change every recorded tuning study."""


class ConfigError(ParamsError):
    """RL training configuration that cannot be used; the message names the key at fault."""
