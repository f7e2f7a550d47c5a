"""gradlib.lessons.loss_functions: the regression losses' derivatives, fits under outliers,
MAE's oscillation, Newton steps, the linear SVM, naive and stable cross-entropy, checkers.

Reference numbers come from REFERENCES.md ("Losses"): Pseudo-Huber with delta = 1 is 0.4142
at a = 1 and 4.0990 at a = 5; SmoothL1(beta) = Huber(beta) / beta.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib.lessons import loss_functions as lesson  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def outlier_line():
    return lesson.line_with_outliers(4, 15.0)


@pytest.fixture(scope="module")
def classifiers():
    X, y = lesson.svm_data()
    svm = lesson.train_linear_classifier(X, y, "hinge")
    logistic = lesson.train_linear_classifier(X, y, "logistic")
    return X, y, svm, logistic


# ----- the regression losses ----------------------------------------------------------------


def test_loss_curves_follow_the_formulas():
    a = np.linspace(-4, 4, 81)
    curves = lesson.loss_curves(a, delta=1.5)
    np.testing.assert_allclose(curves["MSE"]["value"], a**2)
    np.testing.assert_allclose(curves["MSE"]["slope"], 2 * a)
    np.testing.assert_allclose(curves["MAE"]["slope"], np.sign(a))
    inside = np.abs(a) < 1.5
    huber = np.where(inside, 0.5 * a**2, 1.5 * (np.abs(a) - 0.75))
    np.testing.assert_allclose(curves["Huber"]["value"], huber)
    np.testing.assert_allclose(curves["Huber"]["slope"], np.clip(a, -1.5, 1.5))
    np.testing.assert_array_equal(curves["Huber"]["curvature"], inside.astype(float))
    root = np.sqrt(1 + (a / 1.5) ** 2)
    np.testing.assert_allclose(curves["Pseudo-Huber"]["value"], 1.5**2 * (root - 1), atol=1e-12)
    np.testing.assert_allclose(curves["Pseudo-Huber"]["curvature"], root**-3)


def test_reference_numbers_of_pseudo_huber_and_smooth_l1():
    values = lesson.loss_curves(np.array([1.0, 5.0]), delta=1.0)["Pseudo-Huber"]["value"]
    np.testing.assert_allclose(values, [0.4142, 4.0990], atol=5e-5)
    a = np.array([0.5, 3.0, -4.0])
    huber = F.huber_loss(a, 0 * a, delta=2.0, reduction="none").data
    smooth = F.smooth_l1_loss(a, 0 * a, beta=2.0, reduction="none").data
    np.testing.assert_allclose(smooth, huber / 2.0)


def test_pulls_point_towards_the_data():
    predictions, targets = np.zeros(4), np.array([3.0, -3.0, 0.5, 20.0])
    np.testing.assert_allclose(lesson.pulls(predictions, targets, "MSE"), 2 * targets)
    np.testing.assert_allclose(lesson.pulls(predictions, targets, "MAE"), np.sign(targets))
    np.testing.assert_allclose(
        lesson.pulls(predictions, targets, "Huber", 1.0), [1.0, -1.0, 0.5, 1.0]
    )
    with pytest.raises(ValueError, match="unknown loss 'L3'"):
        lesson.pulls(predictions, targets, "L3")


# ----- data, descent and best lines -------------------------------------------------------


def test_outliers_are_nested_and_in_the_right_half():
    x0, y0, none = lesson.line_with_outliers(0)
    assert not none.any() and x0.shape == y0.shape == (40,)
    previous = none
    for k in range(1, 13):
        x, y, mask = lesson.line_with_outliers(k, 10.0)
        np.testing.assert_array_equal(x, x0)
        assert mask.sum() == k and (x[mask] > 0).all() and (mask >= previous).all()
        np.testing.assert_allclose(y[mask], y0[mask] - 10.0)
        np.testing.assert_array_equal(y[~mask], y0[~mask])
        previous = mask
    with pytest.raises(ValueError, match="n_outliers must be 0.."):
        lesson.line_with_outliers(39)


def test_descent_gradient_is_gradlibs_autodiff(outlier_line):
    x, y, _ = outlier_line
    for loss in lesson.REGRESSION_LOSSES:
        path = lesson.descend(x, y, loss, 0.7, lr=0.05, steps=1, start=(0.3, -0.2))
        w = gl.tensor(0.3, requires_grad=True)
        b = gl.tensor(-0.2, requires_grad=True)
        options = lesson.regression_loss(loss).options(0.7)
        functional = {
            "MSE": F.mse_loss,
            "MAE": F.l1_loss,
            "Huber": F.huber_loss,
            "Pseudo-Huber": F.pseudo_huber_loss,
        }[loss]
        value = functional(w * x + b, y, **options)
        value.backward()
        assert path.losses[0] == pytest.approx(value.item())
        assert path.slopes[1] == pytest.approx(0.3 - 0.05 * float(w.grad))
        assert path.intercepts[1] == pytest.approx(-0.2 - 0.05 * float(b.grad))


def test_descent_reaches_the_best_line_of_smooth_losses(outlier_line):
    x, y, _ = outlier_line
    for loss in ("MSE", "Huber", "Pseudo-Huber"):
        path = lesson.descend(x, y, loss, 1.0, lr=0.1, steps=2000)
        np.testing.assert_allclose(
            [path.slope, path.intercept], lesson.best_line(x, y, loss), atol=1e-8
        )


def test_best_lines_are_minimisers(outlier_line, rng):
    x, y, _ = outlier_line
    for loss in lesson.REGRESSION_LOSSES:
        best = lesson.best_line(x, y, loss, 1.0)
        at_best = lesson.descend(x, y, loss, lr=0.0, steps=0, start=tuple(best)).losses[0]
        for _ in range(50):
            other = best + rng.normal(scale=0.05, size=2)
            value = lesson.descend(x, y, loss, lr=0.0, steps=0, start=tuple(other)).losses[0]
            assert value >= at_best - 1e-12, loss
    slope, intercept = lesson.best_line(x, y, "MSE")
    np.testing.assert_allclose([slope, intercept], np.polyfit(x, y, 1))
    # a smooth loss's best line has zero gradient: sum g_i x_i = sum g_i = 0
    for loss in ("Huber", "Pseudo-Huber"):
        w, b = lesson.best_line(x, y, loss, 1.0)
        g = -lesson.pulls(w * x + b, y, loss, 1.0)
        assert abs(g @ x) < 1e-9 and abs(g.sum()) < 1e-9


def test_a_too_large_rate_diverges_for_mse(outlier_line):
    x, y, _ = outlier_line
    path = lesson.descend(x, y, "MSE", lr=0.6, steps=300)
    assert path.diverged and np.isnan(path.losses[-1])
    with pytest.raises(ValueError, match="schedule must be 'fixed' or 'decaying'"):
        lesson.descend(x, y, schedule="cosine")


def test_outliers_pull_mse_far_more_than_mae_and_huber():
    slopes = lesson.influence([0, 4], size=15.0)
    moved = {name: abs(values[1] - values[0]) for name, values in slopes.items()}
    assert moved["MSE"] > 0.8
    assert moved["MAE"] < 0.1 and moved["Huber"] < 0.1


def test_mae_with_a_fixed_rate_keeps_wandering_in_proportion_to_the_rate(outlier_line):
    x, y, _ = outlier_line
    best = lesson.best_line(x, y, "MAE")
    rates = [0.01, 0.03, 0.1, 0.3]
    sizes = [
        lesson.oscillation(lesson.descend(x, y, "MAE", lr=lr, steps=3000), best) for lr in rates
    ]
    assert all(a < b for a, b in zip(sizes, sizes[1:]))
    ratios = np.array(sizes) / np.array(rates)
    assert ratios.max() / ratios.min() < 2.5  # about proportional
    decaying = lesson.descend(x, y, "MAE", lr=0.3, steps=3000, schedule="decaying")
    assert lesson.oscillation(decaying, best) < sizes[-1] / 20
    mse = lesson.descend(x, y, "MSE", lr=0.1, steps=3000)
    assert lesson.oscillation(mse, lesson.best_line(x, y)) < 1e-12


def test_decaying_rate_halves_after_decay_steps():
    assert lesson.decaying_rate(0.3, 0) == pytest.approx(0.3)
    assert lesson.decaying_rate(0.3, lesson.DECAY_STEPS) == pytest.approx(0.15)


# ----- Newton steps -------------------------------------------------------------------------


def test_huber_newton_step_needs_a_target_within_delta():
    targets = lesson.LEAF_TARGETS
    far = lesson.newton_step("Huber", targets, 0.0)
    assert far.curvature == 0 and np.isnan(far.next) and far.gradient == -5.0
    near = lesson.newton_step("Huber", targets, 4.0)
    assert near.curvature == 4.0
    # piecewise quadratic: once the targets within delta stop changing, one step lands
    # exactly on the minimiser (4.2: 3.6, 4.2 and 4.8 inside, 3.1 and 12 outside)
    second = lesson.newton_step("Huber", targets, near.next)
    assert second.next == pytest.approx(4.2, abs=1e-12)
    assert lesson.newton_step("Huber", targets, second.next).gradient == pytest.approx(0, abs=1e-12)


def test_pseudo_huber_newton_step_is_always_defined_and_cubic_from_one_point():
    c = np.linspace(-5, 20, 101)
    G, H, following = lesson.newton_steps("Pseudo-Huber", lesson.LEAF_TARGETS, c)
    assert (H > 0).all() and np.isfinite(following).all()
    for a in (0.5, 2.0, -3.0):
        step = lesson.newton_step("Pseudo-Huber", np.array([0.0]), a, delta=1.0)
        assert step.next == pytest.approx(-(a**3))  # the new residual is -a^3 / delta^2
    one = lesson.newton_step("Pseudo-Huber", lesson.LEAF_TARGETS, 2.0)
    assert one.next == pytest.approx(following[np.argmin(np.abs(c - 2.0))], rel=0.2)


def test_bound_curvature_is_slope_over_residual_and_lies_above_the_loss():
    a = np.array([-5.0, -1.0, -0.3, 0.0, 0.3, 1.0, 5.0])
    huber = lesson.regression_loss("Huber").bound_curvature(a, 2.0)
    np.testing.assert_allclose(huber, np.minimum(1.0, 2.0 / np.maximum(np.abs(a), 1e-300)))
    pseudo = lesson.regression_loss("Pseudo-Huber").bound_curvature(a, 2.0)
    np.testing.assert_allclose(pseudo, (1 + (a / 2.0) ** 2) ** -0.5)
    # the parabola with that curvature touches each loss at a0 and lies above it everywhere
    t = np.linspace(-20, 20, 4001)
    for name in ("Huber", "Pseudo-Huber"):
        kind = lesson.regression_loss(name)
        for a0 in (-6.0, -1.5, 0.4, 3.0):
            value = lesson.loss_curves(np.array([a0]), 2.0)[name]
            H = kind.bound_curvature(np.array([a0]), 2.0)[0]
            parabola = value["value"][0] + value["slope"][0] * (t - a0) + 0.5 * H * (t - a0) ** 2
            assert (parabola >= lesson.loss_curves(t, 2.0)[name]["value"] - 1e-12).all(), name


def test_bound_newton_converges_where_exact_newton_diverges():
    targets = lesson.LEAF_TARGETS
    exact = lesson.newton_iterates("Pseudo-Huber", targets, 2.0, steps=8)
    assert exact[0] == pytest.approx(9.8756, abs=1e-4) and np.isnan(exact[-1])
    assert np.isnan(lesson.newton_iterates("Huber", targets, 2.0, steps=3)).all()
    for name, best in (("Huber", 4.2), ("Pseudo-Huber", 4.2990849)):
        for start in (-10.0, 2.0, 4.0, 30.0):
            path = lesson.newton_iterates(name, targets, start, steps=60, curvature="bound")
            assert path[-1] == pytest.approx(best, abs=1e-6), (name, start)
    with pytest.raises(ValueError, match="curvature must be one of"):
        lesson.newton_steps("Huber", targets, np.array(2.0), curvature="hessian")


# ----- the linear SVM and logistic regression ---------------------------------------------


def test_svm_has_few_support_vectors_and_satisfies_the_optimality_conditions(classifiers):
    X, y, svm, _ = classifiers
    margins = svm.margins(X, y)
    inside, on = margins < 1 - 1e-3, np.abs(margins - 1) <= 1e-3
    assert inside.sum() == 4 and on.sum() == 2 and (margins > 0).all()
    assert svm.margin_width == pytest.approx(1.386, abs=0.005)
    # KKT: w = (1 / (lam N)) sum_i alpha_i y_i x_i, alpha = 1 inside, 0 beyond, in [0, 1] on
    # the margin, and sum_i alpha_i y_i = 0 (the bias). Solve for the on-margin alphas.
    n, lam = len(y), lesson.SVM_LAMBDA
    fixed = (y[inside, None] * X[inside]).sum(axis=0)
    system = np.vstack([(y[on, None] * X[on]).T, y[on]])
    rhs = np.append(lam * n * svm.w - fixed, -y[inside].sum())
    alpha, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    assert np.abs(system @ alpha - rhs).max() < 0.05
    assert (alpha > -0.05).all() and (alpha < 1.05).all()


def test_logistic_regression_is_pulled_by_every_point(classifiers):
    X, y, svm, logistic = classifiers
    pull = 1 / (1 + np.exp(logistic.margins(X, y)))
    assert (pull > 1e-5).all()
    # moving the points beyond the SVM's margin further out leaves the SVM in place
    far = svm.margins(X, y) > 1 + 1e-3
    moved = X + (far * y)[:, None] * svm.w / np.linalg.norm(svm.w)
    svm2 = lesson.train_linear_classifier(moved, y, "hinge")
    logistic2 = lesson.train_linear_classifier(moved, y, "logistic")
    assert np.abs(np.append(svm2.w - svm.w, svm2.b - svm.b)).max() < 0.03
    assert np.abs(np.append(logistic2.w - logistic.w, logistic2.b - logistic.b)).max() > 0.3
    with pytest.raises(ValueError, match="loss must be 'hinge' or 'logistic'"):
        lesson.train_linear_classifier(X, y, "square")


# ----- cross-entropy ----------------------------------------------------------------------


def test_naive_cross_entropy_breaks_where_the_stable_one_does_not():
    logits = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]])
    target = np.array([0, 1, 2])
    naive = lesson.naive_cross_entropy(logits, target)
    stable = lesson.stable_cross_entropy(logits, target)
    assert np.isnan(naive[0]) and naive[1] == np.inf  # inf / inf, and -log(0)
    shifted = lesson.shifted_cross_entropy(logits, target)
    assert shifted[0] == 0 and shifted[1] == np.inf  # no overflow, but exp(-1000) underflows
    np.testing.assert_allclose(shifted[2], stable[2])
    np.testing.assert_allclose(stable[:2], [0.0, 1000.0])
    np.testing.assert_allclose(naive[2], stable[2])
    np.testing.assert_allclose(stable, F.cross_entropy(logits, target, reduction="none").data)
    x, y = np.array([1000.0, -1000.0, 0.3]), np.array([0.0, 1.0, 1.0])
    naive_b = lesson.naive_binary_cross_entropy(x, y)
    assert not np.isfinite(naive_b[:2]).any()
    np.testing.assert_allclose(naive_b[2], F.binary_cross_entropy_with_logits(x[2:], y[2:]).item())


# ----- exercises ----------------------------------------------------------------------------


def test_huber_checker_accepts_the_reference_and_names_each_slip():
    assert lesson.check_huber_grad(lambda a, d: np.clip(a, -d, d))
    assert lesson.check_huber_grad(lesson.reference_huber_grad)
    slips = {
        "MSE's slope": lambda a, d: 2 * a,
        "Smooth L1's slope": lambda a, d: np.clip(a / d, -1, 1),
        "-delta for a < -delta": lambda a, d: np.where(np.abs(a) < d, a, d),
        "without delta": lambda a, d: np.where(np.abs(a) < d, a, np.sign(a)),
        "used outside too": lambda a, d: a,
        "at the boundary": lambda a, d: (np.abs(a) < d) * a + (np.abs(a) > d) * d * np.sign(a),
        "used inside too": lambda a, d: d * np.sign(a),
        "not its slope": lambda a, d: np.where(np.abs(a) < d, a * a / 2, d * (np.abs(a) - d / 2)),
    }
    for phrase, slip in slips.items():
        verdict = lesson.check_huber_grad(slip)
        assert not verdict and phrase in verdict.message, verdict.message
    assert "not defined" in lesson.check_huber_grad(None).message


def test_loss_choice_checker_fits_the_choice():
    assert lesson.check_loss_choice(("Huber", 0.4))
    assert lesson.check_loss_choice(("MAE", 1.0))
    assert lesson.check_loss_choice(("pseudo-huber", 0.3))
    assert "capped" in lesson.check_loss_choice(("MSE", 1.0)).message
    assert "make delta smaller" in lesson.check_loss_choice(("Huber", 12.0)).message
    assert "noise level" in lesson.check_loss_choice(("Huber", 2.0)).message
    assert "still empty" in lesson.check_loss_choice(None).message
    assert "not one of the losses" in lesson.check_loss_choice(("L3", 1.0)).message
    assert "Remove the quotes" in lesson.check_loss_choice(("Huber", "1")).message


def test_bce_checker_tries_extreme_logits():
    def stable(x, y):
        return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))

    assert lesson.check_bce_with_logits(stable)
    naive = lesson.check_bce_with_logits(lesson.naive_binary_cross_entropy)
    assert not naive and "x = 1000" in naive.message and "log 0" in naive.message
    half = lesson.check_bce_with_logits(lambda x, y: x * (1 - y) + np.log1p(np.exp(-x)))
    assert not half and "x = -1000" in half.message and "exp(1000) overflows" in half.message
    for verdict in (naive, half):  # the message explains, but does not hand out the formula
        assert "max(x, 0) - x y" not in verdict.message and "exp(-|x|)" not in verdict.message
    slips = {
        "wrong sign": lambda x, y: -stable(x, y),
        "y and 1 - y swapped": lambda x, y: stable(x, 1 - y),
        "max(x, 0) is missing": lambda x, y: stable(x, y) - np.maximum(x, 0),
        "needs exp(-|x|)": lambda x, y: np.maximum(x, 0) - x * y + np.log1p(np.exp(-x)),
    }
    for phrase, slip in slips.items():
        verdict = lesson.check_bce_with_logits(slip)
        assert not verdict and phrase in verdict.message, verdict.message

    def clamped(x, y):
        p = 1 / (1 + np.exp(-x))
        return -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))

    assert "clamped log" in lesson.check_bce_with_logits(clamped).message


# ----- figures and the widget ---------------------------------------------------------------


def test_figures_draw(outlier_line, classifiers):
    x, y, _ = outlier_line
    X, labels, svm, logistic = classifiers
    figures = [
        lesson.plot_loss_curves(),
        lesson.plot_newton(),
        lesson.plot_outlier_fits(counts=range(0, 6)),
        lesson.plot_mae_oscillation(x, y, sweep=(0.05, 0.1), steps=1200),
        lesson.plot_svm(X, labels, svm, logistic),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and len(fig.axes) >= 2
        width, height = fig.get_size_inches() * fig.dpi
        assert width <= 1150 and height <= 470


def test_robust_regression_lab_reports_the_fit():
    lab = lesson.RobustRegressionLab()
    text = lab.draw()
    assert "MSE" in text and "slope 1.188" in text
    text = lab.draw(loss="Huber", delta=1.0)
    assert "Huber (delta = 1)" in text and "slope 1.96" in text
    assert "diverged" in lab.draw(loss="MSE", lr=0.5)
