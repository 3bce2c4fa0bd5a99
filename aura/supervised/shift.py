"""Datasets the models never saw: another seed, and populations shifted in age.

A fresh seed draws new learners and a new tutor pool from the same population, which measures
plain generalisation. The shifted sets keep only the oldest or the youngest learners of a fresh
draw (and their sessions): ages change the weights of style and language match in the
simulator, so a model that learned the average learner is tested where the mix differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


Draw = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
"""(learners, tutors, sessions) of one population's draw."""

POPULATIONS: tuple[Population, ...] = (
    Population("new_seed", 1, description="same population, new learners and tutor pool"),
    Population("older_learners", 2, min_age=15, description="learners aged 15-18 only"),
    Population("younger_learners", 3, max_age=10, description="learners aged 8-10 only"),
)


def draw_population(
    population: Population, seed: int, n_learners: int, n_tutors: int, n_sessions: int
) -> Draw:
    """(learners, tutors, sessions) of a fresh simulation, restricted to the population's ages."""
    data = generate(population_seed(population, seed), n_learners, n_tutors, n_sessions)
    age = data.learners["age"]
    learners = data.learners[(age >= population.min_age) & (age <= population.max_age)]
    sessions = data.sessions[data.sessions["learner_id"].isin(learners["learner_id"])]
    return learners.reset_index(drop=True), data.tutors, sessions.reset_index(drop=True)


def population_seed(population: Population, seed: int) -> int:
    """The simulator seed `draw_population` draws the population from."""
    return seed + population.seed_offset


def is_drawn_from(draw: Draw, learners: pd.DataFrame, tutors: pd.DataFrame) -> bool:
    """Whether a population's draw holds the learners or the tutors of the given tables, row for
    row: then the tables were generated with the draw's seed, and the draw is no new data."""
    drawn_learners, drawn_tutors, _ = draw
    return _same_rows(drawn_learners, learners, "learner_id") or _same_rows(
        drawn_tutors, tutors, "tutor_id"
    )


def _same_rows(drawn: pd.DataFrame, table: pd.DataFrame, key: str) -> bool:
    """Every row of `drawn` equals the row of `table` with its id, in every numeric column."""
    if drawn.empty or key not in table or not drawn[key].isin(table[key]).all():
        return False
    columns = [c for c in drawn.select_dtypes("number").columns if c in table and c != key]
    theirs = table.drop_duplicates(key).set_index(key).loc[drawn[key], columns]
    return np.array_equal(
        drawn[columns].to_numpy(dtype=float), theirs.to_numpy(dtype=float), equal_nan=True
    )
