"""The data layer: load and validate the learners, tutors and sessions tables from any folder.

`load_datasets(folder)` reads the three CSVs that `aura.sim.write_datasets` writes (or a
platform's own export with the same columns) and checks them with pandera; `load_table(path,
kind)` does the same for one file. Every problem is reported in one `DataValidationError` that
names the file, the column and the CSV lines.

Modules: ``loading`` (the loaders and one table's validation), ``csv_reading`` (a file's own
problems: not CSV text, its separator, field counts, header), ``value_hints`` (how a refused value
was written: missing markers, percentages, decimal commas, near column names), ``cross_table``
(ids that must exist in another table, aggregates that must agree), ``consistency`` (the relations
between columns the data dictionary defines: expertise, session order, a session's matches),
``relations`` (the relations the simulator promises, measured with standard errors),
``schemas`` (the pandera schemas), ``errors`` (the one error and its problems) and
``dictionary_doc`` (the data dictionary in docs/data.md).
"""

from aura.data.cross_table import aggregate_problems
from aura.data.errors import DataValidationError, Problem
from aura.data.loading import Datasets, load_datasets, load_table
from aura.data.schemas import optional_columns, required_columns, typed_schema

__all__ = [
    "DataValidationError",
    "Datasets",
    "Problem",
    "aggregate_problems",
    "load_datasets",
    "load_table",
    "optional_columns",
    "required_columns",
    "typed_schema",
]
