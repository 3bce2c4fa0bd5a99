"""A run's policy taught the difficulty filter's moves before it trains.

PPO on difficulty adaptation ends near 0.82 of the way from random to the oracle, while a
memoryless clone of the model-based filter on the same six features reaches 0.86 (notebook 02).
Is PPO held back by where it starts, a random policy that must find good moves by trying them, or
does its own update, fed by realised rewards, not hold a better policy once it has one? A run with
``imitation`` (`aura.rl.config.ImitationConfig`; the ``filter_start`` probe of `aura.rl.probes`)
answers it: its policy network first learns the filter's moves by DAgger
(`aura.envs.ceilings.filter_dagger`) and cross-entropy, and only then trains as the grid's run.
The policy it starts from is saved (``start_model.zip``, `aura.rl.train`), so the start and the
end are scored on the same held-out episodes.

Only the actor learns the moves; the critic starts untrained, as in the grid's runs. On a window of
the last blocks (`aura.envs.ceilings.window_env`, the ``filter_start_4_blocks`` probe) the states
are the window's, so the start can carry the memory a clone needs to reach 0.90.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aura.envs.ceilings import filter_dagger
from aura.rl.config import RunConfig

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
    return {
        "states": len(y),
        "constant_agreement": float(np.bincount(labels).max() / len(labels)),
        "agreement_before": before,
        "agreement": agreement(policy, x, y),
        "seed": seed,
    }
