"""Files written whole or not at all (aura.files)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from aura.files import write_atomically, write_text_atomically


def test_a_file_is_written_and_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "model.zip"
    target.write_bytes(b"old")
    assert write_atomically(target, lambda f: f.write(b"new")) == target
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"]


def test_a_write_cut_off_leaves_the_old_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "buffer.pkl"
    target.write_bytes(b"complete")

    def half_then_fail(file: BinaryIO) -> None:
        file.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, half_then_fail)
    assert target.read_bytes() == b"complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["buffer.pkl"]


def test_a_file_that_never_existed_stays_absent_after_a_failed_write(tmp_path: Path) -> None:
    target = tmp_path / "info.json"

    def fail(file: BinaryIO) -> None:
        file.write(b"{")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail)
    assert list(tmp_path.iterdir()) == []


def test_text_is_written_as_utf8(tmp_path: Path) -> None:
    target = write_text_atomically(tmp_path / "note.txt", "ability θ\n")
    assert target.read_bytes() == "ability θ\n".encode()


def test_a_results_folder_is_refused_where_no_folder_can_be_made(tmp_path: Path) -> None:
    from aura.files import unwritable_folder

    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    assert unwritable_folder(tmp_path / "new" / "models") is None  # made on the way
    assert unwritable_folder(tmp_path) is None
    assert unwritable_folder(a_file) == "is a file, not a folder"
    assert unwritable_folder(a_file / "models" / "rl") == (
        f"lies under {a_file}, which is a file, not a folder"
    )
