"""The pipeline runner on throwaway notebooks: outputs, provenance, metrics, failures, latest."""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PROJECT_ROOT, ParamsError, load_params
from aura.reports.cell_failures import quiet_stopped_cells
from aura.reports.provenance import processor_name
from aura.reports.runner import PipelineError, run_pipeline

PARAMS_YAML = """\
shared:
  seed: 7
  data_dir: data/test
  models_dir: models/test
  artifacts_dir: artifacts-test
01_ok:
  n: 2
  nested: {a: 1, b: [1, 2]}
02_fail: {}
03_after: {}
"""

PARAMETERS_CELL = (
    "seed = 0\ndata_dir = 'data/nbval'\nmodels_dir = 'models/nbval'\n"
    "artifacts_dir = 'artifacts-nbval'\nrun_dir = None",
    ["parameters"],
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, make_notebook) -> dict[str, Path]:
    """Two tiny notebooks that work and one that raises in its third cell, plus a params file."""
    root = tmp_path_factory.mktemp("project")
    nbs = root / "notebooks"
    make_notebook(
        nbs / "01_ok.ipynb",
        [
            (PARAMETERS_CELL[0] + "\nn = 1\nnested = {}", PARAMETERS_CELL[1]),
            "SECRET_CODE_MARKER = n * 21\nprint(f'answer={SECRET_CODE_MARKER} nested={nested}')",
            "from aura.reports import write_metrics\n"
            "write_metrics(run_dir, '01_ok', {'answer': SECRET_CODE_MARKER, 'seed': seed})",
        ],
    )
    make_notebook(
        nbs / "02_fail.ipynb",
        [
            PARAMETERS_CELL,
            "x = 1",
            "y = x + 1\nraise ValueError('boom in cell three')",
            "print('never reached')",
        ],
    )
    make_notebook(
        nbs / "03_after.ipynb",
        [
            PARAMETERS_CELL,
            "import time\nprint('after', flush=True)\ntime.sleep(0.5)\nprint('on')\n"
            "display('a table')\nprint('below')",
        ],
    )
    (nbs / "helper.ipynb").write_text((nbs / "03_after.ipynb").read_text())  # not NN_: not run
    params = root / "params" / "test.yaml"
    params.parent.mkdir()
    params.write_text(PARAMS_YAML)
    return {"root": root, "notebooks": nbs, "runs": root / "reports" / "runs", "params": params}


def _run(
    project: dict[str, Path],
    name: str,
    only: list[str] | None = None,
    console: Console | None = None,
) -> Path:
    return run_pipeline(
        project["params"],
        notebooks_dir=project["notebooks"],
        runs_dir=project["runs"],
        run_name=name,
        only=only,
        console=console or Console(quiet=True),
    )


@pytest.fixture(scope="module")
def ok_run(project: dict[str, Path]) -> Path:
    return _run(project, "ok", only=["01"])


@pytest.fixture(scope="module")
def complete(project: dict[str, Path]) -> dict[str, Path]:
    """A folder of the two notebooks that work, with its params, writing into the same reports
    folder as ``project``: every run of it can be complete and succeed."""
    nbs = project["root"] / "notebooks-ok"
    nbs.mkdir()
    for name in ("01_ok.ipynb", "03_after.ipynb"):
        shutil.copy(project["notebooks"] / name, nbs / name)
    params = project["params"].with_name("ok.yaml")
    params.write_text(PARAMS_YAML.replace("02_fail: {}\n", ""))
    return {"notebooks": nbs, "params": params, "runs": project["runs"]}


@pytest.fixture(scope="module")
def complete_run(complete: dict[str, Path], ok_run: Path) -> Path:
    """Every notebook of ``complete``, run after ``ok_run`` (a run of notebook 01 alone)."""
    return _run(complete, "complete")


@pytest.fixture(scope="module")
def failed_run(
    project: dict[str, Path], ok_run: Path, complete_run: Path
) -> tuple[Path, PipelineError]:
    with pytest.raises(PipelineError) as info:
        _run(project, "failed")
    return project["runs"] / "failed", info.value


def test_successful_run_writes_notebook_and_both_html(ok_run: Path) -> None:
    assert (ok_run / "01_ok.ipynb").is_file()
    full = (ok_run / "01_ok.html").read_text()
    report = (ok_run / "01_ok.report.html").read_text()
    assert "answer=42" in full and "answer=42" in report
    assert "SECRET_CODE_MARKER" in full
    assert "SECRET_CODE_MARKER" not in report, "the stakeholder report must not show code"
    record = json.loads((ok_run / "run.json").read_text())
    for page in (full, report):  # read on its own, a report says which run and params it is
        assert f"Run <code>{record['run_name']}</code> of <code>aura run</code>" in page
        assert f"<title>01_ok · {ok_run.name}</title>" in page  # not nbconvert's "Notebook"
        assert f"<code>{record['params_file']}</code>" in page
    assert "of `aura run` with params" not in (ok_run / "01_ok.ipynb").read_text()  # HTML only


def test_a_report_says_when_its_run_started_as_the_front_page_does(ok_run: Path) -> None:
    """The line heading a report gave run.json's ISO stamp, 2026-12-07T14:03:46+00:00, where the
    front page reads 2026-12-07 14:03:46 UTC."""
    record = json.loads((ok_run / "run.json").read_text())
    started = datetime.fromisoformat(record["started_at"])
    shown = f"started {started:%Y-%m-%d %H:%M:%S} UTC. Its numbers are that params file"
    for page in ("01_ok.html", "01_ok.report.html", "index.html"):
        text = (ok_run / page).read_text()
        assert record["started_at"] not in text, page
    assert shown in (ok_run / "01_ok.report.html").read_text()


def test_a_run_name_in_use_is_refused_and_its_run_kept(project, ok_run: Path) -> None:
    """A named run never writes into an earlier run's folder, whose files would then mix."""
    before = {p: p.read_bytes() for p in ok_run.rglob("*") if p.is_file()}
    with pytest.raises(
        FileExistsError, match=re.escape(f"run directory already exists: {ok_run} ")
    ):
        _run(project, "ok", only=["01"])
    assert {p: p.read_bytes() for p in ok_run.rglob("*") if p.is_file()} == before


def test_both_html_pages_load_nothing_from_the_network(ok_run: Path) -> None:
    """nbconvert's page asks a CDN for RequireJS, MathJax and Mermaid; the reports drop them."""
    for page in ("01_ok.html", "01_ok.report.html"):
        html = (ok_run / page).read_text()
        assert re.findall(r"<script[^>]*\bsrc=", html) == [], page
        assert "cdnjs" not in html and "<link" not in html, page
        assert "answer=42" in html and "jp-Notebook" in html, page  # still the lab page


def test_kernels_start_without_transport_warnings(project, capfd) -> None:
    """The kernel's loopback sockets are encrypted, so a run's console shows no warning."""
    _run(project, "quiet", only=["03"])
    assert "without encryption" not in capfd.readouterr().err


def test_a_cells_printed_lines_are_one_output_and_stay_beside_what_they_label(
    complete_run: Path,
) -> None:
    """Two prints with a flush and a pause between them reached the executed notebook, and so
    the report, as two outputs: two blocks with a gap, where a reader expects one. Text printed
    after a table or a figure stays after it (nbclient's own merging moved it above)."""
    import nbformat

    cell = nbformat.read(complete_run / "03_after.ipynb", as_version=4).cells[-1]
    shown = [
        (o.output_type, o.get("text", o.get("data", {}).get("text/plain"))) for o in cell.outputs
    ]
    assert shown == [
        ("stream", "after\non\n"),
        ("display_data", "'a table'"),
        ("stream", "below\n"),
    ]


def test_params_are_injected_including_nested_values(ok_run: Path) -> None:
    assert "nested={'a': 1, 'b': [1, 2]}" in (ok_run / "01_ok.ipynb").read_text()


def test_run_json_records_params_commit_and_versions(ok_run: Path, project) -> None:
    record = json.loads((ok_run / "run.json").read_text())
    assert record["status"] == "ok"
    assert record["params"] == load_params(project["params"])
    assert (ok_run / "params.yaml").read_text() == project["params"].read_text()
    assert set(record["git"]) == {"commit", "dirty"}
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert record["git"]["commit"] == (head.stdout.strip() if head.returncode == 0 else None)
    assert record["libraries"]["numpy"] and record["libraries"]["papermill"]
    assert "torch" in record["libraries"] and "onnxruntime" in record["libraries"]
    assert record["libraries"]["aura"] == metadata.version("aura")
    assert record["python"].startswith("3.")
    assert record["processor"] == processor_name()
    assert record["host_speed_s"] > 0  # seconds of aura.reports.host's fixed loop
    # the lock the environment was installed from, and no package off it (make venv used it)
    assert record["lock"]["file"] == "constraints.txt" and record["lock"]["off_lock"] == {}
    assert record["command"]
    # what makes the same run, though this one was started by a test, not by `aura run`
    assert record["reproduce"] == f"aura run --params {record['params_file']} --only 01"
    index = (ok_run / "index.html").read_text()
    assert f"Reproduce: <code>aura run --params {record['params_file']} --only 01</code>" in index
    assert record["started_at"] <= record["finished_at"]
    [nb] = record["notebooks"]
    assert nb["name"] == "01_ok.ipynb" and nb["status"] == "ok" and nb["seconds"] > 0
    # its kernel's memory, sampled from its start: an idle Python kernel holds tens of MiB
    assert 20 < nb["peak_memory_mib"] < 2000


def test_the_processor_is_read_from_cpuinfo_or_falls_back(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n")
    assert processor_name(cpuinfo) == "AMD EPYC 7B13"
    assert processor_name(tmp_path / "missing") == (platform.processor() or platform.machine())


def test_metrics_are_merged_by_notebook(ok_run: Path) -> None:
    merged = json.loads((ok_run / "metrics.json").read_text())
    assert merged == {"01_ok": {"answer": 42, "seed": 7}}


def test_failing_notebook_stops_the_run_naming_notebook_and_cell(failed_run) -> None:
    run_dir, error = failed_run
    assert error.notebook == "02_fail.ipynb"
    assert error.cell == 3
    message = str(error)
    assert "02_fail.ipynb" in message and "cell 3" in message
    assert "ValueError: boom in cell three" in message
    assert "raise ValueError" in message  # the failing line
    assert not (run_dir / "03_after.ipynb").exists(), "the run must stop at the failure"


def test_failed_run_keeps_what_was_written(failed_run) -> None:
    run_dir, _ = failed_run
    for name in ("01_ok.ipynb", "01_ok.html", "01_ok.report.html", "02_fail.ipynb"):
        assert (run_dir / name).is_file(), name
    assert "boom in cell three" in (run_dir / "02_fail.ipynb").read_text()
    assert json.loads((run_dir / "metrics.json").read_text())["01_ok"]["answer"] == 42
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and "02_fail.ipynb" in record["error"]
    assert [n["status"] for n in record["notebooks"]] == ["ok", "failed", "pending"]


def test_a_failed_runs_page_names_the_notebooks_whose_rows_are_missing(failed_run) -> None:
    run_dir, _ = failed_run
    page = (run_dir / "index.html").read_text()
    assert "headline rows of 02_fail (failed), 03_after (not run) are missing" in page


def test_latest_points_at_the_newest_run_that_succeeded(
    ok_run, complete_run, failed_run, project
) -> None:
    """A failed run keeps its own folder, but the page stakeholders open stays the last good one
    (it used to move to the failed run as it started)."""
    latest = project["runs"].parent / "latest"
    assert latest.is_symlink()
    assert not os.path.isabs(os.readlink(latest)), "the link must be relative"
    assert failed_run[0].is_dir()
    assert latest.resolve() != failed_run[0].resolve()
    assert latest.resolve() == complete_run.resolve()
    assert json.loads((latest / "run.json").read_text())["status"] == "ok"


def test_a_complete_run_is_set_beside_the_last_complete_run(tmp_path: Path, make_notebook) -> None:
    """Each complete run records itself against the last complete run of its params, and its
    page lists the headline values that moved: here the value a file gives the notebook. A run
    of other params between them (a smoke run) is passed over, though ``latest`` shows it."""
    nbs = tmp_path / "notebooks"
    value = tmp_path / "value.txt"
    make_notebook(
        nbs / "01_ok.ipynb",
        [
            PARAMETERS_CELL,
            "import pathlib\nfrom aura.reports import write_metrics\n"
            f"value = pathlib.Path({str(value)!r}).read_text()\n"
            "write_metrics(run_dir, '01_ok', {'headline': [{'area': 'A', 'metric': 'm', "
            "'value': value}], 'fixed': 1})",
        ],
    )
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n")
    runs = tmp_path / "reports" / "runs"

    other = tmp_path / "other.yaml"
    other.write_text(params.read_text().replace("seed: 7", "seed: 8"))

    def run(name: str, text: str, params_file: Path = params) -> dict:
        value.write_text(text)
        run_pipeline(
            params_file,
            notebooks_dir=nbs,
            runs_dir=runs,
            run_name=name,
            console=Console(quiet=True),
        )
        return json.loads((runs / name / "run.json").read_text())

    assert "against_last_complete_run" not in run("first", "0.843")  # no run before it
    assert run("second", "0.851")["against_last_complete_run"] == {
        "run": "first",
        "values": 4,
        "same": 3,
        "other_processor": False,
        "headline": [{"area": "A", "metric": "m", "value": "0.851", "previous": "0.843"}],
        "link": "previous",
    }
    page = " ".join((runs / "second" / "index.html").read_text().split())
    assert "<a href='previous/index.html'>first</a>: 1 headline value differs" in page
    # the page is read at reports/latest/ as well: the link holds from there too
    latest = runs.parent / "latest"
    assert os.path.realpath(latest / "previous" / "index.html") == str(
        (runs / "first" / "index.html").resolve()
    )
    assert "against_last_complete_run" not in run("smoke", "0.5", other)
    assert latest.resolve().name == "smoke"
    assert not (runs / "smoke" / "previous").exists()
    third = run("third", "0.851")["against_last_complete_run"]
    assert (third["run"], third["headline"]) == ("second", [])


def test_where_no_link_can_be_made_the_page_links_the_run_from_its_folder(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without links still makes a run; its page links the run before from
    ``runs/``, where it holds."""
    quiet = Console(quiet=True)
    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "01_ok.ipynb", [PARAMETERS_CELL, "x = 1"])
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n")
    runs = tmp_path / "runs"
    symlink_to = Path.symlink_to

    def refused(link: Path, target: Path, target_is_directory: bool = False) -> None:
        if link.name.startswith(".previous"):  # `link_folder` makes it under a temporary name
            raise OSError(1, "Operation not permitted")
        symlink_to(link, target, target_is_directory)

    for name in ("first", "second"):
        run_pipeline(params, notebooks_dir=nbs, runs_dir=runs, run_name=name, console=quiet)
        monkeypatch.setattr(Path, "symlink_to", refused)
    record = json.loads((runs / "second" / "run.json").read_text())
    assert record["against_last_complete_run"]["run"] == "first"
    assert "link" not in record["against_last_complete_run"]
    assert not (runs / "second" / "previous").exists()
    page = (runs / "second" / "index.html").read_text()
    assert "<a href='../first/index.html'>first</a>" in page


def test_a_run_under_way_has_not_finished_in_its_record_or_on_its_page(
    tmp_path: Path, make_notebook
) -> None:
    """Every save of a run under way stamped ``finished_at``, so its page read "2026-12-07
    20:16:30 to 20:22:43 UTC (6 min 13 s)" while notebook 03 was still training, and a run
    killed outright kept that end for ever. The notebook reads its run's record and page as it
    runs: not finished; once the run ends, both say when it did."""
    nbs = tmp_path / "notebooks"
    make_notebook(
        nbs / "01_ok.ipynb",
        [
            PARAMETERS_CELL,
            "import json\nfrom aura.config import project_path\n"
            "from aura.reports import write_metrics\n"
            "run = project_path(run_dir)\n"
            "record = json.loads((run / 'run.json').read_text())\n"
            "page = (run / 'index.html').read_text()\n"
            "write_metrics(run_dir, '01_ok', {'finished_at': record['finished_at'], "
            "'page_says': 'not finished' in page})",
        ],
    )
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n")
    runs = tmp_path / "runs"
    run_dir = run_pipeline(
        params, notebooks_dir=nbs, runs_dir=runs, run_name="r", console=Console(quiet=True)
    )
    seen = json.loads((run_dir / "metrics.json").read_text())["01_ok"]
    assert seen == {"finished_at": None, "page_says": True}
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "ok" and record["started_at"] <= record["finished_at"]
    assert "not finished" not in (run_dir / "index.html").read_text()


def test_a_run_of_some_notebooks_leaves_latest_at_the_last_complete_run(
    complete: dict[str, Path], complete_run: Path, failed_run
) -> None:
    """`aura run --only 01` succeeds in a folder of its own, but reports/latest stays at the
    last run of every notebook: it moved to the partial run, whose index held notebook 01's
    results alone. The run says so. Every notebook named in ``only`` is a complete run."""
    latest = complete["runs"].parent / "latest"
    out = io.StringIO()
    partial = _run(complete, "partial", only=["01"], console=Console(file=out, width=200))
    assert json.loads((partial / "run.json").read_text())["status"] == "ok"
    assert (partial / "01_ok.report.html").is_file()
    assert latest.resolve() == complete_run.resolve()
    printed = " ".join(out.getvalue().split())
    assert f"{latest} left as it was: 1 notebook(s) did not run" in printed
    named = _run(complete, "named", only=["03", "01"])
    assert latest.resolve() == named.resolve()


def test_a_partial_run_says_so_in_run_json_and_on_its_page(
    ok_run: Path, complete: dict[str, Path], complete_run: Path, failed_run
) -> None:
    """Only its ``reproduce`` line told a run of some notebooks from a whole one, and its page
    did not say the others had not run. run.json says whether the run is ``complete``, which
    notebooks it left out and where the last complete run is; its page says so and links it."""
    record = json.loads((ok_run / "run.json").read_text())  # 01 alone, before any complete run
    assert (record["complete"], record["left_out"]) == (False, ["02_fail.ipynb", "03_after.ipynb"])
    assert record["last_complete_run"] == {"link": "../../latest", "run": None}
    page = " ".join((ok_run / "index.html").read_text().split())
    assert (
        "<strong>Partial run</strong> (<code>--only</code>): 02_fail, 03_after did not run, so "
        "this page shows 01_ok alone. No complete run had succeeded when this run started"
    ) in page
    for whole in (complete_run, failed_run[0]):  # every notebook selected, failed or not
        record = json.loads((whole / "run.json").read_text())
        assert (record["complete"], record["left_out"], record["last_complete_run"]) == (
            True,
            [],
            None,
        )
        assert "Partial run" not in (whole / "index.html").read_text()
    last = (complete["runs"].parent / "latest").resolve().name
    partial = _run(complete, "partial-page", only=["03"])
    record = json.loads((partial / "run.json").read_text())
    assert (record["complete"], record["left_out"]) == (False, ["01_ok.ipynb"])
    assert record["last_complete_run"] == {"link": "../../latest", "run": last}
    page = " ".join((partial / "index.html").read_text().split())
    assert (
        "01_ok did not run, so this page shows 03_after alone. The last complete run is "
        f"<a href='../../latest/index.html'>latest</a> (<code>{last}</code> when this run "
        "started)."
    ) in page
    assert (partial / "../../latest/index.html").resolve() == complete["runs"] / last / "index.html"


def test_missing_notebook_section_fails_before_running(project, tmp_path: Path) -> None:
    params = tmp_path / "short.yaml"
    params.write_text(PARAMS_YAML.split("02_fail")[0])
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError, match=r"short\.yaml.*'02_fail:'"):
        run_pipeline(params, notebooks_dir=project["notebooks"], runs_dir=runs)
    assert not runs.exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda y: y.replace("  n: 2\n", "  m: 2\n"),
            "section '01_ok' has key(s) m, which 01_ok.ipynb does not take; its own are n, nested",
        ),
        (
            lambda y: y.replace("  seed: 7\n", "  seed: 7\n  n_wrkers: 2\n"),
            "shared key(s) n_wrkers are parameters of no notebook",
        ),
        (lambda y: y + "04_gone: {}\n", "section(s) 04_gone match no notebook"),
    ],
    ids=["section", "shared", "stray-section"],
)
def test_a_key_no_notebook_takes_fails_before_running(
    project, tmp_path: Path, edit, message: str
) -> None:
    """papermill would only warn and run the notebook on its literal default."""
    params = tmp_path / "typo.yaml"
    params.write_text(edit(PARAMS_YAML))
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, notebooks_dir=project["notebooks"], runs_dir=runs, only=["03"])
    assert str(err.value) == f"{params}: {message}" or str(err.value).startswith(
        f"{params}: {message} ("
    )
    assert not runs.exists()


def test_unknown_only_selection_is_an_error(project, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="09"):
        run_pipeline(
            project["params"], notebooks_dir=project["notebooks"], runs_dir=tmp_path, only=["09"]
        )


def test_a_notebook_named_outside_the_pattern_is_named_as_not_run(project, tmp_path) -> None:
    """`helper.ipynb` (as JupyterLab's `01_ok-Copy1.ipynb` or a `07-example.ipynb` would be) is
    not run: the run says so rather than leaving it out without a word."""
    out = io.StringIO()
    run_pipeline(
        project["params"],
        notebooks_dir=project["notebooks"],
        runs_dir=tmp_path / "runs",
        only=["01"],
        console=Console(file=out, width=400),
    )
    assert "note: not run, named outside NN_name.ipynb" in out.getvalue()
    assert out.getvalue().rstrip().count("helper.ipynb") == 1


def test_cli_reports_params_errors_clearly(tmp_path: Path) -> None:
    missing = tmp_path / ("deep_folder_" * 8) / "nope.yaml"  # longer than a line of 80 columns
    result = CliRunner().invoke(app, ["run", "--params", str(missing)])
    assert result.exit_code == 1
    assert str(missing) in result.output and "not found" in result.output  # the path unbroken


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "not found"),
        ("shared: [unclosed", "not valid YAML"),
        ("", "empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("01_data_synthesis: {n_learners: 1}\n", "no 'shared:' section"),
        ("shared: {seed: 1, data_dir: d, models_dir: m}\n", "missing key(s) artifacts_dir"),
        (
            "shared: {seed: x, data_dir: d, models_dir: m, artifacts_dir: a}\n",
            "seed must be an integer",
        ),
        (
            "shared: {seed: 1, data_dir: d, models_dir: m, artifacts_dir: a}\n01_x: 3\n",
            "section '01_x' must be a mapping",
        ),
        (
            "shared: {seed: -1, data_dir: d, models_dir: m, artifacts_dir: a}\n",
            "shared.seed must be an integer 0 to 2,147,483,647 (the seeds drawn from it, up to "
            "millions above it, must stay below 2**32 for NumPy and scikit-learn), got -1",
        ),
        (
            "shared: {seed: 4294967290, data_dir: d, models_dir: m, artifacts_dir: a}\n",
            "shared.seed must be an integer 0 to 2,147,483,647",
        ),
        (
            "shared: {seed: 020240601, data_dir: d, models_dir: m, artifacts_dir: a}\n",
            "020240601 has a leading 0, which YAML reads as an octal number (4276609)",
        ),
        (
            "shared: {seed: 1, data_dir: 5, models_dir: m, artifacts_dir: a}\n",
            "shared.data_dir must be a folder path, got 5",
        ),
        (
            "shared: {seed: 1, data_dir: d, models_dir: '', artifacts_dir: a}\n",
            "shared.models_dir must be a folder path, got ''",
        ),
        (
            "shared: {seed: 1, data_dir: d, models_dir: m, artifacts_dir: a}\n"
            "01_x: {n: 1}\n01_x: {n: 2}\n",
            "key '01_x' is given twice",
        ),
        ("shared:\n  seed: 1\n  seed: 2\n", "key 'seed' is given twice"),
    ],
)
def test_load_params_errors_name_file_and_problem(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "bad-params.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert "bad-params.yaml" in str(info.value)
    assert problem in str(info.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            "shared: [unclosed\n",
            "(line 2, column 1): expected ',' or ']', but got '<stream end>', while parsing a "
            "flow sequence that starts at line 1, column 9",
        ),
        (
            "shared:\n\tseed: 1\n",
            "(line 2, column 1): found character '\\t' that cannot start any token, while "
            "scanning for the next token",
        ),
        ("shared:\n  seed: 1\n  seed: 2\n", "(line 3, column 3): key 'seed' is given twice"),
        ("a: b: c\n", "(line 1, column 5): mapping values are not allowed here"),
    ],
    ids=["unclosed", "tab", "twice", "colon"],
)
def test_a_params_file_yaml_cannot_read_is_named_in_one_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    """PyYAML's message ran over several lines, placed the problem in "<unicode string>" rather
    than the file, and quoted it with a caret under it."""
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    with pytest.raises(ParamsError) as info:
        load_params(path)
    assert str(info.value) == f"params file {path} is not valid YAML {problem}"
    result = CliRunner().invoke(app, ["params", "check", "--params", str(path)])
    assert result.exit_code == 1
    assert result.output == f"error: params file {path} is not valid YAML {problem}\n"


def test_a_params_file_that_is_a_folder_or_not_utf8_is_named(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=f"params file {tmp_path} is a folder"):
        load_params(tmp_path)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("# Übung\nshared: {}\n".encode("latin-1"))
    with pytest.raises(ParamsError, match=f"params file {latin1} is not UTF-8 text .byte 2: 0xdc"):
        load_params(latin1)


@pytest.mark.parametrize("name", ["default.yaml", "smoke.yaml"])
def test_project_params_files_load(name: str) -> None:
    from aura.config import PARAMS_DIR

    params = load_params(PARAMS_DIR / name)
    sizes = params["01_data_synthesis"]
    assert {"n_learners", "n_tutors", "n_sessions"} <= set(sizes)


@pytest.mark.parametrize("name", ["default.yaml", "smoke.yaml"])
def test_project_params_files_pass_every_check(name: str) -> None:
    from aura.config import NOTEBOOKS_DIR, PARAMS_DIR
    from aura.params_check import SECTION_CHECKS, check_params
    from aura.reports.runner import discover_notebooks

    params = load_params(PARAMS_DIR / name)
    assert check_params(params, discover_notebooks(NOTEBOOKS_DIR), name) == list(SECTION_CHECKS)


SMOKE_DIFFICULTY_PPO = "03_rl_training.hyperparams.ppo.difficulty_adaptation"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "01_data_synthesis.n_learners=0",
            "01_data_synthesis.n_learners: Input should be greater than 0, got 0",
        ),
        (
            "01_data_synthesis.n_sessions=1",
            "01_data_synthesis: n_sessions (1) must be at least n_learners (2000)",
        ),
        (
            "01_data_synthesis.n_sessions=1000000000000",
            "01_data_synthesis: n_sessions=1,000,000,000,000 and n_tutors=40 need about "
            "1,000,000 GB of memory",
        ),
        (
            "02_environment_design.difficulty={step_size: -1}",
            "02_environment_design.difficulty: aura/DifficultyAdaptation-v0 refuses them: "
            "step_size must be positive, got -1",
        ),
        (
            f"{SMOKE_DIFFICULTY_PPO}.learnin_rate=0.001",
            f"{SMOKE_DIFFICULTY_PPO}: unknown key(s) learnin_rate; expected some of batch_size",
        ),
        (
            "04_supervised_training.features={engagement: [exercise_succes_rate]}",
            "04_supervised_training.features: engagement: unknown feature(s) "
            "['exercise_succes_rate']; known: ['adaptability_score'",
        ),
        (
            "03_rl_training.envs={tutor_matching: {kwargs: {n_pools: 2.5}}}",
            "03_rl_training.envs.tutor_matching.kwargs: aura/TutorMatching-v0 refuses them: "
            "n_pools must be a positive integer, got 2.5",
        ),
        (
            "05_evaluation.n_bootstrap=-5",
            "05_evaluation.n_bootstrap: Input should be greater than 0, got -5",
        ),
        (
            "05_evaluation.new_pools=-1",
            "05_evaluation.new_pools: Input should be greater than or equal to 0, got -1",
        ),
        (
            "06_model_export.test_size=0.3",
            "06_model_export.test_size is 0.3 but 04_supervised_training.test_size is 0.2",
        ),
        (
            "01_data_synthesis.n_learners=null",
            "01_data_synthesis: n_learners set to null; give a value, or remove the key",
        ),
        (
            "03_rl_training.tune.env_key=moon",
            "03_rl_training.tune.env_key: unknown environment key 'moon'",
        ),
        (
            "01_data_synthesis.n_learners=3",
            "01_data_synthesis draws tables too small for 04_supervised_training (n_learners 3, "
            "n_tutors 40, n_sessions 4000): 04_supervised_training.cv_folds is 3, but the "
            "compatibility model's training split holds 2 learners",
        ),
    ],
    ids=[
        "01",
        "01-sessions",
        "01-memory",
        "02",
        "03",
        "04",
        "03-pools",
        "05",
        "05-pools",
        "06",
        "01-null",
        "03-tune",
        "01-04-sizes",
    ],
)
def test_a_value_a_notebook_refuses_fails_before_anything_runs(
    tmp_path: Path, setting: str, message: str
) -> None:
    """A notebook refuses a bad value only when its turn comes (at default scale a bad RL value
    surfaced after minutes of data and environment study, a bad supervised one after the whole
    RL grid), and notebook 06 took another held-out share than training's without a word."""
    from aura.config import PARAMS_DIR
    from aura.params_edit import derive_params

    params = tmp_path / "bad.yaml"
    params.write_text(derive_params(PARAMS_DIR / "smoke.yaml", [setting])[0], encoding="utf-8")
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never")
    assert str(err.value).startswith(f"{params}: {message}")
    assert not runs.exists()


@pytest.mark.parametrize(
    "settings",
    [
        ["03_rl_training.env_keys=[difficulty_adaptation]"],
        ["03_rl_training.algorithms=[dqn, a2c]"],
    ],
    ids=["one-environment", "no-ppo"],
)
def test_a_grid_notebooks_05_and_06_cannot_use_is_refused_before_a_whole_run(
    tmp_path: Path, settings: list[str]
) -> None:
    """Such a study is for `aura train-rl`: every section passes its check, and a whole run
    would train the grid and then stop in notebook 05."""
    from aura.config import PARAMS_DIR
    from aura.params_edit import derive_params

    params = tmp_path / "study.yaml"
    params.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never")
    assert str(err.value).startswith(f"{params}: notebooks 05_evaluation and 06_model_export")
    assert "`aura train-rl`" in str(err.value)
    assert not runs.exists()
    checked = CliRunner().invoke(app, ["params", "check", "--params", str(params)])
    assert checked.exit_code == 0
    assert "note: `aura run` refuses it whole" in " ".join(checked.output.split())
    fine = CliRunner().invoke(app, ["params", "check", "--params", str(PARAMS_DIR / "smoke.yaml")])
    assert fine.exit_code == 0 and "note" not in fine.output


def test_loading_a_grid_that_is_not_there_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    """`load: true` for notebook 03 with no saved grid: the run spent notebooks 01 and 02 (minutes
    at the spec's scale) before 03 stopped on a missing file."""
    from aura.config import PARAMS_DIR
    from aura.params_edit import derive_params

    params = tmp_path / "load.yaml"
    settings = ["03_rl_training.load=true", f"shared.models_dir={tmp_path / 'models'}"]
    params.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never")
    assert str(err.value).startswith(
        f"{params}: 03_rl_training.load is true, but no grid results at "
        f"{tmp_path / 'models' / 'rl' / 'results.json'}; train the grid first"
    )
    assert not runs.exists()


def test_evaluating_a_models_folder_never_trained_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    """`aura run --only 05` on a fresh models folder started a kernel and stopped in the
    notebook's third cell; notebooks 03 and 04 in the same run write what it reads."""
    from aura.config import PARAMS_DIR
    from aura.params_edit import derive_params

    models = tmp_path / "models"
    params = tmp_path / "fresh.yaml"
    text = derive_params(PARAMS_DIR / "smoke.yaml", [f"shared.models_dir={models}"])[0]
    params.write_text(text, encoding="utf-8")
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never", only=["05"])
    assert str(err.value) == (
        f"{params}: 05_evaluation: nothing to evaluate yet, no {models / 'rl' / 'results.json'} "
        f"(notebook 03 or aura train-rl); no {models / 'supervised' / 'metrics.json'} (notebook "
        "04 or aura train-supervised): run those first with the same models_dir"
    )
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never", only=["04", "05"])
    assert str(err.value) == (
        f"{params}: 05_evaluation: nothing to evaluate yet, no {models / 'rl' / 'results.json'} "
        "(notebook 03 or aura train-rl): run those first with the same models_dir"
    )
    assert not runs.exists()


@pytest.mark.parametrize(
    ("only", "refused"),
    [
        (
            "04",
            "04_supervised_training: nothing to train on yet, no {data}/learners_data.csv, "
            "{data}/tutors_data.csv, {data}/sessions_data.csv (notebook 01 or aura generate): "
            "run those first with the same data_dir",
        ),
        (
            "06",
            "06_model_export: nothing to export yet, no {models}/rl/selected.json (notebook 03 or "
            "aura train-rl); no {models}/supervised/metrics.json (notebook 04 or aura "
            "train-supervised): run those first with the same models_dir",
        ),
    ],
)
def test_a_notebook_on_folders_never_filled_is_refused_before_anything_runs(
    tmp_path: Path, only: str, refused: str
) -> None:
    """`aura run --only 04` on a data folder never drawn, and `--only 06` on a models folder
    never trained, made a run folder, started a kernel and stopped in the notebook after about
    ten seconds; notebook 01, in the same run, writes what 04 reads."""
    from aura.config import PARAMS_DIR
    from aura.params_edit import derive_params

    data, models = tmp_path / "data", tmp_path / "models"
    params = tmp_path / "fresh.yaml"
    settings = [f"shared.data_dir={data}", f"shared.models_dir={models}"]
    settings.append(f"shared.artifacts_dir={tmp_path / 'artifacts'}")
    params.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    runs = tmp_path / "runs"
    message = f"{params}: " + refused.format(data=data, models=models)
    with pytest.raises(ParamsError) as err:
        run_pipeline(params, runs_dir=runs, run_name="never", only=[only])
    assert str(err.value) == message
    assert not runs.exists()
    result = CliRunner().invoke(app, ["run", "--params", str(params), "--only", only])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == f"error: {message}"


def test_a_malformed_lock_is_refused_before_a_run_folder_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.json records the lock (`aura.dependency_lock`): a hand-edited constraints.txt with a
    range in it is named, file and line, and leaves no empty run folder behind."""
    import aura.dependency_lock
    from aura.config import PARAMS_DIR

    lock = tmp_path / "constraints.txt"
    lock.write_text("# header\nnumpy==2.4.6\nscipy>=1.0\n", encoding="utf-8")
    monkeypatch.setattr(aura.dependency_lock, "LOCK_FILE", lock)
    runs = tmp_path / "runs"
    params = PARAMS_DIR / "smoke.yaml"
    with pytest.raises(ValueError, match=r"^constraints.txt line 3: 'scipy>=1.0' is not"):
        run_pipeline(params, runs_dir=runs, run_name="never", only=["01"])
    assert not runs.exists()


def test_a_results_folder_under_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """Notebook 03 would have trained for minutes before its first save failed."""
    import yaml

    from aura.config import PARAMS_DIR

    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    params["shared"]["models_dir"] = str(a_file / "models")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    runs = tmp_path / "runs"
    with pytest.raises(ParamsError) as err:
        run_pipeline(path, runs_dir=runs, run_name="never", only=["02", "03"])
    assert str(err.value) == (
        f"{path}: shared.models_dir {a_file / 'models'} lies under {a_file}, which is a file, "
        "not a folder"
    )
    assert not runs.exists()
    assert a_file.read_text() == "kept\n"


@pytest.mark.parametrize("section", [f"0{n}" for n in range(1, 7)])
def test_params_check_refuses_a_missing_section_as_a_run_does(tmp_path: Path, section) -> None:
    """`aura params check` makes the run's checks alone: a section a run needs is one it needs."""
    from aura.config import PARAMS_DIR

    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    stem = next(name for name in params if name.startswith(section))
    del params[stem]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    result = CliRunner().invoke(app, ["params", "check", "--params", str(path)])
    assert result.exit_code == 1
    assert f"{path} has no '{stem}:' section" in " ".join(result.output.split())


@pytest.mark.parametrize("only", ["", " , "])
def test_an_empty_only_selection_runs_nothing(project, tmp_path: Path, only: str) -> None:
    """`--only "$UNSET"` must not start every notebook."""
    result = CliRunner().invoke(app, ["run", "--params", str(project["params"]), "--only", only])
    assert result.exit_code == 1
    assert "--only names no notebook" in result.output
    with pytest.raises(ValueError, match="names no notebook"):
        run_pipeline(
            project["params"],
            notebooks_dir=project["notebooks"],
            runs_dir=tmp_path,
            only=only.split(","),
        )
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["x/../../escape", "../escape", "..", ".hidden", "a/b", ""])
def test_a_run_name_must_be_a_plain_folder_name(project, tmp_path: Path, name: str) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(ValueError, match="not a plain folder name"):
        run_pipeline(
            project["params"], notebooks_dir=project["notebooks"], runs_dir=runs, run_name=name
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_run_cannot_be_named_latest(project, tmp_path: Path) -> None:
    """`aura runs compare latest` means the run reports/latest shows: a run named latest could
    be made and listed, but reached only by its path."""
    runs = tmp_path / "runs"
    with pytest.raises(ValueError, match="run name 'latest' is what `aura runs compare` calls"):
        run_pipeline(
            project["params"], notebooks_dir=project["notebooks"], runs_dir=runs, run_name="latest"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_says_so_in_run_json(tmp_path: Path, make_notebook, how) -> None:
    """`kill` or Ctrl-C mid-notebook: run.json says "interrupted" and where, not "running" for
    ever, and what was written is kept. The run is stopped in a process of its own."""
    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "01_ok.ipynb", [PARAMETERS_CELL, "print('first')"])
    marker = tmp_path / "started"
    make_notebook(
        nbs / "02_slow.ipynb",
        [PARAMETERS_CELL, f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\n"
         "time.sleep(120)"],
    )  # fmt: skip
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n02_slow: {}\n")
    runs = tmp_path / "runs"
    script = (
        "import signal, sys\nfrom pathlib import Path\n"
        "from aura.reports.runner import run_pipeline\n"
        # A shell without job control starts background jobs with SIGINT ignored, and Python
        # keeps an ignored SIGINT; a terminal's Ctrl-C is what this run stands for.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "try:\n"
        f"    run_pipeline({str(params)!r}, notebooks_dir=Path({str(nbs)!r}),\n"
        f"                 runs_dir=Path({str(runs)!r}), run_name='stopped')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc); sys.exit(1)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), "the second notebook never started"
        process.send_signal(how)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1
    assert "PipelineError interrupted in notebook 02_slow.ipynb after" in out
    # The stopped kernel's own log (ipykernel's traceback of a reply it could no longer send)
    # reached the terminal, twenty lines around the run's one; it stays in the run's folder.
    assert "Traceback" not in err, err
    quiet = runs / "stopped" / "01_ok.kernel.log"  # kept only where that kernel wrote to it
    assert not quiet.exists() or quiet.stat().st_size > 0, "an empty log is not kept"
    record = json.loads((runs / "stopped" / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert record["error"].startswith("interrupted in notebook 02_slow.ipynb after")
    assert [n["status"] for n in record["notebooks"]] == ["ok", "interrupted"]
    assert record["notebooks"][1]["seconds"] > 0, "how long it ran before it was stopped"
    assert (runs / "stopped" / "01_ok.report.html").is_file()
    assert not (tmp_path / "latest").exists(), "reports/latest is for runs that succeeded"


def _stopped_and_failed_notebooks(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Two notebooks under `tmp_path` that `aura run` runs there: 01 has its kernel SIGTERM the
    run's own process, 02 raises. Returns the params file that names both."""
    import aura.reports.runner as runner

    nbs = tmp_path / "notebooks"
    make_notebook(
        nbs / "01_stop.ipynb",
        [PARAMETERS_CELL, "import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\n"
         "time.sleep(10)"],
    )  # fmt: skip
    make_notebook(nbs / "02_fail.ipynb", [PARAMETERS_CELL, "raise ValueError('boom')"])
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_stop: {}\n02_fail: {}\n")
    real = runner.run_pipeline

    def in_tmp(*args, **kwargs):
        return real(*args, **kwargs, notebooks_dir=nbs, runs_dir=tmp_path / "runs")

    monkeypatch.setattr(runner, "run_pipeline", in_tmp)
    return params


def test_aura_run_stopped_exits_130_and_failed_exits_1(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`aura run` stopped by SIGTERM exited 1, as a failed notebook does, where every other
    command a signal stops exits 130: a scheduler could not tell a run it stopped from one
    that failed. The notebook's kernel sends the signal to the run's own process."""
    params = _stopped_and_failed_notebooks(tmp_path, make_notebook, monkeypatch)
    for only, code, said in [
        ("01", 130, "interrupted: aura run stopped in notebook 01_stop.ipynb after"),
        ("02", 1, "error: notebook 02_fail.ipynb failed in cell 2: ValueError: boom"),
    ]:
        result = CliRunner().invoke(app, ["run", "--params", str(params), "--only", only])
        assert result.exit_code == code, result.output
        assert said in " ".join(result.output.split())
    # The stopped notebook's kernel died under papermill's tasks, which asyncio reports as they
    # are collected: here, not in a later test that reads asyncio's log.
    gc.collect()


def test_a_stopped_cells_unawaited_error_is_not_printed_again(caplog) -> None:
    """A run stopped in a cell said where it stopped in one line, then asyncio printed the cell's
    whole KeyboardInterrupt traceback ("Task exception was never retrieved") as the process
    exited. That report is dropped for a cell's error alone; any other task's error still shows."""
    import asyncio
    import gc

    from nbclient.exceptions import CellExecutionError

    async def stopped_cell() -> None:
        raise CellExecutionError("KeyboardInterrupt traceback", "KeyboardInterrupt", "")

    async def broken() -> None:
        raise ValueError("a real bug")

    def unretrieved(make) -> list[str]:
        caplog.clear()
        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(make())
            loop.run_until_complete(asyncio.sleep(0.01))
            assert task.done()
            del task
            gc.collect()
        finally:
            loop.close()
        return [r.getMessage() for r in caplog.records if r.name == "asyncio"]

    quiet_stopped_cells()
    quiet_stopped_cells()  # once is enough however often a process runs the pipeline
    assert unretrieved(stopped_cell) == []
    assert any("never retrieved" in m for m in unretrieved(broken))
    filters = logging.getLogger("asyncio").filters
    assert len(filters) == len({type(f) for f in filters}), "the filter is added once"


def test_a_run_killed_outright_is_told_from_one_under_way(tmp_path: Path, make_notebook) -> None:
    """SIGKILL (the out-of-memory killer, a lost machine) gives a run no chance to write that
    it stopped, and its run.json and page said "running" for ever. Its run.json names its
    process and host, and the next run rewrites its page to say the process is gone."""
    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "01_ok.ipynb", [PARAMETERS_CELL, "print('first')"])
    kernel_pid = tmp_path / "kernel-pid"
    make_notebook(
        nbs / "02_slow.ipynb",
        [PARAMETERS_CELL, f"import os, pathlib, time\npathlib.Path({str(kernel_pid)!r})"
         ".write_text(str(os.getpid()))\ntime.sleep(120)"],
    )  # fmt: skip
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n02_slow: {}\n")
    runs = tmp_path / "runs"
    script = (
        "from pathlib import Path\nfrom aura.reports.runner import run_pipeline\n"
        f"run_pipeline({str(params)!r}, notebooks_dir=Path({str(nbs)!r}),\n"
        f"             runs_dir=Path({str(runs)!r}), run_name='killed')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not kernel_pid.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert kernel_pid.exists(), "the second notebook never started"
    finally:
        process.kill()
        process.wait()
        if kernel_pid.exists():  # the orphaned kernel of the killed run
            os.kill(int(kernel_pid.read_text()), signal.SIGKILL)
    record = json.loads((runs / "killed" / "run.json").read_text())
    assert record["status"] == "running"
    assert record["process"] == {"pid": process.pid, "host": platform.node()}
    assert (
        "Status: <strong class='status-running'>running (process"
        in (runs / "killed" / "index.html").read_text()
    )

    out = io.StringIO()
    _run({"params": params, "notebooks": nbs, "runs": runs}, "next", ["01"], Console(file=out))
    assert "stopped without a word (their process is gone; front pages rewritten): killed" in (
        " ".join(out.getvalue().split())
    )
    page = (runs / "killed" / "index.html").read_text()
    gone = f"stopped without a word (process {process.pid} on {platform.node()} is gone)"
    assert f"Status: <strong class='status-stopped'>{gone}</strong>" in page
    assert "headline rows of 02_slow (cut off) are missing" in page


def test_aura_run_says_where_it_stopped_or_failed_once(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner printed "✗ interrupted interrupted in notebook ..." (or the failed notebook's
    line) and the command the same two lines again under "error:"."""
    params = _stopped_and_failed_notebooks(tmp_path, make_notebook, monkeypatch)
    for only, said in [
        ("01", "aura run stopped in notebook 01_stop.ipynb after"),
        ("02", "notebook 02_fail.ipynb failed in cell 2: ValueError: boom"),
    ]:
        result = CliRunner().invoke(app, ["run", "--params", str(params), "--only", only])
        output = " ".join(result.output.split())
        assert output.count(said) == 1, result.output
        assert output.count("partial output kept in") == 1, result.output
        assert f"✗ [1/1] {only}_" in output  # the notebook's own line, as a finished one's ✓
        assert "(1 notebook, params" in output
    gc.collect()  # as above: the stopped kernel's tasks are reported here, not in a later test


def test_a_notebook_whose_kernel_died_names_the_kernels_log(tmp_path: Path, make_notebook) -> None:
    """A kernel that dies says why on its own stderr alone, which reached the terminal of the
    run and nothing of the run's folder: the folder keeps it beside the notebook, the error
    names it, and a kernel that said nothing leaves no log."""
    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "01_ok.ipynb", [PARAMETERS_CELL, "print('first')"])
    make_notebook(
        nbs / "02_dies.ipynb",
        [PARAMETERS_CELL, "import os\nos.write(2, b'out of shared memory\\n')\nos._exit(3)"],
    )
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_ok: {}\n02_dies: {}\n")
    with pytest.raises(PipelineError) as info:
        run_pipeline(
            params, notebooks_dir=nbs, runs_dir=tmp_path / "runs", run_name="dies",
            console=Console(quiet=True),
        )  # fmt: skip
    run_dir = tmp_path / "runs" / "dies"
    # the kernel may log more of its own (as a finished kernel may); its last words are kept
    assert "out of shared memory\n" in (run_dir / "02_dies.kernel.log").read_text()
    assert "(the kernel's own log: 02_dies.kernel.log)" in str(info.value)
    quiet = run_dir / "01_ok.kernel.log"  # kept only where that kernel, too, wrote to it
    assert not quiet.exists() or quiet.stat().st_size > 0


def test_only_takes_a_notebook_number_with_or_without_its_zero(
    tmp_path: Path, make_notebook
) -> None:
    """`--only 2` is notebook 02 (as `--only 02` is), and `--only 1` is notebook 01, not 10."""
    from aura.reports.runner import discover_notebooks

    nbs = tmp_path / "notebooks"
    for stem in ("10_last", "02_second", "01_first"):
        make_notebook(nbs / f"{stem}.ipynb", ["x = 1"])
    assert [p.stem for p in discover_notebooks(nbs, ["2"])] == ["02_second"]
    assert [p.stem for p in discover_notebooks(nbs, ["1"])] == ["01_first"]
    assert [p.stem for p in discover_notebooks(nbs, ["10", "1"])] == ["01_first", "10_last"]


def test_runs_given_the_same_default_name_each_get_a_folder(tmp_path: Path) -> None:
    """Two runs of one params file started in the same second share the default name: the
    second lands beside the first (`<name>-2`) instead of being refused as a name in use,
    which only a name given with `--run-name` is."""
    from aura.reports.runner import _new_run_dir

    name = "p-20261207T000000Z"
    made = [_new_run_dir(tmp_path, name, explicit=False) for _ in range(3)]
    assert [run.name for run in made] == [name, f"{name}-2", f"{name}-3"]
    assert all(run.is_dir() for run in made)
    with pytest.raises(FileExistsError):
        _new_run_dir(tmp_path, name, explicit=True)


def test_notebooks_run_from_their_own_folder_and_the_command_is_recorded(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook runs from notebooks/, as JupyterLab, nbval and `aura notebooks record` run
    it, so a relative path means the same in all of them; run.json keeps the command line."""
    nbs = tmp_path / "notebooks"
    make_notebook(
        nbs / "01_where.ipynb", [PARAMETERS_CELL, "import os\nprint('cwd=' + os.getcwd())"]
    )
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_where: {}\n")
    monkeypatch.setattr(sys, "argv", ["aura", "run", "--params", "p.yaml", "--run-name", "where"])
    run = run_pipeline(
        params,
        notebooks_dir=nbs,
        runs_dir=tmp_path / "runs",
        run_name="where",
        console=Console(quiet=True),
    )
    assert f"cwd={nbs.resolve()}\\n" in (run / "01_where.ipynb").read_text()
    record = json.loads((run / "run.json").read_text())
    assert record["command"] == "aura run --params p.yaml --run-name where"


def test_a_failed_notebook_is_rendered_for_diagnosis_and_linked(failed_run) -> None:
    """The notebook that failed is rendered as far as it ran, its error included, and its
    reports are linked from the run's page like the others."""
    run_dir, _ = failed_run
    failed = json.loads((run_dir / "run.json").read_text())["notebooks"][1]
    assert failed["outputs"] == ["02_fail.ipynb", "02_fail.html", "02_fail.report.html"]
    for page in ("02_fail.html", "02_fail.report.html"):
        assert "boom in cell three" in (run_dir / page).read_text()
    index = (run_dir / "index.html").read_text()
    assert "<a href='02_fail.report.html'>02_fail.report.html</a>" in index


def test_each_report_opens_with_the_line_naming_its_run(ok_run: Path) -> None:
    for page in ("01_ok.html", "01_ok.report.html"):
        text = (ok_run / page).read_text()
        assert text.index("of <code>aura run</code> with params") < text.index("answer=42"), page


def test_every_link_on_a_runs_page_opens_a_file_of_the_run(ok_run: Path, failed_run) -> None:
    """A stakeholder clicks through the page: no link leads to a report that was not written."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found += [value for name, value in attrs if name in {"href", "src"} and value]

    for run_dir in (ok_run, failed_run[0]):
        links = Links()
        links.feed((run_dir / "index.html").read_text())
        assert "01_ok.report.html" in links.found
        missing = [link for link in links.found if not (run_dir / link).is_file()]
        assert missing == [], run_dir.name


def test_the_report_without_code_shows_no_prompts(tmp_path: Path) -> None:
    """A stakeholder's page shows the results alone: no `In [1]:` beside code it hides, and no
    `Out[1]:` beside a result; the engineers' page keeps both."""
    import nbformat

    from aura.reports.rendering import render_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
    ]
    nb.cells = [cell]
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    full, report = (p.read_text() for p in render_html(path))
    assert ">Out[1]:</div>" in full and ">In\xa0[1]:</div>" in full
    assert ">Out[1]:</div>" not in report and ">In\xa0[1]:</div>" not in report


def test_only_naming_no_notebook_names_the_files_outside_the_pattern(
    tmp_path: Path, make_notebook
) -> None:
    """docs/extending.md, a notebook: a fork's `7_example.ipynb` is no pipeline notebook, and
    `--only 07` said only "no such notebook" beside the others, not why its file was not one."""
    from aura.reports.runner import discover_notebooks

    nbs = tmp_path / "notebooks"
    make_notebook(nbs / "01_first.ipynb", ["x = 1"])
    make_notebook(nbs / "7_example.ipynb", ["x = 1"])
    with pytest.raises(ValueError) as info:
        discover_notebooks(nbs, ["07"])
    assert str(info.value) == (
        "--only 07: no such notebook (available: 01_first; not pipeline notebooks, named "
        "outside NN_name.ipynb: 7_example.ipynb)"
    )
    (nbs / "7_example.ipynb").unlink()
    with pytest.raises(ValueError, match=r"^--only 07: no such notebook \(available: 01_first\)$"):
        discover_notebooks(nbs, ["07"])


@dataclass(frozen=True)
class HungRun:
    """One `aura run --cell-timeout 2` of a notebook whose third cell hangs: what the command
    printed and its exit code, the run's folder, the ids of the kernel and the process it
    started, and the log records of the run."""

    output: str
    exit_code: int
    run_dir: Path
    pids: tuple[int, int]
    logged: list[str]


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, ended but not yet reaped, does not)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _hanging_notebook(tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notebook under `tmp_path` whose third cell hangs as a dead-locked worker would: it
    starts a process that ignores Ctrl-C, writes the kernel's and that process's ids to
    ``pids``, and sleeps a minute; `aura run` runs it there. Returns the params file."""
    import aura.reports.runner as runner

    nbs = tmp_path / "notebooks"
    worker = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)"
    make_notebook(
        nbs / "01_hang.ipynb",
        [
            PARAMETERS_CELL,
            "x = 1",
            f"import os, pathlib, subprocess, sys, time\n"
            f"worker = subprocess.Popen([sys.executable, '-c', {worker!r}])\n"
            f"pathlib.Path({str(tmp_path / 'pids')!r}).write_text(f'{{os.getpid()}} "
            f"{{worker.pid}}')\nprint('hanging')\ntime.sleep(60)",
            "print('never reached')",
        ],
    )
    params = tmp_path / "p.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_hang: {}\n")
    real = runner.run_pipeline

    def in_tmp(*args, **kwargs):
        return real(*args, **kwargs, notebooks_dir=nbs, runs_dir=tmp_path / "runs")

    monkeypatch.setattr(runner, "run_pipeline", in_tmp)
    return params


@pytest.fixture(scope="module")
def hung_run(tmp_path_factory: pytest.TempPathFactory, make_notebook) -> Iterator[HungRun]:
    """`_hanging_notebook` run by `aura run` with a 2 s per-cell limit, once for the tests of
    what such a run leaves. Whatever it left running is killed at the end of the module,
    whether the assertions passed or not."""
    tmp_path = tmp_path_factory.mktemp("hung")
    pids = tmp_path / "pids"
    logged: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())  # type: ignore[method-assign]
    try:
        logging.getLogger().addHandler(handler)
        try:
            with pytest.MonkeyPatch.context() as patch:
                params = _hanging_notebook(tmp_path, make_notebook, patch)
                result = CliRunner().invoke(
                    app,
                    ["run", "--params", str(params), "--run-name", "hung", "--cell-timeout", "2"],
                )
        finally:
            logging.getLogger().removeHandler(handler)
        kernel, started = (int(pid) for pid in pids.read_text().split())
        yield HungRun(
            result.output, result.exit_code, tmp_path / "runs" / "hung", (kernel, started), logged
        )
    finally:
        for pid in pids.read_text().split() if pids.exists() else ():
            if _running(int(pid)):
                os.kill(int(pid), signal.SIGKILL)


def test_a_cell_past_the_limit_stops_the_run_as_a_failed_cell_does(hung_run: HungRun) -> None:
    """A cell that hangs (a dead-locked worker, a stuck server) held `aura run` until someone
    killed it. With `--cell-timeout 2` it stops the run as a failing cell does: one `error:`
    line naming the notebook, the cell and the limit, exit 1, the partial notebook, run.json
    and the index kept, and neither the kernel nor the process it started left running."""
    output, run_dir = hung_run.output, hung_run.run_dir
    assert hung_run.exit_code == 1, output
    said = "notebook 01_hang.ipynb failed in cell 3: ran past the 2 s per-cell limit"
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and said in errors[0], output
    assert f"{said} (--cell-timeout)" in errors[0]
    assert "Traceback" not in output
    # nbclient's own "Timeout waiting for execute reply (2s)." reached the terminal above it
    assert not [message for message in hung_run.logged if "Timeout waiting" in message]
    assert "partial output kept in" in output
    assert "hanging" in (run_dir / "01_hang.ipynb").read_text()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and said in record["error"]
    assert record["cell_timeout_s"] == 2
    assert record["reproduce"].endswith("--cell-timeout 2")
    assert [n["status"] for n in record["notebooks"]] == ["failed"]
    assert "01_hang.report.html" in record["notebooks"][0]["outputs"]
    assert 2 <= record["notebooks"][0]["seconds"] < 60, "stopped before its sleep ended"
    page = (run_dir / "index.html").read_text()
    assert said in page and "each cell limited to 2 s (--cell-timeout)" in page
    kernel, worker = hung_run.pids
    assert not _running(kernel), "the kernel was left running"
    assert not _running(worker), "the process the kernel started was left running"


def test_the_report_of_a_cell_past_the_limit_says_so_where_a_failing_cell_says_its_error(
    hung_run: HungRun,
) -> None:
    """A failing cell gets papermill's red line at the top of its report and an anchor above the
    cell; a cell stopped at the limit got neither, its only output the KeyboardInterrupt of the
    stop, which reads as a Ctrl-C. Its executed notebook and report now say it ran past the
    limit, at the top and above the cell, and its papermill status says failed."""
    import nbformat

    assert hung_run.exit_code == 1, hung_run.output
    cells = nbformat.read(hung_run.run_dir / "01_hang.ipynb", as_version=4).cells
    said = "ran past the 2 s per-cell limit (--cell-timeout) and was stopped"
    assert cells[0].cell_type == "markdown" and said in cells[0].source
    hanging = next(k for k, c in enumerate(cells) if "print('hanging')" in c.source)
    above = cells[hanging - 1]
    assert above.cell_type == "markdown" and 'id="papermill-error-cell"' in above.source
    assert said in above.source and "KeyboardInterrupt below is that stop" in above.source
    assert cells[hanging].metadata.papermill.status == "failed"
    assert [c.source for c in cells if "never reached" in c.source], "the cells after it kept"
    report = (hung_run.run_dir / "01_hang.report.html").read_text()
    assert report.count(said) == 2


def test_a_notebook_within_the_limit_runs_through_and_the_limit_is_recorded(
    project: dict[str, Path],
) -> None:
    run_dir = run_pipeline(
        project["params"],
        notebooks_dir=project["notebooks"],
        runs_dir=project["runs"],
        run_name="limited",
        only=["01"],
        console=Console(quiet=True),
        cell_timeout=60,
    )
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "ok" and record["cell_timeout_s"] == 60
    assert [n["status"] for n in record["notebooks"]] == ["ok"]
    assert record["reproduce"].endswith("--only 01 --cell-timeout 60")


def test_a_run_without_a_limit_records_none(ok_run: Path) -> None:
    record = json.loads((ok_run / "run.json").read_text())
    assert record["cell_timeout_s"] is None
    assert "--cell-timeout" not in record["reproduce"]
    assert "--cell-timeout" not in (ok_run / "index.html").read_text()


@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5"])
def test_a_cell_timeout_that_is_no_whole_positive_number_is_refused_before_a_run_folder(
    tmp_path: Path, make_notebook, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    params = _hanging_notebook(tmp_path, make_notebook, monkeypatch)
    result = CliRunner().invoke(
        app, ["run", "--params", str(params), "--cell-timeout", value], prog_name="aura"
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: aura run: Invalid value for '--cell-timeout'")
    assert f"'{value}'" in lines[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("value", [0, -5, True])
def test_run_pipeline_refuses_a_cell_timeout_below_one_second(
    project: dict[str, Path], tmp_path: Path, value: int
) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(ValueError, match="--cell-timeout .* whole number of seconds of at least 1"):
        run_pipeline(
            project["params"], notebooks_dir=project["notebooks"], runs_dir=runs,
            cell_timeout=value,
        )  # fmt: skip
    assert not runs.exists()


def test_a_notebook_whose_cells_have_no_id_runs_and_is_named_once(project, tmp_path: Path) -> None:
    """A fork's notebook of format 4.5 written without cell ids ran under nbformat's warning, over
    three lines, that a future version will refuse it: twice as the run began (its parameters
    read, then its execution) and once more as a failed cell was named. The run says in one line
    which notebooks lack ids and how they get them, and leaves its notebooks as they are."""
    from nbformat.warnings import MissingIDFieldWarning

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    for source, name in (("03_after", "01_after"), ("02_fail", "02_fail")):
        nb = json.loads((project["notebooks"] / f"{source}.ipynb").read_text())
        for cell in nb["cells"]:
            del cell["id"]
        (nbs / f"{name}.ipynb").write_text(json.dumps(nb))
    before = {p.name: p.read_bytes() for p in nbs.iterdir()}
    params = tmp_path / "params.yaml"
    params.write_text(PARAMS_YAML.split("01_ok:")[0] + "01_after: {}\n02_fail: {}\n")
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingIDFieldWarning)
        with pytest.raises(PipelineError) as failed:
            run_pipeline(
                params,
                notebooks_dir=nbs,
                runs_dir=tmp_path / "runs",
                console=Console(file=out, width=400),
            )
    assert failed.value.cell == 3
    notes = [line for line in out.getvalue().splitlines() if "without an id" in line]
    assert notes == [
        "note: cells without an id, which `aura notebooks record NAME` gives them (this run gives "
        "its copies one): 01_after.ipynb (2 cells), 02_fail.ipynb (4 cells)"
    ]
    assert {p.name: p.read_bytes() for p in nbs.iterdir()} == before
