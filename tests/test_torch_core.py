"""Cross-check every core op against PyTorch: values and gradients, float64, ~1e-10.

Each case runs the same function in gradlib and in PyTorch on the same inputs,
backpropagates the same random upstream gradient, and compares the outputs and
every input's gradient. The second half checks the conventions at kinks and
ties (REFERENCES.md) and saturation at |x| up to 1e4. Skipped when torch is
missing (the ``torch`` fixture in conftest.py), never in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib import activations
from gradlib import functional as F

RTOL, ATOL = 1e-10, 1e-12

SHAPE_PAIRS = [
    ((), ()),
    ((), (3,)),
    ((3,), (2, 3)),
    ((2, 3), (1, 3)),
    ((1, 3), (2, 1, 3)),
    ((2, 1, 3), ()),
]
SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1, 3)]


def compare(torch, ours, theirs, *arrays, seed=0):
    """Run ``ours`` on gradlib tensors and ``theirs`` on torch tensors; compare all."""
    leaves = [gl.tensor(a, requires_grad=True) for a in arrays]
    t_leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = ours(*leaves), theirs(*t_leaves)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    for i, (leaf, t_leaf) in enumerate(zip(leaves, t_leaves)):
        expected = np.zeros(leaf.shape) if t_leaf.grad is None else t_leaf.grad.numpy()
        got = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=f"input {i}")
    return out, leaves


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, shape)


# ----- arithmetic -----------------------------------------------------------------------

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, normal, normal),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, normal, normal),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, normal, normal),
    "div": (lambda a, b: a / b, lambda a, b: a / b, normal, away_from_zero),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, positive, normal),
    "maximum": (gl.maximum, None, normal, normal),
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_ops(torch, name, shapes, rng):
    ours, theirs, make_a, make_b = BINARY[name]
    theirs = theirs or torch.maximum
    compare(torch, ours, theirs, make_a(rng, shapes[0]), make_b(rng, shapes[1]))


SCALAR_FORMS = {
    "x * 2": lambda t: t * 2.0,
    "2 - x": lambda t: 2.0 - t,
    "x + 1": lambda t: t + 1,
    "2 / x": lambda t: 2.0 / t,
    "x / 4": lambda t: t / 4.0,
    "x ** 3": lambda t: t**3,
    "x ** -0.5": lambda t: t**-0.5,
    "2.5 ** x": lambda t: 2.5**t,
    "-x": lambda t: -t,
}


@pytest.mark.parametrize("name", SCALAR_FORMS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_python_scalar_operands(torch, name, shape, rng):
    fn = SCALAR_FORMS[name]  # the same expression works on both libraries
    compare(torch, fn, fn, positive(rng, shape))


@pytest.mark.parametrize(
    "shapes",
    [
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((3, 4), (4, 5)),
        ((2, 3, 4), (4, 5)),
        ((4,), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
    ],
    ids=str,
)
def test_matmul(torch, shapes, rng):
    compare(torch, lambda a, b: a @ b, lambda a, b: a @ b, *(normal(rng, s) for s in shapes))


# ----- reductions -------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (-1, 1)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_and_mean(torch, name, dim, keepdim, rng):
    x = normal(rng, (2, 3, 4))
    # torch spells "every axis" as a tuple of all of them when keepdim is given
    torch_dim = (0, 1, 2) if dim is None else dim
    compare(
        torch,
        lambda t: getattr(t, name)(dim, keepdim),
        lambda t: getattr(t, name)(dim=torch_dim, keepdim=keepdim),
        x,
    )


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_a_dim(torch, name, dim, keepdim, rng):
    x = normal(rng, (3, 4, 2))
    compare(
        torch,
        lambda t: getattr(t, name)(dim, keepdim).values,
        lambda t: getattr(t, name)(dim=dim, keepdim=keepdim).values,
        x,
    )
    ours = getattr(gl.tensor(x), name)(dim, keepdim).indices
    theirs = getattr(torch.tensor(x), name)(dim=dim, keepdim=keepdim).indices
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 3)], ids=str)
def test_max_min_over_everything(torch, name, shape, rng):
    fn = lambda t: getattr(t, name)()  # noqa: E731
    compare(torch, fn, fn, normal(rng, shape))


# ----- elementwise maths ------------------------------------------------------------------

UNARY = {
    "exp": (gl.exp, "exp", normal),
    "log": (gl.log, "log", positive),
    "sqrt": (gl.sqrt, "sqrt", positive),
    "abs": (gl.abs, "abs", away_from_zero),
    "clamp(-0.5, 0.5)": (lambda t: t.clamp(-0.5, 0.5), None, normal),
    "clamp(min=0)": (lambda t: t.clamp(min=0.0), None, normal),
    "clamp(max=0.2)": (lambda t: t.clamp(max=0.2), None, normal),
}
TORCH_CLAMPS = {
    "clamp(-0.5, 0.5)": lambda t: t.clamp(-0.5, 0.5),
    "clamp(min=0)": lambda t: t.clamp(min=0.0),
    "clamp(max=0.2)": lambda t: t.clamp(max=0.2),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_ops(torch, name, shape, rng):
    ours, torch_name, make = UNARY[name]
    theirs = getattr(torch, torch_name) if torch_name else TORCH_CLAMPS[name]
    compare(torch, ours, theirs, make(rng, shape))


@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_where(torch, shapes, rng):
    cond = rng.random(np.broadcast_shapes(*shapes)) > 0.5
    compare(
        torch,
        lambda x, y: gl.where(cond, x, y),
        lambda x, y: torch.where(torch.tensor(cond), x, y),
        normal(rng, shapes[0]),
        normal(rng, shapes[1]),
    )


# ----- shapes -------------------------------------------------------------------------------

SHAPE_OPS = {
    "reshape": lambda t: t.reshape(4, 6),
    "reshape -1": lambda t: t.reshape(-1, 3),
    "view": lambda t: t.view(2, 12),
    "transpose": lambda t: t.transpose(0, 2),
    "transpose neg": lambda t: t.transpose(-1, -2),
    "permute": lambda t: t.permute(2, 0, 1),
    "flatten": lambda t: t.flatten(),
    "flatten 1": lambda t: t.flatten(1),
    "unsqueeze": lambda t: t.unsqueeze(1),
    "squeeze": lambda t: t.unsqueeze(0).squeeze(0),
    "int": lambda t: t[1],
    "slices": lambda t: t[:, 1:, ::2],
    "ellipsis and None": lambda t: t[..., None, 0],
}


@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(torch, name, rng):
    fn = SHAPE_OPS[name]
    compare(torch, fn, fn, normal(rng, (2, 3, 4)))


def test_T_of_a_matrix(torch, rng):
    compare(torch, lambda t: t.T, lambda t: t.T, normal(rng, (2, 3)))


INDEXES = {
    "int array": np.array([1, 0, 1]),
    "repeated": np.array([0, 0, 2, 0]),
    "2-d int array": np.array([[0, 1], [2, 2]]),
    "pair of arrays": (np.array([0, 1, 1]), np.array([3, 0, 3])),
    "slice and array": (slice(None), np.array([3, 3, 1])),
    "mask": np.array([[True, False, True, True], [False, True, False, True], [True] * 4]),
    "row mask": np.array([True, False, True]),
}


@pytest.mark.parametrize("name", INDEXES)
def test_advanced_indexing(torch, name, rng):
    index = INDEXES[name]

    def to_torch(i):
        return torch.as_tensor(i) if isinstance(i, np.ndarray) else i

    t_index = tuple(map(to_torch, index)) if isinstance(index, tuple) else to_torch(index)
    compare(torch, lambda t: t[index], lambda t: t[t_index], normal(rng, (3, 4)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack(torch, dim, rng):
    arrays = [normal(rng, (2, 3)) for _ in range(3)]
    compare(torch, lambda *ts: gl.cat(ts, dim=dim), lambda *ts: torch.cat(ts, dim=dim), *arrays)
    compare(torch, lambda *ts: gl.stack(ts, dim=dim), lambda *ts: torch.stack(ts, dim=dim), *arrays)


# ----- activations ---------------------------------------------------------------------------


def torch_activations(torch):
    tf = torch.nn.functional
    return {
        "relu": (F.relu, tf.relu),
        "leaky_relu": (F.leaky_relu, tf.leaky_relu),
        "leaky_relu 0.3": (lambda t: F.leaky_relu(t, 0.3), lambda t: tf.leaky_relu(t, 0.3)),
        "elu": (F.elu, tf.elu),
        "elu 0.7": (lambda t: F.elu(t, alpha=0.7), lambda t: tf.elu(t, alpha=0.7)),
        "sigmoid": (F.sigmoid, torch.sigmoid),
        "tanh": (F.tanh, torch.tanh),
        "gelu": (F.gelu, tf.gelu),
        "gelu tanh": (
            lambda t: F.gelu(t, approximate="tanh"),
            lambda t: tf.gelu(t, approximate="tanh"),
        ),
        "softplus": (F.softplus, tf.softplus),
        # |x| is 1..4 in these tests: some inputs fall in the linear part (beta x > threshold)
        "softplus 2, 3": (lambda t: F.softplus(t, 2.0, 3.0), lambda t: tf.softplus(t, 2.0, 3.0)),
        "softplus 0.5, 1": (lambda t: F.softplus(t, 0.5, 1.0), lambda t: tf.softplus(t, 0.5, 1.0)),
        "softplus -1.5, 2": (
            lambda t: F.softplus(t, beta=-1.5, threshold=2.0),
            lambda t: tf.softplus(t, beta=-1.5, threshold=2.0),
        ),
    }


ACTIVATION_NAMES = [
    "relu",
    "leaky_relu",
    "leaky_relu 0.3",
    "elu",
    "elu 0.7",
    "sigmoid",
    "tanh",
    "gelu",
    "gelu tanh",
    "softplus",
    "softplus 2, 3",
    "softplus 0.5, 1",
    "softplus -1.5, 2",
]


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_activations(torch, name, shape, rng):
    ours, theirs = torch_activations(torch)[name]
    compare(torch, ours, theirs, 2 * away_from_zero(rng, shape))


@pytest.mark.parametrize("shape, dim", [((4,), 0), ((2, 3), 0), ((2, 3), 1), ((2, 3, 4), -2)])
def test_softmax_and_log_softmax(torch, shape, dim, rng):
    x = 3 * normal(rng, shape)
    tf = torch.nn.functional
    compare(torch, lambda t: F.softmax(t, dim=dim), lambda t: tf.softmax(t, dim=dim), x)
    compare(torch, lambda t: F.log_softmax(t, dim=dim), lambda t: tf.log_softmax(t, dim=dim), x)


# ----- conventions at kinks and ties (REFERENCES.md) --------------------------------------------


def grads_of(torch, ours, theirs, values, upstream=None):
    """Gradients of sum(upstream * f(x)) in both libraries, compared, and returned."""
    values = np.asarray(values, dtype=np.float64)
    upstream = np.ones(np.shape(ours(gl.tensor(values)).data)) if upstream is None else upstream
    x, t = gl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    ours(x).backward(upstream)
    theirs(t).backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    return x.grad


def test_relu_gradient_at_zero_and_negative_zero(torch):
    grad = grads_of(torch, F.relu, torch.relu, [-1.0, 0.0, -0.0, 2.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 0.0, 1.0])


def test_clamp_min_zero_has_gradient_one_at_zero(torch):
    grad = grads_of(torch, lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0), [-1, 0, 2])
    np.testing.assert_array_equal(grad, [0.0, 1.0, 1.0])
    grad = grads_of(torch, lambda t: t.clamp(-1.0, 1.0), lambda t: t.clamp(-1, 1), [-1, 1, 3])
    np.testing.assert_array_equal(grad, [1.0, 1.0, 0.0])


def test_relu_written_four_ways_at_zero(torch):
    """max(x, 0) spelled four ways has four rules at 0 (notebook 04): relu 0, clamp 1 (its
    bounds are inclusive), maximum 0.5 (a tie splits), x * (x > 0) 0 (the mask is constant)."""
    values = [-1.0, 0.0, 2.0]
    spellings = [
        (F.relu, torch.relu, 0.0),
        (lambda t: t.clamp(min=0.0), lambda t: t.clamp(min=0.0), 1.0),
        (lambda t: gl.maximum(t, 0.0), lambda t: torch.maximum(t, torch.zeros_like(t)), 0.5),
        (lambda t: t * (t > 0), lambda t: t * (t > 0), 0.0),
    ]
    for ours, theirs, at_zero in spellings:
        np.testing.assert_array_equal(grads_of(torch, ours, theirs, values), [0.0, at_zero, 1.0])


def test_abs_gradient_at_zero(torch):
    grad = grads_of(torch, gl.abs, torch.abs, [-2.0, 0.0, -0.0, 3.0])
    np.testing.assert_array_equal(grad, [-1.0, 0.0, 0.0, 1.0])


def test_maximum_tie_splits_evenly(torch):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 0.0])
    x, y = gl.tensor(a, requires_grad=True), gl.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gl.maximum(x, y).sum().backward()
    torch.maximum(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad, ty.grad.numpy())


def test_full_max_and_min_ties_split_evenly(torch):
    values = [[3.0, 1.0, 3.0], [0.0, 3.0, 0.0]]
    grad = grads_of(torch, lambda t: t.max(), lambda t: t.max(), values, np.array(6.0))
    np.testing.assert_array_equal(grad, [[2.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    grad = grads_of(torch, lambda t: t.min(), lambda t: t.min(), values, np.array(1.0))
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0], [0.5, 0.0, 0.5]])


def test_max_and_min_over_a_dim_send_ties_to_the_first_index(torch):
    values = np.array([[1.0, 4.0, 4.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
    for name in ("max", "min"):
        ours = getattr(gl.tensor(values), name)(1)
        theirs = getattr(torch.tensor(values), name)(dim=1)
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
        grads_of(
            torch,
            lambda t, n=name: getattr(t, n)(1).values,
            lambda t, n=name: getattr(t, n)(dim=1).values,
            values,
        )
    np.testing.assert_array_equal(gl.tensor(values).max(1).indices.data, [1, 0])
    grad = grads_of(torch, lambda t: t.max(1).values, lambda t: t.max(dim=1).values, values)
    np.testing.assert_array_equal(grad, [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])


def test_leaky_relu_and_elu_slope_at_zero(torch):
    tf = torch.nn.functional
    grad = grads_of(torch, lambda t: F.leaky_relu(t, 0.2), lambda t: tf.leaky_relu(t, 0.2), [0.0])
    np.testing.assert_array_equal(grad, [0.2])
    grad = grads_of(torch, lambda t: F.elu(t, alpha=1.5), lambda t: tf.elu(t, alpha=1.5), [0.0])
    np.testing.assert_array_equal(grad, [1.5])


def test_pow_at_zero_base(torch):
    grads_of(torch, lambda t: t**2, lambda t: t**2, [-2.0, 0.0, 3.0])
    grads_of(torch, lambda t: t**0, lambda t: t**0, [-2.0, 0.0, 3.0])
    # d/db 0 ** b = 0 (b > 0), as in PyTorch
    compare(torch, lambda a, b: a**b, lambda a, b: a**b, np.array([0.0, 2.0]), np.array([2.0, 3.0]))


def test_sqrt_gradient_at_zero_is_infinite(torch):
    grad = grads_of(torch, gl.sqrt, torch.sqrt, [0.0, 4.0])
    np.testing.assert_array_equal(grad, [np.inf, 0.25])


# ----- saturation --------------------------------------------------------------------------------

HUGE = np.array([-1e4, -750.0, -40.0, -1.0, 0.0, 1.0, 40.0, 750.0, 1e4])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "gelu tanh", "softplus"])
def test_sigmoid_and_tanh_at_huge_inputs(torch, name):
    ours, theirs = torch_activations(torch)[name]
    out, (leaf,) = compare(torch, ours, theirs, HUGE)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(leaf.grad))


@pytest.mark.parametrize("fn_name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_at_huge_logits(torch, fn_name):
    logits = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [5e3, 5e3 - 1.0, -750.0]])
    ours = getattr(F, fn_name)
    theirs = getattr(torch.nn.functional, fn_name)
    out, (leaf,) = compare(torch, lambda t: ours(t, dim=1), lambda t: theirs(t, dim=1), logits)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(leaf.grad))


# ----- GELU, softplus and the error function over the whole real line ----------------------------

LINE = np.concatenate([np.linspace(-40, 40, 8001), [-1e4, -1e3, 1e3, 1e4]])


def values_and_slopes(torch, ours, theirs, x):
    """f(x) and f'(x) elementwise from both libraries (the gradient of sum f)."""
    leaf, t_leaf = gl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(leaf), theirs(t_leaf)
    out.sum().backward()
    t_out.sum().backward()
    return out.data, leaf.grad, t_out.detach().numpy(), t_leaf.grad.numpy()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_over_the_whole_line(torch, approximate):
    value, slope, t_value, t_slope = values_and_slopes(
        torch,
        lambda t: F.gelu(t, approximate=approximate),
        lambda t: torch.nn.functional.gelu(t, approximate=approximate),
        LINE,
    )
    # From x = -3 up, PyTorch is accurate and the two agree in relative terms (measured:
    # 2e-14 for values, 7e-13 for slopes next to the slope's zero at x = -0.752, where the
    # atol takes over).
    right = LINE >= -3
    np.testing.assert_allclose(value[right], t_value[right], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(slope[right], t_slope[right], rtol=1e-12, atol=1e-15)
    # Below, PyTorch's 1 + erf(x / sqrt 2) (or 1 + tanh) cancels, and is exactly 0 below
    # x = -8.37 (-7.15 for tanh), while gradlib keeps the tail (see test_activations.py);
    # the difference stays below 2e-15 absolute (measured: 1.8e-15, and 4.9e-15 for the
    # tanh slope near x = 3, where PyTorch's 1 - tanh^2 rounds).
    np.testing.assert_allclose(value, t_value, rtol=1e-12, atol=2e-15)
    np.testing.assert_allclose(slope, t_slope, rtol=1e-12, atol=5e-15)
    np.testing.assert_array_equal(value[-4:], [-0.0, -0.0, 1e3, 1e4])
    np.testing.assert_array_equal(slope[-4:], [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 20.0), (0.5, 5.0), (3.0, 1.0)])
def test_softplus_over_the_whole_line(torch, beta, threshold):
    x = np.concatenate([LINE, [threshold / beta, np.nextafter(threshold / beta, np.inf)]])
    value, slope, t_value, t_slope = values_and_slopes(
        torch,
        lambda t: F.softplus(t, beta, threshold),
        lambda t: torch.nn.functional.softplus(t, beta, threshold),
        x,
    )
    np.testing.assert_allclose(value, t_value, rtol=1e-14, atol=0)
    np.testing.assert_allclose(slope, t_slope, rtol=1e-14, atol=0)
    linear = beta * x > threshold
    np.testing.assert_array_equal(value[linear], x[linear])  # both return x itself there
    np.testing.assert_array_equal(t_slope[linear], 1.0)


def test_softplus_without_the_threshold_stays_finite_where_torch_overflows(torch):
    x = np.array([800.0, 1e4])
    value, slope, t_value, t_slope = values_and_slopes(
        torch,
        lambda t: F.softplus(t, threshold=1e5),
        lambda t: torch.nn.functional.softplus(t, threshold=1e5),
        x,
    )
    assert np.all(np.isinf(t_value))  # log1p(exp(800)): exp overflows
    np.testing.assert_array_equal(value, x)
    np.testing.assert_array_equal(slope, [1.0, 1.0])


def test_erf_and_erfc_match_torch(torch):
    x = np.concatenate([np.linspace(-26, 26, 10401), [1e-300, -1e-8, 0.46875, 4.0]])
    t = torch.tensor(x)
    np.testing.assert_allclose(activations.erf(x), torch.erf(t).numpy(), rtol=2e-15, atol=0)
    np.testing.assert_allclose(activations.erfc(x), torch.erfc(t).numpy(), rtol=2e-15, atol=0)
