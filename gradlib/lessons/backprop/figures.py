"""Notebook 03, the static figures: the gates of the backward flow, the cost of each way to
get a gradient, and the decision boundary at a few training steps."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gradlib.graphplot import draw_graph, layout_graph
from gradlib.language import tr
from gradlib.lessons.backprop.maths import (
    BoundarySnapshots,
    Gate,
    Snapshot,
)
from gradlib.plotting import PALETTE, new_figure


def plot_gradient_costs(
    sizes: list[int], reverse: list[int], forward: list[int], finite_differences: list[int]
) -> Figure:
    """Multiply-adds for the full gradient against the number of weights, log-log.

    One line per method (each with its own colour, marker and dash pattern), and an
    arrow at the largest network marking how many times forward mode's work is reverse
    mode's. Returns the figure.
    """
    fig, ax = new_figure(width=7.0, height=4.5)
    lines = (
        (forward, "o", "-", PALETTE["vermillion"], tr("forward mode (1 pass per weight)")),
        (
            finite_differences,
            "s",
            "--",
            PALETTE["orange"],
            tr("finite differences (2 passes per weight)"),
        ),
        (reverse, "^", "-", PALETTE["blue"], tr("reverse mode (1 forward + 1 backward)")),
    )
    for costs, marker, dashes, colour, label in lines:
        ax.loglog(sizes, costs, marker=marker, linestyle=dashes, color=colour, label=label)
    ax.set_xticks(sizes, labels=[str(n) for n in sizes])
    ax.minorticks_off()
    ax.annotate(
        "",
        xy=(sizes[-1], forward[-1]),
        xytext=(sizes[-1], reverse[-1]),
        arrowprops={"arrowstyle": "<->", "color": PALETTE["black"]},
    )
    ax.text(
        sizes[-1] * 0.93,
        np.sqrt(forward[-1] * reverse[-1]),
        tr("{ratio:.0f} times", ratio=forward[-1] / reverse[-1]),
        ha="right",
        va="center",
        fontsize=11,
    )
    ax.set_xlabel(tr("number of weights in the MLP"))
    ax.set_ylabel(tr("multiply-adds for the full gradient"))
    ax.set_title(tr("The cost of a gradient: reverse mode vs forward mode"))
    ax.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def boundary_lines(snapshots: BoundarySnapshots, probability: np.ndarray) -> list[np.ndarray]:
    """The decision boundary P(class 1) = 0.5 as (n, 2) line pieces, traced with contourpy
    (the engine of matplotlib's ``contour``), so a widget can move an existing line."""
    import contourpy

    generator = contourpy.contour_generator(
        snapshots.xs, snapshots.ys, probability, line_type="Separate"
    )
    return generator.lines(0.5)


def unit_lines(
    W1: np.ndarray, b1: np.ndarray, extent: tuple[float, float, float, float]
) -> list[np.ndarray | None]:
    """Each hidden unit's line w . x + b = 0 (w a column of W1, shape (2, M)), where its ReLU
    switches on, clipped to the box ``extent`` = (x0, x1, y0, y1): a (2, 2) array of its two
    ends, or None when the line misses the box, only touches a corner, or w = 0."""
    x0, x1, y0, y1 = extent
    lines: list[np.ndarray | None] = []
    for (wx, wy), b in zip(W1.T, b1):
        ends = []
        if wy != 0:  # where the line crosses the left and right edges
            ends += [(x, -(b + wx * x) / wy) for x in (x0, x1)]
        if wx != 0:  # and the bottom and top edges
            ends += [(-(b + wy * y) / wx, y) for y in (y0, y1)]
        inside = np.array(
            [(x, y) for x, y in ends if x0 <= x <= x1 and y0 <= y <= y1], dtype=float
        ).reshape(-1, 2)
        if len(inside) < 2:
            lines.append(None)
            continue
        along = inside @ np.array([-wy, wx])  # position along the line's direction
        ends = inside[[along.argmin(), along.argmax()]]
        lines.append(None if np.allclose(ends[0], ends[1]) else ends)  # None: only a corner
    return lines


def draw_boundary(ax: Any, snapshots: BoundarySnapshots, snap: Snapshot) -> tuple[Any, Any]:
    """P(class 1) as a blue-white-orange background, the P = 0.5 line, and the data.

    Returns the background image and the boundary line, for a widget to update.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "blue_orange", [PALETTE["blue"], "#ffffff", PALETTE["orange"]]
    )
    extent = (snapshots.xs[0], snapshots.xs[-1], snapshots.ys[0], snapshots.ys[-1])
    image = ax.imshow(
        snap.probability,
        origin="lower",
        extent=extent,
        cmap=cmap,
        vmin=0,
        vmax=1,
        alpha=0.55,
        aspect="auto",
        interpolation="bilinear",
    )
    boundary = LineCollection(
        boundary_lines(snapshots, snap.probability), colors="black", linewidths=2.0, zorder=2
    )
    ax.add_collection(boundary)
    X, y = snapshots.X, snapshots.y
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["orange"])):
        ax.scatter(
            X[y == label, 0],
            X[y == label, 1],
            marker=marker,
            s=22,
            color=colour,
            edgecolor="black",
            linewidth=0.5,
            label=tr("class {label}", label=label),
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    # whole-number ticks only: laying out tick labels is most of a redraw's cost
    ax.set_xticks(np.arange(np.ceil(extent[0]), extent[1]))
    ax.set_yticks(np.arange(np.ceil(extent[2]), extent[3]))
    ax.set_xlabel(tr("feature x₁"))
    ax.set_ylabel(tr("feature x₂"))
    ax.grid(False)
    return image, boundary


def plot_snapshot_grid(snapshots: BoundarySnapshots, steps: tuple[int, ...]) -> None:
    """The decision boundary at a few training steps, side by side.

    The first panel names the classes; a colour bar on the right reads the background,
    the predicted probability of class 1 (the same scale in every panel).
    """
    fig, axes = new_figure(
        ncols=len(steps), width=3.3 * len(steps) + 0.8, height=3.6, layout="constrained"
    )
    for ax, step in zip(axes, steps):
        snap = snapshots.at(step)
        image, _ = draw_boundary(ax, snapshots, snap)
        ax.set_title(
            tr("step {step}: loss {loss:.2f}", step=snap.step, loss=snap.loss), fontsize=12
        )
        if ax is not axes[0]:
            ax.set_ylabel("")
    axes[0].legend(loc="lower right", fontsize=9, framealpha=0.9, handletextpad=0.2)
    colorbar = fig.colorbar(image, ax=list(axes), fraction=0.02, pad=0.01)
    colorbar.set_label(tr("P(class 1)"))
    colorbar.set_ticks([0, 0.5, 1])
    plt.show()


GATE_COLUMN_GAP = 4.2  # closer columns than draw_graph's default: three gates fit a slide
# A graph of three columns or more (the copy: x -> p -> z) spreads wider, so that an input
# beside the op that uses it still shows an arrow next to its stacked label.
WIDE_GATE_COLUMN_GAP = 5.0


def _gate_column_gap(gate: Gate) -> float:
    depth = max(n.depth for n in layout_graph(gate.out).nodes)
    return GATE_COLUMN_GAP if depth < 2 else WIDE_GATE_COLUMN_GAP


def plot_gates(gates: list[Gate], width: float = 11.5, height: float = 2.6) -> Figure:
    """The graphs of a few gates side by side (``gate_examples``), each with its values,
    gradients and local derivatives, and one legend saying where dL/dz came from."""
    from matplotlib.patches import Patch

    from gradlib.graphplot import BOX_WIDTH

    # each panel as wide as its graph, so that every box is drawn at the same size
    spans = []
    for gate in gates:
        layout = layout_graph(gate.out, column_gap=_gate_column_gap(gate))
        spans.append(max(n.x for n in layout.nodes) - min(n.x for n in layout.nodes))
    fig, axes = new_figure(
        ncols=len(gates),
        width=width,
        height=height,
        gridspec_kw={"width_ratios": [s + BOX_WIDTH + 0.6 for s in spans]},
    )
    for ax, gate in zip(np.atleast_1d(axes), gates):
        draw_graph(
            gate.out,
            ax=ax,
            fontsize=10.5,
            legend=False,
            column_gap=_gate_column_gap(gate),
            stacked_labels=True,
        )
        ax.set_title(gate.title, fontsize=12, fontweight="bold")
        ax.set_anchor("N")  # every graph hangs from the top, so the titles line up
    upstream = gates[0].upstream
    handles = [
        Patch(color=PALETTE["blue"], label=tr("value (forward)")),
        Patch(
            color=PALETTE["vermillion"],
            label=tr(
                "grad = dL/d(box); dL/dz = {upstream:g} arrives from above", upstream=upstream
            ),
        ),
        Patch(color=PALETTE["green"], label=tr("local derivative")),
    ]
    fig.legend(
        handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=11, handlelength=1.0
    )
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.14, wspace=0.08)
    return fig
