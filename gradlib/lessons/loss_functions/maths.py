"""Notebook 06, the maths: regression losses and their derivatives, lines fitted under
outliers, MAE's oscillation, Newton steps, a linear SVM, and cross-entropy done naively
and stably.

Every loss here is gradlib's own (``gradlib.losses``): its value and slope come from the
loss's forward and backward, its curvature from ``second_derivative``. Nothing is
re-derived by hand, so what the notebook shows is what the library computes.

- ``REGRESSION_LOSSES`` and ``loss_curves``: MSE, MAE, Huber and Pseudo-Huber as functions
  of the residual a = prediction - target: value, slope, curvature.
- ``line_with_outliers``: points on the line y = 2 x + 1 with some of them pushed down.
- ``descend``: gradient descent on a line's slope and intercept under any of the losses,
  with a fixed or a decaying learning rate; ``best_line`` is the exact minimiser of each
  loss, ``oscillation`` how far descent keeps wandering around it.
- ``newton_step`` / ``newton_steps`` / ``newton_iterates``: Newton steps of a constant
  prediction (what boosting does in a leaf) with each loss's gradient and its second
  derivative, or the curvature of a parabola above the loss (``bound_curvature``).
- ``svm_data`` / ``train_linear_classifier``: a linear SVM (hinge loss) and logistic
  regression trained by (sub)gradient descent with gradlib, and their ``margins``.
- ``naive_cross_entropy`` / ``shifted_cross_entropy`` / ``stable_cross_entropy`` /
  ``naive_binary_cross_entropy``: the textbook formulas, run as written, next to the
  log-sum-exp form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib import losses
from gradlib.data import make_blobs
from gradlib.engine import Context, Function, tensor
from gradlib.language import tr
from gradlib.optim import SGD

__all__ = [
    "CURVATURES",
    "DECAY_STEPS",
    "LEAF_TARGETS",
    "NOISE",
    "REGRESSION_LOSSES",
    "SVM_LAMBDA",
    "TRUE_INTERCEPT",
    "TRUE_SLOPE",
    "Descent",
    "LinearClassifier",
    "NewtonStep",
    "RegressionLoss",
    "best_line",
    "decaying_rate",
    "descend",
    "influence",
    "line_with_outliers",
    "loss_curves",
    "naive_binary_cross_entropy",
    "naive_cross_entropy",
    "newton_iterates",
    "newton_step",
    "newton_steps",
    "oscillation",
    "pulls",
    "regression_loss",
    "shifted_cross_entropy",
    "stable_cross_entropy",
    "svm_data",
    "train_linear_classifier",
]

# ----- the regression losses -------------------------------------------------------------


@dataclass(frozen=True)
class RegressionLoss:
    """One of gradlib's regression losses, by the name the notebook uses."""

    name: str
    function: type[Function]  # e.g. losses.HuberLoss: forward, backward, second_derivative
    uses_delta: bool  # Huber and Pseudo-Huber take delta; MSE and MAE ignore it

    def options(self, delta: float) -> dict[str, float]:
        """The keyword options of its forward and second_derivative."""
        return {"delta": float(delta)} if self.uses_delta else {}

    def label(self, delta: float) -> str:
        """ "Huber (delta = 1)", or just "MSE"."""
        return f"{self.name} (delta = {delta:g})" if self.uses_delta else self.name

    def gradient(self, residual: np.ndarray, delta: float = 1.0) -> np.ndarray:
        """d loss_i / d prediction_i for each residual a_i = prediction_i - target_i,
        from the loss's own backward (reduction 'none': no 1/N)."""
        a = np.asarray(residual, dtype=np.float64)
        ctx = Context()
        self.function.forward(ctx, a, np.zeros_like(a), reduction="none", **self.options(delta))
        return self.function.backward(ctx, np.ones_like(a))[0]

    def curvature(self, residual: np.ndarray, delta: float = 1.0) -> np.ndarray:
        """d^2 loss_i / d prediction_i^2 for each residual (``second_derivative``)."""
        return self.function.second_derivative(
            np.asarray(residual, dtype=np.float64), **self.options(delta)
        )

    def bound_curvature(self, residual: np.ndarray, delta: float = 1.0) -> np.ndarray:
        """psi(a) / a for each residual a, where psi is the loss's slope (its backward); the
        second derivative at a = 0.

        For Huber and Pseudo-Huber it is the curvature of the parabola that touches the loss
        at a and lies above it everywhere: Huber 1 inside delta and delta / |a| beyond it,
        Pseudo-Huber (1 + (a / delta)^2)^(-1/2) (where the exact second derivative has the
        power -3/2). It is positive everywhere, and a Newton step that divides by it never
        overshoots; it is also the weight of iteratively reweighted least squares
        (``best_line``).
        """
        a = np.asarray(residual, dtype=np.float64)
        zero = a == 0
        slope = self.gradient(a, delta)
        at_zero = self.curvature(np.zeros_like(a), delta)
        return np.where(zero, at_zero, slope / np.where(zero, 1.0, a))


REGRESSION_LOSSES: dict[str, RegressionLoss] = {
    "MSE": RegressionLoss("MSE", losses.MSELoss, uses_delta=False),
    "MAE": RegressionLoss("MAE", losses.L1Loss, uses_delta=False),
    "Huber": RegressionLoss("Huber", losses.HuberLoss, uses_delta=True),
    "Pseudo-Huber": RegressionLoss("Pseudo-Huber", losses.PseudoHuberLoss, uses_delta=True),
}


def regression_loss(name: str) -> RegressionLoss:
    """The loss called ``name`` ("MSE", "MAE", "Huber", "Pseudo-Huber")."""
    if name not in REGRESSION_LOSSES:
        raise ValueError(
            tr(
                "unknown loss {name!r}; choose one of {losses}.",
                name=name,
                losses=list(REGRESSION_LOSSES),
            )
        )
    return REGRESSION_LOSSES[name]


_FUNCTIONAL = {
    "MSE": F.mse_loss,
    "MAE": F.l1_loss,
    "Huber": F.huber_loss,
    "Pseudo-Huber": F.pseudo_huber_loss,
}


def loss_curves(residuals: np.ndarray, delta: float = 1.0) -> dict[str, dict[str, np.ndarray]]:
    """Value, slope and curvature of each regression loss at each residual a.

    The value and the slope come from gradlib with autodiff: the residuals are one
    Tensor, the loss is summed (each term depends on its own a only), and ``backward()``
    leaves d loss / d a in ``.grad``. The curvature is the loss's ``second_derivative``.
    Returns {loss name: {"value", "slope", "curvature"}}, arrays of the residuals' shape.
    """
    a = np.asarray(residuals, dtype=np.float64)
    curves = {}
    for name, kind in REGRESSION_LOSSES.items():
        x = tensor(a, requires_grad=True)
        total = _FUNCTIONAL[name](x, np.zeros_like(a), reduction="sum", **kind.options(delta))
        total.backward()
        values = _FUNCTIONAL[name](a, np.zeros_like(a), reduction="none", **kind.options(delta))
        curves[name] = {
            "value": values.data,
            "slope": x.grad,
            "curvature": kind.curvature(a, delta),
        }
    return curves


def pulls(
    predictions: np.ndarray, targets: np.ndarray, loss: str, delta: float = 1.0
) -> np.ndarray:
    """How hard each point pulls the prediction towards itself: -d loss_i / d prediction_i.

    Positive when the point lies above the prediction. MSE: 2 (y - prediction), growing
    with the distance; MAE: +-1 whatever the distance; Huber: the residual, capped at
    +-delta; Pseudo-Huber: the same cap, reached smoothly.
    """
    residual = np.asarray(predictions, dtype=np.float64) - np.asarray(targets, dtype=np.float64)
    return -regression_loss(loss).gradient(residual, delta)


# ----- a line with outliers ---------------------------------------------------------------

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0
NOISE = 0.5  # the standard deviation of the clean points around the line


def line_with_outliers(
    n_outliers: int = 4, size: float = 15.0, n: int = 40, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points near the line y = 2 x + 1, and ``n_outliers`` of them pushed down by ``size``.

    x is uniform on [-2.5, 2.5] and y = 2 x + 1 + N(0, 0.5^2). The outliers are taken, in
    a fixed random order, among the points with x > 0 (a sensor that reads low at the
    high end, say), so with more of them the earlier ones stay: k + 1 outliers are the k
    of before and one more. Returns ``x``, ``y`` (n,) and the boolean mask of outliers.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.5, 2.5, n)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + NOISE * rng.standard_normal(n)
    candidates = rng.permutation(np.flatnonzero(x > 0))
    if not 0 <= n_outliers <= len(candidates):
        raise ValueError(
            tr(
                "line_with_outliers: n_outliers must be 0..{most} (the points with "
                "x > 0), got {n_outliers}.",
                most=len(candidates),
                n_outliers=n_outliers,
            )
        )
    is_outlier = np.zeros(n, dtype=bool)
    is_outlier[candidates[:n_outliers]] = True
    return x, np.where(is_outlier, y - size, y), is_outlier


# ----- fitting a line ----------------------------------------------------------------------

DECAY_STEPS = 100  # a decaying rate halves after 100 steps, and keeps shrinking like 1/k


def decaying_rate(lr: float, step: int | np.ndarray, decay_steps: float = DECAY_STEPS) -> Any:
    """lr / (1 + step / decay_steps): the rate at ``step`` (0, 1, ...) of a 1/k schedule.

    The rates add up to infinity (descent can travel any distance) while each step
    shrinks towards 0 (it can settle): what a subgradient method needs to converge.
    """
    return lr / (1 + np.asarray(step) / decay_steps)


@dataclass
class Descent:
    """The path of gradient descent on a line: values after 0, 1, ..., steps steps."""

    slopes: np.ndarray
    intercepts: np.ndarray
    losses: np.ndarray  # the mean loss at each step (before the step is taken)
    diverged: bool

    @property
    def slope(self) -> float:
        return float(self.slopes[-1])

    @property
    def intercept(self) -> float:
        return float(self.intercepts[-1])


DIVERGED = 1e6  # |slope| or |intercept| beyond this: the descent has blown up


def descend(
    x: np.ndarray,
    y: np.ndarray,
    loss: str = "MSE",
    delta: float = 1.0,
    lr: float = 0.1,
    steps: int = 300,
    schedule: str = "fixed",
    start: tuple[float, float] = (0.0, 0.0),
) -> Descent:
    """Gradient descent on the slope w and intercept b of y = w x + b under ``loss``.

    Each step runs the loss's forward and backward (gradlib, on plain numpy arrays): the
    backward gives g_i = dL/d prediction_i (the mean loss, so with its 1/N), and the chain
    rule through prediction_i = w x_i + b collects them:

        dL/dw = sum_i g_i x_i,     dL/db = sum_i g_i.

    ``schedule`` is "fixed" (the rate lr at every step) or "decaying" (``decaying_rate``).
    If the parameters blow up (lr too large for MSE), the rest of the path is nan and
    ``diverged`` is True.
    """
    if schedule not in ("fixed", "decaying"):
        raise ValueError(
            tr(
                "descend: schedule must be 'fixed' or 'decaying', got {schedule!r}.",
                schedule=schedule,
            )
        )
    kind = regression_loss(loss)
    options = kind.options(delta)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    path = np.full((steps + 1, 3), np.nan)  # slope, intercept, loss
    w, b = float(start[0]), float(start[1])
    rates = decaying_rate(lr, np.arange(steps)) if schedule == "decaying" else np.full(steps, lr)
    diverged = False
    for k in range(steps + 1):
        ctx = Context()
        value = kind.function.forward(ctx, w * x + b, y, **options)
        path[k] = w, b, value
        if k == steps:
            break
        g = kind.function.backward(ctx, 1.0)[0]
        w, b = w - rates[k] * float(g @ x), b - rates[k] * float(g.sum())
        if not (abs(w) < DIVERGED and abs(b) < DIVERGED):
            diverged = True
            break
    return Descent(path[:, 0], path[:, 1], path[:, 2], diverged)


def _mean_loss(x: np.ndarray, y: np.ndarray, loss: str, delta: float, w: Any, b: Any) -> Any:
    """The mean loss of the line(s) w x + b (w, b may be arrays of lines: one value each)."""
    kind = regression_loss(loss)
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    predictions = w[..., None] * x + b[..., None]
    ctx = Context()
    each = kind.function.forward(
        ctx,
        predictions,
        np.broadcast_to(y, predictions.shape),
        reduction="none",
        **kind.options(delta),
    )
    return each.mean(axis=-1)


def best_line(x: np.ndarray, y: np.ndarray, loss: str = "MSE", delta: float = 1.0) -> np.ndarray:
    """The exact minimiser (slope, intercept) of the mean ``loss``: the reference that
    descent is measured against.

    - MSE: least squares (``np.linalg.lstsq``).
    - MAE: some minimiser passes through two of the points (it is a linear program, whose
      optimum sits at a vertex), so every line through two points is tried.
    - Huber, Pseudo-Huber: iteratively reweighted least squares. With the loss's slope
      psi(a) (its backward), each point gets the weight psi(a) / a (``bound_curvature``: 1
      in Huber's quadratic zone, delta / |a| beyond it) and a weighted least-squares fit
      gives the next line; each round lowers the loss, and the rounds stop when the line no
      longer moves.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    design = np.column_stack([x, np.ones_like(x)])
    line = np.linalg.lstsq(design, y, rcond=None)[0]
    if loss == "MSE":
        return line
    if loss == "MAE":
        i, j = np.triu_indices(len(x), 1)
        keep = x[i] != x[j]
        i, j = i[keep], j[keep]
        slopes = (y[j] - y[i]) / (x[j] - x[i])
        intercepts = y[i] - slopes * x[i]
        best = int(np.argmin(_mean_loss(x, y, "MAE", delta, slopes, intercepts)))
        return np.array([slopes[best], intercepts[best]])
    kind = regression_loss(loss)
    for _ in range(1000):
        weights = kind.bound_curvature(design @ line - y, delta)  # psi(a) / a
        weighted = design * weights[:, None]
        new = np.linalg.solve(design.T @ weighted, weighted.T @ y)
        if np.abs(new - line).max() < 1e-14:
            return new
        line = new
    return line


def oscillation(descent: Descent, best: np.ndarray, last: int = 1000) -> float:
    """How far descent keeps wandering from the minimiser ``best``: the largest distance
    sqrt((w - w*)^2 + (b - b*)^2) over its last ``last`` steps."""
    w, b = descent.slopes[-last:], descent.intercepts[-last:]
    return float(np.hypot(w - best[0], b - best[1]).max())


def influence(
    counts: Any, size: float = 15.0, loss_names: Any = ("MSE", "MAE", "Huber"), delta: float = 1.0
) -> dict[str, np.ndarray]:
    """The best slope of each loss as outliers are added: {loss: slopes, one per count}."""
    slopes: dict[str, list[float]] = {name: [] for name in loss_names}
    for k in counts:
        x, y, _ = line_with_outliers(int(k), size)
        for name in loss_names:
            slopes[name].append(float(best_line(x, y, name, delta)[0]))
    return {name: np.array(values) for name, values in slopes.items()}


# ----- Newton's method: one step of a constant prediction --------------------------------

# The targets in one leaf of a boosted tree, say: four close together and one far away.
LEAF_TARGETS = np.array([3.1, 3.6, 4.2, 4.8, 12.0])


@dataclass(frozen=True)
class NewtonStep:
    """One Newton step of a constant prediction c: c_next = c - G / H."""

    gradient: float  # G = sum_i d loss_i / d c
    curvature: float  # H = sum_i d^2 loss_i / d c^2 (or the bound's curvature)
    next: float  # c - G / H; nan when H = 0 (no curvature: the step is undefined)


CURVATURES = ("exact", "bound")


def newton_steps(
    loss: str,
    targets: np.ndarray,
    predictions: np.ndarray,
    delta: float = 1.0,
    curvature: str = "exact",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """G, H and the next prediction c - G / H for every constant prediction c at once.

    Each c predicts the same value for all ``targets``; G adds up the loss's slope over
    the targets and H its curvature: the second derivative (``curvature="exact"``, Newton's
    method) or psi(a) / a (``"bound"``, the curvature of a parabola above the loss; see
    ``RegressionLoss.bound_curvature``). Where H = 0 the next prediction is nan: the step
    divides by the curvature, and there is none.
    """
    if curvature not in CURVATURES:
        raise ValueError(
            tr(
                "newton_steps: curvature must be one of {choices}, got {curvature!r}.",
                choices=CURVATURES,
                curvature=curvature,
            )
        )
    kind = regression_loss(loss)
    c = np.asarray(predictions, dtype=np.float64)
    residual = c[..., None] - np.asarray(targets, dtype=np.float64)
    G = kind.gradient(residual, delta).sum(axis=-1)
    each = kind.curvature if curvature == "exact" else kind.bound_curvature
    H = each(residual, delta).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(H > 0, G / np.where(H > 0, H, 1.0), np.nan)
    return G, H, c - step


def newton_step(
    loss: str, targets: np.ndarray, c: float, delta: float = 1.0, curvature: str = "exact"
) -> NewtonStep:
    """One Newton step from the constant prediction ``c`` (see ``newton_steps``)."""
    G, H, following = newton_steps(loss, targets, np.array(float(c)), delta, curvature)
    return NewtonStep(float(G), float(H), float(following))


def newton_iterates(
    loss: str,
    targets: np.ndarray,
    start: float,
    steps: int,
    delta: float = 1.0,
    curvature: str = "exact",
) -> np.ndarray:
    """The predictions after 1, 2, ..., ``steps`` Newton steps from ``start``; once a step
    is undefined or the prediction is no longer finite, the rest are nan."""
    path = np.full(steps, np.nan)
    c = float(start)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            c = newton_step(loss, targets, c, delta, curvature).next
            if not np.isfinite(c):
                break
            path[k] = c
    return path


# ----- a linear SVM and logistic regression -----------------------------------------------

SVM_LAMBDA = 0.01  # the weight of the penalty lambda/2 |w|^2
SVM_CENTRES = np.array([[-1.5, -1.0], [1.5, 1.0]])


def svm_data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs in 2-D (std 0.8 around (-1.5, -1) and (1.5, 1)): ``X`` (n, 2)
    and labels ``y`` in {-1, +1} (float), as the hinge loss wants them."""
    X, labels = make_blobs(n, centers=SVM_CENTRES, std=0.8, seed=seed)
    return X, 2.0 * labels - 1.0


@dataclass(frozen=True)
class LinearClassifier:
    """f(x) = w . x + b; the boundary is f = 0."""

    w: np.ndarray
    b: float
    loss: str

    def scores(self, X: np.ndarray) -> np.ndarray:
        return X @ self.w + self.b

    def margins(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y f(x) for each point: > 0 right side, >= 1 right side and outside the margin."""
        return y * self.scores(X)

    @property
    def margin_width(self) -> float:
        """The distance between the lines f = -1 and f = +1: 2 / |w|."""
        return float(2 / np.linalg.norm(self.w))


def train_linear_classifier(
    X: np.ndarray,
    y: np.ndarray,
    loss: str = "hinge",
    lam: float = SVM_LAMBDA,
    steps: int = 4000,
    lr: float = 1.0,
    n_total: int | None = None,
) -> LinearClassifier:
    """Minimise (1/N) sum_i loss(y_i f(x_i)) + lam/2 |w|^2 by (sub)gradient descent.

    ``loss`` is "hinge" (``F.hinge_loss``: the linear SVM) or "logistic"
    (``F.binary_cross_entropy_with_logits`` with labels (y + 1) / 2: logistic
    regression). Built with gradlib: tensors for w and b, ``backward()``, ``optim.SGD``.
    The hinge's subgradient does not shrink near the optimum (like MAE's), so the rate
    decays (``decaying_rate`` with decay_steps = 1 / lam) and the result is the average
    of the second half of the iterates, which settles where the iterates keep jittering.
    N is ``n_total`` if given (to retrain on a subset with the same objective), else
    len(y).
    """
    if loss not in ("hinge", "logistic"):
        raise ValueError(
            tr(
                "train_linear_classifier: loss must be 'hinge' or 'logistic', got {loss!r}.",
                loss=loss,
            )
        )
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(y) if n_total is None else n_total
    w = tensor(np.zeros(X.shape[1]), requires_grad=True)
    b = tensor(0.0, requires_grad=True)
    optimizer = SGD([w, b], lr=lr)
    average, counted = np.zeros(X.shape[1] + 1), 0
    for k in range(steps):
        scores = X @ w + b
        if loss == "hinge":
            data_term = F.hinge_loss(scores, y, reduction="sum")
        else:
            data_term = F.binary_cross_entropy_with_logits(scores, (y + 1) / 2, reduction="sum")
        objective = data_term / n + lam / 2 * (w * w).sum()
        optimizer.zero_grad()
        objective.backward()
        optimizer.lr = float(decaying_rate(lr, k, 1 / lam))
        optimizer.step()
        if k >= steps // 2:
            average += np.append(w.data, b.data)
            counted += 1
    average /= counted
    return LinearClassifier(average[:-1], float(average[-1]), loss)


# ----- cross-entropy, naive and stable ----------------------------------------------------


def naive_cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """-log softmax(z)[t] for each row, as the formula reads: p = exp(z) / sum exp(z),
    then -log p[t]. exp(1000) is inf in float64, so large logits give nan (inf / inf) or
    inf (-log 0); numpy's warnings are silenced so the notebook shows the numbers."""
    z = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        return -np.log(p[np.arange(len(z)), target])


def stable_cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The same loss by log-sum-exp: log sum_j exp(z_j) - z_t, with the largest logit m
    taken out first, log sum_j exp(z_j) = m + log sum_j exp(z_j - m): every exp is of a
    number <= 0, so nothing overflows (and one term is exp(0) = 1, so the log is finite)."""
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    log_sum_exp = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    return log_sum_exp - z[np.arange(len(z)), target]


def shifted_cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Half of the fix: the largest logit m subtracted first (no overflow), but the
    probability still formed, p = exp(z - m) / sum exp(z - m), then -log p[t]. A logit far
    below the largest gives exp(z_t - m) = 0 exactly (underflow), and -log 0 = inf."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return -np.log(p[np.arange(len(z)), target])


def naive_binary_cross_entropy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-(y log p + (1 - y) log(1 - p)) with p = 1 / (1 + exp(-x)), as written: at large
    |x|, p rounds to exactly 0 or 1, a log gives -inf, and 0 * -inf gives nan."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = 1 / (1 + np.exp(-x))
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))
