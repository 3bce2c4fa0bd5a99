"""Export fitted models, generically: forests and policies in, an artifacts folder out.

This module knows nothing about which models AURA trains; `aura.export.pipeline` gathers them
from the models folder and calls `export_artifacts`. Every model is converted, checked against
its native predictions (an export that disagrees with its model is refused), hashed, and written
with the tutor pool, `manifest.json` and the model card rendered from it (`MODEL_CARD.md`) into a
folder that replaces the old one atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aura.export.atomic import atomic_directory
from aura.export.manifest import (
    MANIFEST_FILE,
    Feature,
    Manifest,
    ModelEntry,
    Output,
    PairSource,
    TutorPoolEntry,
    models_version,
)
from aura.export.model_card import MODEL_CARD_FILE, model_card
from aura.export.onnx_forest import INPUT_NAME as FOREST_INPUT
from aura.export.onnx_forest import forest_parity, forest_to_onnx, is_classifier
from aura.export.onnx_policy import ACTION_TIE, policy_parity, policy_to_onnx
from aura.export.onnx_policy import INPUT_NAME as POLICY_INPUT
from aura.export.tutor_pool import POOL_FILE, pool_columns
from aura.files import sha256_file

if TYPE_CHECKING:
    import pandas as pd

FOREST_TOLERANCE = 1e-4
"""Largest absolute difference allowed between ONNX and scikit-learn outputs."""
FOREST_TOLERANCE_TEXT = f"{FOREST_TOLERANCE:.0e}".replace("e-0", "e-")
"""The tolerance as every report and error writes it, "1e-4": one spelling, where Python's
formats give "1e-04" or "0.0001"."""
POLICY_AGREEMENT = 0.999
"""Smallest share of observations on which ONNX and SB3 must pick the same action; on top of
which every observation decided by more than float32 rounding (`ACTION_TIE`) must."""
MAX_FOREST_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024


class ExportError(RuntimeError):
    """An export was refused: a model disagrees with its ONNX form or a file is too large."""


@dataclass
class ForestExport:
    """A fitted scikit-learn pipeline and what the manifest says about it."""

    name: str
    model: Any
    features: list[Feature]
    holdout: Any = field(repr=False)
    """Held-out rows (array or DataFrame in feature order) for the parity check."""
    source: str
    metrics: dict[str, Any] = field(default_factory=dict)
    converter: Callable[[Any], bytes] = forest_to_onnx
    """model -> ONNX bytes; a test passes another to see a disagreeing export refused."""
    class_labels: list[str] | None = None
    """Names of a classifier's ``classes_`` when those are codes (default: str of each)."""


@dataclass
class PolicyExport:
    """A trained SB3 model, its observation features (with normalisation) and action names."""

    name: str
    model: Any
    features: list[Feature]
    actions: list[str]
    observations: np.ndarray = field(repr=False)
    """Uniformly random observations for the parity check: every corner of the space."""
    episodes: np.ndarray = field(repr=False)
    """Observations of seeded episodes of the environment for the parity check: the states the
    policy is served in (categories at their look-up values, not between them)."""
    source: str
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class PoolExport:
    """The tutors table and the vocabularies that encode it."""

    tutors: pd.DataFrame
    subjects: list[str]
    time_slots: list[str]
    learning_styles: list[str]
    languages: list[str]
    strategies: list[str]
    pair_features: dict[str, PairSource]
    list_separator: str = ";"


def _forest_entry(spec: ForestExport, folder: Path) -> ModelEntry:
    onnx_bytes = spec.converter(spec.model)
    parity = forest_parity(spec.model, onnx_bytes, spec.holdout)
    if parity["max_abs_diff"] > FOREST_TOLERANCE:
        raise ExportError(
            f"{spec.name}: ONNX differs from scikit-learn by {parity['max_abs_diff']:.2e} "
            f"(allowed {FOREST_TOLERANCE_TEXT}) on {len(spec.holdout)} held-out rows"
        )
    if len(onnx_bytes) > MAX_FOREST_BYTES:
        raise ExportError(
            f"{spec.name}: ONNX file is {len(onnx_bytes) / 2**20:.1f} MiB, "
            f"above the {MAX_FOREST_BYTES / 2**20:.0f} MiB limit; bound the forest's size"
        )
    file = f"{spec.name}.onnx"
    (folder / file).write_bytes(onnx_bytes)
    classifier = is_classifier(spec.model)
    if classifier:
        labels = spec.class_labels or [str(c) for c in spec.model.classes_]
        outputs = [
            Output(name="label", description="Most probable class."),
            Output(name="probabilities", description="(rows, classes) in class_labels order."),
        ]
    else:
        labels = None
        outputs = [Output(name="variable", description="(rows, 1) predicted score.")]
    return ModelEntry(
        kind="classifier" if classifier else "regressor",
        file=file,
        sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        size_bytes=len(onnx_bytes),
        source=spec.source,
        input_name=FOREST_INPUT,
        inputs=spec.features,
        outputs=outputs,
        class_labels=labels,
        metrics=spec.metrics,
        parity=parity,
    )


def _policy_entry(spec: PolicyExport, folder: Path) -> ModelEntry:
    onnx_bytes = policy_to_onnx(spec.model)
    parity = policy_parity(spec.model, onnx_bytes, spec.observations)
    episodes = policy_parity(spec.model, onnx_bytes, spec.episodes)
    for result, what in ((parity, "uniformly random"), (episodes, "from seeded episodes")):
        if result["action_agreement"] < POLICY_AGREEMENT:
            raise ExportError(
                f"{spec.name}: ONNX picks the policy's action on only "
                f"{result['action_agreement']:.2%} of {result['rows']:.0f} observations ({what}; "
                f"required {POLICY_AGREEMENT:.1%})"
            )
        if result["decided_disagreements"]:
            raise ExportError(
                f"{spec.name}: ONNX picks another action than the policy on "
                f"{result['decided_disagreements']:.0f} of {result['rows']:.0f} observations "
                f"({what}) whose top two probabilities differ by more than {ACTION_TIE:g}, "
                "more than float32 rounding explains"
            )
    parity |= {f"episode_{key}": value for key, value in episodes.items()}
    file = f"{spec.name}.onnx"
    (folder / file).write_bytes(onnx_bytes)
    return ModelEntry(
        kind="policy",
        file=file,
        sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        size_bytes=len(onnx_bytes),
        source=spec.source,
        input_name=POLICY_INPUT,
        inputs=spec.features,
        outputs=[
            Output(name="logits", description="(rows, actions) unnormalised action scores."),
            Output(name="probabilities", description="(rows, actions) softmax of the logits."),
        ],
        class_labels=spec.actions,
        metrics=spec.metrics,
        parity=parity,
    )


def _pool_entry(pool: PoolExport, folder: Path) -> TutorPoolEntry:
    columns = pool_columns(pool.tutors, pool.subjects, pool.list_separator)
    path = folder / POOL_FILE
    path.write_text(json.dumps(columns, separators=(",", ":")), encoding="utf-8")
    return TutorPoolEntry(
        file=POOL_FILE,
        sha256=sha256_file(path),
        n_tutors=len(columns["tutor_id"]),
        subjects=pool.subjects,
        time_slots=pool.time_slots,
        learning_styles=pool.learning_styles,
        languages=pool.languages,
        strategies=pool.strategies,
        pair_features=pool.pair_features,
    )


def check_replaceable(target: Path) -> None:
    """Refuse an artifacts folder that holds anything an export did not write.

    An export replaces its folder whole (`atomic_directory`), so a folder named by mistake (the
    models folder, a folder of one's own files, a parent of the data) would be deleted with
    everything in it. Only a missing folder, an empty one, or an earlier export (its manifest, its
    model card and the files the manifest lists) may be replaced; anything else is named and
    nothing is written.
    """
    from pydantic import ValidationError

    from aura.export.manifest import ManifestEncodingError, read_manifest

    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise ExportError(f"artifacts folder {target} is a file")
    entries = sorted(target.iterdir())
    if not entries:
        return
    try:
        manifest = read_manifest(target)
    except (OSError, ValidationError, ManifestEncodingError):
        ours: set[str] = set()
    else:
        ours = {MANIFEST_FILE, MODEL_CARD_FILE, manifest.tutor_pool.file}
        ours |= {entry.file for entry in manifest.models.values()}
    foreign = [f"{e.name}/" if e.is_dir() else e.name for e in entries if e.name not in ours]
    if foreign:
        more = len(foreign) - 5
        shown = ", ".join(foreign[:5]) + (f" and {more} more" if more > 0 else "")
        why = f"not in its {MANIFEST_FILE}" if ours else f"and no {MANIFEST_FILE} of an export"
        raise ExportError(
            f"artifacts folder {target} holds {shown} ({why}); an export replaces its folder "
            "whole, so nothing was written: name another artifacts_dir, or move those files"
        )


def export_artifacts(
    target: Path,
    *,
    forests: list[ForestExport],
    policies: list[PolicyExport],
    pool: PoolExport,
    data_files: dict[str, Path],
    params: dict[str, Any],
    git: dict[str, Any],
    libraries: dict[str, str | None],
) -> Manifest:
    """Convert, check and write every model, the pool, the manifest and its model card into
    ``target``, which must be missing, empty or an earlier export (`check_replaceable`)."""
    check_replaceable(Path(target))
    with atomic_directory(Path(target)) as folder:
        models = {f.name: _forest_entry(f, folder) for f in forests}
        models.update({p.name: _policy_entry(p, folder) for p in policies})
        pool_entry = _pool_entry(pool, folder)
        total = sum(m.size_bytes for m in models.values()) + (folder / POOL_FILE).stat().st_size
        if total > MAX_TOTAL_BYTES:
            raise ExportError(
                f"artifacts total {total / 2**20:.1f} MiB, above the "
                f"{MAX_TOTAL_BYTES / 2**20:.0f} MiB limit"
            )
        manifest = Manifest(
            version=models_version(models, pool_entry),
            created_at=datetime.now(UTC),
            git_commit=git.get("commit"),
            git_dirty=git.get("dirty"),
            data_sha256={name: sha256_file(p) for name, p in data_files.items()},
            params=params,
            libraries=libraries,
            models=models,
            tutor_pool=pool_entry,
        )
        (folder / MANIFEST_FILE).write_text(
            manifest.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
        (folder / MODEL_CARD_FILE).write_text(model_card(manifest), encoding="utf-8")
    return manifest
