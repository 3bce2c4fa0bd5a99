"""The run's front page, `index.html`: headline metrics, key figures and links to every report.

Stakeholders open `reports/latest/index.html` and nothing else, so the page is self-contained
(plain HTML and CSS, no scripts, figures as relative links) and shows each number beside its
reference. Notebooks feed it through `write_metrics(..., {"headline": [...]})` rows and
`save_figure`; the runner calls `write_index` after every run, failed ones included.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aura.config import project_path
from aura.reports.glossary import terms_used
from aura.reports.metrics import HEADLINE_COLUMNS, HEADLINE_KEY, MERGED_METRICS
from aura.reports.run_compare import AGAINST_KEY
from aura.reports.run_status import RUN_RECORD, RUNNING, STOPPED, record_time, run_status

FIGURES_SUBDIR = "figures"
INDEX_FILE = "index.html"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222;
  padding: 0 1rem; }
#reports a { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: left; }
th { background: #f3f3f3; }
td.value { font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0; max-width: 60rem; }
figure img { max-width: 100%; border: 1px solid #ddd; }
dl.terms { max-width: 60rem; } dl.terms dt { font-weight: bold; }
dl.terms dd { margin: 0 0 0.4rem 1.5rem; }
.status-ok { color: #1a7f37; } .status-failed, .status-stopped { color: #cf222e; }
"""


KEY_FIGURE_DPI = 110
"""The resolution a key figure is saved at for the front page."""
KEY_FIGURE_PX = 960
"""The widest a key figure is shown on the front page: its ``figure`` element's 60rem (16-pixel
rem); a wider image is scaled down to it, its text with it."""

FIGURE_ORDER = ("rl_normalised_scores", "off_policy_estimates", "tutor_pools")
"""The known key figures in the headline table's order (RL scores, off-policy estimates, tutor
pools; the supervised models have no key figure): a reader meets each figure in the order of the
numbers it draws. Any other figure follows them, by name."""

ALT_SUFFIX = ".alt.txt"
"""Beside a key figure, its alt text; its caption is in ``<name>.txt``."""


def save_figure(
    fig: Any, run_dir: str | Path | None, name: str, caption: str = "", *, alt: str = ""
) -> None:
    """Save a matplotlib figure as a key figure of the run (nothing when there is no run), with
    the caption the front page shows under it (what to read from it; its file name otherwise)
    and the alt text of its image (what it shows; the caption otherwise), for a reader who
    cannot see it. Like `write_metrics`, it returns nothing for a notebook cell to print into
    the report."""
    if run_dir is None:
        return
    out = project_path(run_dir) / FIGURES_SUBDIR / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=KEY_FIGURE_DPI, bbox_inches="tight")
    if caption:
        out.with_suffix(".txt").write_text(caption, encoding="utf-8")
    if alt:
        out.with_suffix(ALT_SUFFIX).write_text(alt, encoding="utf-8")


def key_figures(figures_dir: Path) -> list[Path]:
    """The key figures in ``figures_dir`` in the order the front page shows them: `FIGURE_ORDER`,
    then any other by name. By name alone, the off-policy figure came before the RL scores."""
    rank = {name: i for i, name in enumerate(FIGURE_ORDER)}
    return sorted(
        figures_dir.glob("*.png"), key=lambda fig: (rank.get(fig.stem, len(rank)), fig.name)
    )


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _seconds(value: float) -> str:
    """A notebook's time for the reports table, to a tenth of a second with thousands
    separated, one format down the column: four significant digits read 7.124 beside 208.8 and
    92.34, three precisions for one measure."""
    return f"{float(value):,.1f}"


def headline_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Headline rows of every notebook, in notebook order."""
    rows: list[dict[str, Any]] = []
    for stem in sorted(metrics):
        section = metrics[stem]
        if isinstance(section, dict):
            rows.extend(section.get(HEADLINE_KEY, []))
    return rows


def _link(name: str, outputs: list[str]) -> str:
    return f"<a href='{name}'>{name}</a>" if name in outputs else "—"


def _table(rows: list[dict[str, Any]]) -> str:
    head = "".join(f'<th scope="col">{c.capitalize()}</th>' for c in HEADLINE_COLUMNS)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{c}">{html.escape(_format(row.get(c, "")))}</td>' for c in HEADLINE_COLUMNS
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<table id="headline-metrics"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _terms(rows: list[dict[str, Any]]) -> str:
    """The terms the headline rows use, each defined (`aura.reports.glossary`): the page is read
    alone, by people who have not read the notebooks that define them. Empty without rows."""
    used = terms_used(str(row.get(c, "")) for row in rows for c in HEADLINE_COLUMNS)
    if not used:
        return ""
    items = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>" for term, text in used
    )
    return f"<h3>Terms in the table</h3><dl class='terms' id='terms'>{items}</dl>"


CLOCK = "%Y-%m-%d %H:%M:%S"
"""How a report writes a moment in UTC, "2026-12-07 14:03:46"."""


def utc_time(stamp: str) -> str:
    """An ISO time stamp of run.json as a reader writes a time, "2026-12-07 14:03:46 UTC"; a
    stamp that does not parse (a hand-edited record) as it is."""
    try:
        return f"{datetime.fromisoformat(stamp).astimezone(UTC):{CLOCK}} UTC"
    except ValueError:
        return stamp


def _period(record: dict[str, Any]) -> str:
    """When the run ran, in UTC as a reader writes a time, with how long it took: the page gave
    run.json's ISO stamps, "2026-12-07T14:03:46+00:00 to 2026-12-07T14:13:20+00:00", broken
    across lines at their hyphens, and "to None" for a run under way or stopped. A stamp that
    does not parse (a hand-edited record) is shown as it is."""
    started, finished = record.get("started_at"), record.get("finished_at")
    start, end = record_time(record, "started_at"), record_time(record, "finished_at")
    if start is None or (finished and end is None):
        return f"{started} to {finished or 'not finished'}"
    if end is None:
        return f"started {start:{CLOCK}} UTC, not finished"
    until = f"{end:%H:%M:%S}" if end.date() == start.date() else f"{end:{CLOCK}}"
    return f"{start:{CLOCK}} to {until} UTC ({took_text(start, end)})"


def took_text(start: datetime, end: datetime) -> str:
    """How long a run took, as its front page and `aura runs list` say it: "9 min 34 s", or
    "25 h 2 min" past an hour."""
    minutes, seconds = divmod(round((end - start).total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"


def _host(record: dict[str, Any]) -> str:
    """Where the run ran, as far as run.json says (older records lack some of it)."""
    parts = [str(record["processor"])] if record.get("processor") else []
    if record.get("python"):
        parts.append(f"Python {record['python']}")
    if record.get("host_speed_s") is not None:
        parts.append(
            f"host speed {_format(record['host_speed_s'])} s (a fixed loop's median; lower is "
            "faster)"
        )
    versions = record.get("libraries") or {}
    libraries = ", ".join(f"{name} {version}" for name, version in versions.items() if version)
    lock = _lock(record.get("lock"))
    return " · ".join(parts + ([libraries] if libraries else []) + ([lock] if lock else []))


def _cell_limit(record: dict[str, Any]) -> str:
    """The per-cell time limit the run had (`aura run --cell-timeout`), as the end of the status
    line; nothing for a run without one, or a record from before the option."""
    limit = record.get("cell_timeout_s")
    return "" if limit is None else f" · each cell limited to {_format(limit)} s (--cell-timeout)"


def _lock(lock: dict[str, Any] | None) -> str:
    """The lock the run's environment was installed from (`aura.dependency_lock.lock_record`),
    and each package it held at another version, which a reader reproducing the run needs."""
    if not lock:
        return ""
    digest = f"{lock['file']} {str(lock['sha256'])[:12]}"
    off = lock.get("off_lock") or {}
    if not off:
        return f"{digest}, every package at its locked version"
    listed = ", ".join(
        f"{name} {installed or 'missing'} ({f'locked {locked}' if locked else 'not locked'})"
        for name, (installed, locked) in off.items()
    )
    return f"{digest}, {len(off)} {'package' if len(off) == 1 else 'packages'} off it: {listed}"


def _partial_note(record: dict[str, Any]) -> str:
    """The line that says a run of some notebooks (`aura run --only`) is one: its page shows
    those notebooks' results alone, so it names the others and links the last complete run."""
    ran = ", ".join(Path(nb["name"]).stem for nb in record.get("notebooks", []))
    left_out = ", ".join(Path(name).stem for name in record.get("left_out") or [])
    latest = record.get("last_complete_run") or {}
    if latest.get("run"):
        link = html.escape(f"{latest['link']}/{INDEX_FILE}", quote=True)
        name = html.escape(Path(latest["link"]).name)
        where = (
            f"The last complete run is <a href='{link}'>{name}</a> "
            f"(<code>{html.escape(latest['run'])}</code> when this run started)."
        )
    else:
        where = (
            "No complete run had succeeded when this run started: <code>aura run</code> "
            "without <code>--only</code> makes one."
        )
    return (
        f"<p class='note'><strong>Partial run</strong> (<code>--only</code>): "
        f"{html.escape(left_out)} did not run, so this page shows {html.escape(ran)} alone. "
        f"{where}</p>"
    )


_NOT_FINISHED = {"pending": "not run", RUNNING: "cut off"}
"""How the notebooks table's statuses read in the note on missing rows."""


def _missing_rows_note(record: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The line that says which notebooks' headline rows a failed or stopped run's page lacks:
    its table showed the rows it had as if they were all, with nothing to say that the
    notebooks that did not finish reported none. Empty if every notebook finished or wrote
    its rows before it stopped."""
    absent = [
        (Path(nb["name"]).stem, str(nb.get("status")))
        for nb in record.get("notebooks", [])
        if nb.get("status") != "ok"
        and not (metrics.get(Path(nb["name"]).stem) or {}).get(HEADLINE_KEY)
    ]
    if not absent:
        return ""
    names = ", ".join(f"{stem} ({_NOT_FINISHED.get(status, status)})" for stem, status in absent)
    return (
        "<p class='note' id='missing-rows'>The run ended before every notebook had finished: "
        f"headline rows of {html.escape(names)} are missing.</p>"
    )


def _against(record: dict[str, Any]) -> str:
    """The section that sets this run beside the last complete run of its params before it
    (`aura runs compare` for the whole file): a reader of the page sees at once whether a
    number moved, and which. Empty where there is none (the first run of its params) and on
    the page of a run of some notebooks, or of a failed or stopped one."""
    against = record.get(AGAINST_KEY)
    if not against:
        return ""
    name = html.escape(str(against["run"]))
    # through the link in the run's folder, which holds from reports/latest/ too (the runner's
    # `_against_last_complete_run`); else the folder's name as a URL: a '#', '?' or '%' in it
    # would read as a fragment, a query or an escape (a run named with `aura run --run-name`)
    through = against.get("link")
    folder = quote(str(through)) if through else f"../{quote(str(against['run']), safe='')}"
    href = html.escape(f"{folder}/{INDEX_FILE}", quote=True)
    link = f"<a href='{href}'>{name}</a>"
    parts = ["<h3>Against the last complete run of these params</h3>"]
    if against.get("unreadable"):
        parts.append(f"<p>{link} could not be read: {html.escape(against['unreadable'])}</p>")
        return "".join(parts)
    changes = against.get("headline") or []
    moved = (
        f"{len(changes)} headline {'value differs' if len(changes) == 1 else 'values differ'}"
        if changes
        else "every headline value is the same"
    )
    parts.append(
        f"<p>Against {link}: {moved}; {against['same']:,} of the "
        f"{against['values']:,} values of metrics.json are the same (<code>aura runs "
        "compare</code> lists the others)."
        + (
            f" {name} ran on another processor, where training takes another path from the same "
            "seed."
            if against.get("other_processor")
            else ""
        )
        + "</p>"
    )
    if changes:
        head = "".join(f'<th scope="col">{c}</th>' for c in ("Area", "Metric", "This run", name))
        cells = (("area", "area"), ("metric", "metric"), ("value", "value"), ("value", "previous"))
        body = "".join(
            "<tr>"
            + "".join(f'<td class="{c}">{html.escape(change[key])}</td>' for c, key in cells)
            + "</tr>"
            for change in changes
        )
        parts.append(
            f"<table id='against'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(parts)


def write_index(run_dir: str | Path) -> Path:
    """Write `<run_dir>/index.html` from run.json, metrics.json and the figures folder."""
    out = Path(run_dir) / INDEX_FILE
    out.write_text(_page(Path(run_dir)), encoding="utf-8")
    return out


def _page(run_dir: Path) -> str:
    """The front page of the run in ``run_dir``, as HTML."""
    record = json.loads((run_dir / RUN_RECORD).read_text())
    metrics_file = run_dir / MERGED_METRICS
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    rows = headline_rows(metrics)
    status, shown = run_status(record)
    git = record.get("git") or {}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>AURA run {html.escape(record['run_name'])}</title><style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>AURA run {html.escape(record['run_name'])}</h1>",
        f"<p>Status: <strong class='status-{html.escape(status)}'>{html.escape(shown)}</strong>"
        f" · params <code>{html.escape(str(record.get('params_file')))}</code>"
        f" · commit <code>{html.escape(str(git.get('commit')))}</code>"
        f"{' with uncommitted changes' if git.get('dirty') else ''}"
        f" · {html.escape(_period(record))}{_cell_limit(record)}</p>",
    ]
    if record.get("complete") is False:
        parts.append(_partial_note(record))
    host = _host(record)
    if host:
        parts.append(f"<p>Host: {html.escape(host)}</p>")
    if Path(str(record.get("params_file"))).name != "default.yaml":
        parts.append(
            "<p class='note'>These are not the default params. The notebooks' prose quotes the "
            "record at default params (docs/rl.md, the README); this run's own numbers are in "
            "their tables and figures, and where the two differ, the tables are this run.</p>"
        )
    if record.get("error"):
        parts.append(f"<pre>{html.escape(record['error'])}</pre>")
    parts.append("<h2>Headline metrics</h2>")
    parts.append(
        "<p>Every number stands beside its reference: random and oracle for policies, "
        "baselines and the simulator's Bayes floor for models, the true value for off-policy "
        "estimates and the spec's allowance for the RL grid's wall time.</p>"
    )
    parts.append(_table(rows) if rows else "<p>No headline metrics were recorded.</p>")
    note = _missing_rows_note(record, metrics) if status != RUNNING else ""
    if note:
        parts.append(note)
    parts.append(_against(record))  # beside the table it compares, above the terms' list
    parts.append(_terms(rows))
    figures = key_figures(run_dir / FIGURES_SUBDIR)
    if figures:
        parts.append("<h2>Key figures</h2>")
        for fig in figures:
            rel = f"{FIGURES_SUBDIR}/{fig.name}"
            text, alt_text = fig.with_suffix(".txt"), fig.with_suffix(ALT_SUFFIX)
            caption = html.escape(
                text.read_text(encoding="utf-8") if text.is_file() else fig.stem.replace("_", " ")
            )
            alt = (
                html.escape(alt_text.read_text(encoding="utf-8")) if alt_text.is_file() else caption
            )
            parts.append(f"<figure><img src='{rel}' alt='{alt}'>")
            parts.append(f"<figcaption>{caption}</figcaption></figure>")
    head = "".join(
        f'<th scope="col">{name}</th>'
        for name in ("Notebook", "Status", "Seconds", "Peak memory (MiB)", "Report", "With code")
    )
    parts.append(f"<h2>Reports</h2><table id='reports'><thead><tr>{head}</tr></thead><tbody>")
    for nb in record.get("notebooks", []):
        stem = Path(nb["name"]).stem
        outputs = nb.get("outputs") or []
        report = f"{stem}.report.html"
        full = f"{stem}.html"
        seconds = "" if nb.get("seconds") is None else _seconds(nb["seconds"])  # not yet run
        # empty too in a record from before the runner measured it
        memory = "" if nb.get("peak_memory_mib") is None else f"{nb['peak_memory_mib']:,.0f}"
        parts.append(
            f"<tr><td>{html.escape(stem)}</td><td>{html.escape(str(nb.get('status')))}</td>"
            f"<td>{seconds}</td><td>{memory}</td><td>{_link(report, outputs)}</td>"
            f"<td>{_link(full, outputs)}</td></tr>"
        )
    parts.append("</tbody></table>")
    reproduce = record.get("reproduce") or record.get("command")  # run.json before "reproduce"
    parts.append("<p>Reproduce: <code>" + html.escape(str(reproduce)) + "</code>")
    parts.append(
        " (<a href='params.yaml'>params.yaml</a> is the params file as run; "
        "<a href='run.json'>run.json</a> has the params, library versions, host and git "
        "state).</p></body></html>"
    )
    return "\n".join(parts)


def rewrite_stopped_pages(runs_dir: Path) -> list[str]:
    """Rewrite the front page of each run in ``runs_dir`` that says it is running while its
    process is gone from this host, and name the runs whose page changed: killed outright, such
    a run wrote its page for the last time as it ran, and the page said "running" for ever."""
    stopped = []
    for record_file in sorted(runs_dir.glob(f"*/{RUN_RECORD}")):
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a run being created, or not a run's folder
            continue
        if not isinstance(record, dict) or run_status(record)[0] != STOPPED:
            continue
        page, index = _page(record_file.parent), record_file.parent / INDEX_FILE
        if not index.is_file() or index.read_text(encoding="utf-8") != page:
            index.write_text(page, encoding="utf-8")
            stopped.append(record_file.parent.name)
    return stopped
