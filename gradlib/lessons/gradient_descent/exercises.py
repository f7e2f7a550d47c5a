"""Notebook 02, the exercise checkers: a learning rate that converges in time, one
descent step written by the learner, and a learning rate and momentum for the heavy ball on
an ill-conditioned valley."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlib.engine import Tensor, no_grad, tensor
from gradlib.exercises import Feedback, check_array, read_number, read_numbers
from gradlib.language import tr
from gradlib.lessons.gradient_descent.maths import (
    LAB_START,
    descent_path_2d,
    heavy_ball_rate,
    heavy_ball_roots,
    quadratic_path,
    root_kind,
)

# ----- exercise checkers -----------------------------------------------------------------

# Exercise 1: f(x) = 5 x**2 (L = 10) from x0 = 3; reach |x_N| < 1e-6 within N = 20 steps.
EXERCISE = {"L": 10.0, "x0": 3.0, "steps": 20, "tol": 1e-6}


def check_learning_rate(lr: Any) -> Feedback:
    """Run 20 steps of gradient descent on f(x) = 5 x**2 from 3 with ``lr`` and judge it."""
    if isinstance(lr, str):
        try:
            return Feedback(
                False,
                tr(
                    'lr is the text "{text}"; write the number without quotes: lr = {value:g}.',
                    text=lr,
                    value=float(lr),
                ),
            )
        except ValueError:
            return Feedback(
                False, tr('lr is the text "{text}"; write a number, e.g. lr = 0.01.', text=lr)
            )
    lr = read_number(lr, tr("the learning rate"))
    if isinstance(lr, Feedback):
        return lr
    L, x0, steps, tol = EXERCISE["L"], EXERCISE["x0"], EXERCISE["steps"], EXERCISE["tol"]
    if not np.isfinite(lr) or lr <= 0:
        return Feedback(
            False, tr("lr = {lr:g} does not step downhill; it must be positive.", lr=lr)
        )
    end = abs(quadratic_path(L, lr, x0, steps)[-1])
    factor = 1 - lr * L
    if end < tol:
        return Feedback(
            True,
            tr(
                "lr = {lr:g} reaches |x_{steps}| = {end:.1e} < {tol:g}.",
                lr=lr,
                steps=steps,
                end=end,
                tol=tol,
            ),
        )
    q = (tol / abs(x0)) ** (1 / steps)  # |1 - lr L| < q is what 20 steps need
    for edge, sign in ((1 - q, "-"), (1 + q, "+")):
        if abs(lr - edge) <= 5e-3 * edge:  # 1 -/+ q, rounded: the hint's bound without L
            return Feedback(
                False,
                tr(
                    "lr = {lr:g} is 1 {sign} q = {edge:.4f}: you solved |1 - lr| < q, but each "
                    "step multiplies x by 1 - lr L with L = {L:g} (here {factor:+.3f}). Solve "
                    "-q < 1 - lr L < q for lr: divide by L.",
                    lr=lr,
                    sign=sign,
                    edge=edge,
                    L=L,
                    factor=factor,
                ),
            )
    if abs(factor) >= 1:
        return Feedback(
            False,
            tr(
                "lr = {lr:g} is too large: each step multiplies x by 1 - lr L = "
                "{factor:+.3f}, so |x| {how} (|x_{steps}| = {end:.2e}). It must be below "
                "2/L = {limit:g}.",
                lr=lr,
                factor=factor,
                how=tr("grows") if abs(factor) > 1 else tr("never shrinks"),
                steps=steps,
                end=end,
                limit=2 / L,
            ),
        )
    if factor < 0:
        return Feedback(
            False,
            tr(
                "lr = {lr:g} converges but overshoots: x flips sign each step (factor "
                "{factor:+.3f}) and |x_{steps}| = {end:.1e} is not yet below {tol:g}. Try a "
                "smaller rate.",
                lr=lr,
                factor=factor,
                steps=steps,
                end=end,
                tol=tol,
            ),
        )
    return Feedback(
        False,
        tr(
            "lr = {lr:g} is too small: each step keeps {factor:.3f} of x, and "
            "|x_{steps}| = {end:.1e} is not yet below {tol:g}. Try a larger rate.",
            lr=lr,
            factor=factor,
            steps=steps,
            end=end,
            tol=tol,
        ),
    )


def reference_descent_step(w: Any, X: Any, y: Any, lr: float) -> np.ndarray:
    """One gradient-descent step on L(w) = mean((X @ w - y)**2), with gradlib; returns new w."""
    w = tensor(w, dtype=np.float64, requires_grad=True)  # tensor() copies: the caller's w stays
    loss = ((tensor(X) @ w - tensor(y)) ** 2).mean()
    loss.backward()
    with no_grad():
        w -= lr * w.grad
    return w.data


def descent_step_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """The test cases (w, X, y, lr) of ``check_descent_step``: 3, 2, then 1 weights.

    Made anew on every call, so a function that changes its arguments in place cannot
    spoil a later check. The cases with several weights come first: only there can the
    checker tell a step of the wrong size from one in the wrong direction.
    """
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal(d), rng.standard_normal((n, d)), rng.standard_normal(n), lr)
        for n, d, lr in ((8, 3, 0.05), (20, 2, 0.5), (5, 1, 0.1))
    ]


def _column_target_step(w: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float) -> np.ndarray:
    """The step taken when X @ w, shape (n,), meets y reshaped to (n, 1): the errors
    broadcast to E[i, j] = x_j . w - y_i, and the mean of E**2 has the gradient
    (2/n) X^T (X w - mean(y))."""
    return w - lr * 2 / len(y) * X.T @ (X @ w - y.mean())


def _explain_step(
    got: np.ndarray, w: np.ndarray, new_w: np.ndarray, lr: float, X: np.ndarray, y: np.ndarray
) -> str:
    """Why ``got`` is not the right new w: compare the step it took with the right one.

    The right step is w - new_w = lr * dL/dw. If the learner's step w - got is a
    multiple c of it, c usually names the mistake: -1 a step uphill, n the gradient of
    a sum instead of a mean, 1/lr a missing learning rate.
    """
    n = len(y)
    gradient = (w - new_w) / lr
    if np.allclose(got, w, rtol=0, atol=1e-12):
        return tr(
            "the weights did not change. Update the tensor inside `with gl.no_grad():` "
            "(w -= lr * w.grad) and return its .data."
        )
    if np.allclose(got, gradient, rtol=1e-6, atol=1e-12):
        return tr("you returned the gradient dL/dw, not the new weights w - lr dL/dw.")
    if np.allclose(got, w - new_w, rtol=1e-6, atol=1e-12):
        return tr("you returned the step lr dL/dw, not the new weights w - lr dL/dw.")
    if np.allclose(got, _column_target_step(w, X, y, lr), rtol=1e-6, atol=1e-12):
        return tr(
            "X @ w has shape (n,) and y has shape (n, 1) (or the other way round): their "
            "difference broadcasts to an (n, n) matrix, so the loss averages every prediction "
            "against every target. Keep both of shape (n,)."
        )
    step = (w - got) / lr
    factor = float(step @ gradient / (gradient @ gradient))
    if not np.allclose(step, factor * gradient, rtol=1e-6, atol=1e-12):
        return tr(
            "your step w - (new w) does not point along the gradient of the mean squared "
            "error; check the loss: ((X @ w - y) ** 2).mean()."
        )
    causes = {
        float(n): tr(
            "n = {n} is the number of examples: the gradient of the sum of the squared "
            "errors, not of their mean (use .mean())?",
            n=n,
        ),
        1 / lr: tr(
            "that is 1/lr = {inverse:g}: the learning rate is missing (w - dL/dw)?", inverse=1 / lr
        ),
        lr: tr("that is lr = {lr:g}: the learning rate is applied twice?", lr=lr),
        2.0: tr("a factor 2 too many?"),
        0.5: tr("the 2 of d(e**2)/de = 2e is missing?"),
    }
    size = abs(factor)
    cause = next((text for value, text in causes.items() if np.isclose(size, value)), "")
    cause = cause or tr("a constant factor is off.")
    larger = (
        tr("{size:.4g} times too large", size=size)
        if size > 1
        else tr("{size:.4g} times too small", size=1 / size)
    )
    if factor < 0:
        text = tr("you stepped uphill: w + lr dL/dw instead of w - lr dL/dw (+= instead of -=?).")
        if not np.isclose(size, 1):
            text += tr(" The step is also {larger}; {cause}", larger=larger, cause=cause)
        return text
    return tr("your step is {larger}, in the right direction; {cause}", larger=larger, cause=cause)


def check_descent_step(descent_step: Callable[..., Any]) -> Feedback:
    """Exercise 2: one gradient-descent step on the mean squared error, on three test cases.

    Reports an exception, an argument changed in place, a missing return, a wrong shape,
    and for wrong numbers what the step looks like: uphill, n times too large (a sum
    instead of a mean), without the learning rate, a target y of shape (n, 1) whose
    difference with X @ w broadcasts to (n, n) ...
    """
    name = "descent_step"
    if descent_step is None or not callable(descent_step):
        return Feedback(
            False, tr("{name} is not a function yet; define it in the cell above.", name=name)
        )
    cases = descent_step_cases()
    for number, (w, X, y, lr) in enumerate(cases, start=1):
        where = tr(
            "test case {number} ({size} weights, n = {n} examples, lr = {lr:g})",
            number=number,
            size=w.size,
            n=len(y),
            lr=lr,
        )
        new_w = reference_descent_step(w, X, y, lr)
        originals = {"w": w.copy(), "X": X.copy(), "y": y.copy()}
        try:
            got = descent_step(w, X, y, lr)
        except NotImplementedError:
            return Feedback(
                False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
            )
        except Exception as error:  # the learner's code: report it, do not crash the notebook
            return Feedback(
                False,
                tr(
                    "{name} raised {error_type}: {error} (on {where}).",
                    name=name,
                    error_type=type(error).__name__,
                    error=error,
                    where=where,
                ),
            )
        for arg_name, arg in (("w", w), ("X", X), ("y", y)):
            if not np.array_equal(arg, originals[arg_name]):
                return Feedback(
                    False,
                    tr(
                        "{name} changed its argument {arg_name} in place on {where}, so the "
                        "caller's array changed too. gl.tensor(w, requires_grad=True) makes a "
                        "copy: update that tensor, not the numpy array.",
                        name=name,
                        arg_name=arg_name,
                        where=where,
                    ),
                )
        if got is None:
            return Feedback(
                False,
                tr(
                    "{name} returned None; end it with `return w.data`, the new weights.", name=name
                ),
            )
        if isinstance(got, Tensor):
            return Feedback(
                False,
                tr(
                    "{name} returned a gradlib Tensor; the exercise asks for the new weights as "
                    "a numpy array: return w.data.",
                    name=name,
                ),
            )
        verdict = check_array(got, new_w, name=tr("the new w"))
        if verdict:
            continue
        mine = read_numbers(got)
        if isinstance(mine, Feedback) or mine.shape != new_w.shape or not np.isfinite(mine).all():
            return Feedback(
                False,
                tr(
                    "{name} is wrong on {where}: {explanation}",
                    name=name,
                    where=where,
                    explanation=verdict.message,
                ),
            )
        explanation = _explain_step(mine, w, new_w, lr, X, y)
        return Feedback(
            False,
            tr(
                "{name} is wrong on {where}: {explanation}",
                name=name,
                where=where,
                explanation=explanation,
            ),
        )
    return Feedback(
        True,
        tr(
            "{name} agrees with the reference on all {count} test cases (3, 2 and 1 weights).",
            name=name,
            count=len(cases),
        ),
    )


# Exercise 3: the heavy ball on (x1**2 + kappa x2**2) / 2, kappa = 50, from the lab's start;
# shrink |x| a million times within 80 steps. Plain descent's best rate, 49/51, cannot.
MOMENTUM_EXERCISE = {"kappa": 50.0, "steps": 80, "tol": 1e-6}


def _reaches(lr: float, beta: float) -> bool:
    """Whether the heavy ball with ``lr`` and momentum ``beta`` meets exercise 3's target."""
    kappa, steps, tol = (MOMENTUM_EXERCISE[k] for k in ("kappa", "steps", "tol"))
    if not (lr > 0 and 0 <= beta < 1):
        return False
    path = descent_path_2d(kappa, lr, LAB_START, steps, momentum=beta)
    return bool(np.hypot(*path[-1]) <= tol * np.hypot(*LAB_START))


def check_momentum_setting(lr: Any, beta: Any) -> Feedback:
    """Exercise 3: run the heavy ball with ``lr`` and momentum ``beta`` for 80 steps on the
    valley with kappa = 50 from ``LAB_START`` and judge |x_80| <= 1e-6 |x_0|.

    A miss is explained by the direction that holds the run back, in the words of the
    derivation: past the edge lr L < 2 (1 + beta), a direction whose real roots creep or
    flip, or complex roots whose size sqrt(beta) is too large.
    """
    kappa, steps, tol = (MOMENTUM_EXERCISE[k] for k in ("kappa", "steps", "tol"))
    lr = read_number(lr, tr("the learning rate lr"))
    if isinstance(lr, Feedback):
        return lr
    beta = read_number(beta, tr("the momentum beta"))
    if isinstance(beta, Feedback):
        return beta
    if not np.isfinite(lr) or lr <= 0:
        return Feedback(
            False, tr("lr = {lr:g} does not step downhill; it must be positive.", lr=lr)
        )
    if not np.isfinite(beta) or not 0 <= beta < 1:
        why = (
            tr("a negative beta would reverse the last step, not keep part of it")
            if beta < 0
            else tr("beta >= 1 never lets the velocity die out")
        )
        return Feedback(
            False,
            tr(
                "beta = {beta:g} is outside 0 <= beta < 1: beta is the fraction of the last step "
                "that is kept ({why}).",
                beta=beta,
                why=why,
            ),
        )
    path = descent_path_2d(kappa, lr, LAB_START, steps, momentum=beta)
    shrink = float(np.hypot(*path[-1]) / np.hypot(*LAB_START))
    rate = heavy_ball_rate(lr, beta, (1.0, kappa))
    setting = f"lr = {lr:g} (lr L = {lr * kappa:.3g}), beta = {beta:g}"
    numbers = tr(
        "{setting}: |x_{steps}| / |x_0| = {shrink:.1e}, rate {rate:.3f} per step",
        setting=setting,
        steps=steps,
        shrink=shrink,
        rate=rate,
    )
    if shrink <= tol:
        return Feedback(
            True,
            tr(
                "{setting}: |x_{steps}| / |x_0| = {shrink:.1e} <= {tol:g} "
                "(rate {rate:.3f} per step).",
                setting=setting,
                steps=steps,
                shrink=shrink,
                tol=tol,
                rate=rate,
            ),
        )
    if _reaches(beta, lr):  # checked first: a swapped pair also looks like "lr x L"
        return Feedback(
            False,
            tr(
                "{numbers}. lr and beta look swapped: with lr = {beta:g} and beta = {lr:g} the "
                "run gets there. The call is check_momentum_setting(lr, beta).",
                numbers=numbers,
                beta=beta,
                lr=lr,
            ),
        )
    if beta > 0 and _reaches(lr, beta**2):
        return Feedback(
            False,
            tr(
                "{numbers}. beta = {beta:g} looks like sqrt(beta), the size of the complex roots: "
                "the momentum itself is its square, beta = {square:.4g}.",
                numbers=numbers,
                beta=beta,
                square=beta**2,
            ),
        )
    edge = 2 * (1 + beta)
    if lr * kappa >= edge * (1 - 1e-9):
        hint = ""
        if 2 * edge / kappa < lr < edge:  # far past the edge, but a stable value of lr * L
            hint = tr(
                " Did you enter lr x L? Then lr = {lr:g} / L = {divided:.4g}.",
                lr=lr,
                divided=lr / kappa,
            )
        at_edge = np.isclose(lr * kappa, edge, rtol=1e-9)
        return Feedback(
            False,
            tr(
                "{numbers}: along x2 it swings without shrinking. lr L = {lr_L:.3g} is at the "
                "edge 2 (1 + beta) = {edge:.3g}: lower lr or raise beta.{hint}"
                if at_edge
                else "{numbers}: along x2 it diverges. lr L = {lr_L:.3g} is past the edge "
                "2 (1 + beta) = {edge:.3g}: lower lr or raise beta.{hint}",
                numbers=numbers,
                lr_L=lr * kappa,
                edge=edge,
                hint=hint,
            ),
        )
    sizes = {"mu": heavy_ball_rate(lr, beta, (1.0,)), "L": heavy_ball_rate(lr, beta, (kappa,))}
    slow = max(sizes, key=sizes.get)
    curvature = 1.0 if slow == "mu" else kappa
    axis = (
        tr("x1, curvature mu = 1")
        if slow == "mu"
        else tr("x2, curvature L = {kappa:g}", kappa=kappa)
    )
    kind = root_kind(lr, beta, curvature)
    needed = tol ** (1 / steps)
    if rate <= needed:  # fast enough in the long run, not yet after 80 steps
        return Feedback(
            False,
            tr(
                "{numbers}: close. rate**{steps} = {power:.1e} is below {tol:g}, but the "
                "run carries a constant factor from its start (and near a window's edge one that "
                "grows like k), so |x_{steps}| is not. Aim for a rate well below {needed:.3f}: a "
                "darker spot of the lab's map.",
                numbers=numbers,
                steps=steps,
                power=rate**steps,
                tol=tol,
                needed=needed,
            ),
        )
    if kind == "complex":
        return Feedback(
            False,
            tr(
                "{numbers}: along {slow} ({axis}) the roots are complex, of size sqrt(beta) = "
                "{root:.3f}: too much momentum, the swings die out too slowly. You need a "
                "rate below {needed:.3f}: lower beta, keeping {slow} inside its window.",
                numbers=numbers,
                slow=slow,
                axis=axis,
                root=np.sqrt(beta),
                needed=needed,
            ),
        )
    larger = heavy_ball_roots(lr, beta, curvature)[0].real
    if larger < 0:
        return Feedback(
            False,
            tr(
                "{numbers}: along {slow} ({axis}) the roots are real and the larger, "
                "{larger:+.3f}, is negative: x flips side each step and shrinks slowly. lr is too "
                "large for that curvature: lower lr, or raise beta so that "
                "lr L < (1 + sqrt(beta))**2.",
                numbers=numbers,
                slow=slow,
                axis=axis,
                larger=larger,
            ),
        )
    return Feedback(
        False,
        tr(
            "{numbers}: along {slow} ({axis}) the roots are real and the larger, {larger:.3f}, "
            "is close to 1: that direction creeps. {advice}",
            numbers=numbers,
            slow=slow,
            axis=axis,
            larger=larger,
            advice=tr(
                "Without momentum no lr helps (lr L must stay below 2): add momentum, beta > 0."
            )
            if beta == 0
            else tr(
                "Raise beta or lr so that lr mu > (1 - sqrt(beta))**2 and its roots turn complex."
            ),
        ),
    )
