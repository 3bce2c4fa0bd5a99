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


def test_an_interrupt_between_the_renames_comes_once_the_new_folder_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped between its two renames, the folder had gone aside and the new set was not yet
    in place: no set stood at the target, and the last one lay in a hidden folder."""
    import signal

    target = tmp_path / "supervised"
    target.mkdir()
    (target / "old.joblib").write_text("old")
    rename = Path.rename

    def signalled(self: Path, to: Path) -> Path:
        signal.raise_signal(signal.SIGTERM)
        return rename(self, to)

    monkeypatch.setattr(Path, "rename", signalled)
    seen: list[list[str]] = []
    previous = signal.signal(
        signal.SIGTERM, lambda *_: seen.append(sorted(p.name for p in target.iterdir()))
    )
    try:
        with atomic_directory(target) as staging:
            (staging / "new.joblib").write_text("new")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == [["new.joblib"]]


def test_ctrl_c_while_writing_leaves_the_old_folder_and_no_debris(tmp_path: Path) -> None:
    """Ctrl-C (KeyboardInterrupt, not an Exception) while the files were written aside must
    still remove the hidden staging folder and leave the last set in place."""
    target = tmp_path / "artifacts"
    target.mkdir()
    (target / "old.onnx").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_directory(target) as staging:
        (staging / "half.onnx").write_text("half")
        raise KeyboardInterrupt
    assert sorted(p.name for p in target.iterdir()) == ["old.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"]


def test_a_symlinked_folder_keeps_its_link_and_gets_the_new_set(tmp_path: Path) -> None:
    """An artifacts folder that is a symlink (to a data volume, say): the link stays a link, the
    folder it points at holds the new set, and nothing is left beside either."""
    real = tmp_path / "volume" / "artifacts"
    real.mkdir(parents=True)
    (real / "old.onnx").write_text("old")
    link = tmp_path / "artifacts"
    link.symlink_to(real, target_is_directory=True)
    with atomic_directory(link) as staging:
        (staging / "new.onnx").write_text("new")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in real.iterdir()) == ["new.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts", "volume"]
    assert sorted(p.name for p in (tmp_path / "volume").iterdir()) == ["artifacts"]
