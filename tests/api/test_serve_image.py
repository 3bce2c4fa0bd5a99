"""The Dockerfile's service alone: its steps, run in a fresh virtual environment, serve every
endpoint with nothing but the `serve` extra installed.

No Docker engine is needed: the test copies the files the Dockerfile copies, installs the
requirements the Dockerfile installs (the `serve` extra of pyproject.toml) and the project
without its dependencies, then runs the image's CMD from that environment, on loopback.
A module of `aura.api`, `aura.export` or `aura.sim` that imports a package outside the extra, or
a file the Dockerfile does not copy, fails here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx2
import pytest
from packaging.utils import canonicalize_name
from test_serve import STARTUP_SECONDS, free_port

from aura.config import PROJECT_ROOT
from aura.dependency_lock import LOCK_FILE, read_lock

TRAINING_STACK = ("torch", "scikit-learn", "pandas", "scipy", "stable-baselines3", "gymnasium")


def image_command(dockerfile: Path, port: int) -> list[str]:
    """The final CMD of the Dockerfile (exec form), bound to loopback on ``port``."""
    lines = dockerfile.read_text().replace("\\\n", "").splitlines()  # join continued lines
    cmd = [line for line in lines if line.startswith("CMD [")]
    assert cmd, "the Dockerfile has no exec-form CMD"
    command = json.loads(cmd[-1].removeprefix("CMD "))
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        command[command.index(option) + 1] = value
    return command


def copied_paths(dockerfile: Path) -> list[str]:
    """Sources of the build stage's COPY lines (before the first multi-stage COPY --from)."""
    paths = []
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY --from"):
            break
        if match := re.match(r"COPY\s+(.+)\s+\S+$", line):
            paths += match.group(1).split()
    return paths


def admitted(rel: str, dockerignore: Path) -> bool:
    """Whether ``.dockerignore`` lets ``rel`` into the build context: its last matching rule
    wins, and ``!`` admits (the file is an allowlist: ``*``, then ``!path``)."""
    verdict = True
    for line in dockerignore.read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        pattern = rule.removeprefix("!").rstrip("/")
        if fnmatch(rel, pattern) or rel.startswith(pattern + "/"):
            verdict = rule.startswith("!")
    return verdict


def test_every_file_the_dockerfile_copies_is_in_the_build_context() -> None:
    """A file the Dockerfile copies but .dockerignore leaves out fails `docker build`, which
    only a machine with a Docker engine would run; this says so anywhere."""
    for rel in copied_paths(PROJECT_ROOT / "Dockerfile"):
        assert admitted(rel, PROJECT_ROOT / ".dockerignore"), f"{rel} is left out by .dockerignore"


def answers_every_endpoint(url: str) -> list[str]:
    """Post each prediction endpoint's documented example to the service at ``url``; checks
    one prediction and the model version come back, and returns the endpoints' paths."""
    paths = httpx2.get(url + "/openapi.json", timeout=5).json()["paths"]
    predict = [p for p in paths if p.startswith("/api/ml/predict/")]
    assert len(predict) == 4
    for path in predict:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]
        record = body["examples"]["one record"]["value"]
        response = httpx2.post(url + path, json=record, timeout=5)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["count"] == 1
        assert response.headers["x-model-version"]
    return predict


@pytest.fixture(scope="module")
def serve_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("image")
    src = root / "src"
    for rel in copied_paths(PROJECT_ROOT / "Dockerfile"):
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (PROJECT_ROOT / rel).is_dir():
            skip = shutil.ignore_patterns("__pycache__")
            shutil.copytree(PROJECT_ROOT / rel, target, ignore=skip)
        else:
            shutil.copy2(PROJECT_ROOT / rel, target)
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    requirements = pyproject["project"]["optional-dependencies"]["serve"]
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "-c", str(src / "constraints.txt"), *requirements], check=True, timeout=600
    )
    subprocess.run([*pip, "--no-deps", str(src)], check=True, timeout=300)
    return venv


@pytest.mark.slow
def test_the_serve_extra_alone_holds_no_training_library(serve_venv: Path) -> None:
    listed = subprocess.run(
        [str(serve_venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "onnxruntime" in installed and "fastapi" in installed
    assert installed.isdisjoint(TRAINING_STACK), installed & set(TRAINING_STACK)


@pytest.mark.slow
def test_the_serve_extra_installs_the_locked_versions(serve_venv: Path) -> None:
    """The image's packages, its dependencies' dependencies too, are those of constraints.txt,
    the versions the test suite ran with, not whatever is newest when the image is built."""
    listed = subprocess.run(
        [str(serve_venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    locked = read_lock()
    # the project, and what `python -m venv` puts in itself (the extra needs no setuptools)
    venv_own = {"aura", "pip", "setuptools"}
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    off_lock = {
        name: (version, locked.get(name))
        for name, version in installed.items()
        if name not in venv_own and locked.get(name) != version
    }
    assert len(installed) > 10 and not off_lock, off_lock


@pytest.mark.slow
def test_the_serve_extra_alone_answers_every_endpoint(
    serve_venv: Path, artifacts_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            image_command(PROJECT_ROOT / "Dockerfile", port),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,  # not the project: the package must come from the environment
            env={"AURA_ARTIFACTS": str(artifacts_dir), "PATH": str(serve_venv / "bin")},
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                assert httpx2.get(url + "/health", timeout=2).status_code == 200
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.2)
        answers_every_endpoint(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_aura_serve_runs_where_only_the_serve_extra_is_installed(
    serve_venv: Path, artifacts_dir: Path, tmp_path: Path
) -> None:
    """The `aura` script the image installs named the CLI, whose libraries the image leaves
    out: `aura serve` stopped with "No module named 'aura.cli'" and a traceback."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    command = [str(serve_venv / "bin" / "aura"), "serve", "--port", str(port)]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*command, "--artifacts", str(artifacts_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env={"PATH": str(serve_venv / "bin")},
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                health = httpx2.get(url + "/health", timeout=2)
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.2)
        manifest = json.loads((artifacts_dir / "manifest.json").read_text())
        assert health.json()["model_version"] == manifest["version"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert f"serving {artifacts_dir} (version {manifest['version']})" in log_path.read_text()


@pytest.mark.slow
def test_another_aura_command_where_only_the_serve_extra_is_installed_is_refused_in_one_line(
    serve_venv: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(serve_venv / "bin" / "aura"), "train-rl"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": str(serve_venv / "bin")},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: this install holds the prediction service alone (aura.cli is not installed): "
        "its one command is `aura serve [--host --port --workers --keep-alive --artifacts]`; "
        "install the project in full for the others"
    ), result.stderr


LAMBDA_CALL = """
import json, sys
from aura.api.aws_lambda import handler
path = "/api/ml/predict/compatibility"
spec = json.loads(handler({"version": "2.0", "rawPath": "/openapi.json", "rawQueryString": "",
    "headers": {"host": "x"}, "requestContext": {"http": {"method": "GET",
    "path": "/openapi.json", "sourceIp": "10.0.0.1"}}, "isBase64Encoded": False}, None)["body"])
record = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"][
    "examples"]["one record"]["value"]
answer = handler({"version": "2.0", "rawPath": path, "rawQueryString": "",
    "headers": {"host": "x", "content-type": "application/json"},
    "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "10.0.0.1"}},
    "body": json.dumps(record), "isBase64Encoded": False}, None)
print(json.dumps(answer))
"""


@pytest.mark.slow
def test_the_serve_and_lambda_extras_alone_answer_a_lambda_event(
    serve_venv: Path, artifacts_dir: Path, tmp_path: Path
) -> None:
    """What a Lambda package holds (docs/api.md): the image's files and the `serve` extra, plus
    the `lambda` extra, installed beside them as `pip install --target` puts them."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    target = tmp_path / "lambda"
    subprocess.run(
        [str(serve_venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
         "--disable-pip-version-check", "--target", str(target),
         "-c", str(LOCK_FILE),
         *pyproject["project"]["optional-dependencies"]["lambda"]],
        check=True,
        timeout=300,
    )  # fmt: skip
    result = subprocess.run(
        [str(serve_venv / "bin" / "python"), "-c", LAMBDA_CALL],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the project: the package must come from the environment
        env={"AURA_ARTIFACTS": str(artifacts_dir), "PYTHONPATH": str(target)},
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["count"] == 1
    assert answer["headers"]["x-model-version"]
