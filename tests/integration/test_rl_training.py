"""A short seeded PPO run at smoke scale beats the random policy on both AURA environments, on the
same held-out episodes (common random numbers), and leaves the run directory the export relies on.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from aura.config import PARAMS_DIR
from aura.envs import RandomPolicy, evaluate_policy
from aura.rl.config import ConfigError
from aura.rl.config.experiment import load_experiment
from aura.rl.config.run import load_run_config
from aura.rl.experiment import resumed_runs
from aura.rl.numerics import kernels
from aura.rl.scoring import evaluate_model_file, score_checkpoints
from aura.rl.train import BEST_MODEL, FINAL_MODEL, INFO_FILE, SCORED_FILES, train

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")
N_EPISODES = 100


@pytest.mark.parametrize("env_key", SMOKE.env_keys)
def test_short_ppo_run_beats_random(tmp_path: Path, env_key: str) -> None:
    run = SMOKE.run(env_key, "ppo", 0)
    run_dir = tmp_path / env_key
    result = train(run, run_dir)
    assert result.num_timesteps >= run.training.total_timesteps
    for name in (BEST_MODEL, FINAL_MODEL, "config.yaml", "logs/progress.csv"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "logs" / "evaluations.npz").is_file()
    assert any((run_dir / "logs").glob("events.out.tfevents.*"))
    assert load_run_config(run_dir / "config.yaml") == run
    info = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))
    assert info["segments"] == [{"from_step": 0, "kernels": kernels()}]
    assert resumed_runs([str(run_dir)], tmp_path) == []

    seed = SMOKE.test_seed
    trained = np.array(evaluate_model_file(run_dir / BEST_MODEL, run, seed, N_EPISODES))
    random = evaluate_policy(
        run.env.id, RandomPolicy(run_env_actions(run), seed), N_EPISODES, seed, run.env.kwargs
    )
    # Paired on the same episodes, the lead must stand three standard errors clear of zero: a
    # policy left near random passes a bare `mean > 0` about half the time on difficulty, where
    # returns vary widely. (At this scale PPO leads random by about 7 SE on tutor matching and
    # 10 on difficulty; it does not yet beat always-"balanced" on tutor matching, which the
    # default grid does, README Results.)
    diff = trained - np.array(random.returns)
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > 3 * se, (
        f"PPO {trained.mean():.3f} vs random {random.mean_return:.3f} on {env_key}: "
        f"lead {diff.mean():.3f}, standard error {se:.3f}"
    )

    # the held-out learning curve: a point per saved checkpoint and the final policy
    curve = score_checkpoints(run_dir, run, result.num_timesteps, seed, 20)
    steps = [s for s, _ in curve]
    expected = run.training.total_timesteps // run.training.save_freq
    assert len(steps) >= expected and steps == sorted(steps)
    assert steps[-1] == result.num_timesteps


def test_one_hot_without_categorical_features_is_named(tmp_path: Path) -> None:
    run = SMOKE.run("difficulty_adaptation", "ppo", 0)
    run = dataclasses.replace(run, hyperparams=dataclasses.replace(run.hyperparams, one_hot=True))
    with pytest.raises(ConfigError, match="one_hot is set for environment 'difficulty_adaptation'"):
        train(run, tmp_path / "run")
    assert not (tmp_path / "run" / FINAL_MODEL).exists()


def run_env_actions(run) -> int:
    from aura.rl.train import make_vec_env

    env = make_vec_env(run.env, 1, run.seed)
    try:
        return int(env.action_space.n)
    finally:
        env.close()


def test_training_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    run = SMOKE.run("tutor_matching", "a2c", 0)
    run = dataclasses.replace(
        run, training=dataclasses.replace(run.training, total_timesteps=1000, eval_freq=500)
    )
    returns = []
    for k in range(2):
        train(run, tmp_path / str(k))
        returns.append(evaluate_model_file(tmp_path / str(k) / FINAL_MODEL, run, 5, 10))
    assert returns[0] == returns[1]


class Greedy:
    """A saved SB3 model as an ``act``/``reset`` policy."""

    def __init__(self, model) -> None:
        self.model = model

    def reset(self) -> None:
        """Memoryless."""

    def act(self, obs: np.ndarray, env) -> int:
        return int(self.model.predict(obs, deterministic=True)[0])


def test_evaluation_replay_meets_the_episodes_the_run_was_evaluated_on(tmp_path: Path) -> None:
    """The learning curves' yardstick (random and oracle on a run's evaluation episodes) is only
    right if the replay meets those very episodes: the best model, replayed, returns exactly what
    its evaluation logged."""
    from stable_baselines3 import A2C

    from aura.rl.train import evaluation_returns

    run = SMOKE.run("tutor_matching", "a2c", 0)
    run = dataclasses.replace(
        run, training=dataclasses.replace(run.training, total_timesteps=2000, eval_freq=500)
    )
    train(run, tmp_path)
    with np.load(tmp_path / "logs" / "evaluations.npz") as data:
        logged = data["results"]
    replayed = evaluation_returns(run, Greedy(A2C.load(tmp_path / BEST_MODEL, device="cpu")))
    assert len(replayed) == run.training.n_eval_episodes
    np.testing.assert_allclose(replayed, logged[logged.mean(axis=1).argmax()], atol=1e-5)


def test_grid_in_workers_gives_what_one_process_gives(tmp_path: Path) -> None:
    """The references are computed by the workers beside the runs: the same numbers, and the
    same held-out returns, as when everything runs in this process."""
    from aura.rl.experiment import TIMING_FILE, run_grid

    training = dataclasses.replace(SMOKE.training, total_timesteps=512, eval_freq=256)
    base = dataclasses.replace(
        SMOKE,
        algorithms=("a2c",),
        n_seeds=1,
        training=training,
        n_test_episodes=5,
        ceiling_episodes=20,
    )
    found = {}
    total = 2 * training.total_timesteps
    for workers in (1, 2):
        cfg = dataclasses.replace(base, models_dir=tmp_path / str(workers), n_workers=workers)
        reports: list[tuple[int, int]] = []
        outcomes, references = run_grid(
            cfg, on_progress=lambda steps, total, log=reports: log.append((steps, total))
        )
        # steps of the whole grid, from none to all, never back
        assert reports[0] == (0, total) and reports[-1] == (total, total)
        assert [s for s, _ in reports] == sorted(s for s, _ in reports)
        timing = json.loads((cfg.rl_dir / TIMING_FILE).read_text())
        assert timing["n_workers"] == workers
        assert set(timing["reference_seconds"]) == set(cfg.env_keys)
        assert timing["host_speed_s"] > 0
        found[workers] = ([(o.test_returns, o.other_returns) for o in outcomes], references)
    assert len(outcomes) == len(cfg.env_keys)
    for o in outcomes:  # both saved policies, each where the params say it belongs
        run = cfg.run(o.env_key, o.algo, o.seed_index)
        saved = {
            name: evaluate_model_file(Path(o.run_dir) / file, run, cfg.test_seed, 5)
            for name, file in SCORED_FILES.items()
        }
        scored = cfg.scored_model[o.env_key]
        (other,) = set(saved) - {scored}
        assert (o.test_returns, o.other_returns) == (saved[scored], saved[other])
    assert found[1][1] == found[2][1]
    assert found[1][0] == found[2][0]
    assert set(found[2][1]) == set(SMOKE.env_keys)

    reports = []
    run_grid(cfg, on_progress=lambda *r: reports.append(r))  # every run kept: done from the start
    assert set(reports) == {(total, total)}


def test_counting_a_grids_steps_changes_no_run(tmp_path: Path) -> None:
    """A grid's workers add their steps to a shared count (`aura.rl.progress`); the run trains to
    the same weights with it as without it, and counts every step it trains."""
    import multiprocessing

    import torch

    from aura.rl import progress
    from aura.rl.train import run_class

    run = SMOKE.run("difficulty_adaptation", "ppo", 0)
    run = dataclasses.replace(
        run, training=dataclasses.replace(run.training, total_timesteps=1024, eval_freq=512)
    )
    counter = multiprocessing.get_context("spawn").Value("q", 0)
    progress.install(counter)
    try:
        counted = train(run, tmp_path / "counted")
    finally:
        progress.install(None)
    plain = train(run, tmp_path / "plain")
    assert counter.value == counted.num_timesteps == plain.num_timesteps
    weights = [
        run_class(run).load(tmp_path / name / FINAL_MODEL).policy.state_dict()
        for name in ("counted", "plain")
    ]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def _thread_pools() -> list[tuple[str, int]]:
    """(library, threads) of every OpenMP and BLAS pool of this process, after loading the
    ones the references use (scikit-learn's gradient boosting, numpy)."""
    import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime)
    from threadpoolctl import threadpool_info

    return [(pool["filepath"], pool["num_threads"]) for pool in threadpool_info()]


def test_workers_run_one_thread_per_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers fill two cores; a pool of more threads in each waits on the other's core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from aura.rl.experiment import init_worker

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # as `aura train-rl` starts, not the tests
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=init_worker) as pool:
        pools = pool.submit(_thread_pools).result()
    assert pools and all(threads == 1 for _, threads in pools), pools
