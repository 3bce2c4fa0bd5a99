"""`aura serve` as a real process: it serves the artifacts, and refuses a broken folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

AURA = [sys.executable, "-c", "from aura.cli import app; app()"]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_answers_health_and_stops(artifacts_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*AURA, "serve", "--port", str(port), "--artifacts", str(artifacts_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        manifest = json.loads((artifacts_dir / "manifest.json").read_text())
        assert response.json()["model_version"] == manifest["version"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def run_serve(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
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
