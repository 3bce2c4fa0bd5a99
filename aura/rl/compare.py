"""Two grids compared run by run: does a study's change beat the grid it changes?

A study (`params/studies/`) trains the grid's runs again with a few values changed: the same
seeds, scored on the same held-out episodes. Its runs and the base grid's are then paired seed k
with seed k and episode with episode, so the lead of one over the other is read with the
interval of the difference, much narrower than the two intervals side by side (docs/rl.md reports
every study's lead this way). A comparison of grids scored on other episodes would pair nothing,
and is refused.
"""

from __future__ import annotations

from typing import Any

from aura.rl.config import ConfigError
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.intervals import episode_resampler, paired_lead, seed_scores
from aura.rl.saved import grid_results


def _comparable(cfg: ExperimentConfig, base: ExperimentConfig, env_key: str, algo: str) -> None:
    """Refuse grids whose held-out episodes, seeds or resamples are not the same."""
    where = f"{env_key}/{algo}"
    if cfg.n_seeds != base.n_seeds:
        raise ConfigError(
            f"{where}: {cfg.n_seeds} seeds against {base.n_seeds}; pairing needs both"
        )
    if cfg.base_seed != base.base_seed:
        raise ConfigError(
            f"{where}: shared.seed {cfg.base_seed} against {base.base_seed}: "
            "other seeds and other held-out episodes"
        )


def unpaired(cfg: ExperimentConfig, base: ExperimentConfig) -> list[str]:
    """The runs (``env_key/algo``) one grid trains and the other does not, which
    `compare_grids` leaves out: an algorithm or environment a study adds. They were left out
    without a word, so that an algorithm added to a study's grid alone was simply not there."""
    mine = {(env, algo) for env in cfg.env_keys for algo in cfg.algorithms}
    theirs = {(env, algo) for env in base.env_keys for algo in base.algorithms}
    return [
        f"{env}/{algo} ({which} only)"
        for runs, other, which in ((mine, theirs, "--params"), (theirs, mine, "--against"))
        for env, algo in sorted(runs - other)
    ]


def compare_grids(cfg: ExperimentConfig, base: ExperimentConfig) -> list[dict[str, Any]]:
    """For every (environment, algorithm) both grids trained: each one's normalised score (mean
    over seeds, 95% interval over seeds and episodes, per seed) and the lead of ``cfg``'s over
    ``base``'s, paired by seed and episode, beside the base grid's hand rule and upper reference
    on the same episodes. Both grids must have been trained and scored by
    `aura train-rl` on their params, on the same held-out episodes of the same environment: the
    same random and oracle returns. What the policies observe may differ (a study that shows
    them more, such as ``tutor_features``), and so may the references that learn from it."""
    rows = []
    for env_key in cfg.env_keys:
        for algo in cfg.algorithms:
            if env_key not in base.env_keys or algo not in base.algorithms:
                continue
            # Each grid trained first (a missing one is named), then whether they pair at all.
            mine, theirs = grid_results(cfg, env_key, algo), grid_results(base, env_key, algo)
            _comparable(cfg, base, env_key, algo)
            ref = mine["references"]
            if any(
                ref["episode_returns"][name] != theirs["references"]["episode_returns"][name]
                for name in ("random", "oracle")
            ):
                raise ConfigError(
                    f"{env_key}: the two grids' random and oracle returns differ on the held-out "
                    "episodes (another environment or other episodes); a lead would pair nothing"
                )
            resampled = episode_resampler(cfg, ref)
            lo, hi = ref["random"], ref["oracle"]
            a, b = (
                seed_scores(
                    [s["test_returns"] for s in r["algorithms"][algo]["seeds"]], lo, hi, resampled
                )
                for r in (mine, theirs)
            )
            rows.append(
                {
                    "env_key": env_key,
                    "algo": algo,
                    "normalised": a.interval.to_dict(),
                    "per_seed": a.per_seed,
                    "base_normalised": b.interval.to_dict(),
                    "base_per_seed": b.per_seed,
                    "lead": paired_lead(a, b.per_seed, b.draws).to_dict(),
                    "references": {
                        key: theirs["references"][key]
                        for key in (
                            "hand_rule_name",
                            "hand_rule_normalised",
                            "ceiling_name",
                            "ceiling_normalised",
                        )
                    },
                }
            )
    if not rows:
        raise ConfigError("the two grids share no (environment, algorithm) to compare")
    return rows
