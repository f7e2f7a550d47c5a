"""The benchmarked kernels written directly in numpy: forward and backward, no engine.

This is the "hand-written numpy" column: what a numpy programmer would write for
one fixed computation, with the backward derived by hand. gradlib's time divided
by this one is the price of the engine (Tensor wrapping, graph recording, the
generic backward walk) plus any difference in algorithm.

Shapes are PyTorch's: images NCHW, linear weights (out_features, in_features),
conv weights (C_out, C_in, kH, kW). Each ``*_backward`` takes ``grad = dL/d(out)``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# ----- activations ----------------------------------------------------------------------


def relu_forward(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    return grad * (x > 0)


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(grad: np.ndarray, s: np.ndarray) -> np.ndarray:
    return grad * s * (1 - s)


# ----- MLP training step ----------------------------------------------------------------


def mlp_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One SGD step of Linear-ReLU-Linear-ReLU-Linear with mean cross-entropy; returns the loss.

    params = [W1, b1, W2, b2, W3, b3], updated in place (w -= lr * dL/dw).
    """
    W1, b1, W2, b2, W3, b3 = params
    n = X.shape[0]
    h1 = X @ W1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ W2.T + b2
    a2 = np.maximum(h2, 0)
    logits = a2 @ W3.T + b3
    # cross-entropy through log-softmax (log-sum-exp, stable for any finite logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, y].mean()
    # backward: dL/dlogits = (softmax - one_hot) / N
    d = np.exp(log_p)
    d[rows, y] -= 1
    d /= n
    grads = [None] * 6
    grads[4], grads[5] = d.T @ a2, d.sum(axis=0)
    d = d @ W3
    d *= h2 > 0  # ReLU'(0) = 0, as in PyTorch
    grads[2], grads[3] = d.T @ a1, d.sum(axis=0)
    d = d @ W2
    d *= h1 > 0
    grads[0], grads[1] = d.T @ X, d.sum(axis=0)
    for p, g in zip(params, grads):
        p -= lr * g
    return float(loss)


# ----- pooling --------------------------------------------------------------------------


def _windows(x: np.ndarray, k: int, s: int) -> np.ndarray:
    """Every k x k window of x (N, C, H, W) at stride s: a view (N, C, H_out, W_out, k, k)."""
    return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]


def max_pool2d_forward(x: np.ndarray, k: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """out (N, C, H_out, W_out) and, per window, the flat offset i * k + j of its maximum."""
    windows = _windows(x, k, s)
    flat = windows.reshape(windows.shape[:4] + (k * k,))  # a copy: windows overlap or stride
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, argmax


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, x_shape, k: int, s: int):
    """Each window's grad goes to its maximum; overlapping windows add up (+=)."""
    dx = np.zeros(x_shape, dtype=grad.dtype)
    ho, wo = grad.shape[2:]
    for i in range(k):
        for j in range(k):
            dx[:, :, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s] += grad * (
                argmax == i * k + j
            )
    return dx


def avg_pool2d_forward(x: np.ndarray, k: int, s: int) -> np.ndarray:
    return _windows(x, k, s).mean(axis=(-2, -1))


def avg_pool2d_backward(grad: np.ndarray, x_shape, k: int, s: int) -> np.ndarray:
    """Each input of a window gets grad / (k * k) from it; overlapping windows add up."""
    dx = np.zeros(x_shape, dtype=grad.dtype)
    share = grad / (k * k)
    ho, wo = grad.shape[2:]
    for i in range(k):
        for j in range(k):
            dx[:, :, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s] += share
    return dx


# ----- conv2d ---------------------------------------------------------------------------


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, padding: int):
    """Cross-correlation, stride 1; returns out (N, C_out, H_out, W_out) and the padded input."""
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    kh = weight.shape[2]
    windows = _windows(xp, kh, 1)  # (N, C_in, H_out, W_out, kH, kW)
    out = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3]))  # (N, H_out, W_out, C_out)
    out += bias
    return out.transpose(0, 3, 1, 2), xp


def conv2d_backward(grad: np.ndarray, xp: np.ndarray, weight: np.ndarray, padding: int):
    """dx, dweight, dbias of ``conv2d_forward`` (stride 1)."""
    kh, kw = weight.shape[2:]
    windows = _windows(xp, kh, 1)
    dweight = np.tensordot(grad, windows, axes=([0, 2, 3], [0, 2, 3]))  # (C_out, C_in, kH, kW)
    dbias = grad.sum(axis=(0, 2, 3))
    dwindows = np.tensordot(grad, weight, axes=([1], [0]))  # (N, H_out, W_out, C_in, kH, kW)
    dxp = np.zeros_like(xp)
    ho, wo = grad.shape[2:]
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i : i + ho, j : j + wo] += dwindows[..., i, j].transpose(0, 3, 1, 2)
    p = padding
    return dxp[:, :, p : dxp.shape[2] - p, p : dxp.shape[3] - p], dweight, dbias


# ----- batch norm (training mode) ------------------------------------------------------


def batch_norm_forward(x, weight, bias, running_mean, running_var, momentum=0.1, eps=1e-5):
    """Per-channel batch norm of (N, C, H, W) with batch statistics; updates the running ones."""
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=(0, 2, 3))
    centred = x - mean[:, None, None]
    var = np.einsum("nchw,nchw->c", centred, centred) / m
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centred * inv_std[:, None, None]
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += momentum * var * (m / (m - 1))
    return x_hat * weight[:, None, None] + bias[:, None, None], x_hat, inv_std


def batch_norm_backward(grad, x_hat, inv_std, weight):
    """dx = weight * inv_std * (grad - mean(grad) - x_hat * mean(grad * x_hat)), per channel."""
    m = grad.shape[0] * grad.shape[2] * grad.shape[3]
    dbias = grad.sum(axis=(0, 2, 3))
    dweight = np.einsum("nchw,nchw->c", grad, x_hat)
    dx = grad - (dbias / m)[:, None, None] - x_hat * (dweight / m)[:, None, None]
    dx *= (weight * inv_std)[:, None, None]
    return dx, dweight, dbias


# ----- layer norm ----------------------------------------------------------------------


def layer_norm_forward(x, weight, bias, eps=1e-5):
    """Layer norm of each row of x (N, D) over its D features; returns out, x_hat and inv_std."""
    mean = x.mean(axis=1, keepdims=True)
    centred = x - mean
    var = np.einsum("nd,nd->n", centred, centred)[:, None] / x.shape[1]
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = centred * inv_std
    return x_hat * weight + bias, x_hat, inv_std


def layer_norm_backward(grad, x_hat, inv_std, weight):
    """dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), per row."""
    dx_hat = grad * weight
    mean_dx_hat = dx_hat.mean(axis=1, keepdims=True)
    mean_dx_hat_x_hat = np.einsum("nd,nd->n", dx_hat, x_hat)[:, None] / x_hat.shape[1]
    dx = (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat) * inv_std
    return dx, np.einsum("nd,nd->d", grad, x_hat), grad.sum(axis=0)


# ----- cross-entropy ----------------------------------------------------------------------


def cross_entropy_forward(logits: np.ndarray, target: np.ndarray):
    """Mean of -log softmax(logits)[n, target[n]]; returns the loss and log-probabilities."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(target)), target].mean(), log_p


def cross_entropy_backward(log_p: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(softmax - one_hot) / N."""
    d = np.exp(log_p)
    d[np.arange(len(target)), target] -= 1
    d /= len(target)
    return d
