"""A probe's numbers on made-up returns: its seeds' scores, its lead over the grid's seeds and
over the start it imitated (paired seed by seed and by episode), the references and the start's
point on the learning curve, each worked out by hand or by the documented bootstrap written out
here with numpy; and the environment a probe's policy is scored on."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from aura.config import PARAMS_DIR
from aura.envs import RELATIVE_REWARD_ID, TUTOR_MATCHING_ID
from aura.rl import probes
from aura.rl.config.experiment import load_experiment
from aura.rl.probes import PROBES, ProbedSeed, probe_runs

BASE_SEED = 7
Z95 = 1.959963984540054
RANDOM = [0.0, 0.0, 2.0, 2.0]  # mean 1
ORACLE = [11.0, 11.0, 11.0, 11.0]  # mean 11: a score is (mean - 1) / 10
REF = {
    "random": 1.0,
    "oracle": 11.0,
    "hand_rule": 5.0,  # 0.4
    "hand_rule_name": "staircase",
    "ceiling": 9.0,  # 0.8
    "ceiling_name": "model-based filter",
    "experience": None,
    "experience_name": None,
    "episode_returns": {
        "random": RANDOM,
        "oracle": ORACLE,
        "staircase": [5.0, 5.0, 5.0, 5.0],
        "model-based filter": [9.0, 9.0, 9.0, 9.0],
    },
}
PROBED = [[8.0, 8.0, 8.0, 8.0], [6.0, 8.0, 6.0, 8.0]]  # 0.7, 0.6
GRID = [[6.0, 6.0, 6.0, 6.0], [4.0, 4.0, 4.0, 8.0]]  # 0.5, 0.4
START = [[3.0, 3.0, 3.0, 3.0], [2.0, 2.0, 8.0, 8.0]]  # 0.2, 0.4; first two episodes: 0.2, 0.1


def lead_half_width(diffs: list[float], mine: list, theirs: list) -> float:
    """The paired lead's half-width: Student-t over the per-seed differences and the bootstrap
    error (2,000 resamples of the episodes drawn from the grid's seed) of the difference of the
    seeds' mean scores, in quadrature."""
    draws = np.random.default_rng(BASE_SEED).integers(4, size=(2000, 4))
    lo = np.asarray(RANDOM)[draws].mean(axis=1)
    width = np.asarray(ORACLE)[draws].mean(axis=1) - lo
    gap = np.mean(mine, axis=0) - np.mean(theirs, axis=0)
    se = float((gap[draws].mean(axis=1) / width).std(ddof=1))
    t_half = stats.t.ppf(0.975, len(diffs) - 1) * np.std(diffs, ddof=1) / math.sqrt(len(diffs))
    return math.hypot(t_half, Z95 * se)


@pytest.fixture
def scores() -> dict:
    done = [
        ProbedSeed(
            returns=PROBED[k],
            recorded_seconds=1.0,
            checkpoint_means=[(0, 3.0), (500, 5.0), (1000 + k, 7.0)],
            start_returns=START[k],
            imitation={"agreement": 0.8 + k / 10, "agreement_before": 0.1},
        )
        for k in range(2)
    ]
    grid_algo = {"seeds": [{"test_returns": r} for r in GRID], "held_out_curve": ["grid's"]}
    cfg = SimpleNamespace(curve_episodes=2, base_seed=BASE_SEED)
    return probes._probe_scores(cfg, PROBES["filter_start"], REF, grid_algo, done)


def test_a_probes_seeds_and_the_grids_are_scored_on_the_grids_references(scores) -> None:
    assert scores["probe_per_seed"] == pytest.approx([0.7, 0.6])
    assert scores["grid_per_seed"] == pytest.approx([0.5, 0.4])
    assert scores["start_per_seed"] == pytest.approx([0.2, 0.4])
    assert scores["references"] == pytest.approx(
        {
            "hand_rule_name": "staircase",
            "hand_rule": 0.4,
            "ceiling_name": "model-based filter",
            "ceiling": 0.8,
        }
    )
    assert scores["start_agreement"] == pytest.approx([0.8, 0.9])
    assert scores["final_steps"] == [1000, 1001]
    assert scores["grid_held_out_curve"] == ["grid's"]


@pytest.mark.parametrize(
    ("key", "diffs", "theirs"),
    [("lead_over_grid", [0.2, 0.2], GRID), ("lead_over_start", [0.5, 0.2], START)],
)
def test_a_probes_leads_are_paired_by_seed_and_by_episode(
    scores, key: str, diffs: list[float], theirs: list
) -> None:
    lead = scores[key]
    half = lead_half_width(diffs, PROBED, theirs)
    expected = (np.mean(diffs), np.mean(diffs) - half, np.mean(diffs) + half)
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx(expected)


def test_the_start_opens_the_curve_on_the_curve_episodes_alone(monkeypatch, tmp_path) -> None:
    """The start is scored on every held-out episode; its point of the learning curve (step 0)
    is its mean return on the first ``n_curve`` of them, as every checkpoint's is."""
    (tmp_path / probes.IMITATION_FILE).write_text(json.dumps({"agreement": 0.9}))
    run = SimpleNamespace(imitation=object())
    monkeypatch.setattr(probes, "init_worker", lambda: None)
    monkeypatch.setattr(
        probes, "train", lambda *a, **k: SimpleNamespace(num_timesteps=64, recorded_seconds=2.0)
    )
    monkeypatch.setattr(probes, "evaluate_model_file", lambda *a: [1.0, 3.0, 8.0, 8.0])
    monkeypatch.setattr(probes, "score_checkpoints", lambda *a: [(32, 4.0), (64, 5.0)])
    seed = probes.probe_job(run, run, str(tmp_path), "best_model.zip", 3, 4, 2, False)
    assert seed.checkpoint_means == [(0, 2.0), (32, 4.0), (64, 5.0)]
    assert seed.start_returns == [1.0, 3.0, 8.0, 8.0]
    assert seed.imitation == {"agreement": 0.9}


def test_a_reward_probe_trains_on_its_reward_and_is_scored_on_the_grids() -> None:
    smoke = load_experiment(PARAMS_DIR / "smoke.yaml")
    run = smoke.run("tutor_matching", "ppo", 1)
    trained, scored = probe_runs(run, PROBES["relative_reward"])
    assert (trained.env.id, scored.env.id) == (RELATIVE_REWARD_ID, TUTOR_MATCHING_ID)
    assert trained.env.kwargs == scored.env.kwargs == run.env.kwargs
    assert (trained.seed, scored.seed) == (run.seed, run.seed)


@pytest.mark.parametrize(
    ("name", "algo", "message"),
    [
        ("recurrent", "a2c", "trains PPO with a recurrent policy .*use --algo ppo, not a2c"),
        ("recurrent", "dqn", "use --algo ppo, not dqn"),
        ("filter_start", "dqn", "use --algo ppo or a2c, not dqn"),
        ("noisy", "ppo", "unknown probe 'noisy'"),
    ],
)
def test_a_probe_the_algorithm_cannot_run_is_refused_by_name(
    name: str, algo: str, message: str
) -> None:
    from aura.rl.config import ConfigError

    smoke = load_experiment(PARAMS_DIR / "smoke.yaml")
    with pytest.raises(ConfigError, match=message):
        probes.checked_probe(smoke, name, algo)
    assert probes.checked_probe(smoke, "recurrent", "ppo") is PROBES["recurrent"]
