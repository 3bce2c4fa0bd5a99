"""A saved grid's ``results.json``, read back only once it is checked to be the grid the params
define.

A probe, a comparison of two grids, notebook 03's ``load = True`` and the reports all stand on a
grid trained earlier. A results file of other params (other seeds, other held-out episodes,
another scored policy, runs changed, retrained or stopped since) would put another grid's numbers
beside these params' settings without a word; each such difference is refused by name, with the
command that writes the file again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aura.files import read_json
from aura.rl.config import ConfigError
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.config.run import load_run_config
from aura.rl.results import RESULTS_FILE
from aura.rl.train import CONFIG_FILE, is_finished

TRAIN_FIRST = "train the grid first with aura train-rl on the same params file"


def grid_results(cfg: ExperimentConfig, env_key: str, algo: str) -> dict[str, Any]:
    """The results of ``cfg``'s grid for one environment, checked to hold ``algo``'s runs as
    ``cfg`` defines them (not changed since), scored on the held-out episodes ``cfg`` asks for
    with the per-episode returns a paired comparison needs: what a probe or a comparison of
    two grids stands on."""
    return _checked_runs(cfg, _saved_payload(cfg), env_key, algo)


def saved_grid(cfg: ExperimentConfig) -> dict[str, Any]:
    """The saved ``results.json`` of ``cfg``'s grid, once every run of it is checked to be there
    as ``cfg`` defines it (`grid_results`): notebook 03's ``load = True`` read any results file
    in the models folder, and printed the params' step counts and episodes beside another grid's
    numbers."""
    payload = _saved_payload(cfg)
    for env_key in cfg.env_keys:
        for algo in cfg.algorithms:
            _checked_runs(cfg, payload, env_key, algo)
    return payload


def _saved_payload(cfg: ExperimentConfig) -> dict[str, Any]:
    """``cfg``'s ``results.json``, read once, or a ConfigError saying to train the grid."""
    path = cfg.rl_dir / RESULTS_FILE
    if not path.is_file():
        raise ConfigError(f"no grid results at {path}; {TRAIN_FIRST}")
    try:
        payload = read_json(path)
    except ValueError as exc:
        raise ConfigError(f"{exc}; {TRAIN_FIRST}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), dict):
        raise ConfigError(f"{path} holds no grid's results; {TRAIN_FIRST}")
    return payload


def _checked_runs(
    cfg: ExperimentConfig, payload: dict[str, Any], env_key: str, algo: str
) -> dict[str, Any]:
    """`grid_results` of a ``results.json`` already read."""
    path = cfg.rl_dir / RESULTS_FILE
    results = payload["results"].get(env_key)
    seeds = (results or {}).get("algorithms", {}).get(algo, {}).get("seeds", [])
    if results is None or len(seeds) != cfg.n_seeds:
        held = f"{len(seeds)} {algo} run(s) on {env_key}, these params ask for {cfg.n_seeds}"
        raise ConfigError(f"{path} holds {held} (03_rl_training.seeds); {TRAIN_FIRST}")
    missing = [k for k in ("n_test_episodes", "test_seed", "references") if k not in results]
    if missing:
        raise ConfigError(f"{path}: {env_key} has no {', '.join(missing)}; {TRAIN_FIRST}")
    if (results["n_test_episodes"], results["test_seed"]) != (cfg.n_test_episodes, cfg.test_seed):
        raise ConfigError(
            f"{path} was scored on other held-out episodes than these params ask for "
            f"({cfg.n_test_episodes} from seed {cfg.test_seed}); {TRAIN_FIRST}"
        )
    scored, asked = results.get("scored_model"), cfg.scored_model[env_key]
    if scored != asked:  # the same runs, another saved policy of each scored
        raise ConfigError(
            f"{path}: {env_key} scored each run's {scored or 'unrecorded'} policy, these params "
            f"ask for its {asked} one (03_rl_training.scored_model); {TRAIN_FIRST} (it keeps the "
            "finished runs and scores them again)"
        )
    held = {
        "ceiling_episodes": results.get("ceiling_episodes"),
        "curve_episodes": results.get("curves", {}).get("n_episodes"),
    }
    for key, value in held.items():
        _check_scored_with(path, env_key, key, value, getattr(cfg, key))
    if "episode_returns" not in results["references"]:
        raise ConfigError(f"{path} predates per-episode reference returns; {TRAIN_FIRST}")
    n = cfg.n_test_episodes
    returns = {f"{algo} seed {k}": s.get("test_returns") for k, s in enumerate(seeds)}
    episodes = results["references"]["episode_returns"]
    returns |= {name: episodes.get(name) for name in ("random", "oracle")}
    short = [name for name, r in returns.items() if not isinstance(r, list) or len(r) != n]
    if short:  # a file cut or edited by hand: pairing by episode would fail in numpy
        raise ConfigError(
            f"{path}: {env_key} has no {n} held-out returns for {', '.join(short)}; {TRAIN_FIRST}"
        )
    for k in range(cfg.n_seeds):
        config = cfg.run_dir(env_key, algo, k) / CONFIG_FILE
        if not config.is_file() or load_run_config(config) != cfg.run(env_key, algo, k):
            raise ConfigError(
                f"{config} is not the run these params define (changed since the grid was "
                f"trained?); {TRAIN_FIRST}"
            )
        if not is_finished(config.parent):  # retrained since (--fresh, stopped): not these
            raise ConfigError(
                f"{config.parent} holds no finished run (training stopped before its end?), so "
                f"{path} is not its score; {TRAIN_FIRST} (it resumes the run from its last "
                "checkpoint)"
            )
    return results


def _check_scored_with(path: Path, env_key: str, key: str, held: Any, asked: int) -> None:
    """Refuse a grid scored with another ``03_rl_training.{key}`` than these params ask for.

    Neither ``ceiling_episodes`` nor ``curve_episodes`` changes a run, so the runs pass as these
    params' own: another ``ceiling_episodes`` fitted tutor matching's upper reference on other
    episodes, and another ``curve_episodes`` scored the held-out curves on other episodes than
    a probe's curve shown beside them. A results.json written before the setting was recorded
    (``held`` None) is refused too, with the command that rewrites it: ``aura train-rl`` keeps
    every finished run and scores them again, which costs the scoring and the references, not
    the training."""
    if held != asked:
        scored = f"before {key} was recorded" if held is None else f"with {key} {held}"
        raise ConfigError(
            f"{path}: {env_key} was scored {scored}, these params ask for {asked} "
            f"(03_rl_training.{key}); {TRAIN_FIRST} (it keeps the finished runs and scores them "
            "again)"
        )
