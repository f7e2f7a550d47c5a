"""gradlib.lessons.backprop: forward mode, reverse-mode costs, training snapshots, exercises."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib import plotting  # noqa: E402
from gradlib.engine import Function  # noqa: E402
from gradlib.lessons import backprop as bp  # noqa: E402

N, D, M, C = 12, 2, 5, 3


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def problem(rng):
    """A small MLP problem: X (N, D), y (N,), params [W1 (D, M), b1 (M,), W2 (M, C), b2 (C,)]."""
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, N)
    params = [
        rng.standard_normal((D, M)),
        0.1 * rng.standard_normal(M),
        rng.standard_normal((M, C)),
        0.1 * rng.standard_normal(C),
    ]
    return X, y, params


def gradlib_loss(X, y, W1, b1, W2, b2):
    Z2 = F.relu(gl.tensor(X) @ W1 + b1) @ W2 + b2
    return -F.log_softmax(Z2, dim=1)[np.arange(len(y)), y].mean()


def gradlib_grads(X, y, params):
    leaves = [gl.tensor(p, requires_grad=True) for p in params]
    loss = gradlib_loss(X, y, *leaves)
    loss.backward()
    return loss, [p.grad for p in leaves]


# ----- below ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [
        (3.2e-10, "< 1e-09"),
        (9.9e-10, "< 1e-09"),
        (1e-9, "< 1e-08"),
        (0.0, "< 1e-15"),
        (0.02, "< 1e-01"),
    ],
)
def test_below_prints_the_next_power_of_ten(value, text):
    assert bp.below(value) == text


# ----- the two passes, observed --------------------------------------------------------------


def test_mlp_loss_is_the_mean_cross_entropy_of_the_mlp(problem):
    X, y, params = problem
    loss = bp.mlp_loss(X, y, *[gl.tensor(p) for p in params])
    logits = np.maximum(X @ params[0] + params[1], 0) @ params[2] + params[3]
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert loss.item() == pytest.approx(-log_p[np.arange(N), y].mean(), rel=1e-12)


def test_observe_passes_sees_the_forward_order_then_the_reverse(problem):
    X, y, params = problem
    passes = bp.observe_passes(X, y, *params)
    weights = ["W1", "b1", "W2", "b2"]
    computed = ["X@W1", "Z1", "H", "H@W2", "Z2", "log_p", "picked", "mean", "L"]
    assert passes.forward == weights + computed
    assert passes.backward[: len(computed)] == computed[::-1]
    assert sorted(passes.backward[len(computed) :]) == sorted(weights)
    assert passes.inputs["Z1"] == ["X@W1", "b1"] and passes.inputs["H@W2"] == ["H", "W2"]
    assert passes.inputs["X@W1"] == ["W1"]  # X is data: not watched
    assert passes.each_gradient_once() and passes.gradient_before_inputs()
    loss, grads = gradlib_grads(X, y, params)
    assert passes.loss == loss.item()
    for name, grad in zip(weights, grads):
        np.testing.assert_array_equal(passes.grads[name], grad)


def test_pass_order_checks_can_fail(problem):
    X, y, params = problem
    passes = bp.observe_passes(X, y, *params)
    swapped = passes.backward.copy()
    swapped[0], swapped[1] = swapped[1], swapped[0]  # "mean" finished before "L"
    wrong = bp.PassOrder(passes.forward, swapped, passes.inputs, passes.loss, passes.grads)
    assert wrong.each_gradient_once() and not wrong.gradient_before_inputs()
    twice = bp.PassOrder(
        passes.forward, passes.backward + ["H"], passes.inputs, passes.loss, passes.grads
    )
    assert not twice.each_gradient_once()


# ----- forward mode ----------------------------------------------------------------------------


def test_jvp_value_is_the_loss_and_its_tangent_the_directional_derivative(problem, rng):
    X, y, params = problem
    direction = [rng.standard_normal(p.shape) for p in params]
    loss, grads = gradlib_grads(X, y, params)
    value, tangent = bp.mlp_loss_jvp(X, y, params, direction)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    assert tangent == pytest.approx(sum(np.sum(g * d) for g, d in zip(grads, direction)), rel=1e-9)
    # and against a central difference along the same direction, independent of both
    h = 1e-6
    plus, _ = bp.mlp_loss_jvp(X, y, [p + h * d for p, d in zip(params, direction)], direction)
    minus, _ = bp.mlp_loss_jvp(X, y, [p - h * d for p, d in zip(params, direction)], direction)
    assert tangent == pytest.approx((plus - minus) / (2 * h), rel=1e-6)


def test_jvp_counts_five_matrix_products(problem, rng):
    X, y, params = problem
    macs = [0]
    bp.mlp_loss_jvp(X, y, params, [np.zeros_like(p) for p in params], macs)
    assert macs[0] == 2 * N * D * M + 3 * N * M * C


def test_forward_mode_gradient_matches_backprop_with_one_pass_per_weight(problem):
    X, y, params = problem
    _, grads = gradlib_grads(X, y, params)
    forward, passes, macs = bp.forward_mode_gradient(X, y, params)
    n_weights = sum(p.size for p in params)
    assert passes == n_weights == D * M + M + M * C + C
    assert macs == n_weights * (2 * N * D * M + 3 * N * M * C)
    for f, g in zip(forward, grads):
        assert f.shape == g.shape
        np.testing.assert_allclose(f, g, rtol=1e-10, atol=1e-14)


def test_forward_mode_gradient_matches_pytorch(problem, torch):
    X, y, params = problem
    forward, _, _ = bp.forward_mode_gradient(X, y, params)
    leaves = [torch.tensor(p, requires_grad=True) for p in params]
    W1, b1, W2, b2 = leaves
    logits = torch.relu(torch.tensor(X) @ W1 + b1) @ W2 + b2
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    for f, leaf in zip(forward, leaves):
        np.testing.assert_allclose(f, leaf.grad.numpy(), rtol=1e-9, atol=1e-12)


# ----- reverse-mode cost --------------------------------------------------------------------


def test_reverse_mode_cost_counts_ops_and_matrix_products(problem):
    X, y, params = problem
    loss, _ = gradlib_grads(X, y, params)
    cost = bp.reverse_mode_cost(loss)
    assert cost.ops == {
        "MatMul": 2,
        "Add": 2,
        "ReLU": 1,
        "LogSoftmax": 1,
        "GetItem": 1,
        "Mean": 1,
        "Neg": 1,
    }
    assert cost.forward_macs == N * D * M + N * M * C
    # dW2 and dH for the second product; only dW1 for the first, since X needs no gradient
    assert cost.backward_macs == N * D * M + 2 * N * M * C


def test_reverse_mode_cost_includes_the_input_gradient_when_it_is_needed(problem):
    X, y, params = problem
    X_leaf = gl.tensor(X, requires_grad=True)
    leaves = [gl.tensor(p, requires_grad=True) for p in params]
    Z2 = F.relu(X_leaf @ leaves[0] + leaves[1]) @ leaves[2] + leaves[3]
    cost = bp.reverse_mode_cost(Z2.sum())
    assert cost.backward_macs == 2 * cost.forward_macs


def test_gradient_costs_by_width_count_each_method(problem):
    X, y, _ = problem
    widths = [2, 4, 8]
    costs = bp.gradient_costs_by_width(X, y, widths, classes=C, seed=3)
    assert costs.widths == widths
    for width, size, reverse, forward, fd in zip(
        widths, costs.sizes, costs.reverse, costs.forward, costs.finite_differences
    ):
        assert size == D * width + width + width * C + C
        one_forward = N * D * width + N * width * C
        assert reverse == one_forward + (N * D * width + 2 * N * width * C)
        assert forward == size * (2 * N * D * width + 3 * N * width * C)
        assert fd == 2 * size * one_forward


def test_plot_gradient_costs_draws_three_distinct_lines_and_the_ratio():
    sizes, reverse, forward, fd = (
        [10, 20, 40],
        [100, 200, 400],
        [1000, 4000, 16000],
        [800, 3200, 12800],
    )
    fig = bp.plot_gradient_costs(sizes, reverse, forward, fd)
    (ax,) = fig.axes
    assert [list(line.get_ydata()) for line in ax.lines] == [forward, fd, reverse]
    styles = {(line.get_marker(), line.get_linestyle()) for line in ax.lines}
    assert len(styles) == 3 and len({line.get_marker() for line in ax.lines}) == 3
    # forward mode (vermillion) and finite differences (orange) differ in dash pattern too
    assert ax.lines[0].get_linestyle() != ax.lines[1].get_linestyle()
    assert [t.get_text() for t in ax.texts] == ["", "40 times"]  # the arrow, its label
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "20", "40"]
    assert ax.get_xscale() == ax.get_yscale() == "log"


# ----- snapshots and the widget ---------------------------------------------------------------


def linear_model(weights):
    """A fixed linear 2-class model: logits = X @ weights."""

    def model(points):
        return gl.tensor(points) @ gl.tensor(weights)

    return model


@pytest.fixture
def snapshots(rng):
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    snaps = bp.BoundarySnapshots(X, y, grid_size=30)
    # step 0: random guess; step 10: the right boundary x1 = 0
    snaps.record(0, 0.7, linear_model(np.array([[0.0, 0.0], [1.0, -1.0]])))
    snaps.record(10, 0.2, linear_model(np.array([[-3.0, 3.0], [0.0, 0.0]])))
    return snaps


def test_snapshots_store_the_grid_probability_and_the_accuracy(snapshots):
    assert snapshots.steps == [0, 10]
    last = snapshots.at(10)
    assert last.probability.shape == (30, 30)
    assert last.accuracy == 1.0
    # logits (-3 x1, 3 x1): P(class 1) = sigmoid(6 x1) on every row of the grid
    sigmoid = 1 / (1 + np.exp(-6 * snapshots.xs))
    np.testing.assert_allclose(last.probability, np.tile(sigmoid, (30, 1)), rtol=1e-12)
    # logits (x2, -x2): class 1 predicted where x2 < 0
    first = snapshots.at(0)
    expected = np.mean((snapshots.X[:, 1] < 0) == snapshots.y)
    assert first.accuracy == pytest.approx(expected)


def test_snapshot_lookup_takes_the_latest_recorded_step(snapshots):
    assert snapshots.at(9).step == 0
    assert snapshots.at(10).step == 10
    assert snapshots.at(500).step == 10
    assert snapshots.at(-5).step == 0


def test_empty_snapshots_say_what_to_do(rng):
    with pytest.raises(ValueError, match="record"):
        bp.BoundarySnapshots(rng.standard_normal((5, 2)), np.zeros(5, dtype=np.int64)).at(0)


# ----- training in numpy, and the widget ----------------------------------------------------------


@pytest.fixture(scope="module")
def moons():
    from gradlib.data import make_moons

    return make_moons(n_samples=200, noise=0.1, seed=0)


def test_he_init_is_the_notebooks_start():
    W1, b1, W2, b2 = bp.he_init(16, seed=0)
    rng = np.random.default_rng(0)  # the notebook: rng = default_rng(0), W1 drawn first
    np.testing.assert_array_equal(W1, rng.standard_normal((2, 16)) * np.sqrt(2 / 2))
    np.testing.assert_array_equal(W2, rng.standard_normal((16, 2)) * np.sqrt(2 / 16))
    assert not b1.any() and not b2.any() and b1.shape == (16,) and b2.shape == (2,)


def test_train_mlp_is_gradlibs_training_in_numpy(problem):
    X, y, _ = problem
    y = y % 2  # two classes, as on the moons
    run = bp.train_mlp(X, y, hidden=4, lr=0.3, steps=20, record_every=5)
    weights = [gl.tensor(a, requires_grad=True) for a in bp.he_init(4, seed=0)]
    for step in range(21):
        loss = gradlib_loss(X, y, *weights)
        if step % 5 == 0:
            assert run.loss_at(step) == pytest.approx(loss.item(), rel=1e-12)
            for mine, theirs in zip(run.weights_at(step), weights):
                np.testing.assert_allclose(mine, theirs.data, rtol=1e-10, atol=1e-14)
        for p in weights:
            p.zero_grad()
        loss.backward()
        with gl.no_grad():
            for p in weights:
                p -= 0.3 * p.grad
    assert run.steps.tolist() == [0, 5, 10, 15, 20] and not run.diverged


def test_training_run_looks_up_the_latest_recorded_step(moons):
    run = bp.train_mlp(*moons, hidden=3, lr=0.5, steps=30, record_every=10)
    assert len(run.losses) == len(run.weights) == 4
    assert run.weights_at(19) is run.weights[1] and run.weights_at(500) is run.weights[3]
    assert run.loss_at(25) == run.losses[2] and run.weights_at(-3) is run.weights[0]


def test_dead_units_are_the_units_off_at_every_point():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    # unit 0: x1, positive at the first point; unit 1: -x1 - x2 - 5 < 0 at every point (dead);
    # unit 2: -x1 + 2 > 0 at every point; unit 3: 0 exactly at every point (dead: relu'(0) = 0)
    W1 = np.array([[1.0, -1.0, -1.0, 0.0], [0.0, -1.0, 0.0, 0.0]])
    b1 = np.array([0.0, -5.0, 2.0, 0.0])
    assert bp.dead_units(X, [W1, b1, None, None]) == 2
    assert bp.dead_mask(X, [W1, b1, None, None]).tolist() == [False, True, False, True]


def test_learning_rate_and_width_change_what_the_mlp_learns(moons):
    X, y = moons

    def outcome(hidden, lr):
        run = bp.train_mlp(X, y, hidden, lr)
        final = run.weights_at(300)
        accuracy = np.mean(bp.mlp_logits(X, final).argmax(axis=1) == y)
        return run, accuracy, bp.dead_units(X, final)

    run, accuracy, dead = outcome(16, 0.5)
    assert run.loss_at(300) == pytest.approx(0.042, abs=5e-4) and accuracy == 1.0 and dead == 0
    run, accuracy, dead = outcome(16, 8.0)  # too large: units die, the loss stalls
    assert dead >= 4 and run.loss_at(300) > 0.1 and accuracy < 0.95
    run, accuracy, dead = outcome(2, 0.5)  # too few units to wrap a moon
    assert accuracy < 0.9 and dead == 0
    table = bp.training_outcomes(X, y, [(16, 0.5), (2, 0.5)]).splitlines()
    assert table[0].split()[:2] == ["hidden", "units"] and len(table) == 3
    assert table[1].split() == ["16", "0.5", "0.218", "0.042", "100.0%", "0", "of", "16"]


def test_training_step_default_is_the_notebooks_run(moons):
    widget = bp.TrainingStep(*moons)
    text = widget.draw()
    assert text == (
        "learning rate 0.5, 16 hidden units, step 60: loss 0.210, training accuracy 91.0%, "
        "0 of 16 hidden units dead"
    )
    fig = widget.figure
    assert isinstance(fig, Figure) and plt.get_fignums() == []
    (main,) = fig.axes
    (inset,) = main.child_axes  # the loss-curve inset
    assert main.get_title() == "Step 60: loss 0.210, accuracy 91.0%"
    assert main.get_xlabel() == "feature x₁"
    run = widget.run(16, 0.5)
    probability = bp.mlp_logits(widget.grid.grid, run.weights_at(60))
    probability = np.exp(probability[:, 1]) / np.exp(probability).sum(axis=1)
    np.testing.assert_allclose(main.images[0].get_array(), probability.reshape(80, 80), rtol=1e-10)
    loss_curve, marker = inset.lines
    assert list(loss_curve.get_xdata()) == list(range(0, 301, 10))
    np.testing.assert_array_equal(loss_curve.get_ydata(), run.losses)
    assert list(marker.get_xdata()) == [60] and list(marker.get_ydata()) == [run.loss_at(60)]
    assert [t.get_text() for t in inset.get_yticklabels()] == ["0", "1"]
    assert inset.get_ylim() == (0.0, bp.TrainingStep.LOSS_TOP)
    # the inset's label sits inside the inset, not on the boundary plot under it
    assert inset.get_xlabel() == "" and inset.get_ylabel() == ""
    (label,) = inset.texts
    assert label.get_text() == "loss, step 0 to 300"
    widget.figure.canvas.draw()
    box = label.get_window_extent().transformed(inset.transAxes.inverted())
    assert 0 <= box.x0 and box.x1 <= 1 and 0 <= box.y0 and box.y1 <= 1, box


def test_training_step_keeps_one_loss_scale_across_runs(moons):
    widget = bp.TrainingStep(*moons)
    widget.draw()
    (inset,) = widget.figure.axes[0].child_axes
    limits = inset.get_ylim()
    for hidden, lr in ((32, 0.5), (2, 8.0), (16, 8.0)):
        widget.draw(hidden=hidden, lr=lr)
        assert inset.get_ylim() == limits
    # every run's start is on the scale
    assert max(widget.run(h, lr).losses[0] for h, lr in widget.runs) < bp.TrainingStep.LOSS_TOP


def test_training_step_draws_each_hidden_units_line_dead_ones_apart(moons):
    widget = bp.TrainingStep(*moons)
    widget.draw(lr=8.0, hidden=16, step=240)
    run = widget.run(16, 8.0)
    weights = run.weights_at(240)
    dead = bp.dead_mask(moons[0], weights)
    assert 0 < dead.sum() < 16  # the setting has dead and live units
    lines = bp.unit_lines(weights[0], weights[1], widget.image.get_extent())
    live_drawn = widget.live_lines.get_segments()
    dead_drawn = widget.dead_lines.get_segments()
    assert len(live_drawn) == sum(1 for s, d in zip(lines, dead) if s is not None and not d)
    assert len(dead_drawn) == sum(1 for s, d in zip(lines, dead) if s is not None and d) > 0
    assert widget.dead_lines.get_linestyle() != widget.live_lines.get_linestyle()
    # at the start no unit is dead: every line drawn is a live one
    widget.draw(lr=8.0, hidden=16, step=0)
    assert widget.dead_lines.get_segments() == [] and len(widget.live_lines.get_segments()) > 0


def test_unit_lines_are_each_units_switching_line_inside_the_box():
    box = (-1.0, 2.0, -1.0, 1.0)
    # x = 0.5, y = 0, x + y = 4 (outside), x + y = 3 (touches the corner (2, 1)), w = 0
    W1 = np.array([[1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0, 0.0]])
    b1 = np.array([-0.5, 0.0, -4.0, -3.0, 1.0])
    vertical, horizontal, outside, corner, flat = bp.unit_lines(W1, b1, box)
    np.testing.assert_allclose(sorted(map(tuple, vertical)), [(0.5, -1.0), (0.5, 1.0)])
    np.testing.assert_allclose(sorted(map(tuple, horizontal)), [(-1.0, 0.0), (2.0, 0.0)])
    assert outside is None and corner is None and flat is None
    rng = np.random.default_rng(3)
    W, b = rng.standard_normal((2, 20)), 0.3 * rng.standard_normal(20)
    for (w, bias), ends in zip(zip(W.T, b), bp.unit_lines(W, b, box)):
        if ends is not None:
            np.testing.assert_allclose(ends @ w + bias, 0.0, atol=1e-12)
            assert np.all((ends[:, 0] >= -1) & (ends[:, 0] <= 2) & (np.abs(ends[:, 1]) <= 1))
            # each end lies on an edge of the box
            on_edge = np.isclose(ends[:, 0], -1) | np.isclose(ends[:, 0], 2)
            assert np.all(on_edge | np.isclose(np.abs(ends[:, 1]), 1))


def test_training_step_trains_again_only_for_a_new_setting(moons):
    widget = bp.TrainingStep(*moons)
    widget.draw()
    fig = widget.figure
    png = plotting.render_png(fig)
    assert list(widget.runs) == [(16, 0.5)]
    widget.draw(step=240)
    assert list(widget.runs) == [(16, 0.5)]  # a new step only redraws
    text = widget.draw(lr=8.0, hidden=2, step=300)
    assert list(widget.runs) == [(16, 0.5), (2, 8.0)] and widget.figure is fig
    assert text.startswith("learning rate 8, 2 hidden units, step 300: loss ")
    assert plotting.render_png(fig) != png
    for hidden in range(3, 3 + bp.TrainingStep.CACHED_RUNS):  # the cache keeps the latest runs
        widget.run(hidden, 0.5)
    assert len(widget.runs) == bp.TrainingStep.CACHED_RUNS and (16, 0.5) not in widget.runs


def test_each_training_step_widget_gets_its_own_figure(moons):
    fig = bp.TrainingStep(*moons).figure_at(step=10)
    fig_other = bp.TrainingStep(*moons).figure_at(step=10)
    assert fig_other is not fig


def test_plot_snapshot_grid_draws_one_panel_per_step(snapshots):
    bp.plot_snapshot_grid(snapshots, steps=(0, 10))
    *panels, colorbar = plt.gcf().axes
    assert [ax.get_title() for ax in panels] == ["step 0: loss 0.70", "step 10: loss 0.20"]
    # the first panel names the classes, the colour bar reads the background from 0 to 1
    legend = [t.get_text() for t in panels[0].get_legend().get_texts()]
    assert legend == ["class 0", "class 1"] and panels[1].get_legend() is None
    assert colorbar.get_ylabel() == "P(class 1)"
    assert list(colorbar.get_yticks()) == [0, 0.5, 1]
    assert colorbar.get_ylim() == (0, 1)


# ----- the gates, the neuron and the stepping widget -----------------------------------------


def test_each_gate_passes_back_what_its_pattern_says():
    g = 3.0
    x, y = bp.GATE_INPUTS
    gates = bp.gate_examples(upstream=g)
    assert list(gates) == ["add", "multiply", "max", "relu open", "relu closed", "copy"]
    assert gates["add"].grads() == (g, g)
    assert gates["multiply"].grads() == (g * y, g * x)
    assert gates["max"].grads() == (g, 0.0)
    assert gates["relu open"].grads() == (g,) and gates["relu closed"].grads() == (0.0,)
    assert gates["copy"].grads() == (g * y + g, g * x)
    for gate in gates.values():
        assert gate.out.name == "z" and float(gate.out.grad) == g  # g arrived from above
    assert gates["multiply"].line() == (
        "multiply swaps:      z = -3;  dL/dx = -4.5, dL/dy = 6   (x gets g·y, y gets g·x)"
    )


def test_gates_agree_with_pytorch(torch):
    g = 3.0
    x = torch.tensor(bp.GATE_INPUTS[0], requires_grad=True)
    y = torch.tensor(bp.GATE_INPUTS[1], requires_grad=True)
    outs = {
        "add": x + y,
        "multiply": x * y,
        "max": torch.maximum(x, y),
        "copy": x * y + x,
    }
    for name, out in outs.items():
        dx, dy = torch.autograd.grad(out, (x, y), torch.tensor(g))
        assert bp.gate_examples(g)[name].grads() == (dx.item(), dy.item()), name


def test_plot_gates_draws_every_graph_at_one_scale():
    gates = bp.gate_examples()
    fig = bp.plot_gates([gates["relu open"], gates["relu closed"], gates["copy"]])
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == [
        "ReLU gates: open",
        "ReLU gates: closed",
        "a copy sums",
    ]
    fig.canvas.draw()
    # a box is as wide on screen in every panel: the panels' widths follow their graphs
    widths = [ax.patches[0].get_window_extent().width for ax in axes]
    assert max(widths) - min(widths) < 2.0
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[1] == "grad = dL/d(box); dL/dz = 3 arrives from above"
    labels = [t.get_text() for t in axes[2].texts]
    assert "∂p/∂x\n−1.5" in labels  # stacked local derivatives on the short arrows


def test_neuron_loss_is_the_squared_error_of_a_sigmoid_neuron():
    w, x, b = -1.0, 2.0, 0.5
    loss = bp.neuron_loss(w, x, b)
    s = 1 / (1 + np.exp(-(w * x + b)))
    assert loss.item() == pytest.approx((s - 1) ** 2, rel=1e-14)
    named = {t.name: t for t in gl.engine.topological_order(loss)}
    assert set(named) == {"w", "x", "b", "p", "z", "s", "e", "L"}
    dz = 2 * (s - 1) * s * (1 - s)
    assert float(named["w"].grad) == pytest.approx(dz * x, rel=1e-12)
    assert float(named["x"].grad) == pytest.approx(dz * w, rel=1e-12)
    assert float(named["b"].grad) == pytest.approx(dz, rel=1e-12)


def test_neuron_table_shows_saturation():
    lines = bp.neuron_table([(-1.0, 2.0, 0.5), (-3.0, 2.0, 0.5)]).splitlines()
    assert lines[0].split()[-3:] == ["L", "dL/dz", "dL/dw"]
    assert lines[1].split() == [
        "-1.0",
        "2.0",
        "0.5",
        "|",
        "-1.50",
        "0.1824",
        "0.1491",
        "0.6684",
        "-0.244",
        "-0.488",
    ]
    start, saturated = (float(line.split()[-1]) for line in lines[1:])
    assert abs(saturated) < abs(start) / 20  # a larger loss, a far smaller gradient


def test_backward_stepper_walks_the_neuron_one_node_at_a_time():
    widget = bp.BackwardStepper()
    text = widget.draw()
    assert text == (
        "w = -1.0, x = 2.0, b = 0.5. Step 4 of 8, z: ∂L/∂z = ∂L/∂s × ∂s/∂z = -1.64 × 0.149 = -0.244"
    )
    order = [n.name for n in widget.order]
    assert order == ["L", "e", "s", "z", "p", "w", "x", "b"]  # gradlib's backward order
    grads = {n.name: n.texts[2].get_text() for n in widget.layout.nodes}
    assert grads["z"] == "grad −0.244" and grads["s"] == "grad −1.64"
    assert grads["p"] == grads["w"] == "grad ?"  # not reached yet
    frame = widget.frame
    z = next(n for n in widget.layout.nodes if n.name == "z")
    assert frame.get_visible() and frame.get_x() < z.x < frame.get_x() + frame.get_width()
    assert widget.draw(step=0).endswith(
        "Forward pass done, L = 0.668: every value is known, no gradient yet."
    )
    assert not frame.get_visible()
    assert all(n.texts[2].get_text() == "grad ?" for n in widget.order)
    assert "Step 1 of 8, L: ∂L/∂L = 1, the seed" in widget.draw(step=1)
    last = widget.draw(step=8)
    assert all(n.texts[2].get_text() != "grad ?" for n in widget.order)
    assert last.endswith("Step 8 of 8, b: ∂L/∂b = ∂L/∂z × ∂z/∂b = -0.244 × 1 = -0.244")


def test_backward_stepper_numbers_are_gradlibs():
    widget = bp.BackwardStepper()
    widget.draw(w=2.3, x=-1.4, b=1.2, step=8)
    loss = bp.neuron_loss(2.3, -1.4, 1.2)
    named = {t.name: t for t in gl.engine.topological_order(loss)}
    number = bp.widgets._number
    for node in widget.layout.nodes:
        tensor = named[node.name]
        assert node.texts[1].get_text() == f"value {number(float(tensor.data))}"
        assert node.texts[2].get_text() == f"grad {number(float(tensor.grad))}"
    s = float(named["s"].data)
    labels = {e.label.get_text() for e in widget.layout.edges}
    assert "∂z/∂b\n1" in labels and f"∂s/∂z\n{number(s * (1 - s))}" in labels
    assert number(-7.3e-05) == "−7.3e−5" and number(0.1491) == "0.149" and number(0) == "0"
    # a subnormal gradient (a saturated sigmoid's) once made 10**exponent underflow to 0
    assert number(1e-320) == "1e−320" and number(9.96e-05) == "1e−4"


def twice(w, x, b):
    """L = sigmoid(w x + w + b)**2: w is used twice, 8 nodes need a gradient."""
    leaves = [gl.tensor(v, requires_grad=True) for v in (w, x, b)]
    w_, x_, b_ = leaves
    p = w_ * x_
    q = p + w_
    z = q + b_
    s = F.sigmoid(z)
    loss = s**2
    for t, name in zip((w_, x_, b_, p, q, z, s, loss), ("w", "x", "b", "p", "q", "z", "s", "L")):
        t.name = name
        t.retain_grad()
    loss.backward()
    return loss


def test_backward_stepper_sums_the_paths_of_a_value_used_twice():
    class Twice(bp.BackwardStepper):
        expression = staticmethod(twice)

    widget = Twice()
    widget.draw()
    w_node = next(n for n in widget.order if n.name == "w")
    assert len(widget.layout.uses(w_node)) == 2
    text = widget.draw(step=widget.order.index(w_node) + 1)
    assert "∂L/∂w = ∂L/∂p × ∂p/∂w + ∂L/∂q × ∂q/∂w = " in text
    grads = {t.name: float(t.grad) for t in gl.engine.topological_order(twice(-1.0, 2.0, 0.5))}
    assert text.endswith(f"= {grads['w']:.3g}")
    assert grads["w"] == pytest.approx(grads["p"] * 2.0 + grads["q"], rel=1e-12)


def test_backward_stepper_redraws_only_what_moves():
    widget = bp.BackwardStepper()
    widget.draw()
    first = plotting.render_png(widget.figure)
    canvas = widget.figure.canvas
    assert canvas.background is not None  # the still parts were drawn once
    widget.draw(step=7)
    moved = plotting.render_png(widget.figure)
    widget.draw(step=4)
    assert plotting.render_png(widget.figure) == first  # the same picture for the same step
    assert moved != first
    # a full redraw (the still parts and the moving ones) gives the same picture
    canvas.background = None
    assert plotting.render_png(widget.figure) == first


# ----- exercise 1: a tiny autograd engine ------------------------------------------------------


def engine(add=None, mul=None, tanh=None):
    """A learner's Value, with the gates' backward bodies swapped for slips."""

    def default_add(a, b, out):
        a.grad += out.grad
        b.grad += out.grad

    def default_mul(a, b, out):
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    def default_tanh(a, out):
        a.grad += (1 - out.data**2) * out.grad

    class Value:
        def __init__(self, data, children=()):
            self.data = float(data)
            self.grad = 0.0
            self._prev = children
            self._backward = lambda: None

        def __add__(self, other):
            out = Value(self.data + other.data, (self, other))
            out._backward = lambda: (add or default_add)(self, other, out)
            return out

        def __mul__(self, other):
            out = Value(self.data * other.data, (self, other))
            out._backward = lambda: (mul or default_mul)(self, other, out)
            return out

        def tanh(self):
            out = Value(np.tanh(self.data), (self,))
            out._backward = lambda: (tanh or default_tanh)(self, out)
            return out

    return Value


def topological(output, visited_set=True, postorder=True):
    order, visited = [], set()

    def visit(v):
        if visited_set and v in visited:
            return
        visited.add(v)
        if not postorder:
            order.append(v)
        for child in v._prev:
            visit(child)
        if postorder:
            order.append(v)

    visit(output)
    return order


def backward(output):
    output.grad = 1.0
    for v in reversed(topological(output)):
        v._backward()


def set_grad(v, value):
    v.grad = value


@pytest.mark.parametrize(
    "slips, expected",
    [
        ({}, "Correct"),
        (dict(add=lambda a, b, o: (set_grad(a, o.grad), set_grad(b, o.grad))), "not self.grad ="),
        (
            dict(add=lambda a, b, o: (set_grad(a, a.grad + 1), set_grad(b, b.grad + 1))),
            "not times out.grad",
        ),
        (dict(add=lambda a, b, o: set_grad(a, a.grad + o.grad)), "only self.grad changes"),
        (
            dict(
                add=lambda a, b, o: (
                    set_grad(a, a.grad + o.grad / 2),
                    set_grad(b, b.grad + o.grad / 2),
                )
            ),
            "each input gains half of out.grad",
        ),
        (
            dict(add=lambda a, b, o: (set_grad(a, a.grad + o.grad), set_grad(b, o.grad))),
            "b.grad is 3: the -0.5 it held is gone. Write other.grad += ..., not other.grad =",
        ),
        (
            dict(
                mul=lambda a, b, o: (
                    set_grad(a, a.grad + b.data * o.grad),
                    set_grad(b, b.grad + b.data * o.grad),
                )
            ),
            "In __mul__: With a = 0.75, b = -1.5 and out.grad = 3.0 (and a.grad = 0.25, "
            "b.grad = -0.5 already, from other uses), after out._backward(), b.grad gained -4.5 "
            "where the chain rule gives 2.25 (other.grad += self.data * out.grad).",
        ),
        (dict(add=lambda a, b, o: None), "changes no .grad: it is still empty"),
        (
            dict(
                mul=lambda a, b, o: (
                    set_grad(a, a.grad + a.data * o.grad),
                    set_grad(b, b.grad + b.data * o.grad),
                )
            ),
            "multiply gate swaps",
        ),
        (
            dict(
                mul=lambda a, b, o: (
                    set_grad(a, a.grad + b.data * o.data),
                    set_grad(b, b.grad + a.data * o.data),
                )
            ),
            "use out.grad",
        ),
    ],
)
def test_step_1_names_each_slip_of_the_add_and_multiply_gates(slips, expected):
    verdict = bp.check_value_ops(engine(**slips))
    assert expected in str(verdict)
    assert verdict.correct == (expected == "Correct")


def test_step_1_catches_a_multiply_backward_that_divides_by_an_input():
    """out.data / self.data * out.grad is other.data * out.grad except where self.data = 0:
    the checks include a zero input, and the message names the division."""

    def divide(a, b, o):
        set_grad(a, a.grad + o.data / a.data * o.grad)
        set_grad(b, b.grad + o.data / b.data * o.grad)

    verdict = str(bp.check_value_ops(engine(mul=divide)))
    assert verdict.startswith("Not yet") and "divided by zero" in verdict, verdict
    assert "self.grad += other.data * out.grad" in verdict

    # any other division by zero is reported as it is
    def other_zero(a, b, o):
        set_grad(a, 1 / 0)

    assert "raised ZeroDivisionError" in str(bp.check_value_ops(engine(add=other_zero)))


@pytest.mark.parametrize(
    "slip, expected",
    [
        (lambda a, o: set_grad(a, a.grad + (1 - a.data**2) * o.grad), "it uses the input"),
        (lambda a, o: set_grad(a, a.grad + o.data * (1 - o.data) * o.grad), "sigmoid's derivative"),
        (lambda a, o: set_grad(a, a.grad + (1 - o.data**2)), "not multiplied by out.grad"),
        (lambda a, o: set_grad(a, (1 - o.data**2) * o.grad), "not self.grad = ...."),
        (lambda a, o: set_grad(a, a.grad - (1 - o.data**2) * o.grad), "the sign is flipped"),
        (lambda a, o: None, "still empty"),
    ],
)
def test_step_2_names_each_slip_of_tanh(slip, expected):
    verdict = bp.check_value_tanh(engine(tanh=slip))
    assert not verdict and expected in str(verdict)
    assert bp.check_value_tanh(engine()).correct


def test_steps_report_code_still_to_write():
    class Placeholder:
        def __init__(self, data, children=()):
            self.data, self.grad, self._prev = float(data), 0.0, children
            self._backward = lambda: None

        def __add__(self, other):
            out = Placeholder(self.data + other.data, (self, other))

            def _backward():
                raise NotImplementedError

            out._backward = _backward
            return out

    assert "still empty (it raises NotImplementedError)" in str(bp.check_value_ops(Placeholder))
    assert "x.tanh() raised AttributeError" in str(bp.check_value_tanh(Placeholder))
    assert "not defined yet" in str(bp.check_value_ops(None))

    def not_yet(output):
        raise NotImplementedError

    assert "backward(output) is still empty" in str(bp.check_tiny_engine(engine(), not_yet))
    assert "first finish step 1" in str(bp.check_tiny_engine(Placeholder, backward))


def backward_inputs_first(output):
    output.grad = 1.0
    for v in topological(output):
        v._backward()


def backward_without_seed(output):
    for v in reversed(topological(output)):
        v._backward()


def backward_without_visited_set(output):
    output.grad = 1.0
    for v in reversed(topological(output, visited_set=False)):
        v._backward()


def backward_preorder(output):
    output.grad = 1.0
    for v in topological(output, postorder=False):
        v._backward()


def backward_first_child_only(output):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            if v._prev:
                visit(v._prev[0])
            order.append(v)

    visit(output)
    output.grad = 1.0
    for v in reversed(order):
        v._backward()


def backward_breadth_first(output):
    output.grad = 1.0
    queue, seen = [output], {output}
    while queue:
        v = queue.pop(0)
        v._backward()
        for child in v._prev:
            if child not in seen:
                seen.add(child)
                queue.append(child)


@pytest.mark.parametrize(
    "wrong, expected",
    [
        (backward_inputs_first, "walk it in reverse, output first"),
        (backward_without_seed, "set output.grad = 1.0 first"),
        (backward_without_visited_set, "Keep a set of visited Values"),
        (backward_preorder, "Every Value must come after all of its children"),
        (backward_breadth_first, "a walk that starts from the output (breadth first"),
        (backward_first_child_only, "Visit every child in v._prev"),
    ],
)
def test_step_3_names_a_wrong_order_a_missing_seed_or_a_value_listed_twice(wrong, expected):
    verdict = bp.check_tiny_engine(engine(), wrong)
    assert not verdict and expected in str(verdict)


def test_step_3_passes_a_right_engine_and_is_deterministic():
    first = bp.check_tiny_engine(engine(), backward)
    assert first.correct and "30 random expressions" in str(first)
    assert str(bp.check_tiny_engine(engine(), backward)) == str(first)


def test_step_3_names_the_missing_plus_equals_of_a_value_used_twice():
    """An engine that passes steps 1 and 2 on their own cases but overwrites the gradient of
    a value used twice in a graph (its += works only when the grad was 0)."""

    def add_once(a, b, out):
        for v in (a, b):
            v.grad = out.grad if v.grad == 0.0 or abs(v.grad) in (0.25, 0.5, 3.0) else v.grad

    expression = bp.Expression([0.5, -1.0], [("+", (0, 1)), ("*", (2, 0)), ("+", (3, 2))])
    Value = engine(add=add_once)
    verdict = bp.exercises._check_one_graph(Value, backward, expression)
    assert verdict is not None and "used twice" in str(verdict) and "+=" in str(verdict)
    assert bp.exercises._check_one_graph(engine(), backward, expression) is None


def test_step_3_names_the_gate_that_passes_back_a_wrong_share():
    def mul_in_graphs_only(a, b, out):  # right on step 1's numbers, wrong elsewhere
        right = (0.75, -1.5, 2.0) == (a.data, b.data, out.grad) or a is b
        right = right or (a.data, b.data) == (-0.5, 2.5)
        a.grad += (b.data if right else a.data) * out.grad
        b.grad += (a.data if right else b.data) * out.grad

    expression = bp.Expression([0.5, -1.0, 2.0], [("*", (0, 1)), ("+", (3, 2))])
    verdict = bp.exercises._check_one_graph(engine(mul=mul_in_graphs_only), backward, expression)
    assert "the * gate (v3 = v0 * v1) passes back a wrong share" in str(verdict)


def test_value_mlp_is_a_tanh_network_of_the_learners_values():
    Value = engine()
    net = bp.ValueMLP(Value, sizes=(3, 4, 1), seed=0)
    assert len(net.parameters()) == 3 * 4 + 4 + 4 + 1
    assert all(isinstance(p, Value) for p in net.parameters())
    x = [0.5, -1.0, 2.0]
    (W1, b1), (W2, b2) = [
        (np.array([[w.data for w in row] for row in W]), np.array([b.data for b in bs]))
        for W, bs in net.layers
    ]
    expected = np.tanh(W2 @ np.tanh(W1 @ np.array(x) + b1) + b2)[0]
    assert net(x).data == pytest.approx(expected, rel=1e-12)
    # the loss and its gradients, by the learner's engine, against gradlib on the same weights
    xs, ys = [x, [1.0, 0.0, -1.0]], [1.0, -1.0]
    loss = net.loss(xs, ys)
    backward(loss)
    w1 = gl.tensor(W1, requires_grad=True)
    hidden = [F.tanh(w1 @ gl.tensor(np.array(p)) + gl.tensor(b1)) for p in xs]
    outs = [F.tanh(gl.tensor(W2) @ h + gl.tensor(b2)) for h in hidden]
    total = sum(((o - y) ** 2).sum() for o, y in zip(outs, ys))
    total.backward()
    assert loss.data == pytest.approx(total.item(), rel=1e-12)
    mine = np.array([[w.grad for w in row] for row in net.layers[0][0]])
    np.testing.assert_allclose(mine, w1.grad, rtol=1e-10)
    with pytest.raises(ValueError, match="one output"):
        bp.ValueMLP(Value, sizes=(3, 4, 2))
    with pytest.raises(ValueError, match="an input has 2 numbers; expected 3"):
        net([1.0, 2.0])


def test_random_expressions_use_a_value_twice_and_reach_every_node():
    rng = np.random.default_rng(0)
    for _ in range(50):
        expression = bp.random_expression(rng, n_ops=int(rng.integers(3, 9)))
        uses = [len(expression.consumers(k)) for k in range(expression.size)]
        assert max(uses) >= 2  # a value used twice
        assert all(u >= 1 for u in uses[:-1]) and uses[-1] == 0  # all reach the output
        nodes = bp.build_with_gradlib(expression)
        mine = bp.build_with(engine(), expression)
        backward(mine[-1])
        for t, v in zip(nodes, mine):
            assert float(t.data) == pytest.approx(v.data, rel=1e-12)
            assert float(t.grad) == pytest.approx(v.grad, rel=1e-9, abs=1e-12)


def test_expression_describes_its_nodes():
    expression = bp.Expression([0.5, -1.0], [("*", (0, 0)), ("tanh", (2,)), ("+", (3, 1))])
    assert str(expression) == "v2 = v0 * v0; v3 = v2.tanh(); v4 = v3 + v1"
    assert expression.describe(1) == "v1 (an input, -1)"
    assert expression.consumers(0) == [2, 2] and expression.consumers(4) == []


# ----- exercise 2: the MLP's whole backward pass -----------------------------------------------


def test_mlp_gradients_are_gradlibs(problem):
    X, y, params = problem
    T = np.eye(C)[y]
    loss, grads = gradlib_grads(X, y, params)
    mine = bp.mlp_gradients(X, T, *params)
    for name, grad in zip(("dW1", "db1", "dW2", "db2"), grads):
        np.testing.assert_allclose(mine[name], grad, rtol=1e-10, atol=1e-14)


def test_mlp_exercise_cases_have_distinct_sizes_and_no_kink_within_reach():
    for X, T, W1, b1, W2, _ in bp.mlp_exercise_cases():
        n, d = X.shape
        m, c = W2.shape
        assert len({n, d, m, c}) == 4 and T.shape == (n, c)
        Z1 = X @ W1 + b1
        assert np.abs(Z1).min() > 1e-3 and (Z1 > 0).any() and (Z1 < 0).any()


MLP_RIGHT = dict(
    dZ2="(P - T) / N",
    dW2="H.T @ dZ2",
    db2="dZ2.sum(axis=0)",
    dH="dZ2 @ W2.T",
    dZ1="dH * (Z1 > 0)",
    dW1="X.T @ dZ1",
    db1="dZ1.sum(axis=0)",
)


def mlp_learner(**changes):
    """The learner's mlp_backward with some lines changed."""
    lines = "\n".join(f"    {k} = {v}" for k, v in {**MLP_RIGHT, **changes}.items())
    source = (
        "def mlp_backward(X, T, W1, b1, W2, b2):\n"
        "    N = len(X)\n    Z1 = X @ W1 + b1\n    H = np.maximum(Z1, 0)\n"
        "    P = softmax_array(H @ W2 + b2, axis=1)\n"
        f"{lines}\n"
        "    return dict(dZ2=dZ2, dW2=dW2, db2=db2, dH=dH, dZ1=dZ1, dW1=dW1, db1=db1)\n"
    )
    from gradlib.activations import softmax_array

    namespace = {"np": np, "softmax_array": softmax_array}
    exec(source, namespace)
    return namespace["mlp_backward"]


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, "Correct: all seven gradients match"),
        ({k: "None" for k in MLP_RIGHT}, "dZ2 is still empty"),
        (
            dict(dH="None", dZ1="None", dW1="None", db1="None"),
            "dZ2, dW2 and db2 are right; dH is still empty",
        ),
        (dict(dZ2="P - T"), "dZ2 is N = 6 times too large"),
        (dict(dZ2="(P - T) / N**2"), "dZ2 has a 1/N too many"),
        (dict(dZ2="(T - P) / N"), "dZ2 has the wrong sign"),
        (dict(dW2="dZ2.T @ H"), "dW2 looks transposed"),
        (dict(dW2="Z1.T @ dZ2"), "dW2 uses Z1"),
        (dict(dW2="H.T @ dZ2 / N"), "dW2 is 1/N times the right one, a 1/N too many"),
        (dict(db2="dZ2.sum(axis=1)"), "db2 sums over the wrong axis"),
        (dict(db2="dZ2.mean(axis=0)"), "Sum over axis 0 instead of taking the mean"),
        (dict(db2="dZ2.sum(axis=0, keepdims=True)"), "db2 kept the summed axis"),
        (dict(dH="dZ2 @ W2.T * (Z1 > 0)", dZ1="dH"), "dH has the ReLU mask applied already"),
        (
            dict(dZ1="dH; dZ1[Z1 <= 0] = 0"),  # masks dH in place: dZ1 is dH
            "if you masked dH in place, as in dH[Z1 <= 0] = 0, mask a copy",
        ),
        (dict(dZ1="dH"), "the ReLU mask is forgotten"),
        (dict(dZ1="np.maximum(dH, 0)"), "the mask is made from the gradient"),
        (dict(dZ1="dH * (Z1 < 0)"), "the mask is the wrong way round"),
        (dict(dZ1="dH * H"), "multiplies dH by H"),
        (dict(dZ1="dH * (H > 0)"), "Correct"),  # H > 0 exactly where Z1 > 0
        (dict(dW1="X.T @ dH"), "dW1 uses dH: the ReLU mask is forgotten here"),
        (dict(dW1="dZ1.T @ X"), "dW1 looks transposed"),
        (dict(db1="dH.sum(axis=0)"), "db1 adds up dH"),
        (dict(db1="dZ1.sum(axis=1)"), "db1 sums over the wrong axis"),
        (dict(dW2="H.T @ dZ2 + 0.01"), "20 of 20 entries of dW2 differ"),
    ],
)
def test_mlp_backward_checker_names_each_slip(changes, expected):
    verdict = bp.check_mlp_backward(mlp_learner(**changes))
    assert expected in str(verdict), str(verdict)
    assert verdict.correct == expected.startswith("Correct")


def test_mlp_backward_checker_reports_code_that_fails():
    assert "not defined yet" in str(bp.check_mlp_backward(None))
    raising = str(bp.check_mlp_backward(mlp_learner(dW2="H.T @ dZ2.T")))
    assert (
        raising.startswith("Not yet: mlp_backward raised ValueError") and "test case 1" in raising
    )

    def wrong_return(X, T, W1, b1, W2, b2):
        return None

    assert "should return the dict" in str(bp.check_mlp_backward(wrong_return))


def test_mlp_backward_checker_reads_the_shapes_of_an_error_as_letters(tmp_path):
    """A transposed dH breaks the next line; the report quotes that line (from a real source
    file, as a notebook cell is) and reads numpy's shapes as N, D, M, C."""
    module = tmp_path / "learner_mlp.py"
    module.write_text(
        "import numpy as np\n"
        "from gradlib.activations import softmax_array\n\n\n"
        "def mlp_backward(X, T, W1, b1, W2, b2):\n"
        "    Z1 = X @ W1 + b1\n"
        "    H = np.maximum(Z1, 0)\n"
        "    dZ2 = (softmax_array(H @ W2 + b2, axis=1) - T) / len(X)\n"
        "    dH = W2 @ dZ2.T\n"
        "    dZ1 = dH * (Z1 > 0)\n"
        "    return dict(dZ2=dZ2, dW2=H.T @ dZ2, db2=dZ2.sum(0), dH=dH, dZ1=dZ1,\n"
        "                dW1=X.T @ dZ1, db1=dZ1.sum(0))\n"
    )
    namespace: dict = {}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    verdict = str(bp.check_mlp_backward(namespace["mlp_backward"]))
    assert "in the line `dZ1 = dH * (Z1 > 0)`" in verdict, verdict
    assert "N = 6, D = 3, M = 5, C = 4, so (5, 6) is (M, N) and (6, 5) is (N, M)" in verdict
    no_transpose = str(bp.check_mlp_backward(mlp_learner(dH="dZ2 @ W2")))
    assert "so 5 is M and 4 is C" in no_transpose, no_transpose


def test_mlp_backward_checker_gradchecks_the_learners_backward():
    """A backward right on the checked gradients but answering differently under gradcheck's
    perturbed weights fails gradcheck: the final check is a real one."""
    right = mlp_learner()
    calls = []

    def drifting(X, T, W1, b1, W2, b2):
        calls.append(1)
        grads = right(X, T, W1, b1, W2, b2)
        if len(calls) > 2:  # after the two checked cases
            grads["dW1"] = grads["dW1"] * 1.5
        return grads

    verdict = str(bp.check_mlp_backward(drifting))
    assert verdict.startswith("Not yet: gl.gradcheck disagrees") and "MISMATCH" in verdict


# ----- beyond two layers -------------------------------------------------------------------------


def test_deep_mlp_obeys_the_four_equations(moons):
    X, y = moons
    net = bp.deep_mlp(X, y, widths=(2, 8, 8, 8, 2), seed=3)
    assert net.depth == 4 and set(net.H) == {0, 1, 2, 3}
    from gradlib.activations import softmax_array

    P = softmax_array(net.Z[4].data, axis=1)
    np.testing.assert_allclose(net.Z[4].grad, (P - net.T) / len(X), atol=1e-15)
    for layer in range(1, 4):
        delta = (net.Z[layer + 1].grad @ net.W[layer + 1].data.T) * (net.Z[layer].data > 0)
        np.testing.assert_allclose(net.Z[layer].grad, delta, atol=1e-15)
    for layer in range(1, 5):
        np.testing.assert_allclose(net.b[layer].grad, net.Z[layer].grad.sum(axis=0), atol=1e-15)
        np.testing.assert_allclose(
            net.W[layer].grad, net.H[layer - 1].data.T @ net.Z[layer].grad, atol=1e-15
        )
    H = X
    for layer in range(1, 5):
        Z = H @ net.W[layer].data + net.b[layer].data
        H = np.maximum(Z, 0)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    assert net.loss.item() == pytest.approx(-log_p[np.arange(len(y)), y].mean(), rel=1e-12)


# ----- gradient-check pitfalls -------------------------------------------------------------------


def test_scaled_cube_fools_an_absolute_tolerance_both_ways():
    x = np.array([0.5, -1.2, 2.0])
    tiny_wrong, huge_right = bp.scaled_cube(1e-6, wrong=True), bp.scaled_cube(1e6)
    assert gl.gradcheck(tiny_wrong, x)  # passes the default test: the trap
    assert not gl.gradcheck(tiny_wrong, x, atol=0.0)
    assert gl.gradcheck(tiny_wrong, x).max_rel_error == pytest.approx(0.2, abs=1e-6)
    assert gl.gradcheck(huge_right, x, atol=0.0)
    assert not gl.gradcheck(huge_right, x, rtol=0.0)
    assert gl.gradcheck(bp.scaled_cube(1.0), x) and not gl.gradcheck(bp.scaled_cube(1.0, True), x)


# ----- exercise 3 ------------------------------------------------------------------------------


class CorrectLinear(Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.x, ctx.w = x, w
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.T @ ctx.x, grad.sum(axis=0)


class NotWrittenYet(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError


class WrongBiasSign(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.T @ ctx.x, -grad.sum(axis=0)


class ChangedForward(CorrectLinear):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.x, ctx.w = x, w
        return x @ w.T


def square_case():
    # Not the rng fixture: gradcheck weights the output with default_rng(0) draws, and with
    # x drawn from the same seed the correct dL/dw = v^T x = x^T x would be symmetric, so
    # its transpose (the bug) would pass.
    rng = np.random.default_rng(5)
    return rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)


def test_buggy_linear_is_wrong_only_in_w_and_only_gradcheck_sees_it_when_square():
    rng = np.random.default_rng(6)
    x, w, b = square_case()
    result = gl.gradcheck(bp.BuggyLinear.apply, x, w, b)
    assert [c.passed for c in result.inputs] == [True, False, True]
    assert gl.gradcheck(CorrectLinear.apply, x, w, b)
    # with a non-square weight the wrong gradient has the wrong shape: the engine says so
    leaves = [gl.tensor(a, requires_grad=True) for a in (x, rng.standard_normal((2, 3)), b[:2])]
    with pytest.raises(RuntimeError, match="shape"):
        bp.BuggyLinear.apply(*leaves).sum().backward()


def test_buggy_linear_forward_is_pytorchs_linear(rng, torch):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    out = bp.BuggyLinear.apply(gl.tensor(x), gl.tensor(w), gl.tensor(b))
    expected = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)


def test_fixed_linear_checker_feedback():
    assert bp.check_fixed_linear(CorrectLinear).correct
    assert "still empty" in str(bp.check_fixed_linear(NotWrittenYet))
    buggy = str(bp.check_fixed_linear(bp.BuggyLinear))
    assert "input 1 (w, shape (3, 3))" in buggy and buggy.startswith("Not yet")
    bias = str(bp.check_fixed_linear(WrongBiasSign))
    assert "input 2 (b, shape (3,))" in bias
    assert "forward changed" in str(bp.check_fixed_linear(ChangedForward))


class MeanWeightGradient(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.T @ ctx.x / len(ctx.x), grad.sum(axis=0)


class TimesNBias(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.T @ ctx.x, grad.sum(axis=0) * len(ctx.x)


def test_fixed_linear_checker_names_a_gradient_off_by_the_batch_size():
    mean = str(bp.check_fixed_linear(MeanWeightGradient))
    assert "dw is N = 5 times too small" in mean, mean
    assert "db is N = 5 times too large" in str(bp.check_fixed_linear(TimesNBias))


def test_fixed_linear_checker_quotes_the_line_that_raised(tmp_path):
    """Like exercise 2's checker: the learner's failing line, and shapes read as letters when
    the sizes differ (test case 2: N = 4, in = 3, out = 2)."""
    module = tmp_path / "learner_linear.py"
    module.write_text(
        "from gradlib import Function\n\n\n"
        "class FixedLinear(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, w, b):\n"
        "        ctx.x, ctx.w = x, w\n"
        "        return x @ w.T + b\n\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad):\n"
        "        dx = grad @ ctx.w\n"
        "        dw = ctx.x.T @ grad.T\n"
        "        return dx, dw, grad.sum(axis=0)\n"
    )
    namespace: dict = {}
    exec(compile(module.read_text(), str(module), "exec"), namespace)
    verdict = str(bp.check_fixed_linear(namespace["FixedLinear"]))
    assert "FixedLinear.backward raised ValueError in the line `dw = ctx.x.T @ grad.T`" in verdict
    assert "test case 1, w of shape (3, 3): N = 5, in = 3, out = 3" in verdict, verdict


def test_gradcheck_summary_names_inputs_and_hides_tiny_errors():
    x, w, b = square_case()
    text = bp.gradcheck_summary(gl.gradcheck(bp.BuggyLinear.apply, x, w, b), ("x", "w", "b"))
    lines = text.splitlines()
    assert lines[0] == "gradcheck FAILED"
    assert lines[1] == "  input 0 (x, shape (5, 3)): ok"
    assert lines[2].startswith("  input 1 (w, shape (3, 3)): MISMATCH, worst at entry (")
    assert "e-" not in text  # no round-off sized numbers
    passed = bp.gradcheck_summary(gl.gradcheck(CorrectLinear.apply, x, w, b), ("x", "w", "b"))
    assert passed.splitlines()[0] == "gradcheck passed" and passed.count(": ok") == 3


def neuron_with(slip):
    """A learner's neuron(xs, ws, b) with one slip (or none)."""

    def neuron(xs, ws, b):
        terms = [w * x for w, x in zip(ws, xs)]
        if slip == "sum x":
            terms = list(xs)
        if slip == "sum w":
            terms = list(ws)
        if slip == "last only":
            terms = terms[-1:]
        total = b if slip != "no bias" else terms.pop(0)
        for term in terms:
            total = total + term
        return total if slip == "no tanh" else total.tanh()

    return neuron


@pytest.mark.parametrize(
    "slip, expected",
    [
        (None, "Correct"),
        ("no bias", "it has no bias"),
        ("no tanh", "it has no tanh"),
        ("sum x", "it sums the inputs"),
        ("sum w", "it sums the weights"),
        ("last only", "it keeps only the last term"),
    ],
)
def test_step_4_names_each_slip_of_the_neuron(slip, expected):
    verdict = bp.check_neuron(neuron_with(slip), engine())
    assert expected in str(verdict), verdict
    assert verdict.correct == (slip is None)


def test_step_4_names_a_neuron_outside_the_graph_or_not_written():
    Value = engine()

    def from_numbers(xs, ws, b):
        return Value(sum(w.data * x.data for w, x in zip(ws, xs)) + b.data).tanh()

    assert "x_1 is not in its graph" in str(bp.check_neuron(from_numbers, Value))

    def a_float(xs, ws, b):
        return float(np.tanh(b.data + sum(w.data * x.data for w, x in zip(ws, xs))))

    assert "not a Value" in str(bp.check_neuron(a_float, Value))

    def empty(xs, ws, b):
        raise NotImplementedError

    assert "still empty" in str(bp.check_neuron(empty, Value))
    assert "first finish step 1" in str(
        bp.check_neuron(neuron_with(None), engine(add=lambda a, b, o: None))
    )


def test_value_mlp_builds_every_unit_with_the_given_neuron():
    Value = engine()
    calls = []

    def counted(xs, ws, b):
        calls.append(len(ws))
        return bp.value_neuron(xs, ws, b)

    net = bp.ValueMLP(Value, sizes=(3, 4, 1), seed=0, neuron=counted)
    default = bp.ValueMLP(Value, sizes=(3, 4, 1), seed=0)
    x = [0.5, -1.0, 2.0]
    assert net(x).data == default(x).data
    assert calls == [3, 3, 3, 3, 4]  # four hidden units of 3 inputs, one output unit of 4
    # a wrong neuron changes the network: the net really is made of it
    assert bp.ValueMLP(Value, (3, 4, 1), neuron=neuron_with("no bias"))(x).data != pytest.approx(
        bp.ValueMLP(Value, (3, 4, 1), neuron=neuron_with("sum w"))(x).data
    )


# ----- the learner's code, or the worked solution ---------------------------------------------


def test_yours_or_solution_runs_yours_only_when_its_check_passes(capsys):
    yours, worked = object(), object()
    passed = bp.yours_or_solution(
        bp.check_tiny_engine(engine(), backward), yours, worked, what="your backward", step="step 3"
    )
    assert passed is yours
    assert (
        capsys.readouterr().out == "your backward: step 3's check passes, so this run uses yours.\n"
    )
    failed = bp.yours_or_solution(
        bp.check_tiny_engine(engine(), backward_inputs_first),
        yours,
        worked,
        what="your backward",
        step="step 3",
    )
    assert failed is worked
    assert capsys.readouterr().out == (
        "your backward: not done yet (step 3's check fails), so this run uses the worked "
        "solution.\n"
    )


def test_the_notebooks_solutions_leave_the_learners_names_alone():
    """A folded solution cell defines its own names (Value_solution, ...), so that the cells
    after it run the learner's code, through bp.yours_or_solution, when its check passes."""
    import ast
    import json
    from pathlib import Path

    path = Path(__file__).parents[1] / "notebooks" / "03_backpropagation.ipynb"
    cells = json.loads(path.read_text())["cells"]

    def defined(cell):
        tree = ast.parse("".join(cell["source"]))
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        return names

    code = [c for c in cells if c["cell_type"] == "code"]
    solutions = [c for c in code if "solution" in c["metadata"].get("tags", [])]
    learners = set().union(*(defined(c) for c in code if c not in solutions))
    assert len(solutions) == 4
    for cell in solutions:
        assert not defined(cell) & learners, defined(cell) & learners
    for name in ("Value", "backward", "neuron", "mlp_backward", "FixedLinear"):
        assert name in learners


def backward_that_zeroes_first(output):
    order = topological(output)
    for v in order:
        v.grad = 0.0  # a fresh start: what the training loop's zeroing is for
    output.grad = 1.0
    for v in reversed(order):
        v._backward()


def test_step_3_names_a_backward_that_resets_grad():
    """Right on every single expression, but a second backward() loses the first's gradients
    (which would also hide the forget-to-zero demo)."""
    Value = engine()
    rng = np.random.default_rng(3)
    expression = bp.random_expression(rng)
    assert bp.exercises._check_one_graph(Value, backward_that_zeroes_first, expression) is None
    verdict = bp.check_tiny_engine(Value, backward_that_zeroes_first)
    assert not verdict
    assert "your backward resets .grad before it walks" in str(verdict)
    assert "zeroing is the training loop's job (p.grad = 0 before each step)" in str(verdict)

    def seeds_all_leaves(output):  # another way to lose them: output.grad = 1 on every Value
        order = topological(output)
        for v in order:
            v.grad = 1.0 if v is output else v.grad * 0.5
        for v in reversed(order):
            v._backward()

    other = str(bp.check_tiny_engine(Value, seeds_all_leaves))
    assert other.startswith("Not yet") and "resets" not in other


def test_step_4_explains_a_sum_that_starts_at_zero_or_a_plain_number():
    Value = engine()

    def with_sum(xs, ws, b):
        return (sum(w * x for w, x in zip(ws, xs)) + b).tanh()

    verdict = str(bp.check_neuron(with_sum, Value))
    assert "raised TypeError" in verdict and "no __radd__" in verdict, verdict
    assert "Start the total at b" in verdict

    def plus_float(xs, ws, b):
        total = b + 0.0
        for w, x in zip(ws, xs):
            total = total + w * x
        return total.tanh()

    verdict = str(bp.check_neuron(plus_float, Value))
    assert "raised AttributeError" in verdict and "A plain number met a Value" in verdict, verdict

    def start_from_b(xs, ws, b):  # the fix the message suggests
        return sum((w * x for w, x in zip(ws, xs)), b).tanh()

    assert bp.check_neuron(start_from_b, Value).correct


class SwappedOrder(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.sum(axis=0), grad.T @ ctx.x


class BiasOverColumns(CorrectLinear):
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, grad.T @ ctx.x, grad.sum(axis=1)


class TransposedOnly(CorrectLinear):  # x.T @ grad, transposed, but then (in, out)
    @staticmethod
    def backward(ctx, grad):
        return grad @ ctx.w, (grad.T @ ctx.x).T, grad.sum(axis=0)


def test_fixed_linear_checker_names_the_shape_slips():
    swapped = str(bp.check_fixed_linear(SwappedOrder))
    assert "in the order dx, db, dw" in swapped and "return dx, dw, db" in swapped, swapped
    assert "unbroadcast" not in swapped
    columns = str(bp.check_fixed_linear(BiasOverColumns))
    assert "db has shape (5,): it sums grad over axis 1" in columns, columns
    assert "grad.sum(axis=0)" in columns and "unbroadcast" not in columns
    # square case: gradcheck names w; non-square: the shape names the transpose
    transposed = str(bp.check_fixed_linear(TransposedOnly))
    assert "input 1 (w, shape (3, 3))" in transposed, transposed
    assert "w's transposed" in bp.exercises._shape_slip(
        TransposedOnly, *bp.exercises._bug_cases()[1]
    )
    assert bp.exercises._shape_slip(CorrectLinear, *bp.exercises._bug_cases()[1]) is None
