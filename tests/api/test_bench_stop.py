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
