"""The grid algorithms x environments x seeds, built from a params file's ``shared`` and
``03_rl_training`` sections, with where each of its runs is saved."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aura.config import SHARED_SECTION, project_path, shared_problem
from aura.env_ids import AURA_ENV_IDS
from aura.rl.config import (
    CEILING_SEED_OFFSET,
    EXPERIENCE_SEED_OFFSET,
    SECTION,
    SELECTION_SEED_OFFSET,
    TEST_SEED_OFFSET,
    ConfigError,
)
from aura.rl.config.algorithms import ALGORITHMS, AlgoParams, algo_params, check_algorithm
from aura.rl.config.checks import check_keys, positive_int
from aura.rl.config.environments import EnvConfig, env_config, one_hot_categories
from aura.rl.config.run import RunConfig, TrainingConfig

EXPERIMENT_KEYS = {
    "algorithms",
    "envs",
    "env_keys",
    "seeds",
    "n_workers",
    "n_test_episodes",
    "curve_episodes",
    "ceiling_episodes",
    "scored_model",
    "training",
    "hyperparams",
    "load",
    "tune",
}


@dataclass(frozen=True)
class ExperimentConfig:
    """The grid algorithms x environments x seeds, and where it is saved.

    Run ``k`` of every (environment, algorithm) pair is seeded ``shared.seed + k``; results are
    saved under ``{models_dir}/rl/{env_key}/{algo}/seed_{k}/``.
    """

    algorithms: tuple[str, ...]
    envs: tuple[EnvConfig, ...]
    n_seeds: int
    base_seed: int
    models_dir: Path
    training: TrainingConfig
    hyperparams: dict[tuple[str, str], AlgoParams]
    n_workers: int = 2
    n_test_episodes: int = 100
    """Held-out episodes every policy and every reference is scored on."""
    curve_episodes: int = 100
    """The first of the held-out episodes, on which every checkpoint of every run is scored
    for the held-out learning curves (at most ``n_test_episodes``)."""
    ceiling_episodes: int = 8000
    """Episodes whose states the tutor-matching observation ceiling learns from."""
    scored_model: dict[str, str] = field(default_factory=dict)
    """Per environment key, which saved policy of a run is scored, exported and tuned on:
    ``best`` (the EvalCallback's best checkpoint, the default) or ``final`` (the policy at the end
    of training). Picking the best of many checkpoints helps only where the evaluation episodes
    can tell them apart; where they cannot, it picks the luckiest checkpoint."""

    @property
    def rl_dir(self) -> Path:
        return self.models_dir / "rl"

    @property
    def test_seed(self) -> int:
        return self.base_seed + TEST_SEED_OFFSET

    @property
    def ceiling_seed(self) -> int:
        return self.base_seed + CEILING_SEED_OFFSET

    @property
    def experience_seed(self) -> int:
        return self.base_seed + EXPERIENCE_SEED_OFFSET

    @property
    def selection_seed(self) -> int:
        return self.base_seed + SELECTION_SEED_OFFSET

    def env(self, key: str) -> EnvConfig:
        for env in self.envs:
            if env.key == key:
                return env
        raise ConfigError(f"unknown environment key {key!r}; this experiment has {self.env_keys}")

    @property
    def env_keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.envs)

    def run_dir(self, env_key: str, algo: str, k: int) -> Path:
        return self.rl_dir / env_key / algo / f"seed_{k}"

    def run(self, env_key: str, algo: str, k: int) -> RunConfig:
        return RunConfig(
            env=self.env(env_key),
            algo=check_algorithm(algo),
            seed=self.base_seed + k,
            hyperparams=self.hyperparams[(algo, env_key)],
            training=self.training,
        )

    def runs(self) -> Iterator[tuple[RunConfig, Path]]:
        """Every run of the grid with its directory."""
        for env in self.envs:
            for algo in self.algorithms:
                for k in range(self.n_seeds):
                    yield self.run(env.key, algo, k), self.run_dir(env.key, algo, k)


def experiment_config(section: Mapping[str, Any], shared: Mapping[str, Any]) -> ExperimentConfig:
    """Build the grid from a ``03_rl_training`` section and the ``shared`` section.

    ``hyperparams`` is ``{algo: {env_key: {name: value}}}``; an (algorithm, environment) pair
    without a block uses the dataclass defaults.
    """
    where = SECTION
    if not isinstance(section, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    section = {k: v for k, v in section.items() if k not in (*shared.keys(), "run_dir")}
    check_keys(section, EXPERIMENT_KEYS, where)
    if not isinstance(section.get("load", False), bool):
        raise ConfigError(f"{where}.load must be true or false, got {section['load']!r}")
    algorithms = name_list(section.get("algorithms", ALGORITHMS), f"{where}.algorithms", "[ppo]")
    for algo in algorithms:
        check_algorithm(algo, f"{where}.algorithms")
    defined = section.get("envs") or {}
    if not isinstance(defined, Mapping):
        raise ConfigError(f"{where}.envs must be a mapping of environment key to options")
    keys = name_list(
        section.get("env_keys", list(AURA_ENV_IDS)), f"{where}.env_keys", "[tutor_matching]"
    )
    envs = tuple(env_config(k, defined, f"{where}.envs") for k in keys)
    for key in set(defined) - set(keys):  # defined for tuning or a probe: it must resolve too
        env_config(key, defined, f"{where}.envs")
    n_seeds = positive_int(section.get("seeds", 3), f"{where}.seeds")
    training = TrainingConfig.from_dict(section.get("training"), f"{where}.training")

    blocks = section.get("hyperparams") or {}
    check_keys(blocks, set(ALGORITHMS), f"{where}.hyperparams")
    hyperparams: dict[tuple[str, str], AlgoParams] = {}
    known_envs = {e.key for e in envs} | set(AURA_ENV_IDS) | set(defined)
    for algo in [*algorithms, *sorted(set(blocks) - set(algorithms))]:
        per_env = blocks.get(algo) or {}
        if not isinstance(per_env, Mapping):
            raise ConfigError(
                f"{where}.hyperparams.{algo} must be a mapping of environment key to "
                f"hyperparameters, got {type(per_env).__name__}"
            )
        for key in per_env:
            if key not in known_envs:
                raise ConfigError(
                    f"{where}.hyperparams.{algo}: unknown environment key {key!r}; expected one "
                    f"of {', '.join(sorted(known_envs))}"
                )
        # Blocks the grid does not train (kept for tuning, a probe, or the grid a study
        # changes) are checked too: a misspelt key there passed `aura params check`.
        trained = {e.key for e in envs} if algo in algorithms else set()
        for key in sorted(set(per_env) - trained):
            algo_params(algo, per_env[key], f"{where}.hyperparams.{algo}.{key}")
        if algo not in algorithms:
            continue
        for env in envs:
            block = f"{where}.hyperparams.{algo}.{env.key}"
            params = algo_params(algo, per_env.get(env.key), block)
            if params.one_hot:
                one_hot_categories(env, block)
            starts = getattr(params, "learning_starts", None)
            if starts is not None and starts >= training.total_timesteps:
                raise ConfigError(
                    f"{block}.learning_starts {starts} is not below {where}.training."
                    f"total_timesteps {training.total_timesteps}: {algo} would end before its "
                    "first update and be scored untrained; lower it"
                )
            check_rollout(params, training.total_timesteps, block, f"{where}.training")
            hyperparams[(algo, env.key)] = params
    # Notebook 03 run by itself (papermill -p) gives its shared keys here unchecked.
    problem = shared_problem({"seed": None, **shared})
    if problem:
        raise ConfigError(problem)
    seed = shared["seed"]
    n_test = held_out_episodes(section.get("n_test_episodes", 100), f"{where}.n_test_episodes")
    return ExperimentConfig(
        algorithms=algorithms,
        envs=envs,
        n_seeds=n_seeds,
        base_seed=seed,
        models_dir=project_path(shared["models_dir"]),
        training=training,
        hyperparams=hyperparams,
        n_workers=positive_int(section.get("n_workers", 2), f"{where}.n_workers"),
        n_test_episodes=n_test,
        curve_episodes=curve_episodes(section.get("curve_episodes"), n_test, where),
        ceiling_episodes=positive_int(
            section.get("ceiling_episodes", 8000), f"{where}.ceiling_episodes"
        ),
        scored_model=scored_models(
            section.get("scored_model"),
            envs,
            {*AURA_ENV_IDS, *defined},
            f"{where}.scored_model",
        ),
    )


def check_rollout(params: AlgoParams, total_timesteps: int, block: str, training: str) -> None:
    """Refuse a rollout (the steps collected between updates: ``n_steps`` or DQN's
    ``train_freq``, times ``n_envs``) over twice the budget: training stops only at a rollout's
    end, so a run of 1,024 steps with 1,000-step rollouts of 8 environments trained 8,000, and
    its experience reference learned from the 1,024 of the budget. Within twice the budget it
    is the usual rounding up to a whole rollout (6,144 steps for 6,000). An algorithm with
    neither field (one added as docs/extending.md shows) is not checked."""
    name = next((n for n in ("n_steps", "train_freq") if hasattr(params, n)), None)
    if name is None:
        return
    rollout = getattr(params, name) * params.n_envs
    if rollout > 2 * total_timesteps:
        raise ConfigError(
            f"{block}: one rollout ({name} {getattr(params, name)} x n_envs {params.n_envs} = "
            f"{rollout:,} steps) is over twice {training}.total_timesteps {total_timesteps:,}: "
            f"the run would train {rollout:,} steps, {rollout / total_timesteps:.1f} x its "
            f"budget; lower {name} or raise total_timesteps"
        )


def name_list(value: Any, where: str, example: str) -> tuple[str, ...]:
    """A non-empty list of distinct names (algorithms, environment keys): a bare ``ppo`` would
    be read letter by letter, and an empty list trains nothing and would leave an empty grid's
    results over the last ones."""
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(f"{where} must be a non-empty list such as {example}, got {value!r}")
    doubled = sorted({name for name in value if value.count(name) > 1})
    if doubled:
        raise ConfigError(f"{where} lists {', '.join(map(str, doubled))} more than once")
    return tuple(value)


def held_out_episodes(value: Any, where: str) -> int:
    """``n_test_episodes``, at least 2: every interval of a score resamples the held-out
    episodes, and one episode resamples only to itself, which gave intervals of zero width."""
    n = positive_int(value, where)
    if n < 2:
        raise ConfigError(
            f"{where} must be at least 2, got {n}: the 95% intervals resample the held-out "
            "episodes, and one episode would give every interval zero width"
        )
    return n


def curve_episodes(value: Any, n_test: int, where: str) -> int:
    """``curve_episodes``, checked to be among the ``n_test`` held-out episodes (unset or None:
    all of them, up to 100)."""
    n = positive_int(min(n_test, 100) if value is None else value, f"{where}.curve_episodes")
    if n > n_test:
        raise ConfigError(
            f"{where}.curve_episodes ({n}) must not exceed {where}.n_test_episodes ({n_test}): "
            "the curves are scored on the first of the held-out episodes"
        )
    return n


SCORED_MODEL_CHOICES = ("best", "final")


def scored_models(
    data: Mapping[str, Any] | None, envs: tuple[EnvConfig, ...], known: set[str], where: str
) -> dict[str, str]:
    """``{env_key: best | final}`` for every environment of the grid (``best`` where unset).

    Like the hyperparameter blocks, ``data`` may name any known environment, so one params file
    serves grids over different environments."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping of environment key to best or final")
    keys = {e.key for e in envs}
    check_keys(data, keys | known, where)
    for key, value in data.items():
        if value not in SCORED_MODEL_CHOICES:
            raise ConfigError(f"{where}.{key} must be best or final, got {value!r}")
    return {key: str(data.get(key, "best")) for key in sorted(keys)}


def load_experiment(params_path: str | Path) -> ExperimentConfig:
    """The RL grid of a params file (its ``shared`` and ``03_rl_training`` sections)."""
    from aura.config import load_params, notebook_params

    params = load_params(params_path)
    notebook_params(params, SECTION, source=params_path)  # a missing section is an error
    try:
        return experiment_config(params[SECTION], params[SHARED_SECTION])
    except ConfigError as exc:
        raise ConfigError(f"{params_path}: {exc}") from None
