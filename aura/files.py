"""Files written whole or not at all.

Training runs may be killed at any instant (SIGKILL, a dead machine) and resumed, and reports are
read while runs write them. A file is therefore filled under a temporary name beside its target,
flushed to disk, and renamed over the target: a reader or a resume sees the previous file or the
new one, never a truncated one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from aura.interrupts import interrupts_deferred

PART_SUFFIX = ".part"


def write_atomically(path: Path, write: Callable[[BinaryIO], Any]) -> Path:
    """Have ``write`` fill ``<path>.part`` (a binary file), then rename it to ``path``.

    If ``write`` raises, the part is removed and ``path`` keeps what it held. A killed process
    leaves its part behind, which the next write to the same path overwrites.
    """
    part = path.with_name(path.name + PART_SUFFIX)
    try:
        with part.open("wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    return path


@contextmanager
def written_together(paths: Iterable[Path]) -> Iterator[dict[Path, Path]]:
    """Files that belong together (a dataset's tables and their record), written whole and all
    at once, or not at all.

    The block fills the ``<path>.part`` it is given for each path. Once it ends, every part is
    flushed to disk and renamed over its path, with Ctrl-C and SIGTERM held back until the last
    rename; if the block raises (Ctrl-C, a full disk), the parts are removed and every path keeps
    what it held. Writing each file in place left, when stopped, one cut short beside files of
    the new write and of the last.
    """
    parts = {Path(path): Path(path).with_name(Path(path).name + PART_SUFFIX) for path in paths}
    try:
        yield parts
        for part in parts.values():
            descriptor = os.open(part, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        with interrupts_deferred():
            for path, part in parts.items():
                os.replace(part, path)
    except BaseException:
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> Path:
    """:func:`write_atomically` for UTF-8 text."""
    data = text.encode("utf-8")
    return write_atomically(path, lambda file: file.write(data))


def strict_json(
    data: Any, *, default: Callable[[Any], Any] | None = None, sort_keys: bool = False
) -> str:
    """``data`` as indented JSON text that every reader takes: values JSON has no type for go
    through ``default``, and NaN and infinities are written as ``null`` (Python would write
    ``NaN``, which browsers, jq and most languages refuse; a table row without an interval
    holds one)."""

    def finite(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [finite(v) for v in value]
        return value

    plain = json.loads(json.dumps(data, default=default))
    return json.dumps(finite(plain), indent=2, sort_keys=sort_keys, allow_nan=False) + "\n"


def unwritable(path: Path) -> str | None:
    """Why no file can be written at ``path``, in words that follow its name, or None.

    Checked before the work whose result the file will hold, so that minutes of work are not lost
    to a path that is a folder or a device, lies under a file, or sits in a read-only folder.
    Folders missing on the way are not a problem: the writers make them.
    """
    if path.is_dir():
        return "is a folder; name a file to write"
    if path.exists() and not path.is_file():
        return "is not a regular file; name a file to write"
    folder = next(p for p in path.absolute().parents if p.exists())
    if not folder.is_dir():
        return f"lies under {folder}, which is a file, not a folder"
    if not os.access(folder, os.W_OK):
        return f"cannot be written: the folder {folder} is not writable"
    return None


def unwritable_folder(path: Path, *, replaced_whole: bool = False) -> str | None:
    """Why ``path`` cannot be made into, or written as, a folder of results, in words that
    follow its name, or None: :func:`unwritable` for the folders of the params (``data_dir``,
    ``models_dir``, ``artifacts_dir``), checked before the work that fills them. A folder
    ``replaced_whole`` (the export's) is first written beside it, so its parent must be
    writable too."""
    path = path.absolute()
    if path.exists() and not path.is_dir():
        return "is a file, not a folder"
    folder = next(p for p in (path, *path.parents) if p.exists())
    if not folder.is_dir():
        return f"lies under {folder}, which is a file, not a folder"
    needed = [folder] + ([path.parent] if replaced_whole and folder == path else [])
    for writable in needed:
        if not os.access(writable, os.W_OK):
            return f"cannot be written: the folder {writable} is not writable"
    return None


def read_json(path: Path) -> Any:
    """A JSON file AURA wrote, or a ValueError that names the file and where its text stops being
    JSON (a file cut short by a full disk, or edited by hand), instead of the parser's bare
    "Expecting value: line 1 column 1"."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None


def sha256_file(path: Path) -> str:
    """The file's SHA-256, read in blocks (a table or a model may be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
