"""How a benchmark ends when it is stopped: Ctrl-C and SIGTERM (`kill`, a scheduler) alike.

Python's default for SIGTERM ends the process at once, without a word and without its cleanup:
a benchmark stopped that way left the processes it had started running (a one-million-session
generation went on for a minute, writing 220 MB into a scratch folder) and its temporary
folders behind (the RL benchmark's trained models). Taken as Ctrl-C (`aura.interrupts`), the
stop unwinds: each child process is ended and each scratch folder removed on the way out, and
the benchmark says in one line that it stopped and wrote no report (the last run's file, if
any, is left as it was: reports are written whole, `provenance.write_report`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import NoReturn

import typer

from aura.interrupts import interrupts_handled

STOPPED_EXIT_CODE = 130
"""A shell's code for a command ended by Ctrl-C."""


def stoppable(name: str, ended: str = "") -> AbstractContextManager[None]:
    """A block that Ctrl-C or SIGTERM ends with one line on stderr, ``NAME: stopped<ended>, no
    report written``, and exit code 130; ``ended`` says what the benchmark ended on its way
    out (its servers, its child processes)."""

    def stopped() -> NoReturn:
        typer.echo(f"{name}: stopped{ended}, no report written", err=True)
        raise typer.Exit(STOPPED_EXIT_CODE)

    return interrupts_handled(stopped)
