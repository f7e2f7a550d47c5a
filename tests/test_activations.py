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


def sigmoid_reference(x):
    return np.array([1 / (1 + math.exp(-v)) for v in np.ravel(x)]).reshape(np.shape(x))


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_and_tanh_saturate_without_overflow(dtype):
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # overflow or 0/0 raises
        for fn, limits in [(F.sigmoid, (0.0, 1.0)), (F.tanh, (-1.0, 1.0))]:
            x = gl.tensor(BIG.astype(dtype), requires_grad=True)
            out = fn(x)
            out.sum().backward()
            assert out.dtype == dtype and x.grad.dtype == dtype
            assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
            assert out.data[0] == limits[0] and out.data[-1] == limits[1]
            assert x.grad[0] == 0.0 and x.grad[-1] == 0.0
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
