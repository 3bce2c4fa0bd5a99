"""Cold start, warm latency and memory of the AWS Lambda handler (`aura.api.aws_lambda`).

No AWS is involved: the handler is called with API Gateway HTTP API events as Lambda would call
it, so the figures are the function's own share of a request (API Gateway and Lambda's own
start-up come on top). Measured:

- cold start, ``--runs`` times, each in a fresh Python process: importing the handler (the
  application is built and the models are loaded), then the first invocation; and that
  process's peak resident memory (VmHWM, in MiB: the kernel's kB / 1024, under the report's
  ``*_mb`` keys), to choose the function's memory size (the target: the largest peak fits
  ``--memory-size``, Lambda's setting in its MB, 256 by default, the size docs/api.md gives the
  function; ``meets_targets`` in the JSON);
- warm invocations: ``--requests`` one-record requests per endpoint, in one process, p50 and p99
  latency.

    .venv/bin/python benchmarks/bench_lambda.py --artifacts artifacts

Writes reports/bench/lambda.json (aura.config.BENCH_DIR) for artifacts/ at the default settings;
for another folder, lambda-FOLDER.json (lambda-artifacts-smoke.json), and with other --runs or
--requests, a name ending in -quick, so neither replaces the default run's record.
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_lambda")  # before the imports below, which take seconds

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from checkout import checkout_process, run_to_end
from option_checks import run, servable_artifacts, service_settings, writable_out
from provenance import artifacts_variant, provenance, remove_stale_part, report_path, write_report

from aura.api.settings import ARTIFACTS_ENV
from aura.cli.common import from_the_root
from aura.config import ARTIFACTS_DIR

ENDPOINTS = ("compatibility", "engagement", "difficulty", "tutor-match")
PREDICT = "/api/ml/predict/"
RUNS = 5
REQUESTS = 200
MEMORY_SIZE_MB = 256
COLD_START = """
import json, re, sys, time
start = time.perf_counter()
from aura.api.aws_lambda import handler
imported = time.perf_counter()
answer = handler(json.loads(sys.argv[1]), None)
first = time.perf_counter()
assert answer["statusCode"] == 200, answer
# VmHWM is this process's own peak; getrusage's max RSS keeps the parent's from the spawn
status = open("/proc/self/status").read()
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps({"import_s": imported - start, "first_request_s": first - imported,
                  "peak_rss_mb": peak}))
"""


def event(method: str, path: str, body: Any = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "aura.example.com"},
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "10.0.0.1"}},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def cold_start_process(artifacts: Path, request: dict[str, Any]) -> dict[str, Any]:
    """The fresh process of one cold start, as keyword arguments of `subprocess.Popen`: it runs
    this benchmark's own checkout's `aura` (`checkout_process`; started where the benchmark was
    run, it imported that folder's), with ``artifacts`` made absolute to stay the folder named."""
    env = {**os.environ, ARTIFACTS_ENV: str(artifacts.resolve()), "AURA_LOG_LEVEL": "WARNING"}
    return checkout_process([sys.executable, "-c", COLD_START, json.dumps(request)], env=env)


def cold_start(artifacts: Path, request: dict[str, Any]) -> dict[str, float]:
    out = run_to_end(cold_start_process(artifacts, request), timeout=300)
    out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentiles_ms(times: list[float]) -> dict[str, float]:
    """The median and the 99th percentile, in milliseconds. The p99 is the nearest rank, the
    ceil(0.99 n)-th smallest time: the one at index int(0.99 n) was the largest of 100 times,
    and one rank too high at 200 (the 199th, not the 198th)."""
    ordered = sorted(times)
    rank = -(-99 * len(ordered) // 100)  # ceil(0.99 n), counted in integers
    return {
        "p50_ms": 1e3 * statistics.median(ordered),
        "p99_ms": 1e3 * ordered[rank - 1],
    }


def default_out(artifacts: Path, runs: int, requests: int, memory_size: int) -> Path:
    """reports/bench/lambda.json for artifacts/ at the default settings; at others, a name
    that says what differs."""
    return report_path(
        "lambda",
        artifacts_variant(artifacts),
        "" if (runs, requests) == (RUNS, REQUESTS) else "quick",
        "" if memory_size == MEMORY_SIZE_MB else f"{memory_size}mb",
    )


def main(
    artifacts: Annotated[
        Path,
        typer.Option(
            help=f"Artifacts folder to load (default: {from_the_root(ARTIFACTS_DIR)}).",
            show_default=False,
            callback=servable_artifacts,
        ),
    ] = ARTIFACTS_DIR,
    runs: Annotated[int, typer.Option(min=1, help="Cold starts, each a fresh process.")] = RUNS,
    requests: Annotated[int, typer.Option(min=1, help="Warm requests per endpoint.")] = REQUESTS,
    memory_size: Annotated[
        int,
        typer.Option(
            min=128,
            max=10240,
            help="The function's memory size (Lambda's setting, in MB) that the cold start's peak "
            "(in MiB) must fit in.",
        ),
    ] = MEMORY_SIZE_MB,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Result file (default: reports/bench/lambda.json for artifacts/ at the default "
            "settings; lambda-FOLDER.json for another folder, ending in -quick with other "
            "--runs or --requests, in -NNNmb with another --memory-size).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Measure the Lambda handler's cold start, warm latency and memory; write the JSON."""
    out = out or default_out(artifacts, runs, requests, memory_size)
    settings = service_settings(artifacts)
    with stoppable("bench_lambda", "; its cold-start process is ended"):
        remove_stale_part(out)
        started = provenance()  # before the handler is imported: refuses another checkout's `aura`
        os.environ[ARTIFACTS_ENV] = str(artifacts)
        os.environ["AURA_LOG_LEVEL"] = "WARNING"  # one log line per request would be timed too
        from aura.api.aws_lambda import handler

        spec = json.loads(handler(event("GET", "/openapi.json"), None)["body"])
        records = {
            name: spec["paths"][PREDICT + name]["post"]["requestBody"]["content"][
                "application/json"
            ]["examples"]["one record"]["value"]
            for name in ENDPOINTS
        }
        first = event("POST", PREDICT + "tutor-match", records["tutor-match"])
        cold = [cold_start(artifacts, first) for _ in range(runs)]
        for i, run in enumerate(cold, start=1):
            typer.echo(
                f"cold start {i}/{runs}: import {run['import_s']:.2f}s, first request "
                f"{1e3 * run['first_request_s']:.1f}ms, peak {run['peak_rss_mb']:.0f} MiB"
            )
        warm: dict[str, dict[str, float]] = {}
        for name in ENDPOINTS:
            request = event("POST", PREDICT + name, records[name])
            handler(request, None)
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                answer = handler(request, None)
                times.append(time.perf_counter() - start)
                assert answer["statusCode"] == 200, answer
            warm[name] = percentiles_ms(times)
            typer.echo(
                f"{name}: p50 {warm[name]['p50_ms']:.2f} ms, p99 {warm[name]['p99_ms']:.2f} ms"
            )
        report = {
            "provenance": started,
            "artifacts": str(artifacts),
            "model_version": json.loads(handler(event("GET", "/health"), None)["body"])[
                "model_version"
            ],
            "load_average_after": list(os.getloadavg()),
            "cold_start": {
                "runs": cold,
                "import_s_median": statistics.median(r["import_s"] for r in cold),
                "first_request_s_median": statistics.median(r["first_request_s"] for r in cold),
                "peak_rss_mb_max": max(r["peak_rss_mb"] for r in cold),
            },
            "warm": warm,
            "settings": {"runs": runs, "requests": requests, "memory_size": memory_size},
            "requests_per_endpoint": requests,
            "memory_size_mb": memory_size,
            "service_settings": {"ort_threads": settings.ort_threads},  # the environment's
        }
        peak = report["cold_start"]["peak_rss_mb_max"]
        report["meets_targets"] = {"peak_rss_within_memory_size": peak <= memory_size}
        write_report(report, out)
    verdict = "fits" if peak <= memory_size else "does not fit"
    typer.echo(
        f"the largest cold-start peak, {peak:.0f} MiB, {verdict} a {memory_size} MB function"
    )
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    run(main)
