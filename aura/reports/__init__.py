"""Pipeline runs and the notebook outputs kept in git.

``runner`` executes the numbered notebooks into ``reports/runs/<run>/``; ``metrics`` is what a
notebook calls to report numbers to its run; ``notebook_outputs`` records the summary outputs that
nbval compares.
"""

from aura.reports.metrics import collect_metrics, write_metrics

__all__ = ["collect_metrics", "write_metrics"]
