"""Every widget of the series, as a benchmark case, taken from its one declaration.

A widget is a ``gradlib.widgets.Widget`` subclass in ``gradlib.lessons`` that declares its
controls (with their starting values) and a set of ``moved`` values. One update of a
widget is one ``show(**values)``: its computation, its redraw and the one PNG the learner
sees (outside IPython nothing is displayed, the rest is the same). ``time_update``
measures exactly that; ``time_first_update`` the first one, which also builds the figure.
The cases come from ``gradlib.lessons.widget_classes()``, so a new widget is benchmarked
without being listed anywhere else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass
class WidgetCase:
    widget_class: type

    @property
    def name(self) -> str:
        return f"{self.widget_class.__module__}.{self.widget_class.__qualname__}"

    @property
    def default(self) -> dict[str, Any]:
        return self.widget_class.defaults()

    @property
    def moved(self) -> dict[str, Any]:
        return dict(self.widget_class.moved)

    @property
    def continuous(self) -> bool:
        return bool(self.widget_class.continuous_update)

    def instance(self) -> Any:
        """A widget to time (``example()`` builds any data it needs; not timed)."""
        return self.widget_class.example()


def widget_cases() -> list[WidgetCase]:
    """One case per widget; importing the lessons here keeps matplotlib out of module import."""
    from gradlib.lessons import widget_classes

    return [WidgetCase(cls) for cls in widget_classes()]


def time_update(widget: Any, values: dict[str, Any]) -> float:
    """Seconds for one update: everything a learner waits for before the new figure shows."""
    start = time.perf_counter()
    widget.show(**values)
    return time.perf_counter() - start


def time_first_update(case: WidgetCase, widget: Any) -> float:
    """Seconds for the first update of a new widget, at the default values: it builds the
    figure and fills the lessons' caches, which later updates reuse. Call it before any
    other update of ``widget`` (``benchmarks/run.py`` does)."""
    return time_update(widget, case.default)
