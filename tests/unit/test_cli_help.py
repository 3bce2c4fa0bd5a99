"""What `aura COMMAND --help` says of an option's default, where it comes from the params file,
and of a path it reads otherwise than from the current folder; that its defaults name no path
of the machine it runs on, and its flags no type."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR, PROJECT_ROOT


def option_help(command: str, option: str) -> str:
    root = typer.main.get_command(app)
    found = root.commands[command]  # type: ignore[attr-defined]
    (param,) = [p for p in found.params if option in p.opts]
    return " ".join((param.help or "").split())


@pytest.mark.parametrize(
    ("command", "option", "key"),
    [
        ("train-rl", "--workers", "03_rl_training.n_workers"),
        ("rl-probe", "--workers", "03_rl_training.n_workers"),
        ("tune", "--n-trials", "03_rl_training.tune.n_trials"),
        ("rl-pools", "--new-pools", "05_evaluation.new_pools"),
    ],
)
def test_a_default_from_the_params_file_is_named_by_its_key(
    command: str, option: str, key: str
) -> None:
    """The defaults read "n_workers of params" and "params tune", where --new-pools named its
    key in full: the key is named as the params file writes it, and the file has it."""
    assert f"the params file's {key}" in option_help(command, option) or (
        f"(default: {key})" in option_help(command, option)
    )
    node = yaml.safe_load((PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))
    for part in key.split("."):
        node = node[part]
    assert isinstance(node, int)


def test_tune_help_says_where_a_relative_sqlite_path_is_read_from() -> None:
    """`--storage sqlite:///studies.db` lands in the project root, not the current folder (as
    the README says): the help said nothing of it, where --out and --artifacts say they are read
    from the current folder."""
    assert "a relative SQLite path is from the project root" in option_help("tune", "--storage")


def every_command(group: typer.core.TyperGroup, path: tuple[str, ...] = ()) -> list[list[str]]:
    """The arguments that reach each command and group of `aura` (none: `aura` itself)."""
    found = [list(path)]
    for name, command in group.commands.items():
        if isinstance(command, typer.core.TyperGroup):
            found += every_command(command, (*path, name))
        else:
            found.append([*path, name])
    return found


WIDE = {"COLUMNS": "250"}
"""Each option's help on one line of the panel (and no path cut in two)."""


def shown_help(app_: typer.Typer, args: list[str], prog_name: str) -> str:
    """What ``PROG_NAME ARGS --help`` prints."""
    result = CliRunner().invoke(app_, [*args, "--help"], prog_name=prog_name, env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


ALL_COMMANDS = every_command(typer.main.get_command(app))  # type: ignore[arg-type]
TAKE_PARAMS = [
    ["run"],
    ["generate"],
    ["train-rl"],
    ["rl-budget"],
    ["rl-probe"],
    ["rl-compare"],
    ["rl-pools"],
    ["tune"],
    ["train-supervised"],
    ["export"],
    ["params", "check"],
    ["params", "derive"],
]
"""The commands that read a params file."""


@pytest.mark.parametrize("args", ALL_COMMANDS, ids=lambda args: " ".join(["aura", *args]))
def test_help_shows_no_path_of_this_machine_and_no_type_on_a_flag(args: list[str]) -> None:
    """`--params`'s default was shown as the absolute path of the checkout the help was made in
    (`[default: /home/NAME/aura/params/default.yaml]`), and every flag (`--help`, `--force`,
    `--version`) had a `<bool>` beside it, as if it took a value."""
    shown = shown_help(app, args, "aura")
    assert "<bool>" not in shown
    assert str(PROJECT_ROOT) not in shown
    flags = [line for line in shown.splitlines() if line.startswith("│ ") and "--help" in line]
    assert len(flags) == 1, shown
    assert re.fullmatch(r"│ +--help +Show this message and exit\. +│", flags[0]), flags[0]
    params = re.compile(
        r"│ +(\* +)?--params +-p +<path> +Params YAML file \(default: params/default\.yaml, from "
        r"the project root\)\. +│"
    )
    assert bool(params.search(shown)) == (args in TAKE_PARAMS), shown


def test_a_flag_keeps_its_default_and_its_negative() -> None:
    shown = shown_help(app, ["tune"], "aura")
    assert re.search(
        r"│ +--force +--no-force +Overwrite --best-params if it exists\."
        r"[ │\n]+\[default: no-force\]",
        shown,
    ), shown


def test_the_params_default_is_still_read_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The help names the default from the project root; the command still reads it there,
    whatever the current folder (which has a params/default.yaml of its own here)."""
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "default.yaml").write_text("not: [a params file\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["params", "check"])
    assert result.exit_code == 0, result.output
    assert str(PARAMS_DIR / "default.yaml") in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("script", "option", "said"),
    [
        ("bench_api", "--artifacts", "Artifacts folder to serve (default: artifacts, from"),
        ("bench_lambda", "--artifacts", "Artifacts folder to load (default: artifacts, from"),
        ("bench_rl_training", "--params", "Params file of the grid (default: params/default.yaml"),
        ("bench_envs", "--steps", "Steps per timed run. [default: 100000]"),
        ("bench_generation", "--quick", "One run per case instead of 5 and 3."),
        ("bench_supervised", "--repeats", "Fits and batch predictions timed."),
        ("ope_coverage", "--replications", "Replications, each from its own simulator seed."),
    ],
)
def test_a_benchmarks_help_is_as_auras(
    monkeypatch: pytest.MonkeyPatch, script: str, option: str, said: str
) -> None:
    """The benchmarks' help showed the same absolute defaults and `<bool>`s."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
    from option_checks import app_of

    bench = importlib.import_module(script)
    shown = shown_help(app_of(bench.main), [], f"{script}.py")
    assert "<bool>" not in shown
    assert str(PROJECT_ROOT) not in shown
    assert re.search(r"│ +--help +Show this message and exit\. +│", shown), shown
    [line] = [line for line in shown.splitlines() if line.startswith(f"│ {option} ")]
    assert said in line, line
