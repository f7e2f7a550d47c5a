"""Notebook 02, the static figures: the learning-rate regimes, descent paths with and
without momentum, steps against the condition number, basins of attraction, loss curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.language import tr
from gradlib.lessons.gradient_descent.maths import (
    HIMMELBLAU_MINIMA,
    L_DEMO,
    basin_map,
    best_learning_rate,
    descent_path_2d,
    heavy_ball_parameters,
    himmelblau,
    label_text,
    nearest_minimum,
    quadratic_path,
    regime,
)
from gradlib.plotting import (
    COLORS,
    PALETTE,
    new_figure,
)


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
        label = f"lr = {lr:g}: {tr(regime(lr, L).split(' (')[0])}"
        ax.semilogy(
            k, np.abs(path), linestyle=dashes, marker=marker, color=color, markersize=4, label=label
        )
    # steps are whole numbers: ticks at 0, 5, 10, ...
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.set_xlabel(tr("step k"))
    ax.set_ylabel(tr("|x_k| (distance to the minimum)"))
    ax.set_title(
        tr(
            "Gradient descent on f(x) = {half:g} x²  (L = {L:g}, 2/L = {limit:g})",
            half=L / 2,
            L=L,
            limit=2 / L,
        )
    )
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_descent_paths(kappa: float = 10.0, start: Any = (-9.0, 2.5), steps: int = 30):
    """Plain gradient descent (zig-zag) and heavy ball: paths on the contours (left) and
    the distance to the minimum against the step (right). Returns the figure."""
    lr_gd = best_learning_rate(kappa)
    lr_hb, beta = heavy_ball_parameters(kappa)
    long = 2 * steps
    gd = descent_path_2d(kappa, lr_gd, start, long)
    hb = descent_path_2d(kappa, lr_hb, start, long, momentum=beta)
    runs = (
        (gd, COLORS[0], tr("gradient descent, lr = {lr:.3f}", lr=lr_gd)),
        (hb, COLORS[1], tr("heavy ball, lr = {lr:.3f}, beta = {beta:.3f}", lr=lr_hb, beta=beta)),
    )

    fig, (left, right) = new_figure(
        ncols=2, width=11.0, height=4.0, gridspec_kw={"width_ratios": [1.7, 1.0]}
    )
    x1 = np.linspace(-10, 10, 201)
    x2 = np.linspace(-3.5, 3.5, 101)
    g1, g2 = np.meshgrid(x1, x2)
    levels = 0.5 * (np.linspace(0.6, 10, 9) ** 2)
    left.contour(g1, g2, 0.5 * (g1**2 + kappa * g2**2), levels=levels, colors="0.75", linewidths=1)
    for path, color, _ in runs:
        left.plot(path[: steps + 1, 0], path[: steps + 1, 1], "-o", color=color, markersize=3.5)
    left.plot([start[0]], [start[1]], "s", color=PALETTE["black"])
    left.annotate(tr("start"), start, xytext=(6, 4), textcoords="offset points", fontsize=10)
    left.plot([0], [0], "*", color=PALETTE["vermillion"], markersize=14)
    left.set_aspect("equal")
    left.set_xlim(-10, 10)
    left.set_ylim(-3.5, 3.5)
    left.set_xlabel(tr("x1 (curvature mu = 1)"))
    left.set_ylabel(tr("x2 (curvature L = {kappa:g})", kappa=kappa))
    left.set_title(
        tr("The first {steps} steps on f = (x1² + {kappa:g} x2²) / 2", steps=steps, kappa=kappa)
    )

    k = np.arange(long + 1)
    for path, color, label in runs:
        right.semilogy(k, np.linalg.norm(path, axis=1), color=color, label=label)
    right.set_xlabel(tr("step k"))
    right.set_ylabel(tr("|x_k| (distance to the minimum)"))
    right.set_title(tr("Distance to the minimum (kappa = {kappa:g})", kappa=kappa))
    right.legend(loc="lower left", fontsize=9)  # below the first steps, where no line runs
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
        kappas,
        gd_steps,
        "o",
        color=COLORS[0],
        markersize=8,
        label=tr("gradient descent (measured)"),
    )
    ax.loglog(dense, dense / 2 * log_tol, "--", color=COLORS[0], label="(kappa / 2) ln(1/tol)")
    ax.loglog(
        kappas, hb_steps, "s", color=COLORS[1], markersize=8, label=tr("heavy ball (measured)")
    )
    ax.loglog(
        dense,
        np.sqrt(dense) / 2 * log_tol,
        "--",
        color=COLORS[1],
        label="(sqrt(kappa) / 2) ln(1/tol)",
    )
    ax.set_xlabel(tr("condition number kappa = L / mu"))
    ax.set_ylabel(tr("steps to shrink |x| by {tol:g}", tol=tol))
    ax.set_title(tr("Steps needed grow with the condition number"))
    ax.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def plot_basins(paths: np.ndarray, lr: float, steps: int, n: int = 61):
    """Where gradient descent ends from every start (left) and a few paths (right)."""
    from matplotlib.colors import ListedColormap

    grid, basin = basin_map(n, lr, steps)
    colors = [COLORS[0], COLORS[1], COLORS[2], COLORS[5]]
    fig, (left, right) = new_figure(ncols=2, width=10.5, height=4.6)
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
    left.set_title(tr("Which minimum each start reaches ({steps} steps)", steps=steps))

    fine = np.linspace(-5, 5, 201)
    fx, fy = np.meshgrid(fine, fine)
    levels = np.array([1, 5, 20, 50, 100, 200, 400, 700])
    right.contour(fx, fy, himmelblau(fx, fy), levels=levels, colors="0.7", linewidths=1)
    index, _ = nearest_minimum(paths[-1])
    for i in range(paths.shape[1]):
        color = colors[index[i]]
        right.plot(paths[:, i, 0], paths[:, i, 1], "-", color=color, linewidth=1.8)
        right.plot(paths[0, i, 0], paths[0, i, 1], "s", color=color, markersize=7)
    right.set_title(tr("Paths from six starts (squares)"))
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
            label=label_text(label),
        )
    ax.set_ylim(floor / 2, None)
    ax.set_xlabel(tr("epoch (passes through the 200 examples)"))
    ax.set_ylabel(tr("loss - least-squares minimum"))
    ax.set_title(tr("Linear regression: distance to the best possible loss"))
    ax.legend(loc="upper right", fontsize=10)
    fig.tight_layout()
    return fig
