"""Finite-difference gradient checks: is an op's backward right?

The central difference ``(f(x + h) - f(x - h)) / 2h`` approximates f'(x) with
an error of order h**2 (plus round-off of order eps_machine / h), so in float64
with h = 1e-6 it agrees with a correct analytic gradient to about 1e-9.
``gradcheck`` compares the two for every input of a function and says where
they differ. Near kinks (ReLU at 0, ties in a max) finite differences are
meaningless, so check at points away from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlib.engine import Tensor, no_grad

_WEIGHT_SALT = 0x67726164  # "grad"

__all__ = ["GradcheckResult", "InputCheck", "gradcheck", "numerical_grad", "rel_error"]


def rel_error(a: Any, b: Any, tiny: float = 1e-12) -> float:
    """Largest elementwise |a - b| / max(|a| + |b|, tiny): 0 when equal, 1 when opposite."""
    a = np.asarray(a.data if isinstance(a, Tensor) else a, dtype=np.float64)
    b = np.asarray(b.data if isinstance(b, Tensor) else b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes {a.shape} and {b.shape} differ.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)))


def _scalar(value: Any) -> float:
    if isinstance(value, Tensor):
        value = value.data
    value = np.asarray(value)
    if value.size != 1:
        raise ValueError(
            f"numerical_grad: the function must return one number, got shape {value.shape}; "
            "reduce it (e.g. .sum()) or use gradcheck, which handles any output shape."
        )
    return float(value.reshape(()))


def numerical_grad(
    f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, wrt: Any = None
) -> list[np.ndarray]:
    """Central-difference gradient of a scalar function with respect to its inputs.

    ``f`` takes the inputs (numpy arrays, or Tensors if you pass Tensors) and
    returns one number (a float, a one-element array or Tensor). Returns one
    gradient array per input in ``wrt`` (default: every floating-point input),
    each computed as ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` entry by entry.
    Inputs are perturbed in place and restored.
    """
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=None) for x in inputs]
    as_tensors = [isinstance(x, Tensor) for x in inputs]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    elif isinstance(wrt, int):
        wrt = [wrt]

    def evaluate() -> float:
        args = [Tensor(a) if t else a for a, t in zip(arrays, as_tensors)]
        with no_grad():
            return _scalar(f(*args))

    grads = []
    for i in wrt:
        x = arrays[i]
        g = np.zeros_like(x, dtype=np.float64)
        flat_x, flat_g = x.reshape(-1), g.reshape(-1)
        for j in range(flat_x.size):
            original = flat_x[j]
            flat_x[j] = original + eps
            plus = evaluate()
            flat_x[j] = original - eps
            minus = evaluate()
            flat_x[j] = original
            flat_g[j] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


@dataclass
class InputCheck:
    """How one input's analytic gradient compared with the numerical one."""

    index: int
    shape: tuple[int, ...]
    method: str  # "full" (every entry) or "directions" (random directional derivatives)
    passed: bool
    max_abs_error: float
    max_rel_error: float
    worst: tuple[int, ...] | int  # entry (or direction number) with the largest error
    analytic: float  # the two values at the worst place
    numerical: float

    def __str__(self) -> str:
        where = f"entry {self.worst}" if self.method == "full" else f"direction {self.worst}"
        verdict = "ok" if self.passed else "MISMATCH"
        text = (
            f"input {self.index} {self.shape}: {verdict}, max abs error {self.max_abs_error:.2e}, "
            f"max rel error {self.max_rel_error:.2e} ({self.method})"
        )
        if not self.passed:
            text += (
                f"; worst at {where}: analytic {self.analytic:.6g} vs numerical "
                f"{self.numerical:.6g}"
            )
        return text


@dataclass
class GradcheckResult:
    """The verdict of ``gradcheck``: truthy when every input passed; prints readably."""

    passed: bool
    inputs: list[InputCheck] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def max_abs_error(self) -> float:
        return max((c.max_abs_error for c in self.inputs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.inputs), default=0.0)

    def __str__(self) -> str:
        head = "gradcheck passed" if self.passed else "gradcheck FAILED"
        return "\n".join([head] + ["  " + str(c) for c in self.inputs])

    __repr__ = __str__


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    full_limit: int = 400,
    directions: int = 8,
    seed: int = 0,
) -> GradcheckResult:
    """Compare ``fn``'s backward with central differences, for every float input.

    ``fn`` takes Tensors and returns a Tensor of any shape; its output is reduced
    with a fixed random weighting ``v`` (so L = sum(v * fn(...)) and every output
    entry matters). Floating-point inputs are checked in float64; integer inputs
    (targets, indices) are passed through unchanged.

    An input with at most ``full_limit`` entries is checked entry by entry (the
    full gradient); a larger one along ``directions`` random unit directions d,
    comparing grad . d with (L(x + eps d) - L(x - eps d)) / (2 eps). An entry
    passes when |analytic - numerical| <= atol + rtol * |numerical|.

    Returns a ``GradcheckResult`` (truthy when all passed) that prints the largest
    errors and, on failure, where they are.
    """
    arrays = []
    for x in inputs:
        a = np.array(x.data if isinstance(x, Tensor) else x)
        arrays.append(a.astype(np.float64) if a.dtype.kind == "f" else a)
    checked = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if not checked:
        raise ValueError("gradcheck: no floating-point input to check.")

    # Salted, so the weighting never equals an input a test drew from default_rng(seed):
    # with v == x, some wrong backwards (a transposed weight gradient) would pass.
    rng = np.random.default_rng([seed, _WEIGHT_SALT])
    with no_grad():
        probe = fn(*[Tensor(a) for a in arrays])
    if not isinstance(probe, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(probe).__name__}.")
    weights = rng.standard_normal(probe.shape)

    def loss(values: list[np.ndarray]) -> float:
        with no_grad():
            out = fn(*[Tensor(a) for a in values])
        return float(np.sum(weights * out.data))

    leaves = [Tensor(a, requires_grad=i in checked) for i, a in enumerate(arrays)]
    out = fn(*leaves)
    out.backward(weights)

    results = []
    for i in checked:
        analytic_full = leaves[i].grad if leaves[i].grad is not None else np.zeros_like(arrays[i])
        x = arrays[i]
        values = list(arrays)
        if x.size <= full_limit:
            method = "full"
            numerical = np.zeros_like(x)
            flat_x = x.reshape(-1).copy()
            flat_n = numerical.reshape(-1)
            for j in range(flat_x.size):
                for sign in (1, -1):
                    bumped = flat_x.copy()
                    bumped[j] += sign * eps
                    values[i] = bumped.reshape(x.shape)
                    flat_n[j] += sign * loss(values)
                flat_n[j] /= 2 * eps
            analytic = analytic_full
        else:
            method = "directions"
            d = rng.standard_normal((directions,) + x.shape)
            d /= np.sqrt((d**2).reshape(directions, -1).sum(axis=1)).reshape(
                (directions,) + (1,) * x.ndim
            )
            numerical = np.empty(directions)
            for k in range(directions):
                values[i] = x + eps * d[k]
                plus = loss(values)
                values[i] = x - eps * d[k]
                numerical[k] = (plus - loss(values)) / (2 * eps)
            analytic = (d * analytic_full).reshape(directions, -1).sum(axis=1)

        abs_err = np.abs(analytic - numerical)
        rel_err = abs_err / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-12)
        ok = abs_err <= atol + rtol * np.abs(numerical)
        worst_flat = int(np.argmax(abs_err - (atol + rtol * np.abs(numerical))))
        worst = np.unravel_index(worst_flat, abs_err.shape) if method == "full" else worst_flat
        if method == "full":
            worst = tuple(int(w) for w in worst)
        results.append(
            InputCheck(
                index=i,
                shape=x.shape,
                method=method,
                passed=bool(np.all(ok)),
                max_abs_error=float(abs_err.max(initial=0.0)),
                max_rel_error=float(rel_err.max(initial=0.0)),
                worst=worst,
                analytic=float(analytic.reshape(-1)[worst_flat]) if analytic.size else 0.0,
                numerical=float(numerical.reshape(-1)[worst_flat]) if numerical.size else 0.0,
            )
        )
    return GradcheckResult(passed=all(c.passed for c in results), inputs=results)
