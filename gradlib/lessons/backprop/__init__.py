"""Notebook 03 (backpropagation): gates, a tiny engine, the MLP's backward, forward against
reverse mode, gradient-check pitfalls, the two widgets and the checkers.

Import it as ``from gradlib.lessons import backprop as bp``; everything below is
``bp.<name>``. Each concern has its own file:

- ``maths.py``: ``gate_examples`` (cs231n's patterns of the backward flow: add, multiply,
  max, ReLU, a copy); ``neuron_loss`` (one neuron with a loss, for the stepping widget);
  ``observe_passes`` (the order of the forward and backward passes of the notebook's MLP,
  noted by hooks); ``deep_mlp`` (an L-layer MLP backpropagated by gradlib, to check the
  layer-by-layer recursion against); ``mlp_loss_jvp`` / ``forward_mode_gradient``
  (forward-mode differentiation of the two-layer MLP with dual numbers, one pass per
  parameter) and ``reverse_mode_cost`` (what one backward pass costs, read off the recorded
  graph), both counting multiply-adds, and ``gradient_costs_by_width``; ``scaled_cube``
  (for the gradient-check pitfalls); ``BoundarySnapshots``, the decision boundary recorded
  during training; ``train_mlp``, the same MLP trained in plain numpy (the backward pass of
  section 4) fast enough for a widget, and ``training_outcomes``;
- ``figures.py``: ``plot_gates``, ``plot_gradient_costs`` and ``plot_snapshot_grid``;
- ``widgets.py``: ``BackwardStepper``, the neuron's backward pass one node at a time, and
  ``TrainingStep``, the MLP trained with a chosen learning rate and width;
- ``exercises.py``: ``yours_or_solution`` (a later cell runs the learner's code when its
  check passes, else the worked solution, and prints which); the tiny autograd engine
  (``check_value_ops``, ``check_value_tanh``, ``check_tiny_engine`` on
  ``random_expression``s; ``check_neuron``, the learner's tanh unit; ``ValueMLP``, a small
  network made of the learner's Values and neuron, to train with their engine), the MLP's
  whole backward pass (``check_mlp_backward``, ``mlp_gradients`` the reference) and the
  gradcheck bug hunt (``BuggyLinear``, ``check_fixed_linear``).
"""

from gradlib.lessons.backprop.exercises import (
    MLP_GRADIENTS,
    BuggyLinear,
    Expression,
    ValueMLP,
    build_with,
    build_with_gradlib,
    check_fixed_linear,
    check_mlp_backward,
    check_neuron,
    check_tiny_engine,
    check_value_ops,
    check_value_tanh,
    gradcheck_summary,
    mlp_exercise_cases,
    mlp_gradients,
    random_expression,
    value_neuron,
    yours_or_solution,
)
from gradlib.lessons.backprop.figures import (
    boundary_lines,
    draw_boundary,
    plot_gates,
    plot_gradient_costs,
    plot_snapshot_grid,
    unit_lines,
)
from gradlib.lessons.backprop.maths import (
    GATE_INPUTS,
    BoundarySnapshots,
    DeepMLP,
    Gate,
    GradientCosts,
    PassOrder,
    ReverseModeCost,
    ScaledCube,
    Snapshot,
    TrainingRun,
    below,
    dead_mask,
    dead_units,
    deep_mlp,
    forward_mode_gradient,
    gate_examples,
    gradient_costs_by_width,
    he_init,
    mlp_logits,
    mlp_loss,
    mlp_loss_jvp,
    neuron_loss,
    neuron_table,
    observe_passes,
    reverse_mode_cost,
    scaled_cube,
    train_mlp,
    training_outcomes,
)
from gradlib.lessons.backprop.widgets import (
    RECORD_EVERY,
    TRAINING_STEPS,
    BackwardStepper,
    TrainingStep,
)

__all__ = [
    "GATE_INPUTS",
    "MLP_GRADIENTS",
    "RECORD_EVERY",
    "TRAINING_STEPS",
    "BackwardStepper",
    "BoundarySnapshots",
    "BuggyLinear",
    "DeepMLP",
    "Expression",
    "Gate",
    "GradientCosts",
    "PassOrder",
    "ReverseModeCost",
    "ScaledCube",
    "Snapshot",
    "TrainingRun",
    "TrainingStep",
    "ValueMLP",
    "value_neuron",
    "yours_or_solution",
    "below",
    "boundary_lines",
    "build_with",
    "build_with_gradlib",
    "check_fixed_linear",
    "check_mlp_backward",
    "check_neuron",
    "check_tiny_engine",
    "check_value_ops",
    "check_value_tanh",
    "dead_mask",
    "dead_units",
    "deep_mlp",
    "draw_boundary",
    "forward_mode_gradient",
    "gate_examples",
    "gradcheck_summary",
    "gradient_costs_by_width",
    "he_init",
    "mlp_exercise_cases",
    "mlp_gradients",
    "mlp_logits",
    "mlp_loss",
    "mlp_loss_jvp",
    "neuron_loss",
    "neuron_table",
    "observe_passes",
    "plot_gates",
    "plot_gradient_costs",
    "plot_snapshot_grid",
    "unit_lines",
    "random_expression",
    "reverse_mode_cost",
    "scaled_cube",
    "train_mlp",
    "training_outcomes",
]
