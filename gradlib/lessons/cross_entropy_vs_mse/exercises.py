"""Notebook 07, the exercise checkers: both gradients of one neuron by hand, a prediction
about two starts, and the softmax + cross-entropy gradient of a batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib.activations import softmax_array, stable_sigmoid
from gradlib.exercises import Feedback, check_array, check_function, read_numbers
from gradlib.language import tr
from gradlib.lessons.cross_entropy_vs_mse.maths import (
    COSTS,
    NIELSEN_LR,
    cost_name,
    logit_gradient,
    neuron_gradient,
    neuron_run,
    one_hot,
)

__all__ = [
    "GRADIENT_NAMES",
    "GRADIENT_NEURON",
    "PREDICTION_EPOCHS",
    "PREDICTION_STARTS",
    "check_neuron_gradients",
    "check_prediction",
    "check_softmax_ce_grad",
    "softmax_ce_grad_cases",
]

# ----- exercise 1: both gradients of one neuron by hand ---------------------------------------

# x = 2 and y = 1 (not Nielsen's x = 1, y = 0), so that forgetting x, or sigma'(z), or
# the sign gives a different number each time.
GRADIENT_NEURON = {"w": -1.0, "b": 0.5, "x": 2.0, "y": 1.0}
GRADIENT_NAMES = ("quadratic dC/dw", "cross-entropy dC/dw")  # translated where shown
# The exercise asks for 3 significant digits: rounding to 3 digits is off by at most 0.5%.
HAND_RTOL = 5e-3
# Within 3% but not 0.5%: the method is right and the rounding came too early.
ROUNDING_RTOL = 3e-2


def _gradient_slips() -> list[tuple[int, float, str]]:
    """The likely slips in (quadratic dC/dw, cross-entropy dC/dw): entry, value, advice."""
    w, b, x, y = (GRADIENT_NEURON[k] for k in ("w", "b", "x", "y"))
    a = float(stable_sigmoid(np.float64(w * x + b)))
    slope = a * (1 - a)
    a_no_x = float(stable_sigmoid(np.float64(w + b)))  # z computed as w + b: x left out of z
    z_advice = tr(
        "z = w x + b = {z:g}, not w + b: the input x = {x:g} enters z as well as dz/dw.",
        z=w * x + b,
        x=x,
    )
    return [
        (
            0,
            (a - y) * x,
            tr(
                "your quadratic dC/dw is (a - y) x: the chain rule through the "
                "sigmoid adds the factor sigma'(z) = a (1 - a)."
            ),
        ),
        (
            0,
            (a - y) * a * x,
            tr("your quadratic dC/dw uses sigma(z) = a where sigma'(z) = a (1 - a) belongs."),
        ),
        (
            0,
            (a - y) * slope,
            tr("your quadratic dC/dw has no factor x: that is dC/db; dz/dw = x = 2."),
        ),
        (
            0,
            -(a - y) * slope * x,
            tr("your quadratic dC/dw has the wrong sign: dC/da = a - y, not y - a."),
        ),
        (0, (a_no_x - y) * a_no_x * (1 - a_no_x) * x, z_advice),
        (
            1,
            (a - y) * slope * x,
            tr(
                "your cross-entropy dC/dw still has sigma'(z): dC/da = "
                "(a - y) / (a (1 - a)) and sigma'(z) = a (1 - a) cancel."
            ),
        ),
        (
            1,
            a - y,
            tr("your cross-entropy dC/dw has no factor x: that is dC/db; dz/dw = x = 2."),
        ),
        (
            1,
            -(a - y) * x,
            tr("your cross-entropy dC/dw has the wrong sign: it is (a - y) x, not (y - a) x."),
        ),
        (1, (a_no_x - y) * x, z_advice),
    ]


def _gradient_name(entry: str) -> str:
    """One of ``GRADIENT_NAMES`` as a learner reads it."""
    return {
        "quadratic dC/dw": tr("quadratic dC/dw"),
        "cross-entropy dC/dw": tr("cross-entropy dC/dw"),
    }[entry]


def _close(got: float, want: float, rtol: float) -> bool:
    return bool(np.isclose(got, want, rtol=rtol, atol=1e-4))


def check_neuron_gradients(answer: Any) -> Feedback:
    """Exercise 1: [quadratic dC/dw, cross-entropy dC/dw] at ``GRADIENT_NEURON``, worked
    by hand to 3 significant digits, checked against gradlib's backward() without revealing
    the values: each wrong entry is named with its likely slip, or called too large or too
    small."""
    w, b, x, y = (GRADIENT_NEURON[k] for k in ("w", "b", "x", "y"))
    expected = np.array([neuron_gradient(w, b, cost, x, y)[1] for cost in COSTS])
    name = tr("your [quadratic dC/dw, cross-entropy dC/dw]")
    got = read_numbers(answer, name)
    if isinstance(got, Feedback):
        return got
    if got.shape != (2,) or np.isnan(got).any():  # shape and nan messages
        return check_array(got, expected, name=name, reveal=False)
    right = [_close(got[i], expected[i], HAND_RTOL) for i in range(2)]
    if all(right):
        return Feedback(
            True, tr("{name} agrees with backward() to 3 significant digits.", name=name)
        )
    if _close(got[0], expected[1], HAND_RTOL) and _close(got[1], expected[0], HAND_RTOL):
        return Feedback(
            False, tr("the two entries are swapped: the quadratic cost's gradient comes first.")
        )
    slips = _gradient_slips()
    parts = []
    for i, entry in enumerate(map(_gradient_name, GRADIENT_NAMES)):
        if right[i]:
            parts.append(tr("your {entry} is right", entry=entry))
            continue
        advice = next(
            (text for j, value, text in slips if j == i and _close(got[i], value, HAND_RTOL)),
            None,
        )
        if advice is None and _close(-got[i], expected[i], ROUNDING_RTOL):
            advice = tr("your {entry} has the right size but the wrong sign.", entry=entry)
        elif advice is None and _close(got[i], expected[i], ROUNDING_RTOL):
            advice = tr(
                "your {entry} is close, but further off than rounding to 3 significant "
                "digits allows: keep more digits of a = sigma(z) until the last step.",
                entry=entry,
            )
        elif advice is None:
            if got[i] > expected[i]:
                advice = tr("your {entry} = {value:.4g} is too large.", entry=entry, value=got[i])
            else:
                advice = tr("your {entry} = {value:.4g} is too small.", entry=entry, value=got[i])
        parts.append(advice.rstrip(".。"))
    first, second = parts  # one part for each of the two entries
    return Feedback(False, tr("{first}; {second}.", first=first, second=second))


# ----- exercise 2: predict which start learns faster -----------------------------------------

PREDICTION_STARTS = {"A": (-0.5, -0.5), "B": (-2.5, -2.5)}  # (w, b), input 1, target 1
PREDICTION_EPOCHS = 20


def _cost_drops() -> dict[str, dict[str, float]]:
    """How far each start's cost falls in ``PREDICTION_EPOCHS`` epochs, per cost."""
    drops: dict[str, dict[str, float]] = {}
    for cost in COSTS:
        drops[cost] = {}
        for name, (w, b) in PREDICTION_STARTS.items():
            run = neuron_run(w, b, NIELSEN_LR, cost, PREDICTION_EPOCHS, x=1.0, y=1.0)
            drops[cost][name] = float(run.cost_values[0] - run.cost_values[-1])
    return drops


def check_prediction(prediction: Any) -> Feedback:
    """Exercise 2: ``{"quadratic": "A" or "B", "cross-entropy": "A" or "B"}``, the start
    whose cost falls more in the first 20 epochs. Checked by running both (the run is the
    point of the exercise, so the feedback shows what it measured)."""
    if prediction is None or prediction is Ellipsis:
        return Feedback(False, tr("your prediction is still empty; replace the placeholder."))
    if not isinstance(prediction, dict):
        return Feedback(
            False,
            tr(
                "your prediction should be a dict such as {{'quadratic': 'A', 'cross-entropy': "
                "'A'}}, but it is a {kind}.",
                kind=type(prediction).__name__,
            ),
        )
    if set(prediction) != set(COSTS):
        return Feedback(
            False,
            tr(
                "your prediction needs exactly the keys {keys}, it has {got}.",
                keys=list(COSTS),
                got=list(prediction),
            ),
        )
    bad = {cost: pick for cost, pick in prediction.items() if pick not in PREDICTION_STARTS}
    if bad:
        return Feedback(False, tr("each prediction is 'A' or 'B'; got {bad}.", bad=bad))
    drops = _cost_drops()
    faster = {cost: max(d, key=d.get) for cost, d in drops.items()}
    quadratic, cross = (
        tr(
            "{cost}: A's cost fell by {a:.3f}, B's by {b:.3f}",
            cost=cost_name(cost),
            a=drops[cost]["A"],
            b=drops[cost]["B"],
        )
        for cost in COSTS
    )
    measured = tr("{first}; {second}", first=quadratic, second=cross)
    wrong = [cost for cost in COSTS if prediction[cost] != faster[cost]]
    if not wrong:
        return Feedback(
            True,
            tr(
                "measured over {epochs} epochs: {measured}. Under the quadratic cost "
                "the far-off start B is stuck (sigma'(z) is tiny there); under cross-entropy "
                "the step is a - y, largest where the neuron is most wrong.",
                epochs=PREDICTION_EPOCHS,
                measured=measured,
            ),
        )
    why = {
        "quadratic": tr(
            "B sits at z = -5, where sigma'(z) is about 0.007, and the quadratic "
            "cost's step carries that factor"
        ),
        "cross-entropy": tr(
            "cross-entropy's step is (a - y) x, with no sigma'(z): the start "
            "that is more wrong takes the larger steps"
        ),
    }
    mismatches = [
        tr(
            "{cost} ({pick}) does not match: {why}",
            cost=cost_name(cost),
            pick=prediction[cost],
            why=why[cost],
        )
        for cost in wrong
    ]
    if len(mismatches) == 2:
        mismatch = tr("{first} and for {second}", first=mismatches[0], second=mismatches[1])
    else:
        (mismatch,) = mismatches
    return Feedback(
        False,
        tr(
            "measured over {epochs} epochs: {measured}. Your prediction for {mismatch}.",
            epochs=PREDICTION_EPOCHS,
            measured=measured,
            mismatch=mismatch,
        ),
    )


# ----- exercise 3: the gradient of softmax + cross-entropy for a batch -------------------------


def softmax_ce_grad_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """(logits (N, K), labels (N,)) test cases: N != K everywhere, and one with logits
    near 1000, where exp overflows unless each row's maximum is subtracted first."""
    rng = np.random.default_rng(7)
    return [
        (rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])),
        (rng.normal(scale=3.0, size=(5, 10)), np.array([3, 3, 9, 0, 5])),
        (1000.0 + rng.normal(size=(6, 4)), np.array([1, 0, 3, 3, 2, 0])),
    ]


def _reference(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """dC/dz of the mean cross-entropy, from gradlib's backward()."""
    return logit_gradient(logits, labels, "cross-entropy")


def _batch_slips(logits: np.ndarray, labels: np.ndarray) -> list[tuple[np.ndarray, str]]:
    n, k = logits.shape
    p = softmax_array(logits, axis=1)
    Y = one_hot(labels, k)
    columns = softmax_array(logits, axis=0)
    # exp divided by the sum over the whole batch, after a shift by each row's maximum
    # or by the batch's maximum (which is exp(z) / sum of all exp(z))
    row_shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    batch_shifted = np.exp(logits - logits.max())
    whole_batch = tr(
        "your softmax divides by the sum over the whole batch: divide each row's "
        "exp by its own row sum (axis=1, keepdims=True)."
    )
    return [
        (
            p - Y,
            tr(
                "it is N = {n} times too large: divide by N, the batch size (the cost is "
                "the mean over the batch).",
                n=n,
            ),
        ),
        (
            (p - Y) / k,
            tr(
                "it is divided by K = {k}, the number of classes; the mean is over "
                "the N = {n} samples.",
                k=k,
                n=n,
            ),
        ),
        (
            (p - Y) / (n * k),
            tr(
                "it is divided by N K = {nk}, every entry: that is mse_loss's mean over all "
                "entries; cross-entropy's mean is over the N = {n} samples only.",
                nk=n * k,
                n=n,
            ),
        ),
        (
            (logits - Y) / n,
            tr(
                "it uses the logits where the probabilities belong: the gradient is "
                "(softmax(logits) - one_hot) / N."
            ),
        ),
        ((row_shifted / row_shifted.sum() - Y) / n, whole_batch),
        ((batch_shifted / batch_shifted.sum() - Y) / n, whole_batch),
        (
            (columns - Y) / n,
            tr(
                "your softmax is taken down each column (axis=0): each row is one "
                "sample, so normalise along axis=1 (with keepdims=True)."
            ),
        ),
        (
            columns - Y,
            tr(
                "your softmax is taken along axis=0 (it should be axis=1), and the "
                "1/N of the mean is missing."
            ),
        ),
        (p / n, tr("it is softmax / N: the one-hot targets were not subtracted.")),
        (
            (Y - p) / n,
            tr(
                "the sign is flipped: the gradient is (p - one_hot) / N; its negative "
                "is the direction gradient descent moves in."
            ),
        ),
    ]


def _broadcast_hint(function: Callable[..., Any], cases: list) -> str | None:
    """What a broadcasting error of the learner's function most likely means: a row
    reduction without keepdims, or one-hot rows with N columns instead of K."""
    for logits, labels in cases:
        try:
            function(logits.copy(), labels.copy())
        except ValueError as error:
            if "broadcast" not in str(error):
                return None
            n, k = logits.shape
            shapes = str(error).replace(" ", "")
            if f"({n},)" in shapes:
                return tr(
                    "A row reduction lost its axis: z.max(axis=1) and p.sum(axis=1) have "
                    "shape ({n},), which does not line up with the rows of ({n}, {k}); "
                    "pass keepdims=True to keep it as a column.",
                    n=n,
                    k=k,
                )
            if f"({n},{n})" in shapes:
                return tr(
                    "The one-hot rows have N = {n} columns: np.eye(K)[labels] needs K = "
                    "{k}, the number of classes (logits.shape[1]).",
                    n=n,
                    k=k,
                )
            return None
        except Exception:
            return None
    return None


def check_softmax_ce_grad(function: Callable[..., Any] | None) -> Feedback:
    """Exercise 3: ``function(logits, labels)`` returns dC/dlogits of the mean cross-entropy
    of a batch, (softmax(logits) - one_hot(labels)) / N, checked on three batches; the
    usual slips (a missing 1/N, the softmax along the wrong axis, ...) are named."""
    name = "softmax_ce_grad"
    cases = softmax_ce_grad_cases()
    verdict = check_function(function, _reference, cases, name=name)
    if verdict or function is None:
        return verdict
    hint = _broadcast_hint(function, cases)
    if hint is not None:
        return Feedback(False, f"{verdict.message} {hint}")
    for number, (logits, labels) in enumerate(cases, start=1):
        try:
            got = read_numbers(function(logits.copy(), labels.copy()))
        except Exception:  # check_function already reported it
            return verdict
        if isinstance(got, Feedback) or got.shape != logits.shape:
            return verdict
        if np.isnan(got).any() or np.isinf(got).any():
            return Feedback(
                False,
                tr(
                    "{name} gives nan or inf on test case {number}, whose logits are near "
                    "{near:.0f}: exp overflows. Subtract each row's maximum before "
                    "exp (softmax does not change).",
                    name=name,
                    number=number,
                    near=logits.mean(),
                ),
            )
        if np.allclose(got, _reference(logits, labels), rtol=1e-4, atol=1e-6):
            continue
        for value, advice in _batch_slips(logits, labels):
            if np.allclose(got, value, rtol=1e-4, atol=1e-6):
                return Feedback(
                    False,
                    tr(
                        "{name} is wrong on test case {number}: {advice}",
                        name=name,
                        number=number,
                        advice=advice,
                    ),
                )
        return verdict
    return verdict
