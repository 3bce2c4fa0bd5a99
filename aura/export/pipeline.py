"""Export one run's models: the step notebook 06 takes, from the models folder to artifacts/.

Gathers the three forests (`aura.export.supervised`), the two selected policies
(`aura.export.policies`) and the tutor pool from the run's data, then hands them to the generic
`export_artifacts`, which checks, hashes and writes them atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aura.export.exporter import PoolExport, check_replaceable, export_artifacts
from aura.export.manifest import Manifest
from aura.export.policies import policy_exports
from aura.export.supervised import PAIR_SOURCES, supervised_exports
from aura.sim import vocab


def export_run(
    data_dir: Path,
    models_dir: Path,
    artifacts_dir: Path,
    *,
    seed: int,
    params: dict[str, Any],
    test_size: float = 0.2,
) -> Manifest:
    """Export every model of ``models_dir`` (trained on ``data_dir``) into ``artifacts_dir``.

    ``seed`` and ``test_size`` must be the supervised training's, so the forests' parity is
    checked on the learners their training held out.
    """
    from aura.data.loading import load_table
    from aura.reports.provenance import git_state, library_versions
    from aura.sim.io import FILES

    data_dir, models_dir = Path(data_dir), Path(models_dir)
    check_replaceable(Path(artifacts_dir))  # named before the models and tables are read
    forests = supervised_exports(data_dir, models_dir, seed, test_size)
    compatibility = next(f for f in forests if f.name == "compatibility")
    unknown = [f.name for f in compatibility.features if f.name not in PAIR_SOURCES]
    if unknown:
        raise ValueError(
            f"the compatibility model uses {unknown}, which the tutor-match endpoint cannot fill "
            f"for a (learner, tutor) pair; known inputs: {sorted(PAIR_SOURCES)}"
        )
    pool = PoolExport(
        tutors=load_table(data_dir / FILES["tutors"], "tutors"),
        subjects=list(vocab.SUBJECTS),
        time_slots=list(vocab.TIME_SLOTS),
        learning_styles=list(vocab.LEARNING_STYLES),
        languages=list(vocab.LANGUAGES),
        strategies=list(vocab.STRATEGIES),
        pair_features={f.name: PAIR_SOURCES[f.name] for f in compatibility.features},
        list_separator=vocab.LIST_SEPARATOR,
    )
    return export_artifacts(
        Path(artifacts_dir),
        forests=forests,
        policies=policy_exports(models_dir, seed),
        pool=pool,
        data_files={name: data_dir / FILES[name] for name in ("learners", "tutors", "sessions")},
        params=params,
        git=git_state(),
        libraries=library_versions(),
    )
