"""Normalisation layers as functions: batch_norm and layer_norm.

Both standardise activations, x_hat = (x - mean) / sqrt(var + eps), then scale
and shift them, out = weight * x_hat + bias. They differ in what they average over:

- ``batch_norm``: per channel, over the batch (and the spatial axes of an image):
  for (N, C) over N, for (N, C, H, W) over N, H and W. In training it uses the
  batch's statistics and updates running averages; in evaluation it uses those
  running averages instead.
- ``layer_norm``: per sample, over its last few axes (``normalized_shape``).

The variance in x_hat is the biased one (divide by M, the number of values
averaged), as in Ioffe & Szegedy (2015) and PyTorch; the running variance is
updated with the unbiased one (divide by M - 1), as PyTorch does.

Every backward works on plain numpy arrays, so a notebook can run one without
the engine::

    ctx = Context()
    out = BatchNorm.forward(ctx, x, running_mean, running_var, weight, bias, training=True)
    dx, dweight, dbias = BatchNorm.backward(ctx, grad)      # grad: out's shape
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradlib.engine import Context, Function, Tensor, as_tensor

__all__ = ["BatchNorm", "LayerNorm", "batch_norm", "layer_norm"]


def _with_present(dx: np.ndarray, dweight, dbias, ctx: Context) -> tuple:
    """dx, then dweight and dbias only for the inputs that were given (not None)."""
    grads = (dx,)
    if ctx.has_weight:
        grads += (dweight,)
    if ctx.has_bias:
        grads += (dbias,)
    return grads


# ----- batch norm ----------------------------------------------------------------


def _per_channel(values: np.ndarray, length: int) -> np.ndarray:
    """Per-channel values (C,) repeated along each channel's L positions: shape (C, L).

    ``x3 * _per_channel(scale, L)`` on x3 of shape (N, C, L) gives the same numbers as
    ``x3 * scale[:, None]``. The (C, L) form is for speed: numpy then walks each sample's
    C * L values in one contiguous run, where a (C, 1) column splits the work into N * C
    runs of only L values. For images (L = H * W) that makes each per-channel step about
    twice as fast (numpy 2.4), and batch norm is made of such steps over the whole input.
    """
    return np.repeat(values[:, None], length, axis=1)


def _sum_of_products(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum(a * b) over axes 0 and 2 of two (N, C, L) arrays, per channel: shape (C,).

    These are N * C dot products of length L, added up per channel. For long rows
    (images: L = H * W) a stack of (1, L) @ (L, 1) matrix products runs them with BLAS,
    about a third faster than einsum (numpy 2.4). For short rows (L = 1 for (N, C)
    features) einsum is much faster, so rows shorter than 64 values go to einsum.
    """
    if a.shape[2] < 64:
        return np.einsum("ncl,ncl->c", a, b)
    return (a[:, :, None, :] @ b[:, :, :, None]).sum(axis=(0, 2, 3))


def _check_channel_param(name: str, value, channels: int, x_shape) -> None:
    if value is not None and np.shape(value) != (channels,):
        raise ValueError(
            f"batch_norm: {name} must have shape (C,) = ({channels},) for an input of shape "
            f"{x_shape} (channels on axis 1), got {np.shape(value)}; make it ({channels},) "
            "or check that the input's channels are on axis 1."
        )


class BatchNorm(Function):
    """Batch normalisation per channel (axis 1) of an (N, C) or (N, C, H, W) input.

    With statistics over the M = N (* H * W) values of each channel c:

        x_hat = (x - mean_c) / sqrt(var_c + eps)      var_c: biased (divide by M)
        out   = weight_c * x_hat + bias_c

    Training uses the batch's mean and var and updates the running statistics in
    place: running = (1 - momentum) * running + momentum * batch statistic, with the
    UNBIASED variance (divide by M - 1) for running_var. Evaluation
    (training=False) uses running_mean and running_var instead.

    Gradient (sums over the M values of a channel; s = 1 / sqrt(var_c + eps)):

        dL/dbias   = sum(grad)
        dL/dweight = sum(grad * x_hat)
        dL/dx      = weight_c * s * (grad - dL/dbias / M - x_hat * dL/dweight / M)   training
        dL/dx      = weight_c * s * grad                                            evaluation

    In training, mean and var depend on every x of the batch, which is where the
    two subtracted terms come from. They make dL/dx sum to zero over each channel
    (shifting all of a channel's inputs by the same amount changes nothing).

    Shapes: x (N, C, ...), weight and bias (C,) or None, running stats (C,) arrays.
    ``backward`` returns dx, then dweight and dbias for those given.
    """

    @staticmethod
    def forward(
        ctx: Context,
        x,
        running_mean=None,
        running_var=None,
        weight=None,
        bias=None,
        training: bool = False,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ):
        if x.ndim < 2:
            raise ValueError(
                f"batch_norm: expected input of shape (N, C) or (N, C, H, W), got shape "
                f"{x.shape}; for a single feature vector add a batch axis: x.reshape(1, -1)."
            )
        n, c = x.shape[:2]
        for name, value in (("running_mean", running_mean), ("running_var", running_var)):
            _check_channel_param(name, value, c, x.shape)
        _check_channel_param("weight", weight, c, x.shape)
        _check_channel_param("bias", bias, c, x.shape)
        x3 = x.reshape(n, c, -1)  # (N, C, L): the statistics are over axes 0 and 2
        length = x3.shape[2]
        count = n * length
        if training:
            if count < 2:
                raise ValueError(
                    f"batch_norm: training needs more than one value per channel to estimate "
                    f"a variance, got input shape {x.shape}; use a batch of 2 or more, or "
                    "training=False."
                )
            mean = np.einsum("ncl->c", x3) / count  # einsum: a faster sum over axes 0, 2
        else:
            if running_mean is None or running_var is None:
                raise ValueError(
                    "batch_norm: evaluation (training=False) normalises with running_mean and "
                    "running_var, so both must be given; pass training=True to use the batch's "
                    "own statistics."
                )
            mean = running_mean.copy()  # a copy: a later training step updates running_mean
        # x - mean. Its dtype is numpy's for (x - mean) * weight: float32 stays float32
        # unless a float64 weight or running mean is mixed in.
        dtype = np.result_type(x, mean, *([] if weight is None else [weight]))
        centred = np.subtract(x3, _per_channel(mean, length), dtype=dtype)
        if training:
            var = _sum_of_products(centred, centred) / count  # biased: divide by M
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += momentum * var * (count / (count - 1))  # unbiased: M - 1
        else:
            var = running_var
        inv_std = 1.0 / np.sqrt(var + eps)
        # out = weight * (x - mean) * inv_std + bias, with weight * inv_std as one per-channel
        # factor. Batch norm is bound by memory traffic, and each full-size array it makes
        # costs more than a pass over one. So training makes two, x - mean and out, and
        # keeps x - mean: the backward turns it into dx. Evaluation makes out in place.
        scale = inv_std if weight is None else weight * inv_std
        out = np.multiply(centred, _per_channel(scale, length), out=None if training else centred)
        if bias is not None:
            out += _per_channel(bias, length)
        ctx.centred = centred if training else None
        ctx.x3, ctx.mean, ctx.inv_std, ctx.weight = x3, mean, inv_std, weight
        ctx.training, ctx.shape = training, x.shape
        ctx.has_weight, ctx.has_bias = weight is not None, bias is not None
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx: Context, grad):
        x3, inv_std = ctx.x3, ctx.inv_std
        g = grad.reshape(x3.shape)
        length, count = x3.shape[2], x3.shape[0] * x3.shape[2]
        scale = inv_std if ctx.weight is None else ctx.weight * inv_std
        # x - mean (x_hat = (x - mean) * s). Training saved it, and it becomes dx below, in
        # place; so ctx lets go of it, and a second backward through the same graph (or
        # evaluation) computes it again.
        centred, ctx.centred = ctx.centred, None
        if centred is None:
            dtype = np.result_type(x3, ctx.mean, g)
            centred = np.subtract(x3, _per_channel(ctx.mean, length), dtype=dtype)
        dbias = np.einsum("ncl->c", g)
        dweight = inv_std * _sum_of_products(g, centred)  # sum(grad * x_hat)
        if ctx.training:
            # weight * s * (grad - dbias / M - x_hat * dweight / M), in place.
            dx = centred
            dx *= _per_channel(-inv_std * dweight / count, length)
            dx += g
            dx -= _per_channel(dbias / count, length)
            dx *= _per_channel(scale, length)
        else:
            dx = g * _per_channel(scale, length)
        return _with_present(dx.reshape(ctx.shape), dweight, dbias, ctx)


# ----- layer norm ----------------------------------------------------------------


class LayerNorm(Function):
    """Layer normalisation over the last axes (``normalized_shape``) of each sample.

    With the D = prod(normalized_shape) values of one sample (mean and biased var
    over them, s = 1 / sqrt(var + eps)):

        x_hat = (x - mean) * s,   out = weight * x_hat + bias   (weight, bias: normalized_shape)

    Gradient, with dx_hat = grad * weight and means over the same D values:

        dL/dx      = s * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))
        dL/dweight = sum over the leading (batch) axes of grad * x_hat
        dL/dbias   = sum over the leading axes of grad

    Shapes: x (..., *normalized_shape) -> out of x's shape. There are no running
    statistics: training and evaluation compute the same thing.
    ``backward`` returns dx, then dweight and dbias for those given.
    """

    @staticmethod
    def forward(ctx: Context, x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        normalized_shape = tuple(normalized_shape)
        k = len(normalized_shape)
        if k == 0 or x.ndim < k or x.shape[x.ndim - k :] != normalized_shape:
            raise ValueError(
                f"layer_norm: normalized_shape {normalized_shape} must equal the last axes of "
                f"the input, but the input has shape {x.shape}; use normalized_shape="
                f"{x.shape[-1:] if x.ndim else '()'} to normalise over the last axis."
            )
        for name, value in (("weight", weight), ("bias", bias)):
            if value is not None and np.shape(value) != normalized_shape:
                raise ValueError(
                    f"layer_norm: {name} must have shape normalized_shape = {normalized_shape}, "
                    f"got {np.shape(value)}."
                )
        x2 = x.reshape(-1, math.prod(normalized_shape))  # (B, D): one row per sample
        count = x2.shape[1]
        x_hat = x2 - (np.einsum("bd->b", x2) / count)[:, None]  # einsum: a faster row sum
        var = np.einsum("bd,bd->b", x_hat, x_hat) / count  # biased: divide by D
        inv_std = (1.0 / np.sqrt(var + eps))[:, None]
        x_hat *= inv_std
        out = x_hat.copy() if weight is None else x_hat * weight.reshape(-1)
        if bias is not None:
            out += bias.reshape(-1)
        ctx.x_hat, ctx.inv_std, ctx.weight = x_hat, inv_std, weight
        ctx.has_weight, ctx.has_bias, ctx.shape = weight is not None, bias is not None, x.shape
        ctx.normalized_shape = normalized_shape
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx: Context, grad):
        x_hat, inv_std = ctx.x_hat, ctx.inv_std
        g = grad.reshape(x_hat.shape)
        dx_hat = g if ctx.weight is None else g * ctx.weight.reshape(-1)
        count = x_hat.shape[1]
        mean_dx_hat = (np.einsum("bd->b", dx_hat) / count)[:, None]
        mean_dx_hat_x_hat = np.einsum("bd,bd->b", dx_hat, x_hat)[:, None] / count
        # The formula above, in place to spare full-size temporaries.
        dx = x_hat * -mean_dx_hat_x_hat
        dx += dx_hat
        dx -= mean_dx_hat
        dx *= inv_std
        dweight = np.einsum("bd,bd->d", g, x_hat).reshape(ctx.normalized_shape)
        dbias = g.sum(axis=0).reshape(ctx.normalized_shape)
        return _with_present(dx.reshape(ctx.shape), dweight, dbias, ctx)


# ----- public functions (torch.nn.functional names) --------------------------------


def _float_input(x: Any) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor._from_op(x.data.astype(np.float64))
    return x


def _optional(x: Any) -> Tensor | None:
    return None if x is None else _float_input(x)


def _running_stat(value: Any, name: str) -> np.ndarray | None:
    """The array behind a running statistic; it is updated in place, so no copy."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(
            f"batch_norm: {name} must be a floating-point numpy array or Tensor (it is updated "
            f"in place during training), got {type(value).__name__}; e.g. np.zeros(C)."
        )
    return array


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation, as ``torch.nn.functional.batch_norm``.

    running_mean and running_var (shape (C,), numpy arrays or Tensors) are read in
    evaluation and updated in place in training. See ``BatchNorm`` for the formulas.
    """
    return BatchNorm.apply(
        _float_input(input),
        _running_stat(running_mean, "running_mean"),
        _running_stat(running_var, "running_var"),
        _optional(weight),
        _optional(bias),
        training,
        momentum,
        eps,
    )


def layer_norm(
    input: Any,
    normalized_shape: int | tuple[int, ...],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the last axes, as ``torch.nn.functional.layer_norm``."""
    return LayerNorm.apply(
        _float_input(input), normalized_shape, _optional(weight), _optional(bias), eps
    )
