"""What makes an artifacts folder unservable, and that the service says so."""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aura.api.app import create_app
from aura.api.artifacts import ArtifactError, load_artifacts, verify_artifacts
from aura.api.observability import LOGGER_NAME
from aura.api.settings import Settings
from aura.export.manifest import models_version, read_manifest
from aura.files import sha256_file


@pytest.fixture
def copy(artifacts_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    shutil.copytree(artifacts_dir, folder)
    return folder


def edit_manifest(folder: Path, change) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def refused_at_startup(folder: Path, change, message: str) -> None:
    """The manifest edited by ``change`` is refused with ``message`` by the artifacts' check and
    by the service as it starts."""
    edit_manifest(folder, change)
    with pytest.raises(ArtifactError, match=re.escape(message)):
        verify_artifacts(folder)
    app = create_app(settings=Settings(artifacts_dir=folder))
    with pytest.raises(ArtifactError, match=re.escape(message)), TestClient(app):
        pass


def rewrite(folder: Path, file: str, content: bytes) -> None:
    """Replace one listed file and give the manifest its sha256 and the version that follows,
    as an export of that file would: every check on hashes passes."""
    (folder / file).write_bytes(content)
    digest = sha256_file(folder / file)

    def rehash(data: dict) -> None:
        for entry in [*data["models"].values(), data["tutor_pool"]]:
            if entry["file"] == file:
                entry["sha256"] = digest

    edit_manifest(folder, rehash)
    manifest = read_manifest(folder)
    version = models_version(manifest.models, manifest.tutor_pool)
    edit_manifest(folder, lambda d: d.update(version=version))
    verify_artifacts(folder)


def test_a_complete_export_verifies(artifacts_dir: Path) -> None:
    manifest = verify_artifacts(artifacts_dir)
    assert set(manifest.models) == {
        "compatibility",
        "difficulty",
        "engagement",
        "tutor_matching",
        "difficulty_adaptation",
    }


def test_an_exported_manifest_validates_against_the_committed_schema(artifacts_dir: Path) -> None:
    """Clients are pointed at docs/manifest.schema.json: the manifest an export writes must be
    valid by that file, not only by the pydantic models it is emitted from, with every file
    it lists of its recorded sha256 and size, and nothing else in the folder but the model card
    rendered from it."""
    import jsonschema

    from aura.config import PROJECT_ROOT

    schema = json.loads((PROJECT_ROOT / "docs" / "manifest.schema.json").read_text())
    manifest = json.loads((artifacts_dir / "manifest.json").read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(manifest)
    listed = {m["file"]: (m["sha256"], m["size_bytes"]) for m in manifest["models"].values()}
    for file, (digest, size) in listed.items():
        assert sha256_file(artifacts_dir / file) == digest
        assert (artifacts_dir / file).stat().st_size == size
    assert (
        sha256_file(artifacts_dir / manifest["tutor_pool"]["file"])
        == (manifest["tutor_pool"]["sha256"])
    )
    assert sorted(p.name for p in artifacts_dir.iterdir()) == sorted(
        [*listed, manifest["tutor_pool"]["file"], "manifest.json", "MODEL_CARD.md"]
    )


def test_a_missing_folder_names_the_command_that_writes_it(tmp_path: Path) -> None:
    """The message named notebook 06 and `aura run` (the whole pipeline, data included), not
    `aura export`, which writes the folder from the models already trained."""
    with pytest.raises(ArtifactError) as err:
        verify_artifacts(tmp_path / "nowhere")
    message = str(err.value)
    assert f"{tmp_path / 'nowhere'} does not exist; write it with `aura export --params" in message
    assert "`aura train-supervised` and `aura train-rl`" in message
    assert "AURA_ARTIFACTS" in message


def test_missing_manifest(copy: Path) -> None:
    (copy / "manifest.json").unlink()
    with pytest.raises(ArtifactError, match="no manifest.json"):
        verify_artifacts(copy)


def test_invalid_manifest_names_the_field(copy: Path) -> None:
    edit_manifest(copy, lambda d: d["models"]["difficulty"].pop("sha256"))
    with pytest.raises(ArtifactError, match=r"models\.difficulty\.sha256"):
        verify_artifacts(copy)


def test_a_model_the_endpoints_need_is_missing(copy: Path) -> None:
    edit_manifest(copy, lambda d: d["models"].pop("tutor_matching"))
    with pytest.raises(ArtifactError, match="'tutor_matching' \\(policy\\) is not in the manifest"):
        verify_artifacts(copy)


def test_a_missing_model_is_the_one_problem_named(copy: Path) -> None:
    """The version follows from the models listed, so one removed also changes it: that is the
    removal's consequence, not a second problem to chase, and is not named beside it."""
    edit_manifest(copy, lambda d: d["models"].pop("tutor_matching"))
    with pytest.raises(ArtifactError) as refused:
        verify_artifacts(copy)
    assert str(refused.value) == (
        f"artifacts in {copy} cannot be served: model 'tutor_matching' (policy) is not in the "
        "manifest"
    )


def test_a_model_of_the_wrong_kind_is_named(copy: Path) -> None:
    """An endpoint reads a classifier's probabilities or a policy's actions: a regressor in
    the difficulty model's place would answer nonsense, so the folder is refused."""
    edit_manifest(copy, lambda d: d["models"]["difficulty"].update(kind="regressor"))
    with pytest.raises(ArtifactError, match="'difficulty' is a regressor, expected a classifier"):
        verify_artifacts(copy)


def test_an_altered_model_fails_its_checksum(copy: Path) -> None:
    path = copy / "compatibility.onnx"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ArtifactError, match="compatibility.onnx fails its sha256 check"):
        verify_artifacts(copy)


def test_the_app_does_not_start_on_a_broken_folder(copy: Path) -> None:
    (copy / "difficulty.onnx").unlink()
    app = create_app(settings=Settings(artifacts_dir=copy))
    with pytest.raises(ArtifactError, match="difficulty.onnx"), TestClient(app):
        pass


def test_an_earlier_export_may_be_replaced_and_nothing_else(copy: Path, tmp_path: Path) -> None:
    """An export replaces its folder whole: only an earlier export (its manifest and the files
    it lists), an empty folder or none may go."""
    from aura.export.exporter import ExportError, check_replaceable

    check_replaceable(copy)
    check_replaceable(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    check_replaceable(tmp_path / "empty")
    (copy / "notes.txt").write_text("mine")
    (copy / "runs").mkdir()
    with pytest.raises(ExportError, match=r"holds notes\.txt, runs/ \(not in its manifest\.json\)"):
        check_replaceable(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ExportError, match=r"and no manifest\.json of an export"):
        check_replaceable(copy)
    assert (copy / "notes.txt").read_text() == "mine"
    with pytest.raises(ExportError, match=r"artifacts folder .*notes\.txt is a file"):
        check_replaceable(copy / "notes.txt")
    assert (copy / "notes.txt").read_text() == "mine"


def test_the_notebook_tables_show_every_model_and_policy(artifacts_dir: Path) -> None:
    """Notebook 06's tables of a manifest: each model with the parity it passed, each served
    policy beside the hand rule and the upper reference."""
    from aura.export.manifest import read_manifest
    from aura.export.report import parity_table, served_policies_table

    manifest = read_manifest(artifacts_dir)
    parity = parity_table(manifest).set_index("model")
    assert list(parity.index) == list(manifest.models)
    assert parity["passed"].all()
    assert parity.loc["tutor_matching", "parity check"].startswith("same action on >= 99.9% of")
    assert parity.loc["tutor_matching", "parity check"].endswith(
        "random and 2,000 episode observations, on all decided by > 1e-05"
    )
    recorded = manifest.models["difficulty_adaptation"].parity
    assert recorded["episode_rows"] == 2_000 and recorded["episode_decided_disagreements"] == 0
    assert parity.loc["difficulty", "parity check"] == "max |ONNX - sklearn| <= 1e-4"
    policies = served_policies_table(manifest)
    assert set(policies.index) == {"tutor_matching", "difficulty_adaptation"}
    # These stand-in policies were exported without results.json: no references to show.
    assert manifest.models["tutor_matching"].metrics["references"] == {}
    assert policies[["hand rule", "upper reference", "low", "high"]].isna().all().all()
    # With them, the served seed's interval and paired lead stand beside its score.
    interval = {"mean": 0.8, "low": 0.77, "high": 0.83, "n": 1, "covers": "episodes only"}
    lead = {"mean": 0.05, "low": 0.02, "high": 0.08, "n": 1, "covers": "episodes only"}
    selected = manifest.models["tutor_matching"].metrics["selected"]
    selected |= {"normalised": 0.8, "interval": interval, "lead_over_hand_rule": lead}
    row = served_policies_table(manifest).loc["tutor_matching"]
    assert (row["normalised score"], row["low"], row["high"]) == (0.8, 0.77, 0.83)
    assert (row["lead over hand rule"], row["lead low"], row["lead high"]) == (0.05, 0.02, 0.08)
    assert row["interval covers"] == "episodes only"


def test_a_manifest_claiming_another_version_is_refused(copy: Path) -> None:
    """Every response names its models by the version; a manifest edited to claim another
    set's would make that a lie."""
    edit_manifest(copy, lambda d: d.update(version="0123456789ab"))
    with pytest.raises(ArtifactError, match="version '0123456789ab' is not its files' version"):
        verify_artifacts(copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["models"]["engagement"]["inputs"].pop(),
            "model 'engagement': the manifest gives 5 inputs as 'input'; its ONNX file takes 6",
        ),
        (
            lambda d: d["models"]["difficulty"]["class_labels"].pop(),
            "model 'difficulty': the manifest gives 2 class labels; its ONNX file scores [3]",
        ),
        (
            lambda d: d["models"]["tutor_matching"]["outputs"][0].update(name="scores"),
            "model 'tutor_matching': its ONNX file has no output(s) ['scores']",
        ),
    ],
    ids=["inputs", "labels", "outputs"],
)
def test_a_manifest_that_does_not_describe_its_models_is_refused(
    copy: Path, change, message: str
) -> None:
    """An input removed from the manifest started the service, then answered every request to
    that model with a plain-text 500."""
    edit_manifest(copy, change)
    app = create_app(settings=Settings(artifacts_dir=copy))
    with pytest.raises(ArtifactError, match=re.escape(message)), TestClient(app):
        pass


def _denied(path: Path) -> PermissionError:
    return PermissionError(errno.EACCES, "Permission denied", str(path))


def test_a_folder_in_a_file_s_place_is_named(copy: Path) -> None:
    """A folder where the manifest or a model should be is named as such, not as missing."""
    (copy / "engagement.onnx").unlink()
    (copy / "engagement.onnx").mkdir()
    with pytest.raises(
        ArtifactError, match=r"engagement\.onnx is listed in the manifest but is not"
    ):
        verify_artifacts(copy)
    (copy / "manifest.json").unlink()
    (copy / "manifest.json").mkdir()
    with pytest.raises(ArtifactError, match=r"manifest\.json is not a file: the export is damaged"):
        verify_artifacts(copy)


@pytest.mark.parametrize("file", ["manifest.json", "tutor_matching.onnx", "tutor_pool.json"])
def test_a_file_that_cannot_be_read_is_named_with_the_reason(
    copy: Path, file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PermissionError (a file of another user, chmod 000) is no ArtifactError: it ended
    `aura serve` and a reload's new worker in a traceback. As root, which reads any file, the
    read is made to fail as it does for other users."""
    import aura.api.artifacts as artifacts

    def refuse(read):
        def reading(path: Path, *args, **kwargs):
            target = path / "manifest.json" if path.is_dir() else path
            if target.name == file:
                raise _denied(target)
            return read(path, *args, **kwargs)

        return reading

    monkeypatch.setattr(artifacts, "read_manifest", refuse(artifacts.read_manifest))
    monkeypatch.setattr(artifacts, "sha256_file", refuse(artifacts.sha256_file))
    expected = (
        f"{copy / file} cannot be read (Permission denied)"
        if file == "manifest.json"
        else f"artifacts in {copy} cannot be served: {file} cannot be read (Permission denied)"
    )
    with pytest.raises(ArtifactError) as err:
        verify_artifacts(copy)
    assert str(err.value) == expected


def test_a_folder_that_cannot_be_looked_at_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a parent folder without permission to look in (another user's home), the check
    whether the folder is one raised the PermissionError."""
    folder = tmp_path / "artifacts"

    def refuse(path: Path) -> bool:
        raise _denied(path)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "is_dir", refuse)
        with pytest.raises(ArtifactError) as err:
            verify_artifacts(folder)
    assert str(err.value) == f"artifacts folder {folder} cannot be read (Permission denied)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_file_without_read_permission_is_named(copy: Path) -> None:
    (copy / "difficulty.onnx").chmod(0)
    with pytest.raises(ArtifactError, match=r"difficulty\.onnx cannot be read \(Permission denied"):
        verify_artifacts(copy)


def test_a_tutor_pool_made_unreadable_after_its_check_is_named(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool is read again when the models load, after `verify_artifacts`."""
    import aura.api.artifacts as artifacts

    def refuse(path: Path, **_) -> None:
        raise _denied(path)

    monkeypatch.setattr(artifacts, "load_pool", refuse)
    app = create_app(settings=Settings(artifacts_dir=copy))
    message = f"artifacts in {copy} cannot be served: tutor_pool.json cannot be read (Permission"
    with pytest.raises(ArtifactError, match=re.escape(message)), TestClient(app):
        pass


def _rename_input(data: dict, model: str, old: str, new: str) -> None:
    for feature in data["models"][model]["inputs"]:
        if feature["name"] == old:
            feature["name"] = new


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _rename_input(d, "tutor_matching", "learning_style", "style"),
            "model 'tutor_matching': the manifest gives no input(s) ['learning_style'], by which "
            "the strategies rank tutors",
        ),
        (
            lambda d: d["tutor_pool"]["pair_features"].pop("rating"),
            "model 'compatibility': tutor_pool.pair_features gives no source for input(s) "
            "['rating']",
        ),
        (
            lambda d: _rename_input(d, "tutor_matching", "age", "years"),
            "model 'compatibility': input(s) ['age'] read the learner's ['age'], which the "
            "manifest gives no 'tutor_matching' input",
        ),
    ],
    ids=["ranking", "pair-source", "learner-source"],
)
def test_a_manifest_without_an_input_tutor_matching_reads_is_refused(
    copy: Path, change, message: str
) -> None:
    """The sha256 checks pass (the version covers the files, not the manifest's inputs): the
    first two raised a ValueError or KeyError while the service was built, a startup traceback
    without the one-line message; the last answered every tutor-match request with a 500."""
    refused_at_startup(copy, change, message)


def _add_subject(data: dict) -> None:
    for feature in data["models"]["tutor_matching"]["inputs"]:
        if feature["name"] == "subject_preference":
            feature["categories"].append("art")
            feature["normalisation"]["values"].append(1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["tutor_pool"].update(strategies=d["tutor_pool"]["strategies"][:2]),
            "tutor_pool.strategies names 2 strategies; model 'tutor_matching' has 5 actions",
        ),
        (
            lambda d: d["tutor_pool"]["strategies"].append("newest"),
            "tutor_pool.strategies names 6 strategies; model 'tutor_matching' has 5 actions",
        ),
        (
            lambda d: d["models"]["difficulty"].update(class_labels=None),
            "model 'difficulty' (classifier) has no class_labels",
        ),
        (
            lambda d: d["models"]["difficulty_adaptation"].update(class_labels=None),
            "model 'difficulty_adaptation' (policy) has no class_labels",
        ),
        (
            lambda d: d["models"]["difficulty"].update(
                class_labels=["Beginner", "Beginner", "Advanced"]
            ),
            "model 'difficulty': class_labels give ['Beginner'] twice",
        ),
        (
            lambda d: d["tutor_pool"].update(languages=["english"] * 4),
            "tutor_pool.languages gives ['english'] twice",
        ),
        (
            _add_subject,
            "model 'tutor_matching': input 'subject_preference' has categories ['math', "
            "'science', 'english', 'history', 'coding', 'art'], not tutor_pool.subjects",
        ),
        (
            lambda d: d["tutor_pool"]["time_slots"].reverse(),
            "model 'tutor_matching': input 'time_preference' has categories ['morning', "
            "'afternoon', 'evening', 'weekend'], not tutor_pool.time_slots ['weekend',",
        ),
    ],
    ids=[
        "fewer-strategies",
        "more-strategies",
        "no-levels",
        "no-actions",
        "level-twice",
        "language-twice",
        "subject-not-in-pool",
        "slots-reordered",
    ],
)
def test_labels_and_vocabularies_that_disagree_with_the_models_are_refused(
    copy: Path, change, message: str
) -> None:
    """The sha256 checks pass (the version covers the files, not the manifest's labels). Fewer
    strategies than the policy has actions, labels missing or a subject the pool lacks answered
    every request to the endpoint with a 500; more strategies stopped the service in a
    traceback; a label or language given twice, or a vocabulary in another order, was served as
    wrong answers (a confidence of one level, tutors ranked for another time)."""
    refused_at_startup(copy, change, message)


def _input(data: dict, model: str, name: str) -> dict:
    return next(f for f in data["models"][model]["inputs"] if f["name"] == name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _input(d, "engagement", "duration_hours").update(low=float("nan")),
            "model 'engagement' input 'duration_hours': bounds [nan, 4.0] are not finite numbers",
        ),
        (
            lambda d: _input(d, "compatibility", "age").update(low=7.5),
            "model 'compatibility' input 'age': bounds [7.5, 18.0] of an integer input are not "
            "64-bit whole numbers",
        ),
        (
            lambda d: _input(d, "compatibility", "age").update(high=2.0**63),
            "model 'compatibility' input 'age': bounds [8.0, 9.223372036854776e+18] of an "
            "integer input are not 64-bit whole numbers",
        ),
        (
            lambda d: _input(d, "engagement", "duration_hours").update(low=4.0, high=0.25),
            "model 'engagement' input 'duration_hours': low 4.0 is above high 0.25",
        ),
        (
            lambda d: _input(d, "tutor_matching", "learning_style").update(categories=[]),
            "model 'tutor_matching' input 'learning_style': a category input with no categories",
        ),
        (
            lambda d: _input(d, "tutor_matching", "learning_style").update(
                categories=["visual", "visual", "reading_writing", "kinesthetic"]
            ),
            "model 'tutor_matching' input 'learning_style': categories give ['visual'] twice",
        ),
        (
            lambda d: _input(d, "tutor_matching", "subject_preference")["normalisation"].update(
                values=[0.0, 0.5]
            ),
            "model 'tutor_matching' input 'subject_preference': its lookup normalisation has 2 "
            "values for 5 categories",
        ),
        (
            lambda d: _input(d, "tutor_matching", "subject_preference")["normalisation"].update(
                values=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
            ),
            "model 'tutor_matching' input 'subject_preference': its lookup normalisation has 6 "
            "values for 5 categories",
        ),
        (
            lambda d: _input(d, "tutor_matching", "age")["normalisation"].update(high=8.0),
            "model 'tutor_matching' input 'age': its minmax normalisation [8.0, 8.0] is no "
            "finite, non-empty range",
        ),
        (
            lambda d: _input(d, "engagement", "attention_span_minutes").update(
                name="duration_hours"
            ),
            "model 'engagement': inputs ['duration_hours'] are given twice",
        ),
    ],
    ids=[
        "nan-bound",
        "fractional-integer-bound",
        "integer-bound-past-64-bits",
        "inverted-range",
        "no-categories",
        "category-twice",
        "short-lookup",
        "long-lookup",
        "zero-width-minmax",
        "input-twice",
    ],
)
def test_inputs_a_request_cannot_be_validated_against_are_refused(
    copy: Path, change, message: str
) -> None:
    """The sha256 checks pass (the version covers the files, not the manifest's inputs). A NaN
    or fractional integer bound, an empty vocabulary or a zero-width min-max stopped the service
    in a traceback while the record types were built; an inverted range or an input given twice
    refused every request to the endpoint; a lookup short of values answered the last
    categories with a 500; a category given twice was served as another."""
    refused_at_startup(copy, change, message)


def test_a_range_of_one_value_is_served(copy: Path) -> None:
    """A range whose low equals its high holds one value: the folder verifies, that value is
    answered and any other refused (only a low above the high leaves no value)."""
    edit_manifest(
        copy, lambda d: _input(d, "engagement", "duration_hours").update(low=1.0, high=1.0)
    )
    verify_artifacts(copy)
    record = {f.name: f.low for f in read_manifest(copy).models["engagement"].inputs}
    with TestClient(create_app(settings=Settings(artifacts_dir=copy))) as client:
        served = client.post("/api/ml/predict/engagement", json=record)
        assert served.status_code == 200, served.text
        refused = client.post("/api/ml/predict/engagement", json={**record, "duration_hours": 1.5})
        assert [f["field"] for f in refused.json()["fields"]] == ["body.duration_hours"]


def test_a_service_that_cannot_be_built_is_logged_as_a_failed_startup(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the service from loaded models was outside the startup's logged failures: an
    error there left no `startup failed` line, only uvicorn's traceback."""
    import aura.api.app as api

    def fail(*_) -> None:
        raise RuntimeError("cannot build")

    monkeypatch.setattr(api, "Service", fail)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    app = create_app(settings=Settings(artifacts_dir=artifacts_dir))
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    try:
        with pytest.raises(RuntimeError, match="cannot build"), TestClient(app):
            pass
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == ["startup failed: cannot build"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda _: b"not a model", "INVALID_PROTOBUF"),
        (lambda data: data[: len(data) // 2], "INVALID_PROTOBUF"),
        (lambda _: b"", "No graph was found in the protobuf"),
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_a_model_onnxruntime_cannot_load_is_named(copy: Path, content, reason: str) -> None:
    """With its sha256 and the version recomputed, the checks pass a model file that is no
    ONNX model; onnxruntime's error ended `aura serve`'s worker, and a reload's, in a
    traceback. Its first line is the reason, without the parser's internals."""
    rewrite(copy, "difficulty.onnx", content((copy / "difficulty.onnx").read_bytes()))
    with pytest.raises(ArtifactError) as err:
        load_artifacts(copy)
    message = str(err.value)
    assert message.startswith(
        f"artifacts in {copy} cannot be served: difficulty.onnx is not a model onnxruntime can "
        "load ([ONNXRuntimeError]"
    )
    assert reason in message
    assert "\n" not in message
    app = create_app(settings=Settings(artifacts_dir=copy))
    with pytest.raises(ArtifactError, match=re.escape(message)), TestClient(app):
        pass


def _pool(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    """A pool file's content with ``change`` made to its JSON."""

    def edit(content: bytes) -> bytes:
        data = json.loads(content)
        change(data)
        return json.dumps(data).encode()

    return edit


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda _: b"{not json",
            "tutor pool file: Invalid JSON: key must be a string at line 1 column 2",
        ),
        (lambda _: b"[]", "tutor pool file: Input should be an object"),
        (_pool(lambda d: d.pop("rating")), "tutor pool column 'rating': Field required"),
        (
            _pool(lambda d: d.update(language="en")),
            "tutor pool column 'language': Input should be a valid array",
        ),
        (
            _pool(lambda d: d["years_experience"].__setitem__(0, "ten")),
            "tutor pool column 'years_experience', value at index 0: Input should be a valid "
            "number",
        ),
        (
            _pool(lambda d: d["rating"].__setitem__(0, None)),
            "tutor pool column 'rating', value at index 0: Input should be a valid number",
        ),
        (
            _pool(lambda d: d["subjects"].__setitem__(0, "math")),
            "tutor pool column 'subjects', value at index 0: Input should be a valid array",
        ),
        (
            _pool(lambda d: d["teaching_style"].__setitem__(0, 3)),
            "tutor pool column 'teaching_style', value at index 0: Input should be a valid string",
        ),
        (
            _pool(lambda d: d["communication_rating"].pop()),
            "tutor pool file: column 'communication_rating' has 24 values, not 25",
        ),
        (
            _pool(lambda d: d["expertise"].pop("math")),
            "tutor pool column 'expertise' has no subject(s) ['math']",
        ),
        (
            _pool(lambda d: d["expertise"].update(math={})),
            "tutor pool column 'expertise.math': Input should be a valid array",
        ),
        (
            _pool(lambda d: d["rating"].__setitem__(0, float("nan"))),
            "tutor pool column 'rating', value at index 0: Input should be a finite number",
        ),
        (
            _pool(lambda d: d["expertise"]["math"].__setitem__(3, float("inf"))),
            "tutor pool column 'expertise.math', value at index 3: Input should be a finite number",
        ),
        (
            _pool(lambda d: d.update({k: {} if k == "expertise" else [] for k in d})),
            "tutor pool file: it holds no tutors",
        ),
        (
            _pool(lambda d: d["tutor_id"].__setitem__(1, d["tutor_id"][0])),
            "tutor pool file: column 'tutor_id' gives [",
        ),
    ],
    ids=[
        "syntax",
        "not-object",
        "missing",
        "not-list",
        "string",
        "null",
        "not-lists",
        "not-strings",
        "length",
        "subject",
        "expertise-type",
        "nan",
        "infinity",
        "no-tutors",
        "id-twice",
    ],
)
def test_a_tutor_pool_that_is_no_pool_is_named(copy: Path, edit, reason: str) -> None:
    """With its sha256 and the version recomputed, the checks pass a pool file that is valid
    JSON but lacks a column or holds the wrong type: a KeyError or TypeError ended `aura
    serve`'s worker, and a reload's, in a traceback naming neither the file nor the column.
    A null was read as NaN and served, as a NaN was (no tutor ranked); a pool without tutors
    answered one-record tutor-match requests with a 500; an id twice named two tutors alike."""
    rewrite(copy, "tutor_pool.json", edit((copy / "tutor_pool.json").read_bytes()))
    prefix = f"artifacts in {copy} cannot be served: tutor_pool.json is not a valid tutor pool ("
    with pytest.raises(ArtifactError) as err:
        load_artifacts(copy)
    assert str(err.value).startswith(prefix)
    assert reason in str(err.value)
    app = create_app(settings=Settings(artifacts_dir=copy))
    with pytest.raises(ArtifactError, match=re.escape(str(err.value))), TestClient(app):
        pass
