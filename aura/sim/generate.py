"""Generate the three datasets and their hidden truth from one seed.

Sessions are simulated round by round: round k holds every learner's k-th session, vectorised
over learners, so each learner's ability, comfort and history move session after session while
no Python loop ever runs per row. The result is deterministic for a seed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psutil

from aura.sim import outcomes as oc
from aura.sim.matching import choose_tutors, logging_policy
from aura.sim.placement import draw_placement, placement_probabilities
from aura.sim.population import Learners, Tutors, sample_learners, sample_tutors
from aura.sim.rng import categorical
from aura.sim.session import SessionContext, simulate_sessions
from aura.sim.vocab import (
    COMPLETION_STATUSES,
    DIFFICULTY_LEVELS,
    LANGUAGES,
    LEARNER_COLUMNS,
    LEARNING_STYLES,
    LIST_SEPARATOR,
    SESSION_COLUMNS,
    STRATEGIES,
    SUBJECTS,
    TIME_SLOTS,
    TUTOR_COLUMNS,
)

DURATIONS = np.array([0.5, 0.75, 1.0, 1.5, 2.0])
DURATION_PROBS = np.array([0.20, 0.25, 0.30, 0.15, 0.10])
SLOT_HOURS = np.array([9, 15, 18, 11])
EPOCH = np.datetime64("2025-09-01T00:00", "m")
START_DAYS = 240
"""A learner's first session comes 1 + Exponential(MEAN_GAP_DAYS) days after a start day drawn
uniformly from the first START_DAYS days after EPOCH."""
MEAN_GAP_DAYS = 6.0
"""Mean of the exponential part of the gap between a learner's sessions (1 day + this)."""
OnProgress = Callable[[int, int], None]
"""``on_progress(sessions drawn, sessions in all)``, called after a round: a long history (one
learner's 200,000 sessions, as many rounds) takes minutes, and said nothing meanwhile. It reads
no random draw, so the tables are the same with one or without."""
PROGRESS_REPORTS = 1000
"""About how many times `on_progress` is called in all: at most once a round, and after the last
one always. Told after every one of 20,000 rounds, rich's bar added an eighth to the CPU time."""
LAST_DAY = int((np.datetime64("9999-12-31") - EPOCH.astype("datetime64[D]")).astype(int))
"""The last day after EPOCH that an ISO 8601 timestamp writes with its four-digit year: a later
one is written with a fifth digit (12019-01-11T00:00), which the loader refuses as no timestamp."""


def _most_sessions_before_the_last_day() -> int:
    """The most sessions one learner's history may hold: the largest n with START_DAYS +
    (1 + MEAN_GAP_DAYS) n, the mean span, plus ten standard deviations of the gaps' sum
    (MEAN_GAP_DAYS sqrt(n)) within LAST_DAY, so that such a history passes the year 9999 with
    a chance far below 1e-15. Solved as a quadratic in sqrt(n)."""
    a, b, c = 1 + MEAN_GAP_DAYS, 10 * MEAN_GAP_DAYS, START_DAYS - LAST_DAY
    return int(((-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)) ** 2)


MAX_SESSIONS_PER_LEARNER = _most_sessions_before_the_last_day()
PREFERRED_SUBJECT_SHARE = 0.7
PREFERRED_SLOT_SHARE = 0.8
SESSION_BYTES = 1_000
"""Memory a simulated session takes until the tables are written: the peak resident size of
`write_datasets` grew by 0.94 kB a session between 500,000 and 2,000,000 sessions."""
TUTOR_BYTES = 600
"""Memory a simulated tutor takes until the tables are written: the peak resident size of
`write_datasets` grew by 0.56 kB a tutor between 1,000 and 1,000,000 tutors."""
LEARNER_BYTES = 250
"""Memory a simulated learner takes beyond their sessions: the peak resident size of
`write_datasets` grew by 0.25 kB a learner from 5,000 to 500,000 learners over 500,000 sessions,
and from 10,000 to 1,000,000 over 1,000,000."""
PLACEMENT_ERROR = 0.5
"""Standard deviation of the platform's ability estimate when it picks a session's level."""


@dataclass
class SimulatedData:
    """The three observed tables, the hidden truth beside them, and the populations behind them."""

    learners: pd.DataFrame
    tutors: pd.DataFrame
    sessions: pd.DataFrame
    learners_truth: pd.DataFrame
    tutors_truth: pd.DataFrame
    sessions_truth: pd.DataFrame
    population: Learners
    pool: Tutors


def sessions_per_learner(
    rng: np.random.Generator, activity: np.ndarray, n_sessions: int
) -> np.ndarray:
    """Every learner gets one session, the rest go out in proportion to activity."""
    n_learners = len(activity)
    if n_sessions < n_learners:
        raise ValueError(
            f"n_sessions ({n_sessions}) must be at least n_learners ({n_learners}): "
            "every learner's history aggregates come from at least one session"
        )
    return 1 + rng.multinomial(n_sessions - n_learners, activity / activity.sum())


def check_history_span(counts: np.ndarray, n_sessions: int) -> None:
    """Refuse, before it is drawn, a learner history too long for its timestamps: one learner's
    500,000 sessions, a week apart, ran round after round for minutes and past the year 9999,
    into five-digit years that the loader then refused in the simulator's own sessions table."""
    most = int(counts.max())
    if most > MAX_SESSIONS_PER_LEARNER:
        raise ValueError(
            f"n_sessions={n_sessions:,} over n_learners={len(counts):,} give one learner "
            f"{most:,} sessions, {1 + MEAN_GAP_DAYS:g} days apart on average: their timestamps "
            f"would pass the year 9999, the last an ISO 8601 timestamp writes; a learner may "
            f"have at most {MAX_SESSIONS_PER_LEARNER:,} sessions (give more learners or fewer "
            "sessions)"
        )


def _pick_other(
    rng: np.random.Generator, preferred: np.ndarray, n_options: int, keep: float
) -> np.ndarray:
    """Keep the preferred option with probability `keep`, else any other option uniformly."""
    n = len(preferred)
    other = (preferred + rng.integers(1, n_options, size=n)) % n_options
    return np.where(rng.random(n) < keep, preferred, other)


def simulate_history(
    rng: np.random.Generator,
    learners: Learners,
    tutors: Tutors,
    counts: np.ndarray,
    on_progress: OnProgress | None = None,
) -> dict[str, np.ndarray]:
    """Run every learner's sessions in order; returns one array per session field (row order:
    round by round, learners ascending within a round), and ``theta_final`` and
    ``comfort_final``, one row per learner: their state after the last session. Mutates nothing
    passed in. ``on_progress`` is told the sessions drawn as rounds end (`PROGRESS_REPORTS`)."""
    theta = learners.theta.copy()
    comfort = learners.comfort.copy()
    day = rng.integers(0, START_DAYS, size=len(learners)).astype(float)
    parts: list[dict[str, np.ndarray]] = []
    drawn, total = 0, int(counts.sum())
    told, every = 0, max(total // PROGRESS_REPORTS, 1)
    for k in range(int(counts.max())):
        idx = np.flatnonzero(counts > k)
        subject = _pick_other(
            rng, learners.subject_preference[idx], len(SUBJECTS), PREFERRED_SUBJECT_SHARE
        )
        slot = _pick_other(
            rng, learners.time_preference[idx], len(TIME_SLOTS), PREFERRED_SLOT_SHARE
        )
        theta_now = theta[idx, subject]
        estimate = theta_now + PLACEMENT_ERROR * rng.normal(size=idx.size)
        level = np.abs(
            oc.DIFFICULTY_OFFSETS[None, :] - oc.target_difficulty(estimate)[:, None]
        ).argmin(axis=1)
        duration = DURATIONS[categorical(rng, DURATION_PROBS, idx.size)]
        policy = logging_policy(learners.age[idx], comfort[idx])
        u = rng.random(idx.size)[:, None]
        strategy = (u > np.cumsum(policy, axis=1)[:, :-1]).sum(axis=1)
        day[idx] += 1.0 + rng.exponential(MEAN_GAP_DAYS, size=idx.size)
        tutor_idx = choose_tutors(
            tutors, strategy, subject, slot, learners.learning_style[idx], learners.language[idx]
        )
        ctx = SessionContext(
            theta=theta_now,
            age=learners.age[idx],
            comfort=comfort[idx],
            attention_span=learners.attention_span[idx],
            learning_style=learners.learning_style[idx],
            language=learners.language[idx],
            subject=subject,
            level=level,
            duration_hours=duration,
        )
        draw = simulate_sessions(rng, ctx, tutors, tutor_idx)
        parts.append(
            {
                "learner": idx,
                "round": np.full(idx.size, k),
                "day": np.floor(day[idx]).astype(np.int64),
                "tutor": tutor_idx,
                "subject": subject,
                "slot": slot,
                "level": level,
                "duration": duration,
                "strategy": strategy,
                "propensity": policy[np.arange(idx.size), strategy],
                "comfort": comfort[idx].copy(),
                "theta_before": theta_now,
                **{name: getattr(draw, name) for name in draw.__dataclass_fields__},
            }
        )
        theta[idx, subject] += draw.gain
        comfort[idx] = oc.comfort_after_session(comfort[idx], draw.engagement_score)
        drawn += idx.size
        if on_progress is not None and (drawn - told >= every or drawn == total):
            on_progress(drawn, total)
            told = drawn
    history = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    history["theta_final"] = theta
    history["comfort_final"] = comfort
    return history


def _round(values: np.ndarray, decimals: int = 4) -> np.ndarray:
    """Round for the CSVs; aggregates are computed from the rounded values so they agree."""
    return np.round(values.astype(float), decimals)


def _names(vocab: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    return np.asarray(vocab, dtype=object)[index]


def _joined(vocab: tuple[str, ...], mask: np.ndarray) -> list[str]:
    """List-valued cell per row, e.g. 'math;coding', from a (rows, len(vocab)) mask."""
    return [LIST_SEPARATOR.join(v for v, on in zip(vocab, row, strict=True) if on) for row in mask]


def check_memory(n_sessions: int, n_tutors: int = 0, n_learners: int = 0) -> None:
    """Refuse a history larger than this machine's free memory before drawing it: 10^12
    sessions ran until numpy's `MemoryError`, and 10^8 tutors until the system killed the
    process, minutes in and without a word. Learners count too: as many learners as sessions
    took a quarter more than the sessions alone, which the check passed."""
    needed = n_sessions * SESSION_BYTES + n_tutors * TUTOR_BYTES + n_learners * LEARNER_BYTES
    available = psutil.virtual_memory().available
    if needed > available:
        learners = (
            f" (the {n_learners:,} learners counted in, at {LEARNER_BYTES / 1e3:g} kB each)"
            if n_learners
            else ""
        )
        raise ValueError(
            f"n_sessions={n_sessions:,} and n_tutors={n_tutors:,} need about "
            f"{needed / 1e9:,.{needed < 1e11:d}f} GB of memory to simulate (about "
            f"{SESSION_BYTES / 1e3:g} kB a session and {TUTOR_BYTES / 1e3:g} kB a tutor, all held "
            f"until the tables are written); this machine has {available / 1e9:,.1f} GB "
            f"available{learners}"
        )


def generate(
    seed: int,
    n_learners: int,
    n_tutors: int,
    n_sessions: int,
    on_progress: OnProgress | None = None,
) -> SimulatedData:
    """Draw learners, tutors and their session history; build the CSV tables and the truth.
    ``on_progress`` is told the sessions drawn as the history is simulated."""
    for name, value in (
        ("n_learners", n_learners),
        ("n_tutors", n_tutors),
        ("n_sessions", n_sessions),
    ):
        # A float was cut down to whole rows without a word; text failed on the comparison.
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    check_memory(n_sessions, n_tutors, n_learners)
    rng = np.random.default_rng(seed)
    learners = sample_learners(rng, n_learners)
    tutors = sample_tutors(rng, n_tutors)
    counts = sessions_per_learner(rng, learners.activity, n_sessions)
    check_history_span(counts, n_sessions)
    h = simulate_history(rng, learners, tutors, counts, on_progress)

    minutes = (h["day"] * 24 + SLOT_HOURS[h["slot"]]) * 60
    order = np.lexsort((h["learner"], minutes))
    h = {k: (v[order] if k not in ("theta_final", "comfort_final") else v) for k, v in h.items()}
    timestamps = np.datetime_as_string(EPOCH + minutes[order].astype("timedelta64[m]"), unit="m")
    sessions = _session_table(h, timestamps)

    # The profile's averages are of the rounded session values, as a platform would compute
    # them from its own tables; placement is drawn from the profile the learner table shows.
    learner = h["learner"]
    n_of = np.bincount(learner, minlength=n_learners)

    def mean_of(values: np.ndarray) -> np.ndarray:
        return np.round(np.bincount(learner, weights=values, minlength=n_learners) / n_of, 4)

    profile = {
        "age": learners.age,
        "grade_level": learners.grade_level,
        "comfort_level_online": _round(h["comfort_final"]),
        "attention_span_minutes": learners.attention_span,
        "learning_progress_score": mean_of(sessions["learning_outcome_score"].to_numpy()),
        "success_rate": mean_of(sessions["exercise_success_rate"].to_numpy()),
    }
    level = draw_placement(rng, profile)
    learner_table = pd.DataFrame(
        {
            "learner_id": np.arange(1, n_learners + 1),
            "age": learners.age,
            "grade_level": learners.grade_level,
            "comfort_level_online": profile["comfort_level_online"],
            "session_count": n_of,
            "learning_progress_score": profile["learning_progress_score"],
            "attention_span_minutes": learners.attention_span,
            "preferred_difficulty": _names(DIFFICULTY_LEVELS, level),
            "learning_style": _names(LEARNING_STYLES, learners.learning_style),
            "engagement_score": mean_of(sessions["engagement_score"].to_numpy()),
            "success_rate": profile["success_rate"],
            "subject_preference": _names(SUBJECTS, learners.subject_preference),
            "time_preference": _names(TIME_SLOTS, learners.time_preference),
            "language": _names(LANGUAGES, learners.language),
        }
    )[list(LEARNER_COLUMNS)]
    tutor_table = _tutor_table(tutors, h["tutor"], h["gain"])
    return SimulatedData(
        learners=learner_table,
        tutors=tutor_table,
        sessions=sessions,
        learners_truth=_learners_truth(
            learners, h["theta_final"], placement_probabilities(profile)
        ),
        tutors_truth=_tutors_truth(tutors),
        sessions_truth=_sessions_truth(h),
        population=learners,
        pool=tutors,
    )


def _session_table(h: dict[str, np.ndarray], timestamps: np.ndarray) -> pd.DataFrame:
    """The sessions CSV from the history `h`, already in time order (ids follow that order)."""
    return pd.DataFrame(
        {
            "session_id": np.arange(1, len(timestamps) + 1),
            "learner_id": h["learner"] + 1,
            "tutor_id": h["tutor"] + 1,
            "subject": _names(SUBJECTS, h["subject"]),
            "difficulty_level": _names(DIFFICULTY_LEVELS, h["level"]),
            "duration_hours": h["duration"],
            "engagement_score": _round(h["engagement_score"]),
            "learning_outcome_score": _round(h["learning_outcome_score"]),
            "tutor_rating": h["tutor_rating"],
            "completion_status": _names(COMPLETION_STATUSES, (~h["completed"]).astype(int)),
            "session_index": h["round"] + 1,
            "timestamp": timestamps,
            "time_slot": _names(TIME_SLOTS, h["slot"]),
            "strategy": _names(STRATEGIES, h["strategy"]),
            "propensity": _round(h["propensity"], 6),
            "exercise_success_rate": _round(h["exercise_success_rate"]),
            "style_match": h["style_match"].astype(np.int64),
            "language_match": h["language_match"].astype(np.int64),
            "comfort_level_online": _round(h["comfort"]),
            "compatibility_score": _round(h["compatibility_score"]),
        }
    )[list(SESSION_COLUMNS)]


def _tutor_table(tutors: Tutors, tutor: np.ndarray, gain: np.ndarray) -> pd.DataFrame:
    """The tutors CSV: observed attributes, and the session count and mean learning gain of
    each tutor's sessions (`tutor`, `gain`: one entry per session; NaN for a tutor with none)."""
    n_tutors = len(tutors.rating)
    t_count = np.bincount(tutor, minlength=n_tutors)
    with np.errstate(invalid="ignore", divide="ignore"):
        improvement = np.bincount(tutor, weights=gain, minlength=n_tutors) / t_count
    return pd.DataFrame(
        {
            "tutor_id": np.arange(1, n_tutors + 1),
            "years_experience": tutors.years_experience,
            "rating": tutors.rating,
            "total_sessions": t_count,
            "subjects": _joined(SUBJECTS, tutors.teaches),
            "teaching_effectiveness": tutors.effectiveness,
            "student_improvement_rate": np.round(improvement, 4),
            "communication_rating": tutors.communication_rating,
            "adaptability_score": tutors.adaptability_score,
            "teaching_style": _names(LEARNING_STYLES, tutors.teaching_style),
            "language": _names(LANGUAGES, tutors.language),
            "availability": _joined(TIME_SLOTS, tutors.available),
            **{f"expertise_{s}": tutors.expertise_observed[:, i] for i, s in enumerate(SUBJECTS)},
        }
    )[list(TUTOR_COLUMNS)]


def _learners_truth(
    learners: Learners, theta_final: np.ndarray, placement: np.ndarray
) -> pd.DataFrame:
    """Each learner's hidden ability before and after the history, starting comfort, activity
    and the placement probabilities their preferred difficulty was drawn from."""
    return pd.DataFrame(
        {
            "learner_id": np.arange(1, len(learners.age) + 1),
            **{f"theta_{s}": np.round(learners.theta[:, i], 6) for i, s in enumerate(SUBJECTS)},
            **{f"theta_final_{s}": np.round(theta_final[:, i], 6) for i, s in enumerate(SUBJECTS)},
            "comfort_initial": np.round(learners.comfort, 6),
            "activity": np.round(learners.activity, 6),
            **{f"p_{lvl}": np.round(placement[:, i], 6) for i, lvl in enumerate(DIFFICULTY_LEVELS)},
        }
    )


def _tutors_truth(tutors: Tutors) -> pd.DataFrame:
    """Each tutor's hidden quality, communication, adaptability and true expertise."""
    return pd.DataFrame(
        {
            "tutor_id": np.arange(1, len(tutors.quality) + 1),
            "quality": np.round(tutors.quality, 6),
            "communication": np.round(tutors.communication, 6),
            "adaptability": np.round(tutors.adaptability, 6),
            **{
                f"expertise_{s}": np.round(tutors.expertise[:, i], 6)
                for i, s in enumerate(SUBJECTS)
            },
        }
    )


def _sessions_truth(h: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each session's hidden state and the means and variances its observed scores were drawn
    from (rows in the sessions CSV's order)."""
    return pd.DataFrame(
        {
            "session_id": np.arange(1, len(h["learner"]) + 1),
            "theta_before": np.round(h["theta_before"], 6),
            "p_success": np.round(h["p_success"], 6),
            "fit": np.round(h["fit"], 6),
            "gain": np.round(h["gain"], 6),
            "engagement_mean": np.round(h["engagement_mean"], 6),
            "engagement_var": np.round(h["engagement_var"], 8),
            "compatibility_mean": np.round(h["compatibility_mean"], 6),
            "compatibility_var": np.round(h["compatibility_var"], 8),
        }
    )
