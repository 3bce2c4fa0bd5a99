"""The closing paragraphs of notebooks 04 and 05, written from the numbers the notebook computed.

A notebook's prose quotes the numbers of the default params on one processor and goes stale when
a run has others (another scale, another processor, a later commit). Its conclusion, what the
run found, beside which references, and what that means for the product, is the part a
stakeholder reads first, so it is written here from the run's own results: each number comes
with its reference, and each verdict (met or missed, ahead, level or behind) follows from the
intervals, never from a sentence written for another run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aura.evaluation.headline import NEW_DRAW, NEW_DRAW_WORDS, PPO_TARGET, SUPERVISED_PRIMARY, side
from aura.rl.pools import SERVED_POOL, TRAINING_POOL
from aura.supervised.report import bound_text, checks_table


def _ci(mean: float, low: float, high: float) -> str:
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def relation(where: str, other: str = "it") -> str:
    """`side`'s verdict in words, against ``other``."""
    return {
        "ahead": f"ahead of {other} by its whole interval",
        "behind": f"behind {other} by its whole interval",
        "level": f"level with {other} (the interval holds no lead either way)",
    }[where]


def rule_name(name: str) -> str:
    """A hand rule as the prose names it: ``fixed:balanced`` is always "balanced", ``staircase``
    the staircase."""
    return f'always "{name.removeprefix("fixed:")}"' if name.startswith("fixed:") else f"the {name}"


def _targets_sentence(metrics: Mapping[str, Any]) -> str:
    """How many of the recorded targets were met, and which were missed, with their numbers."""
    checks = checks_table(metrics)
    if checks.empty:
        return "No target was checked: these tables have no Bayes reference to check them against."
    missed = checks[~checks["met"]]
    text = f"{int(checks['met'].sum())} of the {len(checks)} targets are met"
    if missed.empty:
        return text + "."
    named = "; ".join(
        f"{model}: {target} ({row['forest']:.4f} against "
        f"{bound_text(row['bound stated'], row['bound'])})"
        for (model, target), row in missed.iterrows()
    )
    return f"{text}; missed: {named}."


def _model_sentence(name: str, m: Mapping[str, Any]) -> str:
    """One model's primary test metric beside its baselines and the Bayes reference."""
    key = SUPERVISED_PRIMARY[name]
    metric = "MSE" if key == "mse" else key
    baselines = ", ".join(f"{b} {v[key]:.4f}" for b, v in m["baselines"].items())
    truth = m.get("against_truth")
    if not truth:
        return (
            f"**{name}**: test {metric} {m['test'][key]:.4f} against the baselines' {baselines} "
            "(no Bayes reference for these tables or inputs)."
        )
    ratio = _ci(truth["ratio"], truth["ratio_low"], truth["ratio_high"])
    what = (
        "share of the Bayes accuracy (1: the best any model can do)"
        if key == "accuracy"
        else "ratio to the Bayes MSE (1: the best any model can do)"
    )
    return (
        f"**{name}**: test {metric} {m['test'][key]:.4f} against the baselines' {baselines}; in "
        f"expectation over the noise its {what} is {ratio}."
    )


def _new_draw(name: str, metrics: Mapping[str, Any]) -> tuple[str, str] | None:
    """The model's ratio to Bayes on new learners and a new tutor pool, and where that puts it
    against its best baseline on the same draw (``ahead``, ``level``, ``behind``), or None where
    it was not measured."""
    m = metrics.get("out_of_sample", {}).get(NEW_DRAW, {}).get(name, {})
    truth = m.get("against_truth")
    if not truth:
        return None
    higher_better = SUPERVISED_PRIMARY[name] == "accuracy"
    ratios = {b: v["ratio"] for b, v in m["baselines"].items()}
    best = (max if higher_better else min)(ratios, key=ratios.__getitem__)
    low, high = truth["ratio_low"] - ratios[best], truth["ratio_high"] - ratios[best]
    where = side(low, high) if higher_better else side(-high, -low)
    text = (
        f"{_ci(truth['ratio'], truth['ratio_low'], truth['ratio_high'])} against the {best} "
        f"baseline's {ratios[best]:.3f}"
    )
    return text, where


def supervised_conclusion(metrics: Mapping[str, Any]) -> str:
    """Notebook 04's conclusion in Markdown, from ``metrics`` as `train_all` records them
    (``metrics.json``): the targets met and missed, each model beside its baselines and the Bayes
    reference, how each carries over to new learners and tutors, and what that means for the
    served models."""
    lines = [_targets_sentence(metrics), ""]
    lines += [f"- {_model_sentence(name, metrics['models'][name])}" for name in SUPERVISED_PRIMARY]
    meaning = []
    compatibility = _new_draw("compatibility", metrics)
    if compatibility is not None:
        text, where = compatibility
        lines += [
            "",
            f"On new learners *and* a new pool of tutors (the {NEW_DRAW_WORDS} draw) the "
            f"compatibility forest's ratio to its Bayes reference is {text}: {relation(where)}.",
        ]
        if where == "behind":
            meaning.append(
                "The compatibility scores hold for the tutors the forest was trained with; on a "
                "new pool of tutors a linear model does better, so the forest must be trained "
                "again when the tutor pool changes."
            )
        else:
            meaning.append(
                "The compatibility scores carry over to a new pool of tutors, not only to the "
                "tutors the forest was trained with."
            )
    for name in ("difficulty", "engagement"):
        carried = _new_draw(name, metrics)
        if carried is not None:
            text, where = carried
            lines.append(f"On the same draw the {name} model scores {text}, {relation(where)}.")
    if "exercise_success_rate" in metrics["models"]["engagement"].get("features", []):
        meaning.append(
            "The engagement model reads the session's exercise success rate, which is measured "
            "during the session: it scores a session under way or just held, not one being "
            "planned."
        )
    if meaning:
        lines += ["", "**For the product.** " + " ".join(meaning)]
    return "\n".join(lines)


@dataclass(frozen=True)
class _PPOVerdict:
    text: str
    side: str
    """Where PPO's lead over the hand rule puts it: ahead, level or behind."""
    rule: str
    met: bool
    """Whether PPO's mean reaches `PPO_TARGET`."""


def _rl_sentence(env_key: str, res: Mapping[str, Any]) -> _PPOVerdict | None:
    """PPO on one environment beside its target, the hand rule and the upper reference, and
    where its lead over the hand rule puts it."""
    ppo = res["algorithms"].get("ppo")
    if ppo is None:
        return None
    ref, n, lead = res["references"], ppo["normalised"], ppo["lead_over_hand_rule"]
    met = "meets" if n["mean"] >= PPO_TARGET else "misses"
    where = side(lead["low"], lead["high"])
    text = (
        f"**{env_key.replace('_', ' ')}**: PPO scores {_ci(n['mean'], n['low'], n['high'])} and "
        f"{met} its target of {PPO_TARGET:.2f}; the best hand rule, "
        f"{rule_name(ref['hand_rule_name'])}, scores {ref['hand_rule_normalised']:.3f}, and "
        f"PPO's lead over it, {_ci(lead['mean'], lead['low'], lead['high'])}, puts it "
        f"{relation(where, 'the rule')}; the upper reference "
        f"({ref['ceiling_name']}) scores {ref['ceiling_normalised']:.3f}."
    )
    return _PPOVerdict(text, where, ref["hand_rule_name"], n["mean"] >= PPO_TARGET)


def _pool_leads(pools: pd.DataFrame, policy: str) -> dict[str, tuple[str, str]]:
    """Each pool's lead of ``policy`` over that pool's best fixed strategy, with its side."""
    rows = pools[pools["policy"] == policy]
    return {
        r["pool"]: (
            f"{_ci(r['lead'], r['lead_low'], r['lead_high'])} over {rule_name(r['best_rule'])}",
            side(r["lead_low"], r["lead_high"]),
        )
        for _, r in rows.iterrows()
    }


def evaluation_conclusion(
    rl_results: Mapping[str, Any],
    supervised_metrics: Mapping[str, Any],
    ope: pd.DataFrame,
    pools: pd.DataFrame,
    ope_policy: str = "PPO (greedy)",
) -> str:
    """Notebook 05's conclusion in Markdown, from the notebook's own tables: PPO on each
    environment beside its target, the best hand rule and the upper reference; the supervised
    targets; the off-policy estimates beside the true values; PPO's lead on the tutor pools; and
    what these mean for the served policies. ``ope`` is `aura.evaluation.ope.off_policy_table`'s
    table, ``pools`` `aura.rl.pools.pool_scores`'."""
    lines = []
    rl = {env: s for env, res in rl_results.items() if (s := _rl_sentence(env, res)) is not None}
    lines += [f"- {verdict.text}" for verdict in rl.values()]
    lines += ["", "Supervised models: " + _targets_sentence(supervised_metrics)]

    covered = int(ope["covered"].sum())
    truths = ope.groupby("policy", sort=False)["true_value"].first()
    others = " and ".join(f"{p} at {v:.4f}" for p, v in truths.items() if p != ope_policy)
    lines += [
        "",
        f"Off-policy evaluation: {covered} of the {len(ope)} estimates' 95% intervals cover "
        f"their policy's true value. On the logged sessions {ope_policy} is worth "
        f"{truths[ope_policy]:.4f} a session, beside {others}.",
    ]

    meaning = []
    leads = _pool_leads(pools, "ppo")
    if leads:
        shown = "; ".join(f"{pool}: {text} ({where})" for pool, (text, where) in leads.items())
        lines += ["", f"PPO's lead over each tutor pool's best fixed strategy: {shown}."]
    tutor = rl.get("tutor_matching")
    if SERVED_POOL in leads:
        _, served = leads[SERVED_POOL]
        trained = leads[TRAINING_POOL][1] if TRAINING_POOL in leads else tutor and tutor.side
        if served == "ahead":
            meaning.append(
                "On the tutors the API ranks, the tutor-matching policy leads the best fixed "
                "strategy: serving it is expected to match learners better than the rule."
            )
        else:
            meaning.append(
                "On the tutors the API ranks, the tutor-matching policy is "
                + relation(served, "the best fixed strategy")
                + ": serving it gains nothing measurable over that rule"
                + (
                    ", and its lead on the training pool is knowledge of that pool's tutors."
                    if trained == "ahead"
                    else "."
                )
            )
    difficulty = rl.get("difficulty_adaptation")
    if difficulty is not None:
        verdict = {
            "ahead": "it is worth serving over the rule",
            "level": "serving it gains nothing measurable over the rule",
            "behind": "the rule does better",
        }[difficulty.side]
        meaning.append(
            "The difficulty policy is "
            + relation(difficulty.side, rule_name(difficulty.rule))
            + f": {verdict}"
            + ("." if difficulty.met else f"; it is short of its {PPO_TARGET:.2f} target.")
        )
    if meaning:
        lines += ["", "**For the product.** " + " ".join(meaning)]
    return "\n".join(lines)
