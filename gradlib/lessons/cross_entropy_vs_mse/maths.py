"""Notebook 07, the maths: one sigmoid neuron under both costs, the gradient at the logits
derived and checked, Hessians and slices for convexity, and the probabilistic view.

Notation (the notebook's): a neuron computes z = w x + b and a = sigma(z); a softmax
layer turns logits z (K,) into probabilities p = softmax(z). y is the target: 0 or 1 for
the neuron, a one-hot vector for the softmax. The two costs, per sample:

    quadratic (MSE):  C = 1/2 sum_k (p_k - y_k)^2        (1/2 (a - y)^2 for one neuron)
    cross-entropy:    C = -sum_k y_k log p_k             (-(y log a + (1 - y) log(1 - a)))

The 1/2 is Nielsen's; it makes dC/dp = p - y. Every cost is built from gradlib ops, so
backward() gives its gradient, and the formulas below are checked against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib.activations import softmax_array, stable_sigmoid
from gradlib.engine import Tensor, as_tensor, tensor
from gradlib.language import tr

__all__ = [
    "COSTS",
    "NIELSEN_BOOK",
    "NIELSEN_EPOCHS",
    "NIELSEN_LR",
    "NIELSEN_STARTS",
    "NeuronRun",
    "ReliabilityBins",
    "book_animation_run",
    "categorical_nll",
    "classification_cost",
    "epochs_until_below",
    "gaussian_nll",
    "logit_gradient",
    "logit_gradient_by_jacobian",
    "logit_gradient_formula",
    "neuron_cost",
    "neuron_gradient",
    "neuron_run",
    "numerical_hessian",
    "numerical_jacobian",
    "one_hot",
    "probability_gradient",
    "push_scenarios",
    "quadratic_cost",
    "reliability",
    "second_differences",
    "sigmoid_prime",
    "softmax_jacobian",
]

COSTS = ("quadratic", "cross-entropy")


def cost_name(cost: str) -> str:
    """A cost's name as a learner reads it ("quadratic", "cross-entropy" in English)."""
    return {"quadratic": tr("quadratic"), "cross-entropy": tr("cross-entropy")}[cost]


def cost_title(cost: str) -> str:
    """A cost's name at the start of a title ("Quadratic cost", "Cross-entropy cost")."""
    return {"quadratic": tr("Quadratic cost"), "cross-entropy": tr("Cross-entropy cost")}[cost]


def _unknown_cost(function: str, cost: object) -> str:
    return tr(
        "{function}: cost must be one of {costs}, got {got!r}",
        function=function,
        costs=COSTS,
        got=cost,
    )


# ----- one sigmoid neuron (Nielsen, ch. 3) -------------------------------------------------

NEURON_INPUT = 1.0  # x: Nielsen's neuron has one input, always 1
NEURON_TARGET = 0.0  # y: and learns to output 0
NIELSEN_LR = 0.15
NIELSEN_EPOCHS = 300
NIELSEN_STARTS = ((0.6, 0.9), (2.0, 2.0))  # (w, b): a good start and a saturated one
# The book's printed numbers for the two starts (see shared/REFERENCES.md).
NIELSEN_BOOK = {
    "output": (0.8176, 0.9820),
    "quadratic dC/dw": (0.1219, 0.0173),
    "cross-entropy dC/dw": (0.8176, 0.9820),
}


def sigmoid_prime(z: Any) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)), at most 1/4 (at z = 0)."""
    s = stable_sigmoid(np.asarray(z, dtype=np.float64))
    return s * (1 - s)


def neuron_cost(z: Any, y: float, cost: str) -> Tensor:
    """The cost of one sigmoid neuron with pre-activation z, as a gradlib Tensor.

    quadratic: 1/2 (sigma(z) - y)^2; cross-entropy: -(y log a + (1 - y) log(1 - a)),
    computed from z (``binary_cross_entropy_with_logits``), stable for any z.
    """
    z = as_tensor(z)
    target = np.full(z.shape, y, dtype=np.float64)
    if cost == "quadratic":
        return 0.5 * F.mse_loss(F.sigmoid(z), target, reduction="sum")
    if cost == "cross-entropy":
        return F.binary_cross_entropy_with_logits(z, target, reduction="sum")
    raise ValueError(_unknown_cost("neuron_cost", cost))


def neuron_gradient(
    w: float, b: float, cost: str, x: float = NEURON_INPUT, y: float = NEURON_TARGET
):
    """(a, dC/dw, dC/db) of one neuron, from gradlib's backward()."""
    w_t, b_t = tensor(float(w), requires_grad=True), tensor(float(b), requires_grad=True)
    z = w_t * x + b_t
    neuron_cost(z, y, cost).backward()
    return float(stable_sigmoid(z.data)), float(w_t.grad), float(b_t.grad)


@dataclass
class NeuronRun:
    """Gradient descent on one neuron: every quantity at epochs 0 .. epochs.

    ``dC_dz`` is the gradient at the pre-activation: (a - y) sigma'(z) for the quadratic
    cost, (a - y) for cross-entropy. dC/dw = dC/dz x and dC/db = dC/dz.
    """

    cost: str
    lr: float
    x: float
    y: float
    w: np.ndarray
    b: np.ndarray
    z: np.ndarray
    a: np.ndarray
    cost_values: np.ndarray
    error: np.ndarray  # a - y
    slope: np.ndarray  # sigma'(z)
    dC_dz: np.ndarray

    @property
    def dC_dw(self) -> np.ndarray:
        return self.dC_dz * self.x


def _dC_dz(a: np.ndarray, y: float, cost: str) -> np.ndarray:
    if cost == "quadratic":
        return (a - y) * a * (1 - a)  # (a - y) sigma'(z): the chain rule through sigma
    return a - y  # cross-entropy: dC/da = (a - y) / (a (1 - a)) cancels sigma'(z)


def neuron_run(
    w: float,
    b: float,
    lr: float = NIELSEN_LR,
    cost: str = "quadratic",
    epochs: int = NIELSEN_EPOCHS,
    x: float = NEURON_INPUT,
    y: float = NEURON_TARGET,
) -> NeuronRun:
    """``epochs`` steps of gradient descent on one neuron: w -= lr dC/dw, b -= lr dC/db.

    One epoch is one step: the training set is the single example (x, y). The
    gradient is the formula of ``NeuronRun`` (the notebook checks it against
    backward() with ``neuron_gradient``); a scalar loop is fast enough for a widget.
    """
    if cost not in COSTS:
        raise ValueError(_unknown_cost("neuron_run", cost))
    ws, bs = np.empty(epochs + 1), np.empty(epochs + 1)
    ws[0], bs[0] = w, b
    for t in range(epochs):
        a = float(stable_sigmoid(np.float64(ws[t] * x + bs[t])))
        step = lr * float(_dC_dz(np.float64(a), y, cost))
        ws[t + 1] = ws[t] - step * x
        bs[t + 1] = bs[t] - step
    z = ws * x + bs
    a = stable_sigmoid(z)
    if cost == "quadratic":
        values = 0.5 * (a - y) ** 2
    else:  # -(y log a + (1 - y) log(1 - a)) written with softplus, stable for any z
        values = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    return NeuronRun(cost, lr, x, y, ws, bs, z, a, values, a - y, a * (1 - a), _dC_dz(a, y, cost))


def book_animation_run(
    w: float, b: float, lr: float = 0.005, epochs: int = NIELSEN_EPOCHS
) -> np.ndarray:
    """The outputs a of the update that Nielsen's animated cross-entropy figures show.

    Their code (see shared/REFERENCES.md) moves w and b by lr / (1 - a), which is dC/da
    for target 0, instead of the dC/dw = (a - y) x the book derives: the factor
    sigma'(z) is left out. Input 1, target 0, as in the book.
    """
    a = np.empty(epochs + 1)
    for t in range(epochs + 1):
        a[t] = float(stable_sigmoid(np.float64(w + b)))
        step = lr / (1 - a[t])
        w, b = w - step, b - step
    return a


def epochs_until_below(values: np.ndarray, threshold: float) -> int | None:
    """The first epoch at which ``values`` is below ``threshold`` (None if never)."""
    below = np.flatnonzero(np.asarray(values) < threshold)
    return int(below[0]) if below.size else None


# ----- the gradient at the logits ----------------------------------------------------------


def one_hot(labels: Any, classes: int) -> np.ndarray:
    """Rows of the identity: one_hot([2, 0], 3) = [[0, 0, 1], [1, 0, 0]]."""
    return np.eye(classes)[np.asarray(labels)]


def quadratic_cost(probabilities: Any, targets: Any) -> Tensor:
    """1/2 sum_k (p_k - y_k)^2, averaged over the N rows: the quadratic cost of a batch.

    PyTorch's ``mse_loss(p, y)`` averages over all N K entries and has no 1/2, so it is
    2/K times this: the same minimiser, a K/2 times smaller gradient.
    """
    p = as_tensor(probabilities)
    return 0.5 * F.mse_loss(p, targets, reduction="sum") / p.shape[0]


def classification_cost(logits: Any, labels: Any, cost: str) -> Tensor:
    """The mean cost of a batch of logits (N, K) and integer labels (N,).

    quadratic: ``quadratic_cost(softmax(logits), one_hot(labels))``;
    cross-entropy: ``cross_entropy(logits, labels)`` = mean of -log p_label.
    """
    z = as_tensor(logits)
    if cost == "quadratic":
        return quadratic_cost(F.softmax(z, dim=1), one_hot(labels, z.shape[1]))
    if cost == "cross-entropy":
        return F.cross_entropy(z, labels)
    raise ValueError(_unknown_cost("classification_cost", cost))


def softmax_jacobian(z: Any) -> np.ndarray:
    """dp/dz for p = softmax(z), z of shape (K,): diag(p) - p p^T (symmetric, (K, K))."""
    p = softmax_array(np.asarray(z, dtype=np.float64), axis=-1)
    return np.diag(p) - np.outer(p, p)


def logit_gradient_formula(z: Any, labels: Any, cost: str) -> np.ndarray:
    """dC/dz of the mean cost over a batch of logits (N, K), from the derived formulas.

    cross-entropy:  (p - Y) / N
    quadratic:      J(z_n) (p_n - y_n) / N for each row n, with J = diag(p) - p p^T,
                    i.e. p * ((p - Y) - sum_k p_k (p_k - y_k)) / N
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    p = softmax_array(z, axis=1)
    Y = one_hot(labels, z.shape[1])
    n = z.shape[0]
    if cost == "cross-entropy":
        return (p - Y) / n
    residual = p - Y
    return p * (residual - (p * residual).sum(axis=1, keepdims=True)) / n


def probability_gradient(z: Any, labels: Any, cost: str) -> np.ndarray:
    """dC/dp of one sample's cost, for each row of logits (N, K): the first factor of the
    chain rule dC/dz = J^T dC/dp.

    quadratic:      p - y
    cross-entropy:  -y / p   (only the label's entry is nonzero: -1 / p_label)
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    p = softmax_array(z, axis=1)
    Y = one_hot(labels, z.shape[1])
    if cost == "quadratic":
        return p - Y
    if cost == "cross-entropy":
        return -Y / p
    raise ValueError(_unknown_cost("probability_gradient", cost))


def logit_gradient_by_jacobian(z: Any, labels: Any, cost: str) -> np.ndarray:
    """dC/dz of the mean cost over a batch of logits (N, K), by the chain rule with the full
    K x K Jacobian of each row: J(z_n)^T dC/dp_n / N, with J = ``softmax_jacobian``.

    Nothing is simplified by hand, so it checks ``logit_gradient_formula``: for
    cross-entropy J^T (-y / p) collapses to p - y, the way sigma'(z) cancels for one neuron.
    """
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    upstream = probability_gradient(z, labels, cost)
    rows = [softmax_jacobian(row).T @ g for row, g in zip(z, upstream)]
    return np.array(rows) / z.shape[0]


def logit_gradient(z: Any, labels: Any, cost: str) -> np.ndarray:
    """dC/dz of ``classification_cost`` from gradlib's backward()."""
    logits = tensor(np.atleast_2d(np.asarray(z, dtype=np.float64)), requires_grad=True)
    classification_cost(logits, np.atleast_1d(labels), cost).backward()
    return logits.grad


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], z: Any, h: float = 1e-6):
    """J[i, j] = d f_i / d z_j by central differences, one column per entry of z (1-D)."""
    z = np.asarray(z, dtype=np.float64)
    columns = []
    for j in range(z.size):
        step = np.zeros_like(z)
        step[j] = h
        columns.append((np.asarray(f(z + step)) - np.asarray(f(z - step))) / (2 * h))
    return np.stack(columns, axis=-1)


def numerical_hessian(cost: Callable[[Tensor], Tensor], z: Any, h: float = 1e-5) -> np.ndarray:
    """The Hessian of a scalar cost at z (1-D): central differences of its gradient, where
    each gradient comes from gradlib's backward(); symmetrised."""

    def gradient(point: np.ndarray) -> np.ndarray:
        leaf = tensor(point, requires_grad=True)
        cost(leaf).backward()
        return leaf.grad

    H = numerical_jacobian(gradient, z, h)
    return 0.5 * (H + H.T)


def second_differences(values: np.ndarray, step: float) -> np.ndarray:
    """(f(t - s) - 2 f(t) + f(t + s)) / s^2 on an evenly spaced line: f'' along it."""
    values = np.asarray(values, dtype=np.float64)
    return (values[:-2] - 2 * values[1:-1] + values[2:]) / step**2


def push_scenarios(p_true: np.ndarray, classes: int = 10) -> dict[str, np.ndarray]:
    """Logits (n, classes) whose softmax gives the true class (index 0) probability p_true,
    with the rest either on one wrong class ("on one wrong class": confidently wrong) or
    "spread evenly" over the others. The names are in the current language (``tr``)."""
    p_true = np.asarray(p_true, dtype=np.float64)
    rest = 1 - p_true
    on_one = np.full((p_true.size, classes), 1e-12)
    on_one[:, 0], on_one[:, 1] = p_true, rest
    spread = np.repeat((rest / (classes - 1))[:, None], classes, axis=1)
    spread[:, 0] = p_true
    # the names are printed and drawn, so they come in the learner's language
    return {tr("on one wrong class"): np.log(on_one), tr("spread evenly"): np.log(spread)}


# ----- the probabilistic view ------------------------------------------------------------


def categorical_nll(probabilities: Any, labels: Any) -> np.ndarray:
    """-log P(label | x) under the categorical distribution p: one number per row."""
    p = np.asarray(probabilities, dtype=np.float64)
    return -np.log(p[np.arange(len(p)), np.asarray(labels)])


def gaussian_nll(targets: Any, means: Any, variance: float = 1.0) -> np.ndarray:
    """-log N(y; p, variance I) of each row: sum_k (y_k - p_k)^2 / (2 variance)
    + K/2 log(2 pi variance). With variance 1 it is the quadratic cost plus a constant."""
    y, mu = np.asarray(targets, dtype=np.float64), np.asarray(means, dtype=np.float64)
    k = y.shape[-1]
    return ((y - mu) ** 2).sum(axis=-1) / (2 * variance) + 0.5 * k * np.log(2 * np.pi * variance)


@dataclass
class ReliabilityBins:
    """Predictions grouped by confidence (the largest probability) into equal-width bins."""

    edges: np.ndarray  # (bins + 1,)
    confidence: np.ndarray  # mean confidence in each bin (nan when empty)
    accuracy: np.ndarray  # fraction right in each bin (nan when empty)
    counts: np.ndarray

    @property
    def expected_calibration_error(self) -> float:
        """sum_b (n_b / n) |accuracy_b - confidence_b| (Guo et al. 2017)."""
        used = self.counts > 0
        weights = self.counts[used] / self.counts.sum()
        return float(np.sum(weights * np.abs(self.accuracy[used] - self.confidence[used])))


def reliability(probabilities: Any, labels: Any, bins: int = 10) -> ReliabilityBins:
    """Reliability diagram data: in each confidence bin, the mean confidence and the
    accuracy. A calibrated model is right 80% of the time when it says 0.8."""
    p = np.asarray(probabilities, dtype=np.float64)
    confidence = p.max(axis=1)
    right = (p.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, confidence, minlength=bins) / counts
        accuracy = np.bincount(which, right, minlength=bins) / counts
    return ReliabilityBins(edges, mean_conf, accuracy, counts)
