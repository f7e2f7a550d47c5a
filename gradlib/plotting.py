"""Shared plotting style for the notebooks: a colour-blind-safe palette, readable sizes.

It also makes the figures of the series' widgets (``gradlib.widgets``): built once, and
redrawn as one PNG per update.

matplotlib is imported only when a plotting function runs, so ``import gradlib``
stays fast and gradlib works without matplotlib installed.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common
# form of colour blindness.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
COLORS = list(PALETTE.values())

STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 11,
    "lines.linewidth": 2.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


# Chinese text in figures (the Chinese edition) comes from Noto Sans CJK, which
# requirements.txt installs as the package noto-cjk-sans-otc; DejaVu Sans, matplotlib's own
# font, draws everything else, so English figures look the same with or without it.
CJK_FAMILY = "Noto Sans CJK SC"


@cache
def cjk_font() -> str | None:
    """Register Noto Sans CJK with matplotlib (once); its family name, or None when the
    font package is not installed."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_PATH))
    return CJK_FAMILY


def use_style() -> None:
    """Apply the series' matplotlib style (palette, lecture-size fonts) globally."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=COLORS)
    cjk = cjk_font()
    if cjk is not None:  # a glyph DejaVu Sans lacks is drawn from the CJK font
        mpl.rcParams["font.family"] = ["DejaVu Sans", cjk]


def new_figure(
    ncols: int = 1, nrows: int = 1, width: float = 7.0, height: float = 4.0, **kwargs: Any
):
    """``plt.subplots`` in the series' style; returns (fig, axes)."""
    import matplotlib.pyplot as plt

    use_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)


def plain_log_ticks(
    ax: Any, axis: str = "both", minor: bool = False, numticks: int | None = None
) -> None:
    """Fast, plain labels for a log axis: "1e-5", "1e-4", ... instead of mathtext 10^-5.

    For widget figures, which are redrawn on every slider move: mathtext labels are
    re-typeset on every draw, and the 8 minor ticks per decade are each a full tick
    object, so together they make a log-scaled figure several times slower to redraw.
    Plain labels read the way Python prints numbers. ``axis`` is "x", "y" or "both";
    ``minor=True`` keeps the (unlabelled) minor ticks; ``numticks`` caps the number of
    labelled decades (fewer ticks draw faster).
    """
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    def label(value: float, _position: Any) -> str:
        return f"1e{round(math.log10(value))}" if value > 0 else "0"

    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]
    for one in axes:
        one.set_major_formatter(FuncFormatter(label))
        one.set_minor_formatter(NullFormatter())
        if not minor:
            one.set_minor_locator(NullLocator())
        if numticks is not None:
            one.set_major_locator(LogLocator(numticks=numticks))


def round_ticks(ax: Any, axis: str = "both", nbins: int = 5) -> None:
    """At most ``nbins + 1`` ticks on a linear axis, at 1, 2 or 5 times a power of ten.

    For widget figures, which are redrawn on every slider move: each tick is a tick
    mark, a grid line and a label laid out glyph by glyph on every draw, so fewer
    ticks with short labels ("1" rather than "0.8") draw faster and read as well.
    ``axis`` is "x", "y" or "both".
    """
    from matplotlib.ticker import MaxNLocator

    for one in {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]:
        one.set_major_locator(MaxNLocator(nbins, steps=[1, 2, 5, 10]))


def with_gaps(values: Any, jump: float) -> Any:
    """``values`` as floats, with NaN where consecutive entries jump by more than ``jump``:
    a plotted line then shows a jump (a step of relu', of a loss's slope) as a gap, not as
    a steep segment joining the two sides."""
    import numpy as np

    out = np.array(values, dtype=np.float64)
    out[1:][np.abs(np.diff(out)) > jump] = np.nan
    return out


# ----- widget figures: built once, one PNG per update --------------------------------------


def widget_figure(
    width: float,
    height: float,
    ncols: int = 1,
    nrows: int = 1,
    margins: dict[str, float] | None = None,
    **kwargs: Any,
):
    """A figure for a widget, in the series' style; returns (fig, axes) like ``new_figure``.

    Unlike ``new_figure`` the figure is a ``matplotlib.figure.Figure`` made directly, not
    through pyplot: pyplot does not know it, so the notebook's inline backend neither shows
    it after the cell nor closes it, and it can be kept and redrawn on every update. Its
    Agg canvas is attached once and keeps its renderer, and the sizes of the texts it has
    measured, from one draw to the next. ``margins`` (fractions of the figure, as for
    ``Figure.subplots_adjust``: left, right, bottom, top, wspace, hspace) fix the layout
    once; tight_layout or bbox_inches="tight" would measure every label again each time.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use_style()
    fig = Figure(figsize=(width, height), dpi=STYLE["figure.dpi"])
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, **kwargs)
    if margins:
        fig.subplots_adjust(**margins)
    return fig, axes


def render_png(fig: Any) -> bytes:
    """The figure as PNG bytes: one draw with Agg at the figure's own size and dpi.

    ``fig`` must come from ``widget_figure`` (it needs its Agg canvas). No
    bbox_inches="tight", which draws the figure twice (once to measure it): the margins
    were fixed when the figure was built. The PNG is RGB (the figure is opaque, so the
    alpha channel carries nothing) at zlib level 1: lossless like any PNG, a little
    larger, and encoded in half the time of ``savefig``'s RGBA at level 6.
    """
    from PIL import Image  # matplotlib's own dependency for writing PNG

    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    rgba.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
