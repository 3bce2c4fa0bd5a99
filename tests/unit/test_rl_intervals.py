"""A result's interval covers the held-out episodes as well as the seeds (with one seed, the
episodes alone, and says so), and "beats the hand rule" is judged on the paired difference."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import yaml

from aura.config import PARAMS_DIR
from aura.files import strict_json
from aura.rl.config import SECTION
from aura.rl.config.experiment import experiment_config
from aura.rl.experiment import RunOutcome
from aura.rl.fingerprint import fingerprint
from aura.rl.intervals import (
    EPISODES,
    EPISODES_ONLY,
    SEEDS_AND_EPISODES,
    Z95,
    Interval,
    episode_draws,
    paired_lead,
    resampled_scores,
    seed_scores,
    t_interval,
    with_episode_error,
)
from aura.rl.results import summarise
from aura.rl.selection import selected_score
from aura.rl.tables import results_table, saved_policies_table

SHARED = {"seed": 7, "data_dir": "data/x", "models_dir": "models/x", "artifacts_dir": "a"}
N_EPISODES = 400


def config(seeds: int = 3, n_episodes: int = N_EPISODES, seed: int = 7):
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section.update(env_keys=["tutor_matching"], algorithms=["ppo"], seeds=seeds)
    section["n_test_episodes"] = n_episodes
    return experiment_config(section, {**SHARED, "seed": seed})


@pytest.mark.parametrize(
    "values", [[0.71, 0.84], [0.78, 0.83, 0.81], [0.6, 0.9, 0.75, 0.8, 0.7], [0.5, 0.5, 0.5]]
)
def test_the_seeds_interval_is_student_t_with_n_minus_one_degrees_of_freedom(values) -> None:
    """scipy's interval of the mean, to the last digits; two seeds take t(0.975, 1) = 12.7, and
    seeds that all scored alike leave no width."""
    from scipy import stats

    x = np.asarray(values)
    interval = t_interval(values)
    sem = stats.sem(x)
    low, high = stats.t.interval(0.95, x.size - 1, x.mean(), sem) if sem > 0 else (x[0], x[0])
    assert (interval.mean, interval.low, interval.high, interval.n) == pytest.approx(
        (x.mean(), low, high, x.size), rel=1e-12
    )


def test_one_seed_has_no_spread_to_measure_and_none_is_refused() -> None:
    assert t_interval([0.8]) == Interval(0.8, -math.inf, math.inf, 1)
    with pytest.raises(ValueError, match="at least one value"):
        t_interval([])


def test_the_episode_bootstrap_matches_the_standard_error_of_a_mean() -> None:
    x = np.random.default_rng(0).normal(0.5, 0.2, N_EPISODES)
    zeros, ones = np.zeros(N_EPISODES), np.ones(N_EPISODES)
    draws = episode_draws(N_EPISODES, seed=1)
    scores = resampled_scores(x, zeros, ones, draws)
    assert scores.std(ddof=1) == pytest.approx(x.std(ddof=1) / math.sqrt(N_EPISODES), rel=0.1)
    assert np.array_equal(draws, episode_draws(N_EPISODES, seed=1))


def test_per_episode_returns_of_another_length_are_refused() -> None:
    draws = episode_draws(10, seed=0)
    with pytest.raises(ValueError, match="must all have 10 episodes"):
        resampled_scores(np.zeros(9), np.zeros(10), np.ones(10), draws)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_return_that_is_not_a_number_is_refused_not_scored_as_no_lead(value: float) -> None:
    """A policy's episode whose return is not finite made every interval NaN, written as null,
    and ``beats_hand_rule`` false: a verdict on a score nobody had. It is named instead."""
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    outcomes[1].test_returns[5] = value
    with pytest.raises(ValueError, match=f"the policy's return of episode 5 is {value}"):
        summarise(cfg, outcomes, references)
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    references["tutor_matching"]["episode_returns"]["oracle"][3] = value
    with pytest.raises(ValueError, match=f"the oracle's return of episode 3 is {value}"):
        summarise(cfg, outcomes, references)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # refused before any division by it
@pytest.mark.parametrize("oracle", [0.0, -0.1])
def test_an_oracle_that_does_not_beat_random_leaves_no_scale_and_is_refused(oracle: float) -> None:
    """R_oracle == R_random would divide by zero, and below it every score's sign would flip."""
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    ref = references["tutor_matching"]
    ref["episode_returns"]["oracle"] = [oracle] * cfg.n_test_episodes
    ref["oracle"] = oracle
    with pytest.raises(ValueError, match=r"oracle return -?0\.\d* must exceed random return 0\.0"):
        summarise(cfg, outcomes, references)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_resample_on_which_the_oracle_does_not_beat_random_is_refused_not_scored() -> None:
    """The oracle beats random on the two episodes' mean (0.75 to 0.5) but not on episode 1,
    which a resample can draw twice: divided by that resample's negative width, the policy's
    score there was -1.0 for +1.0, and the interval held it without a word."""
    random, oracle, policy = np.array([0.0, 1.0]), np.array([1.0, 0.5]), np.array([0.5, 1.0])
    draws = np.array([[0, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match=r"on 1 of 3 resamples of the 2 episodes the oracle's"):
        resampled_scores(policy, random, oracle, draws)
    scores = resampled_scores(policy, random, oracle, draws[[0, 2]])
    assert scores == pytest.approx([1.0, 0.5])


def test_half_widths_add_in_quadrature() -> None:
    widened = with_episode_error(Interval(0.8, 0.77, 0.83, 3), 0.02)
    half = math.hypot(0.03, Z95 * 0.02)
    assert (widened.low, widened.high, widened.n) == pytest.approx((0.8 - half, 0.8 + half, 3))
    assert widened.covers is None and "covers" not in widened.to_dict()


def test_one_seed_keeps_the_episodes_half_width_and_says_so() -> None:
    """A seed's t interval is infinitely wide; the episodes' error of that one policy is not."""
    alone = with_episode_error(Interval(0.8, -math.inf, math.inf, 1), 0.02)
    assert (alone.low, alone.high, alone.n) == pytest.approx(
        (0.8 - Z95 * 0.02, 0.8 + Z95 * 0.02, 1)
    )
    assert alone.to_dict()["covers"] == alone.covers == EPISODES_ONLY


def outcomes_and_references(cfg, lead: float | np.ndarray, seed_leads: tuple[float, ...] = ()):
    """Random 0, oracle 1 and a hand rule of noisy per-episode returns; ``cfg.n_seeds`` seeds of
    a policy that returns the hand rule's return plus ``lead`` in every episode (plus seed k's
    ``seed_leads[k]``, where given)."""
    n = cfg.n_test_episodes
    rng = np.random.default_rng(3)
    hand = rng.normal(0.7, 0.25, n)
    episodes = {"random": [0.0] * n, "oracle": [1.0] * n, "rule": list(hand)}
    references = {
        "random": 0.0,
        "oracle": 1.0,
        "hand_rule": float(hand.mean()),
        "hand_rule_name": "rule",
        "ceiling": float(hand.mean()),
        "ceiling_name": "rule",
        "experience": None,
        "experience_name": None,
        "experience_steps": None,
        "episode_returns": episodes,
    }
    extra = seed_leads or (0.0,) * cfg.n_seeds
    outcomes = [
        RunOutcome(
            "tutor_matching",
            "ppo",
            k,
            str(cfg.models_dir / f"run{k}"),
            1,
            0,
            1.0,
            1.0,
            list(returns),
        )
        for k, returns in enumerate(hand + lead + e for e in extra)
    ]
    return outcomes, {"tutor_matching": references}


def test_identical_seeds_still_get_the_episodes_interval() -> None:
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    ppo = summarise(cfg, outcomes, references)["tutor_matching"]["algorithms"]["ppo"]
    seeds, score = ppo["normalised_seeds"], ppo["normalised"]
    assert seeds["high"] - seeds["low"] == pytest.approx(0.0, abs=1e-12)
    expected_se = 0.25 / math.sqrt(N_EPISODES)
    assert ppo["episode_se"] == pytest.approx(expected_se, rel=0.15)
    assert score["high"] - score["mean"] == pytest.approx(Z95 * ppo["episode_se"])


def test_a_small_lead_in_every_episode_beats_the_hand_rule_though_the_scores_overlap() -> None:
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    results = summarise(cfg, outcomes, references)["tutor_matching"]
    ppo = results["algorithms"]["ppo"]
    hand = results["references"]["hand_rule_normalised"]
    assert ppo["normalised"]["low"] < hand  # the score's interval reaches below the hand rule
    assert ppo["beats_hand_rule_ci"]  # but the same episodes show the lead every time
    assert ppo["lead_over_hand_rule"]["mean"] == pytest.approx(0.01)
    table = results_table({"tutor_matching": results}).set_index("policy")
    assert table.loc["hand rule (rule)", "ci_low"] < hand < table.loc["hand rule (rule)", "ci_high"]
    assert np.isnan(table.loc["random", "ci_low"])
    assert table.loc["PPO", "lead_low"] > 0  # the lead the score's interval cannot show
    assert np.isnan(table.loc["hand rule (rule)", "lead_over_rule"])


def test_no_lead_does_not_beat_the_hand_rule() -> None:
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.0)
    ppo = summarise(cfg, outcomes, references)["tutor_matching"]["algorithms"]["ppo"]
    assert not ppo["beats_hand_rule"] and not ppo["beats_hand_rule_ci"]


def test_a_lead_lost_in_the_episodes_noise_is_not_called_a_win() -> None:
    cfg = config()
    noise = np.random.default_rng(5).normal(0.0, 0.2, N_EPISODES)
    outcomes, references = outcomes_and_references(cfg, lead=noise - noise.mean() + 0.002)
    results = summarise(cfg, outcomes, references)["tutor_matching"]
    ppo = results["algorithms"]["ppo"]
    assert ppo["beats_hand_rule"]  # the mean is ahead of the rule
    assert not ppo["beats_hand_rule_ci"]  # by far less than the episodes' noise
    table = results_table({"tutor_matching": results}).set_index("policy")
    assert table.loc["PPO", "lead_over_rule"] > 0 > table.loc["PPO", "lead_low"]


def test_a_lead_is_paired_by_seed() -> None:
    """Seeds that differ widely among themselves, each led by the same 0.02 in every episode by
    its twin (a probe against the grid), give a lead of 0.02 with no width from the seeds."""
    rng = np.random.default_rng(11)
    zeros, ones = np.zeros(N_EPISODES), np.ones(N_EPISODES)
    draws = episode_draws(N_EPISODES, seed=2)

    def resampled(returns: np.ndarray) -> np.ndarray:
        return resampled_scores(returns, zeros, ones, draws)

    base = [rng.normal(level, 0.25, N_EPISODES) for level in (0.6, 0.7, 0.8)]
    grid = seed_scores(base, 0.0, 1.0, resampled)
    probe = seed_scores([b + 0.02 for b in base], 0.0, 1.0, resampled)
    assert grid.seeds.high - grid.seeds.low > 0.2  # the seeds alone are far apart
    lead = paired_lead(probe, grid.per_seed, grid.draws)
    assert (lead.mean, lead.low, lead.high) == pytest.approx((0.02, 0.02, 0.02), abs=1e-9)
    shuffled = paired_lead(probe, grid.per_seed[::-1], grid.draws)  # pairs broken
    assert shuffled.high - shuffled.low > 0.2


def test_the_saved_policy_not_scored_is_scored_beside_it_on_the_same_episodes() -> None:
    """Tutor matching scores the final policy; its best checkpoint, here behind it by 0.03 in
    every episode of every seed, gets its own score and a paired lead of exactly 0.03."""
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    behind = [
        dataclasses.replace(o, other_returns=[r - 0.03 for r in o.test_returns]) for o in outcomes
    ]
    results = summarise(cfg, behind, references)
    ppo = results["tutor_matching"]["algorithms"]["ppo"]
    other = ppo["other_model"]
    assert other["model"] == "best"
    assert other["normalised"]["mean"] == pytest.approx(ppo["normalised"]["mean"] - 0.03)
    lead = other["scored_lead"]
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx((0.03, 0.03, 0.03))
    row = saved_policies_table(results).iloc[0]
    assert (row["scored"], row["other"], row["lead"]) == ("final", "best", pytest.approx(0.03))


def test_outcomes_without_the_other_policy_leave_it_out() -> None:
    cfg = config()
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    results = summarise(cfg, outcomes, references)
    assert "other_model" not in results["tutor_matching"]["algorithms"]["ppo"]
    assert saved_policies_table(results).empty


def paired_noise(n: int, seed: int = 5) -> np.ndarray:
    """A lead of 0.02 over the hand rule on average, with noise in each episode."""
    noise = np.random.default_rng(seed).normal(0.0, 0.2, n)
    return noise - noise.mean() + 0.02


def test_several_seeds_keep_the_t_interval_widened_by_the_episodes() -> None:
    """The three-seed interval is the t interval over the seeds' scores, its half-width added in
    quadrature to Z95 x the episodes' bootstrap error drawn from the params' seed, to the digit
    it was before one-seed intervals were finite; its results entry carries no ``covers``."""
    from scipy import stats

    cfg = config()
    outcomes, references = outcomes_and_references(
        cfg, paired_noise(N_EPISODES), seed_leads=(0.0, 0.03, -0.02)
    )
    results = summarise(cfg, outcomes, references)
    ppo = results["tutor_matching"]["algorithms"]["ppo"]

    scores = np.array([np.mean(o.test_returns) for o in outcomes])  # random 0, oracle 1
    t_half = stats.t.ppf(0.975, 2) * scores.std(ddof=1) / math.sqrt(3)
    draws = episode_draws(N_EPISODES, cfg.base_seed)
    mean_returns = np.mean([o.test_returns for o in outcomes], axis=0)
    episode_se = mean_returns[draws].mean(axis=1).std(ddof=1)
    half = math.hypot(t_half, Z95 * episode_se)
    score = ppo["normalised"]
    assert set(score) == {"mean", "low", "high", "n"}
    assert (score["mean"], score["low"], score["high"], score["n"]) == pytest.approx(
        (scores.mean(), scores.mean() - half, scores.mean() + half, 3), rel=1e-12
    )
    # the numbers of this grid before one seed got a finite interval, and its fingerprint
    assert (score["low"], score["high"]) == pytest.approx(
        (0.6620880718675907, 0.8015467223768767), rel=1e-12
    )
    lead = ppo["lead_over_hand_rule"]
    assert set(lead) == {"mean", "low", "high", "n"}
    assert (lead["low"], lead["high"]) == pytest.approx(
        (-0.04187973875860879, 0.08854640542527528), rel=1e-12
    )
    assert fingerprint(results) == "1adc122a1e588b9d"
    table = results_table(results).set_index("policy")
    assert table.loc["PPO", "ci_covers"] == SEEDS_AND_EPISODES
    assert table.loc["hand rule (rule)", "ci_covers"] == EPISODES
    assert table.loc[["random", "oracle"], "ci_covers"].isna().all()


def one_seed(n_episodes: int, seed: int = 7) -> dict:
    """PPO's results of a one-seed grid whose policy leads the hand rule by 0.02 on average
    over ``n_episodes`` noisy held-out episodes."""
    cfg = config(seeds=1, n_episodes=n_episodes, seed=seed)
    outcomes, references = outcomes_and_references(cfg, paired_noise(n_episodes))
    return summarise(cfg, outcomes, references)


def test_one_seed_gets_a_finite_interval_over_the_episodes_labelled_as_such() -> None:
    results = one_seed(N_EPISODES)
    ppo = results["tutor_matching"]["algorithms"]["ppo"]
    score, lead = ppo["normalised"], ppo["lead_over_hand_rule"]
    for interval in (score, lead):
        assert math.isfinite(interval["low"]) and math.isfinite(interval["high"])
        assert interval["low"] < interval["mean"] < interval["high"]
        assert interval["n"] == 1 and interval["covers"] == EPISODES_ONLY
    assert score["high"] - score["mean"] == pytest.approx(Z95 * ppo["episode_se"])
    assert lead["mean"] == pytest.approx(0.02)
    assert ppo["normalised_seeds"]["high"] == math.inf  # the seeds' spread stays unknown
    written = json.loads(strict_json(results))["tutor_matching"]["algorithms"]["ppo"]
    assert written["normalised"] == score  # no null where an end was infinite
    table = results_table(results).set_index("policy")
    assert table.loc["PPO", "ci_covers"] == EPISODES_ONLY
    assert table.loc["PPO", "lead_low"] == lead["low"]


def test_a_one_seed_interval_narrows_with_more_episodes() -> None:
    widths = []
    for n in (100, 1600):
        score = one_seed(n)["tutor_matching"]["algorithms"]["ppo"]["normalised"]
        widths.append(score["high"] - score["low"])
    assert widths[1] == pytest.approx(widths[0] / 4, rel=0.25)  # 1 / sqrt(16) of it


def test_a_one_seed_interval_is_drawn_from_the_params_seed() -> None:
    def interval(seed: int) -> dict:
        return one_seed(N_EPISODES, seed)["tutor_matching"]["algorithms"]["ppo"]["normalised"]

    assert interval(7) == interval(7)
    other = interval(8)  # other resamples of the same episodes: another width, as wide
    assert other != interval(7)
    assert other["high"] - other["low"] == pytest.approx(
        interval(7)["high"] - interval(7)["low"], rel=0.1
    )


def test_one_seed_labels_the_saved_policy_not_scored_too() -> None:
    cfg = config(seeds=1)
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    behind = [
        dataclasses.replace(o, other_returns=[r - 0.03 for r in o.test_returns]) for o in outcomes
    ]
    results = summarise(cfg, behind, references)
    other = results["tutor_matching"]["algorithms"]["ppo"]["other_model"]
    assert other["normalised"]["covers"] == other["scored_lead"]["covers"] == EPISODES_ONLY
    assert math.isfinite(other["normalised"]["low"])
    assert saved_policies_table(results).iloc[0]["ci_covers"] == EPISODES_ONLY


def test_the_served_seed_s_interval_is_that_of_a_one_seed_grid_of_it() -> None:
    """The exported policy is one seed of the grid: its score's interval and its lead over the
    hand rule are over the held-out episodes alone, to the digit what a grid of that seed alone
    would report, and paired by episode as the grid's are."""
    cfg = config()
    outcomes, references = outcomes_and_references(
        cfg, paired_noise(N_EPISODES), seed_leads=(0.0, 0.03, -0.02)
    )
    results = summarise(cfg, outcomes, references)["tutor_matching"]
    for k, outcome in enumerate(outcomes):
        alone = summarise(config(seeds=1), [outcome], references)["tutor_matching"]
        served = selected_score(results, "ppo", k, cfg.base_seed)
        assert served["interval"] == alone["algorithms"]["ppo"]["normalised"]
        assert served["lead_over_hand_rule"] == alone["algorithms"]["ppo"]["lead_over_hand_rule"]
        assert served["interval"]["covers"] == EPISODES_ONLY
        assert served["interval"]["mean"] == results["algorithms"]["ppo"]["seeds"][k]["normalised"]
    # a seed that returns the hand rule's return in every episode: no lead, and no doubt of it
    same, refs = outcomes_and_references(config(seeds=1), lead=0.0)
    results = summarise(config(seeds=1), same, refs)["tutor_matching"]
    lead = selected_score(results, "ppo", 0, cfg.base_seed)["lead_over_hand_rule"]
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx((0.0, 0.0, 0.0), abs=1e-12)


def test_scores_leads_and_reference_widths_are_those_of_the_textbook_formulas() -> None:
    """Random and the oracle vary from episode to episode, as they do in every real grid: each
    seed's score is (R - R_random) / (R_oracle - R_random) by the means on the same episodes,
    the seeds' interval is scipy's Student-t interval with n - 1 degrees of freedom, and each
    resample of the episodes is normalised by random and the oracle on that very resample (a
    loop over the resamples here). The policy's interval, its paired lead over the hand rule and
    the hand rule's own half-width in the table follow from those, computed here by hand."""
    from scipy import stats

    cfg = config()
    n = cfg.n_test_episodes
    outcomes, references = outcomes_and_references(
        cfg, paired_noise(n), seed_leads=(0.0, 0.03, -0.02)
    )
    ref = references["tutor_matching"]
    rng = np.random.default_rng(17)
    random, oracle = rng.normal(0.2, 0.15, n), rng.normal(1.1, 0.15, n)
    ref["episode_returns"].update(random=list(random), oracle=list(oracle))
    ref.update(random=float(random.mean()), oracle=float(oracle.mean()))
    results = summarise(cfg, outcomes, references)["tutor_matching"]
    ppo = results["algorithms"]["ppo"]

    lo, hi = random.mean(), oracle.mean()
    returns = np.array([o.test_returns for o in outcomes])
    hand_returns = np.asarray(ref["episode_returns"]["rule"])
    per_seed = (returns.mean(axis=1) - lo) / (hi - lo)
    hand = (hand_returns.mean() - lo) / (hi - lo)
    assert [s["normalised"] for s in ppo["seeds"]] == pytest.approx(per_seed, rel=1e-12)
    assert results["references"]["hand_rule_normalised"] == pytest.approx(hand, rel=1e-12)

    scores, rule = [], []
    for d in episode_draws(n, cfg.base_seed):
        r, o = random[d].mean(), oracle[d].mean()
        scores.append((returns[:, d].mean() - r) / (o - r))
        rule.append((hand_returns[d].mean() - r) / (o - r))
    scores, rule = np.array(scores), np.array(rule)
    assert ppo["episode_se"] == pytest.approx(scores.std(ddof=1), rel=1e-9)

    def interval(values: np.ndarray, episode_se: float) -> tuple[float, float, float]:
        low, high = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
        half = math.hypot((high - low) / 2, 1.959963984540054 * episode_se)
        return values.mean(), values.mean() - half, values.mean() + half

    score = ppo["normalised"]
    assert (score["mean"], score["low"], score["high"]) == pytest.approx(
        interval(per_seed, scores.std(ddof=1)), rel=1e-9
    )
    lead = ppo["lead_over_hand_rule"]
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx(
        interval(per_seed - hand, (scores - rule).std(ddof=1)), rel=1e-9
    )
    row = results_table({"tutor_matching": results}).set_index("policy").loc["hand rule (rule)"]
    assert (row["normalised"], row["ci_high"] - row["normalised"]) == pytest.approx(
        (hand, 1.959963984540054 * rule.std(ddof=1)), rel=1e-9
    )


def test_two_seeds_keep_their_t_interval_widened_by_the_episodes() -> None:
    """Two seeds (the smoke grid's) have a spread to measure: their t interval, t(0.975, 1) =
    12.71 times a standard error of 0.1 for scores 0.7 and 0.9, adds in quadrature to the
    episodes' half-width. Only one seed leaves the episodes' half-width alone."""
    from scipy import stats

    widened = with_episode_error(t_interval([0.7, 0.9]), 0.02)
    half = math.hypot(stats.t.ppf(0.975, 1) * 0.1, Z95 * 0.02)
    assert (widened.mean, widened.low, widened.high, widened.n) == pytest.approx(
        (0.8, 0.8 - half, 0.8 + half, 2), rel=1e-12
    )
    assert widened.covers is None


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_resample_on_which_the_oracle_only_ties_random_is_refused_too() -> None:
    """The oracle beats random on the two episodes' mean (0.5 to 0) but ties it on episode 1: a
    resample drawing it twice has no width, and a score divided by it is not a number."""
    random, oracle, policy = np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([0.5, 0.5])
    draws = np.array([[0, 1], [1, 1]])
    with pytest.raises(ValueError, match=r"on 1 of 2 resamples of the 2 episodes the oracle's"):
        resampled_scores(policy, random, oracle, draws)


def test_a_seed_that_only_ties_the_hand_rule_does_not_beat_it() -> None:
    """One seed returning the hand rule's return in every episode: its score equals the rule's
    and its lead is exactly zero, interval and all, which is no lead. Neither verdict may call
    a tie a win."""
    cfg = config(seeds=1)
    outcomes, references = outcomes_and_references(cfg, lead=0.0)
    ppo = summarise(cfg, outcomes, references)["tutor_matching"]["algorithms"]["ppo"]
    lead = ppo["lead_over_hand_rule"]
    assert (lead["mean"], lead["low"], lead["high"]) == (0.0, 0.0, 0.0)
    assert ppo["beats_hand_rule"] is False and ppo["beats_hand_rule_ci"] is False


def test_each_seed_s_entry_names_the_seed_it_trained_with() -> None:
    """Seed k of a grid trains with shared.seed + k (params/default.yaml): 7, 8 and 9 here, as
    the run's own config says."""
    cfg = config(seed=7)
    outcomes, references = outcomes_and_references(cfg, lead=0.01)
    ppo = summarise(cfg, outcomes, references)["tutor_matching"]["algorithms"]["ppo"]
    assert [s["seed"] for s in ppo["seeds"]] == [7, 8, 9]
    assert [cfg.run("tutor_matching", "ppo", k).seed for k in range(3)] == [7, 8, 9]


def test_the_mean_return_and_each_reference_s_width_are_their_own() -> None:
    """Random and the oracle away from 0 and 1, so that a return is not its score: the mean
    return's interval is scipy's t interval of the seeds' mean returns, and the upper
    reference's normalised score and episode error are those of its own returns (the error
    resampled here by a loop over the draws), not the hand rule's; the table shows the mean
    return and the lead's interval as the results hold them."""
    from scipy import stats

    cfg = config()
    n = cfg.n_test_episodes
    outcomes, references = outcomes_and_references(
        cfg, paired_noise(n), seed_leads=(0.0, 0.03, -0.02)
    )
    ref = references["tutor_matching"]
    rng = np.random.default_rng(23)
    random, oracle, ceiling = (rng.normal(m, s, n) for m, s in ((3.0, 1.0), (9.0, 1.0), (8.0, 3.0)))
    ref["episode_returns"].update(random=list(random), oracle=list(oracle), filter=list(ceiling))
    ref.update(
        random=float(random.mean()),
        oracle=float(oracle.mean()),
        ceiling=float(ceiling.mean()),
        ceiling_name="filter",
    )
    results = summarise(cfg, outcomes, references)["tutor_matching"]

    means = np.array([np.mean(o.test_returns) for o in outcomes])
    low, high = stats.t.interval(0.95, 2, means.mean(), stats.sem(means))
    returned = results["algorithms"]["ppo"]["mean_return"]
    assert (returned["mean"], returned["low"], returned["high"]) == pytest.approx(
        (means.mean(), low, high), rel=1e-12
    )
    scores = []
    for d in episode_draws(n, cfg.base_seed):
        r, o = random[d].mean(), oracle[d].mean()
        scores.append((ceiling[d].mean() - r) / (o - r))
    episode_se = results["references"]["episode_se"]
    assert episode_se["ceiling"] == pytest.approx(np.std(scores, ddof=1), rel=1e-9)
    assert episode_se["ceiling"] > 1.5 * episode_se["hand_rule"]  # its returns spread wider
    lead = results["algorithms"]["ppo"]["lead_over_hand_rule"]
    row = results_table({"tutor_matching": results}).set_index("policy").loc["PPO"]
    assert row["mean_return"] == pytest.approx(means.mean(), rel=1e-12)
    assert (row["lead_low"], row["lead_high"]) == (lead["low"], lead["high"])
    lo, hi = random.mean(), oracle.mean()
    assert results["references"]["ceiling_normalised"] == pytest.approx(
        (ceiling.mean() - lo) / (hi - lo), rel=1e-12
    )
