"""Train, evaluate and save the three models: `train_all` is the one entry point.

For each model: a held-out test set of learners, a grouped grid search on the rest that picks
the forest with model size in view, then every metric on the test set beside its baselines and
the simulator's Bayes reference, permutation importances beside their noise floor, the ONNX size
and parity, and the same model and its baselines scored on datasets drawn from other seeds and
shifted populations.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aura.config import project_relative
from aura.data.schemas import TABLES
from aura.export.atomic import atomic_directory
from aura.export.exporter import MAX_FOREST_BYTES  # the export's limit, checked at training
from aura.files import sha256_file, strict_json
from aura.params_check import validation_problems
from aura.sim.io import FILES, simulator_wrote
from aura.supervised import evaluation as ev
from aura.supervised.bayes import (
    BAYES_MODELS,
    against_truth,
    baseline_against_truth,
    bayes_reference,
    expected_scores,
)
from aura.supervised.convert import onnx_predict, to_onnx
from aura.supervised.features import (
    CLASS_LABELS,
    FEATURE_RANGES,
    FEATURES,
    MODEL_NAMES,
    SOURCE_TABLES,
    FeatureTable,
    build_feature_tables,
    load_data,
)
from aura.supervised.models import (
    FOREST_DEFAULTS,
    check_forest,
    forest_nodes,
    forest_settings,
    make_pipeline,
)
from aura.supervised.shift import (
    POPULATIONS,
    Draw,
    draw_population,
    is_drawn_from,
    population_seed,
)

if TYPE_CHECKING:
    from aura.data.loading import Datasets

SECTION = "04_supervised_training"
TARGET_ACCURACY = 0.85
TARGET_ACCURACY_SHARE = 0.97
TARGET_MSE = 0.1
TARGET_MSE_RATIO = 1.10


class SupervisedConfig(BaseModel):
    """Settings of `train_all`, read from the `04_supervised_training` params section."""

    model_config = ConfigDict(extra="forbid")

    features: dict[str, list[str]] = Field(default_factory=lambda: dict(FEATURES))
    """Input columns per model, in order; a model not named keeps its default inputs."""
    forest: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Fixed forest settings per model over `FOREST_DEFAULTS` (e.g. n_estimators)."""
    grid: dict[str, dict[str, list[Any]]] = Field(
        default_factory=lambda: {
            name: {"min_samples_leaf": [10, 20, 40, 80]} for name in MODEL_NAMES
        }
    )
    """Forest settings searched by grouped CV per model (must include min_samples_leaf)."""
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    """Share of learners held out for the test set."""
    cv_folds: int = Field(5, ge=2)
    size_tolerance: float = Field(0.005, ge=0.0)
    """Relative CV-loss slack accepted for a smaller forest (see evaluation.tune)."""
    importance_repeats: int = Field(5, ge=1)
    importance_rows: int = Field(5000, ge=100)
    """Test rows used for permutation importance (a random subset if the test set is larger)."""
    out_of_sample: bool = True
    """Also score the models on fresh and shifted simulated datasets of the training size."""
    n_jobs: int = Field(1, ge=1)
    """Processes the grid search spreads its fits over; each forest runs on one thread
    (`models.make_pipeline` says why)."""

    @field_validator("features", "forest", "grid")
    @classmethod
    def _known_models(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(MODEL_NAMES))
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; expected {list(MODEL_NAMES)}")
        return value

    @field_validator("features")
    @classmethod
    def _default_inputs(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """A mapping that names one model (the README's five-input engagement model) leaves the
        others their defaults here, once, so that every reader of the config (the training, the
        export's check of the compatibility inputs) sees all three."""
        return {**FEATURES, **value}

    @field_validator("forest", "grid")
    @classmethod
    def _known_settings(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A misspelt setting would otherwise pass `aura params check` and stop the training
        only once the data is read and the first forest is built."""
        for model, settings in value.items():
            known = forest_settings(model)
            unknown = sorted(set(settings) - known)
            if unknown:
                raise ValueError(
                    f"{model}: unknown forest setting(s) {unknown}; known: {sorted(known)}"
                )
        return value

    @field_validator("grid")
    @classmethod
    def _grid_searches_leaf(cls, value: dict[str, dict[str, list[Any]]]) -> dict:
        """The search picks the largest `min_samples_leaf` within tolerance of the best loss
        (`evaluation.tune`), so a model's grid must list at least one value of it."""
        for model, grid in value.items():
            if not grid.get("min_samples_leaf"):
                raise ValueError(
                    f"{model}: the grid must list min_samples_leaf values (the search chooses "
                    "the smallest forest by it)"
                )
            empty = sorted(k for k, v in grid.items() if not v)
            if empty:
                raise ValueError(f"{model}: no value to search for {empty}")
            fractions = [
                v
                for v in grid["min_samples_leaf"]
                if isinstance(v, bool) or not isinstance(v, int | np.integer)
            ]
            if fractions:
                raise ValueError(
                    f"{model}: min_samples_leaf {fractions} in the grid: give numbers of samples "
                    "(integers); the search orders leaf sizes by their number, and a fraction "
                    "of the rows (0.05) would count as smaller than 20 samples"
                )
        return value

    @model_validator(mode="after")
    def _accepted_settings(self) -> SupervisedConfig:
        """Each model's forest, and each value its grid searches, as scikit-learn would take
        them: a bad value of the last model stopped the training only after the first two had
        been trained and saved."""
        for model in MODEL_NAMES:
            forest = self.forest.get(model, {})
            tried = [(f"forest.{model}", forest)] + [
                (f"grid.{model}.{key}", {**forest, key: value})
                for key, values in self.grid.get(model, {}).items()
                for value in values
            ]
            for where, settings in tried:
                try:
                    check_forest(model, settings)
                except (ValueError, TypeError) as exc:  # scikit-learn's error is both
                    raise ValueError(f"{where}: {exc}") from None
        return self

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """Every input needs its documented range (the pipeline clips to it, the API checks
        it), so a name without one is a typo to refuse before the data is even read."""
        for model, names in value.items():
            unknown = [n for n in names if n not in FEATURE_RANGES]
            if unknown:
                raise ValueError(
                    f"{model}: unknown feature(s) {unknown}; known: {sorted(FEATURE_RANGES)}"
                )
            if not names or len(set(names)) < len(names):
                raise ValueError(f"{model}: features must be a list of distinct names, got {names}")
        return value


def supervised_config(params: Mapping[str, Any] | None) -> SupervisedConfig:
    """The params section as a SupervisedConfig; a ValueError naming each bad key by its place
    in the params file (``04_supervised_training.test_size``) and the value it holds."""
    try:
        return SupervisedConfig.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = validation_problems(exc, SECTION, SupervisedConfig.model_fields)
        raise ValueError(problems) from None


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _checks(name: str, test: Mapping, truth: Mapping, onnx_bytes: int) -> dict:
    """The supervised models' targets (notebook 04 states them), each as a boolean beside the
    number it tests.

    The absolute targets (test MSE, accuracy) are read on the test set as it fell. The ratio to
    the Bayes reference and the comparison with the baselines are read on what each model scores
    in expectation over the targets' noise (`aura.supervised.bayes.against_truth`), the same
    expectation the reference is: on a realised test set, a few hundred learners' noise moved
    the ratio by several hundredths, and put a classifier above its own ceiling."""
    base = truth["baselines"].values()
    if ev.is_classifier_name(name):
        acc, share = truth["expected_accuracy"], truth["ratio"]
        beats = all(
            acc > b["expected_accuracy"] and truth["expected_log_loss"] < b["expected_log_loss"]
            for b in base
        )
        return {
            "accuracy_at_least_0.85": test["accuracy"] >= TARGET_ACCURACY,
            "accuracy_share_of_bayes": share,
            "share_at_least_0.97": share >= TARGET_ACCURACY_SHARE,
            "beats_baselines": beats,
            "onnx_at_most_20MB": onnx_bytes <= MAX_FOREST_BYTES,
        }
    return {
        "mse_below_0.1": test["mse"] < TARGET_MSE,
        "mse_ratio_to_bayes": truth["ratio"],
        "ratio_at_most_1.10": truth["ratio"] <= TARGET_MSE_RATIO,
        "beats_baselines": all(truth["expected_mse"] < b["expected_mse"] for b in base),
        "onnx_at_most_20MB": onnx_bytes <= MAX_FOREST_BYTES,
    }


def _check_levels(y_train: Any, cv_folds: int) -> None:
    """Every level in the classifier's training split, at least once per fold: a level missing
    from a fold stopped the grid search in scikit-learn's 'number of classes in labels is
    different', or an IndexError, with no word of the data."""
    counts = np.bincount(np.asarray(y_train, dtype=int), minlength=len(CLASS_LABELS))
    if (counts < cv_folds).any():
        shown = ", ".join(f"{label} {n}" for label, n in zip(CLASS_LABELS, counts, strict=True))
        raise ValueError(
            f"{FILES['learners']}: the difficulty model's training split has {shown} learners "
            f"by preferred_difficulty; each level needs at least cv_folds ({cv_folds}), one per "
            "fold: add learners of the rarer levels, or lower cv_folds"
        )


def training_split(
    name: str, table: FeatureTable, config: SupervisedConfig, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) rows of the model's table, once its training split is known to hold what
    the grouped CV needs: a learner per fold and, for the classifier, each level once per fold.
    `train_all` asks it of every model before any trains, so data that one model cannot learn
    from are refused before the minutes the others take."""
    _, y, groups = table
    if math.floor((1.0 - config.test_size) * groups.nunique()) == 0:  # as GroupShuffleSplit counts
        raise ValueError(
            f"{SECTION}.test_size is {config.test_size:g}, but the {name} model's table holds "
            f"{groups.nunique()} learners, and holding out that share leaves none to train on; "
            "lower test_size or generate more learners"
        )
    train, test = ev.grouped_holdout(groups, config.test_size, seed)
    learners = groups.iloc[train].nunique()
    if learners < config.cv_folds:
        raise ValueError(
            f"04_supervised_training.cv_folds is {config.cv_folds}, but the {name} model's "
            f"training split holds {learners} learners and each fold needs one of its own; "
            "lower cv_folds or generate more learners"
        )
    if ev.is_classifier_name(name):
        _check_levels(y.iloc[train], config.cv_folds)
    return train, test


def train_model(
    name: str,
    table: FeatureTable,
    config: SupervisedConfig,
    seed: int,
    *,
    simulated: bool = True,
    on_stage: Callable[[str], None] = lambda _: None,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Tune, fit and evaluate one model on its feature table; returns (pipeline, metrics, fitted
    baselines by name), the baselines for `out_of_sample` to score beside the pipeline.

    The Bayes reference and the checks against it need the simulator's truth: only a model of
    `BAYES_MODELS` on a table the simulator drew (``simulated``), with the inputs it draws the
    target from, has them."""
    X, y, groups = table
    train, test = training_split(name, table, config, seed)
    X_tr, y_tr, g_tr = X.iloc[train], y.iloc[train], groups.iloc[train]
    X_te, y_te = X.iloc[test], y.iloc[test]
    pipeline = make_pipeline(name, list(X.columns), config.forest.get(name), seed=seed)
    on_stage(
        f"{name}: {g_tr.nunique()} learners to train on, {groups.iloc[test].nunique()} held out "
        f"(test_size {config.test_size:g}); choosing the leaf size by {config.cv_folds}-fold "
        "grouped CV, then fitting"
    )
    start = time.perf_counter()
    model, grid_table, chosen, fit_seconds = ev.tune(
        name,
        pipeline,
        X_tr,
        y_tr,
        g_tr,
        config.grid.get(name, {"min_samples_leaf": [FOREST_DEFAULTS[name]["min_samples_leaf"]]}),
        n_splits=config.cv_folds,
        tolerance=config.size_tolerance,
        seed=seed,
        n_jobs=config.n_jobs,
    )
    tune_seconds = time.perf_counter() - start

    known = simulated and name in BAYES_MODELS and set(FEATURES[name]) <= set(X.columns)
    reference = " and the Bayes reference" if known else ""
    on_stage(f"{name}: scoring against the baselines{reference}")
    test_metrics = ev.score(name, model, X_te, y_te)
    fitted = {b: estimator.fit(X_tr, y_tr) for b, estimator in ev.baselines(name, seed).items()}
    base = {b: ev.score(name, estimator, X_te, y_te) for b, estimator in fitted.items()}
    bayes = bayes_reference(name, X_te, y_te) if known else {}
    truth = {}
    if bayes:
        truth = against_truth(name, model, X_te, groups.iloc[test], seed=seed)
        truth["baselines"] = {b: expected_scores(name, e, X_te) for b, e in fitted.items()}

    rows = np.random.default_rng(seed).permutation(len(X_te))[: config.importance_rows]
    held_out = (X_te.iloc[rows], y_te.iloc[rows])
    repeats = config.importance_repeats
    importance = ev.importances(name, model, *held_out, n_repeats=repeats, seed=seed)
    floor = ev.importance_floor(name, model, (X_tr, y_tr), held_out, n_repeats=repeats, seed=seed)
    onnx_model = to_onnx(model)
    onnx_bytes = len(onnx_model.SerializeToString())
    sk = model.predict_proba(X_te) if ev.is_classifier_name(name) else model.predict(X_te)
    parity = float(np.max(np.abs(onnx_predict(onnx_model, X_te.to_numpy()) - sk)))

    metrics: dict[str, Any] = {
        "features": list(X.columns),
        "target": str(y.name),
        # carried into the export's manifest, where an empty Bayes reference alone did not tell
        # a platform's tables from inputs the simulator does not draw from
        "simulator_data": simulated,
        "rows": {"train": len(train), "test": len(test)},
        "learners": {"train": int(g_tr.nunique()), "test": int(groups.iloc[test].nunique())},
        "chosen": {**FOREST_DEFAULTS[name], **(config.forest.get(name) or {}), **chosen},
        "cv": grid_table.to_dict(orient="records"),
        "test": test_metrics,
        "baselines": base,
        "bayes": bayes,
        "against_truth": truth,
        "importance": importance.to_dict(orient="index"),
        "importance_floor": floor,
        "size": {"nodes": forest_nodes(model), "onnx_bytes": onnx_bytes},
        "onnx_max_abs_diff": parity,
        "seconds": {"tune_with_refit": tune_seconds, "fit": fit_seconds},
    }
    if ev.is_classifier_name(name):
        metrics["classes"] = CLASS_LABELS
        metrics["calibration"] = ev.calibration(np.asarray(y_te), model.predict_proba(X_te))
    if bayes:
        metrics["checks"] = _checks(name, test_metrics, truth, onnx_bytes)
    return model, metrics, fitted


def population_draws(data: Datasets, seed: int) -> dict[str, Draw]:
    """Each population of `POPULATIONS` drawn at the size of ``data``, by name, before any model
    trains; refused when a draw is ``data`` itself or holds no session. The populations are drawn
    from the training seed plus an offset, so on tables the simulator generated with one of those
    seeds (a sweep of training seeds over fixed data) a "new" population was the training data,
    scored as out of sample; and a draw of a few learners may hold none of a population's ages,
    which stopped the scoring in scikit-learn once every model had been trained."""
    sizes = {
        "n_learners": len(data.learners),
        "n_tutors": len(data.tutors),
        "n_sessions": len(data.sessions),
    }
    draws = {}
    for population in POPULATIONS:
        draw = draw_population(population, seed, **sizes)
        drawn_seed = population_seed(population, seed)
        where = f"{SECTION}.out_of_sample: the {population.name} draw (simulator seed {drawn_seed}"
        if is_drawn_from(draw, data.learners, data.tutors):
            raise ValueError(
                f"{where}) is the data of {data.folder} itself, generated with that seed, and "
                "would score the models on the rows they learned from; train with another seed "
                f"than {seed} (the data's own, {drawn_seed}, draws new populations), or set "
                "out_of_sample: false"
            )
        if draw[2].empty:  # no learner of the population's ages, or none with a session
            raise ValueError(
                f"{where}: {population.description}) holds no session at the data's size "
                f"({sizes['n_learners']} learners, {sizes['n_sessions']} sessions); generate "
                "more learners and sessions, or set out_of_sample: false"
            )
        draws[population.name] = draw
    return draws


def out_of_sample(
    models: Mapping[str, Any],
    baselines: Mapping[str, Mapping[str, Any]],
    features: Mapping[str, list[str]],
    draws: Mapping[str, Draw],
    seed: int,
    in_sample: Mapping[str, Mapping[str, Any]],
    on_stage: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Each model scored on every population in `POPULATIONS` (its ``draws``, from
    `population_draws`), with its Bayes reference there and the degradation: its ratio to the
    reference there (in expectation over the noise, as on the test set: `against_truth`)
    against the same ratio on the test set. Its fitted
    ``baselines`` (by model, then by name) are scored on the same draws, with their own ratio
    to the reference there: a forest's ratio that grows on a new population is read against
    what the mean and the linear model lose there."""
    report: dict[str, Any] = {}
    for population in POPULATIONS:
        on_stage(f"out of sample: {population.name}")
        tables = build_feature_tables(*draws[population.name], features)
        entry: dict[str, Any] = {"description": population.description}
        for name, model in models.items():
            X, y, groups = tables[name]
            metrics = ev.score(name, model, X, y)
            metrics.pop("confusion_matrix", None)
            entry[name] = {"rows": len(X), **metrics}
            if in_sample[name]["against_truth"]:
                entry[name]["bayes"] = bayes_reference(name, X, y)
                truth = against_truth(name, model, X, groups, seed=seed)
                entry[name]["against_truth"] = truth
                entry[name]["degradation"] = _degradation(name, metrics, truth, in_sample[name])
                entry[name]["baselines"] = {
                    b: {
                        **{k: v for k, v in ev.score(name, e, X, y).items() if k in metrics},
                        **baseline_against_truth(name, e, X),
                    }
                    for b, e in baselines[name].items()
                }
        report[population.name] = entry
    return report


def _degradation(name: str, oos: Mapping, truth: Mapping, in_sample: Mapping) -> dict[str, float]:
    ratio_in, ratio_out = in_sample["against_truth"]["ratio"], truth["ratio"]
    if ev.is_classifier_name(name):
        return {
            "share_of_bayes_accuracy": ratio_out,
            "change_vs_test": ratio_out - ratio_in,
            "accuracy_change": oos["accuracy"] - in_sample["test"]["accuracy"],
        }
    return {
        "mse_ratio_to_bayes": ratio_out,
        "change_vs_test": ratio_out - ratio_in,
        "mse_change": oos["mse"] - in_sample["test"]["mse"],
    }


def data_sha256(data_dir: str | Path) -> dict[str, str]:
    """sha256 of each table the models learn from, recorded in metrics.json so that the export
    can tell the data they learned from from other data in the same folder."""
    return {name: sha256_file(Path(data_dir) / FILES[name]) for name in TABLES}


def train_all(
    data_dir: str | Path,
    models_dir: str | Path,
    params: Mapping[str, Any] | None,
    seed: int,
    on_stage: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Train the three models from the CSVs of `data_dir`, save them to
    `{models_dir}/supervised/{name}.joblib` with `metrics.json`, and return the metrics as
    saved: strict JSON, where a metric without a value (R² of a one-row test set) is null.

    `params` is the `04_supervised_training` section (see SupervisedConfig); None uses defaults.
    The folder is replaced whole once everything is trained and scored: a training that fails or
    is stopped leaves the last one's models and metrics as they were, never a mix of the two.
    A model whose tables the simulator did not write as they are (a platform's export, an
    edited copy) gets its baselines but no Bayes reference, checks or out-of-sample scores:
    those are the simulator's truth, which holds only for its own draws (`simulator_data` says
    which models had it). ``on_stage`` hears each stage begin.
    """
    config = supervised_config(params)
    data = load_data(data_dir)
    tables = build_feature_tables(data.learners, data.tutors, data.sessions, config.features)
    hashes = data_sha256(data_dir)
    simulated = {
        name: simulator_wrote(Path(data_dir), {t: hashes[t] for t in SOURCE_TABLES[name]})
        for name in MODEL_NAMES
    }
    for name in MODEL_NAMES:  # every refusal the data settle, before any model trains
        training_split(name, tables[name], config, seed)
    scored_out_of_sample = config.out_of_sample and any(simulated.values())  # where truth holds
    draws = population_draws(data, seed) if scored_out_of_sample else {}
    models: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    report: dict[str, Any] = {
        "seed": seed,
        "data_dir": project_relative(data_dir),
        "data_sha256": hashes,
        "simulator_data": simulated,
        "test_size": config.test_size,
        "models": {},
    }
    for name in MODEL_NAMES:
        models[name], report["models"][name], baselines[name] = train_model(
            name, tables[name], config, seed, simulated=simulated[name], on_stage=on_stage
        )
    if scored_out_of_sample:  # the draws are the simulator's: no population for other data
        drawn = {name: model for name, model in models.items() if simulated[name]}
        report["out_of_sample"] = out_of_sample(
            drawn, baselines, config.features, draws, seed, report["models"], on_stage
        )
    text = strict_json(_json_ready(report))  # a metric without a value (R² of one row): null
    with atomic_directory(Path(models_dir) / "supervised") as folder:
        for name, model in models.items():
            joblib.dump(model, folder / f"{name}.joblib")
        (folder / "metrics.json").write_text(text, encoding="utf-8")
    return json.loads(text)


def load_models(models_dir: str | Path) -> dict[str, Any]:
    """The fitted pipelines saved by `train_all`, by model name."""
    folder = Path(models_dir) / "supervised"
    missing = [n for n in MODEL_NAMES if not (folder / f"{n}.joblib").is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder}: no saved model(s) {missing}; "
            "train them first (`aura train-supervised` or notebook 04)"
        )
    models = {}
    for name in MODEL_NAMES:
        path = folder / f"{name}.joblib"
        try:
            models[name] = joblib.load(path)
        except Exception as exc:  # unpickling a damaged file fails in many ways
            raise ValueError(
                f"{path} cannot be read as a saved model ({type(exc).__name__}: {exc}); "
                "train the models again (`aura train-supervised` or notebook 04)"
            ) from exc
    return models
