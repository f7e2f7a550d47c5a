"""gradlib.lessons.gradient_flow: the networks, the measurements, the remedies, the checkers."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib import nn  # noqa: E402
from gradlib.lessons import gradient_flow as lesson  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ----- the networks ----------------------------------------------------------------------------


def test_build_mlp_is_reproducible_and_deeper_nets_share_their_first_layers():
    a = lesson.build_mlp(3, 16, "tanh", "Xavier", seed=4)
    b = lesson.build_mlp(3, 16, "tanh", "Xavier", seed=4)
    deeper = lesson.build_mlp(5, 16, "tanh", "Xavier", seed=4)
    for la, lb, ld in zip(a.linear_layers()[:3], b.linear_layers(), deeper.linear_layers()):
        np.testing.assert_array_equal(la.weight.data, lb.weight.data)
        np.testing.assert_array_equal(la.weight.data, ld.weight.data)
    assert [m.in_features for m in deeper.linear_layers()] == [64, 16, 16, 16, 16, 16]


@pytest.mark.parametrize(
    "scheme, variance",
    [
        ("standard", lambda n_in, n_out: 1 / (3 * n_in)),
        ("Xavier", lambda n_in, n_out: 2 / (n_in + n_out)),
        ("He", lambda n_in, n_out: 2 / n_in),
        ("too small", lambda n_in, n_out: 0.25**2 / n_in),
        ("too large", lambda n_in, n_out: 4.0**2 / n_in),
    ],
)
def test_initialisations_have_their_published_variance(scheme, variance):
    model = lesson.build_mlp(2, 200, "ReLU", scheme, seed=0, n_in=300)
    layer = model.linear_layers()[1]  # 200 -> 200: 40,000 weights
    assert layer.weight.data.var() == pytest.approx(variance(200, 200), rel=0.03)
    assert (layer.bias.data == 0).all() == (scheme != "standard")


def test_build_mlp_names_its_parts_and_rejects_unknown_choices():
    model = lesson.build_mlp(3, 8, "LeakyReLU", "He", norm="LayerNorm", residual=True, n_in=8)
    assert sum(isinstance(m, nn.Residual) for m in model.modules()) == 3
    assert sum(isinstance(m, nn.LayerNorm) for m in model.modules()) == 3
    assert sum(isinstance(m, nn.LeakyReLU) for m in model.modules()) == 3
    with pytest.raises(ValueError, match="activation must be one of sigmoid, tanh"):
        lesson.build_mlp(2, 4, "relu")
    with pytest.raises(ValueError, match="init must be one of"):
        lesson.build_mlp(2, 4, "ReLU", "Kaiming")
    with pytest.raises(ValueError, match="norm must be one of none, BatchNorm"):
        lesson.build_mlp(2, 4, "ReLU", "He", norm="batch")


def test_digits_are_shared_read_only():
    X, y = lesson.digit_batch(10)
    assert X.shape == (10, 64) and y.shape == (10,)
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0] = 1.0


# ----- section 1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("w", [1.0, 2.0, 4.0, 6.0])
def test_sigmoid_chain_gradient_is_w_over_4_to_the_L(w):
    grads = lesson.sigmoid_chain(w, 12)
    np.testing.assert_allclose(grads, (w / 4) ** np.arange(1, 13), rtol=1e-12)


@pytest.mark.parametrize("activation", list(lesson.ACTIVATIONS))
def test_activation_slope_equals_autodiff(activation):
    z = np.array([-3.0, -0.7, -0.1, 0.2, 1.5, 4.0])
    zt = gl.tensor(z, requires_grad=True)
    module = nn.ACTIVATIONS[lesson.ACTIVATIONS[activation]]()
    module(zt).sum().backward()
    np.testing.assert_allclose(lesson.activation_slope(activation, z), zt.grad, rtol=1e-12)
    assert lesson.activation_slope(activation, z).max() <= lesson.MAX_SLOPE[activation]


def test_the_jacobian_product_is_what_backward_computes_and_obeys_its_bound():
    vanishing = lesson.jacobian_products("sigmoid", "standard", depth=20)
    exploding = lesson.jacobian_products("ReLU", "too large", depth=20)
    for product in (vanishing, exploding):
        assert product.backward_gap < 1e-12
        assert product.per_layer <= product.bound
        assert product.per_layer == pytest.approx(product.typical, rel=0.15)
        assert np.all(np.diff(np.log(product.norms)) <= np.log(product.bound) + 1e-12)
    assert vanishing.norms[-1] < 1e-12 and exploding.norms[-1] > 1e8
    assert vanishing.bound == pytest.approx(vanishing.largest_singular_value / 4)


# ----- the per-layer profile --------------------------------------------------------------------


def test_profile_norms_equal_the_gradients_computed_directly():
    profile = lesson.gradient_profile(4, 16, "tanh", "standard", batch=32)
    model = lesson.build_mlp(4, 16, "tanh", "standard")
    X, y = lesson.digit_batch(32)
    hidden = []
    model[1].register_forward_hook(lambda m, i, out: hidden.append(out.retain_grad()))
    F.cross_entropy(model(X), y).backward()
    by_hand = [np.linalg.norm(layer.weight.grad) for layer in model.linear_layers()]
    np.testing.assert_allclose(profile.weight_grad, by_hand, rtol=1e-12)
    np.testing.assert_array_equal(profile.weight_grad, profile.weight_grad_unclipped)
    assert profile.backprop_grad[0] == pytest.approx(np.linalg.norm(hidden[0].grad), rel=1e-12)
    assert profile.first_to_last == profile.backprop_grad[0] / profile.backprop_grad[-1]
    np.testing.assert_allclose(profile.histograms.sum(axis=1), 1.0)
    assert profile.histograms.shape == (4, lesson.HISTOGRAM[2])
    assert np.isnan(profile.dead).all() and profile.saturated.shape == (4,)


def test_clipping_by_norm_keeps_the_direction_and_by_value_turns_it():
    plain = lesson.gradient_profile(6, 32, "ReLU", "too large", batch=32)
    by_norm = lesson.gradient_profile(6, 32, "ReLU", "too large", clip="by norm", batch=32)
    by_value = lesson.gradient_profile(6, 32, "ReLU", "too large", clip="by value", batch=32)
    assert by_norm.clip_angle < 1e-4 and by_value.clip_angle > 10
    np.testing.assert_allclose(by_norm.weight_grad, plain.weight_grad * by_norm.clip_scale)
    assert np.linalg.norm(by_norm.weight_grad) <= lesson.CLIP_MAX_NORM
    side = [np.sqrt(layer.in_features * 32) for layer in lesson.build_mlp(6, 32).linear_layers()]
    assert np.all(by_value.weight_grad <= lesson.CLIP_VALUE * np.array(side) + 1e-12)
    np.testing.assert_array_equal(by_value.weight_grad_unclipped, plain.weight_grad)


def test_profile_sees_dead_relus_and_saturated_tanh():
    relu = lesson.gradient_profile(10, 32, "ReLU", "too small", batch=64)
    tanh = lesson.gradient_profile(3, 64, "tanh", "too large", batch=64)
    assert not np.isnan(relu.dead_share) and np.isnan(relu.saturated_share)
    assert tanh.saturated_share > 0.2 and np.isnan(tanh.dead_share)


def test_gradient_angle():
    a = [np.array([1.0, 0.0]), np.array([0.0])]
    assert lesson.gradient_angle(a, [np.array([2.0, 0.0]), np.array([0.0])]) == 0.0
    assert lesson.gradient_angle(a, [np.array([1.0, 1.0]), np.array([0.0])]) == pytest.approx(45)


# ----- Nielsen and Glorot ---------------------------------------------------------------------


def test_nielsen_cost_is_his_cross_entropy():
    model = lesson.nielsen_net(2, seed=1)
    X, y = lesson.digit_batch(20)
    with gl.no_grad():
        a = 1 / (1 + np.exp(-model(X).data))
    Y = np.eye(10)[y]
    expected = -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / len(X)
    assert lesson.nielsen_cost(model, X, y).item() == pytest.approx(expected, rel=1e-10)
    weights = model.linear_layers()[1].weight.data
    assert weights.std() == pytest.approx(1 / math.sqrt(30), rel=0.1)


def test_nielsen_gradients_shrink_toward_the_input_like_his():
    for layers, published in lesson.NIELSEN_PUBLISHED.items():
        ours = np.median(lesson.nielsen_gradients(layers, range(4)), axis=0)
        assert np.all(np.diff(ours) > 0)
        # same order of magnitude as his, layer by layer
        assert np.all(np.abs(np.log10(ours / np.array(published))) < 0.5)


def test_nielsen_training_keeps_the_order_of_the_layers():
    run = lesson.train_nielsen(epochs=3)
    assert run.bias_grad.shape == (3, 4)
    assert np.all(np.diff(run.bias_grad, axis=1) > 0)
    assert run.bias_moved.shape == (5,) and run.bias_moved[3] > 2 * run.bias_moved[0]
    assert 1 <= run.classes_predicted <= 10 and 0 <= run.test_accuracy <= 1


def test_nielsen_step_is_his_full_batch_step_with_weight_decay():
    """One epoch = one step on all the images: w <- (1 - lr l2 / n) w - lr dC/dw."""
    model = lesson.nielsen_net(2, seed=3)
    X, y = lesson.digit_batch(50)
    before = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in model.linear_layers()]
    norms = lesson.nielsen_step(model, X, y, lr=0.1, l2=5.0)
    grads = [(layer.weight.grad, layer.bias.grad) for layer in model.linear_layers()]
    for layer, (w0, b0), (gw, gb) in zip(model.linear_layers(), before, grads):
        np.testing.assert_allclose(layer.weight.data, (1 - 0.1 * 5.0 / 50) * w0 - 0.1 * gw)
        np.testing.assert_allclose(layer.bias.data, b0 - 0.1 * gb)
    np.testing.assert_allclose(norms, [np.linalg.norm(gb) for _, gb in grads[:-1]])


def test_nielsen_training_records_the_gradient_before_each_step():
    run = lesson.train_nielsen(2, epochs=1, seed=3)  # one step: the biases move lr ||dC/db||
    np.testing.assert_allclose(
        run.bias_moved[:2], lesson.NIELSEN_TRAINING["lr"] * run.bias_grad[0], rtol=1e-10
    )


def test_glorot_standard_init_shrinks_backprop_gradients_and_xavier_does_not():
    standard = lesson.glorot_statistics("standard", width=64, seeds=range(2))
    xavier = lesson.glorot_statistics("Xavier", width=64, seeds=range(2))
    assert standard.backprop_std[-1] / standard.backprop_std[0] > 4
    assert xavier.backprop_std[-1] / xavier.backprop_std[0] < 2
    # Glorot & Bengio: with the standard init the weight gradients stay about the same
    spread = standard.weight_grad_std.max() / standard.weight_grad_std.min()
    assert spread < 1.5
    assert standard.activation_std[0] > 2 * standard.activation_std[-1]
    assert len(standard.backprop_samples) == 5
    np.testing.assert_allclose(standard.activation_histograms.sum(axis=1), 1.0)


# ----- remedies ---------------------------------------------------------------------------------


def test_clip_in_place_is_the_clipping_that_clip_gradients_measures():
    from gradlib.lessons.gradient_flow.maths import clip_gradients, clip_in_place

    rng = np.random.default_rng(0)
    for clip in ("none", "by norm", "by value"):
        a = [gl.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(2)]
        b = [gl.tensor(t.data, requires_grad=True) for t in a]
        for x, y in zip(a, b):
            x.grad = rng.standard_normal(x.shape) * 5
            y.grad = x.grad.copy()
        scale, _ = clip_gradients(a, clip)
        assert clip_in_place(b, clip) == scale
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x.grad, y.grad)
    with pytest.raises(ValueError, match="clip"):
        clip_in_place(a, "by size")


def test_nudged_changes_only_the_last_bits_and_the_same_way_each_time():
    from gradlib.lessons import nudged

    X = np.random.default_rng(3).uniform(0, 16, (50, 64))
    assert nudged(X, 0.0) is X
    once, again = nudged(X, 1e-15), nudged(X, 1e-15)
    np.testing.assert_array_equal(once, again)
    assert (once != X).any() and np.abs(once / X - 1).max() < 1e-14


def test_clipping_trains_the_exploding_network_and_weight_decay_does_not_save_it():
    plain = lesson.train_exploding(steps=40)
    l2 = lesson.train_exploding(weight_decay=lesson.WEIGHT_DECAY, steps=40)
    clipped = lesson.train_exploding("by norm", steps=40)
    assert plain.blew_up_at is not None and plain.blew_up_at < 10
    assert l2.blew_up_at is not None and l2.blew_up_at < 10
    assert clipped.blew_up_at is None and np.isfinite(clipped.losses).all()
    assert clipped.losses[-5:].mean() < 0.05 * clipped.losses[0]
    assert len(plain.grad_norms) == plain.blew_up_at


def test_one_exploding_step_under_each_remedy():
    step = lesson.one_step_sizes()
    assert step.plain == pytest.approx(lesson.EXPLODING["lr"] * step.gradient_norm)
    assert step.l2 == pytest.approx(step.plain, rel=1e-3)
    assert step.l1 == pytest.approx(step.plain, rel=1e-3)
    assert step.clipped == pytest.approx(lesson.EXPLODING["lr"] * lesson.CLIP_MAX_NORM, rel=1e-5)
    assert step.angle_by_norm < 1e-4 and step.angle_by_value > 10


def test_steps_to_halve():
    n = lesson.steps_to_halve(0.05, 1e-3)
    assert (1 - 0.05e-3) ** n == pytest.approx(0.5)


def test_activation_family_rows():
    rows = {row.activation: row for row in lesson.activation_family(depth=12, width=32)}
    assert rows["sigmoid"].spread > 1e5 and rows["ReLU"].spread < 10
    for name in ("ReLU", "LeakyReLU", "ELU"):
        assert rows[name].slope_one_if_positive == 1.0 and rows[name].largest_slope == 1.0
    assert rows["ReLU"].positive == pytest.approx(0.5, abs=0.15)
    assert rows["sigmoid"].slope_one_if_positive == 0.0 and rows["sigmoid"].largest_slope <= 0.25
    assert np.isnan(rows["LeakyReLU"].dead) and not np.isnan(rows["ReLU"].dead)


def test_a_large_learning_rate_kills_relus():
    small, large = lesson.dead_units(0.05, steps=40), lesson.dead_units(2.0, steps=40)
    assert large.dead_after > 0.5 > small.dead_after


def _batchnorm_case(rng):
    x = rng.standard_normal((16, 5)) * 3 + 1
    return x, rng.uniform(0.5, 2, 5), rng.standard_normal(5), rng.standard_normal((16, 5))


def test_batchnorm_backward_by_hand_equals_gradlib_and_finite_differences(rng):
    x, gamma, beta, grad = _batchnorm_case(rng)
    by_hand = lesson.batchnorm_backward_by_hand(x, gamma, grad)
    by_gradlib = lesson.batchnorm_backward_by_gradlib(x, gamma, beta, grad)
    for mine, theirs in zip(by_hand, by_gradlib):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(by_hand[0].sum(axis=0), 0.0, atol=1e-12)

    def loss(x, gamma, beta):
        out = F.batch_norm(x, None, None, gamma, beta, training=True)
        return (out * gl.tensor(grad)).sum()

    numeric = gl.numerical_grad(loss, x, gamma, beta)
    for mine, theirs in zip(by_hand, numeric):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7)


def test_batchnorm_backward_by_hand_equals_pytorch(rng, torch):
    x, gamma, beta, grad = _batchnorm_case(rng)
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(gamma, requires_grad=True)
    bt = torch.tensor(beta, requires_grad=True)
    torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True).backward(
        torch.tensor(grad)
    )
    for mine, theirs in zip(lesson.batchnorm_backward_by_hand(x, gamma, grad), (xt, gt, bt)):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_folded_batchnorm_is_the_same_affine_map():
    rng = np.random.default_rng(3)
    linear, bn = nn.Linear(5, 4, rng=rng), nn.BatchNorm1d(4)
    for _ in range(5):  # running statistics that are not 0 and 1
        bn(linear(rng.standard_normal((32, 5)) * 2 + 1))
    bn.weight.data[:] = rng.uniform(0.5, 2, 4)
    bn.bias.data[:] = rng.standard_normal(4)
    bn.eval()
    W, b = lesson.fold_batchnorm(linear, bn)
    x = rng.standard_normal((7, 5))
    with gl.no_grad():
        np.testing.assert_allclose(bn(linear(x)).data, x @ W.T + b, rtol=1e-12, atol=1e-12)


def test_batchnorm_output_depends_on_the_batch_in_training_only():
    result = lesson.batch_dependence()
    assert np.abs(result.in_first_batch - result.in_second_batch).max() > 0.5
    np.testing.assert_array_equal(*result.in_eval_mode)
    assert result.scaled_batch_gap < 1e-4
    assert result.midpoint_gap > 0.1 and result.midpoint_gap_eval < 1e-12


def test_residual_block_jacobian_is_identity_plus_branch():
    result = lesson.residual_jacobian()
    assert result.gap < 1e-12
    assert np.abs(result.branch).max() > 0.05


def test_depth_table_small():
    table = lesson.depth_table(("sigmoid", "ReLU"), depth=12, width=32, seeds=range(1))
    assert set(table) == {(a, n) for a in ("sigmoid", "ReLU") for n in lesson.ARCHITECTURES}
    spread = {name: table["sigmoid", name].spread for name in lesson.ARCHITECTURES}
    assert spread["plain"] > 1e5 > 100 > spread["residual + LayerNorm"]
    plain = lesson.gradient_profile(12, 32, "sigmoid", "standard", histograms=False)
    assert table["sigmoid", "plain"].per_layer == pytest.approx(plain.first_to_last ** (1 / 11))
    assert table["ReLU", "residual, branches/√L"].spread < 2


def test_relu_batchnorm_gradient_grows_as_predicted():
    profile = lesson.gradient_profile(30, 64, "ReLU", "standard", "BatchNorm")
    per_layer = (profile.first_to_last) ** (1 / 29)
    assert lesson.bn_growth_prediction() == pytest.approx(math.sqrt(math.pi / (math.pi - 1)))
    assert per_layer == pytest.approx(lesson.bn_growth_prediction(), rel=0.05)


def test_normalised_growth_matches_closed_forms_and_the_poincare_inequality():
    assert lesson.normalised_growth("ReLU", "BatchNorm") == pytest.approx(
        lesson.bn_growth_prediction(), rel=1e-6
    )
    assert lesson.normalised_growth("ReLU", "LayerNorm") == pytest.approx(1.0, rel=1e-6)
    assert lesson.normalised_growth("LeakyReLU", "LayerNorm") == pytest.approx(1.0, rel=1e-3)
    for activation in lesson.ACTIVATIONS:  # Var f(z) <= E f'(z)^2 for z ~ N(0, 1)
        assert lesson.normalised_growth(activation, "BatchNorm") > 1.0
        assert lesson.normalised_growth(activation, "LayerNorm") <= lesson.normalised_growth(
            activation, "BatchNorm"
        )
    with pytest.raises(ValueError, match="BatchNorm or LayerNorm"):
        lesson.normalised_growth("ReLU", "none")


@pytest.mark.parametrize(("activation", "norm"), [("sigmoid", "LayerNorm"), ("tanh", "BatchNorm")])
def test_normalised_growth_predicts_a_deep_net(activation, norm):
    profile = lesson.gradient_profile(30, 64, activation, "standard", norm, histograms=False)
    assert profile.first_to_last ** (1 / 29) == pytest.approx(
        lesson.normalised_growth(activation, norm), rel=0.05
    )


def test_scaled_branches_report_the_gradient_of_the_residual_stream():
    depth = 6
    profile = lesson.gradient_profile(
        depth, 64, "tanh", "standard", residual=True, batch=32, scaled_branches=True
    )
    model = lesson.build_mlp(depth, 64, "tanh", "standard", residual=True, scaled_branches=True)
    assert sum(isinstance(m, lesson.ScaleBranch) for m in model.modules()) == depth
    stream = []
    for block in (m for m in model.modules() if isinstance(m, nn.Residual)):
        block.register_forward_hook(lambda m, i, out: stream.append(out.retain_grad()))
    X, y = lesson.digit_batch(32)
    F.cross_entropy(model(X), y).backward()
    np.testing.assert_allclose(
        profile.backprop_grad, [np.linalg.norm(h.grad) for h in stream], rtol=1e-10
    )
    with pytest.raises(ValueError, match="set residual=True"):
        lesson.build_mlp(3, 8, scaled_branches=True)


def test_stream_sizes_grow_without_scaling_and_stay_small_with_it():
    sizes = lesson.stream_sizes("ReLU", depth=20, blocks=(1, 20))
    assert set(sizes) == {n for n, (_, residual, _) in lesson.ARCHITECTURES.items() if residual}
    assert sizes["residual"][1] > 30 * sizes["residual"][0]
    assert sizes["residual, branches/√L"][1] < 10 * sizes["residual, branches/√L"][0]


def test_deep_relu_net_trains_without_batchnorm():
    loss, test_accuracy = lesson.train_deep("none", depth=8, steps=60)
    assert test_accuracy > 0.5 and np.isfinite(loss)


@pytest.mark.parametrize("norm", ["none", "BatchNorm"])
def test_deep_runs_end_alike_when_the_pixels_change_in_their_last_bits(norm):
    # Another processor rounds matrix products differently in the last bits; a nudge of 1e-15
    # does the same to the pixels. At 20 layers these runs were chaotic (both ended elsewhere);
    # notebook 05 prints the 10-layer runs, which must not move.
    run = lesson.train_deep(norm)
    for nudge in (1e-15, -1e-15):
        assert run.ends_like(lesson.train_deep(norm, nudge=nudge)), nudge


@pytest.mark.parametrize("clip", ["by norm", "by value"])
def test_clipped_runs_end_alike_when_the_pixels_change_in_their_last_bits(clip):
    # With CLIP_VALUE = 0.01 clipping by value trained chaotically (a nudge of 1e-15 moved its
    # last loss from 0.50 to 0.37-0.65 and its accuracy by up to 5 points).
    run = lesson.train_exploding(clip)
    for nudge in (1e-15, -1e-15):
        assert run.ends_like(lesson.train_exploding(clip, nudge=nudge)), nudge


# ----- the widget ---------------------------------------------------------------------------------


def test_widget_text_names_what_happens():
    lab = lesson.GradientFlowLab()
    assert "(vanishing)" in lab.draw()
    assert "(exploding)" in lab.draw(**lesson.GradientFlowLab.moved)
    text = lab.draw(clip="by value", init="too large", activation="ReLU")
    assert "clipped by value: turned" in text and "dead" in text
    assert lab.unclipped.get_visible()
    lab.draw()
    assert not lab.unclipped.get_visible()
    assert lesson.describe_ratio(float("nan")).startswith("not finite")
    bare = lab.draw(depth=30, activation="ReLU", residual="x + F(x)")
    scaled = lab.draw(depth=30, activation="ReLU", residual="x + F(x)/√L")
    assert "residual x + F(x)," in bare and "(exploding)" in bare
    assert "residual x + F(x)/√L" in scaled and "(within 10x)" in scaled


def test_widget_weight_ratio_compares_the_same_layers_as_the_backprop_ratio():
    profile = lesson.gradient_profile(5, 16, "tanh", "Xavier", batch=16)
    first, last_hidden = profile.weight_grad_unclipped[[0, 4]]
    assert profile.weight_first_to_last == first / last_hidden


# ----- the figures -------------------------------------------------------------------------------


def test_figures_draw():
    chains = {w: lesson.sigmoid_chain(w, 5) for w in (1.0, 6.0)}
    products = [lesson.jacobian_products("tanh", "Xavier", depth=5)]
    stats = [lesson.glorot_statistics(s, width=32, seeds=range(1)) for s in ("standard", "Xavier")]
    runs = {
        "no clipping": lesson.train_exploding(steps=10),
        "by norm": lesson.train_exploding("by norm", steps=10),
    }
    profiles = {"plain": np.array([1e-3, 1e-2, 1e-1])}
    figures = [
        lesson.plot_sigmoid_chain(chains),
        lesson.plot_jacobian_norms(products),
        lesson.plot_nielsen_training(lesson.train_nielsen(epochs=1)),
        lesson.plot_backprop_histograms(stats),
        lesson.plot_activation_histograms(stats),
        lesson.plot_clipping_runs(runs),
        lesson.plot_depth_profiles(profiles, "a title"),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert len(figures[0].axes[0].lines) == 5  # 2 x (dots + formula) + the legend's key


# ----- the exercises ---------------------------------------------------------------------------


def test_gain_checker():
    assert lesson.check_init_gain(1.0)
    for wrong, words in [
        (None, "still empty"),
        (0.5, "it vanishes"),
        (3.0, "it explodes"),
        (0.9, "root-mean-square slope"),
        (0.125, "Is that a standard deviation?"),
        (0.0, "must be positive"),
        ("1", "Remove the quotes"),
    ]:
        verdict = lesson.check_init_gain(wrong)
        assert not verdict and words in verdict.message, (wrong, verdict)


def _clip_good(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [g * min(1.0, max_norm / total) for g in grads]


def _clip_each(grads, max_norm):
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]


def _clip_always(grads, max_norm):
    total = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [g * max_norm / total for g in grads]


def _clip_in_place(grads, max_norm):
    for g in grads:
        g *= 0.5
    return grads


def _clip_values(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def _clip_stub(grads, max_norm):
    raise NotImplementedError


def _clip_numpy_norm(grads, max_norm):
    total = np.linalg.norm(grads)  # fails: the arrays have different shapes
    return [g * min(1.0, max_norm / total) for g in grads]


def _clip_squared(grads, max_norm):
    total = sum(float(np.sum(g**2)) for g in grads)  # the square root is missing
    return [g * min(1.0, max_norm / total) for g in grads]


def test_clip_checker_names_each_slip():
    assert lesson.check_clip_grad_norm(_clip_good)
    for function, words in [
        (None, "not defined yet"),
        (_clip_stub, "NotImplementedError"),
        (_clip_each, "each array to max_norm on its own"),
        (_clip_always, "already below max_norm"),
        (_clip_in_place, "changed the arrays it was given"),
        (_clip_values, "clipping by value"),
        (lambda grads, m: None, "returned None"),
        (_clip_numpy_norm, "arrays with different shapes"),
        (_clip_squared, "sum of the squares"),
    ]:
        verdict = lesson.check_clip_grad_norm(function)
        assert not verdict and words in verdict.message, (function, verdict)


def test_reference_clip_matches_gradlib_and_keeps_small_gradients():
    for grads, max_norm in lesson.clip_cases():
        for mine, theirs in zip(
            _clip_good(grads, max_norm), lesson.reference_clip_grad_norm(grads, max_norm)
        ):
            np.testing.assert_allclose(mine, theirs, rtol=1e-5)


def test_chain_checker():
    factor = (3 / 4) ** 10
    assert lesson.sigmoid_orthogonal_chain(3.0, 10) == pytest.approx(factor, rel=1e-12)
    assert lesson.check_chain_prediction([factor, 4])
    assert lesson.check_chain_prediction([0.056, 4])  # two significant figures will do
    for wrong, words in [
        ([0.75, 4], "one layer's factor"),
        ([(1 / 4) ** 10, 4], "left out the weights"),
        ([3.0**10, 4], "left out sigmoid'(0)"),
        ([(4 / 3) ** 10, 4], "upside down"),
        ([7.5, 4], "multiply, they do not add"),
        ([0.75**9, 4], "count the Jacobians"),
        ([0.75**11, 4], "count the Jacobians"),
        ([0.06, 4], "too large"),
        ([factor, 3], "too small"),
        (0.05, "two numbers"),
    ]:
        verdict = lesson.check_chain_prediction(wrong)
        assert not verdict and words in verdict.message, (wrong, verdict)
    assert "0.0563" not in lesson.check_chain_prediction([0.5, 4]).message  # not revealed
