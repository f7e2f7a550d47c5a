"""Notebook 00 (Start here): a function, its tangent line, and the slope gradlib computes.

The widget of notebook 00, ``TangentLine``, evaluates a function of one variable at
``x0`` with gradlib, runs ``backward()`` to get the derivative f'(x0) (``slope_at``),
checks it against a central finite difference, and draws the curve with the tangent
line  y = f(x0) + f'(x0) (x - x0).  Moving the slider shows that the number
``backward()`` returns is the slope of the curve. It is a ``gradlib.widgets.Widget``:
its controls are declared once, its figure is built once and then only its lines move.

The exercise checkers of notebook 00 are here too, so the check cells do not
give the answers away.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradlib import functional as F
from gradlib.engine import Tensor, no_grad, tensor
from gradlib.exercises import Feedback, check_array, check_function, check_scalar
from gradlib.plotting import COLORS, PALETTE, round_ticks, widget_figure
from gradlib.widgets import Dropdown, Slider, Widget

__all__ = [
    "FUNCTIONS",
    "X_RANGE",
    "TangentLine",
    "check_dot_square_gradient",
    "check_mean_square_grad",
    "check_slope",
    "slope_at",
]


def _square(x: Tensor) -> Tensor:
    return x**2


def _cubic(x: Tensor) -> Tensor:
    return x**3 - 3 * x


# The widget's dropdown: a label a learner reads -> a function built from gradlib ops.
FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "x**2": _square,
    "x**3 - 3x": _cubic,
    "tanh(x)": F.tanh,
    "sigmoid(x)": F.sigmoid,
}
X_RANGE = (-2.5, 2.5)
FINITE_DIFFERENCE_STEP = 1e-5


def _function(name: str) -> Callable[[Tensor], Tensor]:
    if name not in FUNCTIONS:
        raise ValueError(
            f"tangent_line: unknown function {name!r}; choose one of {list(FUNCTIONS)}."
        )
    return FUNCTIONS[name]


def slope_at(function: str, x0: float) -> tuple[float, float, float]:
    """f(x0), f'(x0) from ``backward()``, and the central difference (f(x0+h) - f(x0-h)) / 2h."""
    f = _function(function)
    x = tensor(float(x0), requires_grad=True)
    y = f(x)
    y.backward()
    h = FINITE_DIFFERENCE_STEP
    with no_grad():
        numerical = (f(tensor(x0 + h)).item() - f(tensor(x0 - h)).item()) / (2 * h)
    return y.item(), float(x.grad), numerical


@cache
def _curve(function: str) -> tuple[np.ndarray, np.ndarray]:
    """The curve to draw, computed once per function (a widget redraw only adds the tangent)."""
    xs = np.linspace(*X_RANGE, 201)
    with no_grad():
        ys = _function(function)(tensor(xs)).data
    return xs, ys


# Where the legend sits for each function: a corner the curve does not pass through.
LEGEND_PLACES = {"x**2": "upper center", "x**3 - 3x": "upper left"}


class TangentLine(Widget):
    """f(x), its slope at x0 from ``backward()`` (checked by a finite difference), and the
    curve with its tangent line at x0."""

    controls = {
        "x0": Slider(1.0, *X_RANGE, step=0.25, label="x0"),
        "function": Dropdown(list(FUNCTIONS), "x**2", label="f(x)"),
    }
    moved = {"x0": -1.75, "function": "tanh(x)"}

    def build(self) -> Figure:
        fig, ax = widget_figure(
            width=7.0, height=3.8, margins={"left": 0.1, "right": 0.97, "bottom": 0.145, "top": 0.9}
        )
        (self.curve,) = ax.plot([], [], color=COLORS[0], label="f(x)")
        (self.tangent,) = ax.plot([], [], color=PALETTE["vermillion"], label="tangent")
        (self.point,) = ax.plot([], [], "o", color=PALETTE["black"], markersize=7)
        ax.set_xlim(*X_RANGE)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        self.title = ax.set_title("", y=1.0)
        self.legend = ax.legend(loc="upper left")
        round_ticks(ax)
        self.ax = ax
        return fig

    def update(self, x0: float, function: str) -> str:
        value, slope, numerical = slope_at(function, x0)
        xs, ys = _curve(function)
        self.curve.set_data(xs, ys)
        # Draw the tangent over a fixed length so a steep slope stays inside the picture.
        half_width = 1.5 / np.sqrt(1.0 + slope**2)
        tx = np.array([x0 - half_width, x0 + half_width])
        self.tangent.set_data(tx, value + slope * (tx - x0))
        self.point.set_data([x0], [value])
        margin = 0.1 * (ys.max() - ys.min())
        self.ax.set_ylim(ys.min() - margin, ys.max() + margin)
        self.title.set_text(f"The slope backward() finds at x = {x0:.2f}")
        curve_label, tangent_label = self.legend.get_texts()
        curve_label.set_text(f"f(x) = {function}")
        tangent_label.set_text(f"tangent, slope f'(x) = {slope:.2f}")
        self.legend.set_loc(LEGEND_PLACES.get(function, "upper left"))
        return (
            f"f(x) = {function} at x = {x0:.2f}: f(x) = {value:.4f}, "
            f"slope from backward() = {slope:.4f}, finite difference = {numerical:.4f}"
        )


# ----- exercise checkers ------------------------------------------------------


def check_slope(answer: Any) -> Feedback:
    """Exercise 1: the slope f'(2) of f(x) = x**3 - 3x, worked out by hand.

    ``reveal=False``: a wrong answer is called too large or too small, so the check
    cell does not print the number the learner is asked to work out.
    """
    _, slope, _ = slope_at("x**3 - 3x", 2.0)
    return check_scalar(answer, slope, name="f'(2)", reveal=False)


DOT_X = np.array([1.0, 2.0, -1.0])
DOT_W = np.array([0.5, -1.0, 2.0])


def check_dot_square_gradient(answer: Any) -> Feedback:
    """Exercise 2: dL/dw for L = (w . x)**2 with ``DOT_W`` and ``DOT_X``; dL/dw = 2 (w . x) x."""
    reference = 2.0 * (DOT_W @ DOT_X) * DOT_X
    return check_array(answer, reference, name="dL/dw")


def _mean_square_grad_by_backward(x: np.ndarray) -> np.ndarray:
    t = tensor(x, requires_grad=True)
    (t**2).mean().backward()
    return t.grad


MEAN_SQUARE_CASES = (
    (np.array([3.0]),),
    (np.array([1.0, -2.0, 0.5]),),
    (np.array([[1.0, 2.0], [-3.0, 4.0]]),),
)


def check_mean_square_grad(function: Callable[[np.ndarray], Any] | None) -> Feedback:
    """Exercise 3: a function returning the gradient of mean(x**2), checked against backward()."""
    return check_function(
        function, _mean_square_grad_by_backward, MEAN_SQUARE_CASES, name="mean_square_grad"
    )
