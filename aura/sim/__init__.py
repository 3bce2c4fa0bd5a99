"""The ground-truth simulator: one generative model behind the CSVs and both environments.

Names are imported lazily so that numpy-only parts (vocab, outcomes, matching) can be used by the
prediction service without pulling in pandas. The generator itself is
`aura.sim.generate.generate` (the module and the function share a name, so it is not re-exported
here, where the submodule would shadow it).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "data_dictionary": "aura.sim.dictionary",
    "FILES": "aura.sim.io",
    "TRUTH_FILES": "aura.sim.io",
    "save": "aura.sim.io",
    "write_datasets": "aura.sim.io",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'aura.sim' has no attribute {name!r}")
