"""`aura --version` names the version pyproject.toml declares, the one a citation or a bug report
gives, and runs no command."""

from __future__ import annotations

import tomllib

from typer.testing import CliRunner

from aura.cli import app
from aura.config import PROJECT_ROOT


def test_version_is_the_declared_one() -> None:
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"aura {declared['project']['version']}\n"


def test_version_comes_before_any_command() -> None:
    result = CliRunner().invoke(app, ["--version", "generate", "--params", "no-such-file.yaml"])
    assert result.exit_code == 0
    assert result.output.startswith("aura ")
