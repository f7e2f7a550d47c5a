"""Notebook 03, the maths: forward mode against reverse mode (counted multiply-adds), and
snapshots of a decision boundary recorded during training."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlib.activations import softmax_array
from gradlib.engine import Tensor, no_grad, topological_order


def below(value: float, floor: float = 1e-15) -> str:
    """``"< 1e-9"``: the smallest power of ten above ``value`` (at least ``floor``).

    Differences between two correct gradients are round-off, whose last digits
    depend on the machine's BLAS; a bound prints the same everywhere.
    """
    bound = max(floor, 10.0 ** np.ceil(np.log10(max(value, 1e-300))))
    if bound == value:
        bound *= 10
    return f"< {bound:.0e}"


# ----- forward mode vs reverse mode ------------------------------------------------


def _counted_matmul(a: np.ndarray, b: np.ndarray, macs: list[int]) -> np.ndarray:
    """a @ b for 2-D arrays, adding its m * k * n multiply-adds to ``macs[0]``."""
    macs[0] += a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def mlp_loss_jvp(
    X: np.ndarray,
    target: np.ndarray,
    params: list[np.ndarray],
    tangents: list[np.ndarray],
    macs: list[int] | None = None,
) -> tuple[float, float]:
    """The MLP's loss and its derivative along ``tangents``, in one forward pass.

    Forward mode with dual numbers: every quantity v travels with a tangent v_dot,
    the derivative of v along the chosen direction in parameter space (the
    tangents of W1, b1, W2, b2). Each rule is the product rule with e**2 = 0:
    (a + e a_dot)(b + e b_dot) = ab + e (a b_dot + a_dot b).

        Z1 = X W1 + b1       Z1_dot = X W1_dot + b1_dot                  (N, M)
        H  = relu(Z1)        H_dot  = [Z1 > 0] * Z1_dot                  (N, M)
        Z2 = H W2 + b2       Z2_dot = H_dot W2 + H W2_dot + b2_dot       (N, C)
        L  = mean_i -log softmax(Z2)[i, target_i]
                             L_dot  = sum((softmax(Z2) - Y) / N * Z2_dot)

    Y is the one-hot target (N, C). With the tangent of a single weight set to 1
    (all others 0), L_dot is dL/d(that weight): one pass per weight. ``macs`` (a
    one-element list) accumulates the multiply-adds of the five matrix products.
    """
    if macs is None:
        macs = [0]
    W1, b1, W2, b2 = params
    W1_dot, b1_dot, W2_dot, b2_dot = tangents
    Z1 = _counted_matmul(X, W1, macs) + b1
    Z1_dot = _counted_matmul(X, W1_dot, macs) + b1_dot
    H = np.maximum(Z1, 0.0)
    H_dot = (Z1 > 0) * Z1_dot
    Z2 = _counted_matmul(H, W2, macs) + b2
    Z2_dot = _counted_matmul(H_dot, W2, macs) + _counted_matmul(H, W2_dot, macs) + b2_dot
    P = softmax_array(Z2, axis=1)
    n = len(target)
    loss = -np.mean(np.log(P[np.arange(n), target]))
    Y = np.eye(Z2.shape[1])[target]
    return float(loss), float(np.sum((P - Y) / n * Z2_dot))


def forward_mode_gradient(
    X: np.ndarray, target: np.ndarray, params: list[np.ndarray]
) -> tuple[list[np.ndarray], int, int]:
    """The full gradient by forward mode: one ``mlp_loss_jvp`` pass per parameter entry.

    Returns (gradients shaped like ``params``, number of passes, multiply-adds).
    """
    macs = [0]
    grads = [np.zeros_like(p) for p in params]
    passes = 0
    for k, p in enumerate(params):
        for index in np.ndindex(p.shape):
            tangents = [np.zeros_like(q) for q in params]
            tangents[k][index] = 1.0
            _, grads[k][index] = mlp_loss_jvp(X, target, params, tangents, macs)
            passes += 1
    return grads, passes, macs[0]


@dataclass
class ReverseModeCost:
    """What the recorded graph of a loss costs forward and backward."""

    ops: Counter = field(default_factory=Counter)  # op name -> how many (forward = backward calls)
    forward_macs: int = 0  # multiply-adds of the matrix products, forward
    backward_macs: int = 0  # and backward (one product per input that needs a gradient)


def reverse_mode_cost(loss: Tensor) -> ReverseModeCost:
    """Count the ops in ``loss``'s graph and the multiply-adds of its matrix products.

    ``loss.backward()`` walks ``topological_order(loss)`` in reverse and calls the
    backward of every recorded op exactly once, so the ops recorded by the forward
    pass are also the backward calls. A 2-D MatMul of (m, k) by (k, n) costs m k n
    multiply-adds forward; its backward costs m k n for each input that needs a
    gradient (grad @ b.T and a.T @ grad are products of the same size).
    """
    cost = ReverseModeCost()
    for t in topological_order(loss):
        if t._node is None:
            continue
        name = t._node.function.__name__
        cost.ops[name] += 1
        if name == "MatMul":
            a, b = t._node.ctx.a, t._node.ctx.b
            size = int(np.prod(a.shape)) * b.shape[-1]
            cost.forward_macs += size
            cost.backward_macs += size * sum(t._node.ctx.needs_input_grad)
    return cost


# ----- training snapshots and the training-step widget ---------------------------


@dataclass
class Snapshot:
    """What ``BoundarySnapshots.record`` keeps of one training step."""

    step: int
    loss: float
    accuracy: float
    probability: np.ndarray  # P(class 1) on the grid, shape (grid_size, grid_size)


class BoundarySnapshots:
    """The decision boundary of a 2-class model at recorded training steps.

    ``record(step, loss, model)`` evaluates ``model`` (a function from an (n, 2)
    array to logits of shape (n, 2)) on the data and on a fixed grid once, so
    ``plot_training_step`` only has to draw.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, grid_size: int = 80, margin: float = 0.5):
        self.X, self.y = X, y
        lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
        self.xs = np.linspace(lo[0], hi[0], grid_size)
        self.ys = np.linspace(lo[1], hi[1], grid_size)
        gx, gy = np.meshgrid(self.xs, self.ys)
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.snapshots: list[Snapshot] = []

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def record(self, step: int, loss: float, model: Any) -> None:
        with no_grad():
            grid_logits = np.asarray(model(self.grid).data)
            data_logits = np.asarray(model(self.X).data)
        probability = softmax_array(grid_logits, axis=1)[:, 1].reshape(len(self.ys), len(self.xs))
        accuracy = float(np.mean(data_logits.argmax(axis=1) == self.y))
        self.snapshots.append(Snapshot(int(step), float(loss), accuracy, probability))

    def at(self, step: int) -> Snapshot:
        """The snapshot recorded at ``step`` (or the latest one before it)."""
        if not self.snapshots:
            raise ValueError("BoundarySnapshots: nothing recorded yet; call record() in the loop.")
        earlier = [s for s in self.snapshots if s.step <= step]
        return earlier[-1] if earlier else self.snapshots[0]
