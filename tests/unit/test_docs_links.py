"""The README's and docs/' links and the files they name resolve: a page or file renamed, or a
heading reworded, otherwise leaves a link that opens nothing or a path a reader looks for in vain.
(docs/extending.md's paths and symbols have their own check, tests/unit/test_extending_doc.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aura.config import PROJECT_ROOT

PAGES = [
    PROJECT_ROOT / "README.md",
    *sorted((PROJECT_ROOT / "docs").glob("*.md")),
    PROJECT_ROOT / "reports" / "README.md",
]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
NAMED_PATH = re.compile(
    r"(?<![\w./-])((?:aura|tests|params|docs|notebooks|benchmarks|docker|\.ci)/[\w./-]*\w/?)"
)
"""A path of the repository in a code span: `aura/rl/pools.py`, `params/studies/`."""


def anchors(page: Path) -> set[str]:
    """GitHub's anchor of each heading: lower case, punctuation but `-` and `_` dropped, spaces
    made `-`."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6} +(.+?) *#*$", text, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def links(page: Path) -> list[str]:
    return [
        link
        for link in LINK.findall(page.read_text(encoding="utf-8"))
        if not re.match(r"[a-z]+:", link)  # http:, https:, mailto:
    ]


def test_the_pages_link_to_each_other() -> None:
    assert sum(len(links(page)) for page in PAGES) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for link in links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no {target.relative_to(PROJECT_ROOT)}")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading '#{anchor}' in {target.name}")
    assert not broken, f"{page.name}: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_repository_path_a_page_names_exists(page: Path) -> None:
    """Paths with a placeholder (`<name>`, `NAME`, `NN_`, a glob) and environment ids
    (`aura/TutorMatching-v0`, which read like paths) are not files."""
    spans = re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8"))
    named = {
        path
        for span in spans
        if not re.search(r"[<>*{}]|NAME|NN_", span)
        for path in NAMED_PATH.findall(span)
        if not re.search(r"-v\d+$", path)
    }
    missing = sorted(path for path in named if not (PROJECT_ROOT / path).exists())
    assert not missing, f"{page.name} names paths the repository does not have: {missing}"
