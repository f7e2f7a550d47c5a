"""Notebook 02 (gradient descent): learning rates, conditioning, momentum, local minima.

Import it as ``from gradlib.lessons import gradient_descent as gd``; everything below is
``gd.<name>``. Each concern has its own file:

- ``maths.py``: one step against the gradient from many points (claim C5); gradient
  descent on f(x) = L/2 x**2 and the learning rate past which it diverges (found by
  bisection); descent with and without heavy-ball momentum on the ill-conditioned
  quadratic (x1**2 + kappa x2**2) / 2 with the classical tuned settings, the roots of one
  heavy-ball step (a geometric sequence tried in the recurrence; the same numbers as the
  eigenvalues of its 2x2 matrix), the closed form they give, the steps needed against
  kappa, and Lessard, Recht and Packard's function on which the tuned heavy ball never
  converges; Himmelblau's surface, its stationary points (Newton's method, classified by
  the Hessian) and descent from many starts at once; the regression data, full-batch,
  mini-batch or stochastic gradient descent on it with gradlib, a table against least
  squares, the hover level over several seeds, and one update step checked (claim C2);
- ``figures.py``: the static figures;
- ``widgets.py``: ``LearningRateExplorer`` (the learning rate on a parabola);
- ``exercises.py``: the checkers of the two exercises.
"""

from gradlib.lessons.gradient_descent.exercises import (
    EXERCISE,
    check_descent_step,
    check_learning_rate,
    descent_step_cases,
    reference_descent_step,
)
from gradlib.lessons.gradient_descent.figures import (
    plot_basins,
    plot_descent_paths,
    plot_loss_curves,
    plot_regimes,
    plot_steps_vs_kappa,
)
from gradlib.lessons.gradient_descent.maths import (
    HIMMELBLAU_MINIMA,
    L_DEMO,
    LESSARD_L,
    LESSARD_MU,
    OneStep,
    StationaryPoint,
    StepCounts,
    UpdateCheck,
    basin_map,
    best_learning_rate,
    check_update_rule,
    count_steps,
    descend,
    descent_path_2d,
    divergence_threshold,
    diverges,
    fit,
    fit_table,
    heavy_ball_1d,
    heavy_ball_closed_form,
    heavy_ball_matrix,
    heavy_ball_parameters,
    heavy_ball_roots,
    himmelblau,
    himmelblau_gradient,
    himmelblau_hessian,
    himmelblau_stationary_points,
    hover_level,
    hover_levels,
    hover_table,
    lessard_function,
    lessard_gradient,
    make_regression_data,
    nearest_minimum,
    nesterov_1d,
    one_step_check,
    one_step_table,
    quadratic_path,
    regime,
    steps_to_tolerance,
)
from gradlib.lessons.gradient_descent.widgets import (
    WIDGET_STEPS,
    LearningRateExplorer,
)

__all__ = [
    "EXERCISE",
    "HIMMELBLAU_MINIMA",
    "LESSARD_L",
    "LESSARD_MU",
    "L_DEMO",
    "WIDGET_STEPS",
    "LearningRateExplorer",
    "OneStep",
    "StationaryPoint",
    "StepCounts",
    "UpdateCheck",
    "basin_map",
    "best_learning_rate",
    "check_descent_step",
    "check_learning_rate",
    "check_update_rule",
    "count_steps",
    "descend",
    "descent_path_2d",
    "descent_step_cases",
    "divergence_threshold",
    "diverges",
    "fit",
    "fit_table",
    "heavy_ball_1d",
    "heavy_ball_closed_form",
    "heavy_ball_matrix",
    "heavy_ball_parameters",
    "heavy_ball_roots",
    "himmelblau",
    "himmelblau_gradient",
    "himmelblau_hessian",
    "himmelblau_stationary_points",
    "hover_level",
    "hover_levels",
    "hover_table",
    "lessard_function",
    "lessard_gradient",
    "make_regression_data",
    "nearest_minimum",
    "nesterov_1d",
    "one_step_check",
    "one_step_table",
    "plot_basins",
    "plot_descent_paths",
    "plot_loss_curves",
    "plot_regimes",
    "plot_steps_vs_kappa",
    "quadratic_path",
    "reference_descent_step",
    "regime",
    "steps_to_tolerance",
]
