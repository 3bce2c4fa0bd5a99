"""Every `aura` command the README and docs/ show exists, with every option they give it: a
renamed option otherwise leaves the docs telling users to type what the CLI refuses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from aura.cli import app
from aura.config import PROJECT_ROOT

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
CODE = re.compile(r"```([a-z]*)\n(.*?)```|`([^`\n]+)`", re.DOTALL)
SHOWN_ONLY = "text"
"""A fenced block of this language shows commands that need a change first (a fork's new
algorithm, docs/extending.md): their options are checked, but they are not run."""
INVOCATION = re.compile(r"(?<![\w.\[/-])aura ((?:[a-z][a-z0-9-]*)(?: [a-z][a-z0-9-]*)?)(.*)")


def commands() -> dict[str, Any]:
    """Every command by its full name ('run', 'params derive', ...)."""
    root = typer.main.get_command(app)
    found: dict[str, Any] = {}
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        found[name] = command
        for sub, subcommand in getattr(command, "commands", {}).items():  # a group's
            found[f"{name} {sub}"] = subcommand
    return found


def code_lines(path: Path) -> list[tuple[str, str, bool]]:
    """(where, line, whether from a fenced block that can run as it is) of every line of the
    file's code spans and blocks, a shell line continued with a backslash joined into one."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in CODE.finditer(text):
        block = match.group(2) is not None
        code = (match.group(2) if block else match.group(3)).replace("\\\n", " ")
        first = text.count("\n", 0, match.start()) + 1
        where = f"{path.name}, code from line {first}"
        runnable = block and match.group(1) != SHOWN_ONLY
        found += [(where, line, runnable) for line in code.splitlines()]
    return found


def invocations(path: Path) -> list[tuple[str, str, list[str]]]:
    """(where, command words, options) of each `aura ...` in the file's code."""
    found = []
    for where, line, _ in code_lines(path):
        hit = INVOCATION.search(line)
        if hit:
            options = re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", hit.group(2))
            found.append((where, hit.group(1), options))
    return found


ALL = [i for doc in DOCS for i in invocations(doc)]


def test_the_docs_show_commands() -> None:
    assert len(ALL) >= 30


@pytest.mark.parametrize("where, words, options", ALL, ids=[f"{w}: {c}" for w, c, _ in ALL])
def test_a_documented_command_and_its_options_exist(
    where: str, words: str, options: list[str]
) -> None:
    known = commands()
    name = words if words in known else words.split(" ")[0]
    assert name in known, f"{where}: `aura {words}` is no command; known: {sorted(known)}"
    command = known[name]
    accepted = {opt for param in command.params for opt in param.opts} | {"--help"}
    unknown = [opt for opt in options if opt not in accepted]
    assert not unknown, f"{where}: `aura {name}` has no option {unknown}; it has {sorted(accepted)}"


def test_the_documented_params_derive_examples_write_a_checked_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each `aura params derive` the docs spell out in full runs as written, its output sent to a
    scratch file: the values it sets still exist and still pass the checks."""
    from typer.testing import CliRunner

    examples = [
        line
        for doc in DOCS
        for _, line, runnable in code_lines(doc)
        if runnable and "aura params derive " in line
    ]
    assert examples, "the docs show no `aura params derive` example"
    monkeypatch.chdir(PROJECT_ROOT)  # the examples' paths are the repository's
    for i, line in enumerate(examples):
        words = shlex.split(line.split("#", 1)[0])
        args = words[words.index("aura") + 1 :]
        args[args.index("--out") + 1] = str(tmp_path / f"example-{i}.yaml")
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, f"`{line.strip()}` failed:\n{result.output}"
        assert "checked" in result.output


def test_the_readme_table_lists_every_command_the_cli_has() -> None:
    """The README's table of commands, against the CLI: a command added or renamed is listed."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `aura ([a-z -]+)` \|", table, flags=re.MULTILINE)
    groups = {name.split()[0] for name in commands() if " " in name}
    assert sorted(listed) == sorted(name for name in commands() if name not in groups)


def test_every_option_of_every_command_is_named_in_the_docs() -> None:
    """The reverse of the check above: an option the CLI has and no page names (`aura rl-budget
    --every` was one) is found only by a reader of `--help`, and a list of a command's options
    in the docs (`aura serve`'s) reads as all of them."""
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    unnamed = {
        name: sorted(
            opt
            for param in command.params
            for opt in param.opts
            if opt.startswith("--") and not re.search(rf"{re.escape(opt)}(?![\w-])", text)
        )
        for name, command in commands().items()
    }
    assert not {name: opts for name, opts in unnamed.items() if opts}


def test_no_command_help_shows_a_placeholder_the_help_would_lose() -> None:
    """A command's help is its docstring and its options' help, rendered as Markdown (so a
    paragraph reflows to the terminal): a `{name}` in it is never filled in and reads as a value
    the CLI forgot to give, and a `<name>` is taken for an HTML tag and not shown at all."""
    placeholder = re.compile(r"\{[a-z_]+\}|<[^>\n]+>")
    found = {}
    for name, command in commands().items():
        # Every parameter's help: typer's options are not click.Option (typer carries its own
        # copy of click), so a check by that class read none of them.
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        found[name] = placeholder.findall(" ".join(texts))
    assert not {name: hits for name, hits in found.items() if hits}
