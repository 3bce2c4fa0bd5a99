"""Score trained policies against their references, over seeds, on held-out episodes.

Every policy is reported as a normalised score, (R - R_random) / (R_oracle - R_random): 0 is
the random policy, 1 the oracle that reads the simulator's hidden state. All policies and all
references of an environment are scored on the same seeded held-out episodes, so differences
between them are not differences of luck in the episodes drawn.

A result's 95% interval covers both things that could have come out otherwise: the training seeds
(a Student-t interval over them; three seeds are few, and the t interval is honest about it) and
the held-out episodes themselves (a bootstrap over episodes, resampled together for the policy,
random and the oracle). The two sources are independent, so their half-widths add in quadrature.
A fixed set of 200 episodes moves a tutor-matching score by a few hundredths from one set to the
next, more than the seeds do; an interval over the seeds alone would hide that. "Beats the hand
rule" is judged on the policy's lead over the rule on the same episodes, with the same two sources
in its interval.

With one seed the seeds' spread cannot be measured, and the t interval over them is infinitely
wide. The held-out episodes still say how far another draw of them could move that one policy's
score, so a one-seed result's interval is the episodes' alone (`EPISODES_ONLY`, written as
``covers`` beside it): it leaves out the seed-to-seed variation, which a second seed would show.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aura.envs.evaluation import EvalResult, normalised_score
from aura.files import read_json, strict_json, write_text_atomically
from aura.rl.config import (
    EVAL_SEED_OFFSET,
    SECTION,
    ConfigError,
    EnvConfig,
    ExperimentConfig,
    RunConfig,
    load_run_config,
)
from aura.rl.train import (
    CONFIG_FILE,
    FINAL_MODEL,
    SCORED_FILES,
    checkpoints,
    evaluation_returns,
    is_finished,
    make_vec_env,
    require_whole_model,
    run_class,
)
from aura.sim.vocab import DIFFICULTY_MOVES, STRATEGIES

if TYPE_CHECKING:
    from aura.rl.experiment import RunOutcome

RESULTS_FILE = "results.json"
SELECTED_FILE = "selected.json"
SELECTED_ALGO = "ppo"
"""The algorithm whose policies are exported for serving (the spec's choice for both tasks)."""


SEEDS_AND_EPISODES = "seeds and episodes"
"""What a learned policy's 95% interval covers with two seeds or more (`with_episode_error`)."""
EPISODES_ONLY = "episodes only (one seed)"
"""What it covers with one seed: the draw of held-out episodes, not seed-to-seed variation."""
EPISODES = "episodes"
"""What a reference's interval covers: a reference has no seeds to vary."""


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    covers: str | None = None
    """`EPISODES_ONLY` where one seed left the interval the episodes' alone; None where it covers
    what its name says (a score's: seeds and episodes; a t interval's: seeds)."""

    def to_dict(self) -> dict[str, float | int | str]:
        """The interval as results files hold it; ``covers`` only where it is set, so a grid of
        several seeds writes the same file as before one-seed intervals were finite."""
        out: dict[str, float | int | str] = {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "n": self.n,
        }
        if self.covers is not None:
            out["covers"] = self.covers
        return out


def interval_covers(interval: Interval | Mapping[str, Any]) -> str:
    """What a learned policy's interval covers, as an `Interval` or as results files hold it
    (`Interval.to_dict`), in words for a table or a line of output: `EPISODES_ONLY` or
    `SEEDS_AND_EPISODES`."""
    covers = interval.covers if isinstance(interval, Interval) else interval.get("covers")
    return covers or SEEDS_AND_EPISODES


ONE_SEED_NOTE = (
    "one seed: each 95% interval of a learned policy covers the draw of held-out episodes only, "
    "not seed-to-seed variation, which one seed cannot measure (train two seeds or more for it)"
)
"""Said wherever one-seed intervals are shown, beside them."""


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval; a single value gets an infinitely wide one."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, -math.inf, math.inf, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size))


EPISODE_DRAWS = 2000
"""Bootstrap resamples of the held-out episodes behind every episode-sampling interval."""
Z95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal (the bootstrap half-width is Z95 x its SE)."""


def with_episode_error(seeds: Interval, episode_se: float) -> Interval:
    """The seeds' t interval widened by the episodes' sampling error: half-widths in quadrature.

    One seed has no spread to measure (its t interval is infinitely wide), yet the episodes'
    error of that one policy is known: its interval is that alone, marked `EPISODES_ONLY`, rather
    than an infinite one that says nothing of the episodes either."""
    if seeds.n == 1:
        half = Z95 * episode_se
        return Interval(seeds.mean, seeds.mean - half, seeds.mean + half, 1, EPISODES_ONLY)
    half = math.hypot(seeds.mean - seeds.low, Z95 * episode_se)
    return Interval(seeds.mean, seeds.mean - half, seeds.mean + half, seeds.n)


def episode_draws(n_episodes: int, seed: int, n_draws: int = EPISODE_DRAWS) -> np.ndarray:
    """(n_draws, n_episodes) episode indices drawn with replacement, seeded: one draw is used for
    every policy of an environment, so their resampled scores stay paired."""
    return np.random.default_rng(seed).integers(n_episodes, size=(n_draws, n_episodes))


def resampled_scores(
    returns: Sequence[float], random: Sequence[float], oracle: Sequence[float], draws: np.ndarray
) -> np.ndarray:
    """The normalised score of per-episode ``returns`` on every resample of the episodes."""
    x, r, o = (np.asarray(v, dtype=float) for v in (returns, random, oracle))
    if not x.shape == r.shape == o.shape == (draws.shape[1],):
        raise ValueError(
            f"per-episode returns must all have {draws.shape[1]} episodes, "
            f"got {x.shape}, {r.shape} and {o.shape}"
        )
    lo = r[draws].mean(axis=1)
    return (x[draws].mean(axis=1) - lo) / (o[draws].mean(axis=1) - lo)


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


def episode_resampler(
    cfg: ExperimentConfig, references: Mapping[str, Any]
) -> Callable[[Sequence[float]], np.ndarray]:
    """Per-episode returns -> their normalised score on every resample of an environment's
    held-out episodes, by the random and oracle returns of ``references`` (``references()``).
    The draws are seeded from the grid's seed alone, so every policy scored on the same episodes,
    in the grid or in a later study, is resampled alike and their differences stay paired."""
    episodes = references["episode_returns"]
    return resampler(episodes["random"], episodes["oracle"], cfg.base_seed)


def resampler(
    random: Sequence[float], oracle: Sequence[float], base_seed: int
) -> Callable[[Sequence[float]], np.ndarray]:
    """Per-episode returns -> their normalised score on every resample of the episodes, by the
    random and oracle returns on the same episodes, with the draws seeded from ``base_seed``
    (`episode_resampler` for a grid's own references)."""
    return partial(
        resampled_scores,
        random=random,
        oracle=oracle,
        draws=episode_draws(len(random), base_seed),
    )


@dataclass(frozen=True)
class SeedScores:
    """One policy's seeds scored on the held-out episodes."""

    per_seed: list[float]
    """Normalised score of each seed."""
    seeds: Interval
    """Student-t interval over the seeds alone."""
    episode_se: float
    """Bootstrap standard error of the seeds' mean from the draw of episodes."""
    interval: Interval
    """The interval over seeds and episodes (half-widths in quadrature); with one seed, over the
    episodes alone (`with_episode_error`)."""
    draws: np.ndarray = field(repr=False)
    """The seeds' mean normalised score on every resample of the episodes."""


def seed_scores(
    test_returns: Sequence[Sequence[float]],
    random: float,
    oracle: float,
    resampled: Callable[[np.ndarray], np.ndarray],
) -> SeedScores:
    """Score per-seed held-out returns: ``resampled`` maps per-episode returns to their
    normalised score on every resample of the episodes (``resampled_scores`` with the
    environment's random and oracle returns and draws bound)."""
    scores = [float(normalised_score(np.mean(r), random, oracle)) for r in test_returns]
    seeds = t_interval(scores)
    draws = resampled(np.mean(test_returns, axis=0))
    episode_se = float(draws.std(ddof=1))
    return SeedScores(scores, seeds, episode_se, with_episode_error(seeds, episode_se), draws)


def paired_lead(
    scored: SeedScores, other_per_seed: Sequence[float], other_draws: np.ndarray
) -> Interval:
    """A policy's lead over another on the same episodes: the t interval of the per-seed
    differences (seed k against seed k, or against a reference repeated) widened by the
    episodes' error of the difference of the means (with one seed, that error alone)."""
    diffs = [a - b for a, b in zip(scored.per_seed, other_per_seed, strict=True)]
    return with_episode_error(t_interval(diffs), float((scored.draws - other_draws).std(ddof=1)))


def _evaluate(env_cfg: EnvConfig, policy: Any, seed: int, n_episodes: int) -> EvalResult:
    """Seeded held-out episodes through ``aura.envs.evaluate_policy``; environments defined in the
    params by any Gymnasium id go through the same function."""
    from aura.envs import evaluate_policy

    return evaluate_policy(env_cfg.id, policy, n_episodes, seed, env_kwargs=env_cfg.kwargs)


def evaluate_policy_mean(env_cfg: EnvConfig, policy: Any, seed: int, n_episodes: int) -> float:
    """Mean held-out return of a policy object (a reference or a baseline)."""
    return float(_evaluate(env_cfg, policy, seed, n_episodes).mean_return)


class GreedyBatch:
    """A Stable-Baselines3 model's greedy actions for a batch of observations.

    AURA's policies are MLPs, memoryless, so ``aura.envs.evaluate_policy`` may step their
    episodes in lockstep and ask for every running episode's action in one forward pass. On
    1,000 held-out episodes that takes 1.4-1.5 s per policy on tutor matching and 0.8-1.2 s on
    difficulty adaptation, against 5.5-6.0 s and 8.3-10.2 s one call at a time (medians of two
    runs of ``benchmarks/bench_rl_training.py``). A batched forward pass adds in a different
    order than a batch of one, so an action whose two best values tie to the last bits may come
    out differently; the scores are as deterministic either way.
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        actions, _ = self.model.predict(observations, deterministic=True)
        return np.asarray(actions)


class GreedyRecurrent:
    """A recurrent model's greedy actions, one episode at a time: the LSTM's state is carried
    from step to step and cleared where an episode starts (``act``/``reset``, as the baselines).
    Stepped in lockstep it would need a state per running episode; a probe scores three such
    policies, so the simpler path is kept."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.reset()

    def reset(self) -> None:
        self.state: Any = None
        self.episode_start = np.ones(1, dtype=bool)

    def act(self, obs: np.ndarray, env: Any) -> int:
        action, self.state = self.model.predict(
            obs[None], state=self.state, episode_start=self.episode_start, deterministic=True
        )
        self.episode_start = np.zeros(1, dtype=bool)
        return int(action[0])


def evaluate_model(path: Path, run: RunConfig, seed: int, n_episodes: int) -> EvalResult:
    """Held-out episodes of a saved model of ``run`` (greedy actions; episodes in lockstep, or
    one at a time for a recurrent policy), summarised as `aura.envs.evaluate_policy` does."""
    import torch

    torch.set_num_threads(1)
    model = run_class(run).load(require_whole_model(path), device="cpu")
    policy = GreedyRecurrent(model) if run.lstm_hidden_size else GreedyBatch(model)
    return _evaluate(run.env, policy, seed, n_episodes)


def scored_models(
    entry: Mapping[str, Any], models_dir: Path, scored_model: str
) -> list[tuple[Path, RunConfig]]:
    """The scored policy's file (``scored_model``: best or final) and the run config of each seed
    of an algorithm's entry in ``results.json``, whose run folders are under ``models_dir``."""
    runs = [models_dir / run_seed["run_dir"] for run_seed in entry["seeds"]]
    return [
        (run_dir / SCORED_FILES[scored_model], load_run_config(run_dir / CONFIG_FILE))
        for run_dir in runs
    ]


def evaluate_model_file(path: Path, run: RunConfig, seed: int, n_episodes: int) -> list[float]:
    """Held-out returns of a saved model of ``run`` (`evaluate_model`)."""
    return list(evaluate_model(path, run, seed, n_episodes).returns)


def score_checkpoints(
    run_dir: Path, run: RunConfig, final_steps: int, seed: int, n_episodes: int
) -> list[tuple[int, float]]:
    """(steps, mean held-out return) of every checkpoint of a run and of its final policy
    (counted at ``final_steps``), oldest first: a learning curve on held-out episodes."""
    scored = dict(checkpoints(run_dir))
    scored[final_steps] = run_dir / FINAL_MODEL  # the same policy as a last checkpoint
    return [
        (steps, float(np.mean(evaluate_model_file(path, run, seed, n_episodes))))
        for steps, path in sorted(scored.items())
    ]


HAND_RULE_EXCLUDED = ("random", "oracle")


BASELINES = {
    "tutor_matching": "tutor_matching_baselines",
    "difficulty_adaptation": "difficulty_baselines",
}
"""Each environment key with references, and the `aura.envs` function that makes its baselines
(random, fixed rules, oracle)."""


def _observation_ceiling(env_cfg: EnvConfig, fit_episodes: int, fit_seed: int) -> Any:
    """Tutor matching's upper reference: the observation ceiling, learned from the states of
    ``fit_episodes`` episodes seeded from ``fit_seed``."""
    from aura.envs.ceilings import ObservationCeiling

    return ObservationCeiling.fit(fit_episodes, fit_seed, **env_cfg.kwargs)


def _difficulty_filter(env_cfg: EnvConfig, fit_episodes: int, fit_seed: int) -> Any:
    """Difficulty adaptation's upper reference: the model-based filter, which learns nothing
    and reads what it needs from the environment it acts in."""
    from aura.envs.ceilings import DifficultyFilter

    return DifficultyFilter()


UPPER_REFERENCES: dict[str, Callable[[EnvConfig, int, int], Any]] = {
    "tutor_matching": _observation_ceiling,
    "difficulty_adaptation": _difficulty_filter,
}
"""Each environment key with references, and the maker of its upper reference from the
environment, the episodes it may learn from (``ceiling_episodes``) and their seed. Named per key,
so that an environment with baselines but no upper reference is refused by name: every
environment but tutor matching used to get the difficulty filter, and a third one stopped its
grid in the filter's TypeError once the runs were training."""


def check_referenced(env_keys: Sequence[str]) -> None:
    """Refuse a grid over an environment without references, before anything trains: every
    score of the grid is normalised by them. A key defined with an id of its own passed the
    params check and stopped the grid in a traceback. The message names what is missing, so
    that a fork adding an environment knows which of the two tables to extend."""
    referenced = [key for key in BASELINES if key in UPPER_REFERENCES]
    missing = [key for key in env_keys if key not in referenced]
    if missing:
        tables = {"BASELINES": BASELINES, "UPPER_REFERENCES": UPPER_REFERENCES}
        lacks = "; ".join(
            f"{key!r} is not in {' or '.join(n for n, t in tables.items() if key not in t)}"
            for key in missing
        )
        raise ConfigError(
            f"{SECTION}.env_keys: {', '.join(map(repr, missing))} has no references (random, "
            f"fixed rules, oracle, upper reference) to be scored against; they exist for "
            f"{', '.join(referenced)} ({lacks} in aura/rl/results.py: docs/extending.md, "
            "recipe 7). Tune it with aura tune, or train it with aura.rl.train.train"
        )


def aura_baselines(env_key: str, seed: int) -> dict[str, Any]:
    """The reference policies (random, fixed rules, oracle) of an AURA environment by its key."""
    import aura.envs

    check_referenced([env_key])
    return getattr(aura.envs, BASELINES[env_key])(seed)


def ceiling_policy(env_cfg: EnvConfig, fit_episodes: int, fit_seed: int) -> Any:
    """The upper reference of an AURA environment (`UPPER_REFERENCES`; see
    `aura.envs.ceilings`), which may learn from ``fit_episodes`` episodes seeded from
    ``fit_seed``."""
    check_referenced([env_cfg.key])
    return UPPER_REFERENCES[env_cfg.key](env_cfg, fit_episodes, fit_seed)


def experience_policy(env_cfg: EnvConfig, n_steps: int, seed: int) -> Any | None:
    """The experience reference of tutor matching (see `aura.envs.ceilings`), learned from the
    noisy rewards of ``n_steps`` random sessions seeded from ``seed``; None for an environment
    that has none."""
    from aura.envs.ceilings import ExperienceReference

    if env_cfg.key != "tutor_matching":
        return None
    return ExperienceReference.fit(n_steps, seed, **env_cfg.kwargs)


def experience_policies(
    env_cfg: EnvConfig, budgets: Sequence[int], seed: int
) -> Iterator[tuple[int, Any]]:
    """(budget, `experience_policy` with that budget) for each budget, smallest first, from one
    run of the largest budget's sessions (`ExperienceReference.fit_prefixes`); nothing for an
    environment without an experience reference."""
    from aura.envs.ceilings import ExperienceReference

    if env_cfg.key != "tutor_matching":
        return iter(())
    return ExperienceReference.fit_prefixes(budgets, seed, **env_cfg.kwargs)


def best_hand_rule(mean_returns: Mapping[str, float]) -> str:
    """The name of the best rule among reference policies' mean returns: every policy but
    random and the oracle, which are the scale's ends, not rules."""
    rules = {k: v for k, v in mean_returns.items() if k not in HAND_RULE_EXCLUDED}
    return max(rules, key=lambda k: rules[k])


def references(
    env_cfg: EnvConfig,
    seed: int,
    n_episodes: int,
    *,
    ceiling_episodes: int,
    ceiling_seed: int,
    experience_steps: int,
    experience_seed: int,
) -> dict[str, Any]:
    """Random, oracle, the best hand rule, the upper reference and (tutor matching) the
    experience reference of an AURA environment on the held-out episodes.

    The best hand rule is the best, on these very episodes, of the environment's rules that use
    only observed data (every fixed action, and the staircase for difficulty): choosing it after
    the fact flatters the rule, which makes "RL beats the hand rule" a conservative claim. The
    upper reference (``ceiling``) knows more than an agent can learn from the observation and
    the reward, so it says how far up the scale a trained policy could reasonably go. The
    experience reference (``experience``, None where the environment has none) learned from
    ``experience_steps`` noisy rewards, the agent's own budget: how far that budget goes.
    """
    from aura.envs.evaluation import evaluation_table

    baselines = aura_baselines(env_cfg.key, seed)
    ceiling = ceiling_policy(env_cfg, ceiling_episodes, ceiling_seed)
    experience = experience_policy(env_cfg, experience_steps, experience_seed)
    learned = {ceiling.name: ceiling}
    if experience is not None:
        learned[experience.name] = experience
    policies = {**baselines, **learned}
    evaluated = {name: _evaluate(env_cfg, p, seed, n_episodes) for name, p in policies.items()}
    table = evaluation_table(evaluated)
    best = best_hand_rule(table.drop(index=list(learned))["mean_return"].to_dict())
    return {
        "random": float(table.loc["random", "mean_return"]),
        "oracle": float(table.loc["oracle", "mean_return"]),
        "hand_rule": float(table.loc[best, "mean_return"]),
        "hand_rule_name": best,
        "ceiling": float(table.loc[ceiling.name, "mean_return"]),
        "ceiling_name": ceiling.name,
        "experience": (
            None if experience is None else float(table.loc[experience.name, "mean_return"])
        ),
        "experience_name": None if experience is None else experience.name,
        "experience_steps": None if experience is None else experience_steps,
        "baselines": {
            name: {
                "mean_return": float(row["mean_return"]),
                "normalised": float(row["normalised_score"]),
            }
            for name, row in table.iterrows()
        },
        "episode_returns": {name: list(r.returns) for name, r in evaluated.items()},
    }


def normalised_references(ref: Mapping[str, Any]) -> dict[str, float | None]:
    """The hand rule's, the upper reference's and the experience reference's normalised scores
    from ``references``' returns (experience None where the environment has none)."""
    lo, hi = ref["random"], ref["oracle"]
    return {
        key: None if ref[key] is None else float(normalised_score(ref[key], lo, hi))
        for key in ("hand_rule", "ceiling", "experience")
    }


def evaluation_resolution(
    env_cfg: EnvConfig, hand_rule: str, n_eval_episodes: int, seed: int, n_episodes: int
) -> dict[str, float]:
    """Can an evaluation of ``n_eval_episodes`` common episodes rank two policies?

    Measured on the widest difference a trained policy could show, the oracle's lead over the
    best hand rule: its mean per episode, and the standard deviation of its mean over
    ``n_eval_episodes`` common episodes (from ``n_episodes`` seeded episodes). Where that lead
    is not several standard deviations wide, the smaller differences between checkpoints are
    not either, and picking the best checkpoint picks the luckiest.
    """
    baselines = aura_baselines(env_cfg.key, seed)
    oracle = np.asarray(_evaluate(env_cfg, baselines["oracle"], seed, n_episodes).returns)
    hand = np.asarray(_evaluate(env_cfg, baselines[hand_rule], seed, n_episodes).returns)
    lead = oracle - hand
    sd = float(lead.std(ddof=1) / np.sqrt(n_eval_episodes))
    return {"oracle_lead": float(lead.mean()), "sd_of_evaluation": sd, "z": float(lead.mean() / sd)}


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


def summarise(
    cfg: ExperimentConfig, outcomes: Sequence[RunOutcome], references: Mapping[str, Mapping]
) -> dict[str, Any]:
    """Per environment: the references, and per algorithm the per-seed and mean normalised
    scores with their 95% interval over seeds and episodes (see the module docstring), raw
    held-out returns, the paired difference from the hand rule, and training wall time.

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
        "train_seconds": sum(o.train_seconds for o in runs),
        "seeds": [
            {
                "seed_index": o.seed_index,
                "seed": cfg.base_seed + o.seed_index,
                "run_dir": str(Path(o.run_dir).relative_to(cfg.models_dir)),
                "num_timesteps": o.num_timesteps,
                "train_seconds": o.train_seconds,
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


def results_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per environment and policy: normalised score (mean, 95% CI), mean return.

    The references are rows too (random 0, oracle 1, the hand rule, the upper reference and,
    where the environment has one, the experience reference, where they fall), so every number
    in the table stands beside them. A learned policy's row also gives its lead over the hand
    rule, paired on the same episodes, with that lead's 95% interval (``lead_over_hand_rule``):
    it beats the rule where the whole interval lies above zero, which its score's interval beside
    the rule's cannot tell. ``ci_covers`` says what a row's intervals cover: the seeds and the
    episodes, the episodes only for a one-seed policy (`EPISODES_ONLY`), or the episodes for a
    reference, which has no seeds; random and the oracle have no interval.
    """
    rows = []
    for env_key, res in results.items():
        ref = res["references"]
        lo, hi = ref["random"], ref["oracle"]
        names = {"random": "random", "hand_rule": f"hand rule ({ref['hand_rule_name']})"}
        if ref["experience"] is not None:
            names["experience"] = f"{ref['experience_name']} ({ref['experience_steps']:,} steps)"
        names["ceiling"] = f"upper reference ({ref['ceiling_name']})"
        names["oracle"] = "oracle"
        for key, name in names.items():
            value = float(ref[key])
            score = float(normalised_score(value, lo, hi))
            half = Z95 * ref.get("episode_se", {}).get(key, np.nan)
            rows.append(
                {
                    "env": env_key,
                    "policy": name,
                    "normalised": score,
                    "ci_low": score - half,
                    "ci_high": score + half,
                    "mean_return": value,
                    "n_seeds": np.nan,
                    "lead_over_rule": np.nan,
                    "lead_low": np.nan,
                    "lead_high": np.nan,
                    "ci_covers": None if np.isnan(half) else EPISODES,
                }
            )
        for algo, r in res["algorithms"].items():
            rows.append(
                {
                    "env": env_key,
                    "policy": algo.upper(),
                    "normalised": r["normalised"]["mean"],
                    "ci_low": r["normalised"]["low"],
                    "ci_high": r["normalised"]["high"],
                    "mean_return": r["mean_return"]["mean"],
                    "n_seeds": r["normalised"]["n"],
                    "lead_over_rule": r["lead_over_hand_rule"]["mean"],
                    "lead_low": r["lead_over_hand_rule"]["low"],
                    "lead_high": r["lead_over_hand_rule"]["high"],
                    "ci_covers": interval_covers(r["normalised"]),
                }
            )
    return pd.DataFrame(rows)


def saved_policies_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """Both saved policies of every (environment, algorithm) on the same held-out episodes: the
    scored one and the other (``other_model`` of ``results.json``), their normalised scores with
    95% intervals, and the scored one's paired lead over the other, with what those intervals
    cover (``ci_covers``, as in `results_table`). Empty for results written before the other
    policy was scored."""
    rows = [
        {
            "env": env_key,
            "algo": algo.upper(),
            "scored": res["scored_model"],
            "scored_normalised": r["normalised"]["mean"],
            "other": r["other_model"]["model"],
            "other_normalised": r["other_model"]["normalised"]["mean"],
            "other_ci_low": r["other_model"]["normalised"]["low"],
            "other_ci_high": r["other_model"]["normalised"]["high"],
            "lead": r["other_model"]["scored_lead"]["mean"],
            "lead_low": r["other_model"]["scored_lead"]["low"],
            "lead_high": r["other_model"]["scored_lead"]["high"],
            "ci_covers": interval_covers(r["other_model"]["normalised"]),
        }
        for env_key, res in results.items()
        for algo, r in res["algorithms"].items()
        if "other_model" in r
    ]
    columns = [
        "env",
        "algo",
        "scored",
        "scored_normalised",
        "other",
        "other_normalised",
        "other_ci_low",
        "other_ci_high",
        "lead",
        "lead_low",
        "lead_high",
        "ci_covers",
    ]
    return pd.DataFrame(rows, columns=columns)


def held_out_curves(results: Mapping[str, Any]) -> pd.DataFrame:
    """The held-out learning curves of ``results.json`` as rows (env, algo, timesteps,
    normalised, low, high, n_seeds): every checkpoint scored on the first ``curve_episodes``
    held-out episodes, normalised by random and the oracle on the same episodes. Empty for
    results written before the curves were."""
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
    return pd.DataFrame(rows, columns=columns)


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


def fingerprint(results: Mapping[str, Any]) -> str:
    """A digest of every held-out return of the grid: each run's, and each reference's.

    Two grids with the same fingerprint gave every held-out return of every run and reference to
    the last bit, so a reproduction (another host, another day, a refactor) is checked by
    comparing one string instead of tens of thousands of numbers; one differing bit anywhere
    changes it. Computed from ``results`` as ``summarise`` builds it or as results.json holds it
    (JSON keeps every float exactly)."""
    digest = hashlib.sha256()
    for env_key in sorted(results):
        entry = results[env_key]
        returns = entry["references"]["episode_returns"]
        labelled = [(f"{env_key}/reference/{name}", returns[name]) for name in sorted(returns)]
        for algo in sorted(entry["algorithms"]):
            for seed in entry["algorithms"][algo]["seeds"]:
                labelled.append((f"{env_key}/{algo}/{seed['seed_index']}", seed["test_returns"]))
        for label, values in labelled:
            digest.update(label.encode())
            digest.update(np.asarray(values, dtype="<f8").tobytes())
    return digest.hexdigest()[:16]


def write_json(path: Path, data: Any) -> Path:
    """Write strict JSON (`aura.files.strict_json`, numpy numbers as floats) atomically, aside
    and then renamed, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, strict_json(data, default=float))


ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "tutor_matching": STRATEGIES,
    "difficulty_adaptation": DIFFICULTY_MOVES,
}
"""The name of each action of an environment, by its key, in action order (`action_profile`)."""


class ActionRecorder:
    """Wraps a policy for ``aura.envs.evaluate_policy``: records each action it takes and the
    action the oracle would have taken in the same state."""

    def __init__(self, policy: Any, oracle: Any) -> None:
        from aura.envs.evaluation import as_action_fn

        self._act, self._reset = as_action_fn(policy)
        self.oracle = oracle
        self.actions: list[int] = []
        self.oracle_actions: list[int] = []

    def reset(self) -> None:
        self._reset()

    def act(self, obs: np.ndarray, env: Any) -> int:
        self.oracle_actions.append(int(self.oracle.act(obs, env)))
        action = int(self._act(obs, env))
        self.actions.append(action)
        return action


def action_profile(
    env_cfg: EnvConfig, policies: Mapping[str, Any], seed: int, n_episodes: int
) -> pd.DataFrame:
    """What each policy does on held-out episodes: the share of steps it takes each action, and
    how often its action is the oracle's in the same state. The oracle is the environment's
    own (`aura_baselines`): every environment but tutor matching used to get difficulty's."""
    oracle = aura_baselines(env_cfg.key, seed)["oracle"]
    names = ACTION_NAMES.get(env_cfg.key)
    if names is None:
        raise ConfigError(
            f"environment {env_cfg.key!r} has no action names to profile its policies by; "
            "add them to ACTION_NAMES in aura/rl/results.py"
        )
    rows = {}
    for name, policy in policies.items():
        recorder = ActionRecorder(policy, oracle)
        _evaluate(env_cfg, recorder, seed, n_episodes)
        actions = np.asarray(recorder.actions)
        shares = np.bincount(actions, minlength=len(names)) / actions.size
        agree = float(np.mean(actions == np.asarray(recorder.oracle_actions)))
        rows[name] = {**dict(zip(names, shares, strict=True)), "agrees_with_oracle": agree}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "policy"
    return table
