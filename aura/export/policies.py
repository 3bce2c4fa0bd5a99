"""What the manifest says about the two policies, gathered from `aura.rl` and `aura.envs`.

The observation normalisation is the environments' (documented with their
`OBSERVATION_FEATURES`), written into the manifest as min-max ranges and category look-ups so the
API turns a learner profile into the very floats the policy was trained on without importing the
environments; `tests/unit/test_export_observation.py` checks the two agree. Request fields keep the
data dictionary's names (``comfort_level_online``, ``learning_progress_score``), which the
environments shorten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aura.env_ids import AURA_ENV_IDS
from aura.export.exporter import PolicyExport
from aura.export.manifest import Feature, Lookup, MinMax
from aura.files import read_json
from aura.rl.selection import selected_score
from aura.sim.vocab import DIFFICULTY_MOVES, LEARNING_STYLES, STRATEGIES, SUBJECTS, TIME_SLOTS

POLICY_NAMES = ("tutor_matching", "difficulty_adaptation")
PARITY_OBSERVATIONS = 10_000
EPISODE_OBSERVATIONS = 2_000
"""Observations of seeded episodes, the policy acting, for the parity check (a few seconds)."""
DEFAULT_EPISODE_LENGTH = 12
MAX_SESSION_COUNT = 500
"""Largest session count a request may send: the top of its documented range
(`aura.supervised.features.FEATURE_RANGES`), as the data dictionary sets no upper bound; the
policy's observation clips it to the episode length in any case."""


def _minmax(
    name: str,
    low: float,
    high: float,
    dtype: str,
    description: str,
    accepted: tuple[float, float] | None = None,
) -> Feature:
    """A feature scaled from [low, high] to [0, 1] and clipped; requests may send values in
    ``accepted`` (default: the same range)."""
    valid_low, valid_high = accepted or (low, high)
    return Feature(
        name=name,
        dtype=dtype,  # type: ignore[arg-type]
        low=valid_low,
        high=valid_high,
        normalisation=MinMax(low=low, high=high),
        description=description,
    )


def _category(name: str, values: tuple[str, ...], description: str) -> Feature:
    n = len(values)
    return Feature(
        name=name,
        dtype="category",
        categories=list(values),
        normalisation=Lookup(values=[i / (n - 1) for i in range(n)]),
        description=description,
    )


def tutor_matching_features(episode_length: int = DEFAULT_EPISODE_LENGTH) -> list[Feature]:
    """The eight observation features of `aura/TutorMatching-v0`, in order, as request fields.

    Session count is scaled by the episode length the policy was trained with (the environment's
    'sessions done / episode_length'), so a learner with more sessions than that is clipped to 1.
    """
    return [
        _minmax("age", 8, 18, "integer", "Learner age in years."),
        _minmax("grade_level", 1, 12, "integer", "School grade, 1-12."),
        _minmax("comfort_level_online", 0, 1, "float", "Comfort with online learning, 0-1."),
        _minmax(
            "session_count",
            0,
            episode_length,
            "integer",
            f"Sessions taken so far (the policy saw 0..{episode_length}; more counts as "
            f"{episode_length}).",
            accepted=(0, MAX_SESSION_COUNT),
        ),
        _minmax(
            "learning_progress_score",
            0,
            1,
            "float",
            "Mastery of grade-level material in the preferred subject, 0-1.",
        ),
        _category("subject_preference", SUBJECTS, "Subject the tutor must teach."),
        _category("learning_style", LEARNING_STYLES, "The learner's learning style."),
        _category("time_preference", TIME_SLOTS, "When the learner wants sessions."),
    ]


ADAPTATION_DESCRIPTIONS = {
    "performance_history": "Moving average of recent block success, 0-1.",
    "current_difficulty": "Current difficulty on the environment's 0-1 scale.",
    "struggle_indicators": "Moving average of blocks below 60% success, 0-1.",
    "consistency": "1 - moving average of the change in success between blocks.",
    "improvement_rate": "0.5 + 2.5 x change of performance history, clipped to 0-1.",
    "engagement_level": "Smoothed engagement, 0-1.",
}


def difficulty_adaptation_features() -> list[Feature]:
    """The six observation features of `aura/DifficultyAdaptation-v0`, already in [0, 1]."""
    from aura.envs.difficulty import OBSERVATION_FEATURES

    return [
        _minmax(name, 0, 1, "float", ADAPTATION_DESCRIPTIONS.get(name, ""))
        for name in OBSERVATION_FEATURES
    ]


def _load(path: Path) -> Any:
    """The saved model at ``path``, by the algorithm its run folder names (``.../ppo/...``)."""
    from aura.rl.config.algorithms import ALGORITHMS
    from aura.rl.train import algorithm_class, require_whole_model

    if not path.is_file():  # SB3 would name it with a second .zip
        raise FileNotFoundError(
            f"{path} not found; train the agents again (`aura train-rl` or notebook 03)"
        )

    require_whole_model(path)
    algo = next((a for a in ALGORITHMS if f"/{a}/" in f"/{path.as_posix()}"), "ppo")
    return algorithm_class(algo).load(path, device="cpu")


def _env_config(name: str, config_path: Path | None) -> tuple[str, dict[str, Any]]:
    """Id and keyword arguments of the run's environment (its config.yaml, as `aura.rl` writes
    it); the environment of ``name`` as registered without one."""
    env: dict[str, Any] = {}
    if config_path is not None and config_path.is_file():
        import yaml

        env = yaml.safe_load(config_path.read_text(encoding="utf-8")).get("env") or {}
    return env.get("id") or AURA_ENV_IDS[name], dict(env.get("kwargs") or {})


def episode_observations(model: Any, env_id: str, kwargs: dict[str, Any], seed: int) -> np.ndarray:
    """EPISODE_OBSERVATIONS observations of episodes of the environment seeded from ``seed``, the
    policy choosing each action: the states a served policy sees, where uniformly random ones
    put a category between its look-up values."""
    import aura.envs  # noqa: F401  (registers the environments' ids)
    from aura.envs.evaluation import make_env

    env = make_env(env_id, kwargs)
    rows: list[np.ndarray] = []
    episode = 0
    while len(rows) < EPISODE_OBSERVATIONS:
        obs, _ = env.reset(seed=seed + episode)
        done = False
        while not done and len(rows) < EPISODE_OBSERVATIONS:
            rows.append(obs)
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
        episode += 1
    env.close()
    return np.asarray(rows, dtype=np.float64)


def policy_exports(models_dir: Path, seed: int) -> list[PolicyExport]:
    """One PolicyExport per environment named in ``{models_dir}/rl/selected.json``, with its
    held-out scores and references from results.json. Without a results.json the scores are
    left out; one that does not score a served policy is refused (`_unscored`)."""
    models_dir = Path(models_dir)
    rl_dir = models_dir / "rl"
    selected_path = rl_dir / "selected.json"
    if not selected_path.is_file():
        raise FileNotFoundError(
            f"{selected_path} not found; train the agents first (`aura train-rl` or notebook 03)"
        )
    selected = read_json(selected_path)
    results_path = rl_dir / "results.json"
    results = read_json(results_path).get("results", {}) if results_path.is_file() else {}
    missing = [name for name in POLICY_NAMES if name not in selected]
    if missing:
        raise ValueError(
            f"{selected_path} names no model for {', '.join(missing)}; train the agents on every "
            "environment (`aura train-rl` or notebook 03)"
        )
    if results_path.is_file():
        unscored = [s for name in POLICY_NAMES if (s := _unscored(name, selected[name], results))]
        if unscored:
            raise ValueError(
                f"{results_path} holds no scores for {'; '.join(unscored)}, which "
                f"{selected_path} serves: the two are of other grids; train the agents again "
                "(`aura train-rl` or notebook 03)"
            )
    rng = np.random.default_rng(seed)
    return [
        _policy_export(name, selected[name], models_dir, results.get(name, {}), rng, seed)
        for name in POLICY_NAMES
    ]


def _unscored(name: str, entry: dict[str, Any], results: dict[str, Any]) -> str | None:
    """The served policy ``entry`` of environment ``name`` (``algo``, ``seed_index``) if a grid's
    ``results`` has no scores of it, else None. Without this, a results.json of another grid
    exported the policy with no score and no references (an environment or algorithm it lacks),
    or stopped on "not enough values to unpack" (a seed it lacks)."""
    algo = entry.get("algo", "ppo")
    served = f"{name} {algo}" + (f" seed {entry['seed_index']}" if "seed_index" in entry else "")
    runs = results.get(name, {}).get("algorithms", {}).get(algo)
    if runs is None or "references" not in results[name]:
        return served
    if "seed_index" in entry and all(
        s["seed_index"] != entry["seed_index"] for s in runs.get("seeds", [])
    ):
        return served
    return None


def _policy_export(
    name: str,
    entry: dict[str, Any],
    models_dir: Path,
    env_results: dict[str, Any],
    rng: np.random.Generator,
    base_seed: int,
) -> PolicyExport:
    """The export of policy ``name`` as ``selected.json`` names it (``entry``): its request
    features, its actions, its scores (the selected seed's with its interval over the held-out
    episodes, resampled as the grid seeded from ``base_seed`` did), and random observations and
    those of episodes seeded from ``base_seed`` for the parity check. A policy that observes
    other features than a request gives is refused here, by name."""
    path = Path(entry["path"])
    path = path if path.is_absolute() else models_dir / path
    config = entry.get("config")
    config_path = None if config is None else Path(config)
    if config_path is not None and not config_path.is_absolute():
        config_path = models_dir / config_path
    env_id, env_kwargs = _env_config(name, config_path)
    if name == "tutor_matching":
        episode_length = int(env_kwargs.get("episode_length", DEFAULT_EPISODE_LENGTH))
        features, actions = tutor_matching_features(episode_length), STRATEGIES
    else:
        features, actions = difficulty_adaptation_features(), DIFFICULTY_MOVES
    algo = entry.get("algo", "ppo")
    metrics = {
        "selected": {k: entry[k] for k in ("algo", "seed_index", "normalised") if k in entry},
        "references": env_results.get("references", {}),
        "normalised": env_results.get("algorithms", {}).get(algo, {}).get("normalised", {}),
        # what the policy met in training: the simulator's learners and tutors, or a platform's
        # learners_csv / tutors_csv, which the manifest did not name
        "environment_options": env_kwargs,
    }
    if algo in env_results.get("algorithms", {}) and "seed_index" in entry:
        metrics["selected"] |= selected_score(env_results, algo, entry["seed_index"], base_seed)
    source = path.relative_to(models_dir) if path.is_relative_to(models_dir) else path
    model = _load(path)
    n_obs = int(np.prod(model.observation_space.shape))
    if n_obs != len(features):
        raise ValueError(
            f"{path} observes {n_obs} features, but a {name} request gives "
            f"{len(features)} ({', '.join(f.name for f in features)}); only a policy trained "
            "on the environment's own observation can be served (not, say, tutor_features)"
        )
    return PolicyExport(
        name=name,
        model=model,
        features=features,
        actions=list(actions),
        observations=rng.random((PARITY_OBSERVATIONS, len(features))),
        episodes=episode_observations(model, env_id, env_kwargs, base_seed),
        source=str(source),
        metrics=metrics,
    )
