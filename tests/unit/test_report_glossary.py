"""The front page's glossary: which terms a page's headline rows use."""

from __future__ import annotations

from aura.reports.glossary import GLOSSARY, terms_used


def _terms(*texts: str) -> list[str]:
    return [term for term, _ in terms_used(texts)]


def test_a_term_is_found_as_a_word_or_its_plural_not_inside_another_word() -> None:
    assert _terms("RL tutor matching, other tutor pools") == ["tutor pool"]
    assert _terms("a misleading mean", "lips", "Bayesian") == []
    assert _terms("PPO lead over the best fixed strategy") == ["PPO, DQN, A2C", "lead"]


def test_an_entry_of_several_names_is_used_by_any_of_them_and_given_once() -> None:
    assert _terms("PPO: SNIPS estimate", "DR estimate") == [
        "PPO, DQN, A2C",
        "IPS, SNIPS, DR",
    ]


def test_acronyms_are_matched_in_their_case() -> None:
    assert _terms("test mse") == []
    assert _terms("test MSE") == ["MSE"]


def test_the_targets_expected_mse_is_defined_beside_the_test_mse() -> None:
    """The front page gave "test MSE 0.0287" beside "Bayes 0.0259", a ratio of 1.108, and the
    target "expected MSE at most 1.10 x Bayes: met (1.055 ...)", with no word of what makes the
    two ratios differ."""
    assert _terms("test MSE", "expected MSE at most 1.10 x Bayes") == [
        "Bayes",
        "MSE",
        "expected MSE, expected accuracy",
    ]
    assert _terms("expected accuracy at least 0.97 of Bayes") == [
        "Bayes",
        "expected MSE, expected accuracy",
    ]
    assert _terms("test MSE", "Bayes 0.0259") == ["Bayes", "MSE"]


def test_terms_come_in_the_glossary_s_order_whatever_the_rows_order() -> None:
    order = [term for term, _ in GLOSSARY]
    found = _terms("true value 0.798", "random 0, oracle 1", "Bayes 0.0189")
    assert found == sorted(found, key=order.index) == ["oracle", "Bayes", "true value"]


def test_the_off_policy_and_grid_time_rows_words_are_defined() -> None:
    """ "PPO (greedy)" and "the spec allowed 2-4 hours" named a way of acting and a document the
    page said nothing more of."""
    assert _terms("PPO (greedy): IPS estimate (95% CI)", "the spec allowed 2-4 hours") == [
        "spec",
        "PPO, DQN, A2C",
        "95% CI",
        "greedy",
        "IPS, SNIPS, DR",
    ]
