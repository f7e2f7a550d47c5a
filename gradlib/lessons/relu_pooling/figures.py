"""Notebook 04, the figures: ReLU's kink, activations side by side, pooling grids, invariance.

``GridPanel`` draws a small grid of numbers in one axes: an image of cell colours, the
grid lines and a text per cell, all made once and then changed in place. The static
pooling figures and the pooling lab (``widgets.py``) draw their grids with it, so a
figure in the notebook and the lab look the same; ``draw_pooling`` fills the three
panels (input with its windows, output with its upstream gradient, input gradient) of
one ``GridPooling``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from gradlib.language import tr
from gradlib.lessons.relu_pooling.maths import (
    CURVE_X,
    GridPooling,
    activation_curves,
    relu_numpy,
)
from gradlib.plotting import COLORS, PALETTE, new_figure, with_gaps

__all__ = [
    "GridPanel",
    "PoolingPanels",
    "plot_activations",
    "plot_dead_units",
    "plot_invariance_examples",
    "plot_pooling",
    "plot_relu_kink",
]


# ----- ReLU and the activations -------------------------------------------------------------


def plot_relu_kink():
    """ReLU with lines through the kink of slope 0 to 1 (all below the graph), and its
    derivative: 0 on the left, 1 on the right, the interval [0, 1] of subgradients at 0."""
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=3.9)
    xs = np.linspace(-2.0, 2.0, 401)
    for slope, color in zip((0.0, 0.25, 0.5, 0.75, 1.0), COLORS[1:6]):
        left.plot(
            xs,
            slope * xs,
            "--",
            color=color,
            linewidth=1.4,
            label=tr("slope {slope:g}", slope=slope),
        )
    left.plot(xs, relu_numpy(xs), color=PALETTE["black"], linewidth=3.0, label="relu(x)")
    left.set_ylim(-1.2, 2.1)
    left.set_xlabel("x")
    left.set_ylabel("relu(x)")
    left.set_title(tr("Lines through the kink that stay below the graph"))
    left.legend(loc="upper left", fontsize=10)

    right.plot([-2, 0], [0, 0], color=COLORS[0], linewidth=3)
    right.plot([0, 2], [1, 1], color=COLORS[0], linewidth=3, label=tr("relu'(x), x != 0"))
    right.plot([0, 0], [0, 1], color=PALETTE["vermillion"], linewidth=5, alpha=0.7)
    right.plot([0, 0], [0, 1], "o", color=PALETTE["vermillion"], markersize=8)
    right.annotate(
        tr("at x = 0: any slope in [0, 1]\n(gradlib, PyTorch: 0)"),
        xy=(0, 0.5),
        xytext=(0.25, 0.35),
        fontsize=11,
        arrowprops={"arrowstyle": "->", "color": PALETTE["vermillion"]},
    )
    right.set_ylim(-0.25, 1.3)
    right.set_xlabel("x")
    right.set_ylabel("relu'(x)")
    right.set_title(tr("relu'(x): 0, then 1; at 0 a choice"))
    right.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def plot_activations():
    """Seven activations (left) and their derivatives from ``backward()`` (right)."""
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    curves = activation_curves()
    colors = [*COLORS[:6], PALETTE["black"]]  # no yellow: too pale on white
    styles = ["-", "-", "-", "--", "-.", ":", "--"]
    for (name, (values, slopes)), color, style in zip(curves.items(), colors, styles):
        left.plot(CURVE_X, values, style, color=color, label=name)
        right.plot(CURVE_X, with_gaps(slopes, jump=0.3), style, color=color, label=name)
    right.axhline(0.25, color=PALETTE["black"], linewidth=0.8, linestyle=":")
    right.text(4.3, 0.28, tr("1/4: sigmoid's largest slope"), fontsize=10, ha="right")
    left.set_ylim(-1.5, 4.0)
    right.set_ylim(-0.2, 1.2)
    for ax, what in ((left, "f(x)"), (right, tr("f'(x), from backward()"))):
        ax.set_xlabel("x")
        ax.set_ylabel(what)
    left.set_title(tr("Values"))
    right.set_title(tr("Derivatives"))
    left.legend(loc="upper left", fontsize=9, ncols=2)
    fig.tight_layout()
    return fig


def plot_dead_units(panels: dict[str, dict[str, Any]], units: int):
    """Hidden units never active on the probe digits against the training step.

    ``panels``: a panel title -> {run label -> MLPRun with ``dead_steps`` and
    ``dead_counts``}. A unit is never active when its pre-activation is <= 0 on every probe
    digit; for ReLU it then passes no gradient at all: it is dead.
    """
    fig, axes = new_figure(ncols=len(panels), width=11.0, height=3.5, sharey=True)
    axes = np.atleast_1d(axes)
    styles = ["-", "--", "-."]
    for ax, (title, runs) in zip(axes, panels.items()):
        for (label, run), color, style in zip(runs.items(), COLORS, styles):
            ax.plot(run.dead_steps, run.dead_counts, style, color=color, label=label)
        ax.set_title(tr(title))
        ax.set_xlabel(tr("training step (minibatches of 32)"))
        ax.set_ylim(-2, units + 4)
        ax.legend(loc="best", fontsize=10)
    axes[0].set_ylabel(tr("units never active (of {units})", units=units))
    fig.tight_layout()
    return fig


def plot_invariance_examples(image: np.ndarray, transforms: dict[str, Any], pool: Any):
    """One digit under each transform (top) and its 2x2 max-pooled features (bottom)."""
    fig, axes = new_figure(ncols=len(transforms), nrows=2, width=10.0, height=4.0)
    for column, (name, transform) in enumerate(transforms.items()):
        moved = transform(image[None])[0]
        for row, picture in enumerate((moved, pool(moved[None])[0])):
            ax = axes[row, column]
            ax.imshow(picture, cmap="Greys", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
        axes[0, column].set_title(tr(name), fontsize=11)
    axes[0, 0].set_ylabel(tr("pixels (8x8)"))
    axes[1, 0].set_ylabel(tr("max-pooled (4x4)"))
    fig.tight_layout()
    return fig


# ----- a grid of numbers -------------------------------------------------------------------

WINDOW_COLORS = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
PADDING_FILL = np.array([0.85, 0.85, 0.85])
NOTHING_FILL = np.array([0.93, 0.93, 0.93])
LOST_FILL = np.array([0.98, 0.80, 0.70])  # a light vermillion: gradient that fell on padding


def _window_color(row: int, col: int) -> str:
    """Neighbouring windows (and their outputs) get different colours."""
    return WINDOW_COLORS[2 * (row % 2) + (col % 2)]


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def _tint(hex_color: str, amount: float = 0.3) -> np.ndarray:
    """The colour mixed with white: ``amount`` of colour."""
    return 1 - amount * (1 - _rgb(hex_color))


def _blues(values: np.ndarray, top: float) -> np.ndarray:
    """White (0) to a mid blue (``top``), for gradients."""
    share = np.clip(values / top, 0, 1)[..., None] if top > 0 else np.zeros(values.shape + (1,))
    return 1 - share * (1 - _tint(PALETTE["sky"], 0.85))


def cell_text(value: float, digits: int = 2) -> str:
    """How a cell shows a number: '3', '0.25', 'nan', '-inf'."""
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "−∞" if value < 0 else "∞"
    if value == int(value):
        return str(int(value))
    return f"{value:.{digits}f}"


@cache
def _glyphs(text: str, size: float, style: str = "normal") -> Any:
    """The outline of ``text`` (a matplotlib Path, in points) centred on (0, 0), made once.

    A grid redraws its numbers as one collection of these outlines: one artist drawn in
    one go, several times faster than a hundred ``ax.text`` labels laid out and rendered
    glyph by glyph on every update. The y axis of the grids points down (row 0 on top),
    so the outline is flipped to read upright.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    path = TextPath((0, 0), text, size=size, prop=FontProperties(style=style))
    (x0, y0), (x1, y1) = path.get_extents().get_points()
    centre = Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2).scale(1, -1)
    return path.transformed(centre)


class GridPanel:
    """A grid of up to ``rows`` x ``cols`` cells in ``ax``: colours, lines and numbers.

    Everything is made once; ``show`` changes the colours, the numbers and the size in
    place, so a widget can redraw it many times a second. Each cell holds one or two
    lines of text (``texts[r][c]`` may contain one newline).
    """

    def __init__(self, ax: Any, fontsize: float = 10.0) -> None:
        from matplotlib.collections import LineCollection, PathCollection
        from matplotlib.transforms import Affine2D

        self.ax, self.fontsize = ax, fontsize
        self.image = ax.imshow(
            np.ones((1, 1, 3)), extent=(-0.5, 0.5, 0.5, -0.5), interpolation="nearest"
        )
        self.lines = LineCollection([], colors="0.55", linewidths=0.8)
        ax.add_collection(self.lines)
        self.numbers = PathCollection(
            [], offsets=np.zeros((0, 2)), offset_transform=ax.transData, edgecolors="none"
        )
        # positions in data units, outlines in points (72 to the inch): scaled to pixels
        self.numbers.set_transform(Affine2D().scale(ax.figure.dpi / 72, -ax.figure.dpi / 72))
        ax.add_collection(self.numbers, autolim=False)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_aspect("equal")
        self.shape: tuple[int, int] = (0, 0)

    def show(
        self,
        colors: np.ndarray,
        texts: list[list[str]],
        text_colors: np.ndarray | None = None,
        styles: np.ndarray | None = None,
    ) -> None:
        """Show an (R, C, 3) array of colours with an R x C list of texts; ``text_colors``
        (R, C) of matplotlib colours and ``styles`` (R, C) of "normal"/"italic" are optional."""
        rows, cols = colors.shape[:2]
        self.image.set_data(colors)
        self.image.set_extent((-0.5, cols - 0.5, rows - 0.5, -0.5))
        if (rows, cols) != self.shape:
            segments = [[(-0.5, r - 0.5), (cols - 0.5, r - 0.5)] for r in range(rows + 1)]
            segments += [[(c - 0.5, -0.5), (c - 0.5, rows - 0.5)] for c in range(cols + 1)]
            self.lines.set_segments(segments)
            self.ax.set_xlim(-0.55, cols - 0.45)
            self.ax.set_ylim(rows - 0.45, -0.55)
            self.shape = (rows, cols)
        paths, offsets, fills = [], [], []
        for r in range(rows):
            for c in range(cols):
                lines = texts[r][c].split("\n")
                style = "normal" if styles is None else str(styles[r, c])
                color = "black" if text_colors is None else text_colors[r, c]
                for number, line in enumerate(lines):
                    if not line:
                        continue
                    shift = 0.0 if len(lines) == 1 else (number - 0.5) * 0.4
                    paths.append(_glyphs(line, self.fontsize, style))
                    offsets.append((c, r + shift))
                    fills.append(color)
        self.numbers.set_paths(paths)
        self.numbers.set_offsets(np.array(offsets).reshape(-1, 2))
        self.numbers.set_facecolor(fills)


class PoolingPanels:
    """Three GridPanels for one pooling: the padded input with its windows outlined, the
    output with the upstream gradient g under each value, and the input gradient (grey:
    received nothing; light vermillion: the share that fell on padding and is lost). When
    the windows do not overlap, each output and the cells its g reached share a colour;
    when they do, the gradient's cells are shaded by their value."""

    def __init__(self, axes: Any, fontsize: float = 10.0) -> None:
        from matplotlib.collections import LineCollection

        self.input = GridPanel(axes[0], fontsize)
        self.output = GridPanel(axes[1], fontsize - 1)
        self.gradient = GridPanel(axes[2], fontsize)
        self.windows = LineCollection([], linewidths=2.0)
        axes[0].add_collection(self.windows)
        self.titles = [ax.set_title("", y=1.0, fontsize=12) for ax in axes]

    def draw(self, result: GridPooling) -> None:
        p = result.padding
        real = result.real
        padded_shape = real.shape
        fill = -np.inf if result.mode == "max" else 0.0
        values = np.full(padded_shape, fill)
        values[real] = result.x.ravel()

        # the input, padding in grey, every window outlined in its colour
        colors = np.ones(padded_shape + (3,))
        colors[~real] = PADDING_FILL
        texts = [[cell_text(v) for v in row] for row in values]
        greys = np.where(real, "black", "0.35")
        self.input.show(colors, texts, greys)
        segments, segment_colors = [], []
        out_h, out_w = result.out.shape
        k = result.kernel
        for index, (top, left) in enumerate(result.windows):
            r, c = divmod(index, out_w)
            inset = 0.07 + 0.07 * ((r % 2) + (c % 2)) if result.stride < k else 0.06
            x0, x1 = left - 0.5 + inset, left + k - 0.5 - inset
            y0, y1 = top - 0.5 + inset, top + k - 0.5 - inset
            segments.append([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
            segment_colors.append(_window_color(r, c))
        self.windows.set_segments(segments)
        self.windows.set_color(segment_colors)

        # the output, each cell tinted like its window, with g below the value
        colors = np.array(
            [[_tint(_window_color(r, c)) for c in range(out_w)] for r in range(out_h)]
        )
        texts = [
            [f"{cell_text(v)}\ng={cell_text(g)}" for v, g in zip(row, grow)]
            for row, grow in zip(result.out, result.upstream)
        ]
        self.output.show(colors, texts)

        # the input gradient over the padded grid
        grad = result.dx_padded
        if result.stride >= k:
            # windows do not overlap: each cell shows the colour of the window whose g it got
            colors = np.ones(padded_shape + (3,))
            for index, (top, left) in enumerate(result.windows):
                colors[top : top + k, left : left + k] = _tint(_window_color(*divmod(index, out_w)))
        else:  # a cell may collect from several windows: shade by how much it got
            colors = _blues(grad, max(float(np.nanmax(np.abs(grad))), 1e-12))
        nothing = real & (grad == 0)
        colors[nothing] = NOTHING_FILL
        lost = ~real & (grad != 0)
        colors[~real] = PADDING_FILL
        colors[lost] = LOST_FILL
        # padding that took no share stays blank, so it does not look like an input that
        # received nothing
        shown = real | lost
        texts = [
            [cell_text(v) if keep else "" for v, keep in zip(row, keep_row)]
            for row, keep_row in zip(grad, shown)
        ]
        text_colors = np.where(nothing, "0.55", "black")
        styles = np.where(lost, "italic", "normal")
        self.gradient.show(colors, texts, text_colors, styles)

        h, w = result.x.shape
        if p:
            self.titles[0].set_text(tr("input x ({h}x{w}, padding {p})", h=h, w=w, p=p))
        else:
            self.titles[0].set_text(tr("input x ({h}x{w})", h=h, w=w))
        s = result.stride
        if result.mode == "max":
            self.titles[1].set_text(tr("max pool, k {k}, s {s}: out, g", k=k, s=s))
        else:
            self.titles[1].set_text(tr("mean pool, k {k}, s {s}: out, g", k=k, s=s))
        self.titles[2].set_text(tr("input gradient (sum {total:.2f})", total=result.input_sum))


def plot_pooling(*results: GridPooling, width: float = 11.0, height: float = 3.7):
    """One row of three panels (input, output with g, input gradient) per pooling result."""
    fig, axes = new_figure(ncols=3, nrows=len(results), width=width, height=height * len(results))
    axes = np.atleast_2d(axes)
    for row, result in zip(axes, results):
        PoolingPanels(row).draw(result)
    fig.tight_layout()
    return fig
