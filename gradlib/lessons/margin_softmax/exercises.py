"""Notebook 08, the exercise checkers: psi by hand, AM-Softmax's logits, and a prediction."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib.exercises import Feedback, check_array, check_function, check_scalar, read_numbers
from gradlib.language import tr
from gradlib.lessons.margin_softmax.maths import (
    SEEDS,
    LossSetting,
    Runs,
    am_logits_reference,
)
from gradlib.losses import large_margin_psi

__all__ = [
    "PREDICTION_OPTIONS",
    "PSI_EXERCISE",
    "am_logits_cases",
    "check_am_logits",
    "check_psi_by_hand",
    "check_tighter_prediction",
]

# ----- exercise: psi by hand ------------------------------------------------------------------

PSI_EXERCISE = (3, 100.0)  # m, and theta in degrees: in the second piece (60 to 120 degrees)


def _psi_slips(m: int, degrees: float) -> list[tuple[float, str]]:
    """The likely wrong values of psi(theta) by hand, each with what it means."""
    theta = math.radians(degrees)
    k = math.floor(m * degrees / 180)
    return [
        (
            math.cos(m * theta),
            tr(
                "that is cos(m theta) alone; it only equals psi on the first piece, "
                "theta <= {limit:g} degrees. At {degrees:g} degrees you are on piece k = "
                "floor(m theta / 180 degrees), so add the sign (-1)^k and the shift -2k.",
                limit=180 / m,
                degrees=degrees,
            ),
        ),
        (
            (-1) ** k * math.cos(m * theta),
            tr(
                "the sign (-1)^k is right, but the shift -2k is missing: it moves each piece "
                "down so that psi keeps falling from one piece to the next."
            ),
        ),
        (
            math.cos(m * theta) - 2 * k,
            tr(
                "the shift -2k is right, but the sign (-1)^k is missing: on an odd piece cos(m "
                "theta) rises, and flipping it makes psi fall."
            ),
        ),
        (
            (-1) ** (k + 1) * math.cos(m * theta) - 2 * (k + 1),
            tr(
                "k is one too large: k counts the whole pieces of 180/m degrees below theta, "
                "k = floor(m theta / 180 degrees)."
            ),
        ),
        (
            math.cos(theta),
            tr(
                "that is cos(theta), plain softmax's target logit (m = 1); L-Softmax uses "
                "psi with the margin m."
            ),
        ),
    ]


def check_psi_by_hand(answer: Any) -> Feedback:
    """Exercise: psi(theta) for ``PSI_EXERCISE`` worked out by hand (``reveal=False``);
    names the slip when the answer is one of the usual ones."""
    m, degrees = PSI_EXERCISE
    expected = float(large_margin_psi(np.radians(degrees), m))
    name = tr("psi at theta = {degrees:g} degrees with m = {m}", degrees=degrees, m=m)
    verdict = check_scalar(answer, expected, name=name, reveal=False, atol=1e-3, rtol=1e-3)
    if verdict:
        return verdict
    got = read_numbers(answer, name)
    if isinstance(got, Feedback) or got.size != 1:
        return verdict
    for value, advice in _psi_slips(m, degrees):
        if abs(float(got.ravel()[0]) - value) < 1e-3:
            return Feedback(
                False, tr("{message} Hint: {advice}", message=verdict.message, advice=advice)
            )
    return verdict


# ----- exercise: AM-Softmax's logits -------------------------------------------------------


def am_logits_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float, float]]:
    """Test cases (features (N, D), weight (C, D), target (N,), s, m), with D != C so that a
    missing transpose shows as a wrong shape."""
    rng = np.random.default_rng(8)
    cases = []
    for n, d, c, s, m in ((6, 2, 4, 30.0, 0.35), (5, 3, 5, 10.0, 0.2), (3, 4, 2, 5.0, 0.0)):
        features = rng.normal(size=(n, d)) * rng.uniform(0.1, 3.0)
        weight = rng.normal(size=(c, d)) * rng.uniform(0.5, 2.0)
        cases.append((features, weight, rng.permutation(np.arange(n) % c), s, m))
    return cases


def _am_slips(
    features: np.ndarray, weight: np.ndarray, target: np.ndarray, s: float, m: float
) -> list[tuple[np.ndarray, str]]:
    """The usual wrong versions of s (cos - m one_hot), each with what it means."""
    x_hat = features / np.linalg.norm(features, axis=1, keepdims=True)
    w_hat = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    one_hot = np.eye(weight.shape[0])[target]
    return [
        (
            s * (features @ w_hat.T - m * one_hot),
            tr(
                "the features are not normalised: divide each row of features by its length "
                "(np.linalg.norm(features, axis=1, keepdims=True)), so that x . W_j is a cosine."
            ),
        ),
        (
            s * (x_hat @ weight.T - m * one_hot),
            tr(
                "the class weights are not normalised: divide each row of weight by its length, "
                "so that every class has the same |W_j| = 1."
            ),
        ),
        (
            s * (features @ weight.T - m * one_hot),
            tr(
                "neither the features nor the weights are normalised: AM-Softmax compares "
                "cosines, x / |x| . W_j / |W_j|."
            ),
        ),
        (
            s * (x_hat @ w_hat.T - m),
            tr(
                "the margin is subtracted from every class; it belongs to the target class only "
                "(multiply m by the one-hot target)."
            ),
        ),
        (
            s * (x_hat @ w_hat.T + m * one_hot),
            tr(
                "the margin is added to the target class; it is subtracted, which makes the "
                "target class's job harder."
            ),
        ),
        (
            s * (x_hat @ w_hat.T) - m * one_hot,
            tr(
                "the scale s multiplies only the cosines; it multiplies the margin too: "
                "s (cos - m one_hot)."
            ),
        ),
        (
            x_hat @ w_hat.T - m * one_hot,
            tr(
                "the scale s is missing: without it the logits stay in [-1 - m, 1] and the "
                "softmax of them can never be confident."
            ),
        ),
    ]


def check_am_logits(function: Callable[..., Any]) -> Feedback:
    """Exercise: ``function(features, weight, target, s, m)`` returns AM-Softmax's logits
    s (cos - m one_hot(target)); names the usual slip on the first case, then checks all
    cases (and that the arguments are left unchanged)."""
    name = getattr(function, "__name__", None) or tr("your function")
    if function is None:
        return Feedback(
            False, tr("{name} is not defined yet; write it in the cell above.", name=name)
        )
    features, weight, target, s, m = am_logits_cases()[0]
    try:
        got = function(features.copy(), weight.copy(), target.copy(), s, m)
    except NotImplementedError:
        return Feedback(
            False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
        )
    except Exception as error:  # the learner's code: report, do not crash the notebook
        hint = ""
        if "matmul" in str(error) or "align" in str(error):
            hint = tr(
                " The shapes: features is {features} (N, D) and weight {weight} "
                "(C, D), nn.Linear's layout, so the cosines are x_hat @ w_hat.T.",
                features=features.shape,
                weight=weight.shape,
            )
        return Feedback(
            False,
            tr(
                "{name} raised {kind}: {error}.{hint}",
                name=name,
                kind=type(error).__name__,
                error=error,
                hint=hint,
            ),
        )
    expected = am_logits_reference(features, weight, target, s, m)
    first = check_array(got, expected, name=tr("the logits of test case 1"))
    if not first:
        values = read_numbers(got)
        if not isinstance(values, Feedback) and values.shape == expected.shape:
            for slip, advice in _am_slips(features, weight, target, s, m):
                if np.allclose(values, slip, rtol=1e-6, atol=1e-9):
                    return Feedback(
                        False,
                        tr("{name} is wrong on test case 1: {advice}", name=name, advice=advice),
                    )
        return Feedback(
            False,
            tr("{name} is wrong on test case 1: {advice}", name=name, advice=first.message),
        )
    return check_function(function, am_logits_reference, am_logits_cases(), name=name)


# ----- exercise: predict which loss gives the tighter classes -------------------------------

PREDICTION_OPTIONS = (
    LossSetting("softmax"),
    LossSetting("SM-Softmax", 2.0),
    LossSetting("L-Softmax", 3),
)


def _mean_spread(runs: Runs, setting: LossSetting) -> float:
    return float(np.mean([g.spread for g in runs.across_seeds(setting, "train", SEEDS)]))


def _median_length(runs: Runs, setting: LossSetting) -> float:
    lengths = [np.linalg.norm(runs.get(setting, seed).train_features, axis=1) for seed in SEEDS]
    return float(np.median(np.concatenate(lengths)))


def check_tighter_prediction(answer: Any, runs: Runs) -> Feedback:
    """Exercise: which of ``PREDICTION_OPTIONS`` gives the smallest intra-class angular
    spread of the training features (mean over the seeds)? ``answer`` is its label.

    The reference is measured on ``runs``, the notebook's trained networks."""
    labels = [option.label for option in PREDICTION_OPTIONS]
    listed = ", ".join(f'"{label}"' for label in labels)
    if answer is None or answer is Ellipsis:
        return Feedback(
            False, tr("your prediction is still empty; write one of {listed}.", listed=listed)
        )
    if not isinstance(answer, str):
        return Feedback(
            False,
            tr(
                "your prediction should be the name of a loss, in quotes: one of {listed}.",
                listed=listed,
            ),
        )
    chosen = next(
        (o for o in PREDICTION_OPTIONS if o.label.lower() == " ".join(answer.lower().split())),
        None,
    )
    if chosen is None:
        return Feedback(
            False,
            tr('"{answer}" is not one of the options: {listed}.', answer=answer, listed=listed),
        )
    spreads = {option: _mean_spread(runs, option) for option in PREDICTION_OPTIONS}
    best = min(spreads, key=spreads.get)
    measured = tr("; ").join(
        tr("{label} {spread:.1f} degrees", label=o.label, spread=spreads[o])
        for o in PREDICTION_OPTIONS
    )
    if chosen == best:
        return Feedback(
            True,
            tr(
                "{label} gives the tightest classes. Mean angular spread over {seeds} "
                "seeds: {measured}.",
                label=best.label,
                seeds=len(SEEDS),
                measured=measured,
            ),
        )
    if chosen.name == "SM-Softmax":
        softmax = LossSetting("softmax")
        why = tr(
            "SM-Softmax's margin is in logit units, W_y . x - m, and a logit grows with the "
            "length of x: the network met it by making the features longer (median length "
            "{mine:.1f} against {plain:.1f} with softmax) rather than narrowing their angles.",
            mine=_median_length(runs, chosen),
            plain=_median_length(runs, softmax),
        )
    elif chosen.name == "softmax":
        why = tr(
            "plain softmax has no margin: once a digit is on the right side of the boundary "
            "nothing asks its feature to move closer to its class's direction."
        )
    else:
        why = tr(
            "{label} does tighten the classes, but {best} does more.",
            label=chosen.label,
            best=best.label,
        )
    return Feedback(
        False,
        tr(
            "{label} is not the tightest: {why} Measured: {measured}.",
            label=chosen.label,
            why=why,
            measured=measured,
        ),
    )
