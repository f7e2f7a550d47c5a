"""gradlib.lessons.start: the tangent-line widget and the exercise checkers of notebook 00."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

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


def test_tangent_line_prints_the_numbers_and_draws_the_tangent(capsys) -> None:
    plt.close("all")
    start.tangent_line(x0=1.0, function="x**3 - 3x")
    out = capsys.readouterr().out
    assert out == (
        "f(x) = x**3 - 3x at x = 1.00: f(x) = -2.0000, slope from backward() = 0.0000, "
        "finite difference = 0.0000\n"
    )
    fig = plt.gcf()
    curve, tangent, point = fig.axes[0].lines
    tx, ty = tangent.get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(0.0, abs=1e-12)
    assert point.get_data()[0][0] == 1.0 and point.get_data()[1][0] == pytest.approx(-2.0)
    assert fig.axes[0].get_xlabel() == "x" and fig.axes[0].get_ylabel() == "f(x)"
    plt.close("all")


def test_tangent_has_the_slope_backward_returns() -> None:
    plt.close("all")
    start.tangent_line(x0=-1.5, function="tanh(x)")
    tx, ty = plt.gcf().axes[0].lines[1].get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(1 - np.tanh(-1.5) ** 2)
    plt.close("all")


def test_unknown_function_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown function 'x\*\*4'.*x\*\*2"):
        start.slope_at("x**4", 1.0)


def test_check_slope() -> None:
    assert start.check_slope(9.0)
    assert "still empty" in str(start.check_slope(None))
    assert "wrong sign" in str(start.check_slope(-9.0))
    assert not start.check_slope(12.0)  # forgot the -3


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
