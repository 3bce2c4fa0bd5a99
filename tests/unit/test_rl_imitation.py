"""Imitation: a policy taught the difficulty filter's moves agrees with the filter more than any
constant move does, the critic is left as it was unless it is fitted to the start's own returns
(then only the critic changes), and the same run teaches the same weights."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch

from aura.config import PARAMS_DIR
from aura.envs.ceilings import filter_dagger
from aura.rl.config.experiment import load_experiment
from aura.rl.config.run import ImitationConfig, RunConfig
from aura.rl.imitation import imitation_seed, policy_returns, teach_filter
from aura.rl.probes import PROBES, probe_runs
from aura.rl.train import make_vec_env

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")
IMITATION = ImitationConfig(rounds=2, episodes=30, epochs=20)
FILTER_ONLY = ImitationConfig(rounds=1, episodes=30, epochs=20)
"""One round: the filter's own episodes, no clone to fit (fast)."""


def imitating_run(
    algo: str = "ppo",
    k: int = 0,
    imitation: ImitationConfig = FILTER_ONLY,
    probe: str = "filter_start",
) -> RunConfig:
    """The smoke grid's run as a ``filter_start`` probe trains it (``filter_start_4_blocks``: on
    the last four blocks), taught ``imitation``."""
    trained, _ = probe_runs(SMOKE.run("difficulty_adaptation", algo, k), PROBES[probe])
    return dataclasses.replace(trained, imitation=imitation)


def fresh_model(run: RunConfig):
    from aura.rl.train import run_class

    return run_class(run)(
        "MlpPolicy", make_vec_env(run.env, 2, run.seed), seed=run.seed, device="cpu"
    )


@pytest.mark.parametrize(
    ("algo", "imitation", "probe", "window"),
    [
        ("ppo", IMITATION, "filter_start", 1),
        ("a2c", FILTER_ONLY, "filter_start", 1),
        ("ppo", IMITATION, "filter_start_4_blocks", 4),
    ],
)
def test_a_taught_policy_agrees_with_the_filter_more_than_any_constant_move(
    algo: str, imitation: ImitationConfig, probe: str, window: int
) -> None:
    run = imitating_run(algo, imitation=imitation, probe=probe)
    model = fresh_model(run)
    assert model.observation_space.shape == (6 * window,)
    critic = {k: v.clone() for k, v in model.policy.value_net.state_dict().items()}

    taught = teach_filter(model, run)

    _, labels, clones = filter_dagger(
        imitation.rounds, imitation.episodes, imitation_seed(run), window, fit_last=False
    )
    assert len(clones) == imitation.rounds - 1  # the clones that ran a round, no more
    best_constant = np.bincount(labels).max() / len(labels)
    assert taught["states"] == len(labels)
    assert taught["constant_agreement"] == pytest.approx(best_constant)
    assert taught["agreement"] > best_constant  # a constant move (or no teaching) cannot pass it
    assert taught["agreement"] > taught["agreement_before"]
    after = model.policy.value_net.state_dict()
    assert all(torch.equal(critic[k], after[k]) for k in critic)


@pytest.mark.parametrize("critic_episodes", [0, 20])
def test_the_same_run_teaches_the_same_weights_and_seeds_differ_by_run(
    critic_episodes: int,
) -> None:
    run = imitating_run(imitation=dataclasses.replace(FILTER_ONLY, critic_episodes=critic_episodes))
    first, second = fresh_model(run), fresh_model(run)
    assert teach_filter(first, run) == teach_filter(second, run)
    for (name, a), (_, b) in zip(
        first.policy.state_dict().items(), second.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name

    seeds = {imitation_seed(imitating_run(k=k)) for k in range(5)}
    assert len(seeds) == 5
    assert all(0 <= s < 2**32 for s in seeds)


def test_a_run_without_imitation_has_nothing_to_teach() -> None:
    run = SMOKE.run("difficulty_adaptation", "ppo", 0)
    with pytest.raises(ValueError, match="no imitation to teach"):
        teach_filter(fresh_model(run), run)


def test_a_fitted_critic_explains_the_starts_returns_and_leaves_its_moves_alone() -> None:
    with_critic = dataclasses.replace(FILTER_ONLY, critic_episodes=200)
    run = imitating_run(imitation=with_critic, probe="filter_start_4_blocks")
    plain_run = dataclasses.replace(run, imitation=FILTER_ONLY)
    fitted, plain = fresh_model(run), fresh_model(plain_run)
    critic = teach_filter(fitted, run)["critic"]
    teach_filter(plain, plain_run)

    assert critic["episodes"] == 200 and critic["states"] > 200
    assert critic["explained_variance_before"] < 0.05  # an untrained critic explains nothing
    assert critic["explained_variance"] > critic["explained_variance_before"] + 0.1
    value_layers = ("mlp_extractor.value_net.", "value_net.")
    changed = {
        name
        for (name, a), (_, b) in zip(
            fitted.policy.state_dict().items(), plain.policy.state_dict().items(), strict=True
        )
        if not torch.equal(a, b)
    }
    assert changed and all(name.startswith(value_layers) for name in changed)


def test_a_truncated_episodes_returns_are_discounted_to_its_last_state() -> None:
    """A quit ends an episode (nothing follows); a truncation leaves the last state's value to add,
    discounted by gamma to the power of the steps from each state to it."""
    run = imitating_run(probe="filter_start")
    model = fresh_model(run)
    teach_filter(model, run)
    found = policy_returns(model, run, episodes=60, seed=3)
    gamma = run.hyperparams.gamma
    max_steps = gym.make(run.env.id, **run.env.kwargs).unwrapped.max_steps
    assert len(found.last_observations) == 60
    for episode in range(60):
        at = found.tail == episode
        discounts = found.tail_discount[at]
        if discounts[0] == 0:  # a quit: every state of the episode ends there
            assert np.all(discounts == 0)
        else:  # truncated after max_steps blocks: oldest state last (the returns run backwards)
            expected = gamma ** np.arange(1, max_steps + 1)
            assert discounts == pytest.approx(expected, rel=1e-5)
    assert np.any(found.tail_discount > 0) and np.any(found.tail_discount == 0)
