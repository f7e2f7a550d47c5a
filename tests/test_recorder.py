"""gradlib.recorder: per-layer activation statistics and gradient norms, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from gradlib import Tensor, nn, no_grad
from gradlib import functional as F
from gradlib.recorder import Recorder, activation_stats, histogram_counts


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


# ----- per-layer statistics for the flow of gradients (notebook 05) --------------------------


def test_dead_fraction_counts_units_silent_on_the_whole_batch():
    values = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    stats = activation_stats(values, nn.ReLU())
    assert stats["dead_fraction"] == pytest.approx(2 / 4)  # columns 0 and 3
    assert stats["zero_fraction"] == pytest.approx(9 / 12)
    images = np.zeros((2, 3, 2, 2))
    images[1, 0, 1, 1] = 0.5  # one position of channel 0 fires once: 11 of 12 positions dead
    assert activation_stats(images, nn.ReLU())["dead_fraction"] == pytest.approx(11 / 12)
    assert "dead_fraction" not in activation_stats(values, nn.LeakyReLU())
    assert "dead_fraction" not in activation_stats(np.zeros(3), nn.ReLU())  # no batch axis


def test_elu_saturates_on_its_negative_side_only():
    values = np.array([-0.995, -0.98, 0.0, 5.0, 100.0])
    assert activation_stats(values, nn.ELU())["saturated_fraction"] == pytest.approx(1 / 5)
    assert activation_stats(2 * values, nn.ELU(alpha=2.0))["saturated_fraction"] == 1 / 5


def test_histogram_counts_keep_values_beyond_the_ends_in_the_end_bins():
    values = np.array([-5.0, -1.0, -0.25, 0.0, 0.3, 0.99, 1.0, 7.0, np.inf, -np.inf, np.nan])
    counts = histogram_counts(values, -1.0, 1.0, 4)  # bins [-1,-.5) [-.5,0) [0,.5) [.5,1]
    assert counts.tolist() == [3, 1, 2, 4]
    assert counts.dtype == np.int64 and counts.sum() == 10  # the nan is not counted
    inside = np.random.default_rng(0).uniform(-1, 1, 1000)
    expected, _ = np.histogram(inside, bins=20, range=(-1, 1))
    assert histogram_counts(inside, -1, 1, 20).tolist() == expected.tolist()
    with pytest.raises(ValueError, match="low < high"):
        histogram_counts(values, 1.0, 1.0, 4)
    with pytest.raises(ValueError, match="bins >= 1"):
        Recorder(nn.MLP([2, 3, 2]), histogram=(0.0, 1.0, 0))


def test_recorder_histograms_count_each_forward():
    model, x, _ = _model_and_data("tanh")
    rec = Recorder(model, types=(nn.Tanh,), histogram=(-1.0, 1.0, 8), keep_outputs=True)
    model(x)
    model(x[:3])
    assert list(rec.histograms) == ["1", "3"]
    for name in rec.layers:
        first, second = rec.histograms[name]
        width = rec.outputs[name].shape[1]
        assert first.sum() == 8 * width and second.sum() == 3 * width  # every entry counted
        np.testing.assert_array_equal(second, histogram_counts(rec.outputs[name], -1, 1, 8))
    rec.clear()
    assert rec.histograms == {}


def test_weight_grad_norms_follow_the_linear_layers_in_order():
    model = nn.MLP([3, 4, 4, 2], residual=True, norm="layer", seed=0)
    rec = Recorder(model)
    assert rec.weight_grad_norms() == {}  # before backward
    x = np.random.default_rng(1).standard_normal((5, 3))
    F.cross_entropy(model(x), np.array([0, 1, 0, 1, 1])).backward()
    norms = rec.weight_grad_norms()
    assert list(norms) == ["0", "3.block.0", "4"]  # 1 is a LayerNorm, 2 a ReLU
    for name, layer in zip(norms, model.linear_layers()):
        assert norms[name] == pytest.approx(np.linalg.norm(layer.weight.grad), rel=1e-12)
    layer_norms = rec.weight_grad_norms(types=(nn.LayerNorm,))
    assert list(layer_norms) == ["1", "3.block.1"]


def test_output_grad_stats_are_the_back_propagated_gradients():
    model, x, y = _model_and_data("sigmoid")
    rec = Recorder(model, types=(nn.Sigmoid, nn.Linear), keep_outputs=True)
    with pytest.raises(KeyError, match="backward"):
        rec.output_grad_stats()
    F.cross_entropy(model(x), y, reduction="sum").backward()
    # By hand: dL/dlogits = softmax - one_hot; back through Linear 4 and the sigmoid.
    logits = rec.outputs["4"].data
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    d_logits = probs - np.eye(3)[y]
    d_a3 = d_logits @ model[4].weight.data
    a3 = rec.outputs["3"].data
    d_z2 = d_a3 * a3 * (1 - a3)
    expected = {"4": d_logits, "3": d_a3, "2": d_z2}
    for stat, reduce in (("norm", np.linalg.norm), ("std", np.std), ("mean_abs", None)):
        got = rec.output_grad_stats(stat)
        assert list(got) == ["0", "1", "2", "3", "4"]
        for name, grad in expected.items():
            want = np.mean(np.abs(grad)) if reduce is None else reduce(grad)
            assert got[name] == pytest.approx(want, rel=1e-10)
    with pytest.raises(ValueError, match="unknown stat"):
        rec.output_grad_stats("max")
    with pytest.raises(ValueError, match="keep_outputs=True"):
        Recorder(model).output_grad_stats()


def test_back_propagated_gradients_shrink_toward_the_input_of_a_deep_sigmoid_net():
    model = nn.MLP([8] + [16] * 6 + [3], activation="sigmoid", seed=0)
    rec = Recorder(model, types=(nn.Sigmoid,), keep_outputs=True)
    x = np.random.default_rng(0).standard_normal((32, 8))
    F.cross_entropy(model(x), np.arange(32) % 3).backward()
    norms = list(rec.output_grad_stats("norm").values())
    assert all(a < b / 2 for a, b in zip(norms, norms[1:]))  # each layer < half the next
