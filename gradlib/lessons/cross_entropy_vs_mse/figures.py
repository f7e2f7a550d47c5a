"""Notebook 07, the static figures. Each function draws one figure and returns it.

Colours: the quadratic cost is always vermillion, cross-entropy always blue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gradlib.activations import stable_sigmoid
from gradlib.language import tr
from gradlib.lessons.cross_entropy_vs_mse.experiment import (
    EPOCHS,
    TARGET_ACCURACY,
    DigitsSweep,
)
from gradlib.lessons.cross_entropy_vs_mse.maths import (
    COSTS,
    NIELSEN_EPOCHS,
    NIELSEN_LR,
    NIELSEN_STARTS,
    ReliabilityBins,
    cost_name,
    cost_title,
    logit_gradient_formula,
    neuron_run,
    push_scenarios,
)
from gradlib.plotting import PALETTE, new_figure

__all__ = [
    "COST_COLORS",
    "plot_convexity_slices",
    "plot_epochs_to_target",
    "plot_learning_curves",
    "plot_nielsen_runs",
    "plot_push",
    "plot_reliability",
]

COST_COLORS = {"quadratic": PALETTE["vermillion"], "cross-entropy": PALETTE["blue"]}
START_STYLES = (("-", PALETTE["orange"]), ("--", PALETTE["black"]))


def start_title(start: str) -> str:
    """A start's name at the start of a title ("Default start", "Confidently wrong start")."""
    return {
        "default": tr("Default start"),
        "confidently wrong": tr("Confidently wrong start"),
    }[start]


def plot_nielsen_runs(lr: float = NIELSEN_LR, epochs: int = NIELSEN_EPOCHS):
    """The output a over the epochs from both of Nielsen's starts, one panel per cost."""
    fig, axes = new_figure(ncols=2, width=11.0, height=4.0, sharey=True)
    t = np.arange(epochs + 1)
    for ax, cost in zip(axes, COSTS):
        for (w, b), (style, color) in zip(NIELSEN_STARTS, START_STYLES):
            run = neuron_run(w, b, lr, cost, epochs)
            label = tr("start (w, b) = ({w}, {b})", w=w, b=b)
            ax.plot(t, run.a, style, color=color, linewidth=2.5, label=label)
        ax.axhline(0.0, color=PALETTE["black"], linewidth=0.8)
        title = tr("{cost}, learning rate {lr}", cost=cost_title(cost), lr=lr)
        ax.set_title(title, color=COST_COLORS[cost])
        ax.set_xlabel(tr("epoch"))
        ax.set_xlim(0, epochs)
    axes[0].set_ylabel(tr("output a (target y = 0)"))
    axes[0].set_ylim(-0.03, 1.03)
    axes[1].legend(loc="upper right", fontsize=11)
    fig.tight_layout()
    return fig


def plot_push(classes: int = 10):
    """How hard each cost pushes the logits, against how wrong the prediction is.

    Left, one sigmoid neuron with target 0: |dC/dz| against z. Right, a softmax over
    ``classes``: the length of dC/dz against the probability of the true class.
    """
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    z = np.linspace(-6, 6, 241)
    a = stable_sigmoid(z)
    quadratic_label = tr("{cost}: a σ'(z)", cost=cost_name("quadratic"))
    left.plot(z, a * a * (1 - a), color=COST_COLORS["quadratic"], label=quadratic_label)
    left.plot(z, a, color=COST_COLORS["cross-entropy"], label=f"{cost_name('cross-entropy')}: a")
    left.axvspan(0, 6, color=PALETTE["black"], alpha=0.06)
    left.text(3.0, 0.55, tr("a > 0.5: wrong"), ha="center", fontsize=11)
    left.set_xlabel("z = w x + b")
    left.set_ylabel(tr("|dC/dz| (target y = 0)"))
    left.set_title(tr("One sigmoid neuron"))
    left.legend(loc="upper left", fontsize=10)

    p_true = np.linspace(0.001, 0.999, 300)
    labels = np.zeros(p_true.size, dtype=np.int64)
    for (name, logits), style in zip(push_scenarios(p_true, classes).items(), ("-", ":")):
        for cost in COSTS:
            grad = logit_gradient_formula(logits, labels, cost) * len(labels)  # one sample each
            right.plot(
                p_true,
                np.linalg.norm(grad, axis=1),
                style,
                color=COST_COLORS[cost],
                label=tr("{cost}, rest {rest}", cost=cost_name(cost), rest=name),
            )
    right.set_xlabel(tr("probability of the true class p_y"))
    right.set_ylabel(tr("length of dC/dz"))
    right.set_title(tr("Softmax over {classes} classes", classes=classes))
    right.legend(loc="upper right", fontsize=9)
    fig.tight_layout()
    return fig


def plot_epochs_to_target(sweep: DigitsSweep):
    """Median epochs to the target accuracy against the learning rate (bars: the fastest
    and slowest seed), one panel per start; runs that never get there sit on the top line."""
    fig, axes = new_figure(ncols=len(sweep.starts), width=11.0, height=4.2, sharey=True)
    ceiling = EPOCHS + 1.0
    offsets = {"quadratic": 1.08, "cross-entropy": 1 / 1.08}  # side by side on a log axis
    for ax, start in zip(np.atleast_1d(axes), sweep.starts):
        for cost in COSTS:
            lrs = np.array(sweep.learning_rates) * offsets[cost]
            epochs = [
                np.minimum(sweep.epochs_to(start, cost, lr), ceiling) for lr in sweep.learning_rates
            ]
            median = np.array([np.median(e) for e in epochs])
            low = median - np.array([e.min() for e in epochs])
            high = np.array([e.max() for e in epochs]) - median
            ax.errorbar(
                lrs,
                median,
                yerr=[low, high],
                fmt="o-",
                color=COST_COLORS[cost],
                capsize=4,
                markersize=7,
                label=cost_name(cost),
            )
        ax.axhline(ceiling, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        ax.set_xscale("log")
        ax.set_xticks(sweep.learning_rates, [f"{lr:g}" for lr in sweep.learning_rates])
        ax.minorticks_off()
        ax.set_xlabel(tr("learning rate"))
        ax.set_title(start_title(start))
    first, last = np.atleast_1d(axes)[0], np.atleast_1d(axes)[-1]
    ticks = list(range(0, EPOCHS - 1, 2))  # 0 .. 8: the "> 10" line would crowd a 10
    first.set_yticks([*ticks, ceiling], [*map(str, ticks), f"> {EPOCHS}"])
    first.set_ylabel(tr("epochs to {target:.0%} test accuracy", target=TARGET_ACCURACY))
    first.set_ylim(0, ceiling + 0.6)
    last.legend(loc="center right", fontsize=11)
    fig.tight_layout()
    return fig


def plot_learning_curves(
    sweep: DigitsSweep, panels: Sequence[tuple[str, str, Mapping[str, float]]]
):
    """Test accuracy against epochs: the mean over seeds and the band from the lowest to the
    highest seed. ``panels``: (title, start, {cost: learning rate}) per panel; the learning
    rates are added to each title."""
    fig, axes = new_figure(ncols=len(panels), width=11.5, height=4.0, sharey=True)
    for ax, (title, start, rates) in zip(np.atleast_1d(axes), panels):
        for cost, lr in rates.items():
            epochs, curves = sweep.accuracy_curves(start, cost, lr)
            color = COST_COLORS[cost]
            ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), color=color, alpha=0.2)
            ax.plot(epochs, curves.mean(axis=0), color=color, label=cost_name(cost))
        ax.axhline(TARGET_ACCURACY, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        quadratic, cross = (rates[cost] for cost in COSTS)
        if quadratic == cross:
            rate_text = tr("both at learning rate {lr:g}", lr=quadratic)
        else:
            rate_text = tr(
                "{quadratic} at {quadratic_lr:g}, {cross} at {cross_lr:g}",
                quadratic=cost_name("quadratic"),
                quadratic_lr=quadratic,
                cross=cost_name("cross-entropy"),
                cross_lr=cross,
            )
        ax.set_title(f"{title}\n{rate_text}", fontsize=12)
        ax.set_xlabel(tr("epoch"))
        ax.set_xlim(0, EPOCHS)
    first = np.atleast_1d(axes)[0]
    first.set_ylabel(tr("test accuracy"))
    first.set_ylim(0, 1)
    first.legend(loc="lower right", fontsize=11)
    fig.tight_layout()
    return fig


def plot_convexity_slices(
    neuron: tuple[np.ndarray, Mapping[str, np.ndarray]],
    linear: tuple[np.ndarray, Mapping[str, np.ndarray]],
    network: tuple[np.ndarray, np.ndarray],
):
    """Three slices through parameter space: one neuron's cost against w, softmax
    regression along a random line, and the network on the line between two trained
    networks (t = 0 and t = 1) with the chord a convex cost would stay below.

    ``neuron`` and ``linear`` are (positions, {cost: costs}); ``network`` is (t, costs).
    """
    from matplotlib.ticker import MaxNLocator

    fig, axes = new_figure(ncols=3, width=11.5, height=4.1)
    for ax, (x, costs), title, xlabel in (
        (axes[0], neuron, tr("One neuron (b = 0, y = 0)"), tr("weight w")),
        (axes[1], linear, tr("Softmax regression, random line"), tr("position t on the line")),
    ):
        twin = ax.twinx()
        for target, cost in ((twin, "quadratic"), (ax, "cross-entropy")):
            target.plot(x, costs[cost], color=COST_COLORS[cost], linewidth=2.5)
            target.set_ylabel(tr("{cost} cost", cost=cost_name(cost)), color=COST_COLORS[cost])
            target.tick_params(axis="y", colors=COST_COLORS[cost])
            target.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        ax.set_title(title, fontsize=12)
        ax.set_xlabel(xlabel)
    t, costs = network
    right = axes[2]
    right.plot(
        t, costs, color=COST_COLORS["cross-entropy"], linewidth=2.5, label=tr("cost on the line")
    )
    ends = np.interp([0.0, 1.0], t, costs)
    right.plot([0, 1], ends, "--", color=PALETTE["black"], linewidth=1.5, label=tr("chord"))
    right.plot([0, 1], ends, "o", color=PALETTE["black"])
    right.set_title(tr("The 64-32-10 network"), fontsize=12)
    right.set_xlabel(tr("t (0: seed 0, 1: seed 1)"))
    right.set_ylabel(tr("{cost} cost", cost=cost_name("cross-entropy")))
    right.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig


def plot_reliability(bins: Mapping[str, ReliabilityBins], min_count: int = 10):
    """Reliability diagram (left: accuracy against confidence in each bin that holds at
    least ``min_count`` predictions, the diagonal is perfect calibration) and how many
    predictions fall in each bin (right)."""
    fig, (left, right) = new_figure(ncols=2, width=11.0, height=4.2)
    left.plot([0, 1], [0, 1], ":", color=PALETTE["black"], linewidth=1.5, label=tr("calibrated"))
    width = 0.4 * np.diff(next(iter(bins.values())).edges)
    for k, (cost, b) in enumerate(bins.items()):
        name = cost_name(cost)
        used = b.counts >= min_count  # a bin of 1 or 2 predictions says little
        left.plot(
            b.confidence[used],
            b.accuracy[used],
            "o-",
            color=COST_COLORS[cost],
            markersize=6,
            label=tr("{cost} (ECE {ece:.3f})", cost=name, ece=b.expected_calibration_error),
        )
        centres = 0.5 * (b.edges[:-1] + b.edges[1:])
        right.bar(
            centres + (k - 0.5) * width,
            b.counts,
            width=width,
            color=COST_COLORS[cost],
            label=name,
        )
    left.set_xlim(0.0, 1.02)
    left.set_ylim(-0.02, 1.02)
    left.set_xlabel(tr("confidence (largest predicted probability)"))
    left.set_ylabel(tr("accuracy in the bin"))
    left.set_title(tr("Reliability (bins of {count}+ predictions)", count=min_count))
    left.legend(loc="upper left", fontsize=10)
    right.set_yscale("log")
    right.set_xlabel(tr("confidence bin"))
    right.set_ylabel(tr("test predictions (log scale)"))
    right.set_title(tr("Predictions per bin"))
    right.legend(loc="upper left", fontsize=10)
    fig.tight_layout()
    return fig
