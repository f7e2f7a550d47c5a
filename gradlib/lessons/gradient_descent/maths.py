"""Notebook 02, the maths: gradient descent on a parabola, on an ill-conditioned quadratic
(with and without heavy-ball momentum), on Himmelblau's surface, and on linear regression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from gradlib.engine import Tensor, no_grad, tensor
from gradlib.gradcheck import numerical_grad

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
        "     lr   f down after a step against g   f up after a step along g   "
        "actual / predicted decrease (median)"
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
            " kappa   GD steps  ln(1/tol)/ln(1/rho)  (kappa/2)ln(1/tol)"
            "   heavy-ball steps  (sqrt(kappa)/2)ln(1/tol)"
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
        each: a saddle point."""
        if self.eigenvalues[0] > 0:
            return "local minimum"
        if self.eigenvalues[-1] < 0:
            return "local maximum"
        return "saddle point"


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
) -> dict[tuple[int, float], np.ndarray]:
    """(batch_size, lr) -> the ``hover_level`` of a 30-epoch ``fit`` with each seed.

    One run's level is a lottery of its shuffles; a few seeds show how much it varies.
    """
    return {
        (batch, lr): np.array(
            [hover_level(fit(X, y, batch, lr, seed=seed)[2], best_loss) for seed in seeds]
        )
        for batch, lr in settings
    }


def hover_table(levels: dict[tuple[int, float], np.ndarray]) -> str:
    """The levels of ``hover_levels`` as a table, then how close the settings with the same
    lr / B are, and how the level grows from the smallest lr / B to the largest."""
    seeds = len(next(iter(levels.values())))
    pad = " " * max(10 * seeds - 18, 1)  # the mean sits over the means
    lines = [f"  B   lr       lr / B   hover level with {seeds} seeds{pad}mean"]
    groups: dict[float, list[float]] = {}
    for (batch, lr), level in levels.items():
        lines.append(
            f"{batch:3d}   {lr:<6g}   {lr / batch:.4f}   "
            + "   ".join(f"{v:.1e}" for v in level)
            + f"         {level.mean():.1e}"
        )
        groups.setdefault(round(lr / batch, 12), []).append(float(level.mean()))
    within = max(max(g) / min(g) for g in groups.values())
    low, high = groups[min(groups)], groups[max(groups)]
    growth = f"{min(high) / max(low):.0f} to {max(high) / min(low):.0f}"
    lines.append(
        f"same lr / B: mean levels within a factor {within:.1f}; "
        f"{max(groups) / min(groups):g} times the lr / B: {growth} times the level"
    )
    return "\n".join(lines)


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
        "method                              w1        w2        b"
        "     max |difference|   hovers at",
        f"least squares (lstsq)             {best[0]:7.4f}   {best[1]:7.4f}   {best[2]:6.4f}"
        f"    (loss {best_loss:.6f})",
    ]
    for label, (w, b, history) in runs.items():
        gap = np.abs(np.r_[w, b] - best).max()
        hover = hover_level(history, best_loss)
        level = f"{hover:.1e}" if hover > 1e-10 else "< 1e-10"
        lines.append(
            f"{label:34s}{w[0]:7.4f}   {w[1]:7.4f}   {b:6.4f}    {gap:.1e}            {level}"
        )
    return "\n".join(lines)
