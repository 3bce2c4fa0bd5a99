"""Supervised models: grouped splits, clipping, ONNX parity, Bayes references, training."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest
from scipy.special import xlogy
from sklearn.model_selection import KFold

from aura.sim.generate import generate
from aura.sim.io import FILES, save
from aura.supervised import (
    CLASS_LABELS,
    FEATURE_RANGES,
    FEATURES,
    MODEL_NAMES,
    build_feature_tables,
    make_pipeline,
    train_all,
)
from aura.supervised import evaluation as ev
from aura.supervised.bayes import (
    BAYES_MODELS,
    against_truth,
    baseline_against_truth,
    compatibility_moments,
    difficulty_probabilities,
    engagement_moments,
)
from aura.supervised.convert import onnx_predict, to_onnx
from aura.supervised.features import SOURCE_TABLES, FeatureError
from aura.supervised.report import checks_table, importance_table, out_of_sample_table
from aura.supervised.training import data_sha256, supervised_config

SEED = 7


@pytest.fixture(scope="module")
def sim():
    return generate(SEED, n_learners=800, n_tutors=25, n_sessions=1600)


@pytest.fixture(scope="module")
def tables(sim):
    return build_feature_tables(sim.learners, sim.tutors, sim.sessions)


def test_tables_have_the_default_features_and_one_group_per_learner(sim, tables) -> None:
    for name in MODEL_NAMES:
        X, y, groups = tables[name]
        assert list(X.columns) == FEATURES[name]
        assert len(X) == len(y) == len(groups)
        assert not X.isna().any().any()
    assert len(tables["difficulty"][0]) == len(sim.learners)
    assert len(tables["engagement"][0]) == len(sim.sessions)
    assert set(tables["difficulty"][1]) <= set(range(len(CLASS_LABELS)))


def test_missing_feature_and_unknown_learner_are_named(sim) -> None:
    with pytest.raises(FeatureError, match="not_a_column"):
        build_feature_tables(
            sim.learners, sim.tutors, sim.sessions, {"engagement": ["not_a_column"]}
        )
    sessions = sim.sessions.copy()
    sessions.loc[3, "learner_id"] = 10**6
    with pytest.raises(FeatureError, match="learner_id"):
        build_feature_tables(sim.learners, sim.tutors, sessions)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_no_learner_is_on_both_sides_of_any_split(tables, name: str) -> None:
    X, y, groups = tables[name]
    train, test = ev.grouped_holdout(groups, 0.2, SEED)
    assert len(train) + len(test) == len(X)
    assert not set(groups.iloc[train]) & set(groups.iloc[test])
    for fold_train, fold_test in ev.cv_splitter(name, 5, SEED).split(X, y, groups):
        assert not set(groups.iloc[fold_train]) & set(groups.iloc[fold_test])
        ev.check_disjoint(groups, fold_train, fold_test)


def test_a_row_level_split_is_caught_as_leakage(tables) -> None:
    X, _, groups = tables["engagement"]
    train, test = next(KFold(5, shuffle=True, random_state=SEED).split(X))
    with pytest.raises(ev.LeakageError, match="both sides"):
        ev.check_disjoint(groups, train, test)


@pytest.fixture(scope="module")
def small_models(tables):
    fitted = {}
    for name in MODEL_NAMES:
        X, y, _ = tables[name]
        fitted[name] = make_pipeline(name, FEATURES[name], {"n_estimators": 10}, seed=SEED)
        fitted[name].fit(X, y)
    return fitted


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_pipeline_clips_to_the_documented_ranges(tables, small_models, name: str) -> None:
    X = tables[name][0].iloc[:50]
    model = small_models[name]
    predict = model.predict_proba if name == "difficulty" else model.predict
    for column in X.columns:
        low, high = FEATURE_RANGES[column]
        beyond, at = X.copy(), X.copy()
        beyond[column], at[column] = high + 1000.0, high
        np.testing.assert_array_equal(predict(beyond), predict(at))
        beyond[column], at[column] = low - 1000.0, low
        np.testing.assert_array_equal(predict(beyond), predict(at))
    scaled = model[0].transform(X.assign(**{X.columns[0]: 1e9}))
    assert scaled.min() >= 0.0 and scaled.max() <= 1.0 and scaled[:, 0].max() == 1.0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_onnx_export_matches_sklearn(tables, small_models, name: str) -> None:
    X = tables[name][0]
    model = small_models[name]
    expected = model.predict_proba(X) if name == "difficulty" else model.predict(X)
    exported = to_onnx(model)
    # Pinned, not whatever the installed onnx package supports (22 for the default domain here);
    # skl2onnx writes the lowest ML opset its operators need, up to the pin.
    opsets = {o.domain: o.version for o in exported.opset_import}
    assert opsets[""] == 17 and opsets["ai.onnx.ml"] <= 3
    got = onnx_predict(exported, X.to_numpy())
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    outside = X.iloc[:20] * 100.0  # far outside every range: clipped the same way in both
    expected = model.predict_proba(outside) if name == "difficulty" else model.predict(outside)
    np.testing.assert_allclose(
        onnx_predict(to_onnx(model), outside.to_numpy()), expected, atol=1e-4
    )


def test_bayes_references_agree_with_the_truth_files(sim, tables) -> None:
    truth = sim.sessions_truth
    # Features in the CSVs are rounded to 4 decimals; the truth used unrounded values.
    mean, var = compatibility_moments(tables["compatibility"][0])
    np.testing.assert_allclose(mean, truth["compatibility_mean"], atol=2e-4)
    np.testing.assert_allclose(var, truth["compatibility_var"], atol=2e-5)
    mean, var = engagement_moments(tables["engagement"][0])
    np.testing.assert_allclose(mean, truth["engagement_mean"], atol=2e-4)
    np.testing.assert_allclose(var, truth["engagement_var"], atol=2e-5)
    probs = difficulty_probabilities(tables["difficulty"][0])
    expected = sim.learners_truth[[f"p_{c}" for c in CLASS_LABELS]].to_numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-5)


SMALL_TRAINING = {
    "grid": {name: {"min_samples_leaf": [10, 40]} for name in MODEL_NAMES},
    "forest": {name: {"n_estimators": 30} for name in MODEL_NAMES},
    "cv_folds": 3,
    "importance_repeats": 2,
    "out_of_sample": False,
}
"""A training section small enough for a unit test: 30 trees, two leaf sizes, three folds."""


def test_train_all_saves_models_and_metrics_that_beat_baselines(sim, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    metrics = train_all(data_dir, tmp_path / "models", SMALL_TRAINING, SEED)
    saved = json.loads((tmp_path / "models" / "supervised" / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(metrics))
    assert saved["data_sha256"] == data_sha256(data_dir)  # what the export checks the data by
    assert (saved["seed"], saved["test_size"]) == (SEED, 0.2)
    for name in MODEL_NAMES:
        assert (tmp_path / "models" / "supervised" / f"{name}.joblib").is_file()
        m = metrics["models"][name]
        assert m["onnx_max_abs_diff"] < 1e-4
        assert m["size"]["onnx_bytes"] <= 20_000_000
        assert set(m["importance"]) == set(FEATURES[name])
        assert set(m["importance_floor"]) == {"importance", "std"}
    comp, eng = metrics["models"]["compatibility"], metrics["models"]["engagement"]
    for m in (comp, eng):
        assert m["test"]["mse"] < m["baselines"]["mean"]["mse"]
        assert m["test"]["mse"] >= 0.9 * m["bayes"]["bayes_mse"]  # nothing beats the floor much
        assert m["test"]["mse"] < 1.5 * m["bayes"]["bayes_mse"]
    assert eng["test"]["mse"] < eng["baselines"]["linear"]["mse"]
    diff = metrics["models"]["difficulty"]
    assert diff["test"]["accuracy"] > diff["baselines"]["majority"]["accuracy"] + 0.3
    # The majority baseline's probabilities are the class shares: its log loss is about their
    # entropy (at most ln 3), not the ~20 of a certainty of 1 for one class.
    assert diff["baselines"]["majority"]["log_loss"] < np.log(3) + 0.05
    assert diff["test"]["log_loss"] < diff["baselines"]["majority"]["log_loss"]
    assert diff["test"]["accuracy"] > 0.9 * diff["bayes"]["bayes_accuracy"]
    assert np.array(diff["test"]["confusion_matrix"]).sum() == diff["rows"]["test"]
    _check_targets_table(metrics)


class _Truth:
    """A model that predicts the simulator's own E[y | x] (or P(level | x)): the Bayes model."""

    def __init__(self, name: str) -> None:
        self.name = name

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        moments = {"compatibility": compatibility_moments, "engagement": engagement_moments}
        return moments[self.name](X)[0]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return difficulty_probabilities(X)


@pytest.mark.parametrize("name", BAYES_MODELS)
def test_the_bayes_model_scores_its_own_reference_in_expectation(tables, small_models, name):
    """Read in expectation over the noise, the Bayes model is exactly at its reference (ratio
    1, interval [1, 1]), whatever the targets drawn; a fitted forest is worse, and its ratio
    is the mean of the realised ratios over fresh draws of the noise."""
    X, y, groups = tables[name]
    exact = against_truth(name, _Truth(name), X, groups, seed=SEED)
    assert exact["ratio"] == pytest.approx(1.0, abs=1e-12)
    assert exact["ratio_low"] == pytest.approx(1.0) and exact["ratio_high"] == pytest.approx(1.0)
    forest = against_truth(name, small_models[name], X, groups, seed=SEED)
    assert forest["ratio_low"] <= forest["ratio"] <= forest["ratio_high"]
    assert forest["n_learners"] == groups.nunique()
    rng = np.random.default_rng(SEED)
    if name == "difficulty":
        assert forest["ratio"] < 1.0
        probs = difficulty_probabilities(X)
        pick = small_models[name].predict_proba(X).argmax(axis=1)
        draws = [  # levels drawn afresh from P(level | x): accuracy over the ceiling
            np.mean(pick == (rng.random((len(X), 1)) > probs.cumsum(axis=1)).sum(axis=1))
            for _ in range(400)
        ]
        realised = np.mean(draws) / probs.max(axis=1).mean()
        assert abs(realised - forest["ratio"]) < 0.005
        entropy = -xlogy(probs, probs).sum(axis=1).mean()
        assert exact["expected_log_loss"] == pytest.approx(entropy)
        assert forest["expected_log_loss"] > entropy
    else:
        assert forest["ratio"] > 1.0
        mean, var = {"compatibility": compatibility_moments, "engagement": engagement_moments}[
            name
        ](X)
        pred = small_models[name].predict(X)
        # y = mean + noise of the right variance: the squared error's expectation is exact
        draws = [
            np.mean((mean + rng.standard_normal(len(X)) * np.sqrt(var) - pred) ** 2)
            for _ in range(400)
        ]
        assert abs(np.mean(draws) / var.mean() - forest["ratio"]) < 0.005


@pytest.mark.parametrize("name", BAYES_MODELS)
def test_a_baseline_s_ratio_is_its_expected_score_over_the_reference(tables, name) -> None:
    """What the out-of-sample table sets beside the forest: the Bayes model is at ratio 1 and
    the constant baseline at its expected score over the reference's on the same rows (the
    spread of E[y | x] over the floor for the mean, the share of the ceiling for the prior)."""
    X, y, _ = tables[name]
    assert baseline_against_truth(name, _Truth(name), X)["ratio"] == pytest.approx(1.0, abs=1e-12)
    constant = ev.baselines(name, SEED)["majority" if name == "difficulty" else "mean"].fit(X, y)
    scored = baseline_against_truth(name, constant, X)
    if name == "difficulty":
        probs = difficulty_probabilities(X)
        pick = constant.predict_proba(X).argmax(axis=1)
        share = probs[np.arange(len(X)), pick].mean() / probs.max(axis=1).mean()
        assert scored["ratio"] == pytest.approx(share) and scored["ratio"] < 0.7
    else:
        moments = {"compatibility": compatibility_moments, "engagement": engagement_moments}
        mean, var = moments[name](X)
        expected = ((constant.predict(X) - mean) ** 2 + var).mean()
        assert scored["expected_mse"] == pytest.approx(expected)
        assert scored["ratio"] == pytest.approx(expected / var.mean()) and scored["ratio"] > 1.2


def test_an_input_of_pure_noise_stays_under_the_noise_floor(tables) -> None:
    """The floor is what the forest credits a column of noise: an input replaced by noise is
    not above it, the input the target is drawn from most strongly is, far."""
    X, y, groups = tables["engagement"]
    X = X.assign(comfort_level_online=np.random.default_rng(1).random(len(X)))
    train, test = ev.grouped_holdout(groups, 0.2, SEED)
    model = make_pipeline("engagement", list(X.columns), {"n_estimators": 30}, seed=SEED)
    model.fit(X.iloc[train], y.iloc[train])
    held_out = (X.iloc[test], y.iloc[test])
    importance = ev.importances("engagement", model, *held_out, n_repeats=3, seed=SEED)
    floor = ev.importance_floor(
        "engagement", model, (X.iloc[train], y.iloc[train]), held_out, n_repeats=3, seed=SEED
    )
    assert set(floor) == {"importance", "std"}
    assert abs(floor["importance"]) < 0.05 * importance["importance"].max()
    metrics = {
        "models": {name: {"importance": {}, "importance_floor": floor} for name in MODEL_NAMES}
    }
    metrics["models"]["engagement"]["importance"] = importance.to_dict(orient="index")
    table = importance_table(metrics).loc["engagement"]
    assert list(table.index) == list(importance.index)
    assert not table.loc["comfort_level_online", "above noise"]
    assert table.loc["exercise_success_rate", "above noise"]


def test_tables_the_simulator_did_not_write_get_no_bayes_reference(sim, tmp_path: Path) -> None:
    """The Bayes reference is the simulator's truth: on a platform's export or an edited copy
    it would be a formula of another dataset printed as that data's floor. It is told per model,
    by the tables each reads."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    sessions = data_dir / "sessions_data.csv"
    table = pd.read_csv(sessions)
    shuffled = table["compatibility_score"].sample(frac=1, random_state=1)
    table["compatibility_score"] = shuffled.to_numpy()
    table.to_csv(sessions, index=False)
    metrics = train_all(
        data_dir, tmp_path / "models", {**SMALL_TRAINING, "out_of_sample": True}, SEED
    )
    # the sessions table changed: the models read from it lose the truth, the learners' keeps it
    expected = {name: "sessions" not in SOURCE_TABLES[name] for name in MODEL_NAMES}
    assert metrics["simulator_data"] == expected
    assert expected["difficulty"] and not expected["compatibility"] and not expected["engagement"]
    for name in ("compatibility", "engagement"):
        m = metrics["models"][name]
        assert m["bayes"] == {} and m["against_truth"] == {} and "checks" not in m
        assert set(m["baselines"]) and m["test"]
        assert name not in metrics["out_of_sample"]["new_seed"]
    assert metrics["models"]["difficulty"]["checks"]
    assert "against_truth" in metrics["out_of_sample"]["new_seed"]["difficulty"]
    assert set(checks_table(metrics).index.get_level_values("model")) == {"difficulty"}
    assert set(out_of_sample_table(metrics).index.get_level_values("model")) == {"difficulty"}


def test_models_on_tables_the_simulator_did_not_write_get_no_out_of_sample_scores(
    sim, tmp_path: Path
) -> None:
    """The populations scored out of sample are the simulator's draws: a model trained on an
    edited sessions table was scored on them all the same (its MSE, MAE and R² on learners of
    another dataset), where README says such a model has no out-of-sample scores. The model
    that reads the simulator's learners table as written keeps its own."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    sessions = data_dir / "sessions_data.csv"
    table = pd.read_csv(sessions)
    table.loc[0, "compatibility_score"] = 0.5
    table.to_csv(sessions, index=False)
    metrics = train_all(
        data_dir, tmp_path / "models", {**SMALL_TRAINING, "out_of_sample": True}, SEED
    )
    # every model of a fork is told by the tables it reads (docs/extending.md, recipe 4)
    expected = {name: "sessions" not in SOURCE_TABLES[name] for name in MODEL_NAMES}
    assert metrics["simulator_data"] == expected
    assert {name: expected[name] for name in ("compatibility", "difficulty", "engagement")} == {
        "compatibility": False,
        "difficulty": True,
        "engagement": False,
    }
    for population, entry in metrics["out_of_sample"].items():
        assert {"compatibility", "engagement"}.isdisjoint(entry), population
        assert entry["difficulty"]["against_truth"], population
    assert set(out_of_sample_table(metrics).index.get_level_values("model")) == {"difficulty"}


def test_the_export_tells_each_model_s_data_as_the_simulator_s_or_not(sim, tmp_path: Path) -> None:
    """The manifest is all a client of the API reads: a forest trained on a platform's tables
    had an empty Bayes reference there, as one on inputs the simulator does not draw from has,
    and nothing said which."""
    from aura.export.supervised import supervised_exports

    data_dir = tmp_path / "data"
    save(sim, data_dir)
    sessions = data_dir / "sessions_data.csv"
    table = pd.read_csv(sessions)
    table.loc[0, "engagement_score"] = 0.5
    table.to_csv(sessions, index=False)
    train_all(data_dir, tmp_path / "models", SMALL_TRAINING, SEED)
    exported = {f.name: f.metrics for f in supervised_exports(data_dir, tmp_path / "models", SEED)}
    told = {name: m["simulator_data"] for name, m in exported.items()}
    assert told == {name: "sessions" not in SOURCE_TABLES[name] for name in MODEL_NAMES}
    assert {name: told[name] for name in ("compatibility", "difficulty", "engagement")} == {
        "compatibility": False,
        "difficulty": True,
        "engagement": False,
    }


def test_the_simulator_s_tables_are_told_as_the_data_folder_does(sim, tmp_path: Path) -> None:
    """By the rule that keeps `aura generate` off a platform's tables: the record of what the
    simulator wrote, or, in a folder from before the record, the whole hidden truth beside them."""
    from aura.sim.io import RECORD_FILE, TRUTH_FILES, simulator_wrote

    save(sim, tmp_path)
    assert simulator_wrote(tmp_path, data_sha256(tmp_path))
    (tmp_path / RECORD_FILE).unlink()  # written before the record existed
    assert simulator_wrote(tmp_path, data_sha256(tmp_path))
    (tmp_path / "truth" / TRUTH_FILES["sessions_truth"]).unlink()
    assert not simulator_wrote(tmp_path, data_sha256(tmp_path))
    save(sim, tmp_path / "again")
    hashes = {**data_sha256(tmp_path / "again"), "sessions": "0" * 64}  # a table edited since
    assert not simulator_wrote(tmp_path / "again", hashes)


def test_a_difficulty_level_too_rare_for_the_folds_is_named(tables) -> None:
    """scikit-learn stopped with "The number of classes in labels is different from that in
    y_prob", or an IndexError after some 200 warnings, naming no table or column."""
    from aura.supervised.training import train_model

    X, y, groups = tables["difficulty"]
    advanced = CLASS_LABELS.index("Advanced")
    y = y.where(y != advanced, advanced - 1)
    config = supervised_config(SMALL_TRAINING)
    message = "learners_data.csv: the difficulty model's training split has Beginner "
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        train_model("difficulty", (X, y, groups), config, SEED)
    assert "Advanced 0 learners by preferred_difficulty" in str(err.value)
    assert "at least cv_folds (3)" in str(err.value)


def test_a_level_absent_from_the_test_split_is_scored_over_all_three(tables) -> None:
    """A level every held-out learner lacks (few Advanced learners, all drawn for training)
    stopped the training in the permutation importances with scikit-learn's "y_true and y_prob
    contain different number of classes: 2 vs 3", naming no table; every other metric already
    scored over the three levels."""
    from aura.supervised.training import train_model

    X, y, groups = tables["difficulty"]
    _, test = ev.grouped_holdout(groups, 0.2, SEED)
    advanced = CLASS_LABELS.index("Advanced")
    y = y.copy()
    y.iloc[test] = y.iloc[test].where(y.iloc[test] != advanced, advanced - 1)
    config = supervised_config(SMALL_TRAINING)
    _, metrics, _ = train_model("difficulty", (X, y, groups), config, SEED)
    assert np.array(metrics["test"]["confusion_matrix"])[advanced].sum() == 0
    assert set(metrics["importance"]) == set(FEATURES["difficulty"])
    floor = metrics["importance_floor"]["importance"]
    assert metrics["importance"]["success_rate"]["importance"] > floor


def test_a_level_absent_from_the_rows_is_left_out_of_the_macro_f1() -> None:
    """A level no row holds and no model picks has no F1; scikit-learn counted it as 0 (with a
    warning), so the forest's, the baselines' and the Bayes reference's macro-F1 on a test set
    without Advanced learners were each a third below their F1 over the levels there."""
    import warnings

    from sklearn.metrics import f1_score

    from aura.supervised.bayes import classification_reference

    y = np.array([0, 0, 1, 1, 1])
    proba = np.eye(3)[[0, 1, 1, 1, 0]] * 0.8 + 0.2 / 3
    expected = f1_score(y, proba.argmax(axis=1), average="macro")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ev.classification_metrics(y, proba)["macro_f1"] == pytest.approx(expected)
        assert classification_reference(proba, y)["bayes_macro_f1"] == pytest.approx(expected)
    never_picked = np.eye(3)[[0, 0, 0, 0, 0]] * 0.8 + 0.2 / 3  # a level held but never picked
    assert ev.classification_metrics(y, never_picked)["macro_f1"] == pytest.approx(
        f1_score(y, never_picked.argmax(axis=1), average="macro", labels=[0, 1])
    )


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_a_metric_without_a_value_is_saved_as_null(sim, tmp_path: Path) -> None:
    """R² of a test set of one session has no value: metrics.json held Python's `NaN`, which
    jq, browsers and strict readers refuse (the project writes strict JSON elsewhere)."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    sessions = data_dir / FILES["sessions"]
    pd.read_csv(sessions).drop_duplicates("learner_id").to_csv(sessions, index=False)
    params = {**SMALL_TRAINING, "test_size": 0.001}  # one learner held out, with one session
    metrics = train_all(data_dir, tmp_path / "models", params, SEED)
    text = (tmp_path / "models" / "supervised" / "metrics.json").read_text()
    saved = json.loads(text, parse_constant=_refuse_constant)
    assert saved == metrics
    for name in ("compatibility", "engagement"):
        assert saved["models"][name]["rows"]["test"] == 1
        assert saved["models"][name]["test"]["r2"] is None
        assert saved["models"][name]["test"]["mse"] >= 0.0


@pytest.mark.parametrize(
    ("offset", "population", "edit_tutors"),
    [(1, "new_seed", True), (3, "younger_learners", False)],
)
def test_an_out_of_sample_draw_that_is_the_training_data_is_refused(
    tmp_path: Path, monkeypatch, offset: int, population: str, edit_tutors: bool
) -> None:
    """The out-of-sample sets are the simulator's draws from the training seed plus 1, 2 and 3
    at the data's size: on data generated with one of those seeds (a seed sweep over fixed data)
    a draw was the training data itself, and its 'new' learners and tutor pool were scored
    without a word (compatibility 1.060 on `new_seed` at smoke scale, where new tutors give
    1.192). Told by the learners too: an edited tutors table leaves the learners the data's."""
    data_dir = tmp_path / "data"
    save(generate(SEED + offset, n_learners=800, n_tutors=25, n_sessions=1600), data_dir)
    if edit_tutors:
        tutors = data_dir / FILES["tutors"]
        table = pd.read_csv(tutors)
        table["rating"] = table["rating"].iloc[::-1].to_numpy()
        table.to_csv(tutors, index=False)

    def tune(name: str, *args, **kwargs):
        raise AssertionError(f"the {name} model trained before the refusal")

    monkeypatch.setattr(ev, "tune", tune)
    params = {**SMALL_TRAINING, "out_of_sample": True}
    message = (
        f"04_supervised_training.out_of_sample: the {population} draw (simulator seed "
        f"{SEED + offset}) is the data of {data_dir} itself"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        train_all(data_dir, tmp_path / "models", params, SEED)


def test_an_out_of_sample_population_without_sessions_is_refused_before_training(
    tmp_path: Path, monkeypatch
) -> None:
    """At 14 learners, seed 42's younger_learners draw (seed 45) has no learner aged 8-10: all
    three models trained, then the scaler stopped with scikit-learn's "Found array with 0
    sample(s)", naming no population."""
    data_dir = tmp_path / "data"
    save(generate(42, n_learners=14, n_tutors=3, n_sessions=28), data_dir)

    def tune(name: str, *args, **kwargs):
        raise AssertionError(f"the {name} model trained before the refusal")

    monkeypatch.setattr(ev, "tune", tune)
    params = {**SMALL_TRAINING, "cv_folds": 2, "out_of_sample": True}
    message = (
        "04_supervised_training.out_of_sample: the younger_learners draw (simulator seed 45: "
        "learners aged 8-10 only) holds no session at the data's size (14 learners, 28 sessions)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        train_all(data_dir, tmp_path / "models", params, 42)


def test_a_rare_difficulty_level_is_refused_before_any_model_trains(
    sim, tmp_path: Path, monkeypatch
) -> None:
    """The compatibility model trained first (minutes at the default scale), then the
    difficulty model's rare level was refused, though the learners table settled it at once."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    learners = data_dir / FILES["learners"]
    learners.write_text(learners.read_text().replace(",Advanced,", ",Intermediate,"))

    def tune(name: str, *args, **kwargs):
        raise AssertionError(f"the {name} model trained before the refusal")

    monkeypatch.setattr(ev, "tune", tune)
    with pytest.raises(ValueError, match="Advanced 0 learners by preferred_difficulty"):
        train_all(data_dir, tmp_path / "models", SMALL_TRAINING, SEED)


def test_a_model_on_other_inputs_has_no_reference_rows(sim, tmp_path: Path) -> None:
    """Engagement on the five inputs known before a session (README): no Bayes reference, so
    no checks and no out-of-sample rows for it, and the tables of the other two stand."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    five = [f for f in FEATURES["engagement"] if f != "exercise_success_rate"]
    params = {**SMALL_TRAINING, "out_of_sample": True, "features": {"engagement": five}}
    metrics = train_all(data_dir, tmp_path / "models", params, SEED)
    assert metrics["models"]["engagement"]["bayes"] == {}
    assert "engagement" not in checks_table(metrics).index.get_level_values("model")
    oos = out_of_sample_table(metrics)
    assert set(oos.index.get_level_values("model")) == {"compatibility", "difficulty"}
    # each forest beside its baselines on the same draw: the constant far off the floor
    compatibility, difficulty = oos.xs("compatibility", level=1), oos.xs("difficulty", level=1)
    assert (compatibility["constant ratio"] > compatibility["ratio"]).all()
    assert (difficulty["constant ratio"] < difficulty["ratio"]).all()
    assert oos[["constant ratio", "linear ratio"]].notna().all().all()
    entry = metrics["out_of_sample"]["new_seed"]["compatibility"]["baselines"]["linear"]
    assert entry["ratio"] == oos.loc[("new_seed", "compatibility"), "linear ratio"]
    assert {"mse", "mae", "r2", "expected_mse"} <= set(entry)
    assert "against_truth" not in metrics["out_of_sample"]["new_seed"]["engagement"]


def test_a_training_that_fails_leaves_the_last_models_whole(sim, tmp_path: Path, monkeypatch):
    """The third model fails after two are trained: the folder keeps the last training's files
    as they were (they used to be replaced one by one, leaving a mix of two trainings)."""
    import aura.supervised.training as training

    data_dir, folder = tmp_path / "data", tmp_path / "models" / "supervised"
    save(sim, data_dir)
    folder.mkdir(parents=True)
    last = {f"{name}.joblib": name.encode() for name in MODEL_NAMES} | {"metrics.json": b"{}"}
    for file, content in last.items():
        (folder / file).write_bytes(content)
    train_model = training.train_model

    def failing(name: str, *args, **kwargs):
        if name == MODEL_NAMES[-1]:
            raise RuntimeError("stopped")
        return train_model(name, *args, **kwargs)

    monkeypatch.setattr(training, "train_model", failing)
    with pytest.raises(RuntimeError, match="stopped"):
        train_all(data_dir, tmp_path / "models", SMALL_TRAINING, SEED)
    assert {f.name: f.read_bytes() for f in folder.iterdir()} == last
    assert [f.name for f in folder.parent.iterdir()] == ["supervised"]  # no staging left


def test_more_folds_than_training_learners_is_refused_before_any_fit(tables) -> None:
    """scikit-learn's "Cannot have number of splits ... greater than the number of groups" came
    from inside the grid search and named no params key."""
    from aura.supervised.training import train_model

    n_train = 640  # 800 learners, a fifth held out
    config = supervised_config({**SMALL_TRAINING, "cv_folds": n_train + 1})
    message = (
        f"04_supervised_training.cv_folds is {n_train + 1}, but the compatibility model's "
        f"training split holds {n_train} learners"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        train_model("compatibility", tables["compatibility"], config, SEED)


def test_a_test_size_that_holds_out_every_learner_is_named_by_its_key(tables) -> None:
    """scikit-learn's "With n_samples=20, test_size=0.99 and train_size=None, the resulting
    train set will be empty" named neither the params key nor that the samples are learners."""
    from aura.supervised.training import train_model

    X, y, groups = (part.iloc[:20] for part in tables["engagement"])
    n_learners = groups.nunique()
    config = supervised_config({**SMALL_TRAINING, "test_size": 0.99})
    message = (
        f"04_supervised_training.test_size is 0.99, but the engagement model's table holds "
        f"{n_learners} learners, and holding out that share leaves none to train on"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        train_model("engagement", (X, y, groups), config, SEED)


def test_the_stages_name_the_learners_each_split_holds(tables) -> None:
    """A test_size near 1 trained on a handful of learners without a word."""
    from aura.supervised.training import train_model

    stages: list[str] = []
    config = supervised_config({**SMALL_TRAINING, "test_size": 0.9})
    train_model("difficulty", tables["difficulty"], config, SEED, on_stage=stages.append)
    assert stages[0].startswith("difficulty: 80 learners to train on, 720 held out (test_size 0.9)")
    assert stages[1] == "difficulty: scoring against the baselines and the Bayes reference"
    stages.clear()  # a platform's tables have none, which the line used to announce all the same
    train_model(
        "difficulty", tables["difficulty"], config, SEED, simulated=False, on_stage=stages.append
    )
    assert stages[1] == "difficulty: scoring against the baselines"


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_the_same_params_give_the_same_scores_to_the_last_bit(sim, tmp_path: Path) -> None:
    """Two trainings of the same params, each with its grid search on two processes: every
    score, loss and importance the same, not only the trees (forests predicting on two threads
    summed their trees in the threads' order and differed in the last bits)."""
    data_dir = tmp_path / "data"
    save(sim, data_dir)
    params = {**SMALL_TRAINING, "n_jobs": 2}
    first, second = (
        train_all(data_dir, tmp_path / f"models-{i}", params, SEED)["models"] for i in (1, 2)
    )
    assert _without_timings(first) == _without_timings(second)


@pytest.mark.parametrize("name", ["difficulty", "engagement"])
def test_the_grid_search_gives_the_same_forest_on_one_process_or_two(tables, name: str) -> None:
    """`n_jobs` only spreads the grid search's fits: its CV table, its choice and the refitted
    forest's every prediction are those of the fits run one after another."""
    X, y, groups = tables[name]
    train, test = ev.grouped_holdout(groups, 0.2, SEED)
    results = [
        ev.tune(
            name,
            make_pipeline(name, FEATURES[name], {"n_estimators": 20}, seed=SEED),
            X.iloc[train],
            y.iloc[train],
            groups.iloc[train],
            {"min_samples_leaf": [10, 40], "max_features": [0.5, 0.8]},
            n_splits=3,
            tolerance=0.005,
            seed=SEED,
            n_jobs=n_jobs,
        )
        for n_jobs in (1, 2)
    ]
    (one, table_one, chosen_one, _), (two, table_two, chosen_two, _) = results
    assert chosen_one == chosen_two
    pd.testing.assert_frame_equal(
        table_one.drop(columns="fit_seconds"), table_two.drop(columns="fit_seconds")
    )
    predict = "predict_proba" if name == "difficulty" else "predict"
    np.testing.assert_array_equal(
        getattr(one, predict)(X.iloc[test]), getattr(two, predict)(X.iloc[test])
    )


def _check_targets_table(metrics: dict) -> None:
    """Every recorded verdict is a row, and each row's numbers give the verdict it shows."""
    table = checks_table(metrics)
    for name in BAYES_MODELS:  # a model without a reference has no checks
        verdicts = [v for v in metrics["models"][name]["checks"].values() if isinstance(v, bool)]
        assert table.loc[name, "met"].tolist() == verdicts
    assert not any("checks" in metrics["models"][n] for n in MODEL_NAMES if n not in BAYES_MODELS)
    for (name, target), row in table.iterrows():
        if "log loss" in target:  # accuracy and log loss: the bound is the accuracy's
            assert not row.met or row.forest > row.bound
            continue
        holds = {
            "below": row.forest < row.bound,
            "at most": row.forest <= row.bound,
            "at least": row.forest >= row.bound,
        }
        (word,) = [w for w in holds if w in target]
        assert row.met == holds[word], (name, target)


def test_config_rejects_unknown_keys_and_models(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_trees"):
        train_all(tmp_path, tmp_path, {"n_trees": 3}, SEED)
    with pytest.raises(ValueError, match="unknown model"):
        train_all(tmp_path, tmp_path, {"grid": {"popularity": {}}}, SEED)


def test_feature_ranges_cover_the_simulated_data(tables) -> None:
    for name in MODEL_NAMES:
        X = tables[name][0]
        for column in X.columns:
            low, high = FEATURE_RANGES[column]
            assert X[column].between(low, high).all(), column
    assert isinstance(tables["engagement"][0], pd.DataFrame)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"test_size": 2}, "04_supervised_training.test_size: Input should be less than 1, got 2"),
        ({"cv_folds": "many"}, "04_supervised_training.cv_folds: Input should be a valid integer"),
        (
            {"n_jobs": 0},
            "04_supervised_training.n_jobs: Input should be greater than or equal to 1, got 0",
        ),
        ({"tst_size": 0.1}, "04_supervised_training.tst_size: unknown key; expected some of"),
        (
            {"features": {"speed": ["age"]}},
            "04_supervised_training.features: unknown model(s) ['speed']; expected",
        ),
        (
            {"forest": {"compatibility": {"n_trees": 3}}},
            "04_supervised_training.forest: compatibility: unknown forest setting(s) ['n_trees']",
        ),
        (
            {"grid": {"engagement": {"min_samples_leaf": [10], "max_dept": [3]}}},
            "04_supervised_training.grid: engagement: unknown forest setting(s) ['max_dept']",
        ),
        (
            {"grid": {"difficulty": {"max_depth": [3, 5]}}},
            "04_supervised_training.grid: difficulty: the grid must list min_samples_leaf",
        ),
        (
            {"grid": {"difficulty": {"min_samples_leaf": [10], "max_depth": []}}},
            "04_supervised_training.grid: difficulty: no value to search for ['max_depth']",
        ),
        (  # the smallest forest is read by the number: 0.05 of the rows would pass for 0.05
            {"grid": {"engagement": {"min_samples_leaf": [0.05, 20]}}},
            "04_supervised_training.grid: engagement: min_samples_leaf [0.05] in the grid: give "
            "numbers of samples (integers)",
        ),
        (  # a value scikit-learn refuses, for the last model: refused before any is trained
            {"forest": {"engagement": {"n_estimators": 0}}},
            "04_supervised_training: forest.engagement: The 'n_estimators' parameter of "
            "RandomForestRegressor must be an int in the range [1, inf). Got 0 instead.",
        ),
        (
            {"forest": {"difficulty": {"max_features": 5.0}}},
            "04_supervised_training: forest.difficulty: The 'max_features' parameter of "
            "RandomForestClassifier must be",
        ),
        (
            {"grid": {"compatibility": {"min_samples_leaf": [20, 0]}}},
            "04_supervised_training: grid.compatibility.min_samples_leaf: The 'min_samples_leaf' "
            "parameter of RandomForestRegressor must be",
        ),
    ],
)
def test_a_bad_params_section_is_named_by_its_key(section: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        supervised_config(section)
    assert str(err.value).startswith(message)


def test_a_model_without_a_bayes_reference_is_scored_against_its_baselines(sim, monkeypatch):
    """docs/extending.md, a new model: one outside `BAYES_MODELS` trains and is scored against
    its baselines, with no checks against a reference; `bayes_reference` refused it once every
    model had been trained."""
    from aura.supervised import models, training
    from aura.supervised.features import session_table

    monkeypatch.setitem(models.FOREST_DEFAULTS, "outcome", models.FOREST_DEFAULTS["engagement"])
    table = session_table(sim.learners, sim.tutors, sim.sessions)
    X = table[["duration_hours", "style_match", "exercise_success_rate"]].astype(float)
    stages: list[str] = []
    _, metrics, _ = training.train_model(
        "outcome",
        (X, table["learning_outcome_score"], table["learner_id"]),
        supervised_config(SMALL_TRAINING),
        SEED,
        on_stage=stages.append,
    )
    assert metrics["bayes"] == {} and metrics["against_truth"] == {} and "checks" not in metrics
    assert set(metrics["baselines"]) and metrics["test"]["mse"] > 0
    assert stages[-1] == "outcome: scoring against the baselines"


def test_the_ratio_s_interval_resamples_learners_with_all_their_rows(monkeypatch) -> None:
    """The ratio is the model's summed expected loss over the reference's, and its 95% interval
    the 2.5% and 97.5% percentiles of that ratio over learners drawn with replacement from the
    seed, each bringing every row of theirs: here by a loop that gathers the rows of each draw.
    Learners whose rows share their level make that wider than a resampling of rows would."""
    from aura.supervised import bayes

    rng = np.random.default_rng(1)
    groups = rng.permutation(np.repeat(np.arange(100, 160), rng.integers(1, 8, 60)))
    level = rng.uniform(0.01, 0.06, 60)[groups - 100]
    terms = {"model": level + rng.uniform(0.0, 0.005, groups.size), "bayes": level}
    monkeypatch.setattr(bayes, "truth_terms", lambda name, model, X: terms)
    scored = against_truth("compatibility", None, None, groups, seed=5)
    assert scored["n_learners"] == 60

    draws = np.random.default_rng(5)
    learners = np.unique(groups)
    ratios = []
    for _ in range(1000):
        drawn = learners[draws.integers(0, 60, size=60)]
        rows = np.concatenate([np.flatnonzero(groups == g) for g in drawn])
        ratios.append(terms["model"][rows].sum() / terms["bayes"][rows].sum())
    assert scored["ratio"] == pytest.approx(terms["model"].sum() / terms["bayes"].sum())
    assert (scored["ratio_low"], scored["ratio_high"]) == pytest.approx(
        tuple(np.percentile(ratios, [2.5, 97.5])), rel=1e-12
    )
    by_row = [
        terms["model"][i].sum() / terms["bayes"][i].sum()
        for i in draws.integers(0, groups.size, size=(1000, groups.size))
    ]
    by_row_width = np.subtract(*np.percentile(by_row, [97.5, 2.5]))
    assert scored["ratio_high"] - scored["ratio_low"] > 1.5 * by_row_width


def train_supervised_command(sim, tmp_path: Path) -> tuple[str, dict]:
    """`aura train-supervised` on ``sim``'s tables with out-of-sample scores: its output and
    the metrics.json it wrote."""
    import yaml
    from typer.testing import CliRunner

    from aura.cli import app
    from aura.config import PARAMS_DIR

    save(sim, tmp_path / "data")
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    params["shared"] = {
        "seed": SEED,
        "data_dir": str(tmp_path / "data"),
        "models_dir": str(tmp_path / "models"),
        "artifacts_dir": str(tmp_path / "artifacts"),
    }
    params["04_supervised_training"] = {**SMALL_TRAINING, "out_of_sample": True}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    result = CliRunner().invoke(app, ["train-supervised", "--params", str(path)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "models" / "supervised" / "metrics.json").read_text())
    return result.output, metrics


def test_the_command_prints_the_scores_on_new_tutors_beside_the_test_set_s(
    sim, tmp_path: Path
) -> None:
    """The targets are read on held-out learners with the training's tutors; `aura
    train-supervised` printed them alone, all met, while the compatibility forest's ratio on a
    new tutor pool (metrics.json, notebook 04) missed its bound and trailed the linear model."""
    output, metrics = train_supervised_command(sim, tmp_path)
    table = out_of_sample_table(metrics)
    assert "forest / Bayes on test set" in output
    assert "linear baseline / Bayes" in output
    assert set(table.index.get_level_values("dataset")) == {
        "new_seed",
        "older_learners",
        "younger_learners",
    }
    lines = output.splitlines()
    for (dataset, name), row in table.iterrows():
        assert any(
            line.startswith(dataset.replace("_", " "))
            and name in line
            and f"{row['ratio']:.3f} {row['ratio 95% CI']}" in line
            for line in lines
        ), (dataset, name, row["ratio"])


def test_the_command_prints_its_tables_as_notebook_04_does(sim, tmp_path: Path) -> None:
    """The command printed its metrics and checks as the code names them (``macro_f1``,
    ``bayes``, met True), where notebook 04 shows them in words; each row of both reads as
    the notebook's summary prints it, and no code name is left."""
    from aura.reports.tables import text_table
    from aura.supervised.report import checks_report_table, checks_table, metrics_table

    output, metrics = train_supervised_command(sim, tmp_path)
    lines = output.splitlines()
    scores = metrics_table(metrics)
    for (model, metric), row in scores.iterrows():
        name = {"mse": "MSE", "mae": "MAE", "r2": "R²", "macro_f1": "macro F1"}.get(metric, metric)
        numbers = f"{row['forest']:.4f}"
        assert any(
            line.split()[:1] == [model] and name.replace("_", " ") in line and numbers in line
            for line in lines
        ), (model, metric)
    checks = text_table(checks_report_table(checks_table(metrics)), left=["model", "target"])
    for line in checks.splitlines():
        assert line in lines
    assert "Bayes reference" in output and " yes" in output
    for code_name in ("macro_f1", "log_loss", "bayes ", "True", "False", "NaN"):
        assert code_name not in output


def test_the_bayes_references_are_their_formulas_worked_by_hand() -> None:
    """The Bayes classifier picks each row's likeliest level: its expected accuracy is the mean
    of the row maxima, (0.7 + 0.6 + 0.5 + 0.9) / 4, though it realised 3 of 4. The Bayes
    regressor predicts E[y | x]: its expected MSE, the floor, is the mean of Var[y | x],
    0.02, though it realised (0.01 + 0 + 0.04) / 3; the targets' variance is 0.02 / 9, so its
    expected R2 is 1 - 9."""
    from sklearn.metrics import log_loss

    from aura.supervised.bayes import classification_reference, regression_reference

    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])
    classifier = classification_reference(probs, np.array([0, 1, 1, 0]))
    assert classifier["bayes_accuracy"] == pytest.approx(0.675, rel=1e-12)
    assert classifier["bayes_realised_accuracy"] == pytest.approx(0.75, rel=1e-12)
    expected_loss = -(np.log(0.7) + np.log(0.3) + np.log(0.5) + np.log(0.9)) / 4
    assert classifier["bayes_log_loss"] == pytest.approx(expected_loss, rel=1e-12)
    assert log_loss([0, 1, 1, 0], probs, labels=[0, 1, 2]) == pytest.approx(
        expected_loss, rel=1e-12
    )

    mean, var = np.array([0.2, 0.4, 0.6]), np.array([0.01, 0.02, 0.03])
    regressor = regression_reference(mean, var, np.array([0.3, 0.4, 0.4]))
    assert regressor["bayes_mse"] == pytest.approx(0.02, rel=1e-12)
    assert regressor["bayes_realised_mse"] == pytest.approx(0.05 / 3, rel=1e-12)
    assert regressor["bayes_realised_mae"] == pytest.approx(0.1, rel=1e-12)
    assert regressor["bayes_r2"] == pytest.approx(-8.0, rel=1e-9)


def test_each_target_s_verdict_at_its_bound_is_what_its_words_say() -> None:
    """Notebook 04's targets at their bounds: accuracy "at least 0.85" is met by 170 of 200
    right, the share of Bayes "at least 0.97" by 0.97, the MSE ratio "at most 1.10" by 1.10,
    and a test MSE of exactly 0.1 is not "below 0.1". A forest level with a baseline does not
    beat it."""
    from aura.supervised.training import _checks

    classifier = _checks(
        "difficulty",
        {"accuracy": 170 / 200},
        {
            "expected_accuracy": 0.9,
            "expected_log_loss": 0.3,
            "ratio": 0.97,
            "baselines": {"majority": {"expected_accuracy": 0.9, "expected_log_loss": 0.5}},
        },
        1_000,
    )
    assert classifier["accuracy_at_least_0.85"] is True
    assert classifier["share_at_least_0.97"] is True
    assert classifier["beats_baselines"] is False
    regressor = _checks(
        "compatibility",
        {"mse": 0.1},
        {"expected_mse": 0.02, "ratio": 1.10, "baselines": {"mean": {"expected_mse": 0.03}}},
        1_000,
    )
    assert regressor["mse_below_0.1"] is False
    assert regressor["ratio_at_most_1.10"] is True
    assert regressor["beats_baselines"] is True
    assert (
        _checks(
            "difficulty",
            {"accuracy": 0.9},
            {
                "expected_accuracy": 0.95,
                "expected_log_loss": 0.6,
                "ratio": 0.99,
                "baselines": {"majority": {"expected_accuracy": 0.9, "expected_log_loss": 0.5}},
            },
            1_000,
        )["beats_baselines"]
        is False
    )  # more accurate, but a worse log loss


def test_the_onnx_graph_is_named_and_typed_as_the_service_reads_it(tables, small_models) -> None:
    """The graph is named ``aura_forest`` whatever skl2onnx's default (its `convert_sklearn`
    draws a random one, its `to_onnx` one of its own version), and takes one float input
    ``input`` of shape (any rows, the model's feature count)."""
    for name in MODEL_NAMES:
        exported = to_onnx(small_models[name])
        assert exported.graph.name == "aura_forest"
        (graph_input,) = exported.graph.input
        dims = graph_input.type.tensor_type.shape.dim
        assert graph_input.name == "input"
        assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert [d.dim_value for d in dims] == [0, tables[name][0].shape[1]]
