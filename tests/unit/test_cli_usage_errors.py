"""A usage error (an unknown command or option, a missing option, a value of the wrong type or
out of range) is said in one line that names the command, the option and the value, with exit
code 2: it was a boxed panel of five lines or more, under the command's usage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aura.cli import app


@pytest.mark.parametrize(
    ("args", "command", "named"),
    [
        (["rl-budget", "--factor", "0"], "aura rl-budget", ["'--factor'", "'0'", "1"]),
        (["serve", "--port", "99999"], "aura serve", ["'--port'", "'99999'", "65535"]),
        (["rl-pools", "--pool-seed", "-1"], "aura rl-pools", ["'--pool-seed'", "'-1'"]),
        (["rl-budget", "--factor", "x"], "aura rl-budget", ["'--factor'", "'x'", "integer"]),
        (["serve", "--workers", "1.5"], "aura serve", ["'--workers'", "'1.5'", "integer"]),
        (["params", "derive", "--out", "x.yaml"], "aura params derive", ["Missing", "'--set'"]),
        (["params", "check", "--bogus", "1"], "aura params check", ["No such option", "--bogus"]),
        (["--bogus"], "aura", ["No such option", "--bogus"]),
        (["nope"], "aura", ["No such command", "'nope'"]),
        (["params", "set"], "aura params", ["No such command", "'set'"]),
        (["serve", "extra"], "aura serve", ["unexpected extra argument", "extra"]),
        (["params", "derive", "-s"], "aura params derive", ["'-s'", "requires an argument"]),
    ],
    ids=[
        "below-min",
        "above-max",
        "negative",
        "not-an-int",
        "float-for-int",
        "missing-option",
        "unknown-option",
        "unknown-top-option",
        "unknown-command",
        "unknown-subcommand",
        "extra-argument",
        "option-without-value",
    ],
)
def test_a_usage_error_is_one_line_naming_the_option_and_value(
    args: list[str], command: str, named: list[str]
) -> None:
    result = CliRunner().invoke(app, args, prog_name="aura")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"error: {command}: "), line
    assert line.endswith(f"(see {command} --help)"), line
    for word in named:
        assert word in line, (word, line)


def test_the_installed_command_says_a_usage_error_in_one_line(tmp_path: Path) -> None:
    """The console script, on a real stderr (no terminal): the line is not wrapped or boxed."""
    aura = Path(sys.executable).with_name("aura")
    result = subprocess.run(
        [str(aura), "rl-budget", "--factor", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "error: aura rl-budget: Invalid value for '--factor': Input should be greater than or "
        "equal to 1, got '0' (see aura rl-budget --help)\n"
    )


@pytest.mark.parametrize(("args", "usage"), [([], "aura [OPTIONS]"), (["params"], "aura params")])
def test_a_group_without_a_command_still_shows_its_help(args: list[str], usage: str) -> None:
    result = CliRunner().invoke(app, args, prog_name="aura")
    assert "Usage: " + usage in result.output
    assert "Commands" in result.output
    assert "error:" not in result.output
