"""Notebook 05, the widget: the gradient-flow lab (``GradientFlowLab``).

Every update builds the network the controls describe, runs one batch of 128 digits
forward and backward through it (``maths.gradient_profile``), and redraws two panels:
the gradient norm of every layer on a log scale, and a histogram of every layer's
activations, side by side so that a column of the right panel sits under the same
layer as the point above it on the left.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.gradient_flow.maths import (
    ACTIVATIONS,
    CLIPPING,
    HISTOGRAM,
    INITS,
    NORMS,
    RESIDUALS,
    gradient_profile,
)
from gradlib.plotting import PALETTE, plain_log_ticks, widget_figure
from gradlib.widgets import Dropdown, IntSlider, Widget

MAX_DEPTH = 50


def describe_ratio(ratio: float) -> str:
    """'vanishing', 'exploding' or 'within 10x' for a gradient norm at the first hidden layer
    over the one at the last."""
    if not np.isfinite(ratio):
        return tr("not finite: the numbers overflowed")
    if ratio < 0.1:
        return tr("vanishing")
    return tr("exploding") if ratio > 10 else tr("within 10x")


class GradientFlowLab(Widget):
    """A deep MLP on a batch of digits: per-layer gradient norms (left, log scale) and the
    distribution of each layer's activations (right), for the architecture the controls set.
    """

    controls = {
        "depth": IntSlider(20, 1, MAX_DEPTH, label="depth"),
        "width": IntSlider(64, 16, 64, step=16, label="width"),
        "activation": Dropdown(list(ACTIVATIONS), "tanh", label="activation"),
        "init": Dropdown(list(INITS), "standard", label="initialisation"),
        "norm": Dropdown(list(NORMS), "none", label="normalisation"),
        "clip": Dropdown(list(CLIPPING), "none", label="clipping"),
        "residual": Dropdown(list(RESIDUALS), "none", label="residual"),
    }
    moved = {"depth": 50, "activation": "ReLU", "norm": "BatchNorm"}

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.5,
            height=3.1,
            margins={"left": 0.07, "right": 0.985, "bottom": 0.16, "top": 0.9, "wspace": 0.2},
        )
        left.set_yscale("log")
        (self.weights,) = left.plot(
            [], [], "-o", color=PALETTE["blue"], markersize=3, label="‖∂L/∂W‖"
        )
        (self.backprop,) = left.plot(
            [], [], "-o", color=PALETTE["orange"], markersize=2, label="‖∂L/∂h‖"
        )
        (self.unclipped,) = left.plot(
            [], [], "--", color=PALETTE["black"], linewidth=1.2, label=tr("‖∂L/∂W‖ unclipped")
        )
        left.set_xlabel(tr("layer l (1: input side)"))
        left.set_ylabel(tr("gradient norm"))
        left.set_title(tr("Gradient norms"), y=1.0)
        # Every text is drawn again on each update (about 0.7 ms each): few ticks, a short
        # legend, no colour bar (the colour scale is fixed: see the notebook's text).
        legend = left.legend(loc="best", fontsize=10, framealpha=0.9, handlelength=1.5)
        # the last entry names the dashed line while clipping is on, and says "no clipping"
        self.unclipped_text, self.unclipped_handle = (
            legend.get_texts()[-1],
            legend.legend_handles[-1],
        )
        plain_log_ticks(left, "y", numticks=5)

        low, high, bins = HISTOGRAM
        self.image = right.imshow(
            np.zeros((bins, MAX_DEPTH)),
            origin="lower",
            aspect="auto",
            cmap="viridis",
            norm=PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0),
            interpolation="nearest",
            extent=(0.5, MAX_DEPTH + 0.5, low, high),
        )
        right.set_yticks([low, low / 2, 0, high / 2, high])
        right.set_yticklabels([f"≤{low:g}", f"{low / 2:g}", "0", f"{high / 2:g}", f"≥{high:g}"])
        right.set_xlabel(tr("hidden layer l"))
        right.set_ylabel(tr("activation h"))
        right.grid(False)
        right.set_title(tr("Activations (bright: many units)"), y=1.0)
        self.left, self.right = left, right
        return fig

    def update(self, depth, width, activation, init, norm, clip, residual) -> str:
        connected, scaled = RESIDUALS[residual]
        profile = gradient_profile(
            depth, width, activation, init, norm, connected, clip, scaled_branches=scaled
        )
        layers = np.arange(1, depth + 2)
        weights = _drawable(profile.weight_grad)
        self.weights.set_data(layers, weights)
        self.unclipped.set_data(layers, _drawable(profile.weight_grad_unclipped))
        for artist in (self.unclipped, self.unclipped_handle):
            artist.set_visible(clip != "none")
        self.unclipped_text.set_text(
            tr("‖∂L/∂W‖ unclipped") if clip != "none" else tr("no clipping")
        )
        backprop = _drawable(profile.backprop_grad)
        self.backprop.set_data(layers[:-1], backprop)
        shown = np.concatenate([weights, backprop, _drawable(profile.weight_grad_unclipped)])
        shown = shown[np.isfinite(shown)]
        low, high = (shown.min(), shown.max()) if shown.size else (1e-3, 1.0)
        bottom = 10.0 ** np.floor(np.log10(low) - 0.3)
        top = 10.0 ** np.ceil(np.log10(high) + 0.3)
        self.left.set_ylim(bottom, max(top, 100 * bottom))
        self.left.set_xlim(0.5, depth + 1.5)
        self.left.set_xticks(_layer_ticks(depth + 1))

        self.image.set_data(np.nan_to_num(profile.histograms.T))
        self.image.set_extent((0.5, depth + 0.5, HISTOGRAM[0], HISTOGRAM[1]))
        self.right.set_xlim(0.5, depth + 0.5)
        self.right.set_xticks(_layer_ticks(depth))
        return _summary(profile, depth, activation, init, norm, residual, clip)


def _drawable(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: 0, inf and nan become nan (not drawn)."""
    values = np.asarray(values, dtype=float).copy()
    values[~np.isfinite(values) | (values <= 0)] = np.nan
    return values


def _layer_ticks(count: int) -> list[int]:
    """At most five layer numbers: 1 and multiples of 1, 2, 5, 10 or 20 up to ``count``."""
    step = next(s for s in (1, 2, 5, 10, 20) if count // s <= 4)
    return [1] + [t for t in range(step, count + 1, step) if t != 1]


def _summary(profile, depth, activation, init, norm, residual, clip) -> str:
    """One line: the setting, how each gradient changes from the last hidden layer to the
    first (the back-propagated ‖∂L/∂h‖ and the weights' ‖∂L/∂W‖), the largest weight gradient,
    saturated or dead units, and what clipping did."""
    # the options as the learner reads them in the dropdowns (tr: translated, if need be)
    setting = "/".join([tr(activation), tr(init), tr(norm)])
    if residual != "none":
        setting += tr(", residual {residual}", residual=tr(residual))
    ratio = profile.first_to_last
    parts = [
        tr(
            "{setting}, depth {depth}: layer 1 / layer {depth} ‖∂L/∂h‖ {ratio:.1e} "
            "({verdict}), ‖∂L/∂W‖ {weights:.1e}, largest ‖∂L/∂W‖ {largest:.0e}",
            setting=setting,
            depth=depth,
            ratio=ratio,
            verdict=describe_ratio(ratio),
            weights=profile.weight_first_to_last,
            largest=np.max(profile.weight_grad_unclipped),
        )
    ]
    if not np.isnan(profile.saturated_share):
        parts.append(tr("saturated {share:.0f}%", share=100 * profile.saturated_share))
    if not np.isnan(profile.dead_share):
        parts.append(tr("dead {share:.0f}%", share=100 * profile.dead_share))
    if clip == "by norm":
        parts.append(tr("clipped by norm: all x {scale:.1e}", scale=profile.clip_scale))
    elif clip == "by value":
        parts.append(tr("clipped by value: turned {angle:.0f}°", angle=profile.clip_angle))
    return " | ".join(parts)
