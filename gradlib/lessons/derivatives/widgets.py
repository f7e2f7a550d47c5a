"""Notebook 01, the widgets: the step size of a finite difference, and the direction u.

``DerivativeExplorer``: a function, the step h and the precision; the curve and the forward
and central secants at x = 1 with the tangent subtracted (so a secant's tilt is its error),
in a window that zooms with h, and where h sits on the U-shaped error curve.
``DirectionalExplorer``: a point and the angle of a unit vector u; the contours with the
gradient and u, and the rate of change D_u f for every angle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from gradlib.language import tr
from gradlib.lessons.derivatives.figures import draw_contours
from gradlib.lessons.derivatives.maths import (
    ANGLES_DEG,
    EXAMPLES,
    PRECISIONS,
    STATIONARY_NORM,
    STEPS,
    X0,
    _dtype,
    _example,
    autodiff_grad,
    central_difference,
    contour_tangent,
    difference_errors,
    directional_derivatives,
    forward_difference,
)
from gradlib.plotting import COLORS, PALETTE, plain_log_ticks, round_ticks, widget_figure
from gradlib.widgets import Dropdown, LogSlider, Slider, Widget

__all__ = ["DerivativeExplorer", "DirectionalExplorer", "contour_tangent_near"]


class DerivativeExplorer(Widget):
    """Forward and central differences of f at x = 1 with step h: the curve and both
    secants with the tangent subtracted, so that a secant's tilt is its error, in a window
    that zooms with h (left), and the error against h, with this h marked (right)."""

    controls = {
        "function": Dropdown(list(EXAMPLES), "sin", label="f(x)"),
        "h": LogSlider(0.1, -12, -0.5, step=0.25, label="h"),
        "precision": Dropdown(list(PRECISIONS), "float64", label="precision"),
    }
    moved = {"function": "exp", "h": 1e-7, "precision": "float32"}

    ZOOM = 3.0  # the left panel shows x = 1 - ZOOM h .. 1 + ZOOM h
    # ... but never less than this many spacings of the precision's numbers at x = 1 on
    # each side: float32 has only about 8 million numbers between 1 and 2.
    MIN_SPACINGS = 100
    OFFSETS = np.linspace(-1.0, 1.0, 121)  # the curve's points, as fractions of the window
    ERROR_FLOOR = 1e-17  # an error of exactly 0 cannot be drawn on a log axis
    PAD, HEADROOM = 0.08, 0.3  # of the lines' height: below and above them, and for the legend

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=3.8,
            margins={"left": 0.09, "right": 0.98, "bottom": 0.145, "top": 0.9, "wspace": 0.27},
        )
        later = np.full_like(self.OFFSETS, np.nan)  # the values come with each update
        (self.curve,) = left.plot(self.OFFSETS, later, color=PALETTE["black"], label="f(x)")
        # The tangent, subtracted from everything, is the line at 0.
        left.axhline(0.0, color=PALETTE["green"], label=tr("tangent (slope f'(1))"))
        # Each secant is the straight line through the two points its difference uses.
        (self.forward_secant,) = left.plot(
            self.OFFSETS, later, "--", color=COLORS[0], label=tr("forward secant")
        )
        (self.central_secant,) = left.plot(
            self.OFFSETS,
            later,
            ":",
            color=COLORS[1],
            linewidth=2.2,
            label=tr("central secant"),
        )
        (self.forward_points,) = left.plot([], [], "o", color=COLORS[0])
        (self.central_points,) = left.plot([], [], "o", color=COLORS[1])
        # Near x = 1 the curve and its tangent differ by as little as 1e-16: the panel
        # shows that difference, f(x) - tangent(x), against the distance from 1.
        left.set_xlabel("x - 1")
        left.set_ylabel(tr("f(x) - tangent"))
        for axis in (left.xaxis, left.yaxis):
            axis.set_major_formatter(FuncFormatter(_short_label(axis)))
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        self.left_title = left.set_title("", y=1.0)
        # Two columns at the top, over headroom that update() leaves free of lines.
        legend = left.legend(loc="upper center", ncols=2, fontsize=9, columnspacing=1.0)
        self.function_label = legend.get_texts()[0]
        round_ticks(left)

        right.set_xscale("log")
        right.set_yscale("log")
        self.error_curves, self.error_points = {}, {}
        names = {"forward": tr("forward"), "central": tr("central")}
        for label, color in (("forward", COLORS[0]), ("central", COLORS[1])):
            (self.error_curves[label],) = right.plot(
                STEPS, np.full_like(STEPS, np.nan), color=color, label=names[label]
            )
            (self.error_points[label],) = right.plot(
                [], [], "o", color=color, markersize=9, markeredgecolor=PALETTE["black"]
            )
        self.h_line = right.axvline(1.0, color=PALETTE["black"], linewidth=1.0)
        right.set_xlim(STEPS[0] / 4, STEPS[-1] * 4)
        right.set_ylim(1e-13, 10)
        right.set_xlabel(tr("step h"))
        right.set_ylabel(tr("|error| at x = 1"))
        self.right_title = right.set_title("", y=1.0)
        right.legend(loc="lower left", fontsize=10)
        plain_log_ticks(right, numticks=6)
        self.left = left
        return fig

    def window(self, h: float, precision: str) -> float:
        """Half the width of the left panel: ZOOM h, at least MIN_SPACINGS numbers."""
        spacing = float(np.spacing(_dtype(precision)(X0)))
        return max(self.ZOOM * h, self.MIN_SPACINGS * spacing)

    def update(self, function: str, h: float, precision: str) -> str:
        example, dtype = _example(function), _dtype(precision)
        x0, step = dtype(X0), dtype(h)
        exact = float(example.d1(X0))
        estimates = {
            "forward": float(forward_difference(example.f, x0, step)),
            "central": float(central_difference(example.f, x0, step)),
        }
        # Everything on the left is computed in the chosen precision, as the differences
        # are: x itself is rounded, and so is each value of f (a staircase in float32).
        # Then the tangent f(1) + f'(1) (x - 1) is subtracted, in float64.
        f0 = float(example.f(x0))

        def above_tangent(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            x = (x0 + np.asarray(x, dtype=dtype)).astype(dtype)
            dx = x.astype(np.float64) - X0
            return dx, example.f(x).astype(np.float64) - f0 - exact * dx

        xs, curve = above_tangent(self.window(h, precision) * self.OFFSETS)
        (minus, plus), (r_minus, r_plus) = above_tangent(np.array([-step, step]))
        # A secant's slope is its estimate; with the tangent's slope taken off, its error.
        forward_line = (estimates["forward"] - exact) * xs
        central_line = r_minus + (estimates["central"] - exact) * (xs - minus)
        self.curve.set_data(xs, curve)
        self.forward_secant.set_data(xs, forward_line)
        self.central_secant.set_data(xs, central_line)
        self.forward_points.set_data([0.0, plus], [0.0, r_plus])
        self.central_points.set_data([minus], [r_minus])
        self.left.set_xlim(1.05 * xs[0], 1.05 * xs[-1])
        shown = np.concatenate([curve, forward_line, central_line, [0.0]])
        low, high = shown.min(), shown.max()
        span = high - low if high > low else 1e-12
        self.left.set_ylim(low - self.PAD * span, high + (self.PAD + self.HEADROOM) * span)
        self.left_title.set_text(tr("f minus its tangent at x = 1, h = {h:.1e}", h=h))
        self.function_label.set_text(f"f(x) = {function}")

        errors = difference_errors(function, precision, average=False)
        for label, estimate in estimates.items():
            self.error_curves[label].set_ydata(np.maximum(errors[label], self.ERROR_FLOOR))
            error = max(abs(estimate - exact), self.ERROR_FLOOR)
            self.error_points[label].set_data([h], [error])
        self.h_line.set_xdata([h, h])
        self.right_title.set_text(tr("Error against h ({precision})", precision=precision))

        forward, central = estimates["forward"], estimates["central"]
        return tr(
            "{function}, {precision}, h = {h:.1e}: exact f'(1) = {exact:.10f} | "
            "forward {forward:.10f} (error {forward_error:.1e}) | "
            "central {central:.10f} (error {central_error:.1e})",
            function=function,
            precision=precision,
            h=h,
            exact=exact,
            forward=forward,
            forward_error=abs(forward - exact),
            central=central,
            central_error=abs(central - exact),
        )


class DirectionalExplorer(Widget):
    """The rate of change D_u f at a point along every direction u: contours with the
    gradient, u and the contour's tangent (left), and D_u f against the angle of u, by
    central differences (right)."""

    controls = {
        "x0": Slider(1.0, -1.5, 1.5, step=0.25, label="x0"),
        "y0": Slider(0.5, -1.5, 1.5, step=0.25, label="y0"),
        "angle": Slider(30.0, 0.0, 360.0, step=5.0, label="angle of u"),
    }
    moved = {"x0": -1.2, "y0": 0.8, "angle": 135.0}

    ARROW_LENGTH = 0.8  # arrows have a fixed length; the printed numbers give the sizes

    def build(self) -> Figure:
        from matplotlib.lines import Line2D
        from matplotlib.patches import FancyArrowPatch

        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=3.8,
            margins={"left": 0.07, "right": 0.98, "bottom": 0.14, "top": 0.905, "wspace": 0.22},
        )
        draw_contours(left, labels=True)
        # zorder 3: the point, the arrows and the tangent lie over the contour labels.
        (self.tangent,) = left.plot(
            [],
            [],
            "--",
            color=PALETTE["black"],
            linewidth=1.5,
            label=tr("tangent to the contour"),
            zorder=3,
        )
        self.arrows, self.arrow_keys = {}, {}
        for name, color, label in (
            ("gradient", PALETTE["vermillion"], tr("gradient direction")),
            ("u", COLORS[0], "u"),
        ):
            self.arrows[name] = FancyArrowPatch(
                (0, 0),
                (1, 1),
                arrowstyle="-|>",
                mutation_scale=12,
                color=color,
                linewidth=2.2,
                zorder=3,
            )
            left.add_patch(self.arrows[name])
            # The legend shows an arrow as a line of its colour (a patch would show as a box).
            self.arrow_keys[name] = Line2D([], [], color=color, label=label)
        (self.point,) = left.plot([], [], "o", color=PALETTE["black"], zorder=3)
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        left.set_title(tr("Contours of f, the gradient and u"), y=1.0)
        round_ticks(left)

        (self.sweep,) = right.plot(
            ANGLES_DEG,
            np.full_like(ANGLES_DEG, np.nan),  # the rates come with each update
            color=COLORS[0],
            label=tr("D_u f (central differences)"),
        )
        self.norm_line = right.axhline(1.0, color=PALETTE["vermillion"], linestyle="--")
        self.angle_line = right.axvline(
            0.0, color=PALETTE["vermillion"], linestyle=":", label=tr("gradient angle")
        )
        (self.current,) = right.plot([], [], "o", color=COLORS[0], markersize=9)
        right.set_xlim(0, 360)
        right.set_xticks(np.arange(0, 361, 90))
        round_ticks(right, "y")
        right.set_xlabel(tr("angle of u (degrees)"))
        right.set_ylabel("D_u f")
        right.set_title(tr("Rate of change of f along u"), y=1.0)

        self.left, self.right = left, right
        self.stationary = None  # the legends are made by the first update
        return fig

    def _legends(self, stationary: bool) -> None:
        """Legends listing what is drawn: at a stationary point there is no gradient to show."""
        # Before the legends are made: a legend key copies its artist's visibility.
        for artist in (self.tangent, self.arrows["gradient"], self.norm_line, self.angle_line):
            artist.set_visible(not stationary)
        gradient = [] if stationary else [self.tangent, self.arrow_keys["gradient"]]
        left = self.left.legend(
            handles=[*gradient, self.arrow_keys["u"]], loc="lower left", fontsize=9
        )
        self.u_label = left.get_texts()[-1]
        gradient = [] if stationary else [self.norm_line, self.angle_line]
        right = self.right.legend(handles=[self.sweep, *gradient], loc="lower left", fontsize=9)
        self.norm_label = None if stationary else right.get_texts()[1]
        self.stationary = stationary

    def update(self, x0: float, y0: float, angle: float) -> str:
        grad = autodiff_grad(x0, y0)
        sweep = directional_derivatives(x0, y0, ANGLES_DEG)
        current = float(directional_derivatives(x0, y0, np.array([angle]))[0])
        norm = float(np.linalg.norm(grad))
        stationary = norm < STATIONARY_NORM
        if stationary != self.stationary:
            self._legends(stationary)
        length = self.ARROW_LENGTH
        u = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
        self.arrows["u"].set_positions((x0, y0), (x0 + length * u[0], y0 + length * u[1]))
        self.u_label.set_text(tr("u at {angle:.0f} deg", angle=angle))
        self.point.set_data([x0], [y0])
        if not stationary:
            g = grad / norm
            self.arrows["gradient"].set_positions(
                (x0, y0), (x0 + length * g[0], y0 + length * g[1])
            )
            tangent = contour_tangent_near(x0, y0)
            # Right next to the minimum the level curve is too small an oval to trace.
            self.tangent.set_visible(tangent is not None)
            if tangent is not None:
                tangent = 0.6 * tangent
                self.tangent.set_data(
                    [x0 - tangent[0], x0 + tangent[0]], [y0 - tangent[1], y0 + tangent[1]]
                )
            self.norm_line.set_ydata([norm, norm])
            self.norm_label.set_text(f"|grad f| = {norm:.2f}")
            grad_angle = float(np.rad2deg(np.arctan2(grad[1], grad[0])) % 360)
            self.angle_line.set_xdata([grad_angle, grad_angle])

        self.sweep.set_ydata(sweep)
        self.current.set_data([angle], [current])
        self.right.set_ylim(-1.15 * max(norm, 1.0), 1.15 * max(norm, 1.0))

        if stationary:
            return tr(
                "at ({x0:.2f}, {y0:.2f}): grad f = (0, 0), a stationary point: f is flat in "
                "every direction.",
                x0=x0,
                y0=y0,
            )
        best = int(np.argmax(sweep))
        grad_angle = float(np.rad2deg(np.arctan2(grad[1], grad[0])) % 360)
        return tr(
            "at ({x0:.2f}, {y0:.2f}): grad f = ({gx:.3f}, {gy:.3f}), |grad f| = {norm:.3f} at "
            "{grad_angle:.1f} deg | D_u f at {angle:.0f} deg = {current:.3f} | largest "
            "D_u f = {largest:.3f} at {largest_angle:.0f} deg",
            x0=x0,
            y0=y0,
            gx=grad[0],
            gy=grad[1],
            norm=norm,
            grad_angle=grad_angle,
            angle=angle,
            current=current,
            largest=sweep[best],
            largest_angle=ANGLES_DEG[best],
        )


def _short_label(axis: Any) -> Callable[[float, Any], str]:
    """Tick labels such as "0.05" or "-2e-12", each readable alone: matplotlib's default
    would write "-2" and put the factor "1e-12" above the axis, on top of the title."""

    def label(value: float, _position: Any) -> str:
        low, high = axis.get_view_interval()
        return "0" if abs(value) < 1e-9 * (high - low) else f"{value:.3g}"

    return label


def contour_tangent_near(x: float, y: float) -> np.ndarray | None:
    """``contour_tangent`` on a circle small enough for the level curve at (x, y), or None.

    The chord that ``contour_tangent`` finds is off the tangent by about radius / (2 R),
    R the radius of curvature of the level curve. Near the minimum the level curves are
    small ovals (R shrinks with |grad f|), and one smaller than the circle does not cross
    it at all; so the circle shrinks with |grad f|, and again by 10 until it works.
    """
    norm = float(np.linalg.norm(autodiff_grad(x, y)))
    radius = 1e-3 * min(1.0, norm)
    while radius > 1e-9:
        try:
            return contour_tangent(x, y, radius=radius)
        except ValueError:
            radius /= 10
    return None
