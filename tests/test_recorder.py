"""gradlib.recorder: per-layer activation statistics and gradient norms, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from gradlib import Tensor, nn, no_grad
from gradlib import functional as F
from gradlib.recorder import Recorder, activation_stats


def _model_and_data(activation="relu", seed=0):
    model = nn.MLP([5, 6, 4, 3], activation=activation, seed=seed)
    rng = np.random.default_rng(seed)
    return model, rng.standard_normal((8, 5)), rng.integers(0, 3, 8)


def _layer_outputs_by_hand(model, x):
    """Each layer's output, computed with numpy from the weights (no gradlib ops)."""
    W0, b0 = model[0].weight.data, model[0].bias.data
    W2, b2 = model[2].weight.data, model[2].bias.data
    W4, b4 = model[4].weight.data, model[4].bias.data
    act = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    }[model.activation]
    z0 = x @ W0.T + b0
    a1 = act(z0)
    z2 = a1 @ W2.T + b2
    a3 = act(z2)
    return {"0": z0, "1": a1, "2": z2, "3": a3, "4": a3 @ W4.T + b4}


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_recorded_statistics_equal_direct_ones(activation):
    model, x, _ = _model_and_data(activation)
    rec = Recorder(model)
    assert rec.layers == ["0", "1", "2", "3", "4"]
    model(x)
    expected = _layer_outputs_by_hand(model, x)
    for name, values in expected.items():
        stats = rec.activations[name]
        assert stats["mean"] == [pytest.approx(values.mean(), abs=1e-14)]
        assert stats["std"] == [pytest.approx(values.std(), rel=1e-12)]
        assert stats["zero_fraction"] == [float(np.mean(values == 0))]
    relu_zeros = rec.activations["1"]["zero_fraction"][0]
    if activation == "relu":
        assert 0 < relu_zeros < 1  # ReLU outputs exact zeros; this test needs some
    assert rec.last("std") == {
        name: pytest.approx(v.std(), rel=1e-12) for name, v in expected.items()
    }


def test_saturation_is_reported_for_sigmoid_and_tanh_only():
    values = np.array([-0.999, -0.5, 0.0, 0.98, 0.995, 1.0])
    assert activation_stats(values, nn.Tanh())["saturated_fraction"] == pytest.approx(3 / 6)
    sig = np.array([0.001, 0.004, 0.006, 0.5, 0.994, 0.996])
    assert activation_stats(sig, nn.Sigmoid())["saturated_fraction"] == pytest.approx(3 / 6)
    assert activation_stats(sig, nn.Sigmoid(), saturation=0.9)["saturated_fraction"] == 5 / 6
    assert "saturated_fraction" not in activation_stats(values, nn.ReLU())
    assert "saturated_fraction" not in activation_stats(values)
    with pytest.raises(ValueError, match="empty"):
        activation_stats(np.zeros((0, 3)))


def test_large_weights_saturate_a_tanh_layer():
    model = nn.MLP([20, 50, 2], activation="tanh", init="normal", init_scale=3.0, seed=0)
    small = nn.MLP([20, 50, 2], activation="tanh", init="normal", init_scale=0.01, seed=0)
    x = np.random.default_rng(0).standard_normal((64, 20))
    big_rec, small_rec = Recorder(model, types=(nn.Tanh,)), Recorder(small, types=(nn.Tanh,))
    model(x), small(x)
    assert big_rec.layers == ["1"]
    assert big_rec.last("saturated_fraction")["1"] > 0.8
    assert small_rec.last("saturated_fraction")["1"] == 0.0


def test_grad_norms_equal_norms_of_the_gradients():
    model, x, y = _model_and_data()
    rec = Recorder(model)
    assert rec.grad_norms() == {}  # no gradients yet
    F.cross_entropy(model(x), y).backward()
    norms = rec.grad_norms()
    assert list(norms) == [name for name, _ in model.named_parameters()]
    for name, p in model.named_parameters():
        assert norms[name] == pytest.approx(np.sqrt(np.sum(p.grad**2)), rel=1e-12)
    # The last layer's bias gradient of a mean cross-entropy is mean(softmax - one_hot).
    logits = model(x).data
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    expected = np.linalg.norm((probs - np.eye(3)[y]).mean(0))
    assert norms["4.bias"] == pytest.approx(expected, rel=1e-10)


def test_histories_grow_once_per_call_and_can_pause_clear_and_remove():
    model, x, y = _model_and_data()
    rec = Recorder(model, types=(nn.Linear,))
    assert rec.layers == ["0", "2", "4"]
    for _ in range(3):
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        rec.record_grads()
    assert len(rec.activations["2"]["std"]) == 3
    assert all(len(h) == 3 for h in rec.grad_history.values())
    with rec.paused(), no_grad():
        model(x)
    assert len(rec.activations["2"]["std"]) == 3
    assert rec.enabled
    rec.clear()
    assert rec.activations == {"0": {}, "2": {}, "4": {}} and rec.grad_history == {}
    with pytest.raises(KeyError, match="run a forward pass first"):
        rec.last("std")
    rec.remove()
    model(x)
    assert rec.activations["0"] == {}
    assert all(m._forward_hooks == [] for m in model.modules())


def test_context_manager_removes_hooks():
    model, x, _ = _model_and_data()
    with Recorder(model) as rec:
        model(x)
    assert len(rec.activations["0"]["mean"]) == 1
    model(x)
    assert len(rec.activations["0"]["mean"]) == 1


def test_keep_outputs_gives_backpropagated_gradients():
    model, x, y = _model_and_data("tanh")
    rec = Recorder(model, types=(nn.Tanh, nn.Linear), keep_outputs=True)
    F.cross_entropy(model(x), y, reduction="sum").backward()
    logits = rec.outputs["4"]
    probs = np.exp(logits.data - logits.data.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, probs - np.eye(3)[y], rtol=1e-10)
    # Back through the last Linear: dL/da3 = dL/dlogits @ W4.
    np.testing.assert_allclose(
        rec.outputs["3"].grad, logits.grad @ model[4].weight.data, rtol=1e-10
    )
    assert isinstance(rec.outputs["1"], Tensor)


def test_recorder_with_nested_modules_uses_dotted_names():
    model = nn.MLP([3, 4, 4, 2], residual=True, seed=0)
    rec = Recorder(model)
    assert rec.layers == ["0", "1", "2.block.0", "2.block.1", "3"]
    with pytest.raises(ValueError, match="nothing to record"):
        Recorder(model, types=(nn.Conv2d,))
