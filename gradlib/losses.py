"""Loss functions, each with its gradient beside it.

A loss compares a prediction with a target, one number per element (or per
sample), then reduces them: ``reduction='mean'`` (the default, as in PyTorch)
averages, ``'sum'`` adds up and ``'none'`` returns them all.

Each loss is a ``Function`` whose docstring gives the forward formula and the
gradient; the public functions at the bottom (``mse_loss``, ``cross_entropy``,
...) check their arguments and apply it. Like every gradlib op, a loss can be
run on plain numpy arrays, without the engine::

    ctx = Context()
    loss = MSELoss.forward(ctx, x, y)                # 'mean' by default
    dx, dy = MSELoss.backward(ctx, np.float64(1.0))  # dL/dx and dL/dy

Two kinds of target:

- A real-valued target (``mse_loss``, ``l1_loss``, ``huber_loss``,
  ``smooth_l1_loss``, ``pseudo_huber_loss`` and the binary cross-entropies) is an
  input like any other: it may need a gradient too (two predictions compared
  with each other), so those backwards return ``(dL/dinput, dL/dtarget)``.
- A label (a class index, or -1/+1 for ``hinge_loss``) is a constant: those
  backwards return ``dL/dinput`` only.

``g`` in the docstrings is the upstream gradient reaching each element's loss:
``grad / n`` for 'mean' over n elements, ``grad`` for 'sum', ``grad[i]`` for
'none'. Options after ``target`` are keyword-only: write ``reduction='sum'``,
which also works in PyTorch. A target that does not fit (wrong shape, wrong
dtype, a class index out of range) raises an error that says what to change.

The regression losses also give their second derivative, per element, as a
static method on plain numpy arrays (the diagonal of the Hessian; Newton's method
and XGBoost-style boosting divide by it)::

    HuberLoss.second_derivative(a, delta=1.0)   # 1 where |a| < delta, else 0
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from gradlib import ops
from gradlib.activations import log_softmax_array, stable_sigmoid
from gradlib.engine import Context, Function, Tensor, as_tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "HuberLoss",
    "L1Loss",
    "LargeMarginPsi",
    "MSELoss",
    "MultiMarginLoss",
    "NLLLoss",
    "PseudoHuberLoss",
    "SmoothL1Loss",
    "am_softmax_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "huber_loss",
    "l1_loss",
    "large_margin_psi",
    "large_margin_softmax_loss",
    "mse_loss",
    "multi_margin_loss",
    "nll_loss",
    "pseudo_huber_loss",
    "smooth_l1_loss",
    "soft_margin_softmax_loss",
]

Reduction = Literal["mean", "sum", "none"]

# ----- reduction and its backward --------------------------------------------------


def _reduce(losses: np.ndarray, reduction: str, op: str) -> np.ndarray:
    """Combine the per-element losses: their mean, their sum, or all of them."""
    if reduction == "mean":
        return np.asarray(losses.mean())
    if reduction == "sum":
        return np.asarray(losses.sum())
    if reduction == "none":
        return losses
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def _spread(grad: Any, shape: tuple[int, ...], reduction: str, dtype: Any) -> np.ndarray:
    """The backward of ``_reduce``: g = dL/d(each per-element loss), of ``shape``.

    A mean over n elements passes grad / n to each of them, a sum passes grad to
    each, and with 'none' there is already one gradient per element.
    """
    grad = np.asarray(grad, dtype=dtype)
    if reduction == "none":
        return grad
    if reduction == "mean":
        grad = grad / math.prod(shape)
    return np.broadcast_to(grad, shape)


# ----- argument checks ----------------------------------------------------------------


def _position(mask: np.ndarray) -> int | tuple[int, ...]:
    """Index of the first True in ``mask``: an int for 1-D arrays, else a tuple."""
    where = tuple(int(i) for i in np.argwhere(mask)[0])
    return where[0] if len(where) == 1 else where


def _check_same_shape(op: str, input: np.ndarray, target: np.ndarray) -> None:
    if input.shape == target.shape:
        return
    if input.size == target.size:
        fix = f"Reshape one of them, e.g. target.reshape({input.shape})"
    else:
        fix = "Check that you passed the matching prediction and target"
    raise ValueError(
        f"{op}: input has shape {input.shape} but target has shape {target.shape}; they must "
        "match. gradlib does not broadcast a loss's input against its target: (N, 1) against "
        f"(N,) would silently compare every prediction with every target. {fix}."
    )


def _check_in_unit_interval(op: str, what: str, values: np.ndarray, advice: str) -> None:
    bad = ~((values >= 0) & (values <= 1))  # also catches nan
    if np.any(bad):
        where = _position(bad)
        raise ValueError(
            f"{op}: {what} must lie in [0, 1], found {values[where]} at index {where}. {advice}"
        )


def _check_class_target(op: str, target: np.ndarray, input_shape: tuple[int, ...]) -> None:
    """Raise a helpful error unless ``target`` holds one valid class index per sample.

    ``input_shape`` is (N, C) or (N, C, d1, ...): classes on axis 1. ``target``
    must be an integer array of shape (N,) or (N, d1, ...) with entries 0..C-1.
    """
    if len(input_shape) < 2:
        raise ValueError(
            f"{op}: input must have shape (N, C), one row of class scores per sample, "
            f"got shape {input_shape}."
        )
    num_classes = input_shape[1]
    expected = input_shape[:1] + input_shape[2:]
    if target.dtype.kind not in "iu":
        if target.shape == input_shape:
            fix = (
                f"target has the input's shape {input_shape}, so it looks like one-hot rows "
                "or class probabilities; gradlib takes class indices: target.argmax(axis=1)"
            )
        else:
            fix = "convert it with target.astype(np.int64)"
        raise TypeError(
            f"{op}: target has dtype {target.dtype}, but it must hold integer class indices; {fix}."
        )
    if target.shape != expected:
        if target.shape == input_shape:
            fix = " It looks one-hot: pass target.argmax(axis=1)."
        elif target.size == math.prod(expected):
            fix = f" Try target.reshape({expected})."
        else:
            fix = ""
        raise ValueError(
            f"{op}: target has shape {target.shape}, but class scores of shape {input_shape} "
            f"need a target of shape {expected}: one class index per sample.{fix}"
        )
    if target.size == 0:
        return
    if target.min() < 0:
        where = _position(target < 0)
        raise IndexError(
            f"{op}: target holds {target[where]} at index {where}; class indices must be "
            f"0..{num_classes - 1} (C = {num_classes}). gradlib has no ignore_index: remove "
            "those samples instead."
        )
    if target.max() >= num_classes:
        where = _position(target >= num_classes)
        raise IndexError(
            f"{op}: target holds class {target[where]} at index {where}, but there are only "
            f"C = {num_classes} classes (valid indices 0..{num_classes - 1}). If your labels "
            f"count from 1, subtract 1; otherwise the model needs {target.max() + 1} outputs."
        )


def _check_positive(op: str, name: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{op}: {name} must be {bound}, got {value}.")


# ----- regression losses -----------------------------------------------------------------


def _real_dtype(diff: Any) -> np.dtype:
    """The dtype of a second derivative: the residuals' float dtype, float64 for integers."""
    dtype = np.asarray(diff).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


class MSELoss(Function):
    """Mean squared error: loss_i = (x_i - y_i)^2.

    Shapes: input x and target y the same, any shape; the output is a scalar,
    or x's shape for 'none'.

    Gradient: dL/dx_i = 2 g_i (x_i - y_i), dL/dy_i = -dL/dx_i
    (for 'mean' over n elements: 2 (x - y) / n).
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_same_shape("mse_loss", input, target)
        ctx.diff, ctx.reduction = input - target, reduction
        return _reduce(ctx.diff**2, reduction, "mse_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.diff.shape, ctx.reduction, ctx.diff.dtype)
        dx = 2 * ctx.diff * g
        return dx, -dx

    @staticmethod
    def second_derivative(diff: np.ndarray) -> np.ndarray:
        """d^2 loss_i / dx_i^2 = 2 for every residual a = x - y: the same curvature everywhere."""
        return np.full(np.shape(diff), 2.0, dtype=_real_dtype(diff))


class L1Loss(Function):
    """Mean absolute error: loss_i = |x_i - y_i|.

    Gradient: dL/dx_i = g_i sign(x_i - y_i), dL/dy_i = -dL/dx_i, with sign(0) = 0
    as in PyTorch: a prediction that is exactly right gets no push.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_same_shape("l1_loss", input, target)
        ctx.diff, ctx.reduction = input - target, reduction
        return _reduce(np.abs(ctx.diff), reduction, "l1_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.diff.shape, ctx.reduction, ctx.diff.dtype)
        dx = g * np.sign(ctx.diff)
        return dx, -dx

    @staticmethod
    def second_derivative(diff: np.ndarray) -> np.ndarray:
        """d^2 loss_i / dx_i^2 = 0 for a != 0: |a| is straight on each side of 0.

        At a = 0 the slope jumps from -1 to +1, so there is no second derivative
        (the curvature is all in that one point); 0 is returned there too, as
        autograd frameworks do. A Newton step divides by it, so MAE gives Newton
        nothing to work with.
        """
        return np.zeros(np.shape(diff), dtype=_real_dtype(diff))


class HuberLoss(Function):
    """Huber loss: quadratic for small residuals, linear for large ones.

    With a = x - y:  loss = 0.5 a^2              if |a| < delta
                           delta (|a| - 0.5 delta) otherwise
    The two pieces meet with equal value and slope at |a| = delta, so outliers
    pull with a force of at most delta instead of growing like MSE's 2a.

    Gradient: dL/dx = g clip(a, -delta, delta), dL/dy = -dL/dx.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean", delta: float = 1.0):
        _check_same_shape("huber_loss", input, target)
        _check_positive("huber_loss", "delta", delta)
        a = input - target
        ctx.diff, ctx.delta, ctx.reduction = a, delta, reduction
        losses = np.where(np.abs(a) < delta, 0.5 * a * a, delta * (np.abs(a) - 0.5 * delta))
        return _reduce(losses, reduction, "huber_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.diff.shape, ctx.reduction, ctx.diff.dtype)
        dx = g * np.clip(ctx.diff, -ctx.delta, ctx.delta)
        return dx, -dx

    @staticmethod
    def second_derivative(diff: np.ndarray, delta: float = 1.0) -> np.ndarray:
        """d^2 loss_i / dx_i^2 = 1 where |a| < delta, 0 where |a| > delta.

        It jumps at |a| = delta, where the slope clip(a, -delta, delta) has a
        corner; 0 is returned there (PyTorch's double backward agrees). Outside
        delta the loss is straight: it has no curvature for a Newton step to use.
        """
        _check_positive("huber_loss", "delta", delta)
        return (np.abs(diff) < delta).astype(_real_dtype(diff))


class SmoothL1Loss(Function):
    """Smooth L1 loss = Huber(beta) / beta: slope 1 (not beta) in the linear part.

    With a = x - y:  loss = 0.5 a^2 / beta   if |a| < beta
                           |a| - 0.5 beta    otherwise
    beta = 0 gives the L1 loss (the limit, and PyTorch's rule).

    Gradient: dL/dx = g clip(a / beta, -1, 1) (g sign(a) when beta = 0),
    dL/dy = -dL/dx.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean", beta: float = 1.0):
        _check_same_shape("smooth_l1_loss", input, target)
        _check_positive("smooth_l1_loss", "beta", beta, allow_zero=True)
        a = input - target
        ctx.diff, ctx.beta, ctx.reduction = a, beta, reduction
        if beta == 0:
            losses = np.abs(a)
        else:
            losses = np.where(np.abs(a) < beta, 0.5 * a * a / beta, np.abs(a) - 0.5 * beta)
        return _reduce(losses, reduction, "smooth_l1_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.diff.shape, ctx.reduction, ctx.diff.dtype)
        a, beta = ctx.diff, ctx.beta
        slope = np.sign(a) if beta == 0 else np.clip(a / beta, -1, 1)
        dx = g * slope
        return dx, -dx

    @staticmethod
    def second_derivative(diff: np.ndarray, beta: float = 1.0) -> np.ndarray:
        """d^2 loss_i / dx_i^2 = 1 / beta where |a| < beta, 0 where |a| > beta
        (Huber's divided by beta; 0 at |a| = beta, and everywhere when beta = 0)."""
        _check_positive("smooth_l1_loss", "beta", beta, allow_zero=True)
        dtype = _real_dtype(diff)
        if beta == 0:
            return np.zeros(np.shape(diff), dtype=dtype)
        return ((np.abs(diff) < beta) / beta).astype(dtype)


class PseudoHuberLoss(Function):
    """Pseudo-Huber loss (not in PyTorch): a Huber loss smooth everywhere.

    With a = x - y:  loss = delta^2 (sqrt(1 + (a / delta)^2) - 1)
                          = a^2 / (1 + sqrt(1 + (a / delta)^2))
    The second form is the same number without the cancellation of
    ``sqrt(...) - 1`` for small a. Near 0 it is 0.5 a^2, far away about
    delta |a|; delta = 1 gives 0.4142 at a = 1 and 4.0990 at a = 5.
    Its second derivative, (1 + (a / delta)^2)^(-3/2), is smooth, which
    second-order methods (XGBoost-style boosting) need.

    Gradient: dL/dx = g a / sqrt(1 + (a / delta)^2), dL/dy = -dL/dx.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean", delta: float = 1.0):
        _check_same_shape("pseudo_huber_loss", input, target)
        _check_positive("pseudo_huber_loss", "delta", delta)
        a = input - target
        root = np.hypot(1, a / delta)  # sqrt(1 + (a/delta)^2) without overflowing the square
        ctx.diff, ctx.root, ctx.reduction = a, root, reduction
        return _reduce(a * a / (1 + root), reduction, "pseudo_huber_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.diff.shape, ctx.reduction, ctx.diff.dtype)
        dx = g * ctx.diff / ctx.root
        return dx, -dx

    @staticmethod
    def second_derivative(diff: np.ndarray, delta: float = 1.0) -> np.ndarray:
        """d^2 loss_i / dx_i^2 = (1 + (a / delta)^2)^(-3/2): smooth, positive everywhere.

        1 at a = 0 (like Huber's inside), falling off as (delta / |a|)^3 far out,
        with no jump anywhere. XGBoost's ``reg:pseudohubererror`` uses this hessian.
        """
        _check_positive("pseudo_huber_loss", "delta", delta)
        diff = np.asarray(diff, dtype=_real_dtype(diff))
        return np.hypot(1, diff / delta) ** -3


# ----- binary classification ------------------------------------------------------------


class BCELoss(Function):
    """Binary cross-entropy on probabilities p in [0, 1] with targets y in [0, 1].

    loss = -(y log p + (1 - y) log(1 - p)), each log clamped at -100 as in
    PyTorch: p = 0 or 1 gives a finite loss (at most 100) instead of inf, and
    ``0 * log 0`` is 0 instead of nan.

    Gradient (PyTorch's formulas):
        dL/dp = g (p - y) / max(p (1 - p), 1e-12)   (the floor keeps it finite at p = 0, 1)
        dL/dy = g (log(1 - p) - log p)               (clamped logs, so finite too; PyTorch
                                                      uses unclamped ones: inf at p = 0, 1)
    With p = sigmoid(x) the chain rule gives dL/dx = g (p - y), but once p rounds
    to exactly 0 or 1 the sigmoid's slope is 0 and learning stops: prefer
    ``binary_cross_entropy_with_logits``.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_same_shape("binary_cross_entropy", input, target)
        p, y = input, target
        _check_in_unit_interval(
            "binary_cross_entropy",
            "input probabilities",
            p,
            "If these are raw scores (logits), use binary_cross_entropy_with_logits, which "
            "applies the sigmoid itself, stably.",
        )
        _check_in_unit_interval(
            "binary_cross_entropy", "targets", y, "Use 0/1 labels or probabilities."
        )
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped on the next line
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log1p(-p), -100)
        ctx.p, ctx.y, ctx.log_p, ctx.log_1mp, ctx.reduction = p, y, log_p, log_1mp, reduction
        return _reduce(-(y * log_p + (1 - y) * log_1mp), reduction, "binary_cross_entropy")

    @staticmethod
    def backward(ctx, grad):
        p, y = ctx.p, ctx.y
        g = _spread(grad, p.shape, ctx.reduction, p.dtype)
        dp = g * (p - y) / np.maximum(p * (1 - p), 1e-12)
        dy = g * (ctx.log_1mp - ctx.log_p)
        return dp, dy


class BCEWithLogitsLoss(Function):
    """Binary cross-entropy on a logit x (p = sigmoid(x)), computed stably.

    loss = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))
         = max(x, 0) - x y + log(1 + exp(-|x|))
    The second form only ever takes exp of a number <= 0, so it cannot overflow:
    at x = 20, y = 0 the loss is 20 (float32 too), where the naive formula gives
    inf and ``binary_cross_entropy(sigmoid(x))`` gives its clamp, 100.

    Gradient: dL/dx = g (sigmoid(x) - y)  (never stuck at 0 while the answer is
    wrong), dL/dy = -g x.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_same_shape("binary_cross_entropy_with_logits", input, target)
        x, y = input, target
        _check_in_unit_interval(
            "binary_cross_entropy_with_logits",
            "targets",
            y,
            "Use 0/1 labels or probabilities (-1/+1 labels: (y + 1) / 2).",
        )
        ctx.x, ctx.y, ctx.reduction = x, y, reduction
        losses = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
        return _reduce(losses, reduction, "binary_cross_entropy_with_logits")

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.x, ctx.y
        g = _spread(grad, x.shape, ctx.reduction, x.dtype)
        return g * (stable_sigmoid(x) - y), -g * x


class HingeLoss(Function):
    """Binary SVM hinge loss: loss_i = max(0, 1 - y_i f_i), labels y_i in {-1, +1}.

    Not PyTorch's ``HingeEmbeddingLoss`` (a different loss); PyTorch has no twin.
    A sample costs nothing once it is on the right side with margin, y f >= 1;
    inside the margin the loss grows linearly.

    Shapes: scores f and labels y the same, any shape.
    Gradient: dL/df_i = -g_i y_i where y_i f_i < 1, else 0 (also at y f = 1
    exactly: the same choice as relu'(0) = 0). The labels get no gradient.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_same_shape("hinge_loss", input, target)
        bad = (target != 1) & (target != -1)
        if np.any(bad):
            where = _position(bad)
            raise ValueError(
                f"hinge_loss: targets must be -1 or +1, found {target[where]} at index {where}; "
                "convert 0/1 labels with 2*y - 1."
            )
        y = target.astype(input.dtype)
        ctx.y, ctx.active, ctx.reduction = y, y * input < 1, reduction
        return _reduce(np.maximum(0, 1 - y * input), reduction, "hinge_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.y.shape, ctx.reduction, ctx.y.dtype)
        return -g * ctx.y * ctx.active


# ----- multi-class classification ----------------------------------------------------------


class NLLLoss(Function):
    """Negative log-likelihood: loss_n = -x[n, t_n] for log-probabilities x.

    Shapes: x (N, C) (or (N, C, d1, ...): classes on axis 1), integer targets
    t (N,) (or (N, d1, ...)) with 0 <= t_n < C. 'mean' divides by the number of
    targets.

    Gradient: dL/dx[n, j] = -g_n if j = t_n, else 0.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean"):
        _check_class_target("nll_loss", target, input.shape)
        picked = np.take_along_axis(input, np.expand_dims(target, 1), axis=1)
        ctx.shape, ctx.dtype, ctx.target = input.shape, input.dtype, target
        ctx.reduction = reduction
        return _reduce(-np.squeeze(picked, 1), reduction, "nll_loss")

    @staticmethod
    def backward(ctx, grad):
        g = _spread(grad, ctx.target.shape, ctx.reduction, ctx.dtype)
        dx = np.zeros(ctx.shape, dtype=ctx.dtype)
        np.put_along_axis(dx, np.expand_dims(ctx.target, 1), -np.expand_dims(g, 1), axis=1)
        return dx


def _target_index(target: np.ndarray) -> tuple[np.ndarray, ...]:
    """Where each sample's target class sits in an array with classes on axis 1.

    For scores x of shape (N, C), ``x[_target_index(t)]`` is x[n, t_n] for every n,
    i.e. ``x[np.arange(N), t]``; for (N, C, d1, ...) it is x[n, t[n, i], i] for every
    n and position i, with t's shape.
    """
    positions = np.indices(target.shape, sparse=True)  # arange(N), arange(d1), ... as grids
    return (positions[0], target, *positions[1:])


def _at_targets(target: np.ndarray, shape: tuple[int, ...], value: Any, dtype: Any) -> np.ndarray:
    """value * one_hot(t): ``value`` at each sample's target class (axis 1), 0 elsewhere.

    An array of ``shape`` and ``dtype``; ``target`` indexes it as in ``_target_index``.
    """
    out = np.zeros(shape, dtype=dtype)
    out[_target_index(target)] = value
    return out


class CrossEntropyLoss(Function):
    """Softmax cross-entropy on logits, with optional label smoothing eps.

    Shapes: logits x (N, C) (or (N, C, d1, ...): classes on axis 1), integer
    targets t (N,) (or (N, d1, ...)).

        log_p  = log_softmax(x)                     (log-sum-exp: finite for any finite x)
        q      = (1 - eps) one_hot(t) + eps / C     (the smoothed target distribution)
        loss_n = -sum_j q_nj log_p_nj
               = -(1 - eps) log_p[n, t_n] - eps / C sum_j log_p_nj

    This is PyTorch's definition, with the same 'mean': the average of loss_n
    over the N samples. With eps = 0 the loss only picks log_p at each target.

    Gradient: dL/dx_n = g_n (softmax(x_n) - q_n); with eps = 0 and 'mean',
    (softmax - one_hot) / N. Each row of the gradient sums to zero. The code
    never builds q: it subtracts eps / C everywhere and 1 - eps at the targets.
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean", label_smoothing: float = 0.0):
        _check_class_target("cross_entropy", target, input.shape)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(
                f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}."
            )
        log_p = log_softmax_array(input, axis=1)
        at_target = _target_index(target)
        losses = -log_p[at_target]
        if label_smoothing != 0:
            eps, num_classes = label_smoothing, input.shape[1]
            losses = (1 - eps) * losses - eps / num_classes * log_p.sum(axis=1)
        ctx.log_p, ctx.at_target = log_p, at_target
        ctx.label_smoothing, ctx.reduction = label_smoothing, reduction
        return _reduce(losses, reduction, "cross_entropy")

    @staticmethod
    def backward(ctx, grad):
        log_p, eps = ctx.log_p, ctx.label_smoothing
        per_sample = log_p.shape[:1] + log_p.shape[2:]
        g = _spread(grad, per_sample, ctx.reduction, log_p.dtype)
        dx = np.exp(log_p)  # softmax(x), then minus q:
        if eps != 0:
            dx -= eps / log_p.shape[1]
        dx[ctx.at_target] -= 1 - eps
        dx *= g[:, None]  # g_n, broadcast along the class axis 1
        return dx


class MultiMarginLoss(Function):
    """Multi-class hinge (Weston-Watkins / Crammer-Singer style, PyTorch's MultiMarginLoss).

    For scores x of shape (N, C) and integer targets t of shape (N,):

        h_nj   = max(0, margin - x[n, t_n] + x[n, j])     for j != t_n
        loss_n = sum_{j != t_n} h_nj^p / C                (p = 1 or 2)

    Every wrong class scoring within ``margin`` of the right one costs something.

    Gradient: with s_nj = g_n p h_nj^(p-1) [h_nj > 0] / C,
        dL/dx[n, j]   = s_nj                 for j != t_n
        dL/dx[n, t_n] = -sum_{j != t_n} s_nj
    (at h = 0 exactly the slope is 0, as in PyTorch).
    """

    @staticmethod
    def forward(ctx: Context, input, target, reduction: str = "mean", p: int = 1, margin=1.0):
        if p not in (1, 2):
            raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}.")
        if input.ndim != 2:
            raise ValueError(f"multi_margin_loss: input must have shape (N, C), got {input.shape}.")
        _check_class_target("multi_margin_loss", target, input.shape)
        rows = np.arange(input.shape[0])
        right = input[rows, target][:, None]
        h = np.maximum(0, margin - right + input)
        h[rows, target] = 0  # the true class is not compared with itself
        ctx.h, ctx.target, ctx.p, ctx.reduction = h, target, p, reduction
        return _reduce((h**p).sum(axis=1) / input.shape[1], reduction, "multi_margin_loss")

    @staticmethod
    def backward(ctx, grad):
        h, p = ctx.h, ctx.p
        g = _spread(grad, h.shape[:1], ctx.reduction, h.dtype)
        slope = (p * h ** (p - 1) * (h > 0)) / h.shape[1]
        dx = g[:, None] * slope
        dx[np.arange(h.shape[0]), ctx.target] = -dx.sum(axis=1)
        return dx


# ----- margin softmax (Liu et al. 2016; Wang et al. 2018) -------------------------------------


def large_margin_psi(theta: np.ndarray, margin: int) -> np.ndarray:
    """L-Softmax's psi(theta) for angles theta in [0, pi] and an integer margin m >= 1.

    psi(theta) = (-1)^k cos(m theta) - 2k  for theta in [k pi / m, (k + 1) pi / m],
    k = 0, ..., m - 1. It equals cos(m theta) on [0, pi / m] and continues it so
    that it keeps decreasing: from 1 at theta = 0 to 1 - 2m at theta = pi. With
    m = 1 it is cos(theta).
    """
    theta = np.asarray(theta)
    k = np.minimum(np.floor(margin * theta / np.pi), margin - 1)  # theta = pi belongs to k = m - 1
    sign = 1 - 2 * (k % 2)  # (-1)^k
    return sign * np.cos(margin * theta) - 2 * k


def _chebyshev_u(n: int, c: np.ndarray) -> np.ndarray:
    """U_n(c), the Chebyshev polynomial of the second kind: U_n(cos t) = sin((n+1) t) / sin t.

    Recurrence U_0 = 1, U_1 = 2c, U_{j+1} = 2c U_j - U_{j-1}; finite at c = +-1,
    where the sine ratio is 0 / 0.
    """
    previous, current = np.ones_like(c), 2 * c
    if n == 0:
        return previous
    for _ in range(n - 1):
        previous, current = current, 2 * c * current - previous
    return current


class LargeMarginPsi(Function):
    """psi(theta) of L-Softmax, as a function of c = cos(theta).

    Forward: theta = arccos(c), k = floor(m theta / pi) (k = m - 1 at theta = pi),
             psi = (-1)^k cos(m theta) - 2k         (see ``large_margin_psi``)

    Gradient: on each piece cos(m theta) = T_m(c), a Chebyshev polynomial, and
    T_m'(c) = m U_{m-1}(c), so
        dL/dc = grad (-1)^k m U_{m-1}(c)
    where U_{m-1}(cos theta) = sin(m theta) / sin(theta). This is 0 at the piece
    boundaries theta = k pi / m, so the slope is continuous there, and it is
    finite at theta = 0 and pi (m^2 and +-m^2).
    """

    @staticmethod
    def forward(ctx: Context, cos_theta, margin: int):
        c = np.clip(cos_theta, -1, 1)  # rounding can push a cosine just past +-1
        theta = np.arccos(c)
        k = np.minimum(np.floor(margin * theta / np.pi), margin - 1)
        ctx.c, ctx.sign, ctx.margin = c, 1 - 2 * (k % 2), margin
        return large_margin_psi(theta, margin).astype(c.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        m = ctx.margin
        return grad * ctx.sign * m * _chebyshev_u(m - 1, ctx.c)


# ----- public functions ------------------------------------------------------------------------


def _float_tensor(x: Any) -> Tensor:
    """``x`` as a Tensor of floats (integer data becomes float64)."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return x


def _real_target(target: Any, like: Tensor) -> Tensor:
    """A real-valued target as a Tensor, converted to ``like``'s dtype.

    A float Tensor is kept as it is, because it may need a gradient.
    """
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return target
    return Tensor._from_op(as_tensor(target).data.astype(like.dtype))


def _labels(target: Any) -> np.ndarray:
    """Labels as a numpy array: they are constants, not inputs to differentiate."""
    return target.data if isinstance(target, Tensor) else np.asarray(target)


def mse_loss(input: Any, target: Any, *, reduction: Reduction = "mean") -> Tensor:
    """Mean squared error, mean((input - target)^2); see ``MSELoss``.

    Deliberate difference from PyTorch: shapes must match exactly. PyTorch
    broadcasts mismatched shapes with only a warning, so (N, 1) against (N,)
    quietly becomes an (N, N) comparison; gradlib raises a ValueError naming
    both shapes.
    """
    x = _float_tensor(input)
    return MSELoss.apply(x, _real_target(target, x), reduction=reduction)


def l1_loss(input: Any, target: Any, *, reduction: Reduction = "mean") -> Tensor:
    """Mean absolute error, mean(|input - target|); gradient sign(0) = 0. See ``L1Loss``."""
    x = _float_tensor(input)
    return L1Loss.apply(x, _real_target(target, x), reduction=reduction)


def huber_loss(
    input: Any, target: Any, *, reduction: Reduction = "mean", delta: float = 1.0
) -> Tensor:
    """Huber loss: 0.5 a^2 for |a| < delta, else delta (|a| - 0.5 delta). See ``HuberLoss``."""
    x = _float_tensor(input)
    return HuberLoss.apply(x, _real_target(target, x), reduction=reduction, delta=delta)


def smooth_l1_loss(
    input: Any, target: Any, *, reduction: Reduction = "mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1 = Huber(beta) / beta (slope 1 far out); beta = 0 is L1. See ``SmoothL1Loss``."""
    x = _float_tensor(input)
    return SmoothL1Loss.apply(x, _real_target(target, x), reduction=reduction, beta=beta)


def pseudo_huber_loss(
    input: Any, target: Any, *, reduction: Reduction = "mean", delta: float = 1.0
) -> Tensor:
    """Pseudo-Huber loss, delta^2 (sqrt(1 + (a/delta)^2) - 1); see PseudoHuberLoss."""
    x = _float_tensor(input)
    return PseudoHuberLoss.apply(x, _real_target(target, x), reduction=reduction, delta=delta)


def binary_cross_entropy(input: Any, target: Any, *, reduction: Reduction = "mean") -> Tensor:
    """Binary cross-entropy on probabilities in [0, 1] (logs clamped at -100). See ``BCELoss``.

    Raises a ValueError for an input or target outside [0, 1], as PyTorch does.
    """
    p = _float_tensor(input)
    y = _real_target(target, p)
    return BCELoss.apply(p, y, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Any, target: Any, *, reduction: Reduction = "mean"
) -> Tensor:
    """Binary cross-entropy on logits, stable for any logit; gradient sigmoid(x) - y.

    See ``BCEWithLogitsLoss``. Unlike PyTorch, which accepts any target here,
    a target outside [0, 1] raises a ValueError: it is almost always a label
    encoding slip (e.g. 0/255 masks or -1/+1 labels).
    """
    x = _float_tensor(input)
    y = _real_target(target, x)
    return BCEWithLogitsLoss.apply(x, y, reduction=reduction)


def hinge_loss(input: Any, target: Any, *, reduction: Reduction = "mean") -> Tensor:
    """Binary SVM hinge loss max(0, 1 - y f) for scores f and labels y in {-1, +1}.

    Not in PyTorch (``HingeEmbeddingLoss`` is a different loss). See ``HingeLoss``.
    """
    return HingeLoss.apply(_float_tensor(input), _labels(target), reduction=reduction)


def _with_batch_axis(op: str, input: Tensor, target: np.ndarray, reduction: str, loss):
    """Run a class loss on one sample: input (C,) and target () as a batch of one."""
    if target.ndim != 0:
        raise ValueError(
            f"{op}: an input of shape {input.shape} is one sample, so target must be one class "
            f"index (shape ()), got shape {target.shape}."
        )
    out = loss(ops.reshape(input, 1, -1), target.reshape(1))
    return ops.reshape(out, ()) if reduction == "none" else out


def nll_loss(input: Any, target: Any, *, reduction: Reduction = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at integer targets (N,).

    Pair it with ``log_softmax(x, dim=1)``, or use ``cross_entropy`` on the
    logits, which does both. See ``NLLLoss``.
    """
    x, t = _float_tensor(input), _labels(target)

    def loss(x, t):
        return NLLLoss.apply(x, t, reduction=reduction)

    if x.ndim == 1:
        return _with_batch_axis("nll_loss", x, t, reduction, loss)
    return loss(x, t)


def cross_entropy(
    input: Any, target: Any, *, reduction: Reduction = "mean", label_smoothing: float = 0.0
) -> Tensor:
    """Softmax cross-entropy of logits (N, C) with integer class targets (N,).

    Stable for any finite logits (log-sum-exp); gradient softmax - one_hot
    (/ N for 'mean'). ``label_smoothing = eps`` trains towards
    (1 - eps) one_hot + eps / C. Class-probability targets, ``weight`` and
    ``ignore_index`` are not supported. See ``CrossEntropyLoss``.
    """
    x, t = _float_tensor(input), _labels(target)

    def loss(x, t):
        return CrossEntropyLoss.apply(x, t, reduction=reduction, label_smoothing=label_smoothing)

    if x.ndim == 1:
        return _with_batch_axis("cross_entropy", x, t, reduction, loss)
    return loss(x, t)


def multi_margin_loss(
    input: Any, target: Any, *, p: int = 1, margin: float = 1.0, reduction: Reduction = "mean"
) -> Tensor:
    """Multi-class hinge: sum_{j != y} max(0, margin - x_y + x_j)^p / C. See ``MultiMarginLoss``."""
    x, t = _float_tensor(input), _labels(target)

    def loss(x, t):
        return MultiMarginLoss.apply(x, t, reduction=reduction, p=p, margin=margin)

    if x.ndim == 1:
        return _with_batch_axis("multi_margin_loss", x, t, reduction, loss)
    return loss(x, t)


def soft_margin_softmax_loss(
    input: Any, target: Any, *, margin: float, reduction: Reduction = "mean"
) -> Tensor:
    """Soft-margin softmax loss (SM-Softmax, Liang et al. 2017): margin-shifted cross-entropy.

    Cross-entropy after subtracting ``margin`` m from each sample's target-class
    logit. For logits z (N, C) (or (N, C, d1, ...)) and integer targets t (N,):

        loss_n = cross_entropy(z_n - m one_hot(t_n), t_n)
               = -log( exp(z[n, t_n] - m) / (exp(z[n, t_n] - m) + sum_{j != t_n} exp(z[n, j])) )

    To cost what plain cross-entropy costs at a gap of g, the target logit must
    now beat the others by g + m: m is a margin in logit units, and for m > 0 the
    loss is larger than cross-entropy on every sample. m = 0 is plain
    cross-entropy; a larger m asks for more widely separated classes. The paper
    contrasts this continuous margin, any real m >= 0, with L-Softmax's integer
    angular margin and its more complex forward and backward.

    Gradient: with p_n = softmax(z_n - m one_hot(t_n)),
        dL/dz_n = g_n (p_n - one_hot(t_n))     ((p - one_hot) / N for 'mean')
    the same form as cross-entropy's, only p is computed from the shifted logits:
    the paper's point that only the forward pass changes.

    There is no default margin: m is measured in the units of the logits, whose
    scale depends on the model (its width, initialisation and how far training
    has gone), so no single value carries over from one model to another. Treat
    it as a hyperparameter: start at a fraction of the typical gap between the
    target logit and the others, and validate.

    X. Liang, X. Wang, Z. Lei, S. Liao, S. Z. Li, "Soft-Margin Softmax for Deep
    Classification", ICONIP 2017, LNCS 10635, pp. 413-421.

    Built from gradlib ops: the shifted logits go through ``CrossEntropyLoss``,
    whose backward gives the gradient above.
    """
    op = "soft_margin_softmax_loss"
    _check_positive(op, "margin", margin, allow_zero=True)
    z, t = _float_tensor(input), _labels(target)

    def loss(z, t):
        _check_class_target(op, t, z.shape)
        return cross_entropy(z - _at_targets(t, z.shape, margin, z.dtype), t, reduction=reduction)

    if z.ndim == 1:
        return _with_batch_axis(op, z, t, reduction, loss)
    return loss(z, t)


def _features_and_weight(op: str, features: Any, weight: Any) -> tuple[Tensor, Tensor]:
    x, w = _float_tensor(features), _float_tensor(weight)
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1]:
        hint = ""
        if x.ndim == 2 and w.ndim == 2 and w.shape[0] == x.shape[1]:
            hint = " Did you pass the weight transposed? Use weight.T."
        raise ValueError(
            f"{op}: features must have shape (N, D) and weight (C, D) like nn.Linear's weight, "
            f"got features {x.shape} and weight {w.shape}.{hint}"
        )
    return x, w


def _row_norms(op: str, what: str, x: Tensor) -> Tensor:
    """|x_n| for each row, refusing rows of length 0 (they have no direction)."""
    norms = ops.sqrt(ops.sum(x * x, dim=1))
    if np.any(norms.data == 0):
        raise ValueError(
            f"{op}: {what} row {_position(norms.data == 0)} is all zeros, so its angle to "
            "the others is undefined; remove it or check how it was computed."
        )
    return norms


def am_softmax_loss(
    features: Any,
    weight: Any,
    target: Any,
    *,
    s: float = 30.0,
    m: float = 0.35,
    reduction: Reduction = "mean",
) -> Tensor:
    """Additive-margin softmax loss (AM-Softmax, Wang et al. 2018).

    Features x (N, D) and class weights W (C, D) (nn.Linear's layout, no bias)
    are L2-normalised, so the logits are cosines cos_nj = x_n . W_j / (|x_n| |W_j|).
    The true class must win by a margin m, and a scale s makes the softmax sharp:

        loss = cross_entropy(s (cos - m one_hot(t)), t)

    Defaults are the paper's s = 30, m = 0.35. Built from gradlib ops, so the
    engine derives the gradient (through the normalisations and ``CrossEntropyLoss``).
    """
    op = "am_softmax_loss"
    x, w = _features_and_weight(op, features, weight)
    t = _labels(target)
    _check_class_target(op, t, (x.shape[0], w.shape[0]))
    x_hat = x / ops.reshape(_row_norms(op, "features", x), -1, 1)
    w_hat = w / ops.reshape(_row_norms(op, "weight", w), -1, 1)
    cos = x_hat @ w_hat.T
    margin = _at_targets(t, cos.shape, m, cos.dtype)  # m one_hot(t)
    return cross_entropy(s * (cos - margin), t, reduction=reduction)


def large_margin_softmax_loss(
    features: Any,
    weight: Any,
    target: Any,
    *,
    margin: int = 2,
    blend: float = 0.0,
    reduction: Reduction = "mean",
) -> Tensor:
    """Large-margin softmax loss (L-Softmax, Liu et al. 2016).

    Features x (N, D) and class weights W (C, D) (nn.Linear's layout, no bias).
    The plain logits are f_j = W_j . x = |W_j| |x| cos(theta_j). L-Softmax keeps
    them for the wrong classes and makes the true class y work harder:

        f_y  ->  |W_y| |x| psi(theta_y),   psi(theta) = (-1)^k cos(m theta) - 2k
                                           for theta in [k pi/m, (k+1) pi/m]

    with an integer ``margin`` m >= 1 (see ``large_margin_psi``). To win, the
    true class's angle must be about m times smaller than the others'. m = 1
    is plain softmax cross-entropy on W x.

    ``blend`` is the paper's lambda: the target logit used is
    (blend * f_y + |W_y| |x| psi(theta_y)) / (1 + blend). blend = 0 is pure
    L-Softmax; a large blend is nearly plain softmax. Training from scratch
    with a large margin is hard, so the paper starts with a very large lambda
    and decreases it gradually towards a small value over training (annealing),
    e.g. blend = max(blend_min, base * (1 + gamma * step) ** -power); pass the
    current value at each step.

    The target logit is built from gradlib ops around ``LargeMarginPsi``, whose
    backward holds the derivative of psi; cross-entropy follows.
    """
    op = "large_margin_softmax_loss"
    if not isinstance(margin, (int, np.integer)) or margin < 1:
        raise ValueError(f"{op}: margin must be an integer >= 1, got {margin!r}.")
    _check_positive(op, "blend", blend, allow_zero=True)
    x, w = _features_and_weight(op, features, weight)
    t = _labels(target)
    _check_class_target(op, t, (x.shape[0], w.shape[0]))
    logits = x @ w.T  # (N, C)
    rows = np.arange(x.shape[0])
    plain_target = logits[rows, t]  # f_y = |W_y||x| cos(theta_y), (N,)
    lengths = _row_norms(op, "features", x) * _row_norms(op, "weight", w)[t]  # |x||W_y|
    psi = LargeMarginPsi.apply(plain_target / lengths, int(margin))
    margin_target = (blend * plain_target + lengths * psi) / (1 + blend)
    is_target = _at_targets(t, logits.shape, True, bool)
    logits = ops.where(is_target, ops.reshape(margin_target, -1, 1), logits)
    return cross_entropy(logits, t, reduction=reduction)
