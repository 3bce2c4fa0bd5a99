"""Notebook 02 reads its per-session scores from the numbers: the model on the observation
trails the best fixed strategy at the notebook's own sizes and leads it with enough states."""

from __future__ import annotations

from aura.envs.analysis import ceiling_reading


def test_a_model_below_the_rule_is_read_as_short_of_states() -> None:
    """The recorded run (600 states to fit) gives 0.739 against the rule's 0.816, and 0.706 with
    the language: the prose said the model estimates what a trained policy can reach, and what
    the language is worth, beside numbers that said neither."""
    text = ceiling_reading(0.816, 0.739, 0.706, 600)
    assert text.startswith("The model on the observation scores 0.739 a session, 0.077 below")
    assert "fitted on 600 states, the model has not learned" in text
    assert "it scores 0.706 (-0.033): at this size the extra column does not help" in text


def test_a_model_above_the_rule_is_read_as_what_a_policy_can_gain() -> None:
    text = ceiling_reading(0.80, 0.85, 0.88, 12_000)
    assert (
        "0.050 above the best fixed strategy's 0.800: a policy of the observation can gain" in text
    )
    assert "fitted on 12,000 states" in text
    assert "it scores 0.880 (+0.030): what the language tells the oracle" in text
    assert "has not learned" not in text


def test_a_language_column_that_changes_nothing_is_not_said_to_help() -> None:
    text = ceiling_reading(0.80, 0.85, 0.85, 12_000)
    assert "it scores 0.850 (+0.000): at this size the extra column does not help" in text
