"""The supervised models' reported numbers worked by hand on small cases, or recomputed with
scikit-learn and numpy directly: the test metrics, calibration curves, baselines, the grid
search's choice, the importances and their noise floor, the ratios against the Bayes reference
and the tables notebook 04 prints from them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.inspection import permutation_importance
from sklearn.model_selection import GroupKFold, cross_val_score

from aura.sim.generate import generate
from aura.supervised import CLASS_LABELS, MODEL_NAMES, make_pipeline
from aura.supervised import evaluation as ev
from aura.supervised.bayes import expected_scores, truth_terms
from aura.supervised.report import (
    checks_table,
    importance_table,
    metrics_table,
    out_of_sample_table,
)
from aura.supervised.shift import POPULATIONS, draw_population
from aura.supervised.training import population_draws


def test_the_regression_metrics_are_their_formulas_worked_by_hand() -> None:
    """Targets (1, 2, 3) predicted (1, 2, 4): squared errors (0, 0, 1), so MSE 1/3 and MAE 1/3;
    the targets' sum of squares about their mean is 2, so R2 = 1 - 1/2 (of the predictions
    about theirs, 42/9, it would be 1 - 9/42)."""
    scored = ev.regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert scored == pytest.approx({"mse": 1 / 3, "mae": 1 / 3, "r2": 0.5}, rel=1e-12)
    # an error of 3 on one row of four: the mean absolute error is 3/4, the median 0
    scored = ev.regression_metrics(np.zeros(4) + [0, 0, 0, 1], np.array([0.0, 0.0, 0.0, 4.0]))
    assert scored["mae"] == pytest.approx(0.75, rel=1e-12)


def test_each_level_s_calibration_curve_reads_its_own_probability_column() -> None:
    """Four learners (Beginner, Beginner, Intermediate, Advanced). With one bin a level's curve
    is one point: the mean of its probability column against the share of rows at that level,
    (0.375, 0.5), (0.325, 0.25), (0.3, 0.25). With two bins of equal counts the Beginner column
    (0.7, 0.5, 0.2, 0.1) splits at its median: the low pair averages 0.15 and neither row is a
    Beginner, the high pair averages 0.6 and both are."""
    y = np.array([0, 0, 1, 2])
    proba = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]])
    one_bin = ev.calibration(y, proba, n_bins=1)
    assert list(one_bin) == CLASS_LABELS
    for label, (predicted, observed) in zip(
        CLASS_LABELS, [(0.375, 0.5), (0.325, 0.25), (0.3, 0.25)], strict=True
    ):
        assert one_bin[label]["predicted"] == pytest.approx([predicted], rel=1e-12), label
        assert one_bin[label]["observed"] == pytest.approx([observed], rel=1e-12), label
    beginner = ev.calibration(y, proba, n_bins=2)["Beginner"]
    assert beginner["predicted"] == pytest.approx([0.15, 0.6], rel=1e-12)
    assert beginner["observed"] == pytest.approx([0.0, 1.0], rel=1e-12)


def test_the_constant_baselines_predict_the_training_mean_and_the_class_shares() -> None:
    """Scores (0.1, 0.2, 0.9): the constant baseline predicts their mean 0.4 (the median would
    be 0.2). Levels (0, 0, 0, 1): the majority baseline gives every row the shares (3/4, 1/4,
    0), not a certainty of the commonest level."""
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0]})
    mean = ev.baselines("engagement", 0)["mean"].fit(X, pd.Series([0.1, 0.2, 0.9]))
    assert mean.predict(X) == pytest.approx([0.4] * 3, rel=1e-12)
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    majority = ev.baselines("difficulty", 0)["majority"].fit(X, pd.Series([0, 0, 0, 1]))
    assert majority.predict_proba(X[:1]) == pytest.approx(np.array([[0.75, 0.25]]), rel=1e-12)


def test_a_single_learner_on_both_sides_of_a_split_is_leakage() -> None:
    """Learners 1, 2, 3; learner 2 has a row on each side: that one learner is refused."""
    groups = np.array([1, 2, 2, 3])
    with pytest.raises(ev.LeakageError, match="1 learner"):
        ev.check_disjoint(groups, np.array([0, 1]), np.array([2, 3]))
    ev.check_disjoint(groups, np.array([0, 1, 2]), np.array([3]))


@pytest.fixture(scope="module")
def regression_table() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """120 sessions of 40 learners whose score is a step in the first input plus noise."""
    rng = np.random.default_rng(3)
    groups = pd.Series(np.repeat(np.arange(40), 3), name="learner_id")
    X = pd.DataFrame(
        {
            "style_match": rng.random(120),
            "language_match": rng.random(120),
            "duration_hours": rng.uniform(0.5, 2.0, 120),
        }
    )
    y = pd.Series(0.3 + 0.4 * (X["style_match"] > 0.5) + rng.normal(0, 0.05, 120))
    return X, y, groups


def test_the_grid_search_reports_and_chooses_by_grouped_cross_validated_mse(
    regression_table,
) -> None:
    """Each leaf size's CV loss is scikit-learn's grouped 3-fold MSE of that forest (a loss,
    positive). With no tolerance the choice is the leaf size of the least loss; with a
    tolerance no candidate falls outside, the largest leaf size (the smallest forest)."""
    X, y, groups = regression_table
    leaves = [2, 5, 30]
    pipeline = make_pipeline("engagement", list(X.columns), {"n_estimators": 10}, seed=1)
    folds = GroupKFold(n_splits=3, shuffle=True, random_state=4)
    expected = [
        -cross_val_score(
            clone(pipeline).set_params(forest__min_samples_leaf=leaf),
            X,
            y,
            groups=groups,
            cv=folds,
            scoring="neg_mean_squared_error",
        ).mean()
        for leaf in leaves
    ]
    assert min(expected) > 0.0
    for tolerance, leaf in ((0.0, leaves[int(np.argmin(expected))]), (100.0, 30)):
        model, table, chosen, _ = ev.tune(
            "engagement",
            pipeline,
            X,
            y,
            groups,
            {"min_samples_leaf": leaves},
            n_splits=3,
            tolerance=tolerance,
            seed=4,
        )
        assert table["cv_loss"].to_numpy() == pytest.approx(expected, rel=1e-9)
        assert chosen == {"min_samples_leaf": leaf}
        assert model[-1].min_samples_leaf == leaf


SMALL_FOREST = {"n_estimators": 10, "min_samples_leaf": 2}
"""Leaves small enough that 80 training rows grow trees (at the default 40 rows per leaf a
bootstrap sample of 80 leaves most trees a single leaf, and every importance 0)."""


def test_the_importances_are_scikit_learn_s_permutation_importance_on_the_mse(
    regression_table,
) -> None:
    """An input's importance is the growth of the held-out MSE when it is shuffled (not of
    the MAE), as scikit-learn's own permutation_importance measures it with the same seed."""
    X, y, _ = regression_table
    model = make_pipeline("engagement", list(X.columns), SMALL_FOREST, seed=1)
    model.fit(X[:80], y[:80])
    got = ev.importances("engagement", model, X[80:], y[80:], n_repeats=4, seed=2)
    direct = permutation_importance(
        model, X[80:], y[80:], scoring="neg_mean_squared_error", n_repeats=4, random_state=2
    )
    expected = pd.Series(direct.importances_mean, index=X.columns).sort_values(ascending=False)
    assert list(got.index) == list(expected.index) == ["style_match", *list(expected.index[1:])]
    assert got["importance"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert got["importance"].iloc[0] > 0.01  # the step in style_match: the MSE grows by far


def test_the_noise_floor_is_a_forest_fitted_on_the_training_rows_with_a_noise_column(
    regression_table,
) -> None:
    """The floor is the permutation importance of a column of uniform noise (drawn from the
    seed, first for the training rows, then for the held-out ones) in a copy of the forest
    fitted on the scaled training inputs beside it: recomputed here with scikit-learn."""
    X, y, _ = regression_table
    model = make_pipeline("engagement", list(X.columns), SMALL_FOREST, seed=1)
    train, rows = (X[:80], y[:80]), (X[80:], y[80:])
    model.fit(*train)
    floor = ev.importance_floor("engagement", model, train, rows, n_repeats=4, seed=2)

    rng = np.random.default_rng(2)
    scale = model[0]
    X_train = pd.DataFrame(scale.transform(train[0]), columns=X.columns).assign(
        **{ev.NOISE_FEATURE: rng.random(80)}
    )
    X_rows = pd.DataFrame(scale.transform(rows[0]), columns=X.columns).assign(
        **{ev.NOISE_FEATURE: rng.random(40)}
    )
    probe = clone(model[-1]).fit(X_train, train[1])
    direct = permutation_importance(
        probe, X_rows, rows[1], scoring="neg_mean_squared_error", n_repeats=4, random_state=2
    )
    noise = list(X_rows.columns).index(ev.NOISE_FEATURE)
    assert floor["importance"] == pytest.approx(direct.importances_mean[noise], rel=1e-12)
    assert floor["std"] == pytest.approx(direct.importances_std[noise], rel=1e-12)
    assert floor["std"] > 0.0  # the probe splits on the noise column


class _Fixed:
    """A classifier that returns the probabilities it is given, whatever the rows."""

    def __init__(self, proba: np.ndarray) -> None:
        self.proba = proba

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.proba


def test_the_classifier_s_expected_scores_under_the_true_level_probabilities(
    monkeypatch,
) -> None:
    """True P(level | x) of two learners (0.6, 0.3, 0.1) and (0.2, 0.2, 0.6); the model gives
    (0.5, 0.4, 0.1) and (0.5, 0.2, 0.3), picking Beginner for both. Its expected accuracy is
    P(Beginner) on each row, (0.6 + 0.2) / 2 = 0.4, the Bayes classifier's (0.6 + 0.6) / 2;
    its expected log loss is the cross entropy -sum_k P(k) log q(k), averaged over the rows."""
    from aura.supervised import bayes

    truth = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    model = np.array([[0.5, 0.4, 0.1], [0.5, 0.2, 0.3]])
    monkeypatch.setattr(bayes, "difficulty_probabilities", lambda X: truth)
    terms = truth_terms("difficulty", _Fixed(model), None)
    assert terms["model"] == pytest.approx([0.6, 0.2], rel=1e-12)
    assert terms["bayes"] == pytest.approx([0.6, 0.6], rel=1e-12)
    first = -(0.6 * math.log(0.5) + 0.3 * math.log(0.4) + 0.1 * math.log(0.1))
    second = -(0.2 * math.log(0.5) + 0.2 * math.log(0.2) + 0.6 * math.log(0.3))
    assert terms["cross_entropy"] == pytest.approx([first, second], rel=1e-12)
    scored = expected_scores("difficulty", _Fixed(model), None)
    assert scored["expected_accuracy"] == pytest.approx(0.4, rel=1e-12)
    assert scored["expected_log_loss"] == pytest.approx((first + second) / 2, rel=1e-12)


def _model_metrics(name: str) -> dict:
    """One model's recorded metrics, with numbers chosen so that each is told from the others."""
    if name == "difficulty":
        return {
            "test": {"accuracy": 0.8, "macro_f1": 0.75, "log_loss": 0.5},
            "baselines": {
                "majority": {"accuracy": 0.4, "macro_f1": 0.2, "log_loss": 1.0},
                "logistic": {"accuracy": 0.7, "macro_f1": 0.6, "log_loss": 0.6},
            },
            "bayes": {
                "bayes_accuracy": 0.9,
                "bayes_realised_accuracy": 0.85,
                "bayes_macro_f1": 0.8,
                "bayes_log_loss": 0.4,
            },
            "against_truth": {
                "expected_accuracy": 0.88,
                "expected_log_loss": 0.45,
                "ratio": 0.88 / 0.9,
                "ratio_low": 0.95,
                "ratio_high": 0.99,
                "baselines": {
                    "majority": {"expected_accuracy": 0.4, "expected_log_loss": 1.0},
                    "logistic": {"expected_accuracy": 0.7, "expected_log_loss": 0.6},
                },
            },
            "checks": {
                "accuracy_at_least_0.85": False,
                "share_at_least_0.97": True,
                "beats_baselines": True,
                "onnx_at_most_20MB": True,
            },
            "importance": {
                "success_rate": {"importance": 0.1, "std": 0.03},
                "age": {"importance": 0.02, "std": 0.004},
            },
            "importance_floor": {"importance": 0.01, "std": 0.003},
            "size": {"onnx_bytes": 3 * 2**20},
        }
    return {
        "test": {"mse": 0.05, "mae": 0.2, "r2": 0.4},
        "baselines": {
            "mean": {"mse": 0.08, "mae": 0.25, "r2": 0.0},
            "linear": {"mse": 0.06, "mae": 0.22, "r2": 0.3},
        },
        "bayes": {
            "bayes_mse": 0.04,
            "bayes_realised_mse": 0.045,
            "bayes_realised_mae": 0.16,
            "bayes_r2": 0.5,
        },
        "against_truth": {
            "expected_mse": 0.044,
            "ratio": 1.1,
            "ratio_low": 1.05,
            "ratio_high": 1.15,
            "baselines": {"mean": {"expected_mse": 0.08}, "linear": {"expected_mse": 0.06}},
        },
        "checks": {
            "mse_below_0.1": True,
            "ratio_at_most_1.10": True,
            "beats_baselines": True,
            "onnx_at_most_20MB": True,
        },
        "importance": {
            "style_match": {"importance": 0.02, "std": 0.003},
            "age": {"importance": 0.016, "std": 0.004},
        },
        "importance_floor": {"importance": 0.001, "std": 0.003},
        "size": {"onnx_bytes": 2**20},
    }


@pytest.fixture
def metrics() -> dict:
    return {"models": {name: _model_metrics(name) for name in MODEL_NAMES}}


def test_the_metrics_table_sets_each_metric_beside_its_own_bayes_reference(metrics) -> None:
    """MSE 0.05 beside the floor 0.04 (ratio 1.25), MAE 0.2 beside the Bayes model's realised
    MAE 0.16 (1.25), accuracy 0.8 beside the ceiling 0.9; the baselines by kind."""
    table = metrics_table(metrics)
    row = table.loc[("engagement", "mse")]
    assert (row["forest"], row["constant"], row["linear"], row["bayes"]) == (0.05, 0.08, 0.06, 0.04)
    assert row["forest / bayes"] == pytest.approx(1.25, rel=1e-12)
    row = table.loc[("compatibility", "mae")]
    assert row["bayes"] == 0.16 and row["forest / bayes"] == pytest.approx(1.25, rel=1e-12)
    row = table.loc[("difficulty", "accuracy")]
    assert (row["constant"], row["linear"], row["bayes"]) == (0.4, 0.7, 0.9)
    assert row["forest / bayes"] == pytest.approx(0.8 / 0.9, rel=1e-12)


def test_beating_the_baselines_is_read_against_the_best_of_them(metrics) -> None:
    """The bound a forest must beat is the best baseline's: the lower expected MSE (the linear
    model's 0.06, not the mean's 0.08), the higher expected accuracy (0.7, not 0.4)."""
    table = checks_table(metrics)
    assert table.loc[("engagement", "expected MSE below every baseline's"), "bound"] == 0.06
    words = "expected accuracy above every baseline's, expected log loss below"
    assert table.loc[("difficulty", words), "bound"] == 0.7
    ratio = table.loc[("compatibility", "expected MSE / Bayes MSE at most 1.10")]
    assert (ratio["low"], ratio["high"]) == (1.05, 1.15)
    assert ratio["bound"] == 1.1 and ratio["bound stated"] == "1.10"


def test_an_importance_stands_above_noise_by_twice_the_combined_spread(metrics) -> None:
    """The floor is 0.001 with a spread of 0.003. style_match at 0.02 (spread 0.003) is 0.019
    over it, against 2 * hypot(0.003, 0.003) = 0.0085: above. age (spread 0.004) needs more than
    2 * hypot(0.004, 0.003) = 0.01 over the floor: at 0.0145 (0.0135 over) it is above, though
    not by twice the plain sum of the spreads (0.014); at 0.0105 (0.0095 over) it is not, though
    it is above one combined spread (0.005)."""
    metrics["models"]["engagement"]["importance"]["age"]["importance"] = 0.0145
    table = importance_table(metrics).loc["engagement"]
    assert table.loc["style_match", "above noise"]
    assert table.loc["age", "above noise"]  # 0.0135 > 0.01, though not > 0.014
    metrics["models"]["engagement"]["importance"]["age"]["importance"] = 0.0105
    assert not importance_table(metrics).loc[("engagement", "age"), "above noise"]  # 0.0095


def test_the_out_of_sample_table_sets_the_test_set_s_ratio_beside_the_population_s(
    metrics,
) -> None:
    """On a population the compatibility forest's ratio is 1.3 (interval 1.2 to 1.4) where it
    was 1.1 on the test set; its baselines' ratios there stand beside it."""
    metrics["out_of_sample"] = {
        "new_seed": {
            "compatibility": {
                "rows": 50,
                "mse": 0.06,
                "bayes": {"bayes_mse": 0.045},
                "against_truth": {"ratio": 1.3, "ratio_low": 1.2, "ratio_high": 1.4},
                "baselines": {"mean": {"ratio": 1.8}, "linear": {"ratio": 1.5}},
            }
        }
    }
    row = out_of_sample_table(metrics).loc[("new_seed", "compatibility")]
    assert (row["value"], row["bayes"], row["ratio"]) == (0.06, 0.045, 1.3)
    assert row["ratio 95% CI"] == "[1.200, 1.400]"
    assert (row["constant ratio"], row["linear ratio"]) == (1.8, 1.5)
    assert row["ratio on test set"] == 1.1
    assert row["rows"] == 50


SEED = 7


@pytest.fixture(scope="module")
def sim():
    return generate(SEED, n_learners=300, n_tutors=15, n_sessions=600)


def test_a_shifted_population_is_the_fresh_draw_s_learners_of_its_ages_with_their_sessions(
    sim,
) -> None:
    """older_learners is the draw from the seed plus 2 cut to ages 15 to 18, both ends kept;
    younger_learners the draw from the seed plus 3 cut to ages 8 to 10; each keeps the whole
    tutor pool and exactly the sessions of the learners it keeps."""
    sizes = {"n_learners": 300, "n_tutors": 15, "n_sessions": 600}
    for name, offset, low, high in (("older_learners", 2, 15, 18), ("younger_learners", 3, 8, 10)):
        (population,) = [p for p in POPULATIONS if p.name == name]
        learners, tutors, sessions = draw_population(population, SEED, **sizes)
        fresh = generate(SEED + offset, **sizes)
        kept = fresh.learners[fresh.learners["age"].between(low, high)]
        assert {low, high} <= set(kept["age"])  # the draw has learners at both ends
        pd.testing.assert_frame_equal(learners, kept.reset_index(drop=True))
        pd.testing.assert_frame_equal(tutors, fresh.tutors)
        theirs = fresh.sessions[fresh.sessions["learner_id"].isin(kept["learner_id"])]
        pd.testing.assert_frame_equal(sessions, theirs.reset_index(drop=True))


def test_each_population_is_drawn_from_the_training_seed_plus_its_offset(sim) -> None:
    """new_seed is the simulator's whole draw from seed + 1 at the data's size."""
    draws = population_draws(_datasets(sim), SEED)
    fresh = generate(SEED + 1, n_learners=300, n_tutors=15, n_sessions=600)
    pd.testing.assert_frame_equal(draws["new_seed"][0], fresh.learners)
    pd.testing.assert_frame_equal(draws["new_seed"][2], fresh.sessions)


def _datasets(sim):
    from aura.data.loading import Datasets

    return Datasets(learners=sim.learners, tutors=sim.tutors, sessions=sim.sessions, folder=None)


def test_a_trained_model_s_record_reads_its_test_rows_and_its_training_rows(
    sim, monkeypatch
) -> None:
    """The compatibility model on a held-out fifth of the learners (scikit-learn's
    GroupShuffleSplit from the seed): the baselines learn from the training rows only (the
    mean baseline predicts the training rows' mean); the Bayes floor is the simulator's own
    Var[y | x] (its truth file) averaged over the test rows, and each baseline's expected MSE
    there the mean of (c - E[y | x])^2 + Var[y | x]. The chosen leaf size, the forest's seed and
    its fixed settings are the ones recorded, and the ONNX parity is the largest difference:
    here one row's prediction is moved by 0.25."""
    from sklearn.model_selection import GroupShuffleSplit

    from aura.supervised import training
    from aura.supervised.features import build_feature_tables

    table = build_feature_tables(sim.learners, sim.tutors, sim.sessions)["compatibility"]
    X, y, groups = table
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=SEED).split(X, y, groups)
    )
    onnx_predict = training.onnx_predict

    def moved(model, rows):
        out = onnx_predict(model, rows)
        return out + np.where(np.arange(len(out)) == 1, 0.25, 0.0)

    monkeypatch.setattr(training, "onnx_predict", moved)
    config = training.supervised_config(
        {
            "grid": {"compatibility": {"min_samples_leaf": [10, 20]}},
            "forest": {"compatibility": {"n_estimators": 10}},
            "cv_folds": 3,
            "size_tolerance": 100.0,  # every candidate within it: the largest leaf size
            "importance_repeats": 1,
            "out_of_sample": False,
        }
    )
    model, metrics, fitted = training.train_model("compatibility", table, config, SEED)

    assert metrics["rows"] == {"train": len(train), "test": len(test)}
    assert metrics["learners"] == {
        "train": groups.iloc[train].nunique(),
        "test": groups.iloc[test].nunique(),
    }
    constant = y.iloc[train].mean()
    assert fitted["mean"].constant_.item() == pytest.approx(constant, rel=1e-12)
    truth = sim.sessions_truth.iloc[test]
    mean, var = truth["compatibility_mean"].to_numpy(), truth["compatibility_var"].to_numpy()
    assert metrics["bayes"]["bayes_mse"] == pytest.approx(var.mean(), abs=2e-5)
    expected_mse = ((constant - mean) ** 2 + var).mean()
    scored = metrics["against_truth"]["baselines"]["mean"]["expected_mse"]
    assert scored == pytest.approx(expected_mse, abs=2e-4)
    assert metrics["test"]["mse"] == pytest.approx(
        np.mean((y.iloc[test].to_numpy() - model.predict(X.iloc[test])) ** 2), rel=1e-12
    )
    assert metrics["chosen"]["min_samples_leaf"] == model[-1].min_samples_leaf == 20
    assert metrics["chosen"]["n_estimators"] == model[-1].n_estimators == 10
    assert model[-1].random_state == SEED
    assert metrics["onnx_max_abs_diff"] == pytest.approx(0.25, abs=1e-4)


def test_the_degradation_is_the_population_s_ratio_less_the_test_set_s() -> None:
    """A regressor at MSE ratio 1.1 and MSE 0.05 on the test set, 1.3 and 0.07 on a population,
    has grown by 0.2 and 0.02; a classifier at 0.95 of its ceiling and accuracy 0.8 that keeps
    0.9 and 0.7 has lost 0.05 and 0.1."""
    from aura.supervised.training import _degradation

    regressor = _degradation(
        "engagement",
        {"mse": 0.07},
        {"ratio": 1.3},
        {"against_truth": {"ratio": 1.1}, "test": {"mse": 0.05}},
    )
    assert regressor == pytest.approx(
        {"mse_ratio_to_bayes": 1.3, "change_vs_test": 0.2, "mse_change": 0.02}, rel=1e-12
    )
    classifier = _degradation(
        "difficulty",
        {"accuracy": 0.7},
        {"ratio": 0.9},
        {"against_truth": {"ratio": 0.95}, "test": {"accuracy": 0.8}},
    )
    assert classifier == pytest.approx(
        {"share_of_bayes_accuracy": 0.9, "change_vs_test": -0.05, "accuracy_change": -0.1},
        rel=1e-12,
    )


def test_a_population_s_scores_set_the_forest_beside_its_baselines_on_the_same_rows(sim) -> None:
    """On the new_seed draw the mean baseline predicts the training mean c for every session:
    its MSE there is the mean of (y - c)^2 over the draw's engagement scores, beside its ratio to
    the reference; the forest's interval there is resampled from the run's seed, and its
    change against the test set is the draw's ratio less the test set's."""
    from aura.supervised.bayes import against_truth
    from aura.supervised.features import build_feature_tables
    from aura.supervised.training import out_of_sample

    X, y, _ = build_feature_tables(sim.learners, sim.tutors, sim.sessions)["engagement"]
    forest = make_pipeline("engagement", list(X.columns), {"n_estimators": 10}, seed=SEED)
    forest.fit(X, y)
    mean = ev.baselines("engagement", SEED)["mean"].fit(X, y)
    draws = population_draws(_datasets(sim), SEED)
    in_sample = {"engagement": {"against_truth": {"ratio": 1.0}, "test": {"mse": 0.02}}}
    report = out_of_sample(
        {"engagement": forest},
        {"engagement": {"mean": mean}},
        {"engagement": list(X.columns)},
        draws,
        SEED,
        in_sample,
    )
    entry = report["new_seed"]["engagement"]
    scores = draws["new_seed"][2]["engagement_score"].to_numpy()
    c = y.mean()
    baseline = entry["baselines"]["mean"]
    assert baseline["mse"] == pytest.approx(np.mean((scores - c) ** 2), rel=1e-9)
    assert baseline["mae"] == pytest.approx(np.mean(np.abs(scores - c)), rel=1e-9)
    assert {"r2", "expected_mse", "ratio"} <= set(baseline)
    table = build_feature_tables(*draws["new_seed"])["engagement"]
    assert entry["mse"] == pytest.approx(np.mean((scores - forest.predict(table[0])) ** 2))
    again = against_truth("engagement", forest, table[0], table[2], seed=SEED)
    assert entry["against_truth"] == again
    assert entry["degradation"]["change_vs_test"] == pytest.approx(again["ratio"] - 1.0)


def test_a_feature_range_without_width_is_refused() -> None:
    """A range whose upper bound equals its lower bound has nothing to scale over: refused,
    naming the bounds, rather than scaled by scikit-learn's stand-in width of 1."""
    from aura.supervised.models import RangeScaler

    with pytest.raises(ValueError, match="every upper bound must exceed its lower bound"):
        RangeScaler(lower=(0.0, 1.0), upper=(1.0, 1.0)).fit(np.zeros((2, 2)))


def test_as_many_folds_as_training_learners_is_accepted_and_one_more_refused() -> None:
    """Ten learners of two sessions each, a fifth held out: eight learners to train on, so
    eight folds give each fold one learner of its own, and nine cannot."""
    from aura.supervised.training import supervised_config, training_split

    groups = pd.Series(np.repeat(np.arange(10), 2), name="learner_id")
    X = pd.DataFrame({"style_match": np.linspace(0.0, 1.0, 20)})
    table = (X, pd.Series(np.linspace(0.2, 0.8, 20)), groups)
    train, test = training_split("engagement", table, supervised_config({"cv_folds": 8}), SEED)
    assert (groups.iloc[train].nunique(), groups.iloc[test].nunique()) == (8, 2)
    with pytest.raises(ValueError, match="cv_folds is 9, but the engagement model's training"):
        training_split("engagement", table, supervised_config({"cv_folds": 9}), SEED)


def test_the_bayes_regressor_s_floor_is_the_mean_variance_not_the_median() -> None:
    """Var[y | x] of 0.01, 0.01 and 0.04: the floor is their mean 0.02 (the median would be
    0.01). Targets (0.3, 0.4, 0.9) about E[y | x] = (0.2, 0.4, 0.6) leave residuals (0.1, 0,
    0.3): realised MSE 0.1 / 3, MAE 0.4 / 3. The targets' variance is 0.62 / 9, so the
    expected R2 is 1 - 0.02 * 9 / 0.62 = 22 / 31."""
    from aura.supervised.bayes import regression_reference

    scored = regression_reference(
        np.array([0.2, 0.4, 0.6]), np.array([0.01, 0.01, 0.04]), np.array([0.3, 0.4, 0.9])
    )
    assert scored == pytest.approx(
        {
            "bayes_mse": 0.02,
            "bayes_realised_mse": 0.1 / 3,
            "bayes_realised_mae": 0.4 / 3,
            "bayes_r2": 22 / 31,
        },
        rel=1e-12,
    )
