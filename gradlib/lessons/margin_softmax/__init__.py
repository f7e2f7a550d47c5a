"""Notebook 08 (beyond the softmax loss): L-Softmax, SM-Softmax and AM-Softmax on 2-D features.

Import it as ``from gradlib.lessons import margin_softmax as lesson``; everything below is
``lesson.<name>``. Each concern has its own file, in the order the notebook uses them:

- ``maths.py``: the classifier's parameter count, the four losses (``LossSetting``), the
  network with a 2-D feature layer and its training (``train``, ``Runs``), the geometry of
  its features (``geometry``: class directions, angular spreads, gaps), and the margins in
  angles (``lsoftmax_boundary``, ``am_feasible_margin``, ``margin_winner``);
- ``figures.py``: psi against cos(m theta), the features of several losses side by side,
  and the geometry table over seeds;
- ``widgets.py``: ``MarginLab``, which browses the trained runs;
- ``exercises.py``: the checkers of the three exercises;
- ``closing.py``: the recap of the article's claims in slide-sized parts, and one
  training loop in gradlib beside its PyTorch twin.
"""

from gradlib.lessons.margin_softmax.closing import (
    GRADLIB_CODE,
    PYTORCH_CODE,
    recap_rows,
    side_by_side,
)
from gradlib.lessons.margin_softmax.exercises import (
    PREDICTION_OPTIONS,
    PSI_EXERCISE,
    am_logits_cases,
    check_am_logits,
    check_psi_by_hand,
    check_tighter_prediction,
)
from gradlib.lessons.margin_softmax.figures import (
    CLASS_COLOURS,
    draw_features,
    feature_limit,
    geometry_table,
    plot_feature_grid,
    plot_petals,
    plot_psi,
)
from gradlib.lessons.margin_softmax.maths import (
    AM_SCALES,
    CLASSES,
    FEATURE_WIDTHS,
    LEARNING_RATE,
    LOSS_NAMES,
    LSOFTMAX_BLEND_MIN,
    MARGIN_LEVELS,
    SEEDS,
    STEPS,
    TABLE_SETTINGS,
    Geometry,
    LossSetting,
    Run,
    Runs,
    am_feasible_margin,
    am_logits_reference,
    boundary_angles,
    classifier_parameter_count,
    digits,
    feature_model,
    geometry,
    lsoftmax_blend,
    lsoftmax_boundary,
    margin_winner,
    seed_differences,
    tighter_than,
    train,
    widget_settings,
)
from gradlib.lessons.margin_softmax.widgets import LAB_LOSSES, MarginLab, lab_setting

__all__ = [
    "AM_SCALES",
    "CLASSES",
    "CLASS_COLOURS",
    "FEATURE_WIDTHS",
    "GRADLIB_CODE",
    "LAB_LOSSES",
    "LEARNING_RATE",
    "LOSS_NAMES",
    "LSOFTMAX_BLEND_MIN",
    "MARGIN_LEVELS",
    "PREDICTION_OPTIONS",
    "PSI_EXERCISE",
    "PYTORCH_CODE",
    "SEEDS",
    "STEPS",
    "TABLE_SETTINGS",
    "Geometry",
    "LossSetting",
    "MarginLab",
    "Run",
    "Runs",
    "am_feasible_margin",
    "am_logits_cases",
    "am_logits_reference",
    "boundary_angles",
    "check_am_logits",
    "check_psi_by_hand",
    "check_tighter_prediction",
    "classifier_parameter_count",
    "digits",
    "draw_features",
    "feature_limit",
    "feature_model",
    "geometry",
    "geometry_table",
    "lab_setting",
    "lsoftmax_blend",
    "lsoftmax_boundary",
    "margin_winner",
    "plot_feature_grid",
    "plot_petals",
    "plot_psi",
    "recap_rows",
    "seed_differences",
    "side_by_side",
    "tighter_than",
    "train",
    "widget_settings",
]
