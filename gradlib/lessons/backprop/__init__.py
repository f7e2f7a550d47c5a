"""Notebook 03 (backpropagation): forward against reverse mode, the training widget, checkers.

Import it as ``from gradlib.lessons import backprop as bp``; everything below is
``bp.<name>``. Each concern has its own file:

- ``maths.py``: ``observe_passes`` (the order of the forward and backward passes of the
  notebook's MLP, noted by hooks); ``mlp_loss_jvp`` / ``forward_mode_gradient`` (forward-mode
  differentiation of the notebook's two-layer MLP with dual numbers, one pass per
  parameter) and ``reverse_mode_cost`` (what one backward pass costs, read off the
  recorded graph), both counting multiply-adds, and ``gradient_costs_by_width``;
  ``BoundarySnapshots``, the decision
  boundary recorded during training; ``train_mlp``, the same MLP trained in plain numpy (the
  backward pass of section 3) fast enough for a widget, and ``training_outcomes``;
- ``figures.py``: ``plot_gradient_costs`` and ``plot_snapshot_grid``;
- ``widgets.py``: ``TrainingStep``, the MLP trained with a chosen learning rate and width, its
  boundary at a chosen step;
- ``exercises.py``: the linear-layer backward exercise and the gradcheck bug hunt.
"""

from gradlib.lessons.backprop.exercises import (
    BuggyLinear,
    check_fixed_linear,
    check_linear_backward,
    gradcheck_summary,
    linear_backward_reference,
    linear_exercise_data,
)
from gradlib.lessons.backprop.figures import (
    boundary_lines,
    draw_boundary,
    plot_gradient_costs,
    plot_snapshot_grid,
)
from gradlib.lessons.backprop.maths import (
    BoundarySnapshots,
    GradientCosts,
    PassOrder,
    ReverseModeCost,
    Snapshot,
    TrainingRun,
    below,
    dead_units,
    forward_mode_gradient,
    gradient_costs_by_width,
    he_init,
    mlp_logits,
    mlp_loss,
    mlp_loss_jvp,
    observe_passes,
    reverse_mode_cost,
    train_mlp,
    training_outcomes,
)
from gradlib.lessons.backprop.widgets import (
    RECORD_EVERY,
    TRAINING_STEPS,
    TrainingStep,
)

__all__ = [
    "RECORD_EVERY",
    "TRAINING_STEPS",
    "BoundarySnapshots",
    "BuggyLinear",
    "GradientCosts",
    "PassOrder",
    "ReverseModeCost",
    "Snapshot",
    "TrainingRun",
    "TrainingStep",
    "below",
    "boundary_lines",
    "check_fixed_linear",
    "check_linear_backward",
    "dead_units",
    "draw_boundary",
    "forward_mode_gradient",
    "gradcheck_summary",
    "gradient_costs_by_width",
    "he_init",
    "linear_backward_reference",
    "linear_exercise_data",
    "mlp_logits",
    "mlp_loss",
    "mlp_loss_jvp",
    "observe_passes",
    "plot_gradient_costs",
    "plot_snapshot_grid",
    "reverse_mode_cost",
    "train_mlp",
    "training_outcomes",
]
