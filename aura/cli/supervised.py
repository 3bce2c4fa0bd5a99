"""``aura train-supervised``: the compatibility, difficulty and engagement forests."""

from __future__ import annotations

from rich.markup import escape

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    checked_params,
    console,
    fail,
    folder_interrupted,
)
from aura.config import PARAMS_DIR, ParamsError, project_path


@app.command("train-supervised")
def train_supervised(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Train the compatibility, difficulty and engagement forests; score them against references.

    The references are each model's baselines and the simulator's Bayes reference; models go to
    supervised/ in shared.models_dir. The scores on new learners and tutors follow the targets.
    """
    from aura.interrupts import interrupts_handled
    from aura.reports.tables import text_table
    from aura.supervised import train_all
    from aura.supervised.report import (
        checks_report_table,
        checks_table,
        metrics_report_table,
        metrics_table,
        out_of_sample_ratios,
        out_of_sample_report_table,
        out_of_sample_table,
    )

    # train_all checks the section's values before it reads the data
    p = checked_params(params, writes=("models_dir",))
    shared = p["shared"]
    folder = project_path(shared["models_dir"]) / "supervised"

    interrupted = folder_interrupted(folder, "saved", "the last training's models")

    try:
        with interrupts_handled(interrupted):
            metrics = train_all(
                project_path(shared["data_dir"]),
                project_path(shared["models_dir"]),
                p.get("04_supervised_training", {}),
                shared["seed"],
                on_stage=console.print,
            )
    except (ParamsError, ValueError, FileNotFoundError) as exc:
        raise fail(f"{params}: {exc}") from exc
    # as notebook 04's summaries print them: headers and metrics in words, "yes" or "no"
    shown = metrics_report_table(metrics_table(metrics))
    console.print(escape(text_table(shown, left=["model", "metric"])))
    checks = checks_table(metrics)
    if len(checks):
        shown = checks_report_table(checks)
        console.print(escape(text_table(shown, left=["model", "target"])))
    # the targets hold for the training's tutors; new ones (new seed) can read otherwise
    oos = out_of_sample_table(metrics)
    if len(oos):
        shown = out_of_sample_ratios(out_of_sample_report_table(oos))
        console.print(escape(text_table(shown, left=["dataset", "model"])))
    untrue = [name for name, known in metrics["simulator_data"].items() if not known]
    if untrue:
        console.print(
            f"{shared['data_dir']}: the tables of {', '.join(untrue)} are not as the simulator "
            "wrote them (its truth/written.json does not match them, or there is no hidden "
            "truth): no Bayes reference, checks or out-of-sample scores for those"
        )
    console.print(f"models and metrics.json in {project_path(shared['models_dir']) / 'supervised'}")
