"""A grid's ``results.json``: per environment, the references and every algorithm's runs scored
on the same held-out episodes, with the intervals of `aura.rl.intervals` (`summarise`).

The studies beside the grid write their results with the same `write_json`; `aura.rl.saved`
reads a grid's file back, `aura.rl.tables` shows it and `aura.rl.fingerprint` digests it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aura.files import strict_json, write_text_atomically
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.curves import curve_bands, curve_yardstick
from aura.rl.intervals import SeedScores, episode_resampler, paired_lead, seed_scores, t_interval
from aura.rl.references import normalised_references
from aura.rl.train import SCORED_FILES

if TYPE_CHECKING:
    from aura.rl.experiment import RunOutcome


RESULTS_FILE = "results.json"


def summarise(
    cfg: ExperimentConfig, outcomes: Sequence[RunOutcome], references: Mapping[str, Mapping]
) -> dict[str, Any]:
    """Per environment: the references, and per algorithm the per-seed and mean normalised
    scores with their 95% interval over seeds and episodes (see `aura.rl.intervals`), raw
    held-out returns, the paired difference from the hand rule, and training wall time (each
    run's own, as its train_info.json records it: a run kept from before and scored again keeps
    its training's seconds, not this call's 0).

    ``normalised`` is the interval over seeds and episodes (with one seed, over the episodes
    alone, marked ``covers``), ``normalised_seeds`` the t interval over seeds alone and
    ``episode_se`` the episodes' bootstrap standard error of the mean.
    ``held_out_curve`` is the learning curve of the runs' checkpoints on the first
    ``curve_episodes`` held-out episodes, with its t band over seeds; ``curves`` holds the
    references on those episodes. ``other_model`` scores the saved policy that is not scored on
    the same episodes (:func:`other_model`), where the outcomes carry its returns.
    """
    results: dict[str, Any] = {}
    for env_key in cfg.env_keys:
        ref = dict(references[env_key])
        episodes = ref["episode_returns"]
        resampled = episode_resampler(cfg, ref)
        hand_draws = resampled(episodes[ref["hand_rule_name"]])
        reference_se = {
            key: float(resampled(episodes[ref[f"{key}_name"]]).std(ddof=1))
            for key in ("hand_rule", "ceiling", "experience")
            if ref[f"{key}_name"] is not None
        }
        curve_refs, curve_score = curve_yardstick(ref, cfg.curve_episodes)
        normalised = normalised_references(ref)
        hand = normalised["hand_rule"]
        per_algo: dict[str, Any] = {}
        for algo in cfg.algorithms:
            runs = sorted(
                (o for o in outcomes if o.env_key == env_key and o.algo == algo),
                key=lambda o: o.seed_index,
            )
            if runs:
                per_algo[algo] = _algorithm_summary(
                    cfg, runs, ref, resampled, hand, hand_draws, curve_score
                )
        results[env_key] = {
            "references": {
                **ref,
                "hand_rule_normalised": hand,
                "ceiling_normalised": normalised["ceiling"],
                "experience_normalised": normalised["experience"],
                "episode_se": reference_se,
            },
            "scored_model": cfg.scored_model[env_key],
            "ceiling_episodes": cfg.ceiling_episodes,
            "curves": {"n_episodes": cfg.curve_episodes, "references": curve_refs},
            "n_test_episodes": cfg.n_test_episodes,
            "test_seed": cfg.test_seed,
            "algorithms": per_algo,
        }
    return results


def _algorithm_summary(
    cfg: ExperimentConfig,
    runs: Sequence[RunOutcome],
    ref: Mapping[str, Any],
    resampled: Callable[[np.ndarray], np.ndarray],
    hand: float,
    hand_draws: np.ndarray,
    curve_score: Callable[[float], float],
) -> dict[str, Any]:
    """One algorithm's seeds on one environment (``runs``, in seed order), as :func:`summarise`
    reports them: scored against ``ref``'s random and oracle and paired with the hand rule."""
    lo, hi = ref["random"], ref["oracle"]
    means = [float(np.mean(o.test_returns)) for o in runs]
    scored = seed_scores([o.test_returns for o in runs], lo, hi, resampled)
    scores, score = scored.per_seed, scored.interval
    lead = paired_lead(scored, [hand] * len(runs), hand_draws)
    summary = {
        "normalised": score.to_dict(),
        "normalised_seeds": scored.seeds.to_dict(),
        "episode_se": scored.episode_se,
        "lead_over_hand_rule": lead.to_dict(),
        "mean_return": t_interval(means).to_dict(),
        "beats_hand_rule": score.mean > hand,
        "beats_hand_rule_ci": lead.low > 0,
        "held_out_curve": curve_bands([o.checkpoint_means for o in runs], curve_score),
        "train_seconds": sum(o.recorded_seconds for o in runs),
        "seeds": [
            {
                "seed_index": o.seed_index,
                "seed": cfg.base_seed + o.seed_index,
                "run_dir": str(Path(o.run_dir).relative_to(cfg.models_dir)),
                "num_timesteps": o.num_timesteps,
                "train_seconds": o.recorded_seconds,
                "mean_return": m,
                "normalised": s,
                "test_returns": o.test_returns,
            }
            for o, m, s in zip(runs, means, scores, strict=True)
        ],
    }
    if all(o.other_returns for o in runs):
        env_key = runs[0].env_key
        summary["other_model"] = other_model(
            scored, runs, cfg.scored_model[env_key], lo, hi, resampled
        )
    return summary


def other_model(
    scored: SeedScores,
    runs: Sequence[RunOutcome],
    scored_model: str,
    random: float,
    oracle: float,
    resampled: Callable[[np.ndarray], np.ndarray],
) -> dict[str, Any]:
    """The saved policy that is not scored (``final`` where ``best`` is, and the other way round)
    on the same held-out episodes: its normalised score with its interval over seeds and
    episodes, per seed, and the scored policy's lead over it, paired by seed and episode.

    The choice of ``scored_model`` rests on the evaluation episodes (notebook 03); this shows
    after the fact what it did on held-out ones, and must not feed back into it.
    """
    (model,) = set(SCORED_FILES) - {scored_model}
    other = seed_scores([o.other_returns for o in runs], random, oracle, resampled)
    return {
        "model": model,
        "normalised": other.interval.to_dict(),
        "per_seed": other.per_seed,
        "scored_lead": paired_lead(scored, other.per_seed, other.draws).to_dict(),
    }


def write_json(path: Path, data: Any) -> Path:
    """Write strict JSON (`aura.files.strict_json`, numpy numbers as floats) atomically, aside
    and then renamed, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, strict_json(data, default=float))
