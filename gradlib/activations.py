"""Activation functions and softmax, each with its derivative beside it.

Conventions at kinks follow PyTorch: ``relu'(0) = 0``, ``leaky_relu'(0) =
negative_slope``, ``elu'(0) = alpha``. Sigmoid, softplus, GELU, softmax and
log_softmax are written so that no intermediate overflows, so logits of 1e4 give
finite values and gradients. GELU needs the error function, which numpy lacks:
``erf`` and ``erfc`` below are W. J. Cody's rational approximations.
"""

from __future__ import annotations

import math
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


class Softplus(Function):
    """out = log(1 + exp(beta x)) / beta, or x where beta x > threshold;  dL/dx = grad * slope.

    A smooth ReLU: slope = sigmoid(beta x) (1 in the linear part), never exactly
    0, and a larger beta bends it closer to ReLU. log(1 + exp(t)) is computed as
    max(t, 0) + log1p(exp(-|t|)), which only takes exp of a number <= 0, so no
    input overflows. Like PyTorch, it returns x itself where beta x > threshold
    (default 20: there the two differ by log1p(exp(-20)) / beta = 2.1e-9 / beta
    and the slope by 2.1e-9).
    """

    @staticmethod
    def forward(ctx: Context, x, beta=1.0, threshold=20.0):
        if beta == 0:
            raise ValueError(
                "softplus: beta must be nonzero (the output is log(1 + exp(beta x)) / beta); "
                "use a small beta such as 0.1 for a gentler curve."
            )
        bx = x * beta
        linear = bx > threshold
        ctx.slope = np.where(linear, 1, stable_sigmoid(bx)).astype(x.dtype, copy=False)
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.slope


# ----- the error function (numpy has none) -----------------------------------------------
#
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969) 631-637, with the coefficients of his Fortran routine CALERF (netlib, specfun/erf).
# Three rational functions: erf(x) = x P(x^2) / Q(x^2) for |x| <= 0.46875, and
# exp(x^2) erfc(x) = P(x) / Q(x) for 0.46875 < x <= 4, (1/sqrt(pi) - s P(s) / Q(s)) / x with
# s = 1 / x^2 beyond. Measured in float64 against mpmath (120 bits) at 94,000 points in
# [-30, 30], |x| down to 1e-300 included: largest relative error 4.5e-16 for erf and 7.6e-16
# for erfc (wherever erfc(x) > 1e-300), a few units in the last place; math.erf and
# math.erfc reach 2.2e-16 and 5.1e-16 on the same points. Coefficients are listed highest
# power first, the order np.polyval takes.

_ERF_SPLIT = 0.46875  # below: erf directly; above: erfc, so erfc's tail keeps its precision
_ERF_NUM = (
    1.85777706184603153e-1,
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
)
_ERF_DEN = (
    1.0,
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERFC_MIDDLE_NUM = (
    2.15311535474403846e-8,
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
_ERFC_MIDDLE_DEN = (
    1.0,
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERFC_TAIL_NUM = (
    1.63153871373020978e-2,
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
_ERFC_TAIL_DEN = (
    1.0,
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_ERFC_ZERO_FROM = 28.0  # erfc(28) = 6.6e-343 rounds to 0 in float64


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y**2), without the error of rounding y**2 first.

    y**2 rounds with an absolute error of up to y**2 * 1.1e-16, which exp turns into a
    relative error (6e-14 at y = 23). Writing y = h + d with h a multiple of 1/16 makes
    h**2 exact, and d (y + h) is small: exp(-h**2) exp(-d (y + h)) is good to a few ulp.
    """
    h = np.trunc(16 * y) / 16
    return np.exp(-h * h) * np.exp(-(y - h) * (y + h))


def _erf_near_zero(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875 (larger |x| are clipped; callers discard them)."""
    x = np.clip(x, -_ERF_SPLIT, _ERF_SPLIT)
    t = x * x
    return x * np.polyval(_ERF_NUM, t) / np.polyval(_ERF_DEN, t)


def _erfc_away_from_zero(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y >= 0.46875 (smaller y give finite values that callers discard).

    Each branch gets its y clipped to its own interval, so every element goes through
    both without overflow, and np.where picks the right one.
    """
    middle = np.clip(y, _ERF_SPLIT, 4.0)
    tail = np.clip(y, 4.0, _ERFC_ZERO_FROM)
    s = 1 / (tail * tail)
    tail_ratio = s * np.polyval(_ERFC_TAIL_NUM, s) / np.polyval(_ERFC_TAIL_DEN, s)
    scaled = np.where(  # exp(y^2) erfc(y), which varies slowly
        y <= 4.0,
        np.polyval(_ERFC_MIDDLE_NUM, middle) / np.polyval(_ERFC_MIDDLE_DEN, middle),
        (1 / math.sqrt(math.pi) - tail_ratio) / tail,
    )
    return _exp_minus_square(np.minimum(y, _ERFC_ZERO_FROM)) * scaled


def erf(x: Any) -> np.ndarray:
    """The error function (2 / sqrt(pi)) * integral_0^x exp(-t^2) dt, elementwise, in float64."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    return np.where(y <= _ERF_SPLIT, _erf_near_zero(x), np.copysign(1 - _erfc_away_from_zero(y), x))


def erfc(x: Any) -> np.ndarray:
    """1 - erf(x), elementwise, in float64, computed directly: erfc(10) = 2.1e-45 keeps its digits.

    (``1 - erf(10)`` is 0: erf(10) rounds to 1.) erfc(-x) = 2 - erfc(x).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    upper = _erfc_away_from_zero(y)
    return np.where(y <= _ERF_SPLIT, 1 - _erf_near_zero(x), np.where(x < 0, 2 - upper, upper))


def normal_cdf(x: Any) -> np.ndarray:
    """Phi(x) = P(Z <= x) for a standard normal Z: 0.5 erfc(-x / sqrt(2)), in float64.

    Through erfc, so the left tail keeps full relative precision (Phi(-10) = 7.6e-24),
    where 0.5 (1 + erf(x / sqrt(2))) cancels to 0.
    """
    return 0.5 * erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2))


def normal_pdf(x: Any) -> np.ndarray:
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi), the standard normal density, in float64."""
    x = np.minimum(np.abs(np.asarray(x, dtype=np.float64)), 40.0)  # phi(40) rounds to 0
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_TANH_CUBIC = 0.044715


class GELU(Function):
    """out = x Phi(x);  dL/dx = grad * (Phi(x) + x phi(x)).

    Phi is the standard normal CDF and phi its density (``normal_cdf``,
    ``normal_pdf``): each input is kept in proportion to how likely a standard
    normal is to fall below it. GELU(x) -> x and GELU'(x) -> 1 as x -> +inf,
    both -> 0 as x -> -inf; GELU'(0) = 0.5, and the minimum is -0.170 at x = -0.752,
    where GELU' = 0. Computed in float64 and returned in the input's dtype.

    ``approximate='tanh'`` (Hendrycks & Gimpel 2016; used by GPT-2) uses
        out   = 0.5 x (1 + tanh(u)) = x s,        u = sqrt(2/pi) (x + 0.044715 x^3),
                                                  s = sigmoid(2u)
        slope = s + 2 x s (1 - s) u',             u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)

    Deliberate difference from PyTorch, which computes 0.5 x (1 + erf(x / sqrt 2))
    and 0.5 x (1 + tanh(u)): for x < -3 its 1 + erf (and 1 + tanh) cancels, so its
    relative error grows (up to 1e-10 near x = -5, the gradient 1.4% off near
    x = -8.4), and it returns 0 below x = -8.37 (-7.15 for tanh). gradlib uses erfc
    and sigmoid(2u), which keep full relative precision; the two libraries differ
    by less than 5e-15 in absolute terms.
    """

    @staticmethod
    def forward(ctx: Context, x, approximate="none"):
        x64 = x.astype(np.float64, copy=False)
        if approximate == "tanh":
            # Beyond |x| = 30, s is exactly 0 or 1; the clip only keeps x**3 finite.
            xc = np.clip(x64, -1e3, 1e3)
            two_u = 2 * _SQRT_2_OVER_PI * (xc + _GELU_TANH_CUBIC * xc**3)
            s, one_minus_s = stable_sigmoid(two_u), stable_sigmoid(-two_u)
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_CUBIC * xc**2)
            out, slope = x64 * s, s + 2 * x64 * s * one_minus_s * du
        elif approximate == "none":
            cdf = normal_cdf(x64)
            out, slope = x64 * cdf, cdf + x64 * normal_pdf(x64)
        else:
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
        ctx.slope = slope.astype(x.dtype, copy=False)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.slope


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


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x Phi(x) (Phi: the standard normal CDF), or its tanh approximation. See ``GELU``."""
    return GELU.apply(_float_input(input), approximate)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold. See ``Softplus``."""
    return Softplus.apply(_float_input(input), beta, threshold)


def softmax(input: Any, dim: int | None = None) -> Tensor:
    x = _float_input(input)
    return Softmax.apply(x, _check_dim(x, dim, "softmax"))


def log_softmax(input: Any, dim: int | None = None) -> Tensor:
    x = _float_input(input)
    return LogSoftmax.apply(x, _check_dim(x, dim, "log_softmax"))
