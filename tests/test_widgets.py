"""gradlib.widgets: one declaration per widget, and every widget of the series drawn at its
corners and at random settings inside its controls' ranges.

The first half tests the machinery with a small widget made here (build once, a figure per
instance, display ids, live controls). The second half runs every ``Widget`` subclass that
``gradlib.lessons.widget_classes()`` finds, so a new widget is covered without a new test.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gradlib import plotting, widgets  # noqa: E402
from gradlib.lessons import widget_classes  # noqa: E402

# ----- the machinery, on a small widget -----------------------------------------------------


class Bar(widgets.Widget):
    """One bar whose height and colour the controls set."""

    controls = {
        "height": widgets.Slider(1.0, 0.0, 3.0, step=0.5, label="height"),
        "count": widgets.IntSlider(2, 1, 5, label="count"),
        "scale": widgets.LogSlider(0.1, -3, 0, step=0.5, label="scale"),
        "colour": widgets.Dropdown(["blue", "orange"], "blue", label="colour"),
        "mode": widgets.Toggle(["a", "b"], "a", label="mode"),
        "flip": widgets.Checkbox(False, label="flip"),
    }
    moved = {"height": 2.5, "colour": "orange"}
    builds = 0

    def build(self) -> Figure:
        Bar.builds += 1
        fig, ax = plotting.widget_figure(3.0, 2.0)
        (self.bar,) = ax.bar([0], [1.0])
        ax.set_ylim(-3, 3)
        return fig

    def update(self, height, count, scale, colour, mode, flip) -> str:
        if height == 3.0 and mode == "b":
            raise ValueError("3 in mode b is not allowed")
        self.bar.set_height(-height if flip else height)
        self.bar.set_color(colour)
        return f"height {height:.1f}, count {count}, scale {scale:.0e}, {colour}, {mode}"


class FakeHandle:
    def __init__(self, log, obj):
        self.log, self.shown = log, [obj]

    def update(self, obj):
        self.shown.append(obj)
        self.log.append(("update", obj))


@pytest.fixture
def displayed(monkeypatch):
    """What Widget.show puts on the page: a log of displays and updates, as in IPython."""
    import IPython
    import IPython.display

    log, handles = [], []

    def display(obj, display_id=None):
        assert display_id is True
        log.append(("display", obj))
        handles.append(FakeHandle(log, obj))
        return handles[-1]

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", display)
    return log


def test_defaults_come_from_the_controls():
    assert Bar.defaults() == {
        "height": 1.0,
        "count": 2,
        "scale": 0.1,
        "colour": "blue",
        "mode": "a",
        "flip": False,
    }


def test_the_figure_is_built_once_per_widget_and_each_widget_owns_one():
    Bar.builds = 0
    first, second = Bar(), Bar()
    figures = [first.figure_at(height=h) for h in (0.5, 1.0, 2.0)]
    assert Bar.builds == 1 and all(f is figures[0] for f in figures)
    other = second.figure_at(height=2.5)
    assert Bar.builds == 2 and other is not figures[0]
    assert first.bar.get_height() == 2.0 and second.bar.get_height() == 2.5
    assert plt.get_fignums() == []  # outside pyplot: the inline backend neither shows nor closes


def test_values_are_checked_against_their_controls():
    with pytest.raises(TypeError, match=r"no control named \['width'\]"):
        Bar().draw(width=1.0)
    with pytest.raises(ValueError, match="height=4.0 is outside its control"):
        Bar().draw(height=4.0)
    with pytest.raises(ValueError, match="colour='green' is outside"):
        Bar().draw(colour="green")
    with pytest.raises(ValueError, match="count=2.5 is outside"):
        Bar().draw(count=2.5)
    with pytest.raises(ValueError, match="flip=1 is outside"):
        Bar().draw(flip=1)


def test_show_displays_text_and_figure_once_then_updates_them_in_place(displayed):
    widget = Bar.display()
    assert isinstance(widget, Bar)
    (kind1, text), (kind2, image) = displayed
    assert (kind1, kind2) == ("display", "display")
    assert text.data == "height 1.0, count 2, scale 1e-01, blue, a"
    assert PIL.Image.open(io.BytesIO(image.data)).size == (300, 200)
    assert widget.show(height=2.5) is None  # nothing for Jupyter to show a second time
    assert [kind for kind, _ in displayed[2:]] == ["update", "update"]
    assert displayed[2][1].data.startswith("height 2.5")
    assert displayed[3][1].data != image.data


def test_show_outside_ipython_only_draws(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    widget = Bar()
    widget.show(height=0.5)
    assert widget.bar.get_height() == 0.5 and widget._text_display is None


def test_live_controls_follow_the_declaration():
    box = Bar().live()
    assert isinstance(box, ipywidgets.HBox)
    made = dict(zip(Bar.controls, box.children))
    assert isinstance(made["height"], ipywidgets.FloatSlider)
    assert (made["height"].min, made["height"].max, made["height"].step) == (0.0, 3.0, 0.5)
    assert made["height"].value == 1.0 and made["height"].description == "height"
    assert made["height"].continuous_update is True and made["height"].readout_format == ".1f"
    assert isinstance(made["count"], ipywidgets.IntSlider) and made["count"].max == 5
    assert isinstance(made["scale"], ipywidgets.FloatLogSlider)
    assert made["scale"].min == -3 and made["scale"].value == pytest.approx(0.1)
    assert made["scale"].readout_format == ".1e"  # the default; a ratio asks for ".3g"
    ratio = widgets.LogSlider(10, 0, 3, step=0.05, label="kappa", readout_format=".3g").make(True)
    assert ratio.readout_format == ".3g" and ratio.value == pytest.approx(10)
    assert isinstance(made["colour"], ipywidgets.Dropdown)
    # (label, value): the label in the reader's language, the value the English option
    assert list(made["colour"].options) == [("blue", "blue"), ("orange", "orange")]
    assert made["colour"].value == "blue"
    assert isinstance(made["mode"], ipywidgets.ToggleButtons)
    assert isinstance(made["flip"], ipywidgets.Checkbox) and made["flip"].value is False


def test_live_controls_speak_the_chosen_language(monkeypatch):
    """Labels and option labels go through tr; the values a widget receives stay English."""
    import gradlib.widgets as module

    chinese = {"height": "高度", "colour": "颜色", "blue": "蓝", "orange": "橙"}
    monkeypatch.setattr(module, "tr", lambda text: chinese.get(text, text))
    made = dict(zip(Bar.controls, Bar().live().children))
    assert made["height"].description == "高度" and made["colour"].description == "颜色"
    assert list(made["colour"].options) == [("蓝", "blue"), ("橙", "orange")]
    made["colour"].label = "橙"
    assert made["colour"].value == "orange"


def test_a_slow_widget_redraws_on_release():
    class Slow(Bar):
        continuous_update = False
        slow_because = "a test"

    sliders = [c for c in Slow().live().children if isinstance(c, ipywidgets.FloatSlider)]
    assert sliders and all(s.continuous_update is False for s in sliders)


def test_moving_a_live_control_redraws_the_figure_in_place(displayed):
    widget = Bar.display()
    height = widget.live().children[0]
    height.value = 2.0
    assert displayed[-2][0] == "update" and displayed[-2][1].data.startswith("height 2.0")
    assert widget.bar.get_height() == 2.0


def test_a_failing_setting_is_shown_not_raised(displayed):
    widget = Bar.display()
    controls = widget.live().children
    controls[4].value = "b"
    controls[0].value = 3.0
    assert displayed[-1] == ("update", displayed[-1][1])
    assert "This setting failed: ValueError: 3 in mode b is not allowed" in displayed[-1][1].data


def test_running_live_again_closes_the_old_controls(displayed):
    widget = Bar.display()
    old = widget.live()
    new = widget.live()
    assert old.comm is None and new.comm is not None  # a closed widget has no comm
    before = len(displayed)
    new.children[0].value = 0.5
    assert len(displayed) == before + 2


@pytest.mark.parametrize(
    "step, expected", [(0.25, ".2f"), (0.1, ".1f"), (5.0, ".0f"), (0.05, ".2f"), (0.001, ".3f")]
)
def test_slider_readout_shows_one_step(step, expected):
    assert widgets._readout_format(step) == expected


# ----- every widget of the series -----------------------------------------------------------

WIDGETS = widget_classes()
NAMES = [cls.__qualname__ for cls in WIDGETS]
_examples: dict[type, widgets.Widget] = {}


def example(cls) -> widgets.Widget:
    """One widget per class for the whole module (some build data, e.g. a training run)."""
    if cls not in _examples:
        _examples[cls] = cls.example()
    return _examples[cls]


def test_the_series_has_widgets():
    assert {"TangentLine", "DerivativeExplorer", "LearningRateExplorer"} <= set(NAMES)


@pytest.mark.parametrize("cls", WIDGETS, ids=NAMES)
def test_declaration_is_complete(cls):
    assert cls.controls, "a widget declares its controls"
    assert cls.moved and set(cls.moved) <= set(cls.controls)
    assert {**cls.defaults(), **cls.moved} != cls.defaults(), "moved values must move"
    example(cls).check_values(cls.moved)
    for name, control in cls.controls.items():
        assert control.contains(control.value), f"{name}: its start is outside its range"
        assert control.label, f"{name} has no label"
    if not cls.continuous_update:
        assert cls.slow_because, "a widget that redraws on release says why (slow_because)"


@pytest.mark.parametrize("cls", WIDGETS, ids=NAMES)
def test_draws_at_its_defaults_and_moved_values(cls):
    widget = example(cls)
    for values in ({}, cls.moved):
        text = widget.draw(**values)
        assert isinstance(text, str) and text
    png = PIL.Image.open(io.BytesIO(plotting.render_png(widget.figure)))
    # a slide of 1280 x 720 shows it whole, with room for the controls and the text line
    assert png.size[0] <= 1150 and png.size[1] <= 470, png.size
    assert plt.get_fignums() == []


@pytest.mark.parametrize("cls", WIDGETS, ids=NAMES)
def test_every_control_at_its_corners(cls):
    widget = example(cls)
    for name, control in cls.controls.items():
        for value in control.corners():
            assert widget.draw(**{name: value}), f"{name}={value!r}"
    widget.draw()


def _inside(control) -> st.SearchStrategy:
    """Any value a learner can reach (and between the slider's steps)."""
    if isinstance(control, widgets.Slider):
        return st.floats(control.min, control.max)
    if isinstance(control, widgets.IntSlider):
        return st.integers(control.min, control.max)
    if isinstance(control, widgets.LogSlider):
        exponents = st.floats(control.min_exponent, control.max_exponent)
        return exponents.map(lambda e: float(np.clip(control.base**e, *control.corners()[::3])))
    if isinstance(control, widgets.Checkbox):
        return st.booleans()
    return st.sampled_from(list(control.options))


@pytest.mark.parametrize("cls", WIDGETS, ids=NAMES)
def test_never_raises_anywhere_inside_its_ranges(cls):
    widget = example(cls)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({n: _inside(c) for n, c in cls.controls.items()}))
    def draws(values):
        assert widget.draw(**values)

    draws()
    widget.draw()


def test_a_cell_run_again_closes_the_widget_it_displayed_before(displayed, monkeypatch):
    from gradlib import widgets as module

    cell = {"id": "cell-1"}
    monkeypatch.setattr(module, "_running_cell", lambda: cell["id"])
    monkeypatch.setattr(module, "_DISPLAYED_BY_CELL", {})
    first = Bar.display()
    first_controls = first.live()
    second = Bar.display()  # the same cell, run again
    assert first.figure is None and first_controls.comm is None  # closed and let go
    assert second.figure is not None
    cell["id"] = "cell-2"
    third = Bar.display()  # another cell: the second widget stays
    assert second.figure is not None and third.figure is not None
    assert module._DISPLAYED_BY_CELL == {"cell-1": second, "cell-2": third}


def test_outside_a_notebook_cell_nothing_is_remembered(displayed, monkeypatch):
    from gradlib import widgets as module

    monkeypatch.setattr(module, "_DISPLAYED_BY_CELL", {})
    Bar.display()
    assert module._running_cell() is None and module._DISPLAYED_BY_CELL == {}
