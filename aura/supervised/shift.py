"""Datasets the models never saw: another seed, and populations shifted in age.

A fresh seed draws new learners and a new tutor pool from the same population, which measures
plain generalisation. The shifted sets keep only the oldest or the youngest learners of a fresh
draw (and their sessions): ages change the weights of style and language match in the
simulator, so a model that learned the average learner is tested where the mix differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aura.sim.generate import generate


@dataclass(frozen=True)
class Population:
    """One out-of-sample dataset: a seed offset and the ages of learners kept."""

    name: str
    seed_offset: int
    min_age: int = 0
    max_age: int = 200
    description: str = ""


POPULATIONS: tuple[Population, ...] = (
    Population("new_seed", 1, description="same population, new learners and tutor pool"),
    Population("older_learners", 2, min_age=15, description="learners aged 15-18 only"),
    Population("younger_learners", 3, max_age=10, description="learners aged 8-10 only"),
)


def draw_population(
    population: Population, seed: int, n_learners: int, n_tutors: int, n_sessions: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(learners, tutors, sessions) of a fresh simulation, restricted to the population's ages."""
    data = generate(seed + population.seed_offset, n_learners, n_tutors, n_sessions)
    age = data.learners["age"]
    learners = data.learners[(age >= population.min_age) & (age <= population.max_age)]
    sessions = data.sessions[data.sessions["learner_id"].isin(learners["learner_id"])]
    return learners.reset_index(drop=True), data.tutors, sessions.reset_index(drop=True)
