"""Ctrl-C and SIGTERM reach a command's own handler, wherever in its work they land."""

from __future__ import annotations

import sys
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


class _Watched:
    """An object whose weak reference's callback runs when it goes."""


def test_an_interrupt_inside_a_callback_python_only_reports_is_not_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGTERM landing in a weak reference's callback (the import system's module locks have
    them) was "Exception ignored in: <function _get_module_lock.<locals>.cb>", and the benchmark
    it should have stopped ran to its end and exited 0."""
    import signal
    import weakref

    watched = _Watched()
    went_on = []
    with pytest.raises(SystemExit) as stopped, interrupts_handled(stop):
        ref = weakref.ref(watched, lambda _: signal.raise_signal(signal.SIGTERM))
        del watched  # the callback runs here, and the signal's handler within it
        went_on.append("the work after it")
    assert stopped.value.code == 130 and went_on == [] and ref() is None
    assert "Exception ignored" not in capsys.readouterr().err
    assert sys.getprofile() is None
