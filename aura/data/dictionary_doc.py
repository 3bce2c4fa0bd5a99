"""Render the data dictionary into docs/data.md, so the documentation cannot drift from the data.

The dictionary lives in `aura.sim.data_dictionary()` and the required/optional status of each
column in `aura.data.schemas`; this module turns both into markdown tables and writes them between
two marker lines of docs/data.md, leaving the hand-written prose around them alone. A test checks
that the committed file holds exactly what this renders. Refresh it with

    python -m aura.data.dictionary_doc
"""

from __future__ import annotations

import sys
from pathlib import Path

from aura.config import PROJECT_ROOT
from aura.data.schemas import TABLES, fields
from aura.markdown import table_lines
from aura.sim.dictionary import data_dictionary
from aura.sim.io import FILES
from aura.sim.vocab import LEARNER_SPEC_COLUMNS, SESSION_SPEC_COLUMNS, TUTOR_SPEC_COLUMNS

DOCS_PATH: Path = PROJECT_ROOT / "docs" / "data.md"
BEGIN = "<!-- data-dictionary:begin (generated: python -m aura.data.dictionary_doc) -->"
END = "<!-- data-dictionary:end -->"

_SPEC = {
    "learners": LEARNER_SPEC_COLUMNS,
    "tutors": TUTOR_SPEC_COLUMNS,
    "sessions": SESSION_SPEC_COLUMNS,
}
HEADER = ("column", "status", "meaning", "unit", "range", "how the simulator makes it")


def _status(table: str) -> dict[str, str]:
    """'spec' for the spec's columns, else 'required' or 'optional' as the schema says."""
    return {
        f.name: "spec" if f.name in _SPEC[table] else ("required" if f.required else "optional")
        for f in fields(table)
    }


def dictionary_markdown() -> str:
    """One markdown table per file, columns in the order the simulator writes them."""
    dictionary = data_dictionary()
    parts: list[str] = []
    for table in TABLES:
        file = FILES[table]
        status = _status(table)
        rows = dictionary[dictionary["file"] == file]
        cells = [
            (f"`{r.column}`", status[r.column], r.meaning, r.unit, r.range, r.generation)
            for r in rows.itertuples(index=False)
        ]
        parts += [f"### {file}", "", *table_lines(HEADER, cells), ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def generated_block(text: str, path: Path = DOCS_PATH) -> str:
    """The text between the two marker lines; raises ValueError if they are missing."""
    try:
        start = text.index(BEGIN) + len(BEGIN) + 1
        end = text.index(END, start)
    except ValueError as exc:
        raise ValueError(f"{path}: marker lines {BEGIN!r} and {END!r} not found") from exc
    return text[start:end]


def render(text: str, path: Path = DOCS_PATH) -> str:
    """`text` with its generated block replaced by the current dictionary."""
    old = generated_block(text, path)
    start = text.index(BEGIN) + len(BEGIN) + 1
    return text[:start] + dictionary_markdown() + text[start + len(old) :]


def main(path: Path = DOCS_PATH) -> int:
    """Rewrite the generated block of docs/data.md in place; prints whether it changed."""
    text = path.read_text(encoding="utf-8")
    new = render(text, path)
    if new != text:
        path.write_text(new, encoding="utf-8")
    print(f"{path}: {'updated' if new != text else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
