"""Stable-Baselines3 actor-critic policies to ONNX: observation in, action logits and
probabilities out.

Only the actor is exported (features extractor, the policy half of the MLP extractor and the
action head); the value head is a training device the service never needs. The parity check
compares the ONNX argmax with ``policy.predict(deterministic=True)``, and counts apart the rows
where the policy's choice is too close for float32 to settle (`ACTION_TIE`).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np

INPUT_NAME = "observation"
OUTPUT_NAMES = ("logits", "probabilities")
OPSET = 17
ACTION_TIE = 1e-5
"""A policy's top two action probabilities (Q-values: relative to the larger's size) closer than
this are a tie that float32 rounding may settle either way: ONNX and torch differ by about 1e-7
on them (`max_abs_diff`), so a row decided by more than this must get the same action."""


def _actor(policy: Any) -> Any:
    """nn.Module mapping observations to (logits, softmax probabilities).

    Actor-critic policies (PPO, A2C) give their action logits; a DQN policy gives its Q-values,
    whose argmax is its action (their softmax is then a ranking, not a probability of acting).
    Another policy (sb3-contrib's QR-DQN has a ``quantile_net``) is refused by name: it failed
    in torch's AttributeError on ``pi_features_extractor``, which named none of this.
    """
    import torch
    from torch import nn

    actor_critic = ("pi_features_extractor", "mlp_extractor", "action_net")
    if not hasattr(policy, "q_net") and not all(hasattr(policy, a) for a in actor_critic):
        raise TypeError(
            f"{type(policy).__name__} cannot be exported to ONNX: the export knows DQN's q_net "
            f"and the actor-critic policies of PPO and A2C ({', '.join(actor_critic)}); add "
            "its network to _actor in aura/export/onnx_policy.py"
        )

    class Actor(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if hasattr(policy, "q_net"):
                self.net = policy.q_net
            else:
                self.net = nn.Sequential(
                    policy.pi_features_extractor,
                    policy.mlp_extractor.policy_net,
                    policy.action_net,
                )

        def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            logits = self.net(obs)
            return logits, torch.softmax(logits, dim=-1)

    return Actor().eval()


def policy_to_onnx(model: Any) -> bytes:
    """Serialised ONNX of an SB3 model's (PPO/A2C) actor with a dynamic batch axis."""
    import torch

    policy = model.policy
    n_obs = int(np.prod(policy.observation_space.shape))
    dummy = torch.zeros((1, n_obs), dtype=torch.float32)
    buffer = io.BytesIO()
    # The TorchScript exporter (dynamo=False) is deprecated but exports this small MLP exactly;
    # its deprecation notice is not news to a reader of the export log.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            _actor(policy),
            (dummy,),
            buffer,
            input_names=[INPUT_NAME],
            output_names=list(OUTPUT_NAMES),
            dynamic_axes={name: {0: "batch"} for name in (INPUT_NAME, *OUTPUT_NAMES)},
            opset_version=OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def policy_parity(model: Any, onnx_bytes: bytes, observations: np.ndarray) -> dict[str, float]:
    """Share of observations where ONNX and SB3 pick the same action, the largest difference in
    what decides it (the action probabilities of an actor-critic policy, the Q-values of a DQN
    one), and how many rows decided by more than `ACTION_TIE` get another action. All are
    recorded for every policy: a DQN policy's parity had no difference, and `aura export`
    stopped on it in a KeyError once the folder was written."""
    import onnxruntime as ort
    import torch

    obs = observations.astype(np.float32)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    logits, probs = session.run(None, {INPUT_NAME: obs})
    actions, _ = model.predict(obs, deterministic=True)
    with torch.no_grad():
        if hasattr(model.policy, "q_net"):
            onnx, native = logits, model.policy.q_net(torch.as_tensor(obs)).cpu().numpy()
        else:
            dist = model.policy.get_distribution(torch.as_tensor(obs))
            onnx, native = probs, dist.distribution.probs.cpu().numpy()
    top_two = np.sort(native, axis=1)[:, -2:]
    decided = top_two[:, 1] - top_two[:, 0] > ACTION_TIE * np.maximum(1.0, np.abs(top_two[:, 1]))
    same = probs.argmax(1) == np.asarray(actions)
    return {
        "rows": float(len(obs)),
        "action_agreement": float(np.mean(same)),
        "max_abs_diff": float(np.max(np.abs(onnx - native))),
        "decided_disagreements": float(np.sum(decided & ~same)),
    }
