"""Atomic replacement of an artifacts folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from aura.export.atomic import atomic_directory


def test_new_folder_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "artifacts"
    target.mkdir()
    (target / "old.onnx").write_text("old")
    with atomic_directory(target) as staging:
        assert staging.parent == target.parent and staging != target
        (staging / "new.onnx").write_text("new")
        assert (target / "old.onnx").exists() and not (target / "new.onnx").exists()
    assert sorted(p.name for p in target.iterdir()) == ["new.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_a_failed_export_leaves_the_old_folder_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "artifacts"
    target.mkdir()
    (target / "old.onnx").write_text("old")
    with pytest.raises(RuntimeError, match="conversion failed"), atomic_directory(target) as st:
        (st / "half.onnx").write_text("half")
        raise RuntimeError("conversion failed")
    assert sorted(p.name for p in target.iterdir()) == ["old.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_first_export_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "artifacts"
    with atomic_directory(target) as staging:
        (staging / "manifest.json").write_text("{}")
    assert (target / "manifest.json").read_text() == "{}"
