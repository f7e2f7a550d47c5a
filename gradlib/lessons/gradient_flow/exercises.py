"""Notebook 05, the exercise checkers: an initialisation scale for 20 tanh layers, a
``clip_grad_norm`` written by the learner, and a vanishing factor predicted from the Jacobians.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib import functional as F
from gradlib import init, nn, optim
from gradlib.engine import Tensor, tensor
from gradlib.exercises import Feedback, check_array, read_number, read_numbers
from gradlib.language import tr
from gradlib.lessons.gradient_flow.maths import build_mlp, digit_batch
from gradlib.recorder import Recorder

# ----- exercise 1: a gain for 20 tanh layers -------------------------------------------------

GAIN_EXERCISE = {"depth": 20, "width": 64, "seeds": (0, 1, 2), "within": 10.0}


def tanh_spread(gain: float, seed: int = 0) -> np.ndarray:
    """||dL/dh_l|| at the 20 hidden layers of a tanh net with weights N(0, gain**2 / fan_in)
    and zero biases, on the default batch of 128 digits."""
    depth, width = GAIN_EXERCISE["depth"], GAIN_EXERCISE["width"]
    model = build_mlp(depth, width, "tanh", "Xavier", seed=seed)
    rng = np.random.default_rng(seed)
    for layer in model.linear_layers():
        init.normal_(layer.weight, 0.0, gain / math.sqrt(layer.in_features), rng)
        init.zeros_(layer.bias)
    rec = Recorder(model, types=(nn.Tanh,), keep_outputs=True)
    X, y = digit_batch()
    with np.errstate(all="ignore"):
        F.cross_entropy(model(X), y).backward()
    return np.array(list(rec.output_grad_stats("norm").values()))


def check_init_gain(gain: Any) -> Feedback:
    """Run 20 tanh layers with weights N(0, gain**2 / n) on three random draws and check
    that every layer's back-propagated gradient norm is within 10x of every other's."""
    g = read_number(gain, tr("the gain g (std = g / sqrt(n))"))
    if isinstance(g, Feedback):
        return g
    if not np.isfinite(g) or g <= 0:
        return Feedback(
            False,
            tr(
                "gain = {g:g}: a standard deviation must be positive (with g = 0 every weight "
                "is 0 and no gradient reaches the first layers).",
                g=g,
            ),
        )
    within = GAIN_EXERCISE["within"]
    norms = [tanh_spread(g, seed) for seed in GAIN_EXERCISE["seeds"]]
    spreads = [n.max() / n.min() for n in norms]
    ratio = float(np.median([n[0] / n[-1] for n in norms]))
    if max(spreads) <= within:
        return Feedback(
            True,
            tr(
                "gain = {g:g} keeps all 20 layers within {spread:.1f}x of each other on all "
                "three draws (layer 1 / layer 20 = {ratio:.2f}).",
                g=g,
                spread=max(spreads),
                ratio=ratio,
            ),
        )
    hint = ""
    if abs(g - 1 / 8) < 0.01 or abs(g - 1 / math.sqrt(3)) < 0.01:
        hint = tr(
            " (Is that a standard deviation? The gain g is the factor in std = g / sqrt(n): "
            "g = 1 gives std 1/8 for n = 64.)"
        )
    if ratio < 1:
        return Feedback(
            False,
            tr(
                "gain = {g:g}: from layer 20 back to layer 1 the gradient shrinks {shrink:.2g}x "
                "(worst spread {spread:.3g}x): it vanishes. Each layer multiplies it by about "
                "g times the root-mean-square slope of tanh, below 1 here; try a larger "
                "gain.{hint}",
                g=g,
                shrink=1 / ratio,
                spread=max(spreads),
                hint=hint,
            ),
        )
    return Feedback(
        False,
        tr(
            "gain = {g:g}: from layer 20 back to layer 1 the gradient grows {ratio:.3g}x (worst "
            "spread {spread:.3g}x): it explodes (some units saturate, yet g times the "
            "root-mean-square slope is still above 1); try a smaller gain.{hint}",
            g=g,
            ratio=ratio,
            spread=max(spreads),
            hint=hint,
        ),
    )


# ----- exercise 2: clip_grad_norm ------------------------------------------------------------


def reference_clip_grad_norm(grads: list[np.ndarray], max_norm: float) -> list[np.ndarray]:
    """New arrays: ``grads`` clipped together by gradlib's ``optim.clip_grad_norm_``."""
    params = []
    for g in grads:
        p = tensor(np.zeros_like(g), requires_grad=True)
        p.grad = np.array(g, dtype=float, copy=True)
        params.append(p)
    optim.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params]


def clip_cases() -> list[tuple[list[np.ndarray], float]]:
    """(gradients, max_norm) test cases: a large gradient in three arrays, a small one that
    must come back unchanged, a single array, and one where a per-array clip would differ."""
    rng = np.random.default_rng(5)
    return [
        ([rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 2))], 1.0),
        ([0.1 * rng.standard_normal((3, 4)), 0.1 * rng.standard_normal(4)], 2.0),
        ([np.array([3.0, -4.0])], 2.5),
        ([np.array([[0.3, 0.4]]), np.array([6.0, 8.0])], 5.0),
    ]


def check_clip_grad_norm(function: Callable | None) -> Feedback:
    """Compare the learner's ``clip_grad_norm(grads, max_norm)`` with gradlib's on each case."""
    name = "clip_grad_norm"
    if function is None:
        return Feedback(
            False, tr("{name} is not defined yet; write it in the cell above.", name=name)
        )
    for number, (grads, max_norm) in enumerate(clip_cases(), start=1):
        originals = [g.copy() for g in grads]
        expected = reference_clip_grad_norm(grads, max_norm)
        try:
            got = function(grads, max_norm)
        except NotImplementedError:
            return Feedback(
                False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
            )
        except Exception as error:  # the learner's code: report, do not crash the notebook
            if isinstance(error, ValueError) and "inhomogeneous" in str(error):
                return Feedback(
                    False,
                    tr(
                        "{name} raised ValueError (case {number}): numpy cannot make one array "
                        "of arrays with different shapes (np.linalg.norm(grads) or "
                        "np.array(grads) try to). Add up the squares array by array: "
                        "np.sqrt(sum(np.sum(g**2) for g in grads)).",
                        name=name,
                        number=number,
                    ),
                )
            return Feedback(
                False,
                tr(
                    "{name} raised {error_type}: {error} (case {number}).",
                    name=name,
                    error_type=type(error).__name__,
                    error=error,
                    number=number,
                ),
            )
        if got is None:
            return Feedback(
                False, tr("{name} returned None; return the list of clipped arrays.", name=name)
            )
        if any(not np.array_equal(a, b) for a, b in zip(grads, originals)):
            return Feedback(
                False,
                tr(
                    "{name} changed the arrays it was given (case {number}); return new "
                    "arrays, e.g. [g * scale for g in grads], and leave the inputs as they were.",
                    name=name,
                    number=number,
                ),
            )
        got = [g.data if isinstance(g, Tensor) else g for g in got]
        if len(got) != len(grads):
            return Feedback(
                False,
                tr(
                    "{name} returned {got} arrays for {expected} gradients (case {number}).",
                    name=name,
                    got=len(got),
                    expected=len(grads),
                    number=number,
                ),
            )
        total = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
        if all(_close(a, b) for a, b in zip(got, expected)):
            continue
        return Feedback(False, _clip_slip(got, grads, expected, total, max_norm, number))
    return Feedback(
        True,
        tr(
            "{name} agrees with gradlib's clip_grad_norm_ on all {number} cases.",
            name=name,
            number=number,
        ),
    )


def _close(a: Any, b: np.ndarray) -> bool:
    a = np.asarray(a, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-7)


def _clip_slip(got, grads, expected, total, max_norm, number) -> str:
    """Name the learner's mistake on one case."""
    where = tr(
        "case {number} (total norm {total:.3g}, max_norm {max_norm:g})",
        number=number,
        total=total,
        max_norm=max_norm,
    )
    if all(_close(a, g) for a, g in zip(got, grads)):
        return tr(
            "{where}: the gradients came back unchanged, but their norm is above max_norm.",
            where=where,
        )
    per_array = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    if all(_close(a, b) for a, b in zip(got, per_array)):
        return tr(
            "{where}: you clipped each array to max_norm on its own. clip_grad_norm treats all "
            "the gradients as one long vector: one norm, one factor for all of them.",
            where=where,
        )
    if total <= max_norm:
        return tr(
            "{where}: the norm is already below max_norm, so nothing should change; your "
            "function changed the gradients (clipping only shrinks: use min(1, max_norm / norm)).",
            where=where,
        )
    if all(_close(a, np.clip(g, -max_norm, max_norm)) for a, g in zip(got, grads)):
        return tr(
            "{where}: you clamped each entry; that is clipping by value, which turns the "
            "direction. Clipping by norm scales all entries by one factor.",
            where=where,
        )
    squared = [g * min(1.0, max_norm / total**2) for g in grads]
    if all(_close(a, b) for a, b in zip(got, squared)):
        return tr(
            "{where}: you divided by the sum of the squares; the norm is its square root, "
            "sqrt(sum of g_i**2).",
            where=where,
        )
    inverted = [g * total / max_norm for g in grads]
    if all(_close(a, b) for a, b in zip(got, inverted)):
        return tr(
            "{where}: the factor is upside down: multiply by max_norm / norm, not norm / max_norm.",
            where=where,
        )
    size = math.sqrt(sum(float(np.sum(np.asarray(a, dtype=float) ** 2)) for a in got))
    return tr(
        "{where}: the clipped gradients should have norm {max_norm:g} and keep their "
        "direction; yours have norm {size:.4g}. Scale every array by the same factor "
        "max_norm / norm.",
        where=where,
        max_norm=max_norm,
        size=size,
    )


# ----- exercise 3: predict a Jacobian product -------------------------------------------------

CHAIN_EXERCISE = {"layers": 10, "scale": 3.0, "width": 8}


def sigmoid_orthogonal_chain(scale: float, layers: int, width: int = 8, seed: int = 0) -> float:
    """||dL/dh_0|| / ||dL/dh_L|| through ``layers`` sigmoid layers with weights scale * Q_l
    (Q_l random orthogonal) and biases that hold every unit at z = 0, from gradlib's backward."""
    rng = np.random.default_rng(seed)
    h0 = tensor(np.full(width, 0.5), requires_grad=True)
    h = h0
    for _ in range(layers):
        q, _ = np.linalg.qr(rng.standard_normal((width, width)))
        W = scale * q
        b = -W @ np.full(width, 0.5)  # z = W h + b = 0 at h = 1/2
        h = F.sigmoid(tensor(W) @ h + tensor(b))
    g = rng.standard_normal(width)
    (h * tensor(g)).sum().backward()
    return float(np.linalg.norm(h0.grad) / np.linalg.norm(g))


def check_chain_prediction(answer: Any) -> Feedback:
    """``answer = [factor, c]``: the factor ||dL/dh_0|| / ||dL/dh_10|| for scale 3, and the
    scale c at which the gradient neither vanishes nor explodes. Checked against backward."""
    got = read_numbers(answer, tr("your answer"))
    if isinstance(got, Feedback):
        return got
    if got.shape != (2,):
        return Feedback(
            False, tr("give two numbers, [factor, c]; yours has shape {shape}.", shape=got.shape)
        )
    factor, c = float(got[0]), float(got[1])
    L, s = CHAIN_EXERCISE["layers"], CHAIN_EXERCISE["scale"]
    measured = sigmoid_orthogonal_chain(s, L, CHAIN_EXERCISE["width"])
    slips = {
        s / 4: tr("that is one layer's factor s/4; the gradient passes through 10 of them"),
        (s / 4) ** (L - 1): tr("that is (3/4)^9: count the Jacobians, one per layer, 10 of them"),
        (s / 4) ** (L + 1): tr("that is (3/4)^11: count the Jacobians, one per layer, 10 of them"),
        (1 / 4) ** L: tr(
            "you left out the weights: each Jacobian is (1/4) 3 Q, and ||3 Q g|| = 3 ||g||"
        ),
        s**L: tr("you left out sigmoid'(0) = 1/4, which every layer multiplies in"),
        (4 / s) ** L: tr("that is upside down: each layer back multiplies the norm by s/4"),
        s / 4 * L: tr("the factors multiply, they do not add"),
    }
    if not math.isclose(factor, measured, rel_tol=0.01):  # two significant figures will do
        for value, why in slips.items():
            if math.isclose(factor, value, rel_tol=0.01):
                return Feedback(False, tr("factor = {factor:.4g}: {why}.", factor=factor, why=why))
        if factor > measured:
            message = tr(
                "factor = {factor:.4g} is too large. Each layer's Jacobian is "
                "diag(sigmoid'(0)) W_l: what does it do to a vector's length?",
                factor=factor,
            )
        else:
            message = tr(
                "factor = {factor:.4g} is too small. Each layer's Jacobian is "
                "diag(sigmoid'(0)) W_l: what does it do to a vector's length?",
                factor=factor,
            )
        return Feedback(False, message)
    verdict = check_array(c, 4.0, name="c", reveal=False)
    if not verdict:
        return Feedback(
            False,
            tr(
                "the factor is right (it vanishes: {measured:.4f} after {layers} layers); but "
                "{message} The factor per layer is c/4: which c makes it 1?",
                measured=measured,
                layers=L,
                message=verdict.message,
            ),
        )
    return Feedback(
        True,
        tr(
            "the gradient shrinks to {measured:.4f} of its size over {layers} layers "
            "((3/4)^10, vanishing), and c = 4 keeps it constant: backward agrees.",
            measured=measured,
            layers=L,
        ),
    )
