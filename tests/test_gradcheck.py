"""gradlib.gradcheck itself: it must pass correct backwards and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib import gradcheck, numerical_grad, rel_error
from gradlib.engine import Function
from gradlib.gradcheck import GradcheckResult, InputCheck


class CubeWithWrongBackward(Function):
    """out = x**3, but the backward says 3 x**2 + 1 at the last entry only."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x**3

    @staticmethod
    def backward(ctx, grad):
        local = 3 * ctx.x**2
        local.reshape(-1)[-1] += 1.0  # the deliberate mistake
        return grad * local


class MulForgetsSecondInput(Function):
    """out = a * b; the backward gives b's gradient as a's (a classic copy-paste bug)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.b, grad * ctx.b


def test_passes_a_correct_op(rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    result = gradcheck(lambda t: gl.log(t) * t, x)
    assert result.passed, str(result)
    assert bool(result) is True
    assert str(result).startswith("gradcheck passed")
    assert result.max_rel_error < 1e-7
    assert len(result.inputs) == 1 and result.inputs[0].method == "full"
    assert result.inputs[0].shape == (2, 3)


def test_fails_a_wrong_backward_and_names_the_worst_entry(rng):
    x = rng.uniform(0.5, 2.0, (2, 3))
    result = gradcheck(CubeWithWrongBackward.apply, x)
    assert not result
    assert not result.passed
    text = str(result)
    assert text.startswith("gradcheck FAILED")
    assert "MISMATCH" in text
    assert "worst at entry (1, 2)" in text
    check = result.inputs[0]
    assert check.worst == (1, 2)
    # the analytic value is off by exactly the upstream weight at (1, 2), i.e. by 1 * v
    assert abs(check.analytic - check.numerical) == pytest.approx(check.max_abs_error)
    assert check.max_abs_error > 0.1


def test_fails_only_the_input_with_the_wrong_gradient(rng):
    a, b = rng.uniform(0.5, 2.0, 3), rng.uniform(3.0, 4.0, 3)
    result = gradcheck(MulForgetsSecondInput.apply, a, b)
    assert not result
    assert [c.passed for c in result.inputs] == [True, False]
    assert "input 1 (3,): MISMATCH" in str(result)
    assert "input 0 (3,): ok" in str(result)


def test_large_inputs_are_checked_along_random_directions(rng):
    x = rng.standard_normal((30, 20))  # 600 entries > full_limit = 400
    result = gradcheck(lambda t: (t * t).sum(dim=1), x)
    assert result.passed, str(result)
    check = result.inputs[0]
    assert check.method == "directions"
    assert "(directions)" in str(result)

    small_limit = gradcheck(lambda t: t.exp(), rng.standard_normal(10), full_limit=5, directions=3)
    assert small_limit.passed and small_limit.inputs[0].method == "directions"


def test_directions_catch_a_wrong_backward(rng):
    x = rng.uniform(0.5, 2.0, (25, 20))
    result = gradcheck(CubeWithWrongBackward.apply, x, directions=8)
    assert not result, str(result)
    assert result.inputs[0].method == "directions"
    assert "worst at direction" in str(result)


def test_integer_inputs_pass_through_unchecked(rng):
    x = rng.standard_normal((3, 4))
    index = np.array([0, 2, 2])
    result = gradcheck(lambda t, i: t[i], x, index)
    assert result.passed
    assert [c.index for c in result.inputs] == [0]


def test_float32_inputs_are_checked_in_float64(rng):
    x = rng.uniform(0.5, 2.0, 5).astype(np.float32)
    result = gradcheck(lambda t: t.sqrt(), x)
    assert result.passed, str(result)
    assert result.max_rel_error < 1e-7  # would be ~1e-3 in float32


def test_scalar_input_and_scalar_output(rng):
    result = gradcheck(lambda t: t * t * t, np.array(1.3))
    assert result.passed and result.inputs[0].shape == ()


def test_result_objects():
    ok = InputCheck(0, (2,), "full", True, 1e-11, 1e-10, (0,), 1.0, 1.0)
    bad = InputCheck(1, (3,), "full", False, 0.5, 0.2, (2,), 2.0, 1.5)
    result = GradcheckResult(passed=False, inputs=[ok, bad])
    assert result.max_abs_error == 0.5 and result.max_rel_error == 0.2
    assert str(result) == (
        "gradcheck FAILED\n"
        "  input 0 (2,): ok, max abs error 1.00e-11, max rel error 1.00e-10 (full)\n"
        "  input 1 (3,): MISMATCH, max abs error 5.00e-01, max rel error 2.00e-01 (full); "
        "worst at entry (2,): analytic 2 vs numerical 1.5"
    )


# ----- rel_error and numerical_grad ----------------------------------------------------------


def test_rel_error_basics():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(1.0, -1.0) == 1.0
    assert rel_error([1.0, 100.0], [1.0, 101.0]) == pytest.approx(1 / 201)
    assert rel_error(0.0, 0.0) == 0.0  # no 0/0
    assert rel_error(gl.tensor([3.0]), np.array([3.0])) == 0.0
    assert rel_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0


def test_numerical_grad_of_sum_of_squares_is_2x(rng):
    x = rng.standard_normal((3, 2))
    (grad,) = numerical_grad(lambda a: np.sum(a**2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8, atol=1e-10)
    # the input is restored after perturbing it in place
    (grad_t,) = numerical_grad(lambda t: (t * t).sum(), gl.tensor(x))
    np.testing.assert_allclose(grad_t, 2 * x, rtol=1e-8, atol=1e-10)


def test_numerical_grad_does_not_change_the_inputs(rng):
    x = rng.standard_normal(4)
    before = x.copy()
    numerical_grad(lambda a: np.sum(np.sin(a)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_grad_wrt_selects_inputs():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    grads = numerical_grad(lambda x, y: np.sum(x * y), a, b, wrt=1)
    assert len(grads) == 1
    np.testing.assert_allclose(grads[0], a, rtol=1e-7)
    grads = numerical_grad(lambda x, y: np.sum(x * y), a, b)
    np.testing.assert_allclose(grads[0], b, rtol=1e-7)
    np.testing.assert_allclose(grads[1], a, rtol=1e-7)


def test_numerical_grad_of_a_scalar_input():
    (grad,) = numerical_grad(lambda a: a**3, np.array(2.0))
    assert grad.shape == ()
    assert grad == pytest.approx(12.0, rel=1e-8)


def test_central_difference_error_shrinks_like_h_squared():
    # f = exp at 0: the central-difference error is about h^2 / 6 (from f''' = 1)
    errors = [abs(numerical_grad(np.exp, np.array(0.0), eps=h)[0] - 1.0) for h in (1e-2, 1e-3)]
    assert errors[0] == pytest.approx(1e-4 / 6, rel=1e-2)
    assert errors[1] == pytest.approx(1e-6 / 6, rel=1e-2)
