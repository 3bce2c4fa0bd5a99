"""One training run: environments -> Stable-Baselines3 model, with evaluation, checkpoints, logs.

A run directory holds

- ``config.yaml``: the exact :class:`~aura.rl.config.run.RunConfig` used;
- ``best_model.zip``: the policy with the best evaluation return so far (EvalCallback);
- ``final_model.zip``: the policy at the end of training (its presence marks a finished run);
- ``checkpoints/``: ``rl_model_<steps>_steps.zip`` every ``save_freq`` steps, plus the replay
  buffer for DQN, so a killed run resumes where its last checkpoint left it, and beside each
  ``rl_model_<steps>_steps.json``, the training wall time the run had taken to reach it, so a
  resumed run's record counts the time before its kill;
- ``logs/``: ``progress.csv`` and TensorBoard events (SB3 logger), ``evaluations.npz``
  (EvalCallback), from which learning curves are drawn;
- ``segments.json``: for each process that trained part of the run, the step it started from
  and the kernels it computed with (`aura.rl.numerics`: on another MKL branch the same seed takes
  another path), written when it starts, so a run resumed on another processor or under another
  ``MKL_CBWR`` keeps the record of both;
- ``train_info.json``: steps reached, the step training resumed from, wall time (a resumed
  run's is the whole training's: the seconds up to its checkpoint and those after), and the
  segments;
- ``start_model.zip`` and ``imitation.json``, for a run with ``imitation`` only: the policy
  taught the difficulty filter's moves before training, and what teaching it did
  (`aura.rl.imitation`; wall time counts the teaching).

Every model, buffer and record is written aside and renamed into place
(:func:`aura.files.write_atomically`), so a run killed at any instant leaves each file whole or
absent, and a resume never reads one cut off mid-write.

Resuming continues the step counter (``reset_num_timesteps=False``), so learning-rate and
exploration schedules pick up where they were, and keeps the evaluation history and CSV rows
logged up to the checkpoint.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aura.files import write_atomically, write_text_atomically
from aura.rl.config import EVAL_SEED_OFFSET, ConfigError
from aura.rl.config.algorithms import ALGORITHMS, PARAMS_CLASSES
from aura.rl.config.environments import EnvConfig
from aura.rl.config.run import RunConfig, load_run_config
from aura.rl.numerics import UNRECORDED, kernels

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PREFIX = "rl_model"
CHECKPOINT_PATTERN = re.compile(rf"^{CHECKPOINT_PREFIX}_(\d+)_steps\.zip$")
CONFIG_FILE = "config.yaml"
BEST_MODEL = "best_model.zip"
FINAL_MODEL = "final_model.zip"
INFO_FILE = "train_info.json"
SEGMENTS_FILE = "segments.json"
START_MODEL = "start_model.zip"
"""For a run with ``imitation``: the policy as teaching left it, before any training step."""
IMITATION_FILE = "imitation.json"
"""For a run with ``imitation``: labelled states, the policy's agreement with the filter's moves
before and after (beside that of the best constant move), the DAgger seed."""
SCORED_FILES = {"best": BEST_MODEL, "final": FINAL_MODEL}
"""The saved policy behind each choice of ``ExperimentConfig.scored_model``."""
LOG_FORMATS = ["csv", "tensorboard"]


@dataclass(frozen=True)
class TrainResult:
    """What a call to :func:`train` did."""

    run_dir: Path
    num_timesteps: int
    resumed_from: int
    """Step count of the checkpoint training continued from (0 for a fresh run)."""
    wall_seconds: float
    """Wall time of this call (a resumed run counts only the part after the checkpoint)."""
    recorded_seconds: float
    """The training wall time the run's ``train_info.json`` records: the whole training's, so a
    run kept from before still says what its training took (this call's ``wall_seconds`` is then
    0), and a resumed one counts the seconds up to its checkpoint beside this call's."""


def algorithm_class(algo: str) -> type:
    """The Stable-Baselines3 class of an algorithm name (its params class's ``sb3_class``)."""
    if algo not in PARAMS_CLASSES:
        raise ConfigError(f"unknown algorithm {algo!r}; expected one of {', '.join(ALGORITHMS)}")
    params = PARAMS_CLASSES[algo]
    module, colon, name = params.sb3_class.partition(":")
    found, why = None, ""
    if colon and module and name:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError as exc:
            why = f" ({exc})"
    if not isinstance(found, type):  # a fork's typo stopped its runs in a bare ValueError
        raise ConfigError(
            f"{params.__name__}.sb3_class {params.sb3_class!r} names no class{why}: give it as "
            "'module:Class', e.g. 'sb3_contrib:QRDQN' (docs/extending.md, recipe 1)"
        )
    return found


def run_class(run: RunConfig) -> type:
    """The class that trains and loads ``run``'s models: its algorithm's, or sb3-contrib's
    RecurrentPPO where the run asks for an LSTM (PPO only, as RunConfig checks)."""
    if run.lstm_hidden_size:
        from sb3_contrib import RecurrentPPO

        return RecurrentPPO
    return algorithm_class(run.algo)


def make_vec_env(env: EnvConfig, n_envs: int, seed: int) -> Any:
    """A DummyVecEnv of ``n_envs`` monitored copies, seeded ``seed``, ``seed + 1``, ...

    In-process vectorisation batches the policy's forward passes; subprocess environments would
    not help here because one simulator step costs far less than the inter-process round trip.
    """
    import gymnasium as gym
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    if env.id.startswith("aura/"):
        import aura.envs  # noqa: F401  (registers the AURA environments)

    # A callable rather than the id: given an id, SB3 asks for render_mode="rgb_array", which
    # environments without rendering answer with a warning per copy.
    return make_vec_env(
        partial(gym.make, env.id),
        n_envs=n_envs,
        seed=seed,
        env_kwargs=dict(env.kwargs),
        vec_env_cls=DummyVecEnv,
    )


def atomic_checkpoints(seconds: Callable[[], float], **kwargs: Any) -> Any:
    """A CheckpointCallback whose files appear whole or not at all (``aura.files``), each
    checkpoint with the run's training wall time so far, ``seconds()`` (:func:`seconds_path`).

    A DQN's replay buffer and the seconds are put in place before the model, so a checkpoint's
    zip vouches for both: :func:`latest_checkpoint` then only has to find the buffer.
    """
    from stable_baselines3.common.callbacks import CheckpointCallback

    class AtomicCheckpointCallback(CheckpointCallback):
        def _on_step(self) -> bool:
            if self.n_calls % self.save_freq == 0:
                if self.save_replay_buffer:
                    buffer = self._checkpoint_path("replay_buffer_", extension="pkl")
                    write_atomically(Path(buffer), self.model.save_replay_buffer)
                model = Path(self._checkpoint_path(extension="zip"))
                record = json.dumps({"wall_seconds": seconds()}) + "\n"
                write_text_atomically(seconds_path(model), record)
                write_atomically(model, self.model.save)
            return True

    return AtomicCheckpointCallback(**kwargs)


def seconds_path(checkpoint: Path) -> Path:
    """Where a checkpoint's training wall time is kept: beside its zip, as
    ``{"wall_seconds": ...}``."""
    return checkpoint.with_suffix(".json")


def seconds_before(checkpoint: Path) -> float:
    """The training wall time a run had taken to reach ``checkpoint``, which a run resumed from
    it adds to its own, so that its record is the whole training's. A checkpoint saved before
    checkpoints recorded their seconds adds none."""
    path = seconds_path(checkpoint)
    if not path.is_file():
        return 0.0
    return float(json.loads(path.read_text(encoding="utf-8"))["wall_seconds"])


def same_episodes_evaluation(seed: int, best_model_path: Path, **kwargs: Any) -> Any:
    """An EvalCallback whose every evaluation replays the same episodes.

    The evaluation environment is reseeded with ``seed`` before each evaluation, so every
    checkpoint meets the same learners and the same random draws (the environments draw all of
    an episode's randomness at reset). Comparing checkpoints on common episodes removes the luck
    of the draw of learners from the learning curves and from picking the best model. What is left
    can still exceed the differences between checkpoints (ten tutor-matching episodes cannot tell
    the oracle from the best hand rule reliably), which is why ``scored_model`` may score the
    final policy instead.

    A new best policy is written aside and renamed to ``best_model_path`` (EvalCallback's own
    save writes in place): a resumed run keeps the best return seen before the checkpoint, so
    a best model cut off by a kill might never be written again.
    """
    from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

    class SaveBestModel(BaseCallback):
        def _on_step(self) -> bool:
            write_atomically(best_model_path, self.model.save)
            return True

    class SameEpisodesEvalCallback(EvalCallback):
        def _on_step(self) -> bool:
            if self.eval_freq > 0 and self.n_calls % self.eval_freq == 0:
                self.eval_env.seed(seed)
            return super()._on_step()

    return SameEpisodesEvalCallback(callback_on_new_best=SaveBestModel(), **kwargs)


class _BaselineAsModel:
    """An ``act(obs, env)`` / ``reset()`` policy (random, rule, oracle) in the shape SB3's
    ``evaluate_policy`` calls: ``predict`` on a batch of one, reset at each episode start."""

    def __init__(self, policy: Any, env: Any) -> None:
        self.policy = policy
        self.env = env

    def predict(
        self, observation: np.ndarray, state: Any = None, episode_start: Any = None, **_: Any
    ) -> tuple[np.ndarray, None]:
        if episode_start is not None and bool(episode_start[0]):
            self.policy.reset()
        return np.array([self.policy.act(observation[0], self.env)]), None


def evaluation_returns(run: RunConfig, policy: Any) -> list[float]:
    """Returns of ``policy`` (an ``act``/``reset`` policy) on the very episodes a run's
    evaluations replay: the evaluation environment built, seeded and stepped as in ``train``.
    They put a run's learning curve on its own yardstick (random and oracle on the same ten
    episodes), where held-out references would differ from it by the luck of ten episodes."""
    from stable_baselines3.common.evaluation import evaluate_policy

    seed = run.seed + EVAL_SEED_OFFSET
    env = make_vec_env(run.env, 1, seed)
    env.seed(seed)
    try:
        returns, _ = evaluate_policy(
            _BaselineAsModel(policy, env.envs[0]),
            env,
            n_eval_episodes=run.training.n_eval_episodes,
            return_episode_rewards=True,
        )
    finally:
        env.close()
    return [float(r) for r in returns]


def checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """Saved checkpoints of a run as (steps, path), oldest first."""
    folder = run_dir / CHECKPOINT_DIR
    found = []
    for path in folder.glob(f"{CHECKPOINT_PREFIX}_*_steps.zip") if folder.is_dir() else []:
        match = CHECKPOINT_PATTERN.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def replay_buffer_path(checkpoint: Path, steps: int) -> Path:
    """Where CheckpointCallback puts the replay buffer saved with a checkpoint."""
    return checkpoint.with_name(f"{CHECKPOINT_PREFIX}_replay_buffer_{steps}_steps.pkl")


def latest_checkpoint(run_dir: Path, algo: str) -> tuple[int, Path] | None:
    """The newest complete checkpoint: a readable zip and, for DQN, its replay buffer.

    Checkpoints are renamed into place whole, buffer first (:func:`atomic_checkpoints`); a zip that
    is still unreadable (a file system that lost the data of a rename in a crash) or a DQN model
    without its buffer is skipped in favour of the previous checkpoint.
    """
    for steps, path in reversed(checkpoints(run_dir)):
        if PARAMS_CLASSES[algo].replay_buffer and not replay_buffer_path(path, steps).is_file():
            continue
        if is_complete_model(path):
            return steps, path
    return None


SB3_LAST_ENTRY = "_stable_baselines3_version"
"""Written into a model zip after the data and every parameter file."""


def is_complete_model(path: Path) -> bool:
    """Whether an SB3 model zip was written to the end.

    ``zipfile.is_zipfile`` is not enough: SB3 stores the torch parameter files uncompressed, and
    each is a zip of its own, so a file cut off right after one of them ends in that inner zip's
    directory and reads as a valid zip of the wrong entries. A complete model lists its data and
    the entry written last, and every entry passes its CRC check.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            return {"data", SB3_LAST_ENTRY} <= names and archive.testzip() is None
    except (zipfile.BadZipFile, OSError):
        return False


def require_whole_model(path: Path) -> Path:
    """``path``, if it is a whole saved model. Every model is written here whole or not at all,
    so one that is not was damaged outside training (a copy cut short, an edit), and SB3's loader
    would fail on it with a bare zip or pickle error; the message names the file instead."""
    run_dir = path.parent.parent if path.parent.name == CHECKPOINT_DIR else path.parent
    if not path.exists():  # not damaged: never written, or training cleared it to start again
        raise ConfigError(
            f"{path} does not exist: {run_dir} holds no finished run (stopped before its end?); "
            "run the training command again, which resumes it from its last checkpoint"
        )
    if not is_complete_model(path):
        raise ConfigError(
            f"{path} is not a whole saved model (damaged or cut short); delete {run_dir} and "
            "train again (the training commands and notebook 03 keep every other finished run)"
        )
    return path


def _restore_eval_history(callback: Any, log_dir: Path, until: int) -> None:
    """Give a new EvalCallback the evaluations logged up to the checkpoint, and the best mean."""
    path = log_dir / "evaluations.npz"
    if not path.is_file():
        return
    with np.load(path) as data:
        keep = data["timesteps"] <= until
        callback.evaluations_timesteps = data["timesteps"][keep].tolist()
        callback.evaluations_results = data["results"][keep].tolist()
        callback.evaluations_length = data["ep_lengths"][keep].tolist()
    if callback.evaluations_results:
        callback.best_mean_reward = max(float(np.mean(r)) for r in callback.evaluations_results)


def read_progress(log_dir: Path) -> pd.DataFrame:
    """The SB3 ``progress.csv`` of a run (empty frame if nothing was logged yet)."""
    path = log_dir / "progress.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)


def _configure_logger(log_dir: Path, keep_until: int | None) -> Any:
    """CSV + TensorBoard logger; on resume, progress.csv keeps its rows up to the checkpoint."""
    from stable_baselines3.common.logger import CSVOutputFormat, configure

    kept = read_progress(log_dir) if keep_until is not None else pd.DataFrame()
    if len(kept) and "time/total_timesteps" in kept:
        kept = kept[kept["time/total_timesteps"] <= keep_until]
    logger = configure(str(log_dir), LOG_FORMATS)  # truncates progress.csv
    if len(kept):
        csv = next(f for f in logger.output_formats if isinstance(f, CSVOutputFormat))
        kept.to_csv(csv.file, index=False, lineterminator="\n")
        csv.file.flush()
        csv.keys = list(kept.columns)
    return logger


def check_same_run(run: RunConfig, run_dir: Path) -> None:
    """Refuse to resume ``run`` from a folder that holds another run: a params file whose
    ``models_dir`` is another's, with other hyperparameters, would otherwise mix the two."""
    path = run_dir / CONFIG_FILE
    if path.is_file() and load_run_config(path) != run:
        raise ConfigError(
            f"{run_dir} holds a run with a different config.yaml: resume it with that config; "
            "or give these params another models_dir (aura params derive --set "
            "shared.models_dir=...); or retrain it in place (the command's --fresh, e.g. aura "
            "train-rl --fresh; resume=False from Python), which deletes it"
        )


def _clear(run_dir: Path) -> None:
    for name in (CHECKPOINT_DIR, "logs"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
    for name in (
        BEST_MODEL,
        FINAL_MODEL,
        CONFIG_FILE,
        INFO_FILE,
        SEGMENTS_FILE,
        START_MODEL,
        IMITATION_FILE,
    ):
        (run_dir / name).unlink(missing_ok=True)


def record_segment(run_dir: Path, resumed_from: int) -> list[dict[str, Any]]:
    """Add this process's kernels, from the step it starts at, to the run's segments.

    Segments that began at or after ``resumed_from`` trained steps the checkpoint does not hold,
    so they are dropped with those steps. A run resumed from a checkpoint written before runs
    recorded segments starts with an unrecorded one."""
    path = run_dir / SEGMENTS_FILE
    if path.is_file():
        earlier = json.loads(path.read_text(encoding="utf-8"))
    else:
        earlier = [{"from_step": 0, "kernels": UNRECORDED}] if resumed_from else []
    segments = [s for s in earlier if s["from_step"] < resumed_from]
    segments.append({"from_step": resumed_from, "kernels": kernels()})
    write_text_atomically(path, json.dumps(segments, indent=2) + "\n")
    return segments


def _imitate(model: Any, run: RunConfig, run_dir: Path) -> None:
    """Teach a fresh model the difficulty filter's moves (`aura.rl.imitation`) and keep the
    policy it starts training from, with what imitation did."""
    from aura.rl.imitation import teach_filter

    taught = teach_filter(model, run)
    write_atomically(run_dir / START_MODEL, model.save)
    write_text_atomically(run_dir / IMITATION_FILE, json.dumps(taught, indent=2) + "\n")


def is_finished(run_dir: Path) -> bool:
    """Whether a run directory holds a completed training."""
    return (run_dir / FINAL_MODEL).is_file() and (run_dir / INFO_FILE).is_file()


def steps_kept(run: RunConfig, run_dir: Path) -> int:
    """Steps of ``run`` that resuming it keeps: a finished run's budget, a checkpoint's, or 0."""
    if is_finished(run_dir):
        return run.training.total_timesteps
    found = latest_checkpoint(run_dir, run.algo)
    return 0 if found is None else min(found[0], run.training.total_timesteps)


def _new_model(run: RunConfig, env: Any, verbose: int) -> Any:
    """A fresh SB3 model of ``run``'s algorithm on ``env``: its block's settings, the one-hot
    input layer where the block asks for it, an LSTM policy where ``run`` has one."""
    from aura.rl.features import one_hot_policy_kwargs

    params = run.hyperparams
    kwargs = params.sb3_kwargs()
    if params.one_hot:
        where = f"hyperparams.{run.algo}.{run.env.key}"
        kwargs["policy_kwargs"].update(one_hot_policy_kwargs(run.env, where))
    policy = "MlpPolicy"
    if run.lstm_hidden_size:
        policy = "MlpLstmPolicy"
        kwargs["policy_kwargs"]["lstm_hidden_size"] = run.lstm_hidden_size
    cls = run_class(run)
    check_arguments(run, cls, policy, kwargs)
    return cls(policy, env, seed=run.seed, device="cpu", verbose=verbose, **kwargs)


POLICY_ARGUMENT_SOURCES = {
    "net_arch": "net_arch",
    "optimizer_kwargs": "fused_adam",
    "features_extractor_class": "one_hot",
    "features_extractor_kwargs": "one_hot",
}
"""The block key behind each policy argument `_new_model` may pass, for `check_arguments`."""


def check_arguments(run: RunConfig, cls: type, policy: str, kwargs: dict[str, Any]) -> None:
    """Refuse, naming the block, an argument the algorithm's class or its policy does not take.

    A fork's algorithm class (docs/extending.md, recipe 1) passes every field of its block and
    `AlgoParams`' ``learning_rate`` and ``gamma`` to the constructor: sb3-contrib's ARS, which
    has no discount, stopped its first run in ``TypeError: ARS.__init__() got an unexpected
    keyword argument 'gamma'``, a key its block did not hold."""
    import inspect

    def refused(target: Callable[..., Any], given: dict[str, Any]) -> list[str]:
        accepted = inspect.signature(target).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted):
            return []
        return sorted(set(given) - {p.name for p in accepted})

    where = f"hyperparams.{run.algo}.{run.env.key}"
    params = type(run.hyperparams).__name__
    own = refused(cls.__init__, kwargs)
    if own:
        raise ConfigError(
            f"{where}: {cls.__name__} takes no {', '.join(own)}, which {params}.sb3_kwargs gives "
            "it; leave it out there (docs/extending.md, recipe 1)"
        )
    policy_class = cls.policy_aliases.get(policy) if hasattr(cls, "policy_aliases") else None
    given = kwargs.get("policy_kwargs") or {}
    if policy_class is None or not given:
        return
    keys = refused(policy_class.__init__, given)
    if keys:
        sources = sorted({POLICY_ARGUMENT_SOURCES.get(key, key) for key in keys})
        raise ConfigError(
            f"{where}: {cls.__name__}'s {policy_class.__name__} takes no {', '.join(keys)}, which "
            f"{', '.join(sources)} gives it; refuse that key in {params}.validate "
            "(docs/extending.md, recipe 1)"
        )


def _start_model(
    run: RunConfig, run_dir: Path, env: Any, found: tuple[int, Path] | None, verbose: int
) -> Any:
    """The model training starts from: the checkpoint ``found`` (with DQN's replay buffer)
    where a run resumes, else a fresh one, taught the filter's moves first where ``run``
    imitates."""
    if found is not None:
        resumed_from, path = found
        model = run_class(run).load(path, env=env, device="cpu")
        if run.hyperparams.replay_buffer:
            model.load_replay_buffer(replay_buffer_path(path, resumed_from))
        return model
    model = _new_model(run, env, verbose)
    if run.imitation is not None:
        _imitate(model, run, run_dir)
    return model


def _other_callbacks(run: RunConfig, run_dir: Path, seconds: Callable[[], float]) -> list[Any]:
    """The callbacks beside the evaluation: checkpoints (with DQN's replay buffer, which resuming
    needs, and the run's training seconds so far, ``seconds()``), the progress bar if asked for,
    and a grid worker's step counter."""
    from stable_baselines3.common.callbacks import ProgressBarCallback

    from aura.rl import progress

    n_envs = run.hyperparams.n_envs
    callbacks: list[Any] = [
        atomic_checkpoints(
            seconds,
            save_freq=max(run.training.save_freq // n_envs, 1),
            save_path=str(run_dir / CHECKPOINT_DIR),
            name_prefix=CHECKPOINT_PREFIX,
            save_replay_buffer=run.hyperparams.replay_buffer,
        ),
    ]
    if run.training.progress_bar:
        callbacks.append(ProgressBarCallback())
    if progress.installed() is not None:  # a grid's worker: add to the grid's count of steps
        callbacks.append(progress.StepCounter(progress.installed()))
    return callbacks


def train(
    run: RunConfig,
    run_dir: str | Path,
    *,
    resume: bool = True,
    after_eval: Any | None = None,
    verbose: int = 0,
) -> TrainResult:
    """Train one (environment, algorithm, seed) and save everything in ``run_dir``.

    With ``resume`` (the default) a finished run is left as it is and an unfinished one continues
    from its latest checkpoint; without it the directory is cleared first. ``after_eval`` is an
    SB3 callback run after every evaluation, with the EvalCallback as its ``parent`` (tuning
    reports intermediate results and prunes through it).
    """
    import torch
    from stable_baselines3.common.callbacks import CallbackList

    torch.set_num_threads(1)
    run_dir = Path(run_dir)
    start = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - start

    if resume:
        check_same_run(run, run_dir)
        if is_finished(run_dir):
            info = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))
            steps = info["num_timesteps"]
            return TrainResult(run_dir, steps, steps, 0.0, info["wall_seconds"])
    else:
        _clear(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    run.save(run_dir / CONFIG_FILE)

    n_envs = run.hyperparams.n_envs
    env = make_vec_env(run.env, n_envs, run.seed)
    eval_env = make_vec_env(run.env, 1, run.seed + EVAL_SEED_OFFSET)
    found = latest_checkpoint(run_dir, run.algo) if resume else None
    model = _start_model(run, run_dir, env, found, verbose)
    resumed_from = 0 if found is None else found[0]
    before = 0.0 if found is None else seconds_before(found[1])
    segments = record_segment(run_dir, resumed_from)
    log_dir = run_dir / "logs"
    model.set_logger(_configure_logger(log_dir, resumed_from if found else None))
    evaluation = same_episodes_evaluation(
        run.seed + EVAL_SEED_OFFSET,
        eval_env=eval_env,
        n_eval_episodes=run.training.n_eval_episodes,
        eval_freq=max(run.training.eval_freq // n_envs, 1),
        best_model_path=run_dir / BEST_MODEL,
        log_path=str(log_dir),
        deterministic=True,
        callback_after_eval=after_eval,
        verbose=verbose,
    )
    if found is not None:
        _restore_eval_history(evaluation, log_dir, resumed_from)
    remaining = run.training.total_timesteps - resumed_from
    if remaining > 0:
        model.learn(
            total_timesteps=remaining,
            callback=CallbackList(
                [evaluation, *_other_callbacks(run, run_dir, lambda: before + elapsed())]
            ),
            reset_num_timesteps=found is None,
        )
    model.logger.close()
    env.close()
    eval_env.close()
    if not (run_dir / BEST_MODEL).is_file():  # no evaluation ran (budget below eval_freq)
        write_atomically(run_dir / BEST_MODEL, model.save)
    write_atomically(run_dir / FINAL_MODEL, model.save)
    wall = elapsed()
    info = {
        "num_timesteps": int(model.num_timesteps),
        "resumed_from": resumed_from,
        "wall_seconds": before + wall,
        "segments": segments,
    }
    write_text_atomically(run_dir / INFO_FILE, json.dumps(info, indent=2) + "\n")
    return TrainResult(run_dir, int(model.num_timesteps), resumed_from, wall, before + wall)
