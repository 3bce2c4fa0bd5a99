"""The algorithms AURA trains: one dataclass of hyperparameters each (PPO, DQN, A2C), whose
defaults are the spec's values, and what training needs to know of the algorithm itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aura.rl.config import ConfigError
from aura.rl.config.checks import from_fields, in_range, non_negative_int, positive_int


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
    if not isinstance(algo, str) or algo not in PARAMS_CLASSES:  # a list is no name (nor hashable)
        raise ConfigError(
            f"{where}: unknown algorithm {algo!r}; expected one of {', '.join(ALGORITHMS)}"
        )
    return algo


def algo_params(algo: str, data: Mapping[str, Any] | None, where: str) -> AlgoParams:
    """The hyperparameter block of ``algo`` from a mapping (missing keys take the defaults)."""
    return from_fields(PARAMS_CLASSES[check_algorithm(algo, where)], data, where)
