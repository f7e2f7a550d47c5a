"""Pooling: max_pool2d and avg_pool2d, each with its backward beside it.

A 2-D pool slides a ``kH x kW`` window over every channel of an NCHW input
with a step of ``stride`` and reduces each window to one number. Both ops here
are written as a loop over the ``kH * kW`` offsets inside the window: offset
``(i, j)`` of every window at once is the strided slice

    x[:, :, i : i + stride_h * (H_out - 1) + 1 : stride_h,
            j : j + stride_w * (W_out - 1) + 1 : stride_w]        # (N, C, H_out, W_out)

so there is no Python loop over output pixels, and the backward is the same loop
with ``+=`` into the matching slice of the input's gradient. When windows
overlap (stride < kernel) an input pixel sits in several windows and collects
a gradient from each of them; the ``+=`` adds them up.

The maths (notebook 04's notation). Window ``W_o`` is the set of (padded) input
cells that output ``o`` reads, and ``g_o = dL/d out_o`` the upstream gradient.
Both poolings are ``out = J x`` with one row of J per output and one column per
(padded) input cell:

    mean:  J[o, i] = 1 / |W_o|  for i in W_o        (|W_o| = kH * kW, or the real
                                                      cells with count_include_pad=False)
    max:   J[o, i] = 1  for i = a(o) = argmax_{i in W_o} x_i, else 0

Mean pooling is linear: J is the same for every x. Max pooling is piecewise linear:
J stays the same while no window's maximum moves, and at a tie its row is a choice
(every split of g_o among the tied cells is a valid subgradient; the convention below
gives all of it to the first). The backward is the vector-Jacobian product
``dL/dx = J^T g``:

    mean:  dL/dx_i = sum over the windows o that contain i of g_o / |W_o|
    max:   dL/dx_i = sum over the windows o whose maximum is i of g_o

and ``sum_i dL/dx_i = sum_o g_o * (row sum of J over the real inputs)``. The gradient
sum is kept whenever each row sums to 1: always for max pooling, and for mean pooling
unless count_include_pad=True puts padding in a window (its share is lost).

A gradient check cannot test the convention: at a tie a central difference steps each
tied cell up (it becomes the maximum: the output rises by h) and down (another tied cell
takes over: the output stays), so it reports 1/2 for each, whatever backward does. The
tests therefore compare with finite differences only on inputs without ties.

Conventions follow PyTorch: ``stride=None`` means ``stride = kernel_size``;
``H_out = (H + 2 * padding - kernel) // stride + 1``; padding is at most half
the kernel; max pooling pads with -inf and avg pooling with zeros.

Every backward works on plain numpy arrays, so a notebook can run one without
the engine::

    ctx = Context()
    out = MaxPool2d.forward(ctx, x, kernel_size=2, stride=2)   # x: (N, C, H, W) array
    dx = MaxPool2d.backward(ctx, grad)                          # grad: out's shape
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.engine import Context, Function, Tensor, as_tensor

__all__ = ["AvgPool2d", "MaxPool2d", "avg_pool2d", "max_pool2d"]

IntOrPair = int | tuple[int, int]


# ----- shared geometry -----------------------------------------------------------


def _pair(value: IntOrPair, name: str, op: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair (h, w), got {value!r}.")
    return pair  # type: ignore[return-value]


class PoolGeometry:
    """Kernel, stride, padding and output size of one pooling call (all (h, w) pairs)."""

    def __init__(self, op: str, shape: tuple[int, ...], kernel_size, stride, padding):
        if len(shape) != 4:
            raise ValueError(
                f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got shape {shape}."
            )
        self.kernel = _pair(kernel_size, "kernel_size", op)
        self.stride = self.kernel if stride is None else _pair(stride, "stride", op)
        self.padding = _pair(padding, "padding", op)
        if min(self.kernel) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(
                f"{op}: kernel_size and stride must be positive and padding non-negative, got "
                f"kernel_size={kernel_size}, stride={stride}, padding={padding}."
            )
        # PyTorch's rule: a window may not lie mostly in the padding.
        if any(2 * p > k for p, k in zip(self.padding, self.kernel)):
            raise ValueError(
                f"{op}: padding should be at most half of the kernel size, got "
                f"padding={padding} for kernel_size={kernel_size}; use padding <= kernel_size // 2."
            )
        h, w = shape[2], shape[3]
        self.padded = (h + 2 * self.padding[0], w + 2 * self.padding[1])
        if self.padded[0] < self.kernel[0] or self.padded[1] < self.kernel[1]:
            raise ValueError(
                f"{op}: kernel_size {self.kernel} is larger than the padded input "
                f"{self.padded} (input {h}x{w}, padding {self.padding}); use a smaller "
                "kernel, more padding, or a larger input."
            )
        self.out = tuple((n - k) // s + 1 for n, k, s in zip(self.padded, self.kernel, self.stride))
        self.offsets = [(i, j) for i in range(self.kernel[0]) for j in range(self.kernel[1])]

    def window(self, padded: np.ndarray, i: int, j: int) -> np.ndarray:
        """Entry (i, j) of every window: a strided view of shape (N, C, H_out, W_out)."""
        (sh, sw), (ho, wo) = self.stride, self.out
        return padded[:, :, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw]

    def first_real_offset(self) -> np.ndarray:
        """Per window, the offset i * kW + j of its first entry that is not padding.

        Shape (H_out, W_out). Along one axis window o starts at input row o*s - p, so
        its first max(0, p - o*s) entries are padding.
        """
        first = [
            np.maximum(0, p - np.arange(n_out) * s)
            for p, s, n_out in zip(self.padding, self.stride, self.out)
        ]
        return first[0][:, None] * self.kernel[1] + first[1][None, :]

    def tiles(self) -> bool:
        """True when the windows cover the padded input exactly once (no overlap, no gap)."""
        return all(
            s == k and n == o * k
            for s, k, n, o in zip(self.stride, self.kernel, self.padded, self.out)
        )

    def pad(self, x: np.ndarray, fill: float) -> np.ndarray:
        """x surrounded by ``padding`` rows and columns of ``fill`` (x itself if no padding)."""
        ph, pw = self.padding
        if ph == 0 and pw == 0:
            return x
        padded = np.full(x.shape[:2] + self.padded, fill, dtype=x.dtype)
        padded[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]] = x
        return padded

    def unpad(self, padded: np.ndarray) -> np.ndarray:
        """The inverse of ``pad``: drop the padding rows and columns again."""
        (ph, pw), (hp, wp) = self.padding, self.padded
        return padded[:, :, ph : hp - ph, pw : wp - pw]


def _batched(x: np.ndarray, ctx: Context) -> np.ndarray:
    """Accept (C, H, W) like PyTorch by adding a batch axis that backward removes again."""
    ctx.unbatched = x.ndim == 3
    return x[None] if ctx.unbatched else x


# ----- max pooling ---------------------------------------------------------------


class MaxPool2d(Function):
    """out[n, c, h, w] = max over the window at (h, w) of x[n, c, :, :].

    Shapes: x (N, C, H, W) or (C, H, W) -> out (N, C, H_out, W_out) or (C, H_out, W_out).

    Gradient: each window sends its whole ``grad[n, c, h, w]`` (g_o) to the one input
    a(o) that was its maximum; every other input of the window gets nothing from it
    (dL/dx_i = sum of g_o over the windows o with a(o) = i, so the sum of dL/dx
    equals the sum of grad).
    Conventions (PyTorch's):

    - ties: the FIRST maximum in row-major order inside the window takes the gradient;
    - a NaN counts as the maximum: the output is NaN and the NaN gets the gradient
      (of several NaNs in one window, the last one, as in PyTorch's kernel);
    - overlapping windows (stride < kernel) add their gradients: on a 3x3 input whose
      largest value is in the centre, kernel 2 and stride 1 give the centre 4 windows,
      hence a gradient of 4 when every grad is 1;
    - padding is -inf and never takes the gradient, even from a window whose real
      entries are all -inf (their first one does).

    The forward keeps, for each window, which offset (i, j) held the maximum (as
    one number ``i * kW + j``); the backward scatters ``grad`` back through it.
    """

    @staticmethod
    def forward(ctx: Context, x, kernel_size: IntOrPair, stride=None, padding: IntOrPair = 0):
        x = _batched(x, ctx)
        geo = PoolGeometry("max_pool2d", x.shape, kernel_size, stride, padding)
        padded = geo.pad(x, -np.inf)
        out = geo.window(padded, 0, 0).copy()
        offset_type = np.min_scalar_type(len(geo.offsets) - 1).type
        argmax = np.zeros(out.shape, dtype=offset_type)
        better = np.empty(out.shape, dtype=bool)
        has_nan = bool(np.isnan(x).any())
        for offset, (i, j) in enumerate(geo.offsets[1:], start=1):
            candidate = geo.window(padded, i, j)
            # Strictly greater: on a tie the earlier (row-major first) offset keeps it.
            np.greater(candidate, out, out=better)
            if has_nan:
                better |= np.isnan(candidate)
            np.maximum(out, candidate, out=out)  # np.maximum propagates NaN, as wanted
            # Offsets only grow, so "argmax = offset where better" is this maximum
            # (arithmetic instead of a masked write, which is several times slower).
            np.maximum(argmax, better * offset_type(offset), out=argmax)
        if geo.padding != (0, 0):
            # A window whose real entries are all -inf ties with its -inf padding; its
            # gradient goes to the first real entry (as in PyTorch), never to padding.
            all_neg_inf = out == -np.inf
            if all_neg_inf.any():
                np.copyto(argmax, geo.first_real_offset(), where=all_neg_inf, casting="unsafe")
        ctx.geo, ctx.argmax, ctx.input_shape, ctx.dtype = geo, argmax, x.shape, x.dtype
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx: Context, grad):
        geo, argmax = ctx.geo, ctx.argmax
        if ctx.unbatched:
            grad = grad[None]
        n, c = ctx.input_shape[:2]
        dtype = np.result_type(grad, ctx.dtype)
        if geo.tiles():
            # Every input is in exactly one window: plain writes, no zero-fill or +=.
            dx_padded = np.empty((n, c) + geo.padded, dtype=dtype)
            for offset, (i, j) in enumerate(geo.offsets):
                np.multiply(grad, argmax == offset, out=geo.window(dx_padded, i, j))
        else:
            dx_padded = np.zeros((n, c) + geo.padded, dtype=dtype)
            for offset, (i, j) in enumerate(geo.offsets):
                # += so that an input shared by overlapping windows collects from each.
                geo.window(dx_padded, i, j)[...] += grad * (argmax == offset)
        dx = geo.unpad(dx_padded)
        return dx[0] if ctx.unbatched else dx


# ----- average pooling -----------------------------------------------------------


def _window_counts(geo: PoolGeometry, h: int, w: int) -> np.ndarray:
    """How many real (non-padding) inputs each window covers: an (H_out, W_out) array.

    Along one axis, window ``o`` spans padded rows [o*s, o*s + k), i.e. input rows
    [o*s - p, o*s - p + k) clipped to [0, n); the 2-D count is rows x columns.
    """
    counts = []
    for n, k, s, p, n_out in zip((h, w), geo.kernel, geo.stride, geo.padding, geo.out):
        start = np.arange(n_out) * s - p
        counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1])


class AvgPool2d(Function):
    """out[n, c, h, w] = (sum of the window at (h, w)) / divisor.

    Shapes: x (N, C, H, W) or (C, H, W) -> out (N, C, H_out, W_out) or (C, H_out, W_out).

    Padding is zeros. ``count_include_pad=True`` (PyTorch's default) divides by
    kH * kW, padding included; ``False`` divides by the number of real inputs in
    the window. Gradient: every input of a window gets ``grad / divisor`` from it
    (added over overlapping windows): dL/dx_i = sum of g_o / divisor_o over the windows
    o that contain i. With count_include_pad=True the padding cells of a border window
    take their share too, and it is dropped with the padding, so the sum of dL/dx is
    smaller than the sum of grad. Example (PyTorch agrees): a 2x2 input of ones,
    kernel 2, stride 1, padding 1 has 9 windows and each input is in 4 of them;
    with count_include_pad=True each gives 1/4, so every input gets 1.0; with False
    the windows cover 1, 2, 2 and 4 real inputs, so 1 + 1/2 + 1/2 + 1/4 = 2.25.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x,
        kernel_size: IntOrPair,
        stride=None,
        padding: IntOrPair = 0,
        count_include_pad: bool = True,
    ):
        x = _batched(x, ctx)
        geo = PoolGeometry("avg_pool2d", x.shape, kernel_size, stride, padding)
        padded = geo.pad(x, 0.0)
        total = geo.window(padded, 0, 0).copy()
        for i, j in geo.offsets[1:]:
            total += geo.window(padded, i, j)
        if count_include_pad or geo.padding == (0, 0):
            divisor = geo.kernel[0] * geo.kernel[1]
        else:
            divisor = _window_counts(geo, x.shape[2], x.shape[3]).astype(x.dtype)
        ctx.geo, ctx.divisor, ctx.input_shape = geo, divisor, x.shape
        out = total / divisor
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx: Context, grad):
        geo = ctx.geo
        if ctx.unbatched:
            grad = grad[None]
        share = grad / ctx.divisor  # what each input of a window receives from it
        n, c = ctx.input_shape[:2]
        if geo.tiles():
            # Every input is in exactly one window: plain writes, no zero-fill or +=.
            dx_padded = np.empty((n, c) + geo.padded, dtype=share.dtype)
            for i, j in geo.offsets:
                geo.window(dx_padded, i, j)[...] = share
        else:
            dx_padded = np.zeros((n, c) + geo.padded, dtype=share.dtype)
            for i, j in geo.offsets:
                geo.window(dx_padded, i, j)[...] += share
        dx = geo.unpad(dx_padded)
        return dx[0] if ctx.unbatched else dx


# ----- public functions (torch.nn.functional names) --------------------------------


def _float_input(x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return x


def max_pool2d(
    input: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> Tensor:
    """Max over each ``kernel_size`` window of an (N, C, H, W) or (C, H, W) input.

    As ``torch.nn.functional.max_pool2d`` (no dilation or ceil_mode). See ``MaxPool2d``
    for the gradient and its conventions at ties, NaNs and overlapping windows.
    """
    return MaxPool2d.apply(_float_input(input), kernel_size, stride, padding)


def avg_pool2d(
    input: Any,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    *,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each ``kernel_size`` window of an (N, C, H, W) or (C, H, W) input.

    As ``torch.nn.functional.avg_pool2d`` (no ceil_mode or divisor_override; pass
    count_include_pad by name, since PyTorch has ceil_mode before it). See
    ``AvgPool2d`` for the gradient.
    """
    return AvgPool2d.apply(_float_input(input), kernel_size, stride, padding, count_include_pad)
