"""Activation functions and softmax, each with its derivative beside it.

Conventions at kinks follow PyTorch: ``relu'(0) = 0``, ``leaky_relu'(0) =
negative_slope``, ``elu'(0) = alpha``. Sigmoid, softmax and log_softmax are
written so that no intermediate overflows, so logits of 1e4 give finite values
and gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.engine import Context, Function, Tensor, as_tensor


class ReLU(Function):
    """out = max(x, 0);  dL/dx = grad * relu'(x).

    relu'(x) = 1 for x > 0, 0 for x < 0, and ``grad_at_zero`` at x = 0: 0 by
    default, as in PyTorch, TensorFlow and JAX. Notebook 04 sets it to 1 or 0.5
    to show when the choice matters.
    """

    @staticmethod
    def forward(ctx: Context, x, grad_at_zero=0.0):
        ctx.x, ctx.grad_at_zero = x, grad_at_zero
        return np.maximum(x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.x
        if ctx.grad_at_zero == 0:
            return grad * (x > 0)  # the mask is the slope; multiplying by it skips a float copy
        slope = (x > 0).astype(grad.dtype)
        slope[x == 0] = ctx.grad_at_zero
        return grad * slope


class LeakyReLU(Function):
    """out = x if x > 0 else negative_slope * x;  the slope at 0 is negative_slope."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.slope = np.where(x > 0, 1.0, negative_slope).astype(x.dtype)
        return x * ctx.slope

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.slope


class ELU(Function):
    """out = x if x > 0 else alpha * (exp(x) - 1);  slope 1, or alpha * exp(x) for x <= 0."""

    @staticmethod
    def forward(ctx, x, alpha):
        negative = alpha * np.expm1(np.minimum(x, 0))
        ctx.slope = np.where(x > 0, 1.0, negative + alpha).astype(x.dtype)
        return np.where(x > 0, x, negative).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.slope


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    """out = s = 1 / (1 + exp(-x));  dL/dx = grad * s * (1 - s)  (at most grad / 4)."""

    @staticmethod
    def forward(ctx, x):
        ctx.out = stable_sigmoid(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        s = ctx.out
        return grad * s * (1 - s)


class Tanh(Function):
    """out = t = tanh(x);  dL/dx = grad * (1 - t**2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.out = np.tanh(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        return grad * (1 - ctx.out**2)


def softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the max so exp never overflows."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """x - logsumexp(x) along ``axis``, with the log-sum-exp trick (finite for any finite x)."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """out = s = softmax(x) along dim;  dL/dx = s * (grad - sum(grad * s, dim))."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.out, ctx.dim = softmax_array(x, dim), dim
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        s = ctx.out
        return s * (grad - (grad * s).sum(axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    """out = x - logsumexp(x) along dim;  dL/dx = grad - softmax(x) * sum(grad, dim)."""

    @staticmethod
    def forward(ctx, x, dim):
        out = log_softmax_array(x, dim)
        ctx.out, ctx.dim = out, dim
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad - np.exp(ctx.out) * grad.sum(axis=ctx.dim, keepdims=True)


def _float_input(x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return x


def _check_dim(x: Tensor, dim: int | None, op: str) -> int:
    if dim is None:
        raise TypeError(
            f"{op}: give dim explicitly (e.g. dim=1 for logits of shape (N, C)); "
            "PyTorch's implicit choice is deprecated and easy to get wrong."
        )
    if not -x.ndim <= dim < max(x.ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for shape {x.shape}")
    return dim % max(x.ndim, 1)


def relu(input: Any, grad_at_zero: float = 0.0) -> Tensor:
    """max(x, 0). ``grad_at_zero`` picks relu'(0); the default 0 matches PyTorch."""
    return ReLU.apply(_float_input(input), grad_at_zero)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    return LeakyReLU.apply(_float_input(input), negative_slope)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    return ELU.apply(_float_input(input), alpha)


def sigmoid(input: Any) -> Tensor:
    return Sigmoid.apply(_float_input(input))


def tanh(input: Any) -> Tensor:
    return Tanh.apply(_float_input(input))


def softmax(input: Any, dim: int | None = None) -> Tensor:
    x = _float_input(input)
    return Softmax.apply(x, _check_dim(x, dim, "softmax"))


def log_softmax(input: Any, dim: int | None = None) -> Tensor:
    x = _float_input(input)
    return LogSoftmax.apply(x, _check_dim(x, dim, "log_softmax"))
