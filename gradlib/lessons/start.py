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
from gradlib.exercises import Feedback, check_array, check_function, check_scalar, read_numbers
from gradlib.language import tr
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
        (self.tangent,) = ax.plot([], [], color=PALETTE["vermillion"], label=tr("tangent"))
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
        self.title.set_text(tr("The slope backward() finds at x = {x0:.2f}", x0=x0))
        curve_label, tangent_label = self.legend.get_texts()
        curve_label.set_text(f"f(x) = {function}")
        tangent_label.set_text(tr("tangent, slope f'(x0) = {slope:.2f}", slope=slope))
        self.legend.set_loc(LEGEND_PLACES.get(function, "upper left"))
        return tr(
            "f(x) = {function} at x = {x0:.2f}: f(x) = {value:.4f}, "
            "slope from backward() = {slope:.4f}, finite difference = {numerical:.4f}",
            function=function,
            x0=x0,
            value=value,
            slope=slope,
            numerical=numerical,
        )


# ----- exercise checkers ------------------------------------------------------

# Exercise 1, f(x) = x**3 - 3x at x = 2: the usual slips, the number each gives, and what
# went wrong. None of the messages names the right answer. (English here: tr when shown.)
SLOPE_SLIPS = (
    (3 * 2.0**2, "you differentiated x**3 (3x**2) but not -3x, whose derivative is -3"),
    (3 * 2.0 - 3, "3x - 3 forgets the square: the power rule takes x**3 to 3x**2"),
    (2.0**2 - 3, "x**2 - 3 forgets a factor: the power rule brings the exponent 3 down"),
    (3 * 2.0**2 - 3 * 2.0, "-3x differentiates to -3, not to -3x: the x goes"),
    (3 * 2.0**2 + 3, "the sign of the -3: the derivative of -3x is -3"),
    (2.0**3 - 3 * 2.0, "that is f(2), the height of the curve at x = 2, not its slope"),
)


def _slip_hint(got: float, slips: tuple[tuple[float, str], ...]) -> str | None:
    return next((advice for value, advice in slips if abs(got - value) <= 1e-6), None)


def check_slope(answer: Any) -> Feedback:
    """Exercise 1: the slope f'(2) of f(x) = x**3 - 3x, worked out by hand.

    ``reveal=False``: a wrong answer is called too large or too small, so the check
    cell does not print the number the learner is asked to work out; a usual slip
    (``SLOPE_SLIPS``) is named.
    """
    _, slope, _ = slope_at("x**3 - 3x", 2.0)
    verdict = check_scalar(answer, slope, name="f'(2)", reveal=False)
    got = read_numbers(answer)
    if verdict or isinstance(got, Feedback) or got.size != 1:
        return verdict
    value = float(got.reshape(()))
    if np.isclose(value, -slope):
        return Feedback(
            False,
            tr(
                "f'(2) = {value:g} has the wrong sign: at x = 2 the curve x**3 - 3x rises "
                "(pick it in the widget), so its slope there is positive.",
                value=value,
            ),
        )
    hint = _slip_hint(value, SLOPE_SLIPS)
    if hint is None:
        return verdict
    return Feedback(False, tr("{verdict} Hint: {hint}.", verdict=verdict.message, hint=tr(hint)))


DOT_X = np.array([1.0, 2.0, -1.0])
DOT_W = np.array([0.5, -1.0, 2.0])


def check_dot_square_gradient(answer: Any) -> Feedback:
    """Exercise 2: dL/dw for L = (w . x)**2 with ``DOT_W`` and ``DOT_X``; dL/dw = 2 (w . x) x.

    A wrong answer is called too large or too small entry by entry (``reveal=False``), and
    the usual slips are named: w.grad before backward() (None), L or w . x instead of the
    gradient, the gradient with respect to x, w or x themselves, the 2 of the square
    missing, and backward() run twice (gradients add up in .grad).
    """
    if answer is None:
        return Feedback(
            False,
            tr(
                "dL/dw is still empty: set grad_w = w.grad after L.backward() (before "
                "backward() runs, w.grad is None)."
            ),
        )
    s = float(DOT_W @ DOT_X)
    reference = 2.0 * s * DOT_X
    verdict = check_array(answer, reference, name="dL/dw", reveal=False)
    got = read_numbers(answer)
    if verdict or isinstance(got, Feedback):
        return verdict
    if got.size == 1:
        value = float(got.reshape(-1)[0])
        what = {s**2: "L itself", s: "w . x"}.get(
            next((v for v in (s**2, s) if np.isclose(value, v)), None), "one number"
        )
        return Feedback(
            False,
            tr(
                "dL/dw is {what} ({value:g}), but the gradient has one entry per weight, 3 in "
                "all: after L.backward(), take w.grad.",
                what=tr(what),
                value=value,
            ),
        )
    slips = (
        (
            2.0 * s * DOT_W,
            "this is 2 (w . x) w, the gradient with respect to x, not w: "
            "make w the tensor with requires_grad=True and take w.grad",
        ),
        (DOT_W, "these are the weights w themselves; the gradient is w.grad, after L.backward()"),
        (DOT_X, "these are the inputs x; the gradient is w.grad, after L.backward()"),
        (s * DOT_X, "half the gradient: the 2 of d/ds s**2 = 2 s is missing"),
        (
            4.0 * s * DOT_X,
            "twice the gradient: did L.backward() run twice? Gradients add up in "
            "w.grad; make w again (run the whole cell once) and call backward() once",
        ),
    )
    for value, advice in slips:
        if got.shape == value.shape and np.allclose(got, value, rtol=1e-4, atol=1e-6):
            return Feedback(
                False,
                tr(
                    "dL/dw = {values}: {advice}.",
                    values=np.round(got, 4).tolist(),
                    advice=tr(advice),
                ),
            )
    return verdict


def _mean_square_grad_by_backward(x: np.ndarray) -> np.ndarray:
    t = tensor(x, requires_grad=True)
    (t**2).mean().backward()
    return t.grad


MEAN_SQUARE_CASES = (
    (np.array([3.0]),),
    (np.array([1.0, -2.0, 0.5]),),
    (np.array([[1.0, 2.0], [-3.0, 4.0]]),),
)

# Exercise 3: wrong gradients of mean(x**2), and what each one forgot. Each is compared on
# every test case; a slip that agrees with the right answer on one case (x of one entry)
# is still named by the others.
MEAN_SQUARE_SLIPS = (
    (lambda x: 2 * x, "2 x forgets the mean's 1/N (N = x.size)"),
    (lambda x: x / x.size, "x / N forgets the 2 of the power rule: d/dx x**2 = 2x"),
    (
        lambda x: 2 * x / len(x),
        "len(x) counts the rows of a 2-D array (2 in test case 3), not its entries (4): "
        "divide by x.size",
    ),
    (lambda x: x**2 / x.size, "x**2 / N are the terms of L, not their derivatives"),
    (lambda x: -2 * x / x.size, "the sign: L grows with |x_i|, so dL/dx_i has the sign of x_i"),
)


def check_mean_square_grad(function: Callable[[np.ndarray], Any] | None) -> Feedback:
    """Exercise 3: a function returning the gradient of mean(x**2), checked against backward().

    Beyond ``check_function``'s report, it names what the function returns when that is a
    usual slip (``MEAN_SQUARE_SLIPS``, or one number instead of one per entry), and the
    input of the test case it fails on.
    """
    name = "mean_square_grad"
    # Copies: a function that changes its argument must not change the test cases.
    inputs = [np.array(x, copy=True) for (x,) in MEAN_SQUARE_CASES]
    cases = [(np.array(x, copy=True),) for x in inputs]
    verdict = check_function(function, _mean_square_grad_by_backward, cases, name=name)
    if verdict or function is None:
        return verdict
    try:
        copies = [np.array(x, copy=True) for x in inputs]
        outputs = [read_numbers(function(copy)) for copy in copies]
    except Exception:  # check_function's message already reports what the function raised
        return verdict
    # check_function reports the first case whose input changed in place or whose result is
    # wrong: when that is an input changed in place, its message says all there is to say.
    for x, copy, out in zip(inputs, copies, outputs):
        if not np.array_equal(copy, x, equal_nan=True):
            return verdict
        if isinstance(out, Feedback) or not check_array(out, _mean_square_grad_by_backward(x)):
            break
    if any(isinstance(out, Feedback) for out in outputs):
        return verdict  # not numbers: check_function's message says so
    for x, out in zip(inputs, outputs):
        if out.size == 1 and x.size > 1:
            return Feedback(
                False,
                tr(
                    "{name} returns one number ({value:g}) for x = {x}, but the gradient has "
                    "one entry per entry of x: return an array of the shape of x, {shape} here.",
                    name=name,
                    value=float(out.reshape(-1)[0]),
                    x=x.tolist(),
                    shape=x.shape,
                ),
            )
    for slip, advice in MEAN_SQUARE_SLIPS:
        if all(
            out.shape == x.shape and np.allclose(out, slip(x)) for x, out in zip(inputs, outputs)
        ):
            return Feedback(
                False, tr("{name} is not the gradient yet: {advice}.", name=name, advice=tr(advice))
            )
    failing = next(
        (
            number
            for number, (x, out) in enumerate(zip(inputs, outputs), start=1)
            if not check_array(out, _mean_square_grad_by_backward(x))
        ),
        None,
    )
    if failing is None:
        return verdict
    return Feedback(
        False,
        tr(
            "{verdict} (Test case {number} is x = {x}.)",
            verdict=verdict.message,
            number=failing,
            x=inputs[failing - 1].tolist(),
        ),
    )
