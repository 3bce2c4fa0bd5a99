"""Latency, throughput, concurrency, batch time and memory of the prediction API, measured with
wrk against `aura serve` on 127.0.0.1, against the issue's targets.

Measurements (each repeated ``--runs`` times, medians reported beside every run, except the
1,000-connection and 10,000-user runs, made once each):

- one connection, one record per request, per endpoint: p50 and p99 latency;
- 64 connections: requests/s of each prediction endpoint and of ``GET /health`` (a constant
  response through the same middleware), alternated in one run of the server; the ratio of
  medians is the figure;
- 1,000 concurrent connections on the compatibility endpoint for ``MANY_SECONDS``: socket errors,
  timeouts (no answer within ``WRK_TIMEOUT``) and non-2xx answers, and the p99 and slowest
  latency, which show a connection left waiting while others are served;
- 10,000 concurrent users (the spec's scale) for ``USERS_SECONDS``: each its own connection,
  asking tutor-match again after a pause of ``USER_THINK_MS``; errors and latency with the
  service's keep-alive, and, as its reference, with uvicorn's own (``UVICORN_KEEP_ALIVE``);
- a 100,000-record batch per endpoint, end to end (request bytes sent to response parsed);
- the server's resident memory after loading (VmRSS) and its peak (VmHWM) after the batches, in
  MiB (the kernel's kB / 1024) under the report's ``*_mb`` keys, named so for its readers;
- with N uvicorn workers (``--workers-check N``, default 2; 0 skips): the single-connection p50
  (Nagle check) and the 10,000 users again.

The machine may be shared: the report records the commit and the host (its speed and load
average) it ran on, and the load average after.

    .venv/bin/python benchmarks/bench_api.py --artifacts artifacts        # full measurement
    .venv/bin/python benchmarks/bench_api.py --artifacts X --seconds 3 --runs 1 --workers-check 0
        # shorter: the 1,000-connection (MANY_SECONDS) and 10,000-user (USERS_SECONDS) phases
        # keep their length, about two minutes in all

Writes reports/bench/api.json (aura.config.BENCH_DIR) for artifacts/ at the default settings; for
another folder, api-FOLDER.json (api-artifacts-smoke.json), and with other --seconds, --runs or
--workers-check, a name ending in -quick, so neither replaces the default run's record.
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_api")  # before the imports below, which take seconds

import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx2
import typer
from checkout import checkout_process
from option_checks import run, servable_artifacts, service_settings, writable_out
from provenance import artifacts_variant, provenance, remove_stale_part, report_path, write_report

from aura.api.settings import KEEP_ALIVE_SECONDS
from aura.cli.common import from_the_root
from aura.config import ARTIFACTS_DIR

ENDPOINTS = ("compatibility", "engagement", "difficulty", "tutor-match")
PREDICT = "/api/ml/predict/"
BATCH_RECORDS = 100_000
SECONDS = 5
RUNS = 3
WORKERS_CHECK = 2
TARGETS = {
    "single_p50_ms": 1.0,
    "single_p99_ms": 3.0,
    "throughput_ratio_64": 0.6,
    "errors_1000": 0,
    "errors_10000_users": 0,
    "batch_100k_seconds": 5.0,
    "rss_mb": 400.0,
}
MANY_SECONDS = 20
"""Length of the 1,000-connection run: long enough that a connection starved by the server
waits past ``WRK_TIMEOUT`` and counts as an error."""
WRK_TIMEOUT = 10
"""Seconds wrk waits for an answer before counting a timeout."""
USERS = 10_000
USERS_SECONDS = 30
USER_THINK_MS = (5_000, 15_000)
"""A user's pause before each request, drawn uniformly: 10 s on average, so 10,000 users ask
about 1,000 times a second once under way. wrk pauses before a connection's first request too,
so over ``USERS_SECONDS`` each user asks 2.54 times on average: about 850 requests a second is
the most a 30 s run can count. Longer than uvicorn's own keep-alive, shorter than the
service's."""
UVICORN_KEEP_ALIVE = 5
"""uvicorn's default ``timeout_keep_alive``, the reference for the service's own
(`aura.api.settings.KEEP_ALIVE_SECONDS`)."""
OPEN_FILES = USERS + 1024
"""File descriptors the server and wrk each need for the users' connections."""
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
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, OPEN_FILES), hard), hard))


def server_process(
    artifacts: Path, port: int, workers: int, keep_alive: int | None
) -> dict[str, Any]:
    """The command, working folder and environment that start `aura serve` from this
    benchmark's own checkout (`checkout_process`), as keyword arguments of `subprocess.Popen`,
    with ``artifacts`` made absolute to stay the folder it named."""
    command = [sys.executable, "-c", "from aura.cli import app; app()", "serve"]
    command += ["--port", str(port), "--workers", str(workers)]
    command += ["--artifacts", str(artifacts.resolve())]
    if keep_alive is not None:
        command += ["--keep-alive", str(keep_alive)]
    return checkout_process(command)


@contextmanager
def server(artifacts: Path, workers: int, log: Path, keep_alive: int | None = None):
    """`aura serve` of this checkout (`server_process`) on a free loopback port (its default
    keep-alive unless one is given); stopped by its PID on exit, also when the benchmark is
    stopped (SIGTERM is taken as Ctrl-C in `main`: by default it ended the benchmark at once and
    left the server running)."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            **server_process(artifacts, port, workers, keep_alive),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_fd_limit,
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
    url: str,
    path: str,
    body: bytes | None,
    connections: int,
    seconds: float,
    tmp: Path,
    think_ms: tuple[int, int] | None = None,
) -> dict:
    """One wrk run; its Lua `done` hook prints the summary as JSON. With ``think_ms`` each
    connection pauses a uniform draw of milliseconds before each request (a user, not a
    client in a loop)."""
    script = tmp / "wrk.lua"
    lua = WRK_REPORT
    if think_ms is not None:
        lua = f"delay = function() return math.random({think_ms[0]}, {think_ms[1]}) end\n" + lua
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
    report["errors"] = sum(report[k] for k in ("connect", "read", "write", "timeout")) + non2xx
    return report


def users(artifacts: Path, workers: int, keep_alive: int, tmp: Path) -> dict:
    """``USERS`` users on tutor-match for ``USERS_SECONDS``, on a server of its own. A
    connection the server closes while its user pauses is a read error at the user's next
    request."""
    with server(artifacts, workers, tmp / "users.log", keep_alive) as (proc, url):
        body = json.dumps(examples(url)["tutor-match"]).encode()
        report = wrk(url, PREDICT + "tutor-match", body, USERS, USERS_SECONDS, tmp, USER_THINK_MS)
        if workers == 1:  # with workers, the PID is their supervisor's
            report["memory_mb"] = memory_mb(proc.pid)
    report["workers"] = workers
    report["keep_alive_s"] = keep_alive
    return report


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of the server process (its own, not its children's:
    the memory is measured on one worker), in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def examples(url: str) -> dict[str, Any]:
    doc = httpx2.get(url + "/openapi.json").json()
    out = {}
    for name in ENDPOINTS:
        content = doc["paths"][PREDICT + name]["post"]["requestBody"]["content"]
        out[name] = content["application/json"]["examples"]["one record"]["value"]
    return out


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(artifacts: Path, seconds: int, runs: int, workers_check: int) -> dict[str, Any]:
    """Every measurement, each server started for it stopped by its PID as it ends."""
    results: dict[str, Any] = {"provenance": provenance(), "targets": TARGETS}
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

            results["connections_1000"] = wrk(
                url, PREDICT + "compatibility", bodies["compatibility"], 1000, MANY_SECONDS, tmp
            )

            batch: dict[str, Any] = {}
            with httpx2.Client(timeout=120) as client:
                for name in ENDPOINTS:
                    payload = json.dumps([records[name]] * BATCH_RECORDS).encode()
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
                        assert response.status_code == 200 and count == BATCH_RECORDS, (
                            response.text[:300]
                        )
                    batch[name] = {
                        "seconds": statistics.median(times),
                        "runs": times,
                        "request_mb": len(payload) / 2**20,
                    }
            results["batch_100k"] = batch
            results["memory_after_batches_mb"] = memory_mb(proc.pid)

        results["users_10000"] = {
            "service_keep_alive": users(artifacts, 1, KEEP_ALIVE_SECONDS, tmp),
            "uvicorn_keep_alive": users(artifacts, 1, UVICORN_KEEP_ALIVE, tmp),
        }
        if workers_check:
            results["users_10000"]["workers"] = users(
                artifacts, workers_check, KEEP_ALIVE_SECONDS, tmp
            )
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
        "users_10000": {
            name: {
                "errors": r["errors"],
                "rps": r["rps"],
                "p50_ms": r["p50_us"] / 1000,
                "p99_ms": r["p99_us"] / 1000,
                "max_ms": r["max_us"] / 1000,
            }
            for name, r in results["users_10000"].items()
        },
        "batch_100k_seconds": {n: results["batch_100k"][n]["seconds"] for n in ENDPOINTS},
        "rss_mb": results["memory_after_load_mb"]["VmRSS"],
        "peak_rss_mb": results["memory_after_batches_mb"]["VmHWM"],
    }
    results["meets_targets"] = meets_targets(results["summary"])
    results["load_average_after"] = list(os.getloadavg())
    results["artifacts"] = str(artifacts)
    results["settings"] = {"seconds": seconds, "runs": runs, "workers_check": workers_check}
    return results


def default_out(artifacts: Path, seconds: int, runs: int, workers_check: int) -> Path:
    """reports/bench/api.json for artifacts/ at the default settings; at others, a name that
    says what differs."""
    short = (seconds, runs, workers_check) != (SECONDS, RUNS, WORKERS_CHECK)
    return report_path("api", artifacts_variant(artifacts), "quick" if short else "")


def main(
    artifacts: Annotated[
        Path,
        typer.Option(
            help=f"Artifacts folder to serve (default: {from_the_root(ARTIFACTS_DIR)}).",
            show_default=False,
            callback=servable_artifacts,
        ),
    ] = ARTIFACTS_DIR,
    seconds: Annotated[
        int, typer.Option(min=1, help="Duration of each wrk run, in seconds.")
    ] = SECONDS,
    runs: Annotated[int, typer.Option(min=1, help="Repetitions of each measurement.")] = RUNS,
    workers_check: Annotated[
        int, typer.Option(min=0, help="Also measure with this many workers (0: skip).")
    ] = WORKERS_CHECK,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Result file (default: reports/bench/api.json for artifacts/ at the default "
            "settings; api-FOLDER.json for another folder, ending in -quick with other "
            "--seconds, --runs or --workers-check).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Measure the API with wrk against the targets; write the JSON report."""
    out = out or default_out(artifacts, seconds, runs, workers_check)
    settings = service_settings(artifacts, batch_records=BATCH_RECORDS)
    if shutil.which("wrk") is None:
        raise typer.BadParameter("wrk is not installed (apt-get install wrk)")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard < OPEN_FILES:
        raise typer.BadParameter(
            f"the open-files hard limit is {hard}; {USERS:,} users need {OPEN_FILES} "
            "(raise it with `ulimit -Hn`)"
        )
    # Ctrl-C or SIGTERM: the servers are stopped by then (`server`)
    with stoppable("bench_api", "; every server it started is stopped"):
        remove_stale_part(out)
        results = measure(artifacts, seconds, runs, workers_check)
    results["service_settings"] = {  # the environment's, as the servers read them
        "max_records": settings.max_records,
        "max_body_bytes": settings.max_body_bytes,
        "ort_threads": settings.ort_threads,
        "log_level": settings.log_level,
    }
    write_report(results, out)
    print(json.dumps(results["summary"], indent=2))
    missed = [name for name, met in results["meets_targets"].items() if not met]
    print(f"targets missed: {', '.join(missed)}" if missed else "every target met")
    print(f"written to {out}")


def meets_targets(summary: dict[str, Any]) -> dict[str, bool]:
    """Each of `TARGETS` met or missed by the medians of ``summary``, on every endpoint where
    it is read per endpoint (the 10,000 users with the service's own keep-alive)."""
    return {
        "single_p50_ms": max(summary["single_p50_ms"].values()) <= TARGETS["single_p50_ms"],
        "single_p99_ms": max(summary["single_p99_ms"].values()) <= TARGETS["single_p99_ms"],
        "throughput_ratio_64": min(summary["throughput_ratio_64"].values())
        >= TARGETS["throughput_ratio_64"],
        "errors_1000": summary["errors_1000"] <= TARGETS["errors_1000"],
        "errors_10000_users": summary["users_10000"]["service_keep_alive"]["errors"]
        <= TARGETS["errors_10000_users"],
        "batch_100k_seconds": max(summary["batch_100k_seconds"].values())
        <= TARGETS["batch_100k_seconds"],
        "rss_mb": summary["rss_mb"] <= TARGETS["rss_mb"],
    }


if __name__ == "__main__":
    run(main)
