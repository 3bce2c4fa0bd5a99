"""The ground-truth simulator: one generative model behind the CSVs and both environments."""

from aura.sim.dictionary import data_dictionary
from aura.sim.generate import SimulatedData, generate
from aura.sim.io import FILES, TRUTH_FILES, save, write_datasets

__all__ = [
    "FILES",
    "TRUTH_FILES",
    "SimulatedData",
    "data_dictionary",
    "generate",
    "save",
    "write_datasets",
]
