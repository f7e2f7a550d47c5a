"""Notebook 04 (ReLU and pooling backward): ReLU's kink, activations, pooling's backward.

Import it as ``from gradlib.lessons import relu_pooling as lesson``; everything below is
``lesson.<name>``. Each concern has its own file, in the order the notebook uses them:

- ``maths.py``: ReLU at 0 (one-sided slopes, subgradients, four spellings and their slope
  at 0, where exact zeros come from), seven activations and their derivative bounds, the
  numpy passes of an activation, pooling on one grid with its Jacobian built window by
  window, and receptive fields;
- ``experiments.py``: training runs on the digits (ReLU'(0), dead units, sparsity, a CNN
  with and without pooling), shifting/rotating/stretching digits, and the benchmark table;
- ``figures.py``: the static figures and ``GridPanel``, the grid of numbers they and the
  widget draw with;
- ``widgets.py``: ``PoolingLab``;
- ``exercises.py``: the checkers of the three exercises.
"""

from gradlib.lessons.relu_pooling.exercises import (
    BACKWARD_CASES,
    HAND_GRAD,
    HAND_X,
    SUM_CONFIG,
    avg_pool2d_backward_reference,
    check_avg_pool2d_backward,
    check_max_pool_by_hand,
    check_predicted_sum,
)
from gradlib.lessons.relu_pooling.experiments import (
    BARELY,
    TRANSFORMS,
    CNNRun,
    MLPRun,
    SmallMLP,
    activation_cost_ratios,
    benchmark_rows,
    cnn_runs,
    dead_unit_runs,
    digits,
    feature_change,
    gap_reduction,
    max_pool_features,
    rotate,
    seconds,
    shift,
    stretch,
    train_cnn,
    train_mlp,
)
from gradlib.lessons.relu_pooling.figures import (
    GridPanel,
    PoolingPanels,
    plot_activations,
    plot_dead_units,
    plot_invariance_examples,
    plot_pooling,
    plot_relu_kink,
)
from gradlib.lessons.relu_pooling.maths import (
    ACTIVATIONS,
    FRAMEWORK_RELU_AT_ZERO,
    PRESETS,
    PYTORCH_SLOPE_AT_ZERO,
    RELU_SPELLINGS,
    SUM_CASES,
    GridPooling,
    ZeroCount,
    activation_curves,
    code_without_docstring,
    derivative_bounds,
    elementwise_passes,
    exact_zero_sources,
    gradient_sums,
    grid_text,
    max_pool2d_backward_loop,
    one_sided_slopes,
    pool_grid,
    pooling_jacobian,
    preset_grid,
    receptive_field_by_gradient,
    receptive_fields,
    relu_numpy,
    slope_at,
    subgradient_interval,
)
from gradlib.lessons.relu_pooling.widgets import PoolingLab, lab_pooling

__all__ = [
    "ACTIVATIONS",
    "BACKWARD_CASES",
    "BARELY",
    "FRAMEWORK_RELU_AT_ZERO",
    "HAND_GRAD",
    "HAND_X",
    "PRESETS",
    "PYTORCH_SLOPE_AT_ZERO",
    "RELU_SPELLINGS",
    "SUM_CASES",
    "SUM_CONFIG",
    "TRANSFORMS",
    "CNNRun",
    "GridPanel",
    "GridPooling",
    "MLPRun",
    "PoolingLab",
    "PoolingPanels",
    "SmallMLP",
    "ZeroCount",
    "activation_cost_ratios",
    "activation_curves",
    "avg_pool2d_backward_reference",
    "benchmark_rows",
    "check_avg_pool2d_backward",
    "check_max_pool_by_hand",
    "check_predicted_sum",
    "cnn_runs",
    "code_without_docstring",
    "dead_unit_runs",
    "derivative_bounds",
    "digits",
    "elementwise_passes",
    "exact_zero_sources",
    "feature_change",
    "gap_reduction",
    "gradient_sums",
    "grid_text",
    "lab_pooling",
    "max_pool2d_backward_loop",
    "max_pool_features",
    "one_sided_slopes",
    "plot_activations",
    "plot_dead_units",
    "plot_invariance_examples",
    "plot_pooling",
    "plot_relu_kink",
    "pool_grid",
    "pooling_jacobian",
    "preset_grid",
    "receptive_field_by_gradient",
    "receptive_fields",
    "relu_numpy",
    "rotate",
    "seconds",
    "shift",
    "slope_at",
    "stretch",
    "subgradient_interval",
    "train_cnn",
    "train_mlp",
]
