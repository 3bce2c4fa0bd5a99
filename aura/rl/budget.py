"""What a longer training buys: one run of the grid trained for a multiple of its budget, every
checkpoint scored on the grid's held-out episodes against the same references.

A policy that misses a target at the default budget may be short of experience or short of
information. Training the same run (same environment, algorithm, hyperparameters and seed) for
``factor`` times as many steps and scoring each checkpoint tells the two apart: a curve still
rising says budget, a flat one says the observation or the algorithm. On tutor matching the
experience reference (`aura.envs.ceilings.ExperienceReference`) fitted to as many sessions as
each checkpoint has seen separates the last two: where it rises and the agent stays flat, the
experience held more than the algorithm took from it. With a probe (`aura.rl.probes`) the run trains
and is scored with the probe's change: does what the probe adds pay off given more experience?

Schedules (a linear learning rate, DQN's exploration) stretch over the longer budget, so the
checkpoint at the default budget is not the grid's own policy; the curve describes one longer
run, not a series of runs. Results go to
``{models_dir}/rl/budget/{env_key}/{algo}/seed_{k}/budget.json`` (with a probe:
``{models_dir}/rl/budget/probes/{probe}/{algo}/seed_{k}/``) beside the run itself, which a second
call resumes or reuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aura.envs import normalised_score
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.config.run import RunConfig, load_run_config
from aura.rl.experiment import init_worker
from aura.rl.probes import PROBE_DIR, Probe, checked_probe, probe_runs
from aura.rl.references import (
    experience_policies,
    normalised_references,
    references,
    scale_references,
)
from aura.rl.results import write_json
from aura.rl.scoring import evaluate_policy_mean, score_checkpoints
from aura.rl.train import CONFIG_FILE, steps_kept, train

BUDGET_DIR = "budget"
BUDGET_FILE = "budget.json"
MAX_CHECKPOINTS = 200
"""Checkpoints a study may save and score: each is a policy file on disk and a held-out scoring,
so a small `every` (7 steps, by mistake) filled gigabytes before it was stopped."""


def budget_dir(
    cfg: ExperimentConfig, env_key: str, algo: str, seed_index: int, probe: str | None = None
) -> Path:
    """Where a budget study of one run lives: beside the grid, never inside its run folders."""
    folder = cfg.rl_dir / BUDGET_DIR
    folder = folder / env_key if probe is None else folder / PROBE_DIR / probe
    return folder / algo / f"seed_{seed_index}"


def check_budget_study(
    cfg: ExperimentConfig,
    env_key: str,
    algo: str,
    seed_index: int,
    factor: int,
    probe: str | None = None,
    every: int | None = None,
    *,
    fresh: bool = False,
) -> Probe | None:
    """Refuse a study of a run the grid does not have, or one that would save more checkpoints
    than `MAX_CHECKPOINTS`, and return the probe it trains with (or None), so a command can name
    a bad argument before it says what it will train."""
    if algo not in cfg.algorithms:
        raise ConfigError(
            f"unknown algorithm {algo!r}; the grid trains {', '.join(cfg.algorithms)}"
        )
    if env_key not in cfg.env_keys:
        raise ConfigError(
            f"unknown environment key {env_key!r}; the grid has {', '.join(cfg.env_keys)}"
        )
    if not 0 <= seed_index < cfg.n_seeds:
        raise ConfigError(
            f"seed index {seed_index} is not a run of the grid (0..{cfg.n_seeds - 1})"
        )
    if factor < 1:
        raise ConfigError(f"--factor must be at least 1, got {factor}")
    _check_every(cfg.run(env_key, algo, seed_index), factor, every)
    probed = None if probe is None else checked_probe(cfg, probe, algo)
    if probed is not None and probed.env_key != env_key:
        raise ConfigError(f"probe {probe!r} changes {probed.env_key}, not {env_key}")
    if not fresh:
        _check_kept(cfg, env_key, algo, seed_index, factor, every, probed, probe)
    return probed


def _check_kept(
    cfg: ExperimentConfig,
    env_key: str,
    algo: str,
    seed_index: int,
    factor: int,
    every: int | None,
    probed: Probe | None,
    probe: str | None,
) -> None:
    """A study on disk is reused or resumed only with the settings it was trained with: one of
    another --factor or --every was refused once training was announced, with advice (another
    models_dir) that does not apply to a study."""
    base = cfg.run(env_key, algo, seed_index)
    run, _ = _longer_run(base, factor, every, probed)
    path = budget_dir(cfg, env_key, algo, seed_index, probe) / CONFIG_FILE
    if not path.is_file():
        return
    kept = load_run_config(path)
    if kept == run:
        return
    budget = base.training.total_timesteps
    settings = {
        "total_timesteps": kept.training.total_timesteps,
        "save_freq": kept.training.save_freq,
    }
    if dataclasses.replace(run, training=dataclasses.replace(run.training, **settings)) == kept:
        what = f"--factor {settings['total_timesteps'] // budget} --every {settings['save_freq']}"
    else:
        what = "other params"
    raise ConfigError(
        f"{path.parent} holds a budget study trained with {what}: run it with those to reuse "
        "or resume it, or add --fresh to train this one in its place (which deletes it)"
    )


def _check_every(base: RunConfig, factor: int, every: int | None) -> None:
    """Checkpoints fall on whole vector steps (`n_envs` environment steps each), and each is
    saved and scored, so `every` must be a multiple of `n_envs` and give at most
    `MAX_CHECKPOINTS`. Without `every` there is one per grid budget: `factor` of them."""
    total = base.training.total_timesteps * factor
    if every is None:
        if factor > MAX_CHECKPOINTS:
            raise ConfigError(
                f"--factor {factor} gives {factor:,} checkpoints of {total:,} steps at the "
                f"default --every (the grid's {base.training.total_timesteps:,}), each saved and "
                f"scored; at most {MAX_CHECKPOINTS} (--every >= {_least_every(total, base):,})"
            )
        return
    if every < 1:
        raise ConfigError(f"--every must be a positive number of steps, got {every}")
    n_envs = base.hyperparams.n_envs
    if every % n_envs:
        raise ConfigError(
            f"--every must be a multiple of {base.algo}'s n_envs ({n_envs}), which step together, "
            f"got {every}"
        )
    if total // every > MAX_CHECKPOINTS:
        raise ConfigError(
            f"--every {every} gives {total // every:,} checkpoints of {total:,} steps, each saved "
            f"and scored; at most {MAX_CHECKPOINTS} (--every >= {_least_every(total, base):,})"
        )


def _least_every(total: int, base: RunConfig) -> int:
    """The smallest `every` a study of ``total`` steps accepts, so the refusal's advice is
    accepted when followed: a multiple of ``base``'s ``n_envs`` with ``total // every`` at most
    `MAX_CHECKPOINTS` (``total / MAX_CHECKPOINTS`` rounded up was neither, at times)."""
    n_envs = base.hyperparams.n_envs
    fewest_steps = total // (MAX_CHECKPOINTS + 1) + 1
    return -(-fewest_steps // n_envs) * n_envs


def _points(
    cfg: ExperimentConfig,
    env: EnvConfig,
    ref: dict[str, Any],
    budget: int,
    curve: list[tuple[int, float]],
) -> list[dict[str, Any]]:
    """One point per scored checkpoint of ``curve``: its normalised score and, on tutor matching,
    the experience reference's fitted to as many sessions as the checkpoint has seen (the same
    seeded sessions, so each fit's data extends the last one's)."""
    lo, hi = ref["random"], ref["oracle"]
    experience_means = {budget: ref["experience"]}  # references() has fitted this one
    if ref["experience"] is not None:
        more = [steps for steps, _ in curve if steps not in experience_means]
        for steps, experience in experience_policies(env, more, cfg.experience_seed):
            experience_means[steps] = evaluate_policy_mean(
                env, experience, cfg.test_seed, cfg.n_test_episodes
            )
    points = []
    for steps, mean in curve:
        point = {
            "steps": steps,
            "mean_return": mean,
            "normalised": float(normalised_score(mean, lo, hi)),
        }
        if ref["experience"] is not None:
            point["experience_normalised"] = float(
                normalised_score(experience_means[steps], lo, hi)
            )
        points.append(point)
    return points


def budget_study(
    cfg: ExperimentConfig,
    env_key: str,
    algo: str,
    *,
    seed_index: int = 0,
    factor: int = 10,
    every: int | None = None,
    probe: str | None = None,
    fresh: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Train run ``seed_index`` of (``env_key``, ``algo``) for ``factor`` x the grid's
    ``total_timesteps``, checkpointing every ``every`` steps (default: the grid's budget), and
    score each checkpoint and the final policy on the grid's ``n_test_episodes`` held-out
    episodes, beside (tutor matching) the experience reference fitted to as many sessions.
    With ``probe``, the run trains and is scored with that probe's change; the references are
    the grid's environment's.
    Returns (and writes) the references and one point per checkpoint. A finished or
    interrupted study of the same settings is reused or resumed; ``fresh`` retrains it (needed
    to change ``factor`` or ``every`` of a study already on disk). ``train_seconds`` is the
    run's training wall time as its ``train_info.json`` records it, so a study reused keeps its
    training's seconds instead of this call's 0. ``on_progress(steps, total)`` is told the
    steps trained as they are (`aura.rl.progress.StepProgress`).

    The study holds one thread per pool (torch, OpenMP, BLAS), as the grid's workers do, so two
    studies side by side share the two cores: with OpenMP's own pool of two threads each, their
    DAgger labelling for a four-block start (the filter clones' gradient-boosting fits) ran
    nine to thirteen times slower than with one thread each, where alone two threads save about a
    quarter (docs/rl.md, More budget)."""
    from aura.rl.progress import StepProgress

    probed = check_budget_study(cfg, env_key, algo, seed_index, factor, probe, every, fresh=fresh)
    init_worker()  # one thread per pool (see the docstring)
    base = cfg.run(env_key, algo, seed_index)
    budget = base.training.total_timesteps
    # Before training: held-out episodes with no scale are refused (`NoScale`), not after it.
    # The study's points are means, with no interval, so no resample of them is drawn.
    scale = scale_references(base.env, cfg.test_seed, cfg.n_test_episodes, None)
    run, score_run = _longer_run(base, factor, every, probed)
    run_dir = budget_dir(cfg, env_key, algo, seed_index, probe)
    kept = 0 if fresh else steps_kept(run, run_dir)
    with StepProgress(run.training.total_timesteps, kept, on_progress):
        result = train(run, run_dir, resume=not fresh)

    ref = references(
        base.env,
        cfg.test_seed,
        cfg.n_test_episodes,
        ceiling_episodes=cfg.ceiling_episodes,
        ceiling_seed=cfg.ceiling_seed,
        experience_steps=budget,
        experience_seed=cfg.experience_seed,
        scale=scale,
    )
    scores = normalised_references(ref)
    curve = score_checkpoints(
        run_dir, score_run, result.num_timesteps, cfg.test_seed, cfg.n_test_episodes
    )
    study = {
        "env_key": env_key,
        "algo": algo,
        "probe": probe,
        "question": None if probed is None else probed.question,
        "train_env": run.env.to_dict(),
        "score_env": score_run.env.to_dict(),
        "seed_index": seed_index,
        "seed": run.seed,
        "grid_budget": budget,
        "total_timesteps": result.num_timesteps,
        "train_seconds": result.recorded_seconds,
        "n_test_episodes": cfg.n_test_episodes,
        "test_seed": cfg.test_seed,
        "references": {
            "hand_rule": scores["hand_rule"],
            "hand_rule_name": ref["hand_rule_name"],
            "ceiling": scores["ceiling"],
            "ceiling_name": ref["ceiling_name"],
            "experience": scores["experience"],
            "experience_name": ref["experience_name"],
            "random_return": ref["random"],
            "oracle_return": ref["oracle"],
        },
        "points": _points(cfg, base.env, ref, budget, curve),
    }
    write_json(run_dir / BUDGET_FILE, study)
    return study


def _longer_run(
    base: RunConfig, factor: int, every: int | None, probed: Probe | None
) -> tuple[RunConfig, RunConfig]:
    """``base`` trained for ``factor`` x its budget with a checkpoint every ``every`` steps
    (default: the base budget), and with the probe's change if any: (the run to train, the same
    run on the environment its policy is scored on)."""
    budget = base.training.total_timesteps
    every = budget if every is None else every
    training = dataclasses.replace(base.training, total_timesteps=budget * factor, save_freq=every)
    run = dataclasses.replace(base, training=training)
    return (run, run) if probed is None else probe_runs(run, probed)
