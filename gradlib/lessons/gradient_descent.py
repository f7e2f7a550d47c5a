"""Notebook 02 (gradient descent): learning rates, conditioning, momentum, local minima.

What is here, in the order the notebook uses it:

- ``quadratic_path`` / ``diverges`` / ``divergence_threshold``: gradient descent on
  f(x) = L/2 x**2 and the learning rate past which it diverges, found by bisection.
- ``lr_explorer``: the widget callback (iterates on the parabola, |x_k| against k).
- ``descent_path_2d`` / ``steps_to_tolerance``: gradient descent, with or without
  heavy-ball momentum, on the ill-conditioned quadratic f(x) = (x1**2 + kappa x2**2) / 2;
  ``best_learning_rate`` and ``heavy_ball_parameters`` give the classical tuned settings.
- ``himmelblau`` / ``descend``: a non-convex surface with four minima, and gradient
  descent from many starts at once with gradlib.
- ``make_regression_data`` / ``fit``: the seeded synthetic data of the linear-regression
  section, and full-batch, mini-batch or stochastic gradient descent on it with gradlib.
- Exercise checkers: ``check_learning_rate``, and ``check_descent_step`` with its
  ``reference_descent_step`` and ``descent_step_cases``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradlib.engine import Tensor, no_grad, tensor
from gradlib.exercises import Feedback, check_array
from gradlib.plotting import (
    COLORS,
    PALETTE,
    WidgetView,
    new_figure,
    plain_log_ticks,
    round_ticks,
    widget_figure,
)

__all__ = [
    "EXERCISE",
    "HIMMELBLAU_MINIMA",
    "L_DEMO",
    "LearningRateView",
    "best_learning_rate",
    "check_descent_step",
    "check_learning_rate",
    "descend",
    "descent_path_2d",
    "descent_step_cases",
    "divergence_threshold",
    "diverges",
    "fit",
    "heavy_ball_parameters",
    "himmelblau",
    "lr_explorer",
    "make_regression_data",
    "nearest_minimum",
    "plot_basins",
    "plot_descent_paths",
    "plot_loss_curves",
    "plot_regimes",
    "plot_steps_vs_kappa",
    "quadratic_path",
    "reference_descent_step",
    "steps_to_tolerance",
]

# ----- one dimension: f(x) = L/2 x**2 ------------------------------------------------------

L_DEMO = 4.0  # curvature f''(x) of the widget's parabola, so 2/L = 0.5


def quadratic_path(L: float, lr: float, x0: float, steps: int) -> np.ndarray:
    """Iterates x_0 .. x_steps of x <- x - lr * f'(x) on f(x) = L/2 x**2 (f'(x) = L x).

    Each step multiplies x by (1 - lr L): the iterates shrink when |1 - lr L| < 1,
    alternate in sign when 1 - lr L < 0, and grow when |1 - lr L| > 1, i.e. lr > 2/L.
    """
    path = np.empty(steps + 1)
    path[0] = x = float(x0)
    for k in range(1, steps + 1):
        x = x - lr * (L * x)
        path[k] = x
    return path


def diverges(L: float, lr: float, steps: int = 100, x0: float = 1.0) -> bool:
    """True when ``steps`` steps end farther from the minimum 0 than the start."""
    return bool(abs(quadratic_path(L, lr, x0, steps)[-1]) > abs(x0))


def divergence_threshold(L: float, steps: int = 100, iterations: int = 60) -> float:
    """The smallest learning rate that diverges, found by experiment (bisection).

    Start from a bracket [low, high] with ``diverges`` false at low and true at high
    (high doubles until it diverges), then halve the bracket ``iterations`` times.
    Theory says the answer is 2/L; this function never uses L except to run descent.
    """
    low, high = 0.0, 1.0
    while not diverges(L, high, steps):
        low, high = high, 2 * high
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        if diverges(L, mid, steps):
            high = mid
        else:
            low = mid
    return 0.5 * (low + high)


def _regime(lr: float, L: float) -> str:
    factor = 1 - lr * L
    if lr <= 0:
        return "does not move downhill (lr must be > 0)"
    if abs(factor) < 1e-12:
        return "reaches the minimum in one step (lr = 1/L)"
    if 0 < factor < 1:
        return "converges smoothly (0 < 1 - lr L < 1)"
    if -1 < factor < 0:
        return "converges, oscillating (-1 < 1 - lr L < 0)"
    if abs(factor + 1) < 1e-12:
        return "oscillates forever (lr = 2/L)"
    return "diverges (lr > 2/L)"


WIDGET_STEPS = 30


class LearningRateView(WidgetView):
    """The figure of ``lr_explorer``: the iterates on the parabola (left), |x_k| against k."""

    SHOWN = 13  # iterates x_0 .. x_12 on the curve
    FLOOR = 1e-17  # an exact 0 (lr = 1/L) cannot be drawn on a log axis: put it off the plot

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=4.2,
            margins={"left": 0.07, "right": 0.98, "bottom": 0.13, "top": 0.91, "wspace": 0.25},
        )
        (self.parabola,) = left.plot([], [], color=PALETTE["black"], linewidth=1.5)
        (self.iterates,) = left.plot(
            [], [], "-o", color=COLORS[0], markersize=5, linewidth=1.2, label="iterates x_k"
        )
        (self.start,) = left.plot(
            [], [], "o", color=PALETTE["vermillion"], markersize=9, label="start x_0"
        )
        left.set_xlabel("x")
        left.set_ylabel("f(x) = 2 x²")
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        left.set_title(f"The first {self.SHOWN - 1} steps on the curve", y=1.0)
        left.legend(loc="upper center", fontsize=10)
        round_ticks(left)

        k, later = np.arange(WIDGET_STEPS + 1), np.full(WIDGET_STEPS + 1, np.nan)
        right.set_yscale("log")
        # the distances come with each update
        (self.distances,) = right.plot(
            k, later, "o", color=COLORS[0], markersize=4, label="|x_k| measured"
        )
        (self.prediction,) = right.plot(
            k, later, "--", color=COLORS[1], label="|1 - lr L|^k |x0| predicted"
        )
        self.start_level = right.axhline(
            1.0, color=PALETTE["black"], linewidth=0.8, label="starting distance |x0|"
        )
        right.set_xlim(-1.5, WIDGET_STEPS + 1.5)
        right.set_xticks(np.arange(0, WIDGET_STEPS + 1, 10))
        right.set_xlabel("step k")
        right.set_ylabel("|x_k| (distance to the minimum)")
        self.right_title = right.set_title("", y=1.0)
        right.legend(loc="lower left", fontsize=10)
        plain_log_ticks(right, "y", numticks=6)
        self.left, self.right = left, right
        return fig

    def update(self, L: float, lr: float, x0: float, path: np.ndarray) -> None:
        reach = max(3.0, 1.15 * abs(x0))
        xs = np.linspace(-reach, reach, 101)
        self.parabola.set_data(xs, L / 2 * xs**2)
        shown = path[: self.SHOWN]
        self.iterates.set_data(shown, L / 2 * shown**2)
        self.start.set_data([x0], [L / 2 * x0**2])
        self.left.set_xlim(-reach, reach)
        self.left.set_ylim(-0.05 * L / 2 * reach**2, 1.05 * L / 2 * reach**2)

        k = np.arange(WIDGET_STEPS + 1)
        self.distances.set_ydata(np.maximum(np.abs(path), self.FLOOR))
        self.prediction.set_ydata(np.maximum(abs(1 - lr * L) ** k * abs(x0), self.FLOOR))
        self.start_level.set_ydata([abs(x0), abs(x0)])
        self.right.set_ylim(1e-16, max(1e2, 10 * np.abs(path).max()))
        self.right_title.set_text(f"lr = {lr:.3f}: {_regime(lr, L).split(' (')[0]}")


_LEARNING_RATE_VIEW = LearningRateView()


def lr_explorer(lr: float = 0.1, x0: float = 2.5) -> Figure:
    """Widget callback: gradient descent on f(x) = 2 x**2 (L = 4) from x0 with rate lr.

    Prints the factor 1 - lr L, the regime and |x_30|; shows the first iterates on the
    parabola (left) and |x_k| against k on a log scale with the prediction
    |1 - lr L|**k |x_0| (right). Returns the figure, which it has already shown: write
    ``fig = lr_explorer(...)`` in a notebook, or Jupyter shows it a second time.
    """
    L = L_DEMO
    path = quadratic_path(L, lr, x0, WIDGET_STEPS)
    factor = 1 - lr * L
    print(
        f"lr = {lr:.3f}, 2/L = {2 / L:.3f}, factor 1 - lr L = {factor:+.3f}: "
        f"{_regime(lr, L)}; |x_{WIDGET_STEPS}| = {abs(path[-1]):.2e}"
    )
    return _LEARNING_RATE_VIEW.show(L=L, lr=lr, x0=x0, path=path)


def plot_regimes(L: float = L_DEMO, x0: float = 2.5, steps: int = 20):
    """|x_k| against k for one learning rate in each regime (log scale); returns the figure."""
    from matplotlib.ticker import MaxNLocator

    fig, ax = new_figure(width=8.0, height=4.3)
    rates = (0.05, 0.2, 0.4, 0.5, 0.55)
    # Blue and sky, orange and vermillion look alike in grey or to some eyes: every line
    # also gets its own marker and dash pattern.
    styles = (("-", "o"), ("--", "s"), ("-", "^"), (":", "D"), ("-.", "v"))
    k = np.arange(steps + 1)
    for lr, color, (dashes, marker) in zip(rates, COLORS, styles):
        path = quadratic_path(L, lr, x0, steps)
        label = f"lr = {lr:g}: {_regime(lr, L).split(' (')[0]}"
        ax.semilogy(
            k, np.abs(path), linestyle=dashes, marker=marker, color=color, markersize=4, label=label
        )
    # steps are whole numbers: ticks at 0, 5, 10, ...
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set_xlabel("step k")
    ax.set_ylabel("|x_k| (distance to the minimum)")
    ax.set_title(f"Gradient descent on f(x) = {L / 2:g} x²  (L = {L:g}, 2/L = {2 / L:g})")
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


# ----- two dimensions: f(x) = (x1**2 + kappa x2**2) / 2 ------------------------------------


def _grad_2d(kappa: float, x: np.ndarray) -> np.ndarray:
    return np.array([x[0], kappa * x[1]])


def best_learning_rate(kappa: float) -> float:
    """2 / (L + mu) = 2 / (kappa + 1): the fixed rate with the fastest worst-case convergence."""
    return 2.0 / (kappa + 1.0)


def heavy_ball_parameters(kappa: float) -> tuple[float, float]:
    """Polyak's tuned heavy ball for curvatures mu = 1, L = kappa: (lr, momentum).

    lr = 4 / (sqrt(L) + sqrt(mu))**2,  momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2.
    """
    root = np.sqrt(kappa)
    return float(4.0 / (root + 1.0) ** 2), float(((root - 1.0) / (root + 1.0)) ** 2)


def descent_path_2d(
    kappa: float, lr: float, start: Any, steps: int, momentum: float = 0.0
) -> np.ndarray:
    """Iterates of (heavy-ball) gradient descent on f(x) = (x1**2 + kappa x2**2) / 2.

    v <- momentum * v - lr * grad f(x);  x <- x + v.  With momentum = 0 this is plain
    gradient descent x <- x - lr * grad f(x). Returns shape (steps + 1, 2).
    """
    x = np.array(start, dtype=np.float64)
    v = np.zeros(2)
    path = np.empty((steps + 1, 2))
    path[0] = x
    for k in range(1, steps + 1):
        v = momentum * v - lr * _grad_2d(kappa, x)
        x = x + v
        path[k] = x
    return path


def steps_to_tolerance(
    kappa: float,
    lr: float,
    momentum: float = 0.0,
    tol: float = 1e-6,
    start: tuple[float, float] = (1.0, 1.0),
    max_steps: int = 1_000_000,
) -> int:
    """Steps until |x_k| <= tol |x_0| on f(x) = (x1**2 + kappa x2**2) / 2 (-1 if never)."""
    x1, x2 = start
    v1 = v2 = 0.0
    target = tol * float(np.hypot(x1, x2))
    for k in range(1, max_steps + 1):
        # Plain floats: about 20 times faster than 2-element numpy arrays in this loop.
        v1 = momentum * v1 - lr * x1
        v2 = momentum * v2 - lr * kappa * x2
        x1, x2 = x1 + v1, x2 + v2
        if (x1 * x1 + x2 * x2) ** 0.5 <= target:
            return k
    return -1


def plot_descent_paths(kappa: float = 10.0, start: Any = (-9.0, 2.5), steps: int = 30):
    """Plain gradient descent (zig-zag) and heavy ball: paths on the contours (top) and
    the distance to the minimum against the step (bottom). Returns the figure."""
    lr_gd = best_learning_rate(kappa)
    lr_hb, beta = heavy_ball_parameters(kappa)
    long = 2 * steps
    gd = descent_path_2d(kappa, lr_gd, start, long)
    hb = descent_path_2d(kappa, lr_hb, start, long, momentum=beta)
    runs = (
        (gd, COLORS[0], f"gradient descent, lr = 2/(L + mu) = {lr_gd:.3f}"),
        (hb, COLORS[1], f"heavy ball, lr = {lr_hb:.3f}, momentum = {beta:.3f}"),
    )

    fig, (top, bottom) = new_figure(
        nrows=2, width=10.0, height=8.0, gridspec_kw={"height_ratios": [1.0, 1.1]}
    )
    x1 = np.linspace(-10, 10, 201)
    x2 = np.linspace(-3.5, 3.5, 101)
    g1, g2 = np.meshgrid(x1, x2)
    levels = 0.5 * (np.linspace(0.6, 10, 9) ** 2)
    top.contour(g1, g2, 0.5 * (g1**2 + kappa * g2**2), levels=levels, colors="0.75", linewidths=1)
    for path, color, label in runs:
        top.plot(
            path[: steps + 1, 0],
            path[: steps + 1, 1],
            "-o",
            color=color,
            markersize=3.5,
            label=label,
        )
    top.plot([start[0]], [start[1]], "s", color=PALETTE["black"], label="start")
    top.plot([0], [0], "*", color=PALETTE["vermillion"], markersize=14, label="minimum")
    top.set_aspect("equal")
    top.set_xlim(-10, 10)
    top.set_ylim(-3.5, 3.5)
    top.set_xlabel("x1 (curvature mu = 1)")
    top.set_ylabel(f"x2 (curvature L = {kappa:g})")
    top.set_title(f"The first {steps} steps on f = (x1² + {kappa:g} x2²) / 2")
    top.legend(loc="upper right", fontsize=9, framealpha=0.95)

    k = np.arange(long + 1)
    for path, color, label in runs:
        bottom.semilogy(k, np.linalg.norm(path, axis=1), color=color, label=label.split(",")[0])
    bottom.set_xlabel("step k")
    bottom.set_ylabel("|x_k| (distance to the minimum)")
    bottom.set_title(f"Distance to the minimum, condition number kappa = {kappa:g}")
    bottom.legend(loc="upper right", fontsize=10)
    fig.tight_layout()
    return fig


def plot_steps_vs_kappa(
    kappas: np.ndarray, gd_steps: np.ndarray, hb_steps: np.ndarray, tol: float = 1e-6
):
    """Measured steps against kappa (log-log) with the theory lines; returns the figure."""
    fig, ax = new_figure(width=8.0, height=4.5)
    dense = np.logspace(np.log10(kappas.min()), np.log10(kappas.max()), 100)
    log_tol = np.log(1 / tol)
    ax.loglog(
        kappas, gd_steps, "o", color=COLORS[0], markersize=8, label="gradient descent (measured)"
    )
    ax.loglog(dense, dense / 2 * log_tol, "--", color=COLORS[0], label="(kappa / 2) ln(1/tol)")
    ax.loglog(kappas, hb_steps, "s", color=COLORS[1], markersize=8, label="heavy ball (measured)")
    ax.loglog(
        dense,
        np.sqrt(dense) / 2 * log_tol,
        "--",
        color=COLORS[1],
        label="(sqrt(kappa) / 2) ln(1/tol)",
    )
    ax.set_xlabel("condition number kappa = L / mu")
    ax.set_ylabel(f"steps to shrink |x| by {tol:g}")
    ax.set_title("Steps needed grow with the condition number")
    ax.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


# ----- a non-convex surface --------------------------------------------------------------

# Himmelblau (1972): four minima, all with f = 0.
HIMMELBLAU_MINIMA = np.array(
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
)


def himmelblau(x: Any, y: Any) -> Any:
    """f(x, y) = (x**2 + y - 11)**2 + (x + y**2 - 7)**2, on numpy arrays or gradlib Tensors."""
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def descend(
    f: Callable[[Tensor, Tensor], Tensor], starts: Any, lr: float, steps: int
) -> np.ndarray:
    """Gradient descent from every row of ``starts`` (shape (n, 2)) at once, with gradlib.

    The loss is the sum of f over the n points. Each point's f depends on that point
    only, so d(sum)/d(point i) = grad f(point i): one backward() gives all n gradients.
    Returns the path, shape (steps + 1, n, 2).
    """
    starts = np.asarray(starts, dtype=np.float64)
    x = tensor(starts[:, 0].copy(), requires_grad=True)
    y = tensor(starts[:, 1].copy(), requires_grad=True)
    path = np.empty((steps + 1,) + starts.shape)
    path[0] = starts
    for k in range(1, steps + 1):
        x.zero_grad()
        y.zero_grad()
        f(x, y).sum().backward()
        with no_grad():
            x -= lr * x.grad
            y -= lr * y.grad
        path[k, :, 0], path[k, :, 1] = x.data, y.data
    return path


def nearest_minimum(points: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each point (rows of shape (n, 2)): the index of the nearest Himmelblau minimum
    and the distance to it."""
    points = np.asarray(points, dtype=np.float64)
    distances = np.linalg.norm(points[:, None, :] - HIMMELBLAU_MINIMA[None], axis=-1)
    return distances.argmin(axis=1), distances.min(axis=1)


@cache
def _basin_map(n: int, lr: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.linspace(-5, 5, n)
    gx, gy = np.meshgrid(grid, grid)
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    ends = descend(himmelblau, starts, lr, steps)[-1]
    index, distance = nearest_minimum(ends)
    index = np.where(distance < 1e-3, index, -1)  # -1: not (yet) at a minimum
    return grid, index.reshape(n, n)


def plot_basins(paths: np.ndarray, lr: float, steps: int, n: int = 61):
    """Where gradient descent ends from every start (left) and a few paths (right)."""
    from matplotlib.colors import ListedColormap

    grid, basin = _basin_map(n, lr, steps)
    colors = [COLORS[0], COLORS[1], COLORS[2], COLORS[5]]
    fig, (left, right) = new_figure(ncols=2, width=12.0, height=5.2)
    left.pcolormesh(
        grid,
        grid,
        np.ma.masked_less(basin, 0),
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=3.5,
        shading="nearest",
        alpha=0.8,
    )
    left.set_title(f"Which minimum each start reaches ({steps} steps)")

    fine = np.linspace(-5, 5, 201)
    fx, fy = np.meshgrid(fine, fine)
    levels = np.array([1, 5, 20, 50, 100, 200, 400, 700])
    right.contour(fx, fy, himmelblau(fx, fy), levels=levels, colors="0.7", linewidths=1)
    index, _ = nearest_minimum(paths[-1])
    for i in range(paths.shape[1]):
        color = colors[index[i]]
        right.plot(paths[:, i, 0], paths[:, i, 1], "-", color=color, linewidth=1.8)
        right.plot(paths[0, i, 0], paths[0, i, 1], "s", color=color, markersize=7)
    right.set_title("Paths from six starts (squares)")
    for ax in (left, right):
        ax.plot(
            HIMMELBLAU_MINIMA[:, 0],
            HIMMELBLAU_MINIMA[:, 1],
            "*",
            color=PALETTE["black"],
            markersize=13,
        )
        for number, (mx, my) in enumerate(HIMMELBLAU_MINIMA):
            ax.annotate(
                f"m{number}",
                (mx, my),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=11,
                fontweight="bold",
            )
        ax.set_xlim(-5, 5)
        ax.set_ylim(-5, 5)
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    fig.tight_layout()
    return fig


# ----- linear regression data ------------------------------------------------------------


def make_regression_data(
    n: int = 200, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """y = X @ w_true + b_true + noise with X ~ N(0, 1) of shape (n, 2), noise ~ N(0, 0.5**2).

    Returns X (n, 2), y (n,), w_true (2,), b_true.
    """
    rng = np.random.default_rng(seed)
    w_true, b_true = np.array([2.0, -3.0]), 0.5
    X = rng.standard_normal((n, 2))
    y = X @ w_true + b_true + 0.5 * rng.standard_normal(n)
    return X, y, w_true, b_true


def fit(
    X: np.ndarray, y: np.ndarray, batch_size: int, lr: float, epochs: int = 30, seed: int = 0
) -> tuple[np.ndarray, float, np.ndarray]:
    """Gradient descent on the mean squared error of y_hat = X w + b, from w = 0, b = 0.

    Each epoch visits the n examples in a new random order (``default_rng(seed)``), in
    batches of ``batch_size``: one step w <- w - lr dL/dw, b <- b - lr dL/db per batch,
    where L is the MSE on that batch. ``batch_size = n`` is full-batch descent (one step
    per epoch), 1 is stochastic gradient descent. X (n, d), y (n,).

    Returns the final w (d,), the final b, and the MSE on all the data before training
    and after each epoch, shape (epochs + 1,).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    order_rng = np.random.default_rng(seed)
    w = tensor(np.zeros(X.shape[1]), requires_grad=True)
    b = tensor(0.0, requires_grad=True)

    def full_loss() -> float:
        return float(np.mean((X @ w.data + b.data - y) ** 2))

    history = [full_loss()]
    for _ in range(epochs):
        order = order_rng.permutation(len(y))  # a new random order every epoch
        for first in range(0, len(y), batch_size):
            batch = order[first : first + batch_size]
            loss = ((tensor(X[batch]) @ w + b - tensor(y[batch])) ** 2).mean()
            w.zero_grad()
            b.zero_grad()
            loss.backward()  # w.grad = dL/dw, b.grad = dL/db on this batch
            with no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
        history.append(full_loss())
    return w.data.copy(), float(b.data), np.array(history)


def plot_loss_curves(histories: dict[str, np.ndarray], best_loss: float):
    """Full-data loss minus the least-squares minimum, per epoch, one curve per method.

    ``histories`` maps a label to the loss after each epoch (entry 0: before training).
    Returns the figure.
    """
    fig, ax = new_figure(width=8.0, height=4.5)
    floor = 1e-12  # an excess of exactly 0 (converged to rounding) cannot be drawn on a log axis
    markers = ("o", "s", "^", "D", "v")
    for (label, history), color, marker in zip(histories.items(), COLORS, markers):
        epochs = np.arange(len(history))
        ax.semilogy(
            epochs,
            np.maximum(history - best_loss, floor),
            "-",
            marker=marker,
            color=color,
            markersize=3.5,
            label=label,
        )
    ax.set_ylim(floor / 2, None)
    ax.set_xlabel("epoch (passes through the 200 examples)")
    ax.set_ylabel("loss - least-squares minimum")
    ax.set_title("Linear regression: distance to the best possible loss")
    ax.legend(loc="upper right", fontsize=10)
    fig.tight_layout()
    return fig


# ----- exercise checkers -----------------------------------------------------------------

# Exercise 1: f(x) = 5 x**2 (L = 10) from x0 = 3; reach |x_N| < 1e-6 within N = 20 steps.
EXERCISE = {"L": 10.0, "x0": 3.0, "steps": 20, "tol": 1e-6}


def check_learning_rate(lr: Any) -> Feedback:
    """Run 20 steps of gradient descent on f(x) = 5 x**2 from 3 with ``lr`` and judge it."""
    if lr is None or lr is Ellipsis:
        return Feedback(False, "the learning rate is still empty; replace None with a number.")
    try:
        lr = float(lr)
    except (TypeError, ValueError):
        return Feedback(False, f"the learning rate should be a number, got {lr!r:.40}.")
    L, x0, steps, tol = EXERCISE["L"], EXERCISE["x0"], EXERCISE["steps"], EXERCISE["tol"]
    if not np.isfinite(lr) or lr <= 0:
        return Feedback(False, f"lr = {lr:g} does not step downhill; it must be positive.")
    end = abs(quadratic_path(L, lr, x0, steps)[-1])
    factor = 1 - lr * L
    if end < tol:
        return Feedback(True, f"lr = {lr:g} reaches |x_{steps}| = {end:.1e} < {tol:g}.")
    if abs(factor) >= 1:
        return Feedback(
            False,
            f"lr = {lr:g} is too large: each step multiplies x by 1 - lr L = "
            f"{factor:+.3f}, so |x| {'grows' if abs(factor) > 1 else 'never shrinks'} "
            f"(|x_{steps}| = {end:.2e}). It must be below 2/L = {2 / L:g}.",
        )
    if factor < 0:
        return Feedback(
            False,
            f"lr = {lr:g} converges but overshoots: x flips sign each step (factor "
            f"{factor:+.3f}) and |x_{steps}| = {end:.1e} is not yet below {tol:g}. Try a "
            "smaller rate.",
        )
    return Feedback(
        False,
        f"lr = {lr:g} is too small: each step keeps {factor:.3f} of x, and "
        f"|x_{steps}| = {end:.1e} is not yet below {tol:g}. Try a larger rate.",
    )


def reference_descent_step(w: Any, X: Any, y: Any, lr: float) -> np.ndarray:
    """One gradient-descent step on L(w) = mean((X @ w - y)**2), with gradlib; returns new w."""
    w = tensor(w, dtype=np.float64, requires_grad=True)  # tensor() copies: the caller's w stays
    loss = ((tensor(X) @ w - tensor(y)) ** 2).mean()
    loss.backward()
    with no_grad():
        w -= lr * w.grad
    return w.data


def descent_step_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """The test cases (w, X, y, lr) of ``check_descent_step``: 3, 2, then 1 weights.

    Made anew on every call, so a function that changes its arguments in place cannot
    spoil a later check. The cases with several weights come first: only there can the
    checker tell a step of the wrong size from one in the wrong direction.
    """
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal(d), rng.standard_normal((n, d)), rng.standard_normal(n), lr)
        for n, d, lr in ((8, 3, 0.05), (20, 2, 0.5), (5, 1, 0.1))
    ]


def _explain_step(got: np.ndarray, w: np.ndarray, new_w: np.ndarray, lr: float, n: int) -> str:
    """Why ``got`` is not the right new w: compare the step it took with the right one.

    The right step is w - new_w = lr * dL/dw. If the learner's step w - got is a
    multiple c of it, c usually names the mistake: -1 a step uphill, n the gradient of
    a sum instead of a mean, 1/lr a missing learning rate.
    """
    gradient = (w - new_w) / lr
    if np.allclose(got, w, rtol=0, atol=1e-12):
        return (
            "the weights did not change. Update the tensor inside `with gl.no_grad():` "
            "(w -= lr * w.grad) and return its .data."
        )
    if np.allclose(got, gradient, rtol=1e-6, atol=1e-12):
        return "you returned the gradient dL/dw, not the new weights w - lr dL/dw."
    step = (w - got) / lr
    factor = float(step @ gradient / (gradient @ gradient))
    if not np.allclose(step, factor * gradient, rtol=1e-6, atol=1e-12):
        return (
            "your step w - (new w) does not point along the gradient of the mean squared "
            "error; check the loss: ((X @ w - y) ** 2).mean()."
        )
    causes = {
        float(n): f"n = {n} is the number of examples: the gradient of the sum of the squared "
        "errors, not of their mean (use .mean())?",
        1 / lr: f"that is 1/lr = {1 / lr:g}: the learning rate is missing (w - dL/dw)?",
        lr: f"that is lr = {lr:g}: the learning rate is applied twice?",
        2.0: "a factor 2 too many?",
        0.5: "the 2 of d(e**2)/de = 2e is missing?",
    }
    size = abs(factor)
    cause = next((text for value, text in causes.items() if np.isclose(size, value)), "")
    larger = f"{size:.4g} times too large" if size > 1 else f"{1 / size:.4g} times too small"
    if factor < 0:
        text = "you stepped uphill: w + lr dL/dw instead of w - lr dL/dw (+= instead of -=?)."
        if not np.isclose(size, 1):
            text += f" The step is also {larger}; {cause or 'a constant factor is off.'}"
        return text
    return f"your step is {larger}, in the right direction; {cause or 'a constant factor is off.'}"


def check_descent_step(descent_step: Callable[..., Any]) -> Feedback:
    """Exercise 2: one gradient-descent step on the mean squared error, on three test cases.

    Reports an exception, an argument changed in place, a missing return, a wrong shape,
    and for wrong numbers what the step looks like: uphill, n times too large (a sum
    instead of a mean), without the learning rate ...
    """
    name = "descent_step"
    if descent_step is None or not callable(descent_step):
        return Feedback(False, f"{name} is not a function yet; define it in the cell above.")
    cases = descent_step_cases()
    for number, (w, X, y, lr) in enumerate(cases, start=1):
        where = f"test case {number} ({w.size} weights, n = {len(y)} examples, lr = {lr:g})"
        new_w = reference_descent_step(w, X, y, lr)
        originals = {"w": w.copy(), "X": X.copy(), "y": y.copy()}
        try:
            got = descent_step(w, X, y, lr)
        except NotImplementedError:
            return Feedback(False, f"{name} still raises NotImplementedError; fill in its body.")
        except Exception as error:  # the learner's code: report it, do not crash the notebook
            return Feedback(False, f"{name} raised {type(error).__name__}: {error} (on {where}).")
        for arg_name, arg in (("w", w), ("X", X), ("y", y)):
            if not np.array_equal(arg, originals[arg_name]):
                return Feedback(
                    False,
                    f"{name} changed its argument {arg_name} in place on {where}, so the "
                    "caller's array changed too. gl.tensor(w, requires_grad=True) makes a copy: "
                    "update that tensor, not the numpy array.",
                )
        if got is None:
            return Feedback(
                False, f"{name} returned None; end it with `return w.data`, the new weights."
            )
        verdict = check_array(got, new_w, name="the new w")
        if verdict:
            continue
        try:
            mine = np.asarray(got.data if isinstance(got, Tensor) else got, dtype=np.float64)
        except (TypeError, ValueError):
            mine = None
        if mine is None or mine.shape != new_w.shape or not np.isfinite(mine).all():
            return Feedback(False, f"{name} is wrong on {where}: {verdict.message}")
        explanation = _explain_step(mine, w, new_w, lr, len(y))
        return Feedback(False, f"{name} is wrong on {where}: {explanation}")
    return Feedback(
        True,
        f"{name} agrees with the reference on all {len(cases)} test cases (3, 2 and 1 weights).",
    )
