"""Notebook 06, the static figures: the regression losses and their derivatives, Newton's
quadratic models, lines fitted under outliers, MAE's oscillation, and the SVM's margin."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.language import tr
from gradlib.lessons.loss_functions.maths import (
    LEAF_TARGETS,
    REGRESSION_LOSSES,
    TRUE_INTERCEPT,
    TRUE_SLOPE,
    LinearClassifier,
    best_line,
    descend,
    influence,
    line_with_outliers,
    loss_curves,
    newton_steps,
    oscillation,
    regression_loss,
)
from gradlib.plotting import COLORS, PALETTE, new_figure, with_gaps

__all__ = [
    "LOSS_STYLES",
    "plot_loss_curves",
    "plot_mae_oscillation",
    "plot_newton",
    "plot_outlier_fits",
    "plot_svm",
]

# One colour and one dash pattern per loss, so the lines differ in grey too.
LOSS_STYLES: dict[str, dict[str, Any]] = {
    "MSE": {"color": PALETTE["blue"], "linestyle": "-"},
    "MAE": {"color": PALETTE["orange"], "linestyle": "--"},
    "Huber": {"color": PALETTE["green"], "linestyle": "-."},
    "Pseudo-Huber": {"color": PALETTE["vermillion"], "linestyle": ":"},
}


def plot_loss_curves(delta: float = 1.0, limit: float = 3.0):
    """Three panels against the residual a: each loss's value, slope (how hard a point
    pulls) and curvature (second derivative). Returns the figure."""
    a = np.linspace(-limit, limit, 601)
    curves = loss_curves(a, delta)
    fig, axes = new_figure(ncols=3, width=11.0, height=4.1)
    titles = (tr("Loss l(a)"), tr("Slope dl/da: the pull"), tr("Curvature d²l/da²"))
    for ax, key, title in zip(axes, ("value", "slope", "curvature"), titles):
        for name, curve in curves.items():
            values = curve[key] if key == "value" else with_gaps(curve[key], jump=0.5)
            label = REGRESSION_LOSSES[name].label(delta)
            ax.plot(a, values, linewidth=2.4, label=label, **LOSS_STYLES[name])
        ax.set_title(title)
        ax.set_xlabel(tr("residual a = prediction − target"))
        ax.axvline(-delta, color=PALETTE["black"], linewidth=0.8, alpha=0.4)
        ax.axvline(delta, color=PALETTE["black"], linewidth=0.8, alpha=0.4)
    axes[0].set_ylim(-0.2, 4.6)
    axes[0].legend(loc="upper center", fontsize=9, framealpha=1)
    for ax, label in zip(axes, (tr("loss"), tr("slope"), tr("second derivative"))):
        ax.set_ylabel(label)
    axes[1].set_ylim(-3.4, 3.4)
    axes[2].set_ylim(-0.25, 2.4)
    axes[2].annotate(
        tr("MAE: no second\nderivative at 0"),
        xy=(0, 0.05),
        xytext=(-limit * 0.95, 1.45),
        fontsize=10,
        arrowprops={"arrowstyle": "->", "color": LOSS_STYLES["MAE"]["color"]},
    )
    axes[2].annotate(
        tr("Huber jumps\nat ±{delta:g}", delta=delta),
        xy=(delta, 1.0),
        xytext=(delta + 0.3, 1.45),
        fontsize=10,
        arrowprops={"arrowstyle": "->", "color": LOSS_STYLES["Huber"]["color"]},
    )
    fig.tight_layout()
    return fig


def plot_newton(start: float = 2.0, delta: float = 1.0, targets: np.ndarray = LEAF_TARGETS):
    """Newton's method on a constant prediction c for ``targets``: the total loss of Huber
    and Pseudo-Huber with each one's quadratic model at ``start`` (left), and the total
    curvature H(c) that Newton divides by (right). Returns the figure."""
    c = np.linspace(-1.0, 14.0, 751)
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    for name in ("Huber", "Pseudo-Huber"):
        style = LOSS_STYLES[name]
        G, H, following = (float(v) for v in newton_steps(name, targets, np.array(start), delta))
        at_start = float(_total_loss(name, start - targets, delta))

        def model(c, G=G, H=H, at_start=at_start):  # Newton's quadratic model at ``start``
            return at_start + G * (c - start) + 0.5 * H * (c - start) ** 2

        left.plot(
            c,
            _total_loss(name, c[:, None] - targets, delta),
            linewidth=2.4,
            label=tr("{name}: sum of losses", name=name),
            **style,
        )
        left.plot(
            c,
            model(c),
            color=style["color"],
            linewidth=1.2,
            label=tr("{name}: Newton's model at c = {start:g}", name=name, start=start),
        )
        if np.isfinite(following):
            left.plot([following], [model(following)], "v", color=style["color"], markersize=10)
        _, curvature, _ = newton_steps(name, targets, c, delta)
        # a staircase reads best drawn whole, its jumps as vertical steps
        right.plot(
            c,
            curvature,
            linewidth=2.4,
            label=name,
            color=style["color"],
            linestyle="-" if name == "Huber" else style["linestyle"],
        )
    for ax in (left, right):
        ax.plot(
            targets,
            np.zeros_like(targets),
            "|",
            color=PALETTE["black"],
            markersize=16,
            markeredgewidth=2,
            label=tr("targets"),
            clip_on=False,
        )
        ax.axvline(start, color=PALETTE["black"], linewidth=0.8, alpha=0.5)
        ax.set_xlabel(tr("constant prediction c"))
    left.set_ylim(-6, 32)
    left.set_ylabel(tr("sum of the losses"))
    left.set_title(tr("Newton's models at c = {start:g} (▼: the next c)", start=start))
    left.legend(loc="upper right", fontsize=8.5, framealpha=1)
    right.set_ylim(-0.2, len(targets) + 0.4)
    right.set_ylabel(tr("H(c) = sum of second derivatives"))
    right.set_title(tr("The curvature Newton divides by"))
    right.legend(loc="upper right", fontsize=9.5)
    fig.tight_layout()
    return fig


def _total_loss(name: str, residual: np.ndarray, delta: float) -> np.ndarray:
    """The sum over the last axis of the per-target losses of ``residual``."""
    from gradlib.engine import Context

    kind = regression_loss(name)
    ctx = Context()
    each = kind.function.forward(
        ctx, residual, np.zeros_like(residual), reduction="none", **kind.options(delta)
    )
    return each.sum(axis=-1)


def plot_outlier_fits(
    n_outliers: int = 4, size: float = 15.0, counts: Any = range(0, 15), delta: float = 1.0
):
    """The best line of MSE, MAE and Huber through data with ``n_outliers`` outliers (left),
    and the best slope of each as the outliers are added one by one (right)."""
    names = ("MSE", "MAE", "Huber")
    x, y, is_outlier = line_with_outliers(n_outliers, size)
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    left.plot(
        x[~is_outlier],
        y[~is_outlier],
        "o",
        color=PALETTE["sky"],
        markersize=6,
        label=tr("clean points"),
    )
    left.plot(
        x[is_outlier],
        y[is_outlier],
        "X",
        color=PALETTE["vermillion"],
        markersize=9,
        label=tr("{count} outliers (pushed down {size:g})", count=n_outliers, size=size),
    )
    xs = np.array([-2.6, 2.6])
    left.plot(
        xs,
        TRUE_SLOPE * xs + TRUE_INTERCEPT,
        color=PALETTE["black"],
        linewidth=1.2,
        label=tr("clean truth y = 2x + 1"),
    )
    for name in names:
        slope, intercept = best_line(x, y, name, delta)
        left.plot(
            xs,
            slope * xs + intercept,
            linewidth=2.4,
            label=tr(
                "{loss}: slope {slope:.2f}", loss=REGRESSION_LOSSES[name].label(delta), slope=slope
            ),
            **LOSS_STYLES[name],
        )
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_ylim(y.min() - 1.5, y.max() + 8)  # room for the legend above the points
    left.set_title(tr("Best line of each loss"))
    left.legend(loc="upper left", fontsize=8.5)

    counts = np.asarray(list(counts))
    slopes = influence(counts, size, names, delta)
    for name, marker in zip(names, ("o", "s", "^")):
        right.plot(
            counts,
            slopes[name],
            marker=marker,
            linewidth=2.2,
            markersize=5,
            label=REGRESSION_LOSSES[name].label(delta),
            **LOSS_STYLES[name],
        )
    right.axhline(TRUE_SLOPE, color=PALETTE["black"], linewidth=1.2, label=tr("clean slope 2"))
    right.axvline(n_outliers, color=PALETTE["black"], linewidth=0.8, alpha=0.4)
    right.set_xlabel(tr("number of outliers (of {count} points)", count=len(x)))
    right.set_ylabel(tr("best slope"))
    right.set_title(tr("How far each loss is pulled"))
    right.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_mae_oscillation(
    x: np.ndarray,
    y: np.ndarray,
    rates: Any = (0.03, 0.1, 0.3),
    sweep: Any = (0.01, 0.02, 0.05, 0.1, 0.2, 0.4),
    steps: int = 3000,
):
    """MAE by gradient descent: the distance to the minimiser against the step for fixed
    rates, a decaying rate and (for contrast) MSE (left); the size of the wandering that
    remains against the rate (right). Returns the figure."""
    best = {name: best_line(x, y, name) for name in ("MAE", "MSE")}
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    window = 50  # each curve is the largest distance over 50 steps: the envelope of the wobble

    def envelope(path, name):
        distance = np.hypot(path.slopes - best[name][0], path.intercepts - best[name][1])
        blocks = distance[1 : 1 + (len(distance) - 1) // window * window].reshape(-1, window)
        return window * np.arange(1, len(blocks) + 1), blocks.max(axis=1)

    for lr, color in zip(rates, (PALETTE["sky"], PALETTE["orange"], PALETTE["vermillion"])):
        left.semilogy(
            *envelope(descend(x, y, "MAE", lr=lr, steps=steps), "MAE"),
            color=color,
            linewidth=2.2,
            label=tr("MAE, fixed lr = {lr:g}", lr=lr),
        )
    decaying = descend(x, y, "MAE", lr=rates[-1], steps=steps, schedule="decaying")
    left.semilogy(
        *envelope(decaying, "MAE"),
        color=PALETTE["black"],
        linewidth=2.2,
        label=tr("MAE, decaying from {lr:g}", lr=rates[-1]),
    )
    mse = descend(x, y, "MSE", lr=0.1, steps=steps)
    left.semilogy(
        *envelope(mse, "MSE"),
        color=PALETTE["blue"],
        linestyle="--",
        linewidth=2.2,
        label=tr("MSE, fixed lr = 0.1"),
    )
    left.set_ylim(1e-5, 3)
    left.set_xlabel(tr("step k"))
    left.set_ylabel(
        tr("distance to the best line\n(largest in each {window} steps)", window=window)
    )
    left.set_title(tr("Fixed rates wander, a decaying rate settles"))
    left.legend(loc="lower left", fontsize=8.5, framealpha=1)

    sweep = np.asarray(sweep, dtype=np.float64)
    sizes = [oscillation(descend(x, y, "MAE", lr=lr, steps=steps), best["MAE"]) for lr in sweep]
    right.loglog(
        sweep,
        sizes,
        "o-",
        color=PALETTE["orange"],
        linewidth=2.0,
        label=tr("MAE, fixed rate: measured"),
    )
    reference = float(np.median(np.divide(sizes, sweep))) * sweep
    right.loglog(
        sweep,
        reference,
        "--",
        color=PALETTE["black"],
        linewidth=1.2,
        label=tr("proportional to lr"),
    )
    right.set_xlabel(tr("learning rate lr"))
    right.set_ylabel(tr("largest distance, last 1000 steps"))
    right.set_title(tr("The wandering grows with the rate"))
    right.legend(loc="upper left", fontsize=9.5)
    fig.tight_layout()
    return fig


def plot_svm(
    X: np.ndarray,
    y: np.ndarray,
    svm: LinearClassifier,
    logistic: LinearClassifier,
    tol: float = 1e-3,
):
    """The SVM's boundary, margin and support vectors with logistic regression's boundary
    (left); how hard each point pulls, |d loss / d f|, against its margin y f (right)."""
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.4)
    for label, marker, color in ((-1.0, "o", COLORS[0]), (1.0, "s", COLORS[1])):
        mine = y == label
        left.plot(
            X[mine, 0],
            X[mine, 1],
            marker,
            color=color,
            markersize=6,
            linestyle="none",
            label=f"y = {label:+.0f}",
        )
    margins = svm.margins(X, y)
    support = margins <= 1 + tol
    left.plot(
        X[support, 0],
        X[support, 1],
        "o",
        markersize=14,
        markerfacecolor="none",
        markeredgecolor=PALETTE["black"],
        markeredgewidth=1.5,
        linestyle="none",
        label=tr("{count} support vectors", count=int(support.sum())),
    )
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 2)
    for level, style, label in (
        (0, "-", tr("SVM boundary f = 0")),
        (1, "--", tr("margin f = ±1")),
        (-1, "--", None),
    ):
        w, b = svm.w, svm.b
        left.plot(
            xs,
            (level - b - w[0] * xs) / w[1],
            style,
            color=PALETTE["black"],
            linewidth=1.6,
            label=label,
        )
    w, b = logistic.w, logistic.b
    left.plot(
        xs,
        (-b - w[0] * xs) / w[1],
        ":",
        color=PALETTE["vermillion"],
        linewidth=2.6,
        label=tr("logistic boundary"),
    )
    left.set_xlim(xs[0], xs[-1])
    left.set_ylim(X[:, 1].min() - 0.6, X[:, 1].max() + 0.6)
    left.set_aspect("equal")
    left.set_xlabel("x₁")
    left.set_ylabel("x₂")
    left.set_title(tr("Linear SVM: margin width 2/|w| = {width:.2f}", width=svm.margin_width))
    left.legend(loc="upper left", fontsize=8, ncol=2)

    log_margins = logistic.margins(X, y)
    m = np.linspace(min(-0.5, log_margins.min()), max(margins.max(), log_margins.max()), 801)
    right.plot(
        m,
        with_gaps(m < 1, jump=0.5),
        color=PALETTE["black"],
        linewidth=2.0,
        label=tr("hinge: 1 inside the margin, 0 beyond"),
    )
    right.plot(
        m,
        1 / (1 + np.exp(m)),
        ":",
        color=PALETTE["vermillion"],
        linewidth=2.6,
        label=tr("logistic: 1/(1 + e^(y f)), never 0"),
    )
    right.plot(
        margins,
        (margins < 1).astype(float),
        "o",
        color=PALETTE["black"],
        markersize=5,
        alpha=0.7,
        label=tr("the {count} points, SVM", count=len(y)),
    )
    log_margins = logistic.margins(X, y)
    right.plot(
        log_margins,
        1 / (1 + np.exp(log_margins)),
        "s",
        color=PALETTE["vermillion"],
        markersize=4,
        alpha=0.7,
        label=tr("the {count} points, logistic", count=len(y)),
    )
    right.set_xlabel(tr("margin y f(x)"))
    right.set_ylabel(tr("|d loss / d f|: the pull"))
    right.set_title(tr("Which points pull on the boundary"))
    right.legend(loc="upper right", fontsize=8.5)
    fig.tight_layout()
    return fig
