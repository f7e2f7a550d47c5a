"""Shared plotting style for the notebooks: a colour-blind-safe palette, readable sizes.

matplotlib is imported only when a plotting function runs, so ``import gradlib``
stays fast and gradlib works without matplotlib installed.
"""

from __future__ import annotations

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


def use_style() -> None:
    """Apply the series' matplotlib style (palette, lecture-size fonts) globally."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(STYLE)
    mpl.rcParams["axes.prop_cycle"] = cycler(color=COLORS)


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
