"""Hyperparameter search with Optuna: TPE sampling, median pruning on intermediate evaluations.

A study lives in a database, so it can be stopped and resumed (a worker loads it by name), and
several worker processes, on one machine or many, can add trials to the same study: SQLite
(``sqlite:///{models_dir}/optuna.db``, the default) for one machine, any SQLAlchemy URL (e.g. a
PostgreSQL server) for many (`aura.rl.tune_storage`). Each trial trains one run with a candidate
block of hyperparameters; after every evaluation the pruning callback reports the mean evaluation
return, and a trial below the median of earlier trials at the same point stops early. The
objective is the scored model's (``scored_model``: the best checkpoint or the final policy) mean
return on validation episodes whose seeds differ from the training, evaluation and held-out test
seeds, so tuning never sees the episodes results are reported on. The best trial's block is
written into a copy of the params file, which ``aura train-rl`` accepts as it is
(`aura.rl.tune_results`, which reads a study without training).

A study records what it searches (algorithm, environment, trial budget, search space); a worker
whose params ask for something else is refused with what differs, before it runs a trial.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from aura.config import load_params
from aura.rl.config import SECTION, VALIDATION_SEED_OFFSET, ConfigError
from aura.rl.config.algorithms import algo_params, check_algorithm
from aura.rl.config.checks import check_keys, non_negative_int, positive_int
from aura.rl.config.experiment import ExperimentConfig, load_experiment
from aura.rl.config.run import RunConfig
from aura.rl.train import SCORED_FILES, train
from aura.rl.tune_storage import make_storage, shown_url, storage_url, storage_written

PARAMS_BLOCK_ATTR = "params_block_value"
"""Study attribute: the validation mean return of the params file's own block, trained at the
tuning budget with trial 0's seed, against which the best trial is read."""

BLOCK_SCORER_ATTR = "params_block_scorer"
"""Study attribute: the worker that scores the params block (written by the study's creator
before anything else), or None once a failed scoring has released it for a later worker."""

TUNE_KEYS = {"algo", "env_key", "total_timesteps", "n_trials", "n_startup_trials", "n_warmup_evals"}


@dataclass(frozen=True)
class TuneConfig:
    """What to tune (the ``tune:`` block of the ``03_rl_training`` section)."""

    algo: str = "ppo"
    """Algorithm whose hyperparameters are searched."""
    env_key: str = "tutor_matching"
    """Environment the trials train on."""
    total_timesteps: int = 30_000
    """Training budget of one trial (smaller than a full run: tuning ranks, it does not finish)."""
    n_trials: int = 20
    """Trials this worker runs (each worker started on the same study adds its own)."""
    n_startup_trials: int = 5
    """Trials sampled at random before TPE models the results; no pruning before them either."""
    n_warmup_evals: int = 2
    """Evaluations a trial always gets before it can be pruned."""


def tune_config(data: Mapping[str, Any] | None) -> TuneConfig:
    """The `tune` block of the RL params section as a TuneConfig, each bad key named."""
    where = f"{SECTION}.tune"
    check_keys(data or {}, TUNE_KEYS, where)  # a number or a list is named, not iterated
    data = dict(data or {})
    for key in ("total_timesteps", "n_trials", "n_startup_trials"):
        if key in data:
            positive_int(data[key], f"{where}.{key}")
    if "n_warmup_evals" in data:
        non_negative_int(data["n_warmup_evals"], f"{where}.n_warmup_evals")
    cfg = TuneConfig(**data)
    check_algorithm(cfg.algo, f"{where}.algo")
    start = search_spaces()[cfg.algo].get("learning_starts")
    if start is not None and cfg.total_timesteps < 2 * max(start.choices):
        raise ConfigError(
            f"{where}.total_timesteps {cfg.total_timesteps} is below twice the largest "
            f"learning_starts the {cfg.algo} search draws ({max(start.choices)}): a trial that "
            "drew it would spend more than half its steps before its first update; give trials "
            f"at least {2 * max(start.choices)} steps"
        )
    return cfg


GAMMAS = [0.5, 0.9, 0.95, 0.99]
"""Discount factors searched: 0.5 for tasks whose actions pay mostly at once (tutor matching's
defaults), the usual 0.9-0.99 for those whose moves play out over the episode."""


def search_spaces() -> dict[str, dict[str, Any]]:
    """Search space per algorithm, as Optuna distributions; values not searched keep the params
    file's block. A study records the space it was created with (see `check_study`)."""
    from optuna.distributions import CategoricalDistribution as Choice
    from optuna.distributions import FloatDistribution as Float

    return {
        "ppo": {
            "learning_rate": Float(5e-5, 3e-3, log=True),
            "lr_schedule": Choice(["constant", "linear"]),
            "n_steps": Choice([64, 128, 256, 512]),
            "batch_size": Choice([32, 64, 128]),
            "n_epochs": Choice([3, 5, 10]),
            "gamma": Choice(GAMMAS),
            "gae_lambda": Choice([0.9, 0.95, 1.0]),
            "clip_range": Choice([0.1, 0.2, 0.3]),
            "ent_coef": Float(1e-6, 0.05, log=True),
        },
        "dqn": {
            "learning_rate": Float(3e-5, 3e-3, log=True),
            "batch_size": Choice([32, 64, 128]),
            "train_freq": Choice([1, 4, 8]),
            "target_update_interval": Choice([250, 1000, 5000]),
            "learning_starts": Choice([500, 1000, 5000]),
            "exploration_fraction": Choice([0.05, 0.1, 0.2]),
            "exploration_final_eps": Choice([0.01, 0.05]),
            "gamma": Choice(GAMMAS),
        },
        "a2c": {
            "learning_rate": Float(1e-4, 3e-3, log=True),
            "lr_schedule": Choice(["constant", "linear"]),
            "n_steps": Choice([5, 8, 16, 32]),
            "gamma": Choice(GAMMAS),
            "gae_lambda": Choice([0.9, 0.95, 1.0]),
            "ent_coef": Float(1e-6, 0.05, log=True),
        },
    }


def sample(trial: Any, space: Mapping[str, Any]) -> dict[str, Any]:
    """One candidate: a value for every distribution of ``space``, drawn through ``trial``."""
    from optuna.distributions import CategoricalDistribution

    values: dict[str, Any] = {}
    for name, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            values[name] = trial.suggest_categorical(name, list(dist.choices))
        else:
            values[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log)
    return values


def study_identity(tune: TuneConfig, exp: ExperimentConfig) -> dict[str, Any]:
    """What makes the trials of one study comparable: the algorithm, the environment, the trial
    budget, the search space (each distribution as Optuna's JSON), and the rest of what a
    trial's value depends on (`trial_setup`), the shared seed included: it seeds the validation
    episodes every value is a mean return on."""
    from optuna.distributions import distribution_to_json

    space = search_spaces()[tune.algo]
    env = exp.env(tune.env_key)
    block = exp.hyperparams[(tune.algo, tune.env_key)].to_dict()
    return {
        "algo": tune.algo,
        "env_key": tune.env_key,
        "total_timesteps": tune.total_timesteps,
        "search_space": {name: distribution_to_json(dist) for name, dist in space.items()},
        "trial_setup": {
            "env": {"id": env.id, "kwargs": dict(env.kwargs)},
            "unsearched": {k: v for k, v in sorted(block.items()) if k not in space},
            "eval_freq": exp.training.eval_freq,
            "n_eval_episodes": exp.training.n_eval_episodes,
            "scored_model": exp.scored_model[tune.env_key],
            "n_test_episodes": exp.n_test_episodes,
            "seed": exp.base_seed,
        },
    }


def check_study(study: Any, identity: Mapping[str, Any]) -> None:
    """Refuse to add trials to a study that searched something else, naming what differs.

    A study made before studies recorded their identity is checked against its trials'
    distributions. Optuna itself would fail mid-trial on a changed categorical, and would
    silently mix budgets or algorithms.
    """
    from optuna.distributions import distribution_to_json

    recorded = dict(study.user_attrs)
    if "search_space" not in recorded:  # a parameter no trial drew yet is taken as unchanged
        space = dict(identity["search_space"])
        for trial in study.get_trials(deepcopy=False):
            space.update({k: distribution_to_json(d) for k, d in trial.distributions.items()})
        recorded["search_space"] = space
    differs = []
    for key in ("algo", "env_key", "total_timesteps"):
        if key in recorded and recorded[key] != identity[key]:
            differs.append(f"{key} {recorded[key]!r} there, {identity[key]!r} here")
    if any(recorded.get(k, identity[k]) != identity[k] for k in ("algo", "env_key")):
        _refuse(study, differs)  # another task: its space and setup differ as a matter of course
    setup = recorded.get("trial_setup", identity["trial_setup"])  # older studies: unrecorded
    for key in sorted(setup):  # what a study made before a key was recorded did not record
        there, here = setup.get(key), identity["trial_setup"].get(key)
        if json.dumps(there, sort_keys=True) != json.dumps(here, sort_keys=True):
            differs.append(f"{key} {there!r} there, {here!r} here")
    space = recorded["search_space"]
    for name in sorted(set(space) | set(identity["search_space"])):
        there, here = space.get(name), identity["search_space"].get(name)
        if _distribution(there) != _distribution(here):  # compared as distributions, not text
            differs.append(f"{name} {_describe(there)} there, {_describe(here)} here")
    if differs:
        _refuse(study, differs)


def _refuse(study: Any, differs: list[str]) -> NoReturn:
    raise ConfigError(
        f"study {study.study_name!r} searched something else ({'; '.join(differs)}); "
        "its trials cannot be compared with these: name a new study with --study"
    )


def _distribution(distribution_json: str | None) -> Any:
    from optuna.distributions import json_to_distribution

    return None if distribution_json is None else json_to_distribution(distribution_json)


def _describe(distribution_json: str | None) -> str:
    if distribution_json is None:
        return "not searched"
    from optuna.distributions import CategoricalDistribution

    dist = _distribution(distribution_json)
    if isinstance(dist, CategoricalDistribution):
        return str(list(dist.choices))
    return f"[{dist.low:g}, {dist.high:g}]{' log' if dist.log else ''}"


def default_worker_id() -> str:
    """host-pid: tells apart the workers of one study, on one machine or many."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _pruning_callback(trial: Any, n_warmup_evals: int) -> Any:
    """SB3 callback run after each evaluation: report to Optuna, stop the run if pruned."""
    from stable_baselines3.common.callbacks import BaseCallback

    class TrialPruningCallback(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.n_evals = 0
            self.pruned = False

        def _on_step(self) -> bool:
            self.n_evals += 1
            trial.report(float(self.parent.last_mean_reward), self.n_evals)
            if self.n_evals > n_warmup_evals and trial.should_prune():
                self.pruned = True
                return False
            return True

    return TrialPruningCallback()


def score_block(
    exp: ExperimentConfig,
    tune: TuneConfig,
    values: Mapping[str, Any],
    number: int,
    after_eval: Any = None,
) -> float | None:
    """Train one run of ``values`` at the tuning budget, seeded as trial ``number`` would be, and
    return its validation mean return; None if ``after_eval`` (a pruning callback) stopped it."""
    from aura.rl.scoring import evaluate_model_file

    env = exp.env(tune.env_key)
    training = dataclasses.replace(
        exp.training, total_timesteps=tune.total_timesteps, progress_bar=False
    )
    params = algo_params(tune.algo, dict(values), f"trial {number}")
    run = RunConfig(env, tune.algo, exp.base_seed + number, params, training)
    with tempfile.TemporaryDirectory(prefix="aura-trial-") as tmp:
        train(run, tmp, resume=False, after_eval=after_eval)
        if after_eval is not None and after_eval.pruned:
            return None
        returns = evaluate_model_file(
            Path(tmp) / SCORED_FILES[exp.scored_model[tune.env_key]],
            run,
            exp.base_seed + VALIDATION_SEED_OFFSET,
            exp.n_test_episodes,
        )
    return float(sum(returns) / len(returns))


def objective_for(
    exp: ExperimentConfig, tune: TuneConfig, worker_id: str
) -> Callable[[Any], float]:
    """The Optuna objective: train one candidate, return its validation mean return."""
    import optuna

    base = exp.hyperparams[(tune.algo, tune.env_key)].to_dict()
    space = search_spaces()[tune.algo]

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker_id)
        callback = _pruning_callback(trial, tune.n_warmup_evals)
        value = score_block(exp, tune, {**base, **sample(trial, space)}, trial.number, callback)
        if value is None:
            raise optuna.TrialPruned()
        return value

    return objective


def tuning(params_path: str | Path) -> tuple[ExperimentConfig, TuneConfig]:
    """The params file's grid and what its studies tune, checked to be a block of the grid."""
    exp = load_experiment(params_path)
    tune_cfg = tune_config(load_params(params_path)[SECTION].get("tune"))
    check_tuned_in_grid(tune_cfg, exp)
    return exp, tune_cfg


def check_tuned_in_grid(tune: TuneConfig, exp: ExperimentConfig) -> None:
    """A study tunes a block of the grid: an algorithm or environment the grid leaves out has
    no block to start from (it stopped in a KeyError once the study was made)."""
    for key, value, grid in (
        ("algo", tune.algo, "algorithms"),
        ("env_key", tune.env_key, "env_keys"),
    ):
        among = getattr(exp, grid)
        if value not in among:
            raise ConfigError(
                f"{SECTION}.tune.{key} {value!r} is not in {SECTION}.{grid} {list(among)}: a "
                f"study tunes a block of the grid; add it there, or tune one of them"
            )


def sampler_seed(base_seed: int, worker: str, study: Any) -> int:
    """The shared seed, the worker id and the number of trials the worker already ran in the
    study: a worker resumed with the same id drew its first candidates again."""
    done = sum(1 for t in study.get_trials(deepcopy=False) if t.user_attrs.get("worker") == worker)
    key = worker if done == 0 else f"{worker}#{done}"  # a new study: the seed it always had
    return (base_seed + zlib.crc32(key.encode())) % 2**32


def open_study(name: str, storage: Any, *, pruner: Any) -> tuple[Any, bool]:
    """The study ``name`` to maximise, and whether this call created it. Its sampler is the
    caller's to set, once the study's trials are known (`sampler_seed`).

    Creating a study is one insert that the storage refuses for a name it already holds, so of
    several workers started together on a new study exactly one learns it created it (the one
    that then scores the params block; see :func:`tune`), and the others load it.
    """
    import optuna

    try:
        study = optuna.create_study(
            study_name=name, storage=storage, direction="maximize", pruner=pruner
        )
        return study, True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, pruner=pruner)
        return study, False


def claim_params_block(study: Any, created: bool, worker: str) -> bool:
    """Whether ``worker`` is to score the study's params block; if so, it is recorded as the
    scorer before this returns.

    The worker that created the study claims it as its first write, so a worker that loads the
    study finds the block claimed and goes straight to its trials. A scoring that fails or is
    interrupted releases the claim (:func:`tune`), and the next worker to load the study takes
    it. Only a worker killed outright keeps its claim, and the study then has no block score;
    the best trial is reported on its own.
    """
    attrs = study.user_attrs
    if PARAMS_BLOCK_ATTR in attrs:
        return False
    if created or (BLOCK_SCORER_ATTR in attrs and attrs[BLOCK_SCORER_ATTR] is None):
        study.set_user_attr(BLOCK_SCORER_ATTR, worker)
        return True
    return False


@contextlib.contextmanager
def optuna_logs_held() -> Iterator[None]:
    """Optuna's log at ERROR within the block, and as it was after it. Its INFO lines ("A new
    study created in RDB with name ...") came among the worker's own, which say what they
    meant (`opened_line`); its warning for a failed trial printed the trial's traceback (Ctrl-C's
    through SB3 and torch) before the failure reached the caller, which says it in one line."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def opened_line(study: Any, created: bool, url: str) -> str:
    """The line a worker says once it has the study: made by it, or resumed with the trials it
    holds (finished: complete, pruned or failed), in the storage named with its password
    hidden."""
    where = f"study {study.study_name!r} in {shown_url(url)}"
    if created:
        return f"{where}: created"
    finished = sum(1 for t in study.get_trials(deepcopy=False) if t.state.is_finished())
    return f"{where}: resumed with {finished} finished trial{'' if finished == 1 else 's'}"


def tune(
    params_path: str | Path,
    *,
    study_name: str,
    storage: str | None = None,
    n_trials: int | None = None,
    worker_id: str | None = None,
    show_progress_bar: bool = False,
    note: Callable[[str], None] = lambda message: None,
) -> Any:
    """Run trials of one study (created if new, resumed if it exists) and return it; with
    ``show_progress_bar``, Optuna's bar counts this worker's trials and shows the best value.

    A new study first scores the params file's own block the way a trial is scored (at the
    tuning budget, trial 0's seed, on the validation episodes), so that its best trial is read
    against what training uses now rather than on its own. One worker scores it (``note`` says
    so) while the others start their trials (see :func:`claim_params_block`). ``note`` also
    says whether the study was created or resumed (`opened_line`), which Optuna's own log said
    among the worker's lines; that log is held back for the study (`optuna_logs_held`).

    The sampler is seeded from the shared seed, the worker id and how many trials that worker
    has in the study (`sampler_seed`), so a worker's draws are reproducible, two workers do not
    propose the same first candidates, and a resumed worker does not propose its own again.
    """
    import optuna

    exp, tune_cfg = tuning(params_path)  # checked before the study is touched
    identity = study_identity(tune_cfg, exp)
    worker = worker_id or default_worker_id()
    url = storage_url(storage, exp.models_dir)
    with optuna_logs_held():  # its INFO lines said by `note`, in aura's words
        with storage_written(url):  # the study's first writes: a read-only storage fails here
            study, created = open_study(
                study_name,
                make_storage(url),
                pruner=optuna.pruners.MedianPruner(
                    n_startup_trials=tune_cfg.n_startup_trials,
                    n_warmup_steps=tune_cfg.n_warmup_evals,
                ),
            )
            check_study(study, identity)  # before the claim: a worker refused must not take it
            study.sampler = optuna.samplers.TPESampler(
                seed=sampler_seed(exp.base_seed, worker, study),
                n_startup_trials=tune_cfg.n_startup_trials,
            )
            scores_block = claim_params_block(study, created, worker)
            for key, value in identity.items():
                study.set_user_attr(key, value)
        evaluated = tune_cfg.total_timesteps // exp.training.eval_freq
        if evaluated <= tune_cfg.n_warmup_evals:
            note(
                f"a trial of {tune_cfg.total_timesteps:,} steps is evaluated {evaluated} time(s), "
                f"every {exp.training.eval_freq:,} steps, and is never pruned: it must pass "
                f"n_warmup_evals ({tune_cfg.n_warmup_evals}) first"
            )
        note(opened_line(study, created, url))
        if scores_block:
            note(f"worker {worker} scores the params file's own block before its trials")
            block = exp.hyperparams[(tune_cfg.algo, tune_cfg.env_key)].to_dict()
            try:
                value = score_block(exp, tune_cfg, block, 0)
            except BaseException:
                study.set_user_attr(BLOCK_SCORER_ATTR, None)
                raise
            study.set_user_attr(PARAMS_BLOCK_ATTR, value)
        study.optimize(
            objective_for(exp, tune_cfg, worker),
            n_trials=n_trials if n_trials is not None else tune_cfg.n_trials,
            show_progress_bar=show_progress_bar,
            callbacks=[] if show_progress_bar else [_trial_line(note)],
        )
    return study


def _trial_line(note: Callable[[str], None]) -> Callable[[Any, Any], None]:
    """A line per finished trial, for a worker whose output goes to a log rather than a terminal
    (where the progress bar would be): it printed nothing between its start and its summary."""

    def told(study: Any, trial: Any) -> None:
        value = "" if trial.value is None else f" {trial.value:.4f}"
        try:
            best = f"; best {study.best_value:.4f} (trial {study.best_trial.number})"
        except ValueError:  # no trial complete yet
            best = ""
        note(f"trial {trial.number} {trial.state.name.lower()}{value}{best}")

    return told
