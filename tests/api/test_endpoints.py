"""Every endpoint's happy path, for one record and for a batch, checked against the models."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import numpy as np
import pytest
from fastapi.testclient import TestClient

from aura.api.schemas import DifficultyResponse, Health, ScoreResponse, TutorMatchResponse
from aura.config import PROJECT_ROOT
from aura.export.manifest import read_manifest
from aura.export.tutor_pool import load_pool
from aura.sim import vocab
from aura.sim.matching import choose_tutors

PREDICT = "/api/ml/predict/"


def learner(rng: np.random.Generator) -> dict[str, Any]:
    """A random valid learner profile for the tutor-match endpoint."""
    return {
        "age": int(rng.integers(8, 19)),
        "grade_level": int(rng.integers(1, 13)),
        "comfort_level_online": float(rng.random()),
        "session_count": int(rng.integers(0, 60)),
        "learning_progress_score": float(rng.random()),
        "subject_preference": str(rng.choice(vocab.SUBJECTS)),
        "learning_style": str(rng.choice(vocab.LEARNING_STYLES)),
        "time_preference": str(rng.choice(vocab.TIME_SLOTS)),
        "language": str(rng.choice(vocab.LANGUAGES)),
    }


def example(client: TestClient, endpoint: str) -> dict[str, Any]:
    doc = client.get("/openapi.json").json()
    content = doc["paths"][PREDICT + endpoint]["post"]["requestBody"]["content"]
    return content["application/json"]["examples"]["one record"]["value"]


def test_health_names_the_version_and_models(client: TestClient, artifacts_dir) -> None:
    body = Health.model_validate(client.get("/health").json())
    manifest = read_manifest(artifacts_dir)
    assert body.model_version == manifest.version
    assert body.models == sorted(manifest.models)


def test_models_endpoint_serves_the_manifest(client: TestClient, artifacts_dir) -> None:
    body = client.get("/api/ml/models").json()
    manifest = read_manifest(artifacts_dir)
    schema = json.loads((PROJECT_ROOT / "docs" / "manifest.schema.json").read_text())
    jsonschema.validate(body, schema)  # the schema docs/api.md points clients to
    assert body["version"] == manifest.version
    assert body["models"]["compatibility"]["sha256"] == manifest.models["compatibility"].sha256
    assert body["data_sha256"] == manifest.data_sha256
    documented = client.get("/openapi.json").json()["paths"]["/api/ml/models"]["get"]
    assert documented["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Manifest"
    }, "the manifest's schema is in the OpenAPI document, for clients generated from it"


@pytest.mark.parametrize(
    ("endpoint", "model"),
    [
        ("tutor-match", TutorMatchResponse),
        ("difficulty", DifficultyResponse),
        ("compatibility", ScoreResponse),
        ("engagement", ScoreResponse),
    ],
)
def test_documented_example_is_answered_for_one_record_and_a_batch(
    client: TestClient, endpoint: str, model
) -> None:
    record = example(client, endpoint)
    one = client.post(PREDICT + endpoint, json=record)
    assert one.status_code == 200, one.text
    parsed = model.model_validate(one.json())
    version = client.get("/health").json()["model_version"]
    assert parsed.count == 1 and parsed.model_version == version
    assert one.headers["x-model-version"] == version
    batch = client.post(PREDICT + endpoint, json=[record] * 3)
    assert batch.status_code == 200
    assert model.model_validate(batch.json()).predictions == [parsed.predictions[0]] * 3


@pytest.mark.parametrize(
    ("endpoint", "models"),
    [
        ("tutor-match", {"": "tutor_matching"}),
        ("difficulty", {"": "difficulty", "adaptation": "difficulty_adaptation"}),
        ("compatibility", {"": "compatibility"}),
        ("engagement", {"": "engagement"}),
    ],
)
def test_documented_examples_hold_values_the_models_saw(
    client: TestClient, artifacts_dir, endpoint: str, models: dict[str, str]
) -> None:
    """Each number of an example lies in the range its model was trained on (its min-max
    normalisation, where it has one): tutor-match's example sent 250 sessions, the middle of
    what a request may send, where the policy saw 0-12 (and 250 counts as 12)."""
    manifest = read_manifest(artifacts_dir)
    record = example(client, endpoint)
    for key, model in models.items():
        values = record[key] if key else record
        for feature in manifest.models[model].inputs:
            norm = feature.normalisation
            if feature.dtype != "category" and norm is not None and norm.kind == "minmax":
                assert norm.low <= values[feature.name] <= norm.high, (model, feature.name)


def test_the_document_names_the_labels_and_headers_of_every_answer(client: TestClient, rng) -> None:
    """A client generated from /openapi.json knows every label an answer can hold and the two
    headers every answer carries."""
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def labels(schema: str, field: str) -> list[str]:
        spec = schemas[schema]["properties"][field]
        return spec["propertyNames"]["enum"] if spec["type"] == "object" else spec["enum"]

    strategies = labels("TutorMatch", "strategy")
    assert strategies == labels("TutorMatch", "probabilities") == list(vocab.STRATEGIES)
    for match in client.post(
        PREDICT + "tutor-match", json=[learner(rng) for _ in range(50)]
    ).json()["predictions"]:
        assert match["strategy"] in strategies and list(match["probabilities"]) == strategies
    levels, actions = labels("DifficultyPrediction", "level"), labels("Adaptation", "action")
    assert levels == labels("DifficultyPrediction", "confidence") and len(levels) == 3
    assert actions == labels("Adaptation", "probabilities") == ["decrease", "maintain", "increase"]
    answer = client.post(PREDICT + "difficulty", json=example(client, "difficulty"))
    (level,) = answer.json()["predictions"]
    assert level["level"] in levels and list(level["confidence"]) == levels
    assert level["adaptation"]["action"] in actions
    assert list(level["adaptation"]["probabilities"]) == actions
    for endpoint in ("tutor-match", "difficulty", "compatibility", "engagement"):
        responses = doc["paths"][PREDICT + endpoint]["post"]["responses"]
        assert set(responses) >= {"200", "413", "415", "422", "500"}
        for response in responses.values():
            assert set(response["headers"]) == {"X-Model-Version", "X-Request-ID"}
    assert {"x-model-version", "x-request-id"} <= set(answer.headers)
    # every error kind the service answers is named (internal_error was not)
    kinds = schemas["ErrorResponse"]["properties"]["error"]["description"]
    for kind in ("validation_error", "unsupported_media_type", "payload_too_large"):
        assert kind in kinds
    for kind in ("too_many_records", "not_found", "method_not_allowed", "internal_error"):
        assert kind in kinds


def test_the_document_bounds_every_score_to_the_unit_range(client: TestClient) -> None:
    """A generated client may check a score against the document: each one a response holds is
    stated as within [0, 1], as the service clips it."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for schema, field in (("Score", "score"), ("RankedTutor", "compatibility")):
        spec = schemas[schema]["properties"][field]
        assert (spec["minimum"], spec["maximum"]) == (0.0, 1.0), (schema, field)


def test_the_document_gives_the_limits_the_service_enforces(client: TestClient) -> None:
    """A client generated from /openapi.json knows how much one request may carry: the records
    were there (maxItems) but the body's size limit, the other cause of a 413, was nowhere in the
    document. The client fixture serves at most 1000 records and 2,000,000 bytes."""
    doc = client.get("/openapi.json").json()
    for endpoint in ("tutor-match", "difficulty", "compatibility", "engagement"):
        operation = doc["paths"][PREDICT + endpoint]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["anyOf"][1]["maxItems"] == 1000
        too_large = operation["responses"]["413"]["description"]
        assert "2000000 bytes" in too_large and "1000 records" in too_large, too_large
        oversized = client.post(PREDICT + endpoint, content=b"[" + b" " * 2_000_000 + b"]")
        assert oversized.status_code == 413


def test_every_request_field_is_described(client: TestClient) -> None:
    """A generated client shows each field's description; `language`, the one field that is no
    model input, had none."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("TutorMatchRecord", "DifficultyRecord", "CompatibilityRecord", "EngagementRecord"):
        for field, spec in schemas[name]["properties"].items():
            if field != "adaptation":  # an object of its own, each field described below
                assert spec.get("description"), (name, field)
    assert all(
        spec.get("description") for spec in schemas["AdaptationSignals"]["properties"].values()
    )


@pytest.mark.parametrize("endpoint", ["compatibility", "engagement"])
def test_scores_equal_the_onnx_model_on_raw_features(
    client: TestClient, artifacts_dir, endpoint: str, rng
) -> None:
    import onnxruntime as ort

    entry = read_manifest(artifacts_dir).models[endpoint]
    records = []
    for _ in range(50):
        rec = {}
        for f in entry.inputs:
            value = f.low + (f.high - f.low) * rng.random()
            rec[f.name] = int(round(value)) if f.dtype == "integer" else value
        records.append(rec)
    got = [p["score"] for p in client.post(PREDICT + endpoint, json=records).json()["predictions"]]
    x = np.array([[r[f.name] for f in entry.inputs] for r in records], dtype=np.float32)
    session = ort.InferenceSession(str(artifacts_dir / entry.file))
    expected = session.run(None, {"input": x})[0].ravel()
    assert np.allclose(got, expected, atol=1e-6)
    assert all(0.0 <= s <= 1.0 for s in got)


def _observation(features: list[Any], record: dict[str, Any]) -> list[float]:
    """A policy's observation of one request record, written out from the manifest's stated
    normalisation (not with the API's own `Normaliser`, which this checks)."""
    obs = []
    for f in features:
        raw = record[f.name]
        norm = f.normalisation
        if f.dtype == "category":
            obs.append(norm.values[f.categories.index(raw)])
        else:
            obs.append(min(max((raw - norm.low) / (norm.high - norm.low), 0.0), 1.0))
    return obs


def _onnx(artifacts_dir, entry, rows: list[list[float]], output: str) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(artifacts_dir / entry.file))
    return session.run([output], {entry.input_name: np.asarray(rows, dtype=np.float32)})[0]


def _random_records(features: list[Any], n: int, rng: np.random.Generator) -> list[dict]:
    records = []
    for _ in range(n):
        rec: dict[str, Any] = {}
        for f in features:
            value = f.low + (f.high - f.low) * rng.random()
            rec[f.name] = int(round(value)) if f.dtype == "integer" else value
        records.append(rec)
    return records


def test_policies_and_classifier_answer_as_their_onnx_models(
    client: TestClient, artifacts_dir, rng
) -> None:
    """Each answer's probabilities are its ONNX model's on the request, in the order of the
    manifest's labels: a swapped label, a wrong input column or a wrong scaling shows here."""
    models = read_manifest(artifacts_dir).models
    learners = [learner(rng) for _ in range(100)]
    predictions = client.post(PREDICT + "tutor-match", json=learners).json()["predictions"]
    policy = models["tutor_matching"]
    expected = _onnx(
        artifacts_dir, policy, [_observation(policy.inputs, r) for r in learners], "probabilities"
    )
    got = np.array([[p["probabilities"][a] for a in policy.class_labels] for p in predictions])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [p["strategy"] for p in predictions] == [
        policy.class_labels[k] for k in expected.argmax(axis=1)
    ]

    level, move = models["difficulty"], models["difficulty_adaptation"]
    records = _random_records(level.inputs, 100, rng)
    for rec, signals in zip(records, _random_records(move.inputs, 100, rng), strict=True):
        rec["adaptation"] = signals
    predictions = client.post(PREDICT + "difficulty", json=records).json()["predictions"]
    raw = [[r[f.name] for f in level.inputs] for r in records]
    expected = _onnx(artifacts_dir, level, raw, "probabilities")
    got = np.array([[p["confidence"][c] for c in level.class_labels] for p in predictions])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [p["level"] for p in predictions] == [
        level.class_labels[k] for k in expected.argmax(axis=1)
    ]
    observations = [_observation(move.inputs, r["adaptation"]) for r in records]
    expected = _onnx(artifacts_dir, move, observations, "probabilities")
    got = np.array(
        [[p["adaptation"]["probabilities"][a] for a in move.class_labels] for p in predictions]
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [p["adaptation"]["action"] for p in predictions] == [
        move.class_labels[k] for k in expected.argmax(axis=1)
    ]


def test_difficulty_adds_the_policy_move_only_when_signals_are_given(
    client: TestClient, rng
) -> None:
    base = example(client, "difficulty")
    without = {k: v for k, v in base.items() if k != "adaptation"}
    body = client.post(PREDICT + "difficulty", json=[base, without]).json()
    with_signals, plain = body["predictions"]
    assert with_signals["adaptation"]["action"] in ("decrease", "maintain", "increase")
    assert abs(sum(with_signals["adaptation"]["probabilities"].values()) - 1) < 1e-5
    assert plain["adaptation"] is None
    assert set(plain["confidence"]) == set(vocab.DIFFICULTY_LEVELS)
    assert plain["level"] == max(plain["confidence"], key=plain["confidence"].get)
    assert with_signals["level"] == plain["level"]


def test_tutor_match_ranks_tutors_as_the_simulator_picks_them(
    client: TestClient, artifacts_dir, rng
) -> None:
    manifest = read_manifest(artifacts_dir)
    p = manifest.tutor_pool
    pool = load_pool(
        artifacts_dir / p.file,
        subjects=p.subjects,
        time_slots=p.time_slots,
        styles=p.learning_styles,
        languages=p.languages,
    )
    learners = [learner(rng) for _ in range(200)]
    response = client.post(PREDICT + "tutor-match?top_k=5", json=learners)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    strategy = np.array([vocab.STRATEGIES.index(pr["strategy"]) for pr in predictions])

    def codes(field: str, names: tuple[str, ...]) -> np.ndarray:
        return np.array([names.index(rec[field]) for rec in learners])

    chosen = choose_tutors(
        pool,  # type: ignore[arg-type]
        strategy,
        codes("subject_preference", vocab.SUBJECTS),
        codes("time_preference", vocab.TIME_SLOTS),
        codes("learning_style", vocab.LEARNING_STYLES),
        codes("language", vocab.LANGUAGES),
    )
    first = [pr["tutors"][0]["tutor_id"] for pr in predictions]
    assert first == pool.tutor_id[chosen].tolist()
    for pr in predictions:
        assert 1 <= len(pr["tutors"]) <= 5
        scores = [t["strategy_score"] for t in pr["tutors"]]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= t["compatibility"] <= 1.0 for t in pr["tutors"])
        assert pr["strategy"] == max(pr["probabilities"], key=pr["probabilities"].get)


def test_a_large_batch_is_answered_like_small_ones(client: TestClient, rng) -> None:
    """Bodies above THREAD_BYTES are validated and predicted off the event loop: same answers."""
    import json

    from aura.api.body import THREAD_BYTES

    learners = [learner(rng) for _ in range(1000)]
    body = json.dumps(learners, indent=8).encode()
    assert len(body) > THREAD_BYTES
    big = client.post(
        PREDICT + "tutor-match", content=body, headers={"content-type": "application/json"}
    )
    assert big.status_code == 200
    small = [
        p
        for start in range(0, 1000, 100)
        for p in client.post(PREDICT + "tutor-match", json=learners[start : start + 100]).json()[
            "predictions"
        ]
    ]
    assert big.json()["predictions"] == small


def test_a_batch_predicted_in_chunks_is_encoded_as_if_whole(client: TestClient, rng) -> None:
    """Large batches are predicted and encoded chunk by chunk (`predict_json`), here in chunks
    of 7 with a partial last one, and one of a single record (its own fast path): the bytes are
    those of the whole batch predicted and encoded at once."""
    from pydantic_core import to_json

    from aura.api.service import predict_json

    service = client.app.state.service
    records = service.parsers["tutor-match"].many.validate_python(
        [learner(rng) for _ in range(7 * 5 + 1)]
    )

    def run(batch: list) -> list:
        return service.predictor.tutor_match(batch, 4)

    whole = to_json(run(records))
    assert b"".join(predict_json(run, list(records), chunk=7)) == whole
    assert b"".join(predict_json(run, list(records), chunk=1000)) == whole


def test_a_large_batch_answer_is_the_bytes_of_a_small_one(client: TestClient) -> None:
    """`respond_json` wraps predictions encoded in pieces; `respond` encodes them at once."""
    from aura.api.service import predict_json

    service = client.app.state.service
    predictions = [{"score": 0.5}, {"score": 0.25}, {"score": 0.125}]
    pieces = predict_json(lambda batch: [predictions[i] for i in batch], [0, 1, 2], chunk=2)
    assert (
        service.respond_json("engagement", 3, pieces).body
        == service.respond("engagement", predictions).body
    )


def random_record(features, rng: np.random.Generator) -> dict[str, Any]:
    """A random valid record of a manifest feature list."""
    record: dict[str, Any] = {}
    for f in features:
        if f.dtype == "category":
            record[f.name] = str(rng.choice(f.categories))
        else:
            value = f.low + (f.high - f.low) * rng.random()
            record[f.name] = int(round(value)) if f.dtype == "integer" else value
    return record


@pytest.mark.parametrize("endpoint", ["tutor-match", "difficulty", "compatibility", "engagement"])
def test_one_record_is_answered_exactly_as_in_a_batch(
    client: TestClient, artifacts_dir, endpoint: str, rng
) -> None:
    """A single record takes its own fast path; it must give the batch path's answer, digit for
    digit, whatever the record."""
    models = read_manifest(artifacts_dir).models
    if endpoint == "tutor-match":
        records = [learner(rng) for _ in range(60)]
        path = PREDICT + endpoint + "?top_k=7"
    elif endpoint == "difficulty":
        records = [random_record(models["difficulty"].inputs, rng) for _ in range(60)]
        for rec in records[::2]:
            rec["adaptation"] = random_record(models["difficulty_adaptation"].inputs, rng)
        path = PREDICT + endpoint
    else:
        records = [random_record(models[endpoint].inputs, rng) for _ in range(60)]
        path = PREDICT + endpoint
    batch = client.post(path, json=records)
    assert batch.status_code == 200, batch.text
    singles = []
    for rec in records:
        one = client.post(path, json=rec)
        assert one.status_code == 200, one.text
        singles.extend(one.json()["predictions"])
    assert singles == batch.json()["predictions"]
