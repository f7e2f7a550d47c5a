"""gradlib.lessons.start: the tangent-line widget and the exercise checkers of notebook 00."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gradlib import plotting  # noqa: E402
from gradlib.lessons import start  # noqa: E402

# f'(x) worked out by hand, independently of gradlib.
DERIVATIVES = {
    "x**2": lambda x: 2 * x,
    "x**3 - 3x": lambda x: 3 * x**2 - 3,
    "tanh(x)": lambda x: 1 - np.tanh(x) ** 2,
    "sigmoid(x)": lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
}
VALUES = {
    "x**2": lambda x: x**2,
    "x**3 - 3x": lambda x: x**3 - 3 * x,
    "tanh(x)": np.tanh,
    "sigmoid(x)": lambda x: 1 / (1 + np.exp(-x)),
}


def test_every_function_has_a_hand_derivative() -> None:
    assert set(start.FUNCTIONS) == set(DERIVATIVES)


@pytest.mark.parametrize("function", list(DERIVATIVES))
@pytest.mark.parametrize("x0", [-2.5, -1.0, 0.0, 0.75, 2.5])
def test_slope_at_matches_the_derivative(function: str, x0: float) -> None:
    value, slope, numerical = start.slope_at(function, x0)
    assert value == pytest.approx(VALUES[function](x0), abs=1e-12)
    assert slope == pytest.approx(DERIVATIVES[function](x0), abs=1e-12)
    assert numerical == pytest.approx(slope, abs=1e-6)


def _slope(line) -> float:
    (x0, x1), (y0, y1) = line.get_data()
    return (y1 - y0) / (x1 - x0)


def test_tangent_line_returns_the_numbers_and_draws_the_tangent() -> None:
    widget = start.TangentLine()
    text = widget.draw(x0=1.0, function="x**3 - 3x")
    assert text == (
        "f(x) = x**3 - 3x at x = 1.00: f(x) = -2.0000, slope from backward() = 0.0000, "
        "finite difference = 0.0000"
    )
    fig = widget.figure
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    curve, tangent, point = ax.lines
    np.testing.assert_allclose(curve.get_ydata(), VALUES["x**3 - 3x"](curve.get_xdata()))
    assert _slope(tangent) == pytest.approx(0.0, abs=1e-12)
    assert point.get_data()[0][0] == 1.0 and point.get_data()[1][0] == pytest.approx(-2.0)
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)"
    assert ax.get_title() == "The slope backward() finds at x = 1.00"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["f(x) = x**3 - 3x", "tangent, slope f'(x) = 0.00"]
    image = PIL.Image.open(io.BytesIO(plotting.render_png(fig)))
    assert image.format == "PNG" and image.size == (700, 380)


def test_tangent_has_the_slope_backward_returns() -> None:
    fig = start.TangentLine().figure_at(x0=-1.5, function="tanh(x)")
    assert _slope(fig.axes[0].lines[1]) == pytest.approx(1 - np.tanh(-1.5) ** 2)


def test_moving_a_control_changes_the_numbers_and_the_figure() -> None:
    widget = start.TangentLine()
    first = widget.draw()
    before = widget.figure.axes[0].lines[1].get_xydata().copy()
    second = widget.draw(x0=-1.75, function="tanh(x)")
    assert first != second and "at x = -1.75" in second
    ax = widget.figure.axes[0]
    assert not np.allclose(ax.lines[1].get_xydata(), before)
    assert _slope(ax.lines[1]) == pytest.approx(1 - np.tanh(-1.75) ** 2)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.tanh(ax.lines[0].get_xdata()))
    low, high = ax.get_ylim()
    assert low < -0.98 and high > 0.98 and high < 1.5  # rescaled from x**2's 0..6.25
    assert ax.get_legend().get_texts()[0].get_text() == "f(x) = tanh(x)"


def test_unknown_function_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown function 'x\*\*4'.*x\*\*2"):
        start.slope_at("x**4", 1.0)


def test_check_slope_rejects_a_string_and_says_why() -> None:
    feedback = start.check_slope("9")
    assert not feedback
    assert "it is a str" in str(feedback) and "Remove the quotes" in str(feedback)


def test_check_slope() -> None:
    # f'(x) = 3x**2 - 3, so f'(2) = 9 (by hand, not from gradlib)
    assert str(start.check_slope(9.0)) == "Correct: f'(2) = 9."
    assert "still empty" in str(start.check_slope(None))
    assert "wrong sign" in str(start.check_slope(-9.0))


@pytest.mark.parametrize(
    "answer, verdict",
    # 3 * 2**2 forgets the -3; 3 * 2 - 3 forgets the square
    [(3 * 2.0**2, "too large"), (3 * 2.0 - 3, "too small")],
)
def test_check_slope_does_not_give_the_answer_away(answer: float, verdict: str) -> None:
    feedback = start.check_slope(answer)
    assert not feedback
    assert str(feedback) == f"Not yet: f'(2) = {answer:g}, which is {verdict}."
    assert "9" not in str(feedback)


def test_check_dot_square_gradient() -> None:
    right = 2 * (start.DOT_W @ start.DOT_X) * start.DOT_X
    assert np.allclose(right, [-7.0, -14.0, 7.0])
    assert start.check_dot_square_gradient(right)
    assert "still empty" in str(start.check_dot_square_gradient(None))
    assert "2 times" in str(start.check_dot_square_gradient(2 * right))
    assert "shape" in str(start.check_dot_square_gradient(right[:2]))


def test_check_mean_square_grad() -> None:
    assert start.check_mean_square_grad(lambda x: 2 * x / x.size)
    forgot_mean = str(start.check_mean_square_grad(lambda x: 2 * x))
    assert "case 2" in forgot_mean and "3 times" in forgot_mean

    def placeholder(x):
        raise NotImplementedError

    assert "NotImplementedError" in str(start.check_mean_square_grad(placeholder))
    assert "not defined" in str(start.check_mean_square_grad(None))
