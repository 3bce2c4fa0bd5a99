"""Pipeline runs and the notebook outputs kept in git.

``index`` writes the run's front page (headline metrics, key figures, links), ``glossary`` defining
the terms its table uses; ``figures`` shows a notebook's figure with alt text and a caption (and
keeps it for the front page), sets the colour-blind-safe palette figures draw in, gives each series
its marker and each reference line of the normalised scale its one style; ``runner`` executes the
numbered notebooks into ``reports/runs/<run>/``, recording where each run ran (``provenance``:
commit, library versions, processor), naming a cell that failed or ran past the limit
(``cell_failures``), in kernels whose own log is kept out of the terminal (``kernels``), keeping a
cell's printed text one output where it was printed in one run of prints (``streams``), and with
each notebook's peak memory (``memory``); ``rendering`` renders each executed notebook to HTML,
where ``figure_elements`` makes each figure and its caption one ``figure``; ``metrics`` is what a
notebook calls to report numbers to its run; ``run_compare`` sets two runs' metrics side by side,
and ``run_list`` lists the runs made, one line each; ``notebook_outputs`` records the summary
outputs that nbval compares, ``cell_ids`` giving an id to each cell written without one; ``host``
measures how fast the host runs Python, recorded beside wall times; ``run_status`` tells a run under
way from one whose process is gone; ``progress`` draws the line a long notebook cell updates in
place; ``tables`` styles a table for the HTML report (no NaN, None or row numbers) and writes its
cells (fixed-point decimals, a mean beside its interval); ``intervals`` draws confidence intervals
on an axis that keeps its scale when one is very wide.
"""

from aura.reports.figures import REFERENCE_LINES, SERIES_MARKERS, show_figure, use_report_palette
from aura.reports.index import save_figure, write_index
from aura.reports.metrics import collect_metrics, write_metrics

__all__ = [
    "REFERENCE_LINES",
    "SERIES_MARKERS",
    "collect_metrics",
    "save_figure",
    "show_figure",
    "use_report_palette",
    "write_index",
    "write_metrics",
]
