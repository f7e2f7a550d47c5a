"""Notebook 04, the exercise checkers: a max-pool backward by hand, avg_pool2d's backward as
code, and a gradient sum predicted before it is computed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib.engine import Context
from gradlib.exercises import Feedback, check_array, read_numbers
from gradlib.language import listed, tr
from gradlib.lessons.relu_pooling.maths import pool_grid, pooling_jacobian
from gradlib.pooling import AvgPool2d

__all__ = [
    "HAND_GRAD",
    "HAND_X",
    "SUM_CONFIG",
    "avg_pool2d_backward_reference",
    "check_avg_pool2d_backward",
    "check_max_pool_by_hand",
    "check_predicted_sum",
]

# ----- exercise 1: max pooling backward by hand -----------------------------------------
#
# Kernel 2, stride 1 on a 4x4 grid: nine overlapping windows. The windows at (0, 0) and
# (1, 0) hold a tied maximum 4 (at (1, 0) and (1, 1)), the one at (0, 2) a tied 2; the 5 at
# (2, 2) is the maximum of four windows. The upstream gradient 1..9 tells the windows apart.
HAND_X = np.array(
    [
        [1.0, 3.0, 2.0, 0.0],
        [4.0, 4.0, 1.0, 2.0],
        [0.0, 2.0, 5.0, 1.0],
        [3.0, 1.0, 0.0, 2.0],
    ]
)
HAND_GRAD = np.arange(1.0, 10.0).reshape(3, 3)
HAND_KERNEL, HAND_STRIDE = 2, 1


def _max_backward_rule(x: np.ndarray, g: np.ndarray, tie: str, add: bool) -> np.ndarray:
    """Max-pool backward (kernel 2, stride 1) with a tie rule ("first", "last", "split")
    and overlapping windows added (``add``) or overwriting each other: the right rule and
    the usual slips, window by window."""
    dx = np.zeros_like(x)
    out_h, out_w = g.shape
    for r in range(out_h):
        for c in range(out_w):
            window = x[r : r + 2, c : c + 2]
            winners = np.argwhere(window == window.max())
            chosen = {"first": winners[:1], "last": winners[-1:], "split": winners}[tie]
            for i, j in chosen:
                share = g[r, c] / len(chosen)
                if add:
                    dx[r + i, c + j] += share
                else:
                    dx[r + i, c + j] = share
    return dx


def check_max_pool_by_hand(answer: Any) -> Feedback:
    """Exercise: dL/dx of max_pool2d(HAND_X, kernel 2, stride 1) for the upstream HAND_GRAD.

    Checked against gradlib's backward. Worked by hand, so a wrong cell is named and called
    too large or too small, without its value; the usual slips are recognised by name.
    """
    expected = pool_grid(HAND_X, "max", HAND_KERNEL, HAND_STRIDE, upstream=HAND_GRAD).dx
    verdict = check_array(answer, expected, name=tr("your dL/dx"), reveal=False)
    if verdict:
        return verdict
    got = read_numbers(answer, tr("your dL/dx"))
    if isinstance(got, Feedback) or got.shape != expected.shape:
        return verdict
    slips = (
        (
            _max_backward_rule(HAND_X, HAND_GRAD, "split", add=True),
            tr(
                "you split each tie evenly between the equal maxima. That is what PyTorch does "
                "for x.max() over a whole tensor, but max_pool2d gives a window's whole gradient "
                "to its first maximum in row-major order."
            ),
        ),
        (
            _max_backward_rule(HAND_X, HAND_GRAD, "last", add=True),
            tr(
                "you gave each tie to the last maximum; the convention (gradlib, PyTorch) is the "
                "first one in row-major order (left to right, then top to bottom)."
            ),
        ),
        (
            _max_backward_rule(HAND_X, HAND_GRAD, "first", add=False),
            tr(
                "a cell that is the maximum of several windows keeps only one window's gradient "
                "in your answer: overlapping windows add their gradients."
            ),
        ),
        (
            pool_grid(HAND_X, "mean", HAND_KERNEL, HAND_STRIDE, upstream=HAND_GRAD).dx,
            tr(
                "this is the backward of mean pooling (each cell a quarter of every window it is "
                "in); max pooling sends a window's gradient to its maximum only."
            ),
        ),
    )
    for slip, advice in slips:
        if np.allclose(got, slip):
            return Feedback(False, _with_hint(verdict.message, advice))
    first_wrong = tuple(int(i) for i in np.argwhere(~np.isclose(got, expected))[0])
    advice = [_windows_hint(first_wrong)]
    if not np.isclose(got.sum(), HAND_GRAD.sum()):
        advice.append(
            tr(
                "And your cells add up to {total:g}, but max pooling passes every window's "
                "gradient on whole: they should add up to the sum of the upstream gradient.",
                total=got.sum(),
            )
        )
    return Feedback(False, _with_hint(verdict.message, " ".join(advice)))


def _with_hint(message: str, hint: str) -> str:
    """A checker's message followed by a hint."""
    return tr("{message} Hint: {hint}", message=message, hint=hint)


def _windows_hint(cell: tuple[int, int]) -> str:
    """Which windows (named by their output) contain ``cell``: where to look again, without
    saying which of them it wins."""
    out_h, out_w = HAND_GRAD.shape
    windows = [
        (r, c)
        for r in range(out_h)
        for c in range(out_w)
        if r * HAND_STRIDE <= cell[0] < r * HAND_STRIDE + HAND_KERNEL
        and c * HAND_STRIDE <= cell[1] < c * HAND_STRIDE + HAND_KERNEL
    ]
    names = [str(w) for w in windows]
    if len(names) == 1:
        return tr(
            "look again at cell {cell}: it is in the window of output {output}. For each, is it "
            "that window's first maximum (row-major)? A cell collects the g of every window it "
            "wins, and nothing from the others.",
            cell=cell,
            output=names[0],
        )
    return tr(
        "look again at cell {cell}: it is in the windows of outputs {listed}. For each, is it "
        "that window's first maximum (row-major)? A cell collects the g of every window it "
        "wins, and nothing from the others.",
        cell=cell,
        listed=listed(names),
    )


# ----- exercise 2: avg_pool2d's backward as a function -----------------------------------


def avg_pool2d_backward_reference(
    grad: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: int,
    stride: int,
    padding: int = 0,
    count_include_pad: bool = True,
) -> np.ndarray:
    """gradlib's own backward of avg_pool2d (``AvgPool2d.backward``), the reference."""
    ctx = Context()
    AvgPool2d.forward(ctx, np.zeros(input_shape), kernel_size, stride, padding, count_include_pad)
    return AvgPool2d.backward(ctx, np.asarray(grad, dtype=np.float64))


def _out_side(n: int, kernel: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - kernel) // stride + 1


# (what the case tests, input shape, kernel, stride, padding, count_include_pad)
BACKWARD_CASES = (
    ("windows that tile the input", (2, 3, 4, 4), 2, 2, 0, True),
    ("overlapping windows (stride < kernel)", (1, 2, 5, 5), 3, 1, 0, True),
    ("gaps between windows (stride > kernel)", (1, 1, 7, 8), 2, 3, 0, True),
    ("padding, count_include_pad=True", (2, 1, 5, 6), 3, 2, 1, True),
    ("padding, count_include_pad=False", (2, 1, 5, 6), 3, 2, 1, False),
    ("a non-square input, overlap and padding", (1, 2, 6, 5), 2, 1, 1, False),
)

_ADVICE = {
    "windows that tile the input": "the window of output (r, c) starts at row r * stride and "
    "column c * stride of the (padded) input, and each of its kernel_size**2 inputs gets "
    "grad[:, :, r, c] / kernel_size**2.",
    "overlapping windows (stride < kernel)": "an input in several windows collects a share "
    "from each: add (+=) into dx, do not assign (=).",
    "gaps between windows (stride > kernel)": "a window starts every `stride` inputs; inputs "
    "in no window get 0.",
    "padding, count_include_pad=True": "pad the gradient array, spread each share over the "
    "whole window (padding included), then cut the padding off: its share is lost.",
    "padding, count_include_pad=False": "with count_include_pad=False a window divides by the "
    "number of real (non-padding) inputs it covers, not by kernel_size**2.",
}


RANDOM_CASES = 4  # after the named cases, this many with a random shape and geometry


def _random_cases(rng: np.random.Generator, count: int = RANDOM_CASES) -> list[tuple]:
    """``count`` cases like ``BACKWARD_CASES`` with random shape, kernel, stride, padding
    (at most kernel // 2, PyTorch's rule) and count_include_pad, each named for its kind."""
    cases = []
    for _ in range(count):
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        p = int(rng.integers(0, k // 2 + 1))
        h, w = (int(v) for v in rng.integers(max(k - 2 * p, 1) + 1, 9, size=2))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), h, w)
        counted = bool(rng.integers(0, 2))
        if p:
            kind = f"padding, count_include_pad={counted}"
        elif s < k:
            kind = "overlapping windows (stride < kernel)"
        elif s > k:
            kind = "gaps between windows (stride > kernel)"
        else:
            kind = "windows that tile the input"
        cases.append((f"random: {kind}", shape, k, s, p, counted))
    return cases


def check_avg_pool2d_backward(function: Callable[..., Any] | None, seed: int = 0) -> Feedback:
    """Exercise: ``function(grad, input_shape, kernel_size, stride, padding,
    count_include_pad)`` returns dL/dx of avg_pool2d. Each case of ``BACKWARD_CASES``, then
    ``RANDOM_CASES`` cases of random shape and geometry (seeded), runs with a random upstream
    gradient; the first case that fails is named, with the advice for that kind of window."""
    if function is None:
        return Feedback(False, tr("avg_pool2d_backward is not defined yet; write it above."))
    rng = np.random.default_rng(seed)
    cases = list(BACKWARD_CASES) + _random_cases(np.random.default_rng(seed + 1))
    for number, (what, shape, k, s, p, counted) in enumerate(cases, start=1):
        out = (shape[0], shape[1], _out_side(shape[2], k, s, p), _out_side(shape[3], k, s, p))
        grad = rng.normal(size=out)
        expected = avg_pool2d_backward_reference(grad, shape, k, s, p, counted)
        call = f"kernel_size={k}, stride={s}, padding={p}, count_include_pad={counted}"
        kind = what.removeprefix("random: ")
        shown = tr(kind) if kind == what else tr("random: {kind}", kind=tr(kind))
        try:
            got = function(grad.copy(), shape, k, s, p, counted)
        except NotImplementedError:
            return Feedback(False, tr("avg_pool2d_backward still raises NotImplementedError."))
        except Exception as error:  # the learner's code: report it, do not crash
            return Feedback(
                False,
                tr(
                    "avg_pool2d_backward raised {error_type}: {error} (case {number}, "
                    "{what}: input {shape}, {call}).",
                    error_type=type(error).__name__,
                    error=error,
                    number=number,
                    what=shown,
                    shape=shape,
                    call=call,
                ),
            )
        verdict = check_array(got, expected, name="dx")
        if verdict:
            continue
        got_array = read_numbers(got, "dx")
        message, hint = verdict.message, _ADVICE.get(kind, "")
        if not isinstance(got_array, Feedback):
            padded = shape[:2] + (shape[2] + 2 * p, shape[3] + 2 * p)
            if p and got_array.shape == padded:
                hint = "dx still has the padding rows and columns: cut them off."
            elif got_array.shape == expected.shape and k > 1:
                for factor, slip in (
                    (
                        k * k,
                        "you did not divide: each input of a window gets grad / kernel_size**2 "
                        "(its share of the mean), not the whole grad.",
                    ),
                    (
                        1 / (k * k),
                        "you divided by kernel_size**2 twice (once is the mean's 1/k^2).",
                    ),
                ):
                    if np.allclose(got_array, factor * expected):
                        message = tr("dx is {factor:g} times gradlib's everywhere.", factor=factor)
                        hint = slip
        failed = tr(
            "case {number} ({what}: input {shape}, {call}) fails: {message}",
            number=number,
            what=shown,
            shape=shape,
            call=call,
            message=message,
        )
        return Feedback(False, _with_hint(failed, tr(hint)) if hint else failed)
    return Feedback(
        True,
        tr(
            "avg_pool2d_backward agrees with gradlib on all {cases} cases ({named} named: "
            "tiling, overlap, gaps, padding counted and not; {random} of random shape and "
            "geometry).",
            cases=len(cases),
            named=len(BACKWARD_CASES),
            random=RANDOM_CASES,
        ),
    )


# ----- exercise 3: predict a gradient sum ---------------------------------------------------

SUM_CONFIG = {
    "input": (5, 5),
    "mode": "mean",
    "kernel": 3,
    "stride": 2,
    "padding": 1,
    "count_include_pad": True,
}


def _sum_of_config() -> float:
    c = SUM_CONFIG
    x = np.zeros(c["input"])
    return pool_grid(
        x, c["mode"], c["kernel"], c["stride"], c["padding"], c["count_include_pad"]
    ).input_sum


def check_predicted_sum(answer: Any) -> Feedback:
    """Exercise: the sum of dL/dx for ``SUM_CONFIG`` with an upstream gradient of ones,
    predicted before running it (so the value is never shown; slips are named)."""
    got = read_numbers(answer, tr("your predicted sum"))
    if isinstance(got, Feedback):
        return got
    if got.size != 1:
        return Feedback(
            False,
            tr("give one number (the sum), not an array of shape {shape}.", shape=got.shape),
        )
    value = float(got.ravel()[0])
    expected = _sum_of_config()
    jacobian = pooling_jacobian(np.zeros(SUM_CONFIG["input"]), "mean", 3, 2, 1, True)
    outputs, inputs = jacobian.shape[0], int(np.prod(SUM_CONFIG["input"]))
    if abs(value - expected) <= 5e-3:
        return Feedback(True, tr("your predicted sum = {value:.4g}.", value=value))
    real_cells = int(round(expected * SUM_CONFIG["kernel"] ** 2))
    slips = {
        outputs: tr(
            "{outputs} is the sum of the upstream gradient (one 1 per output): that is what "
            "reaches the input only if no share falls on the padding.",
            outputs=outputs,
        ),
        inputs: tr(
            "{inputs} is the number of inputs; the sum comes from the windows: each window "
            "passes on (its real inputs) / 9 of its gradient.",
            inputs=inputs,
        ),
        real_cells: tr(
            "{real_cells} counts the real cells of all the windows (an input once per window "
            "it is in); but each of them receives 1/9 of its window's gradient, not all of it.",
            real_cells=real_cells,
        ),
    }
    for slip, advice in slips.items():
        if abs(value - slip) <= 1e-6:
            said = tr("your predicted sum = {value:g}.", value=value)
            return Feedback(False, _with_hint(said, advice))
    if value > expected:
        said = tr(
            "your predicted sum = {value:g}, which is too large. Count, for each window, how "
            "many of its 9 cells are real inputs.",
            value=value,
        )
    else:
        said = tr(
            "your predicted sum = {value:g}, which is too small. Count, for each window, how "
            "many of its 9 cells are real inputs.",
            value=value,
        )
    return Feedback(False, said)
