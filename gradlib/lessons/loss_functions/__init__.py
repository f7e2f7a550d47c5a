"""Notebook 06 (loss functions): loss, cost and objective; MSE, MAE, Huber, Pseudo-Huber,
hinge and cross-entropy, each seen at work.

Import it as ``from gradlib.lessons import loss_functions as lesson``; everything below is
``lesson.<name>``. Each concern has its own file, in the order the notebook uses them:

- ``maths.py``: the regression losses' value, slope and curvature (``loss_curves``); a line
  with outliers, gradient descent on it under each loss (``descend``) and each loss's exact
  best line (``best_line``); MAE's oscillation; Newton steps of a constant prediction; a
  linear SVM and logistic regression trained with gradlib; cross-entropy naive and stable;
- ``figures.py``: the static figures;
- ``widgets.py``: ``RobustRegressionLab`` (the loss, delta, the outliers and the rate);
- ``exercises.py``: the checkers of the three exercises.
"""

from gradlib.lessons.loss_functions.exercises import (
    EXERCISE_INTERCEPT,
    EXERCISE_NOISE,
    EXERCISE_SLOPE,
    check_bce_with_logits,
    check_huber_grad,
    check_loss_choice,
    exercise_data,
    reference_bce_with_logits,
    reference_huber_grad,
)
from gradlib.lessons.loss_functions.figures import (
    LOSS_STYLES,
    plot_loss_curves,
    plot_mae_oscillation,
    plot_newton,
    plot_outlier_fits,
    plot_svm,
)
from gradlib.lessons.loss_functions.maths import (
    CURVATURES,
    DECAY_STEPS,
    LEAF_TARGETS,
    NOISE,
    REGRESSION_LOSSES,
    SVM_LAMBDA,
    TRUE_INTERCEPT,
    TRUE_SLOPE,
    Descent,
    LinearClassifier,
    NewtonStep,
    RegressionLoss,
    best_line,
    decaying_rate,
    descend,
    influence,
    line_with_outliers,
    loss_curves,
    naive_binary_cross_entropy,
    naive_cross_entropy,
    newton_iterates,
    newton_step,
    newton_steps,
    oscillation,
    pulls,
    regression_loss,
    shifted_cross_entropy,
    stable_cross_entropy,
    svm_data,
    train_linear_classifier,
)
from gradlib.lessons.loss_functions.widgets import RobustRegressionLab

__all__ = [
    "CURVATURES",
    "DECAY_STEPS",
    "EXERCISE_INTERCEPT",
    "EXERCISE_NOISE",
    "EXERCISE_SLOPE",
    "LEAF_TARGETS",
    "LOSS_STYLES",
    "NOISE",
    "REGRESSION_LOSSES",
    "SVM_LAMBDA",
    "TRUE_INTERCEPT",
    "TRUE_SLOPE",
    "Descent",
    "LinearClassifier",
    "NewtonStep",
    "RegressionLoss",
    "RobustRegressionLab",
    "best_line",
    "check_bce_with_logits",
    "check_huber_grad",
    "check_loss_choice",
    "decaying_rate",
    "descend",
    "exercise_data",
    "influence",
    "line_with_outliers",
    "loss_curves",
    "naive_binary_cross_entropy",
    "naive_cross_entropy",
    "newton_iterates",
    "newton_step",
    "newton_steps",
    "oscillation",
    "plot_loss_curves",
    "plot_mae_oscillation",
    "plot_newton",
    "plot_outlier_fits",
    "plot_svm",
    "pulls",
    "reference_bce_with_logits",
    "reference_huber_grad",
    "regression_loss",
    "shifted_cross_entropy",
    "stable_cross_entropy",
    "svm_data",
    "train_linear_classifier",
]
