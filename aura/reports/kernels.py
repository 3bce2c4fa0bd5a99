"""The kernels that execute notebooks, with their own log kept out of the terminal.

A kernel process writes its own log (ipykernel's messages, a library's C-level warnings) to the
stderr it inherits; the cells' output is separate and lands in the notebook. Inherited, that
log reached the terminal of `aura run`: a run stopped by Ctrl-C or SIGTERM printed ipykernel's
traceback of the reply it could no longer send ("ZMQError: Socket operation on non-socket"),
twenty lines around the run's one line saying where it stopped. `LoggedKernelManager` sends it
to a file beside the executed notebook instead.
"""

from __future__ import annotations

from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode


class LoggedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels write their stderr to ``stderr_log`` (appended to), or
    inherit it where that is empty."""

    stderr_log = Unicode("", help="File the kernel's own stderr is appended to").tag(config=True)

    async def start_kernel(self, **kw: Any) -> None:
        if not self.stderr_log:
            await super().start_kernel(**kw)
            return
        # The kernel process holds its own copy of the file; this one closes once it started.
        with open(self.stderr_log, "ab") as log:
            await super().start_kernel(stderr=log, **kw)
