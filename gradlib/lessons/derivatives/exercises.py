"""Notebook 01, the exercise checkers: a gradient by hand, steepest descent, and a
central-difference gradient written by the learner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib import ops
from gradlib.engine import tensor
from gradlib.exercises import Feedback, check_array, read_numbers
from gradlib.language import tr
from gradlib.lessons.derivatives.maths import autodiff_grad, directional_derivatives, surface

__all__ = [
    "ANGLE_SLACK_DEG",
    "CENTRAL_CASES",
    "EXERCISE_POINT",
    "check_central_gradient",
    "check_gradient_by_hand",
    "check_steepest_descent",
    "exercise_function",
]


# A direction within this angle of -grad f, with a length within LENGTH_SLACK of 1, is
# accepted: a learner who types the numbers rounded to two decimals is right.
ANGLE_SLACK_DEG = 1.0
LENGTH_SLACK = 0.01


def check_steepest_descent(answer: Any, x: float, y: float) -> Feedback:
    """Exercise: the unit vector along which f decreases fastest at (x, y), i.e. -grad/|grad|.

    It names what the answer is when it is not that: not a unit vector (and whether it
    points the right way), the gradient's own direction (uphill), a direction along the
    contour line (f does not change), or another downhill direction (how many degrees off).
    Numbers rounded to two decimals pass, with a note.
    """
    u = read_numbers(answer, tr("the direction"))
    if isinstance(u, Feedback):
        return u
    if u.shape != (2,):
        return Feedback(
            False,
            tr("the direction should have shape (2,), it has shape {shape}.", shape=u.shape),
        )
    if not np.all(np.isfinite(u)):
        return Feedback(False, tr("the direction contains nan or inf; did you divide by zero?"))
    length = float(np.linalg.norm(u))
    if length == 0:
        return Feedback(
            False,
            tr("the direction is (0, 0), which points nowhere; a unit vector has length 1."),
        )
    grad = autodiff_grad(x, y)
    reference = -grad / np.linalg.norm(grad)
    off = float(np.rad2deg(np.arccos(np.clip(u @ reference / length, -1.0, 1.0))))
    if abs(length - 1) > LENGTH_SLACK:
        if off <= ANGLE_SLACK_DEG:
            where = tr("it points the right way")
        elif off >= 180 - ANGLE_SLACK_DEG:
            where = tr("and it points along the gradient, uphill: steepest descent is against it")
        else:
            where = tr("and it is {off:.1f} degrees away from the steepest descent", off=off)
        return Feedback(
            False,
            tr(
                "the direction has length {length:.4g}, not 1 ({where}): divide a vector by its "
                "length, np.linalg.norm(...), to make it a unit vector.",
                length=length,
                where=where,
            ),
        )
    slope = float(directional_derivatives(x, y, np.array([np.rad2deg(np.arctan2(u[1], u[0]))]))[0])
    if off <= ANGLE_SLACK_DEG:
        exact = off <= 0.01 and abs(length - 1) <= 1e-4
        note = (
            ""
            if exact
            else tr(
                " (to within {off:.2f} degrees: rounded numbers; -g / np.linalg.norm(g) in code "
                "gives it exactly)",
                off=off,
            )
        )
        return Feedback(
            True,
            tr(
                "u = ({u0:.4f}, {u1:.4f}) is the unit vector of steepest descent{note}; f "
                "falls at rate {rate:.4f} along it.",
                u0=u[0],
                u1=u[1],
                note=note,
                rate=-slope,
            ),
        )
    if off >= 180 - ANGLE_SLACK_DEG:
        return Feedback(
            False,
            tr(
                "your direction is the gradient's own, steepest ascent: f rises at rate "
                "{slope:.3f} along it. Steepest descent goes exactly against the gradient.",
                slope=slope,
            ),
        )
    if abs(off - 90) <= ANGLE_SLACK_DEG:
        return Feedback(
            False,
            tr(
                "your direction is at right angles to the gradient, along the contour line, "
                "where f does not change (D_u f = {slope:.3f}). Steepest descent goes against "
                "the gradient.",
                slope=abs(slope),
            ),
        )
    if slope > 0:
        return Feedback(
            False,
            tr(
                "along your direction f increases (D_u f = {slope:.3f} > 0): it points "
                "uphill, {off:.1f} degrees away from steepest descent, which goes against the "
                "gradient.",
                slope=slope,
                off=off,
            ),
        )
    return Feedback(
        False,
        tr(
            "your direction goes downhill (D_u f = {slope:.3f}) but is {off:.1f} "
            "degrees away from the steepest one; a steeper direction exists.",
            slope=slope,
            off=off,
        ),
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
            0,
            2 * np.exp(2 * x),
            "your dg/dx looks like 2 exp(2x) alone: the term x y**2 has a derivative too; "
            "with y held constant it is y**2.",
        ),
        (
            0,
            y**2,
            "your dg/dx looks like y**2 alone: exp(2x) depends on x, so it has a derivative too.",
        ),
        (
            0,
            y**2 + 2 * np.exp(x),
            "your dg/dx has exp(x) where exp(2x) belongs: at x = 0.5, exp(2x) = exp(1) = e.",
        ),
        (
            1,
            2 * y,
            "your dg/dy looks like 2y, without the x: with respect to y, x is a "
            "constant factor, so d/dy (x y**2) = 2 x y.",
        ),
        (
            1,
            x * y,
            "your dg/dy looks like x y: the power rule brings the exponent 2 of y**2 down.",
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
        name=tr("your gradient of g at ({x:g}, {y:g})", x=x0, y=y0),
        reveal=False,
        entry_names=("dg/dx", "dg/dy"),
    )
    if verdict:
        return verdict
    got = read_numbers(answer)
    if isinstance(got, Feedback) or got.shape != (2,):
        return verdict  # not two numbers: check_array's message says what is wrong
    if np.allclose(got[::-1], [float(x.grad), float(y.grad)], rtol=1e-4, atol=1e-6):
        return Feedback(
            False,
            tr(
                "your gradient of g at ({x:g}, {y:g}) has the right two numbers, but swapped: "
                "the answer is [dg/dx, dg/dy], in that order.",
                x=x0,
                y=y0,
            ),
        )
    hints = [
        advice
        for entry, value, advice in _gradient_slips(x0, y0)
        if np.isclose(got[entry], value, rtol=1e-4, atol=1e-6)
    ]
    if not hints:
        return verdict
    return Feedback(
        False,
        " ".join([verdict.message, *(tr("Hint: {hint}", hint=tr(hint)) for hint in hints)]),
    )


# ----- exercise 3: a central-difference gradient of one's own ---------------------------


def _central(f: Callable[[float, float], Any], x: float, y: float, h: float) -> np.ndarray:
    """The reference: (f(x+h, y) - f(x-h, y)) / 2h and (f(x, y+h) - f(x, y-h)) / 2h."""
    return np.array(
        [
            float(f(x + h, y) - f(x - h, y)) / (2 * h),
            float(f(x, y + h) - f(x, y - h)) / (2 * h),
        ]
    )


def _f(x: float, y: float) -> float:
    """f of section 2 on plain numbers: x**2 + 3 y**2 + exp(x y)."""
    return float(surface(x, y))


def _g(x: float, y: float) -> float:
    """g of Exercise 1 on plain numbers: x y**2 + exp(2x)."""
    return x * y**2 + float(np.exp(2 * x))


# (what the learner reads, f, x, y, h or None for the default step)
CENTRAL_CASES = (
    ("f of section 2 at (1, 0.5)", _f, 1.0, 0.5, None),
    ("f of section 2 at (-1, 1)", _f, -1.0, 1.0, None),
    ("g of Exercise 1 at (0.5, 3)", _g, 0.5, 3.0, None),
    ("f of section 2 at (1, 0.5) with h = 0.1", _f, 1.0, 0.5, 0.1),
    ("g of Exercise 1 at (-0.3, 1.2) with h = 0.1", _g, -0.3, 1.2, 0.1),
)
DEFAULT_STEP = 1e-6


def _central_slips() -> tuple[tuple[Callable[..., np.ndarray], str], ...]:
    """Wrong versions of the central gradient, and what each one did."""

    def forward(f, x, y, h):
        return np.array([float(f(x + h, y) - f(x, y)) / h, float(f(x, y + h) - f(x, y)) / h])

    def backward(f, x, y, h):
        return np.array([float(f(x, y) - f(x - h, y)) / h, float(f(x, y) - f(x, y - h)) / h])

    def both_moved(f, x, y, h):
        rate = float(f(x + h, y + h) - f(x - h, y - h)) / (2 * h)
        return np.array([rate, rate])

    return (
        (
            forward,
            "this is the forward difference (f(x + h) - f(x)) / h: use f(x + h) and "
            "f(x - h), over 2h",
        ),
        (
            backward,
            "this is the backward difference (f(x) - f(x - h)) / h: use f(x + h) and "
            "f(x - h), over 2h",
        ),
        (
            lambda f, x, y, h: 2 * _central(f, x, y, h),
            "twice the central difference: the two points are 2h apart, so divide by 2h, not h",
        ),
        (
            lambda f, x, y, h: _central(f, x, y, h)[::-1],
            "the two entries are swapped: return [df/dx, df/dy], in that order",
        ),
        (
            both_moved,
            "both entries move x and y together, (f(x + h, y + h) - f(x - h, y - h)) / 2h: "
            "that is a rate along the diagonal; a partial derivative moves one input and holds the "
            "other fixed",
        ),
        (
            lambda f, x, y, h: _central(f, x, y, h) * h**2,
            "Python reads (a - b) / 2 * h as ((a - b) / 2) * h, which multiplies by h: "
            "write / (2 * h)",
        ),
        (
            lambda f, x, y, h: _central(f, x, y, DEFAULT_STEP),
            "your function ignores its argument h: with h = 0.1 it gives what h = 1e-6 gives",
        ),
    )


def check_central_gradient(function: Callable[..., Any] | None) -> Feedback:
    """Exercise 3: ``central_gradient(f, x, y, h=1e-6)`` returns [df/dx, df/dy] by central
    differences. Checked on ``CENTRAL_CASES`` against the central differences themselves
    (with h = 0.1 they differ from the forward difference and from the gradient, so a
    wrong formula cannot pass); a usual slip (``_central_slips``) is named."""
    name = "central_gradient"
    if function is None:
        return Feedback(
            False, tr("{name} is not defined yet; write it in the cell above.", name=name)
        )
    results = []
    for label, f, x, y, h in CENTRAL_CASES:
        try:
            got = function(f, x, y) if h is None else function(f, x, y, h)
        except NotImplementedError:
            return Feedback(
                False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
            )
        except Exception as error:  # the learner's code: report, do not crash the notebook
            return Feedback(
                False,
                tr(
                    "{name} raised {error_type}: {error} (on {case}).",
                    name=name,
                    error_type=type(error).__name__,
                    error=error,
                    case=tr(label),
                ),
            )
        numbers = read_numbers(got, tr("the result on {case}", case=tr(label)))
        if isinstance(numbers, Feedback):
            return Feedback(False, tr("{name}: {message}", name=name, message=numbers.message))
        if numbers.shape != (2,):
            return Feedback(
                False,
                tr(
                    "{name} returned shape {shape} on {case}; return two numbers, [df/dx, df/dy].",
                    name=name,
                    shape=numbers.shape,
                    case=tr(label),
                ),
            )
        results.append(numbers)
    wrong = [
        (label, got, _central(f, x, y, DEFAULT_STEP if h is None else h))
        for (label, f, x, y, h), got in zip(CENTRAL_CASES, results)
        if not np.allclose(
            got, _central(f, x, y, DEFAULT_STEP if h is None else h), rtol=1e-6, atol=1e-8
        )
    ]
    if not wrong:
        return Feedback(
            True,
            tr(
                "{name} gives the central differences on all {count} test cases, "
                "with h = 1e-6 and with h = 0.1.",
                name=name,
                count=len(CENTRAL_CASES),
            ),
        )
    for slip, advice in _central_slips():
        if all(
            np.allclose(got, slip(f, x, y, DEFAULT_STEP if h is None else h), rtol=1e-6, atol=1e-8)
            for (_, f, x, y, h), got in zip(CENTRAL_CASES, results)
        ):
            return Feedback(
                False,
                tr(
                    "{name} is not the central difference yet: {advice}.",
                    name=name,
                    advice=tr(advice),
                ),
            )
    label, got, want = wrong[0]
    return Feedback(
        False,
        tr(
            "{name} is wrong on {count} of {total} test cases; on {case} it returns "
            "({got0:.6g}, {got1:.6g}), central differences give ({want0:.6g}, {want1:.6g}).",
            name=name,
            count=len(wrong),
            total=len(CENTRAL_CASES),
            case=tr(label),
            got0=got[0],
            got1=got[1],
            want0=want[0],
            want1=want[1],
        ),
    )
