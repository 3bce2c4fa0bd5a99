"""Optuna: two worker processes share one study, in a SQLite file and on a PostgreSQL server, and
the best trial becomes a params file that training accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml

from aura.config import PARAMS_DIR, load_params
from aura.rl.config import SECTION
from aura.rl.config.experiment import load_experiment
from aura.rl.tune import score_block, tune, tune_config
from aura.rl.tune_results import study_summary, write_best_params
from aura.rl.tune_storage import make_storage, shown_url

ENV_KEY = "tutor_matching"
BLOCK_NOTE = "scores the params file's own block"


def tiny_params(tmp_path: Path) -> Path:
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    params["shared"]["models_dir"] = str(tmp_path / "models")
    section = params[SECTION]
    section["n_test_episodes"] = 5
    section["training"] = {"eval_freq": 256, "n_eval_episodes": 2, "save_freq": 10_000}
    section["tune"] = {
        "algo": "ppo",
        "env_key": ENV_KEY,
        "total_timesteps": 768,
        "n_trials": 3,
        "n_startup_trials": 2,
        "n_warmup_evals": 1,
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty study storage: a SQLite file (one machine) or a PostgreSQL database (many)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres_database")()


def test_two_workers_share_one_study_and_the_best_params_train(
    tmp_path: Path, storage: str
) -> None:
    params = tiny_params(tmp_path)
    aura = Path(sys.executable).with_name("aura")
    workers = [
        subprocess.Popen(
            [str(aura), "tune", "--params", str(params), "--study", "s", "--storage", storage]
            + ["--n-trials", "3", "--worker-id", worker],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        for worker in ("w1", "w2")
    ]
    outputs = []
    for w in workers:
        out, _ = w.communicate(timeout=600)
        assert w.returncode == 0, out
        outputs.append(out)

    study = optuna.load_study(study_name="s", storage=make_storage(storage))
    summary = study_summary(study)
    assert summary["by_worker"] == {"w1": 3, "w2": 3}
    assert summary["n_trials"] == 6
    assert summary["by_state"].get("COMPLETE", 0) >= 1
    # The params file's own block is scored once, by the worker that created the study, exactly
    # as trial 0 would score it.
    assert sum(BLOCK_NOTE in out for out in outputs) == 1, outputs
    # Each says once whether it made the study or found it made, in aura's words, not Optuna's.
    assert sorted(out.count(": created\n") for out in outputs) == [0, 1], outputs
    assert sorted(out.count(": resumed with ") for out in outputs) == [0, 1], outputs
    assert not any("A new study created" in out for out in outputs), outputs
    exp = load_experiment(params)
    block = exp.hyperparams[("ppo", ENV_KEY)].to_dict()
    tune_cfg = tune_config(load_params(params)[SECTION]["tune"])
    assert summary["params_block"] == score_block(exp, tune_cfg, block, 0)

    # The study resumes: a later worker adds to its trials instead of starting a new study.
    notes: list[str] = []
    study = tune(
        params,
        study_name="s",
        storage=storage,
        n_trials=1,
        worker_id="w3",
        show_progress_bar=True,
        note=notes.append,
    )
    assert len(study.trials) == 7 and study.trials[-1].user_attrs["worker"] == "w3"
    # nothing but the study resumed: a worker that resumes a scored study does not score the
    # params block again
    assert notes == [f"study 's' in {shown_url(storage)}: resumed with 6 finished trials"]
    assert study_summary(study)["params_block"] == summary["params_block"]

    out_path = write_best_params(study, params, tmp_path / "best.yaml")
    assert f"the params block {summary['params_block']:.4f}" in out_path.read_text()
    cfg = load_experiment(out_path)
    tuned = cfg.hyperparams[("ppo", ENV_KEY)]
    for name, value in study.best_params.items():
        assert getattr(tuned, name) == value
    untouched = load_experiment(params).hyperparams[("ppo", "difficulty_adaptation")]
    assert cfg.hyperparams[("ppo", "difficulty_adaptation")] == untouched
