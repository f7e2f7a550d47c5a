"""Notebook 01 (derivatives and gradients): finite differences, partials, directional derivatives.

What is here, in the order the notebook uses it:

- ``EXAMPLES``: four functions of one variable (sin, exp, x**3, log) with their first
  three derivatives, for the finite-difference experiments.
- ``forward_difference`` / ``central_difference`` and ``difference_errors``: the error
  of each against the step h, in float64 or float32; ``error_model`` is the
  truncation + round-off estimate and ``best_step_theory`` its minimiser.
- ``derivative_explorer``: the widget callback (secant and tangent at x = 1, and the
  error at h on the U-shaped error curve).
- ``surface`` / ``surface_grad``: the two-variable function f(x, y) = x**2 + 3 y**2 + exp(x y)
  of the second half (works on numpy arrays and on gradlib Tensors), its analytic
  gradient, ``autodiff_grad`` (the same gradient from ``backward()``), and
  ``directional_derivatives`` (the rate of change along many directions, by central
  differences, never from the gradient).
- ``contour_tangent``: the direction of the level curve through a point, found from
  f's values alone, to test that the gradient is perpendicular to it.
- ``directional_explorer``: the widget callback for the directional derivative; its
  contours carry their level values (``contour_labels``).
- Exercise checkers: ``check_gradient_by_hand`` (the gradient of ``exercise_function``)
  and ``check_steepest_descent`` (the unit vector of steepest descent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from gradlib import ops
from gradlib.engine import Tensor, tensor
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
    "ANGLES_DEG",
    "EXAMPLES",
    "PRECISIONS",
    "STEPS",
    "X0",
    "DerivativeView",
    "DirectionalView",
    "Example",
    "autodiff_grad",
    "best_step",
    "best_step_theory",
    "central_difference",
    "check_gradient_by_hand",
    "check_steepest_descent",
    "contour_labels",
    "contour_tangent",
    "derivative_explorer",
    "difference_errors",
    "directional_derivatives",
    "directional_explorer",
    "error_model",
    "exercise_function",
    "forward_difference",
    "plot_difference_errors",
    "plot_partials",
    "surface",
    "surface_grad",
]

# ----- functions of one variable -------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A function of one variable with its first three derivatives (numpy, elementwise)."""

    f: Callable[[np.ndarray], np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]
    d3: Callable[[np.ndarray], np.ndarray]


EXAMPLES: dict[str, Example] = {
    "sin": Example(np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "exp": Example(np.exp, np.exp, np.exp, np.exp),
    # x * x * x, not x**3: IEEE multiplication is exact-rounded the same on every machine
    "x**3": Example(lambda x: x * x * x, lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    "log": Example(np.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
}
PRECISIONS = {"float64": np.float64, "float32": np.float32}
X0 = 1.0  # where the derivative is taken
# Steps from 1e-13 to 10**-0.5 (20 per decade); the largest keeps x - h > 0 for log.
STEPS = np.logspace(-13, -0.5, 251)
# Round-off errors are close to random, so one point gives a ragged error curve. The
# best step is read off the mean error over these 101 points around X0.
AVERAGE_POINTS = np.linspace(0.9, 1.1, 101)


def _example(name: str) -> Example:
    if name not in EXAMPLES:
        raise ValueError(f"unknown function {name!r}; choose one of {list(EXAMPLES)}.")
    return EXAMPLES[name]


def _dtype(precision: str) -> type[np.floating]:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {list(PRECISIONS)}.")
    return PRECISIONS[precision]


def forward_difference(f: Callable, x: Any, h: Any) -> Any:
    """(f(x + h) - f(x)) / h: error O(h) from truncation, plus round-off ~ eps / h."""
    return (f(x + h) - f(x)) / h


def central_difference(f: Callable, x: Any, h: Any) -> Any:
    """(f(x + h) - f(x - h)) / (2h): error O(h**2) from truncation, plus round-off ~ eps / h."""
    return (f(x + h) - f(x - h)) / (2 * h)


@cache
def difference_errors(
    name: str, precision: str = "float64", average: bool = True
) -> dict[str, np.ndarray]:
    """|estimate - f'(x)| for both differences at every step in ``STEPS``.

    The differences run in ``precision`` (x, h and every value of f rounded to it);
    the exact derivative is in float64. With ``average`` the error is the mean over
    ``AVERAGE_POINTS``, otherwise it is the error at ``X0`` alone.

    Returns {"forward": (len(STEPS),), "central": (len(STEPS),)} arrays (cached).
    """
    example, dtype = _example(name), _dtype(precision)
    points = AVERAGE_POINTS if average else np.array([X0])
    x = points.astype(dtype)[:, None]  # (points, 1) against (steps,): every pair at once
    h = STEPS.astype(dtype)
    exact = example.d1(x.astype(np.float64))
    errors = {}
    for label, difference in (("forward", forward_difference), ("central", central_difference)):
        estimate = difference(example.f, x, h).astype(np.float64)
        errors[label] = np.abs(estimate - exact).mean(axis=0)
    return errors


def best_step(errors: np.ndarray) -> float:
    """The step in ``STEPS`` with the smallest error."""
    return float(STEPS[np.argmin(errors)])


def _error_terms(name: str, precision: str) -> tuple[float, float, float, float]:
    """eps, M = |f| + |x f'| (the size of the rounding), |f''| and |f'''| at X0."""
    example = _example(name)
    eps = float(np.finfo(_dtype(precision)).eps)
    x = X0
    size = abs(example.f(x)) + abs(x * example.d1(x))  # x + h and f(x + h) are both rounded
    return eps, float(size), float(abs(example.d2(x))), float(abs(example.d3(x)))


def error_model(name: str, precision: str, h: np.ndarray) -> dict[str, np.ndarray]:
    """Truncation + round-off estimate of each difference's error at X0.

    forward: |f''| h / 2 + eps M / h;   central: |f'''| h**2 / 6 + eps M / (2h),
    with M = |f(x)| + |x f'(x)|: rounding x + h and f(x + h) each costs about eps M.
    """
    eps, size, d2, d3 = _error_terms(name, precision)
    h = np.asarray(h, dtype=np.float64)
    return {
        "forward": d2 * h / 2 + eps * size / h,
        "central": d3 * h**2 / 6 + eps * size / (2 * h),
    }


def best_step_theory(name: str, precision: str) -> dict[str, float]:
    """The h that minimises ``error_model``.

    forward: sqrt(2 eps M / |f''|);  central: (1.5 eps M / |f'''|) ** (1/3).
    """
    eps, size, d2, d3 = _error_terms(name, precision)
    return {
        "forward": float(np.sqrt(2 * eps * size / d2)),
        "central": float(np.cbrt(1.5 * eps * size / d3)),
    }


def plot_difference_errors(name: str = "sin"):
    """The U-shaped error curves (mean over AVERAGE_POINTS) in float64 and float32; returns fig."""
    fig, axes = new_figure(ncols=2, width=11.0, height=4.3, sharey=True)
    styles = {"forward": COLORS[0], "central": COLORS[1]}
    for ax, precision in zip(axes, PRECISIONS):
        errors = difference_errors(name, precision)
        model = error_model(name, precision, STEPS)
        for label, color in styles.items():
            ax.loglog(STEPS, errors[label], color=color, label=f"{label} difference")
            ax.loglog(STEPS, model[label], "--", color=color, linewidth=1.2, alpha=0.8)
            best = best_step(errors[label])
            ax.axvline(best, color=color, linestyle=":", linewidth=1.5)
        eps = np.finfo(PRECISIONS[precision]).eps
        ax.set_title(f"{precision} (machine epsilon {eps:.1e})")
        ax.set_xlabel("step h")
        ax.set_ylim(1e-13, 10)
    axes[0].set_ylabel(f"mean |error| of f'(x), f = {name}")
    axes[0].plot([], [], "--", color=PALETTE["black"], linewidth=1.2, label="error model")
    axes[0].plot([], [], ":", color=PALETTE["black"], linewidth=1.5, label="best h (measured)")
    axes[0].legend(loc="lower left", fontsize=10)
    fig.tight_layout()
    return fig


class DerivativeView(WidgetView):
    """The figure of ``derivative_explorer``: secants and tangent (left), |error| against h."""

    XS = np.linspace(X0 - 0.6, X0 + 0.6, 121)  # the x range of the left panel
    ERROR_FLOOR = 1e-17  # an error of exactly 0 cannot be drawn on a log axis

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=4.2,
            margins={"left": 0.08, "right": 0.98, "bottom": 0.13, "top": 0.91, "wspace": 0.25},
        )
        xs, later = self.XS, np.full_like(self.XS, np.nan)  # the y values come with each update
        (self.curve,) = left.plot(xs, later, color=PALETTE["black"], label="f(x)")
        (self.tangent,) = left.plot(
            xs, later, color=PALETTE["green"], label="tangent (exact slope)"
        )
        # Each secant is the straight line through the two points its difference uses.
        (self.forward_secant,) = left.plot(xs, later, "--", color=COLORS[0], label="forward secant")
        (self.central_secant,) = left.plot(xs, later, ":", color=COLORS[1], label="central secant")
        (self.forward_points,) = left.plot([], [], "o", color=COLORS[0])
        (self.central_points,) = left.plot([], [], "o", color=COLORS[1])
        left.set_xlim(xs[0] - 0.06, xs[-1] + 0.06)
        left.set_xlabel("x")
        left.set_ylabel("f(x)")
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        self.left_title = left.set_title("", y=1.0)
        self.function_label = left.legend(loc="upper left", fontsize=9).get_texts()[0]
        round_ticks(left)

        right.set_xscale("log")
        right.set_yscale("log")
        self.error_curves, self.error_points = {}, {}
        for label, color in (("forward", COLORS[0]), ("central", COLORS[1])):
            (self.error_curves[label],) = right.plot(
                STEPS, np.full_like(STEPS, np.nan), color=color, label=label
            )
            (self.error_points[label],) = right.plot([], [], "o", color=color, markersize=9)
        self.h_line = right.axvline(1.0, color=PALETTE["black"], linewidth=1.0)
        right.set_xlim(STEPS[0] / 4, STEPS[-1] * 4)
        right.set_ylim(1e-13, 10)
        right.set_xlabel("step h")
        right.set_ylabel("|error| at x = 1")
        self.right_title = right.set_title("", y=1.0)
        right.legend(loc="lower left", fontsize=10)
        plain_log_ticks(right, numticks=6)
        self.left = left
        return fig

    def update(
        self, function: str, h: float, precision: str, estimates: dict[str, float], exact: float
    ) -> None:
        example, xs = _example(function), self.XS
        span = example.f(xs)
        f0, f_plus, f_minus = (float(example.f(x)) for x in (X0, X0 + h, X0 - h))
        self.curve.set_ydata(span)
        self.tangent.set_ydata(f0 + exact * (xs - X0))
        self.forward_secant.set_ydata(f0 + estimates["forward"] * (xs - X0))
        self.central_secant.set_ydata(f_minus + estimates["central"] * (xs - X0 + h))
        self.forward_points.set_data([X0, X0 + h], [f0, f_plus])
        self.central_points.set_data([X0 - h], [f_minus])
        for points in (self.forward_points, self.central_points):
            points.set_visible(h > 0.01)  # only once they are far enough apart to see
        self.left.set_ylim(span.min() - 0.15 * np.ptp(span), span.max() + 0.15 * np.ptp(span))
        self.left_title.set_text(f"Secants with h = {h:.1e} at x = 1")
        self.function_label.set_text(f"f(x) = {function}")

        errors = difference_errors(function, precision, average=False)
        for label, estimate in estimates.items():
            self.error_curves[label].set_ydata(np.maximum(errors[label], self.ERROR_FLOOR))
            error = max(abs(estimate - exact), self.ERROR_FLOOR)
            self.error_points[label].set_data([h], [error])
        self.h_line.set_xdata([h, h])
        self.right_title.set_text(f"Error against h ({precision})")


_DERIVATIVE_VIEW = DerivativeView()


def derivative_explorer(
    function: str = "sin", h: float = 0.1, precision: str = "float64"
) -> Figure:
    """Widget callback: secant lines and the tangent at x = 1, and the error at h on the U curve.

    Prints f'(1), both estimates and their errors; shows the function with its tangent and
    the forward and central secants (left), and the error against h at x = 1 (right).
    Returns the figure, which it has already shown: write ``fig = derivative_explorer(...)``
    in a notebook, or Jupyter shows the returned figure a second time.
    """
    example, dtype = _example(function), _dtype(precision)
    x0, step = dtype(X0), dtype(h)
    exact = float(example.d1(X0))
    forward = float(forward_difference(example.f, x0, step))
    central = float(central_difference(example.f, x0, step))
    print(
        f"{function} at x = 1 in {precision}, h = {h:.1e}: exact f'(1) = {exact:.10f} | "
        f"forward {forward:.10f} (error {abs(forward - exact):.1e}) | "
        f"central {central:.10f} (error {abs(central - exact):.1e})"
    )
    return _DERIVATIVE_VIEW.show(
        function=function,
        h=h,
        precision=precision,
        estimates={"forward": forward, "central": central},
        exact=exact,
    )


# ----- a function of two variables -----------------------------------------------------


def surface(x: Any, y: Any) -> Any:
    """f(x, y) = x**2 + 3 y**2 + exp(x y); numpy arrays in, numpy out; Tensors in, Tensor out."""
    value = x**2 + 3 * y**2 + ops.exp(x * y)  # a Tensor, even for numpy inputs
    return value if isinstance(x, Tensor) or isinstance(y, Tensor) else value.data


def surface_grad(x: Any, y: Any) -> np.ndarray:
    """The analytic gradient (df/dx, df/dy) = (2x + y exp(xy), 6y + x exp(xy)); shape (2, ...)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    e = np.exp(x * y)
    return np.stack([2 * x + y * e, 6 * y + x * e])


def autodiff_grad(x: float, y: float) -> np.ndarray:
    """(df/dx, df/dy) at one point from gradlib: build f from Tensors, call backward()."""
    tx, ty = tensor(float(x), requires_grad=True), tensor(float(y), requires_grad=True)
    surface(tx, ty).backward()
    return np.array([float(tx.grad), float(ty.grad)])


def directional_derivatives(
    x: float, y: float, angles_deg: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """D_u f at (x, y) for u = (cos a, sin a), by central differences along u.

    (f(p + h u) - f(p - h u)) / (2h) for every angle at once: the definition of the
    rate of change along u, computed from f's values only (not from the gradient).
    """
    a = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    ux, uy = np.cos(a), np.sin(a)
    return (surface(x + h * ux, y + h * uy) - surface(x - h * ux, y - h * uy)) / (2 * h)


def contour_tangent(x: float, y: float, radius: float = 1e-3) -> np.ndarray:
    """Unit tangent of the level curve f = f(x, y) at (x, y), from f's values alone.

    The level curve crosses a small circle around the point twice, at q1 and q2;
    the chord q2 - q1 is parallel to the tangent up to O(radius**2). The crossings are
    bracketed on a grid of angles and refined by bisection. Raises ValueError if the
    point is a stationary point (no single level curve passes through it).
    """
    level = surface(x, y)

    def g(angle: np.ndarray) -> np.ndarray:
        return surface(x + radius * np.cos(angle), y + radius * np.sin(angle)) - level

    grid = np.linspace(0.0, 2 * np.pi, 721)
    values = g(grid)
    crossings = np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
    if len(crossings) != 2:
        raise ValueError(
            f"contour_tangent: the level curve crosses the circle {len(crossings)} times at "
            f"({x}, {y}), expected 2; is the gradient zero there? Try a smaller radius."
        )
    low, high = grid[crossings], grid[crossings + 1]
    sign_low = np.sign(g(low))
    for _ in range(60):  # bisection: halve both brackets at once
        mid = 0.5 * (low + high)
        same = np.sign(g(mid)) == sign_low
        low, high = np.where(same, mid, low), np.where(same, high, mid)
    angle = 0.5 * (low + high)
    q = np.stack([x + radius * np.cos(angle), y + radius * np.sin(angle)], axis=1)
    chord = q[1] - q[0]
    return chord / np.linalg.norm(chord)


GRID_LIMIT = 2.0  # the contour plots show [-2, 2] x [-2, 2]
ANGLES_DEG = np.arange(0.0, 360.5, 1.0)  # the sweep of directions (1 degree apart)
# f's smallest value is f(0, 0) = 1, so the levels start above it.
CONTOUR_LEVELS = np.array([1.5, 2.0, 3.0, 4.5, 6.5, 9, 12, 16, 21, 28])


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


def _draw_contours(ax, labels: bool = False) -> None:
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
    ax3d.zaxis.set_rotate_label(False)  # read bottom to top, like the other panels' labels
    ax3d.set_zlabel("f(x, y)", rotation=90, labelpad=2)
    ax3d.set_title("f(x, y) and two slices")
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
            label=f"slice {'y' if along == 'x' else 'x'} = {y0 if along == 'x' else x0:g}",
        )
        ax.plot(
            t[near],
            f0 + slope * (t[near] - centre),
            "--",
            color=PALETTE["black"],
            label=f"tangent, slope {slope:.3f}",
        )
        ax.plot([centre], [f0], "o", color=PALETTE["black"])
        ax.set_xlabel(along)
        ax.set_ylabel("f")
        ax.set_ylim(0, values.max())
        ax.set_title(rf"$\partial f / \partial {name}$ = {slope:.3f} at ({x0:g}, {y0:g})")
        ax.legend(loc="upper center", fontsize=10)
    fig.tight_layout()
    return fig


STATIONARY_NORM = 1e-9  # |grad f| below this: a stationary point, where no direction is uphill


class DirectionalView(WidgetView):
    """The figure of ``directional_explorer``: contours with the gradient and u (left), and
    D_u f against the angle of u (right)."""

    ARROW_LENGTH = 0.8  # arrows have a fixed length; the printed numbers give the sizes

    def build(self) -> Figure:
        from matplotlib.lines import Line2D
        from matplotlib.patches import FancyArrowPatch

        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=4.6,
            margins={"left": 0.07, "right": 0.98, "bottom": 0.12, "top": 0.92, "wspace": 0.22},
        )
        _draw_contours(left, labels=True)
        # zorder 3: the point, the arrows and the tangent lie over the contour labels.
        (self.tangent,) = left.plot(
            [],
            [],
            "--",
            color=PALETTE["black"],
            linewidth=1.5,
            label="tangent to the contour",
            zorder=3,
        )
        self.arrows, self.arrow_keys = {}, {}
        for name, color, label in (
            ("gradient", PALETTE["vermillion"], "gradient direction"),
            ("u", COLORS[0], "u"),
        ):
            self.arrows[name] = FancyArrowPatch(
                (0, 0),
                (1, 1),
                arrowstyle="-|>",
                mutation_scale=12,
                color=color,
                linewidth=2.2,
                zorder=3,
            )
            left.add_patch(self.arrows[name])
            # The legend shows an arrow as a line of its colour (a patch would show as a box).
            self.arrow_keys[name] = Line2D([], [], color=color, label=label)
        (self.point,) = left.plot([], [], "o", color=PALETTE["black"], zorder=3)
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        left.set_title("Contours of f, the gradient and u", y=1.0)
        round_ticks(left)

        (self.sweep,) = right.plot(
            ANGLES_DEG,
            np.full_like(ANGLES_DEG, np.nan),  # the rates come with each update
            color=COLORS[0],
            label="D_u f (central differences)",
        )
        self.norm_line = right.axhline(1.0, color=PALETTE["vermillion"], linestyle="--")
        self.angle_line = right.axvline(
            0.0, color=PALETTE["vermillion"], linestyle=":", label="gradient angle"
        )
        (self.current,) = right.plot([], [], "o", color=COLORS[0], markersize=9)
        right.set_xlim(0, 360)
        right.set_xticks(np.arange(0, 361, 90))
        round_ticks(right, "y")
        right.set_xlabel("angle of u (degrees)")
        right.set_ylabel("D_u f")
        right.set_title("Rate of change of f along u", y=1.0)

        self.left, self.right = left, right
        self.stationary = None  # the legends are made by the first update
        return fig

    def _legends(self, stationary: bool) -> None:
        """Legends listing what is drawn: at a stationary point there is no gradient to show."""
        # Before the legends are made: a legend key copies its artist's visibility.
        for artist in (self.tangent, self.arrows["gradient"], self.norm_line, self.angle_line):
            artist.set_visible(not stationary)
        gradient = [] if stationary else [self.tangent, self.arrow_keys["gradient"]]
        left = self.left.legend(
            handles=[*gradient, self.arrow_keys["u"]], loc="lower left", fontsize=9
        )
        self.u_label = left.get_texts()[-1]
        gradient = [] if stationary else [self.norm_line, self.angle_line]
        right = self.right.legend(handles=[self.sweep, *gradient], loc="lower left", fontsize=9)
        self.norm_label = None if stationary else right.get_texts()[1]
        self.stationary = stationary

    def update(
        self,
        x0: float,
        y0: float,
        angle: float,
        grad: np.ndarray,
        sweep: np.ndarray,
        current: float,
    ) -> None:
        norm = float(np.linalg.norm(grad))
        stationary = norm < STATIONARY_NORM
        if stationary != self.stationary:
            self._legends(stationary)
        length = self.ARROW_LENGTH
        u = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
        self.arrows["u"].set_positions((x0, y0), (x0 + length * u[0], y0 + length * u[1]))
        self.u_label.set_text(f"u at {angle:.0f} deg")
        self.point.set_data([x0], [y0])
        if not stationary:
            g = grad / norm
            self.arrows["gradient"].set_positions(
                (x0, y0), (x0 + length * g[0], y0 + length * g[1])
            )
            tangent = 0.6 * contour_tangent(x0, y0)
            self.tangent.set_data(
                [x0 - tangent[0], x0 + tangent[0]], [y0 - tangent[1], y0 + tangent[1]]
            )
            self.norm_line.set_ydata([norm, norm])
            self.norm_label.set_text(f"|grad f| = {norm:.2f}")
            grad_angle = float(np.rad2deg(np.arctan2(grad[1], grad[0])) % 360)
            self.angle_line.set_xdata([grad_angle, grad_angle])

        self.sweep.set_ydata(sweep)
        self.current.set_data([angle], [current])
        self.right.set_ylim(-1.15 * max(norm, 1.0), 1.15 * max(norm, 1.0))


_DIRECTIONAL_VIEW = DirectionalView()


def directional_explorer(x0: float = 1.0, y0: float = 0.5, angle: float = 30.0) -> Figure:
    """Widget callback: D_u f at (x0, y0) for every direction, and the chosen direction u.

    Prints the gradient (from backward()), its length and angle, D_u f for the chosen
    angle and the largest D_u f in the sweep. Shows the contours with the gradient, u and
    the contour's tangent (left), and D_u f against the angle of u, by central
    differences (right). Returns the figure, which it has already shown: write
    ``fig = directional_explorer(...)`` in a notebook, or Jupyter shows it a second time.
    """
    grad = autodiff_grad(x0, y0)
    norm = float(np.linalg.norm(grad))
    grad_angle = float(np.rad2deg(np.arctan2(grad[1], grad[0])) % 360)
    sweep = directional_derivatives(x0, y0, ANGLES_DEG)
    current = float(directional_derivatives(x0, y0, np.array([angle]))[0])
    best = int(np.argmax(sweep))
    where = f"at ({x0:.2f}, {y0:.2f}): "
    if norm < STATIONARY_NORM:
        print(where + "grad f = (0, 0), a stationary point: f is flat in every direction.")
    else:
        print(
            where + f"grad f = ({grad[0]:.3f}, {grad[1]:.3f}), |grad f| = {norm:.3f} at "
            f"{grad_angle:.1f} deg | D_u f at {angle:.0f} deg = {current:.3f} | largest "
            f"D_u f in the sweep = {sweep[best]:.3f} at {ANGLES_DEG[best]:.0f} deg"
        )
    return _DIRECTIONAL_VIEW.show(
        x0=x0, y0=y0, angle=angle, grad=grad, sweep=sweep, current=current
    )


# ----- exercise checker ---------------------------------------------------------------


def check_steepest_descent(answer: Any, x: float, y: float) -> Feedback:
    """Exercise: the unit vector along which f decreases fastest at (x, y), i.e. -grad/|grad|."""
    if answer is None or answer is Ellipsis:
        return Feedback(False, "the direction is still empty; replace the placeholder.")
    try:
        u = np.asarray(answer.data if hasattr(answer, "data") else answer, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(False, f"the direction should be two numbers, got {answer!r:.60}.")
    if u.shape != (2,):
        return Feedback(False, f"the direction should have shape (2,), it has shape {u.shape}.")
    if not np.all(np.isfinite(u)):
        return Feedback(False, "the direction contains nan or inf; did you divide by zero?")
    length = float(np.linalg.norm(u))
    if abs(length - 1) > 1e-4:
        return Feedback(
            False,
            f"the direction has length {length:.4g}; a unit vector has length 1 "
            "(divide by np.linalg.norm).",
        )
    reference = -autodiff_grad(x, y)
    reference /= np.linalg.norm(reference)
    slope = float(directional_derivatives(x, y, np.array([np.rad2deg(np.arctan2(u[1], u[0]))]))[0])
    off = float(np.rad2deg(np.arccos(np.clip(u @ reference, -1.0, 1.0))))
    if slope > 0:
        return Feedback(
            False,
            f"along your direction f increases (D_u f = {slope:.3f} > 0): it points "
            "uphill. Steepest descent goes against the gradient.",
        )
    if off > 0.01:
        return Feedback(
            False,
            f"your direction goes downhill (D_u f = {slope:.3f}) but is {off:.2f} "
            "degrees away from the steepest one; a steeper direction exists.",
        )
    return Feedback(
        True,
        f"u = ({u[0]:.4f}, {u[1]:.4f}) is the unit vector of steepest "
        f"descent; f falls at rate {-slope:.4f} along it.",
    )


# Not (0, 3), where dg/dy = 2 x y = 0 and every slip in it goes unnoticed; at x = 0.5,
# y = 3 the two slips below and the right answer are all different numbers.
EXERCISE_POINT = (0.5, 3.0)


def exercise_function(x: Any, y: Any) -> Any:
    """g(x, y) = x y**2 + exp(2x), the function of the "gradient by hand" exercise."""
    return x * y**2 + ops.exp(2 * x)


def _gradient_slips(x: float, y: float) -> tuple[tuple[int, float, str], ...]:
    """The likely slips in (dg/dx, dg/dy) = (y**2 + 2 exp(2x), 2 x y): entry, value, advice."""
    return (
        (
            0,
            y**2 + np.exp(2 * x),
            "your dg/dx looks like y**2 + exp(2x), without the chain rule's factor: "
            "d/dx exp(2x) = 2 exp(2x), the 2 coming from the inner function 2x.",
        ),
        (
            1,
            2 * y,
            "your dg/dy looks like 2y, without the x: with respect to y, x is a "
            "constant factor, so d/dy (x y**2) = 2 x y.",
        ),
    )


def check_gradient_by_hand(answer: Any) -> Feedback:
    """Exercise: (dg/dx, dg/dy) at ``EXERCISE_POINT``, checked against gradlib's backward().

    The answer is worked out by hand, so a wrong entry is called too large or too small
    (``reveal=False``) rather than printing the expected value, and the two likely slips
    (the chain-rule factor 2 of exp(2x), the x of 2 x y) are named.
    """
    x0, y0 = EXERCISE_POINT
    x, y = tensor(x0, requires_grad=True), tensor(y0, requires_grad=True)
    exercise_function(x, y).backward()
    verdict = check_array(
        answer,
        [float(x.grad), float(y.grad)],
        name=f"your gradient of g at ({x0:g}, {y0:g})",
        reveal=False,
        entry_names=("dg/dx", "dg/dy"),
    )
    if verdict:
        return verdict
    try:
        values = answer.data if isinstance(answer, Tensor) else answer
        got = np.asarray(values, dtype=np.float64).reshape(2)
    except (TypeError, ValueError):
        return verdict  # not two numbers: check_array's message says what is wrong
    hints = [
        advice
        for entry, value, advice in _gradient_slips(x0, y0)
        if np.isclose(got[entry], value, rtol=1e-4, atol=1e-6)
    ]
    if not hints:
        return verdict
    return Feedback(False, " ".join([verdict.message, *(f"Hint: {hint}" for hint in hints)]))
