"""Notebook 01, the exercise checkers: a gradient by hand, and steepest descent."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib import ops
from gradlib.engine import tensor
from gradlib.exercises import Feedback, check_array, read_numbers
from gradlib.lessons.derivatives.maths import autodiff_grad, directional_derivatives

__all__ = [
    "EXERCISE_POINT",
    "check_gradient_by_hand",
    "check_steepest_descent",
    "exercise_function",
]


def check_steepest_descent(answer: Any, x: float, y: float) -> Feedback:
    """Exercise: the unit vector along which f decreases fastest at (x, y), i.e. -grad/|grad|."""
    u = read_numbers(answer, "the direction")
    if isinstance(u, Feedback):
        return u
    if u.shape != (2,):
        return Feedback(False, f"the direction should have shape (2,), it has shape {u.shape}.")
    if not np.all(np.isfinite(u)):
        return Feedback(False, "the direction contains nan or inf; did you divide by zero?")
    length = float(np.linalg.norm(u))
    if abs(length - 1) > 1e-4:
        return Feedback(
            False,
            f"the direction has length {length:.4g}; a unit vector has length 1 "
            "(divide by np.linalg.norm).",
        )
    reference = -autodiff_grad(x, y)
    reference /= np.linalg.norm(reference)
    slope = float(directional_derivatives(x, y, np.array([np.rad2deg(np.arctan2(u[1], u[0]))]))[0])
    off = float(np.rad2deg(np.arccos(np.clip(u @ reference, -1.0, 1.0))))
    if slope > 0:
        return Feedback(
            False,
            f"along your direction f increases (D_u f = {slope:.3f} > 0): it points "
            "uphill. Steepest descent goes against the gradient.",
        )
    if off > 0.01:
        return Feedback(
            False,
            f"your direction goes downhill (D_u f = {slope:.3f}) but is {off:.2f} "
            "degrees away from the steepest one; a steeper direction exists.",
        )
    return Feedback(
        True,
        f"u = ({u[0]:.4f}, {u[1]:.4f}) is the unit vector of steepest "
        f"descent; f falls at rate {-slope:.4f} along it.",
    )


# Not (0, 3), where dg/dy = 2 x y = 0 and every slip in it goes unnoticed; at x = 0.5,
# y = 3 the two slips below and the right answer are all different numbers.
EXERCISE_POINT = (0.5, 3.0)


def exercise_function(x: Any, y: Any) -> Any:
    """g(x, y) = x y**2 + exp(2x), the function of the "gradient by hand" exercise."""
    return x * y**2 + ops.exp(2 * x)


def _gradient_slips(x: float, y: float) -> tuple[tuple[int, float, str], ...]:
    """The likely slips in (dg/dx, dg/dy) = (y**2 + 2 exp(2x), 2 x y): entry, value, advice."""
    return (
        (
            0,
            y**2 + np.exp(2 * x),
            "your dg/dx looks like y**2 + exp(2x), without the chain rule's factor: "
            "d/dx exp(2x) = 2 exp(2x), the 2 coming from the inner function 2x.",
        ),
        (
            1,
            2 * y,
            "your dg/dy looks like 2y, without the x: with respect to y, x is a "
            "constant factor, so d/dy (x y**2) = 2 x y.",
        ),
    )


def check_gradient_by_hand(answer: Any) -> Feedback:
    """Exercise: (dg/dx, dg/dy) at ``EXERCISE_POINT``, checked against gradlib's backward().

    The answer is worked out by hand, so a wrong entry is called too large or too small
    (``reveal=False``) rather than printing the expected value, and the two likely slips
    (the chain-rule factor 2 of exp(2x), the x of 2 x y) are named.
    """
    x0, y0 = EXERCISE_POINT
    x, y = tensor(x0, requires_grad=True), tensor(y0, requires_grad=True)
    exercise_function(x, y).backward()
    verdict = check_array(
        answer,
        [float(x.grad), float(y.grad)],
        name=f"your gradient of g at ({x0:g}, {y0:g})",
        reveal=False,
        entry_names=("dg/dx", "dg/dy"),
    )
    if verdict:
        return verdict
    got = read_numbers(answer)
    if isinstance(got, Feedback) or got.shape != (2,):
        return verdict  # not two numbers: check_array's message says what is wrong
    hints = [
        advice
        for entry, value, advice in _gradient_slips(x0, y0)
        if np.isclose(got[entry], value, rtol=1e-4, atol=1e-6)
    ]
    if not hints:
        return verdict
    return Feedback(False, " ".join([verdict.message, *(f"Hint: {hint}" for hint in hints)]))
