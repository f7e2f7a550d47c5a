"""The widgets of the series, each declared once.

A widget is a figure that a learner redraws by moving controls. Each one is a subclass of
``Widget`` that says, in one place, everything the notebook, the tests and the benchmarks
need to know about it:

- ``controls``: name -> a control (``Slider``, ``IntSlider``, ``LogSlider``, ``Dropdown``,
  ``Toggle``, ``Checkbox``) with its range, step, starting value and label;
- ``moved``: other values, where a learner might drag the controls (benchmarks/ times an
  update at both, and the tests draw both);
- ``continuous_update``: True when one update takes well under 100 ms (benchmarks/
  measures it), so the figure follows a slider while it is dragged; False redraws only when
  the slider is let go, and ``slow_because`` must then say why;

and writes two methods:

- ``build()`` makes the figure once, with ``gradlib.plotting.widget_figure``: the axes,
  labels and fixed curves, and the artists that change, kept as attributes;
- ``update(**values)`` computes what the values give, moves those artists
  (``set_data``, ``set_text`` ...), and returns the line of numbers printed above the figure.

In a notebook the widget is two one-line cells. The first (the "static twin") prints the
numbers and draws the figure at the starting values, so the notebook also reads on GitHub,
in nbviewer and in a static slide deck; the second shows the controls, and moving one
redraws that same figure in place, so a lecturer sees each figure once::

    tangent = start.TangentLine.display()   # the numbers and the figure at the starting values
    tangent.live()                          # the controls; they redraw the figure above

Each ``display()`` makes a new widget with a figure of its own, so two widgets of one kind
in a notebook never share a figure; when a cell that displayed a widget runs again, the
widget it made before is closed (its controls stop, its figure is let go). ``figure_at(**values)``
returns a figure for a notebook cell or a test, without displaying anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar

from gradlib.language import tr
from gradlib.plotting import render_png

__all__ = [
    "Checkbox",
    "Control",
    "Dropdown",
    "IntSlider",
    "LogSlider",
    "Slider",
    "Toggle",
    "Widget",
]

# Wide enough for a label such as "learning rate" and a slider a finger can drag; three fit
# side by side on a 1280-pixel slide.
CONTROL_WIDTH = "390px"
LABEL_WIDTH = "120px"


# ----- controls: one dataclass per kind, each making its ipywidget ------------------------


@dataclass(frozen=True)
class Slider:
    """A float slider from ``min`` to ``max`` in steps of ``step``, starting at ``value``."""

    value: float
    min: float
    max: float
    step: float
    label: str

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        return _slider(ipywidgets.FloatSlider, self, continuous, _readout_format(self.step))

    def corners(self) -> list[float]:
        """Values a test must be able to draw: both ends, one step in, and the start."""
        return _ends_and_start(self)

    def contains(self, value: Any) -> bool:
        return _is_number(value) and self.min <= value <= self.max


@dataclass(frozen=True)
class IntSlider:
    """A whole-number slider from ``min`` to ``max`` in steps of ``step``."""

    value: int
    min: int
    max: int
    label: str
    step: int = 1

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        return _slider(ipywidgets.IntSlider, self, continuous, "d")

    def corners(self) -> list[int]:
        return _ends_and_start(self)

    def contains(self, value: Any) -> bool:
        return _is_number(value) and isinstance(value, Integral) and self.min <= value <= self.max


@dataclass(frozen=True)
class LogSlider:
    """A slider over ``base**min_exponent`` .. ``base**max_exponent``, evenly spaced in the
    exponent (``step`` is a step of the exponent): for step sizes, learning rates, scales.
    ``readout_format`` shows the value: ".1e" (1.0e-07) for tiny steps, ".3g" (10, 316) for
    a ratio such as a condition number."""

    value: float
    min_exponent: float
    max_exponent: float
    step: float
    label: str
    base: float = 10.0
    readout_format: str = ".1e"

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        return ipywidgets.FloatLogSlider(
            value=self.value,
            base=self.base,
            min=self.min_exponent,
            max=self.max_exponent,
            step=self.step,
            description=tr(self.label),
            continuous_update=continuous,
            readout_format=self.readout_format,
            **_style(),
        )

    def corners(self) -> list[float]:
        exponents = (
            self.min_exponent,
            self.min_exponent + self.step,
            self.max_exponent - self.step,
            self.max_exponent,
        )
        return [self.base**e for e in exponents] + [self.value]

    def contains(self, value: Any) -> bool:
        low, high = self.base**self.min_exponent, self.base**self.max_exponent
        return _is_number(value) and low * (1 - 1e-12) <= value <= high * (1 + 1e-12)


@dataclass(frozen=True)
class Dropdown:
    """A choice among ``options`` (the strings a learner reads), starting at ``value``."""

    options: Sequence[str]
    value: str
    label: str

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        return ipywidgets.Dropdown(
            options=_labelled(self.options),
            value=self.value,
            description=tr(self.label),
            **_style(),
        )

    def corners(self) -> list[str]:
        return list(self.options)

    def contains(self, value: Any) -> bool:
        return value in self.options


@dataclass(frozen=True)
class Checkbox:
    """On or off, starting at ``value``."""

    value: bool
    label: str

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        return ipywidgets.Checkbox(
            value=self.value, description=tr(self.label), indent=False, **_style()
        )

    def corners(self) -> list[bool]:
        return [False, True]

    def contains(self, value: Any) -> bool:
        return isinstance(value, bool)


def _slider(kind: type, control: Slider | IntSlider, continuous: bool, readout: str) -> Any:
    return kind(
        value=control.value,
        min=control.min,
        max=control.max,
        step=control.step,
        description=tr(control.label),
        continuous_update=continuous,
        readout_format=readout,
        **_style(),
    )


def _ends_and_start(control: Slider | IntSlider) -> list[Any]:
    return [
        control.min,
        control.min + control.step,
        control.value,
        control.max - control.step,
        control.max,
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Toggle:
    """A choice among a few ``options`` shown side by side as buttons."""

    options: Sequence[str]
    value: str
    label: str

    def make(self, continuous: bool) -> Any:
        import ipywidgets

        # As a flex row, or the buttons wrap under their label and the control takes two rows.
        return ipywidgets.ToggleButtons(
            options=_labelled(self.options),
            value=self.value,
            description=tr(self.label),
            style={"description_width": LABEL_WIDTH, "button_width": "90px"},
            layout=ipywidgets.Layout(
                width=CONTROL_WIDTH, display="flex", flex_flow="row nowrap", align_items="center"
            ),
        )

    def corners(self) -> list[str]:
        return list(self.options)

    def contains(self, value: Any) -> bool:
        return value in self.options


Control = Slider | IntSlider | LogSlider | Dropdown | Toggle | Checkbox


def _labelled(options: Sequence[str]) -> list[tuple[str, str]]:
    """(label, value) pairs: the learner reads each option in the chosen language, the
    widget's ``update`` receives the English value it declares."""
    return [(tr(option), option) for option in options]


def _style() -> dict[str, Any]:
    import ipywidgets

    return {
        "style": {"description_width": LABEL_WIDTH},
        "layout": ipywidgets.Layout(width=CONTROL_WIDTH),
    }


def _readout_format(step: float) -> str:
    """Enough decimals to show one step: 0.25 -> '.2f', 0.1 -> '.1f', 5 -> '.0f'."""
    digits = f"{step:.10f}".rstrip("0").partition(".")[2]
    return f".{len(digits)}f"


# ----- the widget ---------------------------------------------------------------------------

# The widget each notebook cell displayed last, by the cell's id (JupyterLab sends it).
_DISPLAYED_BY_CELL: dict[str, Widget] = {}


def _running_cell() -> str | None:
    """The id of the notebook cell being run, when the front end says (JupyterLab does)."""
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    parent = kernel.get_parent() if hasattr(kernel, "get_parent") else None
    return (parent or {}).get("metadata", {}).get("cellId")


class Widget:
    """A figure with controls, declared once; see the module docstring for what to write."""

    controls: ClassVar[dict[str, Control]] = {}
    moved: ClassVar[dict[str, Any]] = {}
    continuous_update: ClassVar[bool] = True
    slow_because: ClassVar[str] = ""

    def __init__(self) -> None:
        self.figure: Any = None
        self._text_display: Any = None
        self._image_display: Any = None
        self._live: Any = None

    # --- what a subclass writes ---

    def build(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define build()")

    def update(self, **values: Any) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define update(**values)")

    @classmethod
    def example(cls) -> Widget:
        """A widget to test and benchmark. A widget whose constructor needs data (a trained
        model, say) overrides this to build that data."""
        return cls()

    # --- what the notebooks, tests and benchmarks call ---

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The starting value of every control."""
        return {name: control.value for name, control in cls.controls.items()}

    def check_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` over the defaults, each checked against its control."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: no control named {sorted(unknown)}; "
                f"the controls are {list(self.controls)}"
            )
        merged = {**self.defaults(), **values}
        for name, value in merged.items():
            if not self.controls[name].contains(value):
                raise ValueError(
                    f"{type(self).__name__}: {name}={value!r} is outside its control "
                    f"{self.controls[name]}"
                )
        return merged

    def draw(self, **values: Any) -> str:
        """Update the figure (built on the first call) to ``values``; return the text line."""
        values = self.check_values(values)
        if self.figure is None:
            self.figure = self.build()
        return self.update(**values)

    def figure_at(self, **values: Any) -> Any:
        """The figure at ``values`` (the rest at their defaults), not displayed."""
        self.draw(**values)
        return self.figure

    def show(self, **values: Any) -> None:
        """Draw at ``values`` and show the text and the figure: the first time as new outputs
        of the running cell, afterwards by replacing those outputs in place. Returns None, so
        a bare call in a cell shows the figure once."""
        text = self.draw(**values)
        self._publish(text, render_png(self.figure))

    @classmethod
    def display(cls, *args: Any, **kwargs: Any) -> Widget:
        """A new widget, shown at its starting values; keep it to call ``live()`` on.

        Arguments go to the constructor (for widgets that need data)."""
        widget = cls(*args, **kwargs)
        cell = _running_cell()
        if cell is not None:
            earlier = _DISPLAYED_BY_CELL.pop(cell, None)
            if earlier is not None:
                earlier.close()  # the cell runs again: its earlier widget is done
            _DISPLAYED_BY_CELL[cell] = widget
        widget.show()
        return widget

    def close(self) -> None:
        """Stop the controls and let the figure go (``display()`` does it on a re-run cell)."""
        if self._live is not None:
            self._live.close()
            self._live = None
        self.figure = None
        self._text_display = self._image_display = None

    def live(self) -> Any:
        """The controls (an ipywidgets box). Moving one redraws this widget's figure where
        ``display()`` showed it. Calling it again replaces the earlier controls."""
        import ipywidgets

        if self._live is not None:
            self._live.close()  # a re-run cell: the old controls stop redrawing
        made = {name: c.make(self.continuous_update) for name, c in self.controls.items()}

        def redraw(_change: Any) -> None:
            values = {name: control.value for name, control in made.items()}
            try:
                self.show(**values)
            except Exception as error:  # shown to the learner, not lost in a log
                self._publish(
                    tr(
                        "This setting failed: {kind}: {error}",
                        kind=type(error).__name__,
                        error=error,
                    ),
                    None,
                )

        for control in made.values():
            control.observe(redraw, names="value")
        self._live = ipywidgets.HBox(
            list(made.values()), layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        return self._live

    # --- output ---

    def _publish(self, text: str, png: bytes | None) -> None:
        from IPython import get_ipython
        from IPython.display import Image, Pretty, display

        if get_ipython() is None:  # a script or a test: nowhere to show it
            return
        if self._text_display is None:
            self._text_display = display(Pretty(text), display_id=True)
            self._image_display = display(Image(png), display_id=True)
            return
        self._text_display.update(Pretty(text))
        if png is not None:
            self._image_display.update(Image(png))
