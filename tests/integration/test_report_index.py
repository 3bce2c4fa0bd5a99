"""The run's front page: built from run.json and metrics.json, and rendered by a real browser."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from chromium import dump_dom

from aura.reports import save_figure, write_index, write_metrics
from aura.reports.index import rewrite_stopped_pages
from aura.reports.metrics import collect_metrics


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "default-20261125T000000Z"
    run.mkdir()
    record = {
        "run_name": run.name,
        "status": "ok",
        "params_file": "params/default.yaml",
        "command": "aura run --params params/default.yaml",
        "git": {"commit": "0123abc", "dirty": False},
        "python": "3.11.7",
        "processor": "AMD EPYC",
        "host_speed_s": 0.0581,
        "libraries": {"aura": "0.1.0", "torch": "2.13.0+cpu", "optuna": None},
        "started_at": "2026-11-25T00:00:00+00:00",
        "finished_at": "2026-11-25T00:10:00+00:00",
        "notebooks": [
            {
                "name": "01_data_synthesis.ipynb",
                "status": "ok",
                "seconds": 3.2,
                "peak_memory_mib": 1234.4,
                "outputs": [
                    "01_data_synthesis.ipynb",
                    "01_data_synthesis.html",
                    "01_data_synthesis.report.html",
                ],
            }
        ],
    }
    (run / "run.json").write_text(json.dumps(record))
    headline = [
        {
            "area": "RL",
            "metric": "PPO normalised score",
            "value": 0.9312,
            "reference": "oracle 1",
            "target": "at least 0.90: met",
        },
        {"area": "Supervised", "metric": "difficulty accuracy", "value": 0.89, "reference": "0.92"},
    ]
    write_metrics(run, "05_evaluation", {"headline": headline})
    collect_metrics(run)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, run, "learning_curves")
    save_figure(fig, run, "scores", "Each policy's score <beside> its references.")
    save_figure(fig, run, "trend", "Read the rise.", alt="A line from 0 to 1 & back")
    plt.close(fig)
    return run


def test_index_lists_headline_metrics_figures_and_reports(run_dir: Path) -> None:
    page = write_index(run_dir).read_text()
    assert 'id="headline-metrics"' in page
    assert "PPO normalised score" in page and "0.9312" in page and "oracle 1" in page
    assert '<th scope="col">Target</th>' in page and "at least 0.90: met" in page
    assert "figures/learning_curves.png" in page
    assert "<figcaption>learning curves</figcaption>" in page  # no caption: its file name
    caption = "Each policy&#x27;s score &lt;beside&gt; its references."  # escaped, as in alt=''
    assert f"<figcaption>{caption}</figcaption>" in page
    assert f"alt='{caption}'" in page  # no alt text given: the caption
    assert "alt='A line from 0 to 1 &amp; back'>\n<figcaption>Read the rise.</figcaption>" in page
    assert "01_data_synthesis.report.html" in page
    assert "0123abc" in page and "uncommitted" not in page
    assert "Host: AMD EPYC · Python 3.11.7 · host speed 0.0581 s" in page
    assert "aura 0.1.0, torch 2.13.0+cpu</p>" in page  # a library not installed is left out
    assert "<a href='run.json'>run.json</a>" in page
    assert "not the default params" not in page


def test_key_figures_follow_the_headline_tables_order(run_dir: Path) -> None:
    """The headline table reads RL, supervised, off-policy, tutor pools; by file name alone the
    off-policy figure came before the RL scores. Figures outside that order follow, by name."""
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    for name in ("tutor_pools", "off_policy_estimates", "rl_normalised_scores"):
        save_figure(fig, run_dir, name)
    plt.close(fig)
    page = write_index(run_dir).read_text()
    order = [
        "rl_normalised_scores",
        "off_policy_estimates",
        "tutor_pools",
        "learning_curves",
        "scores",
        "trend",
    ]
    positions = [page.index(f"figures/{name}.png") for name in order]
    assert positions == sorted(positions)


def test_a_run_of_other_params_or_uncommitted_code_says_so(run_dir: Path) -> None:
    """At smoke scale the notebooks' prose (the record at default params) and their tables
    disagree; the front page says which is the run's."""
    record = json.loads((run_dir / "run.json").read_text())
    record.update(params_file="params/smoke.yaml", git={"commit": "0123abc", "dirty": True})
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "<code>0123abc</code> with uncommitted changes" in page
    assert "These are not the default params" in page


def test_the_host_line_names_the_lock_and_every_package_off_it(run_dir: Path) -> None:
    """A reader reproducing a run installs from the lock it names; a package the run held at
    another version (or that the lock lacks) is named with both versions."""
    record = json.loads((run_dir / "run.json").read_text())
    record["lock"] = {
        "file": "constraints.txt",
        "sha256": "ce12a48a595b" + "0" * 52,
        "off_lock": {},
    }
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "torch 2.13.0+cpu · constraints.txt ce12a48a595b, every package at its locked" in page
    record["lock"]["off_lock"] = {"numpy": ["2.5.0", "2.4.6"], "rich": ["15.1", None]}
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert (
        "constraints.txt ce12a48a595b, 2 packages off it: numpy 2.5.0 (locked 2.4.6), "
        "rich 15.1 (not locked)</p>"
    ) in page


def test_a_notebook_not_yet_run_has_an_empty_time(run_dir: Path) -> None:
    record = json.loads((run_dir / "run.json").read_text())
    record["notebooks"].append({"name": "02_environment_design.ipynb", "status": "pending"})
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "<td>02_environment_design</td><td>pending</td><td></td>" in page
    assert "None" not in page


def test_each_notebook_row_shows_its_peak_memory_or_nothing_from_an_older_record(
    run_dir: Path,
) -> None:
    """The column a reader sizes a machine by: MiB with thousands separated, and an empty cell
    for a record written before the runner measured it (not "None", not 0)."""
    page = write_index(run_dir).read_text()
    assert '<th scope="col">Peak memory (MiB)</th>' in page
    assert "<td>3.2</td><td>1,234</td>" in page
    record = json.loads((run_dir / "run.json").read_text())
    del record["notebooks"][0]["peak_memory_mib"]
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "<td>3.2</td><td></td>" in page and "None" not in page


def test_each_notebook_row_gives_its_seconds_to_a_tenth(run_dir: Path) -> None:
    """One format down the column: four significant digits wrote 7.124 beside 208.8 and 92.34."""
    record = json.loads((run_dir / "run.json").read_text())
    record["notebooks"][0]["seconds"] = 7.1239
    record["notebooks"].append({"name": "02_environment_design.ipynb", "status": "ok"})
    record["notebooks"][1]["seconds"] = 1208.84
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "<td>ok</td><td>7.1</td>" in page
    assert "<td>ok</td><td>1,208.8</td>" in page


def test_a_value_and_its_interval_stay_on_one_line(run_dir: Path) -> None:
    """The value column is narrow: "0.843 [0.810, 0.876]" broke into three lines, the interval's
    two ends on two of them."""
    page = write_index(run_dir).read_text()
    rule = next(line for line in page.splitlines() if line.startswith("td.value"))
    assert "white-space: nowrap" in rule


def test_the_terms_the_headline_table_uses_are_defined_below_it(run_dir: Path) -> None:
    """Read alone, the front page named the oracle, the hand rule, Bayes, IPS and DR without
    saying what any of them is; terms its rows do not use are left out."""
    page = write_index(run_dir).read_text()
    terms = page[page.index("id='terms'") :]
    assert page.index('id="headline-metrics"') < page.index("id='terms'")
    assert "<dt>normalised score</dt><dd>a policy&#x27;s mean return placed between" in terms
    assert "<dt>oracle</dt><dd>a policy that reads the simulator&#x27;s hidden state" in terms
    assert "<dt>PPO, DQN, A2C</dt>" in terms
    assert "IPS, SNIPS, DR" not in terms and "Bayes" not in terms
    write_metrics(
        run_dir,
        "05_evaluation",
        {"headline": [{"area": "Off-policy", "metric": "PPO: DR estimate", "value": "0.795"}]},
    )
    collect_metrics(run_dir)
    terms = write_index(run_dir).read_text().split("id='terms'")[1]
    assert "<dt>IPS, SNIPS, DR</dt><dd>inverse propensity scoring" in terms
    assert "<dt>oracle</dt>" not in terms


def test_a_page_without_headline_rows_defines_no_terms(run_dir: Path) -> None:
    (run_dir / "metrics.json").unlink()
    assert "id='terms'" not in write_index(run_dir).read_text()


def test_the_run_s_times_read_as_a_time_in_utc_with_how_long_it_took(run_dir: Path) -> None:
    """The page gave run.json's ISO stamps, which broke across lines at their hyphens, and "to
    None" for a run not finished."""
    page = write_index(run_dir).read_text()
    assert " · 2026-11-25 00:00:00 to 00:10:00 UTC (10 min 0 s)</p>" in page
    assert "+00:00" not in page.split("<h2>")[0]
    record = json.loads((run_dir / "run.json").read_text())
    record.update(status="running", finished_at=None)
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert " · started 2026-11-25 00:00:00 UTC, not finished</p>" in page
    assert "None" not in page
    record.update(finished_at="2026-11-26T01:02:03+00:00", status="ok")
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert " · 2026-11-25 00:00:00 to 2026-11-26 01:02:03 UTC (25 h 2 min)</p>" in page


def test_index_without_metrics_says_so(run_dir: Path) -> None:
    (run_dir / "metrics.json").unlink()
    assert "No headline metrics were recorded" in write_index(run_dir).read_text()


def test_headless_chromium_shows_the_metrics_table(run_dir: Path, tmp_path: Path) -> None:
    """Render the page in Debian's Chromium and read the DOM it built (installed by .ci/run)."""
    index = write_index(run_dir)
    dom = dump_dom(index, tmp_path / "profile")
    assert '<table id="headline-metrics">' in dom
    assert '<td class="metric">PPO normalised score</td>' in dom
    assert '<td class="value">0.9312</td>' in dom


PAGE_WIDTH = """<script>window.addEventListener("load", () => {
  const out = document.createElement("pre");
  out.id = "width";
  const page = document.documentElement;
  out.textContent = `${page.clientWidth} ${page.scrollWidth}`;
  document.body.appendChild(out);
});</script>"""
"""Writes the page's visible width and how far it scrolls sideways into the DOM."""


def test_the_front_page_fits_a_1024_pixel_window(run_dir: Path, tmp_path: Path) -> None:
    """The reports table's file names, which hold no place to break, made a default run's page
    1,060 pixels wide in a 1,024-pixel window: its last column was reached by scrolling."""
    record = json.loads((run_dir / "run.json").read_text())
    names = ["01_data_synthesis", "02_environment_design", "03_rl_training"]
    names += ["04_supervised_training", "05_evaluation", "06_model_export"]
    record["notebooks"] = [
        {
            **record["notebooks"][0],
            "name": f"{name}.ipynb",
            "seconds": 1208.8,
            "outputs": [f"{name}.ipynb", f"{name}.html", f"{name}.report.html"],
        }
        for name in names
    ]
    (run_dir / "run.json").write_text(json.dumps(record))
    index = write_index(run_dir)
    index.write_text(index.read_text().replace("</body>", PAGE_WIDTH + "</body>"))
    dom = dump_dom(index, tmp_path / "profile", "--window-size=1024,800")
    found = re.search(r'<pre id="width">(\d+) (\d+)</pre>', dom)
    assert found, "the page did not measure itself"
    visible, scrolled = map(int, found.groups())
    assert scrolled <= visible, (visible, scrolled)


def _gone_pid() -> int:
    """The id of a process that has exited and been reaped."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_running_run_whose_process_is_gone_says_it_stopped(run_dir: Path) -> None:
    """A run killed outright (SIGKILL, the out-of-memory killer) left its page saying
    "running" for ever. Its record names its process: gone from this host, the run stopped;
    on another host, the page says it cannot be checked."""
    record = json.loads((run_dir / "run.json").read_text())
    host = socket.gethostname()
    pid = _gone_pid()
    me = os.getpid()
    gone = f"stopped without a word (process {pid} on {host} is gone)"
    far = f"running (process 1 on far; from {host} it cannot be checked)"
    for process, status, shown in [
        ({"pid": pid, "host": host}, "stopped", gone),
        ({"pid": me, "host": host}, "running", f"running (process {me} on {host})"),
        ({"pid": 1, "host": "far"}, "running", far),
    ]:
        record.update(status="running", process=process)
        (run_dir / "run.json").write_text(json.dumps(record))
        page = write_index(run_dir).read_text()
        assert f"Status: <strong class='status-{status}'>{shown}</strong>" in page


def test_a_run_killed_outright_has_its_page_rewritten_once(run_dir: Path) -> None:
    record = json.loads((run_dir / "run.json").read_text())
    write_index(run_dir)  # as the run wrote it while it ran
    runs = run_dir.parent
    assert rewrite_stopped_pages(runs) == []
    record.update(status="running", process={"pid": _gone_pid(), "host": socket.gethostname()})
    (run_dir / "run.json").write_text(json.dumps(record))
    assert rewrite_stopped_pages(runs) == [run_dir.name]
    assert "stopped without a word" in (run_dir / "index.html").read_text()
    assert rewrite_stopped_pages(runs) == [], "a page already rewritten is not named again"


@pytest.mark.parametrize("status", ["failed", "interrupted", "running"])
def test_a_run_that_ended_early_names_the_notebooks_whose_rows_are_missing(
    run_dir: Path, status: str
) -> None:
    """The page of a failed or stopped run showed the headline rows it had as if they were
    all; it names the notebooks that did not finish (a notebook that wrote its rows before it
    failed is not named)."""
    record = json.loads((run_dir / "run.json").read_text())
    record["status"] = status
    record["process"] = {"pid": _gone_pid(), "host": socket.gethostname()}  # killed outright
    record["notebooks"] = [
        {"name": "05_evaluation.ipynb", "status": "failed"},  # its rows were written
        {"name": "06_model_export.ipynb", "status": "running" if status == "running" else status},
        {"name": "07_more.ipynb", "status": "pending"},
    ]
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    cut = {"failed": "failed", "interrupted": "interrupted", "running": "cut off"}[status]
    assert (
        "The run ended before every notebook had finished: headline rows of "
        f"06_model_export ({cut}), 07_more (not run) are missing." in page
    )
    assert "PPO normalised score" in page


def test_a_run_under_way_or_that_succeeded_has_no_note_on_missing_rows(run_dir: Path) -> None:
    assert "missing-rows" not in write_index(run_dir).read_text()
    record = json.loads((run_dir / "run.json").read_text())
    record["status"] = "running"
    record["process"] = {"pid": os.getpid(), "host": socket.gethostname()}
    record["notebooks"].append({"name": "05_evaluation.ipynb", "status": "pending"})
    (run_dir / "run.json").write_text(json.dumps(record))
    assert "missing-rows" not in write_index(run_dir).read_text()


def test_each_notebook_row_links_its_two_reports_or_a_dash(run_dir: Path) -> None:
    """The Report column opens the page without code, With code the full one; a notebook whose
    pages were not written (not run yet) has a dash, not a link to a page that is not there."""
    record = json.loads((run_dir / "run.json").read_text())
    record["notebooks"].append({"name": "02_environment_design.ipynb", "status": "pending"})
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert (
        "<tr><td>01_data_synthesis</td><td>ok</td><td>3.2</td><td>1,234</td>"
        "<td><a href='01_data_synthesis.report.html'>01_data_synthesis.report.html</a></td>"
        "<td><a href='01_data_synthesis.html'>01_data_synthesis.html</a></td></tr>"
    ) in page
    assert (
        "<tr><td>02_environment_design</td><td>pending</td><td></td><td></td><td>—</td><td>—</td></tr>"
        in (page)
    )


def test_every_headline_row_is_shown_and_its_text_escaped(run_dir: Path) -> None:
    write_metrics(
        run_dir,
        "05_evaluation",
        {
            "headline": [
                {"area": "RL", "metric": "PPO normalised score", "value": 0.9312},
                {"area": "Supervised", "metric": "difficulty accuracy", "value": 0.89},
                {"area": "OPE", "metric": "error <5%", "value": 0.031, "reference": "a & b"},
            ]
        },
    )
    collect_metrics(run_dir)
    page = write_index(run_dir).read_text()
    rows = [page.index(metric) for metric in ("PPO normalised", "difficulty accuracy", "error")]
    assert rows == sorted(rows)
    assert '<td class="metric">error &lt;5%</td>' in page
    assert '<td class="reference">a &amp; b</td>' in page


def test_a_key_figure_is_linked_from_the_page_by_a_relative_path(run_dir: Path) -> None:
    """The run's folder is copied and served elsewhere (reports/latest, a web server): a
    path from the machine that wrote it would show no image."""
    page = write_index(run_dir).read_text()
    assert "<img src='figures/learning_curves.png'" in page
    assert str(run_dir) not in page


def test_a_failed_runs_page_shows_its_error_and_full_commit(run_dir: Path) -> None:
    commit = "0123abc4567def89012345678abcdef012345678"
    record = json.loads((run_dir / "run.json").read_text())
    record.update(
        status="failed",
        error="notebook 05_evaluation.ipynb failed in cell 3: ValueError: a < b",
        git={"commit": commit, "dirty": False},
    )
    (run_dir / "run.json").write_text(json.dumps(record))
    page = write_index(run_dir).read_text()
    assert "<pre>notebook 05_evaluation.ipynb failed in cell 3: ValueError: a &lt; b</pre>" in page
    assert f"commit <code>{commit}</code>" in page


def test_a_record_from_before_partial_runs_has_no_partial_note(run_dir: Path) -> None:
    """run.json written before ``complete`` was recorded has no such key: it is no partial run."""
    assert "complete" not in json.loads((run_dir / "run.json").read_text())
    assert "Partial run" not in write_index(run_dir).read_text()


def test_the_status_line_names_the_per_cell_limit_only_when_there_was_one(run_dir: Path) -> None:
    """`aura run --cell-timeout 30` stops a cell running past 30 s: a reader of a run that failed
    so, or of one that did not, is told the run had that limit. Without one (or in a record from
    before the option) nothing is said."""
    record = json.loads((run_dir / "run.json").read_text())
    for recorded, shown in [({"cell_timeout_s": 30}, True), ({"cell_timeout_s": None}, False)]:
        (run_dir / "run.json").write_text(json.dumps({**record, **recorded}))
        page = write_index(run_dir).read_text()
        status = next(line for line in page.splitlines() if line.startswith("<p>Status:"))
        assert ("each cell limited to 30 s (--cell-timeout)" in status) is shown, status
        assert ("--cell-timeout" in page) is shown, recorded
    assert "cell_timeout_s" not in record
    (run_dir / "run.json").write_text(json.dumps(record))
    assert "--cell-timeout" not in write_index(run_dir).read_text()


def _against(run_dir: Path, against: dict) -> str:
    """The page of ``run_dir`` with ``against`` as its run.json's comparison."""
    record = json.loads((run_dir / "run.json").read_text())
    record["against_last_complete_run"] = against
    (run_dir / "run.json").write_text(json.dumps(record))
    return " ".join(write_index(run_dir).read_text().split())


def test_the_page_sets_the_run_beside_the_last_complete_run(run_dir: Path) -> None:
    """A reader of the page saw this run's numbers alone: whether one had moved since the last
    run, and which, took opening both pages. The page names the last complete run, counts the
    values of metrics.json that are the same and lists the headline values that differ."""
    page = _against(
        run_dir,
        {
            "run": "default-<1>",
            "values": 1131,
            "same": 1121,
            "other_processor": False,
            "headline": [
                {"area": "RL", "metric": "grid wall time", "value": "681 s", "previous": "358 s"}
            ],
        },
    )
    assert (
        "<h3>Against the last complete run of these params</h3><p>Against <a href='../"
        "default-%3C1%3E/index.html'>default-&lt;1&gt;</a>: 1 headline value differs; 1,121 of the "
        "1,131 values of metrics.json are the same (<code>aura runs compare</code> lists the "
        "others).</p>"
    ) in page
    assert (
        '<table id=\'against\'><thead><tr><th scope="col">Area</th><th scope="col">Metric</th>'
        '<th scope="col">This run</th><th scope="col">default-&lt;1&gt;</th></tr></thead>'
        '<tbody><tr><td class="area">RL</td><td class="metric">grid wall time</td>'
        '<td class="value">681 s</td><td class="value">358 s</td></tr></tbody></table>'
    ) in page


def test_the_page_says_when_nothing_moved_or_nothing_can_be_compared(run_dir: Path) -> None:
    same = _against(
        run_dir,
        {"run": "r1", "values": 10, "same": 10, "other_processor": True, "headline": []},
    )
    assert (
        "r1/index.html'>r1</a>: every headline value is the same; 10 of the 10 values of "
        "metrics.json are the same (<code>aura runs compare</code> lists the others). r1 ran "
        "on another processor, where training takes another path from the same seed.</p>"
    ) in same
    assert "id='against'" not in same
    gone = _against(run_dir, {"run": "r0", "unreadable": "r0: not JSON"})
    assert "<a href='../r0/index.html'>r0</a> could not be read: r0: not JSON" in gone
    record = json.loads((run_dir / "run.json").read_text())
    del record["against_last_complete_run"]
    (run_dir / "run.json").write_text(json.dumps(record))
    assert "Against the last complete run" not in write_index(run_dir).read_text()


def test_the_last_complete_run_is_linked_whatever_its_name(run_dir: Path) -> None:
    """A run named with '#', '?' or '%' (``aura run --run-name 'try #2'``) was linked as it is
    written, which a browser reads as a fragment, a query or an escape: the link went to
    ``../try ``. Through the link in the run's folder (``link``), which holds from
    ``reports/latest/`` too, the name is not in the address."""
    page = _against(run_dir, {"run": "try #2?50%", "unreadable": "gone"})
    assert "<a href='../try%20%232%3F50%25/index.html'>try #2?50%</a> could not be read" in page
    linked = _against(run_dir, {"run": "try #2?50%", "unreadable": "gone", "link": "previous"})
    assert "<a href='previous/index.html'>try #2?50%</a> could not be read" in linked
