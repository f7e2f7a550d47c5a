"""Notebook 02, the widget: the learning rate on a parabola (``LearningRateExplorer``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.lessons.gradient_descent.maths import (
    L_DEMO,
    quadratic_path,
    regime,
)
from gradlib.plotting import (
    COLORS,
    PALETTE,
    plain_log_ticks,
    round_ticks,
    widget_figure,
)
from gradlib.widgets import Slider, Widget

WIDGET_STEPS = 30


class LearningRateExplorer(Widget):
    """Gradient descent on f(x) = 2 x**2 (L = 4) from x0 with rate lr: the first iterates on
    the parabola (left), and |x_k| against k on a log scale with the prediction
    |1 - lr L|**k |x0| (right)."""

    controls = {
        "lr": Slider(0.1, 0.01, 0.6, step=0.01, label="lr"),
        "x0": Slider(2.5, -3.0, 3.0, step=0.25, label="x0"),
    }
    moved = {"lr": 0.52, "x0": -1.5}

    SHOWN = 13  # iterates x_0 .. x_12 on the curve
    FLOOR = 1e-17  # an exact 0 (lr = 1/L) cannot be drawn on a log axis: put it off the plot

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=3.8,
            margins={"left": 0.07, "right": 0.98, "bottom": 0.145, "top": 0.9, "wspace": 0.25},
        )
        (self.parabola,) = left.plot([], [], color=PALETTE["black"], linewidth=1.5)
        (self.iterates,) = left.plot(
            [], [], "-o", color=COLORS[0], markersize=5, linewidth=1.2, label="iterates x_k"
        )
        (self.start,) = left.plot(
            [], [], "o", color=PALETTE["vermillion"], markersize=9, label="start x_0"
        )
        left.set_xlabel("x")
        left.set_ylabel("f(x) = 2 x²")
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        left.set_title(f"The first {self.SHOWN - 1} steps on the curve", y=1.0)
        left.legend(loc="upper center", fontsize=10)
        round_ticks(left)

        k, later = np.arange(WIDGET_STEPS + 1), np.full(WIDGET_STEPS + 1, np.nan)
        right.set_yscale("log")
        # the distances come with each update
        (self.distances,) = right.plot(
            k, later, "o", color=COLORS[0], markersize=4, label="|x_k| measured"
        )
        (self.prediction,) = right.plot(
            k, later, "--", color=COLORS[1], label="|1 - lr L|^k |x0| predicted"
        )
        self.start_level = right.axhline(
            1.0, color=PALETTE["black"], linewidth=0.8, label="starting distance |x0|"
        )
        right.set_xlim(-1.5, WIDGET_STEPS + 1.5)
        right.set_xticks(np.arange(0, WIDGET_STEPS + 1, 10))
        right.set_xlabel("step k")
        right.set_ylabel("|x_k| (distance to the minimum)")
        self.right_title = right.set_title("", y=1.0)
        right.legend(loc="lower left", fontsize=10)
        plain_log_ticks(right, "y", numticks=6)
        self.left, self.right = left, right
        return fig

    def update(self, lr: float, x0: float) -> str:
        L = L_DEMO
        path = quadratic_path(L, lr, x0, WIDGET_STEPS)
        reach = max(3.0, 1.15 * abs(x0))
        xs = np.linspace(-reach, reach, 101)
        self.parabola.set_data(xs, L / 2 * xs**2)
        shown = path[: self.SHOWN]
        self.iterates.set_data(shown, L / 2 * shown**2)
        self.start.set_data([x0], [L / 2 * x0**2])
        self.left.set_xlim(-reach, reach)
        self.left.set_ylim(-0.05 * L / 2 * reach**2, 1.05 * L / 2 * reach**2)

        k = np.arange(WIDGET_STEPS + 1)
        self.distances.set_ydata(np.maximum(np.abs(path), self.FLOOR))
        self.prediction.set_ydata(np.maximum(abs(1 - lr * L) ** k * abs(x0), self.FLOOR))
        self.start_level.set_ydata([abs(x0), abs(x0)])
        self.right.set_ylim(1e-16, max(1e2, 10 * np.abs(path).max()))
        self.right_title.set_text(f"lr = {lr:.3f}: {regime(lr, L).split(' (')[0]}")
        factor = 1 - lr * L
        return (
            f"lr = {lr:.3f}, 2/L = {2 / L:.3f}, factor 1 - lr L = {factor:+.3f}: "
            f"{regime(lr, L)}; |x_{WIDGET_STEPS}| = {abs(path[-1]):.2e}"
        )
