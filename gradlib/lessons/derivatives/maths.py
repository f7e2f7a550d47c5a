"""Notebook 01, the maths: finite differences and their errors, a surface, its gradient.

- ``EXAMPLES``: four functions of one variable (sin, exp, x**3, log) with their first
  three derivatives, for the finite-difference experiments.
- ``forward_difference`` / ``central_difference`` and ``difference_errors``: the error
  of each against the step h, in float64 or float32; ``error_model`` is the
  truncation + round-off estimate and ``best_step_theory`` its minimiser.
- ``surface`` / ``surface_grad``: f(x, y) = x**2 + 3 y**2 + exp(x y) (numpy arrays or
  gradlib Tensors), its analytic gradient, ``autodiff_grad`` (the same gradient from
  ``backward()``), and ``directional_derivatives`` (the rate of change along many
  directions, by central differences, never from the gradient).
- ``contour_tangent``: the direction of the level curve through a point, found from f's
  values alone, to test that the gradient is perpendicular to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from gradlib import ops
from gradlib.engine import Tensor, tensor
from gradlib.language import pad, tr

__all__ = [
    "ANGLES_DEG",
    "AVERAGE_POINTS",
    "CONTOUR_LEVELS",
    "EXAMPLES",
    "GRID_LIMIT",
    "PRECISIONS",
    "STATIONARY_NORM",
    "STEPS",
    "X0",
    "BestStep",
    "Example",
    "autodiff_grad",
    "best_step",
    "best_step_theory",
    "best_steps",
    "best_steps_table",
    "central_difference",
    "contour_tangent",
    "difference_errors",
    "directional_derivatives",
    "error_model",
    "forward_difference",
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
        raise ValueError(
            tr(
                "unknown function {name!r}; choose one of {names}.",
                name=name,
                names=list(EXAMPLES),
            )
        )
    return EXAMPLES[name]


def _dtype(precision: str) -> type[np.floating]:
    if precision not in PRECISIONS:
        raise ValueError(
            tr(
                "unknown precision {precision!r}; choose one of {names}.",
                precision=precision,
                names=list(PRECISIONS),
            )
        )
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


@dataclass(frozen=True)
class BestStep:
    """The best step of one difference for one function in one precision."""

    function: str
    precision: str
    difference: str  # "forward" or "central"
    measured: float  # the step in STEPS with the smallest mean error
    model: float  # the minimiser of error_model
    rule_of_thumb: float  # sqrt(eps) for forward, eps ** (1/3) for central differences
    best_error: float  # the smallest mean error, at the measured step


def best_steps() -> list[BestStep]:
    """``BestStep`` for every function of ``EXAMPLES``, precision and difference (16 rows)."""
    rows = []
    for name in EXAMPLES:
        for precision, dtype in PRECISIONS.items():
            eps = float(np.finfo(dtype).eps)
            errors = difference_errors(name, precision)
            model = best_step_theory(name, precision)
            for difference, thumb in (("forward", np.sqrt(eps)), ("central", np.cbrt(eps))):
                rows.append(
                    BestStep(
                        name,
                        precision,
                        difference,
                        measured=best_step(errors[difference]),
                        model=model[difference],
                        rule_of_thumb=float(thumb),
                        best_error=float(errors[difference].min()),
                    )
                )
    return rows


def best_steps_table(rows: list[BestStep]) -> str:
    """The rows of ``best_steps`` as a table, one line each under a header."""
    lines = [
        tr(
            "function  precision  difference   best h: measured    model   model/measured"
            "   rule of thumb   best error"
        )
    ]
    differences = {"forward": tr("forward"), "central": tr("central")}
    for row in rows:
        difference = differences.get(row.difference, row.difference)
        lines.append(
            f"{row.function:8s}  {row.precision:9s}  {pad(difference, 10)}"
            f"  {row.measured:17.1e}  {row.model:7.1e}  {row.model / row.measured:15.1f}"
            f"  {row.rule_of_thumb:14.1e}  {row.best_error:11.1e}"
        )
    return "\n".join(lines)


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
            tr(
                "contour_tangent: the level curve crosses the circle {count} times at "
                "({x}, {y}), expected 2; is the gradient zero there? Try a smaller radius.",
                count=len(crossings),
                x=x,
                y=y,
            )
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
STATIONARY_NORM = 1e-9  # |grad f| below this: a stationary point, where no direction is uphill
