"""Training time of the three supervised models at the spec's scale, and predict latency.

Generates the spec-scale dataset (10,000 learners, 100 tutors, 20,000 sessions) in memory, then
times, over several repeats, the fit of each pipeline with the forest settings of
params/default.yaml and the leaf sizes that grouped CV picks at this scale (`FOREST_DEFAULTS`),
the three fits together (target: at most 60 s), and predict for 1 row and for 100,000 rows, in
scikit-learn and in onnxruntime. Writes medians and every repeat to reports/bench/supervised.json.

    .venv/bin/python benchmarks/bench_supervised.py [--repeats 3]

Another --repeats writes supervised-quick.json, so a check keeps the default run's record.
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_supervised")  # before the imports below, which take seconds

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report

from aura.config import PARAMS_DIR, load_params
from aura.sim.generate import generate
from aura.supervised import MODEL_NAMES, SupervisedConfig, build_feature_tables, make_pipeline
from aura.supervised.convert import INPUT_NAME, to_onnx
from aura.supervised.models import FOREST_DEFAULTS

TRAIN_TARGET_SECONDS = 60.0
REPEATS = 3
BATCH_ROWS = 100_000


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float | list[float]]:
    return {"median": statistics.median(times), "min": min(times), "runs": times}


def default_out(repeats: int) -> Path:
    """reports/bench/supervised.json at the default repeats; supervised-quick.json at others."""
    return report_path("supervised", "" if repeats == REPEATS else "quick")


def main(
    repeats: Annotated[
        int, typer.Option(min=1, help="Fits and batch predictions timed.")
    ] = REPEATS,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/supervised.json at the "
            "default --repeats, supervised-quick.json at others).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Time the three fits and their predict latency; write the JSON report."""
    out = out or default_out(repeats)
    with stoppable("bench_supervised"):
        remove_stale_part(out)
        started = provenance()

        params = load_params(PARAMS_DIR / "default.yaml")
        seed = params["shared"]["seed"]
        sizes = params["01_data_synthesis"]
        config = SupervisedConfig.model_validate(params["04_supervised_training"])
        data = generate(seed, sizes["n_learners"], sizes["n_tutors"], sizes["n_sessions"])
        tables = build_feature_tables(data.learners, data.tutors, data.sessions, config.features)

        def settings(name: str) -> dict:
            return {**FOREST_DEFAULTS[name], **(config.forest.get(name) or {})}

        def pipeline(name: str):
            return make_pipeline(name, list(tables[name][0].columns), settings(name), seed=seed)

        import onnxruntime as ort

        fit_times = {name: [] for name in MODEL_NAMES}
        total_times = []
        models = {}
        for _ in range(repeats):
            start_all = time.perf_counter()
            for name in MODEL_NAMES:
                start = time.perf_counter()
                models[name] = pipeline(name).fit(tables[name][0], tables[name][1])
                fit_times[name].append(time.perf_counter() - start)
            total_times.append(time.perf_counter() - start_all)

        rng = np.random.default_rng(seed)
        results: dict[str, dict] = {}
        for name, model in models.items():
            X = tables[name][0]
            batch = X.iloc[rng.integers(0, len(X), size=BATCH_ROWS)].reset_index(drop=True)
            one = X.iloc[:1]
            predict = model.predict_proba if name == "difficulty" else model.predict
            onnx_model = to_onnx(model)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            session = ort.InferenceSession(
                onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
            )
            one32 = one.to_numpy(dtype=np.float32)
            batch32 = batch.to_numpy(dtype=np.float32)
            results[name] = {
                "settings": settings(name),
                "fit_seconds": summary(fit_times[name]),
                "nodes": int(sum(t.tree_.node_count for t in model[-1].estimators_)),
                "onnx_bytes": len(onnx_model.SerializeToString()),
                "sklearn_predict_1_row_seconds": summary(timed(lambda p=predict, o=one: p(o), 20)),
                "sklearn_predict_100k_rows_seconds": summary(
                    timed(lambda p=predict, b=batch: p(b), repeats)
                ),
                "onnx_predict_1_row_seconds": summary(
                    timed(lambda s=session, o=one32: s.run(None, {INPUT_NAME: o}), 200)
                ),
                "onnx_predict_100k_rows_seconds": summary(
                    timed(lambda s=session, b=batch32: s.run(None, {INPUT_NAME: b}), repeats)
                ),
            }

        report = {
            "benchmark": "supervised",
            "provenance": started,
            "scale": dict(sizes),
            "rows": {name: len(tables[name][0]) for name in MODEL_NAMES},
            "repeats": repeats,
            "train_all_three_seconds": summary(total_times),
            "train_target_seconds": TRAIN_TARGET_SECONDS,
            "train_target_met": statistics.median(total_times) <= TRAIN_TARGET_SECONDS,
            "models": results,
            "load_average_after_1_5_15": [round(x, 2) for x in os.getloadavg()],
        }
        write_report(report, out)
    table = pd.DataFrame(
        {
            name: {
                "fit s": r["fit_seconds"]["median"],
                "onnx MiB": r["onnx_bytes"] / 2**20,
                "sk 1 row ms": 1e3 * r["sklearn_predict_1_row_seconds"]["median"],
                "onnx 1 row ms": 1e3 * r["onnx_predict_1_row_seconds"]["median"],
                "sk 100k s": r["sklearn_predict_100k_rows_seconds"]["median"],
                "onnx 100k s": r["onnx_predict_100k_rows_seconds"]["median"],
            }
            for name, r in results.items()
        }
    ).T
    print(table.round(4).to_string())
    print(f"all three fits: median {report['train_all_three_seconds']['median']:.1f} s; -> {out}")


if __name__ == "__main__":
    run(main)
