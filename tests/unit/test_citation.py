"""CITATION.cff is valid Citation File Format and names the version and licence pyproject.toml
declares, and LICENSE carries that licence's text: a citation or a fork must not name a version
or a licence the package does not have."""

from __future__ import annotations

import tomllib

import yaml

from aura.config import PROJECT_ROOT

PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_citation_names_the_declared_version_and_licence() -> None:
    citation = yaml.safe_load((PROJECT_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # what CFF 1.2.0 requires
        assert citation[key], f"CITATION.cff: {key} is empty"
    assert all(author.get("name") or author.get("family-names") for author in citation["authors"])
    assert citation["version"] == PROJECT["version"]
    assert citation["license"] == PROJECT["license"]["text"]


def test_license_file_carries_the_declared_licence() -> None:
    text = (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"{PROJECT['license']['text']} License"
