"""`aura.rl.actions.action_profile` on scripted episodes: each policy's share of steps per action,
in the environment's action order, and how often its action is the oracle's in the same state,
counted by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from aura.envs import TUTOR_MATCHING_ID
from aura.rl import actions
from aura.rl.actions import ACTION_NAMES, action_profile
from aura.rl.config.environments import EnvConfig

ENV = EnvConfig("tutor_matching", TUTOR_MATCHING_ID)
EPISODES = [[0, 1, 2, 3], [4, 5, 6, 7]]
"""Two scripted episodes of four states each; a state is its number."""


class StateOracle:
    """Takes action ``state % 5``; its episodes are reset as a baseline's are."""

    def __init__(self) -> None:
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def act(self, obs: np.ndarray, env: Any) -> int:
        return int(obs[0]) % 5


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch):
    oracle = StateOracle()
    asked: list[tuple[str, int]] = []

    def baselines(key: str, seed: int) -> dict[str, Any]:
        asked.append((key, seed))
        return {"oracle": oracle, "random": None}

    def evaluate(env_cfg: EnvConfig, policy: Any, seed: int, n_episodes: int) -> None:
        assert (env_cfg, seed, n_episodes) == (ENV, 3, len(EPISODES))
        for states in EPISODES:
            policy.reset()
            for state in states:
                policy.act(np.array([state], dtype=float), None)

    monkeypatch.setattr(actions, "aura_baselines", baselines)
    monkeypatch.setattr(actions, "evaluate", evaluate)
    policies = {
        "always_1": lambda obs: 1,
        "mostly_oracle": lambda obs: int(obs[0]) % 5 if obs[0] < 6 else 4,
    }
    return action_profile(ENV, policies, 3, len(EPISODES)), asked


def test_each_policys_share_of_steps_per_action_in_action_order(profile) -> None:
    table, asked = profile
    names = list(ACTION_NAMES["tutor_matching"])
    assert list(table.columns) == [*names, "agrees_with_oracle"]
    assert table.index.name == "policy"
    assert table.loc["always_1", names].tolist() == [0, 1, 0, 0, 0]
    # actions 0 1 2 3 4 0 4 4: action 0 twice, 1-3 once, 4 three times, of 8 steps
    assert table.loc["mostly_oracle", names].tolist() == pytest.approx(
        [2 / 8, 1 / 8, 1 / 8, 1 / 8, 3 / 8]
    )
    assert asked == [("tutor_matching", 3)]


def test_agreement_is_the_share_of_steps_with_the_oracles_action_in_that_state(profile) -> None:
    table, _ = profile
    # the oracle takes 0 1 2 3 4 0 1 2: always_1 matches states 1 and 6, mostly_oracle 0-5
    assert table.loc["always_1", "agrees_with_oracle"] == pytest.approx(2 / 8)
    assert table.loc["mostly_oracle", "agrees_with_oracle"] == pytest.approx(6 / 8)


def test_the_action_profile_report_table_names_the_policy_and_the_oracle_column() -> None:
    """Notebook 03 showed a profile with ``agrees_with_oracle`` as a header and the policies as
    an index; the report table has the policy as a column, the oracle's column in words, the
    actions under their own names and every share to three decimals. The profile is left as
    it was."""
    import pandas as pd

    from aura.rl.actions import action_profile_report_table

    table = pd.DataFrame(
        {
            "decrease": [0.1234, 0.0],
            "maintain": [0.66666, 1.0],
            "increase": [0.21, 0.0],
            "agrees_with_oracle": [0.70049, 0.3125],
        },
        index=pd.Index(["PPO (selected)", "hand rule (staircase)"], name="policy"),
    )
    before = table.copy()
    shown = action_profile_report_table(table)
    assert list(shown.columns) == [
        "policy",
        "decrease",
        "maintain",
        "increase",
        "agrees with the oracle",
    ]
    assert shown.values.tolist() == [
        ["PPO (selected)", "0.123", "0.667", "0.210", "0.700"],
        ["hand rule (staircase)", "0.000", "1.000", "0.000", "0.312"],
    ]
    pd.testing.assert_frame_equal(table, before)
