"""MODEL_CARD.md: written by the export from its manifest alone, a section per model, its numbers
the manifest's, and what the manifest lacks said to be missing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aura.export.manifest import MANIFEST_FILE, Manifest, read_manifest
from aura.export.model_card import MODEL_CARD_FILE, NOT_RECORDED, model_card, number

SEED = 5
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _feature(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "dtype": "float", "low": 0.0, "high": 1.0, "description": name} | kw


def _entry(kind: str, name: str, inputs: list[dict[str, Any]], metrics: dict[str, Any]) -> dict:
    return {
        "kind": kind,
        "file": f"{name}.onnx",
        "sha256": "ab" * 32,
        "size_bytes": 1234,
        "source": f"models/{name}",
        "input_name": "input",
        "inputs": inputs,
        "outputs": [{"name": "variable", "description": "(rows, 1) predicted score."}],
        "metrics": metrics,
    }


FOREST_METRICS = {
    "target": "compatibility_score",
    "simulator_data": True,
    "rows": {"train": 1590, "test": 409},
    "learners": {"train": 800, "test": 200},
    "test": {"mse": 0.019157872156558366, "mae": 0.10901490581753874, "r2": 0.29954551574541965},
    "baselines": {
        "mean": {"mse": 0.027351695013767996, "mae": 0.1329590499681603, "r2": -3.89e-05},
        "linear": {"mse": 0.01974296752111966, "mae": 0.11109194124284072, "r2": 0.2781531257},
    },
    "bayes": {"bayes_mse": 0.018860940664021185, "bayes_realised_mae": 0.10655597271395804},
    "against_truth": {"ratio": 1.032242129006965, "ratio_low": 1.0290708, "ratio_high": 1.03556},
    "checks": {"mse_below_0.1": True, "mse_ratio_to_bayes": 1.032242129006965},
}
POLICY_METRICS = {
    "selected": {
        "algo": "ppo",
        "seed_index": 0,
        "normalised": 0.8306060399526844,
        "interval": {"mean": 0.8306060399526844, "low": 0.8038429, "high": 0.857369, "n": 1},
        "lead_over_hand_rule": {"mean": 0.0543899361551593, "low": 0.0267062, "high": 0.0820736},
    },
    "references": {
        "random": 9.40227154283997,
        "oracle": 9.765999480357129,
        "hand_rule": 9.684603025341849,
        "hand_rule_name": "fixed:balanced",
        "hand_rule_normalised": 0.7762161037975251,
        "baselines": {"random": {"normalised": 0.0}, "oracle": {"normalised": 1.0}},
        "episode_returns": {"random": [1.0, 2.0, 3.0], "oracle": [2.0, 3.0, 4.0]},
    },
    "normalised": {"mean": 0.8430636991057322, "low": 0.8099018058, "high": 0.876225592, "n": 3},
    "environment_options": {},
}


def manifest(**models: dict[str, Any]) -> Manifest:
    """A manifest of ``models`` (a regressor and a policy unless given)."""
    models = models or {
        "compatibility": _entry(
            "regressor",
            "compatibility",
            [_feature("age", dtype="integer", low=8.0, high=18.0), _feature("rating")],
            FOREST_METRICS,
        ),
        "tutor_matching": _entry(
            "policy",
            "tutor_matching",
            [
                _feature("age"),
                _feature(
                    "learning_style",
                    dtype="category",
                    low=None,
                    high=None,
                    categories=["visual", "auditory"],
                ),
            ],
            POLICY_METRICS,
        ),
    }
    return Manifest.model_validate(
        {
            "version": "0123456789ab",
            "created_at": datetime(2026, 12, 7, tzinfo=UTC).isoformat(),
            "git_commit": "c0ffee" * 6 + "abcd",
            "git_dirty": False,
            "data_sha256": {"learners": "1" * 64},
            "params": {"seed": 1},
            "libraries": {"aura": "0.1.0", "numpy": "2.4.6"},
            "models": models,
            "tutor_pool": {
                "file": "tutor_pool.json",
                "sha256": "cd" * 32,
                "n_tutors": 3,
                "subjects": ["math"],
                "time_slots": ["morning"],
                "learning_styles": ["visual"],
                "languages": ["english"],
                "strategies": ["balanced"],
                "pair_features": {},
            },
        }
    )


def sections(card: str) -> dict[str, str]:
    """The card's text by model: each ``## name`` section up to the next."""
    parts = re.split(r"^## (\S+)\n", card, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def subsection(section: str, title: str) -> str:
    return section.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]


def scalars(value: Any) -> list[Any]:
    """Every number in a (nested) manifest value."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in scalars(v)]
    if isinstance(value, list):
        return [x for v in value for x in scalars(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_the_card_has_a_section_per_manifest_model_and_provenance() -> None:
    m = manifest()
    card = model_card(m)
    by_model = sections(card)
    assert list(by_model) == [*m.models, "Provenance"]
    for name, entry in m.models.items():
        for title in ("Intended use and limitations", "Inputs and outputs", "Training data"):
            assert f"### {title}\n" in by_model[name]
        assert "has not been validated on real learners" in by_model[name]
        assert "no fairness analysis across groups" in by_model[name]
        assert entry.file in by_model[name]
    provenance = by_model["Provenance"]
    assert m.version in provenance and m.git_commit in provenance
    assert "uncommitted changes: no" in provenance and "2026-12-07T00:00:00+00:00" in provenance


def test_every_number_in_the_evaluation_is_a_manifest_value_as_formatted() -> None:
    m = manifest()
    by_model = sections(model_card(m))
    for name, entry in m.models.items():
        evaluation = subsection(by_model[name], "Evaluation")
        written = NUMBER.findall(re.sub(r"`[^`]*`", "", evaluation))
        recorded = {number(v) for v in scalars(entry.metrics)}
        assert written and set(written) <= recorded, (name, set(written) - recorded)
    forest = subsection(by_model["compatibility"], "Evaluation")
    for metric, value in FOREST_METRICS["test"].items():
        row = next(line for line in forest.splitlines() if line.startswith(f"| `{metric}` |"))
        assert row.split(" | ")[1] == number(value)
    mse = next(line for line in forest.splitlines() if line.startswith("| `mse` |"))
    assert number(FOREST_METRICS["bayes"]["bayes_mse"]) in mse
    assert number(FOREST_METRICS["baselines"]["linear"]["mse"]) in mse
    policy = subsection(by_model["tutor_matching"], "Evaluation")
    selected = POLICY_METRICS["selected"]
    interval = selected["interval"]
    assert (
        f"{number(selected['normalised'])} [{number(interval['low'])}, {number(interval['high'])}]"
        in policy
    )
    hand = next(line for line in policy.splitlines() if line.startswith("| hand rule |"))
    assert number(POLICY_METRICS["references"]["hand_rule_normalised"]) in hand
    assert "fixed:balanced" in hand


def test_the_input_table_has_a_row_per_manifest_input() -> None:
    m = manifest()
    by_model = sections(model_card(m))
    for name, entry in m.models.items():
        table = [
            line
            for line in subsection(by_model[name], "Inputs and outputs").splitlines()
            if line.startswith("| `")
        ]
        assert [row.split("`")[1] for row in table] == [f.name for f in entry.inputs]
    rows = subsection(by_model["tutor_matching"], "Inputs and outputs")
    assert "| `learning_style` | category | visual, auditory |" in rows
    assert "| `age` | integer | 8 to 18 |" in subsection(
        by_model["compatibility"], "Inputs and outputs"
    )


def test_a_manifest_without_optional_records_gives_a_card_that_says_what_is_missing() -> None:
    """A forest exported without metrics, one from a platform's tables with no Bayes floor, and a
    policy exported without results.json: each card says so instead of failing."""
    bare = {k: v for k, v in FOREST_METRICS.items() if k not in ("bayes", "against_truth")}
    m = manifest(
        unscored=_entry("regressor", "unscored", [_feature("age")], {}),
        platform=_entry(
            "regressor", "platform", [_feature("age")], bare | {"simulator_data": False}
        ),
        tutor_matching=_entry("policy", "tutor_matching", [_feature("age")], {}),
    )
    by_model = sections(model_card(m))
    assert "No held-out scores are recorded" in by_model["unscored"]
    assert f"Target: {NOT_RECORDED}" in by_model["unscored"]
    assert "No Bayes (noise) floor is recorded" in by_model["platform"]
    assert "tables the simulator did not write" in by_model["platform"]
    assert "No held-out scores or references are recorded" in by_model["tutor_matching"]
    assert f"Environment options: {NOT_RECORDED}" in by_model["tutor_matching"]


@pytest.fixture(scope="module")
def small_export(tmp_path_factory: pytest.TempPathFactory):
    """The pieces of a one-forest export: the compatibility forest with few trees on a small
    simulated dataset, and its tutor pool."""
    from aura.data.loading import load_table
    from aura.export.exporter import ForestExport, PoolExport
    from aura.export.supervised import PAIR_SOURCES, forest_features
    from aura.sim import vocab
    from aura.sim.io import FILES, write_datasets
    from aura.supervised import FEATURES, load_feature_tables, make_pipeline

    data = tmp_path_factory.mktemp("data")
    write_datasets(data, seed=SEED, n_learners=200, n_tutors=10, n_sessions=600)
    X, y, _ = load_feature_tables(data)["compatibility"]
    model = make_pipeline(
        "compatibility", FEATURES["compatibility"], {"n_estimators": 3}, seed=SEED
    )
    forest = ForestExport(
        name="compatibility",
        model=model.fit(X, y),
        features=forest_features(FEATURES["compatibility"]),
        holdout=X.iloc[:50],
        source="supervised/compatibility.joblib",
        metrics=FOREST_METRICS,
    )
    pool = PoolExport(
        tutors=load_table(data / FILES["tutors"], "tutors"),
        subjects=list(vocab.SUBJECTS),
        time_slots=list(vocab.TIME_SLOTS),
        learning_styles=list(vocab.LEARNING_STYLES),
        languages=list(vocab.LANGUAGES),
        strategies=list(vocab.STRATEGIES),
        pair_features={f: PAIR_SOURCES[f] for f in FEATURES["compatibility"]},
    )
    return forest, pool, {"learners": data / FILES["learners"]}


def export(target: Path, small_export, params: dict[str, Any]) -> Manifest:
    from aura.export.exporter import export_artifacts

    forest, pool, data_files = small_export
    return export_artifacts(
        target,
        forests=[forest],
        policies=[],
        pool=pool,
        data_files=data_files,
        params=params,
        git={"commit": None, "dirty": None},
        libraries={"aura": "0.1.0"},
    )


def test_the_export_writes_the_card_of_its_manifest_and_rewrites_it(
    small_export, tmp_path: Path
) -> None:
    """The card beside manifest.json is the manifest's, and a re-export over the folder (which
    must accept the card as its own) writes the new manifest's card."""
    target = tmp_path / "artifacts"
    export(target, small_export, {"seed": 1})
    first = (target / MODEL_CARD_FILE).read_text(encoding="utf-8")
    assert first == model_card(read_manifest(target))
    export(target, small_export, {"seed": 2})
    second = (target / MODEL_CARD_FILE).read_text(encoding="utf-8")
    assert second == model_card(read_manifest(target)) != first
    assert '- Params: {"seed": 2}' in second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_a_refused_or_interrupted_export_leaves_the_last_card_and_no_half_written_one(
    small_export, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused over the size limit, or stopped by Ctrl-C while the card is rendered, the export
    leaves the last folder as it was (its card included) and nothing beside it."""
    from aura.export import exporter

    target = tmp_path / "artifacts"
    export(target, small_export, {"seed": 1})
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    assert MANIFEST_FILE in before and MODEL_CARD_FILE in before
    with monkeypatch.context() as patch:
        patch.setattr(exporter, "MAX_TOTAL_BYTES", 1)
        with pytest.raises(exporter.ExportError, match="artifacts total"):
            export(target, small_export, {"seed": 2})

    def interrupted(manifest: Manifest) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(exporter, "model_card", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(target, small_export, {"seed": 3})
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_aura_export_names_the_model_card_among_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """`aura export` listed each model's file and not the card it wrote beside them."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    import aura.export.pipeline as pipeline
    from aura.cli import app
    from aura.config import PARAMS_DIR

    forest = SimpleNamespace(
        file="compatibility.onnx",
        size_bytes=2**20,
        parity={"rows": 10.0, "max_abs_diff": 1e-7},
        kind="regressor",
        metrics={},
    )
    exported = SimpleNamespace(models={"compatibility": forest}, version="abc")
    monkeypatch.setattr(pipeline, "export_run", lambda *args, **kwargs: exported)
    result = CliRunner().invoke(app, ["export", "--params", str(PARAMS_DIR / "smoke.yaml")])
    assert result.exit_code == 0, result.output
    assert f"model card: {MODEL_CARD_FILE}, written from the manifest" in result.output


def test_a_policy_s_actions_are_a_paragraph_of_their_own() -> None:
    """Written on the line after the outputs' list, the actions read as part of its last item
    ("softmax of the logits. Actions, in output column order: ...") on a rendered page."""
    import mistune

    outputs = [
        {"name": "logits", "description": "(rows, actions) unnormalised action scores."},
        {"name": "probabilities", "description": "(rows, actions) softmax of the logits."},
    ]
    entry = _entry("policy", "tutor_matching", [_feature("age")], POLICY_METRICS) | {
        "outputs": outputs,
        "class_labels": ["best_rating", "balanced"],
    }
    page = mistune.html(model_card(manifest(tutor_matching=entry)))
    items = re.findall(r"<li>(.*?)</li>", page, flags=re.S)
    assert not [item for item in items if "output column order" in item]
    assert re.search(r"<p>Actions, in output column order: [a-z_, ]+\.</p>", page)


def test_counts_are_written_with_thousands_separators_as_the_reports_write_them() -> None:
    card = model_card(manifest())
    assert "- Rows: 1,590 train, 409 held out; learners: 800 train, 200 held out" in card
    assert "(1,234 bytes, sha256 abababababab)" in card
    assert number(15905) == "15,905" and number(7) == "7" and number(True) == "yes"


def test_the_card_names_the_manifest_it_is_written_from_wherever_it_is_read() -> None:
    """The card said it was written from "`manifest.json` beside this file": true of
    MODEL_CARD.md, but not of notebook 06's report, which shows the card too."""
    opening = model_card(manifest(), level=3).split("\n\n")[1]
    assert opening.startswith(
        f"Written from `{MANIFEST_FILE}` in the export's folder (beside `{MODEL_CARD_FILE}`), "
        "which `GET /api/ml/models` serves;"
    )
    assert "this file" not in model_card(manifest())


def test_a_card_shown_under_a_page_s_sections_starts_at_the_level_given() -> None:
    """Notebook 06 shows the card under its own title and sections: started at level 1, the
    report would have held two top headings, and headings out of order."""
    m = manifest()
    headings = [line for line in model_card(m, level=3).splitlines() if line.startswith("#")]
    levels = {line.split(" ", 1)[1]: len(line.split(" ", 1)[0]) for line in headings}
    assert levels[f"Model cards: AURA export {m.version}"] == 3
    assert [levels[name] for name in m.models] == [4] * len(m.models)
    assert levels["Provenance"] == 4
    assert {levels[part] for part in ("Intended use and limitations", "Evaluation")} == {5}
    assert model_card(m) == model_card(m, level=1)
    assert model_card(m, level=3).split("\n", 1)[1] == model_card(m).split("\n", 1)[1].replace(
        "\n#", "\n###"
    )
    with pytest.raises(ValueError, match="level must be 1 to 4"):
        model_card(m, level=5)


def test_every_endpoint_the_card_names_is_a_route_of_the_service() -> None:
    """The card names the endpoints in words (`aura.export` does not import the service); a
    route renamed in `aura.api.app` would leave the card pointing at nothing."""
    from aura.api.app import create_app
    from aura.api.settings import Settings
    from aura.export.model_card import ENDPOINTS

    app = create_app(settings=Settings(artifacts_dir=Path("never-read")))
    routes = {(m, r.path) for r in app.routes for m in getattr(r, "methods", None) or ()}
    named = re.findall(
        r"`(GET|POST) (/[^`]*)`", "\n".join([*ENDPOINTS.values(), model_card(manifest())])
    )
    assert {path for _, path in named} >= {
        f"/api/ml/predict/{e}" for e in ("difficulty", "tutor-match")
    }
    assert not set(named) - routes, sorted(set(named) - routes)
