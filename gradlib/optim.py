"""Optimisers (as ``torch.optim``), gradient clipping and weight penalties.

An optimiser holds a list of parameters and, on ``step()``, moves each one
using its ``.grad``. The updates change ``p.data`` in place with plain numpy, so
no graph is recorded: an update is not something to differentiate. The usual
loop::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for X, y in batches(X_train, y_train, 32, seed=rng):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()

The formulas are PyTorch's, term for term, so a gradlib run and a PyTorch run
from the same weights and gradients give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from gradlib import ops
from gradlib.engine import Tensor

__all__ = [
    "SGD",
    "Adam",
    "Optimizer",
    "clip_grad_norm_",
    "clip_grad_value_",
    "l1_penalty",
    "l2_penalty",
]


def _as_list(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


class Optimizer:
    """Base class: keeps ``params`` (a list) and per-parameter ``state``; subclasses define step().

    ``state[i]`` is a dict for ``params[i]`` (a momentum buffer, Adam's moments).
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = _as_list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(
                f"{name}: got an empty parameter list. Pass model.parameters() (if you built "
                "the list from a generator, it may have been used up already)."
            )
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(
                    f"{name}: parameter {i} is not a Tensor with requires_grad=True; an "
                    "optimiser can only update tensors that receive gradients."
                )
        if lr < 0:
            raise ValueError(f"{name}: learning rate must be >= 0, got lr={lr}.")
        self.lr = lr
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``, PyTorch's default)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    For each parameter w with gradient g, at step t:

        g = g + weight_decay * w                          (L2 penalty (wd/2)|w|^2)
        b = g                          at the first step
        b = momentum * b + (1 - dampening) * g            afterwards
        g = g + momentum * b  if nesterov  else  b        (only when momentum != 0)
        w = w - lr * g

    Parameters whose ``.grad`` is None are skipped.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: momentum ({momentum}) and weight_decay ({weight_decay}) must be >= 0."
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)."
            )
        self.momentum, self.weight_decay = momentum, weight_decay
        self.dampening, self.nesterov = dampening, nesterov

    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            if self.momentum != 0:
                if "momentum_buffer" not in state:
                    buf = g.copy()
                else:
                    buf = self.momentum * state["momentum_buffer"] + (1 - self.dampening) * g
                state["momentum_buffer"] = buf
                g = g + self.momentum * buf if self.nesterov else buf
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), as ``torch.optim.Adam``.

    For each parameter w with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * w              (L2 penalty, not AdamW's decoupled decay)
        m = beta1 * m + (1 - beta1) * g       (first moment, m_0 = 0)
        v = beta2 * v + (1 - beta2) * g^2     (second moment, v_0 = 0)
        w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The (1 - beta^t) factors undo the bias of starting m and v at zero. Each
    weight's step is about lr in size whatever the scale of its gradient, which
    is why Adam copes with gradients that differ by orders of magnitude between
    layers.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: betas must each be in [0, 1), got {betas}.")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"Adam: eps ({eps}) and weight_decay ({weight_decay}) must be >= 0.")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay != 0:
                g = g + self.weight_decay * p.data
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(p.data)
                state["exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            t = state["step"]
            m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
            v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
            step_size = self.lr / (1 - beta1**t)
            denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
            p.data -= step_size * m / denom


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients together so their joint norm is at most ``max_norm``.

    The total norm treats every gradient entry of every parameter as one long
    vector: ||g|| = (sum |g_i|^p)^(1/p) (p = inf: the largest |g_i|). If it is
    larger than max_norm, every gradient is multiplied by max_norm / (||g|| + 1e-6),
    as PyTorch does; the direction of the step is kept, only its length shrinks.

    Returns the total norm before clipping, as a float (PyTorch returns a 0-d
    tensor). Parameters without a gradient are ignored. A nan or inf norm raises
    an error (PyTorch would silently scale every gradient to nan).
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return 0.0
    # The norm of the per-parameter norms equals the norm of all entries together.
    norms = np.array([np.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total = float(np.linalg.norm(norms, ord=norm_type))
    if math.isnan(total) or math.isinf(total):
        raise ValueError(
            f"clip_grad_norm_: the total gradient norm is {total}; some gradient is nan or "
            "inf, so no rescaling can fix it. Look for a log of 0 or an overflow in the loss."
        )
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coefficient
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value] (in place).

    Unlike ``clip_grad_norm_`` this changes the direction of the step.
    """
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}.")
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)


def l1_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """sum_i |w_i| over all given parameters, as a Tensor to add to a loss.

    ``loss = F.cross_entropy(out, y) + lam * l1_penalty(model.parameters())``.
    Its gradient is lam * sign(w) (0 at w = 0): a constant pull toward zero that
    drives small weights to exactly zero (sparse weights). Pass only the weights
    (e.g. ``[m.weight for m in model.linear_layers()]``) to leave biases free.
    """
    params = _as_list(parameters)
    if not params:
        raise ValueError("l1_penalty: got no parameters.")
    total = ops.abs(params[0]).sum()
    for p in params[1:]:
        total = total + ops.abs(p).sum()
    return total


def l2_penalty(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """sum_i w_i^2 over all given parameters, as a Tensor to add to a loss.

    Its gradient is 2 w, so adding (wd / 2) * l2_penalty(params) to the loss
    changes each step exactly as ``SGD(..., weight_decay=wd)`` does.
    """
    params = _as_list(parameters)
    if not params:
        raise ValueError("l2_penalty: got no parameters.")
    total = (params[0] * params[0]).sum()
    for p in params[1:]:
        total = total + (p * p).sum()
    return total
