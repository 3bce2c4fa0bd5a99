"""What `aura COMMAND --help` says of an option's default, where it comes from the params file,
and of a path it reads otherwise than from the current folder."""

from __future__ import annotations

import pytest
import typer
import yaml

from aura.cli import app
from aura.config import PARAMS_DIR


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
