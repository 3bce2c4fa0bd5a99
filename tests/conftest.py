"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import nbformat
import pytest

# Plots in tests and in executed notebooks must never need a display.
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def sb3_log_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Models a test builds without a logger of its own get SB3's default one, which makes a
    folder per model under the system temp dir; keep those inside pytest's temp dir instead."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3")))
        yield


Cell = str | tuple[str, Sequence[str]]
"""A code cell's source, or (source, tags)."""


@pytest.fixture(scope="session")
def make_notebook() -> Callable[[Path, Sequence[Cell]], Path]:
    """Write a small python3 notebook from code cell sources (optionally with tags).

    Tests of the notebook machinery use throwaway notebooks in a temp dir, never notebooks/.
    """

    def make(path: Path, cells: Sequence[Cell]) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        for cell in cells:
            source, tags = (cell, ()) if isinstance(cell, str) else cell
            new = nbformat.v4.new_code_cell(source)
            if tags:
                new.metadata["tags"] = list(tags)
            nb.cells.append(new)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    return make
