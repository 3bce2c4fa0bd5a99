"""`aura serve` as a real process: it serves the artifacts, and refuses a broken folder."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr
from pathlib import Path

import httpx2
import pytest
from loopback import free_port
from test_artifacts import _pool, rewrite

AURA = [sys.executable, "-c", "from aura.cli import app; app()"]
STARTUP_SECONDS = 60
MIN_SENT, MAX_SENT = 20, 400


@contextmanager
def serving(
    artifacts_dir: Path, log_path: Path, workers: int = 1, options: Sequence[str] = ()
) -> Iterator[str]:
    """`aura serve` (with ``options``) on a free loopback port until its first /health answer;
    its URL. Stopped (SIGINT, as Ctrl-C) by its PID on exit."""
    with served(artifacts_dir, log_path, workers, options) as (url, _):
        yield url


@contextmanager
def served(
    artifacts_dir: Path, log_path: Path, workers: int = 1, options: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`serving`, also giving the process (with ``workers`` > 1, the workers' supervisor)."""
    port = free_port()
    command = [*AURA, "serve", "--port", str(port), "--artifacts", str(artifacts_dir), *options]
    log = log_path.open("w")
    proc = subprocess.Popen(
        [*command, "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                httpx2.get(url + "/health", timeout=2)
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
        log.close()
        assert code == 0, (
            f"Ctrl-C did not stop the service cleanly (exit {code}):\n"
            + (log_path.read_text()[-2000:])
        )


def test_serve_starts_answers_health_and_stops(artifacts_dir: Path, tmp_path: Path) -> None:
    with serving(artifacts_dir, tmp_path / "serve.log") as url:
        response = httpx2.get(url + "/health", timeout=2)
        assert response.status_code == 200
        manifest = json.loads((artifacts_dir / "manifest.json").read_text())
        assert response.json()["model_version"] == manifest["version"]


def health_count(metrics: str) -> float:
    """Requests answered 200 on /health, from the Prometheus text."""
    for line in metrics.splitlines():
        labels = ('endpoint="/health"', 'status="200"')
        if line.startswith("aura_api_requests_total{") and all(x in line for x in labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def logged_requests(log: Path, path: str) -> list[dict]:
    """Each request line for ``path`` in the service's log, in order (a line still being
    written is skipped)."""
    entries = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "request" and entry.get("path") == path:
            entries.append(entry)
    return entries


def health_pids(log: Path) -> list[int]:
    """The process id of each /health request line in the service's log, in order."""
    return [entry["pid"] for entry in logged_requests(log, "/health")]


def test_metrics_add_up_every_worker(artifacts_dir: Path, tmp_path: Path) -> None:
    """With two workers, each answering its share of the connections, /metrics counts them all.

    Requests go out on new connections, which the kernel hands to either worker, until the log
    shows both answering (at most ``MAX_SENT``): a count that only one worker made would not
    show that the workers' counts are added up.
    """
    log = tmp_path / "serve.log"
    with serving(artifacts_dir, log, workers=2) as url:
        # Both workers must be up before the count starts: each logs once that it serves.
        deadline = time.monotonic() + STARTUP_SECONDS
        while log.read_text().count('"serving artifacts"') < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        before = health_count(httpx2.get(url + "/metrics", timeout=5).text)
        skip = len(health_pids(log))
        sent = 0
        while sent < MIN_SENT or (sent < MAX_SENT and len(set(health_pids(log)[skip:])) < 2):
            assert httpx2.get(url + "/health", timeout=5).status_code == 200
            sent += 1
        # A worker counts a request once it has sent the answer: the last one's count may
        # reach /metrics (perhaps served by the other worker) a moment after its answer did.
        deadline = time.monotonic() + STARTUP_SECONDS
        while (after := health_count(httpx2.get(url + "/metrics", timeout=5).text)) < (
            before + sent
        ) and time.monotonic() < deadline:
            time.sleep(0.2)
        answered_by = set(health_pids(log)[skip:])
    assert len(answered_by) == 2, f"one worker answered all {sent} requests"
    assert after - before == sent


def wait_for(log: Path, text: str, count: int = 1) -> None:
    """Until ``text`` is ``count`` times in the service's log."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while log.read_text().count(text) < count:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_a_reload_refused_keeps_the_old_workers_and_logs_one_line(
    artifacts_dir: Path, tmp_path: Path
) -> None:
    """`kill -HUP` under ``--workers N`` starts new workers over the folder; if it is refused,
    the old workers stay and the log says so (docs/api.md, New models). It said so in one line,
    and then uvicorn logged the startup's traceback of the same error."""
    folder = tmp_path / "artifacts"
    shutil.copytree(artifacts_dir, folder)
    version = json.loads((folder / "manifest.json").read_text())["version"]
    log = tmp_path / "serve.log"
    with served(folder, log, workers=2) as (url, proc):
        wait_for(log, '"serving artifacts"', 2)
        (folder / "engagement.onnx").unlink()
        proc.send_signal(signal.SIGHUP)
        wait_for(log, "startup failed")
        wait_for(log, "aborting the restart")  # uvicorn's supervisor: the old workers stay
        response = httpx2.get(url + "/health", timeout=5)
        assert (response.status_code, response.json()["model_version"]) == (200, version)
    text = log.read_text()
    entries = [json.loads(entry) for entry in text.splitlines() if entry.startswith('{"')]
    # the service's own lines (uvicorn's, JSON too, follow with its "startup failed. Exiting.")
    (line,) = [e for e in entries if e["logger"] == "aura.api" and "failed" in e["message"]]
    assert line["message"] == (
        f"startup failed: artifacts in {folder} cannot be served: engagement.onnx is listed in "
        "the manifest but missing"
    )
    assert "Traceback" not in text


def run_serve(folder: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **env_vars}
    return subprocess.run(
        [*AURA, "serve", "--port", str(free_port()), "--artifacts", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def broken(artifacts_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "artifacts"
    shutil.copytree(artifacts_dir, copy)
    return copy


def test_serve_refuses_a_missing_folder(tmp_path: Path) -> None:
    result = run_serve(tmp_path / "nowhere")
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    (tmp_path / "a-file").write_text("not a folder")
    result = run_serve(tmp_path / "a-file")
    assert result.returncode == 1
    assert "a-file is a file, not a folder" in result.stderr


@pytest.mark.parametrize(
    ("app_path", "message"),
    [
        ("nonexistent.mod:app", "--app nonexistent.mod:app: no module 'nonexistent.mod' can be"),
        ("aura.api.app", "--app 'aura.api.app' is not 'module:attribute'"),
    ],
)
def test_serve_names_an_app_it_cannot_import(
    artifacts_dir: Path, app_path: str, message: str
) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    result = CliRunner().invoke(
        app, ["serve", "--artifacts", str(artifacts_dir), "--app", app_path]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize("host", ["999.1.1.1", "no such host", ""])
def test_both_entry_points_name_a_host_they_cannot_bind(artifacts_dir: Path, host: str) -> None:
    """uvicorn read the artifacts, then stopped with the resolver's bare "Name or service not
    known" (exit 3)."""
    from typer.testing import CliRunner

    from aura.api.launch import main
    from aura.cli import app

    message = f"--host {host!r} is neither an address nor a known host name"
    result = CliRunner().invoke(app, ["serve", "--artifacts", str(artifacts_dir), "--host", host])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in " ".join(result.output.split())
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        assert main(["--artifacts", str(artifacts_dir), "--host", host]) == 1
    assert stderr.getvalue().startswith(f"error: {message}")


def test_serve_refuses_an_incomplete_export(broken: Path) -> None:
    (broken / "engagement.onnx").unlink()
    result = run_serve(broken)
    assert result.returncode == 1
    assert "engagement.onnx is listed in the manifest but missing" in result.stderr


def test_serve_refuses_a_file_that_fails_its_checksum(broken: Path) -> None:
    with (broken / "tutor_pool.json").open("a") as fh:
        fh.write(" ")
    result = run_serve(broken)
    assert result.returncode == 1
    assert "tutor_pool.json fails its sha256 check" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux's /proc")
def test_serve_names_an_artifact_it_cannot_read(broken: Path) -> None:
    """An error reading a file (no permission, a disk error) is no ArtifactError and ended
    `aura serve` in a traceback. A link to /proc/self/mem is a file no one, root included, can
    read from its start (EIO), where chmod 000 stops every user but root."""
    (broken / "engagement.onnx").unlink()
    (broken / "engagement.onnx").symlink_to("/proc/self/mem")
    result = run_serve(broken)
    assert result.returncode == 1
    assert "engagement.onnx cannot be read (Input/output error)" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_policy_without_an_input_tutor_matching_reads(broken: Path) -> None:
    """The checks passed, uvicorn started and its worker stopped (exit 3) in the traceback of
    the ValueError the service raised while it was built."""
    path = broken / "manifest.json"
    manifest = json.loads(path.read_text())
    for feature in manifest["models"]["tutor_matching"]["inputs"]:
        if feature["name"] == "learning_style":
            feature["name"] = "style"
    path.write_text(json.dumps(manifest))
    result = run_serve(broken)
    assert result.returncode == 1
    assert "model 'tutor_matching': the manifest gives no input(s) ['learning_style']" in " ".join(
        result.stderr.split()
    )
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_manifest_bound_that_is_no_number_in_one_line(broken: Path) -> None:
    """The checks before uvicorn passed a `NaN` bound (JSON as Python writes it); the worker
    then stopped (exit 3) in pydantic's traceback while it built the record types."""
    path = broken / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["models"]["compatibility"]["inputs"][0]["low"] = float("nan")
    path.write_text(json.dumps(manifest))
    result = run_serve(broken)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: artifacts in {broken} cannot be served: model 'compatibility' input 'age': "
        "bounds [nan, 18.0] are not finite numbers"
    ]


def test_serve_refuses_a_model_onnxruntime_cannot_load_before_uvicorn(broken: Path) -> None:
    """The checks before uvicorn started passed a file whose sha256 and version were
    recomputed; uvicorn started and its worker stopped (exit 3) on its `startup failed` line.
    The models are opened before uvicorn starts, so it stops as every other refusal does."""
    rewrite(broken, "difficulty.onnx", b"not a model")
    result = run_serve(broken)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        f"error: artifacts in {broken} cannot be served: difficulty.onnx is not a model "
        "onnxruntime can load ("
    )


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            _pool(lambda d: d["rating"].__setitem__(0, float("nan"))),
            "column 'rating', value at index 0: Input should be a finite number",
        ),
        (
            _pool(lambda d: d.update({k: {} if k == "expertise" else [] for k in d})),
            "file: it holds no tutors",
        ),
        (
            _pool(lambda d: d["tutor_id"].__setitem__(1, d["tutor_id"][0])),
            "file: column 'tutor_id' gives [",
        ),
    ],
    ids=["nan", "no-tutors", "id-twice"],
)
def test_serve_refuses_a_tutor_pool_that_is_no_pool_before_uvicorn(
    broken: Path, edit, reason: str
) -> None:
    """A pool file with its sha256 and version recomputed passed the checks before uvicorn,
    whose worker then stopped (exit 3) with `startup failed`. Both entry points now refuse it
    in one line, exit 1, before uvicorn starts."""
    from aura.api.launch import main

    rewrite(broken, "tutor_pool.json", edit((broken / "tutor_pool.json").read_bytes()))
    prefix = (
        f"error: artifacts in {broken} cannot be served: tutor_pool.json is not a valid tutor "
        f"pool (tutor pool {reason}"
    )
    result = run_serve(broken)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(prefix)
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        assert main(["--artifacts", str(broken), "--port", str(free_port())]) == 1
    assert stderr.getvalue().startswith(prefix)


def test_serve_refuses_a_metrics_folder_that_does_not_exist(
    artifacts_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-metrics"
    result = run_serve(artifacts_dir, PROMETHEUS_MULTIPROC_DIR=str(missing))
    assert result.returncode == 1
    assert f"PROMETHEUS_MULTIPROC_DIR={missing} is not a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_runs_on_asyncio_loop_with_nodelay_protocol(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvloop starved some of 1,000 concurrent connections for seconds (`EVENT_LOOP`), so
    `aura serve` asks uvicorn for asyncio's loop whatever is installed, and for the protocol
    that keeps TCP_NODELAY with several workers (`aura.api.protocol`)."""
    import uvicorn
    from typer.testing import CliRunner

    from aura.api.settings import ARTIFACTS_ENV, HTTP_PROTOCOL
    from aura.cli import app

    monkeypatch.setenv(ARTIFACTS_ENV, "unused")  # serve sets it; restored after the test
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(app, ["serve", "--artifacts", str(artifacts_dir)])
    assert result.exit_code == 0, result.output
    assert [(call["loop"], call["http"]) for call in calls] == [("asyncio", HTTP_PROTOCOL)]


def test_serve_keeps_connections_open_for_the_service_keep_alive(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn closes an idle connection after 5 s unless told otherwise; the service keeps it
    for `KEEP_ALIVE_SECONDS`, longer than a load balancer's idle timeout, and `--keep-alive`
    sets it."""
    import uvicorn
    from typer.testing import CliRunner

    from aura.api.settings import ARTIFACTS_ENV, KEEP_ALIVE_SECONDS
    from aura.cli import app

    monkeypatch.setenv(ARTIFACTS_ENV, "unused")
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    for options in ([], ["--keep-alive", "30"]):
        result = CliRunner().invoke(app, ["serve", "--artifacts", str(artifacts_dir), *options])
        assert result.exit_code == 0, result.output
    assert [call["timeout_keep_alive"] for call in calls] == [KEEP_ALIVE_SECONDS, 30]
    assert KEEP_ALIVE_SECONDS > 60  # AWS's Application Load Balancer closes idle ones at 60 s


def test_an_idle_connection_lives_as_long_as_the_keep_alive(
    artifacts_dir: Path, tmp_path: Path
) -> None:
    """The option reaches the server: with `--keep-alive 2` a connection idle for 1 s still
    answers, and one idle for 3.5 s has been closed by the server."""
    with serving(artifacts_dir, tmp_path / "serve.log", options=["--keep-alive", "2"]) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
        connection.request("GET", "/health")
        assert connection.getresponse().read()
        sock = connection.sock
        time.sleep(1)
        connection.request("GET", "/health")
        response = connection.getresponse()
        assert (response.status, connection.sock) == (200, sock)  # the same connection, kept
        response.read()
        time.sleep(3.5)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            connection.request("GET", "/health")
            connection.getresponse()
        connection.close()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--keep-alive", "0", "greater than or equal to 1"),
        ("--port", "99999", "less than or equal to 65535"),
    ],
)
def test_serve_names_an_option_out_of_range(
    artifacts_dir: Path, option: str, value: str, message: str
) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    result = CliRunner().invoke(app, ["serve", "--artifacts", str(artifacts_dir), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert message in result.output


def test_the_image_entry_point_refuses_a_broken_folder_in_one_line(broken: Path) -> None:
    """`python -m aura.api` (the Docker image's CMD) checks the artifacts before uvicorn starts,
    whose lifespan would otherwise print a traceback."""
    (broken / "manifest.json").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "aura.api", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AURA_ARTIFACTS": str(broken)},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: {broken} has no manifest.json: the export is missing or incomplete"
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_finishes_the_request_in_flight_and_stops(
    artifacts_dir: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    """What `docker stop` sends the image's `python -m aura.api`: the request being answered
    gets its whole answer, an idle kept-alive connection does not hold the stop up (it stays
    open 75 s otherwise), and the process ends. SIGHUP, which restarts the workers under
    ``--workers N``, did the same with one worker (none to restart) by ending the process at
    once, the answer cut off and nothing logged; it stops as SIGTERM does, saying why."""
    from concurrent.futures import ThreadPoolExecutor

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aura.api", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AURA_ARTIFACTS": str(artifacts_dir)},
        )
    try:
        wait_for(log_path, '"serving artifacts"')
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        idle.request("GET", "/health")
        assert idle.getresponse().read()  # answered; the connection stays open, idle
        spec = httpx2.get(url + "/openapi.json", timeout=5).json()
        content = spec["paths"]["/api/ml/predict/tutor-match"]["post"]["requestBody"]["content"]
        record = content["application/json"]["examples"]["one record"]["value"]
        body = json.dumps([record] * 100_000).encode()  # seconds of work, on any machine
        sent = threading.Event()

        def sending() -> Iterator[bytes]:
            """The body a megabyte at a time; ``sent`` once the last one is written: the
            server has then read all of it but what the loopback buffers hold, so it has the
            request in hand however slow a loaded machine made the client's start."""
            for start in range(0, len(body), 1 << 20):
                yield body[start : start + (1 << 20)]
            sent.set()

        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(
                httpx2.post,
                url + "/api/ml/predict/tutor-match",
                content=sending(),
                headers={"content-type": "application/json", "content-length": str(len(body))},
                timeout=120,
            )
            assert sent.wait(120), "the batch was not sent"
            proc.send_signal(stop)  # being read or predicted (the log shows it was)
            response = answer.result()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (response.status_code, response.json()["count"]) == (200, 100_000)
    entries = [json.loads(line) for line in log_path.read_text().splitlines()[1:]]
    order = [e.get("path", e["message"]) for e in entries]
    # the batch was answered after the stop began, so it was in flight when SIGTERM came
    assert order.index("Shutting down") < order.index("/api/ml/predict/tutor-match"), order
    assert order[-1].startswith("Finished server process"), order
    said = [i for i, message in enumerate(order) if message.startswith("SIGHUP")]
    assert len(said) == (stop == signal.SIGHUP), order
    assert all(i < order.index("Shutting down") for i in said), order


def test_workers_without_a_writable_temporary_folder_are_refused_in_one_line(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a container with a read-only root filesystem, `--workers 2` stopped with tempfile's
    traceback ("No usable temporary directory found"), after announcing the service."""
    import tempfile

    from aura.api import launch

    monkeypatch.setattr(tempfile, "tempdir", str(artifacts_dir / "no-such-folder"))
    # serve() sets the folder for its workers; set first here, so that it is unset after
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setenv("AURA_ARTIFACTS", str(artifacts_dir))
    port = str(free_port())
    assert launch.main(["--workers", "2", "--port", port]) == 1
    assert capsys.readouterr().err == (
        "error: --workers above 1 keeps every worker's metrics in a temporary folder, and none "
        "can be made (No such file or directory): make one writable (a tmpfs at /tmp under a "
        "read-only root filesystem) or set PROMETHEUS_MULTIPROC_DIR to a writable folder\n"
    )


def test_uvicorn_lines_are_json_like_the_service_lines(artifacts_dir: Path, tmp_path: Path) -> None:
    """uvicorn's own lines (its start and stop, its supervisor's under ``--workers``) came as
    text between the service's JSON lines (``INFO:     Started server process [1]``), which a log
    pipeline reading one JSON object a line cannot parse. Only the announcement before uvicorn
    starts, meant for whoever started it, is text."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aura.api", "--port", str(port), "--workers", "2"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AURA_ARTIFACTS": str(artifacts_dir)},
        )
    try:
        wait_for(log_path, '"serving artifacts"', 2)
        assert httpx2.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    announcement, *lines = log_path.read_text().splitlines()
    assert announcement.startswith(f"serving {artifacts_dir} ")
    entries = [json.loads(line) for line in lines]  # each line one JSON object
    uvicorn = [e["message"] for e in entries if e["logger"] == "uvicorn.error"]
    assert "Application startup complete." in uvicorn
    assert any(m.startswith("Finished server process") for m in uvicorn), uvicorn
    assert any(m.startswith("Stopping parent process") for m in uvicorn), uvicorn
    assert [e["path"] for e in entries if e["message"] == "request"] == ["/health"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--workers", "0", "must be at least 1, got 0"),
        ("--keep-alive", "0", "must be at least 1, got 0"),
        ("--keep-alive", "1.5", "expected a whole number, got '1.5'"),
        ("--port", "0", "must be 1-65535, got 0"),
        ("--port", "99999", "must be 1-65535, got 99999"),
    ],
)
def test_the_image_entry_point_names_a_bad_option(option: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aura.api", option, value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{option}: {message}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AURA_MAX_RECORDS", "abc", "AURA_MAX_RECORDS must be a positive integer, got 'abc'"),
        ("AURA_MAX_RECORDS", "0", "AURA_MAX_RECORDS must be a positive integer, got '0'"),
        ("AURA_MAX_BODY_BYTES", "-1", "AURA_MAX_BODY_BYTES must be a positive integer, got '-1'"),
        ("AURA_ORT_THREADS", "x", "AURA_ORT_THREADS must be a positive integer, got 'x'"),
        (
            "AURA_ORT_THREADS",
            str((os.cpu_count() or 1) + 1),
            f"AURA_ORT_THREADS must be at most {os.cpu_count() or 1} (this machine's cores",
        ),
        ("AURA_LOG_LEVEL", "LOUD", "AURA_LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
    ],
)
def test_a_setting_that_cannot_be_used_stops_both_entry_points_in_one_line(
    artifacts_dir: Path, variable: str, value: str, message: str
) -> None:
    """A bad environment variable is named before uvicorn starts (its workers would each print
    a traceback), by `aura serve` and by the image's `python -m aura.api` alike."""
    result = run_serve(artifacts_dir, **{variable: value})
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    image = subprocess.run(
        [sys.executable, "-m", "aura.api", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AURA_ARTIFACTS": str(artifacts_dir), variable: value},
    )
    assert image.returncode == 1
    assert image.stderr.strip().startswith(f"error: environment variable {message}")


def test_serve_names_a_port_another_service_holds(artifacts_dir: Path) -> None:
    """uvicorn announced the service, loaded the models and only then stopped with "address
    already in use" (exit 3)."""
    import socket

    from typer.testing import CliRunner

    from aura.cli import app

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--artifacts", str(artifacts_dir), "--port", str(port)]
        )
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in output
    assert f"cannot listen on 127.0.0.1:{port}" in output and "choose another --port" in output
    assert "serving" not in output


def test_serve_names_each_field_of_a_manifest_it_cannot_read(broken: Path) -> None:
    """pydantic's own report ran to a line per field and a web link under each."""
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["version"] = 5
    del manifest["models"]
    (broken / "manifest.json").write_text(json.dumps(manifest))
    from aura.api.artifacts import ArtifactError, verify_artifacts

    with pytest.raises(ArtifactError) as err:
        verify_artifacts(broken)
    assert str(err.value) == (
        f"{broken / 'manifest.json'} is not a valid manifest: version: Input should be a valid "
        "string; models: Field required"
    )


def test_a_manifest_saved_with_a_byte_order_mark_or_in_utf_16_is_read_or_named(
    broken: Path,
) -> None:
    """Editors on Windows save a hand edit with a byte order mark, or in UTF-16; either was "the
    file: Invalid JSON: expected value at line 1 column 1", which the editor contradicts."""
    from aura.api.artifacts import ArtifactError, verify_artifacts

    path = broken / "manifest.json"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert verify_artifacts(broken).version == json.loads(text)["version"]
    for encoding, named in [("utf-16", "UTF-16LE"), ("utf-16-be", "UTF-16BE")]:
        path.write_bytes(text.encode(encoding))
        with pytest.raises(ArtifactError) as err:
            verify_artifacts(broken)
        assert str(err.value) == f"{path} is encoded as {named}; save it as UTF-8"


RUN_OPTIONS = [
    # docs/api.md: `make serve` is http://127.0.0.1:8000, one worker, idle connections kept 75 s
    ([], {"host": "127.0.0.1", "port": 8000, "workers": 1, "timeout_keep_alive": 75}),
    # the image's command with workers (docs/api.md, Docker options): every interface
    (
        ["--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--keep-alive", "30"],
        {"host": "0.0.0.0", "port": 8000, "workers": 2, "timeout_keep_alive": 30},
    ),
    # the ends of each range are accepted
    (
        ["--port", "65535", "--workers", "1", "--keep-alive", "1"],
        {"host": "127.0.0.1", "port": 65535, "workers": 1, "timeout_keep_alive": 1},
    ),
]


def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple, dict]]:
    """uvicorn.run's calls, recorded instead of serving; the port is not probed (8000 may be
    taken on the machine running the tests), only recorded with the rest."""
    import uvicorn

    from aura.api import launch

    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setattr(launch, "check_port", lambda host, port: None)
    # serve() sets the folder for its workers; set first here, so that it is unset after
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    return calls


@pytest.mark.parametrize(("options", "expected"), RUN_OPTIONS)
def test_the_image_entry_point_gives_uvicorn_the_options_it_was_given(
    artifacts_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    expected: dict,
) -> None:
    """`python -m aura.api` is the image's command, whose `--host 0.0.0.0` is what makes the
    service reachable from outside the container."""
    from aura.api import launch

    calls = uvicorn_calls(monkeypatch)
    monkeypatch.setenv("AURA_ARTIFACTS", str(artifacts_dir))
    assert launch.main(options) == 0
    [(args, kwargs)] = calls
    assert args == ("aura.api.app:app",)
    assert {key: kwargs[key] for key in expected} == expected
    announced = capsys.readouterr().err.rstrip()
    where = f"on http://{expected['host']}:{expected['port']} with {expected['workers']} worker(s)"
    assert announced.endswith(where), announced


@pytest.mark.parametrize(("options", "expected"), RUN_OPTIONS)
def test_aura_serve_gives_uvicorn_the_options_it_was_given(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch, options: list[str], expected: dict
) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    calls = uvicorn_calls(monkeypatch)
    monkeypatch.setenv("AURA_ARTIFACTS", "unused")  # serve sets it; restored after the test
    result = CliRunner().invoke(app, ["serve", "--artifacts", str(artifacts_dir), *options])
    assert result.exit_code == 0, result.output
    [(args, kwargs)] = calls
    assert args == ("aura.api.app:app",)
    assert {key: kwargs[key] for key in expected} == expected


def test_aura_serve_gives_uvicorn_the_app_it_was_given(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    calls = uvicorn_calls(monkeypatch)
    monkeypatch.setenv("AURA_ARTIFACTS", "unused")
    options = ["--artifacts", str(artifacts_dir), "--app", "aura.api.aws_lambda:handler"]
    result = CliRunner().invoke(app, ["serve", *options])
    assert result.exit_code == 0, result.output
    assert [args for args, _ in calls] == [("aura.api.aws_lambda:handler",)]


def test_a_port_left_in_time_wait_is_not_taken_for_a_busy_one() -> None:
    """The last run's connections, closed by the server, hold its port in TIME_WAIT for a
    minute: uvicorn binds over them (SO_REUSEADDR), so the check before it must too."""
    import socket

    from aura.api.launch import check_port

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server's end closes first: it is the one left in TIME_WAIT
        client.recv(1)
        client.close()
    with socket.socket() as plain, pytest.raises(OSError):  # what a bind without it meets
        plain.bind(("127.0.0.1", port))
    check_port("127.0.0.1", port)


def test_one_worker_counts_in_memory_and_several_in_a_folder_of_their_own(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One worker keeps its counts in memory (no PROMETHEUS_MULTIPROC_DIR for uvicorn's
    process); two get a fresh folder, removed when the service stops; a folder the operator set
    is the one they get, under any number of workers."""
    import uvicorn

    from aura.api import launch

    uvicorn_calls(monkeypatch)
    monkeypatch.setenv("AURA_ARTIFACTS", "unused")  # serve sets it; restored after the test
    folders: list[str | None] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda *a, **k: folders.append(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    )
    quiet = {"announce": lambda message: None, "port": 0}
    launch.serve(artifacts_dir, workers=1, **quiet)
    launch.serve(artifacts_dir, workers=2, **quiet)
    fresh = folders[-1]
    assert folders[0] is None and fresh is not None
    assert Path(fresh).name.startswith("aura-metrics-") and not Path(fresh).exists()
    for workers in (1, 2):
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        launch.serve(artifacts_dir, workers=workers, **quiet)
    assert folders[2:] == [str(tmp_path)] * 2


def test_a_host_name_idna_cannot_encode_is_named_in_one_line() -> None:
    """A label longer than 63 characters is no host name: the resolver's encoder raises
    UnicodeError, not socket.gaierror, and the check names it like any other bad host."""
    from aura.api.launch import LaunchError, check_host

    host = "x" * 64 + ".example"
    with pytest.raises(LaunchError) as err:
        check_host(host, 8000)
    assert str(err.value).startswith(
        f"--host {host!r} is neither an address nor a known host name (encoding with 'idna'"
    )


def test_a_second_service_in_the_same_process_starts_after_a_two_worker_one(
    artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers get a fresh metrics folder through PROMETHEUS_MULTIPROC_DIR, removed when the
    service stops; left set, it named that removed folder, and the next `serve` in the process
    (a notebook, a test harness) refused to start: "... is not a folder"."""
    import uvicorn

    from aura.api import launch

    uvicorn_calls(monkeypatch)
    monkeypatch.setenv("AURA_ARTIFACTS", "unused")  # serve sets it; restored after the test
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    quiet = {"announce": lambda message: None, "port": 0}
    launch.serve(artifacts_dir, workers=2, **quiet)
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    launch.serve(artifacts_dir, workers=1, **quiet)
    launch.serve(artifacts_dir, workers=2, **quiet)
