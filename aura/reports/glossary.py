"""The terms of the front page's headline table, each in a sentence for a reader who has not read
the notebooks.

The table's cells name references and methods the notebooks define at length (the oracle, the
hand rule, the Bayes reference, IPS, SNIPS and DR); read alone, as stakeholders read it, the front
page used them without saying what any of them is. `terms_used` picks the ones a page's rows use,
so a run of some notebooks is not given terms its table does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "spec",
        'the system specification AURA follows ("AURA AI - Machine Learning System Architecture '
        '& Data Flow Schema").',
    ),
    (
        "normalised score",
        "a policy's mean return placed between random (0) and the oracle (1): "
        "(R − R_random) / (R_oracle − R_random).",
    ),
    (
        "oracle",
        "a policy that reads the simulator's hidden state (a learner's true ability, the tutors' "
        "true quality) and takes the best action; no platform can, so it marks the top of the "
        "scale.",
    ),
    (
        "hand rule",
        "the best simple rule a platform could use without learning: for tutor matching the best "
        "fixed strategy, the same strategy for every session (fixed:balanced is always "
        '"balanced"), for difficulty adaptation a staircase that steps the difficulty towards '
        "84% success.",
    ),
    (
        "upper reference",
        "a policy that knows more than an agent can learn yet never reads the hidden state (the "
        "observation ceiling for tutor matching, the model-based filter for difficulty "
        "adaptation): about "
        "as high as a trained policy can reasonably go.",
    ),
    (
        "experience reference",
        "the observation ceiling's model given only an agent's training budget of noisy rewards.",
    ),
    (
        "PPO, DQN, A2C",
        "the three reinforcement-learning algorithms trained; PPO's policies are the ones the API "
        "serves.",
    ),
    (
        "95% CI",
        "95% confidence interval, the [low, high] after a value: the range that holds the true "
        "value with 95% confidence, given the chance in the training seeds and held-out episodes "
        "(or in the data's draw).",
    ),
    (
        "lead",
        "a policy's score minus the hand rule's (or the best fixed strategy's), paired on the same "
        "episodes: ahead where its whole interval is above zero.",
    ),
    (
        "Bayes",
        "the Bayes reference: the best any model could do from the same inputs, known exactly "
        "because the simulator knows the noise it added. An MSE ratio of 1 to it (or an accuracy "
        "share of 1) cannot be beaten in expectation.",
    ),
    ("MSE", "mean squared error of a predicted score: lower is better."),
    (
        "expected MSE, expected accuracy",
        "a model's MSE or accuracy in expectation over the simulator's noise, known exactly: for "
        "the MSE each row's squared distance from its true mean score plus the noise's variance, "
        "for accuracy each row's chance that its true level is the one predicted. The test "
        "figure is one noisy draw of it, so its ratio to Bayes can differ from the expected one "
        "by several hundredths; the targets read the expected figure, as the Bayes reference is "
        "one.",
    ),
    (
        "baseline",
        "the simple models each forest is set beside: a constant (the mean, or the majority "
        "class) and a linear one (linear or logistic regression).",
    ),
    (
        "new seed draw",
        "a dataset drawn afresh by the simulator: new learners and a new pool of tutors, none "
        "seen in training.",
    ),
    (
        "greedy",
        "a policy taking its most probable action every time, as the API serves it (in training "
        "it draws its actions at random by their probabilities).",
    ),
    (
        "logging policy",
        "the stochastic choice of strategy that matched the platform's logged sessions: today's "
        "matching.",
    ),
    (
        "IPS, SNIPS, DR",
        "inverse propensity scoring, its self-normalised form and the doubly robust estimator: "
        "three ways to estimate from the logged sessions alone what a policy would earn per "
        "session.",
    ),
    (
        "true value",
        "what the policy really earns on the logged sessions' learners, which only the simulator "
        "can tell.",
    ),
    (
        "tutor pool",
        "the tutors a policy matches learners to: the training pool it learned on, new pools drawn "
        "afresh, and the served pool (the data's tutors, which the API serves).",
    ),
)
"""(term, definition), in the order a reader meets them in the headline table. A term of
several names ("IPS, SNIPS, DR") is one entry, used where any of its names is."""


def _pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word or phrase, or its plural ("tutor pools"), and not inside another
    word: "lead" in "lead over", not in "misleading". Acronyms and Bayes are matched in their
    case."""
    flags = 0 if term[0].isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){re.escape(term)}s?(?![\w-])", flags)


def terms_used(texts: Iterable[str]) -> list[tuple[str, str]]:
    """The glossary's entries whose term occurs in any of ``texts``, in the glossary's order."""
    joined = "\n".join(texts)
    return [
        (term, text)
        for term, text in GLOSSARY
        if any(_pattern(name).search(joined) for name in term.split(", "))
    ]
