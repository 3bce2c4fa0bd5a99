"""Typed configuration of RL training, read from the ``03_rl_training`` section of a params file.

Hyperparameters are data (as in rl-baselines3-zoo): one block per algorithm and environment, each
a dataclass whose defaults are the spec's values (PPO learning rate 3e-4, batch 64, gamma 0.99;
DQN buffer 50,000, exploration fraction 0.1; A2C 5-step updates). Every run writes the exact
:class:`RunConfig` it used as ``config.yaml``, and :func:`load_run_config` reads it back, so a saved
model always says how it was made. Loading validates everything up front and names the offending
key, so a typo fails before an hour of training rather than after it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from aura.config import SHARED_SECTION, ParamsError, project_path
from aura.env_ids import AURA_ENV_IDS, WINDOW_ID
from aura.files import write_text_atomically

SECTION = "03_rl_training"
"""Name of the params section (the notebook stem) that configures RL training."""

EVAL_SEED_OFFSET = 10_000
"""Added to a run's seed to seed its evaluation environment, so evaluation episodes are not the
training episodes."""

TEST_SEED_OFFSET = 1_000_000
"""Added to the shared seed to seed the held-out test episodes, which every policy and every
reference (random, hand rule, oracle) of an environment is scored on."""

CEILING_SEED_OFFSET = 2_000_000
"""Added to the shared seed to seed the episodes the observation ceiling learns from."""

SELECTION_SEED_OFFSET = 3_000_000
"""Added to the shared seed to seed the episodes on which the exported run is chosen among the
seeds, apart from the held-out ones so that the chosen run's held-out score stays unbiased."""

EXPERIENCE_SEED_OFFSET = 4_000_000
"""Added to the shared seed to seed the sessions the tutor-matching experience reference learns
from."""

VALIDATION_SEED_OFFSET = CEILING_SEED_OFFSET
"""Added to the shared seed to seed the validation episodes `aura tune` optimises. They are the
episodes the observation ceiling learns from: neither is scored as held-out, so sharing them
biases no reported score, and a value of its own would change every recorded tuning study."""


class ConfigError(ParamsError):
    """RL training configuration that cannot be used; the message names the key at fault."""


def check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Refuse a non-mapping or a key outside `allowed`, naming its place (`where`): a misspelt
    key would otherwise be ignored and its default used without a word."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(allowed))}"
        )


def _looks_like_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _integer(value: Any, where: str) -> int:
    """`value` if it is an integer; booleans are refused, though Python counts them as integers."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    return value


def positive_int(value: Any, where: str) -> int:
    """`value` if it is an integer above 0, else a ConfigError naming `where`."""
    if _integer(value, where) <= 0:
        raise ConfigError(f"{where} must be > 0, got {value}")
    return value


def non_negative_int(value: Any, where: str) -> int:
    """`value` if it is an integer of 0 or more (a count that may be empty, a seed), else a
    ConfigError naming `where`."""
    if _integer(value, where) < 0:
        raise ConfigError(f"{where} must be >= 0, got {value}")
    return value


def in_range(
    value: float, where: str, low: float, high: float = math.inf, *, low_open: bool = False
) -> None:
    """Refuse `value` outside [low, high] (or (low, high] with `low_open`), naming `where`: a
    value out of an algorithm's range (a negative clip range, a lambda above 1) trained without
    an error on a meaningless update."""
    if value < low or (low_open and value == low) or value > high:
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high == math.inf else ']'}"
        raise ConfigError(f"{where} must be in {bounds}, got {value}")


def _from_fields(cls: type, data: Mapping[str, Any] | None, where: str) -> Any:
    """Build a dataclass from a mapping, rejecting unknown keys, non-numeric or non-finite
    numbers and non-boolean switches."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    check_keys(data or {}, set(fields), where)
    data = dict(data or {})
    for name, value in data.items():
        default = getattr(cls, name, None)
        numeric = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            hint = (
                " (YAML reads 1e-3 as text: write 1.0e-3)"
                if isinstance(value, str) and _looks_like_a_number(value)
                else ""
            )
            raise ConfigError(f"{where}.{name} must be a number, got {value!r}{hint}")
        if numeric and not math.isfinite(value):  # NaN filled the networks with NaN
            raise ConfigError(f"{where}.{name} must be a finite number, got {value}")
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{where}.{name} must be true or false, got {value!r}")
        if name == "net_arch":
            if not isinstance(value, list | tuple):
                raise ConfigError(
                    f"{where}.net_arch must be a list of layer sizes, e.g. [64, 64], got {value!r}"
                )
            data[name] = tuple(positive_int(v, f"{where}.net_arch[]") for v in value)
    obj = cls(**data)
    obj.validate(where)
    return obj


@dataclass(frozen=True)
class TrainingConfig:
    """How long to train and how often to evaluate and checkpoint (the spec's TrainingConfig).

    Frequencies count environment steps summed over the parallel environments of a run, so the
    same numbers mean the same amount of experience whatever ``n_envs`` an algorithm uses.
    """

    total_timesteps: int = 100_000
    """Environment steps to train for."""
    eval_freq: int = 5_000
    """Steps between evaluations on the evaluation environment (learning curves, best model)."""
    n_eval_episodes: int = 10
    """Episodes per evaluation."""
    save_freq: int = 10_000
    """Steps between checkpoints (what a killed run resumes from)."""
    progress_bar: bool = False
    """Show a progress bar (tqdm/rich); off in parallel grids, where bars would interleave."""

    def validate(self, where: str = "training") -> None:
        positive_int(self.total_timesteps, f"{where}.total_timesteps")
        positive_int(self.eval_freq, f"{where}.eval_freq")
        positive_int(self.n_eval_episodes, f"{where}.n_eval_episodes")
        positive_int(self.save_freq, f"{where}.save_freq")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str = "training") -> TrainingConfig:
        return _from_fields(cls, data, where)


@dataclass(frozen=True)
class AlgoParams:
    """Hyperparameters every algorithm has; the class variables say what training needs to know
    of the algorithm itself (one subclass per algorithm, registered in `PARAMS_CLASSES`)."""

    algo: ClassVar[str] = ""
    sb3_class: ClassVar[str] = ""
    """The class that trains and loads it, as ``module:Class`` (imported only when a model is
    built or loaded, so reading params needs no torch)."""
    job_cost: ClassVar[float] = 1.0
    """Relative time of one of its runs, to start the longest first (`aura.rl.experiment`)."""
    replay_buffer: ClassVar[bool] = False
    """Off-policy: a checkpoint saves its replay buffer too, and a resume needs it."""
    learning_rate: float = 3e-4
    """Adam (or RMSprop) step size; with ``lr_schedule: linear`` the value at the start."""
    lr_schedule: str = "constant"
    """``constant`` or ``linear`` (decays to zero over the run: finer steps once near optimum)."""
    gamma: float = 0.99
    """Discount factor."""
    n_envs: int = 1
    """Environments stepped together in a DummyVecEnv (batches the policy's forward passes)."""
    net_arch: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the policy and value networks."""
    one_hot: bool = False
    """Expand the observation features the environment declares categorical to one-hot columns
    inside the policy (`aura.rl.features`); the observation itself is unchanged."""
    fused_adam: bool = False
    """PyTorch's fused Adam kernel: the same update rule in fewer dispatches, which is most of the
    cost of a gradient step on these small networks (docs/rl.md: Wall time). It rounds the update
    differently, so a run takes another path from its seed than with the default, as it would
    on another processor; off by default so that the README's results table reproduces."""
    sb3_adam_eps: ClassVar[float] = 1e-8
    """The Adam epsilon SB3's policy of this algorithm uses (kept when the kernel is fused)."""

    def validate(self, where: str) -> None:
        if self.lr_schedule not in ("constant", "linear"):
            raise ConfigError(
                f"{where}.lr_schedule must be constant or linear, got {self.lr_schedule!r}"
            )
        if not self.learning_rate > 0:
            raise ConfigError(f"{where}.learning_rate must be > 0, got {self.learning_rate}")
        if not 0 < self.gamma <= 1:
            raise ConfigError(f"{where}.gamma must be in (0, 1], got {self.gamma}")
        positive_int(self.n_envs, f"{where}.n_envs")

    def _common_kwargs(self) -> dict[str, Any]:
        from stable_baselines3.common.utils import ConstantSchedule, LinearSchedule

        schedule = (
            LinearSchedule(self.learning_rate, 0.0, 1.0)
            if self.lr_schedule == "linear"
            else ConstantSchedule(self.learning_rate)
        )
        policy_kwargs: dict[str, Any] = {"net_arch": list(self.net_arch)}
        if self.fused_adam:
            # Passing optimizer_kwargs replaces SB3's own, so its epsilon is passed along.
            policy_kwargs["optimizer_kwargs"] = {"eps": self.sb3_adam_eps, "fused": True}
        return {"learning_rate": schedule, "gamma": self.gamma, "policy_kwargs": policy_kwargs}

    def sb3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the Stable-Baselines3 algorithm constructor."""
        skip = {
            "lr_schedule",
            "n_envs",
            "net_arch",
            "one_hot",
            "fused_adam",
            "learning_rate",
            "gamma",
        }
        own = {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}
        return {**self._common_kwargs(), **own}

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["net_arch"] = list(self.net_arch)
        return data


@dataclass(frozen=True)
class PPOParams(AlgoParams):
    """PPO: clipped policy-gradient updates over several epochs of each rollout."""

    algo: ClassVar[str] = "ppo"
    sb3_class: ClassVar[str] = "stable_baselines3:PPO"
    job_cost: ClassVar[float] = 2.0
    sb3_adam_eps: ClassVar[float] = 1e-5
    n_envs: int = 8
    n_steps: int = 256
    """Steps per environment per rollout (rollout size = n_steps * n_envs)."""
    batch_size: int = 64
    """Minibatch size of each gradient step."""
    n_epochs: int = 10
    """Passes over each rollout."""
    gae_lambda: float = 0.95
    """Generalised advantage estimation lambda."""
    clip_range: float = 0.2
    """PPO clipping of the probability ratio."""
    ent_coef: float = 0.0
    """Entropy bonus (exploration)."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradient clipping."""

    def validate(self, where: str) -> None:
        super().validate(where)
        positive_int(self.n_steps, f"{where}.n_steps")
        positive_int(self.batch_size, f"{where}.batch_size")
        positive_int(self.n_epochs, f"{where}.n_epochs")
        if self.n_steps * self.n_envs < 2:
            raise ConfigError(f"{where}: n_steps * n_envs must be at least 2")
        in_range(self.gae_lambda, f"{where}.gae_lambda", 0, 1)
        in_range(self.clip_range, f"{where}.clip_range", 0, low_open=True)
        _check_losses(self, where)


def _check_losses(params: PPOParams | A2CParams, where: str) -> None:
    """The weights of the actor-critic loss and its gradient clipping, shared by PPO and A2C."""
    in_range(params.ent_coef, f"{where}.ent_coef", 0)
    in_range(params.vf_coef, f"{where}.vf_coef", 0)
    in_range(params.max_grad_norm, f"{where}.max_grad_norm", 0, low_open=True)


@dataclass(frozen=True)
class A2CParams(AlgoParams):
    """A2C: one synchronous advantage actor-critic update every ``n_steps`` steps per env."""

    algo: ClassVar[str] = "a2c"
    sb3_class: ClassVar[str] = "stable_baselines3:A2C"
    job_cost: ClassVar[float] = 1.0
    learning_rate: float = 7e-4
    n_envs: int = 8
    n_steps: int = 5
    """Steps per environment between updates (the spec's 5-step updates)."""
    gae_lambda: float = 1.0
    """1.0 is the classic n-step return."""
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5

    def validate(self, where: str) -> None:
        super().validate(where)
        positive_int(self.n_steps, f"{where}.n_steps")
        in_range(self.gae_lambda, f"{where}.gae_lambda", 0, 1)
        _check_losses(self, where)
        if self.fused_adam:
            raise ConfigError(
                f"{where}.fused_adam: A2C trains with RMSprop, for which PyTorch has no fused "
                "kernel; remove the key from this block"
            )


@dataclass(frozen=True)
class DQNParams(AlgoParams):
    """DQN: a Q-network trained off-policy from a replay buffer, acting epsilon-greedily."""

    algo: ClassVar[str] = "dqn"
    sb3_class: ClassVar[str] = "stable_baselines3:DQN"
    job_cost: ClassVar[float] = 3.0
    replay_buffer: ClassVar[bool] = True
    learning_rate: float = 1e-4
    buffer_size: int = 50_000
    """Replay buffer capacity (the spec's 50,000)."""
    learning_starts: int = 1_000
    """Steps of random play before the first update."""
    batch_size: int = 32
    """Transitions per gradient step."""
    tau: float = 1.0
    """Target network update coefficient (1 = hard copy)."""
    train_freq: int = 4
    """Environment steps between updates."""
    gradient_steps: int = 1
    """Gradient steps per update."""
    target_update_interval: int = 1_000
    """Environment steps between target network updates."""
    exploration_fraction: float = 0.1
    """Share of training over which epsilon decays (the spec's 0.1)."""
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.05

    def validate(self, where: str) -> None:
        super().validate(where)
        positive_int(self.buffer_size, f"{where}.buffer_size")
        non_negative_int(self.learning_starts, f"{where}.learning_starts")
        positive_int(self.batch_size, f"{where}.batch_size")
        positive_int(self.train_freq, f"{where}.train_freq")
        positive_int(self.gradient_steps, f"{where}.gradient_steps")
        positive_int(self.target_update_interval, f"{where}.target_update_interval")
        if not 0 < self.exploration_fraction <= 1:
            raise ConfigError(f"{where}.exploration_fraction must be in (0, 1]")
        in_range(self.tau, f"{where}.tau", 0, 1, low_open=True)
        in_range(self.exploration_initial_eps, f"{where}.exploration_initial_eps", 0, 1)
        in_range(self.exploration_final_eps, f"{where}.exploration_final_eps", 0, 1)


PARAMS_CLASSES: dict[str, type[AlgoParams]] = {
    params.algo: params for params in (PPOParams, DQNParams, A2CParams)
}
"""The algorithms AURA trains, by name: each class holds its hyperparameters and what training,
resuming, scheduling and loading need to know of it (docs/extending.md)."""

ALGORITHMS: tuple[str, ...] = tuple(PARAMS_CLASSES)


def check_algorithm(algo: str, where: str = "algorithm") -> str:
    """`algo` if it is one of `ALGORITHMS`, else a ConfigError naming `where` and the choices."""
    if algo not in PARAMS_CLASSES:
        raise ConfigError(
            f"{where}: unknown algorithm {algo!r}; expected one of {', '.join(ALGORITHMS)}"
        )
    return algo


def algo_params(algo: str, data: Mapping[str, Any] | None, where: str) -> AlgoParams:
    """The hyperparameter block of ``algo`` from a mapping (missing keys take the defaults)."""
    return _from_fields(PARAMS_CLASSES[check_algorithm(algo, where)], data, where)


@dataclass(frozen=True)
class EnvConfig:
    """Which environment to train on: its key (used in paths), Gymnasium id and keyword options."""

    key: str
    id: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "id": self.id, "kwargs": dict(self.kwargs)}


def env_config(
    key: str, defined: Mapping[str, Any] | None = None, where: str = "envs"
) -> EnvConfig:
    """Resolve an environment key: one of the AURA environments, or one the params define with an
    explicit ``id`` (any registered Gymnasium environment)."""
    spec = dict((defined or {}).get(key) or {})
    check_keys(spec, {"id", "kwargs"}, f"{where}.{key}")
    env_id = spec.get("id", AURA_ENV_IDS.get(key))
    if env_id is None:
        known = sorted({*AURA_ENV_IDS, *(defined or {})})
        raise ConfigError(
            f"{where}: unknown environment key {key!r}; expected one of {', '.join(known)} "
            "(or define it under envs with an id)"
        )
    kwargs = spec.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{where}.{key}.kwargs must be a mapping")
    env = EnvConfig(key=key, id=env_id, kwargs=dict(kwargs))
    check_env_builds(env, f"{where}.{key}")
    return env


def check_env_builds(env: EnvConfig, where: str, options_at: str | None = None) -> None:
    """Build the environment once, so that options it refuses stop the params file here, named,
    rather than inside every training process of the grid. ``where`` names the environment in
    the params file, ``options_at`` its options (default: its ``kwargs``)."""
    import gymnasium as gym

    if env.id.startswith("aura/"):
        import aura.envs  # noqa: F401  (registers the AURA environments)

    try:
        gym.make(env.id, **env.kwargs).close()
    except gym.error.Error as exc:
        raise ConfigError(f"{where}: environment {env.id!r} cannot be made ({exc})") from None
    except (TypeError, ValueError) as exc:
        options_at = options_at or f"{where}.kwargs"
        raise ConfigError(f"{options_at}: {env.id} refuses them: {exc}") from None


def one_hot_categories(env: EnvConfig, where: str) -> dict[int, int]:
    """What ``one_hot`` expands: the observation positions the environment's class declares
    categorical (its ``categorical_features``), with their number of categories.

    Read from the registered class, so a params file is checked before anything is built; an
    environment that declares none is a ConfigError naming ``where``.
    """
    import gymnasium as gym
    from gymnasium.envs.registration import load_env_creator

    if env.id.startswith("aura/"):
        import aura.envs  # noqa: F401  (registers the AURA environments)

    try:
        entry = gym.spec(env.id).entry_point
    except gym.error.Error as exc:
        raise ConfigError(f"{where}: environment {env.id!r} is not registered ({exc})") from None
    creator = load_env_creator(entry) if isinstance(entry, str) else entry
    categories = dict(getattr(creator, "categorical_features", None) or {})
    if not categories:
        raise ConfigError(
            f"{where}: one_hot is set for environment {env.key!r}, but {env.id} declares no "
            "categorical observation features"
        )
    return categories


def check_lstm(size: Any, algo: str, where: str) -> int:
    """A run's ``lstm_hidden_size``: a non-negative integer, and 0 unless the run is PPO's."""
    size = non_negative_int(size, f"{where}.lstm_hidden_size")
    if size and algo != "ppo":
        raise ConfigError(
            f"{where}.lstm_hidden_size is for ppo (sb3-contrib's RecurrentPPO), not {algo}"
        )
    return size


@dataclass(frozen=True)
class ImitationConfig:
    """A start for a run's policy: the model-based filter's moves on difficulty adaptation
    (`aura.envs.ceilings.filter_dagger`) taught to the policy before it trains, so that training
    starts where a clone of the filter stands rather than at random (`aura.rl.imitation`)."""

    rounds: int = 6
    """DAgger rounds: the filter's own episodes, then each round's clone's."""
    episodes: int = 2_000
    """Episodes per round."""
    epochs: int = 40
    """Passes of the policy over the labelled states (cross-entropy, Adam, batches of 256), and
    of the critic over its states where ``critic_episodes`` asks for them."""
    critic_episodes: int = 0
    """Episodes of the taught policy (its moves sampled, as training samples them) whose
    discounted returns the critic is fitted to before training. 0 leaves the critic untrained,
    as in the grid's runs, so its first advantages are noise the policy's first updates follow."""

    def validate(self, where: str = "imitation") -> None:
        positive_int(self.rounds, f"{where}.rounds")
        positive_int(self.episodes, f"{where}.episodes")
        positive_int(self.epochs, f"{where}.epochs")
        non_negative_int(self.critic_episodes, f"{where}.critic_episodes")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str = "imitation") -> ImitationConfig:
        return _from_fields(cls, data, where)


IMITATION_ENV_IDS: tuple[str, ...] = (AURA_ENV_IDS["difficulty_adaptation"], WINDOW_ID)
"""The environments whose observation the filter's moves are labelled on."""

IMITATION_ALGORITHMS: tuple[str, ...] = ("ppo", "a2c")
"""The algorithms with an actor to teach (DQN learns action values, not moves)."""


def check_imitation(imitation: ImitationConfig | None, run: RunConfig, where: str) -> None:
    """Imitation teaches the difficulty filter's moves to the actor of an MLP policy of
    difficulty adaptation's observation, or of a window of it: refused on another environment,
    for DQN (no actor) and for a recurrent policy."""
    if imitation is None:
        return
    imitation.validate(f"{where}.imitation")
    if run.env.id not in IMITATION_ENV_IDS:
        raise ConfigError(
            f"{where}.imitation teaches the difficulty filter's moves, so it needs "
            f"{' or '.join(IMITATION_ENV_IDS)}, not {run.env.id}"
        )
    if run.algo not in IMITATION_ALGORITHMS:
        raise ConfigError(
            f"{where}.imitation teaches an actor's moves, so it needs "
            f"{' or '.join(IMITATION_ALGORITHMS)}, not {run.algo}"
        )
    if run.lstm_hidden_size:
        raise ConfigError(f"{where}.imitation is for an MLP policy, not one with an LSTM")


@dataclass(frozen=True)
class RunConfig:
    """Everything one training run needs; saved beside the model as ``config.yaml``."""

    env: EnvConfig
    algo: str
    seed: int
    hyperparams: AlgoParams
    training: TrainingConfig = TrainingConfig()
    lstm_hidden_size: int = 0
    """0: the memoryless MLP policy every grid run trains (the API serves one step's features).
    n > 0: PPO with an LSTM of n units before that MLP (sb3-contrib's RecurrentPPO), which
    carries what it needs of the episode's past; only a probe asks for it (`aura.rl.probes`)."""
    imitation: ImitationConfig | None = None
    """None: the policy starts at random, as in every grid run. Otherwise it is first taught the
    difficulty filter's moves; only a probe asks for it (`aura.rl.probes`)."""

    def __post_init__(self) -> None:
        check_lstm(self.lstm_hidden_size, self.algo, "run config")
        check_imitation(self.imitation, self, "run config")

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env.to_dict(),
            "algo": self.algo,
            "seed": self.seed,
            "training": dataclasses.asdict(self.training),
            "hyperparams": self.hyperparams.to_dict(),
            "lstm_hidden_size": self.lstm_hidden_size,
            "imitation": None if self.imitation is None else dataclasses.asdict(self.imitation),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "run config") -> RunConfig:
        fields = {"env", "algo", "seed", "training", "hyperparams", "lstm_hidden_size", "imitation"}
        check_keys(data, fields, where)
        env = data["env"]
        check_keys(env, {"key", "id", "kwargs"}, f"{where}.env")
        algo = check_algorithm(data["algo"], f"{where}.algo")
        # absent from configs saved before the fields existed
        lstm = check_lstm(data.get("lstm_hidden_size", 0), algo, where)
        imitation = data.get("imitation")
        if imitation is not None:
            imitation = ImitationConfig.from_dict(imitation, f"{where}.imitation")
        return cls(
            env=EnvConfig(key=env["key"], id=env["id"], kwargs=dict(env.get("kwargs") or {})),
            algo=algo,
            seed=non_negative_int(data["seed"], f"{where}.seed"),
            hyperparams=algo_params(algo, data.get("hyperparams"), f"{where}.hyperparams"),
            training=TrainingConfig.from_dict(data.get("training"), f"{where}.training"),
            lstm_hidden_size=lstm,
            imitation=imitation,
        )

    def save(self, path: Path) -> None:
        write_text_atomically(path, yaml.safe_dump(self.to_dict(), sort_keys=False))


def load_run_config(path: str | Path) -> RunConfig:
    """Read a run's ``config.yaml`` back."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"run config not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not a run's config ({exc}); retrain the run (the command's --fresh)"
        ) from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path} is not a run's config; retrain the run (the command's --fresh)")
    return RunConfig.from_dict(data, str(path))


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
            hyperparams[(algo, env.key)] = params
    seed = shared.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"{SHARED_SECTION}.seed must be an integer")
    n_test = positive_int(section.get("n_test_episodes", 100), f"{where}.n_test_episodes")
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
