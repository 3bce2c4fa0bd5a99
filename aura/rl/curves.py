"""Learning curves of the grid's runs, each normalised by random and the oracle on the very
episodes it was scored on: on the few evaluation episodes replayed during training
(`learning_curves`, from every run's ``evaluations.npz``), and on held-out episodes, every
checkpoint scored once training is done (`curve_bands` writes them into ``results.json``,
`held_out_curves` reads them back).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from aura.envs.evaluation import normalised_score
from aura.rl.config import EVAL_SEED_OFFSET
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.intervals import t_interval
from aura.rl.references import aura_baselines
from aura.rl.train import evaluation_returns


def curve_yardstick(
    ref: Mapping[str, Any], n_episodes: int
) -> tuple[dict[str, float], Callable[[float], float]]:
    """The references' normalised scores on the first ``n_episodes`` held-out episodes, and the
    normalisation of a mean return on those episodes (random and oracle on the same ones)."""
    episodes = ref["episode_returns"]
    lo, hi = (float(np.mean(episodes[name][:n_episodes])) for name in ("random", "oracle"))

    def score(mean: float) -> float:
        return float(normalised_score(mean, lo, hi))

    refs = {
        key: score(float(np.mean(episodes[ref[f"{key}_name"]][:n_episodes])))
        for key in ("hand_rule", "ceiling", "experience")
        if ref[f"{key}_name"] is not None
    }
    return refs, score


def curve_bands(
    curves: Sequence[Sequence[tuple[int, float]]], score: Callable[[float], float]
) -> list[dict]:
    """Per checkpoint step every seed's curve reached (a curve: (steps, mean return) per
    checkpoint): the normalised mean over seeds and its 95% t band."""
    per_seed = [dict(curve) for curve in curves]
    steps = sorted(set.intersection(*(set(c) for c in per_seed)))
    bands = []
    for step in steps:
        band = t_interval([score(c[step]) for c in per_seed])
        bands.append({"timesteps": int(step), **band.to_dict()})
    return bands


CURVE_FRAME = (-0.5, 1.2)
"""The normalised-score axis of a curve figure: from below random (0) to above the oracle (1)."""


def curve_limits(
    curves: pd.DataFrame, frame: tuple[float, float] = CURVE_FRAME
) -> tuple[float, float]:
    """The y limits of a panel of ``curves`` (columns normalised, low, high): ``frame``, widened
    to hold every finite mean and band end with a margin. The fixed frame cut the default grid's
    bands (DQN's on tutor matching ran from -0.505 to 1.366) at its edges without a word; a
    one-seed band is infinite and drawn by no one, so it widens nothing."""
    values = curves[["normalised", "low", "high"]].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return frame
    margin = 0.05
    return min(frame[0], float(values.min()) - margin), max(frame[1], float(values.max()) + margin)


def held_out_curves(results: Mapping[str, Any]) -> pd.DataFrame:
    """The held-out learning curves of ``results.json`` as rows (env, algo, timesteps,
    normalised, low, high, n_seeds): every checkpoint scored on the first ``curve_episodes``
    held-out episodes, normalised by random and the oracle on the same episodes. Empty for
    results written before the curves were. A one-seed band's ends, infinite and so written as
    null, read as NaN: as None the band's columns were of objects, which matplotlib refuses."""
    rows = [
        {
            "env": env_key,
            "algo": algo,
            "timesteps": point["timesteps"],
            "normalised": point["mean"],
            "low": point["low"],
            "high": point["high"],
            "n_seeds": point["n"],
        }
        for env_key, res in results.items()
        for algo, r in res["algorithms"].items()
        for point in r.get("held_out_curve", [])
    ]
    columns = ["env", "algo", "timesteps", "normalised", "low", "high", "n_seeds"]
    return pd.DataFrame(rows, columns=columns).astype({"low": float, "high": float})


def learning_curves(cfg: ExperimentConfig) -> pd.DataFrame:
    """Evaluation curves per (environment, algorithm): normalised mean over seeds and its 95%
    t band at each evaluation step, from every seed's ``evaluations.npz``.

    Each run's evaluations replay the same few episodes, so each run is normalised by random and
    the oracle on those very episodes (``evaluation_returns``). The held-out references would
    not do: on tutor matching, where the oracle leads random by a third of a point per episode,
    ten episodes' learners differ from the held-out ones by more than that lead.
    """
    rows = []
    for env_key in cfg.env_keys:
        yardsticks: dict[int, tuple[float, float]] = {}  # seed k -> (random, oracle)
        for algo in cfg.algorithms:
            curves = []
            for k in range(cfg.n_seeds):
                path = cfg.run_dir(env_key, algo, k) / "logs" / "evaluations.npz"
                if not path.is_file():
                    continue
                if k not in yardsticks:  # every algorithm's run k replays the same episodes
                    run = cfg.run(env_key, algo, k)
                    baselines = aura_baselines(env_key, run.seed + EVAL_SEED_OFFSET)
                    yardsticks[k] = tuple(
                        float(np.mean(evaluation_returns(run, baselines[name])))
                        for name in ("random", "oracle")
                    )
                lo, hi = yardsticks[k]
                with np.load(path) as data:
                    scores = normalised_score(data["results"].mean(axis=1), lo, hi)
                    curves.append(dict(zip(data["timesteps"].tolist(), scores, strict=True)))
            if not curves:
                continue
            steps = sorted(set.intersection(*(set(c) for c in curves)))
            for step in steps:
                band = t_interval([float(c[step]) for c in curves])
                rows.append(
                    {
                        "env": env_key,
                        "algo": algo,
                        "timesteps": int(step),
                        "normalised": band.mean,
                        "low": band.low,
                        "high": band.high,
                        "n_seeds": band.n,
                    }
                )
    return pd.DataFrame(rows)
