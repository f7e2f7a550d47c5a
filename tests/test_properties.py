"""Hypothesis properties of the broadcasting binary ops and the reductions.

For random broadcastable shape pairs and random values:
- the value equals numpy's and every gradient has its input's shape;
- the gradient of sum(out) equals the closed form, summed over the positions
  where broadcasting reused each input entry (computed here with ``np.bincount``
  on an index map, independently of gradlib's ``unbroadcast``);
- the gradient is linear in the upstream gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradlib as gl
from gradlib.engine import unbroadcast

SETTINGS = settings(max_examples=40, deadline=None)

FINITE = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
NONZERO = st.floats(0.5, 10) | st.floats(-10, -0.5)
# a few repeated values so that maximum sees ties
WITH_TIES = st.sampled_from([-1.0, 0.0, 0.5, 2.0]) | FINITE


class Op(NamedTuple):
    fn: Callable  # the gradlib op
    numpy_fn: Callable
    d_da: Callable  # d out / d a, elementwise, on the broadcast operands
    d_db: Callable
    a_values: st.SearchStrategy
    b_values: st.SearchStrategy


OPS = {
    "add": Op(lambda a, b: a + b, np.add, lambda a, b: 1.0, lambda a, b: 1.0, FINITE, FINITE),
    "sub": Op(lambda a, b: a - b, np.subtract, lambda a, b: 1.0, lambda a, b: -1.0, FINITE, FINITE),
    "mul": Op(lambda a, b: a * b, np.multiply, lambda a, b: b, lambda a, b: a, FINITE, FINITE),
    "div": Op(
        lambda a, b: a / b, np.divide, lambda a, b: 1 / b, lambda a, b: -a / b**2, FINITE, NONZERO
    ),
    "maximum": Op(
        gl.maximum,
        np.maximum,
        lambda a, b: (a > b) + 0.5 * (a == b),  # a tie gives each side half
        lambda a, b: (b > a) + 0.5 * (a == b),
        WITH_TIES,
        WITH_TIES,
    ),
}


def sum_per_entry(local: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """For each entry of an input of ``shape``, the sum of ``local`` over the output
    positions that used it: broadcast a map of entry numbers to the output's shape
    and add up ``local`` per entry number."""
    size = int(np.prod(shape))
    owner = np.broadcast_to(np.arange(size).reshape(shape), local.shape)
    return np.bincount(owner.ravel(), weights=local.ravel(), minlength=size).reshape(shape)


@st.composite
def operands(draw, name):
    a_values, b_values = OPS[name].a_values, OPS[name].b_values
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    )
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=a_values))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=b_values))
    return a, b


def _check_value_shape_and_sum_gradient(name, a, b):
    op = OPS[name]
    ta, tb = gl.tensor(a, requires_grad=True), gl.tensor(b, requires_grad=True)
    out = op.fn(ta, tb)
    np.testing.assert_array_equal(out.data, op.numpy_fn(a, b))
    out.sum().backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    a_full, b_full = np.broadcast_to(a, out_shape), np.broadcast_to(b, out_shape)
    for grad, d_dx, shape in ((ta.grad, op.d_da, a.shape), (tb.grad, op.d_db, b.shape)):
        local = np.broadcast_to(d_dx(a_full, b_full), out_shape).astype(np.float64)
        np.testing.assert_allclose(grad, sum_per_entry(local, shape), rtol=1e-12, atol=1e-12)


def _check_linear_in_upstream(name, a, b, data):
    op = OPS[name].fn
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    g1 = data.draw(hnp.arrays(np.float64, out_shape, elements=FINITE))
    g2 = data.draw(hnp.arrays(np.float64, out_shape, elements=FINITE))
    alpha, beta = data.draw(FINITE), data.draw(FINITE)

    def grads(upstream):
        ta, tb = gl.tensor(a, requires_grad=True), gl.tensor(b, requires_grad=True)
        op(ta, tb).backward(upstream)
        return ta.grad, tb.grad

    combined = grads(alpha * g1 + beta * g2)
    for got, one, two in zip(combined, grads(g1), grads(g2)):
        np.testing.assert_allclose(got, alpha * one + beta * two, rtol=1e-9, atol=1e-9)


def _make_tests(name):
    @SETTINGS
    @given(operands(name))
    def test_value_shape_and_gradient(pair):
        _check_value_shape_and_sum_gradient(name, *pair)

    @SETTINGS
    @given(operands(name), st.data())
    def test_linear_in_upstream_gradient(pair, data):
        _check_linear_in_upstream(name, *pair, data)

    return test_value_shape_and_gradient, test_linear_in_upstream_gradient


test_add_value_and_gradient, test_add_linear = _make_tests("add")
test_sub_value_and_gradient, test_sub_linear = _make_tests("sub")
test_mul_value_and_gradient, test_mul_linear = _make_tests("mul")
test_div_value_and_gradient, test_div_linear = _make_tests("div")
test_maximum_value_and_gradient, test_maximum_linear = _make_tests("maximum")


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_unbroadcast_inverts_broadcasting(shapes):
    small, other = shapes.input_shapes
    out_shape = shapes.result_shape
    # each entry of `small` is repeated prod(out)/prod(small) times by broadcasting
    grad = unbroadcast(np.ones(out_shape), small)
    assert grad.shape == small
    count = int(np.prod(out_shape)) // max(int(np.prod(small)), 1)
    np.testing.assert_array_equal(grad, np.full(small, float(count)))


@st.composite
def array_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=FINITE))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape)))
    normalised = {d % len(shape) for d in dims}
    dims = tuple(sorted(normalised)) if draw(st.booleans()) else None
    keepdim = draw(st.booleans())
    return x, dims or None, keepdim


@SETTINGS
@given(array_and_dims())
def test_sum_and_mean_match_numpy_and_spread_the_gradient(case):
    x, dims, keepdim = case
    count = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    for name, scale in (("sum", 1.0), ("mean", 1.0 / count)):
        t = gl.tensor(x, requires_grad=True)
        out = getattr(t, name)(dims, keepdim)
        expected = getattr(np, name)(x, axis=dims, keepdims=keepdim)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
        out.sum().backward()
        np.testing.assert_allclose(t.grad, np.full(x.shape, scale), rtol=1e-15)
