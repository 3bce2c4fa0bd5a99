"""How a benchmark ends when it is stopped: Ctrl-C and SIGTERM (`kill`, a scheduler) alike.

Python's default for SIGTERM ends the process at once, without a word and without its cleanup:
a benchmark stopped that way left the processes it had started running (a one-million-session
generation went on for a minute, writing 220 MB into a scratch folder) and its temporary
folders behind (the RL benchmark's trained models). Taken as Ctrl-C (`aura.interrupts`), the
stop unwinds: each child process is ended and each scratch folder removed on the way out, and
the benchmark says in one line that it stopped and wrote no report (the last run's file, if
any, is left as it was: reports are written whole, `provenance.write_report`).

Before that, while the benchmark imports its libraries (seconds: torch, scikit-learn, pandas),
a Ctrl-C printed a KeyboardInterrupt traceback from deep inside an import.
`stoppable_from_start`, called above those imports, ends such a run with the same line. This
module imports nothing but the standard library and `aura.interrupts` for that reason.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, NoReturn

from aura.interrupts import interrupts_handled

STOPPED_EXIT_CODE = 130
"""A shell's code for a command ended by Ctrl-C."""

_replaced: dict[int, Callable[[int, Any], Any] | int | None] = {}
"""The handlers `stoppable_from_start` replaced, given back when `stoppable` takes over."""


def stopped_line(name: str, ended: str = "") -> str:
    """The line a stopped benchmark ends on; ``ended`` says what it ended on its way out."""
    return f"{name}: stopped{ended}, no report written"


def stoppable_from_start(name: str) -> None:
    """Have Ctrl-C end the benchmark at once with `stoppable`'s line and exit code 130, from
    here until `stoppable` takes over: called before the benchmark imports its libraries,
    where Ctrl-C printed a traceback.

    The process exits from the handler (`os._exit`): a KeyboardInterrupt, or SystemExit, raised
    inside an extension module's initialisation comes out as that module's ImportError, a
    traceback again, and until `stoppable` is entered the benchmark has started no process and
    made no folder that its exit would leave behind. A Ctrl-C ignored by whoever started the run
    (``nohup``) stays ignored; SIGTERM keeps Python's default until then, which ends the process
    at once without a traceback."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def stop(signum: int, frame: object) -> None:
        sys.stderr.write(stopped_line(name) + "\n")
        sys.stderr.flush()
        os._exit(STOPPED_EXIT_CODE)

    _replaced[signal.SIGINT] = signal.signal(signal.SIGINT, stop)


def stoppable(name: str, ended: str = "") -> AbstractContextManager[None]:
    """A block that Ctrl-C or SIGTERM ends with one line on stderr, ``NAME: stopped<ended>, no
    report written``, and exit code 130; ``ended`` says what the benchmark ended on its way
    out (its servers, its child processes). It takes over from `stoppable_from_start`."""
    while _replaced:
        signum, handler = _replaced.popitem()
        signal.signal(signum, handler)

    def stopped() -> NoReturn:
        print(stopped_line(name, ended), file=sys.stderr)
        raise SystemExit(STOPPED_EXIT_CODE)

    return interrupts_handled(stopped)
