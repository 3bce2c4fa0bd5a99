"""Where the environments' learners and tutors come from: the simulator, or a platform's CSVs.

An episode follows one learner. Learners are drawn either fresh from the simulator's population
model (`aura.sim.population.sample_learners`, in blocks, from the environment's own generator) or
from a learners CSV validated by `aura.data.load_table`. A CSV has no hidden ability, so one is
drawn per episode from the simulator's posterior given what the CSV shows (see
`AbilityCalibration`). The tutor pool is a `Tutors` object, sampled by the simulator or built from
a tutors CSV (`aura.sim.tables.tutors_from_table`).

A CSV path that is not absolute is read from the project root, as every path of a params file
is (`aura.config.project_path`): the notebooks run from ``notebooks/``, and the same options must
name the same file from there, from the command line and from a JupyterLab session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aura.config import project_path
from aura.sim.population import SUBJECT_OFFSETS, Learners, Tutors, sample_learners, sample_tutors
from aura.sim.tables import tutors_from_table
from aura.sim.vocab import (
    DIFFICULTY_LEVELS,
    LANGUAGES,
    LEARNER_EXTRA_COLUMNS,
    LEARNING_STYLES,
    SUBJECTS,
    TIME_SLOTS,
    TUTOR_EXTRA_COLUMNS,
)

LEARNER_BLOCK = 256
"""Learners drawn from the simulator at a time; drawing one at a time would dominate reset."""

LEARNER_CSV_COLUMNS: tuple[str, ...] = LEARNER_EXTRA_COLUMNS
"""Learner columns beyond the spec's that the environments read (the data schema requires them;
`learner_source` names them again so the need stays visible here)."""

TUTOR_CSV_COLUMNS: tuple[str, ...] = TUTOR_EXTRA_COLUMNS
"""Tutor columns beyond the spec's that the environments read (the data schema requires them)."""


@dataclass(frozen=True)
class LearnerProfile:
    """One episode's learner as plain Python values (fast to read in `step`).

    `theta` is the hidden ability per subject on the simulator's logit scale.
    """

    age: int
    grade_level: int
    comfort: float
    attention_span: float
    learning_style: int
    subject_preference: int
    time_preference: int
    language: int
    theta: tuple[float, ...]


def _profile(learners: Learners, i: int, theta: np.ndarray) -> LearnerProfile:
    return LearnerProfile(
        age=int(learners.age[i]),
        grade_level=int(learners.grade_level[i]),
        comfort=float(learners.comfort[i]),
        attention_span=float(learners.attention_span[i]),
        learning_style=int(learners.learning_style[i]),
        subject_preference=int(learners.subject_preference[i]),
        time_preference=int(learners.time_preference[i]),
        language=int(learners.language[i]),
        theta=tuple(float(t) for t in theta),
    )


class SimulatedLearners:
    """Fresh learners from the simulator's population model, drawn in blocks.

    Blocks grow from one learner to `block` (1, 2, 4, ...), so an episode started with
    `reset(seed=...)`, which calls `clear()`, draws no more learners than it uses, and a long
    unseeded run still draws in large blocks. `clear()` makes a seed reproduce the same learners.
    """

    def __init__(self, block: int = LEARNER_BLOCK) -> None:
        self.block = block
        self._next_block = 1
        self._pending: list[LearnerProfile] = []

    def clear(self) -> None:
        self._pending = []
        self._next_block = 1

    def draw(self, rng: np.random.Generator) -> LearnerProfile:
        if not self._pending:
            n = self._next_block
            self._next_block = min(2 * n, self.block)
            learners = sample_learners(rng, n)
            self._pending = [_profile(learners, i, learners.theta[i]) for i in range(n)]
            self._pending.reverse()
        return self._pending.pop()


@dataclass(frozen=True)
class AbilityCalibration:
    """Ability given a learners-CSV row: a linear posterior mean and its residual spread.

    theta_s ~ N(SUBJECT_OFFSETS[s] + intercept + coef . x, residual_sd^2), where x is
    (learning_progress_score, success_rate, preferred level index, grade_level). The coefficients
    are fitted on a simulated dataset, so they say what the simulator's own learners with such a
    profile are like (their ability after the logged sessions, as the profile is measured then).
    """

    intercept: float
    coef: tuple[float, ...]
    residual_sd: float

    @classmethod
    def fit(cls, seed: int, n_learners: int = 4000, n_tutors: int = 60) -> AbilityCalibration:
        """Fit on `aura.sim.generate.generate(seed, ...)` by least squares."""
        from aura.sim.generate import generate

        data = generate(seed, n_learners, n_tutors, 2 * n_learners)
        x = _calibration_features(data.learners)
        finals = np.column_stack(
            [
                data.learners_truth[f"theta_final_{s}"] - SUBJECT_OFFSETS[i]
                for i, s in enumerate(SUBJECTS)
            ]
        )
        design = np.column_stack([np.ones(len(x)), x])
        y = finals.mean(axis=1)
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = finals - (design @ beta)[:, None]
        return cls(float(beta[0]), tuple(float(b) for b in beta[1:]), float(resid.std()))

    def mean(self, table: pd.DataFrame) -> np.ndarray:
        """(rows, subjects) posterior mean ability."""
        general = self.intercept + _calibration_features(table) @ np.asarray(self.coef)
        return general[:, None] + SUBJECT_OFFSETS[None, :]


def _calibration_features(table: pd.DataFrame) -> np.ndarray:
    level = pd.Categorical(table["preferred_difficulty"], categories=DIFFICULTY_LEVELS).codes
    return np.column_stack(
        [
            table["learning_progress_score"].to_numpy(float),
            table["success_rate"].to_numpy(float),
            level.astype(float),
            table["grade_level"].to_numpy(float),
        ]
    )


def _codes(table: pd.DataFrame, column: str, vocab: tuple[str, ...]) -> np.ndarray:
    return pd.Categorical(table[column], categories=vocab).codes.astype(np.int64)


class CsvLearners:
    """Learners from a platform's table; each episode picks a row and draws its hidden ability.

    The table must carry subject_preference, time_preference and language (`LEARNER_CSV_COLUMNS`).
    """

    def __init__(self, table: pd.DataFrame, calibration: AbilityCalibration) -> None:
        missing = [c for c in LEARNER_CSV_COLUMNS if c not in table.columns]
        if missing:
            raise ValueError(f"learners table lacks column(s) the environments need: {missing}")
        self.calibration = calibration
        n = len(table)
        if n == 0:
            raise ValueError("learners table has no rows")
        self.learners = Learners(
            age=table["age"].to_numpy(np.int64),
            grade_level=table["grade_level"].to_numpy(np.int64),
            learning_style=_codes(table, "learning_style", LEARNING_STYLES),
            subject_preference=_codes(table, "subject_preference", SUBJECTS),
            time_preference=_codes(table, "time_preference", TIME_SLOTS),
            language=_codes(table, "language", LANGUAGES),
            comfort=table["comfort_level_online"].to_numpy(float),
            attention_span=table["attention_span_minutes"].to_numpy(float),
            theta=calibration.mean(table),
            activity=np.ones(n),
        )

    def clear(self) -> None:
        """Nothing is buffered: every draw uses the episode's generator directly."""

    def draw(self, rng: np.random.Generator) -> LearnerProfile:
        i = int(rng.integers(len(self.learners)))
        noise = self.calibration.residual_sd * rng.normal(size=len(SUBJECTS))
        return _profile(self.learners, i, self.learners.theta[i] + noise)


def _stamp(path: Path) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file, None if there is none: part of the cache key,
    so that a file written again is read again."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _read_only(arrays: Learners | Tutors) -> None:
    """Freeze a cached pool's or population's arrays: every environment made from the same file
    shares them, so none may change them under another."""
    for f in fields(arrays):
        getattr(arrays, f.name).setflags(write=False)


@lru_cache(maxsize=8)
def _csv_learners(path: Path, stamp: tuple[int, int] | None, calibration_seed: int) -> CsvLearners:
    """The learners of one CSV as its file stands (`stamp` only keys the cache)."""
    from aura.data import load_table

    source = CsvLearners(
        load_table(path, kind="learners", require=LEARNER_CSV_COLUMNS),
        AbilityCalibration.fit(calibration_seed),
    )
    _read_only(source.learners)
    return source


@lru_cache(maxsize=8)
def _csv_tutors(
    path: Path, stamp: tuple[int, int] | None, truth_stamp: tuple[int, int] | None
) -> tuple[Tutors, np.ndarray]:
    """The pool of one CSV and its tutor ids, with the truth file beside it where the simulator
    wrote the CSV as it stands (`stamp` and `truth_stamp` only key the cache). The truth of an
    edited copy is another table's: a tutor added to it stopped the environment with pandas'
    KeyError, and a tutor changed in it kept the hidden quality of the tutor it replaced."""
    from aura.data import load_table
    from aura.files import sha256_file
    from aura.sim.io import simulator_wrote

    table = load_table(path, kind="tutors", require=TUTOR_CSV_COLUMNS)
    truth_file = path.parent / "truth" / "tutors_truth.csv"
    own = truth_stamp is not None and simulator_wrote(path.parent, {"tutors": sha256_file(path)})
    pool = tutors_from_table(table, pd.read_csv(truth_file) if own else None)
    _read_only(pool)
    ids = table["tutor_id"].to_numpy(dtype=np.int64)
    ids.flags.writeable = False
    return pool, ids


def pooled(pools: Sequence[Tutors]) -> Tutors:
    """Several pools held as one, in order: tutor k of the second pool is index
    len(first) + k, so an index (and an id, index + 1) names one tutor across them all."""
    return Tutors(
        **{f.name: np.concatenate([getattr(p, f.name) for p in pools]) for f in fields(Tutors)}
    )


def learner_source(
    learners_csv: str | Path | None, *, calibration_seed: int = 0
) -> SimulatedLearners | CsvLearners:
    """Simulated learners, or the validated learners CSV with a calibration fitted on
    `calibration_seed`. Raises `aura.data.DataValidationError` naming file, column and rows.

    A CSV is read and validated once per process (and again if it changes): an evaluation makes
    an environment per episode, and reading a 10,000-learner table took 0.1 s each time, against
    0.4 ms for the rest of an environment's set-up. The source draws with each episode's own
    generator and holds no state, so the environments share it.
    """
    if learners_csv is None:
        return SimulatedLearners()
    path = project_path(learners_csv).resolve()
    return _csv_learners(path, _stamp(path), calibration_seed)


def tutor_pool(
    tutors_csv: str | Path | None, *, n_tutors: int, pool_seed: int
) -> tuple[Tutors, np.ndarray]:
    """The validated tutors CSV as a pool, or `n_tutors` simulated tutors drawn with `pool_seed`,
    with the tutors' ids: the CSV's `tutor_id` column (any unique ids, in any order), or 1..n
    for a simulated pool, as the simulator numbers its tutors.

    When the simulator's hidden truth lies beside the CSV (`truth/tutors_truth.csv`, as
    `aura.sim.write_datasets` writes it) and the simulator wrote the CSV as it stands
    (`aura.sim.io.simulator_wrote`), the pool's hidden quality and expertise are exact;
    otherwise, an edited copy too, they are filled from the observed columns
    (`aura.sim.tables.tutors_from_table`).
    A CSV pool is read once per process, as learners are (`learner_source`), and shared read-only.
    """
    if tutors_csv is None:
        return sample_tutors(np.random.default_rng(pool_seed), n_tutors), np.arange(1, n_tutors + 1)
    path = project_path(tutors_csv).resolve()
    return _csv_tutors(path, _stamp(path), _stamp(path.parent / "truth" / "tutors_truth.csv"))
