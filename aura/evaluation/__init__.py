"""Evaluation against ground truth: ``ope``, off-policy estimates checked against the
simulator's true values; ``coverage``, how often their intervals cover those values over
replications of the logs; ``headline``, the front page's rows, each result beside its reference
and target; ``saved``, the saved results they are read from."""
