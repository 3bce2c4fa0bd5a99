"""The manifest schema: committed JSON Schema is current, and manifests are validated by it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aura.config import PROJECT_ROOT
from aura.export.manifest import Feature, Manifest, manifest_json_schema

SCHEMA_DOC = PROJECT_ROOT / "docs" / "manifest.schema.json"


def test_committed_json_schema_matches_the_models() -> None:
    assert SCHEMA_DOC.read_text(encoding="utf-8") == manifest_json_schema(), (
        "docs/manifest.schema.json is stale; regenerate it with "
        "`python -m aura.export.manifest > docs/manifest.schema.json`"
    )


def test_a_feature_with_an_unknown_normalisation_is_refused() -> None:
    with pytest.raises(ValidationError, match="normalisation"):
        Feature.model_validate(
            {"name": "age", "dtype": "integer", "normalisation": {"kind": "log", "low": 1}}
        )


def test_unknown_manifest_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        Manifest.model_validate({"surprise": 1})


def test_every_feature_a_model_may_use_is_described() -> None:
    """docs/extending.md, a new input: the manifest and the API's request schema describe every
    feature with a documented range; one left out of `DESCRIPTIONS` was served undescribed."""
    from aura.export.supervised import DESCRIPTIONS
    from aura.supervised import FEATURE_RANGES

    assert not set(FEATURE_RANGES) - set(DESCRIPTIONS), "add them to DESCRIPTIONS"
    assert all(DESCRIPTIONS[name] for name in FEATURE_RANGES)
