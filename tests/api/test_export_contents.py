"""What an export writes is what its manifest says, checked against the files and the native
models directly: hashes and sizes by hashlib on the bytes, the tutor count and data hashes by
reading the data, each ONNX output by its name against scikit-learn and torch."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import torch
from stable_baselines3 import PPO

from aura.api.artifacts import ArtifactError, verify_artifacts
from aura.export.manifest import models_version, read_manifest

ROWS = 64


def session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])


def test_every_listed_file_has_the_hash_and_size_of_its_bytes(artifacts_dir: Path) -> None:
    manifest = read_manifest(artifacts_dir)
    for name, entry in manifest.models.items():
        content = (artifacts_dir / entry.file).read_bytes()
        assert entry.file == f"{name}.onnx"
        assert entry.sha256 == hashlib.sha256(content).hexdigest(), name
        assert entry.size_bytes == len(content), name
    pool = (artifacts_dir / "tutor_pool.json").read_bytes()
    assert manifest.tutor_pool.file == "tutor_pool.json"
    assert manifest.tutor_pool.sha256 == hashlib.sha256(pool).hexdigest()


def test_the_data_and_tutor_count_are_those_the_models_learned_from(artifacts_dir: Path) -> None:
    manifest = read_manifest(artifacts_dir)
    data_dir = artifacts_dir.parent / "data"
    files = {"learners": "learners_data.csv", "tutors": "tutors_data.csv"}
    files["sessions"] = "sessions_data.csv"
    assert manifest.data_sha256 == {
        name: hashlib.sha256((data_dir / file).read_bytes()).hexdigest()
        for name, file in files.items()
    }
    with (data_dir / "tutors_data.csv").open(newline="") as f:
        tutors = list(csv.DictReader(f))
    assert manifest.tutor_pool.n_tutors == len(tutors) == 25  # smoke_artifacts' n_tutors
    pool = json.loads((artifacts_dir / "tutor_pool.json").read_text())
    assert pool["tutor_id"] == [int(t["tutor_id"]) for t in tutors]
    for column in ("years_experience", "rating", "communication_rating"):
        assert pool[column] == pytest.approx([float(t[column]) for t in tutors], rel=1e-12)


def test_the_version_changes_with_the_bytes_of_any_file(artifacts_dir: Path) -> None:
    """The version names the exact files: a model or a pool of other bytes is another version,
    though it keeps its file name."""
    manifest = read_manifest(artifacts_dir)
    version = models_version(manifest.models, manifest.tutor_pool)
    assert version == manifest.version and len(version) == 12
    other = hashlib.sha256(b"other bytes").hexdigest()
    for name, entry in manifest.models.items():
        changed = {**manifest.models, name: entry.model_copy(update={"sha256": other})}
        assert models_version(changed, manifest.tutor_pool) != version, name
    pool = manifest.tutor_pool.model_copy(update={"sha256": other})
    assert models_version(manifest.models, pool) != version


def test_an_altered_tutor_pool_fails_its_checksum(artifacts_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "artifacts"
    shutil.copytree(artifacts_dir, copy)
    path = copy / "tutor_pool.json"
    path.write_bytes(path.read_bytes() + b"\n")  # the same pool, as JSON, in other bytes
    with pytest.raises(ArtifactError, match="tutor_pool.json fails its sha256 check"):
        verify_artifacts(copy)


def test_the_difficulty_classes_are_the_data_s_level_names(artifacts_dir: Path) -> None:
    """The levels of docs/data.md, in the order of the probability columns, not class codes."""
    entry = read_manifest(artifacts_dir).models["difficulty"]
    assert entry.class_labels == ["Beginner", "Intermediate", "Advanced"]


def feature_rows(artifacts_dir: Path, name: str, columns: list[str]) -> pd.DataFrame:
    from aura.supervised import load_feature_tables

    X, _, _ = load_feature_tables(artifacts_dir.parent / "data")[name]
    return X[columns].iloc[:ROWS]


@pytest.mark.parametrize("name", ["compatibility", "difficulty", "engagement"])
def test_each_forest_output_is_by_its_name_what_scikit_learn_predicts(
    artifacts_dir: Path, name: str
) -> None:
    entry = read_manifest(artifacts_dir).models[name]
    model = joblib.load(artifacts_dir.parent / "models" / entry.source)
    columns = [f.name for f in entry.inputs]
    assert columns == list(model.feature_names_in_)
    X = feature_rows(artifacts_dir, name, columns)
    onnx = session(artifacts_dir / entry.file)
    assert [i.name for i in onnx.get_inputs()] == [entry.input_name]
    assert onnx.get_inputs()[0].shape[1] == len(columns)
    outputs = [o.name for o in entry.outputs]
    assert [o.name for o in onnx.get_outputs()] == outputs
    values = onnx.run(outputs, {entry.input_name: X.to_numpy(dtype=np.float32)})
    got = dict(zip(outputs, values, strict=True))
    if entry.kind == "classifier":
        np.testing.assert_allclose(got["probabilities"], model.predict_proba(X), atol=1e-4)
        labels = [entry.class_labels[i] for i in got["label"]]
        assert labels == [entry.class_labels[i] for i in model.predict(X).astype(int)]
    else:
        np.testing.assert_allclose(got["variable"].ravel(), model.predict(X), atol=1e-4)


@pytest.mark.parametrize("name", ["tutor_matching", "difficulty_adaptation"])
def test_each_policy_output_is_by_its_name_what_the_torch_policy_computes(
    artifacts_dir: Path, name: str
) -> None:
    entry = read_manifest(artifacts_dir).models[name]
    model = PPO.load(artifacts_dir.parent / "models" / entry.source, device="cpu")
    obs = np.random.default_rng(3).random((ROWS, len(entry.inputs))).astype(np.float32)
    onnx = session(artifacts_dir / entry.file)
    assert [i.name for i in onnx.get_inputs()] == [entry.input_name] == ["observation"]
    names = ["logits", "probabilities"]
    got = dict(zip(names, onnx.run(names, {entry.input_name: obs}), strict=True))
    policy = model.policy
    with torch.no_grad():
        features = policy.extract_features(torch.as_tensor(obs), policy.pi_features_extractor)
        logits = policy.action_net(policy.mlp_extractor.forward_actor(features)).numpy()
        probs = policy.get_distribution(torch.as_tensor(obs)).distribution.probs.numpy()
    assert got["logits"].shape == got["probabilities"].shape == (ROWS, len(entry.class_labels))
    np.testing.assert_allclose(got["logits"], logits, atol=1e-5)
    np.testing.assert_allclose(got["probabilities"], probs, atol=1e-6)
