"""Notebook 04, the widget: the pooling lab.

``PoolingLab``: choose max or mean pooling, the kernel, the stride, the padding (and for
mean pooling whether the padding counts in the average), an input and an upstream
gradient; see the windows on the input, the output with the gradient each output
receives, and where that gradient lands on the input, with both sums.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.relu_pooling.figures import PoolingPanels
from gradlib.lessons.relu_pooling.maths import GRID, PRESETS, pool_grid, preset_grid
from gradlib.plotting import widget_figure
from gradlib.widgets import Checkbox, Dropdown, IntSlider, Widget

__all__ = ["PoolingLab", "lab_pooling"]

MAX_KERNEL = 4
MAX_PADDING = MAX_KERNEL // 2  # PyTorch's rule: padding <= kernel // 2


def lab_pooling(
    mode: str,
    kernel: int,
    stride: int,
    padding: int,
    count_include_pad: bool,
    preset: str,
    upstream: str,
    seed: int,
):
    """The lab's pooling at these settings: ``(GridPooling, padding used)``.

    A padding above kernel // 2 is lowered to it (PyTorch refuses it: a window would lie
    mostly in the padding). A random upstream gradient has integers 1..3, so every input
    that received nothing shows an exact 0.
    """
    padding = min(padding, kernel // 2)
    x = preset_grid(preset, seed)
    out_side = (GRID + 2 * padding - kernel) // stride + 1
    if upstream == "random":
        g = np.random.default_rng(seed + 1000).integers(1, 4, (out_side, out_side))
    else:
        g = np.ones((out_side, out_side))
    return pool_grid(x, mode, kernel, stride, padding, count_include_pad, g), padding


class PoolingLab(Widget):
    """Max or mean pooling of a 6x6 grid, forward and backward: the input with every
    window outlined, the output with each output's upstream gradient g, and the input
    gradient (grey: received nothing; light vermillion: fell on the padding, lost)."""

    controls = {
        # Dropdowns, not toggle buttons: in a live slide a row of toggle buttons stands under
        # its label and takes the height of three rows of controls.
        "mode": Dropdown(["max", "mean"], "max", label="pooling"),
        "kernel": IntSlider(2, 1, MAX_KERNEL, label="kernel"),
        "stride": IntSlider(2, 1, MAX_KERNEL, label="stride"),
        "padding": IntSlider(0, 0, MAX_PADDING, label="padding"),
        "count_include_pad": Checkbox(True, label="count_include_pad"),
        "preset": Dropdown(list(PRESETS), "random integers", label="input"),
        "upstream": Dropdown(["ones", "random"], "ones", label="upstream g"),
        "seed": IntSlider(0, 0, 9, label="seed"),
    }
    moved = {"mode": "mean", "kernel": 3, "stride": 1, "padding": 1, "upstream": "random"}
    result: Any = None  # the GridPooling drawn last (its dx, sums ...), for a notebook cell

    def build(self) -> Figure:
        fig, axes = widget_figure(
            ncols=3,
            width=11.5,
            height=3.5,
            margins={"left": 0.01, "right": 0.99, "bottom": 0.02, "top": 0.91, "wspace": 0.06},
        )
        self.panels = PoolingPanels(axes, fontsize=9.5)
        return fig

    def update(self, **values: Any) -> str:
        result, used = lab_pooling(**values)  # the eight controls, by name
        self.result = result
        mode, kernel, stride = values["mode"], values["kernel"], values["stride"]
        padding, count_include_pad = values["padding"], values["count_include_pad"]
        self.panels.draw(result)
        note = ""
        if used != padding:
            note = " " + tr("(lowered from {padding}: at most kernel // 2)", padding=padding)
        counted = ""
        if mode == "mean" and used:
            counted = " " + (tr("(pad counted)") if count_include_pad else tr("(pad not counted)"))
        if mode == "max":
            pooled = tr("max pool {k}x{k}, stride {s}, padding {p}", k=kernel, s=stride, p=used)
        else:
            pooled = tr("mean pool {k}x{k}, stride {s}, padding {p}", k=kernel, s=stride, p=used)
        sums = tr(
            "sum of g {upstream:.2f}, sum of dL/dx {input:.2f}, lost to padding {lost:.2f}",
            upstream=result.upstream_sum,
            input=result.input_sum,
            lost=result.lost_to_padding,
        )
        nothing = tr(
            "{nothing} of {size} inputs got nothing",
            nothing=int(result.received_nothing.sum()),
            size=result.x.size,
        )
        setting = f"{pooled}{note}{counted}"
        return tr("{setting}: {sums} | {nothing}", setting=setting, sums=sums, nothing=nothing)
