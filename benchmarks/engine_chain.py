"""The engine alone: backward over a chain of n ops, y = ((x * c) * c) ... * c, then sum.

Each op is a multiplication of a 16-element vector by a constant, so the numpy work
per op is tiny and the time measured is the engine's own: the topological sort, the
walk over the graph, one ``Function.backward`` call and the gradient bookkeeping per
op. Backpropagation visits every op once, so the time per op should not grow with n;
if it does, something in the engine is worse than linear (a recursive sort, a list
searched per op, a dict that keeps growing).

The graph is built once per chain length and ``backward()`` is timed on it repeatedly
(gradlib keeps the graph; PyTorch needs ``retain_graph=True``). The forward time
(building the graph) is reported beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import gradlib as gl
from benchmarks.harness import time_interleaved
from benchmarks.kernels import GRADLIB, TORCH

WIDTH = 16
FACTOR = 1.0001


@dataclass
class ChainResult:
    ops: int
    backward: dict[str, float]  # implementation -> median seconds of one backward()
    forward: dict[str, float]  # implementation -> seconds to build the graph (one run)


def _gradlib_chain(n: int) -> tuple[Any, Any, float]:
    x = gl.tensor(np.ones(WIDTH), requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * FACTOR
    loss = y.sum()
    return x, loss, time.perf_counter() - start


def _torch_chain(torch: Any, n: int) -> tuple[Any, Any, float]:
    x = torch.ones(WIDTH, dtype=torch.float64, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * FACTOR
    loss = y.sum()
    return x, loss, time.perf_counter() - start


def measure_chain(torch: Any, n: int, repeats: int) -> ChainResult:
    """Median backward time over a chain of ``n`` multiplications (plus the final sum)."""
    x, loss, forward_seconds = _gradlib_chain(n)
    expected = FACTOR**n

    def gradlib_backward() -> None:
        x.grad = None
        loss.backward()

    implementations = {GRADLIB: gradlib_backward}
    forward = {GRADLIB: forward_seconds}
    if torch is not None:
        x_t, loss_t, forward[TORCH] = _torch_chain(torch, n)

        def torch_backward() -> None:
            x_t.grad = None
            loss_t.backward(retain_graph=True)

        implementations[TORCH] = torch_backward
    gradlib_backward()
    if not np.allclose(x.grad, expected, rtol=1e-9):
        raise AssertionError(f"engine chain of {n} ops: gradient {x.grad[0]} != {expected}")
    timings = time_interleaved(implementations, repeats, min_sample_seconds=0.0, warmup=1)
    return ChainResult(n, {name: t.median for name, t in timings.items()}, forward)
