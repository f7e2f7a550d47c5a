"""Losses: gradchecks, PyTorch cross-checks, closed forms, extreme logits, bad targets.

Every loss is gradchecked in float64 for each reduction, at points away from
its kinks. Losses with a PyTorch twin are compared with it (values and the
gradients of input and, where it is real-valued, target); the others
(pseudo-Huber, binary hinge, SM-Softmax, AM-Softmax, L-Softmax) against their
formulas written out independently here, and against the same formula written
with PyTorch ops.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradlib as gl
from gradlib import Context, gradcheck, losses
from gradlib import functional as F

REDUCTIONS = ["mean", "sum", "none"]


def assert_gradcheck(fn, *inputs):
    result = gradcheck(fn, *inputs)
    assert result.passed, str(result)


def residuals_away_from(rng, shape, kinks, gap=0.05, scale=2.0):
    """Random residuals at least ``gap`` from every value in ``kinks``."""
    a = rng.normal(scale=scale, size=shape)
    for kink in kinks:
        close = np.abs(a - kink) < gap
        a = np.where(close, kink + np.copysign(gap * 2, a - kink), a)
    return a


def log_softmax_reference(z):
    """log softmax along axis 1, written out: z - max - log(sum(exp(z - max)))."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def reduce_reference(values, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


# ----- gradcheck of every loss and reduction -------------------------------------------------

# name -> (loss(input, target, reduction), kinks of the residual input - target)
REAL_TARGET_LOSSES = {
    "mse": (lambda x, y, r: F.mse_loss(x, y, reduction=r), []),
    "l1": (lambda x, y, r: F.l1_loss(x, y, reduction=r), [0.0]),
    "huber 1": (lambda x, y, r: F.huber_loss(x, y, reduction=r), [-1.0, 1.0]),
    "huber 0.3": (lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=0.3), [-0.3, 0.3]),
    "smooth_l1 1": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r), [-1.0, 1.0]),
    "smooth_l1 2.5": (
        lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=2.5),
        [-2.5, 2.5],
    ),
    "smooth_l1 0": (lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0), [0.0]),
    "pseudo_huber 1": (lambda x, y, r: F.pseudo_huber_loss(x, y, reduction=r), []),
    "pseudo_huber 0.5": (
        lambda x, y, r: F.pseudo_huber_loss(x, y, reduction=r, delta=0.5),
        [],
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 3)], ids=str)
@pytest.mark.parametrize("name", REAL_TARGET_LOSSES)
def test_gradcheck_real_target_losses(name, shape, reduction, rng):
    loss, kinks = REAL_TARGET_LOSSES[name]
    y = rng.normal(size=shape)
    x = y + residuals_away_from(rng, shape, kinks)
    # both input and target are checked: their gradients are opposite
    assert_gradcheck(lambda x, y: loss(x, y, reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
def test_gradcheck_binary_cross_entropy(shape, reduction, rng):
    p = rng.uniform(0.05, 0.95, size=shape)
    y = rng.uniform(0.0, 1.0, size=shape)
    assert_gradcheck(lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction), p, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
def test_gradcheck_binary_cross_entropy_with_logits(shape, reduction, rng):
    x = rng.normal(scale=3.0, size=shape)
    y = rng.uniform(0.0, 1.0, size=shape)
    assert_gradcheck(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction), x, y
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_hinge(reduction, rng):
    y = rng.choice([-1, 1], size=(3, 4))
    margins = residuals_away_from(rng, (3, 4), [1.0])  # y f, kept off the kink at 1
    f = margins * y
    assert_gradcheck(lambda f: F.hinge_loss(f, y, reduction=reduction), f)


# name -> loss(logits, integer targets, reduction)
CLASS_LOSSES = {
    "nll": lambda x, t, r: F.nll_loss(F.log_softmax(x, dim=1), t, reduction=r),
    "nll raw": lambda x, t, r: F.nll_loss(x, t, reduction=r),
    "cross_entropy": lambda x, t, r: F.cross_entropy(x, t, reduction=r),
    "cross_entropy eps 0.2": lambda x, t, r: F.cross_entropy(
        x, t, reduction=r, label_smoothing=0.2
    ),
    "soft_margin 0.7": lambda x, t, r: F.soft_margin_softmax_loss(x, t, margin=0.7, reduction=r),
    "soft_margin 3": lambda x, t, r: F.soft_margin_softmax_loss(x, t, margin=3.0, reduction=r),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_gradcheck_class_losses(name, reduction, rng):
    x = rng.normal(scale=2.0, size=(5, 4))
    t = rng.integers(0, 4, size=5)
    assert_gradcheck(lambda x, t: CLASS_LOSSES[name](x, t, reduction), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_cross_entropy_spatial(reduction, rng):
    x = rng.normal(size=(2, 3, 2, 2))  # (N, C, H, W), classes on axis 1
    t = rng.integers(0, 3, size=(2, 2, 2))
    assert_gradcheck(lambda x: F.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1), x)
    assert_gradcheck(lambda x: F.soft_margin_softmax_loss(x, t, margin=0.5, reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_gradcheck_multi_margin(p, reduction, rng):
    n, c, margin = 5, 4, 0.7
    t = rng.integers(0, c, size=n)
    # choose x so every h = margin - x_t + x_j is at least 0.05 away from the kink at 0
    right = rng.normal(size=(n, 1))
    h = residuals_away_from(rng, (n, c), [0.0], scale=1.0)
    x = h - margin + right
    x[np.arange(n), t] = right[:, 0]
    assert_gradcheck(
        lambda x: F.multi_margin_loss(x, t, p=p, margin=margin, reduction=reduction), x
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("s, m", [(30.0, 0.35), (4.0, 0.2)])
def test_gradcheck_am_softmax(s, m, reduction, rng):
    x = rng.normal(size=(4, 3))
    w = rng.normal(size=(5, 3))
    t = np.array([0, 4, 2, 2])
    assert_gradcheck(lambda x, w: F.am_softmax_loss(x, w, t, s=s, m=m, reduction=reduction), x, w)


def features_at_angles(rng, weight, target, angles):
    """2-D features making the given angles with their target class's weight row."""
    base = np.arctan2(weight[target, 1], weight[target, 0])
    lengths = rng.uniform(0.5, 2.0, size=len(target))
    phi = base + angles * rng.choice([-1, 1], size=len(target))
    return lengths[:, None] * np.stack([np.cos(phi), np.sin(phi)], axis=1)


ANGLES = np.array([0.3, 1.2, 2.0, 2.8])  # >= 0.09 rad from every k pi / m for m = 1..4


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1, 2, 3, 4])
def test_gradcheck_large_margin_softmax(margin, reduction, rng):
    w = rng.normal(size=(3, 2))
    t = np.array([0, 1, 2, 1])
    x = features_at_angles(rng, w, t, ANGLES)
    for blend in (0.0, 2.0):
        assert_gradcheck(
            lambda x, w, blend=blend: F.large_margin_softmax_loss(
                x, w, t, margin=margin, blend=blend, reduction=reduction
            ),
            x,
            w,
        )


@pytest.mark.parametrize("margin", [1, 2, 3, 4])
def test_gradcheck_large_margin_psi(margin):
    boundaries = np.arange(margin + 1) * np.pi / margin
    theta = np.linspace(0.05, np.pi - 0.05, 13)
    theta = theta[np.min(np.abs(theta[:, None] - boundaries), axis=1) > 0.05]
    assert_gradcheck(lambda c: losses.LargeMarginPsi.apply(c, margin), np.cos(theta))


# ----- the Functions on plain numpy arrays, without the engine ------------------------------


def test_functions_run_on_numpy_without_the_engine(rng):
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    n = x.size

    ctx = Context()
    loss = losses.MSELoss.forward(ctx, x, y)
    dx, dy = losses.MSELoss.backward(ctx, 1.0)
    np.testing.assert_allclose(loss, np.mean((x - y) ** 2))
    np.testing.assert_allclose(dx, 2 * (x - y) / n)  # REFERENCES: MSE gradient 2 (x - y) / N
    np.testing.assert_allclose(dy, -2 * (x - y) / n)

    ctx = Context()
    losses.L1Loss.forward(ctx, x, y, reduction="sum")
    dx, _ = losses.L1Loss.backward(ctx, 1.0)
    np.testing.assert_array_equal(dx, np.sign(x - y))

    ctx = Context()
    losses.HuberLoss.forward(ctx, x, y, delta=0.5)
    dx, _ = losses.HuberLoss.backward(ctx, 1.0)
    np.testing.assert_allclose(dx, np.clip(x - y, -0.5, 0.5) / n)

    logits, t = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    ctx = Context()
    losses.CrossEntropyLoss.forward(ctx, logits, t)
    d_logits = losses.CrossEntropyLoss.backward(ctx, 1.0)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    one_hot = np.eye(3)[t]
    np.testing.assert_allclose(d_logits, (softmax - one_hot) / 5)

    ctx = Context()
    losses.BCEWithLogitsLoss.forward(ctx, logits, softmax)
    dx, dy = losses.BCEWithLogitsLoss.backward(ctx, 1.0)
    np.testing.assert_allclose(dx, (1 / (1 + np.exp(-logits)) - softmax) / logits.size)
    np.testing.assert_allclose(dy, -logits / logits.size)

    ctx = Context()
    f, labels = np.array([2.0, 0.5, -1.0]), np.array([1, 1, -1])
    np.testing.assert_allclose(losses.HingeLoss.forward(ctx, f, labels, "none"), [0, 0.5, 0])
    np.testing.assert_allclose(losses.HingeLoss.backward(ctx, np.ones(3)), [0, -1, 0])


# ----- PyTorch cross-checks -------------------------------------------------------------------


def compare_with_torch(torch, ours, theirs, arrays, float_inputs, rtol=1e-10, atol=1e-12):
    """Run both losses; compare values and the gradients of the inputs in ``float_inputs``.

    ``arrays`` are numpy arrays; integer ones are targets. The upstream gradient
    is random for 'none', so every output element matters.
    """
    leaves = [gl.tensor(a, requires_grad=i in float_inputs) for i, a in enumerate(arrays)]
    tensors = [
        torch.tensor(a, requires_grad=i in float_inputs) if a.dtype.kind == "f" else torch.tensor(a)
        for i, a in enumerate(arrays)
    ]
    out, expected = ours(*leaves), theirs(*tensors)
    assert out.shape == tuple(expected.shape)
    assert out.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(1).normal(size=out.shape).astype(out.dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i in float_inputs:
        np.testing.assert_allclose(
            leaves[i].grad, tensors[i].grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input {i}"
        )


# name -> (gradlib loss, torch loss name, keyword options, kinks to include exactly)
TORCH_REAL = {
    "mse": (F.mse_loss, "mse_loss", {}, [0.0]),
    "l1": (F.l1_loss, "l1_loss", {}, [0.0]),
    "huber 0.5": (F.huber_loss, "huber_loss", {"delta": 0.5}, [0.0, 0.5, -0.5]),
    "huber 1": (F.huber_loss, "huber_loss", {"delta": 1.0}, [1.0, -1.0]),
    "huber 2.5": (F.huber_loss, "huber_loss", {"delta": 2.5}, [2.5, -2.5]),
    "smooth_l1 0": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.0}, [0.0]),
    "smooth_l1 0.5": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 0.5}, [0.5, -0.5]),
    "smooth_l1 1": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 1.0}, [0.0, 1.0, -1.0]),
    "smooth_l1 2": (F.smooth_l1_loss, "smooth_l1_loss", {"beta": 2.0}, [2.0, -2.0]),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", TORCH_REAL)
def test_regression_losses_match_torch(torch, name, reduction, rng):
    ours, theirs_name, options, kinks = TORCH_REAL[name]
    theirs = getattr(torch.nn.functional, theirs_name)
    x, y = rng.normal(scale=2.0, size=(4, 5)), rng.normal(size=(4, 5))
    # residuals exactly at the kinks: the conventions there must agree too
    y[0] = 0.0
    x[0, : len(kinks)] = kinks
    compare_with_torch(
        torch,
        lambda x, y: ours(x, y, reduction=reduction, **options),
        lambda x, y: theirs(x, y, reduction=reduction, **options),
        [x, y],
        float_inputs=[0, 1],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(torch, reduction, rng):
    p, y = rng.uniform(0.01, 0.99, size=(3, 4)), rng.uniform(size=(3, 4))
    y[0] = [0.0, 1.0, 0.0, 1.0]
    compare_with_torch(
        torch,
        lambda p, y: F.binary_cross_entropy(p, y, reduction=reduction),
        lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction=reduction),
        [p, y],
        float_inputs=[0, 1],
    )


def test_binary_cross_entropy_clamp_at_0_and_1(torch):
    """log is clamped at -100: p = 0 or 1 costs at most 100, and dL/dp stays finite."""
    p = np.array([0.0, 0.0, 1.0, 1.0, 1e-50])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    # the probability's gradient matches PyTorch everywhere, including at 0 and 1
    # (rtol 1e-8: PyTorch's floor is the float32 number nearest 1e-12, 4e-9 below it)
    compare_with_torch(
        torch,
        lambda p, y: F.binary_cross_entropy(p, y, reduction="none"),
        lambda p, y: torch.nn.functional.binary_cross_entropy(p, y, reduction="none"),
        [p, y],
        float_inputs=[0],
        rtol=1e-8,
    )
    p_t, y_t = gl.tensor(p, requires_grad=True), gl.tensor(y, requires_grad=True)
    out = F.binary_cross_entropy(p_t, y_t, reduction="none")
    np.testing.assert_allclose(out.data, [0, 100, 100, 0, 50])
    out.backward(np.ones(5))
    np.testing.assert_allclose(p_t.grad, [0, -1e12, 1e12, 0, -5e11])
    # the target's gradient uses the clamped logs too (PyTorch's is +-inf at 0 and 1)
    np.testing.assert_allclose(y_t.grad, [100, 100, -100, -100, 100])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_is_stable_where_bce_of_sigmoid_saturates(torch, dtype):
    """REFERENCES: at x = 20, y = 0 the logits form gives loss 20, gradient 1;
    binary_cross_entropy(sigmoid(x)) gives its clamp, 100, and gradient 0 (float32)."""
    x = gl.tensor(np.array([20.0], dtype=dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, np.zeros(1))
    loss.backward()
    assert loss.dtype == dtype and x.grad.dtype == dtype
    assert loss.item() == pytest.approx(20.0, rel=1e-6)
    assert x.grad[0] == pytest.approx(1.0, rel=1e-6)

    if dtype == np.float32:  # sigmoid(20) rounds to exactly 1.0 in float32
        x.zero_grad()
        saturated = F.binary_cross_entropy(F.sigmoid(x), np.zeros(1))
        saturated.backward()
        assert saturated.item() == pytest.approx(100.0)
        assert x.grad[0] == 0.0
        xt = torch.tensor([20.0], dtype=torch.float32, requires_grad=True)
        expected = torch.nn.functional.binary_cross_entropy(
            torch.sigmoid(xt), torch.zeros(1).float()
        )
        expected.backward()
        assert expected.item() == pytest.approx(100.0) and xt.grad.item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_matches_torch_including_extreme_logits(torch, dtype, reduction, rng):
    x = rng.normal(scale=3.0, size=(3, 4))
    x[0] = [1e4, -1e4, 20.0, -20.0]
    y = rng.uniform(size=(3, 4))
    y[0] = [0.0, 1.0, 0.0, 1.0]
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6}
    compare_with_torch(
        torch,
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction),
        lambda x, y: torch.nn.functional.binary_cross_entropy_with_logits(
            x, y, reduction=reduction
        ),
        [x.astype(dtype), y.astype(dtype)],
        float_inputs=[0, 1],
        **tol,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_matches_torch(torch, reduction, rng):
    log_p = log_softmax_reference(rng.normal(size=(6, 4)))
    t = rng.integers(0, 4, size=6)
    compare_with_torch(
        torch,
        lambda x, t: F.nll_loss(x, t, reduction=reduction),
        lambda x, t: torch.nn.functional.nll_loss(x, t, reduction=reduction),
        [log_p, t],
        float_inputs=[0],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.35, 1.0])
def test_cross_entropy_matches_torch(torch, label_smoothing, reduction, rng):
    x, t = rng.normal(scale=2.0, size=(6, 5)), rng.integers(0, 5, size=6)
    compare_with_torch(
        torch,
        lambda x, t: F.cross_entropy(x, t, reduction=reduction, label_smoothing=label_smoothing),
        lambda x, t: torch.nn.functional.cross_entropy(
            x, t, reduction=reduction, label_smoothing=label_smoothing
        ),
        [x, t],
        float_inputs=[0],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_extreme_logits_match_torch(torch, dtype, reduction):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]])
    t = np.array([1, 2, 0, 2])  # three very wrong answers and one tie
    tol = {"rtol": 1e-10, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-6, "atol": 1e-6}
    for eps in (0.0, 0.1):
        compare_with_torch(
            torch,
            lambda x, t, eps=eps: F.cross_entropy(x, t, reduction=reduction, label_smoothing=eps),
            lambda x, t, eps=eps: torch.nn.functional.cross_entropy(
                x, t, reduction=reduction, label_smoothing=eps
            ),
            [x.astype(dtype), t],
            float_inputs=[0],
            **tol,
        )


def test_cross_entropy_one_sample_and_spatial_match_torch(torch, rng):
    for reduction in REDUCTIONS:
        compare_with_torch(
            torch,
            lambda x, t, r=reduction: F.cross_entropy(x, t, reduction=r, label_smoothing=0.2),
            lambda x, t, r=reduction: torch.nn.functional.cross_entropy(
                x, t, reduction=r, label_smoothing=0.2
            ),
            [rng.normal(size=(2, 3, 4, 2)), rng.integers(0, 3, size=(2, 4, 2))],
            float_inputs=[0],
        )
        for ours, theirs in [
            (F.cross_entropy, torch.nn.functional.cross_entropy),
            (F.nll_loss, torch.nn.functional.nll_loss),
            (F.multi_margin_loss, torch.nn.functional.multi_margin_loss),
        ]:
            compare_with_torch(
                torch,
                lambda x, t, ours=ours, r=reduction: ours(x, t, reduction=r),
                lambda x, t, theirs=theirs, r=reduction: theirs(x, t, reduction=r),
                [rng.normal(size=4), np.array(2)],
                float_inputs=[0],
            )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_matches_torch(torch, p, margin, reduction, rng):
    x, t = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    compare_with_torch(
        torch,
        lambda x, t: F.multi_margin_loss(x, t, p=p, margin=margin, reduction=reduction),
        lambda x, t: torch.nn.functional.multi_margin_loss(
            x, t, p=p, margin=margin, reduction=reduction
        ),
        [x, t],
        float_inputs=[0],
    )


def test_multi_margin_at_the_kink_matches_torch(torch):
    x = np.array([[1.0, 0.0, 0.5], [2.0, 1.0, 1.0]])  # h = 0 exactly for (0, 1) and (1, 1)
    for p in (1, 2):
        compare_with_torch(
            torch,
            lambda x, t, p=p: F.multi_margin_loss(x, t, p=p, reduction="sum"),
            lambda x, t, p=p: torch.nn.functional.multi_margin_loss(x, t, p=p, reduction="sum"),
            [x, np.array([0, 0])],
            float_inputs=[0],
        )


def test_huge_logits_give_finite_losses_and_gradients():
    rng = np.random.default_rng(3)
    big = rng.choice([-1e4, 1e4], size=(4, 3)) * rng.uniform(0.5, 1.0, size=(4, 3))
    t = np.array([0, 1, 2, 0])
    labels = np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])
    cases = [
        lambda x: F.cross_entropy(x, t),
        lambda x: F.cross_entropy(x, t, label_smoothing=0.1),
        lambda x: F.nll_loss(F.log_softmax(x, dim=1), t),
        lambda x: F.multi_margin_loss(x, t, p=2),
        lambda x: F.binary_cross_entropy_with_logits(x, (labels > 0).astype(float)),
        lambda x: F.hinge_loss(x, labels),
        lambda x: F.am_softmax_loss(x, np.eye(3), t),
        lambda x: F.large_margin_softmax_loss(x, np.eye(3), t, margin=3),
        lambda x: F.soft_margin_softmax_loss(x, t, margin=np.float64(2.0)),
    ]
    for dtype in (np.float64, np.float32):
        for case in cases:
            x = gl.tensor(big.astype(dtype), requires_grad=True)
            loss = case(x)
            loss.backward()
            assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad))
            assert x.grad.dtype == dtype


# ----- closed forms for the losses PyTorch does not have -----------------------------------------


def test_pseudo_huber_reference_numbers():
    a = np.array([1.0, 5.0, -5.0])
    out = F.pseudo_huber_loss(a, np.zeros(3), reduction="none").data
    np.testing.assert_allclose(out, [0.4142, 4.0990, 4.0990], atol=5e-5)  # REFERENCES.md
    for delta in (0.5, 1.0, 3.0):
        a = np.linspace(-4, 4, 9)
        direct = delta**2 * (np.sqrt(1 + (a / delta) ** 2) - 1)
        np.testing.assert_allclose(
            F.pseudo_huber_loss(a, 0 * a, reduction="none", delta=delta).data, direct, atol=1e-12
        )


def test_pseudo_huber_limits_and_gradient():
    # near 0 it is 0.5 a^2 (no cancellation: the naive formula gives 0 here); far out delta |a|
    out = F.pseudo_huber_loss(np.array([1e-9]), np.zeros(1), delta=2.0)
    assert out.item() == pytest.approx(0.5e-18, rel=1e-12)
    far = F.pseudo_huber_loss(np.array([1e6]), np.zeros(1), delta=2.0).item()
    assert far == pytest.approx(2.0 * 1e6 - 4.0, rel=1e-9)
    x = gl.tensor([3.0], requires_grad=True)
    F.pseudo_huber_loss(x, np.zeros(1), delta=2.0).backward()
    assert x.grad[0] == pytest.approx(3.0 / math.sqrt(1 + (3.0 / 2.0) ** 2))


def test_hinge_is_zero_once_the_margin_is_met():
    f = gl.tensor([3.0, 1.0, 0.5, -0.2, -1.0, -4.0], requires_grad=True)
    y = np.array([1, 1, 1, 1, -1, 1])  # y f = 3, 1, 0.5, -0.2, 1, -4
    out = F.hinge_loss(f, y, reduction="none")
    np.testing.assert_allclose(out.data, [0, 0, 0.5, 1.2, 0, 5])
    out.backward(np.ones(6))
    np.testing.assert_allclose(f.grad, [0, 0, -1, -1, 0, -1])  # y f = 1 exactly: slope 0
    assert F.hinge_loss(f, y).item() == pytest.approx(6.7 / 6)
    assert F.hinge_loss(f, gl.tensor(y.astype(float)), reduction="sum").item() == pytest.approx(6.7)


def am_softmax_reference(x, w, t, s, m):
    """AM-Softmax written out: normalise, cosines, subtract m at the target, scale, CE."""
    x_hat = x / np.linalg.norm(x, axis=1, keepdims=True)
    w_hat = w / np.linalg.norm(w, axis=1, keepdims=True)
    logits = s * (x_hat @ w_hat.T - m * np.eye(w.shape[0])[t])
    return -log_softmax_reference(logits)[np.arange(len(t)), t]


@pytest.mark.parametrize("s, m", [(30.0, 0.35), (10.0, 0.0), (64.0, 0.5)])
def test_am_softmax_matches_its_formula(s, m, rng):
    x, w, t = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.integers(0, 3, size=6)
    expected = am_softmax_reference(x, w, t, s, m)
    for reduction in REDUCTIONS:
        out = F.am_softmax_loss(x, w, t, s=s, m=m, reduction=reduction)
        np.testing.assert_allclose(out.data, reduce_reference(expected, reduction), rtol=1e-12)


def test_am_softmax_gradient_matches_torch(torch, rng):
    x, w, t = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.integers(0, 3, size=6)

    def torch_am_softmax(x, w, t):
        tf = torch.nn.functional
        cos = tf.normalize(x, dim=1) @ tf.normalize(w, dim=1).T
        return tf.cross_entropy(30.0 * (cos - 0.35 * tf.one_hot(t, 3)), t)

    compare_with_torch(torch, F.am_softmax_loss, torch_am_softmax, [x, w, t], float_inputs=[0, 1])


def test_am_softmax_margin_makes_the_loss_larger(rng):
    x, w, t = rng.normal(size=(8, 4)), rng.normal(size=(3, 4)), rng.integers(0, 3, size=8)
    plain = F.am_softmax_loss(x, w, t, m=0.0, reduction="none").data
    margin = F.am_softmax_loss(x, w, t, m=0.35, reduction="none").data
    assert np.all(margin > plain)


def psi_reference(theta, m):
    """psi written from the paper's piecewise definition, one angle at a time."""
    out = []
    for th in np.ravel(theta):
        k = next(k for k in range(m) if k * math.pi / m <= th <= (k + 1) * math.pi / m)
        out.append((-1) ** k * math.cos(m * th) - 2 * k)
    return np.array(out)


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_psi_is_continuous_and_decreasing_on_0_pi(m):
    theta = np.linspace(0, np.pi, 20001)
    psi = losses.large_margin_psi(theta, m)
    assert psi[0] == pytest.approx(1.0) and psi[-1] == pytest.approx(1 - 2 * m)
    assert np.all(np.diff(psi) < 0)
    # continuous: no step bigger than the steepest slope (m) times the grid spacing
    assert np.max(np.abs(np.diff(psi))) <= m * (theta[1] - theta[0]) * 1.0001
    boundaries = np.arange(1, m) * np.pi / m
    left = losses.large_margin_psi(boundaries - 1e-9, m)
    right = losses.large_margin_psi(boundaries + 1e-9, m)
    np.testing.assert_allclose(left, right, atol=1e-7)
    np.testing.assert_allclose(psi[::400], psi_reference(theta[::400], m), atol=1e-12)
    if m == 1:
        np.testing.assert_allclose(psi, np.cos(theta), atol=1e-15)


def test_psi_known_values_and_slope():
    assert losses.large_margin_psi(np.pi / 3, 2) == pytest.approx(-0.5)  # cos(2 pi / 3)
    assert losses.large_margin_psi(2 * np.pi / 3, 2) == pytest.approx(-1.5)  # -cos(4 pi/3) - 2
    # dpsi/dc = (-1)^k m sin(m theta) / sin(theta), from the chain rule through theta = arccos c
    for m, theta in [(2, 0.4), (2, 2.5), (3, 1.5), (4, 2.9)]:
        k = math.floor(m * theta / math.pi)
        ctx = Context()
        losses.LargeMarginPsi.forward(ctx, np.array([math.cos(theta)]), m)
        slope = losses.LargeMarginPsi.backward(ctx, np.ones(1))[0]
        assert slope == pytest.approx((-1) ** k * m * math.sin(m * theta) / math.sin(theta))


def test_large_margin_softmax_with_margin_1_is_cross_entropy(rng):
    x, w, t = rng.normal(size=(6, 4)), rng.normal(size=(3, 4)), rng.integers(0, 3, size=6)
    for reduction in REDUCTIONS:
        xa, wa = gl.tensor(x, requires_grad=True), gl.tensor(w, requires_grad=True)
        xb, wb = gl.tensor(x, requires_grad=True), gl.tensor(w, requires_grad=True)
        ours = F.large_margin_softmax_loss(xa, wa, t, margin=1, reduction=reduction)
        plain = F.cross_entropy(xb @ wb.T, t, reduction=reduction)
        np.testing.assert_allclose(ours.data, plain.data, rtol=1e-12)
        upstream = rng.normal(size=ours.shape)
        ours.backward(upstream)
        plain.backward(upstream)
        np.testing.assert_allclose(xa.grad, xb.grad, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(wa.grad, wb.grad, rtol=1e-10, atol=1e-12)


def large_margin_reference(x, w, t, m, blend):
    """L-Softmax written out with angles: replace the target logit, then cross-entropy."""
    logits = x @ w.T
    rows = np.arange(len(t))
    lengths = np.linalg.norm(x, axis=1) * np.linalg.norm(w[t], axis=1)
    theta = np.arccos(np.clip(logits[rows, t] / lengths, -1, 1))
    psi_logit = lengths * psi_reference(theta, m)
    logits[rows, t] = (blend * logits[rows, t] + psi_logit) / (1 + blend)
    return -log_softmax_reference(logits)[rows, t]


@pytest.mark.parametrize("m", [2, 3, 4])
def test_large_margin_softmax_matches_its_formula(m, rng):
    x, w, t = rng.normal(size=(6, 3)), rng.normal(size=(4, 3)), rng.integers(0, 4, size=6)
    for blend in (0.0, 0.5, 10.0):
        expected = large_margin_reference(x, w, t, m, blend)
        out = F.large_margin_softmax_loss(x, w, t, margin=m, blend=blend, reduction="none")
        np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    # the margin only makes the true class harder to win; a huge blend undoes it
    plain = F.cross_entropy(x @ w.T, t, reduction="none").data
    assert np.all(out.data >= plain - 1e-12)
    nearly_plain = F.large_margin_softmax_loss(x, w, t, margin=m, blend=1e8, reduction="none")
    np.testing.assert_allclose(nearly_plain.data, plain, rtol=1e-6)


def test_large_margin_softmax_gradient_matches_torch(torch, rng):
    w = rng.normal(size=(3, 2))
    t = np.array([0, 1, 2, 1])
    x = features_at_angles(rng, w, t, ANGLES)
    m, blend = 3, 0.5

    def torch_l_softmax(x, w, t):
        logits = x @ w.T
        rows = torch.arange(len(t))
        lengths = x.norm(dim=1) * w[t].norm(dim=1)
        theta = torch.acos(logits[rows, t] / lengths)
        k = torch.floor(m * theta.detach() / math.pi)
        psi = (-1) ** k * torch.cos(m * theta) - 2 * k
        target = (blend * logits[rows, t] + lengths * psi) / (1 + blend)
        logits = logits.index_put((rows, t), target)
        return torch.nn.functional.cross_entropy(logits, t)

    compare_with_torch(
        torch,
        lambda x, w, t: F.large_margin_softmax_loss(x, w, t, margin=m, blend=blend),
        torch_l_softmax,
        [x, w, t],
        float_inputs=[0, 1],
    )


def soft_margin_reference(z, t, m):
    """SM-Softmax written out: -log(exp(z_t - m) / (exp(z_t - m) + sum_{j != t} exp(z_j)))."""
    rows = np.arange(len(t))
    shifted = z.copy()
    shifted[rows, t] -= m
    return -log_softmax_reference(shifted)[rows, t]


@pytest.mark.parametrize("m", [0.0, 0.35, 1.0, 4.0])
def test_soft_margin_softmax_matches_its_formula_and_gradient(m, rng):
    z, t = rng.normal(scale=2.0, size=(6, 4)), rng.integers(0, 4, size=6)
    expected = soft_margin_reference(z, t, m)
    one_hot = np.eye(4)[t]
    shifted = z - m * one_hot
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    for reduction in REDUCTIONS:
        x = gl.tensor(z, requires_grad=True)
        out = F.soft_margin_softmax_loss(x, t, margin=m, reduction=reduction)
        np.testing.assert_allclose(out.data, reduce_reference(expected, reduction), rtol=1e-13)
        out.backward(np.ones(out.shape))
        scale = 1 / 6 if reduction == "mean" else 1.0
        np.testing.assert_allclose(x.grad, scale * (p - one_hot), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_softmax_is_cross_entropy_of_shifted_logits(reduction, rng):
    z, t, m = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5), 0.8
    upstream = rng.normal(size=() if reduction != "none" else 5)
    xa, xb = gl.tensor(z, requires_grad=True), gl.tensor(z, requires_grad=True)
    ours = F.soft_margin_softmax_loss(xa, t, margin=m, reduction=reduction)
    composed = F.cross_entropy(xb - m * np.eye(3)[t], t, reduction=reduction)
    ours.backward(upstream)
    composed.backward(upstream)
    np.testing.assert_allclose(ours.data, composed.data, rtol=1e-14)
    np.testing.assert_allclose(xa.grad, xb.grad, rtol=1e-14, atol=1e-16)
    # margin 0 is exactly cross-entropy, values and gradients
    xa, xb = gl.tensor(z, requires_grad=True), gl.tensor(z, requires_grad=True)
    plain = F.soft_margin_softmax_loss(xa, t, margin=0.0, reduction=reduction)
    ce = F.cross_entropy(xb, t, reduction=reduction)
    plain.backward(upstream)
    ce.backward(upstream)
    np.testing.assert_array_equal(plain.data, ce.data)
    np.testing.assert_array_equal(xa.grad, xb.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("m", [0.0, 0.5, 2.5])
def test_soft_margin_softmax_matches_torch(torch, m, reduction, rng):
    z, t = rng.normal(scale=2.0, size=(6, 5)), rng.integers(0, 5, size=6)

    def torch_soft_margin(z, t):
        tf = torch.nn.functional
        return tf.cross_entropy(z - m * tf.one_hot(t, 5), t, reduction=reduction)

    compare_with_torch(
        torch,
        lambda z, t: F.soft_margin_softmax_loss(z, t, margin=m, reduction=reduction),
        torch_soft_margin,
        [z, t],
        float_inputs=[0],
    )


def test_soft_margin_softmax_spatial_single_sample_and_float32(torch, rng):
    tf = torch.nn.functional
    z, t = rng.normal(size=(2, 3, 4)), rng.integers(0, 3, size=(2, 4))  # (N, C, d1)
    compare_with_torch(
        torch,
        lambda z, t: F.soft_margin_softmax_loss(z, t, margin=0.6, reduction="none"),
        lambda z, t: tf.cross_entropy(
            z - 0.6 * tf.one_hot(t, 3).permute(0, 2, 1), t, reduction="none"
        ),
        [z, t],
        float_inputs=[0],
    )
    one = F.soft_margin_softmax_loss(np.array([0.5, 2.0, -1.0]), 1, margin=1.5)
    batch = F.soft_margin_softmax_loss(np.array([[0.5, 2.0, -1.0]]), [1], margin=1.5)
    assert one.shape == () and one.item() == batch.item()
    x32 = gl.tensor(z[:, :, 0].astype(np.float32), requires_grad=True)
    loss = F.soft_margin_softmax_loss(x32, t[:, 0], margin=np.float64(0.6))
    loss.backward()
    assert loss.dtype == np.float32 and x32.grad.dtype == np.float32


def test_soft_margin_softmax_margin_is_a_gap_in_logits(rng):
    z, t = rng.normal(size=(8, 4)), rng.integers(0, 4, size=8)
    plain = F.cross_entropy(z, t, reduction="none").data
    losses_by_margin = [
        F.soft_margin_softmax_loss(z, t, margin=m, reduction="none").data for m in (0.0, 0.5, 1.0)
    ]
    np.testing.assert_array_equal(losses_by_margin[0], plain)
    assert np.all(losses_by_margin[1] > plain) and np.all(losses_by_margin[2] > losses_by_margin[1])
    # raising every target logit by m buys the margin back: the loss is plain cross-entropy again
    raised = z + 1.0 * np.eye(4)[t]
    np.testing.assert_allclose(
        F.soft_margin_softmax_loss(raised, t, margin=1.0, reduction="none").data, plain, rtol=1e-13
    )


def test_soft_margin_softmax_needs_a_nonnegative_margin():
    z, t = np.zeros((2, 3)), np.array([0, 2])
    with pytest.raises(
        ValueError, match=r"soft_margin_softmax_loss: margin must be >= 0, got -0.5"
    ):
        F.soft_margin_softmax_loss(z, t, margin=-0.5)
    with pytest.raises(TypeError, match="margin"):  # no default: see the docstring
        F.soft_margin_softmax_loss(z, t)
    with pytest.raises(ValueError, match=r"soft_margin_softmax_loss: an input of shape \(3,\)"):
        F.soft_margin_softmax_loss(np.zeros(3), np.array([0, 1]), margin=1.0)


# ----- inputs and targets of every kind -------------------------------------------------------


def test_targets_may_be_tensors_arrays_or_lists_and_float32_stays_float32(rng):
    x = rng.normal(size=(4, 3))
    t = [0, 2, 1, 2]
    expected = F.cross_entropy(x, np.array(t)).item()
    for target in (t, np.array(t, dtype=np.int32), gl.tensor(np.array(t))):
        assert F.cross_entropy(gl.tensor(x), target).item() == pytest.approx(expected)
        assert F.nll_loss(x, target).item() == pytest.approx(-np.mean(x[np.arange(4), t]))
    y = rng.integers(0, 3, size=(4, 3))  # integer regression targets are converted
    assert F.mse_loss(x, y).item() == pytest.approx(np.mean((x - y) ** 2))
    assert F.mse_loss(x, gl.tensor(y)).item() == pytest.approx(np.mean((x - y) ** 2))
    x32 = gl.tensor(x.astype(np.float32), requires_grad=True)
    for loss in (
        F.mse_loss(x32, y),
        F.huber_loss(x32, y.astype(np.float64)),
        F.cross_entropy(x32, t),
        F.binary_cross_entropy(F.sigmoid(x32), y / 2),
    ):
        assert loss.dtype == np.float32
        x32.zero_grad()
        loss.backward()
        assert x32.grad.dtype == np.float32


def test_a_target_tensor_that_requires_grad_gets_one(torch, rng):
    a, b = rng.normal(size=5), rng.normal(size=5)
    compare_with_torch(torch, F.mse_loss, torch.nn.functional.mse_loss, [a, b], float_inputs=[0, 1])
    ta, tb = gl.tensor(a, requires_grad=True), gl.tensor(b, requires_grad=True)
    F.l1_loss(ta, tb).backward()
    np.testing.assert_array_equal(tb.grad, -ta.grad)


# ----- errors a learner can act on ---------------------------------------------------------------

ELEMENTWISE = [
    F.mse_loss,
    F.l1_loss,
    F.huber_loss,
    F.smooth_l1_loss,
    F.pseudo_huber_loss,
    F.binary_cross_entropy,
    F.binary_cross_entropy_with_logits,
    F.hinge_loss,
]


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_mismatched_shapes_raise_instead_of_broadcasting(loss):
    with pytest.raises(ValueError, match=r"input has shape \(4, 1\) but target has shape \(4,\)"):
        loss(np.full((4, 1), 0.5), np.ones(4))
    with pytest.raises(ValueError, match=loss.__name__) as info:
        loss(np.full((4, 1), 0.5), np.ones(4))
    assert "target.reshape((4, 1))" in str(info.value)
    with pytest.raises(ValueError, match=r"\(2, 3\) but target has shape \(3,\)"):
        loss(np.full((2, 3), 0.5), np.ones(3))


CLASS_TARGET = [
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t)),
    ("nll_loss", lambda x, t: F.nll_loss(x, t)),
    ("multi_margin_loss", lambda x, t: F.multi_margin_loss(x, t)),
    ("am_softmax_loss", lambda x, t: F.am_softmax_loss(x, np.eye(5, 3) + 0.1, t)),
    (
        "large_margin_softmax_loss",
        lambda x, t: F.large_margin_softmax_loss(x, np.eye(5, 3) + 0.1, t),
    ),
    ("soft_margin_softmax_loss", lambda x, t: F.soft_margin_softmax_loss(x, t, margin=0.5)),
]


@pytest.mark.parametrize("op, loss", CLASS_TARGET, ids=[c[0] for c in CLASS_TARGET])
def test_bad_class_targets_raise_clear_errors(op, loss):
    features = np.arange(12.0).reshape(4, 3) / 10 + 0.1  # 4 samples; 3 features or 3 classes
    x = features if op in ("am_softmax_loss", "large_margin_softmax_loss") else np.ones((4, 5))
    with pytest.raises(IndexError, match=rf"{op}: target holds class 5 at index 2.*C = 5.*0\.\.4"):
        loss(x, np.array([0, 1, 5, 2]))
    with pytest.raises(IndexError, match=rf"{op}: target holds -1 at index 1.*0\.\.4"):
        loss(x, np.array([0, -1, 4, 2]))
    with pytest.raises(TypeError, match=rf"{op}: target has dtype float64.*astype\(np.int64\)"):
        loss(x, np.array([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(
        ValueError, match=rf"{op}: target has shape \(4, 1\).*need a target of shape \(4,\)"
    ):
        loss(x, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"target has shape \(3,\)"):
        loss(x, np.array([0, 1, 2]))


def test_soft_or_one_hot_targets_get_a_pointer_to_argmax():
    x = np.zeros((3, 4))
    with pytest.raises(TypeError, match=r"one-hot rows or class probabilities.*argmax\(axis=1\)"):
        F.cross_entropy(x, np.eye(4)[[0, 2, 1]])
    with pytest.raises(ValueError, match=r"looks one-hot: pass target.argmax\(axis=1\)"):
        F.cross_entropy(x, np.eye(4, dtype=int)[[0, 2, 1]])


def test_hinge_rejects_zero_one_labels():
    message = (
        "hinge_loss: targets must be -1 or +1, found 0 at index 3; convert 0/1 labels with 2*y - 1."
    )
    with pytest.raises(ValueError) as info:
        F.hinge_loss(np.zeros(5), np.array([1, -1, 1, 0, 1]))
    assert str(info.value) == message


def test_binary_cross_entropy_range_errors():
    with pytest.raises(
        ValueError,
        match=r"input probabilities must lie in \[0, 1\], found 1.5 at "
        r"index 1.*binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(np.array([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\], found 255.0 at index 0"):
        F.binary_cross_entropy(np.array([0.5, 0.5]), np.array([255, 0]))
    with pytest.raises(ValueError, match=r"found -1.0 at index 0.*\(y \+ 1\) / 2"):
        F.binary_cross_entropy_with_logits(np.zeros(2), np.array([-1, 1]))


def test_bad_options_raise_clear_errors():
    x, y = np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="mse_loss: reduction must be 'mean', 'sum' or 'none'"):
        F.mse_loss(x, y, reduction="avg")
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        F.huber_loss(x, y, delta=0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(x, y, beta=-1)
    with pytest.raises(ValueError, match="pseudo_huber_loss: delta must be > 0"):
        F.pseudo_huber_loss(x, y, delta=-2.0)
    with pytest.raises(ValueError, match="multi_margin_loss: p must be 1 or 2, got 3"):
        F.multi_margin_loss(np.ones((2, 3)), np.array([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="margin must be an integer >= 1, got 1.5"):
        F.large_margin_softmax_loss(np.ones((2, 3)), np.ones((4, 3)), [0, 1], margin=1.5)
    with pytest.raises(
        ValueError,
        match=r"weight \(C, D\).*got features \(2, 3\) and weight "
        r"\(3, 4\). Did you pass the weight transposed",
    ):
        F.am_softmax_loss(np.ones((2, 3)), np.ones((3, 4)), [0, 1])
    with pytest.raises(ValueError, match="features row 1 is all zeros"):
        F.am_softmax_loss(np.array([[1.0, 0.0], [0.0, 0.0]]), np.eye(2), [0, 1])
    with pytest.raises(ValueError, match=r"input must have shape \(N, C\).*got shape \(\)"):
        F.cross_entropy(np.float64(1.0), np.array(0))
    with pytest.raises(ValueError, match=r"one sample, so target must be one class index"):
        F.cross_entropy(np.ones(3), np.array([0, 1]))


# ----- second derivatives of the regression losses (Newton steps) ----------------------------

# name -> (class, options, its loss as a function of the residual in torch ops or None
# (then torch's own loss), kinks)
SECOND_DERIVATIVES = {
    "mse": (losses.MSELoss, {}, "mse_loss", [0.0]),
    "l1": (losses.L1Loss, {}, "l1_loss", [0.0]),
    "huber 1": (losses.HuberLoss, {"delta": 1.0}, "huber_loss", [1.0, -1.0]),
    "huber 0.5": (losses.HuberLoss, {"delta": 0.5}, "huber_loss", [0.5, -0.5]),
    "smooth_l1 2": (losses.SmoothL1Loss, {"beta": 2.0}, "smooth_l1_loss", [2.0, -2.0]),
    "smooth_l1 0": (losses.SmoothL1Loss, {"beta": 0.0}, "smooth_l1_loss", [0.0]),
    "pseudo_huber 1": (losses.PseudoHuberLoss, {"delta": 1.0}, None, []),
    "pseudo_huber 0.3": (losses.PseudoHuberLoss, {"delta": 0.3}, None, []),
}


def _elementwise_gradient(cls, a, options):
    """d loss_i / d x_i for every element, from the loss's own numpy backward."""
    ctx = Context()
    cls.forward(ctx, a, np.zeros_like(a), reduction="none", **options)
    return cls.backward(ctx, np.ones_like(a))[0]


@pytest.mark.parametrize("name", SECOND_DERIVATIVES)
def test_second_derivative_is_the_slope_of_the_gradient(name, rng):
    cls, options, _, kinks = SECOND_DERIVATIVES[name]
    a = residuals_away_from(rng, (4, 5), kinks, gap=0.05)
    h = 1e-6
    numeric = (
        _elementwise_gradient(cls, a + h, options) - _elementwise_gradient(cls, a - h, options)
    ) / (2 * h)
    np.testing.assert_allclose(cls.second_derivative(a, **options), numeric, atol=1e-7)


@pytest.mark.parametrize("name", SECOND_DERIVATIVES)
def test_second_derivative_matches_torch_double_backward(torch, name, rng):
    cls, options, torch_name, kinks = SECOND_DERIVATIVES[name]
    a = rng.normal(scale=2.0, size=12)
    a[: len(kinks)] = kinks  # exactly at the kinks: the conventions must agree there too
    x = torch.tensor(a, requires_grad=True)
    if torch_name is None:  # pseudo-Huber, written with torch ops
        delta = options["delta"]
        losses_t = delta**2 * (torch.sqrt(1 + (x / delta) ** 2) - 1)
    else:
        losses_t = getattr(torch.nn.functional, torch_name)(
            x, torch.zeros_like(x), reduction="none", **options
        )
    (grad,) = torch.autograd.grad(losses_t.sum(), x, create_graph=True)
    if grad.requires_grad:
        (second,) = torch.autograd.grad(grad.sum(), x)
    else:  # torch knows the gradient is piecewise constant
        second = torch.zeros_like(x)
    np.testing.assert_allclose(
        cls.second_derivative(a, **options), second.numpy(force=True), atol=1e-12
    )


def test_second_derivative_values_and_jumps():
    a = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(losses.MSELoss.second_derivative(a), np.full(7, 2.0))
    np.testing.assert_array_equal(losses.L1Loss.second_derivative(a), np.zeros(7))
    np.testing.assert_array_equal(
        losses.HuberLoss.second_derivative(a, delta=1.0), [0, 0, 1, 1, 1, 0, 0]
    )
    np.testing.assert_allclose(
        losses.SmoothL1Loss.second_derivative(a, beta=2.0), [0, 0.5, 0.5, 0.5, 0.5, 0.5, 0]
    )
    # pseudo-Huber: 1 at 0, 2^(-3/2) at |a| = delta, about (delta / |a|)^3 far out, no jump
    ph = losses.PseudoHuberLoss.second_derivative(np.array([0.0, 1.0, -1.0, 1e3]), delta=1.0)
    np.testing.assert_allclose(ph, [1.0, 2**-1.5, 2**-1.5, 1e-9], rtol=1e-5)
    around = np.array([1.0 - 1e-9, 1.0 + 1e-9])
    assert np.ptp(losses.HuberLoss.second_derivative(around)) == 1.0
    assert np.ptp(losses.PseudoHuberLoss.second_derivative(around)) < 1e-8


def test_second_derivative_keeps_float32_and_makes_integers_float():
    a32 = np.array([0.5, 2.0], dtype=np.float32)
    for cls in (losses.MSELoss, losses.L1Loss, losses.HuberLoss, losses.SmoothL1Loss):
        assert cls.second_derivative(a32).dtype == np.float32
        assert cls.second_derivative(np.array([0, 2])).dtype == np.float64
    assert losses.PseudoHuberLoss.second_derivative(a32).dtype == np.float32
    assert losses.PseudoHuberLoss.second_derivative([0, 2]).dtype == np.float64
    assert losses.HuberLoss.second_derivative(np.zeros((2, 3))).shape == (2, 3)


def test_second_derivative_checks_its_option():
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        losses.HuberLoss.second_derivative(np.ones(2), delta=0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        losses.SmoothL1Loss.second_derivative(np.ones(2), beta=-1)
    with pytest.raises(ValueError, match="pseudo_huber_loss: delta must be > 0"):
        losses.PseudoHuberLoss.second_derivative(np.ones(2), delta=-2.0)
