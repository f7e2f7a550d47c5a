"""gradlib.optim: SGD and Adam step for step like torch.optim; clipping like torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradlib import Tensor, optim

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 6


def _params_and_grads(seed: int = 0):
    """Starting values, and a different gradient for every step and parameter."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    return start, grads


def _run_gradlib(make_optimizer, start, grads):
    params = [Tensor(a.copy(), requires_grad=True) for a in start]
    opt = make_optimizer(params)
    trajectory = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory


def _run_torch(torch, make_optimizer, start, grads):
    params = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = make_optimizer(params)
    trajectory = []
    for step_grads in grads:
        opt.zero_grad()
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g.copy())
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def _assert_same(ours, theirs):
    for step, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for a, b in zip(a_step, b_step):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=f"step {step + 1}")


SGD_SETTINGS = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=lambda s: ",".join(s))
def test_sgd_matches_torch(torch, settings):
    start, grads = _params_and_grads()
    ours = _run_gradlib(lambda ps: optim.SGD(ps, **settings), start, grads)
    theirs = _run_torch(
        torch, lambda ps: torch.optim.SGD(ps, foreach=False, **settings), start, grads
    )
    _assert_same(ours, theirs)


ADAM_SETTINGS = [
    {},
    {"lr": 0.01, "betas": (0.8, 0.99)},
    {"lr": 0.01, "weight_decay": 0.05},
    {"lr": 0.1, "eps": 1e-3},
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=lambda s: ",".join(s) or "defaults")
def test_adam_matches_torch(torch, settings):
    start, grads = _params_and_grads(1)
    ours = _run_gradlib(lambda ps: optim.Adam(ps, **settings), start, grads)
    theirs = _run_torch(
        torch, lambda ps: torch.optim.Adam(ps, foreach=False, **settings), start, grads
    )
    _assert_same(ours, theirs)


def test_sgd_first_steps_by_hand():
    w = Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    w.grad = np.array([1.0, 1.0])
    opt.step()  # buffer = g = 1; w = w - 0.1
    np.testing.assert_allclose(w.data, [0.9, -2.1])
    w.grad = np.array([1.0, 1.0])
    opt.step()  # buffer = 0.5 * 1 + 1 = 1.5; w = w - 0.15
    np.testing.assert_allclose(w.data, [0.75, -2.25])


def test_adam_first_step_is_lr_times_sign():
    # After one step the bias corrections make m / sqrt(v) = g / |g|: a step of lr per weight.
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    w.grad = np.array([1e-4, -3.0, 50.0])
    opt.step()
    np.testing.assert_allclose(w.data, [0.99, 1.01, 0.99], rtol=0, atol=1e-6)


def test_parameters_without_gradient_are_skipped():
    a = Tensor([1.0], requires_grad=True)
    b = Tensor([2.0], requires_grad=True)
    for opt in (optim.SGD([a, b], lr=0.1, momentum=0.9), optim.Adam([a, b], lr=0.1)):
        a.grad, b.grad = np.array([1.0]), None
        before = b.data.copy()
        opt.step()
        np.testing.assert_array_equal(b.data, before)
        assert opt.state[1] == {}


def test_step_changes_data_in_place_without_a_graph():
    w = Tensor(np.ones(3), requires_grad=True)
    array = w.data
    opt = optim.SGD([w], lr=0.5)
    w.grad = np.full(3, 2.0)
    opt.step()
    assert w.data is array  # same array, updated in place
    assert w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.data, np.zeros(3))
    opt.zero_grad()
    assert w.grad is None


def test_optimizer_errors_are_actionable():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="requires_grad=True"):
        optim.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([Tensor([1.0], requires_grad=True)], betas=(1.0, 0.9))


def test_weight_decay_equals_an_l2_penalty_in_the_loss():
    # SGD(weight_decay=wd) moves w exactly as plain SGD on loss + (wd / 2) * sum(w^2).
    rng = np.random.default_rng(3)
    start, x = rng.standard_normal(5), rng.standard_normal(5)
    wd, lr = 0.3, 0.1

    def train(use_decay):
        w = Tensor(start.copy(), requires_grad=True)
        opt = optim.SGD([w], lr=lr, weight_decay=wd if use_decay else 0.0)
        for _ in range(4):
            opt.zero_grad()
            loss = ((w * x).sum() - 1.0) ** 2
            if not use_decay:
                loss = loss + (wd / 2) * optim.l2_penalty([w])
            loss.backward()
            opt.step()
        return w.data

    np.testing.assert_allclose(train(True), train(False), rtol=0, atol=1e-14)


def test_l1_penalty_value_and_gradient():
    a = Tensor([[1.0, -2.0], [0.0, 3.0]], requires_grad=True)
    b = Tensor([-0.5], requires_grad=True)
    penalty = optim.l1_penalty([a, b])
    assert penalty.item() == pytest.approx(6.5)
    penalty.backward()
    np.testing.assert_array_equal(a.grad, [[1.0, -1.0], [0.0, 1.0]])  # sign(0) = 0
    np.testing.assert_array_equal(b.grad, [-1.0])
    single = optim.l1_penalty(Tensor([-3.0, 4.0], requires_grad=True))
    assert single.item() == pytest.approx(7.0)
    with pytest.raises(ValueError, match="no parameters"):
        optim.l1_penalty([])


def _grads_for_clipping(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(s) for s in SHAPES]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, max_norm, norm_type):
    grads = _grads_for_clipping()
    ours = [Tensor(np.zeros(s), requires_grad=True) for s in SHAPES]
    theirs = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g.copy())
    total = optim.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type, foreach=False)
    assert isinstance(total, float)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_rescales_to_max_norm_and_keeps_direction():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm_(p, 1.0) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)
    p.grad = np.array([3.0, 4.0])
    optim.clip_grad_norm_([p], 10.0)
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])  # below the limit: unchanged
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(ValueError, match="nan or inf"):
        optim.clip_grad_norm_([p], 1.0)


def test_clip_grad_value_matches_torch(torch):
    grads = _grads_for_clipping(1, scale=2.0)
    ours = [Tensor(np.zeros(s), requires_grad=True) for s in SHAPES]
    theirs = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g.copy())
    optim.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7, foreach=False)
    for p, q, g in zip(ours, theirs, grads):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
        assert np.abs(p.grad).max() == pytest.approx(0.7)
        inside = np.abs(g) < 0.7
        np.testing.assert_array_equal(p.grad[inside], g[inside])
