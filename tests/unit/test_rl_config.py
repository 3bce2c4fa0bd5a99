"""RL configuration: the params files load, a run config survives a round trip, bad params fail
with a message that names what is wrong."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import os
import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import yaml

from aura.config import PARAMS_DIR, ParamsError
from aura.env_ids import WINDOW_ID
from aura.envs import normalised_score
from aura.rl.config import SECTION, ConfigError
from aura.rl.config.algorithms import (
    ALGORITHMS,
    PARAMS_CLASSES,
    AlgoParams,
    DQNParams,
    PPOParams,
)
from aura.rl.config.environments import EnvConfig, env_config
from aura.rl.config.experiment import experiment_config, load_experiment
from aura.rl.config.run import ImitationConfig, RunConfig, load_run_config
from aura.rl.intervals import t_interval

SHARED = {"seed": 7, "data_dir": "data/x", "models_dir": "models/x", "artifacts_dir": "a"}


def section() -> dict:
    return yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]


@pytest.mark.parametrize("name", ["default.yaml", "smoke.yaml"])
def test_params_files_load(name: str) -> None:
    cfg = load_experiment(PARAMS_DIR / name)
    assert set(cfg.algorithms) == {"ppo", "dqn", "a2c"}
    assert cfg.env_keys == ("tutor_matching", "difficulty_adaptation")
    assert cfg.n_seeds >= 2
    assert len(list(cfg.runs())) == 3 * 2 * cfg.n_seeds


def test_default_params_hold_the_spec_values() -> None:
    cfg = load_experiment(PARAMS_DIR / "default.yaml")
    t = cfg.training
    assert (t.total_timesteps, t.eval_freq, t.n_eval_episodes, t.save_freq) == (
        100_000,
        5_000,
        10,
        10_000,
    )
    assert cfg.n_seeds >= 3
    for env in cfg.env_keys:
        ppo, dqn, a2c = (cfg.hyperparams[(a, env)] for a in ("ppo", "dqn", "a2c"))
        assert ppo.batch_size == 64
        assert (dqn.buffer_size, dqn.exploration_fraction) == (50_000, 0.1)
        assert a2c.n_steps == 5
    # learning rate and gamma are the spec's where a block does not choose others (the params
    # file says why)
    assert (PPOParams().learning_rate, PPOParams().gamma) == (3e-4, 0.99)
    assert cfg.hyperparams[("ppo", "difficulty_adaptation")].lr_schedule == "linear"


def test_run_config_round_trips_through_yaml(tmp_path: Path) -> None:
    cfg = experiment_config(section(), SHARED)
    for run, _ in cfg.runs():
        path = tmp_path / f"{run.env.key}-{run.algo}-{run.seed}.yaml"
        run.save(path)
        assert load_run_config(path) == run
    assert cfg.run("tutor_matching", "ppo", 1).seed == SHARED["seed"] + 1


@pytest.mark.parametrize("text", ["algo: [ppo", "- ppo\n", "\xff"], ids=["yaml", "list", "bytes"])
def test_a_damaged_run_config_is_named(tmp_path: Path, text: str) -> None:
    """A run's config.yaml cut short or overwritten: named, not a YAML parser's traceback."""
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError, match=f"^{path} is not a run's config"):
        load_run_config(path)


def test_hyperparams_become_sb3_arguments() -> None:
    kwargs = PPOParams(lr_schedule="linear", n_steps=32).sb3_kwargs()
    assert kwargs["n_steps"] == 32 and "n_envs" not in kwargs and "lr_schedule" not in kwargs
    assert kwargs["learning_rate"](1.0) == pytest.approx(3e-4)
    assert kwargs["learning_rate"](0.5) == pytest.approx(1.5e-4)
    assert kwargs["policy_kwargs"] == {"net_arch": [64, 64]}
    assert DQNParams().sb3_kwargs()["learning_rate"](0.3) == pytest.approx(1e-4)


def _fusing_algorithms() -> list[str]:
    """The algorithms whose blocks accept ``fused_adam`` (A2C's refuses it: RMSprop)."""
    accepted = []
    for algo, params in PARAMS_CLASSES.items():
        try:
            params(fused_adam=True).validate(algo)
        except ConfigError:
            continue
        accepted.append(algo)
    return accepted


def test_fused_adam_is_taken_by_ppo_and_dqn_and_refused_by_a2c() -> None:
    assert {"ppo", "dqn"} <= set(_fusing_algorithms()) and "a2c" not in _fusing_algorithms()


@pytest.mark.parametrize("algo", _fusing_algorithms())
def test_fused_adam_changes_only_the_kernel_of_the_optimizer_sb3_builds(algo: str) -> None:
    """SB3 sets its own Adam options only when given none, so the fused block must pass them on:
    the optimizer differs from the default one in the kernel and nothing else. Run for every
    algorithm that takes the option, so that a new one whose `sb3_adam_eps` is not its policy's
    epsilon fails here rather than training another optimizer than asked (docs/extending.md)."""
    from aura.envs import TutorMatchingEnv
    from aura.rl.train import algorithm_class

    cls = algorithm_class(algo)
    params = PARAMS_CLASSES[algo]()
    fused = dataclasses.replace(params, fused_adam=True)
    models = [
        cls("MlpPolicy", TutorMatchingEnv(), seed=0, device="cpu", **p.sb3_kwargs())
        for p in (params, fused)
    ]
    optimizers = [model.policy.optimizer for model in models]
    default, fast = (dict(o.defaults) for o in optimizers)
    assert not default["fused"] and fast["fused"] is True
    assert {k: v for k, v in fast.items() if k != "fused"} == {
        k: v for k, v in default.items() if k != "fused"
    }


def _accepted(algo: str, **options: bool) -> dict[str, bool]:
    """Those of ``options`` (block keys set to True) that ``algo``'s block takes."""
    taken = {}
    for key, value in options.items():
        try:
            PARAMS_CLASSES[algo](**{key: value}).validate(algo)
        except ConfigError:
            continue
        taken[key] = value
    return taken


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_every_algorithm_s_class_and_policy_take_what_its_block_gives_them(algo: str) -> None:
    """Every field of a block, and the policy options it may ask for (one-hot inputs, the fused
    kernel), reach the SB3 class and its policy as arguments they take: run for every algorithm
    of the registry, so that a fork's class passing one they do not take fails here
    (docs/extending.md, recipe 1)."""
    from aura.rl.train import _new_model, make_vec_env

    env = env_config("tutor_matching")
    params = PARAMS_CLASSES[algo](**_accepted(algo, one_hot=True, fused_adam=True))
    run = RunConfig(env, algo, 0, params)
    vec = make_vec_env(env, params.n_envs, 0)
    try:
        _new_model(run, vec, verbose=0)
    finally:
        vec.close()


@dataclasses.dataclass(frozen=True)
class ARSParams(AlgoParams):
    """sb3-contrib's ARS as a fork would first add it: it has no discount factor."""

    algo: ClassVar[str] = "ars"
    sb3_class: ClassVar[str] = "sb3_contrib:ARS"
    n_delta: int = 4


@dataclasses.dataclass(frozen=True)
class ARSWithoutGamma(ARSParams):
    def _common_kwargs(self) -> dict:
        return {k: v for k, v in super()._common_kwargs().items() if k != "gamma"}


@pytest.mark.parametrize(
    ("params", "env_key", "message"),
    [
        (
            ARSParams(),
            "difficulty_adaptation",
            "hyperparams.ars.difficulty_adaptation: ARS takes no gamma, which "
            "ARSParams.sb3_kwargs gives it; leave it out there (docs/extending.md, recipe 1)",
        ),
        (
            ARSWithoutGamma(one_hot=True),
            "tutor_matching",
            "hyperparams.ars.tutor_matching: ARS's ARSPolicy takes no features_extractor_class, "
            "features_extractor_kwargs, which one_hot gives it; refuse that key in "
            "ARSWithoutGamma.validate (docs/extending.md, recipe 1)",
        ),
    ],
)
def test_an_argument_the_algorithm_does_not_take_is_refused_naming_the_block_and_the_class(
    monkeypatch: pytest.MonkeyPatch, params: AlgoParams, env_key: str, message: str
) -> None:
    """A class passing an argument SB3 does not take stopped its first run in SB3's TypeError
    (``ARS.__init__() got an unexpected keyword argument 'gamma'``), a key the block did not
    hold: the refusal names the block, the class and where the argument comes from."""
    from aura.rl.train import _new_model, make_vec_env

    monkeypatch.setitem(PARAMS_CLASSES, "ars", type(params))
    env = env_config(env_key)
    vec = make_vec_env(env, 1, 0)
    try:
        with pytest.raises(ConfigError, match=re.escape(message)):
            _new_model(RunConfig(env, "ars", 0, params), vec, verbose=0)
        _new_model(RunConfig(env, "ars", 0, ARSWithoutGamma()), vec, verbose=0)
    finally:
        vec.close()


def _mutated(change) -> dict:
    data = copy.deepcopy(section())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(algorithms=["ppo", "sac"]), "unknown algorithm 'sac'"),
        (lambda s: s.update(env_keys=["tutor_matchin"]), "unknown environment key 'tutor_matchin'"),
        (
            lambda s: s["hyperparams"]["ppo"].update(cartpole={}),
            "hyperparams.ppo: unknown environment key 'cartpole'",
        ),
        (lambda s: s["hyperparams"].update(sac={}), "hyperparams: unknown key(s) sac"),
        (
            lambda s: s["training"].update(total_timesteps=-5),
            "training.total_timesteps must be > 0, got -5",
        ),
        (lambda s: s["training"].update(eval_freq="often"), "training.eval_freq must be a number"),
        (
            lambda s: s["hyperparams"]["ppo"]["tutor_matching"].update(learnign_rate=1e-3),
            "hyperparams.ppo.tutor_matching: unknown key(s) learnign_rate",
        ),
        (
            lambda s: s["hyperparams"]["dqn"]["tutor_matching"].update(learning_rate="fast"),
            "hyperparams.dqn.tutor_matching.learning_rate must be a number",
        ),
        (
            lambda s: s["hyperparams"]["a2c"]["tutor_matching"].update(lr_schedule="cosine"),
            "lr_schedule must be constant or linear",
        ),
        (
            lambda s: s["hyperparams"]["ppo"]["difficulty_adaptation"].update(learning_rate=0),
            "hyperparams.ppo.difficulty_adaptation.learning_rate must be > 0, got 0",
        ),
        (
            lambda s: s["hyperparams"]["a2c"]["tutor_matching"].update(gamma=1.5),
            "hyperparams.a2c.tutor_matching.gamma must be in (0, 1], got 1.5",
        ),
        (
            lambda s: s["hyperparams"]["dqn"]["difficulty_adaptation"].update(gamma=0),
            "hyperparams.dqn.difficulty_adaptation.gamma must be in (0, 1], got 0",
        ),
        (lambda s: s.update(seeds=0), "seeds must be > 0"),
        (lambda s: s.update(ceiling_episodes=0), "ceiling_episodes must be > 0"),
        (lambda s: s.update(curve_episodes=0), "curve_episodes must be > 0"),
        (
            lambda s: s.update(n_test_episodes=1, curve_episodes=1),
            "03_rl_training.n_test_episodes must be at least 2, got 1: the 95% intervals",
        ),
        (lambda s: s.update(curve_episodes="all"), "curve_episodes must be"),
        (
            lambda s: s.update(n_test_episodes=50, curve_episodes=60),
            "curve_episodes (60) must not exceed 03_rl_training.n_test_episodes (50)",
        ),
        (
            lambda s: s.update(scored_model={"tutor_matching": "last"}),
            "scored_model.tutor_matching must be best or final, got 'last'",
        ),
        (
            lambda s: s.update(scored_model={"cartpole": "final"}),
            "scored_model: unknown key(s) cartpole",
        ),
        (lambda s: s.update(epochs=3), "unknown key(s) epochs"),
        (
            lambda s: s["hyperparams"]["ppo"]["difficulty_adaptation"].update(one_hot=True),
            "hyperparams.ppo.difficulty_adaptation: one_hot is set for environment "
            "'difficulty_adaptation', but aura/DifficultyAdaptation-v0 declares no categorical",
        ),
        (
            lambda s: s.update(
                env_keys=["ghost"],
                envs={"ghost": {"id": "Ghost-v0"}},
                hyperparams={"ppo": {"ghost": {"one_hot": True}}},
            ),
            "envs.ghost: environment 'Ghost-v0' cannot be made (Environment `Ghost` doesn't exist",
        ),
        (
            lambda s: s.update(envs={"tutor_matching": {"kwargs": {"episode_length": -4}}}),
            "envs.tutor_matching.kwargs: aura/TutorMatching-v0 refuses them: episode_length must "
            "be a positive integer of at most 1,000,000, got -4",
        ),
        (
            lambda s: s.update(envs={"difficulty_adaptation": {"kwargs": {"max_step": 40}}}),
            "envs.difficulty_adaptation.kwargs: aura/DifficultyAdaptation-v0 refuses them: "
            "DifficultyAdaptationEnv.__init__() got an unexpected keyword argument 'max_step'",
        ),
        (
            lambda s: s["hyperparams"]["a2c"]["tutor_matching"].update(one_hot="yes"),
            "hyperparams.a2c.tutor_matching.one_hot must be true or false, got 'yes'",
        ),
        (
            lambda s: s["hyperparams"]["a2c"]["difficulty_adaptation"].update(fused_adam=True),
            "hyperparams.a2c.difficulty_adaptation.fused_adam: A2C trains with RMSprop",
        ),
        (
            lambda s: s["hyperparams"]["ppo"]["tutor_matching"].update(fused_adam=1),
            "hyperparams.ppo.tutor_matching.fused_adam must be true or false, got 1",
        ),
        (lambda s: s.update(hyperparams=["ppo"]), "hyperparams must be a mapping, got list"),
        (
            lambda s: s["hyperparams"].update(ppo=[1e-3]),
            "hyperparams.ppo must be a mapping of environment key to hyperparameters, got list",
        ),
        (
            lambda s: s["hyperparams"]["ppo"].update(tutor_matching=[1e-3]),
            "hyperparams.ppo.tutor_matching must be a mapping, got list",
        ),
        (lambda s: s.update(training=[100]), "training must be a mapping, got list"),
        (  # an empty grid would write its empty results over the last grid's
            lambda s: s.update(algorithms=[]),
            "algorithms must be a non-empty list such as [ppo], got []",
        ),
        (  # a bare name was read letter by letter ("unknown algorithm 'p'")
            lambda s: s.update(algorithms="ppo"),
            "algorithms must be a non-empty list such as [ppo], got 'ppo'",
        ),
        (lambda s: s.update(algorithms=["ppo", "ppo"]), "algorithms lists ppo more than once"),
        (
            lambda s: s.update(env_keys=[]),
            "env_keys must be a non-empty list such as [tutor_matching], got []",
        ),
        (lambda s: s.update(load="maybe"), "load must be true or false, got 'maybe'"),
        (  # defined but trained by no run: it must still resolve
            lambda s: s.update(envs={"moon": {}}),
            "envs: unknown environment key 'moon'",
        ),
        (  # a block of an algorithm the grid does not train is checked too
            lambda s: (
                s.update(algorithms=["ppo"]),
                s["hyperparams"]["dqn"]["tutor_matching"].update(bufer_size=10),
            ),
            "hyperparams.dqn.tutor_matching: unknown key(s) bufer_size",
        ),
        (  # and a block of an environment it does not train
            lambda s: (
                s.update(env_keys=["tutor_matching"]),
                s["hyperparams"]["ppo"]["difficulty_adaptation"].update(gamma=2),
            ),
            "hyperparams.ppo.difficulty_adaptation.gamma must be in (0, 1]",
        ),
        (  # a budget of 1,000 steps under the default learning_starts: DQN scored untrained
            lambda s: (
                s["training"].update(total_timesteps=1000, eval_freq=500, save_freq=500),
                s["hyperparams"]["dqn"]["difficulty_adaptation"].pop("learning_starts"),
            ),
            "hyperparams.dqn.difficulty_adaptation.learning_starts 1000 is not below "
            "03_rl_training.training.total_timesteps 1000: dqn would end before its first update",
        ),
        (  # a rollout of 8,000 steps on a budget of 1,024: A2C trained 8,000
            lambda s: (
                s["training"].update(total_timesteps=1024, eval_freq=512, save_freq=512),
                s["hyperparams"]["a2c"]["difficulty_adaptation"].update(n_steps=1000),
            ),
            "hyperparams.a2c.difficulty_adaptation: one rollout (n_steps 1000 x n_envs 8 = 8,000 "
            "steps) is over twice 03_rl_training.training.total_timesteps 1,024: the run would "
            "train 8,000 steps, 7.8 x its budget",
        ),
        (  # DQN collects train_freq steps per environment before it stops or updates
            lambda s: s["hyperparams"]["dqn"]["tutor_matching"].update(train_freq=20_000),
            "hyperparams.dqn.tutor_matching: one rollout (train_freq 20000 x n_envs 1 = 20,000 "
            "steps) is over twice 03_rl_training.training.total_timesteps 6,000",
        ),
    ],
)
def test_bad_params_name_what_is_wrong(change, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        experiment_config(_mutated(change), SHARED)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("block", "key", "value", "message"),
    [
        (
            "ppo.tutor_matching",
            "learning_rate",
            "1e-3",
            "must be a number, got '1e-3' (YAML reads 1e-3 as text: write 1.0e-3)",
        ),
        ("ppo.tutor_matching", "ent_coef", math.nan, "must be a finite number, got nan"),
        ("ppo.tutor_matching", "learning_rate", math.inf, "must be a finite number, got inf"),
        ("ppo.tutor_matching", "clip_range", -1, "must be in (0, inf), got -1"),
        ("ppo.difficulty_adaptation", "gae_lambda", 2, "must be in [0, 1], got 2"),
        ("ppo.tutor_matching", "max_grad_norm", -1, "must be in (0, inf), got -1"),
        ("a2c.tutor_matching", "ent_coef", -5, "must be in [0, inf), got -5"),
        ("dqn.tutor_matching", "exploration_final_eps", 3, "must be in [0, 1], got 3"),
        ("dqn.tutor_matching", "tau", 0, "must be in (0, 1], got 0"),
        (
            "ppo.tutor_matching",
            "net_arch",
            "foo",
            "must be a list of layer sizes, e.g. [64, 64], got 'foo'",
        ),
    ],
)
def test_a_hyperparameter_no_update_can_use_is_named(
    block: str, key: str, value: object, message: str
) -> None:
    """Not finite (a NaN entropy weight ended training in a worker traceback of tensors) or out
    of its algorithm's range (a negative clip range trained on a meaningless update)."""
    algo, env_key = block.split(".")
    data = _mutated(lambda s: s["hyperparams"][algo][env_key].update({key: value}))
    with pytest.raises(ConfigError) as err:
        experiment_config(data, SHARED)
    assert f"hyperparams.{block}.{key} {message}" in str(err.value)


def test_env_defined_in_params_may_use_any_gymnasium_id() -> None:
    data = _mutated(
        lambda s: s.update(env_keys=["cartpole"], envs={"cartpole": {"id": "CartPole-v1"}})
    )
    cfg = experiment_config(data, SHARED)
    assert cfg.env("cartpole").id == "CartPole-v1"
    assert cfg.hyperparams[("ppo", "cartpole")] == PPOParams()


def test_a_grid_over_an_environment_without_references_is_refused_before_it_trains(
    tmp_path: Path,
) -> None:
    """It passed the params check, then stopped the grid in a traceback: every score of the
    grid is normalised by references that exist for AURA's two environments only."""
    from aura.rl.experiment import run_grid

    shared = {**SHARED, "models_dir": str(tmp_path / "models")}
    data = _mutated(
        lambda s: s.update(env_keys=["cartpole"], envs={"cartpole": {"id": "CartPole-v1"}})
    )
    cfg = experiment_config(data, shared)
    with pytest.raises(ConfigError, match="env_keys: 'cartpole' has no references"):
        run_grid(cfg, n_workers=1)
    assert not (tmp_path / "models").exists()


def test_an_environments_csv_is_read_from_the_project_root_wherever_the_run_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A params path is relative to the project root; the notebooks run from notebooks/."""
    import gymnasium as gym

    from aura.config import PROJECT_ROOT
    from aura.sim import write_datasets

    write_datasets(tmp_path / "data", seed=5, n_learners=50, n_tutors=20, n_sessions=50)
    relative = os.path.relpath(tmp_path / "data" / "tutors_data.csv", PROJECT_ROOT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    envs = {"tutor_matching": {"kwargs": {"tutors_csv": relative, "episode_length": 5}}}
    cfg = experiment_config(_mutated(lambda s: s.update(envs=envs)), SHARED)
    env = cfg.env("tutor_matching")
    assert env.kwargs == {"tutors_csv": relative, "episode_length": 5}  # recorded as given
    made = gym.make(env.id, **env.kwargs)
    assert len(made.unwrapped.tutors.quality) == 20  # the CSV's pool, not a drawn one of 100
    made.close()


def test_scored_model_is_best_unless_the_params_say_final() -> None:
    cfg = experiment_config(_mutated(lambda s: s.pop("scored_model", None)), SHARED)
    assert cfg.scored_model == {"difficulty_adaptation": "best", "tutor_matching": "best"}
    cfg = load_experiment(PARAMS_DIR / "default.yaml")
    assert cfg.scored_model == {"difficulty_adaptation": "best", "tutor_matching": "final"}


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_each_algorithm_names_a_class_that_agrees_with_what_training_assumes(algo: str) -> None:
    """An algorithm is one params class (`PARAMS_CLASSES`); what training, resuming and the grid's
    schedule read from it is checked against the SB3 class it names."""
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

    from aura.rl.train import algorithm_class

    params = PARAMS_CLASSES[algo]
    assert params.algo == algo and params.job_cost > 0
    cls = algorithm_class(algo)
    assert issubclass(cls, BaseAlgorithm) and cls.__name__.lower() == algo
    # a resume restores the replay buffer of exactly the off-policy algorithms
    assert params.replay_buffer == issubclass(cls, OffPolicyAlgorithm)


@pytest.mark.parametrize("sb3_class", ["sb3_contrib.ARS", "sb3_contrib:Ars", "sb3_contrb:ARS"])
def test_an_sb3_class_that_names_no_class_is_refused_naming_the_class_variable(
    monkeypatch: pytest.MonkeyPatch, sb3_class: str
) -> None:
    """A fork's misspelt ``sb3_class`` stopped its first run in ``ValueError: not enough values
    to unpack`` (no colon) or in the import's error (docs/extending.md, recipe 1)."""
    from aura.rl.train import algorithm_class

    misspelt = type("ARSParams", (ARSParams,), {"sb3_class": sb3_class})
    monkeypatch.setitem(PARAMS_CLASSES, "ars", misspelt)
    why = " (No module named 'sb3_contrb')" if sb3_class.startswith("sb3_contrb") else ""
    message = (
        f"ARSParams.sb3_class {sb3_class!r} names no class{why}: give it as 'module:Class', e.g. "
        "'sb3_contrib:QRDQN' (docs/extending.md, recipe 1)"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        algorithm_class("ars")


def test_run_config_rejects_unknown_algorithm() -> None:
    data = experiment_config(section(), SHARED).run("tutor_matching", "ppo", 0).to_dict()
    data["algo"] = "no_such_algorithm"  # not a name a fork may register (trpo was)
    with pytest.raises(ConfigError, match="unknown algorithm 'no_such_algorithm'"):
        RunConfig.from_dict(data)


@pytest.mark.parametrize(
    ("algo", "field", "value"),
    [
        ("ppo", "lstm_hidden_size", 64),
        ("a2c", "imitation", ImitationConfig(rounds=2, episodes=30, epochs=3)),
    ],
)
def test_a_probes_run_config_round_trips_and_older_configs_read_as_the_grids(
    algo: str, field: str, value: object, tmp_path: Path
) -> None:
    """A recurrent or imitating run is saved and read back as itself; a config saved before its
    field existed reads as the grid's memoryless run that starts at random."""
    run = experiment_config(section(), SHARED).run("difficulty_adaptation", algo, 0)
    probed = dataclasses.replace(run, **{field: value})
    probed.save(tmp_path / "config.yaml")
    assert load_run_config(tmp_path / "config.yaml") == probed
    older = run.to_dict()
    del older[field]
    assert RunConfig.from_dict(older) == run


@pytest.mark.parametrize(
    ("algo", "size", "message"),
    [
        ("dqn", 64, r"run config.lstm_hidden_size is for ppo .*RecurrentPPO.*, not dqn"),
        ("ppo", -1, r"run config.lstm_hidden_size must be >= 0, got -1"),
        ("ppo", "64", r"run config.lstm_hidden_size must be an integer, got '64'"),
    ],
)
def test_a_bad_lstm_size_is_named(algo: str, size: object, message: str) -> None:
    data = experiment_config(section(), SHARED).run("difficulty_adaptation", algo, 0).to_dict()
    data["lstm_hidden_size"] = size
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(data)


def test_a_run_built_in_code_with_an_lstm_must_be_ppo() -> None:
    run = experiment_config(section(), SHARED).run("difficulty_adaptation", "dqn", 0)
    with pytest.raises(ConfigError, match="lstm_hidden_size is for ppo .*, not dqn"):
        dataclasses.replace(run, lstm_hidden_size=8)


@pytest.mark.parametrize(
    ("env_key", "algo", "imitation", "message"),
    [
        (
            "tutor_matching",
            "ppo",
            {},
            r"imitation teaches the difficulty filter's moves, so it needs "
            r"aura/DifficultyAdaptation-v0 or aura/DifficultyAdaptationWindow-v0, "
            r"not aura/TutorMatching-v0",
        ),
        ("difficulty_adaptation", "dqn", {}, r"needs ppo or a2c, not dqn"),
        ("difficulty_adaptation", "ppo", {"rounds": 0}, r"imitation.rounds must be > 0, got 0"),
        (
            "difficulty_adaptation",
            "ppo",
            {"critic_episodes": -1},
            r"imitation.critic_episodes must be >= 0, got -1",
        ),
        ("difficulty_adaptation", "ppo", {"epoch": 3}, r"imitation: unknown key\(s\) epoch"),
        ("difficulty_adaptation", "ppo", "yes", r"imitation must be a mapping, got str"),
    ],
)
def test_a_bad_imitation_is_named(env_key: str, algo: str, imitation: object, message: str) -> None:
    data = experiment_config(section(), SHARED).run(env_key, algo, 0).to_dict()
    data["imitation"] = imitation
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(data)


def test_a_run_on_a_window_of_difficulty_may_imitate_and_round_trips(tmp_path: Path) -> None:
    run = experiment_config(section(), SHARED).run("difficulty_adaptation", "ppo", 0)
    window = EnvConfig(run.env.key, WINDOW_ID, {**run.env.kwargs, "window": 4})
    probed = dataclasses.replace(run, env=window, imitation=ImitationConfig())
    probed.save(tmp_path / "config.yaml")
    assert load_run_config(tmp_path / "config.yaml") == probed


def test_an_imitating_run_cannot_also_have_an_lstm() -> None:
    run = experiment_config(section(), SHARED).run("difficulty_adaptation", "ppo", 0)
    with pytest.raises(ConfigError, match="imitation is for an MLP policy, not one with an LSTM"):
        dataclasses.replace(run, imitation=ImitationConfig(), lstm_hidden_size=8)


def test_missing_section_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"shared": SHARED}))
    with pytest.raises(ParamsError, match=f"no .{SECTION}:. section"):
        load_experiment(path)


def test_t_interval_matches_the_textbook() -> None:
    band = t_interval([0.8, 0.9, 1.0])
    # mean 0.9, sd 0.1, t(0.975, 2) = 4.303: half-width 4.303 * 0.1 / sqrt(3) = 0.2484
    assert band.mean == pytest.approx(0.9)
    assert band.high - band.mean == pytest.approx(0.2484, abs=1e-4)
    assert t_interval([0.5]).low == float("-inf")


def test_normalised_score_anchors_random_at_zero_and_oracle_at_one() -> None:
    assert normalised_score(2.0, 2.0, 6.0) == 0.0
    assert normalised_score(6.0, 2.0, 6.0) == 1.0
    assert normalised_score(5.0, 2.0, 6.0) == 0.75
    with pytest.raises(ValueError, match="must exceed random"):
        normalised_score(1.0, 3.0, 3.0)
    with pytest.raises(ValueError, match="must exceed random"):
        normalised_score(1.0, 3.0, 2.0)
    scores = normalised_score(np.array([2.0, 4.0]), 2.0, 6.0)
    assert scores.tolist() == [0.0, 0.5]


@pytest.mark.parametrize("name", ["default", "smoke"])
def test_the_grid_s_episode_streams_are_seeded_apart(name: str) -> None:
    """Run k trains from shared.seed + k. Episode i of a scoring stream starts from the stream's
    seed + i, and the evaluation, held-out, upper-reference, selection and experience streams
    must not share an episode: held-out episodes that a checkpoint or the exported seed was
    chosen on, or that the upper reference learned from, would flatter what they score. Each
    stream's first 100,000 episodes stay clear of every other's."""
    from aura.rl.config import EVAL_SEED_OFFSET

    cfg = load_experiment(PARAMS_DIR / f"{name}.yaml")
    span = 100_000
    assert cfg.n_test_episodes <= span and cfg.ceiling_episodes <= span
    for k in range(cfg.n_seeds):
        assert cfg.run(cfg.env_keys[0], cfg.algorithms[0], k).seed == cfg.base_seed + k
    streams = {
        "evaluation": cfg.base_seed + EVAL_SEED_OFFSET,
        "held-out": cfg.test_seed,
        "upper reference": cfg.ceiling_seed,
        "selection": cfg.selection_seed,
        "experience": cfg.experience_seed,
    }
    ordered = sorted(streams.items(), key=lambda item: item[1])
    for (first, a), (second, b) in itertools.pairwise(ordered):
        gap = cfg.n_seeds if first == "evaluation" else 0  # one evaluation stream per run
        assert b - a - gap >= span, (first, second)
