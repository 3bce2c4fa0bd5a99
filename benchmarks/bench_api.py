"""Latency, throughput, concurrency, batch time and memory of the prediction API, measured with
wrk against `aura serve` on 127.0.0.1, against the issue's targets.

Measurements (each repeated ``--runs`` times; medians are reported beside every run):

- one connection, one record per request, per endpoint: p50 and p99 latency;
- 64 connections: requests/s of each prediction endpoint and of ``GET /health`` (a constant
  response through the same middleware), alternated in one run of the server; the ratio of
  medians is the figure;
- 1,000 concurrent connections on the compatibility endpoint for ``MANY_SECONDS``: socket errors,
  timeouts (no answer within ``WRK_TIMEOUT``) and non-2xx answers, and the p99 and slowest
  latency, which show a connection left waiting while others are served;
- a 100,000-record batch per endpoint, end to end (request bytes sent to response parsed);
- the server's resident memory after loading (VmRSS) and its peak (VmHWM) after the batches;
- with ``--workers-check N``, single-connection p50 with N uvicorn workers (Nagle check).

The machine may be shared: the load average before and after is recorded beside the figures.

    python benchmarks/bench_api.py --artifacts artifacts        # full measurement
    python benchmarks/bench_api.py --artifacts X --seconds 3 --runs 1    # quick check

Writes reports/bench/api.json (aura.config.BENCH_DIR).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx2
import typer

from aura.config import ARTIFACTS_DIR, BENCH_DIR

ENDPOINTS = ("compatibility", "engagement", "difficulty", "tutor-match")
PREDICT = "/api/ml/predict/"
TARGETS = {
    "single_p50_ms": 1.0,
    "single_p99_ms": 3.0,
    "throughput_ratio_64": 0.6,
    "errors_1000": 0,
    "batch_100k_seconds": 5.0,
    "rss_mb": 400.0,
}
MANY_SECONDS = 20
"""Length of the 1,000-connection run: long enough that a connection starved by the server
waits past ``WRK_TIMEOUT`` and counts as an error."""
WRK_TIMEOUT = 10
"""Seconds wrk waits for an answer before counting a timeout."""
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))


@contextmanager
def server(artifacts: Path, workers: int, log: Path):
    """`aura serve` on a free loopback port; stopped by its PID on exit."""
    port = free_port()
    command = [sys.executable, "-c", "from aura.cli import app; app()", "serve"]
    command += ["--port", str(port), "--workers", str(workers), "--artifacts", str(artifacts)]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_raise_fd_limit
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text()}")
            try:
                if httpx2.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 120 s")
            time.sleep(0.2)
        yield proc, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wrk(
    url: str, path: str, body: bytes | None, connections: int, seconds: float, tmp: Path
) -> dict:
    """One wrk run; its Lua `done` hook prints the summary as JSON."""
    script = tmp / "wrk.lua"
    lua = WRK_REPORT
    if body is not None:
        (tmp / "body.json").write_bytes(body)
        lua = (
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'local f = io.open("{tmp / "body.json"}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
            + lua
        )
    script.write_text(lua)
    threads = 1 if connections == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    command += ["--timeout", f"{WRK_TIMEOUT}s", url + path]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=_raise_fd_limit
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}\n{result.stderr}")
    report = json.loads(lines[-1])
    non2xx = 0
    for line in result.stdout.splitlines():
        if "Non-2xx or 3xx responses" in line:
            non2xx = int(line.rsplit(":", 1)[1])
    report["non2xx"] = non2xx
    report["rps"] = report["requests"] / report["seconds"]
    return report


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of a process (and its children, for workers)."""

    def read(p: int) -> dict[str, float]:
        values = {}
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
        return values

    return read(pid)


def examples(url: str) -> dict[str, Any]:
    doc = httpx2.get(url + "/openapi.json").json()
    out = {}
    for name in ENDPOINTS:
        content = doc["paths"][PREDICT + name]["post"]["requestBody"]["content"]
        out[name] = content["application/json"]["examples"]["one record"]["value"]
    return out


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(
    artifacts: Annotated[Path, typer.Option(help="Artifacts folder to serve.")] = ARTIFACTS_DIR,
    seconds: Annotated[int, typer.Option(help="Duration of each wrk run, in seconds.")] = 5,
    runs: Annotated[int, typer.Option(help="Repetitions of each measurement.")] = 3,
    workers_check: Annotated[
        int, typer.Option(help="Also measure with this many workers (0: skip).")
    ] = 2,
    out: Annotated[Path, typer.Option(help="Result file.")] = BENCH_DIR / "api.json",
) -> None:
    if shutil.which("wrk") is None:
        raise typer.BadParameter("wrk is not installed (apt-get install wrk)")
    load_before = os.getloadavg()
    results: dict[str, Any] = {"targets": TARGETS}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with server(artifacts, 1, tmp / "server.log") as (proc, url):
            records = examples(url)
            bodies = {name: json.dumps(rec).encode() for name, rec in records.items()}
            for name in ENDPOINTS:  # warm up every path once
                httpx2.post(
                    url + PREDICT + name,
                    content=bodies[name],
                    headers={"content-type": "application/json"},
                )
            results["memory_after_load_mb"] = memory_mb(proc.pid)

            single: dict[str, Any] = {}
            for name in ("health", *ENDPOINTS):
                path, body = (
                    ("/health", None) if name == "health" else (PREDICT + name, bodies[name])
                )
                rs = [wrk(url, path, body, 1, seconds, tmp) for _ in range(runs)]
                single[name] = {
                    "p50_ms": median_of(rs, "p50_us") / 1000,
                    "p99_ms": median_of(rs, "p99_us") / 1000,
                    "runs": rs,
                }
            results["single_connection"] = single

            concurrent: dict[str, Any] = {}
            for name in ENDPOINTS:
                pred, const = [], []
                for _ in range(runs):
                    pred.append(wrk(url, PREDICT + name, bodies[name], 64, seconds, tmp))
                    const.append(wrk(url, "/health", None, 64, seconds, tmp))
                concurrent[name] = {
                    "rps": median_of(pred, "rps"),
                    "constant_rps": median_of(const, "rps"),
                    "ratio": median_of(pred, "rps") / median_of(const, "rps"),
                    "runs": pred,
                    "constant_runs": const,
                }
            results["connections_64"] = concurrent

            many = wrk(
                url, PREDICT + "compatibility", bodies["compatibility"], 1000, MANY_SECONDS, tmp
            )
            many["errors"] = (
                sum(many[k] for k in ("connect", "read", "write", "timeout")) + many["non2xx"]
            )
            results["connections_1000"] = many

            batch: dict[str, Any] = {}
            with httpx2.Client(timeout=120) as client:
                for name in ENDPOINTS:
                    payload = json.dumps([records[name]] * 100_000).encode()
                    times = []
                    for _ in range(runs):
                        start = time.perf_counter()
                        response = client.post(
                            url + PREDICT + name,
                            content=payload,
                            headers={"content-type": "application/json"},
                        )
                        count = len(response.json()["predictions"])
                        times.append(time.perf_counter() - start)
                        assert response.status_code == 200 and count == 100_000, response.text[:300]
                    batch[name] = {
                        "seconds": statistics.median(times),
                        "runs": times,
                        "request_mb": len(payload) / 2**20,
                    }
            results["batch_100k"] = batch
            results["memory_after_batches_mb"] = memory_mb(proc.pid)

        if workers_check:
            with server(artifacts, workers_check, tmp / "workers.log") as (_, url):
                rs = [
                    wrk(url, PREDICT + "compatibility", bodies["compatibility"], 1, seconds, tmp)
                    for _ in range(runs)
                ]
                results["workers_single_connection"] = {
                    "workers": workers_check,
                    "p50_ms": median_of(rs, "p50_us") / 1000,
                    "p99_ms": median_of(rs, "p99_us") / 1000,
                    "runs": rs,
                }

    s = results["single_connection"]
    results["summary"] = {
        "single_p50_ms": {n: s[n]["p50_ms"] for n in ENDPOINTS},
        "single_p99_ms": {n: s[n]["p99_ms"] for n in ENDPOINTS},
        "throughput_ratio_64": {n: results["connections_64"][n]["ratio"] for n in ENDPOINTS},
        "errors_1000": results["connections_1000"]["errors"],
        "p99_1000_ms": results["connections_1000"]["p99_us"] / 1000,
        "max_1000_ms": results["connections_1000"]["max_us"] / 1000,
        "batch_100k_seconds": {n: results["batch_100k"][n]["seconds"] for n in ENDPOINTS},
        "rss_mb": results["memory_after_load_mb"]["VmRSS"],
        "peak_rss_mb": results["memory_after_batches_mb"]["VmHWM"],
    }
    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    results["artifacts"] = str(artifacts)
    results["created_at"] = datetime.now(UTC).isoformat()
    results["settings"] = {"seconds": seconds, "runs": runs}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results["summary"], indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    typer.run(main)
