"""gradlib.nn (modules) and gradlib.init (initialisers)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradlib import Tensor, init, nn
from gradlib import functional as F

# ----- gradlib.init -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "param"),
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None)]
    + [("leaky_relu", None), ("leaky_relu", 0.2)],
)
def test_calculate_gain_matches_torch(torch, name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


@pytest.mark.parametrize("shape", [(7, 3), (6, 4, 3, 5), (2, 5, 1, 1)])
def test_fans_match_torch(torch, shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    assert init.fan_in_and_fan_out(Tensor(np.zeros(shape))) == expected


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fan_in_and_fan_out(Tensor(np.zeros(5)))


# A Linear weight (out=300, in=500) and a Conv2d weight (out=32, in=16, 5x5):
# (fan_in, fan_out) = (500, 300) and (400, 800).
WEIGHT_SHAPES = [(300, 500), (32, 16, 5, 5)]


def _empirical(fill, shape, seed=0):
    w = Tensor(np.zeros(shape))
    fill(w, seed)
    return w.data


@pytest.mark.parametrize("shape", WEIGHT_SHAPES)
def test_uniform_schemes_have_the_stated_bounds_and_variance(shape):
    fan_in, fan_out = init.fan_in_and_fan_out(np.zeros(shape))
    cases = {
        "default": (lambda w, s: init.default_uniform_(w, rng=s), 1 / math.sqrt(fan_in)),
        "xavier": (
            lambda w, s: init.xavier_uniform_(w, rng=s),
            math.sqrt(6 / (fan_in + fan_out)),
        ),
        "xavier_tanh_gain": (
            lambda w, s: init.xavier_uniform_(w, gain=5 / 3, rng=s),
            5 / 3 * math.sqrt(6 / (fan_in + fan_out)),
        ),
        "kaiming_relu": (
            lambda w, s: init.kaiming_uniform_(w, nonlinearity="relu", rng=s),
            math.sqrt(6 / fan_in),
        ),
        "kaiming_fan_out": (
            lambda w, s: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", rng=s),
            math.sqrt(6 / fan_out),
        ),
    }
    for name, (fill, bound) in cases.items():
        values = _empirical(fill, shape)
        assert np.abs(values).max() <= bound, name
        assert np.abs(values).max() > 0.99 * bound, name
        assert values.var() == pytest.approx(bound**2 / 3, rel=0.02), name  # Var U[-b, b]
        assert abs(values.mean()) < 0.01 * bound, name


@pytest.mark.parametrize("shape", WEIGHT_SHAPES)
def test_normal_schemes_have_the_stated_variance(shape):
    fan_in, fan_out = init.fan_in_and_fan_out(np.zeros(shape))
    cases = {
        "xavier_normal": (lambda w, s: init.xavier_normal_(w, rng=s), 2 / (fan_in + fan_out)),
        "kaiming_normal": (lambda w, s: init.kaiming_normal_(w, rng=s), 2 / fan_in),
        "kaiming_tanh": (
            lambda w, s: init.kaiming_normal_(w, nonlinearity="tanh", rng=s),
            (5 / 3) ** 2 / fan_in,
        ),
        "normal": (lambda w, s: init.normal_(w, 0.0, 0.05, rng=s), 0.05**2),
    }
    for name, (fill, variance) in cases.items():
        values = _empirical(fill, shape)
        assert values.var() == pytest.approx(variance, rel=0.03), name
        assert abs(values.mean()) < 0.02 * math.sqrt(variance), name
        # A normal sample of this size reaches past 3 std but not past 6.
        assert 3 < np.abs(values).max() / math.sqrt(variance) < 6, name


def test_init_is_deterministic_in_place_and_keeps_dtype():
    a = Tensor(np.zeros((4, 3), dtype=np.float32))
    array = a.data
    out = init.xavier_uniform_(a, rng=7)
    assert out is a and a.data is array and a.dtype == np.float32
    b = init.xavier_uniform_(Tensor(np.zeros((4, 3), dtype=np.float32)), rng=7)
    np.testing.assert_array_equal(a.data, b.data)
    rng = np.random.default_rng(7)
    first = init.normal_(Tensor(np.zeros(5)), rng=rng).data.copy()
    second = init.normal_(Tensor(np.zeros(5)), rng=rng).data
    assert not np.array_equal(first, second)  # one Generator continues its stream
    with pytest.raises(TypeError, match="Tensor or Parameter"):
        init.normal_(np.zeros(3), rng=0)


def test_init_layer_schemes_and_errors():
    w, b = Tensor(np.zeros((50, 80))), Tensor(np.ones(50))
    init.init_layer_(w, b, "kaiming_normal", rng=0)
    np.testing.assert_array_equal(b.data, 0.0)  # every non-default scheme zeroes the bias
    init.init_layer_(w, b, "uniform", scale=3.0, rng=0)
    assert 2.9 < np.abs(w.data).max() <= 3.0
    init.init_layer_(w, b, "default", rng=0)
    assert np.abs(b.data).max() <= 1 / math.sqrt(80) and np.abs(b.data).max() > 0.05
    with pytest.raises(ValueError, match="unknown scheme 'he'"):
        init.init_layer_(w, b, "he")
    with pytest.raises(ValueError, match="scale sets the spread"):
        init.init_layer_(w, b, "xavier_uniform", scale=2.0)


# ----- Module machinery ------------------------------------------------------------------------


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 3, rng=0)
        self.out = nn.Linear(3, 2, rng=1)
        self.note = "plain attribute"

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


def test_named_parameters_use_dotted_names_in_definition_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert sum(p.numel() for p in model.parameters()) == 4 * 3 + 3 + 3 * 2 + 2
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert [name for name, _ in model.named_children()] == ["hidden", "out"]
    assert [name for name, _ in model.named_modules()] == ["", "hidden", "out"]
    assert model.note == "plain attribute"


def test_shared_parameters_are_listed_once_and_reassignment_updates_registry():
    model = TwoLayer()
    model.out.weight = model.hidden.weight  # tie (shapes differ, but registration is the point)
    assert len(model.parameters()) == 3
    model.out = "not a module any more"
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]


def test_forgetting_super_init_gives_an_actionable_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_train_and_eval_switch_every_submodule():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.BatchNorm1d(3), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_every_parameter():
    model = TwoLayer()
    model(np.ones((2, 4))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_forward_hooks_run_in_order_can_replace_output_and_be_removed():
    layer = nn.Linear(2, 2, rng=0)
    calls = []
    h1 = layer.register_forward_hook(lambda m, inputs, out: calls.append(("first", inputs[0])))
    layer.register_forward_hook(lambda m, inputs, out: out * 0 + 7)
    x = np.ones((1, 2))
    np.testing.assert_array_equal(layer(x).data, [[7.0, 7.0]])
    assert calls[0][0] == "first" and calls[0][1] is x
    h1.remove()
    h1.remove()  # removing twice is harmless
    layer(x)
    assert len(calls) == 1


def test_module_without_forward_says_what_to_do():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(1)


def test_repr_is_readable():
    model = nn.Sequential(nn.Linear(4, 3), nn.Sequential(nn.LeakyReLU(0.1), nn.Flatten()))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): LeakyReLU(negative_slope=0.1)\n"
        "    (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Parameter([1.0])).startswith("Parameter containing:\ntensor(")


# ----- layers against PyTorch --------------------------------------------------------------------


def test_linear_layout_default_init_and_forward():
    layer = nn.Linear(5, 3, rng=0)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    bound = 1 / math.sqrt(5)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    x = np.random.default_rng(1).standard_normal((4, 5))
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)
    assert [n for n, _ in nn.Linear(5, 3, bias=False).named_parameters()] == ["weight"]
    np.testing.assert_array_equal(
        nn.Linear(5, 3, rng=4).weight.data, nn.Linear(5, 3, rng=4).weight.data
    )
    with pytest.raises(ValueError, match="last axis must be in_features = 5"):
        layer(np.ones((4, 6)))


def test_linear_gradients_match_torch(torch):
    layer = nn.Linear(5, 3, rng=0)
    ref = torch.nn.Linear(5, 3)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.data))
        ref.bias.copy_(torch.tensor(layer.bias.data))
    x = np.random.default_rng(1).standard_normal((4, 5))
    (layer(x) ** 2).sum().backward()
    (ref(torch.tensor(x)) ** 2).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=1e-12)


def test_conv2d_and_pooling_modules_match_torch(torch):
    conv = nn.Conv2d(2, 4, kernel_size=3, stride=1, padding=1, rng=0)
    assert conv.weight.shape == (4, 2, 3, 3) and conv.bias.shape == (4,)
    assert np.abs(conv.weight.data).max() <= 1 / math.sqrt(2 * 9)
    model = nn.Sequential(conv, nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2, stride=1), nn.Flatten())
    x = np.random.default_rng(2).standard_normal((3, 2, 6, 6))
    out = model(Tensor(x))
    tx = torch.tensor(x)
    expected = torch.nn.functional.conv2d(
        tx, torch.tensor(conv.weight.data), torch.tensor(conv.bias.data), padding=1
    )
    expected = torch.nn.functional.avg_pool2d(
        torch.nn.functional.max_pool2d(expected.relu(), 2), 2, 1
    )
    assert out.shape == (3, 4 * 2 * 2)
    np.testing.assert_allclose(out.data, expected.flatten(1).numpy(), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=r"expected \(N, 2, H, W\)"):
        conv(np.ones((3, 3, 6, 6)))


def _copy_bn(torch, ours, theirs):
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))


@pytest.mark.parametrize(("cls", "shape"), [("BatchNorm1d", (8, 3)), ("BatchNorm2d", (4, 3, 5, 5))])
def test_batchnorm_train_then_eval_matches_torch(torch, cls, shape):
    rng = np.random.default_rng(0)
    ours = getattr(nn, cls)(3, momentum=0.2)
    theirs = getattr(torch.nn, cls)(3, momentum=0.2)
    ours.weight.data[:] = rng.uniform(0.5, 2, 3)
    ours.bias.data[:] = rng.standard_normal(3)
    _copy_bn(torch, ours, theirs)
    for step in range(3):  # training: batch statistics, running ones updated
        x = 2 + 3 * rng.standard_normal(shape)
        out, ref = ours(x), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-12, err_msg=f"{step}")
    np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), atol=1e-12)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    running_before = ours.running_mean.data.copy()
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)
    np.testing.assert_array_equal(ours.running_mean.data, running_before)  # eval does not update
    assert [n for n, _ in ours.named_buffers()] == ["running_mean", "running_var"]


def test_batchnorm_training_output_depends_on_the_batch_but_eval_output_does_not():
    bn = nn.BatchNorm1d(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2)) * [1.0, 10.0] + [5.0, -3.0]
    out = bn(x).data
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-4)  # biased std, eps = 1e-5
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    assert not np.allclose(bn(x[:3]).data, out[:3])  # a different batch normalises differently
    bn.eval()
    np.testing.assert_array_equal(bn(x[:3]).data, bn(x).data[:3])
    expected = (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-12)


def test_batchnorm_errors_and_affine_false():
    bn = nn.BatchNorm1d(3, affine=False)
    assert bn.parameters() == []
    with pytest.raises(ValueError, match="C = num_features = 3"):
        bn(np.ones((4, 5)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        bn(np.ones((1, 3)))
    bn.eval()
    assert bn(np.ones((1, 3))).shape == (1, 3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        nn.BatchNorm2d(3)(np.ones((4, 3)))


def test_layernorm_matches_torch(torch):
    ln = nn.LayerNorm(6)
    ln.weight.data[:] = np.linspace(0.5, 2, 6)
    ln.bias.data[:] = np.linspace(-1, 1, 6)
    ref = torch.nn.LayerNorm(6)
    _copy_bn(torch, ln, ref)
    x = np.random.default_rng(3).standard_normal((4, 6)) * 3 + 1
    np.testing.assert_allclose(ln(x).data, ref(torch.tensor(x)).detach().numpy(), atol=1e-12)
    assert nn.LayerNorm((2, 3)).weight.shape == (2, 3)


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (nn.ReLU(), "relu"),
        (nn.LeakyReLU(0.2), "leaky_relu"),
        (nn.ELU(0.5), "elu"),
        (nn.Sigmoid(), "sigmoid"),
        (nn.Tanh(), "tanh"),
    ],
)
def test_activation_modules_match_torch(torch, module, name):
    x = np.linspace(-3, 3, 13)
    args = {"leaky_relu": (0.2,), "elu": (0.5,)}.get(name, ())
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), *args).numpy()
    np.testing.assert_allclose(module(x).data, expected, rtol=1e-14)


# ----- containers ---------------------------------------------------------------------------


def test_sequential_indexing_iteration_and_names():
    layers = [nn.Linear(4, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3
    assert list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert head[0].weight is layers[0].weight  # a slice shares the parameters
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = np.random.default_rng(0).standard_normal((5, 4))
    manual = layers[2](layers[1](layers[0](x)))
    np.testing.assert_array_equal(model(x).data, manual.data)
    model.append(nn.Sigmoid())
    assert len(model) == 4 and [n for n, _ in model.named_children()][-1] == "3"


def test_residual_gradient_is_identity_plus_the_block():
    block = nn.Linear(3, 3, rng=0)
    res = nn.Residual(block)
    x = Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    upstream = np.random.default_rng(2).standard_normal((2, 3))
    y = res(x)
    np.testing.assert_allclose(y.data, x.data + block(x).data)
    (y * upstream).sum().backward()
    # y = x + x W^T + b, so dL/dx = g (I + W): the identity plus the block's Jacobian.
    W = block.weight.data
    np.testing.assert_allclose(x.grad, upstream @ (np.eye(3) + W), rtol=1e-12)
    # With a block that passes no gradient at all, the identity still passes it unchanged.
    dead = nn.Residual(nn.Sequential(nn.Linear(3, 3, rng=0), nn.ReLU()))
    dead.block[0].bias.data[:] = -100.0
    x.grad = None
    (dead(x) * upstream).sum().backward()
    np.testing.assert_allclose(x.grad, upstream)
    with pytest.raises(ValueError, match=r"maps shape \(2, 3\) to \(2, 4\)"):
        nn.Residual(nn.Linear(3, 4))(x)


def _count(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_mlp_structure_names_and_parameter_count():
    model = nn.MLP([64, 128, 128, 10], seed=0)
    types = [type(m).__name__ for m in model]
    assert types == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]  # nothing after the last
    assert sum(p.numel() for p in model.parameters()) == _count([64, 128, 128, 10])
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [m.out_features for m in model.linear_layers()] == [128, 128, 10]
    assert model(np.zeros((7, 64))).shape == (7, 10)


@pytest.mark.parametrize(
    ("activation", "cls"),
    [("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU), ("elu", nn.ELU)]
    + [("sigmoid", nn.Sigmoid), ("tanh", nn.Tanh)],
)
def test_mlp_activations(activation, cls):
    model = nn.MLP([3, 5, 5, 2], activation=activation, seed=0)
    assert sum(isinstance(m, cls) for m in model.modules()) == 2


def test_mlp_norm_and_residual_variants():
    batch = nn.MLP([8, 16, 16, 16, 4], norm="batch", seed=0)
    assert [type(m).__name__ for m in batch][:3] == ["Linear", "BatchNorm1d", "ReLU"]
    assert sum(isinstance(m, nn.BatchNorm1d) for m in batch.modules()) == 3
    assert sum(p.numel() for p in batch.parameters()) == _count([8, 16, 16, 16, 4]) + 3 * 2 * 16
    layer = nn.MLP([8, 16, 4], norm="layer", seed=0)
    assert isinstance(layer[1], nn.LayerNorm)

    res = nn.MLP([8, 16, 16, 16, 4], residual=True, norm="layer", seed=0)
    # The first hidden layer changes width (8 -> 16), so only the next two are wrapped.
    assert [type(m).__name__ for m in res] == [
        "Linear",
        "LayerNorm",
        "ReLU",
        "Residual",
        "Residual",
        "Linear",
    ]
    assert [type(m).__name__ for m in res[3].block] == ["Linear", "LayerNorm", "ReLU"]
    assert "3.block.0.weight" in dict(res.named_parameters())
    x = np.random.default_rng(0).standard_normal((5, 8))
    h = res[:3](x)
    np.testing.assert_allclose(res[3](h).data, (h + res[3].block(h)).data)
    assert res(x).shape == (5, 4)


def test_mlp_is_deterministic_under_seed():
    a = nn.MLP([10, 20, 20, 3], init="kaiming_normal", seed=42)
    b = nn.MLP([10, 20, 20, 3], init="kaiming_normal", seed=42)
    c = nn.MLP([10, 20, 20, 3], init="kaiming_normal", seed=43)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
    # Layers draw from one stream: the second layer is not a copy of the first.
    assert not np.array_equal(a[2].weight.data[:, :10], a[0].weight.data[:20, :10])


@pytest.mark.parametrize(
    ("scheme", "variance"),
    [
        ("default", lambda fi, fo: 1 / (3 * fi)),
        ("xavier_uniform", lambda fi, fo: 2 / (fi + fo)),
        ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
        ("kaiming_uniform", lambda fi, fo: 2 / fi),
        ("kaiming_normal", lambda fi, fo: 2 / fi),
        ("normal", lambda fi, fo: 1.0),
        ("uniform", lambda fi, fo: 1 / 3),
    ],
)
def test_mlp_init_schemes_set_the_weight_variance(scheme, variance):
    model = nn.MLP([200, 400, 300, 10], init=scheme, seed=0)
    for layer in model.linear_layers()[:2]:
        fi, fo = layer.in_features, layer.out_features
        assert layer.weight.data.var() == pytest.approx(variance(fi, fo), rel=0.03)
        if scheme != "default":
            np.testing.assert_array_equal(layer.bias.data, 0.0)


def test_mlp_init_scale_and_errors():
    small = nn.MLP([50, 50, 2], init="normal", init_scale=0.01, seed=0)
    assert small[0].weight.data.std() == pytest.approx(0.01, rel=0.05)
    wide = nn.MLP([50, 50, 2], init="uniform", init_scale=2.0, seed=0)
    assert 1.9 < np.abs(wide[0].weight.data).max() <= 2.0
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([10])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        nn.MLP([2, 2], activation="softplus")
    with pytest.raises(ValueError, match="norm must be"):
        nn.MLP([2, 2, 2], norm="group")
    with pytest.raises(ValueError, match="scale sets the spread"):
        nn.MLP([2, 2, 2], init="kaiming_normal", init_scale=3.0)


def test_deep_mlp_gradients_reach_the_first_layer():
    # 30 tanh layers: a quick backward through a long chain of modules.
    model = nn.MLP([16] + [32] * 30 + [4], activation="tanh", init="xavier_normal", seed=0)
    x = np.random.default_rng(0).standard_normal((8, 16))
    model(x).sum().backward()
    first = model.linear_layers()[0].weight.grad
    assert first is not None and np.isfinite(first).all() and np.abs(first).max() > 0
