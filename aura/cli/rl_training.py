"""The commands that train RL policies: ``aura train-rl`` (the grid), ``aura rl-budget`` (one
run trained longer) and ``aura rl-probe`` (the grid's runs with one change)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    WorkersOption,
    advancing,
    checked_params,
    console,
    fail,
    note_one_seed,
    runs_interrupted,
    steps_progress,
)
from aura.config import PARAMS_DIR, ParamsError
from aura.rl.config.algorithms import ALGORITHMS

if TYPE_CHECKING:
    from aura.rl.experiment import RunOutcome

ALGO_HELP = f"Algorithm: {', '.join(ALGORITHMS[:-1])} or {ALGORITHMS[-1]}."
"""The ``--algo`` help, from the registry (`PARAMS_CLASSES`), so that an algorithm a fork adds
is named without another edit here (docs/extending.md, recipe 1)."""


@app.command("train-rl")
def train_rl(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    workers: WorkersOption = None,
    fresh: Annotated[
        bool, typer.Option(help="Retrain every run instead of resuming from checkpoints.")
    ] = False,
) -> None:
    """Train the grid's algorithms (03_rl_training.algorithms) on its environments over seeds;
    score them.

    Runs resume from their checkpoints unless --fresh; results go to rl/ in shared.models_dir.
    """
    from aura.interrupts import interrupts_handled
    from aura.reports.tables import text_table
    from aura.rl.config.experiment import load_experiment
    from aura.rl.experiment import RunFailed, ScoringFailed, grid_wall_time, run_experiment
    from aura.rl.fingerprint import fingerprint
    from aura.rl.grid_target import grid_target
    from aura.rl.numerics import describe
    from aura.rl.results import RESULTS_FILE
    from aura.rl.tables import (
        results_report_table,
        results_table,
        saved_policies_table,
        saved_report_table,
    )

    checked_params(params, writes=("models_dir",))  # load_experiment checks the section's values
    try:
        cfg = load_experiment(params)
    except ParamsError as exc:
        raise fail(str(exc)) from exc
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
            with interrupts_handled(runs_interrupted(f"the grid in {escape(str(cfg.rl_dir))}")):
                payload = run_experiment(
                    cfg, resume=not fresh, n_workers=workers, on_done=report, on_progress=advance
                )
        # a run folder that holds another run, a run that stopped on an error, runs whose
        # returns could not be scored
        except (ParamsError, RunFailed, ScoringFailed) as exc:
            raise fail(str(exc)) from exc
    table = results_table(payload["results"])
    # as the notebook's report shows them: headers in words, each score with its interval
    shown = text_table(results_report_table(table), left=["environment", "policy"])
    console.print(escape(shown))
    note_one_seed(table["ci_covers"])
    console.print("the saved policy not scored, on the same episodes:")
    saved = saved_report_table(saved_policies_table(payload["results"]))
    console.print(escape(text_table(saved, left=["environment", "algorithm"])))
    wall = grid_wall_time(payload["grid"])
    console.print(f"grid: {wall}; results in {cfg.rl_dir / RESULTS_FILE}")
    console.print(f"wall-time target: {grid_target(cfg, payload['grid'])}")
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
            "draws, so its returns and the fingerprint can differ from an uninterrupted grid's "
            "(not where the policy scored was saved before the stop); --fresh retrains"
        )


@app.command("rl-budget")
def rl_budget(
    env: Annotated[
        str | None,
        typer.Option(help="Environment key, e.g. difficulty_adaptation (default: the probe's)."),
    ] = None,
    algo: Annotated[str, typer.Option(help=ALGO_HELP)] = "ppo",
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    seed_index: Annotated[int, typer.Option(min=0, help="Which run of the grid (0-based).")] = 0,
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
    from aura.rl.config.experiment import load_experiment
    from aura.rl.probes import checked_probe

    if env is None and probe is None:
        raise fail("give the environment (--env) or a probe (--probe), which implies it")
    checked_params(params, writes=("models_dir",))
    try:
        cfg = load_experiment(params)
        if env is None:
            env = checked_probe(cfg, probe, algo).env_key
        check_budget_study(cfg, env, algo, seed_index, factor, probe, every, fresh=fresh)
        what = f"{env}/{algo}/seed_{seed_index}" + (f" with probe {probe}" if probe else "")
        console.print(f"training {what} for {factor} x the grid's budget")
        folder = f"the budget study in {escape(str(budget_dir(cfg, env, algo, seed_index, probe)))}"
        keeps = "its checkpoints; the same command resumes it from the last one"
        with steps_progress() as bar, interrupts_handled(runs_interrupted(folder, keeps)):
            study = budget_study(
                cfg,
                env,
                algo,
                seed_index=seed_index,
                factor=factor,
                every=every,
                probe=probe,
                fresh=fresh,
                on_progress=advancing(bar, what),
            )
    except ParamsError as exc:
        raise fail(str(exc)) from exc
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
    algo: Annotated[str, typer.Option(help=ALGO_HELP)] = "ppo",
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
    from aura.rl.config.experiment import load_experiment
    from aura.rl.intervals import interval_covers
    from aura.rl.probes import PROBE_FILE, probe_dir, probe_study
    from aura.rl.tables import env_words

    checked_params(params, writes=("models_dir",))
    try:
        cfg = load_experiment(params)
        with (
            steps_progress() as bar,
            interrupts_handled(runs_interrupted(f"probe {escape(probe)!r}")),
        ):
            what = f"{algo} with probe {probe}, {cfg.n_seeds} seeds"
            study = probe_study(
                cfg, probe, algo, n_workers=workers, fresh=fresh, on_progress=advancing(bar, what)
            )
    except ParamsError as exc:
        raise fail(str(exc)) from exc

    def interval(x: dict) -> str:
        return f"{x['mean']:.3f} [{x['low']:.3f}, {x['high']:.3f}]"

    ref = study["references"]
    name, seeds = algo.upper(), len(study["probe_per_seed"])
    console.print(f"{env_words(study['env_key'])}, {name}, {study['question']}")
    over = f"{seeds} seed{'s' if seeds > 1 else ''} and {study['n_test_episodes']} episodes"
    console.print(f"normalised score over {over}:")
    note_one_seed([interval_covers(study["probe_normalised"])])
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
