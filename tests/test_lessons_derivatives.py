"""gradlib.lessons.derivatives: finite-difference errors, gradients, directional derivatives.

The finite-difference assertions use the ranges of REFERENCES.md ("Finite differences"):
central differences are best near h = 1e-6..1e-5 in float64 and 1e-3..1e-2 in float32;
forward differences near sqrt(eps).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import plotting  # noqa: E402
from gradlib.lessons import derivatives as d  # noqa: E402

EPS64 = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ----- finite differences ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(d.EXAMPLES))
def test_best_central_step_lies_in_the_reference_range(name):
    assert 1e-6 <= d.best_step(d.difference_errors(name, "float64")["central"]) <= 1e-5
    assert 1e-3 <= d.best_step(d.difference_errors(name, "float32")["central"]) <= 1e-2


@pytest.mark.parametrize("name", list(d.EXAMPLES))
@pytest.mark.parametrize("precision, eps", [("float64", EPS64), ("float32", EPS32)])
def test_best_forward_step_is_near_sqrt_eps(name, precision, eps):
    best = d.best_step(d.difference_errors(name, precision)["forward"])
    assert np.sqrt(eps) / 5 <= best <= 5 * np.sqrt(eps)


@pytest.mark.parametrize("name", list(d.EXAMPLES))
def test_best_central_step_is_near_cube_root_of_eps(name):
    for precision, eps in (("float64", EPS64), ("float32", EPS32)):
        best = d.best_step(d.difference_errors(name, precision)["central"])
        assert np.cbrt(eps) / 5 <= best <= 5 * np.cbrt(eps)


def _slope(lo, hi, errors):
    inside = (d.STEPS >= lo) & (d.STEPS <= hi)
    return np.polyfit(np.log10(d.STEPS[inside]), np.log10(errors[inside]), 1)[0]


@pytest.mark.parametrize("name", ["sin", "exp", "log"])
def test_truncation_error_falls_as_h_and_h_squared(name):
    errors = d.difference_errors(name, "float64")
    assert _slope(1e-4, 1e-2, errors["forward"]) == pytest.approx(1.0, abs=0.1)
    assert _slope(1e-3, 1e-1, errors["central"]) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("name", list(d.EXAMPLES))
def test_round_off_error_rises_as_one_over_h(name):
    errors = d.difference_errors(name, "float64")
    for label in ("forward", "central"):
        assert -1.3 < _slope(1e-12, 1e-10, errors[label]) < -0.7


def test_differences_are_exact_where_truncation_vanishes():
    # forward is exact for a line, central for a parabola (up to rounding)
    assert d.forward_difference(lambda x: 3 * x + 1, 2.0, 0.5) == pytest.approx(3.0, abs=1e-14)
    assert d.central_difference(lambda x: x**2, 2.0, 0.5) == pytest.approx(4.0, abs=1e-14)
    assert d.forward_difference(lambda x: x**2, 2.0, 0.5) == pytest.approx(4.5, abs=1e-14)


@pytest.mark.parametrize("name", list(d.EXAMPLES))
@pytest.mark.parametrize("precision", list(d.PRECISIONS))
def test_best_step_theory_minimises_the_error_model(name, precision):
    fine = np.logspace(-14, 0, 20001)
    model = d.error_model(name, precision, fine)
    theory = d.best_step_theory(name, precision)
    for label in ("forward", "central"):
        assert theory[label] == pytest.approx(fine[np.argmin(model[label])], rel=2e-3)


def test_float32_steps_below_the_spacing_of_numbers_give_a_zero_estimate():
    # 1 + 1e-9 == 1 in float32, so the difference quotient is 0 and the error is |f'(1)|
    errors = d.difference_errors("exp", "float32", average=False)
    tiny = d.STEPS < 1e-8
    assert np.allclose(errors["forward"][tiny], np.e, rtol=1e-6)


def _line_slope(line) -> float:
    x, y = line.get_data()
    return (y[-1] - y[0]) / (x[-1] - x[0])


def test_derivative_explorer_prints_the_estimates():
    widget = d.DerivativeExplorer()
    text = widget.draw(function="sin", h=0.1, precision="float64")
    fig = widget.figure
    forward, central = (np.sin(1.1) - np.sin(1.0)) / 0.1, (np.sin(1.1) - np.sin(0.9)) / 0.2
    exact = np.cos(1.0)
    assert f"exact f'(1) = {exact:.10f}" in text
    assert f"forward {forward:.10f}" in text
    assert f"central {central:.10f}" in text
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    left, right = fig.axes
    curve, tangent, forward_secant, central_secant, forward_points, central_points = left.lines
    # the left panel shows f minus its tangent at 1, against the distance from 1
    dx = curve.get_xdata()
    np.testing.assert_allclose(
        curve.get_ydata(), np.sin(1 + dx) - np.sin(1.0) - exact * dx, atol=1e-15
    )
    assert list(tangent.get_ydata()) == [0.0, 0.0]  # the tangent, minus itself
    # a secant's tilt against the tangent is its error
    assert _line_slope(forward_secant) == pytest.approx(forward - exact)
    assert _line_slope(central_secant) == pytest.approx(central - exact)
    np.testing.assert_allclose(forward_points.get_xdata(), [0.0, 0.1])
    np.testing.assert_allclose(central_points.get_xdata(), [-0.1])
    # each secant passes through the points of its difference
    for secant, points in ((forward_secant, forward_points), (central_secant, central_points)):
        x, y = points.get_data()
        np.testing.assert_allclose(np.interp(x, *secant.get_data()), y, atol=1e-12)
    # the curve bends down by about f''(1) / 2 (x - 1)**2: the central points sit level
    assert forward_points.get_ydata()[1] == pytest.approx(-np.sin(1.0) / 2 * 0.01, rel=0.1)
    assert abs(_line_slope(central_secant)) < abs(_line_slope(forward_secant)) / 40
    assert left.get_title() == "f minus its tangent at x = 1, h = 1.0e-01"
    assert left.get_ylabel() == "f(x) - tangent"
    # the marked errors on the right sit at h, at the printed errors
    forward_error, central_error = right.lines[1], right.lines[3]
    assert list(forward_error.get_xdata()) == [0.1]
    assert forward_error.get_ydata()[0] == pytest.approx(abs(forward - exact))
    assert central_error.get_ydata()[0] == pytest.approx(abs(central - exact))
    assert right.get_title() == "Error against h (float64)"


@pytest.mark.parametrize("h", [10**-0.5, 0.03, 1e-3, 1e-6])
def test_derivative_explorer_zooms_with_h_and_keeps_the_bend_in_view(h):
    # The window is 1 +- 3h: the points x = 1 +- h always sit a third of the way to its
    # edges. With the tangent taken off, what is left is the bend, about
    # -sin(1)/2 (x - 1)**2, so the picture keeps its shape: its height shrinks as h**2.
    widget = d.DerivativeExplorer()
    widget.draw(function="sin", h=h, precision="float64")
    left = widget.figure.axes[0]
    curve, _, forward_secant, _, forward_points, central_points = left.lines
    low, high = left.get_xlim()
    assert low == pytest.approx(-1.05 * 3 * h) and high == pytest.approx(1.05 * 3 * h)
    assert forward_points.get_xdata()[1] == pytest.approx(h, rel=1e-3)
    assert central_points.get_xdata()[0] == pytest.approx(-h, rel=1e-3)
    bottom, top = left.get_ylim()
    values = curve.get_ydata()
    assert bottom < values.min() and max(values.max(), forward_secant.get_ydata().max()) < top
    assert values.min() == pytest.approx(-np.sin(1.0) / 2 * (3 * h) ** 2, rel=0.3)
    # headroom above the lines for the legend
    assert top - max(values.max(), forward_secant.get_ydata().max()) > 0.25 * (top - bottom) * 0.8
    tick_labels = left.xaxis.get_major_formatter()
    assert "e" not in tick_labels(0.0, 0) and tick_labels(0.0, 0) == "0"


def test_derivative_explorer_shows_round_off_as_a_sawtooth():
    # At h = 1e-10 in float64 the bend (~4e-20) is far below the spacing of the numbers
    # near sin(1) (1.1e-16): f minus its tangent is the rounding of f, within half a
    # spacing of 0, and the secants through two rounded values tilt by their error.
    widget = d.DerivativeExplorer()
    text = widget.draw(function="sin", h=1e-10, precision="float64")
    left = widget.figure.axes[0]
    curve, _, forward_secant, central_secant, _, _ = left.lines
    spacing = float(np.spacing(np.sin(1.0)))
    assert np.abs(curve.get_ydata()).max() <= 0.6 * spacing
    assert np.ptp(curve.get_ydata()) > 0.5 * spacing  # a sawtooth, not a smooth curve
    forward_error = float(re.search(r"forward \S+ \(error (\S+)\)", text).group(1))
    assert abs(_line_slope(forward_secant)) == pytest.approx(forward_error, rel=0.06)
    assert abs(_line_slope(forward_secant)) > 1e-8  # round-off: far above the truncation 4e-11


def test_derivative_explorer_shows_float32_rounding_at_tiny_steps():
    # Below float32's spacing of numbers at 1 (1.19e-7) the window stops shrinking, and
    # 1 + 1e-9 rounds to 1: the forward point sits on x = 1, its estimate is 0, and its
    # secant tilts by the whole slope -f'(1) against the tangent.
    widget = d.DerivativeExplorer()
    widget.draw(function="exp", h=1e-9, precision="float32")
    left = widget.figure.axes[0]
    curve, tangent, forward_secant, _, forward_points, _ = left.lines
    spacing = float(np.spacing(np.float32(1.0)))
    assert left.get_xlim()[1] == pytest.approx(1.05 * 100 * spacing)
    assert list(forward_points.get_xdata()) == [0.0, 0.0]
    assert _line_slope(forward_secant) == pytest.approx(-np.e)
    assert list(tangent.get_ydata()) == [0.0, 0.0]
    # the curve's x values are float32 numbers: whole multiples of the spacing
    steps = curve.get_xdata() / (spacing / 2)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)


def test_derivative_explorer_moved_shows_other_numbers_and_image():
    widget = d.DerivativeExplorer()
    first = widget.draw(function="sin", h=0.1, precision="float64")
    fig = widget.figure
    png = plotting.render_png(fig)
    left, right = fig.axes
    curve_before = right.lines[0].get_ydata().copy()
    second = widget.draw(function="exp", h=1e-7, precision="float32")
    assert widget.figure is fig
    assert first.startswith("sin, float64, h = 1.0e-01: exact f'(1)")
    assert second.startswith("exp, float32, h = 1.0e-07: exact f'(1)")
    # float32 cannot tell 1 + 1e-7 from 1 + 1.19e-7: the forward estimate is 0, error e
    assert right.lines[1].get_ydata()[0] == pytest.approx(np.e, rel=1e-6)
    assert not np.allclose(right.lines[0].get_ydata(), curve_before)
    np.testing.assert_allclose(
        right.lines[0].get_ydata(),
        np.maximum(d.difference_errors("exp", "float32", average=False)["forward"], 1e-17),
    )
    dx = left.lines[0].get_xdata()
    x = np.float32(1) + dx.astype(np.float32)
    above = np.exp(x).astype(np.float64) - float(np.exp(np.float32(1))) - np.e * dx
    np.testing.assert_allclose(left.lines[0].get_ydata(), above, atol=1e-12)
    # 1 + 1e-7 in float32 is the next number after 1, 1 + 1.19e-7
    assert left.lines[4].get_xdata()[1] == float(np.spacing(np.float32(1.0)))
    assert left.get_legend().get_texts()[0].get_text() == "f(x) = exp"
    assert right.get_title() == "Error against h (float32)"
    assert plotting.render_png(fig) != png


def test_derivative_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="function='tan' is outside its control"):
        d.DerivativeExplorer().draw(function="tan")
    with pytest.raises(ValueError, match="precision='float16' is outside its control"):
        d.DerivativeExplorer().draw(precision="float16")
    with pytest.raises(ValueError, match="unknown function 'tan'"):
        d.difference_errors("tan")


def test_plot_difference_errors_draws_both_precisions():
    fig = d.plot_difference_errors("exp")
    assert [ax.get_title().split()[0] for ax in fig.axes] == ["float64", "float32"]


# ----- the two-variable function and its gradient ------------------------------------------

POINTS = [(1.0, 0.5), (-1.0, 1.0), (0.3, -1.2), (1.5, 1.5)]


def test_surface_works_on_arrays_and_tensors():
    x, y = np.array([1.0, -0.5]), np.array([0.5, 2.0])
    values = d.surface(x, y)
    assert isinstance(values, np.ndarray)
    np.testing.assert_allclose(values, x**2 + 3 * y**2 + np.exp(x * y), rtol=1e-15)
    assert isinstance(d.surface(gl.tensor(x), gl.tensor(y)), gl.Tensor)


@pytest.mark.parametrize("x, y", POINTS)
def test_autodiff_analytic_and_finite_differences_agree(x, y):
    analytic = d.surface_grad(x, y)
    np.testing.assert_allclose(d.autodiff_grad(x, y), analytic, rtol=1e-13)
    numerical = gl.numerical_grad(lambda a, b: d.surface(a, b), np.array(x), np.array(y))
    np.testing.assert_allclose(np.array(numerical), analytic, rtol=1e-8)


@pytest.mark.parametrize("x, y", POINTS)
def test_gradient_matches_pytorch(torch, x, y):
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    (tx**2 + 3 * ty**2 + torch.exp(tx * ty)).backward()
    np.testing.assert_allclose(d.autodiff_grad(x, y), [tx.grad.item(), ty.grad.item()], rtol=1e-13)


@pytest.mark.parametrize("x, y", POINTS)
def test_directional_derivative_is_grad_dot_u(x, y):
    angles = np.random.default_rng(0).uniform(0, 360, 50)
    u = np.stack([np.cos(np.deg2rad(angles)), np.sin(np.deg2rad(angles))])
    expected = d.surface_grad(x, y) @ u
    np.testing.assert_allclose(d.directional_derivatives(x, y, angles), expected, atol=1e-7)


@pytest.mark.parametrize("x, y", POINTS)
def test_largest_directional_derivative_is_the_gradient(x, y):
    angles = np.arange(0.0, 360.0, 0.01)
    sweep = d.directional_derivatives(x, y, angles)
    grad = d.surface_grad(x, y)
    assert sweep.max() == pytest.approx(np.linalg.norm(grad), rel=1e-7)
    grad_angle = np.rad2deg(np.arctan2(grad[1], grad[0])) % 360
    gap = abs((angles[np.argmax(sweep)] - grad_angle + 180) % 360 - 180)
    assert gap <= 0.01
    # and the steepest descent is the opposite direction, at rate -|grad f|
    assert sweep.min() == pytest.approx(-np.linalg.norm(grad), rel=1e-7)


@pytest.mark.parametrize("x, y", POINTS)
def test_gradient_is_perpendicular_to_the_contour(x, y):
    tangent = d.contour_tangent(x, y)
    grad = d.surface_grad(x, y)
    assert np.linalg.norm(tangent) == pytest.approx(1.0, abs=1e-12)
    assert abs(tangent @ grad) / np.linalg.norm(grad) < 1e-5
    # moving along the tangent leaves f unchanged to second order
    step = 1e-4
    change = d.surface(x + step * tangent[0], y + step * tangent[1]) - d.surface(x, y)
    assert abs(change) < 1e-6


def test_contour_tangent_at_the_minimum_explains_itself():
    with pytest.raises(ValueError, match="crosses the circle 0 times"):
        d.contour_tangent(0.0, 0.0)


def test_directional_explorer_prints_the_gradient():
    widget = d.DirectionalExplorer()
    text = widget.draw(x0=1.0, y0=0.5, angle=30.0)
    fig = widget.figure
    norm = np.hypot(2 + 0.5 * np.exp(0.5), 3 + np.exp(0.5))
    assert f"|grad f| = {norm:.3f}" in text
    assert f"largest D_u f = {norm:.3f}" in text
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    left, right = fig.axes
    gradient_arrow, u_arrow = left.patches
    # each arrow starts at (1, 0.5); its tip (the point farthest away) is 0.8 along its direction
    grad = d.surface_grad(1.0, 0.5)
    for arrow, direction in (
        (u_arrow, np.deg2rad(30.0)),
        (gradient_arrow, np.arctan2(*grad[::-1])),
    ):
        path = arrow.get_path()
        offsets = path.vertices[path.codes != MplPath.CLOSEPOLY] - [1.0, 0.5]
        tip = offsets[np.argmax(np.hypot(*offsets.T))]
        assert np.arctan2(tip[1], tip[0]) == pytest.approx(direction, abs=0.01)
        assert np.hypot(*tip) == pytest.approx(0.8, abs=0.1)  # shortened by 2 points each end
    sweep, norm_line, angle_line, current = right.lines
    assert norm_line.get_ydata()[0] == pytest.approx(norm)
    assert angle_line.get_xdata()[0] == pytest.approx(np.rad2deg(np.arctan2(grad[1], grad[0])))
    assert list(current.get_xdata()) == [30.0]
    np.testing.assert_allclose(sweep.get_ydata(), d.directional_derivatives(1.0, 0.5, d.ANGLES_DEG))
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels == ["tangent to the contour", "gradient direction", "u at 30 deg"]
    assert gradient_arrow.get_visible()


def test_directional_explorer_at_the_minimum_and_back():
    widget = d.DirectionalExplorer()
    text = widget.draw(x0=0.0, y0=0.0, angle=90.0)
    fig = widget.figure
    png = plotting.render_png(fig)
    assert text.endswith("a stationary point: f is flat in every direction.")
    left, right = fig.axes
    # no gradient to draw: its arrow, the tangent and the |grad f| lines are hidden
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["u at 90 deg"]
    assert not left.patches[0].get_visible() and not right.lines[1].get_visible()
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["D_u f (central differences)"]
    assert "at (-1.25, 0.75): grad f" in widget.draw(x0=-1.25, y0=0.75, angle=135.0)
    legend = left.get_legend()
    assert [t.get_text() for t in legend.get_texts()][1:] == ["gradient direction", "u at 135 deg"]
    assert all(key.get_visible() for key in legend.legend_handles)
    assert left.patches[0].get_visible() and right.lines[1].get_visible()
    norm = np.linalg.norm(d.surface_grad(-1.25, 0.75))
    assert right.get_legend().get_texts()[1].get_text() == f"|grad f| = {norm:.2f}"
    assert right.get_ylim()[1] == pytest.approx(1.15 * norm)
    assert plotting.render_png(fig) != png


def test_directional_explorer_next_to_the_minimum_draws_without_the_tangent():
    # The level curve through (1e-4, 1e-4) is an oval far smaller than contour_tangent's
    # default search circle; the widget searches on smaller circles instead of raising.
    with pytest.raises(ValueError, match="crosses the circle"):
        d.contour_tangent(1e-4, 1e-4)
    widget = d.DirectionalExplorer()
    text = widget.draw(x0=1e-4, y0=1e-4, angle=0.0)
    assert "grad f" in text and "stationary" not in text
    grad = d.surface_grad(1e-4, 1e-4)
    cosine = d.contour_tangent_near(1e-4, 1e-4) @ grad / np.linalg.norm(grad)
    assert np.rad2deg(np.arccos(abs(cosine))) == pytest.approx(90.0, abs=0.5)  # perpendicular
    assert d.contour_tangent_near(0.0, 0.0) is None  # the minimum has no level curve


def test_plot_partials_shows_the_partial_derivatives():
    fig = d.plot_partials(1.0, 0.5)
    assert len(fig.axes) == 3
    fx, fy = d.surface_grad(1.0, 0.5)
    assert f"{fx:.3f}" in fig.axes[1].get_title()
    assert f"{fy:.3f}" in fig.axes[2].get_title()


# ----- the exercise checker -------------------------------------------------------------------


def test_check_steepest_descent_accepts_minus_the_unit_gradient():
    g = d.surface_grad(1.0, 0.5)
    assert d.check_steepest_descent(-g / np.linalg.norm(g), 1.0, 0.5)
    assert d.check_steepest_descent(gl.tensor(-g / np.linalg.norm(g)), 1.0, 0.5)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "still empty"),
        ([1.0, 0.0, 0.0], "shape (2,)"),
        ("up", "it is a str"),
        ([np.nan, 1.0], "nan"),
        ([0, 0], "points nowhere"),
        ([-2.824, -4.649], "length 5.44, not 1 (it points the right way)"),
        ([2.824, 4.649], "points along the gradient, uphill"),
        ([0.5189, 0.8548], "the gradient's own, steepest ascent"),
        ([-0.8546, 0.5192], "along the contour line, where f does not change"),
        ([-0.6, -0.8], "5.6 degrees away"),
        ([0.8, 0.6], "it points uphill, 158.2 degrees away"),
    ],
)
def test_check_steepest_descent_names_the_problem(answer, phrase):
    verdict = d.check_steepest_descent(answer, 1.0, 0.5)
    assert not verdict
    assert phrase in verdict.message


def test_check_steepest_descent_accepts_rounded_numbers_with_a_note():
    exact = -d.surface_grad(-1.0, 1.0) / np.linalg.norm(d.surface_grad(-1.0, 1.0))
    assert "rounded" not in str(d.check_steepest_descent(exact, -1.0, 1.0))
    rounded = d.check_steepest_descent(np.round(exact, 2), -1.0, 1.0)  # (0.28, -0.96)
    assert rounded and "to within 0.10 degrees: rounded numbers" in str(rounded)
    # two degrees off is a different direction, not a rounding
    turn = np.deg2rad(2.0)
    rotated = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ exact
    assert "2.0 degrees away" in str(d.check_steepest_descent(rotated, -1.0, 1.0))


# g(x, y) = x y**2 + exp(2x) at (0.5, 3), by hand: (y**2 + 2 exp(2x), 2 x y) = (9 + 2e, 3)
GRADIENT_OF_G = [9 + 2 * np.e, 3.0]


def test_check_gradient_by_hand_accepts_the_gradient():
    assert d.EXERCISE_POINT == (0.5, 3.0)
    assert str(d.check_gradient_by_hand(GRADIENT_OF_G)) == (
        "Correct: your gradient of g at (0.5, 3) matches the reference in all 2 entries."
    )
    assert d.check_gradient_by_hand(gl.tensor(GRADIENT_OF_G))
    assert d.check_gradient_by_hand([9 + 2 * 2.718, 3])  # e to four digits is close enough


@pytest.mark.parametrize(
    "answer, phrases, hints",
    [
        (None, ["still empty"], 0),
        ([9 + 2 * np.e, 3.0, 0.0], ["shape (3,)"], 0),
        ([-9 - 2 * np.e, -3.0], ["wrong sign"], 0),
        # the slips the checker names: no chain-rule factor 2 in d/dx exp(2x); 2y for 2xy
        (
            [9 + np.e, 3.0],
            ["1 of 2 entries", "dg/dx yours is 11.7183, which is too small", "chain rule's factor"],
            1,
        ),
        ([9 + 2 * np.e, 6.0], ["dg/dy yours is 6, which is too large", "without the x"], 1),
        ([2 * np.e, 3.0], ["the term x y**2 has a derivative too"], 1),
        ([9.0, 3.0], ["exp(2x) depends on x"], 1),
        ([9 + 2 * np.exp(0.5), 3.0], ["exp(x) where exp(2x) belongs"], 1),
        ([9 + 2 * np.e, 1.5], ["brings the exponent 2 of y**2 down"], 1),
        ([3.0, 9 + 2 * np.e], ["the right two numbers, but swapped"], 0),
        ([9 + np.e, 6.0], ["2 of 2 entries", "Hint: your dg/dx", "Hint: your dg/dy"], 2),
        # any other mistake: the entry is named, too large or too small, and no hint
        ([20.0, 3.0], ["dg/dx yours is 20, which is too large"], 0),
    ],
)
def test_check_gradient_by_hand_names_the_entry_without_the_answer(answer, phrases, hints):
    verdict = d.check_gradient_by_hand(answer)
    assert not verdict
    for phrase in phrases:
        assert phrase in str(verdict)
    assert str(verdict).count("Hint:") == hints
    # the expected values are never printed (a shape message may say "expected (2,)")
    assert "14.43" not in str(verdict) and not re.search(r"expected -?\d", str(verdict))


def test_plain_log_ticks_labels_decades_without_mathtext():
    from gradlib.plotting import plain_log_ticks

    fig, ax = plt.subplots()
    ax.loglog([1e-6, 1e2], [1e-3, 1e3])
    plain_log_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1e-4" in labels and "1e0" in labels
    assert not any("$" in text for text in labels)
    assert len(ax.xaxis.get_minor_ticks()) == 0


def test_contour_labels_name_each_level_on_its_own_contour():
    labels = d.contour_labels()
    assert [text for text, _ in labels] == [f"{level:g}" for level in d.CONTOUR_LEVELS]
    for text, (x, y) in labels:
        assert d.surface(x, y) == pytest.approx(float(text), rel=1e-3)  # on its own contour
        assert max(abs(x), abs(y)) < 0.9 * d.GRID_LIMIT  # not cut by the frame


def test_directional_explorer_draws_the_contour_labels():
    from matplotlib.collections import PathCollection

    fig = d.DirectionalExplorer().figure_at(x0=1.0, y0=0.5, angle=30.0)
    left = fig.axes[0]
    boxes, glyphs = [c for c in left.collections if isinstance(c, PathCollection)]
    positions = np.array([position for _, position in d.contour_labels()])
    for collection in (boxes, glyphs):
        np.testing.assert_allclose(collection.get_offsets(), positions)
        assert collection.get_zorder() < left.patches[0].get_zorder()  # under the arrows
    assert len(glyphs.get_paths()) == len(d.CONTOUR_LEVELS)
    # white boxes behind the glyphs, each glyph inside its box
    assert boxes.get_zorder() == glyphs.get_zorder()
    assert left.collections.index(boxes) < left.collections.index(glyphs)  # drawn first
    np.testing.assert_allclose(boxes.get_facecolor(), [[1.0, 1.0, 1.0, 1.0]])
    # each label in the colour of its own contour lines, one colour per level
    line_colors = left.collections[0].get_colors()
    assert len(np.unique(glyphs.get_facecolor(), axis=0)) == len(d.CONTOUR_LEVELS)
    first_piece = 0  # the line collection holds every level's pieces, level by level
    for (_, pieces), color in zip(d.figures._contour_lines(), glyphs.get_facecolor()):
        np.testing.assert_allclose(line_colors[first_piece], color)
        first_piece += len(pieces)
    for box, glyph in zip(boxes.get_paths(), glyphs.get_paths()):
        assert box.get_extents().contains(*glyph.get_extents().min)
        assert box.get_extents().contains(*glyph.get_extents().max)


def test_plot_partials_keeps_every_axis_label_inside_the_figure():
    fig = d.plot_partials(1.0, 0.5)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax3d = fig.axes[0]
    labels = [ax3d.zaxis.label] + [ax.xaxis.label for ax in fig.axes]
    labels += [ax.yaxis.label for ax in fig.axes]
    assert ax3d.zaxis.label.get_text() == "f(x, y)"
    assert ax3d.zaxis.label.get_rotation() == 90  # reads bottom to top, like the 2-D labels
    # one light grey for the whole surface (not a colour map), so the coloured slices stand out
    (surface,) = ax3d.collections[:1]
    assert np.unique(surface.get_facecolor()[:, :3], axis=0).tolist() == [[0.92, 0.92, 0.92]]
    for label in labels:
        box = label.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, label.get_text()
        assert box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, label.get_text()


# ----- exercise 3: central_gradient ---------------------------------------------------------


def _central_gradient(f, x, y, h=1e-6):
    return [(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)]


def test_check_central_gradient_accepts_central_differences():
    assert str(d.check_central_gradient(_central_gradient)).startswith(
        "Correct: central_gradient gives the central differences on all 5 test cases"
    )

    def with_arrays(f, x, y, h=1e-6):  # another spelling of the same formula
        p = np.array([x, y])
        steps = h * np.eye(2)
        return np.array([(f(*(p + e)) - f(*(p - e))) / (2 * h) for e in steps])

    assert d.check_central_gradient(with_arrays)
    # with h = 0.1 the central difference is not the gradient, so the cases can tell
    label, f, x, y, h = d.CENTRAL_CASES[3]
    assert h == 0.1
    assert abs(_central_gradient(f, x, y, h)[0] - d.surface_grad(x, y)[0]) > 1e-4


def _forward(f, x, y, h=1e-6):
    return [(f(x + h, y) - f(x, y)) / h, (f(x, y + h) - f(x, y)) / h]


def _over_h(f, x, y, h=1e-6):
    return [2 * v for v in _central_gradient(f, x, y, h)]


def _swapped(f, x, y, h=1e-6):
    return _central_gradient(f, x, y, h)[::-1]


def _diagonal(f, x, y, h=1e-6):
    rate = (f(x + h, y + h) - f(x - h, y - h)) / (2 * h)
    return [rate, rate]


def _precedence(f, x, y, h=1e-6):
    return [(f(x + h, y) - f(x - h, y)) / 2 * h, (f(x, y + h) - f(x, y - h)) / 2 * h]


def _ignores_h(f, x, y, h=1e-6):
    return _central_gradient(f, x, y)


def _one_number(f, x, y, h=1e-6):
    return _central_gradient(f, x, y, h)[0]


def _placeholder(f, x, y, h=1e-6):
    raise NotImplementedError


def _no_h(f, x, y):
    return _central_gradient(f, x, y)


@pytest.mark.parametrize(
    "function, phrase",
    [
        (None, "not defined yet"),
        (_placeholder, "still raises NotImplementedError"),
        (_forward, "this is the forward difference"),
        (_over_h, "divide by 2h, not h"),
        (_swapped, "swapped"),
        (_diagonal, "along the diagonal"),
        (_precedence, "write / (2 * h)"),
        (_ignores_h, "ignores its argument h"),
        (_one_number, "returned shape ()"),
        (_no_h, "raised TypeError"),
        (lambda f, x, y, h=1e-6: [0.0, 1.0], "wrong on 5 of 5 test cases"),
    ],
)
def test_check_central_gradient_names_the_slip(function, phrase):
    verdict = d.check_central_gradient(function)
    assert not verdict
    assert phrase in str(verdict), str(verdict)
