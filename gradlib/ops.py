"""Tensor operations: arithmetic, matmul, reductions, elementwise maths, shapes.

Each op is a small ``Function`` with its forward and backward side by side. In
the docstrings ``grad`` is dL/d(output) and each backward returns dL/d(input),
with the input's shape. Binary ops broadcast as numpy does, and their backward
sums the gradient back to each input's shape with ``unbroadcast``.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from gradlib.engine import Context, Function, Tensor, as_tensor, unbroadcast

# ----- helpers -------------------------------------------------------------------


def _binary(op: str, forward, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run ``forward(a, b)``; turn numpy's broadcast error into one a learner can act on."""
    try:
        return forward(a, b)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast together. "
            "Broadcasting lines shapes up from the right and each pair of sizes must be "
            "equal or 1; reshape one operand (e.g. x.reshape(-1, 1)) or check which axis "
            "you meant."
        ) from None


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a Python number takes the other's float dtype."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    b = as_tensor(b)
    return as_tensor(a, like=b), b


def _axes(dim: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    for d in dims:
        if not -ndim <= d < builtins.max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(d % builtins.max(ndim, 1) for d in dims))


# ----- arithmetic ----------------------------------------------------------------


class Add(Function):
    """out = a + b;  dL/da = unbroadcast(grad), dL/db = unbroadcast(grad)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        ctx.a_shape, ctx.b_shape = np.shape(a), np.shape(b)
        return _binary("add", np.add, a, b)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.a_shape), unbroadcast(grad, ctx.b_shape)


class Sub(Function):
    """out = a - b;  dL/da = grad, dL/db = -grad (each unbroadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a_shape, ctx.b_shape = np.shape(a), np.shape(b)
        return _binary("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx, grad):
        return unbroadcast(grad, ctx.a_shape), unbroadcast(-grad, ctx.b_shape)


class Mul(Function):
    """out = a * b;  dL/da = grad * b, dL/db = grad * a (each unbroadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return _binary("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        da = unbroadcast(grad * b, np.shape(a)) if ctx.needs_input_grad[0] else None
        db = unbroadcast(grad * a, np.shape(b)) if ctx.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """out = a / b;  dL/da = grad / b, dL/db = -grad * a / b**2 (each unbroadcast)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        if np.any(b == 0):
            warnings.warn(
                "div: the divisor has zeros, so the result has inf or nan there; add a small "
                "constant (b + 1e-12) or mask those entries.",
                RuntimeWarning,
                stacklevel=4,
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary("div", np.divide, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        da = unbroadcast(grad / b, np.shape(a)) if ctx.needs_input_grad[0] else None
        db = unbroadcast(-grad * a / (b * b), np.shape(b)) if ctx.needs_input_grad[1] else None
        return da, db


class Neg(Function):
    """out = -x;  dL/dx = -grad."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """out = a ** b;  dL/da = grad * b * a**(b - 1), dL/db = grad * out * log(a).

    The gradient with respect to the exponent needs ``a > 0`` (log a); where
    ``a <= 0`` it is set to 0, the limit that makes ``0 ** b`` and integer powers of
    negative numbers behave, as PyTorch does for a = 0.
    """

    @staticmethod
    def forward(ctx, a, b):
        out = _binary("pow", np.power, a, b)
        ctx.a, ctx.b, ctx.out = a, b, out
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.a, ctx.b, ctx.out
        da = db = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = b * np.power(a, b - 1)
            local = np.where(b == 0, 0.0, local)
            da = unbroadcast(grad * local, np.shape(a))
        if ctx.needs_input_grad[1]:
            safe_a = np.where(a > 0, a, 1.0)
            db = unbroadcast(grad * np.where(a > 0, out * np.log(safe_a), 0.0), np.shape(b))
        return da, db


def add(a: Any, b: Any) -> Tensor:
    return Add.apply(*_pair(a, b))


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(*_pair(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(*_pair(a, b))


def div(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        a = Tensor._from_op(a.data.astype(np.float64))
    return Div.apply(a, b)


def neg(x: Any) -> Tensor:
    return Neg.apply(as_tensor(x))


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - mirrors torch.pow
    a, b = _pair(a, b)
    if a.dtype.kind in "biu" and b.dtype.kind in "iu" and np.any(b.data < 0):
        a = Tensor._from_op(a.data.astype(np.float64))
    return Pow.apply(a, b)


# ----- matrix product ------------------------------------------------------------


class MatMul(Function):
    """out = a @ b, as ``np.matmul``: 1-D, 2-D, and batched over leading axes.

    For 2-D: dL/da = grad @ b.T and dL/db = a.T @ grad. A 1-D ``a`` is treated as a
    row (1, n) and a 1-D ``b`` as a column (n, 1); batch axes broadcast, so their
    gradients are unbroadcast like any other.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least one dimension, got shapes {a.shape} "
                f"and {b.shape}; use * to multiply by a scalar."
            )
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            hint = ""
            if b.ndim >= 2 and b.shape[-1] == inner_a:
                hint = " Did you mean b.T (or b.transpose(-2, -1))?"
            elif a.ndim >= 2 and a.shape[-2] == inner_b:
                hint = " Did you mean a.T (or a.transpose(-2, -1))?"
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not align ({inner_a} != {inner_b}): "
                f"the last axis of the first must equal the "
                f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the second.{hint}"
            )
        try:
            out = np.matmul(a, b)
        except ValueError:
            raise ValueError(
                f"matmul: batch axes of shapes {a.shape} and {b.shape} cannot be broadcast "
                "together; the axes before the last two must be equal or 1."
            ) from None
        ctx.a, ctx.b = a, b
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        a2 = a[None, :] if a.ndim == 1 else a  # (1, n)
        b2 = b[:, None] if b.ndim == 1 else b  # (n, 1)
        # put back the axes matmul dropped for 1-D operands; b's first, so that a
        # vector . vector gradient (shape ()) becomes (1,) and then (1, 1)
        g = grad
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape)
            da = da.reshape(a.shape)
        if ctx.needs_input_grad[1]:
            db = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape)
            db = db.reshape(b.shape)
        return da, db


def matmul(a: Any, b: Any) -> Tensor:
    return MatMul.apply(*_pair(a, b))


# ----- reductions ----------------------------------------------------------------


def _expand_back(grad: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
    """Put the reduced axes back into ``grad`` so it broadcasts against the input."""
    return grad if keepdim else np.expand_dims(grad, axes)


class Sum(Function):
    """out = x.sum(axes);  dL/dx = grad copied to every summed position."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = _expand_back(grad, ctx.axes, ctx.keepdim)
        return np.broadcast_to(grad, ctx.shape)


class Mean(Function):
    """out = x.mean(axes);  dL/dx = grad / n at every averaged position (n = count)."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        return np.mean(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        grad = _expand_back(grad, ctx.axes, ctx.keepdim)
        return np.broadcast_to(grad / ctx.count, ctx.shape)


class AmaxAll(Function):
    """out = max of all entries (``amin`` when ``largest=False``).

    Ties share the gradient evenly, as PyTorch's full reduction ``x.max()`` does:
    each of the k tied maxima gets grad / k.
    """

    @staticmethod
    def forward(ctx, x, largest):
        out = np.max(x) if largest else np.min(x)
        ctx.winners = x == out
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        # int(): a numpy int64 count would promote a float32 gradient to float64
        return ctx.winners * (grad / int(ctx.winners.sum()))


class TakeAlongDim(Function):
    """out = x at ``indices`` along ``dim`` (the values of max/min over a dim).

    dL/dx is zero except at the chosen index of each slice, which gets grad: one
    index per slice, so ties send the whole gradient to the first maximum.
    """

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim):
        ctx.shape, ctx.indices, ctx.dim, ctx.keepdim = x.shape, indices, dim, keepdim
        out = np.take_along_axis(x, indices, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.dim)
        dx = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(dx, ctx.indices, grad, axis=ctx.dim)
        return dx


class MinMax(NamedTuple):
    """What ``max(dim)`` and ``min(dim)`` return, like PyTorch's (values, indices)."""

    values: Tensor
    indices: Tensor


def sum(x: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    x = as_tensor(x)
    return Sum.apply(x, _axes(dim, x.ndim, "sum"), keepdim)


def mean(x: Any, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return Mean.apply(x, _axes(dim, x.ndim, "mean"), keepdim)


def _extreme(x: Any, dim: int | None, keepdim: bool, largest: bool):
    x = as_tensor(x)
    name = "max" if largest else "min"
    if x.data.size == 0:
        raise ValueError(f"{name}: the tensor is empty; there is no {name}imum.")
    if dim is None:
        return AmaxAll.apply(x, largest)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be one int, got {dim!r}; reduce one axis at a time.")
    (axis,) = _axes(dim, x.ndim, name)
    pick = np.argmax if largest else np.argmin
    indices = np.expand_dims(pick(x.data, axis=axis), axis)
    values = TakeAlongDim.apply(x, indices, axis, keepdim)
    return MinMax(values, Tensor(indices if keepdim else np.squeeze(indices, axis)))


def max(x: Any, dim: int | None = None, keepdim: bool = False):  # noqa: A001
    """Largest entry; with ``dim``, (values, indices) along it, ties to the first index."""
    return _extreme(x, dim, keepdim, largest=True)


def min(x: Any, dim: int | None = None, keepdim: bool = False):  # noqa: A001
    """Smallest entry; with ``dim``, (values, indices) along it, ties to the first index."""
    return _extreme(x, dim, keepdim, largest=False)


def argmax(x: Any, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest entry (of the flattened tensor when ``dim`` is None)."""
    x = as_tensor(x)
    if dim is None:
        return Tensor(np.argmax(x.data))
    return Tensor(np.argmax(x.data, axis=dim, keepdims=keepdim))


# ----- elementwise maths -----------------------------------------------------------


def _warn_domain(op: str, bad: np.ndarray, total: int, advice: str) -> None:
    count = int(np.count_nonzero(bad))
    if count:
        warnings.warn(
            f"{op}: {count} of {total} inputs are outside its domain, so the result has "
            f"nan or inf there. {advice}",
            RuntimeWarning,
            stacklevel=5,
        )


class Exp(Function):
    """out = exp(x);  dL/dx = grad * out."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            ctx.out = np.exp(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.out


class Log(Function):
    """out = log(x) (natural);  dL/dx = grad / x."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        _warn_domain(
            "log",
            x <= 0,
            x.size,
            "log needs x > 0: clamp first (x.clamp(min=1e-12)), or use log_softmax / "
            "binary_cross_entropy_with_logits instead of log(softmax) / log(sigmoid).",
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore"):
            return grad / ctx.x


class Sqrt(Function):
    """out = sqrt(x);  dL/dx = grad / (2 out)  (infinite at x = 0)."""

    @staticmethod
    def forward(ctx, x):
        _warn_domain("sqrt", x < 0, x.size, "sqrt needs x >= 0: clamp first (x.clamp(min=0)).")
        with np.errstate(invalid="ignore"):
            ctx.out = np.sqrt(x)
        return ctx.out

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore"):
            return grad / (2 * ctx.out)


class Abs(Function):
    """out = |x|;  dL/dx = grad * sign(x), with sign(0) = 0 as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.x)


class Clamp(Function):
    """out = min(max(x, low), high);  dL/dx = grad where low <= x <= high, else 0.

    The bounds are inclusive, as in PyTorch: ``clamp(x, min=0)`` has gradient 1 at
    x = 0, unlike ``relu``.
    """

    @staticmethod
    def forward(ctx, x, low, high):
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        ctx.inside = inside
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.inside


class Maximum(Function):
    """out = elementwise max(a, b);  the larger input gets grad, a tie gives each grad / 2."""

    @staticmethod
    def forward(ctx, a, b):
        out = _binary("maximum", np.maximum, a, b)
        ctx.a_shape, ctx.b_shape = np.shape(a), np.shape(b)
        ctx.a_share = (a > b) + 0.5 * (a == b)
        return out

    @staticmethod
    def backward(ctx, grad):
        share = ctx.a_share.astype(grad.dtype, copy=False)  # keep float32 grads float32
        return unbroadcast(grad * share, ctx.a_shape), unbroadcast(grad * (1 - share), ctx.b_shape)


class Where(Function):
    """out = x where cond else y;  dL/dx = grad where cond, dL/dy = grad elsewhere."""

    @staticmethod
    def forward(ctx, cond, x, y):
        ctx.cond, ctx.x_shape, ctx.y_shape = cond, np.shape(x), np.shape(y)
        try:
            return np.where(cond, x, y)
        except ValueError:
            raise ValueError(
                f"where: shapes of cond {np.shape(cond)}, x {np.shape(x)} and y {np.shape(y)} "
                "cannot be broadcast together."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        zero = np.zeros((), dtype=grad.dtype)
        dx = unbroadcast(np.where(ctx.cond, grad, zero), ctx.x_shape)
        dy = unbroadcast(np.where(ctx.cond, zero, grad), ctx.y_shape)
        return dx, dy


def exp(x: Any) -> Tensor:
    return Exp.apply(as_tensor(x))


def log(x: Any) -> Tensor:
    return Log.apply(as_tensor(x))


def sqrt(x: Any) -> Tensor:
    return Sqrt.apply(as_tensor(x))


def abs(x: Any) -> Tensor:  # noqa: A001
    return Abs.apply(as_tensor(x))


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max.")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clamp: min ({min}) is larger than max ({max}).")
    return Clamp.apply(as_tensor(x), min, max)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(*_pair(a, b))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Pick from ``x`` where ``condition`` is true, else from ``y`` (as ``torch.where``)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}; use x > 0.")
    x, y = _pair(x, y)
    return Where.apply(cond, x, y)


# ----- shapes ----------------------------------------------------------------------


class Reshape(Function):
    """out = x.reshape(shape);  dL/dx = grad.reshape(x.shape)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into {shape}; the number of elements must stay the same."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    """out = x with its axes reordered by ``dims``;  dL/dx = grad with the inverse order."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, ctx.inverse)


class GetItem(Function):
    """out = x[index] for integers, slices, masks and integer arrays.

    dL/dx is zero except at the selected positions. An index array may pick the
    same position several times; each use adds its gradient (``np.add.at``).
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        dx = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic_index(ctx.index):
            dx[ctx.index] = grad  # basic indexing cannot repeat a position
        else:
            np.add.at(dx, ctx.index, grad)
        return dx


class Concatenate(Function):
    """out = the inputs joined along ``dim``;  each input gets its slice of grad."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.splits = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        try:
            return np.concatenate(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"cat: shapes {shapes} must match in every axis except dim={dim}."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.dim))


class Stack(Function):
    """out = the inputs stacked along a new axis ``dim``;  input i gets grad[..., i, ...]."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        try:
            return np.stack(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"stack: all shapes must be equal, got {shapes}.") from None

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.dim, 0))


def _is_basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x: Any, *shape: Any) -> Tensor:
    return Reshape.apply(as_tensor(x), _shape_arg(shape))


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    return reshape(x, shape)


def unsqueeze(x: Any, dim: int) -> Tensor:
    x = as_tensor(x)
    return reshape(x, np.expand_dims(x.data, dim).shape)


def squeeze(x: Any, dim: int | None = None) -> Tensor:
    x = as_tensor(x)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        shape = x.shape if x.shape[dim] != 1 else np.squeeze(x.data, dim).shape
    return reshape(x, shape)


def permute(x: Any, *dims: Any) -> Tensor:
    x = as_tensor(x)
    dims = _shape_arg(dims)
    # check the range first: d % ndim alone would quietly turn dim 3 of a 2-D tensor into 1
    in_range = all(-x.ndim <= d < x.ndim for d in dims)
    if not in_range or sorted(d % x.ndim for d in dims) != list(range(x.ndim)):
        raise ValueError(
            f"permute: dims {dims} must list each of the {x.ndim} axes of shape {x.shape} "
            "exactly once."
        )
    return Permute.apply(x, tuple(d % x.ndim for d in dims))


def transpose(x: Any, dim0: int, dim1: int) -> Tensor:
    x = as_tensor(x)
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return Permute.apply(x, tuple(dims))


def getitem(x: Any, index: Any) -> Tensor:
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
    return GetItem.apply(as_tensor(x), index)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing axis (as ``torch.cat``)."""
    if len(tensors) == 0:
        raise ValueError("cat: needs at least one tensor.")
    return Concatenate.apply(*[as_tensor(t) for t in tensors], dim=dim)


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new axis (as ``torch.stack``)."""
    if len(tensors) == 0:
        raise ValueError("stack: needs at least one tensor.")
    return Stack.apply(*[as_tensor(t) for t in tensors], dim=dim)
