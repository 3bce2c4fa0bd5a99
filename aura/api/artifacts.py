"""Check an artifacts folder and load it: manifest, ONNX sessions and the tutor pool.

The service refuses to start on a folder that is missing, incomplete or altered, with a message
that says which file is wrong, because serving a model other than the one the manifest
describes would make every reported metric and version a lie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort
from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors
from pydantic import ValidationError

from aura.api.errors import field_path
from aura.export.manifest import (
    MANIFEST_FILE,
    Feature,
    Lookup,
    Manifest,
    ManifestEncodingError,
    MinMax,
    models_version,
    read_manifest,
)
from aura.export.tutor_pool import TutorPool, load_pool
from aura.files import sha256_file

REQUIRED_MODELS: dict[str, str] = {
    "compatibility": "regressor",
    "difficulty": "classifier",
    "engagement": "regressor",
    "tutor_matching": "policy",
    "difficulty_adaptation": "policy",
}
"""Models the four endpoints need, with their kind."""
RANKING_VOCABULARIES = {
    "subject_preference": "subjects",
    "time_preference": "time_slots",
    "learning_style": "learning_styles",
}
"""The tutor-matching policy's inputs by which the strategies rank tutors (`aura.sim.matching`),
each with the tutor pool's vocabulary its category's index points into."""
RANKING_INPUTS = tuple(RANKING_VOCABULARIES)
"""The ranking inputs the policy takes; the strategies also read the request's language, which
is no policy input."""
ONNX_ERRORS: tuple[type[Exception], ...] = (
    ort_errors.Fail,
    ort_errors.InvalidArgument,
    ort_errors.InvalidGraph,
    ort_errors.InvalidProtobuf,
    ort_errors.NoModel,
    ort_errors.NoSuchFile,
    ort_errors.NotImplemented,
    ort_errors.RuntimeException,
)
"""What onnxruntime raises for a model file it cannot load (bytes that are no ONNX protobuf, a
truncated file, an operator it lacks); they share no base class but Exception."""


class ArtifactError(RuntimeError):
    """The artifacts folder cannot be served; the message says why."""


def _reason(exc: OSError) -> str:
    """Why a file could not be read, as the system says it ("Permission denied")."""
    return exc.strerror or str(exc)


def _first_line(exc: Exception) -> str:
    """An error's first line: onnxruntime's messages go on with the parser's internals."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _file_problem(folder: Path, file: str, expected: str) -> str | None:
    """What is wrong with one file the manifest lists, if anything. A file that cannot be read
    (no permission, a folder in its place, a disk error) is named with the reason: the error
    itself ended `aura serve`, and a reload's new worker, in a traceback."""
    path = folder / file
    try:
        if not path.exists():
            return f"{file} is listed in the manifest but missing"
        if not path.is_file():
            return f"{file} is listed in the manifest but is not a file"
        if sha256_file(path) != expected:
            return f"{file} fails its sha256 check (changed since export)"
    except OSError as exc:
        return f"{file} cannot be read ({_reason(exc)})"
    return None


def _input_problems(manifest: Manifest) -> list[str]:
    """Inputs tutor matching reads that the manifest does not give: the policy's inputs by which
    the strategies rank tutors, a source in ``tutor_pool.pair_features`` for each compatibility
    input, and the policy input each learner-side source reads. The sha256 checks cannot see
    these (the version covers the files, not the manifest's descriptions); unchecked, the first
    two stopped the service while it was built, in a traceback after `aura serve` had announced
    it, and the last answered every tutor-match request with a 500."""
    policy = [f.name for f in manifest.models["tutor_matching"].inputs]
    sources = manifest.tutor_pool.pair_features
    compatibility = [f.name for f in manifest.models["compatibility"].inputs]
    problems = []
    missing = [name for name in RANKING_INPUTS if name not in policy]
    if missing:
        problems.append(
            f"model 'tutor_matching': the manifest gives no input(s) {missing}, by which the "
            "strategies rank tutors"
        )
    unsourced = [name for name in compatibility if name not in sources]
    if unsourced:
        problems.append(
            f"model 'compatibility': tutor_pool.pair_features gives no source for input(s) "
            f"{unsourced}"
        )
    learner = {
        name: source.partition(":")[2]
        for name, source in sources.items()
        if name in compatibility and source.startswith("learner:")
    }
    absent = {name: field for name, field in learner.items() if field not in policy}
    if absent:
        problems.append(
            f"model 'compatibility': input(s) {sorted(absent)} read the learner's "
            f"{sorted(set(absent.values()))}, which the manifest gives no 'tutor_matching' input"
        )
    return problems


def _twice(names: list[str]) -> list[str]:
    """The names given more than once, each once, in the order they first come."""
    return [n for n in dict.fromkeys(names) if names.count(n) > 1]


def _label_problems(manifest: Manifest) -> list[str]:
    """Labels and vocabularies an answer is built from that disagree with the models: a
    classifier's or policy's class labels (its answer's keys), the tutor pool's strategies (one
    per action of the tutor-matching policy) and languages, and the categories of each ranking
    input, whose index points into the pool's vocabulary. The sha256 checks cannot see these;
    unchecked, labels missing, fewer strategies than actions or a category the pool lacks
    answered every request to the endpoint with a 500, more strategies stopped the service in
    a traceback, and labels given twice or a vocabulary in another order were served as wrong
    answers."""
    problems = []
    for name, entry in manifest.models.items():
        if entry.kind == "regressor":
            continue
        if not entry.class_labels:
            problems.append(f"model {name!r} ({entry.kind}) has no class_labels")
        elif twice := _twice(entry.class_labels):
            problems.append(f"model {name!r}: class_labels give {twice} twice")
    pool = manifest.tutor_pool
    actions = manifest.models["tutor_matching"].class_labels or []
    if actions and len(pool.strategies) != len(actions):
        problems.append(
            f"tutor_pool.strategies names {len(pool.strategies)} strategies; model "
            f"'tutor_matching' has {len(actions)} actions {actions}, one strategy each"
        )
    for vocabulary in ("strategies", "languages"):
        names = getattr(pool, vocabulary)
        if not names:
            problems.append(f"tutor_pool.{vocabulary} is empty")
        elif twice := _twice(names):
            problems.append(f"tutor_pool.{vocabulary} gives {twice} twice")
    policy = {f.name: f for f in manifest.models["tutor_matching"].inputs}
    for field, vocabulary in RANKING_VOCABULARIES.items():
        listed = getattr(pool, vocabulary)
        if field in policy and policy[field].categories != listed:
            problems.append(
                f"model 'tutor_matching': input {field!r} has categories "
                f"{policy[field].categories}, not tutor_pool.{vocabulary} {listed}"
            )
    return problems


def _feature_problem(feature: Feature) -> str | None:
    """What keeps one input from being validated or normalised, if anything."""
    norm = feature.normalisation
    if feature.dtype == "category":
        categories = feature.categories or []
        if not categories:
            return "a category input with no categories"
        if twice := _twice(categories):
            return f"categories give {twice} twice"
        if isinstance(norm, Lookup) and len(norm.values) != len(categories):
            return (
                f"its lookup normalisation has {len(norm.values)} values for "
                f"{len(categories)} categories"
            )
    else:
        low, high = feature.low, feature.high
        bounds = [b for b in (low, high) if b is not None]
        if not all(map(math.isfinite, bounds)):
            return f"bounds [{low}, {high}] are not finite numbers"
        if feature.dtype == "integer" and not all(
            b.is_integer() and -(2**63) <= b < 2**63 for b in bounds
        ):
            return f"bounds [{low}, {high}] of an integer input are not 64-bit whole numbers"
        if low is not None and high is not None and low > high:
            return f"low {low} is above high {high}: no value is in range"
        if isinstance(norm, Lookup):
            return "a lookup normalisation of a number (it indexes a category's values)"
    if isinstance(norm, MinMax) and not (
        math.isfinite(norm.low) and math.isfinite(norm.high) and norm.low < norm.high
    ):
        return f"its minmax normalisation [{norm.low}, {norm.high}] is no finite, non-empty range"
    if isinstance(norm, Lookup) and not all(map(math.isfinite, norm.values)):
        return f"its lookup normalisation values {norm.values} are not all finite"
    return None


def _feature_problems(manifest: Manifest) -> list[str]:
    """Inputs a request cannot be validated against or normalised by: a name given twice in one
    model, a bound that is no finite number (or no whole one for an integer), a range whose low
    is above its high, a category without a vocabulary or with a value twice, a normalisation
    that is no finite map (a min-max of zero width, a lookup of another length than its
    categories). The sha256 checks cannot see these; unchecked, a NaN or fractional integer
    bound, an empty vocabulary or a zero-width min-max stopped the service in a traceback, an
    inverted range or a name given twice refused every request to the endpoint, a lookup short
    of values answered its last categories with a 500, and a category twice was served as
    another one."""
    problems = []
    for name, entry in manifest.models.items():
        if twice := _twice([f.name for f in entry.inputs]):
            problems.append(f"model {name!r}: inputs {twice} are given twice")
        problems += [
            f"model {name!r} input {feature.name!r}: {problem}"
            for feature in entry.inputs
            if (problem := _feature_problem(feature)) is not None
        ]
    return problems


def verify_artifacts(folder: Path) -> Manifest:
    """The folder's manifest, after checking it can be read and parses, lists every model the
    endpoints need with the inputs tutor matching reads, and that every listed file can be read
    and has the recorded sha256."""
    folder = Path(folder)
    try:
        is_folder, exists = folder.is_dir(), folder.exists()
    except OSError as exc:  # a parent folder without permission to look in
        raise ArtifactError(f"artifacts folder {folder} cannot be read ({_reason(exc)})") from None
    if not is_folder:
        what = "is a file, not a folder" if exists else "does not exist"
        raise ArtifactError(
            f"artifacts folder {folder} {what}; write it with `aura export --params <file>` "
            "(into the file's shared.artifacts_dir, from the models `aura train-supervised` and "
            "`aura train-rl` saved; `aura run` does it all) or point AURA_ARTIFACTS at an "
            "exported folder"
        )
    path = folder / MANIFEST_FILE
    try:
        if not path.exists():
            raise ArtifactError(
                f"{folder} has no {MANIFEST_FILE}: the export is missing or incomplete"
            )
        if not path.is_file():
            raise ArtifactError(f"{path} is not a file: the export is damaged")
        manifest = read_manifest(folder)
    except OSError as exc:
        raise ArtifactError(f"{path} cannot be read ({_reason(exc)})") from None
    except ManifestEncodingError as exc:
        raise ArtifactError(str(exc)) from None
    except ValidationError as exc:  # one line per field, not pydantic's report with its links
        fields = "; ".join(
            f"{field_path(e['loc']) or 'the file'}: {e['msg']}" for e in exc.errors()
        )
        raise ArtifactError(f"{folder / MANIFEST_FILE} is not a valid manifest: {fields}") from None
    problems = [
        f"model {name!r} ({kind}) is not in the manifest"
        for name, kind in REQUIRED_MODELS.items()
        if name not in manifest.models
    ]
    problems += [
        f"model {name!r} is a {manifest.models[name].kind}, expected a {kind}"
        for name, kind in REQUIRED_MODELS.items()
        if name in manifest.models and manifest.models[name].kind != kind
    ]
    if not problems:
        problems += _input_problems(manifest) + _label_problems(manifest)
        problems += _feature_problems(manifest)
    problems += [
        problem
        for file, expected in manifest.files().items()
        if (problem := _file_problem(folder, file, expected)) is not None
    ]
    version = models_version(manifest.models, manifest.tutor_pool)
    if not problems and manifest.version != version:
        problems.append(f"version {manifest.version!r} is not its files' version {version!r}")
    if problems:
        raise ArtifactError(f"artifacts in {folder} cannot be served: " + "; ".join(problems))
    return manifest


def _shape_problems(manifest: Manifest, sessions: dict[str, ort.InferenceSession]) -> list[str]:
    """Where the manifest does not describe its ONNX files: the input's name and width, each
    output's name, and as many probabilities as class labels. A manifest edited after export
    (an input removed) started, then answered every request to that model with a 500."""
    problems = []
    for name, entry in manifest.models.items():
        session = sessions[name]
        (given,) = session.get_inputs()
        width = given.shape[-1]
        if given.name != entry.input_name or width != len(entry.inputs):
            problems.append(
                f"model {name!r}: the manifest gives {len(entry.inputs)} inputs as "
                f"{entry.input_name!r}; its ONNX file takes {width} as {given.name!r}"
            )
        outputs = {o.name: o.shape[-1] for o in session.get_outputs()}
        missing = [o.name for o in entry.outputs if o.name not in outputs]
        if missing:
            problems.append(f"model {name!r}: its ONNX file has no output(s) {missing}")
        if entry.class_labels is not None:
            counts = {outputs[o] for o in ("probabilities", "logits") if o in outputs}
            if counts != {len(entry.class_labels)}:
                problems.append(
                    f"model {name!r}: the manifest gives {len(entry.class_labels)} class labels; "
                    f"its ONNX file scores {sorted(counts)}"
                )
    return problems


@dataclass(frozen=True)
class LoadedArtifacts:
    """Everything the endpoints read, loaded once at startup."""

    manifest: Manifest
    sessions: dict[str, ort.InferenceSession]
    pool: TutorPool


def load_artifacts(folder: Path, *, threads: int = 1) -> LoadedArtifacts:
    """Verify, then open one onnxruntime session per model and read the tutor pool."""
    folder = Path(folder)
    manifest = verify_artifacts(folder)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    sessions = {}
    for name, entry in manifest.models.items():
        try:
            sessions[name] = ort.InferenceSession(
                str(folder / entry.file), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except ONNX_ERRORS as exc:
            raise ArtifactError(
                f"artifacts in {folder} cannot be served: {entry.file} is not a model onnxruntime "
                f"can load ({_first_line(exc)})"
            ) from None
    problems = _shape_problems(manifest, sessions)
    if problems:
        raise ArtifactError(f"artifacts in {folder} cannot be served: " + "; ".join(problems))
    p = manifest.tutor_pool
    try:
        pool = load_pool(
            folder / p.file,
            subjects=p.subjects,
            time_slots=p.time_slots,
            styles=p.learning_styles,
            languages=p.languages,
        )
    except OSError as exc:  # made unreadable since `verify_artifacts` read it
        raise ArtifactError(
            f"artifacts in {folder} cannot be served: {p.file} cannot be read ({_reason(exc)})"
        ) from None
    except ValueError as exc:  # its hash matches, but the pool was written wrong
        raise ArtifactError(
            f"artifacts in {folder} cannot be served: {p.file} is not a valid tutor pool "
            f"({_first_line(exc)})"
        ) from None
    return LoadedArtifacts(manifest=manifest, sessions=sessions, pool=pool)
