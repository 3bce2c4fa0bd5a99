"""Ctrl-C and SIGTERM handled alike, so a long job stopped either way can say what it kept.

``kill`` and a scheduler stopping a job send SIGTERM, which Python does not catch by default: the
process ends without a word, leaving a run "running" in its run.json or a study's trial
"RUNNING" for ever.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn


@contextmanager
def interrupts_handled(interrupted: Callable[[], NoReturn]) -> Iterator[None]:
    """Hand Ctrl-C, and SIGTERM taken as Ctrl-C, to ``interrupted``.

    Both raise KeyboardInterrupt at once from a handler of our own. With Python's own SIGINT
    handler in place, asyncio (which papermill's client runs on) would instead cancel its task
    and raise only once the running cell had finished. A SIGINT ignored by whoever started the
    run (``nohup``) stays ignored. One that lands in the first import of an extension module
    (onnxruntime, imported once the export has begun) comes out as that module's ImportError
    ("initialization failed"), caused by the KeyboardInterrupt: it is an interrupt all the same,
    not a traceback. One that lands in a callback whose errors Python only reports is raised
    again after it (`_raise_again`)."""
    main = threading.current_thread() is threading.main_thread()  # signals belong to it

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt):
            _raise_again(sys._getframe())
        else:
            reported(info)

    ours = [signal.SIGTERM]
    if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        ours.append(signal.SIGINT)
    previous = {signum: signal.signal(signum, interrupt) for signum in ours} if main else {}
    reported = sys.unraisablehook
    if main:
        sys.unraisablehook = unraisable
    try:
        yield
    except KeyboardInterrupt:
        interrupted()
    except ImportError as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            interrupted()
        raise
    finally:
        if main:
            sys.unraisablehook = reported
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_again(hook: FrameType) -> None:
    """Raise KeyboardInterrupt in the first Python code to run after ``hook``, the frame of
    `sys.unraisablehook` reporting it lost. A signal's handler that raises while Python runs a
    weak reference's callback or a finalizer (the import system's module locks have them) has
    its KeyboardInterrupt printed as "Exception ignored" and dropped, and the work went on to
    its end: a benchmark stopped by SIGTERM exited 0. Sending the signal again would run its
    handler inside the hook, to be lost the same way; a profile function raises it instead at
    the next call or return outside the hook, in the work itself."""
    before = sys.getprofile()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        caller: FrameType | None = frame
        while caller is not None:
            if caller is hook:  # still in the hook, or in what it called
                return
            caller = caller.f_back
        sys.setprofile(before)
        raise KeyboardInterrupt

    sys.setprofile(profile)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block ends, then deliver them to the handlers
    in place before it.

    For a few quick steps that must happen all together or not at all (renaming a dataset's
    tables over the last ones): an interrupt between two of them would leave tables of two
    draws side by side. A signal ignored (``nohup``) stays ignored; outside the main thread,
    which alone may set handlers, nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        caught.append(signum)

    previous = {
        signum: signal.signal(signum, hold)
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) not in (signal.SIG_IGN, None)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)
