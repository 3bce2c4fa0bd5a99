"""The numbers imitation reports and fits to, on scripted episodes and a critic whose values are
known: the agreement with the filter, each state's discounted rewards to go and its truncated
episode's discount, and the critic's explained variance of those targets, worked by hand."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from aura.rl import imitation
from aura.rl.imitation import PolicyReturns, agreement, fit_critic, policy_returns

GAMMA = 0.5


class ArgmaxPolicy:
    """A policy whose most likely move is the observation's largest entry."""

    def get_distribution(self, observations: torch.Tensor) -> Any:
        return SimpleNamespace(mode=lambda: observations.argmax(dim=1))


def test_agreement_is_the_share_of_states_where_the_policys_move_is_the_filters() -> None:
    observations = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
    labels = torch.tensor([0, 1, 1, 2, 0])
    assert agreement(ArgmaxPolicy(), observations, labels) == pytest.approx(3 / 5)  # states 0, 1, 4


class ScriptedEnv:
    """A one-environment VecEnv: a state is the step's number. Episode 0 pays 1, 2, 3 and ends
    (a quit); episode 1 pays 4, 8 and is cut by the time limit. As SB3's VecEnv, a finished
    episode's last observation comes in its info and the next episode's first as the obs."""

    num_envs = 1
    EPISODES = [([1.0, 2.0, 3.0], False), ([4.0, 8.0], True)]

    def __init__(self) -> None:
        self.step_no, self.episode, self.t = 0, 0, 0

    def reset(self) -> np.ndarray:
        return np.array([[0.0]], dtype=np.float32)

    def step(self, actions: np.ndarray) -> tuple:
        rewards, truncated = self.EPISODES[self.episode % 2]
        reward = rewards[self.t]
        self.step_no += 1
        self.t += 1
        obs = np.array([[float(self.step_no)]], dtype=np.float32)
        done = self.t == len(rewards)
        info: dict[str, Any] = {}
        if done:
            info = {"terminal_observation": obs[0] + 100, "TimeLimit.truncated": truncated}
            self.episode, self.t = self.episode + 1, 0
        return obs, np.array([reward]), np.array([done]), [info]

    def close(self) -> None:
        pass


def test_rewards_to_go_are_discounted_backwards_and_a_truncation_keeps_its_tail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aura.rl.train

    monkeypatch.setattr(aura.rl.train, "make_vec_env", lambda env, n, seed: ScriptedEnv())
    uniform = SimpleNamespace(distribution=SimpleNamespace(probs=torch.tensor([[0.5, 0.5]])))
    policy = SimpleNamespace(
        obs_to_tensor=lambda obs: (torch.as_tensor(obs),), get_distribution=lambda x: uniform
    )
    run = SimpleNamespace(hyperparams=SimpleNamespace(gamma=GAMMA, n_envs=1), env=None)
    found = policy_returns(SimpleNamespace(policy=policy), run, episodes=2, seed=0)

    # each episode's states, last first: 3 | 2 + 3/2 | 1 + 3.5/2, then 8 | 4 + 8/2
    assert found.observations[:, 0].tolist() == [2.0, 1.0, 0.0, 4.0, 3.0]
    assert found.to_go.tolist() == pytest.approx([3.0, 3.5, 2.75, 8.0, 8.0])
    assert found.tail_discount.tolist() == pytest.approx([0, 0, 0, GAMMA, GAMMA**2])
    assert found.tail.tolist() == [0, 0, 0, 1, 1]
    assert found.last_observations[:, 0].tolist() == [103.0, 105.0]


class LinearCritic(torch.nn.Module):
    """A critic of two linear layers, as SB3's value path (its extractor's then its head);
    identities to start, so the value of a state is its first entry."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp_extractor = torch.nn.Module()
        self.mlp_extractor.value_net = torch.nn.Linear(1, 1)
        self.value_net = torch.nn.Linear(1, 1)
        for layer in (self.mlp_extractor.value_net, self.value_net):
            torch.nn.init.ones_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def predict_values(self, x: torch.Tensor) -> torch.Tensor:
        return self.value_net(self.mlp_extractor.value_net(x))


FOUND = PolicyReturns(
    observations=np.array([[1.0], [2.0], [3.0], [4.0]], dtype=np.float32),
    to_go=np.array([2.0, 1.0, 5.0, 3.0], dtype=np.float32),
    tail_discount=np.array([0.0, 0.0, 0.5, 0.25], dtype=np.float32),
    tail=np.array([0, 0, 1, 1]),
    last_observations=np.array([[10.0], [20.0]], dtype=np.float32),
)


def fitted(monkeypatch: pytest.MonkeyPatch, epochs: int) -> tuple[dict, LinearCritic]:
    monkeypatch.setattr(imitation, "policy_returns", lambda *args: FOUND)
    critic = LinearCritic()
    run = SimpleNamespace(imitation=SimpleNamespace(critic_episodes=2, epochs=epochs))
    return fit_critic(SimpleNamespace(policy=critic), run, seed=0), critic


def test_the_critics_targets_add_a_truncated_episodes_discounted_last_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last two states are of episode 1, truncated, whose last state is worth 20. Targets:
    2, 1, 5 + 0.5 x 20, 3 + 0.25 x 20 = 2, 1, 15, 8 against values 1, 2, 3, 4; the residuals
    1, -1, 12, 4. Explained variance 1 - var(residuals) / var(targets) = 1 - 24.5 / 31.25."""
    done, _ = fitted(monkeypatch, epochs=0)
    expected = 1 - 24.5 / 31.25
    assert done["explained_variance_before"] == pytest.approx(expected, rel=1e-6)
    assert done["explained_variance"] == pytest.approx(expected, rel=1e-6)
    assert (done["episodes"], done["states"]) == (2, 4)


def test_fitting_the_critic_moves_both_of_its_value_layers(monkeypatch) -> None:
    done, critic = fitted(monkeypatch, epochs=1)
    for layer in (critic.mlp_extractor.value_net, critic.value_net):
        assert layer.weight.item() != 1.0 and layer.bias.item() != 0.0
    assert done["explained_variance"] > done["explained_variance_before"]
