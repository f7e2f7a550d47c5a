"""End to end: gradlib's modules, losses and optimisers learn the digits (and a toy set).

Each model trains in about a second on a 2-core machine (no timing is asserted).
The pixels are centred to [-1, 1] and the learning rate drops tenfold for the
last epochs; both are ordinary practice and give a margin over the thresholds.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradlib import functional as F
from gradlib import nn, no_grad, optim
from gradlib.data import batches, digits_split, make_spirals


@pytest.fixture(scope="module")
def digits():
    X_train, X_test, y_train, y_test = digits_split(seed=0)
    return 2 * X_train - 1, 2 * X_test - 1, y_train, y_test


def _train(model, X, y, epochs, lr, batch_size, drop_at, seed):
    """Minibatch SGD with momentum 0.9; lr / 10 from epoch ``drop_at``. Returns the batch losses."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        if epoch == drop_at:
            opt.lr = lr / 10
        for Xb, yb in batches(X, y, batch_size, seed=rng):
            opt.zero_grad()
            loss = F.cross_entropy(model(Xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def _accuracy(model, X, y):
    model.eval()
    with no_grad():
        return float(np.mean(model(X).data.argmax(axis=1) == y))


def _mlp(seed):
    return nn.MLP([64, 128, 10], seed=seed)


def _cnn(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1, rng=rng),  # (N, 16, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 4, 4)
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10, rng=rng),
    )


def _images(X):
    return X.reshape(-1, 1, 8, 8)


def test_mlp_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = _mlp(seed=0)
    losses = _train(model, X_train, y_train, epochs=20, lr=0.1, batch_size=32, drop_at=15, seed=0)
    per_epoch = np.mean(np.reshape(losses, (20, -1)), axis=1)
    assert per_epoch[-1] < per_epoch[0] / 10
    assert _accuracy(model, X_test, y_test) >= 0.95


def test_cnn_learns_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model = _cnn(seed=0)
    losses = _train(
        model, _images(X_train), y_train, epochs=15, lr=0.05, batch_size=16, drop_at=10, seed=0
    )
    assert np.mean(losses[-90:]) < np.mean(losses[:90]) / 10
    assert _accuracy(model, _images(X_test), y_test) >= 0.97


def test_mlp_with_batchnorm_and_residual_learns_digits_and_evaluates_with_running_stats(digits):
    X_train, X_test, y_train, y_test = digits
    model = nn.MLP([64, 128, 128, 10], norm="batch", residual=True, seed=0)
    _train(model, X_train, y_train, epochs=10, lr=0.1, batch_size=32, drop_at=7, seed=0)
    accuracy = _accuracy(model, X_test, y_test)
    assert not model.training
    assert accuracy >= 0.95
    # In eval mode one example is classified the same alone as in the batch.
    with no_grad():
        alone = model(X_test[:1]).data
        np.testing.assert_allclose(alone, model(X_test).data[:1], rtol=1e-12)


@pytest.mark.parametrize(("make_model", "as_input"), [(_mlp, lambda X: X), (_cnn, _images)])
def test_training_is_deterministic_under_a_seed(digits, make_model, as_input):
    X_train, _, y_train, _ = digits
    X = as_input(X_train[:400])
    y = y_train[:400]
    runs = [
        _train(make_model(seed), X, y, epochs=2, lr=0.05, batch_size=32, drop_at=99, seed=seed)
        for seed in (7, 7, 8)
    ]
    assert runs[0] == runs[1]  # identical, float for float
    assert runs[0] != runs[2]


def test_spirals_need_a_hidden_layer():
    X, y = make_spirals()

    def fit(model):
        opt = optim.Adam(model.parameters(), lr=0.02)
        for _ in range(300):
            opt.zero_grad()
            F.cross_entropy(model(X), y).backward()
            opt.step()
        return _accuracy(model, X, y)

    assert fit(nn.Linear(2, 3, rng=0)) < 0.6  # no straight lines separate the arms
    assert fit(nn.MLP([2, 64, 3], seed=0)) > 0.95
