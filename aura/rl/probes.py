"""Probes: what would lift a policy to its target? The grid's own runs trained again with one
thing changed, scored on the grid's held-out episodes beside the grid's policies.

A policy that misses a target may lack experience (`aura.rl.budget` trains longer) or lack what its
reward or observation carries. A probe changes one of those and nothing else: the algorithm, its
hyperparameters, the seeds, the budget and the held-out episodes are the grid's, so the probe's
lead over the grid's policy, paired by seed and by episode, is what that one change is worth.

- ``exact_reward`` (tutor matching): each session pays its exact expected reward, which the
  simulator knows, instead of its realised reward. Is the noise of a session's reward what holds
  the agent back?
- ``relative_reward`` (tutor matching): the exact expected reward minus its mean over the five
  strategies in the same state. Each session then says how its strategy compares with the others
  for that very learner, which is what the observation ceiling learns from. Is it the missing
  comparison?
- ``last_4_blocks`` (difficulty adaptation): the policy observes the six features of the last four
  blocks, oldest first, instead of the last block's (`aura.envs.ceilings.window_env`). Is it
  memory? A clone of the model-based filter on the same window reaches 0.90 (notebook 02).
- ``recurrent`` (difficulty adaptation, PPO only): the observation is the grid's, and the policy
  is PPO with an LSTM of 64 units before its MLP (sb3-contrib's RecurrentPPO), which can keep
  whatever of the episode's past it learns to need, not just a fixed window. Is it memory in a
  form the policy learns to use?
- ``filter_start`` (difficulty adaptation, PPO and A2C): the observation and training are the
  grid's, but the policy starts as a clone of the model-based filter (`aura.rl.imitation`: six
  DAgger rounds of 2,000 episodes, then 40 passes of cross-entropy) instead of at random. Is it
  where training starts? The start is scored too, on the same held-out episodes.
- ``filter_start_4_blocks`` (difficulty adaptation, PPO and A2C): ``last_4_blocks`` and
  ``filter_start`` together. The policy observes the last four blocks and starts as a clone of
  the filter on them, which is what carries a clone to 0.90. Given a start with the memory the
  target needs, does training keep it?
- ``filter_start_4_blocks_critic`` (difficulty adaptation, PPO and A2C): ``filter_start_4_blocks``
  with the critic fitted too, to the discounted returns of 2,000 of the start's own episodes
  (`aura.rl.imitation.fit_critic`). With an untrained critic the first advantages are noise, and
  the first updates move the start on it. Does a start keep its score when they are not?

A probe is a question, not a way to train a served policy: no agent is paid the exact reward, the
API takes one block's features, and the filter a start imitates knows the simulator's models,
which a platform would not. Every probe's policy is scored on the environment's realised rewards,
through the window where the probe observes one, and a probe needs the grid's ``results.json``
(``aura train-rl``) for its references and its comparison. Results go to
``{models_dir}/rl/probes/{probe}/{algo}/``: one run folder per seed and ``probe.json`` (with the
start's scores and the lead over it for the ``filter_start`` probes, and the probe's learning
curve, every checkpoint scored on the first ``curve_episodes`` held-out episodes, beside the
grid's).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aura.envs import (
    DIFFICULTY_ID,
    EXACT_REWARD_ID,
    RELATIVE_REWARD_ID,
    TUTOR_MATCHING_ID,
    WINDOW_ID,
)
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.config.run import IMITATION_ALGORITHMS, ImitationConfig, RunConfig
from aura.rl.curves import curve_bands, curve_yardstick
from aura.rl.experiment import grid_pool, init_worker
from aura.rl.intervals import episode_resampler, paired_lead, seed_scores
from aura.rl.references import normalised_references
from aura.rl.results import write_json
from aura.rl.saved import grid_results
from aura.rl.scoring import evaluate_model_file, score_checkpoints
from aura.rl.train import (
    IMITATION_FILE,
    SCORED_FILES,
    START_MODEL,
    steps_kept,
    train,
)

PROBE_DIR = "probes"
PROBE_FILE = "probe.json"


@dataclass(frozen=True)
class Probe:
    """One change to a grid's runs: the environment it trains on and the one it is scored on."""

    env_key: str
    train_id: str
    score_id: str
    question: str
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword options added to the grid's environment options, for training and scoring."""
    lstm_hidden_size: int = 0
    """Units of an LSTM put before the policy's MLP (0: none; PPO only, `RunConfig`)."""
    imitation: ImitationConfig | None = None
    """Teach the policy the difficulty filter's moves before training (`RunConfig`)."""


PROBES: dict[str, Probe] = {
    "exact_reward": Probe(
        "tutor_matching",
        EXACT_REWARD_ID,
        TUTOR_MATCHING_ID,
        "trained on each session's exact expected reward: is it the reward's noise?",
    ),
    "relative_reward": Probe(
        "tutor_matching",
        RELATIVE_REWARD_ID,
        TUTOR_MATCHING_ID,
        "trained on the exact reward minus its mean over the strategies in the same state: "
        "is it the comparison within a state?",
    ),
    "last_4_blocks": Probe(
        "difficulty_adaptation",
        WINDOW_ID,
        WINDOW_ID,
        "observing the last four blocks instead of the last one: is it memory?",
        {"window": 4},
    ),
    "recurrent": Probe(
        "difficulty_adaptation",
        DIFFICULTY_ID,
        DIFFICULTY_ID,
        "with an LSTM of 64 units before the policy's MLP: is it memory it learns to use?",
        lstm_hidden_size=64,
    ),
    "filter_start": Probe(
        "difficulty_adaptation",
        DIFFICULTY_ID,
        DIFFICULTY_ID,
        "starting from a clone of the model-based filter instead of at random: "
        "is it where training starts?",
        imitation=ImitationConfig(),
    ),
    "filter_start_4_blocks": Probe(
        "difficulty_adaptation",
        WINDOW_ID,
        WINDOW_ID,
        "observing the last four blocks and starting from a clone of the filter on them: "
        "does training keep a start that has the memory 0.90 needs?",
        {"window": 4},
        imitation=ImitationConfig(),
    ),
    "filter_start_4_blocks_critic": Probe(
        "difficulty_adaptation",
        WINDOW_ID,
        WINDOW_ID,
        "as filter_start_4_blocks, with the critic fitted to the start's own returns: "
        "does training keep the start when its first advantages are not noise?",
        {"window": 4},
        imitation=ImitationConfig(critic_episodes=2_000),
    ),
}


def probe_dir(cfg: ExperimentConfig, name: str, algo: str) -> Path:
    """Where probe `name` of `algo` lives: beside the grid, never inside its run folders."""
    return cfg.rl_dir / PROBE_DIR / name / algo


@dataclass(frozen=True)
class ProbedSeed:
    """One seed of a probe, trained and scored on the held-out episodes."""

    returns: list[float]
    recorded_seconds: float
    """The seed's training wall time as its ``train_info.json`` records it
    (`TrainResult.recorded_seconds`): a finished run reused keeps its own training's seconds,
    not this call's 0, as the grid's runs do in results.json."""
    checkpoint_means: list[tuple[int, float]]
    """(steps, mean return on the first ``curve_episodes`` held-out episodes) per checkpoint, from
    the start (step 0) for a probe with imitation, and the final policy last: the probe's
    learning curve."""
    start_returns: list[float] | None = None
    """The returns of the policy training started from, for a probe with imitation."""
    imitation: dict[str, Any] | None = None
    """What imitation did (``imitation.json``), for a probe with imitation."""


def probe_job(
    train_run: RunConfig,
    score_run: RunConfig,
    run_dir: str,
    scored_file: str,
    test_seed: int,
    n_test: int,
    n_curve: int,
    fresh: bool,
) -> ProbedSeed:
    """Train one seed of a probe (or reuse / resume it) and score it on the held-out episodes,
    with the policy it started from where it imitated the filter, and every checkpoint on the
    first ``n_curve`` of them."""
    init_worker()
    result = train(train_run, run_dir, resume=not fresh)
    folder = Path(run_dir)
    returns = evaluate_model_file(folder / scored_file, score_run, test_seed, n_test)
    curve = score_checkpoints(folder, score_run, result.num_timesteps, test_seed, n_curve)
    if train_run.imitation is None:
        return ProbedSeed(returns, result.recorded_seconds, curve)
    start = evaluate_model_file(folder / START_MODEL, score_run, test_seed, n_test)
    taught = json.loads((folder / IMITATION_FILE).read_text(encoding="utf-8"))
    curve.insert(0, (0, float(np.mean(start[:n_curve]))))
    return ProbedSeed(returns, result.recorded_seconds, curve, start, taught)


def checked_probe(cfg: ExperimentConfig, name: str, algo: str) -> Probe:
    """Probe ``name``, refused with the reason where the grid of ``cfg`` cannot run it with
    ``algo`` (an unknown probe or algorithm, an environment the grid does not train)."""
    if name not in PROBES:
        raise ConfigError(f"unknown probe {name!r}; expected one of {', '.join(PROBES)}")
    probe = PROBES[name]
    if algo not in cfg.algorithms:
        raise ConfigError(
            f"unknown algorithm {algo!r}; the grid trains {', '.join(cfg.algorithms)}"
        )
    if probe.lstm_hidden_size and algo != "ppo":
        raise ConfigError(
            f"probe {name!r} trains PPO with a recurrent policy (sb3-contrib's RecurrentPPO); "
            f"use --algo ppo, not {algo}"
        )
    if probe.imitation is not None and algo not in IMITATION_ALGORITHMS:
        raise ConfigError(
            f"probe {name!r} starts from the filter's moves taught to an actor; use --algo "
            f"{' or '.join(IMITATION_ALGORITHMS)}, not {algo}"
        )
    if probe.env_key not in cfg.env_keys:
        raise ConfigError(
            f"probe {name!r} changes {probe.env_key}, which this grid does not train "
            f"({', '.join(cfg.env_keys)})"
        )
    return probe


def probe_runs(run: RunConfig, probe: Probe) -> tuple[RunConfig, RunConfig]:
    """A run of the grid with the probe's change: (the run to train, the same run on the
    environment its policy is scored on)."""
    options = {**run.env.kwargs, **probe.options}
    trained = dataclasses.replace(
        run,
        env=EnvConfig(probe.env_key, probe.train_id, options),
        lstm_hidden_size=probe.lstm_hidden_size,
        imitation=probe.imitation,
    )
    scored = dataclasses.replace(trained, env=EnvConfig(probe.env_key, probe.score_id, options))
    return trained, scored


def probe_study(
    cfg: ExperimentConfig,
    name: str,
    algo: str = "ppo",
    *,
    n_workers: int | None = None,
    fresh: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Train every seed of the grid's (environment, ``algo``) with probe ``name``'s change, score
    it on the grid's held-out episodes and compare it with the grid's own runs; returns (and
    writes) the study. Finished seeds are reused and interrupted ones resumed unless ``fresh``;
    ``train_seconds`` (per seed, and summed) is each seed's training wall time as its run
    records it, so a study reused keeps its training's seconds instead of this call's 0.
    ``on_progress(steps, total)`` is told the steps trained as they are
    (`aura.rl.progress.StepProgress`).
    """
    probe = checked_probe(cfg, name, algo)
    grid = grid_results(cfg, probe.env_key, algo)
    runs = [probe_runs(cfg.run(probe.env_key, algo, k), probe) for k in range(cfg.n_seeds)]
    folder = probe_dir(cfg, name, algo)
    workers = cfg.n_workers if n_workers is None else n_workers
    done = _train_probe_seeds(cfg, runs, folder, workers, fresh, on_progress)
    train_env, score_env = runs[0][0].env, runs[0][1].env  # every seed's are the same
    study = {
        "probe": name,
        "question": probe.question,
        "env_key": probe.env_key,
        "algo": algo,
        "train_env": train_env.to_dict(),
        "score_env": score_env.to_dict(),
        "scored_model": cfg.scored_model[probe.env_key],
        "total_timesteps": cfg.training.total_timesteps,
        "n_test_episodes": cfg.n_test_episodes,
        "test_seed": cfg.test_seed,
        "train_seconds": sum(seed.recorded_seconds for seed in done),
        "train_seconds_per_seed": [seed.recorded_seconds for seed in done],
        **_probe_scores(cfg, probe, grid["references"], grid["algorithms"][algo], done),
    }
    write_json(folder / PROBE_FILE, study)
    return study


def _train_probe_seeds(
    cfg: ExperimentConfig,
    runs: list[tuple[RunConfig, RunConfig]],
    folder: Path,
    workers: int,
    fresh: bool,
    on_progress: Callable[[int, int], None] | None,
) -> list[ProbedSeed]:
    """Train and score every seed's (trained, scored) pair of ``runs`` into ``folder/seed_k``,
    on up to ``workers`` processes, with the steps kept from earlier counted as done."""
    from aura.rl.progress import StepProgress

    scored_file = SCORED_FILES[cfg.scored_model[runs[0][0].env.key]]
    jobs = [
        (
            run,
            score_run,
            str(folder / f"seed_{k}"),
            scored_file,
            cfg.test_seed,
            cfg.n_test_episodes,
            cfg.curve_episodes,
            fresh,
        )
        for k, (run, score_run) in enumerate(runs)
    ]
    workers = min(workers, len(jobs))
    total = sum(run.training.total_timesteps for run, _ in runs)
    kept = 0 if fresh else sum(steps_kept(job[0], Path(job[2])) for job in jobs)
    with StepProgress(total, kept, on_progress) as steps:
        if workers == 1:
            return [probe_job(*job) for job in jobs]
        with grid_pool(workers, steps.counter) as pool:
            return list(pool.map(probe_job, *zip(*jobs, strict=True)))


def _probe_scores(
    cfg: ExperimentConfig,
    probe: Probe,
    ref: dict[str, Any],
    grid_algo: dict[str, Any],
    done: list[ProbedSeed],
) -> dict[str, Any]:
    """The probe's seeds scored against the grid's references and paired with the grid's own
    seeds of the same algorithm (and, where it imitated the filter, with where it started)."""
    n_curve = cfg.curve_episodes
    lo, hi = ref["random"], ref["oracle"]
    scores = normalised_references(ref)
    resampled = episode_resampler(cfg, ref)
    probed = seed_scores([seed.returns for seed in done], lo, hi, resampled)
    trained = seed_scores([s["test_returns"] for s in grid_algo["seeds"]], lo, hi, resampled)
    _, curve_score = curve_yardstick(ref, n_curve)
    out = {
        "probe_normalised": probed.interval.to_dict(),
        "probe_per_seed": probed.per_seed,
        "grid_normalised": trained.interval.to_dict(),
        "grid_per_seed": trained.per_seed,
        "lead_over_grid": paired_lead(probed, trained.per_seed, trained.draws).to_dict(),
        "references": {
            "hand_rule_name": ref["hand_rule_name"],
            "hand_rule": scores["hand_rule"],
            "ceiling_name": ref["ceiling_name"],
            "ceiling": scores["ceiling"],
        },
        "curve_episodes": n_curve,
        "held_out_curve": curve_bands([seed.checkpoint_means for seed in done], curve_score),
        "final_steps": [seed.checkpoint_means[-1][0] for seed in done],
        "grid_held_out_curve": grid_algo.get("held_out_curve", []),
        "test_returns": [seed.returns for seed in done],
    }
    if probe.imitation is not None:
        start = seed_scores([seed.start_returns for seed in done], lo, hi, resampled)
        out["imitation"] = dataclasses.asdict(probe.imitation)
        out["start_normalised"] = start.interval.to_dict()
        out["start_per_seed"] = start.per_seed
        out["lead_over_start"] = paired_lead(probed, start.per_seed, start.draws).to_dict()
        out["start_agreement"] = [seed.imitation["agreement"] for seed in done]
    return out
