"""Notebook 02, the maths: gradient descent on a parabola, on an ill-conditioned quadratic
(with and without heavy-ball momentum), on Himmelblau's surface, and on linear regression.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import numpy as np

from gradlib.engine import Tensor, no_grad, tensor
from gradlib.gradcheck import numerical_grad
from gradlib.language import MissingTranslation, pad, tr


def label_text(label: str) -> str:
    """A label a table or a legend shows: in the learner's language when the catalogue has it
    (the notebook's own labels), as given otherwise (a label the learner made up)."""
    try:
        return tr(label)
    except MissingTranslation:
        return label


# ----- one step against the gradient (claim C5) -------------------------------------------


@dataclass(frozen=True)
class OneStep:
    """What one step of size ``lr`` did at many points, against and along the gradient."""

    lr: float
    down: float  # the fraction of the steps against the gradient that lowered f
    up: float  # the fraction of the steps along the gradient that raised f
    ratio: float  # the median of actual decrease / predicted decrease lr |g|**2


def one_step_check(f: Callable[[Any, Any], Any], points: Any, lrs: list[float]) -> list[OneStep]:
    """One step against and one along the gradient of f(x, y) from every row of ``points``
    (shape (n, 2)), for each learning rate: how often f goes down and up, and how the
    decrease compares with the first-order prediction lr |g|**2.

    The gradients come from gradlib: the loss is the sum of f over the n points, and each
    point's f depends on that point only, so one backward() gives all n gradients.
    """
    points = np.asarray(points, dtype=np.float64)
    px = tensor(points[:, 0].copy(), requires_grad=True)
    py = tensor(points[:, 1].copy(), requires_grad=True)
    f(px, py).sum().backward()
    g = np.stack([px.grad, py.grad], axis=1)
    f0 = f(points[:, 0], points[:, 1])
    rows = []
    for lr in lrs:
        against, along = points - lr * g, points + lr * g
        f_against, f_along = f(against[:, 0], against[:, 1]), f(along[:, 0], along[:, 1])
        ratio = np.median((f0 - f_against) / (lr * (g**2).sum(axis=1)))
        rows.append(
            OneStep(lr, float(np.mean(f_against < f0)), float(np.mean(f_along > f0)), float(ratio))
        )
    return rows


def one_step_table(rows: list[OneStep]) -> str:
    """The rows of ``one_step_check`` as a table."""
    lines = [
        tr(
            "     lr   f down after a step against g   f up after a step along g   "
            "actual / predicted decrease (median)"
        )
    ]
    for row in rows:
        lines.append(
            f"{row.lr:7.0e}   {row.down:6.1%}                          {row.up:6.1%}"
            f"                            {row.ratio:8.3f}"
        )
    return "\n".join(lines)


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


def regime(lr: float, L: float) -> str:
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


def heavy_ball_matrix(lr: float, momentum: float, curvature: float) -> np.ndarray:
    """The 2x2 matrix A of one heavy-ball step along a direction of curvature lambda.

    On f = lambda/2 x**2 the step v <- momentum v - lr lambda x, x <- x + v is, with
    v_k = x_k - x_{k-1},  x_{k+1} = (1 + momentum - lr lambda) x_k - momentum x_{k-1},  so

        (x_{k+1}, x_k) = A (x_k, x_{k-1}),   A = [[1 + momentum - lr lambda, -momentum],
                                                  [1,                         0        ]].
    """
    return np.array([[1.0 + momentum - lr * curvature, -momentum], [1.0, 0.0]])


def heavy_ball_roots(lr: float, momentum: float, curvature: float) -> np.ndarray:
    """The two roots of r**2 - t r + momentum = 0, t = 1 + momentum - lr * curvature.

    Putting a geometric sequence x_k = r**k into the heavy-ball recurrence
    x_{k+1} = t x_k - momentum x_{k-1} (along a direction of curvature lambda) and dividing
    by r**(k-1) gives this quadratic. Returns both roots as complex numbers, the larger in
    size first; they are also the eigenvalues of ``heavy_ball_matrix``.
    """
    t = 1.0 + momentum - lr * curvature
    gap = t * t - 4.0 * momentum
    if abs(gap) < 1e-12:  # a repeated root, up to rounding (Polyak's tuning at mu and L)
        gap = 0.0
    root = np.sqrt(complex(gap))
    pair = np.array([(t + root) / 2, (t - root) / 2])
    return pair[np.argsort(-np.abs(pair), kind="stable")]


def heavy_ball_1d(
    gradient: Callable[[float], float], x0: float, lr: float, momentum: float, steps: int
) -> np.ndarray:
    """Iterates x_0 .. x_steps of the heavy ball on a function of one variable.

    x_{k+1} = x_k - lr * gradient(x_k) + momentum * (x_k - x_{k-1}), starting at rest
    (x_{-1} = x_0, i.e. v_0 = 0): the same steps as ``descent_path_2d`` makes per coordinate.
    """
    path = np.empty(steps + 1)
    path[0] = previous = x = float(x0)
    for k in range(1, steps + 1):
        x, previous = x - lr * gradient(x) + momentum * (x - previous), x
        path[k] = x
    return path


def heavy_ball_closed_form(
    lr: float, momentum: float, curvature: float, x0: float, steps: int
) -> np.ndarray:
    """x_k = c1 r1**k + c2 r2**k for k = 0 .. steps: the heavy ball on f = curvature/2 x**2
    from x_0 = x0 at rest, written with the two roots of ``heavy_ball_roots``.

    c1 and c2 are fixed by x_0 and x_1 = (1 - lr curvature) x_0. When the two roots
    coincide (r1 = r2 = r) the mix is x_k = (c1 + c2 k) r**k instead.
    """
    r1, r2 = heavy_ball_roots(lr, momentum, curvature)
    x1 = (1.0 - lr * curvature) * x0
    k = np.arange(steps + 1)
    if r1 == r2:
        r = (r1 + r2) / 2
        c2 = x1 / r - x0 if r != 0 else 0.0  # x_1 = (c1 + c2) r with c1 = x_0
        return np.real((x0 + c2 * k) * r**k)
    c1, c2 = np.linalg.solve(np.array([[1.0, 1.0], [r1, r2]]), np.array([x0, x1], dtype=complex))
    return np.real(c1 * r1**k + c2 * r2**k)


def nesterov_1d(
    gradient: Callable[[float], float], x0: float, lr: float, momentum: float, steps: int
) -> np.ndarray:
    """Iterates x_0 .. x_steps of Nesterov's accelerated gradient on a function of one variable.

    y_k = x_k + momentum * (x_k - x_{k-1});  x_{k+1} = y_k - lr * gradient(y_k), from rest
    (x_{-1} = x_0). Like the heavy ball, but the gradient is taken where the momentum is
    about to carry the point, not where it is.
    """
    path = np.empty(steps + 1)
    path[0] = previous = x = float(x0)
    for k in range(1, steps + 1):
        ahead = x + momentum * (x - previous)
        x, previous = ahead - lr * gradient(ahead), x
        path[k] = x
    return path


# Lessard, Recht and Packard (2016), section 4.6: a convex function of one variable whose
# curvature is 25 for x < 1 and x >= 2 and 1 in between (mu = 1, L = 25), on which the heavy
# ball with Polyak's tuning circles forever.
LESSARD_MU, LESSARD_L = 1.0, 25.0


def lessard_function(x: float) -> float:
    """f(x) = 25/2 x**2 (x < 1), x**2/2 + 24 x - 12 (1 <= x < 2), 25/2 x**2 - 24 x + 36
    (x >= 2): convex, smooth (f' is continuous), curvature between 1 and 25."""
    if x < 1:
        return 12.5 * x * x
    if x < 2:
        return 0.5 * x * x + 24.0 * x - 12.0
    return 12.5 * x * x - 24.0 * x + 36.0


def lessard_gradient(x: float) -> float:
    """f'(x) of ``lessard_function``: 25 x, x + 24, 25 x - 24 on the three pieces."""
    if x < 1:
        return 25.0 * x
    if x < 2:
        return x + 24.0
    return 25.0 * x - 24.0


@dataclass(frozen=True)
class StepCounts:
    """Steps to shrink |x| by ``tol`` on (x1**2 + kappa x2**2) / 2, for each kappa: gradient
    descent at lr = 2/(L + mu) and the tuned heavy ball, measured and predicted."""

    kappas: np.ndarray
    tol: float
    gd: np.ndarray  # measured, gradient descent
    gd_exact: np.ndarray  # ln(1/tol) / ln(1/rho), rho = (kappa - 1)/(kappa + 1)
    gd_rule: np.ndarray  # (kappa / 2) ln(1/tol)
    hb: np.ndarray  # measured, heavy ball
    hb_rule: np.ndarray  # (sqrt(kappa) / 2) ln(1/tol)

    def table(self) -> str:
        lines = [
            tr(
                " kappa   GD steps  ln(1/tol)/ln(1/rho)  (kappa/2)ln(1/tol)"
                "   heavy-ball steps  (sqrt(kappa)/2)ln(1/tol)"
            )
        ]
        for row in zip(self.kappas, self.gd, self.gd_exact, self.gd_rule, self.hb, self.hb_rule):
            kappa, gd, exact, rule, hb, hb_rule = row
            lines.append(
                f"{kappa:6.0f}   {gd:8d}   {exact:12.1f}          {rule:10.1f}"
                f"          {hb:8d}          {hb_rule:10.1f}"
            )
        return "\n".join(lines)


def count_steps(kappas: Any, tol: float = 1e-6) -> StepCounts:
    """``steps_to_tolerance`` from (1, 1) for each kappa, with and without momentum."""
    kappas = np.asarray(kappas, dtype=np.float64)
    log_tol = np.log(1 / tol)
    rho = (kappas - 1) / (kappas + 1)
    gd = [steps_to_tolerance(k, best_learning_rate(k), tol=tol) for k in kappas]
    hb = []
    for kappa in kappas:
        lr, momentum = heavy_ball_parameters(kappa)
        hb.append(steps_to_tolerance(kappa, lr, momentum=momentum, tol=tol))
    return StepCounts(
        kappas=kappas,
        tol=tol,
        gd=np.array(gd),
        gd_exact=log_tol / np.log(1 / rho),
        gd_rule=kappas / 2 * log_tol,
        hb=np.array(hb),
        hb_rule=np.sqrt(kappas) / 2 * log_tol,
    )


# ----- a non-convex surface --------------------------------------------------------------

# Himmelblau (1972): four minima, all with f = 0.
HIMMELBLAU_MINIMA = np.array(
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
)


def himmelblau(x: Any, y: Any) -> Any:
    """f(x, y) = (x**2 + y - 11)**2 + (x + y**2 - 7)**2, on numpy arrays or gradlib Tensors."""
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def himmelblau_gradient(x: float, y: float) -> np.ndarray:
    """(df/dx, df/dy) of Himmelblau's function, by hand."""
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def himmelblau_hessian(x: float, y: float) -> np.ndarray:
    """The Hessian (the 2x2 matrix of second derivatives) of Himmelblau's function."""
    return np.array(
        [[12 * x**2 + 4 * y - 42, 4 * x + 4 * y], [4 * x + 4 * y, 4 * x + 12 * y**2 - 26]]
    )


@dataclass(frozen=True)
class StationaryPoint:
    """A point where the gradient is zero, and what the Hessian says it is."""

    x: float
    y: float
    value: float  # f there
    eigenvalues: np.ndarray  # of the Hessian, ascending: the curvatures along its eigenvectors

    @property
    def kind(self) -> str:
        """Both curvatures positive: a local minimum; both negative: a local maximum; one of
        each: a saddle point. (In the learner's language: it is printed as it is.)"""
        if self.eigenvalues[0] > 0:
            return tr("local minimum")
        if self.eigenvalues[-1] < 0:
            return tr("local maximum")
        return tr("saddle point")


def himmelblau_stationary_points(
    grid: int = 11, iterations: int = 50, limit: float = 5.0
) -> list[StationaryPoint]:
    """Every stationary point of Himmelblau's function that Newton's method reaches from a
    grid x grid square of starts in [-limit, limit]**2, each once, sorted by f.

    Newton's method for grad f = 0 steps p <- p - H(p)^-1 grad f(p): it goes to the nearest
    stationary point of any kind (minimum, maximum or saddle), not only downhill.
    """
    found: list[np.ndarray] = []
    for sx in np.linspace(-limit, limit, grid):
        for sy in np.linspace(-limit, limit, grid):
            p = np.array([sx, sy])
            for _ in range(iterations):
                try:
                    p = p - np.linalg.solve(himmelblau_hessian(*p), himmelblau_gradient(*p))
                except np.linalg.LinAlgError:  # a singular Hessian: no Newton step from here
                    break
            converged = np.linalg.norm(himmelblau_gradient(*p)) < 1e-9
            if converged and not any(np.allclose(p, q, atol=1e-6) for q in found):
                found.append(p)
    points = [
        StationaryPoint(
            float(p[0]),
            float(p[1]),
            float(himmelblau(p[0], p[1])),
            np.linalg.eigvalsh(himmelblau_hessian(*p)),
        )
        for p in found
    ]
    # Sorted by f, then by position (the four minima all have f = 0 up to rounding).
    return sorted(points, key=lambda point: (round(point.value, 6), point.x, point.y))


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
def basin_map(n: int, lr: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.linspace(-5, 5, n)
    gx, gy = np.meshgrid(grid, grid)
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    ends = descend(himmelblau, starts, lr, steps)[-1]
    index, distance = nearest_minimum(ends)
    index = np.where(distance < 1e-3, index, -1)  # -1: not (yet) at a minimum
    return grid, index.reshape(n, n)


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
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    lr: float,
    epochs: int = 30,
    seed: int = 0,
    replace: bool = False,
    every_step: bool = False,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Gradient descent on the mean squared error of y_hat = X w + b, from w = 0, b = 0.

    Each epoch visits the n examples in a new random order (``default_rng(seed)``), in
    batches of ``batch_size``: one step w <- w - lr dL/dw, b <- b - lr dL/db per batch,
    where L is the MSE on that batch. ``batch_size = n`` is full-batch descent (one step
    per epoch), 1 is stochastic gradient descent. X (n, d), y (n,).

    ``replace=True`` draws each epoch's n examples independently, with replacement (some
    twice, some not at all), instead of reshuffling them: the textbook model of SGD, whose
    noise does not cancel over an epoch.

    Returns the final w (d,), the final b, and the MSE on all the data before training
    and after each epoch, shape (epochs + 1,); with ``every_step=True`` after every step,
    shape (epochs * steps per epoch + 1,).
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    order_rng = np.random.default_rng(seed)
    w = tensor(np.zeros(X.shape[1]), requires_grad=True)
    b = tensor(0.0, requires_grad=True)

    def full_loss() -> float:
        return float(np.mean((X @ w.data + b.data - y) ** 2))

    n = len(y)
    history = [full_loss()]
    for _ in range(epochs):
        # a new random order every epoch (or n independent draws)
        order = order_rng.integers(0, n, n) if replace else order_rng.permutation(n)
        for first in range(0, len(y), batch_size):
            batch = order[first : first + batch_size]
            loss = ((tensor(X[batch]) @ w + b - tensor(y[batch])) ** 2).mean()
            w.zero_grad()
            b.zero_grad()
            loss.backward()  # w.grad = dL/dw, b.grad = dL/db on this batch
            with no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            if every_step:
                history.append(full_loss())
        if not every_step:
            history.append(full_loss())
    return w.data.copy(), float(b.data), np.array(history)


def hover_level(history: np.ndarray, best_loss: float, last: int = 10) -> float:
    """How far above the least-squares loss a run ends: the mean of loss - best_loss over
    its ``last`` epochs (a noisy run jiggles, so one epoch alone would be a lottery)."""
    return float(np.mean(np.asarray(history)[-last:] - best_loss))


def hover_levels(
    X: np.ndarray,
    y: np.ndarray,
    settings: list[tuple[int, float]],
    best_loss: float,
    seeds: tuple[int, ...] = (0, 1, 2),
    replace: bool = False,
    every_step: bool = False,
) -> dict[tuple[int, float], np.ndarray]:
    """(batch_size, lr) -> the ``hover_level`` of a 30-epoch ``fit`` with each seed: the
    loss above ``best_loss`` over the last 10 epochs, read at each epoch's end (or, with
    ``every_step``, after every step of those epochs); ``replace`` as in ``fit``.

    One run's level is a lottery of its shuffles; a few seeds show how much it varies.
    """
    levels = {}
    for batch, lr in settings:
        last = 10 * (-(-len(y) // batch) if every_step else 1)  # 10 epochs of readings
        runs = [fit(X, y, batch, lr, seed=s, replace=replace, every_step=every_step) for s in seeds]
        levels[(batch, lr)] = np.array([hover_level(run[2], best_loss, last) for run in runs])
    return levels


def _by_lr_over_b(levels: dict[tuple[int, float], np.ndarray]) -> dict[float, list[float]]:
    """The mean level of each setting, grouped by lr / B."""
    groups: dict[float, list[float]] = {}
    for (batch, lr), level in levels.items():
        groups.setdefault(round(lr / batch, 12), []).append(float(level.mean()))
    return groups


def level_growth(levels: dict[tuple[int, float], np.ndarray]) -> tuple[float, float, float]:
    """From the smallest lr / B of ``levels`` to the largest: (how many times the lr / B,
    the smallest and the largest ratio of a mean level at the largest to one at the
    smallest)."""
    groups = _by_lr_over_b(levels)
    low, high = groups[min(groups)], groups[max(groups)]
    return max(groups) / min(groups), min(high) / max(low), max(high) / min(low)


def hover_table(levels: dict[tuple[int, float], np.ndarray]) -> str:
    """The levels of ``hover_levels`` as a table, then how close the settings with the same
    lr / B are, and how the level grows from the smallest lr / B to the largest."""
    seeds = len(next(iter(levels.values())))
    pad = " " * max(10 * seeds - 18, 1)  # the mean sits over the means
    lines = [
        tr("  B   lr       lr / B   hover level with {seeds} seeds{pad}mean", seeds=seeds, pad=pad)
    ]
    for (batch, lr), level in levels.items():
        lines.append(
            f"{batch:3d}   {lr:<6g}   {lr / batch:.4f}   "
            + "   ".join(f"{v:.1e}" for v in level)
            + f"         {level.mean():.1e}"
        )
    within = max(max(g) / min(g) for g in _by_lr_over_b(levels).values())
    times, least, most = level_growth(levels)
    lines.append(
        tr(
            "same lr / B: mean levels within a factor {within:.1f}; "
            "{times:g} times the lr / B: {least:.0f} to {most:.0f} times the level",
            within=within,
            times=times,
            least=least,
            most=most,
        )
    )
    return "\n".join(lines)


# The four ways ``sampling_table`` reads the level: (label, replace, every_step).
READINGS = (
    ("reshuffled, epoch ends", False, False),
    ("reshuffled, every step", False, True),
    ("with replacement, epoch ends", True, False),
    ("with replacement, every step", True, True),
)


def sampling_levels(
    X: np.ndarray,
    y: np.ndarray,
    settings: list[tuple[int, float]],
    best_loss: float,
    seeds: tuple[int, ...] = (0, 1, 2),
    reshuffled: dict[tuple[int, float], np.ndarray] | None = None,
) -> dict[str, dict[tuple[int, float], np.ndarray]]:
    """``hover_levels`` read each way of ``READINGS``: label -> (B, lr) -> levels.
    ``reshuffled``: the levels of the first way (``fit``'s own), if already computed."""
    readings = {}
    for label, replace, every in READINGS:
        if reshuffled is not None and not replace and not every:
            readings[label] = reshuffled
        else:
            readings[label] = hover_levels(X, y, settings, best_loss, seeds, replace, every)
    return readings


def sampling_table(readings: dict[str, dict[tuple[int, float], np.ndarray]]) -> str:
    """The mean levels of ``sampling_levels``, one column per way of reading them, and
    how much they grow from the smallest lr / B to the largest."""
    labels = list(readings)
    settings = list(readings[labels[0]])
    sampled = dict.fromkeys(label.split(", ")[0] for label in labels)
    width = 14 * len(labels) // len(sampled)
    lines = [
        pad(tr("mean level with"), 22) + "".join(pad(tr(way), width, "^") for way in sampled),
        f"{'  B   lr       lr / B':22s}"
        + "".join(pad(tr(label.split(", ")[1]), 14, ">") for label in labels),
    ]
    for batch, lr in settings:
        cells = "".join(f"{readings[label][(batch, lr)].mean():14.1e}" for label in labels)
        lines.append(f"{batch:3d}   {lr:<6g}   {lr / batch:.4f}" + cells)
    growth = [level_growth(readings[label]) for label in labels]
    lines.append(
        pad(tr("{times:g} x the lr / B:", times=growth[0][0]), 22)
        + "".join(f"{f'{g[1]:.1f}-{g[2]:.1f} x':>14s}" for g in growth)
    )
    return "\n".join(line.rstrip() for line in lines)


@dataclass(frozen=True)
class UpdateCheck:
    """One step w <- w - lr dL/dw on the mean squared error, checked (claim C2)."""

    grad: np.ndarray  # dL/dw from backward()
    grad_gap: float  # largest |backward() - formula| and |backward() - finite differences|
    step_gap: float  # largest |w after the step - (w - lr * formula)|
    loss_before: float
    loss_after: float


def check_update_rule(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, lr: float
) -> UpdateCheck:
    """One gradient-descent step on L(w, b) = mean((X w + b - y)**2), with gradlib.

    dL/dw from ``backward()`` is compared with the formula 2/n X^T (X w + b - y) and with
    central finite differences; the step (in place, inside ``no_grad()``) with
    w - lr * formula; and the loss is measured before and after the step.
    """

    def mse(w_: np.ndarray, b_: float) -> float:
        return float(np.mean((X @ w_ + b_ - y) ** 2))

    wt = tensor(np.array(w, dtype=np.float64), requires_grad=True)
    bt = tensor(float(b), requires_grad=True)
    loss = ((tensor(X) @ wt + bt - tensor(y)) ** 2).mean()
    loss.backward()
    formula = 2 / len(y) * X.T @ (X @ wt.data + bt.data - y)
    numeric, _ = numerical_grad(mse, wt.data.copy(), bt.data.copy())
    grad = wt.grad.copy()
    before = wt.data.copy()
    with no_grad():
        wt -= lr * wt.grad  # the update rule, for every parameter
        bt -= lr * bt.grad
    return UpdateCheck(
        grad=grad,
        grad_gap=float(max(np.abs(grad - formula).max(), np.abs(grad - numeric).max())),
        step_gap=float(np.abs(wt.data - (before - lr * formula)).max()),
        loss_before=float(loss.item()),
        loss_after=mse(wt.data, float(bt.data)),
    )


def fit_table(
    runs: dict[str, tuple[np.ndarray, float, np.ndarray]], best: np.ndarray, best_loss: float
) -> str:
    """Each run of ``fit`` (label -> (w, b, history)) against the least-squares parameters
    ``best`` = (w1, w2, b) with loss ``best_loss``: its parameters, the largest difference
    from ``best``, and its ``hover_level``."""
    lines = [
        tr(
            "method                              w1        w2        b"
            "     max |difference|   hovers at"
        ),
        pad(tr("least squares (lstsq)"), 34)
        + f"{best[0]:7.4f}   {best[1]:7.4f}   {best[2]:6.4f}"
        + tr("    (loss {loss:.6f})", loss=best_loss),
    ]
    for label, (w, b, history) in runs.items():
        gap = np.abs(np.r_[w, b] - best).max()
        hover = hover_level(history, best_loss)
        level = f"{hover:.1e}" if hover > 1e-10 else "< 1e-10"
        lines.append(
            pad(label_text(label), 34)
            + f"{w[0]:7.4f}   {w[1]:7.4f}   {b:6.4f}    {gap:.1e}            {level}"
        )
    return "\n".join(lines)


# ----- the momentum lab: plain descent and the heavy ball at one setting ---------------------

LAB_START = (-9.0, 2.5)  # where the lab's runs start, as in the figure of the paths
LAB_STEPS = 100  # steps the lab runs; its measured rate is fitted over the second half


def root_kind(lr: float, momentum: float, curvature: float) -> str:
    """'real', 'repeated' or 'complex': the two roots of r**2 - t r + momentum = 0 along a
    direction of this curvature (t = 1 + momentum - lr * curvature), as ``heavy_ball_roots``
    decides them (a repeated root up to rounding). Without momentum they are 1 - lr lambda
    and 0: real (even when lr lambda = 1 makes both 0)."""
    if momentum == 0:
        return "real"
    t = 1.0 + momentum - lr * curvature
    gap = t * t - 4.0 * momentum
    if abs(gap) < 1e-12:
        return "repeated"
    return "real" if gap > 0 else "complex"


def heavy_ball_rate(lr: float, momentum: float, curvatures: Any) -> float:
    """The theoretical rate: the largest root size |r| over the curvatures given.

    Along each direction the error is a mix of r1**k and r2**k, so the run shrinks by the
    larger |r| per step in the long run, and the slowest direction sets the pace. On a
    quadratic whose curvatures lie between mu and L the largest |r| is at mu or at L, so
    those two are enough. ``momentum = 0`` gives plain descent's max |1 - lr lambda|.
    """
    return max(float(np.abs(heavy_ball_roots(lr, momentum, c)).max()) for c in curvatures)


def heavy_ball_rate_map(lr_times_L: Any, momentum: Any, kappa: float) -> np.ndarray:
    """``heavy_ball_rate`` over a grid at once: rows are momenta, columns values of lr * L,
    for the curvatures mu = L / kappa and L. The same formula as ``heavy_ball_roots``,
    vectorised (``root_size``)."""
    h = np.asarray(lr_times_L, dtype=np.float64)[None, :]
    beta = np.asarray(momentum, dtype=np.float64)[:, None]
    return np.maximum(root_size(h / kappa, beta), root_size(h, beta))  # at mu and at L


def root_size(lr_times_curvature: Any, momentum: Any) -> np.ndarray:
    """The larger |r| of the heavy ball's two roots along a direction where lr * lambda is
    ``lr_times_curvature``, for arrays (broadcast): the per-step shrink factor of that
    direction. Real roots have larger size (|t| + sqrt(t**2 - 4 beta)) / 2, complex ones
    sqrt(beta); t = 1 + beta - lr lambda. With momentum 0 it is |1 - lr lambda|."""
    beta = np.asarray(momentum, dtype=np.float64)
    t = 1.0 + beta - np.asarray(lr_times_curvature, dtype=np.float64)
    gap = t * t - 4.0 * beta
    real = (np.abs(t) + np.sqrt(np.maximum(gap, 0.0))) / 2.0
    return np.where(gap > 0, real, np.sqrt(beta))


def steps_per_tenfold(rate: Any) -> np.ndarray:
    """Steps a run needs to shrink |x| ten times at this rate per step: ln 10 / ln(1/rate).

    The unit the lab's map is coloured in: a rate of 0.5 takes 3.3 steps per digit, 0.98
    takes 114. A rate of 0 (landing on the minimum) takes 0 steps; a rate of 1 or more
    never gets there (inf)."""
    rate = np.asarray(rate, dtype=np.float64)
    with np.errstate(divide="ignore"):
        steps = np.log(10.0) / -np.log(np.where(rate > 0, rate, 1.0))
    return np.where(rate <= 0, 0.0, np.where(rate >= 1, np.inf, steps))


def measured_rate(distances: Any, first: int, last: int) -> float:
    """The shrink factor per step that a run shows: exp of the slope of a straight line
    fitted (least squares) to ln |x_k| for k = first .. last. Distances that are exactly 0
    (a run that landed on the minimum) are left out; with fewer than two left it is 0.

    The slope is written out, not left to np.polyfit, so no BLAS routine is involved and
    the number is the same on every machine.
    """
    d = np.asarray(distances, dtype=np.float64)[first : last + 1]
    k = np.arange(first, last + 1, dtype=np.float64)
    keep = d > 1e-300
    if keep.sum() < 2:
        return 0.0
    k, y = k[keep], np.log(d[keep])
    k_centred = k - k.mean()
    return float(np.exp(np.sum(k_centred * (y - y.mean())) / np.sum(k_centred**2)))


@dataclass(frozen=True)
class MomentumRun:
    """Plain descent and the heavy ball on (x1**2 + kappa x2**2) / 2 at one learning rate,
    from ``LAB_START``: both paths, and each one's rate in theory and as measured."""

    kappa: float
    lr: float
    momentum: float
    plain: np.ndarray  # (steps + 1, 2), momentum 0
    heavy: np.ndarray  # (steps + 1, 2)
    plain_theory: float  # max |1 - lr lambda| over lambda = 1, kappa
    heavy_theory: float  # heavy_ball_rate over lambda = 1, kappa
    plain_measured: float
    heavy_measured: float
    kind_mu: str  # the heavy ball's roots along x1 (lambda = mu = 1)
    kind_L: str  # and along x2 (lambda = L = kappa)
    heavy_mu: float  # the heavy ball's larger root size along x1 alone
    heavy_L: float  # and along x2: heavy_theory is the larger of the two

    @property
    def slowest(self) -> str:
        """Which direction sets the heavy ball's pace: 'mu', 'L' or 'mu and L' (a tie)."""
        if abs(self.heavy_mu - self.heavy_L) < 5e-4:
            return "mu and L"
        return "mu" if self.heavy_mu > self.heavy_L else "L"

    @property
    def lr_times_L(self) -> float:
        return self.lr * self.kappa


def momentum_run(
    kappa: float, lr_times_L: float, momentum: float, steps: int = LAB_STEPS
) -> MomentumRun:
    """``descent_path_2d`` without and with momentum at lr = lr_times_L / L (L = kappa),
    ``steps`` steps from ``LAB_START``; the measured rates are fitted over the second half."""
    lr = lr_times_L / kappa
    plain = descent_path_2d(kappa, lr, LAB_START, steps)
    heavy = descent_path_2d(kappa, lr, LAB_START, steps, momentum=momentum)
    curvatures = (1.0, kappa)

    def fitted(path: np.ndarray) -> float:
        return measured_rate(np.hypot(path[:, 0], path[:, 1]), steps // 2, steps)

    return MomentumRun(
        kappa=kappa,
        lr=lr,
        momentum=momentum,
        plain=plain,
        heavy=heavy,
        plain_theory=heavy_ball_rate(lr, 0.0, curvatures),
        heavy_theory=heavy_ball_rate(lr, momentum, curvatures),
        plain_measured=fitted(plain),
        heavy_measured=fitted(heavy),
        kind_mu=root_kind(lr, momentum, 1.0),
        kind_L=root_kind(lr, momentum, kappa),
        heavy_mu=heavy_ball_rate(lr, momentum, (1.0,)),
        heavy_L=heavy_ball_rate(lr, momentum, (kappa,)),
    )


# The settings the notebook's "things to try" visit: (label, kappa, lr * L, beta).
_POLYAK_10 = heavy_ball_parameters(10.0)
LAB_TOUR = [
    ("the lab's start", 10, 1.8, 0.5),
    ("beta = 0: plain descent", 10, 1.8, 0.0),
    ("lr = 1/L, little momentum", 10, 1.0, 0.3),
    ("lr = 1/L, more momentum", 10, 1.0, 0.47),
    ("lr = 1/L, much momentum", 10, 1.0, 0.9),
    ("Polyak's tuning, exact", 10, _POLYAK_10[0] * 10.0, _POLYAK_10[1]),
    ("Polyak's tuning on the sliders", 10, 2.31, 0.27),
    ("a little more momentum", 10, 2.31, 0.28),
    # the edge lr L = 2(1 + beta) at beta 0.27 (a plain text: the label is a catalogue key)
    ("below the edge 2(1 + beta) = 2.54", 10, 2.5, 0.27),
    ("above the edge 2(1 + beta) = 2.54", 10, 2.6, 0.27),
    ("kappa = 100: plain descent", 100, 1.98, 0.0),
    ("kappa = 100: Polyak's tuning", 100, 3.3, 0.67),
]


def momentum_table(settings: list[tuple[str, float, float, float]]) -> str:
    """One ``momentum_run`` per (label, kappa, lr * L, momentum): the kinds of the heavy
    ball's roots along mu and L, its rate in theory and measured over steps 50 to 100,
    plain descent's at the same learning rate, and the direction that sets the heavy ball's
    rate. A rate above 1 diverges. The last line gives the largest gap between theory and
    measurement over the rows."""
    lines = [
        " " * 74 + tr("heavy ball       plain descent    heavy ball"),
        pad(tr("setting"), 34)
        + tr("kappa  lr L   beta   roots at mu / L     theory measured  theory measured  set by"),
    ]
    gaps = {"heavy": 0.0, "plain": 0.0}
    for label, kappa, lr_times_L, momentum in settings:
        run = momentum_run(kappa, lr_times_L, momentum)
        gaps["heavy"] = max(gaps["heavy"], abs(run.heavy_measured - run.heavy_theory))
        gaps["plain"] = max(gaps["plain"], abs(run.plain_measured - run.plain_theory))
        kinds = f"{tr(run.kind_mu)} / {tr(run.kind_L)}"
        lines.append(
            pad(label_text(label), 34)
            + f"{kappa:5g}  {lr_times_L:5.3f}  {momentum:5.3f}  "
            + pad(kinds, 19)
            + f"  {run.heavy_theory:5.3f}   {run.heavy_measured:5.3f}"
            f"    {run.plain_theory:5.3f}   {run.plain_measured:5.3f}  {tr(run.slowest)}"
        )
    lines.append(
        tr(
            "({steps} steps from {start}; measured: fitted over steps {half} to "
            "{steps}; a rate above 1 grows: the run diverges)",
            steps=LAB_STEPS,
            start=LAB_START,
            half=LAB_STEPS // 2,
        )
    )
    lines.append(
        tr(
            "largest |measured - theory| over these rows: heavy ball {heavy:.3f}, "
            "plain descent {plain:.3f}",
            heavy=gaps["heavy"],
            plain=gaps["plain"],
        )
    )
    return "\n".join(lines)


# ----- Nesterov and Adam on the same valley, with gradlib.optim -----------------------------

# cos 45° = sin 45° = sqrt(1/2): a square root is correctly rounded everywhere, so the rotated
# valley has the same last bits on every machine (np.cos(np.pi / 4) need not).
HALF_ROOT = float(np.sqrt(0.5))
RACE_START = (1.0, 1.0)  # as in ``count_steps``
ADAM_LRS = 10.0 ** np.arange(-3.0, 0.76, 0.25)  # the grid Adam's learning rate is tuned on


def valley_hessian(kappa: float, rotated: bool = False) -> np.ndarray:
    """The Hessian H of f(x) = x^T H x / 2 with curvatures 1 and kappa: diag(1, kappa), or
    that valley turned by 45 degrees, R diag(1, kappa) R^T with R = [[c, -c], [c, c]] and
    c = sqrt(1/2), so that each coordinate axis sees both curvatures."""
    if not rotated:
        return np.array([[1.0, 0.0], [0.0, kappa]])
    c2 = HALF_ROOT * HALF_ROOT
    return np.array([[c2 + c2 * kappa, c2 - c2 * kappa], [c2 - c2 * kappa, c2 + c2 * kappa]])


def valley_start(rotated: bool = False) -> np.ndarray:
    """``RACE_START``, turned with the valley: the same point relative to its axes."""
    x1, x2 = RACE_START
    if not rotated:
        return np.array([x1, x2])
    return np.array([HALF_ROOT * x1 - HALF_ROOT * x2, HALF_ROOT * x1 + HALF_ROOT * x2])


def valley_gradient(hessian: np.ndarray, x: np.ndarray) -> np.ndarray:
    """H x, the gradient of x^T H x / 2, written out term by term (x of shape (..., 2)).

    Not ``hessian @ x``: a matrix product may go through BLAS, whose last bits differ
    between machines, and a step count can hang on them."""
    x1, x2 = x[..., 0], x[..., 1]
    return np.stack(
        [hessian[0, 0] * x1 + hessian[0, 1] * x2, hessian[1, 0] * x1 + hessian[1, 1] * x2], axis=-1
    )


def nesterov_parameters(kappa: float) -> tuple[float, float]:
    """Nesterov's constant-step tuning for curvatures mu = 1, L = kappa: (lr, momentum) =
    (1/L, (sqrt(kappa) - 1) / (sqrt(kappa) + 1)), the setting of his accelerated method
    for smooth strongly convex functions (Nesterov 2018, section 2.2)."""
    root = np.sqrt(kappa)
    return 1.0 / kappa, float((root - 1.0) / (root + 1.0))


def optimizer_steps(
    make_optimizer: Callable[[list[Tensor]], Any],
    hessian: np.ndarray,
    start: Any,
    tol: float = 1e-6,
    max_steps: int = 20_000,
) -> int:
    """Steps of a ``gradlib.optim`` optimizer until |x_k| <= tol |x_0| on x^T H x / 2 (-1 if
    never within ``max_steps``). The parameter is one gradlib tensor of shape (2,); each
    step sets its ``.grad`` to H x (``valley_gradient``) and calls ``step()``, as a training
    loop does after ``backward()``."""
    x = tensor(np.array(start, dtype=np.float64), requires_grad=True)
    optimizer = make_optimizer([x])
    (h11, h12), (h21, h22) = hessian.tolist()
    x1, x2 = x.data.tolist()
    target = tol * math.sqrt(x1 * x1 + x2 * x2)
    for k in range(1, max_steps + 1):
        # valley_gradient(hessian, x.data) in plain floats (the same roundings), faster
        x.grad = np.array([h11 * x1 + h12 * x2, h21 * x1 + h22 * x2])
        optimizer.step()  # moves x.data in place
        x1, x2 = x.data.tolist()
        if math.sqrt(x1 * x1 + x2 * x2) <= target:
            return k
    return -1


def adam_steps_many(
    hessian: np.ndarray,
    start: Any,
    lrs: Any,
    tol: float = 1e-6,
    max_steps: int = 20_000,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> np.ndarray:
    """``optimizer_steps`` with ``gradlib.optim.Adam`` at every learning rate of ``lrs`` at
    once: Adam's update written out by hand (the same operations in the same order as
    ``Adam.step``), one row of numpy arrays per learning rate. For tuning the learning
    rate on a grid, where one run per rate would be slow."""
    lrs = np.asarray(lrs, dtype=np.float64)[:, None]
    x = np.tile(np.array(start, dtype=np.float64), (len(lrs), 1))
    m, v = np.zeros_like(x), np.zeros_like(x)
    beta1, beta2 = betas
    target = tol * float(np.sqrt(np.sum(np.array(start, dtype=np.float64) ** 2)))
    steps = np.full(len(lrs), -1)
    for t in range(1, max_steps + 1):
        g = valley_gradient(hessian, x)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        step_size = lrs / (1 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
        x = x - step_size * m / denom
        reached = (np.sqrt(np.sum(x**2, axis=1)) <= target) & (steps < 0)
        steps[reached] = t
        if (steps > 0).all():
            break
    return steps


def best_adam_lr(
    hessian: np.ndarray, start: Any, tol: float = 1e-6, max_steps: int = 20_000
) -> float:
    """The learning rate of ``ADAM_LRS`` with which Adam reaches the tolerance in the fewest
    steps (the smaller one on a tie), leaving out a rate that gets there in one step.

    Adam's first step moves each coordinate by about lr against its gradient's sign, so
    from (1, 1) on the axis-aligned valley lr = 1 lands exactly on the minimum: a
    coincidence of the start, not a fast method (``one_step_lrs`` names such rates)."""
    steps = adam_steps_many(hessian, start, ADAM_LRS, tol, max_steps).astype(float)
    steps[steps <= 1] = np.inf  # includes -1, never there
    return float(ADAM_LRS[int(np.argmin(steps))])


def one_step_lrs(
    hessian: np.ndarray, start: Any, tol: float = 1e-6, max_steps: int = 20_000
) -> list[float]:
    """The rates of ``ADAM_LRS`` with which Adam lands within the tolerance in one step."""
    steps = adam_steps_many(hessian, start, ADAM_LRS, tol, max_steps)
    return [float(lr) for lr, s in zip(ADAM_LRS, steps) if s == 1]


RACE_METHODS = (
    "plain descent, lr = 2/(L + mu)",
    "heavy ball, Polyak's tuning",
    "Nesterov, lr = 1/L, (sqrt k - 1)/(sqrt k + 1)",
    "Adam, PyTorch's defaults (lr = 0.001)",
    "Adam, lr tuned on a grid",
)


@dataclass(frozen=True)
class Race:
    """Steps to shrink |x| by ``tol`` from ``RACE_START`` on the valley with curvatures 1 and
    kappa, axis-aligned and turned by 45 degrees, for each method of ``RACE_METHODS``, run
    with ``gradlib.optim``. ``steps[method][rotated, i]`` is -1 when a run did not get there
    within ``max_steps``; ``adam_lrs[rotated, i]`` the tuned learning rates."""

    kappas: tuple[float, ...]
    tol: float
    max_steps: int
    steps: dict[str, np.ndarray]  # method -> (2, len(kappas)): axis-aligned row, rotated row
    adam_lrs: np.ndarray  # (2, len(kappas))
    one_step: tuple[float, ...] = ()  # Adam's rates that landed in one step somewhere (left out)

    def table(self) -> str:
        """The steps, one row per method, axis-aligned then turned, and the tuned rates."""
        width = 7 * len(self.kappas)
        kappas = "".join(f"{k:7g}" for k in self.kappas)
        never = f"> {self.max_steps // 1000}k"
        lines = [
            " " * 46
            + pad(tr("axis-aligned"), width, ">")
            + "   "
            + pad(tr("turned by 45 degrees"), width, ">"),
            pad(tr("method                                kappa ="), 46) + f"{kappas}   {kappas}",
        ]
        for method, steps in self.steps.items():
            cells = ["".join(f"{s:7d}" if s > 0 else f"{never:>7s}" for s in row) for row in steps]
            lines.append(pad(tr(method), 46) + f"{cells[0]}   {cells[1]}")
        tuned = ["".join(f"{lr:7.3g}" for lr in row) for row in self.adam_lrs]
        lines.append(pad(tr("  (the tuned Adam lr)"), 46) + f"{tuned[0]}   {tuned[1]}")
        lines.append(
            tr(
                "(Adam's grid, gd.ADAM_LRS: {count} learning rates from {low:g} to {high:.2g})",
                count=len(ADAM_LRS),
                low=ADAM_LRS[0],
                high=ADAM_LRS[-1],
            )
        )
        if self.one_step:
            rates = ", ".join(f"{lr:g}" for lr in self.one_step)
            lines.append(
                tr(
                    "(left out: lr = {rates}, whose first step lands on the minimum from "
                    "{start}, by coincidence)",
                    rates=rates,
                    start=RACE_START,
                )
            )
        return "\n".join(lines)

    def summary(self) -> str:
        """What the table says, in ratios: how the counts grow from the second kappa to the
        last, Nesterov against the heavy ball, what turning the valley changes."""
        plain, heavy, nesterov, adam, tuned = (self.steps[m] for m in RACE_METHODS)
        k1, k2 = f"{self.kappas[-2]:g}", f"{self.kappas[-1]:g}"
        same = all((rows[0] == rows[1]).all() for rows in (plain, heavy, nesterov))
        growth = [rows[0, -1] / rows[0, -2] for rows in (plain, heavy, nesterov)]
        return "\n".join(
            [
                tr(
                    "kappa {k1} -> {k2}: plain descent x {plain:.1f}, heavy ball "
                    "x {heavy:.1f}, Nesterov x {nesterov:.1f}",
                    k1=k1,
                    k2=k2,
                    plain=growth[0],
                    heavy=growth[1],
                    nesterov=growth[2],
                ),
                tr(
                    "Nesterov needs {ratio:.1f} times the heavy ball's steps at kappa = {k2}",
                    ratio=nesterov[0, -1] / heavy[0, -1],
                    k2=k2,
                ),
                tr(
                    "turning the valley changes the counts of these three: {changes}",
                    changes=tr(str(not same)),
                ),
                tr(
                    "Adam at its default lr, kappa = {k2}: {turned:.1f} times the steps once "
                    "turned; tuned and turned, {tuned:.1f} times the heavy ball's",
                    k2=k2,
                    turned=adam[1, -1] / adam[0, -1],
                    tuned=tuned[1, -1] / heavy[1, -1],
                ),
            ]
        )


def race(kappas: Any = (10.0, 100.0, 1000.0), tol: float = 1e-6, max_steps: int = 20_000) -> Race:
    """Run every method of ``RACE_METHODS`` with ``gradlib.optim.SGD`` or ``Adam`` on
    ``valley_hessian(kappa, rotated)`` from ``valley_start(rotated)``, for each kappa, both
    ways round. The plain and momentum methods use their textbook tuning for mu = 1,
    L = kappa; Adam gets PyTorch's defaults, and the best rate of ``ADAM_LRS``."""
    from gradlib.optim import SGD, Adam

    kappas = tuple(float(k) for k in kappas)
    steps = {method: np.zeros((2, len(kappas)), dtype=int) for method in RACE_METHODS}
    adam_lrs = np.zeros((2, len(kappas)))
    one_step: set[float] = set()
    for row, rotated in enumerate((False, True)):
        start = valley_start(rotated)
        for column, kappa in enumerate(kappas):
            hessian = valley_hessian(kappa, rotated)
            lr_hb, beta_hb = heavy_ball_parameters(kappa)
            lr_n, beta_n = nesterov_parameters(kappa)
            adam_lrs[row, column] = lr_adam = best_adam_lr(hessian, start, tol, max_steps)
            one_step.update(one_step_lrs(hessian, start, tol, max_steps))
            makers = (  # each called with the parameter list, as SGD(params, lr=...)
                partial(SGD, lr=best_learning_rate(kappa)),
                partial(SGD, lr=lr_hb, momentum=beta_hb),
                partial(SGD, lr=lr_n, momentum=beta_n, nesterov=True),
                Adam,
                partial(Adam, lr=lr_adam),
            )
            for method, make in zip(RACE_METHODS, makers):
                steps[method][row, column] = optimizer_steps(make, hessian, start, tol, max_steps)
    return Race(kappas, tol, max_steps, steps, adam_lrs, tuple(sorted(one_step)))


def optimizer_gaps(kappa: float = 10.0, steps: int = 60) -> dict[str, float]:
    """How far ``gradlib.optim.SGD``'s iterates ever are from the hand-written recurrences,
    ``steps`` steps on the axis-aligned valley from ``RACE_START``:

    - ``SGD(lr)`` against ``descent_path_2d`` without momentum;
    - ``SGD(lr, momentum)`` against the heavy ball ``descent_path_2d(..., momentum)``:
      PyTorch's buffer b <- beta b + g, x <- x - lr b is v = -lr b;
    - ``SGD(lr, momentum, nesterov=True)`` against ``nesterov_1d`` on each coordinate:
      PyTorch's parameter is the look-ahead point y_k = x_k + beta (x_k - x_{k-1}).
    """
    from gradlib.optim import SGD

    hessian = valley_hessian(kappa)

    def run(make: Callable[[list[Tensor]], Any]) -> np.ndarray:
        x = tensor(np.array(RACE_START, dtype=np.float64), requires_grad=True)
        optimizer = make([x])
        path = [x.data.copy()]
        for _ in range(steps):
            x.grad = valley_gradient(hessian, x.data)
            optimizer.step()
            path.append(x.data.copy())
        return np.array(path)

    lr_gd = best_learning_rate(kappa)
    lr_hb, beta_hb = heavy_ball_parameters(kappa)
    lr_n, beta_n = nesterov_parameters(kappa)
    nesterov = np.stack(
        [
            nesterov_1d(lambda x, c=c: c * x, x0, lr_n, beta_n, steps)
            for c, x0 in zip((1.0, kappa), RACE_START)
        ],
        axis=1,
    )
    previous = np.vstack([nesterov[:1], nesterov[:-1]])  # x_{k-1}, with x_{-1} = x_0
    look_ahead = nesterov + beta_n * (nesterov - previous)
    pairs = {
        "SGD(lr) and plain descent": (
            run(lambda ps: SGD(ps, lr=lr_gd)),
            descent_path_2d(kappa, lr_gd, RACE_START, steps),
        ),
        "SGD(lr, momentum) and the heavy ball": (
            run(lambda ps: SGD(ps, lr=lr_hb, momentum=beta_hb)),
            descent_path_2d(kappa, lr_hb, RACE_START, steps, momentum=beta_hb),
        ),
        "SGD(lr, momentum, nesterov=True) and Nesterov's y_k": (
            run(lambda ps: SGD(ps, lr=lr_n, momentum=beta_n, nesterov=True)),
            look_ahead,
        ),
    }
    # the names are printed: in the learner's language
    return {tr(name): float(np.abs(a - b).max()) for name, (a, b) in pairs.items()}
