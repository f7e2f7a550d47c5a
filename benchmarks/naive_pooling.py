"""THE SLOW REFERENCE: pooling as a Python loop over every output pixel.

This is how pooling reads in a textbook: for each sample, channel and output
position, look at one window. It is correct and easy to follow, and it is what
vectorising bought us: gradlib's pooling loops over the k*k offsets of a window
instead (4 or 9 numpy operations on whole arrays), this loops over every one of
the N * C * H_out * W_out windows in Python. It exists to be timed against
gradlib, never to be used.
"""

from __future__ import annotations

import numpy as np


def max_pool2d_loop(x: np.ndarray, k: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """out[n, c, h, w] = max of the window; also the (row, col) in x of each maximum."""
    n_, c_, h_, w_ = x.shape
    ho, wo = (h_ - k) // s + 1, (w_ - k) // s + 1
    out = np.empty((n_, c_, ho, wo), dtype=x.dtype)
    where = np.empty((n_, c_, ho, wo, 2), dtype=np.intp)
    for n in range(n_):
        for c in range(c_):
            for h in range(ho):
                for w in range(wo):
                    window = x[n, c, h * s : h * s + k, w * s : w * s + k]
                    i, j = divmod(int(window.argmax()), k)  # first maximum, row-major
                    out[n, c, h, w] = window[i, j]
                    where[n, c, h, w] = (h * s + i, w * s + j)
    return out, where


def max_pool2d_loop_backward(grad: np.ndarray, where: np.ndarray, x_shape) -> np.ndarray:
    dx = np.zeros(x_shape, dtype=grad.dtype)
    n_, c_, ho, wo = grad.shape
    for n in range(n_):
        for c in range(c_):
            for h in range(ho):
                for w in range(wo):
                    i, j = where[n, c, h, w]
                    dx[n, c, i, j] += grad[n, c, h, w]
    return dx


def avg_pool2d_loop(x: np.ndarray, k: int, s: int) -> np.ndarray:
    n_, c_, h_, w_ = x.shape
    ho, wo = (h_ - k) // s + 1, (w_ - k) // s + 1
    out = np.empty((n_, c_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for c in range(c_):
            for h in range(ho):
                for w in range(wo):
                    out[n, c, h, w] = x[n, c, h * s : h * s + k, w * s : w * s + k].mean()
    return out


def avg_pool2d_loop_backward(grad: np.ndarray, x_shape, k: int, s: int) -> np.ndarray:
    dx = np.zeros(x_shape, dtype=grad.dtype)
    n_, c_, ho, wo = grad.shape
    for n in range(n_):
        for c in range(c_):
            for h in range(ho):
                for w in range(wo):
                    dx[n, c, h * s : h * s + k, w * s : w * s + k] += grad[n, c, h, w] / (k * k)
    return dx
