"""The ``aura`` command: run the pipeline, generate data, record notebooks, serve the API.

Heavy imports (papermill, the simulator, uvicorn) happen inside the commands so ``aura --help``
stays instant and one command's missing piece does not break the others.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from aura.api.settings import KEEP_ALIVE_SECONDS
from aura.config import NOTEBOOKS_DIR, PARAMS_DIR, ParamsError, load_params, project_path
from aura.files import unwritable

if TYPE_CHECKING:
    from aura.rl.experiment import RunOutcome

app = typer.Typer(
    help="AURA: adaptive tutoring research kit.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
notebooks_app = typer.Typer(help="Maintain the committed notebooks.", no_args_is_help=True)
app.add_typer(notebooks_app, name="notebooks")
params_app = typer.Typer(
    help="Check params files, and write one from another with a few values changed.",
    no_args_is_help=True,
)
app.add_typer(params_app, name="params")


def _print_version(value: bool) -> None:
    """``aura --version``: the installed package's version, which a citation or a bug report
    names (a run's ``run.json`` records the git commit as well)."""
    if value:
        from importlib.metadata import version

        print(f"aura {version('aura')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options that come before any command."""


# soft_wrap: a line is never broken by rich (it breaks paths mid-name where output is not a
# terminal, e.g. CI logs); a terminal still wraps long lines for display.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

ParamsOption = Annotated[
    Path, typer.Option("--params", "-p", help="Params YAML file (see params/default.yaml).")
]
WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="Worker processes (default: n_workers of params).")
]


def steps_progress() -> Progress:
    """A bar over training steps, with the time taken and the time left (on a terminal only,
    within 80 columns)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=console,
        disable=not console.is_terminal,  # a log keeps the lines of finished runs only
    )


def advancing(bar: Progress, description: str) -> Callable[[int, int], None]:
    """An ``on_progress(steps, total)`` that moves ``bar``'s one task, made at the first report:
    steps kept from earlier runs are done at once, and must not count as speed for the time
    left. Without a terminal, where the bar is off, it logs a line at each tenth of the steps
    instead: a probe or budget study in a log printed nothing for its minutes of training."""
    start = time.monotonic()
    logged = -1  # the last tenth logged

    def advance(steps: int, total: int) -> None:
        nonlocal logged
        if not bar.task_ids:
            bar.add_task(description, total=total, completed=steps)
        bar.update(bar.task_ids[0], completed=steps)
        tenth = 10 * steps // max(total, 1)
        if not console.is_terminal and tenth > logged:
            logged = tenth
            console.print(
                f"{description}: {steps:,} of {total:,} steps ({min(tenth, 10) * 10}%), "
                f"{time.monotonic() - start:.0f}s"
            )

    return advance


def _check_new_params_file(out: Path, base: Path, force: bool, option: str) -> None:
    """Refuse to write a params file over its base, over a folder, or over an existing file
    without ``--force``: before any work, not after minutes of it."""
    if out.resolve() == base.resolve():
        raise _fail(f"{option} {out} is the params file it derives from; name another file")
    if out.is_file() and not force:
        raise _fail(f"{out} exists; --force overwrites it")
    problem = unwritable(out)
    if problem:
        raise _fail(f"{option} {out} {problem}")


def _note_kept_folders(written: dict, base: Path) -> None:
    """Say where a params file written from ``base`` keeps its folders: its runs would land on
    the base's (and training refuses to resume a run whose config differs)."""
    shared = load_params(base)["shared"]
    kept = {
        "models_dir": "its runs and results go where that file's do",
        "artifacts_dir": "its export (aura export, notebook 06) replaces that file's",
    }
    for key, consequence in kept.items():
        if written["shared"][key] == shared[key]:
            console.print(
                f"[yellow]note:[/] it keeps {base}'s {key} ({shared[key]}): {consequence}; "
                f"`aura params derive --set shared.{key}=...` keeps them apart"
            )


def _checked(params: Path, *sections: str, writes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The params file, loaded and checked as `aura params check` and `aura run` check it: a key
    no notebook takes is refused (the command would ignore it), and so is a value of
    ``sections`` (those whose values the command itself checks only as it uses them), or a folder
    of ``writes`` (shared keys) the command could not write its results into."""
    from aura.params_check import check_declared, check_sections, writable_folders
    from aura.reports.runner import discover_notebooks

    try:
        loaded = load_params(params)
        check_declared(loaded, discover_notebooks(NOTEBOOKS_DIR), params)
        check_sections(loaded, params, sections)
        if writes:
            writable_folders(loaded, params, *writes)
    except ParamsError as exc:
        raise _fail(str(exc)) from exc
    return loaded


def _note_one_seed(covers: Iterable[str]) -> None:
    """Say, beside the intervals shown, when one of them covers the held-out episodes alone
    (``covers``: what each covers, `aura.rl.intervals.interval_covers`)."""
    from aura.rl.intervals import EPISODES_ONLY, ONE_SEED_NOTE

    if EPISODES_ONLY in set(covers):
        console.print(f"[yellow]note:[/] {ONE_SEED_NOTE}")


def _fail(message: str) -> typer.Exit:
    """Print ``message`` as it is (a value such as ``[ppo]`` is not rich markup) and exit 1."""
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code=1)


@app.command()
def run(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    run_name: Annotated[
        str | None,
        typer.Option(
            help="Run directory name under reports/runs (default: the params file's name and "
            "the UTC time)."
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated notebook numbers to run, e.g. 01,02.")
    ] = None,
) -> None:
    """Execute notebooks/NN_*.ipynb in order into a folder of reports/runs/, with HTML reports."""
    from aura.reports.runner import PipelineError, run_pipeline

    selected = only.split(",") if only is not None else None
    try:
        run_pipeline(params, run_name=run_name, only=selected, console=console)
    except (ParamsError, FileExistsError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    except PipelineError as exc:
        raise _fail(str(exc)) from exc


def _named_folder(value: str | None) -> str | None:
    """An empty ``--out`` names no folder. Read as a string: as a ``Path`` it would already be
    ``.``, the current folder, where the tables had landed unasked."""
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty; name the folder to write the tables to")
    return value


@app.command()
def generate(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    out: Annotated[
        str | None,
        typer.Option(
            help="Output directory, from the current folder (default: the params file's "
            "shared.data_dir, from the project root).",
            callback=_named_folder,
        ),
    ] = None,
) -> None:
    """Write the learners, tutors and sessions CSVs (and the latent truth) with the simulator.

    A folder holding tables the simulator did not write (a platform's own export) is refused.
    """
    from aura.interrupts import interrupts_handled
    from aura.sim.io import RECORD_FILE, DataFolderError

    p = _checked(params, "01_data_synthesis")
    out_dir = Path(out) if out is not None else project_path(p["shared"]["data_dir"])
    record = out_dir / RECORD_FILE

    def recorded() -> int | None:
        return record.stat().st_mtime_ns if record.is_file() else None

    before = recorded()

    def interrupted() -> NoReturn:
        """The tables replace the last ones all at once, so the folder holds one write whole:
        the new one if its record changed (a Ctrl-C in the instant of the renames), else the
        last."""
        where = escape(str(out_dir))
        what = (
            f"the tables were written to {where} just before"
            if recorded() != before
            else f"nothing was written to {where}"
        )
        err_console.print(f"[bold red]interrupted:[/] {what}")
        raise typer.Exit(code=130)

    try:
        sizes = p.get("01_data_synthesis")
        if sizes is None:
            raise ParamsError(f"params file {params} has no '01_data_synthesis:' section")
        from aura.sim import write_datasets

        with interrupts_handled(interrupted):
            written = write_datasets(
                out_dir,
                seed=p["shared"]["seed"],
                n_learners=sizes["n_learners"],
                n_tutors=sizes["n_tutors"],
                n_sessions=sizes["n_sessions"],
            )
    except ParamsError as exc:  # names the file already
        raise _fail(str(exc)) from exc
    except KeyError as exc:
        raise _fail(f"params file {params}: missing key {exc}") from exc
    except DataFolderError as exc:  # names the folder and its tables
        raise _fail(str(exc)) from exc
    except ValueError as exc:  # a size or seed the simulator refuses
        raise _fail(f"params file {params}: {exc}") from exc
    except OSError as exc:  # not a folder, not writable, a full disk
        raise _fail(
            f"the tables cannot be written to {out_dir}: {exc.strerror or exc}; nothing was written"
        ) from exc
    for name, path in written.items():
        console.print(f"{name}: {path}")


def _runs_interrupted(
    what: str,
    keeps: str = "its finished runs; the same command resumes the others from their last "
    "checkpoints",
) -> Callable[[], NoReturn]:
    """The one line said when Ctrl-C or SIGTERM stops a command that trains: what it keeps."""

    def interrupted() -> NoReturn:
        err_console.print(f"[bold red]interrupted:[/] {what} keeps {keeps}")
        raise typer.Exit(code=130)

    return interrupted


@app.command("train-rl")
def train_rl(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    workers: WorkersOption = None,
    fresh: Annotated[
        bool, typer.Option(help="Retrain every run instead of resuming from checkpoints.")
    ] = False,
) -> None:
    """Train the grid's algorithms (PPO, DQN, A2C) on its environments over seeds; score them.

    Runs resume from their checkpoints unless --fresh; results go to rl/ in shared.models_dir.
    """
    from aura.interrupts import interrupts_handled
    from aura.rl.config import load_experiment
    from aura.rl.experiment import RunFailed, grid_wall_time, run_experiment
    from aura.rl.fingerprint import fingerprint
    from aura.rl.numerics import describe
    from aura.rl.results import RESULTS_FILE
    from aura.rl.tables import results_table, saved_policies_table

    _checked(params, writes=("models_dir",))  # load_experiment checks the section's values
    try:
        cfg = load_experiment(params)
    except ParamsError as exc:
        raise _fail(str(exc)) from exc
    n_runs = len(cfg.envs) * len(cfg.algorithms) * cfg.n_seeds
    with steps_progress() as bar:
        done = []

        def report(outcome: RunOutcome) -> None:
            done.append(outcome)
            bar.update(bar.task_ids[0], description=f"{n_runs} runs, {len(done)} done")
            seconds = outcome.train_seconds
            trained = f"in {seconds:.0f}s" if seconds else "kept from before"  # scored again
            console.print(
                f"[green]✓[/] {outcome.env_key}/{outcome.algo}/seed_{outcome.seed_index} "
                f"{outcome.num_timesteps} steps {trained}"
            )

        advance = advancing(bar, f"{n_runs} runs")
        try:
            with interrupts_handled(_runs_interrupted(f"the grid in {escape(str(cfg.rl_dir))}")):
                payload = run_experiment(
                    cfg, resume=not fresh, n_workers=workers, on_done=report, on_progress=advance
                )
        except (ParamsError, RunFailed) as exc:  # a run folder that holds another run, a run
            raise _fail(str(exc)) from exc  # that stopped on an error
    table = results_table(payload["results"])
    console.print(table.round(3).to_string(index=False))
    _note_one_seed(table["ci_covers"])
    console.print("the saved policy not scored, on the same episodes:")
    console.print(saved_policies_table(payload["results"]).round(3).to_string(index=False))
    wall = grid_wall_time(payload["grid"])
    console.print(f"grid: {wall}; results in {cfg.rl_dir / RESULTS_FILE}")
    console.print(
        f"held-out returns fingerprint {fingerprint(payload['results'])} "
        "(equal on two grids: every held-out return the same)"
    )
    kernels = [describe(k) for k in payload["grid"]["kernels"]]
    if len(kernels) == 1:
        console.print(f"trained with {kernels[0]} (the same seeds take other paths on others)")
    else:
        console.print(
            f"[yellow]warning:[/] the runs trained with different kernels ({'; '.join(kernels)}): "
            "kept or resumed runs from another host or another MKL_CBWR; --fresh trains them all "
            "here"
        )
    resumed = payload["grid"].get("resumed_runs", [])
    if resumed:
        console.print(
            f"[yellow]note:[/] {len(resumed)} run(s) resumed from a checkpoint "
            f"({', '.join(resumed)}): a resumed run restarts its training episodes and random "
            "draws, so its returns and the fingerprint differ from an uninterrupted grid's; "
            "--fresh retrains"
        )


@app.command("rl-budget")
def rl_budget(
    env: Annotated[
        str | None,
        typer.Option(help="Environment key, e.g. difficulty_adaptation (default: the probe's)."),
    ] = None,
    algo: Annotated[str, typer.Option(help="Algorithm: ppo, dqn or a2c.")] = "ppo",
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    seed_index: Annotated[int, typer.Option(help="Which run of the grid (0-based).")] = 0,
    factor: Annotated[
        int, typer.Option(min=1, help="Train for this many times the grid's budget.")
    ] = 10,
    every: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Steps between scored checkpoints, a multiple of the algorithm's n_envs "
            "(default: the budget).",
        ),
    ] = None,
    probe: Annotated[
        str | None,
        typer.Option(help="Train and score with this probe's change (see aura rl-probe)."),
    ] = None,
    fresh: Annotated[
        bool, typer.Option(help="Retrain the study instead of reusing or resuming it.")
    ] = False,
) -> None:
    """Does more experience close the gap to a target? Trains longer and scores checkpoints.

    Trains one run of the grid for FACTOR x its budget and scores every checkpoint on the grid's
    held-out episodes; with --probe, the run has that probe's change.
    """
    from aura.interrupts import interrupts_handled
    from aura.rl.budget import BUDGET_FILE, budget_dir, budget_study, check_budget_study
    from aura.rl.config import load_experiment
    from aura.rl.probes import checked_probe

    if env is None and probe is None:
        raise _fail("give the environment (--env) or a probe (--probe), which implies it")
    _checked(params, writes=("models_dir",))
    try:
        cfg = load_experiment(params)
        if env is None:
            env = checked_probe(cfg, probe, algo).env_key
        check_budget_study(cfg, env, algo, seed_index, factor, probe, every, fresh=fresh)
        what = f"{env}/{algo}/seed_{seed_index}" + (f" with probe {probe}" if probe else "")
        console.print(f"training {what} for {factor} x the grid's budget")
        folder = f"the budget study in {escape(str(budget_dir(cfg, env, algo, seed_index, probe)))}"
        keeps = "its checkpoints; the same command resumes it from the last one"
        with steps_progress() as bar, interrupts_handled(_runs_interrupted(folder, keeps)):
            study = budget_study(
                cfg,
                env,
                algo,
                seed_index=seed_index,
                factor=factor,
                every=every,
                probe=probe,
                fresh=fresh,
                on_progress=advancing(bar, "steps"),
            )
    except ParamsError as exc:
        raise _fail(str(exc)) from exc
    ref = study["references"]
    if probe is not None:
        console.print(f"probe {probe}: {study['question']}")
    console.print(
        f"references (normalised): {ref['hand_rule_name']} {ref['hand_rule']:.3f}, "
        f"{ref['ceiling_name']} {ref['ceiling']:.3f}, random 0, oracle 1"
    )
    for point in study["points"]:
        line = f"{point['steps']:>10,} steps  {algo.upper()} {point['normalised']:.3f}"
        if "experience_normalised" in point:
            line += f"  {ref['experience_name']} {point['experience_normalised']:.3f}"
        if point["steps"] == study["total_timesteps"]:
            line += "  (the final policy)"
        console.print(line)
    console.print(f"written to {budget_dir(cfg, env, algo, seed_index, probe) / BUDGET_FILE}")


@app.command("rl-probe")
def rl_probe(
    probe: Annotated[str, typer.Option(help="The change to train with (the probes above).")],
    algo: Annotated[str, typer.Option(help="Algorithm: ppo, dqn or a2c.")] = "ppo",
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    workers: WorkersOption = None,
    fresh: Annotated[
        bool, typer.Option(help="Retrain the probe's runs instead of reusing or resuming them.")
    ] = False,
) -> None:
    """Is it the reward, the observation or the start that holds a policy back? One change.

    Trains the grid's runs again with one change (the probe) and scores them beside the grid's
    own on the held-out episodes. The probes: exact_reward and relative_reward on tutor matching;
    last_4_blocks, recurrent, filter_start, filter_start_4_blocks and
    filter_start_4_blocks_critic on difficulty adaptation.
    """
    from aura.interrupts import interrupts_handled
    from aura.rl.config import load_experiment
    from aura.rl.intervals import interval_covers
    from aura.rl.probes import PROBE_FILE, probe_dir, probe_study

    _checked(params, writes=("models_dir",))
    try:
        cfg = load_experiment(params)
        with (
            steps_progress() as bar,
            interrupts_handled(_runs_interrupted(f"probe {escape(probe)!r}")),
        ):
            what = f"{algo} with probe {probe}, {cfg.n_seeds} seeds"
            study = probe_study(
                cfg, probe, algo, n_workers=workers, fresh=fresh, on_progress=advancing(bar, what)
            )
    except ParamsError as exc:
        raise _fail(str(exc)) from exc

    def interval(x: dict) -> str:
        return f"{x['mean']:.3f} [{x['low']:.3f}, {x['high']:.3f}]"

    ref = study["references"]
    name, seeds = algo.upper(), len(study["probe_per_seed"])
    console.print(f"{study['env_key']}, {name}, {study['question']}")
    over = f"{seeds} seed{'s' if seeds > 1 else ''} and {study['n_test_episodes']} episodes"
    console.print(f"normalised score over {over}:")
    _note_one_seed([interval_covers(study["probe_normalised"])])
    for key in ("probe", "grid", "start"):
        if f"{key}_per_seed" in study:  # a start only where the probe imitates the filter
            per_seed = " / ".join(f"{s:.3f}" for s in study[f"{key}_per_seed"])
            console.print(f"  {key:<6} {name} {interval(study[f'{key}_normalised'])}  ({per_seed})")
    console.print(f"  lead   {interval(study['lead_over_grid'])} (paired by seed and episode)")
    if "lead_over_start" in study:
        console.print(f"  lead over the start {interval(study['lead_over_start'])}")
    finals = set(study["final_steps"])

    def point(p: dict) -> str:
        """A curve point, the start and the final policy named: the others are checkpoints, the
        last of them saved during the final policy's own rollout (6,000 where training ends
        at 6,144), a policy one update older."""
        text = f"{p['timesteps']:,} {p['mean']:.3f}"
        if p["timesteps"] == 0 and "start_normalised" in study:
            return f"{text} (start)"
        return f"{text} (final)" if finals == {p["timesteps"]} else text

    curve = ", ".join(point(p) for p in study["held_out_curve"])
    episodes = study["curve_episodes"]
    console.print(f"held-out curve on the first {episodes} episodes (steps, mean): {curve}")
    console.print(
        f"references: {ref['hand_rule_name']} {ref['hand_rule']:.3f}, "
        f"{ref['ceiling_name']} {ref['ceiling']:.3f}, random 0, oracle 1"
    )
    console.print(f"written to {probe_dir(cfg, probe, algo) / PROBE_FILE}")


@app.command("rl-compare")
def rl_compare(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    against: Annotated[
        Path, typer.Option(help="The params file of the grid to compare with.")
    ] = PARAMS_DIR / "default.yaml",
) -> None:
    """Does a study beat the grid it changes? Its runs against the other grid's, paired.

    For every environment and algorithm both grids trained (with aura train-rl on their params):
    each one's score and the lead, paired by seed and by held-out episode.
    """
    from aura.rl.compare import compare_grids
    from aura.rl.config import load_experiment
    from aura.rl.intervals import interval_covers
    from aura.rl.results import RESULTS_FILE

    if params.resolve() == against.resolve():
        raise _fail(f"--params and --against are both {params}: a grid is not compared with itself")
    for path in (params, against):
        _checked(path)
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
        raise _fail(str(exc)) from exc

    def interval(x: dict) -> str:
        return f"{x['mean']:.3f} [{x['low']:.3f}, {x['high']:.3f}]"

    def seeds(x: list[float]) -> str:
        return " / ".join(f"{s:.3f}" for s in x)

    console.print(f"{params} against {against}, normalised scores on the same held-out episodes:")
    _note_one_seed(interval_covers(row["normalised"]) for row in rows)
    shown: set[str] = set()
    for row in rows:
        if row["env_key"] not in shown:
            shown.add(row["env_key"])
            ref = row["references"]
            console.print(
                f"{row['env_key']}: random 0, oracle 1; hand rule {ref['hand_rule_name']} "
                f"{ref['hand_rule_normalised']:.3f}; {ref['ceiling_name']} "
                f"{ref['ceiling_normalised']:.3f}"
            )
        console.print(
            f"{row['env_key']} {row['algo'].upper()}: {interval(row['normalised'])} "
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
        typer.Option(min=0, help="Also score on the pool drawn with this seed (repeatable)."),
    ] = None,
) -> None:
    """Does a tutor-matching lead hold on other tutors? The grid's policies on other pools.

    Scores the tutor-matching grid these params trained (aura train-rl first) on its training
    pool, on new draws of the tutor population and on the served pool (the data's tutors, where
    they exist), each normalised on its own pool, leads over that pool's best fixed strategy
    paired by seed and episode; writes rl/pools.json in shared.models_dir.
    """
    from aura.rl.config import load_experiment
    from aura.rl.pools import grid_pool_scores
    from aura.sim.io import FILES

    loaded = _checked(params, "05_evaluation", writes=("models_dir",))
    try:
        n_new = (
            (loaded.get("05_evaluation") or {}).get("new_pools", 0)
            if new_pools is None
            else new_pools
        )
        served = project_path(loaded["shared"]["data_dir"]) / FILES["tutors"]
        table, path = grid_pool_scores(load_experiment(params), served, n_new, pool_seed or [])
    except ValueError as exc:  # ParamsError, and a tutors CSV the loader refuses (file, row)
        raise _fail(str(exc)) from exc
    if not served.is_file():
        console.print(f"[yellow]note:[/] no served pool: {served} does not exist (aura generate)")
    learned = table[table["lead"].notna()]
    _note_one_seed(learned["ci_covers"])
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


@app.command("tune")
def tune_rl(
    study: Annotated[str, typer.Option(help="Study name (created if new, resumed if it exists).")],
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    storage: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL (default: optuna.db in shared.models_dir, SQLite)."),
    ] = None,
    n_trials: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Trials this worker runs (default: params tune); 0 reads the study as it is, "
            "for its summary or --best-params.",
        ),
    ] = None,
    worker_id: Annotated[
        str | None,
        typer.Option(
            help="Recorded on each trial, and seeds this worker's sampler: give one to draw "
            "the same candidates again (default: host-pid, new on every start)."
        ),
    ] = None,
    best_params: Annotated[
        Path | None,
        typer.Option(help="Where to write the params file with the best trial's hyperparameters."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --best-params if it exists.")] = False,
) -> None:
    """Tune RL hyperparameters with Optuna (TPE, median pruning); workers may share a study.

    What is tuned (algorithm, environment, trial budget, trials) is the params file's
    `03_rl_training.tune`. Ctrl-C or SIGTERM stops a worker: the study keeps its finished
    trials, and the same command adds more.
    """
    from aura.interrupts import interrupts_handled
    from aura.rl.tune import (
        block_not_beaten,
        read_study,
        references_line,
        study_summary,
        tune,
        validation_references,
        write_best_params,
    )

    interrupted = _runs_interrupted(
        f"study {escape(study)!r}",
        "its finished trials (a trial under way is recorded as failed); the same command adds more",
    )
    _checked(params, "03_rl_training", writes=("models_dir",))
    if not study.strip():
        raise _fail("--study needs a name: the study's trials are stored under it")
    if best_params is not None:
        _check_new_params_file(best_params, params, force, "--best-params")
    with interrupts_handled(interrupted):
        try:
            if n_trials == 0:
                result = read_study(params, study_name=study, storage=storage)
            else:
                result = tune(
                    params,
                    study_name=study,
                    storage=storage,
                    n_trials=n_trials,
                    worker_id=worker_id,
                    show_progress_bar=sys.stderr.isatty(),
                    note=err_console.print,
                )
            summary = study_summary(result)
            console.print_json(data=summary)
            best = summary["best"]
            refs = validation_references(params)
            if refs is not None:
                console.print(references_line(refs, summary))
            warning = block_not_beaten(summary["params_block"], best and best["value"])
            if warning:
                console.print(f"[yellow]note:[/yellow] {warning}")
        except ParamsError as exc:
            raise _fail(str(exc)) from exc
        except OSError as exc:  # a full disk, a folder made unwritable while the trials ran
            where = f" {exc.filename}" if exc.filename else ""
            raise _fail(f"the study stopped: cannot write{where} ({exc.strerror or exc})") from exc
    if best_params is None or summary["best"] is None:
        return
    try:
        written = write_best_params(result, params, best_params)
    except ParamsError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:  # the study keeps its trials
        raise _fail(
            f"{best_params} cannot be written ({exc.strerror or exc}); the study keeps its "
            "trials: run again with another --best-params and --n-trials 0"
        ) from exc
    console.print(f"best params: {written}")
    _note_kept_folders(load_params(written), params)


@app.command("train-supervised")
def train_supervised(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Train the compatibility, difficulty and engagement forests; score them against references.

    The references are each model's baselines and the simulator's Bayes reference; models go to
    supervised/ in shared.models_dir.
    """
    from aura.interrupts import interrupts_handled
    from aura.supervised import train_all
    from aura.supervised.report import checks_table, metrics_table

    # train_all checks the section's values before it reads the data
    p = _checked(params, writes=("models_dir",))
    shared = p["shared"]
    folder = project_path(shared["models_dir"]) / "supervised"

    def saved() -> int | None:
        return folder.stat().st_ino if folder.is_dir() else None

    before = saved()

    def interrupted() -> NoReturn:
        """The models replace the last set whole once all are scored (`train_all`), so the
        folder is new only if stopped in the instant it was moved into place."""
        where = escape(str(folder))
        if saved() != before:
            what = f"the models were saved to {where} just before"
        elif before is None:
            what = f"nothing was saved to {where}"
        else:
            what = f"nothing was saved; {where} keeps the last training's models"
        err_console.print(f"[bold red]interrupted:[/] {what}")
        raise typer.Exit(code=130)

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
        raise _fail(f"{params}: {exc}") from exc
    console.print(metrics_table(metrics).round(4).to_string())
    checks = checks_table(metrics)
    if len(checks):
        console.print(checks.round(4).to_string())
    untrue = [name for name, known in metrics["simulator_data"].items() if not known]
    if untrue:
        console.print(
            f"{shared['data_dir']}: the tables of {', '.join(untrue)} are not as the simulator "
            "wrote them (its truth/written.json does not match them, or there is no hidden "
            "truth): no Bayes reference, checks or out-of-sample scores for those"
        )
    console.print(f"models and metrics.json in {project_path(shared['models_dir']) / 'supervised'}")


@app.command("export")
def export(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Export the run's models to ONNX with manifest.json in shared.artifacts_dir (as notebook 06).

    A model whose ONNX form disagrees with it is refused.
    """
    from aura.export.exporter import ExportError
    from aura.export.pipeline import export_run
    from aura.params_check import export_folders, export_test_size

    p = _checked(params, writes=("artifacts_dir",))
    try:
        export_folders(p)
        test_size = export_test_size(p)
        shared = p["shared"]
        section = p.get("06_model_export", {})
        with console.status("exporting the models ..."):
            manifest = export_run(
                project_path(shared["data_dir"]),
                project_path(shared["models_dir"]),
                project_path(shared["artifacts_dir"]),
                seed=shared["seed"],
                params={**shared, **section},
                test_size=test_size,
            )
    except (ExportError, ValueError, KeyError, FileNotFoundError) as exc:
        raise _fail(f"{params}: {exc}") from exc
    for name, model in manifest.models.items():
        parity = model.parity
        agreement = parity.get("action_agreement", parity.get("label_agreement"))
        checked = f"on {parity['rows']:,.0f} rows: max |ONNX - native| {parity['max_abs_diff']:.1e}"
        if agreement is not None:
            checked += f", the same {'action' if model.kind == 'policy' else 'label'} on "
            checked += f"{agreement:.1%}"
        console.print(f"{name}: {model.file} ({model.size_bytes / 2**20:.2f} MiB), {checked}")
    missed = [
        f"{name} {target}"
        for name, model in manifest.models.items()
        for target, met in (model.metrics.get("checks") or {}).items()
        if met is False
    ]
    if missed:  # served all the same: the product team should know before it relies on them
        console.print(f"[yellow]note:[/] exported models that missed a target: {', '.join(missed)}")
    console.print(f"version {manifest.version} in {project_path(shared['artifacts_dir'])}")


@params_app.command("check")
def params_check(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Check a params file as `aura run` does before it starts: every key a parameter of its
    notebook, every section's values accepted (environments built, RL and supervised configs)."""
    from aura.params_check import check_params, whole_run_problem
    from aura.reports.runner import discover_notebooks

    try:
        loaded = load_params(params)
        checked = check_params(loaded, discover_notebooks(NOTEBOOKS_DIR), params)
    except ParamsError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"{params}: every key declared, sections checked: {', '.join(checked)}")
    problem = whole_run_problem(loaded)
    if problem:
        console.print(f"[yellow]note:[/] `aura run` refuses it whole: {escape(problem)}")


@params_app.command("derive")
def params_derive(
    out: Annotated[Path, typer.Option("--out", "-o", help="The params file to write.")],
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            "-s",
            help="section.key=value, the value read as YAML (repeat for each change).",
        ),
    ],
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
) -> None:
    """Write a copy of a params file with some values changed, comments and layout kept.

    The copy's header lists the changes, and it is written only once it passes `aura params
    check`. Example: --set '03_rl_training.algorithms=[ppo]' --set shared.models_dir=models/ppo
    """
    from aura.files import write_text_atomically
    from aura.params_check import check_params
    from aura.params_edit import derive_params
    from aura.reports.runner import discover_notebooks

    _check_new_params_file(out, params, force, "--out")
    try:
        text, derived = derive_params(params, settings)
        check_params(derived, discover_notebooks(NOTEBOOKS_DIR), f"{params} with the changes")
    except ParamsError as exc:
        raise _fail(f"nothing written to {out}: {exc}") from exc
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(out, text)
    except OSError as exc:
        raise _fail(f"{out} cannot be written: {exc.strerror or exc}") from exc
    console.print(f"wrote {out}: {params} with {len(settings)} change(s), checked")
    _note_kept_folders(derived, params)


@notebooks_app.command("record")
def notebooks_record(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Notebook files to record (default: every notebooks/NN_*.ipynb)."),
    ] = None,
) -> None:
    """Re-execute notebooks on their literal defaults and keep only '# summary' cell outputs.

    A name is a path, or a file of notebooks/ (01_data_synthesis.ipynb)."""
    from aura.reports.notebook_outputs import (
        NotANotebookError,
        committed_notebooks,
        read_notebook,
        record_notebook,
    )

    def found(name: str) -> Path:
        for path in (Path(name), NOTEBOOKS_DIR / name):
            if path.is_file():
                try:  # every name is read before any notebook runs (a run takes minutes)
                    read_notebook(path)
                except NotANotebookError as exc:
                    raise _fail(str(exc)) from exc
                return path
        known = ", ".join(p.name for p in committed_notebooks())
        raise _fail(f"no notebook {name}, here or in {NOTEBOOKS_DIR} (there: {known})")

    paths = [found(n) for n in names] if names else committed_notebooks()
    if not paths:
        console.print("[yellow]no notebooks to record[/]")
    for i, path in enumerate(paths, start=1):
        with console.status(f"[{i}/{len(paths)}] recording {path.name} ..."):
            try:
                record_notebook(path)
            except Exception as exc:
                raise _fail(f"{path.name} failed, left unchanged: {exc}") from exc
        console.print(f"[green]✓[/] [{i}/{len(paths)}] {path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    keep_alive: Annotated[
        int, typer.Option(min=1, help="Seconds an idle connection stays open.")
    ] = KEEP_ALIVE_SECONDS,
    artifacts: Annotated[
        Path | None,
        typer.Option(
            help="Artifacts folder, from the current folder (default: $AURA_ARTIFACTS, else "
            "the project's artifacts/)."
        ),
    ] = None,
    app_path: Annotated[
        str, typer.Option("--app", help="ASGI application import path.")
    ] = "aura.api.app:app",
) -> None:
    """Serve the prediction API (FastAPI over the ONNX artifacts) with uvicorn.

    The artifacts are checked first (manifest, every file, sha256), so a missing or altered
    export stops here with a message instead of starting a service that cannot answer.
    """
    from aura.api.launch import LaunchError
    from aura.api.launch import serve as launch
    from aura.api.settings import ARTIFACTS_ENV
    from aura.config import ARTIFACTS_DIR

    folder = artifacts or Path(os.environ.get(ARTIFACTS_ENV) or ARTIFACTS_DIR)
    try:
        launch(
            folder,
            host,
            port,
            workers,
            app_path,
            announce=err_console.print,
            keep_alive=keep_alive,
        )
    except LaunchError as exc:
        raise _fail(str(exc)) from exc


if __name__ == "__main__":
    app()
