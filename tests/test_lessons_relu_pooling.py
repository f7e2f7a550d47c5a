"""gradlib.lessons.relu_pooling: ReLU at 0, activations, pooling on a grid, the digits runs,
the pooling lab and the exercise checkers of notebook 04.

The pooling facts asserted here are those of REFERENCES.md ("Gradients at non-differentiable
points"); PyTorch cross-checks run when torch is installed.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib.activations import ELU, GELU, ReLU, Sigmoid, Tanh  # noqa: E402
from gradlib.lessons import relu_pooling as lesson  # noqa: E402
from gradlib.lessons.relu_pooling.exercises import (  # noqa: E402
    RANDOM_CASES,
    _max_backward_rule,
    _random_cases,
)
from gradlib.lessons.relu_pooling.experiments import DEAD_ACTIVATIONS, DEAD_CAUSES  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ----- ReLU at 0 -----------------------------------------------------------------------------


def test_one_sided_slopes_of_relu_and_abs_at_0():
    assert lesson.one_sided_slopes(lesson.relu_numpy, 0.0) == (0.0, 1.0)
    assert lesson.one_sided_slopes(np.abs, 0.0) == (-1.0, 1.0)
    left, right = lesson.one_sided_slopes(np.sin, 0.0)
    assert left == pytest.approx(1.0) and right == pytest.approx(1.0)  # differentiable


def test_subgradients_of_relu_at_0_fill_0_to_1_and_of_abs_minus_1_to_1():
    assert lesson.subgradient_interval(lesson.relu_numpy, 0.0) == pytest.approx((0.0, 1.0))
    assert lesson.subgradient_interval(np.abs, 0.0) == pytest.approx((-1.0, 1.0))
    # away from the kink the only subgradient is the derivative
    assert lesson.subgradient_interval(lesson.relu_numpy, 1.0) == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_four_spellings_of_relu_have_pytorchs_slopes_at_0(dtype):
    for name, fn in lesson.RELU_SPELLINGS.items():
        assert lesson.slope_at(fn, 0.0, dtype) == lesson.PYTORCH_SLOPE_AT_ZERO[name], name
        assert lesson.slope_at(fn, 2.0, dtype) == 1.0 and lesson.slope_at(fn, -2.0, dtype) == 0.0


def test_pytorch_slopes_at_0_are_measured(torch):
    spellings = {
        "F.relu(x)": torch.relu,
        "x.clamp(min=0)": lambda t: t.clamp(min=0),
        "gl.maximum(x, 0)": lambda t: torch.maximum(t, torch.zeros_like(t)),
        "x * (x > 0)": lambda t: t * (t > 0),
    }
    assert set(spellings) == set(lesson.PYTORCH_SLOPE_AT_ZERO)
    for name, fn in spellings.items():
        x = torch.zeros(1, requires_grad=True)
        fn(x).sum().backward()
        assert x.grad.item() == lesson.PYTORCH_SLOPE_AT_ZERO[name], name
    assert lesson.FRAMEWORK_RELU_AT_ZERO["PyTorch torch.relu"][0] == 0.0


def test_exact_zero_sources_count_what_they_say():
    counts = {c.source: c for c in lesson.exact_zero_sources()}
    assert len(counts) == 6
    fresh = [c for name, c in counts.items() if name.startswith("W x + b")]
    assert [c.zeros for c in fresh] == [0, 0] and all(c.total == 1797 * 32 for c in fresh)
    again = counts["the input of a ReLU after a ReLU"]
    assert 0.3 < again.fraction < 0.8
    assert counts["8 pruned units (weights and bias 0)"].fraction == 1.0
    assert 0 < counts["integer pixels, weights in {-1, 0, 1}"].zeros < 0.1 * 1797 * 32
    conv = counts["3x3 conv, zero padding, no bias"]
    assert conv.total == 1797 * 8 * 64 and 0.05 < conv.fraction < 0.5
    assert [c.zeros for c in lesson.exact_zero_sources()] == [c.zeros for c in counts.values()]


# ----- activations ---------------------------------------------------------------------------


def test_activation_derivatives_from_backward_match_their_formulas():
    xs = np.linspace(-4, 4, 81)
    curves = lesson.activation_curves(xs)
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(curves["sigmoid"][1], s * (1 - s), atol=1e-12)
    np.testing.assert_allclose(curves["tanh"][1], 1 - np.tanh(xs) ** 2, atol=1e-12)
    np.testing.assert_allclose(curves["softplus"][1], s, atol=1e-12)
    phi = np.exp(-(xs**2) / 2) / math.sqrt(2 * math.pi)
    cdf = np.array([0.5 * math.erfc(-x / math.sqrt(2)) for x in xs])
    np.testing.assert_allclose(curves["gelu"][1], cdf + xs * phi, atol=1e-12)
    np.testing.assert_allclose(curves["elu"][1], np.where(xs > 0, 1.0, np.exp(xs)), atol=1e-12)
    np.testing.assert_array_equal(curves["leaky_relu (0.1)"][1], np.where(xs > 0, 1.0, 0.1))


def test_derivative_bounds():
    bounds = lesson.derivative_bounds()
    assert bounds["sigmoid"][1] == pytest.approx(0.25) and bounds["sigmoid"][2] == 0.25
    assert bounds["tanh"][1] == pytest.approx(1.0)
    assert bounds["relu"] == (0.0, 1.0, 0.0)
    smallest, largest, at_zero = bounds["gelu"]
    assert at_zero == 0.5
    # GELU' = Phi(x) + x phi(x) is extreme at x = +-sqrt(2): 1.1289 and -0.1289
    assert largest == pytest.approx(1.1289, abs=1e-4) and smallest == pytest.approx(
        -0.1289, abs=1e-4
    )


def test_elementwise_passes_count_the_numpy_operations():
    forward, backward = lesson.elementwise_passes(ReLU)
    assert forward == ["maximum"] and backward == ["greater", "multiply"]
    forward, backward = lesson.elementwise_passes(Sigmoid)
    assert "exp" in forward and len(forward) + len(backward) > 3 * 3
    assert lesson.elementwise_passes(Tanh)[0] == ["tanh"]
    for function, argument in ((ELU, 1.0), (GELU, "none")):  # they run and count something
        forward, backward = lesson.elementwise_passes(function, argument)
        assert forward and backward


# ----- pooling on a grid --------------------------------------------------------------------


def test_presets():
    assert lesson.preset_grid("a plateau").tolist() == np.full((6, 6), 5.0).tolist()
    ties = lesson.preset_grid("many ties", seed=3)
    assert set(np.unique(ties)) <= {0.0, 1.0, 2.0}
    peak = lesson.preset_grid("a single peak")
    assert peak.max() == 9.0 and (peak == 9.0).sum() == 1
    nan = lesson.preset_grid("a NaN")
    assert np.isnan(nan[1, 2]) and np.isnan(nan).sum() == 1
    np.testing.assert_array_equal(
        lesson.preset_grid("random integers", 4), lesson.preset_grid("random integers", 4)
    )
    with pytest.raises(ValueError, match="unknown preset 'ramp'"):
        lesson.preset_grid("ramp")


GEOMETRIES = [
    (2, 2, 0),
    (3, 1, 0),
    (2, 3, 0),
    (2, 1, 1),
    (3, 2, 1),
    (4, 1, 2),
    (1, 1, 0),
]


@pytest.mark.parametrize("kernel, stride, padding", GEOMETRIES)
@pytest.mark.parametrize("counted", [True, False])
def test_jacobian_gives_gradlibs_mean_forward_and_backward(kernel, stride, padding, counted, rng):
    x = rng.normal(size=(6, 5))
    result = lesson.pool_grid(x, "mean", kernel, stride, padding, counted)
    g = rng.normal(size=result.out.shape)
    result = lesson.pool_grid(x, "mean", kernel, stride, padding, counted, g)
    padded = np.zeros(result.real.shape)
    padded[result.real] = x.ravel()
    np.testing.assert_allclose(result.jacobian @ padded.ravel(), result.out.ravel(), atol=1e-12)
    real = result.jacobian[:, result.real.ravel()]
    np.testing.assert_allclose(real.T @ g.ravel(), result.dx.ravel(), atol=1e-12)
    np.testing.assert_allclose(result.dx_padded[result.real], result.dx.ravel(), atol=1e-12)
    assert result.lost_to_padding == pytest.approx(result.upstream_sum - result.input_sum)
    if not counted:
        assert result.lost_to_padding == 0.0
        np.testing.assert_allclose(result.row_sums, 1.0)


@pytest.mark.parametrize("kernel, stride, padding", GEOMETRIES)
@pytest.mark.parametrize("preset", ["random integers", "many ties", "a plateau", "a NaN"])
def test_jacobian_gives_gradlibs_max_backward_with_ties_and_nan(kernel, stride, padding, preset):
    x = lesson.preset_grid(preset, seed=2)
    g = np.arange(1.0, 1 + ((6 + 2 * padding - kernel) // stride + 1) ** 2)
    g = g.reshape(int(math.isqrt(g.size)), -1)
    result = lesson.pool_grid(x, "max", kernel, stride, padding, upstream=g)
    np.testing.assert_array_equal(
        result.jacobian[:, result.real.ravel()].T @ g.ravel(), result.dx.ravel()
    )
    assert result.lost_to_padding == 0.0 and result.input_sum == result.upstream_sum
    np.testing.assert_array_equal(result.row_sums, 1.0)


def test_pool_grid_matches_torch(torch, rng):
    tf = torch.nn.functional
    x = rng.integers(0, 4, size=(6, 6)).astype(np.float64)  # many ties
    for mode, k, s, p, counted in [
        ("max", 2, 1, 1, True),
        ("mean", 3, 2, 1, True),
        ("mean", 3, 2, 1, False),
        ("max", 3, 1, 0, True),
    ]:
        result = lesson.pool_grid(x, mode, k, s, p, counted)
        t = torch.tensor(x[None, None], requires_grad=True)
        if mode == "max":
            out = tf.max_pool2d(t, k, s, p)
        else:
            out = tf.avg_pool2d(t, k, s, p, count_include_pad=counted)
        out.backward(torch.tensor(result.upstream[None, None]))
        np.testing.assert_allclose(result.out, out.detach().numpy()[0, 0])
        np.testing.assert_allclose(result.dx, t.grad.numpy()[0, 0])


def test_reference_facts_overlap_4_and_padding_1_and_2_25():
    centre = np.array([[1.0, 2, 1], [2, 9, 2], [1, 2, 1]])
    assert lesson.pool_grid(centre, "max", 2, 1).dx[1, 1] == 4
    ones = np.ones((2, 2))
    counted = lesson.pool_grid(ones, "mean", 2, 1, 1, True)
    not_counted = lesson.pool_grid(ones, "mean", 2, 1, 1, False)
    np.testing.assert_allclose(counted.dx, 1.0)
    np.testing.assert_allclose(not_counted.dx, 2.25)
    assert (counted.upstream_sum, counted.input_sum, counted.lost_to_padding) == (9, 4, 5)


def test_pool_grid_refuses_bad_arguments():
    with pytest.raises(ValueError, match="mode must be 'max' or 'mean'"):
        lesson.pool_grid(np.ones((4, 4)), "median")
    with pytest.raises(ValueError, match="upstream has shape"):
        lesson.pool_grid(np.ones((4, 4)), "max", 2, upstream=np.ones((3, 3)))
    with pytest.raises(ValueError, match="mode must be"):
        lesson.pooling_jacobian(np.ones((4, 4)), "min", 2, 2)


def test_gradient_sums_keep_the_sum_except_with_padding_counted():
    sums = lesson.gradient_sums(seed=1)
    assert list(sums) == [case[0] for case in lesson.SUM_CASES]
    for name, result in sums.items():
        kept = np.isclose(result.input_sum, result.upstream_sum)
        assert kept == (name != "mean k3 s2 p1, pad counted"), name


def test_central_differences_see_one_half_at_a_tie_and_at_the_kink():
    # the notebook's point: a gradient check cannot test the convention at a tie or a kink
    tie = np.array([[3.0, 3.0], [1.0, 3.0]])
    numeric = gl.numerical_grad(lambda x: F.max_pool2d(x[None, None], 2).sum(), tie)[0]
    np.testing.assert_allclose(numeric, [[0.5, 0.5], [0.0, 0.5]])
    np.testing.assert_array_equal(lesson.pool_grid(tie, "max", 2).dx, [[1.0, 0.0], [0.0, 0.0]])
    kink = gl.numerical_grad(lambda x: F.relu(x).sum(), np.zeros(1))[0]
    np.testing.assert_allclose(kink, [0.5])


@pytest.mark.parametrize("c, once, twice", [(0.0, 0.0, 0.0), (0.5, 1.0, 0.75), (1.0, 2.0, 2.0)])
def test_relu_at_0_is_chosen_op_by_op(c, once, twice):
    """relu(x) - relu(-x) and relu(relu(x)) - relu(-x) both equal x, slope 1; autodiff at 0
    gives 2c and c^2 + c."""

    def r(x):
        return F.relu(x, grad_at_zero=c)

    assert lesson.slope_at(lambda x: r(x) - r(-x)) == once
    assert lesson.slope_at(lambda x: r(r(x)) - r(-x)) == twice


def test_grid_text_prints_numbers_without_reprs():
    text = lesson.grid_text(np.array([[1.0, 0.25], [np.nan, 12.0]]))
    assert text == "   1  0.25\n nan    12"
    assert "np." not in lesson.grid_text(np.eye(2))


def test_max_pool2d_backward_loop_equals_gradlib(rng):
    x = rng.integers(0, 3, size=(2, 3, 7, 6)).astype(np.float64)  # ties
    for kernel, stride in ((2, 2), (3, 1), (2, 3)):
        t = gl.tensor(x, requires_grad=True)
        out = F.max_pool2d(t, kernel, stride)
        g = rng.normal(size=out.shape)
        out.backward(g)
        np.testing.assert_allclose(lesson.max_pool2d_backward_loop(g, x, kernel, stride), t.grad)


def test_code_without_docstring():
    text = lesson.code_without_docstring(lesson.max_pool2d_backward_loop)
    assert text.startswith("def max_pool2d_backward_loop(") and '"""' not in text
    assert "dx[n, c, top + i, left + j] += grad[n, c, r, s]" in text
    method = lesson.code_without_docstring(gl.pooling.MaxPool2d.backward)
    assert method.startswith("@staticmethod\ndef backward(") and "row-major" not in method


# ----- receptive fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers, field",
    [
        ([("conv 3x3", 3, 1)] * 3, 7),
        ([("conv 3x3", 3, 1), ("pool 2x2", 2, 2)] * 2 + [("conv 3x3", 3, 1)], 18),
        ([("pool 2x2", 2, 2)] * 3, 8),
        ([("conv 5x5", 5, 2), ("conv 3x3", 3, 1)], 9),
    ],
)
def test_receptive_field_recurrence_and_measurement_agree(layers, field):
    assert lesson.receptive_fields(layers)[-1][1] == field
    assert lesson.receptive_field_by_gradient(layers) == field


# ----- the digits experiments ---------------------------------------------------------------


def test_train_mlp_is_repeatable_and_relu_at_0_does_not_matter_without_zeros():
    a = lesson.train_mlp(epochs=1)
    b = lesson.train_mlp(epochs=1, grad_at_zero=1.0)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert len(a.losses) == 45 and a.model.zero_inputs == 0
    assert a.losses[-5:].mean() < a.losses[:5].mean() and a.test_accuracy > 0.15  # chance: 0.1


def test_float32_runs_stay_float32():
    run = lesson.train_mlp(epochs=1, dtype=np.float32)
    assert all(p.data.dtype == np.float32 for p in run.model.parameters())


@pytest.mark.parametrize("g, still", [(0.0, 8), (1.0, 0)])
def test_pruned_units_stay_dead_only_with_relu_at_0_equal_to_0(g, still):
    run = lesson.train_mlp(grad_at_zero=g, pruned=8, epochs=1)
    assert run.still_pruned(8) == still
    # dead: 0 on all 1438 digits of the epoch; revived: only in the first minibatch of 32
    assert run.model.zero_inputs == (8 * 1438 if still else 8 * 32)


def test_dead_units_are_counted_on_the_probe():
    run = lesson.train_mlp(first_bias=-1.0, epochs=1, probe_every=15)
    assert list(run.dead_steps) == [0, 15, 30, 45]
    assert run.dead_counts[0] >= 32  # every first-layer unit is negative on every digit
    X = lesson.digits()[0]
    assert run.never_active(X) <= run.never_active(X[:300])
    healthy = lesson.train_mlp(epochs=0)
    assert 0.3 < healthy.zero_fraction(X) < 0.8
    assert lesson.train_mlp("sigmoid", epochs=0).zero_fraction(X) == 0.0
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        lesson.SmallMLP("swish")


@pytest.mark.parametrize("activation", list(DEAD_ACTIVATIONS.values()))
@pytest.mark.parametrize("cause", list(DEAD_CAUSES))
def test_dead_unit_runs_end_alike_when_the_pixels_change_in_their_last_bits(cause, activation):
    # Another processor rounds matrix products differently in the last bits; a nudge of 1e-15
    # does the same to the pixels. At learning rate 1.0 a 10-epoch run was chaotic (ReLU and
    # LeakyReLU ended elsewhere); notebook 04 prints the 4-epoch runs, which must not move.
    settings = DEAD_CAUSES[cause]
    run = lesson.train_mlp(activation, **settings)
    for nudge in (1e-15, -1e-15):
        assert run.ends_like(lesson.train_mlp(activation, nudge=nudge, **settings)), nudge


def test_train_cnn_records_checkpoints_parameters_and_gap():
    with_pool = lesson.train_cnn(True, epochs=2, checkpoints=(1,))
    without = lesson.train_cnn(False, epochs=1, checkpoints=(1,))
    assert (with_pool.parameters, without.parameters) == (80 + 1290, 80 + 5130)
    assert list(with_pool.history) == [1, 2]
    train, test = with_pool.history[2]
    assert with_pool.gap() == pytest.approx(train - test) and 0.5 < test <= 1
    assert with_pool.gap(1) == pytest.approx(with_pool.history[1][0] - with_pool.history[1][1])
    images = lesson.digits()[1][:5].reshape(-1, 8, 8)
    assert with_pool.predict(images).shape == (5,)


def test_gap_reduction_is_paired_by_seed():
    def run(gap: float) -> lesson.CNNRun:
        return lesson.CNNRun(True, 0, {3: (0.9 + gap, 0.9)}, lambda x: x, 1)

    mean, error = lesson.gap_reduction([run(0.05), run(0.04)], [run(0.03), run(0.03)], 3)
    assert mean == pytest.approx(0.015) and error == pytest.approx(0.005)


# ----- transforms -----------------------------------------------------------------------------


def test_shift_moves_and_fills_with_zeros():
    x = np.arange(16.0).reshape(1, 4, 4)
    np.testing.assert_array_equal(lesson.shift(x, 1, 0)[0, 1:], x[0, :3])
    np.testing.assert_array_equal(lesson.shift(x, 1, 0)[0, 0], 0)
    np.testing.assert_array_equal(lesson.shift(x, 0, -1)[0, :, :3], x[0, :, 1:])
    np.testing.assert_array_equal(lesson.shift(x, 0, 0), x)


def test_rotate_and_stretch(rng):
    images = rng.uniform(size=(3, 8, 8))
    np.testing.assert_allclose(lesson.rotate(images, 0.0), images, atol=1e-12)
    # 90 degrees counter-clockwise about the centre maps the pixel grid onto itself
    np.testing.assert_allclose(
        lesson.rotate(images, 90.0), np.rot90(images, 1, axes=(1, 2)), atol=1e-9
    )
    np.testing.assert_allclose(lesson.stretch(images, 1.0), images, atol=1e-12)
    wide = lesson.stretch(np.pad(np.ones((1, 8, 2)), ((0, 0), (0, 0), (3, 3))), 2.0)
    assert wide[0, 0].sum() == pytest.approx(4.0)  # a bar 2 wide becomes 4 wide


def test_feature_change():
    images = lesson.digits()[1][:50].reshape(-1, 8, 8)
    assert lesson.feature_change(images, lambda x: x, lambda x: x) == 0.0
    pixels = lesson.feature_change(images, lesson.TRANSFORMS["shift 1 px down"], lambda x: x)
    pooled = lesson.feature_change(
        images, lesson.TRANSFORMS["shift 1 px down"], lesson.max_pool_features
    )
    assert 0 < pooled < pixels
    assert lesson.max_pool_features(images).shape == (50, 4, 4)


# ----- benchmarks/RESULTS.md --------------------------------------------------------------------

RESULTS = """# gradlib benchmarks

## Kernels: forward + backward

| kernel | dtype | input | gradlib | PyTorch |
|---|---|---|---|---|
| relu | float32 | (64, 16, 32, 32) | 1.5 ms | 2 ms |
| sigmoid | float32 | (64, 16, 32, 32) | 6 ms | 3 ms |
| relu | float64 | (64, 16, 32, 32) | 500 us | 2 ms |

## What vectorising bought: the per-output-pixel loop (slow reference)

| kernel (float64) | loop / gradlib |
|---|---|
| max_pool2d k2 s2 | 89x |
"""


def test_benchmark_rows_and_cost_ratios(tmp_path: Path):
    path = tmp_path / "RESULTS.md"
    path.write_text(RESULTS)
    rows = lesson.benchmark_rows("What vectorising bought", path)
    assert rows == [{"kernel (float64)": "max_pool2d k2 s2", "loop / gradlib": "89x"}]
    assert len(lesson.benchmark_rows("Kernels", path)) == 3
    assert lesson.activation_cost_ratios(path) == {"float32": pytest.approx(4.0)}
    assert lesson.benchmark_rows("Engine", path) == []
    assert lesson.benchmark_rows("Kernels", tmp_path / "missing.md") == []
    assert lesson.seconds("6.35 ms") == pytest.approx(0.00635)
    assert lesson.seconds("158 us") == pytest.approx(158e-6)


def test_the_committed_results_have_the_vectorising_table():
    rows = lesson.benchmark_rows("What vectorising bought")
    assert {row["kernel (float64)"] for row in rows} >= {"max_pool2d k2 s2", "avg_pool2d k2 s2"}


# ----- figures ----------------------------------------------------------------------------------


def test_static_figures_draw():
    assert len(lesson.plot_relu_kink().axes) == 2
    fig = lesson.plot_activations()
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 8  # 7 curves and the 1/4 line
    runs = {"a": {"ReLU": lesson.train_mlp(epochs=0, probe_every=1)}}
    assert len(lesson.plot_dead_units(runs, units=64).axes) == 1
    images = lesson.digits()[1][:1].reshape(-1, 8, 8)
    fig = lesson.plot_invariance_examples(images[0], lesson.TRANSFORMS, lesson.max_pool_features)
    assert len(fig.axes) == 2 * len(lesson.TRANSFORMS)


def test_pooling_figure_shows_every_number():
    result = lesson.pool_grid(lesson.preset_grid("random integers"), "mean", 3, 1, 1)
    fig = lesson.plot_pooling(result)
    numbers = [[c for c in ax.collections if isinstance(c, PathCollection)][0] for ax in fig.axes]
    # input 8x8 with padding; output 6x6 with two lines each; gradient 8x8 (the padding's
    # lost shares included)
    assert [len(c.get_paths()) for c in numbers] == [64, 72, 64]
    kept = lesson.pool_grid(lesson.preset_grid("random integers"), "mean", 3, 1, 1, False)
    fig = lesson.plot_pooling(kept)
    gradient = [c for c in fig.axes[2].collections if isinstance(c, PathCollection)][0]
    assert len(gradient.get_paths()) == 36  # padding with no share is left blank


# ----- the pooling lab --------------------------------------------------------------------------


def test_lab_lowers_padding_and_draws_random_upstream_integers():
    result, used = lesson.lab_pooling("mean", 2, 1, 2, True, "a plateau", "random", 3)
    assert used == 1
    assert set(np.unique(result.upstream)) <= {1.0, 2.0, 3.0}
    ones, _ = lesson.lab_pooling("max", 3, 2, 0, True, "random integers", "ones", 0)
    assert (ones.upstream == 1).all() and ones.out.shape == (2, 2)


def test_lab_line_states_the_sums():
    lab = lesson.PoolingLab()
    text = lab.draw()
    assert text.startswith("max pool 2x2, stride 2, padding 0: sum of g 9.00")
    assert "sum of dL/dx 9.00" in text and "27 of 36 inputs got nothing" in text
    text = lab.draw(mode="mean", kernel=2, padding=2, stride=1)
    assert "padding 1 (lowered from 2: at most kernel // 2) (pad counted)" in text
    assert "sum of g 49.00, sum of dL/dx 36.00, lost to padding 13.00" in text
    assert isinstance(lab.figure, Figure)
    lab.draw(kernel=2, stride=1, preset="a single peak")
    assert lab.result.dx.max() == 4.0  # the peak is the maximum of the four windows around it


# ----- exercises ----------------------------------------------------------------------------------


def test_max_pool_by_hand_accepts_the_answer_and_names_slips():
    answer = np.zeros((4, 4))
    answer[1, 0], answer[1, 1], answer[0, 2], answer[2, 2], answer[3, 0] = 5, 2, 3, 28, 7
    assert lesson.check_max_pool_by_hand(answer)
    assert "still empty" in str(lesson.check_max_pool_by_hand(None))
    x, g = lesson.HAND_X, lesson.HAND_GRAD
    slips = {
        "split each tie evenly": _max_backward_rule(x, g, "split", add=True),
        "to the last maximum": _max_backward_rule(x, g, "last", add=True),
        "overlapping windows add": _max_backward_rule(x, g, "first", add=False),
        "backward of mean pooling": lesson.pool_grid(x, "mean", 2, 1, upstream=g).dx,
    }
    for phrase, wrong in slips.items():
        verdict = lesson.check_max_pool_by_hand(wrong)
        assert not verdict and phrase in str(verdict), (phrase, str(verdict))
    one_cell = answer.copy()
    one_cell[2, 2] = 27
    verdict = str(lesson.check_max_pool_by_hand(one_cell))
    assert "at (2, 2) yours is 27, which is too small" in verdict and "28" not in verdict
    assert "add up to 44" in verdict
    assert (
        "cell (2, 2): it is in the windows of outputs (1, 1), (1, 2), (2, 1) and (2, 2)" in verdict
    )
    # a tie given to the wrong cell: the sum is right, the windows of the first wrong cell named
    wrong_tie = answer.copy()
    wrong_tie[0, 2], wrong_tie[1, 3] = 0, 3
    verdict = str(lesson.check_max_pool_by_hand(wrong_tie))
    assert "cell (0, 2): it is in the windows of outputs (0, 1) and (0, 2)" in verdict
    assert "add up to" not in verdict
    corner = answer.copy()
    corner[0, 0] = 1
    assert "cell (0, 0): it is in the window of output (0, 0)." in str(
        lesson.check_max_pool_by_hand(corner)
    )
    assert "shape (3, 3)" in str(lesson.check_max_pool_by_hand(np.zeros((3, 3))))


def _overwriting(grad, input_shape, kernel_size, stride, padding=0, count_include_pad=True):
    n, c, h, w = input_shape
    dx = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    for r in range(grad.shape[2]):
        for s in range(grad.shape[3]):
            window = (
                slice(None),
                slice(None),
                slice(r * stride, r * stride + kernel_size),
                slice(s * stride, s * stride + kernel_size),
            )
            dx[window] = grad[:, :, r, s][:, :, None, None] / kernel_size**2  # = instead of +=
    return dx[:, :, padding : padding + h, padding : padding + w]


def test_avg_pool2d_backward_checker():
    assert lesson.check_avg_pool2d_backward(lesson.avg_pool2d_backward_reference)
    assert "not defined" in str(lesson.check_avg_pool2d_backward(None))

    def unfinished(*args):
        raise NotImplementedError

    assert "NotImplementedError" in str(lesson.check_avg_pool2d_backward(unfinished))
    verdict = str(lesson.check_avg_pool2d_backward(_overwriting))
    assert "case 2 (overlapping windows" in verdict and "add (+=)" in verdict

    def always_counted(grad, shape, k, s, p=0, counted=True):
        return lesson.avg_pool2d_backward_reference(grad, shape, k, s, p, True)

    verdict = str(lesson.check_avg_pool2d_backward(always_counted))
    assert "case 5 (padding, count_include_pad=False" in verdict
    assert "number of real (non-padding) inputs" in verdict

    def keeps_padding(grad, shape, k, s, p=0, counted=True):
        dx = lesson.avg_pool2d_backward_reference(grad, shape, k, s, p, counted)
        return np.pad(dx, ((0, 0), (0, 0), (p, p), (p, p)))

    assert "cut them off" in str(lesson.check_avg_pool2d_backward(keeps_padding))

    def crashes(grad, shape, k, s, p=0, counted=True):
        return grad[5, 5, 5, 5]

    assert "raised IndexError" in str(lesson.check_avg_pool2d_backward(crashes))

    def no_stride(grad, shape, k, s, p=0, counted=True):
        return _overwriting(grad, shape, k, 1, p, counted)[..., : shape[2], : shape[3]]

    verdict = str(lesson.check_avg_pool2d_backward(no_stride))
    assert "case 1 (windows that tile" in verdict and "starts at row r * stride" in verdict

    def undivided(grad, shape, k, s, p=0, counted=True):
        return lesson.avg_pool2d_backward_reference(grad, shape, k, s, p, counted) * k * k

    verdict = str(lesson.check_avg_pool2d_backward(undivided))
    assert "dx is 4 times gradlib's everywhere" in verdict and "did not divide" in verdict
    assert "learning rate" not in verdict


def test_avg_pool2d_backward_checker_also_runs_random_cases():
    cases = _random_cases(np.random.default_rng(1))
    assert len(cases) == RANDOM_CASES
    for what, shape, k, _stride, p, _counted in cases:
        assert what.startswith("random: ") and 2 * p <= k and shape[2] + 2 * p >= k
    verdict = lesson.check_avg_pool2d_backward(lesson.avg_pool2d_backward_reference)
    assert f"all {len(lesson.BACKWARD_CASES) + len(cases)} cases" in str(verdict)

    def named_cases_only(grad, shape, k, s, p=0, counted=True):
        named = {(c[1], c[2], c[3], c[4], c[5]) for c in lesson.BACKWARD_CASES}
        dx = lesson.avg_pool2d_backward_reference(grad, shape, k, s, p, counted)
        return dx if (shape, k, s, p, counted) in named else dx + 1.0

    verdict = str(lesson.check_avg_pool2d_backward(named_cases_only))
    assert f"case {len(lesson.BACKWARD_CASES) + 1} (random: " in verdict


def test_predicted_sum_checker():
    assert lesson.check_predicted_sum(49 / 9) and lesson.check_predicted_sum(5.444)
    assert "upstream gradient" in str(lesson.check_predicted_sum(9))
    assert "number of inputs" in str(lesson.check_predicted_sum(25))
    assert "1/9 of its window's gradient" in str(lesson.check_predicted_sum(49))
    verdict = str(lesson.check_predicted_sum(6))
    assert "too large" in verdict and "5.44" not in verdict
    assert "one number" in str(lesson.check_predicted_sum([1.0, 2.0]))
    assert "still empty" in str(lesson.check_predicted_sum(None))
    assert "quotes" in str(lesson.check_predicted_sum("5"))
