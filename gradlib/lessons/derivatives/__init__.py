"""Notebook 01 (derivatives and gradients): finite differences, partials, directional derivatives.

Import it as ``from gradlib.lessons import derivatives as lesson``; everything below is
``lesson.<name>``. Each concern has its own file, in the order the notebook uses them:

- ``maths.py``: forward and central differences and their error (measured and modelled),
  the surface f(x, y) = x**2 + 3 y**2 + exp(x y) with its gradient three ways, directional
  derivatives from the definition, and the tangent of a level curve from f's values alone;
- ``figures.py``: the static figures (the U-shaped error curves, the partial derivatives
  as slopes of slices) and the contour drawing the widget reuses;
- ``widgets.py``: ``DerivativeExplorer`` (the step h) and ``DirectionalExplorer`` (the
  direction u);
- ``exercises.py``: the checkers of the three exercises.
"""

from gradlib.lessons.derivatives.exercises import (
    CENTRAL_CASES,
    EXERCISE_POINT,
    check_central_gradient,
    check_gradient_by_hand,
    check_steepest_descent,
    exercise_function,
)
from gradlib.lessons.derivatives.figures import (
    contour_labels,
    draw_contours,
    plot_difference_errors,
    plot_partials,
)
from gradlib.lessons.derivatives.maths import (
    ANGLES_DEG,
    AVERAGE_POINTS,
    CONTOUR_LEVELS,
    EXAMPLES,
    GRID_LIMIT,
    PRECISIONS,
    STATIONARY_NORM,
    STEPS,
    X0,
    BestStep,
    Example,
    autodiff_grad,
    best_step,
    best_step_theory,
    best_steps,
    best_steps_table,
    central_difference,
    contour_tangent,
    difference_errors,
    directional_derivatives,
    error_model,
    forward_difference,
    surface,
    surface_grad,
)
from gradlib.lessons.derivatives.widgets import (
    DerivativeExplorer,
    DirectionalExplorer,
    contour_tangent_near,
)

__all__ = [
    "ANGLES_DEG",
    "AVERAGE_POINTS",
    "CENTRAL_CASES",
    "CONTOUR_LEVELS",
    "EXAMPLES",
    "EXERCISE_POINT",
    "GRID_LIMIT",
    "PRECISIONS",
    "STATIONARY_NORM",
    "STEPS",
    "X0",
    "DerivativeExplorer",
    "BestStep",
    "DirectionalExplorer",
    "Example",
    "autodiff_grad",
    "best_step",
    "best_step_theory",
    "best_steps",
    "best_steps_table",
    "central_difference",
    "check_central_gradient",
    "check_gradient_by_hand",
    "check_steepest_descent",
    "contour_labels",
    "contour_tangent",
    "contour_tangent_near",
    "difference_errors",
    "directional_derivatives",
    "draw_contours",
    "error_model",
    "exercise_function",
    "forward_difference",
    "plot_difference_errors",
    "plot_partials",
    "surface",
    "surface_grad",
]
