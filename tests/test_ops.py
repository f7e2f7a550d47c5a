"""Every op in gradlib.ops: values against numpy, gradients against finite differences.

Gradients are checked with ``gradlib.gradcheck`` in float64 over shapes that
broadcast: a scalar (), (3,), (2, 3), (1, 3) and (2, 1, 3). Inputs are kept away
from kinks and ties (|x| >= 0.2 for abs, distinct values for max/maximum), where
finite differences say nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib import gradcheck, ops

# Pairs of shapes that broadcast against each other, in both orders.
SHAPE_PAIRS = [
    ((), ()),
    ((), (3,)),
    ((3,), ()),
    ((3,), (2, 3)),
    ((2, 3), (1, 3)),
    ((1, 3), (2, 3)),
    ((2, 1, 3), (2, 3)),
    ((1, 3), (2, 1, 3)),
    ((2, 1, 3), ()),
]
SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1, 3)]


def normal(rng, shape):
    return rng.standard_normal(shape)


def away_from_zero(rng, shape, low=0.5, high=2.0):
    """Values with |x| in [low, high] and random signs: safe divisors, no kink at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def positive(rng, shape, low=0.5, high=2.0):
    return rng.uniform(low, high, size=shape)


def distinct(rng, shape, gap=0.1):
    """Values whose pairwise differences are at least ``gap``: no ties for max/min."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * gap + rng.uniform(0, gap / 10, size)).reshape(shape) - 1.0


def on_grid(offset):
    """Multiples of 0.2 plus ``offset``: two grids with different offsets never tie
    (every a - b is at least 0.1 away from 0), and either side can be the larger."""

    def make(rng, shape):
        return rng.integers(-5, 5, size=shape) * 0.2 + offset

    return make


def assert_gradcheck(fn, *inputs, **kwargs):
    result = gradcheck(fn, *inputs, **kwargs)
    assert result.passed, str(result)
    assert all(check.method == "full" for check in result.inputs), str(result)
    return result


# ----- arithmetic --------------------------------------------------------------------

BINARY_OPS = {
    "add": (lambda a, b: a + b, np.add, normal, normal),
    "sub": (lambda a, b: a - b, np.subtract, normal, normal),
    "mul": (lambda a, b: a * b, np.multiply, normal, normal),
    "div": (lambda a, b: a / b, np.divide, normal, away_from_zero),
    "pow": (lambda a, b: a**b, np.power, positive, normal),
    "maximum": (gl.maximum, np.maximum, on_grid(0.05), on_grid(0.15)),
}


@pytest.mark.parametrize("name", BINARY_OPS)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_op_value_and_gradcheck(name, shapes, rng):
    fn, np_fn, make_a, make_b = BINARY_OPS[name]
    a, b = make_a(rng, shapes[0]), make_b(rng, shapes[1])
    out = fn(gl.tensor(a), gl.tensor(b))
    np.testing.assert_allclose(out.data, np_fn(a, b), rtol=1e-15)
    assert out.shape == np.broadcast_shapes(shapes[0], shapes[1])
    assert_gradcheck(fn, a, b)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_python_scalar_operands_on_either_side(shape, rng):
    x = away_from_zero(rng, shape)
    fns = [
        lambda t: 2.0 + t,
        lambda t: t + 2.0,
        lambda t: 3.0 - t,
        lambda t: t - 3.0,
        lambda t: 1.5 * t,
        lambda t: t * 1.5,
        lambda t: 2.0 / t,
        lambda t: t / 2.0,
        lambda t: -t,
    ]
    expected = [2 + x, x + 2, 3 - x, x - 3, 1.5 * x, x * 1.5, 2 / x, x / 2, -x]
    for fn, want in zip(fns, expected):
        np.testing.assert_allclose(fn(gl.tensor(x)).data, want, rtol=1e-15)
        assert_gradcheck(fn, x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_pow_forms(shape, rng):
    x = positive(rng, shape)
    np.testing.assert_allclose((gl.tensor(x) ** 3).data, x**3, rtol=1e-15)
    np.testing.assert_allclose((2.5 ** gl.tensor(x)).data, 2.5**x, rtol=1e-15)
    assert_gradcheck(lambda t: t**3, x)  # tensor ** integer
    assert_gradcheck(lambda t: t**-1.5, x)  # tensor ** negative float
    assert_gradcheck(lambda t: t**0.5, x)
    assert_gradcheck(lambda t: 2.5**t, x)  # scalar ** tensor
    assert_gradcheck(lambda t: t**t, x)  # the same tensor as base and exponent


def test_pow_closed_form_gradients():
    x = gl.tensor([0.5, 2.0, 3.0], requires_grad=True)
    (x**3).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.array([0.5, 2.0, 3.0]) ** 2)

    x = gl.tensor([0.5, 2.0, 3.0], requires_grad=True)
    (2.0**x).sum().backward()
    np.testing.assert_allclose(x.grad, np.log(2.0) * 2.0 ** np.array([0.5, 2.0, 3.0]))


def test_pow_integer_power_of_negative_base_and_zero():
    # d/dx x**2 = 2x also for negative x; d/dx x**0 = 0 everywhere (also at 0).
    x = gl.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    (x**2).sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 0.0, 6.0])
    x = gl.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive():
    base = gl.tensor([0.0, -2.0, 2.0])
    exponent = gl.tensor([2.0, 2.0, 2.0], requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 0.0, 4.0 * np.log(2.0)])


def test_integer_division_and_power_give_floats():
    assert (gl.tensor([1, 2]) / gl.tensor([2, 4])).dtype == np.float64
    np.testing.assert_array_equal((gl.tensor([1, 2]) / 2).data, [0.5, 1.0])
    np.testing.assert_array_equal((gl.tensor([2, 4]) ** gl.tensor([-1, -2])).data, [0.5, 0.0625])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_neg(shape, rng):
    x = normal(rng, shape)
    np.testing.assert_array_equal((-gl.tensor(x)).data, -x)
    assert_gradcheck(lambda t: -t, x)


# ----- matmul ------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((4,), (4,)),  # dot product
    ((3, 4), (4,)),  # matrix-vector
    ((4,), (4, 5)),  # vector-matrix
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),  # batched
    ((4,), (2, 4, 5)),  # vector times a batch
    ((2, 3, 4), (4,)),  # batch times a vector
    ((2, 1, 3, 4), (5, 4, 2)),  # batch axes broadcast: (2, 1) with (5,)
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, rng):
    a, b = normal(rng, shapes[0]), normal(rng, shapes[1])
    out = gl.tensor(a) @ gl.tensor(b)
    np.testing.assert_allclose(out.data, np.matmul(a, b), rtol=1e-13)
    assert_gradcheck(lambda x, y: x @ y, a, b)
    assert_gradcheck(gl.matmul, a, b)


def test_matmul_2d_closed_form(rng):
    a, b = normal(rng, (3, 4)), normal(rng, (4, 5))
    g = normal(rng, (3, 5))
    ta, tb = gl.tensor(a, requires_grad=True), gl.tensor(b, requires_grad=True)
    (ta @ tb).backward(g)
    np.testing.assert_allclose(ta.grad, g @ b.T, rtol=1e-13)
    np.testing.assert_allclose(tb.grad, a.T @ g, rtol=1e-13)


def test_matmul_with_numpy_array_on_the_left(rng):
    a, b = normal(rng, (2, 3)), normal(rng, (3,))
    tb = gl.tensor(b, requires_grad=True)
    out = a @ tb  # numpy defers to Tensor.__rmatmul__
    assert isinstance(out, gl.Tensor)
    out.sum().backward()
    np.testing.assert_allclose(tb.grad, a.sum(axis=0), rtol=1e-13)


# ----- reductions ----------------------------------------------------------------------

DIMS = [None, 0, 1, -1, (0, 2), (-1, -3), (0, 1, 2)]


@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_and_mean(name, dim, keepdim, rng):
    x = normal(rng, (2, 3, 4))
    expected = getattr(np, name)(x, axis=dim, keepdims=keepdim)
    out = getattr(gl.tensor(x), name)(dim, keepdim)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    assert_gradcheck(lambda t: getattr(t, name)(dim, keepdim), x)
    assert_gradcheck(lambda t: getattr(gl, name)(t, dim=dim, keepdim=keepdim), x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sum_and_mean_of_every_shape(shape, rng):
    x = normal(rng, shape)
    np.testing.assert_allclose(gl.tensor(x).sum().data, x.sum(), rtol=1e-14)
    np.testing.assert_allclose(gl.tensor(x).mean().data, x.mean(), rtol=1e-14)
    assert_gradcheck(lambda t: t.sum(), x)
    assert_gradcheck(lambda t: t.mean(), x)


def test_mean_gradient_is_one_over_count():
    x = gl.tensor(np.zeros((2, 3, 4)), requires_grad=True)
    x.mean(dim=(0, 2)).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3, 4), 1 / 8))


def test_mean_of_integers_is_float():
    assert gl.tensor([1, 2]).mean().item() == 1.5


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_a_dim(name, dim, keepdim, rng):
    x = distinct(rng, (2, 3, 4))
    values, indices = getattr(gl.tensor(x), name)(dim, keepdim)
    np_pick = np.argmax if name == "max" else np.argmin
    np_reduce = np.max if name == "max" else np.min
    np.testing.assert_array_equal(values.data, np_reduce(x, axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.data, np_pick(x, axis=dim, keepdims=keepdim))
    assert indices.dtype.kind == "i"
    assert_gradcheck(lambda t: getattr(t, name)(dim, keepdim).values, x)
    # named fields and tuple unpacking give the same tensors, as in PyTorch
    result = getattr(gl, name)(gl.tensor(x), dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(result.values.data, values.data)
    np.testing.assert_array_equal(result[1].data, indices.data)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 3)], ids=str)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_the_whole_tensor(name, shape, rng):
    x = distinct(rng, shape)
    out = getattr(gl.tensor(x), name)()
    assert out.shape == ()
    assert out.item() == getattr(np, name)(x)
    assert_gradcheck(lambda t: getattr(t, name)(), x)


def test_max_over_dim_sends_gradient_to_the_argmax():
    x = gl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(indices.data, [1, 0])
    values.backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])


def test_argmax():
    x = gl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert x.argmax().item() == 3
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    np.testing.assert_array_equal(gl.argmax(x, dim=0, keepdim=True).data, [[1, 0, 1]])


# ----- elementwise maths ----------------------------------------------------------------

UNARY_OPS = {
    "exp": (gl.exp, np.exp, normal),
    "log": (gl.log, np.log, positive),
    "sqrt": (gl.sqrt, np.sqrt, positive),
    "abs": (gl.abs, np.abs, away_from_zero),
    "exp method": (lambda t: t.exp(), np.exp, normal),
    "log method": (lambda t: t.log(), np.log, positive),
    "sqrt method": (lambda t: t.sqrt(), np.sqrt, positive),
    "abs method": (lambda t: t.abs(), np.abs, away_from_zero),
}


@pytest.mark.parametrize("name", UNARY_OPS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_op(name, shape, rng):
    fn, np_fn, make = UNARY_OPS[name]
    x = make(rng, shape)
    np.testing.assert_allclose(fn(gl.tensor(x)).data, np_fn(x), rtol=1e-15)
    assert_gradcheck(fn, x)


def test_unary_closed_form_gradients():
    values = np.array([0.5, 1.0, 4.0])
    for fn, derivative in [
        (gl.exp, np.exp(values)),
        (gl.log, 1 / values),
        (gl.sqrt, 0.5 / np.sqrt(values)),
        (gl.abs, np.ones(3)),
    ]:
        x = gl.tensor(values, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad, derivative, rtol=1e-15)


CLAMP_BOUNDS = [(-0.5, 0.5), (0.0, None), (None, 0.3)]


@pytest.mark.parametrize("bounds", CLAMP_BOUNDS, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_clamp(bounds, shape, rng):
    low, high = bounds
    x = normal(rng, shape)
    for bound in (low, high):  # no entry within 0.05 of a bound (the kinks)
        if bound is not None:
            x = np.where(np.abs(x - bound) < 0.05, x + 0.1, x)
    out = gl.clamp(gl.tensor(x), min=low, max=high)
    np.testing.assert_array_equal(out.data, np.clip(x, low, high))
    assert_gradcheck(lambda t: gl.clamp(t, min=low, max=high), x)
    assert_gradcheck(lambda t: t.clamp(low, high), x)


def test_clamp_gradient_is_one_inside_and_at_the_bounds():
    x = gl.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clamp(min=-1.0, max=1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("shapes", SHAPE_PAIRS + [((2, 3), (2, 3))], ids=str)
def test_where(shapes, rng):
    out_shape = np.broadcast_shapes(*shapes)
    cond = rng.random(out_shape) > 0.5
    x, y = normal(rng, shapes[0]), normal(rng, shapes[1])
    out = gl.where(gl.tensor(cond), gl.tensor(x), gl.tensor(y))
    np.testing.assert_array_equal(out.data, np.where(cond, x, y))
    assert_gradcheck(lambda a, b: gl.where(cond, a, b), x, y)


def test_where_gradient_goes_to_the_chosen_branch():
    x = gl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = gl.tensor(10.0, requires_grad=True)
    gl.where(x > 1.5, x, y).backward(np.array([4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 5.0, 6.0])
    assert y.grad == 4.0


def test_maximum_with_a_python_number():
    x = gl.tensor([-1.0, 2.0], requires_grad=True)
    out = gl.maximum(x, 0.0)
    np.testing.assert_array_equal(out.data, [0.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


# ----- shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("new_shape", [(6,), (3, 2), (-1,), (1, 6, 1), (2, -1)], ids=str)
def test_reshape(new_shape, rng):
    x = normal(rng, (2, 3))
    out = gl.tensor(x).reshape(new_shape)
    np.testing.assert_array_equal(out.data, x.reshape(new_shape))
    assert_gradcheck(lambda t: t.reshape(new_shape), x)
    assert_gradcheck(lambda t: t.reshape(*new_shape), x)
    assert_gradcheck(lambda t: t.view(new_shape), x)


def test_reshape_scalar_and_back(rng):
    x = normal(rng, ())
    assert gl.tensor(x).reshape(1, 1).shape == (1, 1)
    assert_gradcheck(lambda t: t.reshape(1, 1).reshape(()), x)


def test_flatten_unsqueeze_squeeze(rng):
    x = normal(rng, (2, 1, 3))
    t = gl.tensor(x)
    assert t.flatten().shape == (6,)
    assert t.flatten(1).shape == (2, 3)
    assert t.unsqueeze(0).shape == (1, 2, 1, 3)
    assert t.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert t.squeeze().shape == (2, 3)
    assert t.squeeze(1).shape == (2, 3)
    assert t.squeeze(0).shape == (2, 1, 3)  # size 2: unchanged, as in PyTorch
    assert gl.tensor(2.0).flatten().shape == (1,)
    assert_gradcheck(lambda u: u.flatten(), x)
    assert_gradcheck(lambda u: u.unsqueeze(1) * 2.0, x)
    assert_gradcheck(lambda u: u.squeeze(1), x)


@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, 0)], ids=str)
def test_transpose(dims, rng):
    x = normal(rng, (2, 3, 4))
    out = gl.tensor(x).transpose(*dims)
    np.testing.assert_array_equal(out.data, np.swapaxes(x, *dims))
    assert_gradcheck(lambda t: t.transpose(*dims), x)
    assert_gradcheck(lambda t: gl.transpose(t, *dims), x)


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, -3, -2)], ids=str)
def test_permute(dims, rng):
    x = normal(rng, (2, 3, 4))
    out = gl.tensor(x).permute(*dims)
    np.testing.assert_array_equal(out.data, np.transpose(x, dims))
    assert_gradcheck(lambda t: t.permute(*dims), x)
    assert_gradcheck(lambda t: gl.permute(t, dims), x)


@pytest.mark.parametrize("shape", SHAPES + [(2, 3, 4)], ids=str)
def test_T_reverses_the_axes(shape, rng):
    x = normal(rng, shape)
    np.testing.assert_array_equal(gl.tensor(x).T.data, x.T)
    assert_gradcheck(lambda t: t.T, x)


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": (slice(None), slice(1, None)),
    "step slice": (slice(None, None, -1), slice(0, 3, 2)),
    "int and slice": (0, slice(1, 3)),
    "ellipsis and None": (Ellipsis, None),
    "int array": np.array([1, 0]),
    "repeated ints": [0, 0, 1, 0],
    "2-d int array": np.array([[0, 1], [1, 1]]),
    "pair of int arrays": (np.array([0, 1, 1]), np.array([2, 0, 2])),
    "int array on axis 1": (slice(None), [2, 2, 0]),
    "boolean mask": np.array([[True, False, True], [False, True, True]]),
    "row mask": np.array([False, True]),
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing(name, rng):
    index = INDICES[name]
    x = normal(rng, (2, 3))
    np_index = np.asarray(index) if isinstance(index, list) else index
    out = gl.tensor(x)[index]
    np.testing.assert_array_equal(out.data, x[np_index])
    assert_gradcheck(lambda t: t[index], x)


def test_indexing_with_tensors():
    x = gl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x[x > 1.5] * 10.0 + x[gl.tensor([0, 0])].sum()
    np.testing.assert_array_equal(out.data, [22.0, 32.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 10.0, 10.0])


def test_repeated_indices_accumulate():
    x = gl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 0, 2]].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [6.0, 0.0, 4.0])

    y = gl.tensor(np.zeros((2, 2)), requires_grad=True)
    y[np.array([1, 1]), np.array([0, 0])].sum().backward()
    np.testing.assert_array_equal(y.grad, [[0.0, 0.0], [2.0, 0.0]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim, rng):
    shapes = {0: [(1, 3), (2, 3), (3, 3)], 1: [(2, 1), (2, 2), (2, 3)], -1: [(2, 1), (2, 2)]}[dim]
    arrays = [normal(rng, s) for s in shapes]
    out = gl.cat([gl.tensor(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.data, np.concatenate(arrays, axis=dim))
    assert_gradcheck(lambda *ts: gl.cat(ts, dim=dim), *arrays)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim, rng):
    arrays = [normal(rng, (2, 3)) for _ in range(3)]
    out = gl.stack([gl.tensor(a) for a in arrays], dim=dim)
    np.testing.assert_array_equal(out.data, np.stack(arrays, axis=dim))
    assert_gradcheck(lambda *ts: gl.stack(ts, dim=dim), *arrays)


def test_cat_and_stack_of_the_same_tensor_accumulate():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    (gl.cat([x, x, x]).sum() + gl.stack([x, x]).sum()).backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_ops_accept_numpy_arrays_and_numbers():
    np.testing.assert_array_equal(ops.add(np.array([1.0, 2.0]), 1.0).data, [2.0, 3.0])
    np.testing.assert_array_equal(ops.exp(0.0).data, 1.0)
    np.testing.assert_array_equal(ops.sum(np.ones((2, 2)), dim=0).data, [2.0, 2.0])
