"""What a study found, read without training: its counts and best trial, its values beside the
validation episodes' anchors (random, the best hand rule, the oracle), and its best trial written
as a params file that ``aura train-rl`` accepts.

Apart from the search (`aura.rl.tune`), which adds trials to a study: everything here reads one,
which is all ``aura tune --n-trials 0`` does, and what a worker says once its trials are done.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aura.config import SHARED_SECTION, parse_params
from aura.files import write_text_atomically
from aura.params_edit import child_mapping, new_flow_map, round_trip_yaml
from aura.rl.config import SECTION, VALIDATION_SEED_OFFSET, ConfigError
from aura.rl.config.experiment import experiment_config, load_experiment
from aura.rl.tune import PARAMS_BLOCK_ATTR, check_study, study_identity, tuning
from aura.rl.tune_storage import make_storage, sqlite_file, storage_url


def read_study(params_path: str | Path, *, study_name: str, storage: str | None = None) -> Any:
    """An existing study, checked against the params file as a worker would be, without a
    trial: its summary, or its best trial written as a params file, costs nothing to have."""
    import optuna
    from sqlalchemy.engine import make_url

    exp, tune_cfg = tuning(params_path)
    url = storage_url(storage, exp.models_dir)
    database = sqlite_file(make_url(url)) if url.startswith("sqlite") else None
    if database and not Path(database).exists():  # opening it would make an empty one
        raise ConfigError(f"no study {study_name!r}: {database} does not exist")
    try:
        study = optuna.load_study(study_name=study_name, storage=make_storage(url))
    except KeyError:
        raise ConfigError(
            f"no study {study_name!r} in {url}: with no trials to run there is nothing to read"
        ) from None
    check_study(study, study_identity(tune_cfg, exp))
    return study


def write_best_params(study: Any, params_path: str | Path, out_path: str | Path) -> Path:
    """Copy the params file with the best trial's values in the tuned hyperparameter block.

    The copy is the params file's own text, round-tripped: its comments, key order and layout
    stay, and only the searched values the best trial changed are written (one it drew as the
    block already had it, a default the file leaves out included, is not), so the written file
    documents itself as the original did and a diff against it shows exactly what tuning changed.
    """
    algo, env_key = study.user_attrs.get("algo"), study.user_attrs.get("env_key")
    if algo is None or env_key is None:
        raise ConfigError(f"study {study.study_name!r} does not record which algo/env it tunes")
    exp = load_experiment(params_path)  # a clear error for a missing, malformed or misshapen file
    seed = exp.base_seed
    best = study.best_trial
    trained = exp.hyperparams.get((algo, env_key))
    now = {} if trained is None else trained.to_dict()  # a block the grid leaves out: all of it
    changed = {k: v for k, v in best.params.items() if k not in now or now[k] != v}
    rt = round_trip_yaml()
    doc = rt.load(Path(params_path).read_text(encoding="utf-8"))
    if changed:
        block = child_mapping(child_mapping(child_mapping(doc, SECTION), "hyperparams"), algo)
        tuned = block.get(env_key)
        if tuned is None:
            tuned = block[env_key] = new_flow_map()
        tuned.update(changed)
    reference = study.user_attrs.get(PARAMS_BLOCK_ATTR)
    against = "" if reference is None else f"; the params block {reference:.4f}"
    budget = study.user_attrs.get("total_timesteps")
    steps = "" if budget is None else f"{budget:,} steps at seed {seed + best.number}, "
    header = (
        f"# {Path(params_path).name} with the best trial of study {study.study_name!r}\n"
        f"# (trial {best.number}, {steps}validation mean return {best.value:.4f}{against})\n"
        f"# in {SECTION}.hyperparams.{algo}.{env_key}.\n"
    )
    warning = block_not_beaten(reference, best.value)
    if warning:
        header += f"# {warning}\n"
    body = io.StringIO()
    rt.dump(doc, body)
    text, out_path = header + body.getvalue(), Path(out_path)
    written = parse_params(text, out_path)  # what is written must be accepted by training
    experiment_config(written[SECTION], written[SHARED_SECTION])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(out_path, text)
    return out_path


def block_not_beaten(block: float | None, best: float | None) -> str | None:
    """A warning when the study's best trial (value ``best``) scored no better than the params
    file's own block (``block``) on the same validation episodes (a study that has not yet found
    better, or a block already tuned): a params file written from it is no improvement on the
    original by the study's own measure. None where either value is unknown."""
    if block is None or best is None or best > block:
        return None
    return (
        f"the best trial ({best:.4f}) does not beat the params file's own block "
        f"({block:.4f}) on the same validation episodes and budget"
    )


def validation_references(params_path: str | Path) -> dict[str, Any] | None:
    """The anchors of the validation episodes a study's values are mean returns on: random, the
    oracle and the best hand rule, each scored there as the grid scores them on its held-out
    episodes, so that a trial's value can be read as a normalised score. None for an
    environment without references (one defined in the params by a Gymnasium id)."""
    from aura.envs.evaluation import evaluate_policy
    from aura.rl.references import BASELINES, aura_baselines, best_hand_rule

    exp, tune_cfg = tuning(params_path)
    if tune_cfg.env_key not in BASELINES:
        return None
    env = exp.env(tune_cfg.env_key)
    seed, n = exp.base_seed + VALIDATION_SEED_OFFSET, exp.n_test_episodes
    means = {
        name: float(evaluate_policy(env.id, policy, n, seed, env_kwargs=env.kwargs).mean_return)
        for name, policy in aura_baselines(env.key, seed).items()
    }
    rule = best_hand_rule(means)
    return {
        "n_episodes": n,
        "random": means["random"],
        "oracle": means["oracle"],
        "hand_rule_name": rule,
        "hand_rule": means[rule],
    }


def references_line(refs: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """The study's values beside the validation episodes' anchors, raw and normalised."""
    from aura.envs.evaluation import normalised_score

    lo, hi = refs["random"], refs["oracle"]

    def norm(value: float) -> str:
        return f"{value:.4f} (normalised {float(normalised_score(value, lo, hi)):.3f})"

    parts = [
        f"random {lo:.4f}",
        f"{refs['hand_rule_name']} {norm(refs['hand_rule'])}",
        f"oracle {hi:.4f}",
    ]
    if summary.get("params_block") is not None:
        parts.append(f"the params block {norm(summary['params_block'])}")
    if summary.get("best") is not None:
        parts.append(f"the best trial {norm(summary['best']['value'])}")
    return f"mean returns on the {refs['n_episodes']:,} validation episodes: " + "; ".join(parts)


def study_summary(study: Any) -> dict[str, Any]:
    """Counts by state and by worker, the best trial, and the params file's own block scored
    the same way (``params_block``; None for a study made before it was recorded)."""
    import optuna

    trials = study.get_trials(deepcopy=False)
    by_state: dict[str, int] = {}
    by_worker: dict[str, int] = {}
    for t in trials:
        by_state[t.state.name] = by_state.get(t.state.name, 0) + 1
        worker = str(t.user_attrs.get("worker"))
        by_worker[worker] = by_worker.get(worker, 0) + 1
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value) if complete else None
    return {
        "study": study.study_name,
        "n_trials": len(trials),
        "by_state": by_state,
        "by_worker": by_worker,
        "params_block": study.user_attrs.get(PARAMS_BLOCK_ATTR),
        "best": None
        if best is None
        else {"number": best.number, "value": best.value, **best.params},
    }
