"""The benchmarks that start the service: bench_api.py stopped by SIGTERM (`kill`, a scheduler)
stops the server it started (Python's default for SIGTERM ended the benchmark at once, and the
`aura serve` it had started kept running, bound to its port), and bench_api.py and
bench_lambda.py name a service setting they cannot use before they start anything."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aura.config import PROJECT_ROOT


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the API benchmark needs wrk")
@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 11_024, reason="open-files hard limit"
)
def test_a_stopped_api_benchmark_stops_its_server(artifacts_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    bench = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / "bench_api.py")]
        + ["--artifacts", str(artifacts_dir), "--seconds", "30", "--runs", "1"]
        + ["--workers-check", "0", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        servers: list[int] = []
        while not servers:  # the server, then wrk on its first 30 s run
            assert bench.poll() is None, bench.communicate()
            assert time.monotonic() < deadline, "no server started within 120 s"
            servers = [
                p
                for p in children(bench.pid)
                if b"serve" in Path(f"/proc/{p}/cmdline").read_bytes()
            ]
            time.sleep(0.2)
        time.sleep(3)
        bench.send_signal(signal.SIGTERM)
        _, stderr = bench.communicate(timeout=60)
        for _ in range(50):
            if not alive(servers[0]):
                break
            time.sleep(0.1)
        assert not alive(servers[0]), "the server outlived the benchmark"
        assert bench.returncode == 130, stderr
        assert "stopped; every server it started is stopped, no report written" in stderr
        assert "Traceback" not in stderr
        assert not out.exists()
    finally:
        if bench.poll() is None:
            bench.kill()
        for pid in servers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("script", "variable", "value", "says"),
    [
        ("bench_api.py", "AURA_MAX_RECORDS", "10", "AURA_MAX_RECORDS is 10; the benchmark sends"),
        ("bench_api.py", "AURA_MAX_BODY_BYTES", "1000", "AURA_MAX_BODY_BYTES is 1000;"),
        ("bench_lambda.py", "AURA_MAX_RECORDS", "abc", "AURA_MAX_RECORDS must be a positive"),
    ],
)
def test_a_service_setting_the_benchmark_cannot_use_is_named_before_it_starts(
    artifacts_dir: Path, tmp_path: Path, script: str, variable: str, value: str, says: str
) -> None:
    """The servers and the handler read AURA_* from the benchmark's environment: a record limit
    below its 100,000-record batches ended the API's run after its first minute in a KeyError
    traceback, an unusable value the Lambda handler's in a ValueError traceback."""
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / script)]
        + ["--artifacts", str(artifacts_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, variable: value, "COLUMNS": "400"},
    )
    assert result.returncode == 2, result.stderr
    assert "Invalid value for the environment:" in result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


SIGTERM_BIT = 1 << (signal.SIGTERM - 1)


def catches_sigterm(pid: int) -> bool:
    """Whether the process has a handler of its own for SIGTERM (its status's SigCgt mask)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & SIGTERM_BIT)
    return False


def stop_while_running(
    command: list[str], scratch: Path, started, signum: int = signal.SIGTERM
) -> tuple[str, int, list[int]]:
    """Run a benchmark with ``scratch`` as its TMPDIR, send it ``signum`` once ``started(pid)``
    holds, and return its stderr, its exit code and the children it had then."""
    scratch.mkdir()
    bench = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch), "COLUMNS": "400"},
    )
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not started(bench.pid):
            assert bench.poll() is None, bench.communicate()
            assert time.monotonic() < deadline, "the benchmark did not start within 180 s"
            time.sleep(0.1)
        kids = children(bench.pid)
        bench.send_signal(signum)
        _, stderr = bench.communicate(timeout=120)
        for _ in range(50):
            if not any(alive(pid) for pid in kids):
                break
            time.sleep(0.1)
        return stderr, bench.returncode, [pid for pid in kids if alive(pid)]
    finally:
        if bench.poll() is None:
            bench.kill()
        for pid in kids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def scratch_left(scratch: Path) -> list[str]:
    """What is in the scratch folder, less the hidden files the host's tools may leave there
    (a temporary file or folder of Python's is never hidden)."""
    return sorted(p.name for p in scratch.iterdir() if not p.name.startswith("."))


def bench(script: str, *args: str) -> list[str]:
    return [sys.executable, str(PROJECT_ROOT / "benchmarks" / script), *args]


def runs_child(code: bytes):
    """Whether the benchmark has a child whose command holds ``code`` (its measurement's, not
    the `git` its provenance runs)."""

    def running(pid: int) -> bool:
        for child in children(pid):
            try:
                if code in Path(f"/proc/{child}/cmdline").read_bytes():
                    return True
            except OSError:  # ended meanwhile
                pass
        return False

    return running


@pytest.mark.parametrize(
    ("script", "args", "ended", "started"),
    [
        (  # its generation runs in a process of its own, writing into a scratch folder
            "bench_generation.py",
            ["--quick"],
            "; its generation process is ended",
            runs_child(b"write_datasets"),
        ),
        (  # its throughput runs train into scratch folders
            "bench_rl_training.py",
            ["--quick", "--params", str(PROJECT_ROOT / "params" / "smoke.yaml")],
            "; its training is ended and its scratch models removed",
            None,  # a scratch folder made
        ),
        ("bench_envs.py", [], "", catches_sigterm),
        ("bench_supervised.py", ["--repeats", "1"], "", catches_sigterm),
        ("ope_coverage.py", [], "", catches_sigterm),
    ],
)
def test_a_benchmark_stopped_by_sigterm_ends_what_it_started_and_says_so(
    tmp_path: Path, script: str, args: list[str], ended: str, started
) -> None:
    """SIGTERM (`kill`, a scheduler) ended a benchmark at once, without a word: the generation
    it had started went on for a minute, writing 220 MB into its scratch folder, and the RL
    benchmark's scratch models stayed in the temporary folder. It is taken as Ctrl-C: the
    child is ended, the scratch folders removed, and one line says that no report was
    written."""
    scratch = tmp_path / "scratch"
    out = tmp_path / "report.json"
    if started is None:

        def started(pid: int) -> bool:
            return bool(scratch_left(scratch))

    stderr, code, left = stop_while_running(
        bench(script, *args, "--out", str(out)), scratch, started
    )

    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == (
        f"{script.removesuffix('.py')}: stopped{ended}, no report written"
    )
    assert "Traceback" not in stderr
    assert left == [], "a child outlived the benchmark"
    assert scratch_left(scratch) == []
    assert not out.exists()


def test_a_stopped_lambda_benchmark_ends_its_cold_start(
    artifacts_dir: Path, tmp_path: Path
) -> None:
    """Each cold start is a process of its own: SIGTERM left the one under way running."""
    out = tmp_path / "lambda.json"
    command = bench("bench_lambda.py", "--artifacts", str(artifacts_dir), "--out", str(out))

    stderr, code, left = stop_while_running(
        command, tmp_path / "scratch", runs_child(b"aws_lambda")
    )

    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == (
        "bench_lambda: stopped; its cold-start process is ended, no report written"
    )
    assert left == [], "the cold start outlived the benchmark"
    assert not out.exists()


AS_IN_A_TERMINAL = """
import runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job inherits it ignored
sys.argv = sys.argv[1:]
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_ctrl_c_once_the_benchmark_runs_ends_what_it_started(tmp_path: Path) -> None:
    """Ctrl-C in the benchmark's first seconds ends it at once (`stopping.stoppable_from_start`,
    nothing is started yet); once it runs, the stop is `stoppable`'s again, which ends the
    generation process and removes its scratch folder before it exits."""
    scratch = tmp_path / "scratch"
    out = tmp_path / "report.json"
    command = [sys.executable, "-c", AS_IN_A_TERMINAL]
    command += bench("bench_generation.py", "--quick", "--out", str(out))[1:]

    stderr, code, left = stop_while_running(
        command, scratch, runs_child(b"write_datasets"), signal.SIGINT
    )

    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == (
        "bench_generation: stopped; its generation process is ended, no report written"
    )
    assert "Traceback" not in stderr
    assert left == [], "a child outlived the benchmark"
    assert scratch_left(scratch) == []
    assert not out.exists()


def test_a_report_part_left_by_a_killed_run_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """A run killed (SIGKILL) while it wrote its report leaves ``NAME.json.part``: the next
    run's report overwrote it, but a next run that was stopped left it for good among the
    reports. The next run removes it as it starts, and a stop then leaves no part."""
    out = tmp_path / "envs.json"
    part = tmp_path / "envs.json.part"
    part.write_text('{"benchmark": "env_steps_per_')  # cut short by the kill

    stderr, code, _ = stop_while_running(
        bench("bench_envs.py", "--out", str(out)),
        tmp_path / "scratch",
        lambda pid: catches_sigterm(pid) and not part.exists(),
    )

    assert code == 130, stderr
    assert stderr.strip().splitlines()[-1] == "bench_envs: stopped, no report written"
    assert not part.exists()
    assert not out.exists()
