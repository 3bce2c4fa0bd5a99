"""The repository a benchmark belongs to, and how the processes it starts run that one's `aura`.

A child started as ``python -c`` imports from its working folder first: started where the
benchmark was run (another checkout's root), it measured that folder's `aura`, and started in
`aura.config.PROJECT_ROOT`, the checkout of whichever `aura` the benchmark imported, which need
not be the benchmark's own either.

The benchmark's own process must import this checkout's `aura` too: run with another checkout's
interpreter (whose venv installs that checkout), it measured that checkout's code in process and
wrote a report naming its commit into this checkout's reports/bench/. `require_own_aura` refuses
such a run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer

import aura
from aura.interrupts import interrupts_deferred

CHECKOUT = Path(__file__).resolve().parent.parent
"""The repository this benchmark belongs to, whose `aura` its child processes run."""


def checkout_process(args: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyword arguments of `subprocess.run` or `subprocess.Popen` that run ``args`` (a
    ``python -c`` command) on this benchmark's checkout: in its root, which also comes first on
    the child's PYTHONPATH (where PYTHONSAFEPATH leaves the working folder out). ``env`` is the
    child's environment (this process's by default); paths in the command or in ``env`` are
    read in the checkout's root, so a relative one must be made absolute first."""
    env = dict(os.environ if env is None else env)
    paths = [str(CHECKOUT), *filter(None, [env.get("PYTHONPATH")])]
    return {
        "args": list(args),
        "cwd": CHECKOUT,
        "env": {**env, "PYTHONPATH": os.pathsep.join(paths)},
    }


def require_own_aura() -> None:
    """Refuse, in one line naming both folders and the interpreter to use instead, a run whose
    `aura` is not this checkout's (the folder above the imported package is another)."""
    imported = Path(aura.__file__).resolve().parent.parent
    if imported != CHECKOUT:
        raise typer.BadParameter(
            f"{sys.executable} imports aura from {imported}, not from this benchmark's "
            f"checkout {CHECKOUT}; run it with {CHECKOUT / '.venv' / 'bin' / 'python'}",
            param_hint="the interpreter",
        )


def run_to_end(
    process: Mapping[str, Any], timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run ``process`` (`checkout_process`'s keyword arguments) to its end, its output captured
    as text, and make sure it has ended, and been waited for, whatever ends the wait: Ctrl-C,
    SIGTERM taken as Ctrl-C (`stopping`), ``timeout``. A stop that arrives while the process
    starts is held until it is known (`subprocess.run` let one that came between the start and
    its return leave the child running, unknown to it)."""
    child: subprocess.Popen[str] | None = None
    try:
        with interrupts_deferred():
            child = subprocess.Popen(
                **process, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        stdout, stderr = child.communicate(timeout=timeout)
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.communicate()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
