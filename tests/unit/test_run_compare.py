"""`aura runs compare`: two runs' metrics value by value, beside what the runs were."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aura.cli import app
from aura.reports.run_compare import (
    Difference,
    RunNotReadable,
    against_previous,
    compare_values,
    flatten,
    headline_changes,
    last_complete_run,
    read_run,
    same_value,
    setting_differences,
    shown_difference,
)

METRICS = {
    "02_environment_design": {"tutor_matching": {"oracle_return": 9.8354, "best": "balanced"}},
    "03_rl_training": {
        "headline": [{"metric": "PPO", "value": 0.843}, {"metric": "DQN", "value": 0.732}],
        "train_wall_seconds": 358.2,
        "seeds": 3,
    },
}
RECORD = {
    "run_name": "a",
    "status": "ok",
    "git": {"commit": "1d2c5a6a41a595b4133f25ebcf53c2fb1d6f0860", "dirty": False},
    "processor": "AMD EPYC 9R14",
    "params_file": "params/default.yaml",
    "params": {"shared": {"seed": 1}, "03_rl_training": {"seeds": 3}},
    "lock": {"sha256": "ce12a48a595b2ac9"},
    "python": "3.11.7",
    "libraries": {"torch": "2.13.0+cpu"},
}


def _run(folder: Path, metrics: dict[str, Any], **record: Any) -> Path:
    """A run folder as `aura run` leaves it: run.json and the merged metrics.json."""
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({**RECORD, "run_name": folder.name, **record}))
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def _with_parts(folder: Path) -> Path:
    """Give a run folder its notebooks' own metrics files, as each notebook writes them."""
    (folder / "metrics").mkdir()
    for notebook, metrics in json.loads((folder / "metrics.json").read_text()).items():
        (folder / "metrics" / f"{notebook}.json").write_text(json.dumps(metrics))
    return folder


def _changed(path: str, value: Any) -> dict[str, Any]:
    """A copy of METRICS with the leaf at a dotted path (no list items) set to ``value``."""
    copy = json.loads(json.dumps(METRICS))
    *parents, last = path.split(".")
    node = copy
    for key in parents:
        node = node[key]
    node[last] = value
    return copy


def test_flatten_names_each_leaf_by_its_path_in_the_file() -> None:
    assert dict(flatten(METRICS)) == {
        "02_environment_design.tutor_matching.oracle_return": 9.8354,
        "02_environment_design.tutor_matching.best": "balanced",
        "03_rl_training.headline.0.metric": "PPO",
        "03_rl_training.headline.0.value": 0.843,
        "03_rl_training.headline.1.metric": "DQN",
        "03_rl_training.headline.1.value": 0.732,
        "03_rl_training.train_wall_seconds": 358.2,
        "03_rl_training.seeds": 3,
    }


def test_numbers_are_the_same_exactly_or_within_the_relative_tolerance() -> None:
    assert same_value(1, 1.0) and same_value(None, None) and same_value("ppo", "ppo")
    assert not same_value(0.843, 0.843 + 1e-12)
    assert same_value(0.843, 0.843 + 1e-12, rtol=1e-9)
    assert not same_value(0.843, 0.844, rtol=1e-9)
    assert not same_value(True, 1), "a boolean is not the number 1"
    assert not same_value(None, 0.0) and not same_value("3", 3)


def test_compare_counts_the_same_values_and_names_the_others() -> None:
    b = _changed("03_rl_training.train_wall_seconds", 681.0)
    b["03_rl_training"]["fingerprint"] = "f5579da6"
    del b["02_environment_design"]["tutor_matching"]["best"]
    result = compare_values(METRICS, b)
    assert result.same == 6
    assert result.differ == [Difference("03_rl_training.train_wall_seconds", 358.2, 681.0)]
    assert result.only_a == ["02_environment_design.tutor_matching.best"]
    assert result.only_b == ["03_rl_training.fingerprint"]
    assert not result.identical
    assert compare_values(METRICS, json.loads(json.dumps(METRICS))).identical


def test_ignored_paths_are_left_out_and_counted() -> None:
    b = _changed("03_rl_training.train_wall_seconds", 681.0)
    result = compare_values(METRICS, b, ignore=["*wall_seconds", "02_*"])
    assert result.identical and result.left_out == 3 and result.same == 5
    row = json.loads(json.dumps(METRICS))
    row["03_rl_training"]["headline"][1]["value"] = 0.705
    one_row = compare_values(METRICS, row, ignore=["03_rl_training.headline.1.*"])
    assert one_row.identical and one_row.left_out == 2
    with pytest.raises(ValueError, match="rtol must be 0 or more"):
        compare_values(METRICS, b, rtol=-1.0)


def test_a_difference_in_the_last_bits_is_shown_in_full() -> None:
    assert shown_difference(Difference("x", 0.843, 0.851)) == ("0.843", "0.851", "+0.008")
    a, b, change = shown_difference(Difference("x", 0.9318635141655097, 0.9318635151655097))
    assert (a, b, change) == ("0.9318635141655097", "0.9318635151655097", "+1e-09")
    assert shown_difference(Difference("x", "balanced", None)) == ("balanced", "null", "")
    assert shown_difference(Difference("x", 20000, 20001)) == ("20,000", "20,001", "+1")


def test_a_run_is_read_by_folder_metrics_file_name_or_latest(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = _run(runs / "default-1", METRICS)
    latest = tmp_path / "latest"
    latest.symlink_to(folder)
    (folder / "index.html").write_text("<html></html>")
    copy = tmp_path / "published-metrics.json"
    copy.write_text(json.dumps(METRICS))
    assert read_run(str(copy)).metrics == METRICS
    for where in (
        str(folder),
        str(folder / "metrics.json"),
        str(folder / "run.json"),
        str(folder / "index.html"),
        "default-1",
        "latest",
    ):
        run = read_run(where, runs_dir=runs, latest_link=latest)
        assert run.metrics == METRICS and run.label == "default-1", where
        assert run.record["processor"] == "AMD EPYC 9R14"


def test_a_run_that_stopped_before_the_merge_is_read_from_its_notebooks_files(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "failed"
    (folder / "metrics").mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({**RECORD, "status": "failed"}))
    (folder / "metrics" / "02_environment_design.json").write_text(
        json.dumps(METRICS["02_environment_design"])
    )
    run = read_run(str(folder))
    assert run.metrics == {"02_environment_design": METRICS["02_environment_design"]}
    assert run.source == folder / "metrics"


def test_runs_that_cannot_be_read_are_named_in_one_line(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _run(runs / "older", METRICS)
    with pytest.raises(RunNotReadable) as info:
        read_run("nope", runs_dir=runs, latest_link=tmp_path / "latest")
    assert str(info.value) == (
        f"nope: no such run folder or metrics file, nor a run of that name in {runs} "
        "(the newest there: older)"
    )
    with pytest.raises(RunNotReadable, match=r"^latest: .* does not exist \(no complete run"):
        read_run("latest", runs_dir=runs, latest_link=tmp_path / "latest")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "run.json").write_text(json.dumps({**RECORD, "status": "failed"}))
    with pytest.raises(
        RunNotReadable, match=r"no notebook of it wrote metrics \(run.json: failed\)"
    ):
        read_run(str(empty))
    broken = _run(tmp_path / "broken", METRICS)
    (broken / "metrics.json").write_text('{"01": 1,')
    with pytest.raises(RunNotReadable, match=r"metrics.json: not JSON \(line 1: "):
        read_run(str(broken))
    (broken / "metrics.json").write_text("[1, 2]")
    with pytest.raises(RunNotReadable, match=r"metrics.json: not a metrics file"):
        read_run(str(broken))


def test_what_the_runs_were_run_with_that_differs_is_said(tmp_path: Path) -> None:
    a = read_run(str(_run(tmp_path / "a", METRICS)))
    assert setting_differences(a, a) == []
    b = read_run(
        str(
            _run(
                tmp_path / "b",
                METRICS,
                params={"shared": {"seed": 1}, "03_rl_training": {"seeds": 5}},
                lock={"sha256": "0123456789abcdef"},
                libraries={"torch": "2.14.0"},
                processor="Intel(R) Xeon(R) Processor",
            )
        )
    )
    assert setting_differences(a, b) == [
        "params differ in 1 value(s): 03_rl_training.seeds",
        "lock differs (ce12a48a595b against 0123456789ab)",
        "versions differ: torch",
        "processors differ: training takes another path from the same seed",
    ]


def test_the_command_lists_the_differences_beside_the_runs(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", METRICS)
    b = _run(tmp_path / "b", _changed("03_rl_training.train_wall_seconds", 681.0))
    result = CliRunner().invoke(app, ["runs", "compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("A  a: ok, commit 1d2c5a6, AMD EPYC 9R14, params params/default.yaml")
    assert lines[1].startswith("B  b: ok, commit 1d2c5a6")
    assert lines[2] == "8 values: 7 the same, 1 differ, 0 in A only, 0 in B only"
    assert lines[4].split() == ["03_rl_training.train_wall_seconds", "358.2", "681", "+323"]
    ignored = CliRunner().invoke(
        app, ["runs", "compare", str(a), str(b), "-i", "*wall_seconds", "--check"]
    )
    assert ignored.exit_code == 0, ignored.output
    assert "7 the same, 0 differ, 0 in A only, 0 in B only, 1 left out by --ignore" in (
        ignored.output
    )


def test_check_makes_a_difference_an_exit_code(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", METRICS)
    b = _run(tmp_path / "b", _changed("03_rl_training.seeds", 5))
    result = CliRunner().invoke(app, ["runs", "compare", str(a), str(b), "--check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "error: the runs differ in 1 value(s) (--check)"
    same = CliRunner().invoke(app, ["runs", "compare", str(a), str(a), "--check"])
    assert same.exit_code == 0, same.output


def test_the_command_refuses_a_run_it_cannot_read_in_one_line(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", METRICS)
    result = CliRunner().invoke(app, ["runs", "compare", str(a), str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "missing: no such run folder or metrics file" in result.output
    negative = CliRunner().invoke(app, ["runs", "compare", str(a), str(a), "--rtol", "-1"])
    assert negative.exit_code == 2


def test_most_bounds_the_list_and_says_how_many_more(tmp_path: Path) -> None:
    many_a = {"01_n": {f"v{k:02d}": k for k in range(12)}}
    many_b = {"01_n": {f"v{k:02d}": k + 1 for k in range(12)}}
    a, b = _run(tmp_path / "a", many_a), _run(tmp_path / "b", many_b)
    result = CliRunner().invoke(app, ["runs", "compare", str(a), str(b), "--most", "5"])
    assert result.exit_code == 0, result.output
    assert "01_n.v04" in result.output and "01_n.v05" not in result.output
    assert result.output.splitlines()[-1] == "... and 7 more (--most)"


def _headline(*rows: tuple[str, str, str, str]) -> dict[str, Any]:
    return {
        "05_evaluation": {
            "headline": [{"area": a, "metric": m, "value": v, "target": t} for a, m, v, t in rows]
        }
    }


def test_headline_changes_match_rows_by_area_and_metric() -> None:
    before = _headline(
        ("RL", "PPO tutor matching", "0.843 [0.810, 0.876]", "0.90: missed"),
        ("RL", "grid wall time", "358 s", "600 s: met"),
        ("Supervised", "engagement", "1.07", ""),
    )
    after = _headline(
        ("RL", "grid wall time", "681 s", "600 s: missed by 81 s"),  # another row order
        ("RL", "PPO tutor matching", "0.843 [0.810, 0.876]", "0.90: missed"),
        ("API", "p50 latency", "0.4 ms", ""),
    )
    assert headline_changes(after, before) == [
        {"area": "RL", "metric": "grid wall time", "value": "681 s", "previous": "358 s"},
        {"area": "API", "metric": "p50 latency", "value": "0.4 ms", "previous": ""},
        {"area": "Supervised", "metric": "engagement", "value": "", "previous": "1.07"},
    ]
    target_only = _headline(("RL", "grid wall time", "358 s", "600 s: missed"))
    assert headline_changes(target_only, before)[0]["metric"] == "grid wall time"
    assert headline_changes(before, before) == []


def test_a_run_is_set_beside_the_last_complete_run_of_the_same_params(tmp_path: Path) -> None:
    rows = _headline(("RL", "PPO", "0.843", ""), ("RL", "grid wall time", "358 s", ""))
    previous = _run(tmp_path / "previous", rows)
    moved = _headline(("RL", "PPO", "0.843", ""), ("RL", "grid wall time", "681 s", ""))
    this = _run(tmp_path / "this", moved)
    assert against_previous(this, previous) == {
        "run": "previous",
        "values": 8,
        "same": 7,
        "other_processor": False,
        "headline": [
            {"area": "RL", "metric": "grid wall time", "value": "681 s", "previous": "358 s"}
        ],
    }
    elsewhere = _run(tmp_path / "elsewhere", rows, processor="Intel(R) Xeon(R) Processor")
    assert against_previous(elsewhere, previous)["other_processor"] is True


def test_the_run_set_beside_is_the_newest_complete_one_of_the_same_params(tmp_path: Path) -> None:
    """Not the run reports/latest shows: after a smoke run, a default run was set beside
    nothing of its own params. Runs that failed, ran some notebooks or other params, or whose
    run.json cannot be read are passed over."""
    runs = tmp_path / "runs"
    day = "2026-12-07T{}:00:00+00:00"
    _run(runs / "older", METRICS, started_at=day.format("10"))
    _run(runs / "newer", METRICS, started_at=day.format("11"))
    _run(runs / "failed", METRICS, started_at=day.format("12"), status="failed")
    _run(runs / "partial", METRICS, started_at=day.format("13"), left_out=["02_x.ipynb"])
    _run(
        runs / "smoke",
        METRICS,
        started_at=day.format("14"),
        params_file="params/smoke.yaml",
        params={"shared": {"seed": 2}},
    )
    (runs / "broken").mkdir()
    (runs / "broken" / "run.json").write_text("[")
    this = _run(runs / "this", METRICS, started_at=day.format("15"))
    assert last_complete_run(this) == runs / "newer"
    first = runs / "older"
    shutil.rmtree(runs / "newer")
    assert last_complete_run(this) == first
    assert last_complete_run(runs / "smoke") is None


def test_a_run_named_alone_is_compared_with_the_last_complete_run_of_its_params_before_it(
    tmp_path: Path,
) -> None:
    """Whether a run gave the numbers of the run before it again took finding that run's name;
    its front page already knew it. A run started later is not "before it"."""
    runs = tmp_path / "runs"
    day = "2026-12-07T{}:00:00+00:00"
    _run(runs / "first", METRICS, started_at=day.format("10"))
    second = _run(runs / "second", _changed("03_rl_training.seeds", 5), started_at=day.format("11"))
    _run(runs / "third", METRICS, started_at=day.format("12"))
    result = CliRunner().invoke(app, ["runs", "compare", str(second)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("A  first: ok") and lines[1].startswith("B  second: ok")
    assert "A is the last complete run of B's params before it" in result.output
    assert "03_rl_training.seeds" in result.output and "3 values" not in result.output
    assert last_complete_run(runs / "first") is None, "the runs after it are not before it"


def test_the_newest_run_before_is_found_by_its_time_not_by_how_its_stamp_reads(
    tmp_path: Path,
) -> None:
    """Stamps were compared as text to find the newest: 12:00 at UTC+2 (10:00 UTC) read as
    newer than 11:00 UTC."""
    runs = tmp_path / "runs"
    _run(runs / "east", METRICS, started_at="2026-12-07T12:00:00+02:00")
    _run(runs / "utc", METRICS, started_at="2026-12-07T11:00:00+00:00")
    this = _run(runs / "this", METRICS, started_at="2026-12-07T13:00:00+00:00")
    assert last_complete_run(this) == runs / "utc"


def test_a_run_named_alone_with_none_before_it_or_no_record_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    only = _run(runs / "only", METRICS, started_at="2026-12-07T10:00:00+00:00")
    copy = tmp_path / "published.json"
    copy.write_text(json.dumps(METRICS))
    for where, said in (
        (only, "only: no complete run of its params (params/default.yaml) before it in"),
        (copy, "published.json: no run.json beside it, so no params to find an earlier run of"),
    ):
        result = CliRunner().invoke(app, ["runs", "compare", str(where)])
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and said in result.output, result.output
        assert "name the run to compare it with" in result.output


def test_a_run_with_nan_values_is_the_same_as_itself(tmp_path: Path) -> None:
    folder = tmp_path / "nan"
    _run(folder, {})
    (folder / "metrics.json").write_text('{"03": {"x": NaN, "y": Infinity, "z": [[1, [2]]]}}')
    assert same_value(math.nan, math.nan) and not same_value(math.nan, 1.0)
    result = CliRunner().invoke(app, ["runs", "compare", str(folder), str(folder), "--check"])
    assert result.exit_code == 0, result.output
    assert "4 values: 4 the same, 0 differ" in result.output


def test_odd_run_files_are_refused_in_one_line_naming_the_file(tmp_path: Path) -> None:
    good = _run(tmp_path / "good", METRICS)
    listed = _run(tmp_path / "listed", METRICS)
    (listed / "run.json").write_text("[1, 2]")
    huge = _run(tmp_path / "huge", {})
    (huge / "metrics.json").write_text('{"01": {"x": 1' + "0" * 5000 + "}}")
    deep = _run(tmp_path / "deep", {})
    (deep / "metrics.json").write_text('{"01": ' + "[" * 100_000 + "]" * 100_000 + "}")
    # one notebook's file given: the file not an object, or its run's record not one
    part = _with_parts(_run(tmp_path / "part", METRICS)) / "metrics" / "03_rl_training.json"
    part.write_text("[1, 2]")
    odd = _with_parts(_run(tmp_path / "odd", METRICS))
    (odd / "run.json").write_text('"a run"')
    # a JSON object that is no run's metrics: any was compared key by key, and exit 0
    manifest, empty = tmp_path / "manifest.json", tmp_path / "empty.json"
    manifest.write_text('{"schema_version": 1, "version": "c0fb9b006092"}')
    empty.write_text("{}")
    for given, file, said in (
        (listed, listed / "run.json", "not a run record (a JSON object)"),
        (huge, huge / "metrics.json", "not JSON"),
        (deep, deep / "metrics.json", "not JSON"),
        (part, part, "not a notebook's metrics (a JSON object)"),
        (odd / "metrics" / "03_rl_training.json", odd / "run.json", "not a run record"),
        (manifest, manifest, "not a metrics file: a run's is keyed by notebook"),
        (empty, empty, "not a metrics file: a run's is keyed by notebook"),
    ):
        result = CliRunner().invoke(app, ["runs", "compare", str(given), str(good)])
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1, result.output
        assert result.output.startswith(f"error: {file}: {said}"), result.output


def test_odd_fields_of_a_run_record_and_huge_numbers_are_compared_without_a_traceback(
    tmp_path: Path,
) -> None:
    good = _run(tmp_path / "good", METRICS)
    odd = _run(
        tmp_path / "odd",
        _changed("03_rl_training.seeds", 10**400),
        git="1d2c5a6",
        lock="ce12",
        libraries=["torch"],
        params=[1],
    )
    for rtol in ("0", "0.1"):
        result = CliRunner().invoke(app, ["runs", "compare", str(odd), str(good), "--rtol", rtol])
        assert result.exit_code == 0, result.output
        assert "1 differ" in result.output and "03_rl_training.seeds" in result.output


def test_a_latest_link_to_a_deleted_run_says_where_it_points(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    (tmp_path / "latest").symlink_to(runs / "gone")
    with pytest.raises(RunNotReadable, match=r"^latest: .*latest points at .*gone, which does not"):
        read_run("latest", runs_dir=runs, latest_link=tmp_path / "latest")


def test_a_last_run_with_an_odd_headline_is_still_set_beside(tmp_path: Path) -> None:
    """The comparison runs as a complete run ends: a last run's metrics it cannot make sense of
    must not fail the run that has just succeeded."""
    this = _run(tmp_path / "this", _headline(("RL", "PPO", "0.843", "")))
    previous = _run(tmp_path / "previous", {"05_evaluation": {"headline": 5}, "06": [1]})
    against = against_previous(this, previous)
    assert against["headline"] == [
        {"area": "RL", "metric": "PPO", "value": "0.843", "previous": ""}
    ]


def test_a_folder_that_cannot_be_looked_at_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _run(tmp_path / "a", METRICS)
    locked = tmp_path / "locked" / "run"

    def refused(path: Path, *args: Any, **kwargs: Any) -> Any:
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", refused)
    result = CliRunner().invoke(app, ["runs", "compare", str(a), str(locked)])
    assert result.exit_code == 1, result.output
    assert result.output == f"error: {locked}: cannot be read (Permission denied)\n"


def test_an_empty_list_or_object_is_a_value_of_its_own() -> None:
    """An empty list or object has no leaf under it: two files that differed only there, a
    section of a notebook emptied or gone, compared as identical, and --check passed them."""
    assert dict(flatten({"05": {"pools": [], "extra": {}}})) == {"05.pools": [], "05.extra": {}}
    assert dict(flatten({})) == {}
    emptied = compare_values({"05": {"pools": []}}, {"05": {}})
    assert emptied.only_a == ["05.pools"] and not emptied.identical
    assert compare_values({"05": {"pools": []}}, {"05": {"pools": []}}).same == 1
    changed = compare_values({"05": {"pools": []}}, {"05": {"pools": {}}})
    assert changed.differ == [Difference("05.pools", [], {})]
    assert shown_difference(changed.differ[0]) == ("[]", "{}", "")


def test_a_copy_of_a_metrics_file_is_named_by_its_file(tmp_path: Path) -> None:
    """Two copies side by side in one folder were both named by that folder."""
    for name in ("published.json", "mine.json"):
        (tmp_path / name).write_text(json.dumps(METRICS))
    a, b = (read_run(str(tmp_path / name)) for name in ("published.json", "mine.json"))
    assert (a.label, b.label) == ("published.json", "mine.json")
    folder = _run(tmp_path / "run", METRICS)
    (folder / "run.json").unlink()
    assert read_run(str(folder / "metrics.json")).label == "run"


def test_one_notebooks_file_compares_that_notebook_alone_in_both_runs(tmp_path: Path) -> None:
    """A notebook's own file was read as a whole run's metrics: none of its paths lined up with
    the other run's (``train_wall_seconds`` against ``03_rl_training.train_wall_seconds``), and
    every value of both was "in one run only"."""
    a = _with_parts(_run(tmp_path / "a", METRICS))
    b = _with_parts(_run(tmp_path / "b", _changed("03_rl_training.train_wall_seconds", 400.0)))
    part = read_run(str(a / "metrics" / "03_rl_training.json"))
    assert part.metrics == {"03_rl_training": METRICS["03_rl_training"]}
    assert part.label == "a, notebook 03_rl_training" and part.notebook == "03_rl_training"
    assert part.record["processor"] == "AMD EPYC 9R14", "the run's record, beside its folder"
    result = CliRunner().invoke(
        app, ["runs", "compare", str(a / "metrics" / "03_rl_training.json"), str(b)]
    )
    assert result.exit_code == 0, result.output
    assert "compared: notebook 03_rl_training alone (A named its metrics file)" in result.output
    assert "6 values: 5 the same, 1 differ, 0 in A only, 0 in B only" in result.output
    assert "03_rl_training.train_wall_seconds" in result.output
    assert "02_environment_design" not in result.output


def test_two_notebooks_files_of_different_notebooks_are_refused_in_one_line(
    tmp_path: Path,
) -> None:
    a = _with_parts(_run(tmp_path / "a", METRICS))
    result = CliRunner().invoke(
        app,
        [
            "runs",
            "compare",
            str(a / "metrics" / "03_rl_training.json"),
            str(a / "metrics" / "02_environment_design.json"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1, result.output
    assert "A is notebook 03_rl_training's metrics and B notebook 02_environment_design's" in (
        result.output
    )


def test_a_row_whose_label_changed_is_still_the_same_row() -> None:
    """A grid read back says so in its row's label ("... an earlier training's: this run kept
    every run"), and a second smoke run's page listed its wall time twice, once a side, as if
    two rows had come and gone though the value was the same."""
    first = _headline(("RL training", "grid wall time (12 runs)", "47 s", ""))
    kept = _headline(("RL training", "grid wall time (12 runs; an earlier training's)", "47 s", ""))
    assert headline_changes(kept, first) == []
    slower = _headline(("RL training", "grid wall time (12 runs; retrained)", "52 s", ""))
    assert headline_changes(slower, first) == [
        {
            "area": "RL training",
            "metric": "grid wall time (12 runs; retrained)",
            "value": "52 s",
            "previous": "47 s",
        }
    ]
    other_area = _headline(("Supervised", "grid wall time (12 runs; retrained)", "47 s", ""))
    assert len(headline_changes(other_area, first)) == 2, "rows of other areas are not paired"


def test_a_key_with_a_dot_does_not_share_a_path_with_a_nested_key() -> None:
    """Unquoted, {"a.b": 1} and {"a": {"b": 2}} flattened to one path a.b, so one value hid
    the other and two files differing there compared as the same."""
    both = {"n": {"a.b": 1, "a": {"b": 2}}}
    assert dict(flatten(both)) == {'n."a.b"': 1, "n.a.b": 2}
    swapped = {"n": {"a.b": 2, "a": {"b": 1}}}
    assert [d.path for d in compare_values(both, swapped).differ] == ['n."a.b"', "n.a.b"]


def test_another_file_of_a_folder_without_metrics_is_named_beside_the_folder(
    tmp_path: Path,
) -> None:
    """ "A file in it" reads the file's folder, so `/etc/passwd` was refused as "/etc: no
    metrics.json", without a word of the file given."""
    good = _run(tmp_path / "good", METRICS)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("x")
    result = CliRunner().invoke(app, ["runs", "compare", str(folder / "readme.txt"), str(good)])
    assert result.exit_code == 1
    assert result.output.endswith(f"({folder / 'readme.txt'} is a file of it)\n"), result.output
