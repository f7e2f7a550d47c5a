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
    assert labels == ["f(x) = x**3 - 3x", "tangent, slope f'(x0) = 0.00"]
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
    wrong_sign = str(start.check_slope(-9.0))
    assert "wrong sign" in wrong_sign and "rises" in wrong_sign


@pytest.mark.parametrize(
    "answer, verdict, slip",
    [
        (3 * 2.0**2, "too large", "but not -3x"),  # 12: the -3x not differentiated
        (3 * 2.0 - 3, "too small", "forgets the square"),  # 3
        (2.0**2 - 3, "too small", "brings the exponent 3 down"),  # 1
        (3 * 2.0**2 - 3 * 2.0, "too small", "not to -3x"),  # 6
        (3 * 2.0**2 + 3, "too large", "the sign of the -3"),  # 15
        (2.0**3 - 3 * 2.0, "too small", "that is f(2)"),  # 2: the value, not the slope
        (5.0, "too small", None),  # no usual slip: no hint
    ],
)
def test_check_slope_names_the_slip_without_the_answer(answer, verdict, slip) -> None:
    feedback = str(start.check_slope(answer))
    assert feedback.startswith(f"Not yet: f'(2) = {answer:g}, which is {verdict}.")
    if slip is None:
        assert "Hint" not in feedback
    else:
        assert "Hint: " in feedback and slip in feedback
    assert "9" not in feedback.replace(f"{answer:g}", "")


def test_check_dot_square_gradient() -> None:
    right = 2 * (start.DOT_W @ start.DOT_X) * start.DOT_X
    assert np.allclose(right, [-7.0, -14.0, 7.0])
    assert start.check_dot_square_gradient(right)
    assert start.check_dot_square_gradient(right.tolist())
    assert "shape" in str(start.check_dot_square_gradient(right[:2]))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "w.grad is None"),  # grad_w = w.grad before backward()
        (12.25, "L itself"),
        (-3.5, "w . x"),
        (2 * (-3.5) * start.DOT_W, "the gradient with respect to x"),
        (start.DOT_W, "the weights w themselves"),
        (start.DOT_X, "the inputs x"),
        (-3.5 * start.DOT_X, "the 2 of d/ds s**2"),
        (4 * (-3.5) * start.DOT_X, "did L.backward() run twice?"),
    ],
)
def test_check_dot_square_gradient_names_the_slip_and_hides_the_answer(answer, phrase) -> None:
    feedback = str(start.check_dot_square_gradient(answer))
    assert feedback.startswith("Not yet") and phrase in feedback, feedback
    assert "expected -" not in feedback and "-14" not in feedback.replace("-14.0", "")


def test_check_mean_square_grad() -> None:
    assert start.check_mean_square_grad(lambda x: 2 * x / x.size)

    def placeholder(x):
        raise NotImplementedError

    assert "NotImplementedError" in str(start.check_mean_square_grad(placeholder))
    assert "not defined" in str(start.check_mean_square_grad(None))


@pytest.mark.parametrize(
    "function, phrase",
    [
        (lambda x: 2 * x, "forgets the mean's 1/N"),
        (lambda x: x / x.size, "forgets the 2 of the power rule"),
        (lambda x: 2 * x / len(x), "len(x) counts the rows"),
        (lambda x: x**2 / x.size, "the terms of L"),
        (lambda x: -2 * x / x.size, "the sign"),
        (lambda x: 2 * x.mean(), "returns one number"),
        (lambda x: (x**2).mean(), "returns one number"),
        (lambda x: 2 * x / x.size + 1, "(Test case 1 is x = [3.0].)"),
    ],
)
def test_check_mean_square_grad_names_the_slip(function, phrase) -> None:
    feedback = str(start.check_mean_square_grad(function))
    assert feedback.startswith("Not yet") and phrase in feedback, feedback


def test_check_mean_square_grad_keeps_its_cases_when_a_function_changes_them() -> None:
    def doubles_in_place(x):
        x *= 2
        return x / x.size

    assert "in place" in str(start.check_mean_square_grad(doubles_in_place))
    assert start.MEAN_SQUARE_CASES[0][0].tolist() == [3.0]
    assert start.check_mean_square_grad(lambda x: 2 * x / x.size)
