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
    top = run.losses.max()
    assert [t.get_text() for t in inset.get_yticklabels()] == ["0", f"{top:.2f}"]
    assert inset.get_xlabel() == "step 0 to 300"


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


# ----- exercise 1 ------------------------------------------------------------------------------


def test_linear_backward_reference_matches_autodiff():
    X, W, b, dY = bp.linear_exercise_data()
    leaves = [gl.tensor(a, requires_grad=True) for a in (X, W, b)]
    (leaves[0] @ leaves[1] + leaves[2]).backward(dY)
    for mine, leaf in zip(bp.linear_backward_reference(X, W, b, dY), leaves):
        np.testing.assert_allclose(mine, leaf.grad, rtol=1e-12)


def test_linear_exercise_checker_accepts_the_answer_and_names_each_mistake():
    X, W, b, dY = bp.linear_exercise_data()
    dX, dW, db = dY @ W.T, X.T @ dY, dY.sum(axis=0)
    assert bp.check_linear_backward(dX, dW, db).correct
    empty = bp.check_linear_backward(None, None, None)
    assert not empty and "still empty" in str(empty)
    transposed = str(bp.check_linear_backward(dX, dY.T @ X, db))
    assert "dW has shape (2, 3), expected (3, 2)" in transposed and "transposed" in transposed
    mean_not_sum = str(bp.check_linear_backward(dX, dW, dY.mean(axis=0)))
    assert mean_not_sum.startswith("Not yet: db is off by a constant factor, 1/N = 0.25 times")
    assert "a mean over the 4 rows instead of a sum?" in mean_not_sum
    wrong_axis = str(bp.check_linear_backward(dX, dW, dY.sum(axis=1)))
    assert "db has shape (4,), expected (2,): you summed over the wrong axis" in wrong_axis
    assert "sum over axis 0" in wrong_axis
    mean_dW = str(bp.check_linear_backward(dX, X.T @ dY / 4, db))
    assert mean_dW.startswith("Not yet: dW is off by a constant factor, 1/N = 0.25")
    sign = str(bp.check_linear_backward(-dX, dW, db))
    assert "dX has the right size but the wrong sign" in sign
    missing = str(bp.check_linear_backward(dX, None, db))
    assert "dW is still empty" in missing
    wrong = str(bp.check_linear_backward(X, dW, db))  # dX = X: entries called too large/small
    assert "entries of dX differ" in wrong and "expected" not in wrong
    assert "too large" in wrong or "too small" in wrong


# ----- exercise 2 ------------------------------------------------------------------------------


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
