"""max_pool2d and avg_pool2d: gradcheck, PyTorch's conventions, gradient sums, errors.

Gradchecks use inputs whose values are all at least 0.1 apart, so a max never
changes hands under the finite-difference step. The tie, NaN and overlap
conventions are asserted from the numbers in REFERENCES.md and cross-checked
against PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradlib as gl
from gradlib import Context, gradcheck
from gradlib import functional as F
from gradlib.pooling import AvgPool2d, MaxPool2d

# (kernel_size, stride, padding): non-overlapping, overlapping, padded, rectangular.
CONFIGS = [
    (2, None, 0),
    (2, 2, 0),
    (3, 2, 1),
    (3, 1, 1),
    (2, 1, 0),
    (3, 3, 1),
    ((3, 2), (1, 2), (1, 0)),
    ((2, 3), (2, 1), (1, 1)),
]


def distinct(rng, shape):
    """Values at least 0.1 apart (a shuffled ramp plus small noise): no ties anywhere."""
    n = int(np.prod(shape))
    ramp = rng.permutation(n).astype(np.float64) * 0.1 + rng.uniform(0, 0.02, n)
    return (ramp - ramp.mean()).reshape(shape)


def backward_with(fn, x, grad=None):
    """Run fn on x, backpropagate grad (default ones); return (out, dx) as arrays."""
    t = gl.tensor(x, requires_grad=True)
    out = fn(t)
    out.backward(np.ones(out.shape) if grad is None else grad)
    return out.data, t.grad


def torch_backward(torch, fn, x, grad=None):
    t = torch.tensor(x, requires_grad=True)
    out = fn(t)
    out.backward(torch.ones_like(out) if grad is None else torch.tensor(grad))
    return out.detach().numpy(), t.grad.numpy()


# ----- gradcheck -----------------------------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", CONFIGS, ids=str)
def test_max_pool2d_gradcheck(kernel, stride, padding, rng):
    x = distinct(rng, (2, 2, 7, 6))
    result = gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), x)
    assert result, str(result)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel, stride, padding", CONFIGS, ids=str)
def test_avg_pool2d_gradcheck(kernel, stride, padding, count_include_pad, rng):
    x = rng.standard_normal((2, 2, 7, 6))
    result = gradcheck(
        lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=count_include_pad), x
    )
    assert result, str(result)


def test_pooling_gradcheck_unbatched_input(rng):
    x = distinct(rng, (3, 5, 5))
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1), x)
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), x)


# ----- values from first principles ------------------------------------------------


def test_max_pool2d_values_from_a_python_loop(rng):
    x = distinct(rng, (2, 3, 7, 6))
    out = F.max_pool2d(x, 3, 2, 1).data
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    assert out.shape == (2, 3, 4, 3)
    for h in range(4):
        for w in range(3):
            window = padded[:, :, 2 * h : 2 * h + 3, 2 * w : 2 * w + 3]
            np.testing.assert_array_equal(out[:, :, h, w], window.max(axis=(2, 3)))


def test_avg_pool2d_values_from_a_python_loop(rng):
    x = rng.standard_normal((1, 2, 5, 4))
    with_pad = F.avg_pool2d(x, 3, 2, 1).data
    without = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False).data
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    real = np.pad(np.ones_like(x), ((0, 0), (0, 0), (1, 1), (1, 1)))
    for h in range(3):
        for w in range(2):
            window = (slice(None), slice(None), slice(2 * h, 2 * h + 3), slice(2 * w, 2 * w + 3))
            total = padded[window].sum(axis=(2, 3))
            np.testing.assert_allclose(with_pad[:, :, h, w], total / 9, rtol=1e-14)
            count = real[window].sum(axis=(2, 3))
            np.testing.assert_allclose(without[:, :, h, w], total / count, rtol=1e-14)


# ----- the conventions of REFERENCES.md, exactly -----------------------------------


def test_max_pool_overlapping_windows_add_gradients_centre_gets_4():
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])
    out, dx = backward_with(lambda t: F.max_pool2d(t, 2, 1), x)
    np.testing.assert_array_equal(out, [[[[9.0, 9.0], [9.0, 9.0]]]])
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 4.0
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_tie_gives_the_whole_gradient_to_the_first_maximum():
    out, dx = backward_with(lambda t: F.max_pool2d(t, 2), np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(dx, [[[[1.0, 0.0], [0.0, 0.0]]]])
    # First in row-major order: row 0 beats row 1 even when row 1's tie is further left.
    x = np.array([[[[0.0, 5.0], [5.0, 1.0]]]])
    _, dx = backward_with(lambda t: F.max_pool2d(t, 2), x)
    np.testing.assert_array_equal(dx, [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_max_pool_nan_counts_as_the_maximum():
    x = np.array([[[[1.0, 7.0], [np.nan, 2.0]]]])
    out, dx = backward_with(lambda t: F.max_pool2d(t, 2), x)
    assert np.isnan(out).all()
    np.testing.assert_array_equal(dx, [[[[0.0, 0.0], [1.0, 0.0]]]])


def test_avg_pool_count_include_pad_gradients_1_and_2_25():
    ones = np.ones((1, 1, 2, 2))
    _, dx = backward_with(lambda t: F.avg_pool2d(t, 2, 1, 1), ones)
    np.testing.assert_allclose(dx, np.full((1, 1, 2, 2), 1.0), rtol=1e-15)
    _, dx = backward_with(lambda t: F.avg_pool2d(t, 2, 1, 1, count_include_pad=False), ones)
    np.testing.assert_allclose(dx, np.full((1, 1, 2, 2), 2.25), rtol=1e-15)


# ----- where the gradient goes: its sum ---------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", CONFIGS, ids=str)
def test_max_pool_input_gradient_sums_to_output_gradient(kernel, stride, padding, rng):
    # Every window passes its whole gradient to exactly one real input.
    x = rng.standard_normal((2, 3, 7, 6))
    grad = rng.standard_normal(F.max_pool2d(x, kernel, stride, padding).shape)
    _, dx = backward_with(lambda t: F.max_pool2d(t, kernel, stride, padding), x, grad)
    np.testing.assert_allclose(dx.sum(), grad.sum(), rtol=1e-12)


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1), (3, 2), ((2, 3), (1, 2))], ids=str)
def test_avg_pool_without_padding_keeps_the_gradient_sum(kernel, stride, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    grad = rng.standard_normal(F.avg_pool2d(x, kernel, stride).shape)
    _, dx = backward_with(lambda t: F.avg_pool2d(t, kernel, stride), x, grad)
    np.testing.assert_allclose(dx.sum(), grad.sum(), rtol=1e-12)


def test_avg_pool_with_padding_loses_the_share_of_the_padding():
    # 2x2 ones, kernel 2, stride 1, padding 1: 9 windows with grad 1 (sum 9). With
    # count_include_pad=True each window sends 1/4 to each of its 4 slots and 20 of the
    # 36 slots are padding, so the input keeps 16/4 = 4; with False it keeps all 9.
    ones = np.ones((1, 1, 2, 2))
    _, dx = backward_with(lambda t: F.avg_pool2d(t, 2, 1, 1), ones)
    assert dx.sum() == pytest.approx(4.0, rel=1e-15)
    _, dx = backward_with(lambda t: F.avg_pool2d(t, 2, 1, 1, count_include_pad=False), ones)
    assert dx.sum() == pytest.approx(9.0, rel=1e-15)
    # 4x4 ones, kernel 3, stride 2, padding 1: 4 windows; the real slots are 4, 6, 6 and 9
    # of 9, so the input keeps (4 + 6 + 6 + 9) / 9 = 25/9 of the output's 4.
    _, dx = backward_with(lambda t: F.avg_pool2d(t, 3, 2, 1), np.ones((1, 1, 4, 4)))
    assert dx.sum() == pytest.approx(25 / 9, rel=1e-14)


# ----- the Function on plain arrays --------------------------------------------------


def test_function_forward_and_backward_on_numpy_arrays(rng):
    x = distinct(rng, (2, 3, 6, 6))
    grad = rng.standard_normal((2, 3, 3, 3))
    ctx = Context()
    out = MaxPool2d.forward(ctx, x, 3, 2, 1)
    dx = MaxPool2d.backward(ctx, grad)
    ref_out, ref_dx = backward_with(lambda t: F.max_pool2d(t, 3, 2, 1), x, grad)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(dx, ref_dx)

    ctx = Context()
    out = AvgPool2d.forward(ctx, x, 3, 2, 1, count_include_pad=False)
    dx = AvgPool2d.backward(ctx, grad)
    ref_out, ref_dx = backward_with(
        lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), x, grad
    )
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(dx, ref_dx)


def test_unbatched_input_matches_a_batch_of_one(rng):
    x = distinct(rng, (3, 6, 5))
    for fn in (lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 2, 1, 1)):
        out, dx = backward_with(fn, x)
        out4, dx4 = backward_with(fn, x[None])
        assert out.shape == out4.shape[1:] and dx.shape == x.shape
        np.testing.assert_array_equal(out, out4[0])
        np.testing.assert_array_equal(dx, dx4[0])


def test_integer_input_and_float32_are_handled():
    x = np.arange(16).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.max_pool2d(x, 2).data, [[[[5.0, 7.0], [13.0, 15.0]]]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2).data, [[[[2.5, 4.5], [10.5, 12.5]]]])
    x32 = x.astype(np.float32)
    assert F.max_pool2d(x32, 2, 1, 1).dtype == np.float32
    assert F.avg_pool2d(x32, 2, 1, 1).dtype == np.float32


# ----- errors a learner can act on ---------------------------------------------------


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_padding_more_than_half_the_kernel_is_refused(pool):
    with pytest.raises(ValueError, match=r"padding should be at most half of the kernel size"):
        pool(np.zeros((1, 1, 5, 5)), 3, 1, 2)
    with pytest.raises(ValueError, match=r"kernel_size // 2"):
        pool(np.zeros((1, 1, 5, 5)), (2, 4), 1, (2, 0))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_kernel_larger_than_the_padded_input_is_refused(pool):
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) is larger than the padded input"):
        pool(np.zeros((1, 1, 3, 3)), 5, 1, 0)
    # Padding 1 makes 3x3 into 5x5, which a kernel of 4 then fits.
    assert pool(np.zeros((1, 1, 3, 3)), 4, 1, 1).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_bad_shapes_and_arguments_are_refused(pool):
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\).*\(4, 4\)"):
        pool(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=r"must be positive"):
        pool(np.zeros((1, 1, 4, 4)), 2, 0)
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a pair"):
        pool(np.zeros((1, 1, 4, 4)), (2, 2, 2))


# ----- PyTorch cross-checks ---------------------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", CONFIGS, ids=str)
def test_max_pool2d_matches_torch(torch, kernel, stride, padding, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    grad = rng.standard_normal(F.max_pool2d(x, kernel, stride, padding).shape)
    ours = backward_with(lambda t: F.max_pool2d(t, kernel, stride, padding), x, grad)
    theirs = torch_backward(
        torch, lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding), x, grad
    )
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel, stride, padding", CONFIGS, ids=str)
def test_avg_pool2d_matches_torch(torch, kernel, stride, padding, count_include_pad, rng):
    x = rng.standard_normal((2, 3, 7, 6))

    def ours_fn(t):
        return F.avg_pool2d(t, kernel, stride, padding, count_include_pad=count_include_pad)

    def torch_fn(t):
        return torch.nn.functional.avg_pool2d(
            t, kernel, stride, padding, count_include_pad=count_include_pad
        )

    grad = rng.standard_normal(ours_fn(x).shape)
    ours, theirs = backward_with(ours_fn, x, grad), torch_backward(torch, torch_fn, x, grad)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (2, 1, 1), (3, 1, 1), (3, 2, 1)])
def test_max_pool2d_ties_nan_and_inf_match_torch(torch, kernel, stride, padding, rng):
    # Few distinct values: ties everywhere. Then some NaNs (several in one window: the
    # last NaN in row-major order wins, in PyTorch and here) and all -inf windows next
    # to the -inf padding (the first real entry wins, never the padding).
    x = rng.integers(0, 3, (2, 2, 6, 6)).astype(np.float64)
    x[0, 0, 1:3, 1:3] = np.nan
    x[0, 1, 3, 4] = np.nan
    x[1, 0, :3, :3] = -np.inf
    x[1, 1] = -np.inf
    grad = rng.standard_normal(F.max_pool2d(x, kernel, stride, padding).shape)
    ours = backward_with(lambda t: F.max_pool2d(t, kernel, stride, padding), x, grad)
    theirs = torch_backward(
        torch, lambda t: torch.nn.functional.max_pool2d(t, kernel, stride, padding), x, grad
    )
    np.testing.assert_array_equal(ours[0], theirs[0])  # NaNs in the same places
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-14, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    sh=st.integers(1, 3),
    sw=st.integers(1, 3),
)
def test_pooling_any_geometry_matches_torch(torch, data, h, w, kh, kw, sh, sw):
    ph = data.draw(st.integers(0, kh // 2))
    pw = data.draw(st.integers(0, kw // 2))
    if h + 2 * ph < kh or w + 2 * pw < kw:
        return
    x = np.random.default_rng(h * 100 + w).integers(-2, 3, (2, 2, h, w)).astype(np.float64)
    args = ((kh, kw), (sh, sw), (ph, pw))
    for ours_fn, torch_fn in (
        (F.max_pool2d, torch.nn.functional.max_pool2d),
        (F.avg_pool2d, torch.nn.functional.avg_pool2d),
    ):
        ours = backward_with(lambda t, f=ours_fn: f(t, *args), x)
        theirs = torch_backward(torch, lambda t, f=torch_fn: f(t, *args), x)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-13, atol=1e-15)
