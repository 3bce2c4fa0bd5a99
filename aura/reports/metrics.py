"""Metrics that notebooks hand to the run, and their merge into one ``metrics.json``.

Each notebook writes its own ``<run_dir>/metrics/<stem>.json`` so notebooks never contend for one
file and a failed run still keeps the metrics of the notebooks that finished. The runner merges
them at the end, keyed by notebook stem, so a run can be compared with another by one file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aura.config import project_path
from aura.files import strict_json, write_text_atomically

METRICS_SUBDIR = "metrics"
MERGED_METRICS = "metrics.json"


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


def write_metrics(run_dir: str | Path | None, stem: str, metrics: dict[str, Any]) -> None:
    """Write one notebook's metrics into the run directory.

    ``run_dir`` is ``None`` when a notebook runs on its literal defaults (JupyterLab, nbval): then
    there is no run to report to and nothing is written. The file is written aside and renamed so
    a reader never sees half of it. Nothing is returned, so a notebook cell that ends with this
    call shows no path of the machine it ran on in the stakeholders' report.
    """
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
