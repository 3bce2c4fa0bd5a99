"""One training run: its environment, algorithm, seed, hyperparameters and budget, an LSTM or an
imitation start where a probe asks for one; saved beside its model as ``config.yaml``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aura.env_ids import AURA_ENV_IDS, WINDOW_ID
from aura.files import write_text_atomically
from aura.rl.config import ConfigError
from aura.rl.config.algorithms import AlgoParams, algo_params, check_algorithm
from aura.rl.config.checks import check_keys, from_fields, non_negative_int, positive_int
from aura.rl.config.environments import EnvConfig


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
        return from_fields(cls, data, where)


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
        return from_fields(cls, data, where)


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
