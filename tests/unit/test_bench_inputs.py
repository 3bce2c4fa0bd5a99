"""The benchmarks refuse input they cannot use in one line that names the option, before they
time anything, start a server or need wrk (a repeat count of 0 ended in a StatisticsError after
the work, a missing params file in a traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aura.config import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"
ANOTHER_AURA = "the aura of another folder"


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400"},  # rich's error box on one line
    )


@pytest.mark.parametrize("script", ["bench_api.py", "bench_lambda.py"])
def test_a_folder_without_artifacts_is_refused_naming_the_option(
    tmp_path: Path, script: str
) -> None:
    out = run_bench(script, "--artifacts", str(tmp_path), "--out", str(tmp_path / "x"))
    assert out.returncode == 2, out.stderr
    assert "--artifacts" in out.stderr
    assert f"{tmp_path} has no manifest.json" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("script", "option", "value"),
    [
        ("bench_api.py", "--runs", "0"),
        ("bench_api.py", "--seconds", "0"),
        ("bench_api.py", "--workers-check", "-1"),
        ("bench_lambda.py", "--runs", "0"),
        ("bench_lambda.py", "--requests", "0"),
        ("bench_lambda.py", "--memory-size", "64"),
        ("bench_supervised.py", "--repeats", "0"),
        ("bench_rl_training.py", "--repeats", "0"),
        ("bench_rl_training.py", "--grids", "0"),
        ("bench_envs.py", "--steps", "0"),
        ("bench_envs.py", "--repeats", "0"),
        ("bench_filter.py", "--episodes", "0"),
        ("bench_filter.py", "--repeats", "0"),
        ("ope_coverage.py", "--replications", "0"),
    ],
)
def test_a_count_out_of_range_is_refused_naming_the_option(
    script: str, option: str, value: str
) -> None:
    out = run_bench(script, option, value)
    assert out.returncode == 2, out.stderr
    low = {"--workers-check": "0", "--memory-size": "128"}.get(option, "1")
    assert f"Invalid value for '{option}': Input should be greater than or equal to {low}" in (
        out.stderr
    )
    assert "Traceback" not in out.stderr


def test_the_rl_benchmark_names_a_params_file_it_cannot_read(tmp_path: Path) -> None:
    out = run_bench("bench_rl_training.py", "--quick", "--params", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2, out.stderr
    assert f"Invalid value for --params: params file not found: {tmp_path / 'nope.yaml'}" in (
        out.stderr
    )
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "script",
    [
        "bench_generation.py",
        "bench_api.py",
        "bench_lambda.py",
        "bench_envs.py",
        "bench_filter.py",
        "bench_supervised.py",
        "bench_rl_training.py",
        "ope_coverage.py",
    ],
)
def test_an_out_that_cannot_be_written_is_refused_before_the_runs(
    tmp_path: Path, script: str
) -> None:
    """The report was written after every run: a path under a file lost minutes of them."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    out = a_file / "report.json"
    result = run_bench(script, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert (
        f"Invalid value for '--out': {out} lies under {a_file}, which is a file, not a folder"
        in result.stderr
    )
    assert a_file.read_text() == "kept\n"


def test_a_report_names_the_commit_and_host_that_gave_it(tmp_path: Path) -> None:
    """A figure quoted from reports/bench/ is traced to its code and host by the report itself:
    the commit, AURA's version, the lock, the processor and the host's speed
    (`benchmarks/provenance.py`)."""
    import json

    from aura.reports.provenance import git_state

    out = tmp_path / "envs.json"
    result = run_bench("bench_envs.py", "--steps", "200", "--repeats", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    made = report["provenance"]
    assert made["commit"] == git_state()["commit"]
    assert made["aura_version"] and made["machine"]["processor"] and made["host_speed_s"] > 0
    assert made["lock"]["file"] == "constraints.txt" and made["lock"]["off_lock"] == {}
    assert report["steps_per_run"] == 200
    assert all(len(r["runs"]) == 2 for r in report["results"].values())


def test_the_api_benchmark_says_which_targets_a_summary_misses(monkeypatch) -> None:
    """The summary gave every median but no verdict: a p99 of 4.8 ms against the 3 ms target
    and a throughput ratio of 0.55 against 0.6 passed without a word."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_api

    endpoints = dict.fromkeys(bench_api.ENDPOINTS)
    summary = {
        "single_p50_ms": {n: 0.8 for n in endpoints},
        "single_p99_ms": {**{n: 2.0 for n in endpoints}, "engagement": 4.8},
        "throughput_ratio_64": {**{n: 0.7 for n in endpoints}, "tutor-match": 0.55},
        "errors_1000": 0,
        "users_10000": {"service_keep_alive": {"errors": 0}, "uvicorn_keep_alive": {"errors": 9}},
        "batch_100k_seconds": {n: 1.0 for n in endpoints},
        "rss_mb": 170.0,
    }
    met = bench_api.meets_targets(summary)
    assert set(met) == set(bench_api.TARGETS)
    assert [name for name, ok in met.items() if not ok] == ["single_p99_ms", "throughput_ratio_64"]


def another_checkout(folder: Path) -> Path:
    """``folder`` made the root of another checkout, whose `aura` stops whatever imports it."""
    decoy = folder / "aura"
    decoy.mkdir()
    (decoy / "__init__.py").write_text(f"raise SystemExit({ANOTHER_AURA!r})\n")
    return folder


def test_the_api_benchmark_serves_the_aura_of_its_own_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server was started with `python -c` from the benchmark's working folder, which
    Python searches first: run from another folder (another checkout), the benchmark measured
    that folder's `aura`. The command runs in the benchmark's own repository, first on its
    PYTHONPATH too, and the command as built starts that repository's `aura`."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_api

    checkout = Path(bench_api.__file__).resolve().parent.parent
    another_checkout(tmp_path)
    monkeypatch.chdir(tmp_path)

    process = bench_api.server_process(Path("artifacts"), 8123, 2, None)

    assert Path(process["cwd"]) == checkout
    assert process["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(checkout)
    assert process["args"][-2:] == ["--artifacts", str(tmp_path / "artifacts")]  # as named
    started = subprocess.run(
        [*process["args"], "--help"],
        cwd=process["cwd"],
        env=process["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    assert "Serve the prediction API" in started.stdout


def test_the_generation_benchmark_runs_the_aura_of_its_own_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each generation ran with `python -c` in `aura.config.PROJECT_ROOT`, the root of whichever
    `aura` the benchmark imported (another checkout's, with that checkout's interpreter): it
    measured that `aura`. It runs on the benchmark's own checkout's, from any folder."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_generation

    monkeypatch.chdir(another_checkout(tmp_path))
    # the root of the `aura` imported, as it reads where that is another checkout's
    monkeypatch.setattr(bench_generation, "PROJECT_ROOT", tmp_path, raising=False)

    run = bench_generation.measure_once({"n_learners": 20, "n_tutors": 3, "n_sessions": 40})

    assert run["bytes_written"] > 0 and run["seconds"] > 0


def test_the_lambda_benchmark_cold_starts_the_aura_of_its_own_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each cold start ran `python -c` in the benchmark's working folder, which Python searches
    first: run from another checkout's root, it timed that checkout's handler. It starts the
    benchmark's own checkout's, on the artifacts folder named (here one that does not exist,
    which stops the handler at its start, naming the folder)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_lambda

    monkeypatch.chdir(another_checkout(tmp_path))

    with pytest.raises(subprocess.CalledProcessError) as stopped:
        bench_lambda.cold_start(Path("artifacts"), bench_lambda.event("GET", "/health"))

    assert ANOTHER_AURA not in stopped.value.stderr
    assert str(tmp_path / "artifacts") in stopped.value.stderr


def test_a_benchmark_refuses_the_aura_of_another_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run with another checkout's interpreter, whose venv installs that checkout, a benchmark
    imported that checkout's `aura`, measured it in process and wrote a report naming its
    commit into this checkout's reports/bench/. The provenance every benchmark takes before it
    measures refuses the run, naming both folders and this checkout's interpreter."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import typer
    from provenance import provenance

    import aura

    other = tmp_path / "other"
    monkeypatch.setattr(aura, "__file__", str(other / "aura" / "__init__.py"))

    with pytest.raises(typer.BadParameter) as refused:
        provenance()

    message = refused.value.format_message()
    assert "\n" not in message
    assert f"imports aura from {other}, not from this benchmark's checkout {PROJECT_ROOT}" in (
        message
    )
    assert f"run it with {PROJECT_ROOT / '.venv' / 'bin' / 'python'}" in message


def test_a_benchmark_on_another_checkouts_aura_stops_before_it_measures(tmp_path: Path) -> None:
    """The same run end to end: a copy of `aura` first on the path, as another checkout's
    editable install puts it, stops the benchmark in one line and writes no report."""
    other = tmp_path / "other"
    shutil.copytree(PROJECT_ROOT / "aura", other / "aura", ignore=shutil.ignore_patterns("*.pyc"))
    out = tmp_path / "envs.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_envs.py"), "--steps", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "400", "PYTHONPATH": str(other)},
    )
    assert result.returncode == 2, result.stderr
    assert f"imports aura from {other}, not from this benchmark's checkout {PROJECT_ROOT}" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_run_at_other_settings_keeps_the_default_record(monkeypatch, tmp_path: Path) -> None:
    """Only the default settings write reports/bench/NAME.json, the record the docs quote: a
    check (`bench_envs.py --steps 200`, `bench_generation.py --quick`), another artifacts folder
    (the smoke run's) or a params file named default.yaml outside params/ replaced it."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_api
    import bench_envs
    import bench_generation
    import bench_lambda
    import bench_rl_training
    import bench_supervised
    import provenance

    from aura.config import ARTIFACTS_DIR, PARAMS_DIR, PROJECT_ROOT

    monkeypatch.setattr(provenance, "BENCH_DIR", tmp_path)
    recorded = tmp_path / "envs.json"
    recorded.write_text('{"steps_per_run": 100000}')
    bench_envs.main(steps=200, repeats=1)
    assert recorded.read_text() == '{"steps_per_run": 100000}'
    assert json.loads((tmp_path / "envs-quick.json").read_text())["steps_per_run"] == 200

    def names(*paths: Path) -> list[str]:
        return [p.name for p in paths]

    smoke = PROJECT_ROOT / "artifacts-smoke"
    copy = tmp_path / "elsewhere" / "default.yaml"
    assert names(
        bench_envs.default_out(bench_envs.STEPS, bench_envs.REPEATS),
        bench_envs.default_out(200, 1),
        bench_generation.default_out(False),
        bench_generation.default_out(True),
        bench_supervised.default_out(3),
        bench_supervised.default_out(1),
        bench_lambda.default_out(ARTIFACTS_DIR, 5, 200, 256),
        bench_lambda.default_out(smoke, 5, 200, 256),
        bench_lambda.default_out(ARTIFACTS_DIR, 1, 10, 256),
        bench_lambda.default_out(ARTIFACTS_DIR, 5, 200, 512),
        bench_api.default_out(ARTIFACTS_DIR, 5, 3, 2),
        bench_api.default_out(smoke, 3, 1, 0),
        bench_rl_training.default_out(PARAMS_DIR / "default.yaml", False),
        bench_rl_training.default_out(PARAMS_DIR / "default.yaml", True),
        bench_rl_training.default_out(PARAMS_DIR / "smoke.yaml", False),
        bench_rl_training.default_out(copy, False),
    ) == [
        "envs.json",
        "envs-quick.json",
        "generation.json",
        "generation-quick.json",
        "supervised.json",
        "supervised-quick.json",
        "lambda.json",
        "lambda-artifacts-smoke.json",
        "lambda-quick.json",
        "lambda-512mb.json",
        "api.json",
        "api-artifacts-smoke-quick.json",
        "rl_training.json",
        "rl_training-quick.json",
        "rl_training-smoke.json",
        "rl_training-default.json",
    ]


def test_a_report_records_the_settings_it_ran_with(monkeypatch, tmp_path: Path) -> None:
    """A figure is quoted as the median of N runs: the report says N, and which params file
    gave it. A quick RL or generation report read like a full one, and none but the API's and
    the supervised one's recorded the counts."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_envs
    import bench_generation
    import bench_rl_training

    from aura.config import PARAMS_DIR
    from aura.files import sha256_file

    bench_envs.main(steps=200, repeats=2, out=tmp_path / "envs.json")
    envs = json.loads((tmp_path / "envs.json").read_text())
    assert envs["settings"] == {"steps": 200, "repeats": 2}

    fake = {"seconds": 1.0, "cpu_seconds": 1.0, "peak_rss_mb": 1.0}
    monkeypatch.setattr(bench_generation, "measure_once", lambda sizes: fake)
    bench_generation.main(quick=True, out=tmp_path / "generation.json")
    generation = json.loads((tmp_path / "generation.json").read_text())
    assert generation["settings"] == {"quick": True}

    monkeypatch.setattr(bench_rl_training, "throughput", lambda params, repeats: {})
    monkeypatch.setattr(bench_rl_training, "scoring", lambda params, repeats: {})
    smoke = PARAMS_DIR / "smoke.yaml"
    bench_rl_training.main(params=smoke, quick=True, out=tmp_path / "rl.json")
    rl = json.loads((tmp_path / "rl.json").read_text())
    assert rl["settings"] == {
        "params": str(smoke.resolve()),
        "params_sha256": sha256_file(smoke),
        "quick": True,
        "repeats": 1,
        "grids": 0,
    }


@pytest.mark.parametrize(
    ("option", "value", "why"),
    [("--grids", "3", "--quick trains no grid"), ("--repeats", "5", "--quick runs one repeat")],
)
def test_the_rl_benchmark_refuses_a_count_quick_would_ignore(
    tmp_path: Path, option: str, value: str, why: str
) -> None:
    """`--quick --grids 3` trained no grid and wrote a report without a word about the three."""
    out = tmp_path / "rl.json"
    result = run_bench("bench_rl_training.py", "--quick", option, value, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert f"Invalid value for {option}: {why}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_the_coverage_study_reports_every_interval_and_the_coverage_of_each(
    tmp_path: Path,
) -> None:
    """One replication: four policies by three estimators, each interval beside its true value,
    and the summary's coverage per policy and estimator (0 or 1 from one replication)."""
    import json

    out = tmp_path / "coverage.json"
    result = run_bench("ope_coverage.py", "--replications", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["settings"]["replications"] == 1
    assert report["provenance"]["commit"]
    assert len(report["replications"]) == 12
    assert len(report["summary"]) == 12
    covered = {(r["policy"], r["estimator"]): r["covered"] for r in report["replications"]}
    for row in report["summary"]:
        assert row["coverage"] == float(covered[row["policy"], row["estimator"]])


@pytest.mark.parametrize(("count", "p99"), [(1, 1), (100, 99), (200, 198), (1000, 990)])
def test_the_lambda_benchmarks_p99_is_the_nearest_rank(monkeypatch, count: int, p99: int) -> None:
    """The warm p99 took the time at index int(0.99 n): of 100 requests, the slowest, and of the
    default 200, the 199th of 200 rather than the 198th."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_lambda

    times = [ms / 1e3 for ms in range(count, 0, -1)]  # 1 to `count` ms, in any order
    figures = bench_lambda.percentiles_ms(times)
    assert figures["p99_ms"] == pytest.approx(p99)
    assert figures["p50_ms"] == pytest.approx((count + 1) / 2)


def test_a_stop_while_the_generation_process_starts_ends_that_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stop (Ctrl-C, or SIGTERM taken as Ctrl-C) that came after the generation process had
    started but before `subprocess.run` had it in hand left that process running, unknown to
    the benchmark, which then stopped. The stop is held until the process is known, and ends
    it."""
    import signal

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_generation

    started: list[int] = []

    class StoppedWhileStarting(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self.pid)
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, the child started

    monkeypatch.setattr(subprocess, "Popen", StoppedWhileStarting)

    # as in a shell: a pytest-xdist worker may ignore SIGINT, which the benchmark leaves ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            bench_generation.measure_once({"n_learners": 20, "n_tutors": 3, "n_sessions": 40})
    finally:
        signal.signal(signal.SIGINT, previous)

    [pid] = started
    try:
        os.waitpid(pid, os.WNOHANG)  # reaps it if it ended unwaited
        os.kill(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass  # ended
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the generation process outlived the stop")
