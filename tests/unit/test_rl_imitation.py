"""Imitation: a policy taught the difficulty filter's moves agrees with the filter more than any
constant move does, the critic is left as it was, and the same run teaches the same weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from aura.config import PARAMS_DIR
from aura.envs.ceilings import filter_dagger
from aura.rl.config import ImitationConfig, RunConfig, load_experiment
from aura.rl.imitation import imitation_seed, teach_filter
from aura.rl.probes import PROBES, probe_runs
from aura.rl.train import make_env

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

    return run_class(run)("MlpPolicy", make_env(run.env, 2, run.seed), seed=run.seed, device="cpu")


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


def test_the_same_run_teaches_the_same_weights_and_seeds_differ_by_run() -> None:
    run = imitating_run()
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
