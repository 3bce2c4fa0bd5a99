"""Optuna studies record what they search: every sampled value lies in the recorded space, and a
worker whose params ask for another algorithm, budget or space is refused with what differs,
before it trains anything."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
from pathlib import Path

import optuna
import pytest
import yaml
from loopback import free_port
from optuna.distributions import CategoricalDistribution, FloatDistribution
from tune_params import params_file

import aura.rl.tune as aura_tune
import aura.rl.tune_results as tune_results
import aura.rl.tune_storage as tune_storage
from aura.config import PARAMS_DIR
from aura.rl.config import SECTION, ConfigError
from aura.rl.config.algorithms import ALGORITHMS, algo_params
from aura.rl.config.experiment import load_experiment
from aura.rl.tune import (
    BLOCK_SCORER_ATTR,
    GAMMAS,
    PARAMS_BLOCK_ATTR,
    check_study,
    claim_params_block,
    sample,
    search_spaces,
    study_identity,
    tune,
    tune_config,
)
from aura.rl.tune_results import block_not_beaten, study_summary, write_best_params


def identity_of(algo: str, env_key: str) -> dict:
    """The identity of a study of ``algo`` on ``env_key`` under smoke.yaml's grid."""
    smoke = load_experiment(PARAMS_DIR / "smoke.yaml")
    return study_identity(tune_config({"algo": algo, "env_key": env_key}), smoke)


def test_every_algorithm_has_a_search_space() -> None:
    assert set(search_spaces()) == set(ALGORITHMS)


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_every_sampled_block_lies_in_the_space_and_trains(algo: str) -> None:
    space = search_spaces()[algo]
    assert list(space["gamma"].choices) == GAMMAS  # 0.5: tutor matching's defaults are findable
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    for _ in range(20):
        trial = study.ask()
        values = sample(trial, space)
        assert set(values) == set(space)
        for name, value in values.items():
            assert space[name]._contains(space[name].to_internal_repr(value)), (name, value)
        algo_params(algo, values, "trial")  # every candidate is a valid block
        study.tell(trial, 0.0)


def storage_with(tmp_path: Path, name: str, attrs: dict, trial_space: dict | None = None) -> str:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name=name, storage=url, direction="maximize")
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    if trial_space is not None:
        params = {
            k: (d.choices[0] if hasattr(d, "choices") else d.low) for k, d in trial_space.items()
        }
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=trial_space, value=1.0)
        )
    return url


def test_a_trial_budget_below_a_searched_learning_start_is_refused() -> None:
    """DQN's search draws learning_starts up to 5,000: on a shorter trial such a draw ended
    before its first update and scored an untrained network as a candidate."""
    message = "03_rl_training.tune.total_timesteps 9999 is below twice the largest learning_starts"
    with pytest.raises(ConfigError, match=re.escape(message)):
        tune_config({"algo": "dqn", "total_timesteps": 9999})
    assert tune_config({"algo": "dqn", "total_timesteps": 10_000}).total_timesteps == 10_000
    assert tune_config({"algo": "ppo", "total_timesteps": 4000}).total_timesteps == 4000


def test_a_study_of_another_algorithm_or_budget_is_refused_before_training(tmp_path: Path) -> None:
    params = params_file(tmp_path, total_timesteps=768)
    identity = identity_of("dqn", "tutor_matching")
    url = storage_with(tmp_path, "s", identity)
    with pytest.raises(ConfigError) as err:
        tune(params, study_name="s", storage=url, n_trials=1)
    message = str(err.value)
    assert "study 's'" in message and "--study" in message
    assert "algo 'dqn' there, 'ppo' here" in message
    assert "total_timesteps 30000 there, 768 here" in message
    # another algorithm: its space and block differ as a matter of course, and are not listed
    assert "learning_rate" not in message and "unsearched" not in message
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 0


def test_a_study_with_another_search_space_is_refused(tmp_path: Path) -> None:
    identity = identity_of("ppo", "tutor_matching")
    narrower = dict(identity["search_space"])
    narrower["gamma"] = optuna.distributions.distribution_to_json(
        CategoricalDistribution([0.9, 0.95, 0.99])
    )
    study = optuna.create_study(study_name="old")
    study.set_user_attr("search_space", narrower)
    with pytest.raises(ConfigError, match=r"gamma \[0.9, 0.95, 0.99\] there, \[0.5, 0.9"):
        check_study(study, identity)
    check_study(optuna.create_study(), identity)  # a new study takes any space

    # The same space written out otherwise (key order, as another Optuna version might) is
    # the same space.
    reordered = {
        name: json.dumps(dict(reversed(json.loads(text).items())))
        for name, text in identity["search_space"].items()
    }
    assert reordered != identity["search_space"]
    study = optuna.create_study(study_name="reordered")
    study.set_user_attr("search_space", reordered)
    check_study(study, identity)


def test_a_study_made_before_spaces_were_recorded_is_checked_by_its_trials(tmp_path: Path) -> None:
    identity = identity_of("ppo", "tutor_matching")
    old_space = dict(search_spaces()["ppo"])
    old_space["gamma"] = CategoricalDistribution([0.9, 0.95, 0.99])
    old_space["ent_coef"] = FloatDistribution(1e-6, 0.05, log=True)
    url = storage_with(tmp_path, "legacy", {"algo": "ppo", "env_key": "tutor_matching"}, old_space)
    study = optuna.load_study(study_name="legacy", storage=url)
    with pytest.raises(ConfigError, match="gamma") as err:
        check_study(study, identity)
    assert "ent_coef" not in str(err.value)  # only what differs is named

    (tmp_path / "same").mkdir()
    same = storage_with(tmp_path / "same", "same", {}, search_spaces()["ppo"])
    check_study(optuna.load_study(study_name="same", storage=same), identity)


def test_the_params_block_has_one_scorer_and_a_failed_scoring_hands_it_on() -> None:
    study = optuna.create_study()
    assert claim_params_block(study, created=True, worker="w1")
    assert study.user_attrs[BLOCK_SCORER_ATTR] == "w1"
    assert not claim_params_block(study, created=False, worker="w2")  # claimed: w2 goes on
    study.set_user_attr(BLOCK_SCORER_ATTR, None)  # w1's scoring failed and released it
    assert claim_params_block(study, created=False, worker="w2")
    assert study.user_attrs[BLOCK_SCORER_ATTR] == "w2"
    study.set_user_attr(PARAMS_BLOCK_ATTR, 0.5)
    assert not claim_params_block(study, created=False, worker="w3")  # scored: nothing to do
    legacy = optuna.create_study()  # made before the claim was recorded, never scored
    assert not claim_params_block(legacy, created=False, worker="w3")


def test_an_interrupted_scoring_of_the_params_block_is_taken_up_by_the_next_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = params_file(tmp_path, total_timesteps=768)
    url = f"sqlite:///{tmp_path / 'study.db'}"

    def interrupted(*args: object, **kwargs: object) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr("aura.rl.tune.score_block", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tune(params, study_name="s", storage=url, n_trials=0, worker_id="w1")
    study = optuna.load_study(study_name="s", storage=url)
    assert study.user_attrs[BLOCK_SCORER_ATTR] is None
    assert PARAMS_BLOCK_ATTR not in study.user_attrs

    monkeypatch.setattr("aura.rl.tune.score_block", lambda *args, **kwargs: 0.25)
    notes: list[str] = []
    study = tune(params, study_name="s", storage=url, n_trials=0, worker_id="w2", note=notes.append)
    assert study.user_attrs[PARAMS_BLOCK_ATTR] == 0.25
    assert study.user_attrs[BLOCK_SCORER_ATTR] == "w2"
    assert notes[-1] == "worker w2 scores the params file's own block before its trials"


def test_the_tune_command_refuses_with_the_message_and_exit_code_1(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    params = params_file(tmp_path, total_timesteps=768)
    identity = identity_of("a2c", "tutor_matching")
    url = storage_with(tmp_path, "s", identity)
    result = CliRunner().invoke(
        app, ["tune", "--params", str(params), "--study", "s", "--storage", url]
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console may wrap the line
    assert "study 's' searched something else (algo 'a2c' there, 'ppo' here;" in output
    assert "Traceback" not in result.output
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 0


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        ("notaurl", "storage 'notaurl' is not a database URL; expected e.g. sqlite:///"),
        ("nosuchdb://host/x", "storage nosuchdb://host/x: SQLAlchemy knows no database 'nosuchdb'"),
        ("mysql://u@127.0.0.1/x", "the database driver 'MySQLdb' is not installed"),
        (
            "postgresql://aura:secret@127.0.0.1:{port}/x",
            "storage postgresql://aura:***@127.0.0.1:{port}/x cannot be opened: connection failed",
        ),
        ("sqlite:///{tmp}/missing/dir/optuna.db", "cannot be opened: unable to open database"),
        ("sqlite://", "storage sqlite:// is a SQLite database in memory"),
        ("sqlite:///:memory:", "storage sqlite:///:memory: is a SQLite database in memory"),
    ],
    ids=[
        "not-a-url",
        "unknown-database",
        "missing-driver",
        "no-server",
        "sqlite-no-folder",
        "sqlite-in-memory",
        "sqlite-memory",
    ],
)
def test_a_storage_that_cannot_be_opened_is_named_with_the_reason(
    tmp_path: Path, storage: str, expected: str
) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    fill = {"port": free_port(), "tmp": tmp_path}
    storage, expected = storage.format(**fill), expected.format(**fill)
    params = params_file(tmp_path, total_timesteps=768)
    result = CliRunner().invoke(
        app, ["tune", "--params", str(params), "--study", "s", "--storage", storage]
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert output.startswith("error: ") and expected in output
    assert "secret" not in output and "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_a_damaged_or_foreign_database_is_named_in_one_line(tmp_path: Path) -> None:
    """Each gave a traceback of some 300 lines through SQLAlchemy and Optuna."""
    from aura.rl.tune_storage import make_storage

    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:  # a database of another program's, with a "studies"
        db.execute("create table studies (id integer, name text)")
    with pytest.raises(ConfigError, match="is not a usable Optuna database: no such column"):
        make_storage(f"sqlite:///{foreign}")
    damaged = tmp_path / "damaged.db"
    optuna.create_study(storage=make_storage(f"sqlite:///{damaged}"), study_name="s")
    pages = bytearray(damaged.read_bytes())
    pages[4096:16384] = b"Z" * 12288
    damaged.write_bytes(pages)
    with pytest.raises(ConfigError, match="is not a usable Optuna database: database disk image"):
        make_storage(f"sqlite:///{damaged}")


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    """Optuna would have added its tables to it and run the study there."""
    from aura.rl.tune_storage import make_storage

    app_db = tmp_path / "app.db"
    with contextlib.closing(sqlite3.connect(app_db)) as db:
        db.execute("create table users (id integer, name text)")
        db.execute("insert into users values (1, 'a')")
        db.commit()
    before = app_db.read_bytes()
    with pytest.raises(ConfigError, match=r"holds another program's tables \(users\) and none"):
        make_storage(f"sqlite:///{app_db}")
    assert app_db.read_bytes() == before
    empty = tmp_path / "empty.db"
    empty.touch()  # an empty file is a new database
    make_storage(f"sqlite:///{empty}")
    with contextlib.closing(sqlite3.connect(empty)) as db:
        assert ("studies",) in db.execute("select name from sqlite_master").fetchall()
    make_storage(f"sqlite:///{empty}")  # and is Optuna's from then on


def fake_trials(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Trials scored at once from their values (no training); the values each trial drew."""
    drawn: list[dict] = []

    def score(exp: object, tune: object, values: dict, number: int, after_eval=None) -> float:
        drawn.append(dict(values))
        return float(values["learning_rate"])

    monkeypatch.setattr("aura.rl.tune.score_block", score)
    return drawn


def test_a_worker_resumed_with_its_id_draws_new_candidates_and_a_new_study_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampler was seeded from the worker id alone: resumed, a worker proposed its own
    first candidates again, spending trials on values already scored."""
    drawn = fake_trials(monkeypatch)
    params = params_file(tmp_path, total_timesteps=768, n_startup_trials=5)
    for name in ("a", "a", "b"):
        tune(
            params,
            study_name=name,
            storage=f"sqlite:///{tmp_path / 'db'}",
            n_trials=1,
            worker_id="w",
        )
    block, first, resumed, fresh_block, fresh = drawn  # a new study scores its block first
    assert resumed != first
    assert (fresh_block, fresh) == (block, first)  # a new study: the same draws as ever


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"envs": {"tutor_matching": {"kwargs": {"episode_length": 6}}}}, "env {'id'"),
        ({"scored_model": {"tutor_matching": "best"}}, "scored_model 'final' there, 'best' here"),
        ({"n_test_episodes": 5}, "n_test_episodes 50 there, 5 here"),
        ({"training": {"eval_freq": 512}}, "eval_freq"),
    ],
    ids=["env", "scored-model", "test-episodes", "eval-freq"],
)
def test_a_worker_whose_trials_would_measure_something_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: dict, named: str
) -> None:
    """Only the algorithm, environment key, budget and space were compared: a worker on longer
    episodes joined the study, and --best-params wrote its trial as the best."""
    fake_trials(monkeypatch)
    url = f"sqlite:///{tmp_path / 'db'}"
    tune(params_file(tmp_path, total_timesteps=768), study_name="s", storage=url, n_trials=1)
    other = yaml.safe_load((tmp_path / "params.yaml").read_text())
    for key, value in setting.items():
        section = other[SECTION]
        section[key] = {**section[key], **value} if isinstance(value, dict) else value
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other, sort_keys=False))
    with pytest.raises(ConfigError, match="searched something else") as err:
        tune(tmp_path / "other.yaml", study_name="s", storage=url, n_trials=1)
    assert named in str(err.value)
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 1


def test_a_refused_worker_leaves_the_params_block_to_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It claimed the block before it was refused, and the study then never scored it."""
    fake_trials(monkeypatch)
    url = f"sqlite:///{tmp_path / 'db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    for key, value in identity_of("ppo", "tutor_matching").items():
        study.set_user_attr(key, value)
    study.set_user_attr(BLOCK_SCORER_ATTR, None)  # a scoring interrupted: the claim is free
    with pytest.raises(ConfigError):
        tune(
            params_file(tmp_path, total_timesteps=768, algo="a2c"),
            study_name="s",
            storage=url,
            n_trials=1,
        )
    assert optuna.load_study(study_name="s", storage=url).user_attrs[BLOCK_SCORER_ATTR] is None


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"algorithms": ["ppo"], "tune": {"algo": "dqn", "env_key": "tutor_matching"}},
            "03_rl_training.tune.algo 'dqn' is not in 03_rl_training.algorithms ['ppo']",
        ),
        (
            {"env_keys": ["difficulty_adaptation"]},
            "03_rl_training.tune.env_key 'tutor_matching' is not in 03_rl_training.env_keys",
        ),
    ],
    ids=["algo", "env"],
)
def test_a_tuned_block_the_grid_leaves_out_is_named_before_the_study_is_made(
    tmp_path: Path, setting: dict, message: str
) -> None:
    """It stopped in a KeyError traceback once the study was made."""
    params = yaml.safe_load(params_file(tmp_path, total_timesteps=768).read_text())
    params[SECTION].update(setting)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    with pytest.raises(ConfigError, match=re.escape(message)):
        tune(tmp_path / "params.yaml", study_name="s", storage=f"sqlite:///{tmp_path / 'db'}")
    assert not (tmp_path / "db").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_worker_stopped_by_ctrl_c_or_kill_says_what_the_study_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int
) -> None:
    """Ctrl-C printed some 55 lines of Optuna's warning and traceback and no word of AURA's;
    SIGTERM ended the process at once, leaving its trial RUNNING for ever."""
    from typer.testing import CliRunner

    from aura.cli import app

    drawn = fake_trials(monkeypatch)
    scored = aura_tune.score_block

    def stopped(*args: object, **kwargs: object) -> float:
        if len(drawn) == 2:  # the block and one trial are scored; the second trial is stopped
            os.kill(os.getpid(), signum)
        return scored(*args, **kwargs)

    monkeypatch.setattr("aura.rl.tune.score_block", stopped)
    url = f"sqlite:///{tmp_path / 'db'}"
    params = params_file(tmp_path, total_timesteps=768)
    # as in a shell: a pytest-xdist worker ignores SIGINT, which the command then leaves ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = CliRunner().invoke(
            app,
            ["tune", "--params", str(params), "--study", "s", "--storage", url, "--n-trials", "3"],
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.exit_code == 130 and "Traceback" not in result.output
    assert " ".join(result.output.split()).endswith(
        "(trial 0) interrupted: study 's' keeps its finished trials (a trial under way is "
        "recorded as failed); the same command adds more"
    )
    states = [t.state.name for t in optuna.load_study(study_name="s", storage=url).trials]
    assert states == ["COMPLETE", "FAIL"]


def study_with_best(algo: str, env_key: str, best: dict) -> optuna.Study:
    """An in-memory study whose best trial chose ``best`` from the algorithm's search space."""
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("algo", algo)
    study.set_user_attr("env_key", env_key)
    space = search_spaces()[algo]
    distributions = {name: space[name] for name in best}
    study.add_trial(optuna.trial.create_trial(params=best, distributions=distributions, value=1.0))
    return study


BEST_PPO = {"learning_rate": 6e-05, "ent_coef": 3.2e-06, "n_steps": 128, "lr_schedule": "constant"}


def test_best_params_keep_the_params_file_and_change_only_the_tuned_block(tmp_path: Path) -> None:
    source = PARAMS_DIR / "default.yaml"
    study = study_with_best("ppo", "difficulty_adaptation", BEST_PPO)
    out = write_best_params(study, source, tmp_path / "best.yaml").read_text()

    original_comments = [line for line in source.read_text().splitlines() if "#" in line]
    kept = out.splitlines()
    missing = [line for line in original_comments if line not in kept]
    assert not missing, missing[:3]  # comments, layout and the other blocks' lines unchanged

    expected = yaml.safe_load(source.read_text())
    expected[SECTION]["hyperparams"]["ppo"]["difficulty_adaptation"].update(BEST_PPO)
    written = yaml.safe_load(out)
    assert written == expected  # floats such as 6e-05 read back as floats, not strings
    assert (
        type(written[SECTION]["hyperparams"]["ppo"]["difficulty_adaptation"]["ent_coef"]) is float
    )


def test_best_params_make_the_tuned_block_where_the_params_file_has_none(tmp_path: Path) -> None:
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    del params[SECTION]["hyperparams"]
    source = tmp_path / "no_blocks.yaml"
    source.write_text(yaml.safe_dump(params, sort_keys=False))
    study = study_with_best("a2c", "tutor_matching", {"n_steps": 16, "gamma": 0.9})

    written = yaml.safe_load(write_best_params(study, source, tmp_path / "best.yaml").read_text())
    assert written[SECTION]["hyperparams"] == {
        "a2c": {"tutor_matching": {"n_steps": 16, "gamma": 0.9}}
    }
    cfg = load_experiment(tmp_path / "best.yaml")
    assert cfg.hyperparams[("a2c", "tutor_matching")].n_steps == 16


def test_best_params_say_when_the_best_trial_does_not_beat_the_params_block(
    tmp_path: Path,
) -> None:
    study = study_with_best("ppo", "difficulty_adaptation", BEST_PPO)  # best trial value 1.0
    study.set_user_attr(PARAMS_BLOCK_ATTR, 2.0)
    header = write_best_params(study, PARAMS_DIR / "default.yaml", tmp_path / "worse.yaml")
    assert "does not beat the params file's own block (2.0000)" in header.read_text()

    study.set_user_attr(PARAMS_BLOCK_ATTR, 0.5)
    better = write_best_params(study, PARAMS_DIR / "default.yaml", tmp_path / "better.yaml")
    assert "does not beat" not in better.read_text()
    assert block_not_beaten(0.5, study_summary(study)["best"]["value"]) is None
    assert block_not_beaten(None, 1.0) is None  # a study made before the block was recorded


def test_best_params_refuse_a_misshapen_params_file_and_write_nothing(tmp_path: Path) -> None:
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    params[SECTION]["hyperparams"]["ppo"]["difficulty_adaptation"] = [0.001]
    source = tmp_path / "misshapen.yaml"
    source.write_text(yaml.safe_dump(params, sort_keys=False))
    study = study_with_best("ppo", "difficulty_adaptation", BEST_PPO)
    with pytest.raises(ConfigError, match="ppo.difficulty_adaptation must be a mapping"):
        write_best_params(study, source, tmp_path / "best.yaml")
    assert not (tmp_path / "best.yaml").exists()


def test_n_trials_0_reads_a_study_and_writes_its_best_without_a_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing the best trial, or seeing the summary, cost one more trial: minutes at the full
    budget."""
    from typer.testing import CliRunner

    from aura.cli import app

    drawn = fake_trials(monkeypatch)
    url = f"sqlite:///{tmp_path / 'db'}"
    params = params_file(tmp_path, total_timesteps=768)
    tune(params, study_name="s", storage=url, n_trials=2)
    before = len(drawn)
    out = tmp_path / "best.yaml"
    read = ["tune", "--params", str(params), "--storage", url, "--n-trials", "0"]
    result = CliRunner().invoke(app, [*read, "--study", "s", "--best-params", str(out)])
    assert result.exit_code == 0, result.output
    assert len(drawn) == before and len(optuna.load_study(study_name="s", storage=url).trials) == 2
    summary, _ = json.JSONDecoder().raw_decode(result.output)  # then its notes
    assert summary["n_trials"] == 2 and summary["best"]["number"] in (0, 1)
    seed = yaml.safe_load(params.read_text())["shared"]["seed"]
    assert f"768 steps at seed {seed + summary['best']['number']}, validation mean" in (
        out.read_text()
    )

    missing = CliRunner().invoke(app, [*read, "--study", "nothing"])
    assert missing.exit_code == 1
    assert "no study 'nothing' in" in " ".join(missing.output.split())
    elsewhere = f"sqlite:///{tmp_path / 'none.db'}"
    absent = CliRunner().invoke(
        app, [*read[:-4], "--storage", elsewhere, "--n-trials", "0", "--study", "s"]
    )
    assert "does not exist" in " ".join(absent.output.split())
    assert not (tmp_path / "none.db").exists()  # reading made no empty database


def test_a_relative_sqlite_path_is_read_from_the_project_root(tmp_path: Path) -> None:
    from aura.config import PROJECT_ROOT
    from aura.rl.tune_storage import storage_url

    assert storage_url("sqlite:///models/x/optuna.db", tmp_path) == (
        f"sqlite:///{PROJECT_ROOT / 'models/x/optuna.db'}"
    )
    assert storage_url(f"sqlite:///{tmp_path}/a.db", tmp_path) == f"sqlite:///{tmp_path}/a.db"
    assert storage_url("postgresql://h/db", tmp_path) == "postgresql://h/db"
    assert storage_url(None, tmp_path) == f"sqlite:///{tmp_path / 'optuna.db'}"


def test_a_budget_too_short_to_prune_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_trials(monkeypatch)
    notes: list[str] = []
    params = params_file(tmp_path, total_timesteps=768, n_warmup_evals=2)
    tune(
        params,
        study_name="s",
        storage=f"sqlite:///{tmp_path / 'db'}",
        n_trials=1,
        note=notes.append,
    )
    eval_freq = yaml.safe_load(params.read_text())[SECTION]["training"]["eval_freq"]
    assert notes[0] == (
        f"a trial of 768 steps is evaluated {768 // eval_freq} time(s), every {eval_freq:,} "
        "steps, and is never pruned: it must pass n_warmup_evals (2) first"
    )


def test_a_worker_says_it_created_or_resumed_the_study_and_optuna_logs_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Optuna's "A new study created in RDB with name: s" came among the worker's own lines,
    and its log stayed at ERROR for the rest of the process once a study had run. The worker
    says it once, in its own words, and Optuna's log is as it was after the study."""
    import logging

    fake_trials(monkeypatch)
    params = params_file(tmp_path, total_timesteps=768)
    url = f"sqlite:///{tmp_path / 'db'}"
    logged: list[str] = []

    class Kept(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage())

    optuna_log = logging.getLogger("optuna")
    kept = Kept()
    optuna_log.addHandler(kept)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO)
    try:
        said = []
        for trials in (1, 2, 0):
            notes: list[str] = []
            tune(params, study_name="s", storage=url, n_trials=trials, note=notes.append)
            said.append([n for n in notes if n.startswith("study ")])
            assert optuna.logging.get_verbosity() == optuna.logging.INFO
    finally:
        optuna_log.removeHandler(kept)
        optuna.logging.set_verbosity(verbosity)

    assert said == [
        [f"study 's' in {url}: created"],
        [f"study 's' in {url}: resumed with 1 finished trial"],
        [f"study 's' in {url}: resumed with 3 finished trials"],
    ]
    assert logged == []


def test_a_worker_without_a_terminal_logs_a_line_per_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run in the background, a worker printed nothing between its start and its summary."""
    fake_trials(monkeypatch)
    notes: list[str] = []
    params = params_file(tmp_path, total_timesteps=768)
    study = tune(
        params,
        study_name="s",
        storage=f"sqlite:///{tmp_path / 'db'}",
        n_trials=2,
        note=notes.append,
    )
    best = study.best_trial
    assert notes[-2].startswith("trial 0 complete ")
    assert notes[-1] == (
        f"trial 1 complete {study.trials[1].value:.4f}; best {best.value:.4f} (trial {best.number})"
    )


def test_the_summary_reads_the_values_beside_random_the_hand_rule_and_the_oracle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study's values are mean returns on its validation episodes, printed bare: whether 12.5
    was near random or the oracle took scoring the baselines by hand (docs/rl.md quotes them)."""
    from typer.testing import CliRunner

    from aura.cli import app

    fake_trials(monkeypatch)
    url = f"sqlite:///{tmp_path / 'db'}"
    params = params_file(tmp_path, total_timesteps=768)
    tune(params, study_name="s", storage=url, n_trials=2)
    read = ["tune", "--params", str(params), "--storage", url, "--n-trials", "0", "--study", "s"]
    result = CliRunner().invoke(app, read)
    assert result.exit_code == 0, result.output
    summary, _ = json.JSONDecoder().raw_decode(result.output)
    refs = tune_results.validation_references(params)
    assert refs is not None and refs["hand_rule_name"] == "fixed:balanced"
    lo, hi = refs["random"], refs["oracle"]
    best = summary["best"]["value"]
    assert (
        f"mean returns on the 50 validation episodes: random {lo:.4f}; fixed:balanced "
        f"{refs['hand_rule']:.4f} (normalised {(refs['hand_rule'] - lo) / (hi - lo):.3f}); "
        f"oracle {hi:.4f}; the params block {summary['params_block']:.4f} (normalised "
        f"{(summary['params_block'] - lo) / (hi - lo):.3f}); the best trial {best:.4f} "
        f"(normalised {(best - lo) / (hi - lo):.3f})"
    ) in " ".join(result.output.split())


def test_the_validation_references_are_docs_rl_md_s_at_default_params(tmp_path: Path) -> None:
    """docs/rl.md, Tuning: on difficulty 'random 11.163, oracle 26.900; staircase 0.759'."""
    params = yaml.safe_load((PARAMS_DIR / "default.yaml").read_text())
    params[SECTION]["tune"]["env_key"] = "difficulty_adaptation"
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    refs = tune_results.validation_references(path)
    assert refs is not None and refs["n_episodes"] == 1000
    lo, hi = refs["random"], refs["oracle"]
    assert (round(lo, 3), round(hi, 3)) == (11.163, 26.9)
    assert refs["hand_rule_name"] == "staircase"
    assert round((refs["hand_rule"] - lo) / (hi - lo), 3) == 0.759


KILLED_WORKER = """
import sys, time
import aura.rl.tune as tune
import aura.rl.tune_storage as tune_storage

def score(exp, cfg, values, number, after_eval=None):
    if after_eval is None:  # the params block: scored at once
        return 0.0
    time.sleep(600)  # the trial runs until the worker is killed

tune.score_block = score
tune_storage.HEARTBEAT_SECONDS = 1
tune.tune(sys.argv[1], study_name="s", storage=sys.argv[2], n_trials=1, worker_id="killed")
"""


def trial_running(database: Path) -> bool:
    """Whether the SQLite file ``database`` holds a PPO trial under way that drew all its
    candidate (read without Optuna, which would make the file before the worker does)."""
    if not database.exists():
        return False
    with contextlib.closing(sqlite3.connect(database)) as db:
        try:
            drawn = "select count(*) from trials join trial_params using (trial_id) where state = ?"
            return db.execute(drawn, ("RUNNING",)).fetchone()[0] == len(search_spaces()["ppo"])
        except sqlite3.OperationalError:  # its tables are not made yet
            return False


def test_a_trial_of_a_worker_killed_outright_is_failed_and_its_candidate_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL (out of memory, a host lost) left its trial RUNNING for ever: no worker ran its
    candidate again, and the summary counted it as under way."""
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'db'}"
    params = params_file(tmp_path, total_timesteps=768)
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, str(params), url])
    try:
        deadline = time.monotonic() + 120
        while not trial_running(tmp_path / "db"):
            assert worker.poll() is None and time.monotonic() < deadline, "no trial started"
            time.sleep(0.2)
    finally:
        worker.kill()
        worker.wait()
    killed = optuna.load_study(study_name="s", storage=url).trials[0]
    assert killed.state == optuna.trial.TrialState.RUNNING

    monkeypatch.setattr(tune_storage, "HEARTBEAT_SECONDS", 1)
    monkeypatch.setattr(tune_storage, "STALE_SECONDS", 2)
    time.sleep(4)  # the killed worker's last stamp is now stale (SQLite stamps whole seconds)
    fake_trials(monkeypatch)
    tune(params, study_name="s", storage=url, n_trials=1, worker_id="next")
    trials = optuna.load_study(study_name="s", storage=url).trials
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE"]
    assert trials[1].params == killed.params and trials[1].user_attrs["worker"] == "next"


def test_a_read_only_sqlite_study_is_read_and_a_worker_on_it_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A study on a read-only file (here opened read-only, as SQLite's URI allows) opened, and
    a worker's first write stopped in Optuna's 'An exception is raised during the commit'
    traceback; the URI itself was read as a relative path named 'file:...'."""
    from typer.testing import CliRunner

    from aura.cli import app

    fake_trials(monkeypatch)
    params = params_file(tmp_path, total_timesteps=768)
    tune(params, study_name="s", storage=f"sqlite:///{tmp_path / 'db'}", n_trials=1)
    before = (tmp_path / "db").read_bytes()
    read_only = f"sqlite:///file:{tmp_path / 'db'}?mode=ro&uri=true"
    command = ["tune", "--params", str(params), "--storage", read_only]

    read = CliRunner().invoke(app, [*command, "--study", "s", "--n-trials", "0"])
    assert read.exit_code == 0, read.output
    assert json.JSONDecoder().raw_decode(read.output)[0]["n_trials"] == 1
    for study in ("s", "new"):
        result = CliRunner().invoke(app, [*command, "--study", study, "--n-trials", "1"])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert " ".join(result.output.split()) == (
            f"error: storage {read_only} cannot be written: attempt to write a readonly "
            "database (--n-trials 0 reads a study without writing to it)"
        )
    assert (tmp_path / "db").read_bytes() == before


def test_a_sqlite_uri_keeps_its_scheme_and_is_read_from_the_project_root(tmp_path: Path) -> None:
    from sqlalchemy.engine import make_url

    from aura.config import PROJECT_ROOT
    from aura.rl.tune_storage import storage_url

    relative = make_url(storage_url("sqlite:///file:models/x/optuna.db?mode=ro&uri=true", tmp_path))
    assert relative.database == f"file:{PROJECT_ROOT / 'models/x/optuna.db'}"
    assert dict(relative.query) == {"mode": "ro", "uri": "true"}
    absolute = f"sqlite:///file:{tmp_path}/a.db?mode=ro&uri=true"
    assert storage_url(absolute, tmp_path) == absolute


def test_a_worker_with_another_shared_seed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared seed seeds the validation episodes a trial is scored on: a worker with
    another joined the study, its values mean returns on other episodes than the params
    block's and the other workers' trials."""
    fake_trials(monkeypatch)
    url = f"sqlite:///{tmp_path / 'db'}"
    params = params_file(tmp_path, total_timesteps=768)
    tune(params, study_name="s", storage=url, n_trials=1)
    other = yaml.safe_load(params.read_text())
    seed = other["shared"]["seed"]
    other["shared"]["seed"] = seed + 1
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other, sort_keys=False))
    with pytest.raises(ConfigError, match=f"seed {seed} there, {seed + 1} here"):
        tune(tmp_path / "other.yaml", study_name="s", storage=url, n_trials=1)
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 1

    study = optuna.load_study(study_name="s", storage=url)  # one recorded before the seed was
    setup = dict(study.user_attrs["trial_setup"])
    del setup["seed"]
    study.set_user_attr("trial_setup", setup)
    tune(params, study_name="s", storage=url, n_trials=1)
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 2


def test_best_params_write_only_the_values_the_best_trial_changed(tmp_path: Path) -> None:
    """A searched value the best trial drew as the block already had it (a default the file
    leaves out, here n_epochs 10 and clip_range 0.2) was written too: the diff against the
    params file listed settings tuning did not change."""
    source = PARAMS_DIR / "default.yaml"
    block = load_experiment(source).hyperparams[("ppo", "difficulty_adaptation")]
    same = {"n_epochs": block.n_epochs, "clip_range": block.clip_range, "gamma": block.gamma}
    study = study_with_best("ppo", "difficulty_adaptation", {**BEST_PPO, **same})
    written = yaml.safe_load(write_best_params(study, source, tmp_path / "best.yaml").read_text())
    tuned = written[SECTION]["hyperparams"]["ppo"]["difficulty_adaptation"]
    original = yaml.safe_load(source.read_text())[SECTION]["hyperparams"]["ppo"]
    assert tuned == {**original["difficulty_adaptation"], **BEST_PPO}

    unchanged = study_with_best("a2c", "tutor_matching", {"n_steps": 5, "gamma": 0.99})
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    del params[SECTION]["hyperparams"]
    bare = tmp_path / "no_blocks.yaml"
    bare.write_text(yaml.safe_dump(params, sort_keys=False))
    written = yaml.safe_load(write_best_params(unchanged, bare, tmp_path / "same.yaml").read_text())
    assert "hyperparams" not in written[SECTION]  # the defaults it drew: no block to add


def test_best_params_of_a_study_without_a_complete_trial_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    """It exited 0 having written nothing and said nothing, so `aura tune ... --best-params
    best.yaml && aura train-rl --params best.yaml` failed at a file that was never there."""
    from typer.testing import CliRunner

    from aura.cli import app

    url = f"sqlite:///{tmp_path / 'db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    for key, value in identity_of("ppo", "tutor_matching").items():
        study.set_user_attr(key, value)
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    out = tmp_path / "best.yaml"
    params = tmp_path / "params.yaml"
    smoke = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    smoke["shared"]["models_dir"] = str(tmp_path / "models")
    smoke[SECTION]["tune"] = {"algo": "ppo", "env_key": "tutor_matching"}
    params.write_text(yaml.safe_dump(smoke, sort_keys=False))
    command = ["tune", "--params", str(params), "--storage", url, "--study", "s"]
    result = CliRunner().invoke(app, [*command, "--n-trials", "0", "--best-params", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        f"error: --best-params {out} is not written: study 's' has no complete trial (1 failed)"
    ) in " ".join(result.output.split())
    assert not out.exists()
