"""Ctrl-C and SIGTERM reach a command's own handler, wherever in its work they land."""

from __future__ import annotations

from typing import NoReturn

import pytest

from aura.interrupts import interrupts_handled


def stop() -> NoReturn:
    raise SystemExit(130)


def test_an_interrupt_inside_an_extension_import_is_an_interrupt() -> None:
    """SIGTERM in `aura export`'s first import of onnxruntime came out as its ImportError
    ("initialization failed"), a traceback instead of the command's line saying it stopped."""
    with pytest.raises(SystemExit) as stopped, interrupts_handled(stop):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc
    assert stopped.value.code == 130


def test_an_import_error_of_its_own_is_no_interrupt() -> None:
    with pytest.raises(ImportError, match="No module named 'absent'"), interrupts_handled(stop):
        raise ImportError("No module named 'absent'")
