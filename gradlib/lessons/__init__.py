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
