"""Notebook 05, the static figures: each takes what ``maths`` or ``remedies`` computed and
returns a matplotlib figure (the notebook cell ends with ``plt.show()``)."""

from __future__ import annotations

import numpy as np

from gradlib.language import tr
from gradlib.lessons.gradient_flow.maths import (
    JacobianProduct,
    LayerStatistics,
    NielsenTraining,
)
from gradlib.lessons.gradient_flow.remedies import ARCHITECTURES, TrainingRun
from gradlib.plotting import COLORS, PALETTE, new_figure, plain_log_ticks

__all__ = [
    "plot_activation_histograms",
    "plot_backprop_histograms",
    "plot_clipping_runs",
    "plot_depth_profiles",
    "plot_jacobian_norms",
    "plot_nielsen_training",
    "plot_sigmoid_chain",
]


# The names the notebook gives its runs and architectures (dict keys, so English in both
# editions' code): a legend shows them translated. Any other name is shown as it is.
LEGEND_NAMES = (
    "no clipping",
    "clipped by norm (1)",
    "clipped by value (0.004)",  # the notebook's f"clipped by value ({CLIP_VALUE})"
    *ARCHITECTURES,
)


def _label(name: str) -> str:
    """A legend entry: one of ``LEGEND_NAMES`` in the learner's language, else ``name``."""
    return tr(name) if name in LEGEND_NAMES else name


def plot_sigmoid_chain(chains: dict[float, np.ndarray]):
    """|dh_L/dh_0| against L for each weight w (dots, from backward) and (w/4)**L (dashed)."""
    fig, ax = new_figure(width=7.5, height=3.7)
    for color, (w, grads) in zip(COLORS, chains.items()):
        lengths = np.arange(1, len(grads) + 1)
        ax.semilogy(lengths, (w / 4) ** lengths, "--", color=color, linewidth=1.2)
        ax.semilogy(lengths, grads, "o", color=color, markersize=4, label=f"w = {w:g}")
    ax.plot([], [], "--", color=PALETTE["black"], linewidth=1.2, label="(w/4)^L")
    ax.set_xlabel(tr("chain length L (layers)"))
    ax.set_ylabel("|dh_L / dh_0|")
    ax.set_title(tr("A chain of sigmoid units held at z = 0"))
    ax.legend(ncols=2, fontsize=10, loc="lower left")
    plain_log_ticks(ax, "y", numticks=8)
    fig.tight_layout()
    return fig


def plot_jacobian_norms(products: list[JacobianProduct]):
    """||J_l ... J_1|| against l, one line per (activation, initialisation)."""
    fig, ax = new_figure(width=7.5, height=3.9)
    styles = ["-", "--", "-.", ":", "-", "--"]
    for color, style, product in zip(COLORS, styles, products):
        layers = np.arange(1, len(product.norms) + 1)
        label = tr(
            "{activation}, {init} ({growth:.2f} per layer)",
            activation=product.activation,
            init=tr(product.init),
            growth=product.per_layer,
        )
        ax.semilogy(layers, product.norms, style, color=color, label=label)
    ax.axhline(1.0, color=PALETTE["black"], linewidth=0.8)
    ax.set_xlabel(tr("number of layers l"))
    ax.set_ylabel(tr("||J_l ... J_1|| (largest stretch)"))
    ax.set_title(tr("How much l layers can stretch a gradient"))
    ax.legend(fontsize=9, loc="lower left", ncols=2)
    plain_log_ticks(ax, "y", numticks=8)
    fig.tight_layout()
    return fig


def plot_nielsen_training(training: NielsenTraining):
    """Each hidden layer's ||dC/db_l|| over the epochs (Nielsen's "speed of learning")."""
    fig, ax = new_figure(width=7.5, height=3.7)
    epochs = np.arange(len(training.bias_grad))
    for layer in range(training.bias_grad.shape[1]):
        label = tr("hidden layer {layer}", layer=layer + 1)
        ax.semilogy(epochs, training.bias_grad[:, layer], color=COLORS[layer], label=label)
    ax.set_xlabel(tr("epoch"))
    ax.set_ylabel(tr("||dC/db_l|| (1,000 digits)"))
    ax.set_title(tr("Speed of learning of each layer, 4 hidden layers of sigmoids"))
    ax.legend(fontsize=10, loc="upper right", ncols=2)
    plain_log_ticks(ax, "y")
    fig.tight_layout()
    return fig


def plot_backprop_histograms(stats: list[LayerStatistics]):
    """Glorot & Bengio's Fig. 7: histograms of dL/dz_l per hidden layer, one panel per init."""
    fig, axes = new_figure(ncols=len(stats), width=11.0, height=3.7, sharey=True)
    limit = 3 * max(s.backprop_std.max() for s in stats)
    edges = np.linspace(-limit, limit, 61)
    for ax, stat in zip(np.atleast_1d(axes), stats):
        for layer, sample in enumerate(stat.backprop_samples):
            counts, _ = np.histogram(np.clip(sample, -limit, limit), edges)
            centres = (edges[:-1] + edges[1:]) / 2
            share = counts / counts.sum()
            ax.plot(
                centres * 1e4,
                share,
                color=COLORS[layer],
                label=tr("layer {layer}", layer=layer + 1),
            )
        ax.set_title(tr("{init} initialisation", init=tr(stat.init)))
        ax.set_xlabel(tr("back-propagated gradient dL/dz (x 1e-4)"))
    np.atleast_1d(axes)[0].set_ylabel(tr("share of the layer's units"))
    np.atleast_1d(axes)[0].legend(fontsize=10)
    fig.tight_layout()
    return fig


def plot_activation_histograms(stats: list[LayerStatistics]):
    """Glorot & Bengio's Fig. 6: histograms of the tanh outputs per layer, one panel per init."""
    fig, axes = new_figure(ncols=len(stats), width=11.0, height=3.1, sharey=True)
    for ax, stat in zip(np.atleast_1d(axes), stats):
        shares = stat.activation_histograms
        centres = np.linspace(-1, 1, shares.shape[1] + 1)
        centres = (centres[:-1] + centres[1:]) / 2
        for layer, share in enumerate(shares):
            ax.plot(centres, share, color=COLORS[layer], label=tr("layer {layer}", layer=layer + 1))
        ax.set_title(tr("tanh, {init} initialisation", init=tr(stat.init)))
        ax.set_xlabel(tr("activation tanh(z)"))
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 1)
    np.atleast_1d(axes)[0].set_ylabel(tr("share of the layer's outputs"))
    np.atleast_1d(axes)[0].legend(fontsize=10, loc="upper left")
    for ax in np.atleast_1d(axes):
        plain_log_ticks(ax, "y")
    fig.tight_layout()
    return fig


def plot_clipping_runs(runs: dict[str, TrainingRun], top: float = 1e4):
    """Training loss per step of the exploding network, with and without clipping.

    The axis stops at ``top``: a run that explodes leaves it, and a label at the top edge
    says how large its loss got before it became nan.
    """
    fig, ax = new_figure(width=7.5, height=3.7)
    for color, (label, run) in zip(COLORS, runs.items()):
        steps = np.arange(len(run.losses))
        finite = np.isfinite(run.losses)
        ax.semilogy(steps[finite], run.losses[finite], color=color, label=_label(label))
        if run.blew_up_at is not None:
            last = int(steps[finite][-1])
            ax.plot(last, top, "X", color=color, markersize=11, clip_on=False)
            exponent = int(np.floor(np.log10(run.losses[last])))
            ax.annotate(
                tr(
                    "loss {mantissa:.0f}e{exponent} at step {last}, nan at step {nan}",
                    mantissa=run.losses[last] / 10.0**exponent,
                    exponent=exponent,
                    last=last,
                    nan=run.blew_up_at,
                ),
                (last, top),
                textcoords="offset points",
                xytext=(10, -14),
                fontsize=10,
                color=color,
            )
    ax.set_ylim(0.05, top)
    ax.set_xlabel(tr("step"))
    ax.set_ylabel(tr("training loss (log scale)"))
    ax.set_title(tr("An exploding network, with and without clipping"))
    ax.legend(fontsize=10, loc="upper right")
    plain_log_ticks(ax, "y")
    fig.tight_layout()
    return fig


def plot_depth_profiles(profiles: dict[str, np.ndarray], title: str):
    """||dL/dh_l|| against the layer l for several architectures of one depth."""
    fig, ax = new_figure(width=7.5, height=3.8)
    styles = ["-", "--", "-.", ":", "-", "--"]
    for color, style, (label, norms) in zip(COLORS, styles, profiles.items()):
        ax.semilogy(np.arange(1, len(norms) + 1), norms, style, color=color, label=_label(label))
    ax.set_xlabel(tr("hidden layer l (1 = next to the input)"))
    ax.set_ylabel("||dL/dh_l||")
    ax.set_title(title)
    ax.legend(fontsize=9, ncols=2, loc="best")
    plain_log_ticks(ax, "y", numticks=8)
    fig.tight_layout()
    return fig
