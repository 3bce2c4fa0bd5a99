"""The Docker image itself: built from the Dockerfile, run as a container over smoke artifacts
mounted read-only, answering every endpoint as a non-root user without the training stack, and
refusing a broken artifacts folder.

Needs a Docker engine and the base image (``python:3.11-slim``, or the image named in
``AURA_PYTHON_IMAGE``, such as the Debian-built stand-in of ``docker/debian-base.sh`` on a
machine without Docker Hub); without them the tests are skipped, saying which is missing,
unless ``AURA_DOCKER_REQUIRED`` is set (`.ci/run` sets it once it has provided both).
`test_serve_image.py` checks the same service without an engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from test_serve import STARTUP_SECONDS, free_port
from test_serve_image import TRAINING_STACK, answers_every_endpoint

from aura.config import PROJECT_ROOT

IMAGE = "aura-api:test"
BASE_IMAGE = os.environ.get("AURA_PYTHON_IMAGE", "python:3.11-slim")
IMAGE_USER_ID = "10001"  # the Dockerfile's `useradd --uid`


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def engine_problem() -> str | None:
    """Why the image cannot be built here, or None."""
    if shutil.which("docker") is None:
        return "no docker command"
    try:
        if docker("info", timeout=20, check=False).returncode != 0:
            return "no Docker engine answers"
        if docker("image", "inspect", BASE_IMAGE, check=False).returncode == 0:
            return None
        if docker("pull", BASE_IMAGE, timeout=300, check=False).returncode != 0:
            return (
                f"base image {BASE_IMAGE} is neither here nor pullable (build a stand-in with "
                "docker/debian-base.sh and name it in AURA_PYTHON_IMAGE)"
            )
    except subprocess.TimeoutExpired as exc:
        return f"docker {' '.join(exc.cmd[1:])} did not answer in {exc.timeout:.0f} s"
    return None


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def image() -> str:
    problem = engine_problem()
    if problem is not None:
        message = f"Docker image not testable here: {problem}"
        if os.environ.get("AURA_DOCKER_REQUIRED"):
            pytest.fail(message + " (AURA_DOCKER_REQUIRED is set)")
        pytest.skip(message)
    build = docker(
        "build", "--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}", "-t", IMAGE, str(PROJECT_ROOT),
        timeout=900, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return IMAGE


def readable_copy(folder: Path, target: Path) -> Path:
    """A copy the image's non-root user can read (pytest's own folders are private to root)."""
    shutil.copytree(folder, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    target.parent.chmod(0o755)
    return target


@pytest.fixture
def mounted(artifacts_dir: Path, tmp_path: Path) -> Path:
    return readable_copy(artifacts_dir, tmp_path / "artifacts")


@pytest.fixture
def container(image: str, mounted: Path) -> Iterator[tuple[str, str]]:
    """A running container of the image over the artifacts, published on a loopback port."""
    port = free_port()
    cid = docker(
        "run", "--detach", "--publish", f"127.0.0.1:{port}:8000",
        "--volume", f"{mounted}:/artifacts:ro", image,
    ).stdout.strip()  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if httpx2.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            state = docker("inspect", "--format", "{{.State.Running}}", cid).stdout.strip()
            assert state == "true", docker("logs", cid).stderr
            assert time.monotonic() < deadline, "the container's service did not start"
            time.sleep(0.3)
        yield cid, url
    finally:
        docker("rm", "--force", cid, check=False)


def test_the_container_answers_every_endpoint(container: tuple[str, str]) -> None:
    _, url = container
    predict = answers_every_endpoint(url)
    bad = httpx2.post(url + predict[0], json={"age": "old"}, timeout=5)
    assert bad.status_code == 422


def test_the_container_runs_as_its_own_user_without_the_training_stack(
    container: tuple[str, str],
) -> None:
    cid, _ = container
    assert docker("exec", cid, "id", "-u").stdout.strip() == IMAGE_USER_ID
    listed = docker("exec", cid, "pip", "list", "--format", "json").stdout
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert "onnxruntime" in installed and "fastapi" in installed
    assert installed.isdisjoint(TRAINING_STACK), installed & set(TRAINING_STACK)


def test_the_image_healthcheck_passes(container: tuple[str, str]) -> None:
    cid, _ = container
    check = json.loads(docker("inspect", "--format", "{{json .Config.Healthcheck}}", cid).stdout)
    assert check["Test"][0] == "CMD-SHELL"
    result = docker("exec", cid, "sh", "-c", check["Test"][1], check=False)
    assert result.returncode == 0, result.stderr


def test_aura_serve_is_the_image_command_too(image: str) -> None:
    """The image's `aura` script stopped with "No module named 'aura.cli'" and a traceback."""
    result = docker("run", "--rm", image, "aura", "serve", "--help", timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: aura serve"), result.stdout
    for option in ("--host", "--port", "--workers", "--keep-alive", "--artifacts"):
        assert option in result.stdout


def test_the_container_refuses_a_broken_artifacts_folder(image: str, mounted: Path) -> None:
    (mounted / "engagement.onnx").unlink()
    result = docker(
        "run", "--rm", "--volume", f"{mounted}:/artifacts:ro", image, timeout=120, check=False
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: artifacts in /artifacts cannot be served: "
        "engagement.onnx is listed in the manifest but missing"
    ), result.stderr
