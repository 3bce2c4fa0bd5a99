"""Evaluation against ground truth: ``ope``, off-policy estimates checked against the
simulator's true values; ``headline``, the front page's rows, each result beside its reference
and target; ``saved``, the saved results they are read from."""
