"""Two runs' numbers side by side: which of one run's metrics another run gave again.

Every notebook hands its numbers to the run's ``metrics.json`` (`aura.reports.metrics`). With
the same params, the same lock and the same processor, a run gives every one of them again to
the last bit; on another processor training takes another path from the same seed (README,
Determinism), and a few values measure the machine itself (wall times, file sizes). Whether a
fresh clone reproduces a published run, or a change moved a number it should not have, is then
one comparison of two files, which `aura runs compare` makes: the values that differ, named by
their path in the file, beside what the two runs were (commit, processor, params, lock), so a
difference can be read against its cause.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from aura.config import LATEST_LINK, RUNS_DIR
from aura.reports.metrics import MERGED_METRICS, METRICS_SUBDIR
from aura.reports.run_status import RUN_RECORD, record_time, run_folders

_EARLIEST = datetime.min.replace(tzinfo=UTC)
"""Where a run whose start cannot be read sorts among the runs: before all of them."""
AGAINST_KEY = "against_last_complete_run"
"""The key of run.json that holds a complete run against the last complete run of its params."""
PREVIOUS_LINK = "previous"
"""The link in a complete run's folder to the last complete run of its params before it."""
_NOTEBOOK_KEY = re.compile(r"^\d{2}")
"""A key of a metrics file: a notebook's name, numbered as it runs (``03_rl_training``)."""


class RunNotReadable(ValueError):
    """A run (or metrics file) that cannot be compared, said in one line naming the file."""


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON value with its path: keys and list positions joined by ``.``
    (``03_rl_training.headline.2.value``), so that an ``--ignore`` pattern needs no brackets,
    which shell-style patterns read as a set of characters; a key with a dot in it is quoted
    (``style_match_effect."comfort < 0.4".mean``). An empty list or object below the
    top is a leaf of its own: with no leaf under it, a section emptied or gone left no trace."""
    if prefix and isinstance(value, Mapping | list) and not value:
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            # A key with a dot in it ("comfort < 0.4") is quoted: unquoted, {"a.b": 1} and
            # {"a": {"b": 2}} would share the path a.b, and one value would hide the other.
            part = f'"{key}"' if "." in str(key) else str(key)
            yield from flatten(item, f"{prefix}.{part}" if prefix else part)
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from flatten(item, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def same_value(a: Any, b: Any, rtol: float = 0.0) -> bool:
    """Whether two leaves are the same: numbers equal within the relative tolerance ``rtol``
    (exactly at 0, so 1 and 1.0 are the same), anything else equal as JSON (a boolean is not
    the number 1). NaN is the same as NaN, as it is written the same in both files: a run
    compared with itself differed wherever a notebook had written one."""
    if _is_number(a) and _is_number(b):
        if a == b or (_is_nan(a) and _is_nan(b)):
            return True
        try:
            return rtol > 0 and math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)
        except OverflowError:  # an integer past a float's range, against a float
            return False
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Difference:
    """One path whose value differs between run A and run B."""

    path: str
    a: Any
    b: Any


@dataclass
class Comparison:
    """How two flattened sets of values compare: counts, and the paths that are not the same."""

    same: int = 0
    differ: list[Difference] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    left_out: int = 0

    @property
    def compared(self) -> int:
        return self.same + len(self.differ)

    @property
    def identical(self) -> bool:
        return not (self.differ or self.only_a or self.only_b)


def compare_values(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    *,
    rtol: float = 0.0,
    ignore: Sequence[str] = (),
) -> Comparison:
    """Compare two JSON documents leaf by leaf. A leaf whose path matches one of the
    shell-style patterns ``ignore`` (``*wall_seconds``, ``06_model_export.*``) is left out
    and counted as such."""
    if rtol < 0 or math.isnan(rtol):
        raise ValueError(f"rtol must be 0 or more, got {rtol}")
    flat_a, flat_b = dict(flatten(a)), dict(flatten(b))
    result = Comparison()
    for path in sorted(flat_a.keys() | flat_b.keys()):
        if any(fnmatchcase(path, pattern) for pattern in ignore):
            result.left_out += 1
        elif path not in flat_b:
            result.only_a.append(path)
        elif path not in flat_a:
            result.only_b.append(path)
        elif same_value(flat_a[path], flat_b[path], rtol):
            result.same += 1
        else:
            result.differ.append(Difference(path, flat_a[path], flat_b[path]))
    return result


@dataclass(frozen=True)
class RunMetrics:
    """One side of a comparison: its metrics, where they were read, and its run record (or an
    empty mapping where only a metrics file was given)."""

    label: str
    source: Path
    metrics: dict[str, Any]
    record: dict[str, Any]
    notebook: str | None = None
    """The one notebook these metrics are of, where a notebook's own file was given."""
    folder: Path | None = None
    """The run's folder, where its run.json was read (None for a metrics file alone)."""


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunNotReadable(f"{path}: cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RunNotReadable(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise RunNotReadable(f"{path}: not JSON as a run writes it ({exc})") from exc
    except RecursionError as exc:
        raise RunNotReadable(f"{path}: not JSON as a run writes it (nested too deep)") from exc


def _mapping(value: Any) -> Mapping[str, Any]:
    """A field of a run record that should be an object, or an empty one where a hand-edited
    record holds something else."""
    return value if isinstance(value, Mapping) else {}


def _run_folder(where: str, runs_dir: Path, latest_link: Path) -> Path:
    """The folder or file ``where`` names: a path, ``latest``, or a run's name under
    ``runs_dir``."""
    if not where.strip():  # as a path, "" is the current folder
        raise RunNotReadable(
            "an empty name names no run: give a run folder, a metrics file, a run's name or latest"
        )
    if where == "latest":
        if latest_link.is_symlink() and not latest_link.exists():
            raise RunNotReadable(
                f"latest: {latest_link} points at {latest_link.readlink()}, which does not exist "
                "(deleted or moved)"
            )
        if not latest_link.exists():
            raise RunNotReadable(f"latest: {latest_link} does not exist (no complete run yet)")
        return latest_link.resolve()
    path = Path(where)
    if path.exists():
        return path
    if (runs_dir / where).is_dir():
        return runs_dir / where
    newest = sorted(runs_dir.glob("*/" + RUN_RECORD), key=lambda p: p.stat().st_mtime)[-3:]
    known = ", ".join(p.parent.name for p in reversed(newest)) or "none"
    raise RunNotReadable(
        f"{where}: no such run folder or metrics file, nor a run of that name in {runs_dir} "
        f"(the newest there: {known})"
    )


def read_run(
    where: str, *, runs_dir: Path = RUNS_DIR, latest_link: Path = LATEST_LINK
) -> RunMetrics:
    """Read the metrics of the run ``where`` names (a run folder or a file in it, its
    ``metrics.json`` or a copy of it, a run's name under ``runs_dir``, or ``latest``). A run
    that stopped before merging them (failed, interrupted, still running) is read from the
    notebooks' own files under ``metrics/``, as the merge would have made it."""
    path = _run_folder(where, runs_dir, latest_link)
    if _is_notebook_part(path):
        return _read_notebook_part(path)
    given_file = ""
    if path.is_file() and path.suffix == ".json" and path.name != RUN_RECORD:
        folder, metrics_file = path.parent, path
    else:
        if path.is_file():  # another file of the run: its run.json, its index.html
            given_file, path = f" ({where} is a file of it)", path.parent
        folder, metrics_file = path, path / MERGED_METRICS
    record_file = folder / RUN_RECORD
    record = _read_json(record_file) if record_file.is_file() else {}
    if not isinstance(record, dict):
        raise RunNotReadable(f"{record_file}: not a run record (a JSON object)")
    if metrics_file.is_file():
        metrics = _read_json(metrics_file)
        if not isinstance(metrics, dict):
            raise RunNotReadable(f"{metrics_file}: not a metrics file (a JSON object by notebook)")
        if not any(_NOTEBOOK_KEY.match(str(key)) for key in metrics):
            # any JSON object was compared key by key: a manifest read "0 the same, 1,624 in A
            # only" and exit 0
            keys = ", ".join(map(str, list(metrics)[:3])) or "none"
            raise RunNotReadable(
                f"{metrics_file}: not a metrics file: a run's is keyed by notebook "
                f"(01_data_synthesis, ...), and its keys are {keys}"
            )
    else:
        parts = sorted((folder / METRICS_SUBDIR).glob("*.json"))
        if not parts:
            status = f" (run.json: {record.get('status')})" if record else ""
            raise RunNotReadable(
                f"{folder}: no {MERGED_METRICS} and no {METRICS_SUBDIR}/*.json: no notebook "
                f"of it wrote metrics{status}{given_file}"
            )
        metrics_file = folder / METRICS_SUBDIR
        metrics = {part.stem: _read_json(part) for part in parts}
    # a copy of the file outside its run is named by the file: two side by side share a folder
    copy = metrics_file.is_file() and metrics_file.name != MERGED_METRICS
    label = record.get("run_name") or (metrics_file.name if copy else folder.name)
    return RunMetrics(str(label), metrics_file, metrics, record, folder=folder if record else None)


def _is_notebook_part(path: Path) -> bool:
    """Whether ``path`` is one notebook's metrics file in a run's ``metrics/`` folder."""
    return (
        path.is_file()
        and path.suffix == ".json"
        and path.parent.name == METRICS_SUBDIR
        and (path.parent.parent / RUN_RECORD).is_file()
    )


def _read_notebook_part(path: Path) -> RunMetrics:
    """One notebook's metrics file of a run, keyed by the notebook as the run's merge keys it,
    with the run's record: read as a whole run's, its paths lined up with none of the other
    run's (``train_wall_seconds`` against ``03_rl_training.train_wall_seconds``)."""
    folder = path.parent.parent
    record = _read_json(folder / RUN_RECORD)
    if not isinstance(record, dict):
        raise RunNotReadable(f"{folder / RUN_RECORD}: not a run record (a JSON object)")
    metrics = _read_json(path)
    if not isinstance(metrics, dict):
        raise RunNotReadable(f"{path}: not a notebook's metrics (a JSON object)")
    label = f"{record.get('run_name') or folder.name}, notebook {path.stem}"
    return RunMetrics(label, path, {path.stem: metrics}, record, notebook=path.stem, folder=folder)


def same_notebooks(a: RunMetrics, b: RunMetrics) -> tuple[RunMetrics, RunMetrics, str | None]:
    """The two sides cut to the one notebook either names by its own metrics file, with a
    line saying so (None where neither names one): the rest of the other run is not what was
    asked about. Two different notebooks have nothing to compare, and are refused."""
    named = {run.notebook for run in (a, b) if run.notebook}
    if not named:
        return a, b, None
    if len(named) > 1:
        raise RunNotReadable(
            f"A is notebook {a.notebook}'s metrics and B notebook {b.notebook}'s: name the "
            "same notebook's file in both runs, or two runs"
        )
    (notebook,) = named
    cut = [
        replace(run, metrics={k: v for k, v in run.metrics.items() if k == notebook})
        for run in (a, b)
    ]
    sides = " and ".join(side for side, run in (("A", a), ("B", b)) if run.notebook)
    return cut[0], cut[1], f"notebook {notebook} alone ({sides} named its metrics file)"


def describe_run(run: RunMetrics) -> str:
    """One line saying what a run was: status, commit, processor, params file."""
    record = run.record
    if not record:
        return f"{run.source} (no {RUN_RECORD} beside it)"
    git = _mapping(record.get("git"))
    commit = str(git.get("commit") or "unknown")[:7] + (" with changes" if git.get("dirty") else "")
    status, processor = record.get("status", "unknown"), record.get("processor", "unknown")
    return f"{status}, commit {commit}, {processor}, params {record.get('params_file', 'unknown')}"


def setting_differences(a: RunMetrics, b: RunMetrics) -> list[str]:
    """What the two runs were run with that differs, each said in a few words: the params'
    values (by path), the lock, and the notebooks' Python or library versions. Empty where
    either run has no record."""
    if not (a.record and b.record):
        return []
    said = []
    params = compare_values(a.record.get("params") or {}, b.record.get("params") or {})
    changed = [d.path for d in params.differ] + params.only_a + params.only_b
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        said.append(f"params differ in {len(changed)} value(s): {shown}")
    locks = [_mapping(run.record.get("lock")).get("sha256") for run in (a, b)]
    if locks[0] != locks[1]:
        said.append(f"lock differs ({_short(locks[0])} against {_short(locks[1])})")
    versions = compare_values(
        {"python": a.record.get("python"), **_mapping(a.record.get("libraries"))},
        {"python": b.record.get("python"), **_mapping(b.record.get("libraries"))},
    )
    if not versions.identical:
        names = [d.path for d in versions.differ] + versions.only_a + versions.only_b
        said.append(f"versions differ: {', '.join(names)}")
    if a.record.get("processor") != b.record.get("processor"):
        said.append("processors differ: training takes another path from the same seed")
    return said


def _short(digest: Any) -> str:
    return str(digest)[:12] if digest else "none"


def _shown(value: Any, digits: int | None) -> str:
    if _is_number(value):
        if isinstance(value, int):
            return f"{value:,}"
        return repr(value) if digits is None else f"{value:.{digits}g}"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def shown_difference(difference: Difference) -> tuple[str, str, str]:
    """A differing value as the comparison prints it: A, B and, for two numbers, B - A.
    Numbers are given to seven significant digits, enough to read a change in a score's third
    decimal; where that would print two equal numbers (a difference in the last bits, as
    another processor's arithmetic gives), both are given in full."""
    a, b = difference.a, difference.b
    digits: int | None = 7
    if _shown(a, digits) == _shown(b, digits):
        digits = None
    try:
        change = f"{b - a:+.3g}" if _is_number(a) and _is_number(b) else ""
    except OverflowError:  # an integer past a float's range, against a float
        change = ""
    return _shown(a, digits), _shown(b, digits), change


def _headline_rows(metrics: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The headline rows of a run's metrics, each with the notebook that wrote it, in order."""
    rows = []
    for stem in sorted(metrics):
        section = metrics[stem]
        headline = section.get("headline") if isinstance(section, Mapping) else None
        for row in headline if isinstance(headline, list) else []:
            if isinstance(row, Mapping):
                rows.append((str(stem), dict(row)))
    return rows


def _pairs(
    a: list[tuple[str, dict[str, Any]]], b: list[tuple[str, dict[str, Any]]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Run A's headline rows paired with run B's: by notebook, area and metric, then the rows
    left of one notebook and area in their order, so that a row whose label says something of
    its run ("... an earlier training's: this run kept every run") is still the same row; a row
    with no partner is paired with an empty one."""

    def key(stem: str, row: dict[str, Any]) -> tuple[str, str, str]:
        return stem, str(row.get("area", "")), str(row.get("metric", ""))

    exact_b = {key(*item): item[1] for item in b}
    exact_a = {key(*item) for item in a}
    pairs, left_a = [], []
    for stem, row in a:
        if key(stem, row) in exact_b:
            pairs.append((row, exact_b[key(stem, row)]))
        else:
            left_a.append((stem, row))
    left_b = [(stem, row) for stem, row in b if key(stem, row) not in exact_a]
    for stem, row in left_a:
        partner = next(
            (i for i, (s, r) in enumerate(left_b) if key(s, r)[:2] == key(stem, row)[:2]), None
        )
        pairs.append((row, left_b.pop(partner)[1] if partner is not None else {}))
    pairs.extend(({}, row) for _, row in left_b)
    return pairs


def headline_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, str]]:
    """The headline rows of run A whose value or target is not run B's (`_pairs`; a row one
    run has and the other lacks included, its other side empty), under run A's words where it
    has the row: what a reader of the front page would see change."""
    changes = []
    for row_a, row_b in _pairs(_headline_rows(a), _headline_rows(b)):
        if any(str(row_a.get(c, "")) != str(row_b.get(c, "")) for c in ("value", "target")):
            named = row_a or row_b
            changes.append(
                {
                    "area": str(named.get("area", "")),
                    "metric": str(named.get("metric", "")),
                    "value": str(row_a.get("value", "")),
                    "previous": str(row_b.get("value", "")),
                }
            )
    return changes


def _run_records(runs_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each run folder of ``runs_dir`` with its record, once (`run_folders`); a run.json that
    is missing, cannot be read, or is no object, is passed over."""
    for folder in run_folders(runs_dir):
        try:
            record = json.loads((folder / RUN_RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            yield folder, record


def last_complete_run(run_dir: Path) -> Path | None:
    """The newest run beside ``run_dir`` that started before it, ran every notebook with the
    same params and succeeded: what a run is set beside on its front page, and what `aura runs
    compare` sets a run named alone beside. Not simply the run ``reports/latest`` shows: after a
    smoke run, a default run would have been set beside nothing of its own params."""
    this = _read_json(run_dir / RUN_RECORD)
    params, before = this.get("params"), record_time(this, "started_at")
    found = []
    for folder, record in _run_records(run_dir.parent):
        start = record_time(record, "started_at")
        if (
            folder.name != run_dir.name
            and record.get("status") == "ok"
            and not record.get("left_out")
            and record.get("params") == params
            and (before is None or (start is not None and start < before))
        ):
            found.append((start or _EARLIEST, folder.name))
    return run_dir.parent / max(found)[1] if found else None


def previous_run(run: RunMetrics) -> RunMetrics:
    """The last complete run of ``run``'s params before it (`last_complete_run`), read as a run
    to compare with; refused in one line where there is none, or no record to find it by."""
    if run.folder is None:
        raise RunNotReadable(
            f"{run.label}: no {RUN_RECORD} beside it, so no params to find an earlier run of: "
            "name the run to compare it with"
        )
    previous = last_complete_run(run.folder)
    if previous is None:
        raise RunNotReadable(
            f"{run.label}: no complete run of its params "
            f"({run.record.get('params_file', 'unknown')}) before it in {run.folder.parent}: "
            "name the run to compare it with"
        )
    return read_run(str(previous))


def against_previous(run_dir: Path, previous_dir: Path) -> dict[str, Any]:
    """What run.json keeps of a run against the last complete run of its params before it
    (`last_complete_run`), for its front page: that run's name, how many values of
    ``metrics.json`` are the same, the headline rows that changed, and whether the processors
    differ (training then takes another path)."""
    this, previous = read_run(str(run_dir)), read_run(str(previous_dir))
    result = compare_values(this.metrics, previous.metrics)
    return {
        "run": previous.label,
        "values": result.compared + len(result.only_a) + len(result.only_b),
        "same": result.same,
        "other_processor": this.record.get("processor") != previous.record.get("processor"),
        "headline": headline_changes(this.metrics, previous.metrics),
    }
