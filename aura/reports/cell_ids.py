"""Ids for the cells of a notebook written without them.

Notebook format 4.5 gives every cell an ``id``, by which nbval and a notebook's diffs follow a
cell. A notebook of that format whose cells have none (written by hand or by an older tool, a
fork's) still reads, but nbformat warns over three lines at each read that a future version will
refuse it, and the ids it then gives are its own copy's: the warning came back at every command.
`give_cell_ids` gives each such cell an id as nbformat gives a new cell one, and keeps every id a
cell has; `aura notebooks record` saves them, and `aura run`, which leaves its notebooks as they
are, says which notebooks lack them instead of nbformat's warning (`quiet_missing_ids`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from nbformat.v4.nbbase import random_cell_id
from nbformat.warnings import MissingIDFieldWarning

FIRST_FORMAT_WITH_IDS = (4, 5)


def cells_without_id(nb: Mapping[str, Any]) -> list[int]:
    """The cells of the notebook ``nb`` (numbered from 1, as JupyterLab shows them) that have no
    id though its format asks each cell for one. A version that is not a whole number, cells
    that are not a list of objects: nbformat's validation names those."""
    version = (nb.get("nbformat"), nb.get("nbformat_minor"))
    cells = nb.get("cells")
    if not all(isinstance(v, int) for v in version) or not isinstance(cells, list):
        return []
    if version < FIRST_FORMAT_WITH_IDS:
        return []
    return [
        i for i, cell in enumerate(cells, start=1) if isinstance(cell, dict) and "id" not in cell
    ]


def give_cell_ids(nb: Mapping[str, Any]) -> list[int]:
    """Give each cell of ``nb`` that `cells_without_id` names a new id, unique in the notebook,
    and return those cells' numbers; the ids the other cells have stay as they are."""
    missing = cells_without_id(nb)
    taken = {cell.get("id") for cell in nb["cells"] if isinstance(cell, dict)}
    for number in missing:
        new = random_cell_id()
        while new in taken:
            new = random_cell_id()
        nb["cells"][number - 1]["id"] = new
        taken.add(new)
    return missing


@contextmanager
def quiet_missing_ids() -> Iterator[None]:
    """nbformat's warning of a cell without an id silenced, for a reading of a notebook by
    another library (papermill) whose cells the command names itself, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        yield
