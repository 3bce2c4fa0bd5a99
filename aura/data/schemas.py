"""Pandera schemas of the three tables, built from the column lists and vocabularies of aura.sim.

Each table is described once, as a tuple of `Field`s, and two schemas are derived from it:

- the *raw* schema checks that every number-typed cell of the CSV as read can be read as a number
  (and as a whole number where an integer is expected), so text in a numeric column is reported
  with its rows instead of failing a whole-column dtype check;
- the *typed* schema checks presence of the required columns, dtypes (coercing), missing values,
  ranges, categories and unique ids, on the frame after numbers were parsed.

Required columns are the spec's plus the extras the shared pipeline cannot do without (the
environments' learner state and tutor attributes, the supervised models' features and targets).
Columns that only record how the historical platform logged a session (`session_index`,
`timestamp`, `time_slot`, `strategy`, `propensity`) are optional: a platform's export may not have
them, and only the off-policy evaluation needs `strategy` and `propensity` (it asks for them with
`require=`). Optional columns are validated whenever they are present.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

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

Kind = Literal["int", "float", "category", "list", "timestamp"]
TableName = Literal["learners", "tutors", "sessions"]
TABLES: tuple[TableName, ...] = ("learners", "tutors", "sessions")

NUMERIC_KINDS = ("int", "float")
NOT_A_NUMBER = "wrong type: not a number"
ISO_TIMESTAMP = "an ISO 8601 timestamp (e.g. 2025-09-01T09:00)"
DTYPES: dict[Kind, str] = {
    "int": "Int64",
    "float": "float64",
    "category": "str",
    "list": "str",
    "timestamp": "str",
}
"""Dtype per kind in the typed schema (`Int64` so a missing cell is reported, not a crash)."""


@dataclass(frozen=True)
class Field:
    """One column: its kind, the checks on its values, and whether it must be present."""

    name: str
    kind: Kind
    checks: tuple[pa.Check, ...] = ()
    required: bool = True
    nullable: bool = False
    unique: bool = False
    allowed: tuple[str, ...] = ()
    """Vocabulary of a category or list column."""
    digits: bool = False
    """Whole numbers written in digits (an id): a spreadsheet saves a long number as it shows
    it, in exponent form and rounded (1.23457E+18), and that passed as another id."""
    share: bool = False
    """A share from 0 to 1: a spreadsheet shows one as a percentage (84%) and may save it so,
    and the number to write is then 0.84, not 84."""


def value_to_write(field: Field) -> str:
    """What a cell of ``field`` must hold, as a message tells a user to write it: a number, one
    of its categories, or a timestamp."""
    if field.kind in NUMERIC_KINDS:
        return "a number"
    if field.kind == "category":
        return f"one of {', '.join(field.allowed)}"
    if field.kind == "list":
        return f"one or more of {', '.join(field.allowed)} (separated by '{LIST_SEPARATOR}')"
    return ISO_TIMESTAMP


def _range(lo: float, hi: float, *, include_lo: bool = True) -> pa.Check:
    bracket = "[" if include_lo else "("
    return pa.Check.in_range(
        lo, hi, include_min=include_lo, error=f"out of range: must be in {bracket}{lo:g}, {hi:g}]"
    )


def _at_least(lo: float) -> pa.Check:
    return pa.Check.ge(lo, error=f"out of range: must be >= {lo:g}")


def _positive() -> pa.Check:
    return pa.Check.gt(0, error="out of range: must be > 0")


def _one_of(allowed: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(allowed, error=f"unknown category: allowed are {', '.join(allowed)}")


def _list_of(allowed: tuple[str, ...]) -> pa.Check:
    """Every item of a ';'-separated cell is in the vocabulary and the cell is not empty."""

    def ok(s: pd.Series) -> pd.Series:
        items = s.astype(str).str.split(LIST_SEPARATOR).explode()
        return items.isin(allowed).groupby(level=0).all().reindex(s.index, fill_value=False)

    return pa.Check(
        ok,
        error=f"unknown category in a '{LIST_SEPARATOR}'-separated list: "
        f"allowed are {', '.join(allowed)}",
    )


def _iso_timestamp() -> pa.Check:
    """Times with UTC offsets may differ in offset (a platform's local time across a change to
    summer time, +01:00 then +02:00): pandas refuses to hold such times in one column unless
    they are made UTC, and the whole column failed the check, no row named."""

    def ok(s: pd.Series) -> pd.Series:
        return pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True).notna()

    return pa.Check(ok, error=f"not {ISO_TIMESTAMP}")


def _id(name: str, *, unique: bool) -> Field:
    return Field(name, "int", (_at_least(0),), unique=unique, digits=True)


def _fraction(name: str, *, required: bool = True) -> Field:
    return Field(name, "float", (_range(0, 1),), required=required, share=True)


def _category(name: str, allowed: tuple[str, ...], *, required: bool = True) -> Field:
    return Field(name, "category", (_one_of(allowed),), required=required, allowed=allowed)


def _list(name: str, allowed: tuple[str, ...]) -> Field:
    return Field(name, "list", (_list_of(allowed),), allowed=allowed)


def _flag(name: str) -> Field:
    return Field(name, "int", (pa.Check.isin([0, 1], error="not a 0/1 flag"),))


LEARNER_FIELDS: tuple[Field, ...] = (
    _id("learner_id", unique=True),
    Field("age", "int", (_range(8, 18),)),
    Field("grade_level", "int", (_range(1, 12),)),
    _fraction("comfort_level_online"),
    Field("session_count", "int", (_at_least(0),)),
    _fraction("learning_progress_score"),
    Field("attention_span_minutes", "float", (_positive(),)),
    _category("preferred_difficulty", DIFFICULTY_LEVELS),
    _category("learning_style", LEARNING_STYLES),
    _fraction("engagement_score"),
    _fraction("success_rate"),
    _category("subject_preference", SUBJECTS),
    _category("time_preference", TIME_SLOTS),
    _category("language", LANGUAGES),
)

TUTOR_FIELDS: tuple[Field, ...] = (
    _id("tutor_id", unique=True),
    Field("years_experience", "int", (_range(0, 60),)),
    Field("rating", "float", (_range(1, 5),)),
    Field("total_sessions", "int", (_at_least(0),)),
    _list("subjects", SUBJECTS),
    _fraction("teaching_effectiveness"),
    Field("student_improvement_rate", "float", (_at_least(0),), nullable=True),
    Field("communication_rating", "float", (_range(1, 5),)),
    _fraction("adaptability_score"),
    _category("teaching_style", LEARNING_STYLES),
    _category("language", LANGUAGES),
    _list("availability", TIME_SLOTS),
    *(_fraction(f"expertise_{s}") for s in SUBJECTS),
)

SESSION_FIELDS: tuple[Field, ...] = (
    _id("session_id", unique=True),
    _id("learner_id", unique=False),
    _id("tutor_id", unique=False),
    _category("subject", SUBJECTS),
    _category("difficulty_level", DIFFICULTY_LEVELS),
    Field("duration_hours", "float", (_positive(),)),
    _fraction("engagement_score"),
    _fraction("learning_outcome_score"),
    Field("tutor_rating", "float", (_range(1, 5),)),
    _category("completion_status", COMPLETION_STATUSES),
    Field("session_index", "int", (_at_least(1),), required=False),
    Field("timestamp", "timestamp", (_iso_timestamp(),), required=False),
    _category("time_slot", TIME_SLOTS, required=False),
    _category("strategy", STRATEGIES, required=False),
    Field("propensity", "float", (_range(0, 1, include_lo=False),), required=False, share=True),
    _fraction("exercise_success_rate"),
    _flag("style_match"),
    _flag("language_match"),
    _fraction("comfort_level_online"),
    _fraction("compatibility_score"),
)

FIELDS: dict[TableName, tuple[Field, ...]] = {
    "learners": LEARNER_FIELDS,
    "tutors": TUTOR_FIELDS,
    "sessions": SESSION_FIELDS,
}

WRITTEN_COLUMNS: dict[TableName, tuple[str, ...]] = {
    "learners": LEARNER_COLUMNS,
    "tutors": TUTOR_COLUMNS,
    "sessions": SESSION_COLUMNS,
}
"""The simulator's column order per table; the fields above follow it (a test checks)."""


def fields(table: TableName) -> tuple[Field, ...]:
    """The column descriptions of a table; raises ValueError naming the valid tables."""
    if table not in FIELDS:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    return FIELDS[table]


def required_columns(table: TableName) -> tuple[str, ...]:
    """Columns every file of `table` must hold, in the data dictionary's order."""
    return tuple(f.name for f in fields(table) if f.required)


def optional_columns(table: TableName) -> tuple[str, ...]:
    """Columns `table` may hold; a caller that needs one asks for it (`load_table(require=...)`)."""
    return tuple(f.name for f in fields(table) if not f.required)


def _is_number(s: pd.Series) -> pd.Series:
    return s.isna() | pd.to_numeric(s, errors="coerce").notna()


def _is_finite(s: pd.Series) -> pd.Series:
    """Apart from text: pandas reads inf, Infinity and 1e400 as infinity, and "not a number
    (inf)" named no fault a reader could see."""
    parsed = pd.to_numeric(s, errors="coerce").astype(float)
    return parsed.isna() | np.isfinite(parsed)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The whole numbers the tables' 64-bit integer columns hold."""
EXACT_BELOW = 2.0**53
"""A float holds every whole number below this size, and no longer every one from here on: a
number this large is judged by the exact value the file writes, not by its float."""


def _exact(cell: object) -> Decimal:
    """A number's exact value: a text's as written (pandas' float of 9223372036854775807 is
    2**63, which is too large for an int64 though the number is not), a read number's as read."""
    if isinstance(cell, str):
        try:
            return Decimal(cell)
        except InvalidOperation:  # a form pandas reads and Decimal does not: its float then
            return Decimal(float(pd.to_numeric(cell)))
    return Decimal(int(cell)) if isinstance(cell, int | np.integer) else Decimal(float(cell))


def _large(s: pd.Series, parsed: pd.Series) -> tuple[np.ndarray, list[Decimal]]:
    """Which cells hold a number too large for its float to be exact, and their exact values."""
    large = (parsed.abs() >= EXACT_BELOW).to_numpy()
    return large, [_exact(cell) for cell in s.to_numpy()[large]]


def _is_whole(s: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(s):
        return pd.Series(True, index=s.index)
    parsed = pd.to_numeric(s, errors="coerce").astype(float)
    ok = (s.isna() | ~np.isfinite(parsed) | (parsed == np.round(parsed))).to_numpy(copy=True)
    large, values = _large(s, parsed)
    ok[large] = [not v.is_finite() or v == v.to_integral_value() for v in values]
    return pd.Series(ok, index=s.index)


def _fits_int64(s: pd.Series) -> pd.Series:
    """Exactly: every whole number an int64 holds passes, up to 9223372036854775807, and
    9223372036854775808 does not (both are the float 2**63). A number pandas reads as infinity
    (1e400, finite as written) is `_is_finite`'s to name: it was named twice, on two lines."""
    if pd.api.types.is_signed_integer_dtype(s):  # read as int64: every value fits
        return pd.Series(True, index=s.index)
    parsed = pd.to_numeric(s, errors="coerce").astype(float)
    ok = np.ones(len(s), dtype=bool)
    large, values = _large(s, parsed)
    infinite = np.isinf(parsed.to_numpy())[large]
    ok[large] = [
        inf or not v.is_finite() or INT64_MIN <= v <= INT64_MAX
        for inf, v in zip(infinite, values, strict=True)
    ]
    return pd.Series(ok, index=s.index)


def _in_digits(s: pd.Series) -> pd.Series:
    """Apart from numbers refused already (infinite, not whole, too large): an id written
    with an exponent (1.23457E+18, 1e5) is refused."""
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
        return pd.Series(True, index=s.index)  # read as numbers: no text, so no exponent
    exponent = s.astype(str).str.contains("[eE]") & pd.to_numeric(s, errors="coerce").notna()
    return ~exponent | ~(_is_finite(s) & _is_whole(s) & _fits_int64(s))


def raw_schema(table: TableName) -> pa.DataFrameSchema:
    """Checks on the CSV as read: numeric cells must parse as (whole) numbers. Presence and
    everything else is the typed schema's job, so every column here is optional."""
    columns = {}
    for f in fields(table):
        if f.kind not in NUMERIC_KINDS:
            continue
        checks = [
            pa.Check(_is_number, error=NOT_A_NUMBER),
            pa.Check(_is_finite, error="wrong type: infinite (inf, or too large for a float)"),
        ]
        if f.kind == "int":
            checks.append(pa.Check(_is_whole, error="wrong type: not a whole number"))
            checks.append(pa.Check(_fits_int64, error="wrong type: too large for an integer"))
        if f.digits:
            checks.append(
                pa.Check(
                    _in_digits,
                    error="wrong type: an id in exponent form (a spreadsheet's rounding of a "
                    "long number?): write all its digits",
                )
            )
        columns[f.name] = pa.Column(checks=checks, nullable=True, required=False)
    return pa.DataFrameSchema(columns, name=f"{table} (raw)")


def typed_schema(table: TableName, require: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """The table's schema proper: required columns, dtypes, missing values, ranges, categories
    and unique ids. `require` makes optional columns required (e.g. strategy, propensity)."""
    names = {f.name for f in fields(table)}
    unknown = sorted(set(require) - names)
    if unknown:
        raise ValueError(f"cannot require unknown {table} column(s): {', '.join(unknown)}")
    columns = {
        f.name: pa.Column(
            DTYPES[f.kind],
            checks=list(f.checks),
            nullable=f.nullable,
            unique=f.unique,
            required=f.required or f.name in require,
            coerce=True,
        )
        for f in fields(table)
    }
    return pa.DataFrameSchema(columns, name=table, strict=False)


def parse_numbers(df: pd.DataFrame, table: TableName) -> pd.DataFrame:
    """A copy with numeric columns parsed; cells that are not (whole) numbers become missing.

    Runs after the raw schema reported those cells, so the typed schema can still check every
    other row of the column.
    """
    out = df.copy()
    for f in fields(table):
        if f.kind not in NUMERIC_KINDS or f.name not in out:
            continue
        parsed = pd.to_numeric(out[f.name], errors="coerce").astype(float)
        bad = ~np.isfinite(parsed)
        if f.kind == "float":
            out[f.name] = parsed.mask(bad)
            continue
        if pd.api.types.is_signed_integer_dtype(out[f.name]):
            continue  # read as int64, exactly
        # A float holds whole numbers exactly only up to 2**53: 64-bit ids (1234567890123456790,
        # ...791) were all one id, 1234567890123456768. Those are taken from their exact value.
        bad |= (parsed != np.round(parsed)) | (parsed.abs() >= EXACT_BELOW)
        ints = pd.array(parsed.mask(bad).to_numpy(), dtype="Int64")
        large, values = _large(out[f.name], parsed)
        ints[large] = [
            int(v) if v.is_finite() and v == int(v) and INT64_MIN <= v <= INT64_MAX else None
            for v in values
        ]
        out[f.name] = pd.Series(ints, index=out.index)
    return out
