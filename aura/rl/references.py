"""The references every score of the grid is read against, on the same held-out episodes: random
(0 on the normalised scale), the oracle that reads the simulator's hidden state (1), the best
hand rule, the upper reference and, on tutor matching, the experience reference.

An environment is scored only where it has all of them: an entry in `BASELINES` and one in
`UPPER_REFERENCES` (docs/extending.md, recipe 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from aura.envs.evaluation import EvalResult, normalised_score
from aura.reports.tables import fixed
from aura.rl.config import SECTION, ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.intervals import episode_draws, resampled_scale
from aura.rl.scoring import evaluate

HAND_RULE_EXCLUDED = ("random", "oracle")
SCALE = ("random", "oracle")
"""The references that are 0 and 1 on the normalised scale."""


class NoScale(ConfigError):
    """The held-out episodes give no normalised scale: the oracle's mean return on them does not
    exceed random's, which a few episodes of tutor matching can do by chance. The grid stopped
    on a traceback from the scale's division once its references were scored."""


def scale_references(
    env_cfg: EnvConfig, seed: int, n_episodes: int, draw_seed: int | None
) -> dict[str, EvalResult]:
    """Random and the oracle (`SCALE`) on the ``n_episodes`` held-out episodes seeded from
    ``seed``, checked to give the normalised scale a width on them and on every resample of
    them the intervals will draw from ``draw_seed`` (`check_scale`; None where no interval is
    drawn): a few seconds, where the upper and experience references take as long as a
    training run."""
    baselines = aura_baselines(env_cfg.key, seed)
    scale = {name: evaluate(env_cfg, baselines[name], seed, n_episodes) for name in SCALE}
    check_scale(env_cfg.key, scale["random"].returns, scale["oracle"].returns, draw_seed)
    return scale


def check_scale(
    env_key: str, random: Sequence[float], oracle: Sequence[float], draw_seed: int | None
) -> None:
    """Refuse held-out episodes on which the oracle does not beat random, on their mean or on
    one of the resamples the intervals draw from ``draw_seed`` (`episode_draws`; None: no
    interval is drawn, the mean alone is checked), naming the params keys behind them (their
    number; the environment's options, which can leave every policy the same return): no score
    of the environment could be normalised on them."""
    r, o = np.asarray(random, dtype=float), np.asarray(oracle, dtype=float)
    hint = (
        f"raise {SECTION}.n_test_episodes ({len(r)}) where they are few, or change the options "
        f"of {SECTION}.envs.{env_key}, which may leave no choice to make"
    )
    if not o.mean() > r.mean():
        raise NoScale(
            f"{env_key}: on its {len(r)} held-out episodes the oracle's mean return "
            f"{o.mean():.4f} does not exceed random's {r.mean():.4f}, so no score can be "
            f"normalised: {hint}"
        )
    if draw_seed is None:
        return
    try:
        resampled_scale(r, o, episode_draws(len(r), draw_seed))
    except ValueError as exc:
        raise NoScale(f"{env_key}: {exc} (the held-out episodes' 95% intervals): {hint}") from exc


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
    that a fork adding an environment knows which of the two tables to extend. Each
    environment's baselines are built once, to refuse one keyed by another name
    (`aura_baselines`) before the runs rather than after them."""
    _check_tables(env_keys)
    for key in env_keys:
        aura_baselines(key, 0)


def _check_tables(env_keys: Sequence[str]) -> None:
    """`check_referenced`'s check of the two tables alone."""
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
            f"{', '.join(referenced)} ({lacks} in aura/rl/references.py: docs/extending.md, "
            "recipe 7). Tune it with aura tune, or train it with aura.rl.train.train"
        )


def aura_baselines(env_key: str, seed: int) -> dict[str, Any]:
    """The reference policies (random, fixed rules, oracle) of an AURA environment by its key.

    Each must be keyed by its own ``name``: the key is what the tables print and what
    ``hand_rule_name`` holds, so a rule filed under another key is reported under a name that
    is not its own (docs/extending.md, recipe 2)."""
    import aura.envs

    _check_tables([env_key])
    baselines = getattr(aura.envs, BASELINES[env_key])(seed)
    misfiled = [f"{key!r} holds {p.name!r}" for key, p in baselines.items() if p.name != key]
    if misfiled:
        raise ConfigError(
            f"aura.envs.{BASELINES[env_key]} keys a policy by another name ({'; '.join(misfiled)}):"
            " key each by its name (docs/extending.md, recipe 2)"
        )
    return baselines


def _evaluate_named(
    env_cfg: EnvConfig, name: str, policy: Any, seed: int, n_episodes: int
) -> EvalResult:
    """A reference policy on the held-out episodes; an action the environment refuses (a hand
    rule answering 3 on difficulty's three moves), or a read of the environment's state on the
    wrapper `gym.make` returns rather than on ``env.unwrapped``, is a ConfigError naming the
    policy and where it is made. Each stopped `aura train-rl` in a traceback that named neither
    (the second named Gymnasium's ``OrderEnforcing``)."""
    import gymnasium as gym

    try:
        return evaluate(env_cfg, policy, seed, n_episodes)
    except (ValueError, AttributeError) as exc:
        wrapped = isinstance(getattr(exc, "obj", None), gym.Wrapper)
        if isinstance(exc, AttributeError) and not wrapped:
            raise
        hint = "; read the environment's state through env.unwrapped" if wrapped else ""
        raise ConfigError(
            f"the reference policy {name!r} of {env_cfg.key} (aura.envs.{BASELINES[env_cfg.key]}"
            f" or aura/rl/references.py) stopped on its held-out episodes: {exc}{hint} "
            "(docs/extending.md, recipe 2)"
        ) from exc


def ceiling_policy(env_cfg: EnvConfig, fit_episodes: int, fit_seed: int) -> Any:
    """The upper reference of an AURA environment (`UPPER_REFERENCES`; see
    `aura.envs.ceilings`), which may learn from ``fit_episodes`` episodes seeded from
    ``fit_seed``."""
    _check_tables([env_cfg.key])
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
    scale: Mapping[str, EvalResult],
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
    ``scale`` is `scale_references`' on the same episodes, evaluated and checked before any
    run trains.
    """
    from aura.envs.evaluation import evaluation_table

    baselines = aura_baselines(env_cfg.key, seed)
    ceiling = ceiling_policy(env_cfg, ceiling_episodes, ceiling_seed)
    experience = experience_policy(env_cfg, experience_steps, experience_seed)
    learned = {ceiling.name: ceiling}
    if experience is not None:
        learned[experience.name] = experience
    clash = sorted(set(baselines) & set(learned))
    if clash:  # the reference would replace the rule in the table, without a word
        raise ConfigError(
            f"aura.envs.{BASELINES[env_cfg.key]} names a policy like a learned reference of "
            f"{env_cfg.key} ({', '.join(map(repr, clash))}): rename the rule (docs/extending.md, "
            "recipe 2)"
        )
    policies = {**baselines, **learned}
    evaluated = {
        name: scale[name] if name in scale else _evaluate_named(env_cfg, name, p, seed, n_episodes)
        for name, p in policies.items()
    }
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
    oracle = np.asarray(evaluate(env_cfg, baselines["oracle"], seed, n_episodes).returns)
    hand = np.asarray(evaluate(env_cfg, baselines[hand_rule], seed, n_episodes).returns)
    lead = oracle - hand
    sd = float(lead.std(ddof=1) / np.sqrt(n_eval_episodes))
    return {"oracle_lead": float(lead.mean()), "sd_of_evaluation": sd, "z": float(lead.mean() / sd)}


RESOLUTION_REPORT_COLUMNS = [
    "environment",
    "oracle's lead per episode",
    "sd of an evaluation's mean",
    "lead in sds",
    "scored model",
]
"""The headers of `resolution_report_table`, in order (notebook 03's prose names them)."""


def resolution_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Notebook 03's table of `evaluation_resolution`, one row per environment (its index) with
    the saved policy scored there (``scored model``), as a report shows it: headers in words
    for ``oracle_lead``, ``sd_of_evaluation`` and ``z``, the lead and its standard deviation to
    ``digits`` decimals, and the ratio to one, which is what the choice of the scored model
    reads from it (one or two standard deviations, or many)."""
    rows = [
        [
            str(env).replace("_", " "),
            fixed(r["oracle_lead"], digits),
            fixed(r["sd_of_evaluation"], digits),
            fixed(r["z"], 1),
            r["scored model"],
        ]
        for env, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=RESOLUTION_REPORT_COLUMNS)
