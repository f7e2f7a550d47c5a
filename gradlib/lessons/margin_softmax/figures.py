"""Notebook 08, the static figures and tables: L-Softmax's psi, the 2-D features of several
losses side by side, and the geometry table over seeds."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import pad, tr
from gradlib.lessons.margin_softmax.maths import (
    CLASSES,
    SEEDS,
    LossSetting,
    Run,
    Runs,
    boundary_angles,
)
from gradlib.losses import large_margin_psi
from gradlib.plotting import COLORS, PALETTE, new_figure

__all__ = [
    "CLASS_COLOURS",
    "draw_features",
    "feature_limit",
    "geometry_table",
    "plot_feature_grid",
    "plot_petals",
    "plot_psi",
]

# Ten classes: the eight Okabe-Ito colours (gradlib.plotting) and two of Paul Tol's (wine,
# olive), which stay apart from them under the common colour-vision deficiencies. The digit
# itself is written at the end of each class's direction, so colour is never the only cue.
CLASS_COLOURS = [*COLORS, "#882255", "#999933"]
PSI_MARGINS = (1, 2, 3, 4)


def plot_psi() -> Figure:
    """Why psi is built as it is: cos(m theta) for m = 1..4 (left) rises again after
    theta = pi/m, so it would reward a larger angle; psi(theta) = (-1)^k cos(m theta) - 2k
    (right) keeps falling all the way to pi, and lies below cos(theta) everywhere."""
    theta = np.linspace(0.0, np.pi, 721)
    degrees = np.degrees(theta)
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.0, sharex=True)
    for m, colour in zip(PSI_MARGINS, COLORS):
        left.plot(degrees, np.cos(m * theta), color=colour, label=f"m = {m}")
        right.plot(degrees, large_margin_psi(theta, m), color=colour, label=f"m = {m}")
    for k in range(1, 4):  # the piece boundaries k pi / m for m = 4
        right.axvline(45.0 * k, color=PALETTE["black"], linestyle=":", linewidth=1.0)
    left.set_title(tr("cos(m θ): rises again after θ = 180°/m"))
    right.set_title(tr("ψ(θ) = (-1)ᵏ cos(m θ) - 2k: always falling"))
    for ax in (left, right):
        ax.set_xlabel(tr("angle θ to the class vector (degrees)"))
        ax.set_xticks(np.arange(0, 181, 45))
        ax.set_xlim(0, 180)
    left.set_ylabel(tr("target logit / (|W| |x|)"))
    right.legend(loc="lower left", fontsize=10)
    fig.tight_layout()
    return fig


def feature_limit(features: np.ndarray) -> float:
    """Half the width of a square view that holds 99% of the features, with a little room."""
    return 1.15 * float(np.percentile(np.linalg.norm(features, axis=1), 99))


def draw_features(
    ax: Any, run: Run, split: str = "train", size: float = 4.0, labels: bool = True
) -> dict[str, Any]:
    """The 2-D features of ``run`` coloured by class, its decision boundaries (rays from
    the origin, black) and, at the end of each class's direction, the digit.

    Returns the artists (``points``: one collection per class, ``boundaries``, ``digits``)
    so that a widget can move them.
    """
    from matplotlib.collections import LineCollection

    features, target = run.features(split)
    limit = feature_limit(features)
    points = [
        ax.scatter(*features[target == c].T, s=size, color=CLASS_COLOURS[c], linewidths=0)
        for c in range(CLASSES)
    ]
    boundaries = LineCollection(
        rays(boundary_angles(run.setting, run.weight), limit),
        colors=PALETTE["black"],
        linewidths=1.0,
    )
    ax.add_collection(boundaries)
    digit_texts = []
    if labels:
        for c, angle in enumerate(run.geometry(split).directions):
            digit_texts.append(_digit(ax, c, *_at(angle, 0.87 * limit), fontsize=13))
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.grid(False)
    return {"points": points, "boundaries": boundaries, "digits": digit_texts, "limit": limit}


def _digit(ax: Any, c: int, x: float, y: float, fontsize: float, va: str = "center") -> Any:
    """The digit ``c`` written at (x, y) in its class's colour."""
    return ax.text(
        x, y, str(c), color=CLASS_COLOURS[c], fontsize=fontsize, fontweight="bold",
        ha="center", va=va,
    )  # fmt: skip


def _at(angle: float, radius: float) -> tuple[float, float]:
    return radius * np.cos(np.radians(angle)), radius * np.sin(np.radians(angle))


def rays(angles: list[float], length: float) -> list[np.ndarray]:
    """Line segments from the origin along each angle (degrees), ``length`` long (1.5 times
    the view's half-width, so that they reach its corners)."""
    return [np.array([(0.0, 0.0), _at(a, 1.5 * length)]) for a in angles]


def plot_petals(run: Run) -> Figure:
    """A run's training features in the plane (left) and as angle against length (right):
    each class is a narrow band of angles but a long range of lengths, a petal."""
    features, y_train = run.features("train")
    fig, (left, right) = new_figure(
        ncols=2, width=11.0, height=4.2, gridspec_kw={"width_ratios": [1.0, 1.7]}
    )
    draw_features(left, run, size=4.0)
    left.set_xlabel(tr("feature x₁"))
    left.set_ylabel(tr("feature x₂"))
    left.set_title(tr("{label}: the features", label=run.setting.label))
    angles = np.degrees(np.arctan2(features[:, 1], features[:, 0])) % 360
    lengths = np.linalg.norm(features, axis=1)
    for c in range(CLASSES):
        mine = y_train == c
        right.scatter(angles[mine], lengths[mine], s=5, color=CLASS_COLOURS[c], linewidths=0)
        direction = run.geometry("train").directions[c]
        _digit(right, c, direction, 1.02 * lengths.max(), fontsize=12, va="bottom")
    right.set_xlim(0, 360)
    right.set_xticks(np.arange(0, 361, 45))
    right.set_ylim(0, 1.12 * lengths.max())
    right.set_xlabel(tr("direction of the feature (degrees)"))
    right.set_ylabel(tr("length |x| of the feature"))
    right.set_title(
        tr("Each class: a narrow range of angles, a long range of lengths"), fontsize=12
    )
    fig.tight_layout()
    return fig


def plot_feature_grid(runs: Runs, settings: tuple[LossSetting, ...], seed: int = 0) -> Figure:
    """The training digits' 2-D features for each setting, side by side (one seed)."""
    fig, axes = new_figure(ncols=len(settings), width=2.95 * len(settings), height=3.45)
    for ax, setting in zip(np.atleast_1d(axes), settings):
        run = runs.get(setting, seed)
        draw_features(ax, run, size=3.0)
        g = run.geometry("train")
        title = tr(
            "{label}\nspread {spread:.1f}°, gap {gap:.1f}°",
            label=setting.label,
            spread=g.spread,
            gap=g.smallest_gap,
        )
        ax.set_title(title, fontsize=11)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(tr("feature x₁"), fontsize=10)
    np.atleast_1d(axes)[0].set_ylabel(tr("feature x₂"), fontsize=10)
    fig.tight_layout(w_pad=0.4)
    return fig


def geometry_table(runs: Runs, settings: tuple[LossSetting, ...], seeds=SEEDS) -> str:
    """The geometry of each setting as a text table: the mean over ``seeds`` and, in
    brackets, the lowest and highest seed. Angles in degrees, accuracies in percent."""

    def cell(values: list[float]) -> str:
        return f"{np.mean(values):4.1f} ({min(values):4.1f}-{max(values):4.1f})".ljust(18)

    spread, gap, accuracy = tr("spread (deg)"), tr("smallest gap"), tr("accuracy (%)")
    lines = [
        pad("", 22) + pad(tr("training digits"), 54) + tr("test digits"),
        pad(tr("loss"), 22)
        + "".join(pad(name, 18) for name in (spread, gap, accuracy, spread))
        + accuracy,
    ]
    for setting in settings:
        train = runs.across_seeds(setting, "train", seeds)
        test = runs.across_seeds(setting, "test", seeds)
        columns = (
            [g.spread for g in train],
            [g.smallest_gap for g in train],
            [100 * g.accuracy for g in train],
            [g.spread for g in test],
            [100 * g.accuracy for g in test],
        )
        lines.append(f"{setting.label:22s}" + "".join(cell(c) for c in columns).rstrip())
    return "\n".join(lines)
