"""Which environment a run trains on: an AURA environment by key, or any registered Gymnasium
environment the params define, built once when the params are read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aura.env_ids import AURA_ENV_IDS
from aura.rl.config import ConfigError
from aura.rl.config.checks import check_keys


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
    if not isinstance(key, str):  # a list or mapping given as a key: no name, nor hashable
        raise ConfigError(
            f"{where}: an environment key is a name such as tutor_matching, got {key!r}"
        )
    spec = (defined or {}).get(key) or {}
    check_keys(spec, {"id", "kwargs"}, f"{where}.{key}")
    spec = dict(spec)
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
