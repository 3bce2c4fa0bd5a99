"""The simulator's promises (`aura.data.relations`), checked on one dataset at the spec's scale.

Thresholds come from the generative model, not from the measured values: each test says what
the model implies and how far the measured value (seed 20240601, noted beside it) is from the
bound in standard errors, so a test fails when behaviour changes, not by chance.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from aura.config import PROJECT_ROOT
from aura.data import Datasets, DataValidationError, load_datasets, load_table
from aura.data.relations import (
    correlation_se,
    key_correlations,
    outcome_improvement,
    style_match_effect,
    success_against_target,
)
from aura.sim import FILES, TRUTH_FILES, data_dictionary, write_datasets
from aura.sim.generate import (
    EPOCH,
    LAST_DAY,
    MAX_SESSIONS_PER_LEARNER,
    MEAN_GAP_DAYS,
    SLOT_HOURS,
    START_DAYS,
    check_memory,
    generate,
)
from aura.sim.matching import logging_policy
from aura.sim.vocab import STRATEGIES

SEED = 20240601
SPEC = {"n_learners": 10_000, "n_tutors": 100, "n_sessions": 20_000}


def _paths(folder: Path) -> list[Path]:
    return [folder / f for f in FILES.values()] + [
        folder / "truth" / f for f in TRUTH_FILES.values()
    ]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spec")
    write_datasets(out, seed=SEED, **SPEC)
    return out


@pytest.fixture(scope="module")
def data(folder: Path) -> Datasets:
    return load_datasets(folder)


@pytest.fixture(scope="module")
def correlations(folder: Path, data: Datasets) -> dict[str, float]:
    return key_correlations(data, pd.read_csv(folder / "truth" / TRUTH_FILES["tutors_truth"]))


def test_same_seed_gives_byte_identical_files(folder: Path, tmp_path: Path) -> None:
    write_datasets(tmp_path / "again", seed=SEED, **SPEC)
    for first, second in zip(_paths(folder), _paths(tmp_path / "again"), strict=True):
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between runs"


def test_progress_is_told_the_sessions_drawn_and_changes_no_draw(
    folder: Path, tmp_path: Path
) -> None:
    """A long history took minutes without a word; the progress callback that says how far it
    is reads no random draw, so the files are byte for byte those written without one."""
    told: list[tuple[int, int]] = []
    write_datasets(
        tmp_path / "told", seed=SEED, **SPEC, on_progress=lambda n, total: told.append((n, total))
    )
    for first, second in zip(_paths(folder), _paths(tmp_path / "told"), strict=True):
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs with progress"
    drawn = [n for n, _ in told]
    assert drawn == sorted(set(drawn)) and drawn[-1] == SPEC["n_sessions"]
    assert {total for _, total in told} == {SPEC["n_sessions"]}


def test_another_seed_gives_different_files(folder: Path, tmp_path: Path) -> None:
    write_datasets(tmp_path / "other", seed=SEED + 1, **SPEC)
    for first, second in zip(_paths(folder), _paths(tmp_path / "other"), strict=True):
        assert first.read_bytes() != second.read_bytes(), f"{first.name} ignores the seed"


def test_sizes_are_parameters(tmp_path: Path) -> None:
    written = write_datasets(tmp_path, seed=3, n_learners=300, n_tutors=12, n_sessions=700)
    counts = {key: len(pd.read_csv(path)) for key, path in written.items()}
    assert counts == {
        "learners": 300,
        "tutors": 12,
        "sessions": 700,
        "learners_truth": 300,
        "tutors_truth": 12,
        "sessions_truth": 700,
    }


def test_fewer_sessions_than_learners_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"n_sessions \(50\) must be at least n_learners \(100\)"):
        generate(1, n_learners=100, n_tutors=5, n_sessions=50)


def test_a_history_past_the_free_memory_is_refused_before_it_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """10^12 sessions ran until numpy's MemoryError, or until the system killed the process."""
    free = SimpleNamespace(available=4_500_000_000)
    monkeypatch.setattr("aura.sim.generate.psutil.virtual_memory", lambda: free)
    drawn = []
    monkeypatch.setattr("aura.sim.generate.sample_learners", lambda *a: drawn.append(a))
    message = (
        "n_sessions=5,000,000 and n_tutors=5 need about 5.0 GB of memory to simulate (about 1 kB "
        "a session and 0.6 kB a tutor, all held until the tables are written); this machine has "
        "4.5 GB available"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        generate(1, n_learners=100, n_tutors=5, n_sessions=5_000_000)
    assert not drawn
    check_memory(4_500_000)  # what fits is drawn


def test_a_tutor_pool_past_the_free_memory_is_refused_before_it_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """10^8 tutors passed the check, which counted sessions alone, and ran minutes until the
    system killed the process without a word."""
    free = SimpleNamespace(available=4_500_000_000)
    monkeypatch.setattr("aura.sim.generate.psutil.virtual_memory", lambda: free)
    with pytest.raises(ValueError, match=r"n_sessions=200 and n_tutors=100,000,000 need about 60"):
        generate(1, n_learners=100, n_tutors=100_000_000, n_sessions=200)
    check_memory(200, 7_000_000)  # what fits is drawn


def test_learners_count_in_the_memory_a_history_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """As many learners as sessions took a quarter more memory than the sessions alone (1.34 GB
    at a million of each, against 1.09 GB for 10,000 learners), which the check left out: such a
    size within the free memory by its sessions ran until the system killed it."""
    free = SimpleNamespace(available=4_500_000_000)
    monkeypatch.setattr("aura.sim.generate.psutil.virtual_memory", lambda: free)
    drawn = []
    monkeypatch.setattr("aura.sim.generate.sample_learners", lambda *a: drawn.append(a))
    message = (
        "n_sessions=4,000,000 and n_tutors=5 need about 5.0 GB of memory to simulate (about 1 kB a "
        "session and 0.6 kB a tutor, all held until the tables are written); this machine has "
        "4.5 GB available (the 4,000,000 learners counted in, at 0.25 kB each)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        generate(1, n_learners=4_000_000, n_tutors=5, n_sessions=4_000_000)
    assert not drawn
    check_memory(4_000_000, 5, 1_000_000)  # what fits is drawn


def test_a_history_past_the_year_9999_is_refused_before_it_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One learner's 500,000 sessions, a week apart, ran for minutes into five-digit years
    (12019-01-11T00:00) that the loader refused in the simulator's own sessions table."""
    drawn = []
    monkeypatch.setattr("aura.sim.generate.simulate_history", lambda *a: drawn.append(a))
    message = (
        "n_sessions=500,000 over n_learners=1 give one learner 500,000 sessions, 7 days apart on "
        "average: their timestamps would pass the year 9999, the last an ISO 8601 timestamp "
        f"writes; a learner may have at most {MAX_SESSIONS_PER_LEARNER:,} sessions"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        generate(1, n_learners=1, n_tutors=1, n_sessions=500_000)
    assert not drawn
    docs = (PROJECT_ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert f"more than {MAX_SESSIONS_PER_LEARNER:,} sessions" in docs


def test_the_longest_history_allowed_ends_by_the_year_9999(tmp_path: Path) -> None:
    """The bound holds the mean span and ten standard deviations of the gaps within the last day
    a four-digit year writes, which the loader reads, and one session more does not; a drawn
    span of that many sessions ends well before it."""

    def reach(n: int) -> float:
        return START_DAYS + (1 + MEAN_GAP_DAYS) * n + 10 * MEAN_GAP_DAYS * np.sqrt(n)

    n = MAX_SESSIONS_PER_LEARNER
    assert reach(n) <= LAST_DAY < reach(n + 1)
    last = EPOCH + np.timedelta64(LAST_DAY * 24 + int(SLOT_HOURS.max()), "h")
    written = np.datetime_as_string(last + np.array([0, 24 * 60]), unit="m")
    assert written.tolist() == ["9999-12-31T18:00", "10000-01-01T18:00"]
    sessions = generate(1, n_learners=1, n_tutors=1, n_sessions=2).sessions
    sessions["timestamp"] = written
    sessions.to_csv(tmp_path / "sessions.csv", index=False)
    with pytest.raises(DataValidationError) as refused:
        load_table(tmp_path / "sessions.csv", "sessions")
    assert [(p.column, p.lines) for p in refused.value.problems] == [("timestamp", (3,))]
    rng = np.random.default_rng(0)
    assert START_DAYS - 1 + n + rng.exponential(MEAN_GAP_DAYS, size=n).sum() < LAST_DAY


def test_a_session_falls_back_to_tutors_teaching_its_subject_then_to_any() -> None:
    """As the data dictionary says of a session's tutor_id: the tutors teaching the subject and
    free in the slot; if none is free, those teaching it; if none teaches it, all. A small pool
    meets the fallbacks: at 2,000 learners and 10 tutors, 17% of the sessions went to a tutor
    not teaching their subject (at 40 tutors and more, none)."""
    from aura.sim.matching import eligibility
    from aura.sim.population import sample_tutors

    tutors = sample_tutors(np.random.default_rng(0), 3)
    tutors.teaches[:] = [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 0, 0, 0]]
    tutors.available[:] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    subject, slot = np.array([0, 0, 1, 4]), np.array([0, 2, 1, 3])
    np.testing.assert_array_equal(
        eligibility(tutors, subject, slot),
        [[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1]],
    )
    entry = data_dictionary().query("file == 'sessions_data.csv' and column == 'tutor_id'")
    assert "if none teaches it, among all" in entry["generation"].item()


def test_tutors_are_chosen_alike_in_blocks_of_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large pool is scored a block of rows at a time; every row keeps its pick."""
    from aura.sim import matching
    from aura.sim.population import sample_tutors

    rng = np.random.default_rng(3)
    tutors = sample_tutors(rng, 50)
    rows = 1_000
    args = (
        rng.integers(0, len(STRATEGIES), rows),
        rng.integers(0, 5, rows),
        rng.integers(0, 4, rows),
        rng.integers(0, 4, rows),
        rng.integers(0, 4, rows),
    )
    whole = matching.choose_tutors(tutors, *args)
    monkeypatch.setattr(matching, "CHOICE_CELLS", 7 * len(tutors))  # blocks of 7 rows
    np.testing.assert_array_equal(matching.choose_tutors(tutors, *args), whole)


def test_a_folder_under_the_home_folder_is_written_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder was made under a literal "~" while pandas wrote the tables under the home
    folder: `aura generate --out '~/data'` failed on a folder that did not exist."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    written = write_datasets(Path("~/data"), seed=3, n_learners=20, n_tutors=3, n_sessions=40)
    assert written["learners"] == tmp_path / "data" / FILES["learners"]
    assert written["learners"].is_file() and not (tmp_path / "~").exists()


@pytest.mark.parametrize("value", [0, 20.7, "20", True])
@pytest.mark.parametrize("name", ["n_learners", "n_tutors", "n_sessions"])
def test_sizes_that_are_not_positive_integers_are_rejected(name: str, value: object) -> None:
    """A fractional size was cut down without a word (n_sessions=20.7 wrote 20 sessions), and
    a size given as text failed on a comparison of str and int."""
    sizes = {"n_learners": 10, "n_tutors": 3, "n_sessions": 20} | {name: value}
    with pytest.raises(ValueError, match=f"{name} must be a positive integer, got {value!r}"):
        generate(1, **sizes)


def test_age_follows_grade(correlations: dict[str, float]) -> None:
    """age = round(grade + 6.5 + N(0, 0.6)) over uniform grades 1-12: the model implies
    r = sqrt(11.9 / (11.9 + 0.36 + 1/12)) = 0.98; any noise sd under 0.8 keeps r above 0.97.
    Measured 0.982 (n = 10,000; standard error < 0.001)."""
    assert correlations["age_grade"] > 0.97


def test_rating_is_a_good_but_noisy_proxy_of_hidden_quality(
    correlations: dict[str, float],
) -> None:
    """rating = 1 + 4 sigmoid(6 (quality - 0.5) + N(0, 0.6)); quality has sd about 0.18, so the
    signal (sd about 1.1) against the noise (0.6) implies r near 0.88: clearly related, clearly
    not perfect. Measured 0.863 over 100 tutors (standard error about 0.026)."""
    assert 0.7 < correlations["rating_quality"] < 0.97


def test_engagement_and_outcome_go_together(correlations: dict[str, float]) -> None:
    """Engagement speeds learning and shares the tutor fit with the outcome, so they correlate
    positively. Measured 0.353 (n = 20,000; standard error about 0.006)."""
    assert correlations["engagement_outcome"] > 0.25


def test_style_match_matters_more_to_learners_not_at_ease_online(data: Datasets) -> None:
    """The engagement bonus of a style match is (0.2 + 1.0 (1 - comfort)) on the logit scale, so
    it must be larger below comfort 0.4 than above. Measured 0.142 vs 0.091, a gap of 0.051 with
    standard error 0.006; asserted: both positive and the gap above 3 standard errors."""
    low, high, gap = style_match_effect(data.sessions, cut=0.4).values()
    assert low.mean > 3 * low.se and high.mean > 3 * high.se
    assert gap.mean == pytest.approx(low.mean - high.mean)
    assert gap.mean > 3 * gap.se, (low, high)


def test_the_success_rate_stands_beside_the_rate_the_placement_and_the_staircase_aim_at(
    data: Datasets,
) -> None:
    """Notebook 01's reference for the exercise success rate is the rate learning is fastest at,
    which the difficulty environment's staircase targets and its reward peaks at. Placed from a
    noisy estimate on three levels, sessions fall short of it: measured median 0.778 and mean
    0.711 against 0.84 at the spec's scale."""
    from aura.envs.baselines import WeightedStaircase
    from aura.sim.outcomes import flow

    table = success_against_target(data.sessions)
    rate = data.sessions["exercise_success_rate"]
    assert table.loc["median", "exercise success rate"] == rate.median()
    assert table.loc["mean", "exercise success rate"] == rate.mean()
    (target,) = set(table["target"])
    assert target == WeightedStaircase().target and flow(target) == 1.0
    assert (table["gap"] == table["exercise success rate"] - target).all()
    assert (table["gap"] < 0).all()


def test_outcomes_improve_over_a_learners_sessions(data: Datasets) -> None:
    """Ability grows after every session, so between consecutive sessions of one learner on the
    same subject and level the outcome rises on average. Measured +0.0148 with standard error
    0.0015 over 4,546 pairs; asserted: mean more than 3 standard errors above 0."""
    change = outcome_improvement(data.sessions)
    assert change.n > 1000
    assert change.mean > 3 * change.se, change


def test_propensities_are_the_logging_policys_probabilities(data: Datasets) -> None:
    """The logged propensity is P(recorded strategy | age, comfort) under the known policy (the
    recorded comfort is rounded to 4 decimals, which moves a probability by at most about
    1.2e-5). And the importance-weight identity holds: for every strategy a,
    mean(1[strategy = a] / propensity) estimates sum_x P(a|x) / P(a|x) = 1."""
    sessions, learners = data.sessions, data.learners
    age = learners.set_index("learner_id")["age"].reindex(sessions["learner_id"]).to_numpy()
    policy = logging_policy(age, sessions["comfort_level_online"].to_numpy())
    np.testing.assert_allclose(policy.sum(axis=1), 1.0, atol=1e-12)
    chosen = sessions["strategy"].map({s: i for i, s in enumerate(STRATEGIES)}).to_numpy()
    assert not np.isnan(chosen.astype(float)).any()
    recomputed = policy[np.arange(len(sessions)), chosen]
    np.testing.assert_allclose(sessions["propensity"], recomputed, atol=2e-5)
    for i, strategy in enumerate(STRATEGIES):
        weights = (chosen == i) / sessions["propensity"]
        assert abs(weights.mean() - 1.0) < 4 * weights.sem(), strategy


def test_the_logit_normal_mean_alone_is_the_mean_of_the_moments_and_of_draws() -> None:
    """The oracles' expected outcome uses the mean alone: it must be the same number as the
    mean the moments give, and what sigmoid(mu + scale * Z) averages to over many draws."""
    from aura.sim.rng import logit_normal_mean, logit_normal_moments, sigmoid

    mu = np.array([[-2.0, 0.0], [0.5, 3.0]])
    mean, _ = logit_normal_moments(mu, 1.3)
    np.testing.assert_array_equal(logit_normal_mean(mu, 1.3), mean)
    z = np.random.default_rng(0).normal(size=400_000)
    drawn = sigmoid(mu[..., None] + 1.3 * z).mean(axis=-1)
    np.testing.assert_allclose(mean, drawn, atol=2e-3)  # Monte Carlo s.e. about 4e-4


def test_a_correlation_s_standard_error_is_its_spread_over_samples() -> None:
    """Notebook 01 gave its correlations no standard error (NaN beside each) while its prose
    promised one: over repeated samples of bivariate normal pairs, r spreads as the formula says."""
    rng = np.random.default_rng(0)
    for rho, n in ((0.35, 400), (0.85, 100), (0.98, 2000)):
        cov = [[1.0, rho], [rho, 1.0]]
        draws = [
            np.corrcoef(rng.multivariate_normal([0.0, 0.0], cov, size=n).T)[0, 1]
            for _ in range(2000)
        ]
        assert np.std(draws) == pytest.approx(correlation_se(rho, n), rel=0.1), (rho, n)
    assert np.isnan(correlation_se(0.5, 3))


def test_strategies_are_logged_as_often_as_their_propensities_say(data: Datasets) -> None:
    """For each strategy, in each of four kinds of learner (under 12 or not, comfort under 0.4
    or not, which the policy leans on), the logged count against the sum of the policy's
    probabilities over those sessions, with its binomial spread: within 4 standard deviations
    (measured within 2.1 over the 25 counts)."""
    sessions = data.sessions
    age = data.learners.set_index("learner_id")["age"].reindex(sessions["learner_id"]).to_numpy()
    comfort = sessions["comfort_level_online"].to_numpy()
    policy = logging_policy(age, comfort)
    chosen = sessions["strategy"].map({s: i for i, s in enumerate(STRATEGIES)}).to_numpy()
    young, low = age < 12, comfort < 0.4
    kinds = {"all": np.ones_like(young)}
    kinds |= {f"young={y} low={c}": (young == y) & (low == c) for y in (1, 0) for c in (1, 0)}
    for kind, rows in kinds.items():
        assert rows.sum() > 1000, kind
        for a, strategy in enumerate(STRATEGIES):
            p = policy[rows, a]
            z = ((chosen[rows] == a).sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
            assert abs(z) < 4, (kind, strategy, z)


def test_the_logging_policy_gives_every_strategy_support_everywhere() -> None:
    """Over every age the simulator draws (8-18) and comfort from 0 to 1, the policy's
    probabilities sum to 1 and none falls below 5% (measured minimum 9.7%: cultural match for a
    learner of 14 or older at comfort 0, whom the policy steers to a style match): importance
    weights stay below 20 wherever a target policy goes."""
    age, comfort = np.meshgrid(np.arange(8.0, 19.0), np.linspace(0.0, 1.0, 101))
    policy = logging_policy(age.ravel(), comfort.ravel())
    np.testing.assert_allclose(policy.sum(axis=1), 1.0, atol=1e-12)
    assert policy.min() > 0.05, policy.min()


def test_the_bayes_references_read_the_truth_the_targets_were_drawn_from(
    folder: Path, data: Datasets
) -> None:
    """The supervised evaluation's E[y | x], Var[y | x] and P(level | x), computed from the
    feature tables it builds from the CSVs, are the means, variances and probabilities the
    simulator wrote beside them (`truth/`): up to the CSVs' rounding of comfort and success
    rate to 4 decimals, which moves a mean by about 1e-4 at most (measured 9.4e-5)."""
    from aura.supervised.bayes import (
        compatibility_moments,
        difficulty_probabilities,
        engagement_moments,
    )
    from aura.supervised.features import build_feature_tables

    truth = pd.read_csv(folder / "truth" / TRUTH_FILES["sessions_truth"])
    learners_truth = pd.read_csv(folder / "truth" / TRUTH_FILES["learners_truth"])
    tables = build_feature_tables(data.learners, data.tutors, data.sessions)
    for name, moments in (
        ("engagement", engagement_moments),
        ("compatibility", compatibility_moments),
    ):
        mean, var = moments(tables[name][0])
        np.testing.assert_allclose(mean, truth[f"{name}_mean"], atol=2e-4, err_msg=name)
        np.testing.assert_allclose(var, truth[f"{name}_var"], atol=2e-5, err_msg=name)
    levels = learners_truth[["p_Beginner", "p_Intermediate", "p_Advanced"]].to_numpy()
    np.testing.assert_allclose(difficulty_probabilities(tables["difficulty"][0]), levels, atol=1e-6)


def test_the_targets_scatter_about_their_bayes_mean_as_its_variance_says(data: Datasets) -> None:
    """Each score is drawn given its row's inputs, so its residual y - E[y | x] has mean 0, its
    square has mean Var[y | x], and it is uncorrelated with every input: over 20,000 sessions
    each within 4 standard errors (measured within 1.7). The levels are drawn with the placement
    probabilities: each level's count within 4 binomial standard deviations of the sum of its
    probabilities over the 10,000 learners (measured within 1.1)."""
    from aura.supervised.bayes import (
        compatibility_moments,
        difficulty_probabilities,
        engagement_moments,
    )
    from aura.supervised.features import build_feature_tables

    tables = build_feature_tables(data.learners, data.tutors, data.sessions)
    for name, moments in (
        ("engagement", engagement_moments),
        ("compatibility", compatibility_moments),
    ):
        X, y, _ = tables[name]
        mean, var = moments(X)
        residual = y.to_numpy() - mean
        n = len(residual)
        for what, values in (("residual", residual), ("squared residual", residual**2 - var)):
            assert abs(values.mean()) < 4 * values.std() / np.sqrt(n), (name, what)
        for column in X:
            r = np.corrcoef(residual, X[column])[0, 1]
            assert abs(r) * np.sqrt(n) < 4, (name, column, r)
    X, y, _ = tables["difficulty"]
    probs = difficulty_probabilities(X)
    for level in range(probs.shape[1]):
        p = probs[:, level]
        z = ((y.to_numpy() == level).sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
        assert abs(z) < 4, (level, z)


def test_off_policy_truth_reads_the_logged_tutors_and_pays_their_expected_reward(
    folder: Path, data: Datasets
) -> None:
    """The off-policy evaluation rebuilds, from the CSVs and the truth, which tutor each strategy
    would have picked: for the logged strategy that is the logged tutor, in every session. And
    the logged rewards average to the expected rewards it computes for them: over the first
    2,000 sessions (the quadrature of all 20,000 takes seconds) the mean gap lies within 4
    standard errors of 0 (about 0.0014; measured 0.3)."""
    from aura.evaluation.ope import expected_rewards, logged_bandit, tutors_per_action
    from aura.sim.tables import tutors_from_table

    truth = pd.read_csv(folder / "truth" / TRUTH_FILES["sessions_truth"])
    pool = tutors_from_table(
        data.tutors, pd.read_csv(folder / "truth" / TRUTH_FILES["tutors_truth"])
    )
    logs = logged_bandit(data.sessions, data.learners, truth["theta_before"].to_numpy())
    rows = np.arange(len(logs.actions))
    picked = tutors_per_action(logs, pool)[rows, logs.actions]
    np.testing.assert_array_equal(picked, data.sessions["tutor_id"].to_numpy() - 1)
    first = slice(0, 2000)
    logs = logged_bandit(
        data.sessions[first], data.learners, truth["theta_before"].to_numpy()[first]
    )
    gap = logs.rewards - expected_rewards(logs, pool)[rows[first], logs.actions]
    assert abs(gap.mean()) < 4 * gap.std() / np.sqrt(len(gap)), gap.mean()


def test_the_ability_truth_adds_up_session_by_session(folder: Path, data: Datasets) -> None:
    """The hidden abilities beside the tables are one trajectory: a session starts from the
    learner's ability in its subject after their earlier sessions (the initial theta for the
    first, the previous start plus its gain after), the final theta is the initial plus every
    gain, each success probability is the item-response curve at that ability and the session's
    level, the exercise success rates scatter about it (within 4 standard errors over 20,000
    sessions; measured 0.9), and a tutor's student_improvement_rate is the mean gain of their
    sessions (empty for a tutor without one). Only the truth files' 6-decimal rounding
    separates them."""
    from aura.sim.outcomes import DIFFICULTY_OFFSETS, success_probability
    from aura.sim.vocab import DIFFICULTY_LEVELS, SUBJECTS

    truth = pd.read_csv(folder / "truth" / TRUTH_FILES["sessions_truth"])
    learners = pd.read_csv(folder / "truth" / TRUTH_FILES["learners_truth"])
    sessions = data.sessions.assign(theta=truth["theta_before"], gain=truth["gain"])
    ordered = sessions.sort_values(["learner_id", "session_index"])
    by_subject = ordered.groupby(["learner_id", "subject"])
    expected = by_subject["theta"].shift() + by_subject["gain"].shift()
    first = expected.isna()
    initial = learners.set_index("learner_id")[[f"theta_{s}" for s in SUBJECTS]]
    initial.columns = list(SUBJECTS)
    expected[first] = (
        initial.stack()
        .loc[
            list(zip(ordered.loc[first, "learner_id"], ordered.loc[first, "subject"], strict=True))
        ]
        .to_numpy()
    )
    np.testing.assert_allclose(ordered["theta"], expected, atol=3e-6)

    gains = sessions.pivot_table("gain", "learner_id", "subject", aggfunc="sum", fill_value=0.0)
    gains = gains.reindex(index=learners["learner_id"], columns=list(SUBJECTS), fill_value=0.0)
    final = learners[[f"theta_final_{s}" for s in SUBJECTS]].to_numpy()
    np.testing.assert_allclose(final - initial.to_numpy(), gains.to_numpy(), atol=2e-5)

    level = sessions["difficulty_level"].map({v: i for i, v in enumerate(DIFFICULTY_LEVELS)})
    p = success_probability(sessions["theta"].to_numpy(), DIFFICULTY_OFFSETS[level.to_numpy()])
    np.testing.assert_allclose(truth["p_success"], p, atol=2e-6)
    residual = sessions["exercise_success_rate"] - truth["p_success"]
    assert abs(residual.mean()) < 4 * residual.sem(), residual.mean()

    improvement = sessions.groupby("tutor_id")["gain"].mean()
    improvement = improvement.reindex(data.tutors["tutor_id"]).to_numpy()
    recorded = data.tutors["student_improvement_rate"].to_numpy()
    np.testing.assert_array_equal(np.isnan(recorded), np.isnan(improvement))
    np.testing.assert_allclose(recorded, improvement, atol=1e-4)
