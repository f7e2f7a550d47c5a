"""Notebook 06, the widget: the robust-regression lab (``RobustRegressionLab``).

A line is fitted by gradient descent to points with outliers, under the loss the learner
picks; each update runs the descent again (300 steps of the loss's forward and backward on
40 points) and redraws the data with the fitted line, each point's pull on the line, and
the loss above its minimum at every step.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.loss_functions.maths import (
    REGRESSION_LOSSES,
    TRUE_INTERCEPT,
    TRUE_SLOPE,
    best_line,
    descend,
    line_with_outliers,
    pulls,
    regression_loss,
)
from gradlib.plotting import PALETTE, plain_log_ticks, round_ticks, widget_figure
from gradlib.widgets import Dropdown, IntSlider, LogSlider, Slider, Toggle, Widget

__all__ = ["RobustRegressionLab"]

LAB_STEPS = 300  # gradient-descent steps per update: a few milliseconds on 40 points


class RobustRegressionLab(Widget):
    """Gradient descent on a line's slope and intercept under MSE, MAE, Huber or
    Pseudo-Huber, with outliers: the data and the fitted line (top left), each point's
    pull -d loss_i / d prediction_i on the fitted line (bottom left), and the mean loss
    above its minimum at each step (right)."""

    # Two rows on a slide: the data and the loss, then the descent.
    controls = {
        "loss": Dropdown(list(REGRESSION_LOSSES), "MSE", label="loss"),
        "outliers": IntSlider(4, 0, 12, label="outliers"),
        "size": Slider(15.0, 0.0, 25.0, step=1.0, label="outlier size"),
        "lr": LogSlider(0.1, -2.5, -0.3, step=0.1, label="learning rate"),
        "schedule": Toggle(["fixed", "decaying"], "fixed", label="rate"),
        "delta": Slider(1.0, 0.1, 5.0, step=0.1, label="delta (Huber)"),
    }
    moved = {"loss": "MAE", "lr": 0.3, "outliers": 8, "schedule": "decaying"}

    LOSS_FLOOR = 1e-12  # loss - minimum below this is drawn at the floor (log axis)

    def __init__(self) -> None:
        super().__init__()
        self._best: dict[tuple, tuple[np.ndarray, float]] = {}

    def build(self) -> Figure:
        from matplotlib.collections import LineCollection

        fig, (left, curve) = widget_figure(
            width=11.5,
            height=3.1,  # with its text line and three rows of controls, it fits a 720 px slide
            ncols=2,
            gridspec_kw={"width_ratios": [1.25, 1.0]},
            margins={"left": 0.065, "right": 0.985, "bottom": 0.155, "top": 0.9, "wspace": 0.2},
        )
        # The left column holds the data above each point's pull, sharing the x axis.
        rows = left.get_subplotspec().subgridspec(2, 1, height_ratios=[2.3, 1.0], hspace=0.1)
        left.remove()
        data = fig.add_subplot(rows[0])
        pull = fig.add_subplot(rows[1], sharex=data)

        xs = np.array([-2.6, 2.6])
        data.plot(
            xs,
            TRUE_SLOPE * xs + TRUE_INTERCEPT,
            color=PALETTE["black"],
            linewidth=1.2,
            label=tr("clean truth"),
        )
        # the dots need no legend entry: the crosses are the outliers, the dots the rest
        (self.clean,) = data.plot([], [], "o", color=PALETTE["sky"], markersize=5)
        (self.outliers,) = data.plot(
            [], [], "X", color=PALETTE["vermillion"], markersize=8, label=tr("outliers")
        )
        (self.fit,) = data.plot(
            xs, [0, 0], color=PALETTE["orange"], linewidth=2.6, label=tr("fitted line")
        )
        self.xs = xs
        data.set_xlim(-2.7, 2.7)
        data.set_ylabel("y")
        data.tick_params(labelbottom=False)  # the pull panel below labels the shared x axis
        data.legend(loc="upper left", fontsize=9.5, ncol=3, framealpha=1)
        self.data_title = data.set_title("", y=1.0)
        round_ticks(data, "y")

        self.clean_pulls = LineCollection([], colors=PALETTE["blue"], linewidths=2.2)
        self.outlier_pulls = LineCollection([], colors=PALETTE["vermillion"], linewidths=2.2)
        pull.add_collection(self.clean_pulls)
        pull.add_collection(self.outlier_pulls)
        pull.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
        pull.set_xlabel("x")
        pull.set_ylabel(tr("pull"))
        round_ticks(pull, "x")

        steps = np.arange(LAB_STEPS + 1)
        (self.gap,) = curve.plot(
            steps, np.full(LAB_STEPS + 1, np.nan), color=PALETTE["orange"], linewidth=1.6
        )
        curve.set_yscale("log")
        curve.set_xlim(0, LAB_STEPS)
        curve.set_ylim(self.LOSS_FLOOR / 3, 1e4)
        curve.set_xlabel(tr("step k"))
        curve.set_ylabel(tr("mean loss − its minimum"))
        plain_log_ticks(curve, "y", numticks=6)
        round_ticks(curve, "x")
        self.curve_title = curve.set_title("", y=1.0)
        self.data, self.pull = data, pull
        return fig

    def _best_for(self, loss: str, delta: float, x: np.ndarray, y: np.ndarray, key: tuple):
        """The loss's exact best line and its mean loss (cached: the same data and loss)."""
        if key not in self._best:
            line = best_line(x, y, loss, delta)
            path = descend(x, y, loss, delta, lr=0.0, steps=0, start=tuple(line))
            self._best[key] = (line, float(path.losses[0]))
        return self._best[key]

    def update(
        self, loss: str, delta: float, lr: float, outliers: int, size: float, schedule: str
    ) -> str:
        kind = regression_loss(loss)
        x, y, is_outlier = line_with_outliers(outliers, size)
        path = descend(x, y, loss, delta, lr=lr, steps=LAB_STEPS, schedule=schedule)
        key = (loss, delta if kind.uses_delta else None, outliers, size)
        best, best_loss = self._best_for(loss, delta, x, y, key)
        finite = np.isfinite(path.losses)
        last = int(np.flatnonzero(finite)[-1])
        w, b = path.slopes[last], path.intercepts[last]

        self.clean.set_data(x[~is_outlier], y[~is_outlier])
        self.outliers.set_data(x[is_outlier], y[is_outlier])
        self.fit.set_ydata(w * self.xs + b)
        low, high = y.min(), y.max()
        # room below for the crosses' size, above for the legend
        self.data.set_ylim(low - 3, high + 0.55 * (high - low) + 1.5)
        self.data_title.set_text(
            tr(
                "{loss}: fitted slope {slope:.2f}, intercept {intercept:.2f}",
                loss=kind.label(delta),
                slope=w,
                intercept=b,
            )
        )

        force = pulls(w * x + b, y, loss, delta)
        segments = np.stack([np.column_stack([x, 0 * x]), np.column_stack([x, force])], axis=1)
        self.clean_pulls.set_segments(segments[~is_outlier])
        self.outlier_pulls.set_segments(segments[is_outlier])
        reach = float(np.abs(force).max()) if np.isfinite(force).all() else 1.0
        self.pull.set_ylim(-1.15 * max(reach, 1e-9), 1.15 * max(reach, 1e-9))
        round_ticks(self.pull, "y", nbins=3)

        gap = np.where(finite, np.maximum(path.losses - best_loss, self.LOSS_FLOOR), np.nan)
        self.gap.set_ydata(gap)
        self.curve_title.set_text(
            tr("lr = {lr:.3g}, fixed rate", lr=lr)
            if schedule == "fixed"
            else tr("lr = {lr:.3g}, decaying rate", lr=lr)
        )

        # delta is always shown: MSE and MAE ignore it, and the line says so
        loss_text = (
            kind.label(delta)
            if kind.uses_delta
            else tr("{loss} (delta {delta:g} unused)", loss=loss, delta=delta)
        )
        values = dict(
            loss=loss_text,
            outliers=outliers,
            size=size,
            lr=lr,
            schedule=tr("fixed") if schedule == "fixed" else tr("decaying"),
            slope=w,
            intercept=b,
            best_slope=best[0],
            best_intercept=best[1],
            clean_slope=TRUE_SLOPE,
            clean_intercept=TRUE_INTERCEPT,
        )
        if path.diverged:
            return tr(
                "{loss}, {outliers} outliers of size {size:g}, lr {lr:.3g} {schedule}: "
                "diverged at step {last}, slope {slope:.3f}, intercept {intercept:.3f}; best "
                "line {best_slope:.3f}, {best_intercept:.3f}; clean {clean_slope:g}, "
                "{clean_intercept:g}",
                last=last,
                **values,
            )
        return tr(
            "{loss}, {outliers} outliers of size {size:g}, lr {lr:.3g} {schedule}: "
            "slope {slope:.3f}, intercept {intercept:.3f}; best line {best_slope:.3f}, "
            "{best_intercept:.3f}; clean {clean_slope:g}, {clean_intercept:g}",
            **values,
        )
