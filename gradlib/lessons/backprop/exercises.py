"""Notebook 03, the exercise checkers: a linear layer's backward, and a bug gradcheck finds."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlib.engine import Context, Function, tensor
from gradlib.exercises import Feedback, check_array, read_numbers
from gradlib.gradcheck import GradcheckResult, gradcheck

# ----- exercise 1: the backward of a linear layer --------------------------------


def linear_exercise_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X (4, 3), W (3, 2), b (2,) and dY = dL/dY (4, 2) for Y = X W + b."""
    rng = np.random.default_rng(3)
    X = np.round(rng.uniform(-2, 2, (4, 3)), 1)
    W = np.round(rng.uniform(-2, 2, (3, 2)), 1)
    b = np.array([0.5, -1.0])
    dY = np.round(rng.uniform(-1, 1, (4, 2)), 1)
    return X, W, b, dY


def linear_backward_reference(
    X: np.ndarray, W: np.ndarray, b: np.ndarray, dY: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y = X W + b:  dX = dY W^T (N, D), dW = X^T dY (D, M), db = dY summed over rows (M,)."""
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


def _linear_mistake(name: str, answer: Any, expected: np.ndarray, n: int) -> str | None:
    """The two slips the generic checker words poorly: db summed over the wrong axis, and
    a mean over the n rows where the chain rule asks for a sum."""
    got = read_numbers(answer, name)
    if isinstance(got, Feedback):
        return None
    if name == "db" and got.shape == (n,) and expected.shape != (n,):
        return (
            f"db has shape {got.shape}, expected {expected.shape}: you summed over the wrong "
            "axis. b is added to every row of X W, so its gradient adds dY up over the rows: "
            "sum over axis 0."
        )
    if got.shape == expected.shape and np.allclose(got, expected / n, rtol=1e-4, atol=1e-6):
        return (
            f"{name} is off by a constant factor, 1/N = {1 / n:g} times the reference: a mean "
            f"over the {n} rows instead of a sum? The chain rule adds up what each row "
            "contributes; any 1/N of the loss is already inside dY."
        )
    return None


def check_linear_backward(dX: Any, dW: Any, db: Any) -> Feedback:
    """Exercise 1: the learner's dX, dW, db for ``linear_exercise_data()``, checked one by one."""
    X, W, b, dY = linear_exercise_data()
    reference = linear_backward_reference(X, W, b, dY)
    answers = (dX, dW, db)
    names = ("dX", "dW", "db")
    if all(a is None or a is Ellipsis for a in answers):
        return Feedback(False, "dX, dW and db are still empty; replace the placeholders.")
    for answer, expected, name in zip(answers, reference, names):
        # reveal=False: a wrong entry is called too large or too small, not given away
        verdict = check_array(answer, expected, name=name, reveal=False)
        if not verdict:
            mistake = _linear_mistake(name, answer, expected, len(X))
            return Feedback(False, mistake) if mistake else verdict
    return Feedback(
        True, "dX (4, 3), dW (3, 2) and db (2,) all match the reference, entry by entry."
    )


# ----- exercise 2: find the bug with gradcheck -----------------------------------


class BuggyLinear(Function):
    """out = x @ w.T + b, with PyTorch's weight layout: w has shape (out_features, in_features).

    x (N, in), w (out, in), b (out,) -> out (N, out). Its backward has one bug.
    """

    @staticmethod
    def forward(ctx: Context, x, w, b):
        ctx.x, ctx.w = x, w
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad):
        dx = grad @ ctx.w  # (N, out) @ (out, in) -> (N, in)
        dw = ctx.x.T @ grad  # (in, N) @ (N, out) -> (in, out)
        db = grad.sum(axis=0)  # (out,)
        return dx, dw, db


def gradcheck_summary(result: GradcheckResult, names: tuple[str, ...]) -> str:
    """One line per input: ok, or where backward and finite differences disagree.

    Unlike ``print(result)`` it leaves out the tiny errors of the inputs that pass
    (their last digits depend on the machine), so a notebook prints the same everywhere.
    """
    lines = ["gradcheck passed" if result.passed else "gradcheck FAILED"]
    for check in result.inputs:
        line = f"  input {check.index} ({names[check.index]}, shape {check.shape}): "
        if check.passed:
            line += "ok"
        else:
            line += (
                f"MISMATCH, worst at entry {check.worst}: backward gives {check.analytic:.4g}, "
                f"finite differences {check.numerical:.4g}"
            )
        lines.append(line)
    return "\n".join(lines)


def _bug_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)),
        (rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)),
    ]


def check_fixed_linear(function_class: Any) -> Feedback:
    """Exercise 2: gradcheck the learner's fixed Function on a square and a non-square weight."""
    name = getattr(function_class, "__name__", "your Function")
    input_names = ("x", "w", "b")
    for number, (x, w, b) in enumerate(_bug_cases(), start=1):
        try:
            out = function_class.apply(tensor(x), tensor(w), tensor(b))
            result = gradcheck(function_class.apply, x, w, b)
        except NotImplementedError:
            return Feedback(
                False,
                f"{name}.backward is still empty (it raises NotImplementedError); "
                "write the fixed backward.",
            )
        except Exception as error:  # the learner's code: report it, do not crash the notebook
            return Feedback(
                False,
                f"{name} raised {type(error).__name__} with w of shape {w.shape}: {error}",
            )
        forward_ok = check_array(out, x @ w.T + b, name="the forward output")
        if not forward_ok:
            return Feedback(False, f"{name}.forward changed: {forward_ok.message}")
        for check in result.inputs:
            if not check.passed:
                return Feedback(
                    False,
                    f"gradcheck still fails for input {check.index} ({input_names[check.index]}, "
                    f"shape {check.shape}) on test case {number} (w of shape {w.shape}): "
                    f"at entry {check.worst} backward gives {check.analytic:.4g}, "
                    f"finite differences {check.numerical:.4g}.",
                )
    return Feedback(
        True,
        f"gradcheck passes for x, w and b, with a square weight (3, 3) and a non-square "
        f"one (2, 3); {name}.backward is right.",
    )
