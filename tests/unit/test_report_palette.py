"""The report figures' palette stays apart for readers with a common colour-vision deficiency.

A figure's series (notebook 03's algorithms, 04's calibration classes, 05's estimators and
algorithms, 02's clones) differ in colour alone, so each pair of the first `SERIES` colours of
`REPORT_PALETTE` must stay apart when simulated for protanopia, deuteranopia and tritanopia.
With seaborn's and matplotlib's default palettes, the second and third (orange and green) were
1.3 (matplotlib) and 4.8 (seaborn) CIEDE2000 units apart under protanopia: one colour.

Simulation: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation
of color vision deficiency", IEEE TVCG 15(6), doi:10.1109/TVCG.2009.113; the severity-1.0
matrices of its supplementary table
(http://www.inf.ufrgs.br/~oliveira/pubs_files/CVD_Simulation/CVD_Simulation.html), applied to
linear sRGB and clipped to the gamut. Distance: CIEDE2000 (CIE 142-2001) as Sharma, Wu & Dalal
(2005), "The CIEDE2000 color-difference formula: implementation notes, supplementary test data,
and mathematical observations", Color Res. Appl. 30(1), give it, checked on their test pairs.

A line, a marker or a bar is a graphical object a reader needs to read a figure, so each series
colour must also stand out from the axes it is drawn on at WCAG 2.1's 3:1 (success criterion
1.4.11, non-text contrast), the contrast ratio written out in tests/unit/test_page_accessibility.py.
Seaborn's "colorblind" orange, #de8f05, was 2.61:1 on the notebooks' white axes.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
import seaborn as sns
from matplotlib.colors import to_hex
from test_page_accessibility import contrast

from aura.reports.figures import REFERENCE_LINES, REPORT_PALETTE
from aura.reports.notebook_outputs import committed_notebooks, read_notebook

SERIES = 3
"""The most series a report figure tells apart by colour alone (three algorithms, three
calibration classes, three off-policy estimators, three clone windows)."""
MIN_DELTA_E = 10.0
"""The least CIEDE2000 distance between two series' colours. A just-noticeable difference is
about 1 to 2.3 for large patches of colour; lines and dots are thin, so the margin is wide."""

MACHADO_2009 = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
"""Machado et al. (2009), severity 1.0, on linear sRGB."""

SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
"""IEC 61966-2-1 (sRGB), D65 white."""
D65 = SRGB_TO_XYZ.sum(axis=1)


def linear(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] to linear light."""
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """Linear sRGB to CIELAB (D65)."""
    t = SRGB_TO_XYZ @ linear_rgb / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference, with Sharma et al.'s conventions for hue at zero chroma."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if c2p else 0.0
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    d_l, d_c = l2 - l1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        h_bar = (h1p + h2p + 360) / 2
    else:
        h_bar = (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_c = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    r_t = -np.sin(np.radians(60 * np.exp(-(((h_bar - 275) / 25) ** 2)))) * r_c
    terms = (d_l / s_l, d_c / s_c, d_h / s_h)
    return float(np.sqrt(sum(x**2 for x in terms) + r_t * terms[1] * terms[2]))


def seen_as(rgb: tuple[float, float, float], deficiency: str | None) -> np.ndarray:
    """The CIELAB colour a reader with ``deficiency`` (None: typical vision) sees for ``rgb``."""
    light = linear(np.asarray(rgb, dtype=float))
    if deficiency is not None:
        light = np.clip(MACHADO_2009[deficiency] @ light, 0, 1)
    return lab(light)


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7, 17 and 25
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_ciede2000_matches_the_published_test_pairs(
    lab1: tuple[float, ...], lab2: tuple[float, ...], expected: float
) -> None:
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_simulation_keeps_greys_and_confuses_red_with_green() -> None:
    """The matrices do what they are for: a grey stays grey (each row sums to 1) and a red and a
    green of the same lightness, far apart to a typical eye, come close under protanopia."""
    for deficiency in MACHADO_2009:
        assert ciede2000(seen_as((0.5, 0.5, 0.5), None), seen_as((0.5, 0.5, 0.5), deficiency)) < 0.1
    red, green = (0.8, 0.3, 0.2), (0.45, 0.5, 0.2)
    assert ciede2000(seen_as(red, None), seen_as(green, None)) > 20
    assert ciede2000(seen_as(red, "protanopia"), seen_as(green, "protanopia")) < MIN_DELTA_E


@pytest.mark.parametrize("deficiency", [None, *MACHADO_2009])
def test_the_report_palette_series_stay_apart(deficiency: str | None) -> None:
    colours = sns.color_palette(REPORT_PALETTE)[:SERIES]
    close = [
        (i, j, round(distance, 1))
        for (i, a), (j, b) in itertools.combinations(enumerate(colours), 2)
        if (distance := ciede2000(seen_as(a, deficiency), seen_as(b, deficiency))) < MIN_DELTA_E
    ]
    assert not close, (
        f"{REPORT_PALETTE!r}: (series, series, CIEDE2000) {close} under "
        f"{deficiency or 'typical vision'}, under {MIN_DELTA_E}"
    )


NON_TEXT_CONTRAST = 3.0
"""WCAG 2.1, success criterion 1.4.11: the least contrast of a graphical object a reader needs
(a series' line, markers or bars) against the colour next to it, here the axes' face."""
THEME_CALL = "sns.set_theme"
NOTEBOOKS = committed_notebooks()


def axes_face(notebook: Path) -> str:
    """The face colour of the axes ``notebook`` draws on: matplotlib's default, as changed by
    each of its ``sns.set_theme`` calls in turn (their arguments are literals), so that a theme
    or an ``rc`` the notebook sets is the one measured."""
    code = "\n".join(
        cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "code"
    )
    calls = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == THEME_CALL
    ]
    with mpl.rc_context():
        mpl.rcdefaults()
        for call in calls:
            args = [ast.literal_eval(arg) for arg in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
            sns.set_theme(*args, **kwargs)
        return to_hex(mpl.rcParams["axes.facecolor"])


def test_the_axes_face_follows_the_theme_a_notebook_sets(tmp_path: Path, make_notebook) -> None:
    """The reading above finds a theme's face colour and matplotlib's where none is set."""
    make_notebook(tmp_path / "darkgrid.ipynb", ['sns.set_theme(style="darkgrid")'])
    make_notebook(tmp_path / "none.ipynb", ["x = 1"])
    assert axes_face(tmp_path / "darkgrid.ipynb") == "#eaeaf2"
    assert axes_face(tmp_path / "none.ipynb") == "#ffffff"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_report_palette_series_stand_out_from_the_axes(notebook: Path) -> None:
    face = axes_face(notebook)
    colours = [to_hex(c) for c in sns.color_palette(REPORT_PALETTE)[:SERIES]]
    low = [
        (colour, round(contrast(colour, face), 2))
        for colour in colours
        if contrast(colour, face) < NON_TEXT_CONTRAST
    ]
    assert not low, (
        f"{notebook.name}: (series colour, contrast) {low} on its axes' face {face}, under "
        f"{NON_TEXT_CONTRAST:.0f}:1"
    )


def named_colours(notebook: Path) -> list[str]:
    """Each colour ``notebook``'s code names as a literal (``color="tab:orange"``, a reference
    line's or a bar's), in the order written."""
    code = "\n".join(
        cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "code"
    )
    return [
        keyword.value.value
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in ("color", "c")
        and isinstance(keyword.value, ast.Constant)
        and isinstance(keyword.value.value, str)
    ]


def test_the_colours_a_notebook_names_are_read_from_its_code(tmp_path: Path, make_notebook) -> None:
    source = 'ax.axhline(1, color="tab:orange")\nax.plot(x, c="grey", color=palette[1])'
    make_notebook(tmp_path / "x.ipynb", [source])
    assert named_colours(tmp_path / "x.ipynb") == ["tab:orange", "grey"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_colour_a_notebook_names_stands_out_from_the_axes(notebook: Path) -> None:
    """A reference line (the hand rule's, the oracle's) or a bar a notebook colours by name is
    read against the axes as a series is: notebook 05's hand rule in matplotlib's "tab:orange"
    was 2.53:1 on white."""
    face = axes_face(notebook)
    low = sorted(
        {
            (name, round(contrast(to_hex(name), face), 2))
            for name in named_colours(notebook)
            if contrast(to_hex(name), face) < NON_TEXT_CONTRAST
        }
    )
    assert not low, (
        f"{notebook.name}: (named colour, contrast) {low} on its axes' face {face}, under "
        f"{NON_TEXT_CONTRAST:.0f}:1"
    )


SCALE_NOTEBOOKS = [p for p in NOTEBOOKS if p.name[:2] in ("02", "03", "05")]
"""The notebooks whose figures draw the normalised scale's references (random, the oracle, the
hand rule, the upper reference, PPO's target) across a panel."""


def reference_line_calls(notebook: Path) -> list[tuple[str, bool]]:
    """Each ``axhline`` call of ``notebook``'s code, as written, and whether it takes its style
    from `REFERENCE_LINES` (``**REFERENCE_LINES[key]``)."""
    code = "\n".join(
        cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "code"
    )
    return [
        (
            ast.unparse(node),
            any(
                keyword.arg is None
                and isinstance(keyword.value, ast.Subscript)
                and ast.unparse(keyword.value.value) == "REFERENCE_LINES"
                for keyword in node.keywords
            ),
        )
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "axhline"
    ]


@pytest.mark.parametrize("notebook", SCALE_NOTEBOOKS, ids=[p.stem for p in SCALE_NOTEBOOKS])
def test_a_reference_line_is_drawn_in_its_one_style(notebook: Path) -> None:
    """Notebook 03 drew random red dashed and the hand rule grey dotted, where notebook 05 drew
    random grey dotted: one line read as two references from one report to the next."""
    calls = reference_line_calls(notebook)
    assert calls, f"{notebook.name} draws no reference line: is it still a scale notebook?"
    assert [call for call, styled in calls if not styled] == []


def test_the_reference_lines_stand_out_and_apart() -> None:
    """Each reference line's colour reaches 3:1 on the white axes, none is a series colour, and
    no two references share both colour and line style."""
    series = {to_hex(c) for c in sns.color_palette(REPORT_PALETTE)[:SERIES]}
    colours = {key: to_hex(style["color"]) for key, style in REFERENCE_LINES.items()}
    low = {
        key: round(contrast(colour, "#ffffff"), 2)
        for key, colour in colours.items()
        if contrast(colour, "#ffffff") < NON_TEXT_CONTRAST
    }
    assert low == {}
    assert not series & set(colours.values())
    looks = [(colours[key], style["ls"]) for key, style in REFERENCE_LINES.items()]
    assert len(set(looks)) == len(looks)
    assert set(REFERENCE_LINES) >= {"random", "oracle", "hand_rule", "ceiling", "target"}


def test_the_reference_line_reading_tells_a_styled_line_from_a_literal(
    tmp_path: Path, make_notebook
) -> None:
    source = 'ax.axhline(0, **REFERENCE_LINES["random"])\nax.axhline(1, color="red")\nplt.plot(x)'
    make_notebook(tmp_path / "x.ipynb", [source])
    assert [styled for _, styled in reference_line_calls(tmp_path / "x.ipynb")] == [True, False]
