"""The manifest of an artifacts folder: what each file is, how to feed it, and how good it is.

The pydantic models here *are* the schema. The exporter writes a manifest through them, the
service reads one through them (pydantic only, so serving stays light), and
``docs/manifest.schema.json`` is emitted from them with ``model_json_schema()``; a test checks the
committed file is current. A manifest carries everything a client needs to turn a learner profile
into model inputs: feature order, valid ranges, categorical vocabularies and the observation
normalisation of the environments, so the service never imports the training code.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aura.json_encoding import UTF8_BOM, wide_encoding

MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MinMax(_Strict):
    """Observation value = (x - low) / (high - low), clipped to [0, 1]."""

    kind: Literal["minmax"] = "minmax"
    low: float
    high: float


class Lookup(_Strict):
    """Observation value of a categorical input: ``values[i]`` for ``categories[i]``."""

    kind: Literal["lookup"] = "lookup"
    values: list[float]


Normalisation = Annotated[MinMax | Lookup, Field(discriminator="kind")]


class Feature(_Strict):
    """One model input, in the order the model expects it.

    ``low``/``high`` bound what a request may send (raw units); ``categories`` lists the values of
    a categorical input; ``normalisation`` (policies only) maps the raw value to the [0, 1] the
    policy was trained on. Forests take raw values, so their features carry none.
    """

    name: str
    dtype: Literal["float", "integer", "category"]
    low: float | None = None
    high: float | None = None
    categories: list[str] | None = None
    normalisation: Normalisation | None = None
    description: str = ""


class Output(_Strict):
    """One ONNX output: its tensor name and what it holds."""

    name: str
    description: str


class ModelEntry(_Strict):
    """One exported model."""

    kind: Literal["regressor", "classifier", "policy"]
    file: str
    sha256: str
    size_bytes: int
    source: str = Field(
        description="The native model it was exported from, relative to models_dir."
    )
    input_name: str
    inputs: list[Feature]
    outputs: list[Output]
    class_labels: list[str] | None = Field(
        default=None, description="Classifier classes or policy actions, in output column order."
    )
    metrics: dict[str, Any] = Field(
        default_factory=dict,
        description="Held-out metrics beside their references (baselines, Bayes floor, oracle).",
    )
    parity: dict[str, float] = Field(
        default_factory=dict, description="ONNX versus native predictions, measured at export."
    )


PairSource = Literal[
    "learner:age",
    "learner:comfort_level_online",
    "tutor:rating",
    "tutor:years_experience",
    "tutor:communication_rating",
    "pair:style_match",
    "pair:language_match",
    "pair:subject_expertise",
]
"""Where each compatibility input comes from when scoring a (learner, tutor) pair."""


class TutorPoolEntry(_Strict):
    """The tutors the matching strategies choose from (observed attributes only)."""

    file: str
    sha256: str
    n_tutors: int
    subjects: list[str]
    time_slots: list[str]
    learning_styles: list[str]
    languages: list[str]
    strategies: list[str] = Field(description="Policy action i picks tutors by strategies[i].")
    pair_features: dict[str, PairSource] = Field(
        description="Source of each compatibility-model input for a (learner, tutor) pair."
    )


class Manifest(_Strict):
    """Everything in one artifacts folder; the API serves exactly this."""

    schema_version: Literal[1] = SCHEMA_VERSION
    version: str = Field(description="Identifies this set of models; every API response has it.")
    created_at: datetime
    git_commit: str | None
    git_dirty: bool | None
    data_sha256: dict[str, str] = Field(description="sha256 of each CSV the models learned from.")
    params: dict[str, Any]
    libraries: dict[str, str | None]
    models: dict[str, ModelEntry]
    tutor_pool: TutorPoolEntry

    def files(self) -> dict[str, str]:
        """Every artifact file with its expected sha256."""
        listed = {m.file: m.sha256 for m in self.models.values()}
        listed[self.tutor_pool.file] = self.tutor_pool.sha256
        return listed


def models_version(models: dict[str, ModelEntry], pool: TutorPoolEntry) -> str:
    """A short id of the exact files: the same models give the same version. The service
    recomputes it from the manifest, so a manifest cannot claim another set's version."""
    lines = sorted(f"{name}:{m.sha256}" for name, m in models.items()) + [f"pool:{pool.sha256}"]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


class ManifestEncodingError(ValueError):
    """A manifest.json saved in UTF-16 or UTF-32 (`aura.json_encoding`)."""


def read_manifest(folder: Path) -> Manifest:
    """Parse ``folder/manifest.json``; pydantic errors name the offending field. A byte order
    mark, which editors on Windows add to a hand edit, is skipped; a file in UTF-16 or UTF-32 is
    refused naming its encoding (`ManifestEncodingError`)."""
    path = Path(folder) / MANIFEST_FILE
    raw = path.read_bytes().removeprefix(UTF8_BOM)
    if encoding := wide_encoding(raw):
        raise ManifestEncodingError(f"{path} is encoded as {encoding}; save it as UTF-8")
    return Manifest.model_validate_json(raw)


def manifest_json_schema() -> str:
    """The JSON Schema of manifest.json, as committed under docs/."""
    return json.dumps(Manifest.model_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(manifest_json_schema(), end="")
