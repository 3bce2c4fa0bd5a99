"""Evaluation against ground truth: off-policy estimates checked against the simulator."""
