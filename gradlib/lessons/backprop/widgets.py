"""Notebook 03, the widget: the decision boundary at a chosen training step."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from gradlib.engine import Tensor, no_grad, tensor
from gradlib.lessons.backprop.figures import boundary_lines, draw_boundary
from gradlib.lessons.backprop.maths import BoundarySnapshots
from gradlib.plotting import PALETTE, widget_figure
from gradlib.widgets import IntSlider, Widget

# The notebook trains for TRAINING_STEPS steps and records the boundary every RECORD_EVERY.
TRAINING_STEPS = 300
RECORD_EVERY = 10


class TrainingStep(Widget):
    """The decision boundary at a recorded training step of one ``BoundarySnapshots``: the
    class-1 probability (orange = class 1, blue = class 0, black line = the boundary
    P = 0.5) with the data, and in the corner the loss curve with this step marked."""

    controls = {"step": IntSlider(60, 0, TRAINING_STEPS, step=RECORD_EVERY, label="step")}
    moved = {"step": 240}

    def __init__(self, snapshots: BoundarySnapshots) -> None:
        super().__init__()
        self.snapshots = snapshots

    @classmethod
    def example(cls) -> TrainingStep:
        """The notebook's run: a 2-16-2 ReLU MLP trained 300 steps on the moons at lr 0.5."""
        from gradlib import functional as F
        from gradlib.data import make_moons

        X, y = make_moons(n_samples=200, noise=0.1, seed=0)
        rng = np.random.default_rng(0)
        weights = [
            tensor(a, requires_grad=True)
            for a in (
                rng.standard_normal((2, 16)) * np.sqrt(2 / 2),
                np.zeros(16),
                rng.standard_normal((16, 2)) * np.sqrt(2 / 16),
                np.zeros(2),
            )
        ]

        def mlp(points: Any) -> Tensor:
            W1, b1, W2, b2 = weights
            return F.relu(tensor(points) @ W1 + b1) @ W2 + b2

        snapshots = BoundarySnapshots(X, y)
        for step in range(TRAINING_STEPS + 1):
            loss = F.cross_entropy(mlp(X), y)
            if step % RECORD_EVERY == 0:
                snapshots.record(step, loss.item(), mlp)
            for p in weights:
                p.grad = None
            loss.backward()
            with no_grad():
                for p in weights:
                    p -= 0.5 * p.grad
        return cls(snapshots)

    def build(self) -> Figure:
        fig, ax = widget_figure(
            width=6.2,
            height=3.8,
            margins={"left": 0.1, "right": 0.97, "bottom": 0.145, "top": 0.91},
        )
        self.image, self.boundary = draw_boundary(ax, self.snapshots, self.snapshots.snapshots[0])
        # an explicit title height skips matplotlib's measuring of the tick labels beneath it
        self.title = ax.set_title("", y=1.01)
        ax.legend(loc="lower left", fontsize=11)
        # The loss curve as a small inset: two y ticks give its range, and the x label the
        # steps' (tick labels are most of a redraw's cost, so no more than that).
        inset = ax.inset_axes((0.71, 0.7, 0.27, 0.26))
        (self.loss_curve,) = inset.plot([], [], color=PALETTE["vermillion"])
        (self.marker,) = inset.plot([], [], "o", color=PALETTE["black"], markersize=6)
        inset.tick_params(labelsize=9, length=2, pad=1)
        inset.set_xticks([])
        inset.grid(False)
        self.inset_xlabel = inset.set_xlabel("", fontsize=10, labelpad=2)
        inset.set_ylabel("loss", fontsize=10, labelpad=0)
        self.inset = inset
        return fig

    def update(self, step: int) -> str:
        snap = self.snapshots.at(step)
        self.image.set_data(snap.probability)
        self.boundary.set_segments(boundary_lines(self.snapshots, snap.probability))
        self.title.set_text(
            f"Step {snap.step}: loss {snap.loss:.3f}, accuracy {100 * snap.accuracy:.1f}%"
        )
        # Every update: more steps may have been recorded since the figure was built.
        steps, losses = self.snapshots.steps, [s.loss for s in self.snapshots.snapshots]
        self.loss_curve.set_data(steps, losses)
        self.marker.set_data([snap.step], [snap.loss])
        first, last, top = steps[0], steps[-1], max(losses)
        pad = 0.06 * max(last - first, 1)  # room for the marker at either end
        self.inset.set_xlim(first - pad, last + pad)
        self.inset.set_ylim(0.0, 1.12 * top)
        self.inset.set_yticks([0.0, top], labels=["0", f"{top:.2f}"])
        self.inset_xlabel.set_text(f"step {first} to {last}")
        return (
            f"step {snap.step}: loss {snap.loss:.3f}, training accuracy {100 * snap.accuracy:.1f}%"
        )
