"""Debian's headless Chromium, for tests that read what a real browser built of a page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_or_skip() -> str:
    """The chromium executable; a skip where it is not installed, a failure on CI (.ci/run
    installs it)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run must install Debian's chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return chromium


def dump_dom(page: Path, profile: Path, *flags: str) -> str:
    """The DOM Chromium built of ``page`` once it loaded (its scripts run)."""
    result = subprocess.run(
        [
            chromium_or_skip(),
            *CHROMIUM_FLAGS,
            *flags,
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
