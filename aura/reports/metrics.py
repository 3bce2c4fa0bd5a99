"""Metrics that notebooks hand to the run, and their merge into one ``metrics.json``.

Each notebook writes its own ``<run_dir>/metrics/<stem>.json`` so notebooks never contend for one
file and a failed run still keeps the metrics of the notebooks that finished. The runner merges
them at the end, keyed by notebook stem, so a run can be compared with another by one file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aura.config import project_path
from aura.files import strict_json, write_text_atomically

METRICS_SUBDIR = "metrics"
MERGED_METRICS = "metrics.json"
HEADLINE_KEY = "headline"
"""The key of a notebook's metrics whose rows reach the run's front page (`aura.reports.index`)."""
HEADLINE_COLUMNS = ("area", "metric", "value", "reference", "target")
"""A headline row: what part of AURA, which metric, its value, the reference beside it, and the
target it was set, met or missed (empty where a row has none)."""


def _to_json(value: Any) -> Any:
    """Turn numpy scalars and arrays (and paths) into plain JSON values."""
    if hasattr(value, "tolist"):  # numpy arrays and numpy scalars
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(metrics: dict[str, Any]) -> str:
    """Strict JSON of ``metrics`` (`aura.files.strict_json`): numpy values and paths included,
    non-finite numbers as null."""
    return strict_json(metrics, default=_to_json, sort_keys=True)


def _row_problem(row: Any) -> str | None:
    """What is wrong with one headline row, or None."""
    if not isinstance(row, Mapping):
        return f"is a {type(row).__name__}"
    unknown = sorted(map(str, set(row) - set(HEADLINE_COLUMNS)))
    return f"has key(s) {', '.join(unknown)}" if unknown else None


def check_headline(stem: str, metrics: Mapping[str, Any]) -> None:
    """Refuse a ``headline`` that is not a list of rows keyed by `HEADLINE_COLUMNS`. The front
    page read the keys of a mapping as rows and stopped in an AttributeError once every notebook
    had run, naming none of them; checked here, the notebook that wrote it fails in its own cell,
    in JupyterLab and nbval too."""
    rows = metrics.get(HEADLINE_KEY)
    if rows is None:
        return
    if isinstance(rows, list):
        problems = [f"row {k} {p}" for k, row in enumerate(rows) if (p := _row_problem(row))]
    else:
        problems = [f"got a {type(rows).__name__}"]
    if problems:
        raise ValueError(
            f"{stem}'s metrics: {HEADLINE_KEY!r} must be a list of rows, each a mapping with "
            f"some of the keys {', '.join(HEADLINE_COLUMNS)}; {'; '.join(problems)}"
        )


def write_metrics(run_dir: str | Path | None, stem: str, metrics: dict[str, Any]) -> None:
    """Write one notebook's metrics into the run directory.

    ``run_dir`` is ``None`` when a notebook runs on its literal defaults (JupyterLab, nbval): then
    there is no run to report to and nothing is written. The file is written aside and renamed so
    a reader never sees half of it. Nothing is returned, so a notebook cell that ends with this
    call shows no path of the machine it ran on in the stakeholders' report.
    """
    check_headline(stem, metrics)
    if run_dir is None:
        return
    out = project_path(run_dir) / METRICS_SUBDIR / f"{stem}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(out, _dumps(metrics))


def collect_metrics(run_dir: str | Path) -> dict[str, Any] | None:
    """Merge ``<run_dir>/metrics/*.json`` into ``<run_dir>/metrics.json``, keyed by file stem.

    Returns the merged dict, or ``None`` (and writes nothing) when no notebook wrote metrics.
    """
    run_dir = Path(run_dir)
    files = sorted((run_dir / METRICS_SUBDIR).glob("*.json"))
    if not files:
        return None
    text = _dumps({f.stem: json.loads(f.read_text()) for f in files})
    write_text_atomically(run_dir / MERGED_METRICS, text)
    return json.loads(text)
