"""Linear and convolutional layers as functions: linear and conv2d.

Both are a matrix product in disguise, and so are their gradients:

- ``linear``: out = x @ W.T + b. Backward: dx = grad @ W, dW = grad.T @ x, db = sum of grad.
- ``conv2d``: unfold every kH x kW patch of the input into a column (``im2col``),
  and the convolution becomes one matrix product of the flattened weight with
  those columns. Backward: dW = grad @ cols.T, dcols = W.T @ grad, and ``col2im``
  adds every column's gradient back onto the patch it came from (patches overlap
  when stride < kernel, so an input pixel collects from each patch it is in).

Layouts are PyTorch's: ``weight`` is (out_features, in_features) for linear and
(C_out, C_in, kH, kW) for conv2d; images are NCHW. Like PyTorch (and every deep
learning framework), "convolution" means cross-correlation: the kernel is not flipped.

Every backward works on plain numpy arrays, so a notebook can run one without
the engine::

    ctx = Context()
    out = Conv2d.forward(ctx, x, weight, bias, stride=1, padding=1)
    dx, dweight, dbias = Conv2d.backward(ctx, grad)      # grad: out's shape
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.engine import Context, Function, Tensor, as_tensor

__all__ = ["Conv2d", "Linear", "col2im", "conv2d", "im2col", "linear"]

IntOrPair = int | tuple[int, int]


def _needs_grad(ctx: Context, index: int) -> bool:
    """Whether input ``index`` needs a gradient (all of them do when called by hand)."""
    return not ctx.needs_input_grad or ctx.needs_input_grad[index]


# ----- linear --------------------------------------------------------------------


def _check_linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> None:
    if weight.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D with layout (out_features, in_features), got shape "
            f"{weight.shape}."
        )
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        features = "no axes" if x.ndim == 0 else f"{x.shape[-1]} features on its last axis"
        if x.ndim and weight.shape[0] == x.shape[-1]:
            fix = (
                f"the weight looks transposed: pass weight.T, or build it as "
                f"(out_features, in_features) = ({in_features}, {out_features})"
            )
        else:
            fix = (
                f"give the input {in_features} features on its last axis (shape "
                f"(..., {in_features})), or a weight of shape ({out_features}, "
                f"{x.shape[-1] if x.ndim else '?'})"
            )
        raise ValueError(
            f"linear: input of shape {x.shape} has {features}, but weight of shape "
            f"{weight.shape} (out_features, in_features) expects in_features={in_features}; "
            f"{fix}."
        )
    if bias is not None and bias.shape != (out_features,):
        raise ValueError(
            f"linear: bias must have shape (out_features,) = ({out_features},), got {bias.shape}."
        )


class Linear(Function):
    """out = x @ W.T + b: an affine map of the last axis.

    Shapes: x (..., in_features), W (out_features, in_features), b (out_features,)
    -> out (..., out_features).

    Gradient, with every leading axis of x flattened into one batch axis of size B
    (x2 is (B, in), grad2 is (B, out)):

        dL/dx = grad @ W                 (..., in_features)
        dL/dW = grad2.T @ x2             (out_features, in_features): summed over the batch
        dL/db = grad2.sum(axis=0)        (out_features,)

    ``backward`` returns (dx, dW) without a bias and (dx, dW, db) with one.
    """

    @staticmethod
    def forward(ctx: Context, x, weight, bias=None):
        _check_linear(x, weight, bias)
        ctx.x, ctx.weight, ctx.has_bias = x, weight, bias is not None
        out = x @ weight.T
        if bias is not None and bias.dtype == out.dtype:
            out += bias  # the product is a new array: adding in place spares another
        elif bias is not None:
            out = out + bias  # a bias of another dtype promotes, as numpy does
        return out

    @staticmethod
    def backward(ctx: Context, grad):
        x, weight = ctx.x, ctx.weight
        grad2 = grad.reshape(-1, weight.shape[0])
        dx = grad @ weight if _needs_grad(ctx, 0) else None
        dweight = grad2.T @ x.reshape(-1, weight.shape[1]) if _needs_grad(ctx, 1) else None
        if not ctx.has_bias:
            return dx, dweight
        # grad2.sum(axis=0), as one matrix-vector product: BLAS sums the rows about twice
        # as fast as numpy's .sum(axis=0) does.
        dbias = np.ones(len(grad2), grad2.dtype) @ grad2
        return dx, dweight, dbias


# ----- conv2d --------------------------------------------------------------------


def _pair(value: IntOrPair, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"conv2d: {name} must be an int or a pair (h, w), got {value!r}.")
    return pair  # type: ignore[return-value]


def _window(padded: np.ndarray, i: int, j: int, stride, out_hw) -> np.ndarray:
    """Entry (i, j) of every patch of the last two axes: a strided view (..., H_out, W_out)."""
    (sh, sw), (ho, wo) = stride, out_hw
    return padded[..., i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw]


def im2col(padded: np.ndarray, kernel: tuple[int, int], stride, out_hw) -> np.ndarray:
    """Unfold every patch of a padded (N, C, Hp, Wp) input into a column.

    Returns cols of shape (C * kH * kW, N * H_out * W_out): row (c, i, j) holds
    entry (i, j) of channel c of every patch, in the same (c, i, j) order as
    ``weight.reshape(C_out, -1)``, so conv2d is ``weight.reshape(C_out, -1) @ cols``.
    Built with one strided copy per kernel offset (kH * kW copies), not per pixel.
    """
    n, c = padded.shape[:2]
    kh, kw = kernel
    cols = np.empty((c, kh, kw, n) + tuple(out_hw), dtype=padded.dtype)
    channels_first = padded.transpose(1, 0, 2, 3)  # (C, N, Hp, Wp), a view
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = _window(channels_first, i, j, stride, out_hw)
    return cols.reshape(c * kh * kw, -1)


def col2im(dcols: np.ndarray, padded_shape, kernel: tuple[int, int], stride, out_hw):
    """The backward of ``im2col``: add each column entry back onto its input pixel.

    dcols (C * kH * kW, N * H_out * W_out) -> (N, C, Hp, Wp). A pixel that lies in
    several patches (stride < kernel) receives the sum of their entries.
    """
    n, c, hp, wp = padded_shape
    kh, kw = kernel
    dcols = dcols.reshape((c, kh, kw, n) + tuple(out_hw))
    dpadded = np.zeros((c, n, hp, wp), dtype=dcols.dtype)  # channels first, like im2col
    for i in range(kh):
        for j in range(kw):
            _window(dpadded, i, j, stride, out_hw)[...] += dcols[:, i, j]
    return dpadded.transpose(1, 0, 2, 3)


def _check_conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> None:
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d: weight must be 4-D with layout (C_out, C_in, kH, kW), got shape "
            f"{weight.shape}."
        )
    if x.ndim != 4:
        raise ValueError(
            f"conv2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {x.shape}."
        )
    c_out, c_in = weight.shape[:2]
    if x.shape[1] != c_in:
        hint = ""
        if x.shape[3] == c_in:
            hint = (
                " The input looks channels-last (N, H, W, C); gradlib and PyTorch use "
                "(N, C, H, W): pass x.transpose(0, 3, 1, 2)."
            )
        raise ValueError(
            f"conv2d: input of shape {x.shape} has {x.shape[1]} channels (axis 1 of N, C, H, W), "
            f"but weight of shape {weight.shape} (C_out, C_in, kH, kW) expects C_in={c_in}; "
            f"use a weight of shape ({c_out}, {x.shape[1]}, {weight.shape[2]}, "
            f"{weight.shape[3]}) or an input with {c_in} channels.{hint}"
        )
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"conv2d: bias must have shape (C_out,) = ({c_out},), got {bias.shape}.")


class Conv2d(Function):
    """out[n, o, h, w] = b[o] + sum_{c, i, j} W[o, c, i, j] * xp[n, c, h*s + i, w*s + j].

    xp is x zero-padded by ``padding`` on each side; s is the stride.
    Shapes: x (N, C_in, H, W) or (C_in, H, W), W (C_out, C_in, kH, kW), b (C_out,)
    -> out (N, C_out, H_out, W_out) with H_out = (H + 2 * padding - kH) // stride + 1.

    As matrices, with cols = im2col(xp) of shape (C_in*kH*kW, N*H_out*W_out) and
    W2 = W.reshape(C_out, -1), the forward is out2 = W2 @ cols + b and, with grad2
    the gradient in the same (C_out, N*H_out*W_out) layout:

        dL/dW = grad2 @ cols.T           (reshaped to W's shape)
        dL/db = grad2.sum(axis=1)
        dL/dx = col2im(W2.T @ grad2)     (with the padding cut off again)

    ``backward`` returns (dx, dW) without a bias and (dx, dW, db) with one.
    """

    @staticmethod
    def forward(ctx: Context, x, weight, bias=None, stride: IntOrPair = 1, padding: IntOrPair = 0):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        _check_conv2d(x, weight, bias)
        stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
        if min(stride) < 1 or min(padding) < 0:
            raise ValueError(
                f"conv2d: stride must be positive and padding non-negative, got stride={stride}, "
                f"padding={padding}."
            )
        (ph, pw), kernel = padding, weight.shape[2:]
        n, _, h, w = x.shape
        padded_hw = (h + 2 * ph, w + 2 * pw)
        if padded_hw[0] < kernel[0] or padded_hw[1] < kernel[1]:
            raise ValueError(
                f"conv2d: kernel {kernel} is larger than the padded input {padded_hw} (input "
                f"{h}x{w}, padding {padding}); use a smaller kernel, more padding, or a larger "
                "input."
            )
        out_hw = tuple((p - k) // s + 1 for p, k, s in zip(padded_hw, kernel, stride))
        padded = x
        if ph or pw:
            padded = np.zeros((n, x.shape[1]) + padded_hw, dtype=x.dtype)
            padded[:, :, ph : ph + h, pw : pw + w] = x
        cols = im2col(padded, kernel, stride, out_hw)
        c_out = weight.shape[0]
        out = weight.reshape(c_out, -1) @ cols  # (C_out, N * H_out * W_out)
        if bias is not None:
            out += bias[:, None]
        out = np.ascontiguousarray(out.reshape((c_out, n) + out_hw).transpose(1, 0, 2, 3))
        ctx.cols, ctx.weight, ctx.has_bias = cols, weight, bias is not None
        ctx.stride, ctx.padding, ctx.padded_shape, ctx.out_hw = (
            stride,
            padding,
            padded.shape,
            out_hw,
        )
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx: Context, grad):
        if ctx.unbatched:
            grad = grad[None]
        weight = ctx.weight
        c_out = weight.shape[0]
        grad2 = grad.transpose(1, 0, 2, 3).reshape(c_out, -1)  # (C_out, N * H_out * W_out)
        dx = dweight = None
        if _needs_grad(ctx, 0):
            dcols = weight.reshape(c_out, -1).T @ grad2
            dpadded = col2im(dcols, ctx.padded_shape, weight.shape[2:], ctx.stride, ctx.out_hw)
            (ph, pw), (hp, wp) = ctx.padding, ctx.padded_shape[2:]
            dx = np.ascontiguousarray(dpadded[:, :, ph : hp - ph, pw : wp - pw])
            if ctx.unbatched:
                dx = dx[0]
        if _needs_grad(ctx, 1):
            dweight = (grad2 @ ctx.cols.T).reshape(weight.shape)
        if not ctx.has_bias:
            return dx, dweight
        return dx, dweight, grad2.sum(axis=1)


# ----- public functions (torch.nn.functional names) --------------------------------


def _float_input(x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return x


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """input @ weight.T + bias, as ``torch.nn.functional.linear``.

    weight has PyTorch's layout (out_features, in_features); input is (..., in_features).
    """
    b = None if bias is None else _float_input(bias)
    return Linear.apply(_float_input(input), _float_input(weight), b)


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> Tensor:
    """2-D convolution (cross-correlation) of an NCHW input, as ``torch.nn.functional.conv2d``.

    weight is (C_out, C_in, kH, kW); stride and padding are an int or a pair (no
    dilation or groups). See ``Conv2d`` for the gradients.
    """
    b = None if bias is None else _float_input(bias)
    return Conv2d.apply(_float_input(input), _float_input(weight), b, stride, padding)
