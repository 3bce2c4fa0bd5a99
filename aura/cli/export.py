"""``aura export``: the run's models to ONNX, checked against them, with their manifest."""

from __future__ import annotations

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    checked_params,
    console,
    fail,
    folder_interrupted,
)
from aura.config import PARAMS_DIR, project_path


@app.command("export")
def export(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Export the run's models to ONNX with manifest.json and its MODEL_CARD.md in
    shared.artifacts_dir (as notebook 06).

    A model whose ONNX form disagrees with it is refused.
    """
    from aura.export.exporter import ExportError
    from aura.export.model_card import MODEL_CARD_FILE
    from aura.export.pipeline import export_run
    from aura.interrupts import interrupts_handled
    from aura.params_check import export_folders, export_test_size

    p = checked_params(params, writes=("artifacts_dir",))
    folder = project_path(p["shared"]["artifacts_dir"])

    interrupted = folder_interrupted(folder, "written", "the last export")

    try:
        export_folders(p)
        test_size = export_test_size(p)
        shared = p["shared"]
        section = p.get("06_model_export", {})
        with console.status("exporting the models ..."), interrupts_handled(interrupted):
            manifest = export_run(
                project_path(shared["data_dir"]),
                project_path(shared["models_dir"]),
                project_path(shared["artifacts_dir"]),
                seed=shared["seed"],
                params={**shared, **section},
                test_size=test_size,
            )
    except (ExportError, ValueError, KeyError, FileNotFoundError) as exc:
        raise fail(f"{params}: {exc}") from exc
    except OSError as exc:  # a full disk, a file it may not read: it ended in a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        raise fail(f"{params}: the export failed: {exc.strerror or exc}{where}") from exc
    for name, model in manifest.models.items():
        parity = model.parity
        agreement = parity.get("action_agreement", parity.get("label_agreement"))
        checked = f"on {parity['rows']:,.0f} rows: max |ONNX - native| {parity['max_abs_diff']:.1e}"
        if agreement is not None:
            checked += f", the same {'action' if model.kind == 'policy' else 'label'} on "
            checked += f"{agreement:.1%}"
        if "episode_rows" in parity:  # a policy's second check, on states of the environment
            checked += (
                f"; on {parity['episode_rows']:,.0f} from seeded episodes: the same action on "
                f"{parity['episode_action_agreement']:.1%}"
            )
        console.print(f"{name}: {model.file} ({model.size_bytes / 2**20:.2f} MiB), {checked}")
    missed = [
        f"{name} {target}"
        for name, model in manifest.models.items()
        for target, met in (model.metrics.get("checks") or {}).items()
        if met is False
    ]
    if missed:  # served all the same: the product team should know before it relies on them
        console.print(f"[yellow]note:[/] exported models that missed a target: {', '.join(missed)}")
    unchecked = [n for n, m in manifest.models.items() if m.metrics.get("simulator_data") is False]
    if unchecked:  # no miss named above is no target met: there were none to meet
        console.print(
            f"[yellow]note:[/] exported models learned from tables the simulator did not write, "
            f"so without a Bayes reference or targets checked: {', '.join(unchecked)}"
        )
    console.print(f"model card: {MODEL_CARD_FILE}, written from the manifest")
    console.print(f"version {manifest.version} in {project_path(shared['artifacts_dir'])}")
