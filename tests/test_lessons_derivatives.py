"""gradlib.lessons.derivatives: finite-difference errors, gradients, directional derivatives.

The finite-difference assertions use the ranges of REFERENCES.md ("Finite differences"):
central differences are best near h = 1e-6..1e-5 in float64 and 1e-3..1e-2 in float32;
forward differences near sqrt(eps).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gradlib as gl  # noqa: E402
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


def test_derivative_explorer_prints_the_estimates(capsys):
    d.derivative_explorer("sin", 0.1, "float64")
    text = capsys.readouterr().out
    assert f"exact f'(1) = {np.cos(1.0):.10f}" in text
    assert f"forward {(np.sin(1.1) - np.sin(1.0)) / 0.1:.10f}" in text
    assert f"central {(np.sin(1.1) - np.sin(0.9)) / 0.2:.10f}" in text
    assert len(plt.gcf().axes) == 2


def test_derivative_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown function 'tan'"):
        d.derivative_explorer("tan", 0.1)
    with pytest.raises(ValueError, match="unknown precision 'float16'"):
        d.derivative_explorer("sin", 0.1, "float16")


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


def test_directional_explorer_prints_the_gradient(capsys):
    d.directional_explorer(1.0, 0.5, 30.0)
    text = capsys.readouterr().out
    norm = np.hypot(2 + 0.5 * np.exp(0.5), 3 + np.exp(0.5))
    assert f"|grad f| = {norm:.3f}" in text
    assert f"largest D_u f in the sweep = {norm:.3f}" in text
    assert len(plt.gcf().axes) == 2


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
        ("up", "two numbers"),
        ([np.nan, 1.0], "nan"),
        ([-2.824, -4.649], "length"),
        ([0.5189, 0.8548], "uphill"),
        ([-0.6, -0.8], "degrees away"),
    ],
)
def test_check_steepest_descent_names_the_problem(answer, phrase):
    verdict = d.check_steepest_descent(answer, 1.0, 0.5)
    assert not verdict
    assert phrase in verdict.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "still empty"),
        ([11.0, 0.0], "Correct"),
        ([9.0, 0.0], "at 0 yours is 9, expected 11"),
        ([-11.0, 0.0], "wrong sign"),
    ],
)
def test_check_gradient_by_hand(answer, phrase):
    # g(x, y) = x y**2 + exp(2x) at (0, 3): (y**2 + 2 exp(2x), 2 x y) = (11, 0)
    assert phrase in str(d.check_gradient_by_hand(answer))


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
