"""What the notebooks compute, draw and check: one package (or module) per notebook.

Each notebook's widgets, figures and exercise checkers live here, not in notebook cells,
so tests can call and time them and a learner can read them with ``??``. A notebook's
package keeps its concerns apart: ``maths.py`` (what is computed), ``figures.py`` (static
figures), ``widgets.py`` (its ``gradlib.widgets.Widget`` declarations) and
``exercises.py`` (the checkers). matplotlib is imported by these modules only, never by
``import gradlib``.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np


def nudged(X: np.ndarray, size: float) -> np.ndarray:
    """``X`` with every entry multiplied by (1 + size z), z drawn from a fixed normal
    generator: with size = 1e-15 only the last bits change, as another processor's rounding
    would, so a run on nudged data tells whether its printed result depends on them. Used by
    notebooks 04, 05 and 08 to test that their training runs are not chaotic."""
    if not size:
        return X
    return X * (1 + size * np.random.default_rng(1).standard_normal(X.shape))


def widget_classes() -> list[type]:
    """Every widget of the series: the ``Widget`` subclasses that declare controls, found by
    importing each lessons module (for the tests and benchmarks/, which cover them all)."""
    from gradlib.widgets import Widget

    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
    found, todo = [], list(Widget.__subclasses__())
    while todo:
        cls = todo.pop(0)
        todo.extend(cls.__subclasses__())
        if cls.controls and cls.__module__.startswith(f"{__name__}."):
            found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))
