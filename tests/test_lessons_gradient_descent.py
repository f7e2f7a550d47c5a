"""gradlib.lessons.gradient_descent: learning rates, conditioning, momentum, local minima."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import plotting  # noqa: E402
from gradlib.lessons import gradient_descent as gd  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ----- one step against the gradient (claim C5) ----------------------------------------------


def _bowl(x, y):
    return x**2 + y**2


def test_one_step_on_a_bowl_decreases_by_the_predicted_amount_times_one_minus_lr():
    # f = |p|**2, g = 2p: a step against g gives (1 - 2 lr)**2 |p|**2, a decrease of
    # 4 lr (1 - lr) |p|**2 against the prediction lr |g|**2 = 4 lr |p|**2
    points = np.array([[1.0, 2.0], [-0.5, 0.3], [3.0, -1.0]])
    rows = gd.one_step_check(_bowl, points, [0.01, 0.3, 1.2])
    assert [row.lr for row in rows] == [0.01, 0.3, 1.2]
    for row in rows:
        assert row.ratio == pytest.approx(1 - row.lr, rel=1e-12)
        assert row.up == 1.0
    assert rows[0].down == 1.0 and rows[1].down == 1.0
    assert rows[2].down == 0.0  # |1 - 2 lr| = 1.4 > 1: every step overshoots uphill


def test_one_step_check_on_himmelblau_needs_small_steps():
    points = np.random.default_rng(0).uniform(-5, 5, size=(200, 2))
    small, large = gd.one_step_check(gd.himmelblau, points, [1e-5, 1e-1])
    assert (small.down, small.up) == (1.0, 1.0) and small.ratio == pytest.approx(1, abs=0.01)
    assert large.down < 0.5
    table = gd.one_step_table([small, large]).splitlines()
    assert len(table) == 3 and table[1].split()[:3] == ["1e-05", "100.0%", "100.0%"]


# ----- one dimension ------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [0.05, 0.25, 0.4, 0.5, 0.6])
def test_quadratic_path_is_a_geometric_sequence(lr):
    path = gd.quadratic_path(4.0, lr, 2.5, 20)
    np.testing.assert_allclose(path, 2.5 * (1 - 4.0 * lr) ** np.arange(21), rtol=1e-12)


@pytest.mark.parametrize("L", [0.5, 1.0, 3.0, 4.0, 10.0, 123.0])
def test_divergence_threshold_is_two_over_L(L):
    assert gd.divergence_threshold(L) == pytest.approx(2 / L, rel=1e-12)


def test_diverges_just_above_two_over_L_and_not_just_below():
    assert not gd.diverges(4.0, 0.5 * (1 - 1e-6))
    assert not gd.diverges(4.0, 0.5)  # |1 - lr L| = 1: oscillates at the same distance
    assert gd.diverges(4.0, 0.5 * (1 + 1e-6), steps=1000)


@pytest.mark.parametrize(
    "lr, phrase",
    [
        (0.1, "converges smoothly"),
        (0.25, "one step"),
        (0.4, "oscillating"),
        (0.5, "oscillates forever"),
        (0.6, "diverges"),
    ],
)
def test_lr_explorer_names_the_regime(lr, phrase):
    widget = gd.LearningRateExplorer()
    text = widget.draw(lr=lr, x0=2.5)
    fig = widget.figure
    assert phrase in text
    assert f"factor 1 - lr L = {1 - 4 * lr:+.3f}" in text
    assert f"|x_30| = {abs(2.5 * (1 - 4 * lr) ** 30):.2e}" in text
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    title = fig.axes[1].get_title()
    assert title.startswith(f"lr = {lr:.3f}: ") and phrase in title


def test_a_zero_learning_rate_does_not_move():
    assert gd.regime(0.0, 4.0).startswith("does not move downhill")


def test_lr_explorer_draws_the_iterates():
    fig = gd.LearningRateExplorer().figure_at(lr=0.4, x0=2.5)
    left, right = fig.axes
    parabola, iterates, start = left.lines
    expected = 2.5 * (1 - 4 * 0.4) ** np.arange(31)
    np.testing.assert_allclose(iterates.get_xdata(), expected[:13])
    np.testing.assert_allclose(iterates.get_ydata(), 2 * expected[:13] ** 2)
    assert list(start.get_xdata()) == [2.5]
    distances, prediction, start_level = right.lines
    np.testing.assert_allclose(distances.get_ydata(), np.abs(expected))
    np.testing.assert_allclose(prediction.get_ydata(), 0.6 ** np.arange(31) * 2.5)
    assert start_level.get_ydata()[0] == 2.5


def test_lr_explorer_at_lr_one_over_L_draws_nothing_after_step_0():
    widget = gd.LearningRateExplorer()
    widget.draw(lr=0.25, x0=2.5)
    distances, prediction, _ = widget.right.lines
    assert np.isnan(prediction.get_ydata()[1:]).all() and prediction.get_ydata()[0] == 2.5
    assert np.isnan(distances.get_ydata()[1:]).all()


def test_lr_explorer_from_the_minimum_says_so():
    widget = gd.LearningRateExplorer()
    text = widget.draw(lr=0.1, x0=0.0)
    assert text.startswith("x0 = 0 starts at the minimum")
    assert widget.right.get_title() == "x0 = 0: starts at the minimum"
    assert "converges" not in widget.right.get_title()


def test_lr_explorer_legend_stays_clear_of_the_iterates():
    # at lr = 0.52 the iterates climb the parabola: the legend sits below it, in the corner
    # no chord between two points of the convex curve can reach
    fig = gd.LearningRateExplorer().figure_at(lr=0.52, x0=-1.5)
    left = fig.axes[0]
    fig.canvas.draw()
    box = left.get_legend().get_window_extent().transformed(left.transData.inverted())
    xs = np.linspace(box.x0, box.x1, 50)
    assert (2 * xs**2 > box.y1).all()  # the whole legend lies below the parabola


def test_lr_explorer_moved_shows_other_numbers_and_image():
    widget = gd.LearningRateExplorer()
    first = widget.draw(lr=0.1, x0=2.5)
    fig = widget.figure
    png = plotting.render_png(fig)
    before = fig.axes[1].lines[0].get_ydata().copy()
    second = widget.draw(lr=0.52, x0=-1.5)
    assert "converges smoothly" in first and "diverges" in second
    left, right = fig.axes
    np.testing.assert_allclose(right.lines[0].get_ydata(), 1.5 * 1.08 ** np.arange(31))
    assert not np.allclose(right.lines[0].get_ydata(), before)
    assert right.get_ylim()[1] == pytest.approx(10 * 1.5 * 1.08**30)
    assert right.get_title() == "lr = 0.520: diverges"
    assert list(left.lines[2].get_xdata()) == [-1.5]
    assert plotting.render_png(fig) != png


# ----- two dimensions ---------------------------------------------------------------------------


def test_descent_path_2d_without_momentum_shrinks_each_axis_by_its_factor():
    kappa, lr = 10.0, 0.15
    path = gd.descent_path_2d(kappa, lr, (2.0, -1.0), 12)
    k = np.arange(13)
    np.testing.assert_allclose(path[:, 0], 2.0 * (1 - lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], -1.0 * (1 - lr * kappa) ** k, rtol=1e-12)


def test_heavy_ball_follows_its_two_term_recurrence():
    kappa, lr, beta = 5.0, 0.2, 0.5
    path = gd.descent_path_2d(kappa, lr, (1.0, 1.0), 10, momentum=beta)
    # x_{k+1} = x_k - lr grad(x_k) + beta (x_k - x_{k-1})
    curvature = np.array([1.0, kappa])
    for k in range(1, 10):
        expected = path[k] - lr * curvature * path[k] + beta * (path[k] - path[k - 1])
        np.testing.assert_allclose(path[k + 1], expected, rtol=1e-12)


def test_tuned_parameters_at_perfect_conditioning():
    assert gd.best_learning_rate(1.0) == 1.0
    assert gd.heavy_ball_parameters(1.0) == (1.0, 0.0)
    assert gd.steps_to_tolerance(1.0, 1.0) == 1  # lr = 1/L reaches the minimum in one step


@pytest.mark.parametrize("kappa", [2.0, 5.0, 10.0, 30.0, 100.0, 1000.0])
def test_gradient_descent_steps_match_the_contraction_factor(kappa):
    tol = 1e-6
    rho = (kappa - 1) / (kappa + 1)  # |1 - lr mu| = |1 - lr L| at lr = 2 / (L + mu)
    predicted = np.log(1 / tol) / np.log(1 / rho)
    measured = gd.steps_to_tolerance(kappa, gd.best_learning_rate(kappa), tol=tol)
    assert abs(measured - np.ceil(predicted)) <= 1


def test_steps_grow_like_kappa_and_momentum_like_its_square_root():
    def gd_steps(kappa):
        return gd.steps_to_tolerance(kappa, gd.best_learning_rate(kappa))

    def hb_steps(kappa):
        return gd.steps_to_tolerance(kappa, *gd.heavy_ball_parameters(kappa))

    assert gd_steps(1000.0) / gd_steps(100.0) == pytest.approx(10.0, rel=0.02)
    assert 2.5 < hb_steps(1000.0) / hb_steps(100.0) < 4.0  # sqrt(10) = 3.16
    for kappa in (3.0, 10.0, 100.0, 1000.0):
        assert hb_steps(kappa) < gd_steps(kappa)


def test_steps_to_tolerance_reports_divergence():
    assert gd.steps_to_tolerance(10.0, 0.25, max_steps=500) == -1  # lr > 2/L = 0.2


@pytest.mark.parametrize("curvature", [1.0, 4.0, 10.0])
def test_heavy_ball_matrix_steps_like_the_heavy_ball(curvature):
    # the path along one axis is A**k (x_0, x_0): before the first step v = 0, x_{-1} = x_0
    kappa, lr, beta = 10.0, 0.15, 0.4
    start = (1.0, 0.0) if curvature == 1.0 else (0.0, 1.0)
    axis = 0 if curvature == 1.0 else 1
    path = gd.descent_path_2d(curvature if axis else kappa, lr, start, 8, momentum=beta)[:, axis]
    A = gd.heavy_ball_matrix(lr, beta, curvature)
    state = np.array([1.0, 1.0])
    for k in range(1, 9):
        state = A @ state
        assert state[0] == pytest.approx(path[k], rel=1e-12, abs=1e-15)


def test_polyak_tuning_gives_every_curvature_the_rate_sqrt_beta():
    kappa = 10.0
    lr, beta = gd.heavy_ball_parameters(kappa)
    for curvature in np.linspace(1.0, kappa, 7):
        moduli = np.abs(np.linalg.eigvals(gd.heavy_ball_matrix(lr, beta, curvature)))
        np.testing.assert_allclose(moduli, np.sqrt(beta), rtol=1e-6)
    # outside [mu, L] the eigenvalues are real and one of them is larger
    for curvature in (0.5, 12.0):
        assert np.abs(np.linalg.eigvals(gd.heavy_ball_matrix(lr, beta, curvature))).max() > (
            np.sqrt(beta) * 1.01
        )
    # at the two ends the eigenvalue is repeated: t**2 = 4 beta
    for curvature in (1.0, kappa):
        t = 1 + beta - lr * curvature
        assert t**2 == pytest.approx(4 * beta, rel=1e-12)


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0, 10.0, 12.0])
def test_heavy_ball_roots_solve_the_quadratic_and_are_the_matrix_eigenvalues(curvature):
    lr, beta = gd.heavy_ball_parameters(10.0)
    roots = gd.heavy_ball_roots(lr, beta, curvature)
    t = 1 + beta - lr * curvature
    np.testing.assert_allclose(roots**2 - t * roots + beta, 0, atol=1e-12)
    assert np.prod(roots) == pytest.approx(beta, rel=1e-12)  # the product of the roots
    assert abs(roots[0]) >= abs(roots[1])  # the larger first
    eigenvalues = np.linalg.eigvals(gd.heavy_ball_matrix(lr, beta, curvature))
    np.testing.assert_allclose(np.sort(np.abs(roots)), np.sort(np.abs(eigenvalues)), atol=1e-7)


def test_heavy_ball_roots_are_repeated_at_the_ends_of_polyaks_window():
    lr, beta = gd.heavy_ball_parameters(10.0)
    for curvature in (1.0, 10.0):  # mu and L: t**2 = 4 beta up to rounding
        r1, r2 = gd.heavy_ball_roots(lr, beta, curvature)
        assert r1 == r2 and abs(r1) == pytest.approx(np.sqrt(beta), rel=1e-12)


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0, 10.0, 12.0])
def test_the_closed_form_with_the_two_roots_is_the_run(curvature):
    lr, beta = gd.heavy_ball_parameters(10.0)
    run = gd.heavy_ball_1d(lambda x: curvature * x, 2.0, lr, beta, 40)
    # the same steps as the 2-D heavy ball along one axis
    axis = gd.descent_path_2d(curvature, lr, (0.0, 2.0), 40, momentum=beta)[:, 1]
    np.testing.assert_allclose(run, axis, rtol=1e-12, atol=1e-15)
    closed = gd.heavy_ball_closed_form(lr, beta, curvature, 2.0, 40)
    np.testing.assert_allclose(closed, run, rtol=1e-9, atol=1e-9)


def test_the_closed_form_without_momentum_is_the_geometric_sequence():
    closed = gd.heavy_ball_closed_form(0.1, 0.0, 4.0, 2.5, 10)
    np.testing.assert_allclose(closed, gd.quadratic_path(4.0, 0.1, 2.5, 10), rtol=1e-12)


def test_lessard_function_is_convex_and_smooth_with_curvatures_1_and_25():
    assert gd.LESSARD_MU == 1.0 and gd.LESSARD_L == 25.0
    xs = np.linspace(-3, 5, 801)
    values = np.array([gd.lessard_function(x) for x in xs])
    slopes = np.array([gd.lessard_gradient(x) for x in xs])
    np.testing.assert_allclose(np.gradient(values, xs)[1:-1], slopes[1:-1], atol=0.2)
    for x in (1.0, 2.0):  # f and f' continuous where the pieces meet
        assert gd.lessard_function(x - 1e-12) == pytest.approx(gd.lessard_function(x))
        assert gd.lessard_gradient(x - 1e-12) == pytest.approx(gd.lessard_gradient(x))
    curvature = np.diff(slopes) / np.diff(xs)
    assert curvature.min() == pytest.approx(1.0) and curvature.max() == pytest.approx(25.0)
    assert gd.lessard_function(0.0) == 0.0 == gd.lessard_gradient(0.0)


def test_tuned_heavy_ball_cycles_on_lessards_function_where_others_converge():
    lr, beta = gd.heavy_ball_parameters(25.0)
    heavy = gd.heavy_ball_1d(gd.lessard_gradient, 3.3, lr, beta, 300)
    np.testing.assert_allclose(heavy[-3:], heavy[-6:-3], atol=1e-9)  # period 3
    assert np.abs(heavy[-3:]).min() > 0.5  # and far from the minimum
    plain = gd.heavy_ball_1d(gd.lessard_gradient, 3.3, 2 / 26, 0.0, 300)
    nesterov = gd.nesterov_1d(gd.lessard_gradient, 3.3, 1 / 25, np.sqrt(beta), 300)
    assert abs(plain[-1]) < 1e-9 and abs(nesterov[-1]) < 1e-9
    # on a quadratic the same heavy ball converges
    assert abs(gd.heavy_ball_1d(lambda x: 25 * x, 3.3, lr, beta, 300)[-1]) < 1e-9


def test_nesterov_without_momentum_is_gradient_descent():
    path = gd.nesterov_1d(lambda x: 4 * x, 2.5, 0.1, 0.0, 10)
    np.testing.assert_allclose(path, gd.quadratic_path(4.0, 0.1, 2.5, 10), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.8])
def test_heavy_ball_is_stable_below_two_times_one_plus_beta_over_L(beta):
    L = 10.0
    limit = 2 * (1 + beta) / L
    for lr, stable in ((0.99 * limit, True), (1.01 * limit, False)):
        radius = np.abs(np.linalg.eigvals(gd.heavy_ball_matrix(lr, beta, L))).max()
        assert (radius < 1) == stable
        ends = gd.descent_path_2d(L, lr, (0.0, 1.0), 3000, momentum=beta)[-1]
        assert (np.abs(ends[1]) < 1) == stable


def test_count_steps_measures_both_methods():
    counts = gd.count_steps([2.0, 10.0, 100.0], tol=1e-6)
    assert counts.gd.tolist() == [
        gd.steps_to_tolerance(k, gd.best_learning_rate(k)) for k in (2.0, 10.0, 100.0)
    ]
    assert counts.hb.tolist() == [
        gd.steps_to_tolerance(k, *gd.heavy_ball_parameters(k)) for k in (2.0, 10.0, 100.0)
    ]
    np.testing.assert_allclose(counts.gd_rule, np.array([2.0, 10.0, 100.0]) / 2 * np.log(1e6))
    assert np.all(np.abs(counts.gd - np.ceil(counts.gd_exact)) <= 1)
    table = counts.table().splitlines()
    assert len(table) == 4 and table[2].split()[:2] == ["10", str(counts.gd[1])]


# ----- the momentum lab ------------------------------------------------------------------------


def test_root_kind_follows_the_sign_of_t_squared_minus_four_beta():
    lr, beta = gd.heavy_ball_parameters(10.0)
    assert gd.root_kind(lr, beta, 1.0) == gd.root_kind(lr, beta, 10.0) == "repeated"
    assert gd.root_kind(lr, beta, 4.0) == "complex"  # inside Polyak's window
    assert gd.root_kind(lr, beta, 0.5) == gd.root_kind(lr, beta, 12.0) == "real"
    # without momentum the roots are 1 - lr lambda and 0, even when both are 0
    assert gd.root_kind(0.1, 0.0, 10.0) == "real"
    assert gd.root_kind(0.25, 0.0, 4.0) == "real"


def test_heavy_ball_rate_is_the_largest_root_size_over_the_curvatures():
    lr, beta = 0.15, 0.4
    expected = max(np.abs(gd.heavy_ball_roots(lr, beta, c)).max() for c in (1.0, 10.0))
    assert gd.heavy_ball_rate(lr, beta, (1.0, 10.0)) == expected
    # no momentum: plain descent's max |1 - lr lambda|
    assert gd.heavy_ball_rate(0.15, 0.0, (1.0, 10.0)) == pytest.approx(0.85, rel=1e-12)
    # Polyak's tuning: sqrt(beta) for mu, L and everything between
    lr, beta = gd.heavy_ball_parameters(10.0)
    assert gd.heavy_ball_rate(lr, beta, np.linspace(1, 10, 7)) == pytest.approx(np.sqrt(beta))


def test_rate_map_agrees_with_the_rate_of_each_setting():
    lr_L = np.array([0.3, 1.0, 1.8, 2.31, 2.6, 3.9])
    betas = np.array([0.0, 0.27, 0.5, 0.9])
    for kappa in (1.0, 10.0, 100.0):
        grid = gd.heavy_ball_rate_map(lr_L, betas, kappa)
        assert grid.shape == (4, 6)
        for i, beta in enumerate(betas):
            for j, h in enumerate(lr_L):
                expected = gd.heavy_ball_rate(h / kappa, beta, (1.0, kappa))
                assert grid[i, j] == pytest.approx(expected, abs=1e-6), (kappa, beta, h)


def test_measured_rate_fits_a_geometric_sequence_and_skips_zeros():
    k = np.arange(101)
    assert gd.measured_rate(3.0 * 0.7**k, 50, 100) == pytest.approx(0.7, rel=1e-12)
    assert gd.measured_rate(2.0 * 1.1**k, 0, 40) == pytest.approx(1.1, rel=1e-12)
    with_zeros = 0.5**k
    with_zeros[80:] = 0.0  # landed on the minimum
    assert gd.measured_rate(with_zeros, 50, 100) == pytest.approx(0.5, rel=1e-12)
    assert gd.measured_rate(np.r_[1.0, np.zeros(100)], 50, 100) == 0.0


def test_momentum_run_compares_both_methods_at_one_learning_rate():
    run = gd.momentum_run(10.0, 1.8, 0.5)
    assert run.lr == pytest.approx(0.18) and run.lr_times_L == pytest.approx(1.8)
    np.testing.assert_array_equal(run.plain, gd.descent_path_2d(10.0, 0.18, gd.LAB_START, 100))
    np.testing.assert_array_equal(
        run.heavy, gd.descent_path_2d(10.0, 0.18, gd.LAB_START, 100, momentum=0.5)
    )
    assert run.heavy_theory == pytest.approx(np.sqrt(0.5)) and run.plain_theory == pytest.approx(
        0.82
    )
    assert (run.kind_mu, run.kind_L) == ("complex", "complex")
    assert abs(run.heavy_measured - run.heavy_theory) < 0.005
    # beta = 0 is plain descent: the same path, step for step
    same = gd.momentum_run(10.0, 1.8, 0.0)
    np.testing.assert_array_equal(same.plain, same.heavy)


@pytest.mark.parametrize("label, kappa, lr_L, beta", gd.LAB_TOUR)
def test_every_setting_of_the_tour_measures_its_theoretical_rate(label, kappa, lr_L, beta):
    run = gd.momentum_run(kappa, lr_L, beta)
    # within the wobble of the swings, and the factor k at a repeated root
    assert abs(run.heavy_measured - run.heavy_theory) < 0.01, label
    assert abs(run.plain_measured - run.plain_theory) < 0.005, label


def test_the_tour_lands_on_the_regimes_of_the_derivation():
    runs = {label: gd.momentum_run(k, h, b) for label, k, h, b in gd.LAB_TOUR}
    start, plain = runs["the lab's start"], runs["beta = 0: plain descent"]
    assert start.heavy_theory < plain.heavy_theory == plain.plain_theory
    little, more, much = (runs[f"lr = 1/L, {m} momentum"] for m in ("little", "more", "much"))
    assert (little.kind_mu, little.kind_L) == ("real", "complex")
    assert (more.kind_mu, more.kind_L) == ("complex", "complex")
    assert more.heavy_theory < little.heavy_theory < little.plain_theory < much.heavy_theory
    exact = runs["Polyak's tuning, exact"]
    sliders = runs["Polyak's tuning on the sliders"]
    wider = runs["a little more momentum"]
    assert (exact.kind_mu, exact.kind_L) == ("repeated", "repeated")
    assert (sliders.kind_mu, sliders.kind_L) == ("complex", "real")
    assert exact.heavy_theory < wider.heavy_theory < sliders.heavy_theory
    assert exact.plain_theory > 1  # Polyak's learning rate without momentum diverges
    below, above = (r for label, r in runs.items() if "edge" in label)
    assert below.heavy_theory < 1 < above.heavy_theory and below.plain_theory > 1
    assert 2.5 < 2 * (1 + 0.27) < 2.6
    assert (
        runs["kappa = 100: Polyak's tuning"].heavy_theory
        < 0.85
        < 0.97
        < (runs["kappa = 100: plain descent"].plain_theory)
    )


def test_momentum_table_prints_one_row_per_setting():
    table = gd.momentum_table(gd.LAB_TOUR).splitlines()
    assert len(table) == len(gd.LAB_TOUR) + 4
    rows = {line[:34].strip(): line[34:].split() for line in table[2:-2]}
    assert rows["Polyak's tuning, exact"][:3] == ["10", "2.309", "0.270"]
    assert rows["Polyak's tuning on the sliders"][3:6] == ["complex", "/", "real"]
    assert rows["the lab's start"][6:] == ["0.707", "0.706", "0.820", "0.820", "mu", "and", "L"]
    assert rows["lr = 1/L, little momentum"][-1] == "mu"  # real roots along mu: it creeps
    assert rows["Polyak's tuning on the sliders"][-1] == "L"  # L just outside its window
    # the last line gives the largest gap between theory and measurement over the rows
    runs = [gd.momentum_run(k, h, b) for _, k, h, b in gd.LAB_TOUR]
    heavy_gap = max(abs(r.heavy_measured - r.heavy_theory) for r in runs)
    assert table[-1].startswith("largest |measured - theory|")
    assert f"heavy ball {heavy_gap:.3f}" in table[-1] and heavy_gap > 0.001
    one = gd.momentum_table(gd.LAB_TOUR[:1]).splitlines()[-1]
    first = runs[0]  # one row: its own gap, 0.706 measured against 0.707 in theory
    assert f"heavy ball {abs(first.heavy_measured - first.heavy_theory):.3f}," in one


def test_momentum_run_names_the_direction_that_sets_the_rate():
    both = gd.momentum_run(10.0, 1.8, 0.5)  # both pairs complex: sqrt(beta) each
    assert both.heavy_mu == pytest.approx(np.sqrt(0.5)) == both.heavy_L
    assert both.slowest == "mu and L"
    creeping = gd.momentum_run(10.0, 1.0, 0.3)  # real roots along mu, complex along L
    assert creeping.heavy_mu > creeping.heavy_L == pytest.approx(np.sqrt(0.3))
    assert creeping.slowest == "mu" and creeping.heavy_theory == creeping.heavy_mu
    flipping = gd.momentum_run(10.0, 2.31, 0.27)  # L just outside its window
    assert flipping.slowest == "L" and flipping.heavy_theory == flipping.heavy_L


def test_steps_per_tenfold_is_the_log_of_ten_over_the_log_of_one_over_the_rate():
    steps = gd.steps_per_tenfold([0.0, 0.1, 0.5, 0.98, 1.0, 2.0])
    assert steps[0] == 0.0 and steps[1] == pytest.approx(1.0)
    assert steps[2] == pytest.approx(np.log(10) / np.log(2))
    assert 0.98 ** steps[3] == pytest.approx(0.1)
    assert np.isinf(steps[4]) and np.isinf(steps[5])


def test_momentum_lab_draws_both_paths_and_names_the_regime():
    widget = gd.MomentumLab()
    text = widget.draw(kappa=10, lr_L=2.31, beta=0.27)
    assert "κ 10, lr 0.2310, β 0.27" in text
    assert "roots complex at μ, real at L, rate 0.540, set by L" in text
    assert len(text) < 105  # one line above the figure on a 1280-pixel slide
    paths, distance, shrink, rates, colour_bar = widget.figure.axes
    heavy = gd.descent_path_2d(10.0, 0.231, gd.LAB_START, gd.LAB_STEPS, momentum=0.27)
    np.testing.assert_allclose(widget.heavy_path.get_xdata(), heavy[:, 0])
    # the diverging plain path is drawn up to its first step outside the panel
    plain_x = widget.plain_path.get_xdata()
    assert 1 < len(plain_x) < gd.LAB_STEPS + 1
    np.testing.assert_allclose(
        widget.heavy_distance.get_ydata()[:50], np.hypot(heavy[:50, 0], heavy[:50, 1])
    )
    legend = [t.get_text() for t in widget.legend_texts]
    assert legend[:2] == ["plain: ×1.310/step (ρ 1.310)", "heavy ball: ×0.539 (ρ 0.540)"]
    assert legend[2:] == ["heavy ball |x1| (μ)", "heavy ball |x2| (L)"]
    # each eigen-direction of the heavy ball on its own, thin, in the direction colours
    np.testing.assert_allclose(widget.heavy_x1.get_ydata()[:50], np.abs(heavy[:50, 0]))
    np.testing.assert_allclose(widget.heavy_x2.get_ydata()[:50], np.abs(heavy[:50, 1]))
    assert widget.heavy_x2.get_color() == gd.widgets.L_COLOR
    assert widget.heavy_x1.get_linewidth() < widget.heavy_distance.get_linewidth()
    # the map names its regions
    labels = {t.get_text() for t in rates.texts}
    assert {"real", "complex", "diverges"} <= labels
    polyak_lr, polyak_beta = gd.heavy_ball_parameters(10.0)
    assert widget.polyak.get_xdata()[0] == pytest.approx(10 * polyak_lr)
    assert list(widget.setting.get_xdata()) == [2.31] and list(widget.setting.get_ydata()) == [0.27]


def test_momentum_lab_builds_its_artists_once_and_redraws_the_map_only_for_a_new_kappa():
    widget = gd.MomentumLab()
    widget.draw()
    artists = [list(ax.get_children()) for ax in widget.figure.axes]
    image = widget.rate_image.get_array().copy()
    widget.draw(lr_L=2.0, beta=0.3)  # the same kappa: the same map
    assert widget.map_kappa == 10
    np.testing.assert_array_equal(widget.rate_image.get_array(), image)
    widget.draw(kappa=100, lr_L=3.3, beta=0.67)
    assert [list(ax.get_children()) for ax in widget.figure.axes] == artists
    rates = gd.heavy_ball_rate_map(gd.widgets.MAP_LR_L, gd.widgets.MAP_BETA, 100.0)
    steps = gd.steps_per_tenfold(rates)
    np.testing.assert_allclose(
        np.ma.filled(widget.rate_image.get_array(), np.nan),
        np.where(np.isinf(steps), np.nan, np.log10(steps)),
    )
    # coloured in steps: at kappa = 100 Polyak's corner and plain descent's best differ
    # tenfold, where on a scale of the rate (0.82 against 0.98) they look alike
    polyak = gd.steps_per_tenfold(gd.heavy_ball_rate(0.033, 0.67, (1.0, 100.0)))
    plain = gd.steps_per_tenfold(gd.heavy_ball_rate(0.0198, 0.0, (1.0, 100.0)))
    assert 8 * polyak < plain
    assert widget.window_mu_low.get_xdata()[0] == pytest.approx(100.0)  # kappa (1 - 0)**2


def test_momentum_lab_draws_a_run_that_lands_on_the_minimum():
    text = gd.MomentumLab().draw(kappa=1, lr_L=1.0, beta=0.0)  # lr = 1/L on a round bowl
    assert "rate 0 (lands on the minimum), set by μ and L" in text


def test_momentum_lab_draws_the_shrink_factor_of_every_curvature():
    widget = gd.MomentumLab()
    lr, beta = gd.heavy_ball_parameters(10.0)
    widget.draw(kappa=10.0, lr_L=round(10 * lr, 2), beta=0.28)  # both windows hold mu and L
    lam, heavy = widget.heavy_factor.get_data()
    assert lam[0] == 1.0 and lam[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(heavy, np.sqrt(0.28))  # complex roots everywhere: sqrt(beta)
    _, plain = widget.plain_factor.get_data()
    np.testing.assert_allclose(plain, np.abs(1 - 0.231 * lam))
    assert widget.at_L.get_ydata()[0] == pytest.approx(np.sqrt(0.28))
    widget.draw(kappa=10.0, lr_L=1.0, beta=0.3)  # mu outside its window: its |r| is larger
    (at_mu,) = widget.at_mu.get_ydata()
    assert at_mu == pytest.approx(gd.heavy_ball_rate(0.1, 0.3, (1.0,)))
    assert at_mu > widget.at_L.get_ydata()[0] == pytest.approx(np.sqrt(0.3))


def test_root_size_is_the_larger_root_of_heavy_ball_roots():
    for lr_lambda in (0.05, 0.5, 1.0, 2.0, 3.5):
        for beta in (0.0, 0.3, 0.8):
            expected = np.abs(gd.heavy_ball_roots(lr_lambda, beta, 1.0)).max()
            assert gd.root_size(lr_lambda, beta) == pytest.approx(expected, abs=1e-6)


def test_momentum_lab_says_on_the_edge_not_diverges():
    beta = 0.27
    text = gd.MomentumLab().draw(kappa=10.0, lr_L=2 * (1 + beta), beta=beta)
    assert "1.000 (on the edge: |x| does not shrink)" in text and "1.000 (diverges)" not in text


def test_momentum_lab_kappa_is_a_log_slider_to_1000():
    control = gd.MomentumLab.controls["kappa"]
    assert control.contains(1.0) and control.contains(1000.0) and not control.contains(1001.0)
    assert control.readout_format == ".3g"
    widget = gd.MomentumLab()
    lr, beta = gd.heavy_ball_parameters(1000.0)
    text = widget.draw(kappa=1000.0, lr_L=round(1000 * lr, 2), beta=round(beta, 2))
    assert text.startswith("κ 1000, ") and "diverges)" not in text.split("|")[1]
    # diverging settings are NaN (grey), slow ones are not: beyond the colour bar
    image = np.ma.filled(widget.rate_image.get_array(), np.nan)
    column = np.searchsorted(gd.widgets.MAP_LR_L, 0.5)
    assert np.isfinite(image[0, column]) and image[0, column] > widget.SLOWEST
    assert np.isnan(image[0, -1])  # lr L = 4, beta = 0: diverges
    assert widget.paths_title.get_text() == "f = (x1² + 1000 x2²) / 2"
    # the notch nearest Polyak's star, (3.76, 0.88), lies on the edge 2 (1 + 0.88) = 3.76
    assert "on the edge" in text and round(1000 * lr, 2) == 3.76 and round(beta, 2) == 0.88
    assert 2 * (1 + beta) - 1000 * lr == pytest.approx(0.0038, abs=1e-4)  # the star is inside
    assert gd.heavy_ball_rate(lr, beta, (1.0, 1000.0)) == pytest.approx(np.sqrt(beta))
    for lr_L, near in ((3.75, 0.88), (3.76, 0.89)):  # the notches just inside
        assert gd.heavy_ball_rate(lr_L / 1000, near, (1.0, 1000.0)) < 0.95


@pytest.mark.parametrize("kappa, labels", [(2.0, ["1", "2"]), (10.0, ["1", "10"]), (1.0, ["1"])])
def test_momentum_lab_labels_the_curvature_axis_at_mu_and_L_in_plain_numbers(kappa, labels):
    widget = gd.MomentumLab()
    widget.draw(kappa=kappa, lr_L=1.8, beta=0.5)
    shrink = widget.figure.axes[2]
    assert [tick.get_text() for tick in shrink.get_xticklabels()] == labels
    assert shrink.get_xticklabels(minor=True) == []  # no "2 x 10^0" between them


# ----- Nesterov and Adam on the same valley -----------------------------------------------------


def test_the_turned_valley_has_the_same_curvatures_along_the_diagonals():
    for kappa in (10.0, 1000.0):
        H = gd.valley_hessian(kappa, rotated=True)
        values, vectors = np.linalg.eigh(H)
        np.testing.assert_allclose(values, [1.0, kappa], rtol=1e-12)
        np.testing.assert_allclose(np.abs(vectors), np.sqrt(0.5), rtol=1e-12)
    start = gd.valley_start(rotated=True)
    np.testing.assert_allclose(start, [0.0, np.sqrt(2)], atol=1e-15)
    np.testing.assert_array_equal(gd.valley_start(), [1.0, 1.0])


def test_valley_gradient_is_what_backward_gives():
    H = gd.valley_hessian(30.0, rotated=True)
    x = gl.tensor(np.array([0.3, -1.2]), requires_grad=True)
    (0.5 * (x * (gl.tensor(H) @ x)).sum()).backward()
    np.testing.assert_allclose(gd.valley_gradient(H, x.data), x.grad, rtol=1e-12)
    many = np.array([[0.3, -1.2], [2.0, 0.5]])
    np.testing.assert_allclose(gd.valley_gradient(H, many), many @ H.T, rtol=1e-12)


def test_nesterov_parameters_are_one_over_L_and_the_root_of_polyaks_momentum():
    lr, momentum = gd.nesterov_parameters(100.0)
    assert lr == 0.01 and momentum == pytest.approx(9 / 11)
    assert momentum == pytest.approx(np.sqrt(gd.heavy_ball_parameters(100.0)[1]))


def test_gradlib_sgd_takes_the_hand_written_steps():
    for name, gap in gd.optimizer_gaps(kappa=10.0, steps=60).items():
        assert gap < 1e-12, name
    assert gd.optimizer_gaps(kappa=10.0)["SGD(lr) and plain descent"] == 0.0


@pytest.mark.parametrize("rotated", [False, True])
def test_hand_written_adam_counts_the_steps_of_gradlib_adam(rotated):
    from gradlib.optim import Adam

    H, start = gd.valley_hessian(100.0, rotated), gd.valley_start(rotated)
    lrs = [1e-2, 0.1, 0.5]
    many = gd.adam_steps_many(H, start, lrs, max_steps=5000)
    one_by_one = [
        gd.optimizer_steps(lambda ps, lr=lr: Adam(ps, lr=lr), H, start, max_steps=5000)
        for lr in lrs
    ]
    assert many.tolist() == one_by_one
    assert all(steps > 0 for steps in one_by_one)


def test_optimizer_steps_says_when_a_run_never_gets_there():
    from gradlib.optim import SGD

    H = gd.valley_hessian(10.0)
    assert gd.optimizer_steps(lambda ps: SGD(ps, lr=0.25), H, (1.0, 1.0), max_steps=300) == -1
    assert gd.adam_steps_many(H, (1.0, 1.0), [1e-4], max_steps=300).tolist() == [-1]


def test_race_steps_and_what_the_rotation_changes():
    race = gd.race((10.0, 100.0), max_steps=12_000)
    steps = race.steps
    assert list(steps) == list(gd.RACE_METHODS)
    plain, heavy, nesterov, adam, tuned = (steps[m] for m in gd.RACE_METHODS)
    # plain descent and the heavy ball: the counts of count_steps
    counts = gd.count_steps([10.0, 100.0])
    assert plain[0].tolist() == counts.gd.tolist() and heavy[0].tolist() == counts.hb.tolist()
    # the methods built from gradients alone do not see the rotation
    for rows in (plain, heavy, nesterov):
        assert rows[0].tolist() == rows[1].tolist()
    assert (heavy[0] < nesterov[0]).all() and (nesterov[0] < plain[0]).all()
    # Adam's per-coordinate scaling: on the axis-aligned valley kappa does not matter...
    assert adam[0, 0] == adam[0, 1] > 0 and tuned[0, 0] == tuned[0, 1]
    # ...turned, it does, and the count grows with it
    assert adam[1, 0] > adam[0, 0] and adam[1, 1] > adam[1, 0] and tuned[1, 1] > tuned[1, 0]
    assert race.adam_lrs.shape == (2, 2) and set(race.adam_lrs.ravel()) <= set(gd.ADAM_LRS)
    table = race.table().splitlines()
    assert len(table) == 2 + len(gd.RACE_METHODS) + 3
    # the tuned Adam never wins by landing in one step: lr = 1 from (1, 1) is left out
    assert race.one_step == (1.0,) and "left out: lr = 1," in table[-1]
    assert (tuned > 1).all()
    assert table[2].split()[-4:] == [str(s) for s in (*plain[0], *plain[1])][-4:]


def test_adams_first_step_moves_each_coordinate_by_lr():
    # m_1 / sqrt(v_1) after bias correction is g / (|g| + eps): about the sign of g
    H = gd.valley_hessian(1000.0)
    assert gd.adam_steps_many(H, (1.0, 1.0), [1.0], tol=1e-6).tolist() == [1]
    assert gd.one_step_lrs(H, (1.0, 1.0)) == [1.0]
    # a one-step landing is a coincidence of the start: the tuning leaves it out
    best = gd.best_adam_lr(H, (1.0, 1.0))
    assert best != 1.0 and gd.adam_steps_many(H, (1.0, 1.0), [best]).tolist()[0] > 1
    assert gd.one_step_lrs(gd.valley_hessian(1000.0, rotated=True), gd.valley_start(True)) == []


def _torch_steps(torch, optimizer_class, hessian, start, **settings):
    """optimizer_steps with a torch.optim optimizer, for the cross-check."""
    x = torch.tensor(np.array(start), requires_grad=True)
    optimizer = optimizer_class([x], foreach=False, **settings)
    H = torch.tensor(hessian)
    target = 1e-6 * float(torch.linalg.vector_norm(x.detach()))
    for k in range(1, 20_001):
        x.grad = (H @ x).detach()
        optimizer.step()
        if float(torch.linalg.vector_norm(x.detach())) <= target:
            return k
    return -1


def test_race_counts_match_torch_optim(torch):
    from gradlib.optim import SGD, Adam

    H, start = gd.valley_hessian(100.0, rotated=True), gd.valley_start(rotated=True)
    lr_hb, beta_hb = gd.heavy_ball_parameters(100.0)
    lr_n, beta_n = gd.nesterov_parameters(100.0)
    cases = [
        (SGD, torch.optim.SGD, {"lr": lr_hb, "momentum": beta_hb}),
        (SGD, torch.optim.SGD, {"lr": lr_n, "momentum": beta_n, "nesterov": True}),
        (Adam, torch.optim.Adam, {"lr": 0.1}),
        (Adam, torch.optim.Adam, {}),
    ]
    for ours, theirs, settings in cases:
        mine = gd.optimizer_steps(lambda ps: ours(ps, **settings), H, start)  # noqa: B023
        torch_steps = _torch_steps(torch, theirs, H, start, **settings)
        # the same method; the roundings may fall in a different order
        assert mine > 0 and abs(torch_steps - mine) <= 1, (ours.__name__, settings)


# ----- the non-convex surface -------------------------------------------------------------------


def _himmelblau_grad(p):
    x, y = p[..., 0], p[..., 1]
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def test_the_four_minima_are_stationary_with_value_zero():
    values = gd.himmelblau(gd.HIMMELBLAU_MINIMA[:, 0], gd.HIMMELBLAU_MINIMA[:, 1])
    assert np.all(values < 1e-9)
    assert np.abs(_himmelblau_grad(gd.HIMMELBLAU_MINIMA)).max() < 1e-4


def test_descend_matches_descent_with_the_analytic_gradient():
    starts = np.array([[0.0, 0.0], [-1.0, 1.0], [4.0, -4.0]])
    path = gd.descend(gd.himmelblau, starts, 0.01, 25)
    p = starts.copy()
    for k in range(1, 26):
        p = p - 0.01 * _himmelblau_grad(p)
        np.testing.assert_allclose(path[k], p, rtol=1e-12, atol=1e-12)


def test_himmelblau_gradient_matches_pytorch(torch):
    points = np.array([[0.3, -1.2], [2.0, 2.5], [-3.0, 1.0]])
    x = gl.tensor(points[:, 0], requires_grad=True)
    y = gl.tensor(points[:, 1], requires_grad=True)
    gd.himmelblau(x, y).sum().backward()
    tx = torch.tensor(points[:, 0], requires_grad=True)
    ty = torch.tensor(points[:, 1], requires_grad=True)
    gd.himmelblau(tx, ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-12)


def test_different_starts_reach_different_minima():
    starts = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -4.0], [-4.0, -1.0]])
    ends = gd.descend(gd.himmelblau, starts, 0.01, 300)[-1]
    index, distance = gd.nearest_minimum(ends)
    assert sorted(index.tolist()) == [0, 1, 2, 3]
    assert distance.max() < 1e-5


def test_himmelblau_gradient_and_hessian_match_gradlib():
    point = (0.7, -1.3)
    x = gl.tensor(point[0], requires_grad=True)
    y = gl.tensor(point[1], requires_grad=True)
    gd.himmelblau(x, y).backward()
    np.testing.assert_allclose(gd.himmelblau_gradient(*point), [x.grad, y.grad], rtol=1e-12)
    h = 1e-6
    columns = [
        (
            gd.himmelblau_gradient(*(np.array(point) + h * e))
            - gd.himmelblau_gradient(*(np.array(point) - h * e))
        )
        / (2 * h)
        for e in np.eye(2)
    ]
    np.testing.assert_allclose(gd.himmelblau_hessian(*point), np.array(columns).T, rtol=1e-6)


def test_himmelblau_has_four_minima_four_saddles_and_one_local_maximum():
    points = gd.himmelblau_stationary_points()
    kinds = [p.kind for p in points]
    assert kinds.count("local minimum") == 4 and kinds.count("saddle point") == 4
    assert kinds.count("local maximum") == 1
    for p in points:
        assert np.linalg.norm(gd.himmelblau_gradient(p.x, p.y)) < 1e-9
    minima = np.array([[p.x, p.y] for p in points if p.kind == "local minimum"])
    _, distance = gd.nearest_minimum(minima)
    assert distance.max() < 1e-5
    (peak,) = [p for p in points if p.kind == "local maximum"]
    assert (peak.x, peak.y) == pytest.approx((-0.270845, -0.923039), abs=1e-6)
    assert peak.value == pytest.approx(181.6165, abs=1e-4) and np.all(peak.eigenvalues < 0)
    # a local maximum only: f is unbounded above (it grows like 2 t**4 along x = y = t)
    assert gd.himmelblau(5.0, 5.0) > peak.value
    values = [round(p.value, 6) for p in points]
    assert values == sorted(values) and values[-1] == round(peak.value, 6)


def test_in_place_update_keeps_the_parameter_a_leaf():
    # descend() and the notebook update with `w -= lr * w.grad` inside no_grad()
    w = gl.tensor([1.0, -2.0], requires_grad=True)
    (w**2).sum().backward()
    before = w
    with gl.no_grad():
        w -= 0.25 * w.grad
    assert w is before and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.data, [0.5, -1.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0


# ----- linear regression and the exercises ------------------------------------------------------


def test_regression_data_is_seeded_and_recovers_the_true_weights():
    X, y, w_true, b_true = gd.make_regression_data()
    X2, y2, _, _ = gd.make_regression_data()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    coef = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    np.testing.assert_allclose(coef, [*w_true, b_true], atol=0.15)


def test_fit_full_batch_reaches_the_least_squares_solution():
    X, y, _, _ = gd.make_regression_data()
    w, b, history = gd.fit(X, y, batch_size=len(y), lr=0.3, epochs=60)
    coef = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    np.testing.assert_allclose([*w, b], coef, atol=1e-10)
    assert history.shape == (61,)
    assert history[0] == pytest.approx(np.mean(y**2))  # w = 0, b = 0 before training
    assert np.all(np.diff(history) <= 1e-15)  # full-batch steps with a small rate never go up


def test_fit_takes_one_step_per_batch_in_a_seeded_random_order():
    X, y, _, _ = gd.make_regression_data(n=12)
    lr, batch_size = 0.1, 4
    w, b, history = gd.fit(X, y, batch_size=batch_size, lr=lr, epochs=2, seed=3)
    # the same steps written out with the gradient formula of the batch MSE
    order_rng, w_ref, b_ref = np.random.default_rng(3), np.zeros(2), 0.0
    for _ in range(2):
        order = order_rng.permutation(12)
        for first in range(0, 12, batch_size):
            batch = order[first : first + batch_size]
            residual = X[batch] @ w_ref + b_ref - y[batch]
            w_ref = w_ref - lr * 2 / batch_size * X[batch].T @ residual
            b_ref = b_ref - lr * 2 * residual.mean()
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    assert b == pytest.approx(b_ref, rel=1e-12)
    assert history[-1] == pytest.approx(np.mean((X @ w_ref + b_ref - y) ** 2), rel=1e-12)
    w2, b2, _ = gd.fit(X, y, batch_size=batch_size, lr=lr, epochs=2, seed=3)
    np.testing.assert_array_equal(w, w2)


def _least_squares(X, y):
    A = np.column_stack([X, np.ones(len(y))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return coef, np.mean((A @ coef - y) ** 2)


def test_fit_noise_level_grows_with_lr_over_batch_size():
    # the claim of the notebook: equal lr / B, a similar jiggle (each run with its own
    # shuffle); four times lr / B, far more jiggle
    X, y, _, _ = gd.make_regression_data()
    _, best = _least_squares(X, y)

    def plateau(batch_size, lr, seed=0):
        return gd.hover_level(gd.fit(X, y, batch_size, lr, seed=seed)[2], best)

    mini, sgd_same_ratio, sgd = plateau(20, 0.05), plateau(1, 0.0025, seed=1), plateau(1, 0.01)
    assert 0.5 < sgd_same_ratio / mini < 2
    assert sgd > 5 * mini


def test_hover_levels_run_each_setting_with_each_seed():
    X, y, _, _ = gd.make_regression_data()
    _, best = _least_squares(X, y)
    levels = gd.hover_levels(X, y, [(20, 0.05), (20, 0.2)], best, seeds=(0, 1))
    assert list(levels) == [(20, 0.05), (20, 0.2)]
    expected = [gd.hover_level(gd.fit(X, y, 20, 0.05, seed=s)[2], best) for s in (0, 1)]
    np.testing.assert_array_equal(levels[(20, 0.05)], expected)
    assert levels[(20, 0.2)].min() > 5 * levels[(20, 0.05)].max()


def test_hover_table_compares_equal_and_different_lr_over_b():
    levels = {
        (20, 0.05): np.array([2e-4, 1e-4]),
        (1, 0.0025): np.array([3e-4, 3e-4]),
        (20, 0.2): np.array([6e-3, 6e-3]),
    }
    lines = gd.hover_table(levels).splitlines()
    assert len(lines) == 5 and lines[0].index("mean") == lines[1].index("1.5e-04")
    assert lines[2].split() == ["1", "0.0025", "0.0025", "3.0e-04", "3.0e-04", "3.0e-04"]
    # same lr / B: 3e-4 against 1.5e-4; 4 times the lr / B: 6e-3 / 3e-4 to 6e-3 / 1.5e-4
    assert lines[4] == (
        "same lr / B: mean levels within a factor 2.0; 4 times the lr / B: 20 to 40 times the level"
    )


def test_fit_with_replacement_and_every_step():
    X, y, _, _ = gd.make_regression_data(n=40)
    _, _, steps = gd.fit(X, y, batch_size=10, lr=0.05, epochs=3, every_step=True)
    _, _, epochs = gd.fit(X, y, batch_size=10, lr=0.05, epochs=3)
    assert steps.shape == (3 * 4 + 1,) and epochs.shape == (4,)
    np.testing.assert_array_equal(steps[::4], epochs)  # the same run, read more often
    # with replacement the batches repeat examples: another run, as seeded as the first
    w_a, b_a, _ = gd.fit(X, y, batch_size=10, lr=0.05, epochs=3, replace=True)
    w_b, b_b, _ = gd.fit(X, y, batch_size=10, lr=0.05, epochs=3, replace=True)
    w_c, _, _ = gd.fit(X, y, batch_size=10, lr=0.05, epochs=3)
    assert np.array_equal(w_a, w_b) and b_a == b_b and not np.allclose(w_a, w_c)


def test_reshuffling_cancels_noise_at_epoch_ends_and_replacement_scales_with_lr_over_b():
    # what the notebook's sampling table says: read at epoch ends, a reshuffled run's level
    # grows far faster than lr / B (its noise cancels over an epoch); drawn with
    # replacement it grows about in proportion
    X, y, _, _ = gd.make_regression_data()
    _, best = _least_squares(X, y)
    settings = [(20, 0.05), (20, 0.2)]
    readings = gd.sampling_levels(X, y, settings, best, seeds=(0, 1))
    assert list(readings) == [label for label, _, _ in gd.READINGS]
    times, low, high = gd.level_growth(readings["reshuffled, epoch ends"])
    assert times == pytest.approx(4) and low > 3 * times
    _, low, high = gd.level_growth(readings["with replacement, every step"])
    assert 0.75 * times < low and high < 2 * times
    ends = readings["reshuffled, epoch ends"][(20, 0.05)].mean()
    assert readings["with replacement, epoch ends"][(20, 0.05)].mean() > 3 * ends
    given = gd.sampling_levels(X, y, settings[:1], best, seeds=(0,), reshuffled={"k": 1})
    assert given["reshuffled, epoch ends"] == {"k": 1}  # reused, not recomputed


def test_sampling_table_prints_each_reading_and_the_growth():
    level = {
        (20, 0.05): np.array([1e-4, 3e-4]),
        (1, 0.0025): np.array([4e-4, 4e-4]),
        (20, 0.2): np.array([2e-3, 2e-3]),
        (1, 0.01): np.array([1e-2, 1e-2]),
    }
    readings = {label: level for label, _, _ in gd.READINGS}
    lines = gd.sampling_table(readings).splitlines()
    assert len(lines) == 2 + 4 + 1
    assert lines[2].split() == ["20", "0.05", "0.0025"] + ["2.0e-04"] * 4
    assert lines[-1].split()[:4] == ["4", "x", "the", "lr"]
    assert lines[-1].count("5.0-50.0 x") == 4  # 2e-3 / 4e-4 to 1e-2 / 2e-4


def test_update_rule_check_compares_backward_with_the_formula_and_lowers_the_loss():
    X, y, _, _ = gd.make_regression_data()
    w, b, lr = np.array([0.5, -1.0]), 0.2, 0.1
    step = gd.check_update_rule(X, y, w, b, lr)
    formula = 2 / len(y) * X.T @ (X @ w + b - y)
    np.testing.assert_allclose(step.grad, formula, rtol=1e-12)
    assert step.grad_gap < 1e-8 and step.step_gap < 1e-12
    assert step.loss_before == pytest.approx(np.mean((X @ w + b - y) ** 2), rel=1e-12)
    db = 2 * np.mean(X @ w + b - y)
    after = np.mean((X @ (w - lr * formula) + (b - lr * db) - y) ** 2)
    assert step.loss_after == pytest.approx(after, rel=1e-12) and after < step.loss_before
    # a step far too large raises the loss: the check measures, it does not assume
    assert gd.check_update_rule(X, y, w, b, 2.0).loss_after > step.loss_before


def test_sgd_with_the_mini_batches_shuffle_retraces_them():
    # lr / B equal and the same order: 20 small steps add up to nearly one batch step, so
    # SGD ends far closer to the mini-batch run than either is to least squares
    X, y, _, _ = gd.make_regression_data()
    coef, _ = _least_squares(X, y)
    w_mini, b_mini, _ = gd.fit(X, y, 20, 0.05, seed=0)
    mini = np.r_[w_mini, b_mini]
    same = np.r_[gd.fit(X, y, 1, 0.0025, seed=0)[:2]]
    other = np.r_[gd.fit(X, y, 1, 0.0025, seed=1)[:2]]
    assert np.abs(same - mini).max() < 0.2 * np.abs(mini - coef).max()
    assert np.abs(other - mini).max() > 0.5 * np.abs(mini - coef).max()


def test_fit_table_lists_least_squares_and_every_run():
    X, y, _, _ = gd.make_regression_data()
    coef, best = _least_squares(X, y)
    runs = {"full": gd.fit(X, y, 200, 0.3), "sgd": gd.fit(X, y, 1, 0.01, epochs=3)}
    lines = gd.fit_table(runs, coef, best).splitlines()
    assert len(lines) == 4 and lines[1].startswith("least squares")
    assert lines[2].startswith("full") and lines[2].endswith("< 1e-10")
    assert lines[3].split()[-1] == f"{gd.hover_level(runs['sgd'][2], best):.1e}"
    assert gd.hover_level(np.array([5.0, 3.0, 2.0, 1.5]), 1.0, last=2) == pytest.approx(0.75)


def test_descent_step_cases_are_fresh_copies_with_several_weights_first():
    first, second = gd.descent_step_cases(), gd.descent_step_cases()
    assert [w.size for w, _, _, _ in first] == [3, 2, 1]
    first[0][0][:] = 99.0
    assert not np.any(second[0][0] == 99.0) and not np.any(gd.descent_step_cases()[0][0] == 99.0)


@pytest.mark.parametrize("case", range(3))
def test_reference_descent_step_is_w_minus_lr_times_the_mse_gradient(case):
    w, X, y, lr = gd.descent_step_cases()[case]
    w_before = w.copy()
    expected = w - lr * 2 / len(y) * X.T @ (X @ w - y)
    np.testing.assert_allclose(gd.reference_descent_step(w, X, y, lr), expected, rtol=1e-12)
    np.testing.assert_array_equal(w, w_before)  # the caller's w is not changed


def test_reference_descent_step_matches_pytorch(torch):
    w, X, y, lr = gd.descent_step_cases()[1]
    tw = torch.tensor(w, requires_grad=True)
    ((torch.tensor(X) @ tw - torch.tensor(y)) ** 2).mean().backward()
    with torch.no_grad():
        tw -= lr * tw.grad
    np.testing.assert_allclose(
        gd.reference_descent_step(w, X, y, lr), tw.detach().numpy(), rtol=1e-12
    )


def _step(reduction="mean", sign=-1.0, use_lr=True, returns="w"):
    """A descent_step as a learner might write it, with one chosen mistake."""

    def descent_step(w, X, y, lr):
        w = gl.tensor(w, requires_grad=True)
        squared = (gl.tensor(X) @ w - gl.tensor(y)) ** 2
        (squared.mean() if reduction == "mean" else squared.sum()).backward()
        with gl.no_grad():
            w += sign * (lr if use_lr else 1.0) * w.grad
        return w.data if returns == "w" else w.grad

    return descent_step


def test_check_descent_step_accepts_a_correct_step():
    verdict = gd.check_descent_step(_step())
    assert verdict and "all 3 test cases" in verdict.message


def test_check_descent_step_asks_for_a_numpy_array_not_a_tensor():
    def returns_tensor(w, X, y, lr):
        return gl.tensor(_step()(w, X, y, lr))

    verdict = gd.check_descent_step(returns_tensor)
    assert not verdict and "returned a gradlib Tensor" in verdict.message
    assert "return w.data" in verdict.message


def _by_hand(w, X, y, lr):
    return w - lr * 2 / len(y) * X.T @ (X @ w - y)


def _column_target(w, X, y, lr):
    """The broadcasting slip: y reshaped to (n, 1), so X @ w - y is (n, n)."""
    w = gl.tensor(w, requires_grad=True)
    loss = ((gl.tensor(X) @ w - gl.tensor(y.reshape(-1, 1))) ** 2).mean()
    loss.backward()
    with gl.no_grad():
        w -= lr * w.grad
    return w.data


@pytest.mark.parametrize(
    "function, phrases",
    [
        (None, ["not a function yet"]),
        (_step(reduction="sum"), ["8 times too large", "n = 8", "sum", ".mean()"]),
        (_step(sign=+1.0), ["stepped uphill", "+= instead of -="]),
        (_step(sign=+1.0, reduction="sum"), ["stepped uphill", "also 8 times too large"]),
        (_step(use_lr=False), ["20 times too large", "1/lr = 20", "learning rate is missing"]),
        (_step(returns="grad"), ["returned the gradient"]),
        (lambda w, X, y, lr: w - _by_hand(w, X, y, lr), ["returned the step lr dL/dw"]),
        (lambda w, X, y, lr: w.copy(), ["did not change"]),
        (lambda w, X, y, lr: None, ["returned None", "return w.data"]),
        (lambda w, X, y, lr: _by_hand(w, X, y, lr) / 2, ["does not point along"]),
        (_column_target, ["X @ w has shape (n,)", "y has shape (n, 1)", "(n, n)"]),
        (lambda w, X, y, lr: w - lr * X.T @ (X @ w - y) / len(y), ["2 times too small"]),
        (lambda w, X, y, lr: 1.3 * _by_hand(w, X, y, lr) - 0.3 * w, ["1.3 times too large"]),
        (lambda w, X, y, lr: _by_hand(w, X, y, lr)[:1], ["shape (1,), expected (3,)"]),
        (lambda w, X, y, lr: 1 / 0, ["ZeroDivisionError", "test case 1"]),
    ],
)
def test_check_descent_step_names_the_mistake(function, phrases):
    verdict = gd.check_descent_step(function)
    assert not verdict
    for phrase in phrases:
        assert phrase in verdict.message, verdict.message


def test_check_descent_step_reports_a_change_in_place():
    def in_place(w, X, y, lr):
        w -= lr * 2 / len(y) * X.T @ (X @ w - y)  # right numbers, but the caller's w changes
        return w

    verdict = gd.check_descent_step(in_place)
    assert not verdict
    assert "changed its argument w in place" in verdict.message
    assert "gl.tensor(w, requires_grad=True) makes a copy" in verdict.message


def test_check_descent_step_still_empty():
    def descent_step(w, X, y, lr):
        raise NotImplementedError

    assert "still raises NotImplementedError" in gd.check_descent_step(descent_step).message


@pytest.mark.parametrize("lr", [0.06, 0.1, 0.14])
def test_check_learning_rate_accepts_rates_that_converge_in_time(lr):
    verdict = gd.check_learning_rate(lr)
    assert verdict, verdict.message


@pytest.mark.parametrize(
    "lr, phrase",
    [
        (None, "still empty"),
        ("fast", 'lr is the text "fast"; write a number'),
        ("0.1", "write the number without quotes: lr = 0.1."),
        (-0.1, "must be positive"),
        (0.01, "too small"),
        (0.05, "too small"),
        (0.17, "overshoots"),
        (0.2, "never shrinks"),
        (0.3, "grows"),
        (0.526, "1 - q = 0.5256: you solved |1 - lr| < q"),
        (1 - (1e-6 / 3) ** (1 / 20), "divide by L"),
        (1.47, "1 + q = 1.4744"),
    ],
)
def test_check_learning_rate_explains_the_failure(lr, phrase):
    verdict = gd.check_learning_rate(lr)
    assert not verdict
    assert phrase in verdict.message


# ----- figures ---------------------------------------------------------------------------------


def test_regimes_figure_tells_every_line_apart_and_counts_whole_steps():
    fig = gd.plot_regimes(steps=20)
    (ax,) = fig.axes
    styles = [(line.get_linestyle(), line.get_marker()) for line in ax.lines]
    assert len(styles) == 5 and len(set(styles)) == 5
    assert len({line.get_marker() for line in ax.lines}) == 5
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 20]
    assert ticks == [round(t) for t in ticks] and ticks[:3] == [0, 5, 10]


def test_lr_explorer_legend_names_dots_prediction_and_start():
    fig = gd.LearningRateExplorer().figure_at(lr=0.1, x0=2.5)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["|x_k| measured", "|1 - lr L|^k |x0| predicted", "starting distance |x0|"]


def test_loss_curves_have_one_marker_each():
    histories = {f"run {i}": np.linspace(1.0, 0.5, 5) + i for i in range(4)}
    fig = gd.plot_loss_curves(histories, best_loss=0.1)
    (ax,) = fig.axes
    assert len({line.get_marker() for line in ax.lines}) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(histories)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), histories["run 1"] - 0.1)


def test_static_figures_draw():
    assert len(gd.plot_regimes().axes) == 1
    assert len(gd.plot_descent_paths().axes) == 2
    kappas = np.array([3.0, 10.0, 30.0])
    steps = np.array([gd.steps_to_tolerance(k, gd.best_learning_rate(k)) for k in kappas])
    assert len(gd.plot_steps_vs_kappa(kappas, steps, steps // 2).axes) == 1
    paths = gd.descend(gd.himmelblau, np.array([[0.0, 0.0], [-4.0, -1.0]]), 0.01, 50)
    assert len(gd.plot_basins(paths, lr=0.01, steps=50, n=9).axes) == 2


# ----- exercise 3: a learning rate and momentum for the heavy ball -------------------------


def test_check_momentum_setting_accepts_polyaks_tuning_and_rejects_plain_descent():
    kappa = gd.MOMENTUM_EXERCISE["kappa"]
    assert gd.check_momentum_setting(*gd.heavy_ball_parameters(kappa))
    # plain descent at its best rate cannot shrink |x| a million times in 80 steps
    assert not gd.check_momentum_setting(gd.best_learning_rate(kappa), 0.0)
    assert gd.check_momentum_setting(3.0 / kappa, 0.6)  # not only the exact tuning
    # the tolerance compares with the shrink, not with the rate per step
    message = gd.check_momentum_setting(*gd.heavy_ball_parameters(kappa)).message
    assert "|x_80| / |x_0| = 5.5e-09 <= 1e-06 (rate 0.752 per step)" in message, message


@pytest.mark.parametrize(
    "lr, beta, phrases",
    [
        (None, 0.5, ["lr is still empty"]),
        (0.05, None, ["beta is still empty"]),
        (-0.01, 0.5, ["must be positive"]),
        (0.05, 1.0, ["outside 0 <= beta < 1", "beta >= 1 never lets"]),
        (0.05, -0.2, ["outside 0 <= beta < 1", "fraction of the last step", "negative beta"]),
        (0.075, 0.4, ["diverges", "past the edge 2 (1 + beta) = 2.8"]),
        (0.04, 0.0, ["swings without shrinking", "at the edge 2 (1 + beta) = 2"]),
        (3.07, 0.566, ["Did you enter lr x L? Then lr = 3.07 / L = 0.0614"]),
        (0.06, 0.9, ["along mu", "complex", "sqrt(beta) = 0.949", "lower beta"]),
        (0.04, 0.3, ["along mu", "real", "creeps", "Raise beta or lr"]),
        (2 / 51, 0.0, ["along mu", "creeps", "add momentum"]),
        (3.19 / 50, 0.6, ["along L", "negative", "flips side"]),
        (3.37 / 50, 0.7, ["close", "constant factor"]),
        (0.57, 0.0614, ["lr and beta look swapped", "lr = 0.0614 and beta = 0.57"]),
        (0.0614, 0.75, ["looks like sqrt(beta)", "beta = 0.5625"]),
    ],
)
def test_check_momentum_setting_names_the_mistake(lr, beta, phrases):
    verdict = gd.check_momentum_setting(lr, beta)
    assert not verdict
    for phrase in phrases:
        assert phrase in verdict.message, (phrase, verdict.message)
    assert "Did you enter" not in verdict.message or lr > 1


def test_check_momentum_setting_does_not_call_a_swap_lr_times_L():
    # 0.57 is also a stable lr L, so the "lr x L" reading must not come first
    verdict = gd.check_momentum_setting(0.57, 0.0614)
    assert "swapped" in verdict.message and "Did you enter" not in verdict.message
