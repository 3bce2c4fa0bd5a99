"""What the two environments take from their user: actions of the kinds gymnasium and SB3 pass
and nothing else, no reset options, and the "ansi" render mode, none of which may change an
episode's draws, observations or rewards."""

from __future__ import annotations

import copy
import pickle
import re
import warnings
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env

import aura.envs as E
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig, check_env_builds

ENV_IDS = (E.TUTOR_MATCHING_ID, E.DIFFICULTY_ID)
ENV_CLASSES = {E.TUTOR_MATCHING_ID: E.TutorMatchingEnv, E.DIFFICULTY_ID: E.DifficultyAdaptationEnv}
ALLOWED = {
    E.TUTOR_MATCHING_ID: "a strategy index 0..4",
    E.DIFFICULTY_ID: "0 (decrease), 1 (maintain) or 2 (increase)",
}
ACTIONS = [0, 2, 1, 1, 2, 0, 2, 1]
"""Valid in both environments (tutor matching has five strategies, difficulty three moves)."""


def episode(
    env: gym.Env, seed: int, kind: Callable[[int], object] = int, options: dict | None = None
) -> tuple[list, list]:
    """Observations and (reward, terminated, truncated, info) of one seeded episode driven by
    `ACTIONS` (cycled), each action passed as ``kind(action)``."""
    obs, info = env.reset(seed=seed, options=options)
    observations, steps = [obs], [info]
    for t in range(10_000):
        obs, reward, terminated, truncated, info = env.step(kind(ACTIONS[t % len(ACTIONS)]))
        observations.append(obs)
        steps.append((reward, terminated, truncated, info))
        if terminated or truncated:
            return observations, steps
    raise AssertionError("the episode did not end")


def assert_same_episode(first: tuple[list, list], second: tuple[list, list]) -> None:
    """Observations to the bit, rewards, flags and info equal."""
    assert len(first[0]) == len(second[0])
    for a, b in zip(first[0], second[0], strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert first[1] == second[1]


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize(
    "kind",
    [
        np.int64,
        np.int32,
        np.uint8,
        np.array,  # shape (): SB3's predict for one observation
        lambda a: np.array([a]),  # shape (1,): SB3's predict for a batch of one
        lambda a: np.array([a], dtype=np.int16),
    ],
    ids=["int64", "int32", "uint8", "array()", "array(1,)", "int16 array(1,)"],
)
def test_numpy_integer_actions_give_the_episode_int_actions_give(
    env_id: str, kind: Callable[[int], object]
) -> None:
    env = gym.make(env_id)
    for seed in (0, 5):
        assert_same_episode(episode(env, seed, kind), episode(env, seed))


# Rewards of seed 3 under actions 0, 2, 1, 1, 2 (tutor matching: 0, 1, 2, 3, 4), as the
# environments gave them before actions were checked; to 1e-12 rather than to the bit, since
# the last bit of numpy's exp may differ between processors. A changed draw, observation or
# formula moves them by far more.
RECORDED_REWARDS = {
    E.TUTOR_MATCHING_ID: (
        [0, 1, 2, 3, 4],
        [0.6740828762831685, 0.6070568231961216, 0.8008299369113817, 0.9318908520507827,
         0.9291151169697687],
    ),
    E.DIFFICULTY_ID: (
        [0, 2, 1, 1, 2],
        [0.8444726896701966, 0.5982774157970148, 0.7463199851212712, 0.8425669683489538,
         0.7022759609893182],
    ),
}  # fmt: skip


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("render_mode", [None, "ansi"])
def test_a_seeded_episode_pays_what_it_paid_before(env_id: str, render_mode: str | None) -> None:
    """With every action kind SB3 passes, and rendered or not."""
    actions, recorded = RECORDED_REWARDS[env_id]
    for kind in (int, np.int64, np.array, lambda a: np.array([a])):
        env = gym.make(env_id, render_mode=render_mode)
        env.reset(seed=3)
        rewards = []
        for action in actions:
            rewards.append(env.step(kind(action))[1])
            if render_mode:
                env.render()
        assert rewards == pytest.approx(recorded, rel=1e-12, abs=0)


BAD_ACTIONS = [
    1.7,
    1.0,
    np.float64(1.0),
    True,
    np.bool_(True),
    "1",
    None,
    [1],
    np.array([1, 2]),
    np.array([[1]]),
    np.array(1.0),
    np.array([True]),
]


def steps(env: gym.Env, actions: list[int]) -> list[tuple]:
    """(observation's bytes, reward, terminated, truncated, info) of each of `actions`."""
    return [(obs.tobytes(), *rest) for obs, *rest in map(env.step, actions)]


def started(env_id: str) -> gym.Env:
    """An environment one step into the episode of seed 2."""
    env = gym.make(env_id)
    env.reset(seed=2)
    env.step(1)
    return env


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("action", BAD_ACTIONS, ids=repr)
def test_an_action_of_the_wrong_kind_is_refused_by_name_and_changes_nothing(
    env_id: str, action: object
) -> None:
    """`int(action)` took 1.7, 1.0, True and "1" as 1, and failed on [1] with a TypeError."""
    env = started(env_id)
    message = (
        f"action must be {ALLOWED[env_id]}: a Python or numpy integer, or an integer array of "
        f"shape () or (1,); got {action!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        env.step(action)
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("action", [-1, 5, np.int64(7), np.array([9]), np.uint64(2**64 - 1)])
def test_an_integer_out_of_range_keeps_its_message(env_id: str, action: object) -> None:
    env = started(env_id)
    got = int(np.asarray(action).item())
    with pytest.raises(ValueError, match=re.escape(f"action must be {ALLOWED[env_id]}, got {got}")):
        env.step(action)
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])


@pytest.mark.parametrize("env_id", [E.EXACT_REWARD_ID, E.RELATIVE_REWARD_ID])
def test_the_reward_variants_take_and_refuse_the_same_actions(env_id: str) -> None:
    """They index the expected rewards by the action: a batch of one used to fail there."""
    for kind in (np.int64, np.array, lambda a: np.array([a])):
        env = gym.make(env_id)
        env.reset(seed=4)
        twin = gym.make(env_id)
        twin.reset(seed=4)
        assert steps(env, [kind(a) for a in (3, 1)]) == steps(twin, [3, 1])
    with pytest.raises(ValueError, match=re.escape("got 1.7")):
        env.step(1.7)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("algorithm", [PPO, A2C, DQN])
def test_the_actions_sb3_passes_are_taken(env_id: str, algorithm: type[BaseAlgorithm]) -> None:
    """What each algorithm's `predict` returns, for one observation and for a batch of one, and
    what it passes while it learns (through its vector environment)."""
    small = {"n_steps": 8, "batch_size": 8} if algorithm is PPO else {}
    if algorithm is DQN:
        small = {"learning_starts": 4, "batch_size": 4, "train_freq": 4}
    model = algorithm("MlpPolicy", gym.make(env_id), seed=0, device="cpu", **small)
    model.learn(16)
    env = gym.make(env_id)
    obs, _ = env.reset(seed=0)
    for batch in (False, True):
        action, _ = model.predict(obs[None] if batch else obs, deterministic=False)
        assert action.shape == ((1,) if batch else ())
        obs = env.step(action)[0]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_a_gymnasium_vector_environment_steps_them(env_id: str) -> None:
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync")
    envs.reset(seed=[0, 1])
    for t in range(20):
        envs.step(np.array([ACTIONS[t % 8], ACTIONS[(t + 3) % 8]]))
    envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_reset_refuses_options_by_name_and_takes_none_or_an_empty_dict(env_id: str) -> None:
    """Options were ignored: an option meant to choose the learner drew a random one."""
    env = started(env_id)
    with pytest.raises(ValueError, match="reset takes no options; unknown option keys: 'learner'"):
        env.reset(seed=9, options={"learner": 3})
    with pytest.raises(ValueError, match="reset options must be None or an empty dict, got 'x'"):
        env.reset(options="x")
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])  # the episode goes on untouched
    assert_same_episode(episode(env, 6, options={}), episode(gym.make(env_id), 6))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_both_env_checkers_pass_with_ansi_rendering_and_render_it(env_id: str) -> None:
    """Both checkers render: gymnasium's asks for render_fps and a str, SB3's renders with
    skip_render_check=False."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(gym.make(env_id, render_mode="ansi").unwrapped)
        sb3_check_env(gym.make(env_id, render_mode="ansi").unwrapped, skip_render_check=False)


def test_ansi_rendering_describes_the_tutor_matching_episode() -> None:
    env = gym.make(E.TUTOR_MATCHING_ID, render_mode="ansi", episode_length=3)
    env.reset(seed=3)
    inner = env.unwrapped
    text = env.render()
    assert isinstance(text, str) and len(text.splitlines()) == 3
    assert "0 of 3 sessions done, english" in text
    assert "age 15, grade 10, kinesthetic, english, morning" in text
    assert "last session: none yet" in text
    _, reward, *_, info = env.step(1)
    text = env.render()
    assert "1 of 3 sessions done" in text
    assert f"subject_expert, tutor {info['tutor_id']}, reward {reward:.3f}" in text
    assert f"comfort {inner.comfort:.2f}" in text and f"ability {inner.theta:+.2f}" in text


def test_ansi_rendering_describes_the_difficulty_episode() -> None:
    env = gym.make(E.DIFFICULTY_ID, render_mode="ansi", max_steps=2, disengage_threshold=0.0)
    env.reset(seed=3)
    text = env.render()
    assert "0 of 2 blocks done, english" in text
    assert "last move: none yet (the diagnostic block)" in text
    _, reward, *_, info = env.step(2)
    text = env.render()
    assert f"difficulty {info['difficulty']:+.2f}" in text
    assert f"success {info['exercise_success_rate']:.2f}" in text
    assert f"engagement {info['engagement']:.2f}" in text
    assert f"last move: increase, reward {reward:.3f}" in text
    env.step(1)
    assert "2 of 2 blocks done, english; over, max_steps reached" in env.render()
    quitter = gym.make(E.DIFFICULTY_ID, render_mode="ansi", disengage_threshold=0.99)
    quitter.reset(seed=3)
    assert quitter.step(1)[2] and "over, the learner quit" in quitter.render()


@pytest.mark.parametrize("env_id", [*ENV_IDS, E.WINDOW_ID, E.EXACT_REWARD_ID, E.RELATIVE_REWARD_ID])
def test_rendering_draws_nothing(env_id: str) -> None:
    """An episode rendered before every step is the one it is unrendered, and rendering leaves
    the environment's generator where it was; the probes' variants render their environment."""
    rendered, plain = gym.make(env_id, render_mode="ansi"), gym.make(env_id)
    assert rendered.reset(seed=8)[0].tobytes() == plain.reset(seed=8)[0].tobytes()
    for action in ACTIONS:
        state = rendered.unwrapped.np_random.bit_generator.state
        assert isinstance(rendered.render(), str)
        assert rendered.unwrapped.np_random.bit_generator.state == state
        assert steps(rendered, [action]) == steps(plain, [action])


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_an_ansi_list_collects_a_text_per_step(env_id: str) -> None:
    env = gym.make(env_id, render_mode="ansi_list")
    env.reset(seed=0)
    env.step(1)
    texts = env.render()
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("mode", ["human", "rgb_array", "ANSI", 1])
def test_an_unknown_render_mode_is_refused_by_name(env_id: str, mode: object) -> None:
    """Any render_mode, "ansi" too, used to be a TypeError for the keyword itself."""
    message = re.escape(f"render_mode must be None or one of 'ansi', got {mode!r}")
    with pytest.raises(ValueError, match=message):
        ENV_CLASSES[env_id](render_mode=mode)  # gym.make itself fails on a mode not a str
    if isinstance(mode, str):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gymnasium's own warning about the mode
            with pytest.raises(ValueError, match=message):
                gym.make(env_id, render_mode=mode)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3s_make_vec_env_builds_them_from_their_id(env_id: str) -> None:
    """Given an id, SB3 asks for render_mode="rgb_array" and retries without it on a TypeError,
    which the refusal of an unknown mode also is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gymnasium's warning about the mode, once per copy
        envs = make_vec_env(env_id, n_envs=2, seed=0)
    assert envs.render_mode is None
    envs.reset()
    envs.step(np.array([1, 2]))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_render_without_a_mode_warns_and_before_reset_is_refused(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode='ansi'"):
        assert env.render() is None
    fresh = ENV_CLASSES[env_id](render_mode="ansi")
    with pytest.raises(RuntimeError, match=re.escape("call reset() before render()")):
        fresh.render()


class _Batch:
    """A lockstep policy that answers ``value`` for every observation."""

    def __init__(self, value: object) -> None:
        self.value = value

    def act_batch(self, observations: np.ndarray) -> list[object]:
        return [self.value] * len(observations)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("lockstep", [False, True], ids=["one-at-a-time", "lockstep"])
def test_scoring_refuses_a_policy_that_answers_no_action(env_id: str, lockstep: bool) -> None:
    """Scoring cast a policy's answer with int(): one answering 1.7 was scored as if it had
    answered 1. The environment checks it now, and an integer answer scores as before."""
    policy = _Batch(1.7) if lockstep else (lambda obs: 1.7)
    with pytest.raises(ValueError, match=r"got 1\.7"):
        E.evaluate_policy(env_id, policy, 3, 5)
    as_int = E.evaluate_policy(env_id, _Batch(1) if lockstep else (lambda obs: 1), 3, 5)
    as_numpy = E.evaluate_policy(env_id, _Batch(np.int64(1)), 3, 5)
    assert list(as_int.returns) == list(as_numpy.returns)


@pytest.mark.parametrize("env_id", [*ENV_IDS, E.WINDOW_ID, E.EXACT_REWARD_ID])
@pytest.mark.parametrize("value", [5, True, b"learners.csv", ["learners.csv"]])
def test_a_learners_csv_that_is_no_path_is_refused_by_name(env_id: str, value: object) -> None:
    """It failed in pathlib with "expected str, bytes or os.PathLike object, not int", naming
    neither the option nor its value, and so did the params check that builds the environment."""
    message = f"learners_csv must be a CSV file's path, got {value!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        gym.make(env_id, learners_csv=value)
    env = EnvConfig(key="x", id=env_id, kwargs={"learners_csv": value})
    with pytest.raises(
        ConfigError, match=re.escape(f"env.kwargs: {env_id} refuses them: {message}")
    ):
        check_env_builds(env, "env")


@pytest.mark.parametrize("value", [5, 0.5, ["tutors.csv"]])
def test_a_tutors_csv_that_is_no_path_is_refused_by_name(value: object) -> None:
    message = f"tutors_csv must be a CSV file's path, got {value!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        gym.make(E.TUTOR_MATCHING_ID, tutors_csv=value)


def test_a_pool_of_one_tutor_is_refused_by_its_size(tmp_path) -> None:
    """With one tutor every strategy picks it, so the oracle is the random policy: a grid or a
    pool score on it stopped in `normalised_score` ("oracle return ... must exceed random
    return ...") once the policies were trained."""
    from aura.sim.io import write_datasets

    write_datasets(tmp_path, seed=3, n_learners=4, n_tutors=1, n_sessions=4)
    csv = tmp_path / "tutors_data.csv"
    for options, named in (
        ({"n_tutors": 1}, "n_tutors=1, pool_seed=0"),
        ({"tutors_csv": csv}, csv),
    ):
        with pytest.raises(ValueError, match=re.escape(f"the tutor pool of {named} holds 1 tutor")):
            gym.make(E.TUTOR_MATCHING_ID, **options)
    gym.make(E.TUTOR_MATCHING_ID, n_tutors=2)


def rest_and_next(env: gym.Env) -> list[tuple]:
    """Steps to the end of the current episode, then the next (unseeded) episode's first
    observation and steps, as (observation's bytes, reward, terminated, truncated, info)."""
    out: list[tuple] = []
    for episode_index in range(2):
        for t in range(10_000):
            out.extend(steps(env, [ACTIONS[t % len(ACTIONS)]]))
            if out[-1][2] or out[-1][3]:
                break
        if episode_index == 0:
            out.append((env.reset()[0].tobytes(),))
    return out


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_a_copied_or_pickled_environment_goes_on_as_the_original(env_id: str) -> None:
    """SubprocVecEnv pickles an environment and rollout code may copy one mid-episode: the copy
    finishes the episode and draws the next unseeded one exactly as the original does."""
    original = started(env_id)
    copied, pickled = copy.deepcopy(original), pickle.loads(pickle.dumps(original))
    expected = rest_and_next(original)
    assert rest_and_next(copied) == expected
    assert rest_and_next(pickled) == expected


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3s_sub_environments_are_reproducible_and_independent(env_id: str) -> None:
    """`make_vec_env(id, n_envs, seed)` seeds sub-environment i with seed + i: the same seed gives
    the same streams, and no two sub-environments run the same learners."""

    def run(seed: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gymnasium's warning about SB3's render mode
            envs = make_vec_env(env_id, n_envs=3, seed=seed)
        trajectory = [envs.reset()]
        for t in range(60):  # past the end of every tutor-matching episode, and some difficulty
            trajectory.append(envs.step(np.array([ACTIONS[(t + k) % 8] for k in range(3)]))[0])
        envs.close()
        return np.stack(trajectory, axis=1)  # (sub-environment, step, feature)

    first = run(11)
    assert first.tobytes() == run(11).tobytes()
    assert first.tobytes() != run(12).tobytes()
    for i in range(3):
        for j in range(i):
            assert not np.array_equal(first[i], first[j])


def test_reading_the_difficulty_oracle_before_a_reset_says_so() -> None:
    """They failed with an AttributeError on `theta` or `b`, naming neither call nor fix; step()
    keeps its message."""
    env = E.DifficultyAdaptationEnv()
    for call, read in [
        ("oracle_action()", env.oracle_action),
        ("difficulty_after()", lambda: env.difficulty_after(1)),
        ("step()", lambda: env.step(1)),
    ]:
        with pytest.raises(RuntimeError, match=re.escape(f"call reset() before {call}")):
            read()
    env.reset(seed=0)
    assert env.oracle_action() in (0, 1, 2)


def test_reading_tutor_matching_s_hidden_state_before_a_reset_names_the_call() -> None:
    """They said "call reset() before step()" of a call that was no step."""
    env = E.TutorMatchingEnv()
    for call, read in [
        ("expected_rewards()", env.expected_rewards),
        ("upcoming_context()", env.upcoming_context),
        ("upcoming_session()", env.upcoming_session),
        ("step()", lambda: env.step(0)),
    ]:
        with pytest.raises(RuntimeError, match=re.escape(f"call reset() before {call}")):
            read()
    env.reset(seed=0)
    assert env.expected_rewards().shape == (env.action_space.n,)
