"""Evaluate any policy on either environment over seeded episodes, and tabulate baselines.

Episode i starts with `reset(seed=seed + i)`, so every policy evaluated with the same seed meets
the same learners and the same random draws (common random numbers): differences between policies
are not luck of the draw.

A memoryless policy whose actions depend on the observation alone may offer
`act_batch(observations) -> actions`; its episodes are then stepped in lockstep, and each step asks
it once for every episode still running. Every episode still has its own environment, seeded as
above, so the returns are those of one episode at a time; only the policy's calls are batched
(a fitted model answers a batch of rows for about the price of one).

Definitions reported by `EvalResult`:

- return: sum of rewards of an episode; mean and standard deviation over episodes;
- success rate: share of episodes the environment marks `episode_success` at their end
  (tutor matching: mean session reward >= its success_threshold; difficulty: the learner stayed
  and mean block success was within the flow band around 84%);
- consistency: 1 - coefficient of variation of the returns, std / |mean|, floored at 0
  (1 means every episode returned the same);
- summary: the mean over episodes of each number the environment reports at the episode's end
  (e.g. difficulty's mean_success_rate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import pandas as pd

from aura.reports.tables import fixed

EnvSpec = str | Callable[[], gym.Env]
"""A registered id (made with `gymnasium.make(id, **env_kwargs)`) or a factory."""


@dataclass(frozen=True)
class EvalResult:
    """Summary of a policy's episodes (see the module docstring for the definitions)."""

    mean_return: float
    std_return: float
    mean_length: float
    success_rate: float
    consistency: float
    n_episodes: int
    returns: tuple[float, ...] = field(repr=False)
    summary: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, float]:
        """Flat record for a results table (without the per-episode returns)."""
        record = {k: v for k, v in asdict(self).items() if k not in ("returns", "summary")}
        return {**record, **self.summary}


def as_action_fn(policy: Any) -> tuple[Callable[[np.ndarray, gym.Env], Any], Callable[[], None]]:
    """(act(obs, env), reset()) for a baseline object, an SB3 model or a plain callable. The
    action goes to the environment as the policy gave it, for the environment to check: cast
    with ``int()`` here, a policy answering 1.7 was scored as if it had answered 1."""
    if hasattr(policy, "act") and hasattr(policy, "reset"):
        return policy.act, policy.reset
    if hasattr(policy, "predict"):

        def predict(obs: np.ndarray, env: gym.Env) -> Any:
            action, _ = policy.predict(obs, deterministic=True)
            return action

        return predict, lambda: None
    if callable(policy):
        return (lambda obs, env: policy(obs)), lambda: None
    raise TypeError(
        f"policy must have act(obs, env) and reset(), or predict(obs), or be callable; "
        f"got {type(policy).__name__}"
    )


def make_env(env: EnvSpec, env_kwargs: Mapping[str, Any] | None = None) -> gym.Env:
    """Build the environment from an id or a factory."""
    if isinstance(env, str):
        return gym.make(env, **dict(env_kwargs or {}))
    if env_kwargs:
        raise ValueError("env_kwargs apply to a registered id; pass them to your factory instead")
    return env()


Episode = tuple[float, int, dict[str, Any]]
"""(return, length, the info of the last step) of one finished episode."""

LOCKSTEP_EPISODES = 256
"""Episodes stepped together by `act_batch` policies (bounds the environments alive at once)."""


def _one_at_a_time(instance: gym.Env, policy: Any, seeds: range) -> list[Episode]:
    act, reset_policy = as_action_fn(policy)
    episodes = []
    for seed in seeds:
        obs, _ = instance.reset(seed=seed)
        reset_policy()
        total, steps, done = 0.0, 0, False
        info: dict[str, Any] = {}
        while not done:
            obs, reward, terminated, truncated, info = instance.step(act(obs, instance))
            total += float(reward)
            steps += 1
            done = terminated or truncated
        episodes.append((total, steps, info))
    return episodes


def _in_lockstep(instances: list[gym.Env], policy: Any, seeds: range) -> list[Episode]:
    observations = [env.reset(seed=seed)[0] for env, seed in zip(instances, seeds, strict=True)]
    totals, lengths = [0.0] * len(instances), [0] * len(instances)
    finals: list[dict[str, Any]] = [{} for _ in instances]
    running = list(range(len(instances)))
    while running:
        actions = policy.act_batch(np.stack([observations[i] for i in running]))
        still = []
        for i, action in zip(running, actions, strict=True):
            obs, reward, terminated, truncated, info = instances[i].step(action)
            observations[i] = obs
            totals[i] += float(reward)
            lengths[i] += 1
            if terminated or truncated:
                finals[i] = info
            else:
                still.append(i)
        running = still
    return list(zip(totals, lengths, finals, strict=True))


def evaluate_policy(
    env: EnvSpec,
    policy: Any,
    n_episodes: int,
    seed: int,
    env_kwargs: Mapping[str, Any] | None = None,
) -> EvalResult:
    """Run `n_episodes` seeded episodes of `policy` and summarise them (in lockstep if the
    policy has `act_batch`, see the module docstring)."""
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes}")
    episodes: list[Episode] = []
    if hasattr(policy, "act_batch"):
        for first in range(0, n_episodes, LOCKSTEP_EPISODES):
            seeds = range(seed + first, seed + min(n_episodes, first + LOCKSTEP_EPISODES))
            instances = [make_env(env, env_kwargs) for _ in seeds]
            try:
                episodes += _in_lockstep(instances, policy, seeds)
            finally:
                for instance in instances:
                    instance.close()
    else:
        instance = make_env(env, env_kwargs)
        try:
            episodes = _one_at_a_time(instance, policy, range(seed, seed + n_episodes))
        finally:
            instance.close()
    returns = np.array([total for total, _, _ in episodes])
    lengths = np.array([steps for _, steps, _ in episodes], dtype=float)
    successes = np.array([float(info.get("episode_success", False)) for _, _, info in episodes])
    summaries = [
        {
            k: float(v)
            for k, v in info.items()
            if k.startswith("mean_") and isinstance(v, int | float)
        }
        for _, _, info in episodes
    ]
    mean, std = float(returns.mean()), float(returns.std())
    summary = pd.DataFrame(summaries).mean().to_dict() if summaries else {}
    return EvalResult(
        mean_return=mean,
        std_return=std,
        mean_length=float(lengths.mean()),
        success_rate=float(successes.mean()),
        consistency=max(0.0, 1.0 - std / abs(mean)) if mean else 0.0,
        n_episodes=n_episodes,
        returns=tuple(returns.tolist()),
        summary={k: float(v) for k, v in summary.items()},
    )


def require_scale(random: float, oracle: float) -> None:
    """Refuse an oracle that does not beat random: it leaves no scale to score on (and would
    flip a score's sign), so no normalised score is divided by it."""
    if not oracle > random:
        raise ValueError(f"oracle return {oracle} must exceed random return {random}")


def normalised_score(value: float | np.ndarray, random: float, oracle: float) -> float | np.ndarray:
    """(R - R_random) / (R_oracle - R_random): 0 is random, 1 is the oracle (`require_scale`)."""
    require_scale(random, oracle)
    return (value - random) / (oracle - random)


def baseline_table(
    env: EnvSpec,
    policies: Mapping[str, Any],
    n_episodes: int,
    seed: int,
    env_kwargs: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per policy with `EvalResult` fields and the normalised score (needs 'random'
    and 'oracle' among the policies)."""
    return evaluation_table(
        {
            name: evaluate_policy(env, policy, n_episodes, seed, env_kwargs)
            for name, policy in policies.items()
        }
    )


def evaluation_table(results: Mapping[str, EvalResult]) -> pd.DataFrame:
    """`baseline_table` of results already evaluated (for a caller that keeps their returns)."""
    table = pd.DataFrame.from_dict({n: r.row() for n, r in results.items()}, orient="index")
    table.index.name = "policy"
    low, high = table.loc["random", "mean_return"], table.loc["oracle", "mean_return"]
    table["normalised_score"] = [normalised_score(v, low, high) for v in table["mean_return"]]
    return table


MEASURE_HEADERS = {
    "mean_return": "mean return",
    "std_return": "sd of returns",
    "mean_length": "mean episode length",
    "success_rate": "success rate",
    "consistency": "consistency",
    "mean_success_rate": "mean block success",
    "normalised_score": "normalised score",
}
"""Each measure of `EvalResult`, a `baseline_table` or an episode analysis as a report names
it, where the code names it ``std_return`` or ``normalised_score``."""


def baseline_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A `baseline_table`, or a selection of its columns, as notebook 02 shows it: the policy
    (the table's index) in a column of its own, each measure under its header in words
    (`MEASURE_HEADERS`) and to ``digits`` decimals in fixed point. A column of another name
    keeps it."""
    rows = [[str(policy), *(fixed(value, digits) for value in r)] for policy, r in table.iterrows()]
    columns = ["policy", *(MEASURE_HEADERS.get(c, c) for c in table.columns)]
    return pd.DataFrame(rows, columns=columns)


def clone_rounds_report_table(by_round: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Notebook 02's DAgger clones round by round (indexed by the blocks each clone sees and the
    round, with its labelled states and measures) as the report shows it: the index as two
    columns of their own, the labelled states as a count with thousands separators and each
    measure under its header in words (`MEASURE_HEADERS`) to ``digits`` decimals, where it
    printed the code's ``normalised_score`` and a bare "37291"."""
    rows = [
        [
            f"{window:,}",
            f"{round_:,}",
            f"{int(r['labelled states']):,}",
            *(fixed(value, digits) for value in r.drop("labelled states")),
        ]
        for (window, round_), r in by_round.iterrows()
    ]
    measures = [MEASURE_HEADERS.get(c, c) for c in by_round.columns if c != "labelled states"]
    return pd.DataFrame(rows, columns=["blocks seen", "round", "labelled states", *measures])
