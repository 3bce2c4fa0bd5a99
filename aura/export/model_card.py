"""MODEL_CARD.md: one short card per exported model (Mitchell et al. 2019, "Model Cards for Model
Reporting"), written from the manifest alone.

The card is a rendering of `manifest.json`, not a second record: every number in it is a
manifest value formatted by `number`, so what it says cannot drift from what the API serves
(``GET /api/ml/models``). What the manifest does not record (a Bayes floor of a model learned from
a platform's tables, the scores of a policy exported without results.json) is said to be missing,
never filled in.
"""

from __future__ import annotations

import json
from typing import Any

from aura.export.manifest import MANIFEST_FILE, Feature, Manifest, ModelEntry
from aura.markdown import table_lines

MODEL_CARD_FILE = "MODEL_CARD.md"
NOT_RECORDED = "not recorded"
SHA_PREFIX = 12
"""Characters of a sha256 the card shows: enough to tell two exports apart."""
KEY_LIBRARIES = (
    "aura",
    "numpy",
    "scikit-learn",
    "torch",
    "stable-baselines3",
    "gymnasium",
    "onnx",
    "skl2onnx",
    "onnxruntime",
)

ENDPOINTS = {
    "compatibility": "`POST /api/ml/predict/compatibility`; it also scores the tutors "
    "`POST /api/ml/predict/tutor-match` returns",
    "difficulty": "`POST /api/ml/predict/difficulty` (the level and its confidence)",
    "engagement": "`POST /api/ml/predict/engagement`",
    "tutor_matching": "`POST /api/ml/predict/tutor-match` (the strategy that picks the tutors)",
    "difficulty_adaptation": "`POST /api/ml/predict/difficulty`, with its `adaptation` object "
    "(the move)",
}
"""Which endpoint of docs/api.md serves each model AURA exports."""

PURPOSES = {
    "compatibility": "how well a tutor suits a learner (a score in [0, 1])",
    "difficulty": "the difficulty level a learner prefers",
    "engagement": "how engaged a learner is in a session (a score in [0, 1])",
    "tutor_matching": "the strategy that picks a learner's tutors",
    "difficulty_adaptation": "whether to lower, keep or raise the difficulty of the next block",
}


def number(value: Any) -> str:
    """How the card writes a manifest value: floats to 4 significant figures, integers whole with
    thousands separators (as the reports write counts), booleans as yes/no, a missing value as
    `NOT_RECORDED`."""
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _interval(mean: Any, interval: dict[str, Any]) -> str:
    """``mean [low, high]``, or the mean alone where the manifest has no interval."""
    if mean is None:
        return NOT_RECORDED
    if interval.get("low") is None or interval.get("high") is None:
        return f"{number(mean)} (no interval recorded)"
    return f"{number(mean)} [{number(interval['low'])}, {number(interval['high'])}]"


def _kind_of(feature: Feature) -> str:
    if feature.categories is not None:
        return ", ".join(feature.categories)
    if feature.low is None and feature.high is None:
        return NOT_RECORDED
    return f"{number(feature.low)} to {number(feature.high)}"


def _inputs(entry: ModelEntry) -> list[str]:
    rows = [
        [f"`{f.name}`", f.dtype, _kind_of(f), f.description or NOT_RECORDED] for f in entry.inputs
    ]
    lines = [
        f"Inputs, in the order of the ONNX input `{entry.input_name}` (one float row each; "
        "ranges are what a request may send):",
        "",
        *table_lines(["name", "type", "range or categories", "description"], rows),
        "",
        "Outputs:",
        "",
        *(f"- `{o.name}`: {o.description}" for o in entry.outputs),
    ]
    if entry.class_labels:
        what = "actions" if entry.kind == "policy" else "classes"
        lines += [  # a paragraph of its own, not a continuation of the outputs' last item
            "",
            f"{what.capitalize()}, in output column order: {', '.join(entry.class_labels)}.",
        ]
    return lines


def _is_synthetic(entry: ModelEntry) -> bool:
    """Whether the manifest says the model learned from the simulator's data only."""
    if entry.kind == "policy":
        options = entry.metrics.get("environment_options") or {}
        return not any(key.endswith("_csv") for key in options)
    return entry.metrics.get("simulator_data") is not False


def _use(name: str, entry: ModelEntry) -> list[str]:
    source = (
        "synthetic data from AURA's simulator"
        if _is_synthetic(entry)
        else "tables the simulator did not write (see Training data)"
    )
    return [
        f"- Intended use: research and demonstration of adaptive tutoring with AURA; predicting "
        f"{PURPOSES.get(name, 'what its outputs describe')} for learners like those it was "
        "trained on.",
        f"- Trained on {source}; it has not been validated on real learners.",
        "- Out of scope: decisions about real learners or tutors (placement, grading, assignment, "
        "hiring) without a validation on real data first.",
        "- Limitation: no fairness analysis across groups of learners or tutors has been made; "
        "nothing here says the model treats groups alike.",
    ]


def _scalars(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is None or isinstance(v, int | float)}


def _forest_training(entry: ModelEntry, manifest: Manifest) -> list[str]:
    m = entry.metrics
    rows, learners = m.get("rows") or {}, m.get("learners") or {}
    tables = ", ".join(f"{k} {v[:SHA_PREFIX]}" for k, v in manifest.data_sha256.items())
    if m.get("simulator_data") is None:
        origin = "whether the tables were the simulator's is not recorded"
    elif m["simulator_data"]:
        origin = "synthetic, written by AURA's simulator"
    else:
        origin = "tables the simulator did not write (a platform's), so no Bayes floor applies"
    return [
        f"- Target: `{m['target']}`" if "target" in m else f"- Target: {NOT_RECORDED}",
        f"- Data: {origin}.",
        f"- Rows: {number(rows.get('train'))} train, {number(rows.get('test'))} held out; "
        f"learners: {number(learners.get('train'))} train, {number(learners.get('test'))} held out "
        "(held-out learners are new to the model).",
        f"- Tables (sha256 prefix): {tables or NOT_RECORDED}.",
    ]


def _policy_training(entry: ModelEntry) -> list[str]:
    m, refs = entry.metrics, entry.metrics.get("references") or {}
    options = m.get("environment_options")
    returns = refs.get("episode_returns") or {}
    episodes = {len(v) for v in returns.values() if isinstance(v, list)}
    lines = [
        "- Data: episodes of its Gymnasium environment, whose learners (and tutors) AURA's "
        "simulator draws.",
        "- Environment options: "
        + (
            NOT_RECORDED
            if options is None
            else json.dumps(options, sort_keys=True)
            if options
            else "none (the defaults)"
        )
        + ".",
    ]
    if len(episodes) == 1:
        lines.append(f"- Held-out evaluation episodes per reference: {number(episodes.pop())}.")
    else:
        lines.append(f"- Held-out evaluation episodes: {NOT_RECORDED}.")
    return lines


def _forest_evaluation(entry: ModelEntry) -> list[str]:
    m = entry.metrics
    test = _scalars(m.get("test") or {})
    if not test:
        return [f"No held-out scores are recorded in the manifest for this model ({entry.source})."]
    bayes = m.get("bayes") or {}
    baselines = {k: v for k, v in (m.get("baselines") or {}).items() if isinstance(v, dict)}
    header = ["metric", "held out", "Bayes reference", "Bayes, realised on these rows"]
    header += [f"{b} baseline" for b in baselines]
    rows = [
        [
            f"`{metric}`",
            number(value),
            number(bayes.get(f"bayes_{metric}")),
            number(bayes.get(f"bayes_realised_{metric}")),
            *(number(b.get(metric)) for b in baselines.values()),
        ]
        for metric, value in test.items()
    ]
    lines = table_lines(header, rows)
    if not bayes:
        lines += ["", "No Bayes (noise) floor is recorded in the manifest."]
    if not baselines:
        lines += ["", "No baselines are recorded in the manifest."]
    truth = m.get("against_truth") or {}
    if "ratio" in truth:
        bounds = {"low": truth.get("ratio_low"), "high": truth.get("ratio_high")}
        lines += [
            "",
            "Against the simulator's expected outcomes: ratio to the Bayes floor "
            f"{_interval(truth['ratio'], bounds)} over {number(truth.get('n_learners'))} "
            "held-out learners.",
        ]
    checks = m.get("checks") or {}
    lines += [
        "",
        "Checks recorded at training: "
        + ("; ".join(f"`{k}` {number(v)}" for k, v in checks.items()) or NOT_RECORDED)
        + ".",
    ]
    return lines


REFERENCE_ROWS = (("random", None), ("oracle", None), ("hand_rule", "hand_rule_name"))
REFERENCE_ROWS += (("ceiling", "ceiling_name"), ("experience", "experience_name"))


def _policy_evaluation(entry: ModelEntry) -> list[str]:
    m = entry.metrics
    selected, refs = m.get("selected") or {}, m.get("references") or {}
    if not refs and "interval" not in selected:
        return [
            "No held-out scores or references are recorded in the manifest for this policy "
            "(exported without the grid's results.json)."
        ]
    lead = selected.get("lead_over_hand_rule") or {}
    over_seeds = m.get("normalised") or {}
    baselines = refs.get("baselines") or {}
    lines = [
        f"- Served: {str(selected.get('algo', NOT_RECORDED)).upper()}, seed index "
        f"{number(selected.get('seed_index'))}.",
        "- Normalised score on held-out episodes (random and oracle as in the table below): "
        f"{_interval(selected.get('normalised'), selected.get('interval') or {})}"
        + (
            f", interval covers {selected['interval']['covers']}"
            if (selected.get("interval") or {}).get("covers")
            else ""
        )
        + ".",
        "- Lead over the hand rule: "
        f"{_interval(lead.get('mean'), lead) if lead else NOT_RECORDED}.",
        f"- Mean over the grid's seeds: {_interval(over_seeds.get('mean'), over_seeds)}"
        f" ({number(over_seeds.get('n'))} seeds)."
        if over_seeds
        else f"- Mean over the grid's seeds: {NOT_RECORDED}.",
        "- Target: none is recorded in the manifest (the run's headline table, "
        "`reports/latest/`, holds the targets).",
        "",
    ]
    rows = []
    for key, name_key in REFERENCE_ROWS:
        name = refs.get(name_key) if name_key else key
        if refs.get(key) is None and name is None:
            continue
        normalised = refs.get(f"{key}_normalised", (baselines.get(name) or {}).get("normalised"))
        rows.append([key.replace("_", " "), str(name), number(refs.get(key)), number(normalised)])
    if rows:
        lines += table_lines(["reference", "name", "mean return", "normalised"], rows)
    else:
        lines.append("No references are recorded in the manifest.")
    return lines


def _section(name: str, entry: ModelEntry, manifest: Manifest, level: int) -> list[str]:
    policy = entry.kind == "policy"
    part = "#" * (level + 1)
    return [
        f"{'#' * level} {name}",
        "",
        f"A {entry.kind} {'choosing' if policy else 'predicting'} "
        f"{PURPOSES.get(name, NOT_RECORDED)}. Served by "
        f"{ENDPOINTS.get(name, 'no endpoint of this API')}. File `{entry.file}` "
        f"({number(entry.size_bytes)} bytes, sha256 {entry.sha256[:SHA_PREFIX]}), exported from "
        f"`{entry.source}`.",
        "",
        f"{part} Intended use and limitations",
        "",
        *_use(name, entry),
        "",
        f"{part} Inputs and outputs",
        "",
        *_inputs(entry),
        "",
        f"{part} Training data",
        "",
        *(_policy_training(entry) if policy else _forest_training(entry, manifest)),
        "",
        f"{part} Evaluation",
        "",
        *(_policy_evaluation(entry) if policy else _forest_evaluation(entry)),
        "",
    ]


def _provenance(manifest: Manifest, level: int) -> list[str]:
    libraries = ", ".join(f"{k} {number(manifest.libraries.get(k))}" for k in KEY_LIBRARIES)
    return [
        f"{'#' * level} Provenance",
        "",
        f"- Export version: {manifest.version}",
        f"- Commit: {number(manifest.git_commit)}; uncommitted changes: "
        f"{number(manifest.git_dirty)}",
        f"- Created at: {manifest.created_at.isoformat()}",
        f"- Params: {json.dumps(manifest.params, sort_keys=True)}",
        f"- Libraries: {libraries}",
        "",
    ]


def model_card(manifest: Manifest, level: int = 1) -> str:
    """The text of MODEL_CARD.md for ``manifest``: a section per model, then provenance.

    ``level`` is the title's heading level; the models' sections and their parts follow one and
    two levels below. The file's title is a page's heading (1); shown inside notebook 06's
    report, under the notebook's own title and sections, the card starts lower, so that the page
    keeps one top heading and its headings in order."""
    if not 1 <= level <= 4:
        raise ValueError(f"level must be 1 to 4 (Markdown has six heading levels), got {level}")
    lines = [
        f"{'#' * level} Model cards: AURA export {manifest.version}",
        "",
        f"Written from `{MANIFEST_FILE}` in the export's folder (beside `{MODEL_CARD_FILE}`), "
        "which `GET /api/ml/models` serves; every "
        "number here is the manifest's (floats to 4 significant figures). Models: "
        + ", ".join(manifest.models)
        + ".",
        "",
    ]
    for name, entry in manifest.models.items():
        lines += _section(name, entry, manifest, level + 1)
    return "\n".join(lines + _provenance(manifest, level + 1))
