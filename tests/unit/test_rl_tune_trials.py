"""How a study seeds, scores and prunes its trials, without training: each trial trained at the
shared seed plus its number with the values it drew, the params block at trial 0's seed, every
value a mean return on the validation episodes (the shared seed plus 2,000,000), evaluations
reported to the pruner as steps 1, 2, ..., and each worker's sampler seeded from its own count
of trials."""

from __future__ import annotations

import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from tune_params import params_file

import aura.rl.tune as aura_tune
from aura.config import PARAMS_DIR
from aura.rl.config import SECTION
from aura.rl.config.experiment import load_experiment
from aura.rl.tune import _pruning_callback, sampler_seed, score_block, search_spaces, tune

SHARED_SEED = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())["shared"]["seed"]


def test_a_trial_trains_at_its_seed_and_is_scored_on_the_validation_episodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained, scored = [], []
    monkeypatch.setattr(aura_tune, "train", lambda run, folder, **kw: trained.append(run))

    def evaluate(path: Path, run: object, seed: int, n: int) -> list[float]:
        scored.append((Path(path).name, seed, n))
        return [1.0, 2.0, 6.0]

    monkeypatch.setattr("aura.rl.scoring.evaluate_model_file", evaluate)
    params = params_file(tmp_path, total_timesteps=768)
    exp, tune_cfg = aura_tune.tuning(params)
    value = score_block(exp, tune_cfg, {"learning_rate": 1e-3}, 3)
    assert value == 3.0
    (run,) = trained
    assert run.seed == SHARED_SEED + 3
    assert run.training.total_timesteps == 768
    assert run.hyperparams.learning_rate == 1e-3
    scored_file = {"best": "best_model.zip", "final": "final_model.zip"}
    file = scored_file[exp.scored_model["tutor_matching"]]
    assert scored == [(file, SHARED_SEED + 2_000_000, exp.n_test_episodes)]


def test_the_block_is_scored_at_trial_0_s_seed_and_each_trial_with_its_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def score(exp: object, tune: object, values: dict, number: int, after_eval=None) -> float:
        calls.append((dict(values), number))
        return float(values["learning_rate"])

    monkeypatch.setattr(aura_tune, "score_block", score)
    params = params_file(tmp_path, total_timesteps=768)
    study = tune(params, study_name="s", storage=f"sqlite:///{tmp_path / 'db'}", n_trials=3)
    block = load_experiment(params).hyperparams[("ppo", "tutor_matching")].to_dict()
    assert calls[0] == (block, 0)
    assert len(calls) == 4
    for (values, number), trial in zip(calls[1:], study.trials, strict=True):
        assert number == trial.number
        assert set(trial.params) == set(search_spaces()["ppo"])
        assert {k: values[k] for k in trial.params} == trial.params
        assert {k: v for k, v in values.items() if k not in trial.params} == {
            k: v for k, v in block.items() if k not in trial.params
        }


class Trial:
    """The part of an Optuna trial the pruning callback talks to."""

    def __init__(self, prune: bool) -> None:
        self.reports: list[tuple[float, int]] = []
        self.prune = prune

    def report(self, value: float, step: int) -> None:
        self.reports.append((value, step))

    def should_prune(self) -> bool:
        return self.prune


@pytest.mark.parametrize("warmup", [0, 2])
def test_evaluations_are_reported_as_steps_1_2_and_pruned_only_after_the_warmup(
    warmup: int,
) -> None:
    trial = Trial(prune=True)
    callback = _pruning_callback(trial, warmup)
    callback.parent = SimpleNamespace(last_mean_reward=0.0)
    going = []
    for reward in (0.5, 0.25, 0.75):
        callback.parent.last_mean_reward = reward
        going.append(callback._on_step())
        if not going[-1]:
            break
    assert trial.reports == [(0.5, 1), (0.25, 2), (0.75, 3)][: warmup + 1]
    assert going == [True] * warmup + [False]
    assert callback.pruned


def test_the_study_prunes_with_the_params_warmup_and_startup_trials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aura_tune, "score_block", lambda *a, **k: 0.0)
    params = params_file(tmp_path, total_timesteps=768, n_startup_trials=3, n_warmup_evals=1)
    study = tune(params, study_name="s", storage=f"sqlite:///{tmp_path / 'db'}", n_trials=0)
    assert study.pruner._n_startup_trials == 3
    assert study.pruner._n_warmup_steps == 1


def worker_trials(*workers: str) -> SimpleNamespace:
    trials = [SimpleNamespace(user_attrs={"worker": w}) for w in workers]
    return SimpleNamespace(get_trials=lambda deepcopy=False: trials)


def test_a_worker_s_sampler_seed_counts_its_own_trials_only() -> None:
    """(shared seed + CRC-32 of the worker id, then of "id#trials done") modulo 2**32."""
    crc = zlib.crc32
    assert sampler_seed(5, "w", worker_trials()) == 5 + crc(b"w")
    assert sampler_seed(5, "w", worker_trials("x", "x", "x")) == 5 + crc(b"w")
    assert sampler_seed(5, "w", worker_trials("w", "x", "w")) == 5 + crc(b"w#2")
    assert sampler_seed(2**32 - 1, "w", worker_trials("w")) == crc(b"w#1") - 1


def test_the_discounts_searched_run_from_0_5_to_0_99() -> None:
    """docs/rl.md: 'discounts from 0.5, which tutor matching uses, to 0.99'."""
    searched = {algo: space["gamma"] for algo, space in search_spaces().items() if "gamma" in space}
    assert {"ppo", "dqn", "a2c"} <= set(searched)
    for algo, gammas in searched.items():
        assert (min(gammas.choices), max(gammas.choices)) == (0.5, 0.99), algo


def test_the_best_params_file_names_the_best_trial_and_the_seed_it_trained_at(
    tmp_path: Path,
) -> None:
    """Trial 1 of three is the best: trained at the shared seed + 1, its draw written."""
    import optuna

    from aura.rl.tune_results import write_best_params

    study = optuna.create_study(direction="maximize")
    for key, value in (("algo", "ppo"), ("env_key", "tutor_matching"), ("total_timesteps", 768)):
        study.set_user_attr(key, value)
    n_steps = search_spaces()["ppo"]["n_steps"]
    for value, steps in ((1.0, 64), (5.0, 256), (2.0, 512)):
        study.add_trial(
            optuna.trial.create_trial(
                params={"n_steps": steps}, distributions={"n_steps": n_steps}, value=value
            )
        )
    out = write_best_params(study, PARAMS_DIR / "smoke.yaml", tmp_path / "best.yaml")
    text = out.read_text()
    assert f"(trial 1, 768 steps at seed {SHARED_SEED + 1}, validation mean return 5.0000)" in text
    written = yaml.safe_load(text)[SECTION]["hyperparams"]["ppo"]["tutor_matching"]
    assert written["n_steps"] == 256
