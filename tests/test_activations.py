"""Activations and softmax: values from their formulas, gradcheck, kinks, saturation.

The conventions at kinks (relu'(0) = 0, leaky_relu'(0) = negative_slope,
elu'(0) = alpha) follow PyTorch; test_torch_core.py checks them against PyTorch
itself. Here they are checked against the numbers REFERENCES.md states.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradlib as gl
from gradlib import activations, gradcheck
from gradlib import functional as F

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1, 3)]


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape)


def assert_gradcheck(fn, *inputs):
    result = gradcheck(fn, *inputs)
    assert result.passed, str(result)
    return result


def elementwise(fn, x):
    """``fn`` (a function of one Python float) applied to every element of ``x``."""
    return np.array([fn(float(v)) for v in np.ravel(x)]).reshape(np.shape(x))


def sigmoid_reference(x):
    return elementwise(lambda v: 1 / (1 + math.exp(-v)), x)


def gelu_reference(x):
    # x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 from the standard library: erfc rather
    # than 1 + erf, which cancels for x < -3 and is 0 below x = -8.37.
    return elementwise(lambda v: v * 0.5 * math.erfc(-v / math.sqrt(2)), x)


def gelu_slope_reference(x):
    """GELU'(x) = Phi(x) + x phi(x)."""
    return elementwise(
        lambda v: (
            0.5 * math.erfc(-v / math.sqrt(2)) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)
        ),
        x,
    )


def gelu_tanh_reference(x):
    return elementwise(
        lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3))), x
    )


def softplus_reference(x, beta=1.0):
    return elementwise(lambda v: math.log1p(math.exp(beta * v)) / beta, x)


ACTIVATIONS = {
    "relu": (F.relu, lambda x: np.where(x > 0, x, 0.0)),
    "relu method": (lambda t: t.relu(), lambda x: np.where(x > 0, x, 0.0)),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "leaky_relu 0.2": (
        lambda t: F.leaky_relu(t, negative_slope=0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
    ),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "elu 1.5": (lambda t: F.elu(t, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1))),
    "sigmoid": (F.sigmoid, sigmoid_reference),
    "sigmoid method": (lambda t: t.sigmoid(), sigmoid_reference),
    "tanh": (F.tanh, np.tanh),
    "tanh method": (lambda t: t.tanh(), np.tanh),
    "gelu": (F.gelu, gelu_reference),
    "gelu tanh": (lambda t: F.gelu(t, approximate="tanh"), gelu_tanh_reference),
    "softplus": (F.softplus, softplus_reference),
    "softplus beta 3": (lambda t: F.softplus(t, beta=3.0), lambda x: softplus_reference(x, 3.0)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activation_value_and_gradcheck(name, shape, rng):
    fn, reference = ACTIVATIONS[name]
    x = away_from_zero(rng, shape)
    out = fn(gl.tensor(x))
    assert out.shape == x.shape
    np.testing.assert_allclose(out.data, reference(x), rtol=1e-14, atol=1e-15)
    assert_gradcheck(fn, x)


def test_activation_closed_form_derivatives():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    s = 1 / (1 + np.exp(-x))
    cases = [
        (F.relu, (x > 0).astype(float)),
        (lambda t: F.leaky_relu(t, 0.1), np.where(x > 0, 1.0, 0.1)),
        (lambda t: F.elu(t, alpha=2.0), np.where(x > 0, 1.0, 2.0 * np.exp(x))),
        (F.sigmoid, s * (1 - s)),
        (F.tanh, 1 / np.cosh(x) ** 2),
    ]
    for fn, derivative in cases:
        t = gl.tensor(x, requires_grad=True)
        fn(t).sum().backward()
        np.testing.assert_allclose(t.grad, derivative, rtol=1e-13)


def softmax_reference(x, axis):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize(
    "shape, dim",
    [
        ((3,), 0),
        ((3,), -1),
        ((2, 3), 0),
        ((2, 3), 1),
        ((2, 3), -1),
        ((2, 1, 3), 1),
        ((2, 4, 3), -2),
    ],
    ids=str,
)
def test_softmax_and_log_softmax(shape, dim, rng):
    x = rng.standard_normal(shape)
    soft = F.softmax(gl.tensor(x), dim=dim)
    log_soft = F.log_softmax(gl.tensor(x), dim=dim)
    np.testing.assert_allclose(soft.data, softmax_reference(x, dim), rtol=1e-14)
    np.testing.assert_allclose(log_soft.data, np.log(softmax_reference(x, dim)), rtol=1e-13)
    np.testing.assert_allclose(soft.data.sum(axis=dim), 1.0, rtol=1e-14)
    assert_gradcheck(lambda t: F.softmax(t, dim=dim), x)
    assert_gradcheck(lambda t: F.log_softmax(t, dim=dim), x)


def test_softmax_gradient_closed_form(rng):
    # Jacobian of softmax: diag(s) - s s^T; for a row, dL/dx = J^T g.
    x, g = rng.standard_normal(4), rng.standard_normal(4)
    s = softmax_reference(x, 0)
    t = gl.tensor(x, requires_grad=True)
    F.softmax(t, dim=0).backward(g)
    np.testing.assert_allclose(t.grad, (np.diag(s) - np.outer(s, s)) @ g, rtol=1e-13)

    t = gl.tensor(x, requires_grad=True)
    F.log_softmax(t, dim=0).backward(g)
    np.testing.assert_allclose(t.grad, g - s * g.sum(), rtol=1e-13)


def test_softmax_of_a_scalar_is_one():
    t = gl.tensor(3.0, requires_grad=True)
    out = F.softmax(t, dim=0)
    assert out.item() == 1.0
    out.backward()
    assert t.grad == 0.0


# ----- kinks ---------------------------------------------------------------------------


def grad_at(fn, values):
    x = gl.tensor(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad


def test_relu_gradient_at_zero_is_zero_also_at_negative_zero():
    np.testing.assert_array_equal(grad_at(F.relu, [-1.0, 0.0, -0.0, 1.0]), [0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("value", [1.0, 0.5])
def test_relu_grad_at_zero_knob(value):
    grad = grad_at(lambda t: F.relu(t, grad_at_zero=value), [-1.0, 0.0, -0.0, 1.0])
    np.testing.assert_array_equal(grad, [0.0, value, value, 1.0])


def test_leaky_relu_and_elu_slope_at_zero():
    np.testing.assert_array_equal(grad_at(lambda t: F.leaky_relu(t, 0.2), [0.0]), [0.2])
    np.testing.assert_array_equal(grad_at(lambda t: F.elu(t, alpha=1.7), [0.0]), [1.7])
    np.testing.assert_array_equal(F.elu(gl.tensor([0.0])).data, [0.0])


def test_relu_values_at_zero_and_of_integers():
    np.testing.assert_array_equal(F.relu(gl.tensor([-0.0, 0.0])).data, [0.0, 0.0])
    out = F.relu(gl.tensor([-2, 3]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.data, [0.0, 3.0])


# ----- saturation: nothing overflows ------------------------------------------------------

BIG = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])


# name -> (function, its values at -1e4 and 1e4, its slopes there)
SATURATING = {
    "sigmoid": (F.sigmoid, (0.0, 1.0), (0.0, 0.0)),
    "tanh": (F.tanh, (-1.0, 1.0), (0.0, 0.0)),
    "gelu": (F.gelu, (0.0, 1e4), (0.0, 1.0)),
    "gelu tanh": (lambda t: F.gelu(t, approximate="tanh"), (0.0, 1e4), (0.0, 1.0)),
    "softplus": (F.softplus, (0.0, 1e4), (0.0, 1.0)),
    # threshold off: the log form itself must hold at 1e4 (PyTorch's overflows to inf)
    "softplus, no threshold": (lambda t: F.softplus(t, threshold=1e6), (0.0, 1e4), (0.0, 1.0)),
}


@pytest.mark.parametrize("name", SATURATING)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_saturate_without_overflow(dtype, name):
    fn, limits, slopes = SATURATING[name]
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # overflow or 0/0 raises
        x = gl.tensor(BIG.astype(dtype), requires_grad=True)
        out = fn(x)
        out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    assert out.data[0] == limits[0] and out.data[-1] == limits[1]
    assert x.grad[0] == slopes[0] and x.grad[-1] == slopes[1]


def test_sigmoid_of_zero_is_one_half():
    assert F.sigmoid(gl.tensor(0.0)).item() == 0.5


def test_softmax_and_log_softmax_of_huge_logits_are_finite():
    logits = np.array([[1e4, 0.0, -1e4], [5e3, 5e3, -1e4]])
    g = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        x = gl.tensor(logits, requires_grad=True)
        soft = F.softmax(x, dim=1)
        soft.backward(g)
        np.testing.assert_array_equal(soft.data, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
        assert np.all(np.isfinite(x.grad))

        x = gl.tensor(logits, requires_grad=True)
        log_soft = F.log_softmax(x, dim=1)
        log_soft.backward(g)
        np.testing.assert_allclose(
            log_soft.data,
            [[0.0, -1e4, -2e4], [-np.log(2), -np.log(2), -1.5e4 - np.log(2)]],
            rtol=1e-15,
        )
        # dL/dx = g - softmax * sum(g): [1, 2, 3] - [1, 0, 0] * 6
        np.testing.assert_allclose(x.grad, [[-5.0, 2.0, 3.0], [-1.75, -0.25, 2.0]], rtol=1e-15)


def test_numpy_helpers_agree_with_the_ops(rng):
    x = rng.standard_normal((3, 4)) * 10
    np.testing.assert_allclose(activations.softmax_array(x, 1), softmax_reference(x, 1))
    np.testing.assert_allclose(
        activations.log_softmax_array(x, 0), np.log(softmax_reference(x, 0)), rtol=1e-12
    )
    np.testing.assert_allclose(activations.stable_sigmoid(x), sigmoid_reference(x), rtol=1e-14)
    assert activations.stable_sigmoid(np.float32([-1e4, 1e4])).dtype == np.float32


def test_backward_works_on_plain_arrays_without_the_engine():
    # The notebooks call an op's backward on numpy arrays to show the derivation.
    ctx = gl.Context()
    x = np.array([-1.0, 0.5, 2.0])
    out = activations.Sigmoid.forward(ctx, x)
    dx = activations.Sigmoid.backward(ctx, np.ones(3))
    np.testing.assert_allclose(dx, out * (1 - out))


# ----- the error function, GELU and softplus -------------------------------------------------

ERF_GRID = np.concatenate([np.linspace(-26, 26, 10401), [1e-300, -1e-300, 1e-8, -1e-8, 0.46875]])


def test_erf_and_erfc_match_the_standard_library():
    # Cody's approximations: about 2-4 units in the last place (4.5e-16 for erf and
    # 7.6e-16 for erfc against 120-bit mpmath); one wrong digit in a coefficient shows.
    x = ERF_GRID
    np.testing.assert_allclose(activations.erf(x), elementwise(math.erf, x), rtol=2e-15, atol=0)
    np.testing.assert_allclose(activations.erfc(x), elementwise(math.erfc, x), rtol=2e-15, atol=0)
    np.testing.assert_array_equal(activations.erf(-x), -activations.erf(x))
    assert activations.erfc(26.0) == pytest.approx(5.663192408856143e-296, rel=1e-14)  # mpmath


def test_erf_and_erfc_limits_without_warnings():
    x = np.array([-np.inf, -1e300, -30.0, 0.0, 30.0, 1e300, np.inf, np.nan])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_array_equal(activations.erf(x), [-1, -1, -1, 0, 1, 1, 1, np.nan])
        np.testing.assert_array_equal(activations.erfc(x), [2, 2, 2, 1, 0, 0, 0, np.nan])
    assert activations.erf(np.float32(0.5)).dtype == np.float64


def test_gelu_values_and_slope_over_the_whole_line():
    x = np.concatenate([np.linspace(-38, 38, 7601), [-1e4, -1e3, 1e3, 1e4]])
    t = gl.tensor(x, requires_grad=True)
    out = F.gelu(t)
    out.sum().backward()
    # atol only for subnormal results (|GELU| < 1e-300 for x < -37), which carry fewer digits
    np.testing.assert_allclose(out.data, gelu_reference(x), rtol=1e-13, atol=1e-300)
    # atol for the point where the slope crosses 0 (x = -0.752), where Phi and x phi cancel
    np.testing.assert_allclose(t.grad, gelu_slope_reference(x), rtol=1e-13, atol=1e-16)


def test_gelu_keeps_its_left_tail():
    # 0.5 x (1 + erf(x / sqrt 2)), PyTorch's formula, is exactly 0 at -10 and -20
    x = np.array([-6.0, -10.0, -20.0])
    with_erf = 0.5 * x * (1 + elementwise(math.erf, x / math.sqrt(2)))
    np.testing.assert_array_equal(with_erf[1:], [0.0, 0.0])
    out = F.gelu(x).data
    np.testing.assert_allclose(
        out, [-5.9195258702e-09, -7.6198530242e-23, -5.5072482e-88], rtol=1e-8
    )
    np.testing.assert_allclose(out, gelu_reference(x), rtol=1e-13)


def test_gelu_closed_form_slope_and_value_at_zero():
    for approximate in ("none", "tanh"):
        t = gl.tensor([0.0, -0.0], requires_grad=True)
        out = F.gelu(t, approximate=approximate)
        out.sum().backward()
        np.testing.assert_array_equal(out.data, [0.0, 0.0])
        np.testing.assert_array_equal(t.grad, [0.5, 0.5])  # GELU'(0) = Phi(0) = 1/2, exactly
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    t = gl.tensor(x, requires_grad=True)
    F.gelu(t, approximate="tanh").sum().backward()
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x**2)
    slope = 0.5 * (1 + np.tanh(u)) + 0.5 * x * (1 - np.tanh(u) ** 2) * du  # PyTorch's form
    np.testing.assert_allclose(t.grad, slope, rtol=1e-13)


def test_gelu_minimum_and_the_tanh_approximation_error():
    # the minimum, at the root of Phi(x) + x phi(x) (found with mpmath): -0.170 at -0.752
    t = gl.tensor([-0.751791524693564], requires_grad=True)
    out = F.gelu(t)
    out.backward(np.ones(1))
    assert out.item() == pytest.approx(-0.169971207479904, rel=1e-13)
    assert abs(t.grad[0]) < 1e-15
    x = np.linspace(-4, 4, 8001)
    gap = np.abs(F.gelu(x).data - F.gelu(x, approximate="tanh").data)
    assert 1e-4 < gap.max() < 1e-3  # close, but a different function


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 1.0), (-1.5, 2.0)])
def test_softplus_threshold_rule(beta, threshold):
    edge = threshold / beta  # beta x > threshold: linear, x itself; at the edge, still the log
    x = np.array([edge - 1, edge, np.nextafter(edge, np.inf), edge + 1])
    t = gl.tensor(x, requires_grad=True)
    out = F.softplus(t, beta=beta, threshold=threshold)
    out.sum().backward()
    linear = beta * x > threshold
    np.testing.assert_array_equal(out.data[linear], x[linear])
    np.testing.assert_array_equal(t.grad[linear], 1.0)
    soft = ~linear
    np.testing.assert_allclose(out.data[soft], softplus_reference(x[soft], beta), rtol=1e-14)
    np.testing.assert_allclose(t.grad[soft], sigmoid_reference(beta * x[soft]), rtol=1e-14)
    assert linear.tolist() == (
        [False, False, True, True] if beta > 0 else [True, False, False, False]
    )


def test_softplus_default_threshold_numbers():
    assert F.softplus(gl.tensor(20.0)).item() == pytest.approx(
        20 + 2.061153622438558e-09, abs=1e-14
    )
    assert F.softplus(gl.tensor(20.5)).item() == 20.5
    assert F.softplus(gl.tensor(0.0)).item() == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("name", ["gelu", "gelu tanh", "softplus"])
def test_gelu_and_softplus_at_1e300(name):
    fn = SATURATING[name][0]
    x = gl.tensor([-1e300, 1e300], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = fn(x)
        out.sum().backward()
    np.testing.assert_array_equal(out.data, [0.0, 1e300])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_float32_stays_float32_and_agrees_with_float64(rng):
    x = rng.normal(scale=3.0, size=50)
    for fn in (F.gelu, lambda t: F.gelu(t, approximate="tanh"), F.softplus):
        t32 = gl.tensor(x.astype(np.float32), requires_grad=True)
        out = fn(t32)
        out.sum().backward()
        assert out.dtype == np.float32 and t32.grad.dtype == np.float32
        t64 = gl.tensor(x.astype(np.float32).astype(np.float64), requires_grad=True)
        expected = fn(t64)
        expected.sum().backward()
        np.testing.assert_allclose(out.data, expected.data, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(t32.grad, t64.grad, rtol=1e-6, atol=1e-7)


def test_gelu_and_softplus_bad_options():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(np.ones(2), approximate="erf")
    with pytest.raises(ValueError, match="softplus: beta must be nonzero"):
        F.softplus(np.ones(2), beta=0)


def test_gelu_and_softplus_modules(rng):
    x = rng.normal(size=(2, 3))
    cases = [
        (gl.nn.GELU(), F.gelu(x), "GELU(approximate='none')"),
        (gl.nn.GELU("tanh"), F.gelu(x, approximate="tanh"), "GELU(approximate='tanh')"),
        (gl.nn.Softplus(), F.softplus(x), "Softplus(beta=1.0, threshold=20.0)"),
        (gl.nn.Softplus(2.0, 0.5), F.softplus(x, 2.0, 0.5), "Softplus(beta=2.0, threshold=0.5)"),
    ]
    for module, expected, text in cases:
        np.testing.assert_array_equal(module(x).data, expected.data)
        assert repr(module) == text
        assert list(module.parameters()) == []
    assert not np.array_equal(cases[0][1].data, cases[1][1].data)
    assert not np.array_equal(cases[2][1].data, cases[3][1].data)


def test_gelu_backward_on_plain_arrays():
    ctx = gl.Context()
    x = np.array([-1.0, 0.0, 2.0])
    activations.GELU.forward(ctx, x)
    np.testing.assert_allclose(activations.GELU.backward(ctx, np.ones(3)), gelu_slope_reference(x))
