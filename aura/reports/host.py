"""How fast this host runs Python right now: one number recorded beside every wall time.

On a shared machine a wall time moves with the host as much as with the code. The default RL grid
took 325 s on one Intel Xeon and 1,083 s on another, with the same code and the same trained
policies: the second host stepped PPO on tutor matching at 889-1,120 steps/s against 2,772
(docs/rl.md, Wall time).
A fixed single-thread workload timed next to a measurement separates the two: its seconds depend
on the host alone, so two wall times are compared through their hosts' figures, not as they stand.
The workload is plain Python arithmetic in a loop because that is what the environments, the
simulator and SB3's rollout code spend their time on; the policies' MLPs are small.
"""

from __future__ import annotations

import statistics
import time

HOST_SPEED_LOOPS = 1_000_000
"""Iterations of the timed loop: 0.13 s on the slower host above, short enough to run beside a
job."""


def _workload(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += (i % 7) * 0.5
    return total


def host_speed(repeats: int = 5) -> float:
    """Median seconds of the fixed loop over ``repeats`` runs (lower is a faster host).

    The median, because one run can lose the core to a neighbour; a host that is slow for all
    of them is slow."""
    if repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats}")
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        _workload(HOST_SPEED_LOOPS)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)
