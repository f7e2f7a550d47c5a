"""Notebook 06, the exercise checkers: Huber's gradient, a loss for data with outliers,
and a numerically stable binary cross-entropy on logits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib import losses
from gradlib.engine import Context
from gradlib.exercises import Feedback, check_array, check_function, read_numbers
from gradlib.language import tr
from gradlib.lessons.loss_functions.maths import REGRESSION_LOSSES, best_line

__all__ = [
    "EXERCISE_INTERCEPT",
    "EXERCISE_NOISE",
    "EXERCISE_SLOPE",
    "check_bce_with_logits",
    "check_huber_grad",
    "check_loss_choice",
    "exercise_data",
    "reference_bce_with_logits",
    "reference_huber_grad",
]

# ----- Exercise 1: Huber's gradient ---------------------------------------------------------


def reference_huber_grad(a: np.ndarray, delta: float) -> np.ndarray:
    """d/da of Huber's 0.5 a^2 (|a| < delta) / delta (|a| - delta/2): gradlib's backward."""
    a = np.asarray(a, dtype=np.float64)
    ctx = Context()
    losses.HuberLoss.forward(ctx, a, np.zeros_like(a), reduction="none", delta=delta)
    return losses.HuberLoss.backward(ctx, np.ones_like(a))[0]


# Where each probe residual sits, as a multiple of delta.
_PROBES = (
    np.array([-0.8, -0.3, 0.0, 0.2, 0.6, 0.9]),
    np.array([1.5, 3.0, 7.0]),
    np.array([-1.5, -3.0, -7.0]),
    np.array([-1.0, 1.0]),
)


def _regions() -> tuple[tuple[str, np.ndarray], ...]:
    """Each probe with what to call its region, in the reader's language."""
    names = (
        tr("inside the quadratic zone |a| < delta"),
        tr("outside, for a > delta"),
        tr("outside, for a < -delta"),
        tr("at the boundary |a| = delta"),
    )
    return tuple(zip(names, _PROBES))


# delta = 2 before 0.5: at 0.5, a / delta and 2 a are the same numbers and no slip can be named
_DELTAS = (1.0, 2.0, 0.5)


def _huber_slips(a: np.ndarray, delta: float) -> dict[str, np.ndarray]:
    """What a learner's gradient often is instead, and why."""
    inside = np.abs(a) < delta
    return {
        tr("2a, MSE's slope: Huber's quadratic piece is 0.5 a^2, whose slope is a"): 2 * a,
        tr(
            "a, the quadratic piece's slope used outside too: beyond delta the loss is "
            "linear, with slope delta sign(a)"
        ): a,
        tr(
            "a / delta, Smooth L1's slope: Huber's quadratic piece is 0.5 a^2, not divided by delta"
        ): a / delta,
        tr(
            "sign(a), without delta: the linear piece delta (|a| - delta/2) has slope delta sign(a)"
        ): np.where(inside, a, np.sign(a)),
        tr(
            "+delta even for negative a: the linear piece has slope delta sign(a), so it is "
            "-delta for a < -delta"
        ): np.where(inside, a, delta),
        tr(
            "delta sign(a) everywhere, the linear piece's slope used inside too: within delta "
            "the loss is 0.5 a^2, whose slope is a"
        ): delta * np.sign(a),
        tr("the Huber loss itself, not its slope: differentiate each piece"): np.where(
            inside, 0.5 * a * a, delta * (np.abs(a) - 0.5 * delta)
        ),
        tr(
            "0 at |a| = delta exactly: with a strict < for one piece and a strict > for the "
            "other, neither applies there. Both pieces have slope +-delta at the boundary (the "
            "gradient is continuous), so use <= on one side, or np.clip(a, -delta, delta)"
        ): np.where(np.abs(a) == delta, 0.0, reference_huber_grad(a, delta)),
    }


def check_huber_grad(huber_grad: Callable[[np.ndarray, float], Any] | None) -> Feedback:
    """Exercise: ``huber_grad(a, delta)`` returns d loss_i / d a_i of the Huber loss for an
    array of residuals. The checker probes each region (inside delta, outside on either
    side, exactly at the boundary) for three deltas and names the first region that is
    wrong, and the likely slip."""
    name = "huber_grad"
    cases = [(delta * probe, delta) for delta in _DELTAS for probe in _PROBES]
    with np.errstate(all="ignore"):  # the checker explains; numpy's warnings would only distract
        verdict = check_function(huber_grad, reference_huber_grad, cases, name=name)
    if verdict:
        inside, above, below, boundary = (region for region, _ in _regions())
        return Feedback(
            True,
            tr(
                "{name} agrees with gradlib's Huber backward {inside}, {above}, {below}, "
                "{boundary}, for delta = 1, 2, 0.5.",
                name=name,
                inside=inside,
                above=above,
                below=below,
                boundary=boundary,
            ),
        )
    for delta in _DELTAS:
        for region, probe in _regions():
            a = delta * probe
            try:
                with np.errstate(all="ignore"):
                    got = read_numbers(huber_grad(a.copy(), delta), tr("its result"))
            except Exception:  # check_function already reported it
                return verdict
            if isinstance(got, Feedback) or got.shape != a.shape:
                return verdict
            want = reference_huber_grad(a, delta)
            if np.allclose(got, want, rtol=1e-6, atol=1e-9):
                continue
            wrong = int(np.flatnonzero(~np.isclose(got, want, rtol=1e-6, atol=1e-9))[0])
            where = tr(
                "{name} is wrong {region}: with delta = {delta:g}, at a = {a:g} it "
                "returns {got:.6g}, but the slope there is {want:.6g}.",
                name=name,
                region=region,
                delta=delta,
                a=a[wrong],
                got=got[wrong],
                want=want[wrong],
            )
            for slip, value in _huber_slips(a, delta).items():
                if np.allclose(got, value, rtol=1e-6, atol=1e-9):
                    return Feedback(
                        False, tr("{where} It looks like {slip}.", where=where, slip=slip)
                    )
            return Feedback(False, where)
    return verdict


# ----- Exercise 2: a loss for data with outliers ------------------------------------------

EXERCISE_SLOPE, EXERCISE_INTERCEPT, EXERCISE_NOISE = -1.5, 2.0, 0.3
EXERCISE_TOLERANCE = 0.1  # the slope and the intercept must both be this close to the truth


def exercise_data() -> tuple[np.ndarray, np.ndarray]:
    """50 points near y = -1.5 x + 2 (noise 0.3), 8 of them pushed up by 8 to 14."""
    rng = np.random.default_rng(6)
    x = rng.uniform(-2.5, 2.5, 50)
    y = EXERCISE_SLOPE * x + EXERCISE_INTERCEPT + EXERCISE_NOISE * rng.standard_normal(50)
    y[rng.choice(50, 8, replace=False)] += rng.uniform(8.0, 14.0, 8)
    return x, y


_NAMES = {
    name.lower().replace("-", "").replace("_", "").replace(" ", ""): name
    for name in REGRESSION_LOSSES
}


def _loss_name(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return None
    return _NAMES.get(answer.lower().replace("-", "").replace("_", "").replace(" ", ""))


def check_loss_choice(choice: Any) -> Feedback:
    """Exercise: ``choice = (loss name, delta)`` for ``exercise_data()``. The checker fits
    the best line of that loss and reports how far its slope and intercept are from the
    clean line; both must be within 0.1."""
    if choice is None or choice is Ellipsis:
        return Feedback(
            False, tr("your choice is still empty; replace the placeholder with your code.")
        )
    if isinstance(choice, str):
        choice = (choice, 1.0)
    if not isinstance(choice, tuple | list) or len(choice) != 2:
        return Feedback(
            False,
            tr(
                'your choice should be a pair (loss name, delta), e.g. ("Huber", 2.0); got '
                "{choice!r:.60}.",
                choice=choice,
            ),
        )
    loss = _loss_name(choice[0])
    if loss is None:
        return Feedback(
            False,
            tr(
                "{name!r:.30} is not one of the losses {losses} (as a string).",
                name=choice[0],
                losses=list(REGRESSION_LOSSES),
            ),
        )
    delta = read_numbers(choice[1], "delta")
    if isinstance(delta, Feedback):
        return delta
    if delta.size != 1 or not np.isfinite(delta).all() or float(delta.reshape(())) <= 0:
        return Feedback(
            False, tr("delta should be one positive number, got {delta!r:.40}.", delta=choice[1])
        )
    delta = float(delta.reshape(()))
    x, y = exercise_data()
    slope, intercept = best_line(x, y, loss, delta)
    label = REGRESSION_LOSSES[loss].label(delta)
    errors = abs(slope - EXERCISE_SLOPE), abs(intercept - EXERCISE_INTERCEPT)
    report = tr(
        "the best {label} line has slope {slope:.3f} and intercept {intercept:.3f}: "
        "{slope_error:.3f} and {intercept_error:.3f} from the clean line's",
        label=label,
        slope=slope,
        intercept=intercept,
        slope_error=errors[0],
        intercept_error=errors[1],
    )
    if max(errors) <= EXERCISE_TOLERANCE:
        return Feedback(
            True,
            tr(
                "{report} (both within {tolerance:g}).",
                report=report,
                tolerance=EXERCISE_TOLERANCE,
            ),
        )
    if loss == "MSE":
        why = tr(
            "Every point pulls with 2 x its residual, so the 8 outliers, 8 to 14 above the "
            "line, drag it up: pick a loss whose pull is capped."
        )
    elif delta >= 8.0:
        why = tr(
            "With delta = {delta:g} even the outliers (8 to 14 away) are nearly inside the "
            "quadratic zone, where this loss behaves like MSE: make delta smaller.",
            delta=delta,
        )
    else:
        why = tr(
            "Each outlier still pulls with up to delta = {delta:g}, against clean points whose "
            "residuals are only about {noise:g}: a delta near the noise level caps "
            "the outliers' pull at that size.",
            delta=delta,
            noise=EXERCISE_NOISE,
        )
    return Feedback(
        False,
        tr(
            "{report}, more than {tolerance:g}. {why}",
            report=report,
            tolerance=EXERCISE_TOLERANCE,
            why=why,
        ),
    )


# ----- Exercise 3: a stable binary cross-entropy on logits --------------------------------


def reference_bce_with_logits(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """gradlib's ``BCEWithLogitsLoss`` per element: max(x, 0) - x y + log(1 + exp(-|x|))."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return losses.BCEWithLogitsLoss.forward(Context(), x, y, reduction="none")


_BCE_CASES = (
    (np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])),
    (np.array([-3.0, 0.7, 4.0]), np.array([0.3, 0.5, 0.9])),  # soft targets
    (np.array([20.0, -20.0, 20.0, -20.0]), np.array([0.0, 1.0, 1.0, 0.0])),
    (np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([0.0, 1.0, 1.0, 0.0])),
)


def _overflow_cause(x: float) -> str:
    """Why the textbook formula gives inf or nan at a large logit x."""
    if x > 0:
        return tr(
            "sigma({x:g}) rounds to exactly 1 in float64, so log(1 - sigma(x)) is log 0 = "
            "-inf (and 0 * -inf is nan).",
            x=x,
        )
    return tr(
        "exp(-x) = exp({minus_x:g}) overflows to inf in float64 (exp is finite only up to "
        "709.78), and sigma(x) rounds to exactly 0, so log sigma(x) is log 0 = -inf.",
        minus_x=-x,
    )


def _bce_slips(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Finite but wrong: what a learner's loss often is instead, and why."""
    right = reference_bce_with_logits(x, y)
    with np.errstate(over="ignore"):
        unsplit = np.maximum(x, 0) - x * y + np.log1p(np.exp(-x))
    return {
        tr(
            "the loss with the wrong sign: cross-entropy is minus the log-likelihood, so it is "
            "never negative"
        ): -right,
        tr(
            "y and 1 - y swapped: the target 1 goes with log sigma(x), the target 0 with "
            "log(1 - sigma(x))"
        ): reference_bce_with_logits(x, 1 - y),
        tr(
            "the term max(x, 0) is missing: x (1 - y) + max(-x, 0) simplifies to max(x, 0) - x y"
        ): right - np.maximum(x, 0),
        tr("exp(-x) where the split needs exp(-|x|): for x < 0 that counts -x twice"): unsplit,
    }


def check_bce_with_logits(bce: Callable[[np.ndarray, np.ndarray], Any] | None) -> Feedback:
    """Exercise: ``bce(x, y)`` returns the per-element binary cross-entropy of logits x and
    targets y in [0, 1], finite for any logit. Tried on ordinary logits, soft targets, and
    x = +-20 and +-1000, where the textbook formula overflows; numpy's warnings are
    silenced so the learner reads the checker's explanation instead. A message names the
    term that broke, or the slip (a sign, y and 1 - y swapped, a missing max(x, 0)), but
    never spells out the whole stable formula: that is the exercise."""
    name = tr("your bce_with_logits")
    if bce is None:
        return Feedback(
            False, tr("{name} is not defined yet; write it in the cell above.", name=name)
        )
    for x, y in _BCE_CASES:
        try:
            with np.errstate(all="ignore"):
                got = bce(x.copy(), y.copy())
        except NotImplementedError:
            return Feedback(
                False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
            )
        except Exception as error:  # the learner's code: report it
            return Feedback(
                False,
                tr(
                    "{name} raised {kind}: {error} at x = {x}.",
                    name=name,
                    kind=type(error).__name__,
                    error=error,
                    x=x,
                ),
            )
        values = read_numbers(got, tr("its result"))
        if isinstance(values, Feedback):
            return values
        want = reference_bce_with_logits(x, y)
        bad = ~np.isfinite(values) if values.shape == want.shape else None
        if bad is not None and bad.any():
            i = int(np.flatnonzero(bad)[0])
            return Feedback(
                False,
                tr(
                    "{name} returns {got} at x = {x:g}, y = {y:g} (the loss is {want:g}). "
                    "{cause} Do not form sigma(x) at all: write log sigma(x) and "
                    "log(1 - sigma(x)) in terms of x (the hint), and split log(1 + exp(.)) so "
                    "that exp only ever sees a number <= 0.",
                    name=name,
                    got=values[i],
                    x=x[i],
                    y=y[i],
                    want=want[i],
                    cause=_overflow_cause(float(x[i])),
                ),
            )
        if values.shape == want.shape and abs(x[0]) >= 20:
            wrong = ~np.isclose(values, want, rtol=1e-6, atol=1e-9)
            if wrong.any():
                i = int(np.flatnonzero(wrong)[0])
                return Feedback(
                    False,
                    tr(
                        "{name} is finite but wrong at x = {x:g}, y = {y:g}: it returns "
                        "{got:.6g}, the loss is {want:.6g}. A clamped log (as in "
                        "binary_cross_entropy, which stops at 100) or a clipped x hides the "
                        "overflow but changes the value.",
                        name=name,
                        x=x[i],
                        y=y[i],
                        got=values[i],
                        want=want[i],
                    ),
                )
        if values.shape != want.shape:
            shape = check_array(
                values, want, name=tr("its result for x of shape {shape}", shape=x.shape)
            )
            return Feedback(False, tr("{name}: {message}", name=name, message=shape.message))
        wrong = np.flatnonzero(~np.isclose(values, want, rtol=1e-6, atol=1e-9))
        if wrong.size:
            for slip, value in _bce_slips(x, y).items():
                if np.allclose(values, value, rtol=1e-6, atol=1e-9):
                    i = int(wrong[0])
                    return Feedback(
                        False,
                        tr(
                            "{name} is wrong at x = {x:g}, y = {y:g}: it returns "
                            "{got:.6g}, the loss is {want:.6g}. It looks like {slip}.",
                            name=name,
                            x=x[i],
                            y=y[i],
                            got=values[i],
                            want=want[i],
                            slip=slip,
                        ),
                    )
            places = [
                tr(
                    "at x = {x:g}, y = {y:g} it returns {got:.6g}, the loss is {want:.6g}",
                    x=x[i],
                    y=y[i],
                    got=values[i],
                    want=want[i],
                )
                for i in wrong[:2]
            ]
            where = (
                places[0]
                if len(places) == 1
                else tr("{first}; {second}", first=places[0], second=places[1])
            )
            return Feedback(
                False,
                tr(
                    "{name} is wrong for {count} of {size} entries: {where}.",
                    name=name,
                    count=wrong.size,
                    size=x.size,
                    where=where,
                ),
            )
    return Feedback(
        True,
        tr(
            "{name} matches gradlib's binary_cross_entropy_with_logits on all "
            "{count} test cases, x = +-1000 included.",
            name=name,
            count=len(_BCE_CASES),
        ),
    )
