"""Check every section of a params file before anything runs.

Each notebook checks its own section when it starts, which in a pipeline run can be many minutes
in: a misspelt RL hyperparameter stopped `aura run` only after the data and the environment study,
and a bad supervised section after the whole RL grid. Here each section is checked by the same
code its notebook or command calls (the RL grid's and tuning's configs, the supervised training's
config, the environments' own constructors), or by a small pydantic schema where the notebook
takes plain values, so `aura run`, `aura params check` and `aura params derive` refuse a file up
front, naming the section, the key and the value. Keys no notebook declares are refused as well
(`check_declared`): papermill would only warn of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aura.config import (
    SHARED_SECTION,
    ParamsError,
    notebook_params,
    project_path,
    shared_problem,
)
from aura.files import unwritable_folder
from aura.sim.generate import check_memory

RUN_DIR_PARAM = "run_dir"
"""The parameter the runner gives every notebook: the run directory, where it may write metrics."""

Count = Annotated[int, Field(gt=0, strict=True)]
"""A positive whole number (``3.0`` or ``true`` is refused, as YAML would read them)."""


class _Section(BaseModel):
    """A section whose keys are all optional: a notebook falls back on its literal default."""

    model_config = ConfigDict(extra="ignore")  # undeclared keys are check_declared's to name

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        """A key set to null is refused: the notebook would receive None, not its default."""
        if isinstance(data, Mapping):
            nulls = sorted(k for k, v in data.items() if v is None and k in cls.model_fields)
            if nulls:
                raise ValueError(
                    f"{', '.join(nulls)} set to null; give a value, or remove the key for the "
                    "notebook's default"
                )
        return data


class DataSynthesisParams(_Section):
    """`01_data_synthesis`: the table sizes the simulator draws."""

    n_learners: Count | None = None
    n_tutors: Count | None = None
    n_sessions: Count | None = None

    @model_validator(mode="after")
    def _a_session_per_learner(self) -> DataSynthesisParams:
        """The simulator gives every learner at least one session (their history aggregates
        come from them); `aura run` otherwise stopped in notebook 01."""
        if self.n_learners and self.n_sessions and self.n_sessions < self.n_learners:
            raise ValueError(
                f"n_sessions ({self.n_sessions}) must be at least n_learners "
                f"({self.n_learners}): every learner has at least one session"
            )
        if self.n_sessions or self.n_tutors or self.n_learners:
            check_memory(self.n_sessions or 0, self.n_tutors or 0, self.n_learners or 0)
        return self


class EnvironmentDesignParams(_Section):
    """`02_environment_design`: episode counts, the filter study's DAgger rounds, and the two
    environments' options (checked by building each environment with them)."""

    n_episodes: Count | None = None
    n_state_episodes: Count | None = None
    clone_rounds: Count | None = None
    clone_episodes: Count | None = None
    clone_windows: Annotated[list[Count], Field(min_length=1)] | None = None
    tutor_matching: dict[str, Any] | None = None
    difficulty: dict[str, Any] | None = None


class EvaluationParams(_Section):
    """`05_evaluation`: resamples behind each off-policy interval, and how many new tutor pools
    the tutor-matching policies are also scored on (0: none beyond the served pool)."""

    n_bootstrap: Count | None = None
    new_pools: Annotated[int, Field(ge=0, strict=True)] | None = None


class ExportParams(_Section):
    """`06_model_export`: the supervised training's held-out share, for the parity check."""

    test_size: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None


def validation_problems(exc: ValidationError, section: str, known: Iterable[str]) -> str:
    """pydantic's report as one line per key, each named by its place in the params file
    (``04_supervised_training.test_size``) with the value it holds."""

    def problem(error: Mapping[str, Any]) -> str:
        where = ".".join([section, *map(str, error["loc"])])
        if error["type"] == "extra_forbidden":
            return f"{where}: unknown key; expected some of {', '.join(known)}"
        if error["type"] == "value_error":  # our validators' messages name the value already
            return f"{where}: {error['ctx']['error']}"
        return f"{where}: {error['msg']}, got {error['input']!r}"

    return "; ".join(problem(e) for e in exc.errors())


def _schema(model: type[_Section], section: str, data: Mapping[str, Any]) -> Any:
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise ParamsError(validation_problems(exc, section, model.model_fields)) from None


def _data_synthesis(params: Mapping[str, Any]) -> None:
    _schema(DataSynthesisParams, "01_data_synthesis", params["01_data_synthesis"])


def _environment_design(params: Mapping[str, Any]) -> None:
    from aura.env_ids import DIFFICULTY_ID, TUTOR_MATCHING_ID
    from aura.rl.config.environments import EnvConfig, check_env_builds

    section = "02_environment_design"
    checked = _schema(EnvironmentDesignParams, section, params[section])
    for key, env_id in (("tutor_matching", TUTOR_MATCHING_ID), ("difficulty", DIFFICULTY_ID)):
        options = getattr(checked, key)
        if options:
            where = f"{section}.{key}"
            check_env_builds(EnvConfig(key=key, id=env_id, kwargs=options), where, where)


def _rl_training(params: Mapping[str, Any]) -> None:
    from aura.rl.config import SECTION
    from aura.rl.config.environments import env_config
    from aura.rl.config.experiment import experiment_config
    from aura.rl.tune import tune_config

    section = params[SECTION]
    experiment_config(section, params[SHARED_SECTION])
    tune = tune_config(section.get("tune"))
    env_config(tune.env_key, section.get("envs"), f"{SECTION}.tune.env_key")


def _supervised_training(params: Mapping[str, Any]) -> None:
    from aura.supervised.training import SECTION, supervised_config

    supervised_config(params[SECTION])


def _evaluation(params: Mapping[str, Any]) -> None:
    _schema(EvaluationParams, "05_evaluation", params["05_evaluation"])


NOTEBOOK_SCHEMAS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "01_data_synthesis": _data_synthesis,
    "02_environment_design": _environment_design,
    "04_supervised_training": _supervised_training,
    "05_evaluation": _evaluation,
    "06_model_export": lambda p: _schema(ExportParams, "06_model_export", p["06_model_export"]),
}
"""The checks of the notebooks whose own code would not check its parameters before their work
(03 builds its configs with the same checks as the params file's; 04 builds its config only to
train, after it has read the tables with its `features`)."""


def check_notebook_params(
    stem: str, values: Mapping[str, Any], *, shared: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A notebook's own parameters, as papermill (`-p name value`) or JupyterLab gave them,
    checked as `aura run` checks its params file: run by itself, a notebook took `n_learners
    abc` to the simulator and ended in a TypeError deep inside it. ``shared`` holds the shared
    keys the notebook was given (seed and folders), checked as a params file's `shared` section
    is: `-p seed abc` or `-p data_dir 5` stopped in NumPy's seeding or in `pathlib` cells later.
    Returns ``values`` as given, so a notebook that passes them on as one mapping (04's config)
    names each once. A notebook with no check in `NOTEBOOK_SCHEMAS` is named with where to add
    one (a new notebook that copied the call stopped in a bare KeyError)."""
    if stem not in NOTEBOOK_SCHEMAS:
        raise ParamsError(
            f"notebook {stem} has no check of its parameters: add a function for {stem!r} to "
            f"NOTEBOOK_SCHEMAS in aura/params_check.py (checked: {', '.join(NOTEBOOK_SCHEMAS)})"
        )
    shared = dict(shared or {})
    try:
        problem = shared_problem(shared)
        if problem:
            raise ParamsError(problem)
        NOTEBOOK_SCHEMAS[stem]({SHARED_SECTION: shared, stem: dict(values)})
    except ValueError as exc:
        raise ParamsError(f"notebook {stem}'s parameters: {exc}") from None
    return dict(values)


def export_test_size(params: Mapping[str, Any]) -> float:
    """The held-out share the export checks the forests' parity on: ``06_model_export``'s (where
    unset, the default that notebook 06 and the supervised training share), which must be the
    supervised training's, the learners it held out."""
    from aura.supervised.training import SECTION, SupervisedConfig, supervised_config

    section = "06_model_export"
    test_size = _schema(ExportParams, section, params.get(section) or {}).test_size
    exported = (
        SupervisedConfig.model_fields["test_size"].default if test_size is None else test_size
    )
    trained = supervised_config(params.get(SECTION)).test_size
    if exported != trained:
        raise ParamsError(
            f"{section}.test_size is {exported} but {SECTION}.test_size is {trained}: the export "
            "checks the forests' parity on the learners the supervised training held out"
        )
    return exported


def export_folders(params: Mapping[str, Any]) -> None:
    """The export replaces ``artifacts_dir`` whole, so it must not be, or hold, the models or the
    data folder: the run's trained models and its tables would go with it."""
    shared = params[SHARED_SECTION]
    artifacts = project_path(shared["artifacts_dir"]).resolve()
    for key in ("models_dir", "data_dir"):
        other = project_path(shared[key]).resolve()
        if other == artifacts or artifacts in other.parents:
            raise ParamsError(
                f"shared.artifacts_dir {shared['artifacts_dir']} holds shared.{key} "
                f"{shared[key]}: the export replaces its folder whole and would delete them"
            )


FOLDERS_WRITTEN: dict[str, tuple[str, ...]] = {
    "01_data_synthesis": ("data_dir",),
    "03_rl_training": ("models_dir",),
    "04_supervised_training": ("models_dir",),
    "05_evaluation": ("models_dir",),
    "06_model_export": ("artifacts_dir",),
}
"""The folders of `shared` each notebook (and the command that does its work) writes into."""


def writable_folders(params: Mapping[str, Any], source: str | Path, *keys: str) -> None:
    """Each folder of `keys` (of `shared`; default: those the file's sections write) can be made
    and written: a models folder under a file stopped a training with a traceback once it had
    trained, and an export after its checks."""
    shared = params[SHARED_SECTION]
    if not keys:
        keys = tuple(dict.fromkeys(k for name in params for k in FOLDERS_WRITTEN.get(name, ())))
    for key in keys:
        folder = project_path(shared[key])
        problem = unwritable_folder(folder, replaced_whole=key == "artifacts_dir")
        if problem:
            raise ParamsError(f"{source}: shared.{key} {shared[key]} {problem}")


def export_pair_features(params: Mapping[str, Any]) -> None:
    """The tutor-match endpoint scores each (learner, tutor) pair with the compatibility model,
    so every input of that model must be one it can fill from a learner and a tutor; otherwise
    the export refuses the trained model, after the whole training."""
    from aura.export.supervised import PAIR_SOURCES
    from aura.supervised.training import SECTION, supervised_config

    features = supervised_config(params.get(SECTION)).features["compatibility"]
    unknown = [name for name in features if name not in PAIR_SOURCES]
    if unknown:
        raise ParamsError(
            f"{SECTION}.features.compatibility has {unknown}, which the tutor-match endpoint "
            f"cannot fill for a (learner, tutor) pair, so the export would refuse the model; "
            f"known inputs: {sorted(PAIR_SOURCES)}"
        )


def _model_export(params: Mapping[str, Any]) -> None:
    export_folders(params)
    export_test_size(params)
    export_pair_features(params)


SECTION_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "01_data_synthesis": _data_synthesis,
    "02_environment_design": _environment_design,
    "03_rl_training": _rl_training,
    "04_supervised_training": _supervised_training,
    "05_evaluation": _evaluation,
    "06_model_export": _model_export,
}
"""The check of each notebook's section; a section of another notebook is not checked here."""


EVALUATING_NOTEBOOKS = ("05_evaluation", "06_model_export")
"""The notebooks that read PPO's policy on both AURA environments from the RL grid (the results
table, the tutor pools, the off-policy estimates, the export)."""


def whole_run_problem(params: Mapping[str, Any]) -> str | None:
    """Why a run of notebooks 05 and 06 would fail on these params, or None. A study of one
    environment or without PPO is a grid for `aura train-rl` and the RL commands, and passes
    every section's check; run whole, it would train for minutes and then stop in notebook 05."""
    from aura.env_ids import AURA_ENV_IDS
    from aura.rl.config import SECTION

    section = params.get(SECTION) or {}
    env_keys, algorithms = section.get("env_keys") or [], section.get("algorithms") or []
    missing = [key for key in AURA_ENV_IDS if key not in env_keys]
    if "ppo" in algorithms and not missing:
        return None
    return (
        f"notebooks {' and '.join(EVALUATING_NOTEBOOKS)} evaluate and export PPO on "
        f"{' and '.join(AURA_ENV_IDS)}, but {SECTION} trains algorithms {list(algorithms)} on "
        f"env_keys {list(env_keys)}: train these params with `aura train-rl` (every section "
        "passes its check), or run the notebooks before 05 with `aura run --only`"
    )


DRAWING_NOTEBOOK, TRAINING_NOTEBOOK = "01_data_synthesis", "04_supervised_training"
"""The notebook that draws a run's tables and the one that trains the forests on them."""
SCORING_NOTEBOOK = "05_evaluation"
"""The notebook that scores the tutor-matching policies on the drawn tutors (the served pool)."""


def _reads_drawn_tables(params: Mapping[str, Any], stem: str) -> dict[str, Any] | None:
    """Notebook 01's parameters where the file also has notebook ``stem``, which reads the
    folder 01 writes; otherwise None (``stem`` reads tables drawn apart)."""
    if DRAWING_NOTEBOOK not in params or stem not in params:
        return None
    drawn = notebook_params(dict(params), DRAWING_NOTEBOOK)
    reader = notebook_params(dict(params), stem)
    return drawn if drawn["data_dir"] == reader["data_dir"] else None


def check_served_pool(params: Mapping[str, Any], source: str | Path) -> None:
    """Notebook 05 scores the tutor-matching policies on the tutors notebook 01 draws, and a
    pool of one tutor gives every strategy that tutor: such a run stopped in notebook 05 on an
    oracle no better than random, after the RL grid and the forests."""
    from aura.envs.tutor_matching import MIN_POOL_TUTORS

    drawn = _reads_drawn_tables(params, SCORING_NOTEBOOK)
    n_tutors = (drawn or {}).get("n_tutors")
    if n_tutors is not None and n_tutors < MIN_POOL_TUTORS:
        raise ParamsError(
            f"{source}: {DRAWING_NOTEBOOK}.n_tutors is {n_tutors}, but {SCORING_NOTEBOOK} "
            f"scores the tutor-matching policies on the tutors it draws, and with fewer than "
            f"{MIN_POOL_TUTORS} every strategy picks the same tutor: draw at least "
            f"{MIN_POOL_TUTORS}"
        )


def check_drawn_tables(params: Mapping[str, Any], source: str | Path) -> None:
    """A run that draws its tables (notebook 01) and trains the forests on them (04): the tables
    are drawn here as notebook 01 will draw them (a fraction of a second at the spec's scale)
    and split as the training will split them, so tables too small for the held-out share, the
    folds, or a difficulty level in every fold are refused before anything runs. Each size
    passes its own check at 1, and such a run stopped in notebook 04, after the RL grid.
    Skipped where 04 reads another folder than 01 writes, or 01 leaves a size to its default."""
    drawn = _reads_drawn_tables(params, TRAINING_NOTEBOOK)
    if drawn is None:
        return
    trained = notebook_params(dict(params), TRAINING_NOTEBOOK)  # its own seed, if it sets one
    sizes = {key: drawn.get(key) for key in ("n_learners", "n_tutors", "n_sessions")}
    if None in sizes.values():
        return
    from aura.sim.generate import generate
    from aura.supervised.features import build_feature_tables
    from aura.supervised.training import MODEL_NAMES, supervised_config, training_split

    config = supervised_config(params[TRAINING_NOTEBOOK])
    try:
        data = generate(drawn["seed"], **sizes)
    except ValueError as exc:  # a history too long for its timestamps
        raise ParamsError(f"{source}: {DRAWING_NOTEBOOK}: {exc}") from None
    tables = build_feature_tables(data.learners, data.tutors, data.sessions, config.features)
    try:
        for name in MODEL_NAMES:
            training_split(name, tables[name], config, trained["seed"])
    except ValueError as exc:
        shown = ", ".join(f"{key} {value}" for key, value in sizes.items())
        raise ParamsError(
            f"{source}: {DRAWING_NOTEBOOK} draws tables too small for "
            f"{TRAINING_NOTEBOOK} ({shown}): {exc}"
        ) from None


def check_sections(
    params: Mapping[str, Any], source: str | Path, stems: Iterable[str] | None = None
) -> list[str]:
    """Check the sections of ``stems`` (default: every section the file has) and return the
    names of those checked. The first problem is raised as a ParamsError naming ``source``. A
    seed or folder a section gives over the shared one (its notebook receives the section's) is
    checked as the shared one is."""
    names = [s for s in (params if stems is None else stems) if s in params]
    checked = []
    for name in names:
        if name != SHARED_SECTION:  # a shared key the section gives over the shared value
            problem = shared_problem(params[name], section=name)
            if problem:
                raise ParamsError(f"{source}: {problem}")
        check = SECTION_CHECKS.get(name)
        if check is None:
            continue
        try:
            check(params)
        except (ValueError, TypeError) as exc:  # ParamsError and ConfigError are ValueErrors
            raise ParamsError(f"{source}: {exc}") from None
        checked.append(name)
    return checked


def check_declared(params: dict[str, Any], notebooks: Sequence[Path], source: Path) -> None:
    """Refuse a key no notebook takes: papermill only warns of it ("Passed unknown parameter")
    and the notebook runs on its literal default, so a misspelt key would quietly make a report
    mean something other than its params say.

    ``notebooks`` are all the pipeline's notebooks, whichever of them a run executes: a section's
    keys must be parameters of its notebook (its ``parameters`` cell), a shared key one of some
    notebook, and a section must name a notebook or be ``shared``.
    """
    import papermill as pm

    from aura.reports.cell_ids import quiet_missing_ids

    with quiet_missing_ids():  # a parameters cell is found by its tag, not its id
        declared = {
            nb.stem: set(pm.inspect_notebook(str(nb))) - {RUN_DIR_PARAM} for nb in notebooks
        }
    stray = sorted(set(params) - set(declared) - {SHARED_SECTION})
    if stray:
        raise ParamsError(
            f"{source}: section(s) {', '.join(stray)} match no notebook "
            f"(notebooks: {', '.join(declared) or 'none'})"
        )
    for nb in notebooks:
        unknown = sorted(set(params.get(nb.stem, {})) - declared[nb.stem])
        if unknown:
            own = declared[nb.stem] - set(params[SHARED_SECTION])
            raise ParamsError(
                f"{source}: section '{nb.stem}' has key(s) {', '.join(unknown)}, which "
                f"{nb.name} does not take; its own are {', '.join(sorted(own))}"
            )
    unknown = sorted(set(params[SHARED_SECTION]) - set().union(*declared.values()))
    if unknown:
        raise ParamsError(
            f"{source}: shared key(s) {', '.join(unknown)} are parameters of no notebook"
        )


def check_params(
    params: dict[str, Any], notebooks: Sequence[Path], source: str | Path
) -> list[str]:
    """Every check a pipeline run of all ``notebooks`` makes before it starts: each notebook has
    its section, each key is a parameter of its notebook, each section holds values its
    notebook accepts, and the folders they write can be written. Returns the sections checked."""
    for notebook in notebooks:
        notebook_params(params, notebook.stem, source=source)
    check_declared(params, notebooks, Path(source))
    checked = check_sections(params, source)
    check_drawn_tables(params, source)
    check_served_pool(params, source)
    writable_folders(params, source)
    return checked
