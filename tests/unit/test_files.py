"""Files written whole or not at all (aura.files)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from aura.files import write_atomically, write_text_atomically, written_together


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


def test_files_written_together_replace_the_old_ones_all_at_once(tmp_path: Path) -> None:
    old = {tmp_path / name: name.encode() for name in ("a.csv", "b.csv")}
    for path, text in old.items():
        path.write_bytes(text)
    with written_together([*old, tmp_path / "c.json"]) as parts:
        for path, part in parts.items():
            part.write_bytes(b"new " + path.name.encode())
        assert all(path.read_bytes() == text for path, text in old.items())  # not yet replaced
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.csv": b"new a.csv",
        "b.csv": b"new b.csv",
        "c.json": b"new c.json",
    }


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_files_written_together_and_stopped_part_way_are_all_kept(
    tmp_path: Path, stop: type[BaseException]
) -> None:
    """Stopped after the first file and half the second, none is replaced and no part stays."""
    paths = [tmp_path / name for name in ("a.csv", "b.csv", "c.csv")]
    paths[0].write_bytes(b"old a")
    with pytest.raises(stop), written_together(paths) as parts:
        parts[paths[0]].write_bytes(b"new a")
        parts[paths[1]].write_bytes(b"new b, half")
        raise stop()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.csv": b"old a"}


def test_an_interrupt_during_the_renames_comes_after_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (or Ctrl-C) in the instant between two renames would leave files of two writes
    side by side; it reaches its handler once every file is in place."""
    import os
    import signal

    import aura.files

    paths = [tmp_path / name for name in ("a.csv", "b.csv", "c.csv")]
    replace = os.replace

    def signalled(part: Path, path: Path) -> None:
        signal.raise_signal(signal.SIGTERM)
        replace(part, path)

    monkeypatch.setattr(aura.files.os, "replace", signalled)
    seen: list[list[str]] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: seen.append(sorted(os.listdir(tmp_path))))
    try:
        with written_together(paths) as parts:
            for part in parts.values():
                part.write_bytes(b"new")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == [["a.csv", "b.csv", "c.csv"]]
