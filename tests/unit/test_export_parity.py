"""ONNX exports agree with the native models: forests within 1e-4 on held-out rows, policies on
the same action for at least 99.9% of 10,000 observations; an export that disagrees is refused."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from home_folder import written_under_a_fresh_home

from aura.export.exporter import ExportError, ForestExport, PolicyExport, _forest_entry
from aura.export.onnx_forest import forest_parity
from aura.export.onnx_policy import policy_parity, policy_to_onnx
from aura.export.supervised import forest_features

SEED = 5


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory):
    from aura.sim.io import write_datasets
    from aura.supervised import load_feature_tables

    folder = tmp_path_factory.mktemp("data")
    write_datasets(folder, seed=SEED, n_learners=500, n_tutors=20, n_sessions=1500)
    return load_feature_tables(folder)


def fitted(name: str, tables, n_trees: int = 20):
    from aura.supervised import FEATURES, make_pipeline
    from aura.supervised.evaluation import grouped_holdout

    X, y, groups = tables[name]
    train, test = grouped_holdout(groups, 0.2, SEED)
    model = make_pipeline(name, FEATURES[name], {"n_estimators": n_trees}, seed=SEED)
    return model.fit(X.iloc[train], y.iloc[train]), X.iloc[test]


def onnx_of(model) -> bytes:
    from aura.supervised.convert import to_onnx

    return to_onnx(model).SerializeToString()


@pytest.mark.parametrize("name", ["compatibility", "difficulty", "engagement"])
def test_forest_onnx_matches_scikit_learn_on_held_out_rows(tables, name: str) -> None:
    model, held_out = fitted(name, tables)
    parity = forest_parity(model, onnx_of(model), held_out)
    assert parity["rows"] == len(held_out) > 50
    assert parity["max_abs_diff"] <= 1e-4
    if name == "difficulty":
        assert parity["label_agreement"] == 1.0


def rows_at_the_edges(model, held_out) -> np.ndarray:
    """Held-out rows with one feature moved: to its documented range's ends, beyond them, and to
    the raw values whose scaled float32 lies on, or one to three float32 steps either side of,
    each split threshold of the forest (the rows on which float32 against float64 would flip a
    split, and so a decision)."""
    from aura.supervised import FEATURE_RANGES

    rng = np.random.default_rng(SEED)
    base = held_out.to_numpy(dtype=np.float64)
    scaler, forest = model[0], model[-1]
    scale, low = scaler.scale_.astype(np.float32), scaler.min_.astype(np.float32)
    rows = []

    def moved(column: int, values: np.ndarray) -> np.ndarray:
        out = base[rng.integers(0, len(base), len(values))]
        out[:, column] = values
        return out

    for j, name in enumerate(held_out.columns):
        lo, hi = FEATURE_RANGES[name]
        rows.append(moved(j, np.repeat([lo, hi, lo - 1, hi + 1, -1e30, 1e30], 20)))
        splits = np.unique(
            np.concatenate([t.tree_.threshold[t.tree_.feature == j] for t in forest.estimators_])
        )
        raw = ((splits - low[j]) / scale[j]).astype(np.float32)
        steps = [raw]
        for direction in (np.inf, -np.inf):
            value = raw
            for _ in range(3):
                value = np.nextafter(value, np.float32(direction))
                steps.append(value)
        rows.append(moved(j, np.concatenate(steps).astype(np.float64)))
    return np.vstack(rows)


@pytest.mark.parametrize("name", ["compatibility", "difficulty", "engagement"])
def test_forest_onnx_matches_scikit_learn_at_every_split_and_range_end(tables, name: str) -> None:
    """Held-out rows seldom sit at a threshold: these do, on both sides, for every split of
    every tree; ONNX compares float32 inputs with float32 thresholds, scikit-learn with float64
    ones, and a split sent the other way moves a score by a leaf's worth, far above 1e-4."""
    import pandas as pd

    model, held_out = fitted(name, tables)
    rows = pd.DataFrame(rows_at_the_edges(model, held_out), columns=held_out.columns)
    parity = forest_parity(model, onnx_of(model), rows)
    assert parity["rows"] > 1_000
    assert parity["max_abs_diff"] <= 1e-5
    if name == "difficulty":
        assert parity["label_agreement"] == 1.0


class Bandit(gym.Env):
    """Reward for the action named by the first observation coordinate: a policy worth learning."""

    def __init__(self, n_obs: int, n_actions: int) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (n_obs,), np.float32)
        self.action_space = gym.spaces.Discrete(n_actions)
        self.obs = np.zeros(n_obs, dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.obs = self.observation_space.sample()
        return self.obs, {}

    def step(self, action):
        reward = float(
            action == min(int(self.obs[0] * self.action_space.n), self.action_space.n - 1)
        )
        self.obs = self.observation_space.sample()
        return self.obs, reward, True, False, {}


@pytest.mark.parametrize(("n_obs", "n_actions"), [(8, 5), (6, 3)])
def test_policy_onnx_picks_the_same_action(n_obs: int, n_actions: int) -> None:
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    model = PPO(
        "MlpPolicy", Bandit(n_obs, n_actions), n_steps=256, batch_size=64, seed=SEED, device="cpu"
    ).learn(512)
    observations = np.random.default_rng(SEED).random((10_000, n_obs))
    parity = policy_parity(model, policy_to_onnx(model), observations)
    assert parity["rows"] == 10_000
    assert parity["action_agreement"] >= 0.999
    assert parity["max_abs_diff"] <= 1e-5
    assert parity["decided_disagreements"] == 0


def test_a_choice_too_close_for_float32_is_no_decided_disagreement() -> None:
    """Rows where ONNX picks another action although the policy's top two probabilities stand
    apart are counted as decided; a policy whose actions all tie (a zero action head) decides
    none, whichever action ONNX picks."""
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)

    def ppo(seed: int):
        return PPO("MlpPolicy", Bandit(6, 3), n_steps=64, batch_size=32, seed=seed, device="cpu")

    model, other = ppo(SEED), ppo(SEED + 1)
    observations = np.random.default_rng(SEED).random((2_000, 6))
    parity = policy_parity(model, policy_to_onnx(other), observations)
    assert parity["action_agreement"] < 0.9
    disagreements = round(2_000 * (1 - parity["action_agreement"]))
    # an untrained head's probabilities are all near 1/3: a few rows are ties
    assert 0.9 * disagreements < parity["decided_disagreements"] <= disagreements
    with torch.no_grad():
        model.policy.action_net.weight.zero_()
        model.policy.action_net.bias.zero_()
    parity = policy_parity(model, policy_to_onnx(other), observations)
    assert parity["action_agreement"] < 0.9 and parity["decided_disagreements"] == 0


def test_episode_observations_are_states_the_policy_is_served_in() -> None:
    """Seeded episodes of the environment, the policy acting: the same rows for the same seed,
    each category at one of its look-up values (uniformly random rows fall between them)."""
    import torch
    from stable_baselines3 import PPO

    from aura.envs.tutor_matching import TutorMatchingEnv
    from aura.export.policies import EPISODE_OBSERVATIONS, episode_observations

    torch.set_num_threads(1)
    kwargs = {"n_tutors": 20, "episode_length": 4}
    model = PPO("MlpPolicy", TutorMatchingEnv(**kwargs), n_steps=64, seed=SEED, device="cpu")
    rows = episode_observations(model, "aura/TutorMatching-v0", kwargs, SEED)
    assert rows.shape == (EPISODE_OBSERVATIONS, 8)
    assert np.array_equal(rows, episode_observations(model, "aura/TutorMatching-v0", kwargs, SEED))
    assert not np.array_equal(
        rows, episode_observations(model, "aura/TutorMatching-v0", kwargs, SEED + 1)
    )
    for column, n in ((5, 5), (6, 4), (7, 4)):  # subject, learning style, time slot
        assert set(np.round(rows[:, column] * (n - 1), 6)) <= set(range(n))


def test_dqn_policy_onnx_gives_its_q_values() -> None:
    """A DQN policy's ONNX logits are its Q-values: its parity recorded no difference at all, and
    `aura export` stopped in a KeyError printing it, once the folder was written."""
    import torch
    from stable_baselines3 import DQN

    torch.set_num_threads(1)
    model = DQN("MlpPolicy", Bandit(6, 3), learning_starts=64, seed=SEED, device="cpu").learn(256)
    observations = np.random.default_rng(SEED).random((2_000, 6))
    parity = policy_parity(model, policy_to_onnx(model), observations)
    assert parity["rows"] == 2_000
    assert parity["action_agreement"] >= 0.999
    assert parity["max_abs_diff"] <= 1e-5
    assert parity["decided_disagreements"] == 0


def test_one_hot_policy_onnx_picks_the_same_action() -> None:
    """The one-hot expansion is part of the exported network: the ONNX input stays the
    environment's eight numbers."""
    import torch
    from stable_baselines3 import PPO

    from aura.envs.tutor_matching import TutorMatchingEnv
    from aura.rl.features import OneHotCategories

    torch.set_num_threads(1)
    env = TutorMatchingEnv(n_tutors=20, episode_length=4)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=256,
        batch_size=64,
        seed=SEED,
        device="cpu",
        policy_kwargs={
            "features_extractor_class": OneHotCategories,
            "features_extractor_kwargs": {"categories": env.categorical_features},
        },
    ).learn(512)
    observations = np.stack([env.reset(seed=s)[0] for s in range(2_000)])
    parity = policy_parity(model, policy_to_onnx(model), observations)
    assert parity["rows"] == 2_000
    assert parity["action_agreement"] >= 0.999
    assert parity["max_abs_diff"] <= 1e-5
    assert parity["decided_disagreements"] == 0


def compatibility_export(tables, converter=onnx_of) -> ForestExport:
    """The compatibility forest's export, converted by `converter`."""
    from aura.supervised import FEATURES

    model, held_out = fitted("compatibility", tables)
    return ForestExport(
        name="compatibility",
        model=model,
        features=forest_features(FEATURES["compatibility"]),
        holdout=held_out,
        source="supervised/compatibility.joblib",
        converter=converter,
    )


def test_an_export_that_disagrees_with_its_model_is_refused(tables, tmp_path: Path) -> None:
    other, _ = fitted("compatibility", tables, n_trees=3)
    spec = compatibility_export(tables, converter=lambda m: onnx_of(other))
    with pytest.raises(ExportError, match="ONNX differs from scikit-learn"):
        _forest_entry(spec, tmp_path)
    assert not (tmp_path / "compatibility.onnx").exists()


def test_a_forest_above_the_size_limit_is_refused(tables, tmp_path: Path, monkeypatch) -> None:
    """A fully grown forest is about 100 MB of ONNX and 1 GB of RAM when served: refused by
    name, nothing written (the limit lowered below this small forest's size to show it)."""
    from aura.export import exporter

    spec = compatibility_export(tables)
    monkeypatch.setattr(exporter, "MAX_FOREST_BYTES", len(onnx_of(spec.model)) - 1)
    with pytest.raises(ExportError, match="compatibility: ONNX file is .* MiB, above the .* limit"):
        _forest_entry(spec, tmp_path)
    assert not (tmp_path / "compatibility.onnx").exists()


def test_policy_export_refusal_names_the_agreement(monkeypatch) -> None:
    import torch
    from stable_baselines3 import PPO

    from aura.export import exporter

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", Bandit(6, 3), n_steps=64, batch_size=32, seed=SEED, device="cpu")
    monkeypatch.setattr(
        exporter,
        "policy_parity",
        lambda *a: {"rows": 10.0, "action_agreement": 0.9, "decided_disagreements": 0.0},
    )
    with pytest.raises(ExportError, match="90.00% of 10 observations"):
        exporter._policy_entry(policy_spec(model), Path("/nonexistent"))


def policy_spec(model) -> PolicyExport:
    """A difficulty-adaptation export of ``model`` with ten random and five episode rows."""
    return PolicyExport(
        name="difficulty_adaptation",
        model=model,
        features=[],
        actions=["decrease", "maintain", "increase"],
        observations=np.zeros((10, 6)),
        episodes=np.ones((5, 6)),
        source="rl/x.zip",
    )


@pytest.mark.parametrize(
    ("random", "episodes", "message"),
    [
        (
            (1.0, 0.0),
            (0.9, 0.0),
            "90.00% of 5 observations (from seeded episodes; required 99.9%)",
        ),
        (
            (0.9995, 2.0),
            (1.0, 0.0),
            "another action than the policy on 2 of 10 observations (uniformly random) whose "
            "top two probabilities differ by more than 1e-05",
        ),
        (
            (1.0, 0.0),
            (1.0, 1.0),
            "on 1 of 5 observations (from seeded episodes) whose top two",
        ),
    ],
    ids=["episodes-agreement", "decided-random", "decided-episodes"],
)
def test_a_policy_export_is_refused_on_any_action_decided_otherwise(
    monkeypatch, random, episodes, message: str
) -> None:
    """Parity was scored on uniformly random observations alone, and 99.9% of them sufficed: an
    export picking another action on a state the policy is served in, or one the policy decides
    by far more than float32 rounding, passed. Both sets of observations are checked, and no
    decided row may differ."""
    import torch
    from stable_baselines3 import PPO

    from aura.export import exporter

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", Bandit(6, 3), n_steps=64, batch_size=32, seed=SEED, device="cpu")
    spec = policy_spec(model)
    results = {
        id(spec.observations): random,
        id(spec.episodes): episodes,
    }

    def parity(model, onnx, observations) -> dict[str, float]:
        agreement, decided = results[id(observations)]
        rows = float(len(observations))
        return {"rows": rows, "action_agreement": agreement, "decided_disagreements": decided}

    monkeypatch.setattr(exporter, "policy_parity", parity)
    with pytest.raises(ExportError) as refused:
        exporter._policy_entry(spec, Path("/nonexistent"))
    assert message in str(refused.value)


@pytest.mark.parametrize("name", ["compatibility", "difficulty"])
def test_the_same_forest_exports_to_the_same_bytes(name: str, tables) -> None:
    """The export's version is a hash of its files: it must change only when a model does."""
    from aura.export.onnx_forest import forest_to_onnx

    model, _ = fitted(name, tables, n_trees=3)
    assert forest_to_onnx(model) == forest_to_onnx(model)


EXPORT_IN_A_NEW_PROCESS = """
import pickle, sys
from aura.export.onnx_forest import forest_to_onnx
with open(sys.argv[1], "rb") as f:
    model = pickle.load(f)
sys.stdout.buffer.write(forest_to_onnx(model))
"""


def test_the_same_forest_exports_to_the_same_bytes_in_every_process(tables, tmp_path: Path) -> None:
    """Two runs of the same params export in two processes, whose string hashes differ, and so
    does the order of a set of strings: skl2onnx gathers the opsets in one. Of these hash seeds,
    15 and 16 listed the ONNX-ML opset first and the others last; the version must not change
    with them."""
    model, _ = fitted("compatibility", tables, n_trees=3)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    exported = {
        subprocess.run(
            [sys.executable, "-c", EXPORT_IN_A_NEW_PROCESS, str(path)],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            capture_output=True,
            check=True,
        ).stdout
        for hash_seed in range(10, 18)
    }
    assert len(exported) == 1


POLICY_IN_A_NEW_PROCESS = """
import sys
from stable_baselines3 import PPO
from aura.export.onnx_policy import policy_to_onnx
sys.stdout.buffer.write(policy_to_onnx(PPO.load(sys.argv[1], device="cpu")))
"""


def test_the_same_policy_exports_to_the_same_bytes_in_every_process(tmp_path: Path) -> None:
    """The version hashes the policies' files too: the same saved policy (one-hot inputs, as
    tutor matching's) must export to the same bytes here and in another process, of another
    hash seed."""
    import torch
    from stable_baselines3 import PPO

    from aura.envs.tutor_matching import TutorMatchingEnv
    from aura.rl.features import OneHotCategories

    torch.set_num_threads(1)
    env = TutorMatchingEnv(n_tutors=20, episode_length=4)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=64,
        seed=SEED,
        device="cpu",
        policy_kwargs={
            "features_extractor_class": OneHotCategories,
            "features_extractor_kwargs": {"categories": env.categorical_features},
        },
    )
    model.save(tmp_path / "policy.zip")
    exported = subprocess.run(
        [sys.executable, "-c", POLICY_IN_A_NEW_PROCESS, str(tmp_path / "policy.zip")],
        env={
            **os.environ,
            "PYTHONHASHSEED": str(hash(str(tmp_path)) % 1000),
            "OMP_NUM_THREADS": "1",
        },
        capture_output=True,
        check=True,
    ).stdout
    assert exported == policy_to_onnx(model)


def test_the_export_refuses_data_a_seed_or_a_held_out_share_the_models_did_not_train_with(
    tmp_path: Path,
) -> None:
    """Notebook 06 on its own takes any data_dir, seed and test_size: with other data the
    manifest named it as what the models learned from, and the API served its tutors."""
    from aura.export.supervised import check_trained_on
    from aura.sim.io import FILES
    from aura.supervised.training import data_sha256

    for name in ("learners", "tutors", "sessions"):
        (tmp_path / FILES[name]).write_text(f"{name}\n")
    metrics = tmp_path / "models" / "supervised" / "metrics.json"
    report = {"data_sha256": data_sha256(tmp_path), "seed": 1, "test_size": 0.2}
    check_trained_on(report, metrics, tmp_path, 1, 0.2)  # the training's own: exported
    check_trained_on({}, metrics, tmp_path, 7, 0.5)  # a metrics.json from before: not checked
    with pytest.raises(ValueError, match=r"seed is 2 but .* trained with 1"):
        check_trained_on(report, metrics, tmp_path, 2, 0.2)
    with pytest.raises(ValueError, match=r"test_size is 0.35 but .* trained with 0.2"):
        check_trained_on(report, metrics, tmp_path, 1, 0.35)
    (tmp_path / FILES["learners"]).write_text("other learners\n")
    with pytest.raises(ValueError, match=r"the tables \['learners'\] in .* are not those"):
        check_trained_on(report, metrics, tmp_path, 1, 0.2)


def test_a_policy_the_export_does_not_know_is_refused_by_name() -> None:
    """docs/extending.md, an RL algorithm: QR-DQN's policy has a quantile network, neither a
    q_net nor an actor; its export stopped in torch's AttributeError."""
    from sb3_contrib import QRDQN

    model = QRDQN("MlpPolicy", Bandit(6, 3), seed=SEED, device="cpu")
    with pytest.raises(TypeError, match="QRDQNPolicy cannot be exported to ONNX.*_actor in aura"):
        policy_to_onnx(model)


def test_the_export_leaves_onnxruntime_telemetry_off(tmp_path) -> None:
    """onnxruntime's Linux wheels write a device id and an event store under the home folder for
    upload to Microsoft unless ORT_DISABLE_TELEMETRY is set before they load: the export and the
    supervised conversion checks load onnxruntime without the service, and did so at every run."""
    code = "import aura.export.onnx_forest\nimport onnxruntime\n"
    assert written_under_a_fresh_home(code, tmp_path) == []


def test_a_policy_s_parity_counts_by_row_what_another_policy_s_export_does() -> None:
    """The ONNX of one untrained policy checked against another: the largest difference is that
    of the two policies' own probabilities at the worst row (ONNX keeps the exported one's to
    float32), and a disagreement is decided where the checked policy's best action leads its
    second by more than `ACTION_TIE`: counted here row by row, from each row's own sorted
    probabilities."""
    import onnxruntime as ort
    import torch
    from stable_baselines3 import PPO

    from aura.export.onnx_policy import ACTION_TIE, INPUT_NAME

    torch.set_num_threads(1)

    def ppo(seed: int):
        return PPO("MlpPolicy", Bandit(6, 3), n_steps=64, batch_size=32, seed=seed, device="cpu")

    model, other = ppo(SEED), ppo(SEED + 1)
    observations = np.random.default_rng(SEED).random((500, 6)).astype(np.float32)
    onnx_bytes = policy_to_onnx(other)
    parity = policy_parity(model, onnx_bytes, observations)

    def probabilities(policy) -> np.ndarray:
        with torch.no_grad():
            dist = policy.policy.get_distribution(torch.as_tensor(observations))
            return dist.distribution.probs.numpy()

    native, exported = probabilities(model), probabilities(other)
    assert parity["max_abs_diff"] == pytest.approx(np.abs(exported - native).max(), abs=1e-5)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    onnx_actions = session.run(None, {INPUT_NAME: observations})[1].argmax(axis=1)
    decided = 0
    for row, onnx_action in zip(native, onnx_actions, strict=True):
        second, best = sorted(row)[-2:]
        if onnx_action != row.argmax() and best - second > ACTION_TIE * max(1.0, best):
            decided += 1
    assert 0 < decided == parity["decided_disagreements"]


@pytest.mark.parametrize(("size", "decided"), [(100.0, 0), (0.5, 200)])
def test_q_values_apart_by_less_than_their_size_s_float32_rounding_are_a_tie(
    size: float, decided: int
) -> None:
    """Two DQN policies whose Q-values are constant, best and second best 0.0005 apart in
    either order: every row's action differs. At Q-values of 100 the gap is 5e-6 of their
    size, within `ACTION_TIE` of it, a tie that float32 may settle either way; at 0.5 the
    same gap decides every row."""
    import torch
    from stable_baselines3 import DQN

    torch.set_num_threads(1)
    model, other = (
        DQN("MlpPolicy", Bandit(6, 3), seed=seed, device="cpu") for seed in (SEED, SEED + 1)
    )
    for dqn, q in ((model, (size, size + 5e-4, 0.0)), (other, (size + 5e-4, size, 0.0))):
        last = dqn.policy.q_net.q_net[-1]
        with torch.no_grad():
            last.weight.zero_()
            last.bias.copy_(torch.tensor(q))
    observations = np.random.default_rng(SEED).random((200, 6))
    parity = policy_parity(model, policy_to_onnx(other), observations)
    assert parity["action_agreement"] == 0.0
    assert parity["decided_disagreements"] == decided


def test_a_policy_that_agrees_on_exactly_the_required_share_is_exported(
    monkeypatch, tmp_path: Path
) -> None:
    """The parity check asks for the same action on at least 99.9% of rows (the parity table
    says ">="): 9,990 of 10,000 is enough."""
    import torch
    from stable_baselines3 import PPO

    from aura.export import exporter

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", Bandit(6, 3), n_steps=64, batch_size=32, seed=SEED, device="cpu")
    parity = {"rows": 10_000.0, "action_agreement": 9_990 / 10_000, "decided_disagreements": 0.0}
    monkeypatch.setattr(exporter, "policy_parity", lambda *a: dict(parity, max_abs_diff=0.0))
    entry = exporter._policy_entry(policy_spec(model), tmp_path)
    assert entry.parity["action_agreement"] == entry.parity["episode_action_agreement"] == 0.999


def test_a_classifier_s_parity_is_its_largest_difference_in_any_class(tables) -> None:
    """The ONNX of another difficulty forest checked against this one: the largest difference is
    that of the two forests' own class probabilities at the worst row and class (ONNX keeps the
    exported one's to float32), and the labels agree where their likeliest classes do."""
    model, X = fitted("difficulty", tables)
    other, _ = fitted("difficulty", tables, n_trees=3)
    parity = forest_parity(model, onnx_of(other), X)
    native, exported = model.predict_proba(X), other.predict_proba(X)
    assert parity["max_abs_diff"] == pytest.approx(np.abs(exported - native).max(), abs=1e-5)
    agree = np.mean(native.argmax(axis=1) == exported.argmax(axis=1))
    assert parity["label_agreement"] == pytest.approx(agree, abs=2 / len(X))


def test_a_regressor_s_parity_is_its_largest_difference_on_any_row(tables) -> None:
    """The ONNX of another compatibility forest checked against this one: the largest of the
    two forests' own differences over the rows (ONNX keeps the exported one's to float32)."""
    model, X = fitted("compatibility", tables)
    other, _ = fitted("compatibility", tables, n_trees=3)
    parity = forest_parity(model, onnx_of(other), X)
    difference = np.abs(other.predict(X) - model.predict(X))
    assert parity["max_abs_diff"] == pytest.approx(difference.max(), abs=1e-5)
    assert difference.max() > 2 * difference.mean()  # the largest, not a typical one


@pytest.mark.parametrize(("times", "refused"), [(1.0, False), (2.0, True), (20.0, True)])
def test_a_forest_is_refused_beyond_the_tolerance_and_not_at_it(
    tables, tmp_path: Path, monkeypatch, times: float, refused: bool
) -> None:
    """The parity table says "max |ONNX - sklearn| <= 1e-4": a difference of the tolerance
    itself passes, twice it is refused, whatever the ONNX."""
    from aura.export import exporter

    difference = times * exporter.FOREST_TOLERANCE
    monkeypatch.setattr(
        exporter, "forest_parity", lambda *a: {"rows": 10.0, "max_abs_diff": difference}
    )
    spec = compatibility_export(tables)
    if refused:
        with pytest.raises(ExportError, match="ONNX differs from scikit-learn") as refusal:
            _forest_entry(spec, tmp_path)
        # the limit is written as the reports write it, not as 0.0001
        assert f"{difference:.2e} (allowed 1e-4) on " in str(refusal.value)
    else:
        assert _forest_entry(spec, tmp_path).parity["max_abs_diff"] == difference


def test_the_parity_table_passes_a_model_only_where_every_recorded_check_holds() -> None:
    """Notebook 06's "passed" column: a policy passes where the random and the episode rows
    both agree on at least 99.9% and neither has a decided disagreement; a forest where its
    largest difference is at most the tolerance, 1e-4 itself included."""
    from types import SimpleNamespace

    from aura.export.report import parity_table

    agreeing = {
        "rows": 10_000.0,
        "action_agreement": 1.0,
        "decided_disagreements": 0.0,
        "episode_rows": 2_000.0,
        "episode_action_agreement": 1.0,
        "episode_decided_disagreements": 0.0,
    }
    policies = {
        "agrees": agreeing,
        "decided on an episode row": {**agreeing, "episode_decided_disagreements": 1.0},
        "decided on a random row": {**agreeing, "decided_disagreements": 1.0},
        "episode agreement 99%": {**agreeing, "episode_action_agreement": 0.99},
    }
    forests = {"at the tolerance": 1e-4, "twice the tolerance": 2e-4}

    def entry(kind: str, parity: dict) -> SimpleNamespace:
        outputs = [SimpleNamespace(name="probabilities")]
        return SimpleNamespace(
            kind=kind, parity=parity, inputs=["x"], outputs=outputs, class_labels=None
        )

    models = {name: entry("policy", p) for name, p in policies.items()}
    models |= {name: entry("regressor", {"max_abs_diff": d}) for name, d in forests.items()}
    passed = parity_table(SimpleNamespace(models=models)).set_index("model")["passed"].to_dict()
    assert passed == {
        "agrees": True,
        "decided on an episode row": False,
        "decided on a random row": False,
        "episode agreement 99%": False,
        "at the tolerance": True,
        "twice the tolerance": False,
    }
