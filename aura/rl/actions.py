"""What the grid's policies do on held-out episodes: the share of steps each takes each action,
and how often its action is the one the oracle takes in the same state (notebook 03).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from aura.reports.tables import fixed
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.references import aura_baselines
from aura.rl.scoring import evaluate
from aura.sim.vocab import DIFFICULTY_MOVES, STRATEGIES

ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "tutor_matching": STRATEGIES,
    "difficulty_adaptation": DIFFICULTY_MOVES,
}
"""The name of each action of an environment, by its key, in action order (`action_profile`)."""


class ActionRecorder:
    """Wraps a policy for ``aura.envs.evaluate_policy``: records each action it takes and the
    action the oracle would have taken in the same state."""

    def __init__(self, policy: Any, oracle: Any) -> None:
        from aura.envs.evaluation import as_action_fn

        self._act, self._reset = as_action_fn(policy)
        self.oracle = oracle
        self.actions: list[int] = []
        self.oracle_actions: list[int] = []

    def reset(self) -> None:
        self._reset()

    def act(self, obs: np.ndarray, env: Any) -> int:
        self.oracle_actions.append(int(self.oracle.act(obs, env)))
        action = int(self._act(obs, env))
        self.actions.append(action)
        return action


def action_profile(
    env_cfg: EnvConfig, policies: Mapping[str, Any], seed: int, n_episodes: int
) -> pd.DataFrame:
    """What each policy does on held-out episodes: the share of steps it takes each action, and
    how often its action is the oracle's in the same state. The oracle is the environment's
    own (`aura_baselines`): every environment but tutor matching used to get difficulty's."""
    oracle = aura_baselines(env_cfg.key, seed)["oracle"]
    names = ACTION_NAMES.get(env_cfg.key)
    if names is None:
        raise ConfigError(
            f"environment {env_cfg.key!r} has no action names to profile its policies by; "
            "add them to ACTION_NAMES in aura/rl/actions.py"
        )
    rows = {}
    for name, policy in policies.items():
        recorder = ActionRecorder(policy, oracle)
        evaluate(env_cfg, recorder, seed, n_episodes)
        actions = np.asarray(recorder.actions)
        shares = np.bincount(actions, minlength=len(names)) / actions.size
        agree = float(np.mean(actions == np.asarray(recorder.oracle_actions)))
        rows[name] = {**dict(zip(names, shares, strict=True)), "agrees_with_oracle": agree}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "policy"
    return table


AGREES = "agrees with the oracle"
"""The header of `action_profile`'s ``agrees_with_oracle`` in `action_profile_report_table`."""


def action_profile_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """An `action_profile` as notebook 03 shows it: the policy in a column of its own, each
    action's share of steps under the action's name (the vocabulary the data and the hand
    rules use), the share of steps on which it takes the oracle's action under a header in
    words, and every share to ``digits`` decimals in fixed point."""
    rows = [[str(policy), *(fixed(value, digits) for value in r)] for policy, r in table.iterrows()]
    columns = ["policy", *(AGREES if c == "agrees_with_oracle" else c for c in table.columns)]
    return pd.DataFrame(rows, columns=columns)
