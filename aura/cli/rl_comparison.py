"""The commands that score trained RL grids side by side: ``aura rl-compare`` (a study against
the grid it changes) and ``aura rl-pools`` (the grid's policies on other tutor pools)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    checked_params,
    console,
    fail,
    from_the_root,
    note_one_seed,
)
from aura.config import PARAMS_DIR, ParamsError, project_path


@app.command("rl-compare")
def rl_compare(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    against: Annotated[
        Path,
        typer.Option(
            help="The params file of the grid to compare with (default: "
            f"{from_the_root(PARAMS_DIR / 'default.yaml')}).",
            show_default=False,
        ),
    ] = PARAMS_DIR / "default.yaml",
) -> None:
    """Does a study beat the grid it changes? Its runs against the other grid's, paired.

    For every environment and algorithm both grids trained (with aura train-rl on their params):
    each one's score and the lead, paired by seed and by held-out episode.
    """
    from aura.rl.compare import compare_grids, unpaired
    from aura.rl.config.experiment import load_experiment
    from aura.rl.intervals import interval_covers
    from aura.rl.results import RESULTS_FILE
    from aura.rl.tables import env_words

    if params.resolve() == against.resolve():
        raise fail(f"--params and --against are both {params}: a grid is not compared with itself")
    for path in (params, against):
        checked_params(path)
    try:
        study, base = load_experiment(params), load_experiment(against)
        if study.rl_dir.resolve() == base.rl_dir.resolve():
            raise ParamsError(
                f"{params} and {against} keep their grids in the same folder, {study.rl_dir}: "
                "its runs would be compared with themselves (give the study its own "
                "shared.models_dir)"
            )
        for path, cfg in ((params, study), (against, base)):
            if not (cfg.rl_dir / RESULTS_FILE).is_file():
                raise ParamsError(
                    f"no grid results at {cfg.rl_dir / RESULTS_FILE}; train that grid first: "
                    f"aura train-rl --params {path}"
                )
        rows = compare_grids(study, base)
    except ParamsError as exc:
        raise fail(str(exc)) from exc

    def interval(x: dict) -> str:
        return f"{x['mean']:.3f} [{x['low']:.3f}, {x['high']:.3f}]"

    def seeds(x: list[float]) -> str:
        return " / ".join(f"{s:.3f}" for s in x)

    console.print(f"{params} against {against}, normalised scores on the same held-out episodes:")
    note_one_seed(interval_covers(row["normalised"]) for row in rows)
    alone = unpaired(study, base)
    if alone:
        console.print(
            f"[yellow]note:[/] not compared, trained by one grid alone: {'; '.join(alone)}"
        )
    shown: set[str] = set()
    for row in rows:
        env = env_words(row["env_key"])
        if env not in shown:
            shown.add(env)
            ref = row["references"]
            console.print(
                f"{env}: random 0, oracle 1; hand rule {ref['hand_rule_name']} "
                f"{ref['hand_rule_normalised']:.3f}; {ref['ceiling_name']} "
                f"{ref['ceiling_normalised']:.3f}"
            )
        console.print(
            f"{env} {row['algo'].upper()}: {interval(row['normalised'])} "
            f"({seeds(row['per_seed'])}) against {interval(row['base_normalised'])} "
            f"({seeds(row['base_per_seed'])}); lead {interval(row['lead'])}, paired by seed "
            "and episode"
        )


@app.command("rl-pools")
def rl_pools(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    new_pools: Annotated[
        int | None,
        typer.Option(
            min=0, help="New pool draws after the training ones (default: 05_evaluation.new_pools)."
        ),
    ] = None,
    pool_seed: Annotated[
        list[int] | None,
        typer.Option(
            min=0,
            metavar="<int>",
            help="Also score on the pool drawn with this seed (repeatable); a seed of the "
            "training pool or of a new draw scores that pool again.",
        ),
    ] = None,
) -> None:
    """Does a tutor-matching lead hold on other tutors? The grid's policies on other pools.

    Scores the tutor-matching grid these params trained (aura train-rl first) on its training
    pool, on new draws of the tutor population and on the served pool (the data's tutors, where
    they exist), each normalised on its own pool, leads over that pool's best fixed strategy
    paired by seed and episode; writes rl/pools.json in shared.models_dir.
    """
    from aura.rl.config.experiment import load_experiment
    from aura.rl.pools import grid_pool_scores
    from aura.sim.io import FILES

    loaded = checked_params(params, "05_evaluation", writes=("models_dir",))
    try:
        n_new = (
            (loaded.get("05_evaluation") or {}).get("new_pools", 0)
            if new_pools is None
            else new_pools
        )
        served = project_path(loaded["shared"]["data_dir"]) / FILES["tutors"]
        table, path = grid_pool_scores(load_experiment(params), served, n_new, pool_seed or [])
    except ValueError as exc:  # ParamsError, and a tutors CSV the loader refuses (file, row)
        raise fail(str(exc)) from exc
    if not served.is_file():
        console.print(f"[yellow]note:[/] no served pool: {served} does not exist (aura generate)")
    learned = table[table["lead"].notna()]
    note_one_seed(learned["ci_covers"])
    for pool, rows in learned.groupby("pool", sort=False):
        ref = rows.iloc[0]
        console.print(
            f"{pool}: random 0 (mean return {ref['random_return']:.3f}), {ref['best_rule']} "
            f"{ref['best_rule_normalised']:.3f}, oracle 1 (mean return {ref['oracle_return']:.3f})"
        )
        for _, r in rows.iterrows():
            console.print(
                f"  {r['policy'].upper()} {r['normalised']:.3f} [{r['ci_low']:.3f}, "
                f"{r['ci_high']:.3f}]; lead {r['lead']:.3f} [{r['lead_low']:.3f}, "
                f"{r['lead_high']:.3f}]"
            )
    console.print(f"written to {path}")
