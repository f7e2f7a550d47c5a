"""The engine: Tensor, Function, backward over reused and deep graphs, no_grad, float32.

Gradients here are checked against closed forms worked out by hand (the comment
beside each gives the derivation), not against the engine itself.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import gradlib as gl
from gradlib import engine
from gradlib import functional as F
from gradlib.engine import Function, unbroadcast

# ----- unbroadcast -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "grad_shape, shape, expected",
    [
        ((2, 3), (2, 3), np.ones((2, 3))),
        ((2, 3), (3,), np.full(3, 2.0)),  # a leading axis was added: summed away
        ((2, 3), (1, 3), np.full((1, 3), 2.0)),  # a size-1 axis was stretched: kept
        ((2, 3), (2, 1), np.full((2, 1), 3.0)),
        ((2, 3), (), np.array(6.0)),
        ((4, 2, 3), (2, 1), np.full((2, 1), 12.0)),
        ((4, 2, 3), (1, 1, 1), np.full((1, 1, 1), 24.0)),
    ],
    ids=str,
)
def test_unbroadcast_of_ones_counts_the_uses(grad_shape, shape, expected):
    out = unbroadcast(np.ones(grad_shape), shape)
    assert out.shape == shape
    np.testing.assert_array_equal(out, expected)


def test_unbroadcast_sums_the_right_entries():
    grad = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(unbroadcast(grad, (3,)), [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(unbroadcast(grad, (2, 1)), [[3.0], [12.0]])


# ----- Tensor basics -----------------------------------------------------------------------


def test_tensor_dtypes_and_properties():
    assert gl.tensor([1.0, 2.0]).dtype == np.float64
    assert gl.tensor([1, 2]).dtype.kind == "i"
    assert gl.tensor([1.0], dtype=np.float32).dtype == np.float32
    assert gl.tensor(np.float32([1.0])).dtype == np.float32
    t = gl.tensor(np.zeros((2, 3)))
    assert (t.shape, t.ndim, t.numel(), len(t), t.size(), t.size(1)) == ((2, 3), 2, 6, 2, (2, 3), 3)
    assert gl.tensor([[4.5]]).item() == 4.5
    assert isinstance(gl.tensor([[4.5]]).item(), float)


def test_tensor_of_a_tensor_copies_the_data_and_numpy_shares_it():
    a = gl.tensor([1.0, 2.0])
    b = gl.Tensor(a)
    assert b.data is not a.data
    np.testing.assert_array_equal(b.data, a.data)
    assert a.numpy() is a.data
    np.testing.assert_array_equal(np.asarray(a), [1.0, 2.0])


def test_repr():
    assert repr(gl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gl.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(gl.tensor([1.0], dtype=np.float32)) == "tensor([1.], dtype=float32)"
    assert repr(gl.tensor([1.0], requires_grad=True) * 2.0) == "tensor([2.], grad_fn=Mul)"


def test_comparisons_give_masks_without_gradient():
    x = gl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask, expected in [
        (x > 2.0, [False, False, True]),
        (x >= 2.0, [False, True, True]),
        (x < gl.tensor(2.0), [True, False, False]),
        (x <= 2.0, [True, True, False]),
    ]:
        assert mask.dtype == bool and not mask.requires_grad
        np.testing.assert_array_equal(mask.data, expected)


def test_numpy_array_on_the_left_defers_to_the_tensor():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0]) * x + np.array([1.0, 1.0])
    assert isinstance(out, gl.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [10.0, 20.0])


def test_numpy_ufuncs_on_tensors_raise_instead_of_dropping_the_graph():
    with pytest.raises(TypeError):
        np.exp(gl.tensor([1.0], requires_grad=True))


def test_requires_grad_propagates_and_leaves_are_marked():
    x = gl.tensor([1.0], requires_grad=True)
    c = gl.tensor([2.0])
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf
    assert not (c * c).requires_grad
    y.backward(np.ones(1))
    assert c.grad is None  # a constant gets no gradient
    np.testing.assert_array_equal(x.grad, [2.0])
    assert y.grad is None  # an intermediate keeps none unless retain_grad()


def test_requires_grad_in_place_setter():
    x = gl.tensor([3.0]).requires_grad_()
    assert x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0])


# ----- reused and diamond graphs ------------------------------------------------------------


def test_tensor_used_twice_in_one_op():
    x = gl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()  # d/dx x^2 = 2x
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])

    x = gl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x + x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0, 3.0])


def test_diamond_graph():
    # y = a*b + a*c: dy/da = b + c, dy/db = a, dy/dc = a
    a = gl.tensor([1.0, 2.0], requires_grad=True)
    b = gl.tensor([3.0, 4.0], requires_grad=True)
    c = gl.tensor([5.0, -6.0], requires_grad=True)
    (a * b + a * c).sum().backward()
    np.testing.assert_array_equal(a.grad, [8.0, -2.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])
    np.testing.assert_array_equal(c.grad, [1.0, 2.0])


def test_shared_intermediate_is_backpropagated_once_with_its_total_gradient():
    # h = 3x is used by two branches: L = h^2 + 2h, so dL/dh = 2h + 2 and dL/dx = 3 (2h + 2).
    x = gl.tensor(2.0, requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    loss = h * h + h * 2.0
    loss.backward()
    assert h.grad == 14.0
    assert x.grad == 42.0
    # x, h, h*h, h*2 and the sum: each appears once in the order
    order = engine._topological_order(loss)
    assert len(order) == 5
    assert len({id(t) for t in order}) == 5
    assert order[0] is x and order[-1] is loss


def test_gradients_accumulate_across_backward_calls_until_zero_grad():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()  # adds 2x
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_backward_twice_through_the_same_graph_accumulates():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_retain_grad_on_an_intermediate():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2.0).retain_grad()
    other = x * 5.0  # not retained
    (h * h + other).sum().backward()  # dL/dh = 2h = 4x
    np.testing.assert_array_equal(h.grad, [4.0, 8.0])
    assert other.grad is None
    np.testing.assert_array_equal(x.grad, [13.0, 21.0])  # 2 * 4x + 5


def test_backward_of_a_leaf_and_with_an_explicit_gradient():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])

    y = gl.tensor([[1.0, 2.0]], requires_grad=True)
    (y * 2.0).backward(gl.tensor([[0.5, -1.0]]))  # a Tensor works as the gradient too
    np.testing.assert_array_equal(y.grad, [[1.0, -2.0]])


def test_leaf_grad_is_not_aliased_to_the_upstream_gradient():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, 1.0])
    x.backward(upstream)
    x.grad *= 10.0
    np.testing.assert_array_equal(upstream, [1.0, 1.0])


# ----- no_grad and detach ---------------------------------------------------------------------


def test_no_grad_records_no_graph():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    assert gl.is_grad_enabled()
    with gl.no_grad():
        assert not gl.is_grad_enabled()
        y = x * 2.0 + 1.0
    assert gl.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.data, [3.0, 5.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_nests_and_restores_after_an_error():
    with gl.no_grad():
        with gl.no_grad():
            pass
        assert not gl.is_grad_enabled()
    assert gl.is_grad_enabled()
    with pytest.raises(ValueError), gl.no_grad():
        raise ValueError("inside no_grad")
    assert gl.is_grad_enabled()


def test_no_grad_as_a_decorator():
    @gl.no_grad()
    def update(w):
        """Docstring kept."""
        return w - 0.1 * w

    w = gl.tensor([1.0], requires_grad=True)
    assert not update(w).requires_grad
    assert update.__name__ == "update" and update.__doc__ == "Docstring kept."
    assert gl.is_grad_enabled()


def test_detach_stops_the_gradient():
    # y = x * stop(x): only the first factor carries a gradient, so dy/dx = x (not 2x)
    x = gl.tensor([1.0, 3.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.data, x.data)
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 3.0])


# ----- the 100k chain ---------------------------------------------------------------------------

N = 100_000


def test_chain_of_100k_ops_backpropagates_exactly():
    # Repeated y -> (2y - 1 + 1) * 0.5 is the identity; every factor is a power of 2,
    # so the value and the gradient (1) are exact in floating point.
    x = gl.tensor(1.5, requires_grad=True)
    y = x
    for _ in range(N // 4):
        y = y * 2.0
        y = y - 1.0
        y = y + 1.0
        y = y * 0.5
    assert y.item() == 1.5
    order = engine._topological_order(y)
    assert len(order) == N + 1  # x and each of the N results, each once
    assert len({id(t) for t in order}) == N + 1
    assert sys.getrecursionlimit() < N  # so a recursive sort would have failed
    y.backward()
    assert x.grad == 1.0


def test_10k_ops_reusing_one_input_accumulate_exactly():
    # y = x + x + ... + x (n additions): dy/dx = n + 1; x gathers n + 1 gradients
    n = 10_000
    x = gl.tensor([0.25, -1.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y + x
    assert len(engine._topological_order(y)) == n + 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [n + 1.0, n + 1.0])


# ----- a user-defined Function -----------------------------------------------------------------


class ScaleBy(Function):
    """out = x * factor, with a non-tensor argument passed through."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor


class MulSkip(Function):
    """out = a * b; records which inputs the engine said need a gradient."""

    seen: list = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, grad):
        MulSkip.seen.append(ctx.needs_input_grad)
        da = grad * ctx.b if ctx.needs_input_grad[0] else None
        db = grad * ctx.a if ctx.needs_input_grad[1] else None
        return da, db


def test_custom_function_with_pass_through_argument():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    out = ScaleBy.apply(x, 3.0)
    np.testing.assert_array_equal(out.data, [3.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_needs_input_grad_tells_backward_what_to_skip():
    MulSkip.seen.clear()
    a = gl.tensor([2.0], requires_grad=True)
    b = gl.tensor([5.0])
    MulSkip.apply(a, b).sum().backward()
    assert MulSkip.seen == [(True, False)]
    np.testing.assert_array_equal(a.grad, [5.0])


def test_op_backward_runs_on_plain_arrays():
    ctx = gl.Context()
    y = gl.ops.Exp.forward(ctx, np.array([0.0, 1.0]))
    np.testing.assert_allclose(gl.ops.Exp.backward(ctx, np.array([2.0, 3.0])), [2.0, 3.0 * np.e])
    np.testing.assert_allclose(y, [1.0, np.e])


# ----- float32 ------------------------------------------------------------------------------


class RecordGrad(Function):
    """Identity whose backward records the dtype of the gradient that reaches it.

    Leaves' .grad is stored in the leaf's dtype, so to see the dtype an op's
    backward produced, put this between the leaf and the op.
    """

    dtypes: list = []

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        RecordGrad.dtypes.append(grad.dtype)
        return grad


def _f32(rng, shape, low=0.5, high=2.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


FLOAT32_UNARY = {
    "neg": lambda t: -t,
    "x * 2.0": lambda t: t * 2.0,
    "2.0 * x": lambda t: 2.0 * t,
    "x + 1": lambda t: t + 1,
    "1 - x": lambda t: 1 - t,
    "x / 3.0": lambda t: t / 3.0,
    "3.0 / x": lambda t: 3.0 / t,
    "x ** 2": lambda t: t**2,
    "x ** 0.5": lambda t: t**0.5,
    "2.0 ** x": lambda t: 2.0**t,
    "sum dim": lambda t: t.sum(1),
    "mean": lambda t: t.mean(),
    "max": lambda t: t.max(),
    "min": lambda t: t.min(),
    "max dim": lambda t: t.max(0).values,
    "exp": gl.exp,
    "log": gl.log,
    "sqrt": gl.sqrt,
    "abs": gl.abs,
    "clamp": lambda t: t.clamp(0.7, 1.5),
    "maximum 1.0": lambda t: gl.maximum(t, 1.0),
    "where": lambda t: gl.where(t > 1.0, t, 0.0),
    "reshape": lambda t: t.reshape(-1),
    "T": lambda t: t.T,
    "index": lambda t: t[[0, 0, 1]],
    "mask": lambda t: t[t > 1.0],
    "slice": lambda t: t[:, 1:],
    "cat": lambda t: gl.cat([t, t], dim=1),
    "stack": lambda t: gl.stack([t, t]),
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "elu": lambda t: F.elu(t - 1.0),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": lambda t: F.softmax(t, dim=1),
    "log_softmax": lambda t: F.log_softmax(t, dim=0),
}


@pytest.mark.parametrize("name", FLOAT32_UNARY)
def test_float32_stays_float32_through_every_op(name, rng):
    fn = FLOAT32_UNARY[name]
    x = gl.tensor(_f32(rng, (2, 3)), requires_grad=True)
    RecordGrad.dtypes.clear()
    out = fn(RecordGrad.apply(x))
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert RecordGrad.dtypes == [np.float32]
    assert x.grad.dtype == np.float32


FLOAT32_BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "matmul": lambda a, b: a @ b.T,
    "maximum": gl.maximum,
    "where": lambda a, b: gl.where(a > b, a, b),
}


@pytest.mark.parametrize("name", FLOAT32_BINARY)
def test_float32_binary_ops(name, rng):
    a = gl.tensor(_f32(rng, (2, 3)), requires_grad=True)
    b = gl.tensor(_f32(rng, (1, 3)), requires_grad=True)
    RecordGrad.dtypes.clear()
    out = FLOAT32_BINARY[name](RecordGrad.apply(a), RecordGrad.apply(b))
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert RecordGrad.dtypes == [np.float32, np.float32]
    assert a.grad.dtype == b.grad.dtype == np.float32


def test_float32_with_float64_promotes_like_numpy_and_pytorch():
    out = gl.tensor([1.0], dtype=np.float32) + gl.tensor([1.0])
    assert out.dtype == np.float64


def test_float32_mlp_end_to_end(rng):
    x64 = rng.standard_normal((8, 4))
    w1_64, b1_64 = rng.standard_normal((4, 16)) * 0.5, rng.standard_normal(16) * 0.1
    w2_64, b2_64 = rng.standard_normal((16, 3)) * 0.5, rng.standard_normal(3) * 0.1
    target = rng.integers(0, 3, size=8)

    def run(dtype):
        params = [
            gl.tensor(p.astype(dtype), requires_grad=True) for p in (w1_64, b1_64, w2_64, b2_64)
        ]
        w1, b1, w2, b2 = params
        hidden = F.relu(gl.tensor(x64.astype(dtype)) @ w1 + b1)
        logits = F.tanh(hidden) @ w2 + b2
        picked = F.log_softmax(logits, dim=1)[np.arange(8), target]
        loss = -picked.mean() + 0.01 * (w1 * w1).sum()
        loss.backward()
        return loss, params

    loss32, params32 = run(np.float32)
    loss64, params64 = run(np.float64)
    assert loss32.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in params32)
    np.testing.assert_allclose(loss32.item(), loss64.item(), rtol=1e-5)
    for p32, p64 in zip(params32, params64):
        np.testing.assert_allclose(p32.grad, p64.grad, rtol=1e-4, atol=1e-5)


# ----- import cost ------------------------------------------------------------------------------


def test_import_gradlib_does_not_pull_in_plotting_or_widgets():
    code = (
        "import sys, gradlib; "
        "heavy = ('matplotlib', 'ipywidgets', 'torch', 'IPython'); "
        "loaded = [m for m in heavy if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ----- register_hook, topological_order, copies -------------------------------------


def test_tensor_copies_its_data_like_torch_tensor():
    array = np.array([1.0, 2.0])
    t = gl.tensor(array, requires_grad=True)
    with gl.no_grad():
        t -= 1.0
    np.testing.assert_array_equal(array, [1.0, 2.0])
    np.testing.assert_array_equal(t.data, [0.0, 1.0])


def test_hooks_fire_once_each_in_reverse_topological_order():
    x = gl.tensor(2.0, requires_grad=True)
    y = gl.tensor(-3.0, requires_grad=True)
    p = x * y
    q = p + x
    f = q * q
    seen = []
    for name, t in [("x", x), ("y", y), ("p", p), ("q", q), ("f", f)]:
        t.register_hook(lambda g, name=name: seen.append((name, float(g.item()))))
    f.backward()
    assert sorted(name for name, _ in seen) == ["f", "p", "q", "x", "y"]
    position = {name: i for i, (name, _) in enumerate(seen)}
    # a tensor's gradient is complete before any of its inputs' gradients
    for later, earlier in [("f", "q"), ("q", "p"), ("q", "x"), ("p", "x"), ("p", "y")]:
        assert position[later] < position[earlier]
    grads = dict(seen)
    q_value = 2.0 * -3.0 + 2.0
    assert grads["f"] == 1.0
    assert grads["q"] == 2 * q_value
    assert grads["x"] == 2 * q_value * (-3.0 + 1.0)
    order = [t for t in gl.engine.topological_order(f)]
    assert order[-1] is f and len(order) == 5


def test_a_hook_can_replace_the_gradient_and_be_removed():
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    handle = y.register_hook(lambda g: g * 0.5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.5, 1.5])
    handle.remove()
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_register_hook_errors_are_clear():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gl.tensor([1.0]).register_hook(lambda g: None)
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: np.zeros(3))
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        y.sum().backward()


def test_leaf_grad_is_not_aliased_to_a_gradient_a_hook_kept():
    kept = []
    x = gl.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: kept.append(g))
    (x * 3.0).sum().backward()
    x.grad *= 0
    np.testing.assert_array_equal(kept[0].data, [3.0, 3.0])


# ----- leaf gradients: kept without a copy only when nothing else refers to them ----------

# 256 KiB of float64: large enough for the engine to check whether it must copy a gradient.
BIG = (256, 128)


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


class Double(Function):
    """out = 2 x; its backward makes a new array and records only where it lives."""

    addresses: list = []

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        dx = 2 * grad
        Double.addresses.append(_address(dx))
        return dx


class KeepsItsGradient(Function):
    """out = x; its backward returns an array it also keeps in ctx."""

    @staticmethod
    def forward(ctx, x):
        ctx.ones = np.ones_like(x)
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return ctx.ones


class SameForBoth(Function):
    """out = x + y; its backward makes one new array and returns it for both inputs."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, grad):
        both = grad * 1.0
        return both, both


class ToFloat64(Function):
    """out = x; its backward returns a float64 gradient whatever x's dtype."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(np.float64) * 2


def test_big_is_big_enough_for_the_engine_to_check_for_sharing():
    assert np.zeros(BIG).nbytes >= engine._CHECK_SHARING_FROM_BYTES


def test_a_large_gradient_made_for_one_leaf_alone_is_kept_without_a_copy():
    x = gl.tensor(np.ones(BIG), requires_grad=True)
    Double.apply(x).backward(np.ones(BIG))
    assert _address(x.grad) == Double.addresses[-1]
    np.testing.assert_array_equal(x.grad, 2.0)
    first = x.grad
    Double.apply(x).backward(np.ones(BIG))  # accumulates into a new array
    np.testing.assert_array_equal(x.grad, 4.0)
    np.testing.assert_array_equal(first, 2.0)


def test_large_gradients_that_are_shared_are_copied():
    grad = np.ones(BIG)
    x, y = (gl.tensor(np.zeros(BIG), requires_grad=True) for _ in range(2))
    (x + y).backward(grad)  # Add hands the gradient it was given to both inputs
    x.grad *= 2
    np.testing.assert_array_equal(y.grad, 1.0)
    np.testing.assert_array_equal(grad, 1.0)
    z = gl.tensor(np.zeros(BIG), requires_grad=True)
    z.reshape(-1).backward(grad.reshape(-1))  # a view of the gradient passed in
    z.grad += 1
    np.testing.assert_array_equal(grad, 1.0)
    m = gl.tensor(np.zeros(BIG), requires_grad=True)
    m.mean().backward()  # a read-only broadcast view of a new array
    m.grad *= m.grad.size
    np.testing.assert_allclose(m.grad, 1.0, rtol=1e-12)
    k = gl.tensor(np.zeros(BIG), requires_grad=True)
    out = KeepsItsGradient.apply(k)
    out.backward(grad)
    k.grad *= 3
    np.testing.assert_array_equal(out._node.ctx.ones, 1.0)
    u, v = (gl.tensor(np.zeros(BIG), requires_grad=True) for _ in range(2))
    SameForBoth.apply(u, v).backward(grad)
    u.grad *= 5
    np.testing.assert_array_equal(v.grad, 1.0)


def test_a_large_gradient_a_hook_kept_is_not_the_leafs_grad():
    kept = []
    x = gl.tensor(np.ones(BIG), requires_grad=True)
    x.register_hook(lambda g: kept.append(g))
    Double.apply(x).backward(np.ones(BIG))
    x.grad *= 0
    np.testing.assert_array_equal(kept[0].data, 2.0)


def test_a_large_float64_gradient_of_a_float32_leaf_is_stored_as_float32():
    x = gl.tensor(np.ones(BIG, dtype=np.float32), requires_grad=True)
    ToFloat64.apply(x).backward(np.ones(BIG, dtype=np.float32))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, 2.0)
