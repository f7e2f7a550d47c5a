"""linear and conv2d: gradcheck, values from first principles, im2col, errors, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib import Context, gradcheck
from gradlib import functional as F
from gradlib.conv import Conv2d, Linear, col2im, im2col

# (kernel (kH, kW), stride, padding)
CONV_CONFIGS = [
    ((3, 3), 1, 0),
    ((3, 3), 1, 1),
    ((3, 3), 2, 1),
    ((2, 3), (2, 1), (1, 0)),
    ((1, 1), 1, 0),
    ((4, 4), 3, 2),
]


def conv_reference(x, weight, bias, stride, padding):
    """Direct definition: a Python loop over output pixels (slow, obviously right)."""
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    c_out, _, kh, kw = weight.shape
    ho, wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], c_out, ho, wo))
    for h in range(ho):
        for w in range(wo):
            patch = xp[:, :, h * sh : h * sh + kh, w * sw : w * sw + kw]  # (N, C, kH, kW)
            out[:, :, h, w] = np.einsum("ncij,ocij->no", patch, weight)
    return out if bias is None else out + bias[None, :, None, None]


# ----- linear --------------------------------------------------------------------


@pytest.mark.parametrize("input_shape", [(3,), (4, 3), (2, 5, 3)], ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_value_and_gradcheck(input_shape, with_bias, rng):
    x = rng.standard_normal(input_shape)
    weight = rng.standard_normal((2, 3))
    bias = rng.standard_normal(2) if with_bias else None
    out = F.linear(x, weight, bias)
    assert out.shape == input_shape[:-1] + (2,)
    expected = np.einsum("...i,oi->...o", x, weight) + (0 if bias is None else bias)
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-15)
    if with_bias:
        result = gradcheck(lambda a, w, b: F.linear(a, w, b), x, weight, bias)
    else:
        result = gradcheck(lambda a, w: F.linear(a, w), x, weight)
    assert result, str(result)


def test_linear_gradients_closed_form(rng):
    x, weight, bias = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((2, 3)),
        rng.standard_normal(2),
    )
    grad = rng.standard_normal((4, 2))
    ctx = Context()
    Linear.forward(ctx, x, weight, bias)
    dx, dweight, dbias = Linear.backward(ctx, grad)
    np.testing.assert_allclose(dx, grad @ weight, rtol=1e-14)
    np.testing.assert_allclose(dweight, grad.T @ x, rtol=1e-14)
    np.testing.assert_allclose(dbias, grad.sum(axis=0), rtol=1e-14)
    # Without a bias there are two gradients, for the two inputs.
    ctx = Context()
    Linear.forward(ctx, x, weight)
    assert len(Linear.backward(ctx, grad)) == 2


def test_linear_wrong_shape_names_both_shapes_and_the_fix():
    x = np.zeros((32, 10))
    with pytest.raises(ValueError, match=r"\(32, 10\).*\(5, 20\).*in_features=20") as info:
        F.linear(x, np.zeros((5, 20)))
    assert "(..., 20)" in str(info.value)
    # A transposed weight: the message says so.
    with pytest.raises(ValueError, match=r"\(32, 10\).*\(10, 5\).*weight\.T"):
        F.linear(x, np.zeros((10, 5)))
    with pytest.raises(ValueError, match=r"bias must have shape \(out_features,\) = \(5,\)"):
        F.linear(x, np.zeros((5, 10)), np.zeros(10))
    with pytest.raises(ValueError, match=r"weight must be 2-D"):
        F.linear(x, np.zeros(10))


def test_linear_matches_torch(torch, rng):
    x, weight, bias = (
        rng.standard_normal((2, 4, 3)),
        rng.standard_normal((5, 3)),
        rng.standard_normal(5),
    )
    grad = rng.standard_normal((2, 4, 5))
    ts = [gl.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    F.linear(*ts).backward(grad)
    tt = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    out = torch.nn.functional.linear(*tt)
    out.backward(torch.tensor(grad))
    np.testing.assert_allclose(F.linear(x, weight, bias).data, out.detach().numpy(), rtol=1e-13)
    for ours, theirs in zip(ts, tt):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


# ----- conv2d ---------------------------------------------------------------------


@pytest.mark.parametrize("kernel, stride, padding", CONV_CONFIGS, ids=str)
def test_conv2d_values_match_the_definition(kernel, stride, padding, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    weight = rng.standard_normal((4, 3) + kernel)
    bias = rng.standard_normal(4)
    out = F.conv2d(x, weight, bias, stride, padding).data
    np.testing.assert_allclose(
        out, conv_reference(x, weight, bias, stride, padding), rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize("kernel, stride, padding", CONV_CONFIGS, ids=str)
def test_conv2d_gradcheck(kernel, stride, padding, rng):
    x = rng.standard_normal((2, 2, 5, 6))
    weight = rng.standard_normal((3, 2) + kernel)
    bias = rng.standard_normal(3)
    result = gradcheck(lambda a, w, b: F.conv2d(a, w, b, stride, padding), x, weight, bias)
    assert result, str(result)


def test_conv2d_gradcheck_without_bias_and_unbatched(rng):
    x = rng.standard_normal((2, 5, 5))
    weight = rng.standard_normal((3, 2, 3, 3))
    assert gradcheck(lambda a, w: F.conv2d(a, w, stride=2, padding=1), x, weight)
    out = F.conv2d(x, weight, padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(
        out.data, F.conv2d(x[None], weight, padding=1).data[0], rtol=1e-14, atol=1e-15
    )


def test_im2col_and_col2im_are_adjoint(rng):
    # col2im is the transpose of im2col: <im2col(x), c> == <x, col2im(c)> for all x, c,
    # which is exactly what makes dx = col2im(dcols) the right gradient.
    x = rng.standard_normal((2, 3, 6, 7))
    for kernel, stride in (((3, 3), (1, 1)), ((2, 3), (2, 1)), ((3, 2), (3, 3))):
        out_hw = tuple((n - k) // s + 1 for n, k, s in zip(x.shape[2:], kernel, stride))
        cols = im2col(x, kernel, stride, out_hw)
        assert cols.shape == (3 * kernel[0] * kernel[1], 2 * out_hw[0] * out_hw[1])
        c = rng.standard_normal(cols.shape)
        back = col2im(c, x.shape, kernel, stride, out_hw)
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


def test_conv2d_function_on_numpy_arrays_and_gradient_formulas(rng):
    x = rng.standard_normal((2, 3, 5, 5))
    weight = rng.standard_normal((4, 3, 3, 3))
    bias = rng.standard_normal(4)
    grad = rng.standard_normal((2, 4, 5, 5))
    ctx = Context()
    out = Conv2d.forward(ctx, x, weight, bias, stride=1, padding=1)
    dx, dweight, dbias = Conv2d.backward(ctx, grad)
    np.testing.assert_allclose(out, conv_reference(x, weight, bias, 1, 1), rtol=1e-12)
    np.testing.assert_allclose(dbias, grad.sum(axis=(0, 2, 3)), rtol=1e-13)
    # dW[o, c, i, j] = sum over n, h, w of grad[n, o, h, w] * xp[n, c, h + i, w + j]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(3):
        for j in range(3):
            expected = np.einsum("nohw,nchw->oc", grad, xp[:, :, i : i + 5, j : j + 5])
            np.testing.assert_allclose(dweight[:, :, i, j], expected, rtol=1e-12)
    assert dx.shape == x.shape


def test_conv2d_skips_the_input_gradient_nobody_needs(rng):
    x = gl.tensor(rng.standard_normal((1, 2, 4, 4)))  # data: no gradient wanted
    weight = gl.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    F.conv2d(x, weight).sum().backward()
    assert x.grad is None
    assert weight.grad.shape == (3, 2, 3, 3)


def test_conv2d_wrong_channels_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(8, 3, 32, 32\) has 3 channels.*\(16, 8, 3, 3\)"):
        F.conv2d(np.zeros((8, 3, 32, 32)), np.zeros((16, 8, 3, 3)))
    # Channels-last input: the message suggests the transpose.
    with pytest.raises(ValueError, match=r"channels-last.*transpose\(0, 3, 1, 2\)"):
        F.conv2d(np.zeros((8, 32, 32, 3)), np.zeros((16, 3, 3, 3)))


def test_conv2d_other_bad_arguments():
    x = np.zeros((1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the padded input"):
        F.conv2d(x, np.zeros((1, 2, 5, 5)))
    assert F.conv2d(x, np.zeros((1, 2, 5, 5)), padding=1).shape == (1, 1, 1, 1)
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(1,\)"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"weight must be 4-D"):
        F.conv2d(x, np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"stride must be positive"):
        F.conv2d(x, np.zeros((1, 2, 3, 3)), stride=0)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\)"):
        F.conv2d(np.zeros((3, 3)), np.zeros((1, 2, 3, 3)))


@pytest.mark.parametrize("kernel, stride, padding", CONV_CONFIGS, ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_matches_torch(torch, kernel, stride, padding, with_bias, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    weight = rng.standard_normal((4, 3) + kernel)
    arrays = [x, weight] + ([rng.standard_normal(4)] if with_bias else [])
    ts = [gl.tensor(a, requires_grad=True) for a in arrays]
    out = F.conv2d(*ts[:2], ts[2] if with_bias else None, stride, padding)
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected = torch.nn.functional.conv2d(*tt[:2], tt[2] if with_bias else None, stride, padding)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    for ours, theirs in zip(ts, tt):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-13)


def test_conv2d_float32_stays_float32(rng):
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    weight = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    assert F.conv2d(x, weight, np.zeros(3, np.float32), padding=1).dtype == np.float32
