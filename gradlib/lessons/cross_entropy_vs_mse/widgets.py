"""Notebook 07, the widget: Nielsen's neuron, trained with either cost from any start."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.cross_entropy_vs_mse.figures import COST_COLORS
from gradlib.lessons.cross_entropy_vs_mse.maths import (
    COSTS,
    NEURON_TARGET,
    NIELSEN_EPOCHS,
    NIELSEN_LR,
    cost_name,
    cost_title,
    neuron_run,
)
from gradlib.plotting import PALETTE, round_ticks, widget_figure
from gradlib.widgets import IntSlider, Slider, Toggle, Widget

__all__ = ["NeuronLab"]


class NeuronLab(Widget):
    """One sigmoid neuron (input 1, target 0) trained by gradient descent from (w, b):
    its output a and its cost over the epochs, and the factors of the step along the way,
    a - y and sigma'(z), whose product is the quadratic cost's dC/dz."""

    controls = {
        "w": Slider(2.0, -4.0, 4.0, step=0.1, label="start w"),
        "b": Slider(2.0, -4.0, 4.0, step=0.1, label="start b"),
        "lr": Slider(NIELSEN_LR, 0.01, 1.0, step=0.01, label="learning rate"),
        "cost": Toggle(list(COSTS), "quadratic", label="cost"),
        "epochs": IntSlider(NIELSEN_EPOCHS, 50, 1000, step=50, label="epochs"),
    }
    moved = {"w": 0.6, "b": 0.9, "cost": "cross-entropy", "epochs": 150}

    def build(self) -> Figure:
        fig, (output, cost, factors) = widget_figure(
            ncols=3,
            width=11.4,
            height=3.3,
            margins={"left": 0.06, "right": 0.985, "bottom": 0.16, "top": 0.81, "wspace": 0.28},
        )
        # the labels and colours come with each update: they follow the chosen cost
        (self.other_output,) = output.plot([], [], "--", linewidth=1.5, label=tr("other cost"))
        (self.output,) = output.plot([], [], linewidth=2.5, label=tr("chosen cost"))
        output.axhline(NEURON_TARGET, color=PALETTE["black"], linewidth=0.8)
        output.set_ylim(-0.03, 1.03)
        output.set_xlabel(tr("epoch"))
        output.set_ylabel(tr("output a"))
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        output.set_title(tr("Output (target y = 0)"), y=1.0)
        self.output_legend = output.legend(loc="center left", fontsize=9)

        (self.cost_line,) = cost.plot([], [], linewidth=2.5)
        cost.set_xlabel(tr("epoch"))
        cost.set_ylabel(tr("cost C"))
        self.cost_title = cost.set_title("", y=1.0)

        (self.error,) = factors.plot(
            [],
            [],
            color=PALETTE["black"],
            linewidth=2.0,
            label=tr("a - y  (= dC/dz, {cost})", cost=cost_name("cross-entropy")),
        )
        (self.slope,) = factors.plot(
            [], [], ":", color=PALETTE["green"], linewidth=2.5, label="σ'(z)"
        )
        (self.product,) = factors.plot(
            [],
            [],
            color=COST_COLORS["quadratic"],
            linewidth=2.5,
            label=tr("(a - y) σ'(z)  (= dC/dz, {cost})", cost=cost_name("quadratic")),
        )
        factors.set_ylim(-0.03, 1.03)
        factors.set_xlabel(tr("epoch"))
        factors.set_ylabel(tr("size of the factor"))
        factors.set_title(tr("The factors of the step"), y=1.0)
        factors.legend(loc="center left", fontsize=9)
        for ax in (output, cost, factors):
            round_ticks(ax)
        self.axes = (output, cost, factors)
        self.heading = fig.suptitle("", y=0.985, fontsize=12)
        return fig

    def update(self, w: float, b: float, lr: float, cost: str, epochs: int) -> str:
        other = COSTS[1 - COSTS.index(cost)]
        run = neuron_run(w, b, lr, cost, epochs)
        ghost = neuron_run(w, b, lr, other, epochs)
        t = np.arange(epochs + 1)

        self.output.set_data(t, run.a)
        self.output.set_color(COST_COLORS[cost])
        self.other_output.set_data(t, ghost.a)
        self.other_output.set_color(COST_COLORS[other])
        texts = self.output_legend.get_texts()
        handles = self.output_legend.legend_handles
        for text, handle, name, line in (
            (texts[0], handles[0], other, self.other_output),
            (texts[1], handles[1], cost, self.output),
        ):
            if line is self.other_output:
                text.set_text(tr("{cost} (for comparison)", cost=cost_name(name)))
            else:
                text.set_text(cost_name(name))
            handle.set_color(COST_COLORS[name])

        self.cost_line.set_data(t, run.cost_values)
        self.cost_line.set_color(COST_COLORS[cost])
        self.cost_title.set_text(cost_title(cost))
        top = float(run.cost_values.max())
        self.axes[1].set_ylim(-0.03 * top, 1.05 * top)

        self.error.set_data(t, np.abs(run.error))
        self.slope.set_data(t, run.slope)
        self.product.set_data(t, np.abs(run.error) * run.slope)
        for ax in self.axes:
            ax.set_xlim(0, epochs)
        self.heading.set_text(
            tr(
                "{cost} cost, learning rate {lr:.2f}, start (w, b) = ({w:.1f}, {b:.1f})",
                cost=cost_name(cost),
                lr=lr,
                w=w,
                b=b,
            )
        )

        dC_dw = run.dC_dw[0]
        if cost == "quadratic":
            factors = f"(a - y) σ'(z) x = {run.error[0]:.4f} × {run.slope[0]:.4f} × {run.x:g}"
        else:
            factors = f"(a - y) x = {run.error[0]:.4f} × {run.x:g}"
        return tr(
            "a: {start:.4f} -> {end:.4f} in {epochs} epochs ({other}: {other_end:.4f}) | "
            "first dC/dw = {factors} = {dC_dw:.4f}",
            start=run.a[0],
            end=run.a[-1],
            epochs=epochs,
            other=cost_name(other),
            other_end=ghost.a[-1],
            factors=factors,
            dC_dw=dC_dw,
        )
