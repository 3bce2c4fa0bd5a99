"""The policy of each environment that is exported for serving (``selected.json``), and the
interval of its held-out score that the export reports beside it (`aura.export.policies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from aura.rl.config.experiment import ExperimentConfig
from aura.rl.intervals import paired_lead, resampler, seed_scores
from aura.rl.scoring import evaluate_model_file
from aura.rl.train import CONFIG_FILE, SCORED_FILES, make_vec_env

SELECTED_FILE = "selected.json"
SELECTED_ALGO = "ppo"
"""The algorithm whose policies are exported for serving (the spec's choice for both tasks)."""


def _space_dict(space: Any) -> dict[str, Any]:
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": str(space.dtype),
            "low": space.low.tolist(),
            "high": space.high.tolist(),
        }
    raise TypeError(f"unsupported space {space!r}")


def selected_score(
    env_results: Mapping[str, Any], algo: str, seed_index: int, base_seed: int
) -> dict[str, Any]:
    """The interval of one selected seed's held-out score (`select_models` picks it), from its
    per-episode returns in an environment's ``results.json`` entry: its normalised score and its
    lead over the hand rule, each with a 95% interval over the held-out episodes, the draws the
    grid resampled (seeded from ``base_seed``), so the lead stays paired by episode. Returns
    ``interval`` (of the normalised score, its mean the seed's score) and ``lead_over_hand_rule``,
    as `Interval.to_dict` writes them.

    One seed has no seed-to-seed spread, so both intervals are the episodes' alone
    (`EPISODES_ONLY`, as a one-seed grid's are): how far another draw of the held-out episodes
    could move this one served policy's score, which is the policy the API answers with."""
    ref = env_results["references"]
    episodes = ref["episode_returns"]
    resampled = resampler(episodes["random"], episodes["oracle"], base_seed)
    (run,) = (s for s in env_results["algorithms"][algo]["seeds"] if s["seed_index"] == seed_index)
    scored = seed_scores([run["test_returns"]], ref["random"], ref["oracle"], resampled)
    hand_draws = resampled(episodes[ref["hand_rule_name"]])
    lead = paired_lead(scored, [ref["hand_rule_normalised"]], hand_draws)
    return {"interval": scored.interval.to_dict(), "lead_over_hand_rule": lead.to_dict()}


def select_models(cfg: ExperimentConfig, results: Mapping[str, Any]) -> dict[str, Any]:
    """Per environment, the PPO run to export: the seed with the best mean return on
    ``n_test_episodes`` selection episodes, seeded apart from the held-out ones. Choosing on the
    held-out episodes would make the exported policy's held-out score the maximum of the seeds'
    scores, an optimistic estimate; chosen this way, its held-out score is an honest one."""
    selected = {}
    for env_key, res in results.items():
        runs = res["algorithms"].get(SELECTED_ALGO)
        if not runs:
            continue
        scored = SCORED_FILES[cfg.scored_model[env_key]]
        selection = {}
        for s in runs["seeds"]:
            k = s["seed_index"]
            run = cfg.run(env_key, SELECTED_ALGO, k)
            path = cfg.models_dir / s["run_dir"] / scored
            returns = evaluate_model_file(path, run, cfg.selection_seed, cfg.n_test_episodes)
            selection[k] = float(np.mean(returns))
        best = max(runs["seeds"], key=lambda s: selection[s["seed_index"]])
        env = make_vec_env(cfg.env(env_key), 1, cfg.base_seed)
        selected[env_key] = {
            "algo": SELECTED_ALGO,
            "path": str(Path(best["run_dir"]) / scored),
            "config": str(Path(best["run_dir"]) / CONFIG_FILE),
            "seed_index": best["seed_index"],
            "normalised": best["normalised"],
            "selection_seed": cfg.selection_seed,
            "selection_mean_returns": selection,
            "env_id": cfg.env(env_key).id,
            "observation_space": _space_dict(env.observation_space),
            "action_space": _space_dict(env.action_space),
        }
        env.close()
    return selected
