"""batch_norm and layer_norm: gradcheck, running statistics, gradient sums, errors, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib import Context, engine, gradcheck, normalization
from gradlib import functional as F
from gradlib.normalization import BatchNorm, LayerNorm

BN_SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 3)]


def channel_axes(shape):
    return (0,) + tuple(range(2, len(shape)))


def per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


# ----- batch_norm: values ------------------------------------------------------------


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
def test_batch_norm_training_values_and_running_statistics(shape, rng):
    x = rng.normal(2.0, 3.0, shape)
    channels = shape[1]
    weight, bias = rng.standard_normal(channels), rng.standard_normal(channels)
    running_mean, running_var = np.zeros(channels), np.ones(channels)
    out = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.1)
    axes = channel_axes(shape)
    mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased: divide by M
    expected = (x - per_channel(mean, x.ndim)) / np.sqrt(per_channel(var, x.ndim) + 1e-5)
    expected = expected * per_channel(weight, x.ndim) + per_channel(bias, x.ndim)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-13)
    # Running statistics: in place, with the UNBIASED variance (divide by M - 1).
    np.testing.assert_allclose(running_mean, 0.1 * mean, rtol=1e-13)
    np.testing.assert_allclose(running_var, 0.9 + 0.1 * x.var(axis=axes, ddof=1), rtol=1e-13)


def test_batch_norm_eval_uses_running_statistics(rng):
    x = rng.standard_normal((5, 3, 2, 2))
    running_mean, running_var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    before = running_mean.copy(), running_var.copy()
    out = F.batch_norm(x, running_mean, running_var, training=False, eps=1e-3)
    expected = (x - per_channel(running_mean, 4)) / np.sqrt(per_channel(running_var, 4) + 1e-3)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13)
    np.testing.assert_array_equal(running_mean, before[0])  # untouched in evaluation
    np.testing.assert_array_equal(running_var, before[1])


def test_batch_norm_updates_tensor_running_stats_in_place(rng):
    running_mean, running_var = gl.tensor(np.zeros(3)), gl.tensor(np.ones(3))
    mean_array, var_array = running_mean.data, running_var.data
    x = rng.normal(1.0, 2.0, (8, 3))
    F.batch_norm(x, running_mean, running_var, training=True)
    assert running_mean.data is mean_array and running_var.data is var_array
    np.testing.assert_allclose(mean_array, 0.1 * x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(var_array, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-13)


# ----- batch_norm: gradients ---------------------------------------------------------


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, training, rng):
    channels = shape[1]
    x = rng.normal(0.5, 2.0, shape)
    weight, bias = rng.standard_normal(channels), rng.standard_normal(channels)
    running_mean, running_var = rng.standard_normal(channels), rng.uniform(0.5, 2.0, channels)

    def fn(a, w, b):
        return F.batch_norm(
            a, running_mean.copy(), running_var.copy(), w, b, training=training, eps=1e-3
        )

    result = gradcheck(fn, x, weight, bias)
    assert result, str(result)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck_without_weight_and_bias(training, rng):
    x = rng.standard_normal((4, 2, 3))
    stats = np.zeros(2), np.ones(2)
    result = gradcheck(lambda a: F.batch_norm(a, *stats, training=training), x)
    assert result, str(result)


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
def test_batch_norm_training_input_gradient_sums_to_zero_per_channel(shape, rng):
    # Shifting a channel's whole batch by c changes nothing after normalisation, so
    # the gradient along that direction, the sum over the batch, is zero.
    channels = shape[1]
    x = gl.tensor(rng.normal(3.0, 2.0, shape), requires_grad=True)
    weight = gl.tensor(rng.standard_normal(channels), requires_grad=True)
    out = F.batch_norm(x, None, None, weight, rng.standard_normal(channels), training=True)
    out.backward(rng.standard_normal(shape))
    sums = x.grad.sum(axis=channel_axes(shape))
    scale = np.abs(x.grad).sum(axis=channel_axes(shape))
    assert np.all(np.abs(sums) < 1e-12 * scale), sums
    # ... and that is a property of training: in evaluation it does not hold.
    x.grad = None
    F.batch_norm(x, np.zeros(channels), np.ones(channels), training=False).backward(
        rng.standard_normal(shape)
    )
    assert np.all(np.abs(x.grad.sum(axis=channel_axes(shape))) > 1e-3)


def test_batch_norm_function_on_numpy_arrays_closed_form(rng):
    x = rng.standard_normal((6, 3, 2, 2))
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    grad = rng.standard_normal(x.shape)
    ctx = Context()
    out = BatchNorm.forward(ctx, x, None, None, weight, bias, training=True)
    dx, dweight, dbias = BatchNorm.backward(ctx, grad)
    axes, m = (0, 2, 3), 6 * 2 * 2
    x_hat = (out - per_channel(bias, 4)) / per_channel(weight, 4)
    np.testing.assert_allclose(dbias, grad.sum(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(dweight, (grad * x_hat).sum(axis=axes), rtol=1e-10)
    # The long form of the input gradient, through dL/dvar and dL/dmean (cs231n style).
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    dx_hat = grad * per_channel(weight, 4)
    dvar = (dx_hat * (x - mean) * -0.5 * (var + 1e-5) ** -1.5).sum(axis=axes, keepdims=True)
    dmean = (-dx_hat / np.sqrt(var + 1e-5)).sum(axis=axes, keepdims=True) + dvar * (
        -2 * (x - mean)
    ).mean(axis=axes, keepdims=True)
    expected = dx_hat / np.sqrt(var + 1e-5) + dvar * 2 * (x - mean) / m + dmean / m
    np.testing.assert_allclose(dx, expected, rtol=1e-9, atol=1e-12)
    # Without weight and bias, backward returns dx alone.
    ctx = Context()
    BatchNorm.forward(ctx, x, None, None, training=True)
    assert len(BatchNorm.backward(ctx, grad)) == 1


@pytest.mark.parametrize("length", [1, 5, 63, 64, 100])
def test_batch_norm_sums_of_products_are_the_same_for_short_and_long_rows(length, rng):
    # Rows of 64 values or more are summed with matrix products, shorter ones with einsum.
    a, b = rng.standard_normal((2, 3, 7, length))
    expected = (a * b).sum(axis=(0, 2))
    np.testing.assert_allclose(normalization._sum_of_products(a, b), expected, rtol=1e-12)


def test_batch_norm_backward_by_hand_twice_gives_the_same_gradients(rng):
    # Training keeps x - mean for the backward, which turns it into dx in place; a second
    # backward must compute x - mean again, not start from the first one's dx.
    shape = (4, 3, 8, 8)
    x, grad = rng.normal(1.0, 2.0, shape), rng.standard_normal(shape)
    weight, bias = rng.standard_normal(3), rng.standard_normal(3)
    ctx = Context()
    out = BatchNorm.forward(ctx, x, None, None, weight, bias, training=True)
    out_before, grad_before = out.copy(), grad.copy()
    first = BatchNorm.backward(ctx, grad)
    first_before = [a.copy() for a in first]
    second = BatchNorm.backward(ctx, grad)
    for a, a_before, b in zip(first, first_before, second):
        np.testing.assert_array_equal(a, a_before)  # the second did not change the first
        np.testing.assert_allclose(b, a_before, rtol=1e-12, atol=1e-15)
        assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(out, out_before)
    np.testing.assert_array_equal(grad, grad_before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_gradients_do_not_change_later(dtype, rng):
    # The engine keeps a large gradient (here the float64 one) as the leaf's .grad when
    # nothing else refers to it, and copies a smaller one (the float32 one), or one a hook
    # was shown. Either way, the first backward's results, the gradient passed in and what
    # the hooks were shown must not change later.
    shape = (16, 4, 16, 16)
    data = rng.normal(1.0, 2.0, shape).astype(dtype)
    assert (data.nbytes >= engine._CHECK_SHARING_FROM_BYTES) == (dtype == np.float64)
    grad = rng.standard_normal(shape).astype(dtype)
    grad_before = grad.copy()
    weight = gl.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    x, x_hooked = (gl.tensor(data, requires_grad=True) for _ in range(2))
    shown = {"out": [], "x": []}
    x_hooked.register_hook(lambda g: shown["x"].append(g))
    out = F.batch_norm(x, None, None, weight, None, training=True)
    out.register_hook(lambda g: shown["out"].append(g))
    out.backward(grad)
    F.batch_norm(x_hooked, None, None, weight, None, training=True).backward(grad)
    first = x.grad
    first_before = first.copy()
    np.testing.assert_array_equal(x_hooked.grad, first_before)
    out.backward(grad)  # through the same graph again: the gradients add up
    np.testing.assert_array_equal(first, first_before)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(x.grad, 2 * first_before, rtol=rtol)
    x_hooked.grad *= 0  # changing .grad in place changes nothing a hook kept
    np.testing.assert_array_equal(shown["x"][0].data, first_before)
    for g in shown["out"]:
        np.testing.assert_array_equal(g.data, grad_before)
    np.testing.assert_array_equal(grad, grad_before)
    assert x.grad.dtype == x_hooked.grad.dtype == dtype


# ----- batch_norm: errors -----------------------------------------------------------


def test_batch_norm_wrong_number_of_channels_is_explained():
    x = np.zeros((4, 3, 5, 5))
    with pytest.raises(ValueError, match=r"running_mean must have shape \(C,\) = \(3,\).*\(4,\)"):
        F.batch_norm(x, np.zeros(4), np.ones(4), training=False)
    with pytest.raises(ValueError, match=r"weight must have shape \(C,\) = \(3,\).*\(4, 3, 5, 5\)"):
        F.batch_norm(x, None, None, np.ones(4), training=True)


def test_batch_norm_other_bad_input():
    with pytest.raises(ValueError, match=r"both must be given"):
        F.batch_norm(np.zeros((4, 3)), None, None, training=False)
    with pytest.raises(ValueError, match=r"more than one value per channel"):
        F.batch_norm(np.zeros((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\)"):
        F.batch_norm(np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(TypeError, match=r"updated\s+in place"):
        F.batch_norm(np.zeros((4, 3)), [0.0, 0.0, 0.0], np.ones(3), training=True)


# ----- layer_norm -----------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, normalized_shape", [((4, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))], ids=str
)
def test_layer_norm_values_and_gradcheck(shape, normalized_shape, rng):
    x = rng.normal(1.0, 2.0, shape)
    norm_shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    weight, bias = rng.standard_normal(norm_shape), rng.standard_normal(norm_shape)
    axes = tuple(range(x.ndim - len(norm_shape), x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * weight + bias
    out = F.layer_norm(x, normalized_shape, weight, bias)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-13)
    result = gradcheck(lambda a, w, b: F.layer_norm(a, normalized_shape, w, b), x, weight, bias)
    assert result, str(result)
    assert gradcheck(lambda a: F.layer_norm(a, normalized_shape), x)


def test_layer_norm_function_on_numpy_arrays(rng):
    x, grad = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    weight = rng.standard_normal(4)
    ctx = Context()
    LayerNorm.forward(ctx, x, (4,), weight, None)
    dx, dweight = LayerNorm.backward(ctx, grad)
    # Each sample's input gradient sums to zero (shifting a row changes nothing).
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-12)
    x_hat = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(dweight, (grad * x_hat).sum(axis=0), rtol=1e-12)


def test_layer_norm_bad_shapes_are_explained():
    with pytest.raises(
        ValueError, match=r"normalized_shape \(3,\).*\(2, 4\).*normalized_shape=\(4,\)"
    ):
        F.layer_norm(np.zeros((2, 4)), 3)
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape = \(4,\)"):
        F.layer_norm(np.zeros((2, 4)), 4, np.ones(3))


# ----- PyTorch cross-checks ---------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [(8, 3), (6, 3, 4, 4), (32, 4, 16, 16)],
    # rows of H * W >= 64 values take the other route for the sums of products, and the
    # input's gradient (256 KiB) is large enough to be kept without a copy (test_engine.py)
    ids=["BatchNorm1d", "BatchNorm2d", "BatchNorm2d-long-rows"],
)
def test_batch_norm_training_steps_match_torch(torch, shape, rng):
    channels = shape[1]
    weight, bias = rng.standard_normal(channels), rng.standard_normal(channels)
    running = np.zeros(channels), np.ones(channels)
    module = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(
        channels, momentum=0.2, eps=1e-4
    )
    with torch.no_grad():
        module.weight.copy_(torch.tensor(weight))
        module.bias.copy_(torch.tensor(bias))
    w, b = gl.tensor(weight, requires_grad=True), gl.tensor(bias, requires_grad=True)
    for step in range(4):
        x = rng.normal(step, 1.0 + step, shape)
        grad = rng.standard_normal(shape)
        xt = gl.tensor(x, requires_grad=True)
        w.grad = b.grad = None
        out = F.batch_norm(xt, *running, w, b, training=True, momentum=0.2, eps=1e-4)
        out.backward(grad)
        x_torch = torch.tensor(x, requires_grad=True)
        module.zero_grad()
        expected = module(x_torch)
        expected.backward(torch.tensor(grad))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(w.grad, module.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b.grad, module.bias.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(running[0], module.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(running[1], module.running_var.numpy(), rtol=1e-12)
    # Evaluation with the statistics both have accumulated.
    module.eval()
    x = rng.standard_normal(shape)
    out = F.batch_norm(x, *running, weight, bias, training=False, eps=1e-4)
    np.testing.assert_allclose(
        out.data, module(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12
    )


def test_batch_norm_eval_gradients_match_torch(torch, rng):
    x, weight, bias = (
        rng.standard_normal((4, 3, 2, 2)),
        rng.standard_normal(3),
        rng.standard_normal(3),
    )
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2.0, 3)
    grad = rng.standard_normal(x.shape)
    ts = [gl.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    F.batch_norm(ts[0], mean, var, ts[1], ts[2]).backward(grad)
    tt = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    torch.nn.functional.batch_norm(
        tt[0], torch.tensor(mean), torch.tensor(var), tt[1], tt[2]
    ).backward(torch.tensor(grad))
    for ours, theirs in zip(ts, tt):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("with_affine", [True, False])
def test_layer_norm_matches_torch(torch, with_affine, rng):
    x = rng.normal(1.0, 3.0, (2, 3, 4, 5))
    arrays = [x] + (
        [rng.standard_normal((4, 5)), rng.standard_normal((4, 5))] if with_affine else []
    )
    grad = rng.standard_normal(x.shape)
    ts = [gl.tensor(a, requires_grad=True) for a in arrays]
    out = F.layer_norm(ts[0], (4, 5), *ts[1:], eps=1e-4)
    out.backward(grad)
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch.nn.functional.layer_norm(tt[0], (4, 5), *tt[1:], eps=1e-4)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(ts, tt):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
