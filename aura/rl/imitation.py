"""A run's policy taught the difficulty filter's moves before it trains.

PPO on difficulty adaptation ends near 0.82 of the way from random to the oracle, while a
memoryless clone of the model-based filter on the same six features reaches 0.86 (notebook 02).
Is PPO held back by where it starts, a random policy that must find good moves by trying them, or
does its own update, fed by realised rewards, not hold a better policy once it has one? A run with
``imitation`` (`aura.rl.config.run.ImitationConfig`; the ``filter_start`` probe of
`aura.rl.probes`) answers it: its policy network first learns the filter's moves by DAgger
(`aura.envs.ceilings.filter_dagger`) and cross-entropy, and only then trains as the grid's run.
The policy it starts from is saved (``start_model.zip``, `aura.rl.train`), so the start and the
end are scored on the same held-out episodes.

Only the actor learns the moves. The critic starts untrained, as in the grid's runs, unless
``critic_episodes`` asks for it to be fitted to the discounted returns of the taught policy's own
episodes (:func:`fit_critic`, the ``filter_start_4_blocks_critic`` probe): an untrained critic
makes the first advantages noise, and the first updates move a good start on that noise. On a
window of the last blocks (`aura.envs.ceilings.window_env`, the ``filter_start_4_blocks`` probe)
the states are the window's, so the start can carry the memory a clone needs to reach 0.90.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from aura.envs.ceilings import filter_dagger
from aura.rl.config.run import RunConfig

IMITATION_SEED_KEY = 5
"""Mixed with the run's seed to draw the seed of its DAgger episodes (`imitation_seed`)."""
LEARNING_RATE = 1e-3
BATCH_SIZE = 256


def imitation_seed(run: RunConfig) -> int:
    """The seed of a run's DAgger episodes and clones: 32 bits drawn from (run seed, key). The
    grid's seeds are consecutive integers, so an offset added to them would give two seeds
    almost the same episodes; the classifier takes seeds below 2**32."""
    return int(np.random.SeedSequence([run.seed, IMITATION_SEED_KEY]).generate_state(1)[0])


def agreement(policy: Any, observations: Any, labels: Any) -> float:
    """Share of the states where the policy's most likely move is the filter's."""
    import torch

    with torch.no_grad():
        moves = policy.get_distribution(observations).mode()
    return float((moves == labels).float().mean())


def teach_filter(model: Any, run: RunConfig) -> dict[str, Any]:
    """Teach ``model``'s policy (an SB3 actor-critic of ``run``, before training) the filter's
    moves on the states of ``run.imitation``'s DAgger rounds; returns what was done."""
    import torch

    imitation = run.imitation
    if imitation is None:
        raise ValueError("run has no imitation to teach")
    seed = imitation_seed(run)
    observations, labels, _ = filter_dagger(
        imitation.rounds, imitation.episodes, seed, fit_last=False, **run.env.kwargs
    )
    policy = model.policy
    x = torch.as_tensor(observations, dtype=torch.float32)
    y = torch.as_tensor(labels, dtype=torch.int64)
    before = agreement(policy, x, y)
    optimizer = torch.optim.Adam(policy.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(imitation.epochs):
        for batch in torch.randperm(len(y), generator=generator).split(BATCH_SIZE):
            loss = -policy.get_distribution(x[batch]).log_prob(y[batch]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    taught = {
        "states": len(y),
        "constant_agreement": float(np.bincount(labels).max() / len(labels)),
        "agreement_before": before,
        "agreement": agreement(policy, x, y),
        "seed": seed,
    }
    if imitation.critic_episodes:
        taught["critic"] = fit_critic(model, run, seed)
    return taught


@dataclass(frozen=True)
class PolicyReturns:
    """The states of a policy's episodes and what follows each: the discounted rewards to the
    episode's end, and for a truncated episode the discount to its last state and that state, whose
    value training adds (SB3 bootstraps a truncation; a quit is a true end)."""

    observations: np.ndarray
    to_go: np.ndarray
    tail_discount: np.ndarray
    """gamma ** (steps to the end) where the episode was truncated, 0 where it terminated."""
    tail: np.ndarray
    """Per state, the index of its episode's last state in ``last_observations``."""
    last_observations: np.ndarray


def policy_returns(model: Any, run: RunConfig, episodes: int, seed: int) -> PolicyReturns:
    """``episodes`` episodes of ``model``'s policy on the run's training environment, its moves
    sampled as training samples them, by a generator of their own seeded ``seed`` (not torch's
    global one, whose state depends on what ran before)."""
    import torch

    from aura.rl.train import make_vec_env

    gamma = run.hyperparams.gamma
    env = make_vec_env(run.env, run.hyperparams.n_envs, seed)
    generator = torch.Generator().manual_seed(seed)
    obs = env.reset()
    running: list[list[tuple[np.ndarray, float]]] = [[] for _ in range(env.num_envs)]
    states, to_go, discounts, tails, last = [], [], [], [], []
    while len(last) < episodes:
        with torch.no_grad():
            moves = model.policy.get_distribution(model.policy.obs_to_tensor(obs)[0])
        actions = torch.multinomial(moves.distribution.probs, 1, generator=generator)[:, 0].numpy()
        next_obs, rewards, dones, infos = env.step(actions)
        for i, done in enumerate(dones):
            running[i].append((obs[i], float(rewards[i])))
            if not done:
                continue
            if len(last) < episodes:
                truncated = infos[i].get("TimeLimit.truncated", False)
                rewards_to_go, discount = 0.0, 1.0
                for state, reward in reversed(running[i]):
                    rewards_to_go = reward + gamma * rewards_to_go
                    discount *= gamma
                    states.append(state)
                    to_go.append(rewards_to_go)
                    discounts.append(discount if truncated else 0.0)
                    tails.append(len(last))
                last.append(infos[i]["terminal_observation"])
            running[i] = []
        obs = next_obs
    env.close()
    return PolicyReturns(
        np.asarray(states, dtype=np.float32),
        np.asarray(to_go, dtype=np.float32),
        np.asarray(discounts, dtype=np.float32),
        np.asarray(tails, dtype=np.int64),
        np.asarray(last, dtype=np.float32),
    )


def fit_critic(model: Any, run: RunConfig, seed: int) -> dict[str, float | int]:
    """Fit ``model``'s critic (its value layers only) by mean squared error to the returns of the
    taught policy's episodes (:func:`policy_returns`): the discounted rewards to the end plus, for
    a truncated episode, the discounted value of its last state by the critic as it stands at
    each pass, the target training itself will set. Returns what was done, with the share of the
    targets' variance the critic explains before and after."""
    import torch
    from stable_baselines3.common.utils import explained_variance

    assert run.imitation is not None
    found = policy_returns(model, run, run.imitation.critic_episodes, seed)
    policy = model.policy
    x, last = torch.as_tensor(found.observations), torch.as_tensor(found.last_observations)
    to_go, discount = torch.as_tensor(found.to_go), torch.as_tensor(found.tail_discount)
    tail = torch.as_tensor(found.tail)

    def targets() -> torch.Tensor:
        with torch.no_grad():
            return to_go + discount * policy.predict_values(last).flatten()[tail]

    def explained() -> float:
        with torch.no_grad():
            return float(
                explained_variance(policy.predict_values(x).flatten().numpy(), targets().numpy())
            )

    before = explained()
    value_layers = [*policy.mlp_extractor.value_net.parameters(), *policy.value_net.parameters()]
    optimizer = torch.optim.Adam(value_layers, lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(run.imitation.epochs):
        y = targets()
        for batch in torch.randperm(len(y), generator=generator).split(BATCH_SIZE):
            loss = torch.nn.functional.mse_loss(policy.predict_values(x[batch]).flatten(), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return {
        "episodes": run.imitation.critic_episodes,
        "states": len(x),
        "explained_variance_before": before,
        "explained_variance": explained(),
    }
