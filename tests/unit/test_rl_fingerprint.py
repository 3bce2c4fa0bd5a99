"""The grid's fingerprint (`aura.rl.fingerprint.fingerprint`) tells two grids apart by one bit of
one held-out return, of a run or of a reference, and survives results.json's round trip."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import numpy as np
import pytest

from aura.rl.fingerprint import fingerprint


def grid_results() -> dict:
    rng = np.random.default_rng(7)
    return {
        env: {
            "references": {
                "episode_returns": {
                    name: rng.normal(10, 1, 50).tolist() for name in ("random", "oracle")
                }
            },
            "algorithms": {
                algo: {
                    "seeds": [
                        {"seed_index": k, "test_returns": rng.normal(10, 1, 50).tolist()}
                        for k in range(3)
                    ]
                }
                for algo in ("ppo", "dqn")
            },
        }
        for env in ("tutor_matching", "difficulty_adaptation")
    }


def nudged(value: float) -> float:
    """The next float above ``value``: the smallest difference a return can have."""
    return float(np.nextafter(value, np.inf))


def test_the_same_returns_give_the_same_fingerprint_after_a_json_round_trip() -> None:
    results = grid_results()
    assert fingerprint(json.loads(json.dumps(results))) == fingerprint(results)


def a_run(results: dict) -> list[float]:
    return results["difficulty_adaptation"]["algorithms"]["dqn"]["seeds"][2]["test_returns"]


def a_reference(results: dict) -> list[float]:
    return results["tutor_matching"]["references"]["episode_returns"]["oracle"]


@pytest.mark.parametrize("returns_of", [a_run, a_reference])
def test_one_bit_of_one_return_changes_it(returns_of: Callable[[dict], list[float]]) -> None:
    results = grid_results()
    other = copy.deepcopy(results)
    returns = returns_of(other)
    returns[17] = nudged(returns[17])
    assert fingerprint(other) != fingerprint(results)


def test_returns_moved_from_one_seed_to_another_change_it() -> None:
    results = grid_results()
    other = copy.deepcopy(results)
    seeds = other["tutor_matching"]["algorithms"]["ppo"]["seeds"]
    seeds[0]["test_returns"], seeds[1]["test_returns"] = (
        seeds[1]["test_returns"],
        seeds[0]["test_returns"],
    )
    assert fingerprint(other) != fingerprint(results)
