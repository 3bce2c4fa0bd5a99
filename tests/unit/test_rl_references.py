"""The references a grid is scored against: why tutor matching scores a run's final policy (ten
evaluation episodes rank difficulty policies but not tutor-matching ones), and what a third
environment needs to be scored."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest

from aura.envs import FixedPolicy, RandomPolicy
from aura.rl.actions import ACTION_NAMES, action_profile
from aura.rl.config import EVAL_SEED_OFFSET, ConfigError
from aura.rl.config.environments import EnvConfig, env_config
from aura.rl.references import (
    BASELINES,
    UPPER_REFERENCES,
    best_hand_rule,
    check_referenced,
    evaluation_resolution,
    references,
    scale_references,
)


def test_ten_evaluation_episodes_rank_difficulty_policies_but_not_tutor_matching_ones() -> None:
    seed = 20240601 + EVAL_SEED_OFFSET
    tutor = evaluation_resolution(env_config("tutor_matching"), "fixed:balanced", 10, seed, 200)
    difficulty = evaluation_resolution(
        env_config("difficulty_adaptation"), "staircase", 10, seed, 200
    )
    assert tutor["oracle_lead"] > 0 and difficulty["oracle_lead"] > 0
    assert tutor["z"] < 2.5 and difficulty["z"] > 3.0, (tutor, difficulty)


COIN_ID = "aura-test/Coin-v0"
COIN_SIZES = {"ceiling_episodes": 1, "ceiling_seed": 0, "experience_steps": 1, "experience_seed": 0}


def coin_references(env: EnvConfig) -> dict:
    """The references of the coin on 40 episodes, random's and the oracle's evaluated first as
    the grid does."""
    return references(env, 0, 40, scale=scale_references(env, 0, 40, 0), **COIN_SIZES)


class Coin(gym.Env):
    """Three calls of a hidden coin: a call of the coin's side pays 1."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        self.side, self.calls = int(self.np_random.integers(2)), 0
        return np.zeros(1, dtype=np.float32), {}

    def step(self, action: int) -> tuple:
        self.calls += 1
        reward = float(int(action) == self.side)
        return np.zeros(1, dtype=np.float32), reward, False, self.calls == 3, {}


class CoinOracle:
    """Calls the side it reads from the hidden state."""

    name = "oracle"

    def reset(self) -> None:
        """Nothing to forget."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return env.unwrapped.side


def coin_baselines(seed: int) -> dict:
    return {
        "random": RandomPolicy(2, seed),
        "fixed:heads": FixedPolicy(0, "fixed:heads"),
        "oracle": CoinOracle(),
    }


def test_a_third_environment_is_scored_once_it_has_baselines_and_an_upper_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/extending.md's recipe for a new environment: its key in `BASELINES` and
    `UPPER_REFERENCES` (and `ACTION_NAMES` for notebook 03's profile). Each missing table is
    named; with baselines alone, the environment used to be handed the difficulty filter and
    stopped in its TypeError."""
    import aura.envs

    if COIN_ID not in gym.registry:
        gym.register(id=COIN_ID, entry_point=Coin)
    env = EnvConfig(key="coin", id=COIN_ID)
    with pytest.raises(ConfigError, match="'coin' is not in BASELINES or UPPER_REFERENCES"):
        coin_references(env)
    monkeypatch.setattr(aura.envs, "coin_baselines", coin_baselines, raising=False)
    monkeypatch.setitem(BASELINES, "coin", "coin_baselines")
    with pytest.raises(
        ConfigError, match="'coin' is not in UPPER_REFERENCES in aura/rl/references"
    ):
        coin_references(env)
    monkeypatch.setitem(UPPER_REFERENCES, "coin", lambda *_: FixedPolicy(1, "tails"))

    ref = coin_references(env)
    assert ref["hand_rule_name"] == "fixed:heads" and ref["ceiling_name"] == "tails"
    assert ref["oracle"] == 3.0 and ref["experience"] is None
    oracle = {"oracle": CoinOracle()}
    with pytest.raises(ConfigError, match="add them to ACTION_NAMES"):
        action_profile(env, oracle, 0, 10)
    monkeypatch.setitem(ACTION_NAMES, "coin", ("heads", "tails"))
    assert action_profile(env, oracle, 0, 10).loc["oracle", "agrees_with_oracle"] == 1.0


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"fixed:tails": FixedPolicy(1, "tails")}, "'fixed:tails' holds 'tails'"),
        ({"tails": FixedPolicy(1, "tails")}, "like a learned reference of coin ('tails')"),
    ],
)
def test_a_rule_filed_under_another_name_or_named_like_a_reference_is_refused(
    monkeypatch: pytest.MonkeyPatch, rules: dict, message: str
) -> None:
    """docs/extending.md, recipe 2: a rule is keyed by its name, and no rule is named like the
    upper or experience reference, which replaced it in the table without a word."""
    import aura.envs

    if COIN_ID not in gym.registry:
        gym.register(id=COIN_ID, entry_point=Coin)
    monkeypatch.setattr(
        aura.envs, "coin_baselines", lambda seed: {**coin_baselines(seed), **rules}, raising=False
    )
    monkeypatch.setitem(BASELINES, "coin", "coin_baselines")
    monkeypatch.setitem(UPPER_REFERENCES, "coin", lambda *_: FixedPolicy(1, "tails"))
    with pytest.raises(ConfigError, match=re.escape(message)):
        coin_references(EnvConfig(key="coin", id=COIN_ID))
    if "holds" in message:  # refused before the grid trains, as a missing table is
        with pytest.raises(ConfigError, match=re.escape(message)):
            check_referenced(["coin"])


class ThreeRule:
    """A hand rule answering 3, a move difficulty adaptation does not have (0, 1 or 2)."""

    name = "three"

    def reset(self) -> None:
        """Nothing to forget."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return 3


class WrapperRule(ThreeRule):
    """A hand rule reading the observed success rate on the wrapper `gym.make` returns."""

    name = "wrapper"

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return 2 if env.last_success_rate > 0.9 else 1


class BrokenRule(ThreeRule):
    """A hand rule whose own code is wrong, not its use of the environment."""

    name = "broken"

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return obs.no_such_attribute


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            ThreeRule(),
            "the reference policy 'three' of difficulty_adaptation (aura.envs.difficulty_baselines "
            "or aura/rl/references.py) stopped on its held-out episodes: action must be 0 "
            "(decrease), 1 (maintain) or 2 (increase), got 3 (docs/extending.md, recipe 2)",
        ),
        (
            WrapperRule(),
            "the reference policy 'wrapper' of difficulty_adaptation (aura.envs."
            "difficulty_baselines or aura/rl/references.py) stopped on its held-out episodes: "
            "'OrderEnforcing' object has no attribute 'last_success_rate'; read the "
            "environment's state through env.unwrapped (docs/extending.md, recipe 2)",
        ),
    ],
)
def test_a_rule_answering_an_action_the_environment_refuses_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, rule: ThreeRule, message: str
) -> None:
    """docs/extending.md, recipe 2: a rule's invalid action, or its read of the environment's
    state on the wrapper rather than the environment, stopped `aura train-rl` in a traceback
    that named neither the rule nor where it is made. An error of the rule's own code stays
    the traceback it is."""
    import aura.envs

    own = aura.envs.difficulty_baselines
    env = env_config("difficulty_adaptation")
    for extra in (rule, BrokenRule()):
        monkeypatch.setattr(
            aura.envs, "difficulty_baselines", lambda seed, r=extra: {**own(seed), r.name: r}
        )
        expected = (
            pytest.raises(ConfigError, match=re.escape(message))
            if extra is rule
            else pytest.raises(AttributeError, match="no_such_attribute")
        )
        with expected:
            references(env, 0, 2, scale=scale_references(env, 0, 2, 0), **COIN_SIZES)


def test_the_best_hand_rule_is_the_rule_with_the_highest_mean_return() -> None:
    """The hand rule every policy is judged against is the best of the rules, the one hardest
    to beat; random and the oracle are the scale's ends, whatever they return."""
    means = {"random": 2.0, "fixed:a": 0.5, "staircase": 0.7, "fixed:b": 0.6, "oracle": 0.9}
    assert best_hand_rule(means) == "staircase"


def test_held_out_episodes_on_which_the_oracle_only_ties_random_are_refused_before_training() -> (
    None
):
    """An oracle level with random on the episodes' mean leaves no scale; it is refused here,
    before any run trains, not in the division once the grid has trained. On a resample the
    intervals draw the same holds: two episodes, the oracle behind random on the second, and
    the count of resamples that draw it twice is named, from the grid's own draws."""
    from aura.rl.intervals import episode_draws
    from aura.rl.references import NoScale, check_scale

    with pytest.raises(NoScale, match=r"oracle's mean return 0\.5000 does not exceed random's"):
        check_scale("tutor_matching", [0.0, 1.0], [0.5, 0.5], None)
    check_scale("tutor_matching", [0.0, 1.0], [1.0, 0.5], None)  # no draws: the mean alone
    flat = sum(1 for d in episode_draws(2, 11) if set(d) == {1})  # both draws episode 1
    assert 0 < flat < 2000
    with pytest.raises(NoScale, match=rf"on {flat} of 2000 resamples of the 2 episodes"):
        check_scale("tutor_matching", [0.0, 1.0], [1.0, 0.5], 11)


def test_the_resolution_report_table_names_its_columns_in_words() -> None:
    """Notebook 03 showed `evaluation_resolution` as oracle_lead, sd_of_evaluation and z, with
    pandas' digits (a z of 2.2916...); the report table names them in words, writes the lead
    and its standard deviation to three decimals and the ratio to one. The table is left as
    it was."""
    import pandas as pd

    from aura.rl.references import resolution_report_table

    table = pd.DataFrame(
        {
            "tutor_matching": {
                "oracle_lead": 0.07634,
                "sd_of_evaluation": 0.03331,
                "z": 2.2918,
                "scored model": "final",
            },
            "difficulty_adaptation": {
                "oracle_lead": 3.86549,
                "sd_of_evaluation": 0.40012,
                "z": 9.6608,
                "scored model": "best",
            },
        }
    ).T
    before = table.copy()
    shown = resolution_report_table(table)
    assert list(shown.columns) == [
        "environment",
        "oracle's lead per episode",
        "sd of an evaluation's mean",
        "lead in sds",
        "scored model",
    ]
    assert shown.values.tolist() == [
        ["tutor matching", "0.076", "0.033", "2.3", "final"],
        ["difficulty adaptation", "3.865", "0.400", "9.7", "best"],
    ]
    pd.testing.assert_frame_equal(table, before)
