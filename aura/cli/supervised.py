"""``aura train-supervised``: the compatibility, difficulty and engagement forests."""

from __future__ import annotations

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    checked_params,
    console,
    fail,
    folder_interrupted,
)
from aura.config import PARAMS_DIR, ParamsError, project_path

OUT_OF_SAMPLE_SHOWN = [
    "metric",
    "ratio",
    "ratio 95% CI",
    "constant ratio",
    "linear ratio",
    "ratio on test set",
]
"""Columns of the out-of-sample table the command prints (notebook 04 shows the same)."""


@app.command("train-supervised")
def train_supervised(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Train the compatibility, difficulty and engagement forests; score them against references.

    The references are each model's baselines and the simulator's Bayes reference; models go to
    supervised/ in shared.models_dir. The scores on new learners and tutors follow the targets.
    """
    from aura.interrupts import interrupts_handled
    from aura.supervised import train_all
    from aura.supervised.report import checks_table, metrics_table, out_of_sample_table

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
    console.print(metrics_table(metrics).round(4).to_string())
    checks = checks_table(metrics)
    if len(checks):
        console.print(checks.round(4).to_string())
    # the targets hold for the training's tutors; new ones (new_seed) can read otherwise
    oos = out_of_sample_table(metrics)
    if len(oos):
        console.print(oos[OUT_OF_SAMPLE_SHOWN].round(4).to_string())
    untrue = [name for name, known in metrics["simulator_data"].items() if not known]
    if untrue:
        console.print(
            f"{shared['data_dir']}: the tables of {', '.join(untrue)} are not as the simulator "
            "wrote them (its truth/written.json does not match them, or there is no hidden "
            "truth): no Bayes reference, checks or out-of-sample scores for those"
        )
    console.print(f"models and metrics.json in {project_path(shared['models_dir']) / 'supervised'}")
