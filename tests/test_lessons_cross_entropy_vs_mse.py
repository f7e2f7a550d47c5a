"""gradlib.lessons.cross_entropy_vs_mse: Nielsen's neuron, the gradients at the logits,
the digits experiment, the convexity tests, the probabilistic view and the checkers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib.activations import softmax_array  # noqa: E402
from gradlib.lessons import cross_entropy_vs_mse as lesson  # noqa: E402
from gradlib.lessons.cross_entropy_vs_mse import experiment  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ----- one neuron ------------------------------------------------------------------------------


def test_sigmoid_prime_peaks_at_a_quarter():
    z = np.linspace(-8, 8, 161)
    slope = lesson.sigmoid_prime(z)
    assert slope.max() == pytest.approx(0.25) and z[slope.argmax()] == 0
    np.testing.assert_allclose(slope, slope[::-1])
    assert lesson.sigmoid_prime(5.0) == pytest.approx(sigmoid(5.0) * (1 - sigmoid(5.0)))


@pytest.mark.parametrize("index", [0, 1])
def test_the_book_numbers_to_four_digits(index):
    w, b = lesson.NIELSEN_STARTS[index]
    a, quadratic, _ = lesson.neuron_gradient(w, b, "quadratic")
    _, cross, _ = lesson.neuron_gradient(w, b, "cross-entropy")
    assert round(a, 4) == lesson.NIELSEN_BOOK["output"][index]
    assert round(quadratic, 4) == lesson.NIELSEN_BOOK["quadratic dC/dw"][index]
    assert round(cross, 4) == lesson.NIELSEN_BOOK["cross-entropy dC/dw"][index]


@pytest.mark.parametrize(
    "w, b, x, y", [(0.6, 0.9, 1.0, 0.0), (-1.0, 0.5, 2.0, 1.0), (3, -1, -1.5, 1)]
)
def test_neuron_gradient_is_the_formula(w, b, x, y):
    a = sigmoid(w * x + b)
    got_a, dw, db = lesson.neuron_gradient(w, b, "quadratic", x, y)
    assert got_a == pytest.approx(a)
    assert dw == pytest.approx((a - y) * a * (1 - a) * x) and db == pytest.approx(
        (a - y) * a * (1 - a)
    )
    _, dw, db = lesson.neuron_gradient(w, b, "cross-entropy", x, y)
    assert dw == pytest.approx((a - y) * x) and db == pytest.approx(a - y)


@pytest.mark.parametrize("cost", lesson.COSTS)
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_neuron_cost_matches_pytorch(torch, cost, y):
    z = np.array([-30.0, -2.0, 0.3, 4.0, 30.0])
    target = torch.full((5,), y)
    zt = torch.tensor(z, requires_grad=True)
    if cost == "cross-entropy":
        theirs = torch.nn.functional.binary_cross_entropy_with_logits(zt, target, reduction="sum")
    else:
        theirs = 0.5 * ((torch.sigmoid(zt) - target) ** 2).sum()
    theirs.backward()
    leaf = gl.tensor(z, requires_grad=True)
    mine = lesson.neuron_cost(leaf, y, cost)
    mine.backward()
    assert mine.item() == pytest.approx(theirs.item())
    np.testing.assert_allclose(leaf.grad, zt.grad.numpy(), atol=1e-12)


def test_neuron_cost_rejects_an_unknown_cost():
    with pytest.raises(ValueError, match="cost must be one of"):
        lesson.neuron_cost(0.5, 0.0, "hinge")
    with pytest.raises(ValueError, match="cost must be one of"):
        lesson.neuron_run(0.5, 0.5, cost="hinge")


@pytest.mark.parametrize("cost", lesson.COSTS)
def test_neuron_run_steps_by_the_backward_gradient(cost):
    w, b, lr = 2.0, 2.0, 0.15
    run = lesson.neuron_run(w, b, lr, cost, epochs=3)
    for t in range(3):
        _, dw, db = lesson.neuron_gradient(run.w[t], run.b[t], cost)
        assert run.w[t + 1] == pytest.approx(run.w[t] - lr * dw)
        assert run.b[t + 1] == pytest.approx(run.b[t] - lr * db)
    np.testing.assert_allclose(run.a, sigmoid(run.w + run.b))
    np.testing.assert_allclose(run.dC_dw, run.dC_dz * run.x)
    values = [lesson.neuron_cost(wi + bi, 0.0, cost).item() for wi, bi in zip(run.w, run.b)]
    np.testing.assert_allclose(run.cost_values, values)


def test_nielsens_300_epochs():
    """REFERENCES: a(300) ~ 0.20 from (2, 2) and ~0.09 from (0.6, 0.9); the saturated start
    barely moves for ~150 epochs under the quadratic cost."""
    good, saturated = (lesson.neuron_run(w, b) for w, b in lesson.NIELSEN_STARTS)
    assert good.a[-1] == pytest.approx(0.094, abs=0.001)
    assert saturated.a[-1] == pytest.approx(0.203, abs=0.001)
    assert saturated.a[0] - saturated.a[150] < 0.05
    assert lesson.epochs_until_below(saturated.a, 0.5) == 232
    cross = lesson.neuron_run(2.0, 2.0, cost="cross-entropy")
    assert lesson.epochs_until_below(cross.a, 0.5) == 17
    assert lesson.epochs_until_below(cross.a, -1.0) is None


def test_book_animation_steps_by_dC_da():
    a = lesson.book_animation_run(2.0, 2.0, lr=0.005, epochs=2)
    step = 0.005 / (1 - a[0])
    assert a[1] == pytest.approx(sigmoid(4.0 - 2 * step))
    # it falls much faster than the derived gradient at the same learning rate
    derived = lesson.neuron_run(2.0, 2.0, 0.005, "cross-entropy", 300).a[-1]
    assert lesson.book_animation_run(2.0, 2.0)[-1] < 0.1 < derived


# ----- the gradient at the logits --------------------------------------------------------------


def test_one_hot():
    np.testing.assert_array_equal(lesson.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])


@pytest.fixture
def batch(rng):
    return rng.normal(scale=2.0, size=(7, 5)), rng.integers(0, 5, size=7)


def test_classification_costs_by_hand(batch):
    z, y = batch
    p = softmax_array(z, axis=1)
    Y = lesson.one_hot(y, 5)
    quadratic = lesson.classification_cost(z, y, "quadratic").item()
    assert quadratic == pytest.approx(0.5 * ((p - Y) ** 2).sum() / 7)
    cross = lesson.classification_cost(z, y, "cross-entropy").item()
    assert cross == pytest.approx(-np.log(p[np.arange(7), y]).mean())
    with pytest.raises(ValueError, match="cost must be one of"):
        lesson.classification_cost(z, y, "hinge")


def test_quadratic_cost_is_k_over_two_times_pytorch_mse(torch, batch):
    z, y = batch
    p = softmax_array(z, axis=1)
    Y = lesson.one_hot(y, 5)
    theirs = torch.nn.functional.mse_loss(torch.tensor(p), torch.tensor(Y)).item()
    assert lesson.quadratic_cost(p, Y).item() == pytest.approx(5 / 2 * theirs)


@pytest.mark.parametrize("cost", lesson.COSTS)
def test_logit_gradient_formula_equals_backward_and_pytorch(torch, batch, cost):
    z, y = batch
    formula = lesson.logit_gradient_formula(z, y, cost)
    np.testing.assert_allclose(formula, lesson.logit_gradient(z, y, cost), atol=1e-14)
    zt = torch.tensor(z, requires_grad=True)
    if cost == "cross-entropy":
        loss = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
    else:
        Y = torch.nn.functional.one_hot(torch.tensor(y), 5).double()
        loss = 0.5 * ((torch.softmax(zt, dim=1) - Y) ** 2).sum() / len(y)
    loss.backward()
    np.testing.assert_allclose(formula, zt.grad.numpy(), atol=1e-14)


@pytest.mark.parametrize("cost", lesson.COSTS)
def test_the_full_jacobian_route_gives_the_same_gradient(batch, cost):
    z, y = batch
    np.testing.assert_allclose(
        lesson.logit_gradient_by_jacobian(z, y, cost), lesson.logit_gradient(z, y, cost), atol=1e-14
    )


def test_probability_gradient():
    z = np.log(np.array([[0.5, 0.25, 0.25]]))
    np.testing.assert_allclose(
        lesson.probability_gradient(z, [1], "quadratic"), [[0.5, -0.75, 0.25]]
    )
    np.testing.assert_allclose(lesson.probability_gradient(z, [1], "cross-entropy"), [[0, -4, 0]])
    with pytest.raises(ValueError, match="cost must be one of"):
        lesson.probability_gradient(z, [1], "hinge")


def test_logit_gradient_of_one_sample(rng):
    z = rng.normal(size=4)
    np.testing.assert_allclose(
        lesson.logit_gradient(z, 1, "cross-entropy"),
        (softmax_array(z, axis=0) - np.eye(4)[1])[None, :],
        atol=1e-15,
    )


def test_softmax_jacobian(rng):
    z = rng.normal(size=6)
    J = lesson.softmax_jacobian(z)
    numeric = lesson.numerical_jacobian(lambda v: softmax_array(v, axis=0), z)
    np.testing.assert_allclose(J, numeric, atol=1e-9)
    np.testing.assert_allclose(J, J.T)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)  # probabilities keep adding to 1


def test_numerical_hessian_of_cross_entropy_is_the_softmax_jacobian(rng):
    z = rng.normal(size=4)
    H = lesson.numerical_hessian(
        lambda v: lesson.classification_cost(v.reshape(1, -1), [3], "cross-entropy"), z
    )
    np.testing.assert_allclose(H, lesson.softmax_jacobian(z), atol=1e-9)
    np.testing.assert_allclose(lesson.ce_logit_hessians(z[None, :])[0], H, atol=1e-9)


def test_second_differences():
    t = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(lesson.second_differences(3 * t**2 + t, 0.2), 6.0)
    np.testing.assert_allclose(lesson.second_differences(t, 0.2), 0.0, atol=1e-12)


def test_push_scenarios_give_the_probabilities_they_name():
    p_true = np.array([0.01, 0.5, 0.9])
    scenarios = lesson.push_scenarios(p_true, classes=4)
    one = softmax_array(scenarios["on one wrong class"], axis=1)
    np.testing.assert_allclose(one[:, 0], p_true, atol=1e-9)
    np.testing.assert_allclose(one[:, 1], 1 - p_true, atol=1e-9)
    spread = softmax_array(scenarios["spread evenly"], axis=1)
    np.testing.assert_allclose(spread[:, 0], p_true)
    np.testing.assert_allclose(spread[:, 1:], np.repeat((1 - p_true)[:, None] / 3, 3, axis=1))


def test_the_quadratic_push_near_a_uniform_softmax_is_cross_entropy_over_k():
    z = np.full((1, 10), 0.3)
    for label in range(10):
        quad = lesson.logit_gradient_formula(z, [label], "quadratic")
        cross = lesson.logit_gradient_formula(z, [label], "cross-entropy")
        np.testing.assert_allclose(quad, cross / 10, atol=1e-15)


# ----- the probabilistic view ------------------------------------------------------------


def test_likelihoods(batch):
    z, y = batch
    p = softmax_array(z, axis=1)
    Y = lesson.one_hot(y, 5)
    np.testing.assert_allclose(
        lesson.categorical_nll(p, y).mean(), F.cross_entropy(z, y).item(), rtol=1e-12
    )
    gauss = lesson.gaussian_nll(Y, p) - 2.5 * np.log(2 * np.pi)
    assert gauss.mean() == pytest.approx(lesson.quadratic_cost(p, Y).item())
    # a wider Gaussian: the squares count half as much, the constant grows
    wide = lesson.gaussian_nll(Y, p, variance=2.0)
    np.testing.assert_allclose(wide, ((Y - p) ** 2).sum(1) / 4 + 2.5 * np.log(4 * np.pi))


def test_reliability_bins_by_hand():
    p = np.array(
        [
            [0.95, 0.05],  # confident, right
            [0.92, 0.08],  # confident, wrong
            [0.55, 0.45],  # unsure, right
            [0.28, 0.72],  # 0.72 on class 1, right
        ]
    )
    labels = np.array([0, 1, 0, 1])
    bins = lesson.reliability(p, labels, bins=10)
    assert bins.counts.tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 2]
    assert bins.confidence[9] == pytest.approx(0.935) and bins.accuracy[9] == 0.5
    assert bins.accuracy[5] == 1.0 and bins.accuracy[7] == 1.0
    expected = (2 * abs(0.5 - 0.935) + abs(1 - 0.55) + abs(1 - 0.72)) / 4
    assert bins.expected_calibration_error == pytest.approx(expected)
    assert np.isnan(bins.accuracy[0])


def test_perfect_calibration_has_no_error():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert lesson.reliability(p, [0, 1]).expected_calibration_error == 0.0


# ----- the digits experiment ----------------------------------------------------------------


def test_the_two_starts_differ_only_in_one_bias():
    default, wrong = (lesson.make_network(3, start) for start in lesson.STARTS)
    for name, (a, b) in zip(
        ["0.weight", "0.bias", "2.weight", "2.bias"], zip(default.parameters(), wrong.parameters())
    ):
        if name == "2.bias":
            difference = b.data - a.data
            assert difference[lesson.WRONG_CLASS] == lesson.WRONG_LOGIT
            assert np.count_nonzero(difference) == 1
        else:
            np.testing.assert_array_equal(a.data, b.data)
    X = lesson.digits()[0]
    with gl.no_grad():
        p = F.softmax(wrong(X), dim=1).data
    assert p[:, 0].min() > 0.999
    with pytest.raises(ValueError, match="start must be one of"):
        lesson.make_network(0, "lucky")


def test_network_parameters_round_trip(rng):
    model = lesson.make_network(0)
    saved = lesson.network_parameters(model)
    changed = [p + 1 for p in saved]
    lesson.set_network_parameters(model, changed)
    for p, value in zip(model.parameters(), changed):
        np.testing.assert_array_equal(p.data, value)
    saved[0][0, 0] = 99.0  # a copy, not a view
    assert model.parameters()[0].data[0, 0] != 99.0


def test_train_digits_is_repeatable_and_the_costs_share_the_start():
    first = lesson.train_digits("cross-entropy", 0.3, seed=2, epochs=1)
    again = lesson.train_digits("cross-entropy", 0.3, seed=2, epochs=1)
    other = lesson.train_digits("quadratic", 0.3, seed=2, epochs=1)
    assert len(first.accuracy) == lesson.EVALS_PER_EPOCH + 1
    np.testing.assert_array_equal(first.accuracy, again.accuracy)
    assert first.accuracy[0] == other.accuracy[0]  # the same initial network
    assert first.accuracy[-1] > other.accuracy[-1]  # at the same small rate
    assert first.test_probabilities.shape == (359, 10)
    np.testing.assert_allclose(first.test_probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(first.epochs, np.arange(6) / 5)
    with pytest.raises(ValueError, match="cost must be one of"):
        lesson.train_digits("hinge", 0.3, seed=0, epochs=1)


def _run(cost, lr, seed, accuracy, start="default"):
    return lesson.DigitsRun(
        cost, lr, seed, start, np.array(accuracy), np.zeros(1), np.zeros((1, 10)), []
    )


@pytest.fixture
def fake_sweep():
    """Two learning rates, two seeds; accuracies measured at epochs 0, 0.2, 0.4, ..."""
    curves = {
        ("quadratic", 0.1): [[0.1, 0.5, 0.8, 0.85], [0.1, 0.4, 0.6, 0.71]],
        ("quadratic", 1.0): [[0.1, 0.5, 0.92, 0.95], [0.1, 0.8, 0.91, 0.9]],
        ("cross-entropy", 0.1): [[0.1, 0.95, 0.95, 0.96], [0.1, 0.92, 0.93, 0.93]],
        ("cross-entropy", 1.0): [[0.1, 0.1, 0.1, 0.1], [0.1, 0.2, 0.1, 0.1]],
    }
    runs = {
        ("default", cost, lr, seed): _run(cost, lr, seed, acc)
        for (cost, lr), accs in curves.items()
        for seed, acc in enumerate(accs)
    }
    return lesson.DigitsSweep(runs, (0.1, 1.0), (0, 1), ("default",))


def test_sweep_epochs_medians_and_best_rates(fake_sweep):
    np.testing.assert_allclose(fake_sweep.epochs_to("default", "quadratic", 1.0), [0.4, 0.4])
    assert np.isinf(fake_sweep.epochs_to("default", "quadratic", 0.1)).all()
    np.testing.assert_allclose(fake_sweep.epochs_to("default", "cross-entropy", 0.1), [0.2, 0.2])
    assert fake_sweep.median_epochs("default", "cross-entropy", 0.1) == pytest.approx(0.2)
    assert fake_sweep.best_lr("default", "quadratic") == 1.0
    assert fake_sweep.best_lr("default", "cross-entropy") == 0.1
    epochs, curves = fake_sweep.accuracy_curves("default", "quadratic", 0.1)
    assert curves.shape == (2, 4) and epochs[-1] == pytest.approx(0.6)
    np.testing.assert_allclose(
        fake_sweep.final_accuracies("default", "quadratic", 1.0), [0.95, 0.9]
    )


def test_best_rate_ties_go_to_the_higher_final_accuracy():
    runs = {
        ("default", "quadratic", lr, 0): _run("quadratic", lr, 0, acc)
        for lr, acc in ((0.1, [0.1, 0.5]), (1.0, [0.1, 0.6]))
    }
    sweep = lesson.DigitsSweep(runs, (0.1, 1.0), (0,), ("default",))
    assert sweep.best_lr("default", "quadratic") == 1.0  # neither reaches 90%


def test_sweep_table(fake_sweep):
    lines = fake_sweep.table("default").splitlines()
    assert lines[0].startswith("start: default. Epochs to 90% test accuracy per seed")
    assert "not within 0.6" in lines[0]  # the runs' own length, not the notebook's
    assert len(lines) == 2 + 4
    assert lines[2].split() == ["0.1", "quadratic", "-", "-", "-", "78%"]  # (0.85 + 0.71) / 2
    assert lines[3].split() == ["0.1", "cross-entropy", "0.2", "0.2", "0.2", "94%"]


def test_sweep_table_says_varies_when_the_seeds_end_far_apart():
    """A mean of seeds that end 30+ points apart hides them and moves with the last bit."""
    runs = {
        ("default", "quadratic", 1.0, seed): _run("quadratic", 1.0, seed, acc)
        for seed, acc in enumerate(([0.1, 0.2, 0.95], [0.1, 0.1, 0.6]))
    }
    runs |= {
        ("default", "cross-entropy", 1.0, seed): _run("cross-entropy", 1.0, seed, acc)
        for seed, acc in enumerate(([0.1, 0.9, 0.95], [0.1, 0.9, 0.71]))
    }
    sweep = lesson.DigitsSweep(runs, (1.0,), (0, 1), ("default",))
    quadratic, cross = sweep.table("default").splitlines()[2:]
    assert quadratic.split()[-1] == "varies"  # 0.95 and 0.6: 35 points apart
    assert cross.split()[-1] == "83%"  # 0.95 and 0.71: 24 points, a mean is still shown


# ----- convexity -------------------------------------------------------------------------------


def test_bends_down():
    t = np.linspace(-1, 1, 21)
    assert not lesson.bends_down(t**2, t)
    assert not lesson.bends_down(t**4, t)
    assert not lesson.bends_down(3 * t + 1, t)  # a straight line: only round-off
    assert lesson.bends_down(-(t**2), t)
    assert lesson.bends_down(np.sin(3 * t), t)


def test_linear_model_line_is_the_cost_at_each_point(rng):
    X, y = rng.normal(size=(20, 6)), rng.integers(0, 3, size=20)
    W, b, dW, db = (rng.normal(size=s) for s in [(3, 6), (3,), (3, 6), (3,)])
    ts = np.array([-0.5, 0.0, 1.5])
    for cost in lesson.COSTS:
        along = lesson.linear_model_line(X, y, W, b, dW, db, ts, cost)
        direct = [
            lesson.classification_cost(X @ (W + t * dW).T + b + t * db, y, cost).item() for t in ts
        ]
        np.testing.assert_allclose(along, direct, rtol=1e-12)


def test_permuted_hidden_units_compute_the_same_function(rng):
    X, y = lesson.digits()[0][:50], lesson.digits()[2][:50]
    cost = lesson.NetworkCost(X, y)
    weights = lesson.network_parameters(lesson.make_network(5))
    permuted = lesson.permute_hidden_units(weights, rng.permutation(32))
    assert cost(permuted) == pytest.approx(cost(weights), rel=1e-12)
    assert not np.array_equal(permuted[0], weights[0])
    gap = lesson.midpoint_gap(cost, weights, weights)
    assert gap.above_chord == pytest.approx(0.0, abs=1e-15)
    assert isinstance(gap, lesson.MidpointGap)


def test_network_line_and_random_direction(rng):
    X, y = lesson.digits()[0][:30], lesson.digits()[2][:30]
    cost = lesson.NetworkCost(X, y, "quadratic")
    start = lesson.network_parameters(lesson.make_network(1))
    direction = lesson.random_direction(start, 2.0, rng)
    assert np.sqrt(sum((d**2).sum() for d in direction)) == pytest.approx(2.0)
    assert [d.shape for d in direction] == [s.shape for s in start]
    along = lesson.network_line(cost, start, direction, np.array([0.0, 1.0]))
    assert along[0] == pytest.approx(cost(start))
    assert along[1] == pytest.approx(cost([s + d for s, d in zip(start, direction)]))


def test_ce_logit_hessians_are_positive_semidefinite(rng):
    eigenvalues = np.linalg.eigvalsh(lesson.ce_logit_hessians(rng.normal(scale=6, size=(200, 7))))
    assert eigenvalues.min() > -1e-15
    assert np.abs(eigenvalues[:, 0]).max() < 1e-15  # the direction (1, ..., 1)


# ----- exercises -------------------------------------------------------------------------------


def _neuron_answer():
    g = lesson.GRADIENT_NEURON
    a = sigmoid(g["w"] * g["x"] + g["b"])
    return a, g["x"], g["y"]


def test_check_neuron_gradients():
    a, x, y = _neuron_answer()
    right = [(a - y) * a * (1 - a) * x, (a - y) * x]
    assert "still empty" in str(lesson.check_neuron_gradients(None))
    assert lesson.check_neuron_gradients(right)
    assert lesson.check_neuron_gradients([round(v, 4) for v in right])  # 4 digits suffice
    three_digits = [float(f"{v:.3g}") for v in right]  # what the exercise asks for
    assert lesson.check_neuron_gradients(three_digits)
    two_digits = [float(f"{v:.2g}") for v in right]  # -0.24, -1.6: the method is right
    verdict = lesson.check_neuron_gradients(two_digits)
    assert not verdict and "3 significant digits" in verdict.message
    assert "wrong sign" in lesson.check_neuron_gradients([-v for v in two_digits]).message
    a_no_x = sigmoid(lesson.GRADIENT_NEURON["w"] + lesson.GRADIENT_NEURON["b"])
    slips = {
        "not w + b": [(a_no_x - y) * a_no_x * (1 - a_no_x) * x, (a_no_x - y) * x],
        "adds the factor sigma'(z)": [(a - y) * x, right[1]],
        "uses sigma(z) = a": [(a - y) * a * x, right[1]],
        "that is dC/db": [(a - y) * a * (1 - a), right[1]],
        "wrong sign: dC/da = a - y": [-right[0], right[1]],
        "still has sigma'(z)": [right[0], right[0]],
        "has no factor x": [right[0], a - y],
        "not (y - a) x": [right[0], -right[1]],
        "entries are swapped": [right[1], right[0]],
    }
    for advice, answer in slips.items():
        verdict = lesson.check_neuron_gradients(answer)
        assert not verdict and advice in verdict.message, (advice, verdict.message)
        assert f"{right[0]:.4g}" not in verdict.message  # the value is not revealed
        assert f"{right[1]:.4g}" not in verdict.message
        assert "constant factor" not in verdict.message  # the slip is named instead
    one_wrong = lesson.check_neuron_gradients([right[0], 2.0])
    assert "quadratic dC/dw is right" in one_wrong.message and "too large" in one_wrong.message


def test_check_prediction():
    assert "still empty" in str(lesson.check_prediction(None))
    assert "should be a dict" in str(lesson.check_prediction(["A", "B"]))
    assert "exactly the keys" in str(lesson.check_prediction({"quadratic": "A"}))
    assert "'A' or 'B'" in str(lesson.check_prediction({"quadratic": "C", "cross-entropy": "A"}))
    right = lesson.check_prediction({"quadratic": "A", "cross-entropy": "B"})
    assert right and "B's by 0.000" in right.message
    wrong = lesson.check_prediction({"quadratic": "B", "cross-entropy": "B"})
    assert not wrong and "quadratic (B) does not match" in wrong.message
    assert "cross-entropy (" not in wrong.message
    both = lesson.check_prediction({"quadratic": "B", "cross-entropy": "A"})
    assert "quadratic (B)" in both.message and "cross-entropy (A)" in both.message


def _good(logits, labels):
    p = softmax_array(logits, axis=1)
    return (p - np.eye(logits.shape[1])[labels]) / len(labels)


def test_check_softmax_ce_grad_accepts_the_answer_and_names_slips():
    assert lesson.check_softmax_ce_grad(_good)
    slips = {
        "divide by N, the batch size": lambda z, y: _good(z, y) * len(y),
        "divided by K": lambda z, y: _good(z, y) * len(y) / z.shape[1],
        "down each column (axis=0)": lambda z, y: (
            (softmax_array(z, axis=0) - np.eye(z.shape[1])[y]) / len(y)
        ),
        "one-hot targets were not subtracted": lambda z, y: softmax_array(z, axis=1) / len(y),
        "the sign is flipped": lambda z, y: -_good(z, y),
        "divided by N K": lambda z, y: _good(z, y) / z.shape[1],
        "uses the logits": lambda z, y: (z - np.eye(z.shape[1])[y]) / len(y),
        "sum over the whole batch": lambda z, y: (
            (np.exp(z - z.max()) / np.exp(z - z.max()).sum() - np.eye(z.shape[1])[y]) / len(y)
        ),
    }
    for advice, function in slips.items():
        verdict = lesson.check_softmax_ce_grad(function)
        assert not verdict and advice in verdict.message, (advice, verdict.message)


def test_check_softmax_ce_grad_reports_overflow_placeholders_and_errors():
    def naive(z, y):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(z)
            return (e / e.sum(axis=1, keepdims=True) - np.eye(z.shape[1])[y]) / len(y)

    verdict = lesson.check_softmax_ce_grad(naive)
    assert not verdict and "test case 3" in verdict.message and "maximum" in verdict.message

    def placeholder(z, y):
        raise NotImplementedError

    assert "NotImplementedError" in str(lesson.check_softmax_ce_grad(placeholder))
    assert "not defined yet" in str(lesson.check_softmax_ce_grad(None))

    def in_place(z, y):
        z -= z.max(axis=1, keepdims=True)
        return _good(z, y)

    assert "in place" in str(lesson.check_softmax_ce_grad(in_place))

    def transposed(z, y):
        return _good(z, y).T

    assert "shape" in str(lesson.check_softmax_ce_grad(transposed))

    def no_keepdims(z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1) - np.eye(z.shape[1])[y]) / len(y)

    assert "keepdims=True" in str(lesson.check_softmax_ce_grad(no_keepdims))

    def eye_of_n(z, y):
        return (softmax_array(z, axis=1) - np.eye(len(y))[y]) / len(y)

    assert "np.eye(K)" in str(lesson.check_softmax_ce_grad(eye_of_n))


# ----- widget and figures ------------------------------------------------------------------


def test_neuron_lab_shows_the_book_numbers_and_follows_the_cost():
    lab = lesson.NeuronLab()
    text = lab.draw()
    assert text.startswith("a: 0.9820 -> 0.2028 in 300 epochs (cross-entropy: 0.0120)")
    assert "first dC/dw = (a - y) σ'(z) x = 0.9820 × 0.0177 × 1 = 0.0173" in text
    assert lab.output.get_color() == lesson.COST_COLORS["quadratic"]
    text = lab.draw(cost="cross-entropy", w=0.6, b=0.9)
    assert "first dC/dw = (a - y) x = 0.8176 × 1 = 0.8176" in text
    assert lab.output.get_color() == lesson.COST_COLORS["cross-entropy"]
    assert len(lab.output.get_xdata()) == 301
    lab.draw(epochs=50)
    assert lab.axes[0].get_xlim() == (0.0, 50.0)


def test_static_figures_draw(fake_sweep):
    assert len(lesson.plot_nielsen_runs().axes) == 2
    assert len(lesson.plot_push().axes) == 2
    assert isinstance(lesson.plot_epochs_to_target(fake_sweep), Figure)
    fig = lesson.plot_learning_curves(
        fake_sweep, [("a", "default", {"quadratic": 0.1, "cross-entropy": 1.0})]
    )
    assert "quadratic at 0.1, cross-entropy at 1" in fig.axes[0].get_title()
    t = np.linspace(-1, 1, 5)
    curves = {cost: t**2 for cost in lesson.COSTS}
    fig = lesson.plot_convexity_slices((t, curves), (t, curves), (t, t**2))
    assert len(fig.axes) == 5  # two panels with a second y axis each
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    bins = {cost: lesson.reliability(p, [0, 0]) for cost in lesson.COSTS}
    assert len(lesson.plot_reliability(bins).axes) == 2


def test_experiment_defaults_describe_the_notebooks_run():
    assert experiment.SIZES == (64, 32, 10) and experiment.BATCH_SIZE == 32
    assert lesson.LEARNING_RATES == (0.1, 0.3, 1.0, 3.0, 10.0) and len(lesson.SEEDS) == 5
