"""Notebook 07, convexity: is the cost convex in the logits, in a linear model's weights,
in a network's weights?

A function is convex when it lies below every chord: f((1 - t) u + t v) <= (1 - t) f(u)
+ t f(v). Along any straight line through parameter space its second derivative is then
>= 0. Two tests follow, both used here:

- along a line u + t d, the second differences (f(t - s) - 2 f(t) + f(t + s)) / s^2 never
  go below 0 (up to round-off);
- between two points, the midpoint is not above the average of the ends.

One failure on one line is enough to show a function is not convex; no number of
passes proves that it is (that is what the Hessian's eigenvalues do, in the logits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradlib.activations import softmax_array
from gradlib.engine import no_grad, tensor
from gradlib.lessons.cross_entropy_vs_mse.experiment import make_network, set_network_parameters
from gradlib.lessons.cross_entropy_vs_mse.maths import classification_cost, second_differences

__all__ = [
    "MidpointGap",
    "NetworkCost",
    "bends_down",
    "ce_logit_hessians",
    "linear_model_line",
    "midpoint_gap",
    "network_line",
    "permute_hidden_units",
    "random_direction",
]

ROUND_OFF = 1e-8  # see bends_down


def ce_logit_hessians(logits: np.ndarray) -> np.ndarray:
    """The Hessian of cross-entropy in the logits for each row of ``logits`` (N, K):
    diag(p) - p p^T, the same matrix as the softmax Jacobian. Shape (N, K, K).

    It does not depend on the label: -log p_y = logsumexp(z) - z_y, and z_y is linear.
    """
    p = softmax_array(np.asarray(logits, dtype=np.float64), axis=-1)
    return p[:, :, None] * np.eye(p.shape[1]) - p[:, :, None] * p[:, None, :]


def bends_down(costs: np.ndarray, ts: np.ndarray) -> bool:
    """True when the costs along an evenly spaced line have a negative second difference
    beyond round-off: the line shows that the function is not convex.

    Each cost is off by about eps |f|, so a second difference by about 4 eps |f| / s^2;
    anything above -ROUND_OFF |f| / s^2 (ROUND_OFF = 1e-8, far above eps) counts as 0.
    """
    step = float(ts[1] - ts[0])
    curvature = second_differences(costs, step)
    return bool(curvature.min() < -ROUND_OFF * np.abs(costs).max() / step**2)


def linear_model_line(
    X: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    d_weight: np.ndarray,
    d_bias: np.ndarray,
    ts: np.ndarray,
    cost: str,
) -> np.ndarray:
    """The cost of the linear model z = X W^T + b along the line (W, b) + t (dW, db).

    The logits move in a straight line too: z(t) = z0 + t dz with z0 = X W^T + b and
    dz = X dW^T + db. So the cost along the line is the cost in the logits along a line,
    and a function convex in the logits stays convex in W and b.
    """
    z0 = X @ weight.T + bias
    dz = X @ d_weight.T + d_bias
    with no_grad():
        return np.array([classification_cost(tensor(z0 + t * dz), labels, cost).item() for t in ts])


class NetworkCost:
    """The cost of the notebook's 64-32-10 network with given weights on (X, labels)."""

    def __init__(self, X: np.ndarray, labels: np.ndarray, cost: str = "cross-entropy") -> None:
        self.model = make_network(seed=0)  # its weights are overwritten by every call
        self.X, self.labels, self.cost = X, labels, cost

    def __call__(self, parameters: Sequence[np.ndarray]) -> float:
        set_network_parameters(self.model, list(parameters))
        with no_grad():
            return classification_cost(self.model(self.X), self.labels, self.cost).item()


def network_line(
    cost: NetworkCost,
    start: Sequence[np.ndarray],
    direction: Sequence[np.ndarray],
    ts: np.ndarray,
) -> np.ndarray:
    """The cost at start + t direction for each t (parameters as lists of arrays)."""
    return np.array([cost([s + t * d for s, d in zip(start, direction)]) for t in ts])


def random_direction(
    like: Sequence[np.ndarray], length: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """A direction with the shapes of ``like``, Gaussian, scaled to total length ``length``."""
    direction = [rng.standard_normal(np.shape(p)) for p in like]
    norm = np.sqrt(sum(float((d**2).sum()) for d in direction))
    return [d * (length / norm) for d in direction]


def permute_hidden_units(
    parameters: Sequence[np.ndarray], permutation: np.ndarray
) -> list[np.ndarray]:
    """The same network with its hidden units renumbered: it computes the same function.

    Parameters in ``model.parameters()`` order: W1 (hidden, in), b1 (hidden,),
    W2 (out, hidden), b2 (out,). Unit i of the new network is unit permutation[i] of the
    old one: rows of W1 and entries of b1 move, and so do the columns of W2 that read them.
    """
    W1, b1, W2, b2 = parameters
    return [W1[permutation], b1[permutation], W2[:, permutation], b2.copy()]


@dataclass
class MidpointGap:
    """f at two points, at their midpoint, and how far the midpoint is above the chord."""

    at_start: float
    at_end: float
    at_midpoint: float

    @property
    def above_chord(self) -> float:
        """f(midpoint) - (f(u) + f(v)) / 2: <= 0 for every pair if f is convex."""
        return self.at_midpoint - 0.5 * (self.at_start + self.at_end)


def midpoint_gap(
    cost: NetworkCost, u: Sequence[np.ndarray], v: Sequence[np.ndarray]
) -> MidpointGap:
    """The midpoint test of convexity between two weight settings u and v."""
    middle = [0.5 * (a + b) for a, b in zip(u, v)]
    return MidpointGap(cost(u), cost(v), cost(middle))
