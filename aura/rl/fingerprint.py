"""One string that tells whether two grids gave the same held-out returns (`fingerprint`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np


def fingerprint(results: Mapping[str, Any]) -> str:
    """A digest of every held-out return of the grid: each run's, and each reference's.

    Two grids with the same fingerprint gave every held-out return of every run and reference to
    the last bit, so a reproduction (another host, another day, a refactor) is checked by
    comparing one string instead of tens of thousands of numbers; one differing bit anywhere
    changes it. Computed from ``results`` as ``summarise`` builds it or as results.json holds it
    (JSON keeps every float exactly)."""
    digest = hashlib.sha256()
    for env_key in sorted(results):
        entry = results[env_key]
        returns = entry["references"]["episode_returns"]
        labelled = [(f"{env_key}/reference/{name}", returns[name]) for name in sorted(returns)]
        for algo in sorted(entry["algorithms"]):
            for seed in entry["algorithms"][algo]["seeds"]:
                labelled.append((f"{env_key}/{algo}/{seed['seed_index']}", seed["test_returns"]))
        for label, values in labelled:
            digest.update(label.encode())
            digest.update(np.asarray(values, dtype="<f8").tobytes())
    return digest.hexdigest()[:16]
