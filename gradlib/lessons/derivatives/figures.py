"""Notebook 01, the static figures: the error curves, partial derivatives, and contours.

``plot_difference_errors`` and ``plot_partials`` draw a figure each and return it. The
contour helpers trace the level curves of ``surface`` once (matplotlib's contourpy
engine) and draw them as one collection, labelled with their levels, so that the
directional-derivative widget redraws fast.
"""

from __future__ import annotations

from functools import cache

import matplotlib.pyplot as plt
import numpy as np

from gradlib.language import tr
from gradlib.lessons.derivatives.maths import (
    CONTOUR_LEVELS,
    GRID_LIMIT,
    PRECISIONS,
    STEPS,
    best_step,
    difference_errors,
    error_model,
    surface,
    surface_grad,
)
from gradlib.plotting import COLORS, PALETTE, new_figure

__all__ = ["contour_labels", "draw_contours", "plot_difference_errors", "plot_partials"]


def plot_difference_errors(name: str = "sin"):
    """The U-shaped error curves (mean over AVERAGE_POINTS) in float64 and float32; returns fig."""
    fig, axes = new_figure(ncols=2, width=11.0, height=3.8, sharey=True)
    styles = {"forward": COLORS[0], "central": COLORS[1]}
    names = {"forward": tr("forward difference"), "central": tr("central difference")}
    for ax, precision in zip(axes, PRECISIONS):
        errors = difference_errors(name, precision)
        model = error_model(name, precision, STEPS)
        for label, color in styles.items():
            ax.loglog(STEPS, errors[label], color=color, label=names[label])
            ax.loglog(STEPS, model[label], "--", color=color, linewidth=1.2, alpha=0.8)
            best = best_step(errors[label])
            ax.axvline(best, color=color, linestyle=":", linewidth=1.5)
        eps = np.finfo(PRECISIONS[precision]).eps
        ax.set_title(tr("{precision} (machine epsilon {eps:.1e})", precision=precision, eps=eps))
        ax.set_xlabel(tr("step h"))
        ax.set_ylim(1e-13, 10)
    axes[0].set_ylabel(tr("mean |error| of f'(x), f = {name}", name=name))
    axes[0].plot([], [], "--", color=PALETTE["black"], linewidth=1.2, label=tr("error model"))
    axes[0].plot([], [], ":", color=PALETTE["black"], linewidth=1.5, label=tr("best h (measured)"))
    axes[0].legend(loc="lower left", fontsize=10)
    fig.tight_layout()
    return fig


@cache
def _surface_grid(n: int = 121) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.linspace(-GRID_LIMIT, GRID_LIMIT, n)
    gx, gy = np.meshgrid(xs, xs)
    return gx, gy, surface(gx, gy)


@cache
def _contour_lines() -> list[tuple[float, list[np.ndarray]]]:
    """The level curves of f on the grid, traced once (matplotlib's contourpy engine).

    A widget redraw then only adds finished line segments, which is much faster
    than tracing and labelling contours on every update.
    """
    import contourpy

    gx, gy, gz = _surface_grid()
    generator = contourpy.contour_generator(gx, gy, gz, line_type="Separate")
    return [(float(level), generator.lines(level)) for level in CONTOUR_LEVELS]


def _label_position(lines: list[np.ndarray]) -> np.ndarray:
    """Where to write a contour's level: its point farthest towards the upper left.

    Along that diagonal the labels of the nested ovals sit in a row, clear of the
    legend (lower left) and of the default point (1, 0.5) with its arrows. Points near
    the frame are skipped, so that a label is not cut in half.
    """
    points = np.concatenate(lines)
    inside = points[(np.abs(points) < 0.9 * GRID_LIMIT).all(axis=1)]
    inside = inside if len(inside) else points
    return inside[np.argmax(inside[:, 1] - inside[:, 0])]


def contour_labels() -> list[tuple[str, np.ndarray]]:
    """The text and the (x, y) position of each contour's label, in ``CONTOUR_LEVELS`` order."""
    return [(f"{level:g}", _label_position(lines)) for level, lines in _contour_lines() if lines]


LABEL_SIZE = 9.0  # points
LABEL_PAD = 1.5  # points of white around each label


def _draw_contour_labels(ax, colors: np.ndarray) -> None:
    """Write each contour's level on it, in the contour's colour, on a small white box.

    The labels are glyph outlines (``TextPath``) in one collection, over one collection
    of boxes: two artists that draw in one go. As ten ``ax.text`` labels they would be
    laid out and rendered glyph by glyph on every widget update, about 10 % more time.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    glyphs, boxes, offsets = [], [], []
    for text, position in contour_labels():
        path = TextPath((0, 0), text, size=LABEL_SIZE)  # in points, from its baseline
        (x0, y0), (x1, y1) = path.get_extents().get_points()
        centre = Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2)  # centred on position
        glyphs.append(path.transformed(centre))
        half_w, half_h = (x1 - x0) / 2 + LABEL_PAD, (y1 - y0) / 2 + LABEL_PAD
        boxes.append(
            Path([(-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)])
        )
        offsets.append(position)
    points_to_pixels = Affine2D().scale(ax.figure.dpi / 72)
    # zorder 2.5: over the contour lines, under what a figure draws on top of them
    # the colour of each labelled level (a level without lines in the square has no label)
    colors = [color for (_, lines), color in zip(_contour_lines(), colors) if lines]
    for paths, color in ((boxes, "white"), (glyphs, colors)):
        collection = PathCollection(
            paths,
            offsets=offsets,
            offset_transform=ax.transData,  # positions in data units, sizes in points
            facecolors=color,
            edgecolors="none",
            zorder=2.5,
        )
        collection.set_transform(points_to_pixels)
        ax.add_collection(collection, autolim=False)


def draw_contours(ax, labels: bool = False) -> None:
    """Contours of f on [-2, 2]**2 (cached lines; ``labels`` writes the level values)."""
    from matplotlib.collections import LineCollection

    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(CONTOUR_LEVELS)))
    # All levels in one collection, each piece in its level's colour: one artist to draw.
    pieces = [
        (line, color) for (_, lines), color in zip(_contour_lines(), colors) for line in lines
    ]
    ax.add_collection(
        LineCollection([line for line, _ in pieces], colors=[c for _, c in pieces], linewidths=1.0)
    )
    if labels:
        _draw_contour_labels(ax, colors)
    ax.set_xlim(-GRID_LIMIT, GRID_LIMIT)
    ax.set_ylim(-GRID_LIMIT, GRID_LIMIT)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def plot_partials(x0: float = 1.0, y0: float = 0.5):
    """The surface with its two slices through (x0, y0), and each slice with its tangent.

    The slope of the slice y = y0 at x0 is df/dx; of the slice x = x0 at y0, df/dy.
    Returns the figure.
    """
    fx, fy = surface_grad(x0, y0)
    f0 = float(surface(x0, y0))
    fig = plt.figure(figsize=(13.0, 4.2))
    # computed_zorder=False draws in the order below: the slices and the point on top of
    # the surface, which would otherwise hide them where it is in front.
    ax3d = fig.add_subplot(1, 3, 1, projection="3d", computed_zorder=False)
    t = np.linspace(-1.5, 1.5, 61)  # a smaller square than the contour plots: f grows fast
    gx, gy = np.meshgrid(t[::2], t[::2])
    # A light grey mesh, not coloured by height, so that the two coloured slices stand out.
    ax3d.plot_surface(
        gx, gy, surface(gx, gy), color="0.92", edgecolor="0.6", linewidth=0.3, shade=False
    )
    ax3d.plot(t, np.full_like(t, y0), surface(t, y0), color=COLORS[0], linewidth=3.0)
    ax3d.plot(np.full_like(t, x0), t, surface(x0, t), color=COLORS[5], linewidth=3.0)
    ax3d.scatter([x0], [y0], [f0], color=PALETTE["black"], s=36, depthshade=False, zorder=4)
    ax3d.set_xlabel("x")
    ax3d.set_ylabel("y")
    # Three ticks a side: matplotlib's own choice crowds the labels at a higher resolution.
    ax3d.set_xticks([-1, 0, 1])
    ax3d.set_yticks([-1, 0, 1])
    ax3d.zaxis.set_rotate_label(False)  # read bottom to top, like the other panels' labels
    ax3d.set_zlabel("f(x, y)", rotation=90, labelpad=2)
    ax3d.set_title(tr("f(x, y) and two slices"))
    ax3d.view_init(elev=28, azim=-125)
    ax3d.set_box_aspect(None, zoom=0.9)  # room for the z label inside the panel

    for index, (name, slope, along, color) in enumerate(
        (("x", fx, "x", COLORS[0]), ("y", fy, "y", COLORS[5])), start=2
    ):
        ax = fig.add_subplot(1, 3, index)
        centre = x0 if along == "x" else y0
        values = surface(t, y0) if along == "x" else surface(x0, t)
        near = np.abs(t - centre) <= 0.7
        ax.plot(
            t,
            values,
            color=color,
            label=tr(
                "slice {variable} = {value:g}",
                variable="y" if along == "x" else "x",
                value=y0 if along == "x" else x0,
            ),
        )
        ax.plot(
            t[near],
            f0 + slope * (t[near] - centre),
            "--",
            color=PALETTE["black"],
            label=tr("tangent, slope {slope:.3f}", slope=slope),
        )
        ax.plot([centre], [f0], "o", color=PALETTE["black"])
        ax.set_xlabel(along)
        ax.set_ylabel("f")
        ax.set_ylim(0, values.max())
        ax.set_title(
            tr(
                r"$\partial f / \partial {name}$ = {slope:.3f} at ({x0:g}, {y0:g})",
                name=name,
                slope=slope,
                x0=x0,
                y0=y0,
            )
        )
        ax.legend(loc="upper center", fontsize=10)
    fig.tight_layout()
    return fig
