"""Notebook 03, the widget: train the MLP yourself, with a learning rate and a width you choose,
and look at its decision boundary at any step."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.activations import softmax_array
from gradlib.lessons.backprop.figures import boundary_lines, draw_boundary
from gradlib.lessons.backprop.maths import (
    BoundarySnapshots,
    Snapshot,
    TrainingRun,
    dead_units,
    mlp_logits,
    train_mlp,
)
from gradlib.plotting import PALETTE, widget_figure
from gradlib.widgets import IntSlider, LogSlider, Widget

# The notebook trains for TRAINING_STEPS steps and records the boundary every RECORD_EVERY.
TRAINING_STEPS = 300
RECORD_EVERY = 10


class TrainingStep(Widget):
    """The MLP relu(X W1 + b1) W2 + b2 trained on the moons by full-batch gradient descent
    (``train_mlp``: the numpy backward pass of section 3) with the chosen learning rate and
    number of hidden units, from He-initialised weights (seed 0). The figure shows, at the
    chosen step, the class-1 probability (orange = class 1, blue = class 0, black line = the
    boundary P = 0.5) with the data, and in the corner the loss every 10 steps with this
    step marked. A new learning rate or width trains again (about 10-30 ms); a new step only
    redraws."""

    controls = {
        "step": IntSlider(60, 0, TRAINING_STEPS, step=RECORD_EVERY, label="step"),
        # powers of 2 from 1/32 to 11.3, so that 0.5 (the notebook's rate) is on the scale
        "lr": LogSlider(0.5, -5, 3.5, step=0.5, label="learning rate", base=2.0),
        "hidden": IntSlider(16, 1, 32, label="hidden units"),
    }
    moved = {"step": 240, "lr": 8.0, "hidden": 2}

    CACHED_RUNS = 16  # runs kept, so that going back to a setting does not train again

    def __init__(self, X: np.ndarray, target: np.ndarray) -> None:
        super().__init__()
        # The grid, the data and the drawing helpers of the snapshots; no snapshot is recorded.
        self.grid = BoundarySnapshots(X, target)
        self.X, self.target = X, target
        self.runs: dict[tuple[int, float], TrainingRun] = {}

    @classmethod
    def example(cls) -> TrainingStep:
        """The notebook's data: 200 points of the two moons (noise 0.1, seed 0)."""
        from gradlib.data import make_moons

        X, target = make_moons(n_samples=200, noise=0.1, seed=0)
        return cls(X, target)

    def run(self, hidden: int, lr: float) -> TrainingRun:
        """The training run for these settings, trained on first use."""
        key = (int(hidden), float(lr))
        if key not in self.runs:
            if len(self.runs) >= self.CACHED_RUNS:
                self.runs.pop(next(iter(self.runs)))  # the oldest
            self.runs[key] = train_mlp(
                self.X, self.target, int(hidden), float(lr), TRAINING_STEPS, RECORD_EVERY
            )
        return self.runs[key]

    def snapshot(self, hidden: int, lr: float, step: int) -> tuple[Snapshot, int]:
        """The boundary, loss and accuracy at ``step``, and the number of dead hidden units."""
        run = self.run(hidden, lr)
        weights = run.weights_at(step)
        with np.errstate(all="ignore"):
            grid_logits = mlp_logits(self.grid.grid, weights)
            data_logits = mlp_logits(self.X, weights)
            probability = softmax_array(grid_logits, axis=1)[:, 1]
        shape = (len(self.grid.ys), len(self.grid.xs))
        accuracy = float(np.mean(data_logits.argmax(axis=1) == self.target))
        snap = Snapshot(int(step), run.loss_at(step), accuracy, probability.reshape(shape))
        return snap, dead_units(self.X, weights)

    def build(self) -> Figure:
        fig, ax = widget_figure(
            width=6.2,
            height=3.8,
            margins={"left": 0.1, "right": 0.97, "bottom": 0.145, "top": 0.91},
        )
        first, _ = self.snapshot(hidden=16, lr=0.5, step=0)  # any snapshot: update() replaces it
        self.image, self.boundary = draw_boundary(ax, self.grid, first)
        # an explicit title height skips matplotlib's measuring of the tick labels beneath it
        self.title = ax.set_title("", y=1.01)
        ax.legend(loc="lower left", fontsize=11)
        # The loss curve as a small inset: two y ticks give its range, and the x label the
        # steps' (tick labels are most of a redraw's cost, so no more than that).
        inset = ax.inset_axes((0.71, 0.7, 0.27, 0.26))
        steps = np.arange(0, TRAINING_STEPS + 1, RECORD_EVERY)
        (self.loss_curve,) = inset.plot(steps, np.zeros(len(steps)), color=PALETTE["vermillion"])
        (self.marker,) = inset.plot([], [], "o", color=PALETTE["black"], markersize=6)
        inset.tick_params(labelsize=9, length=2, pad=1)
        inset.set_xticks([])
        inset.grid(False)
        pad = 0.06 * TRAINING_STEPS  # room for the marker at either end
        inset.set_xlim(-pad, TRAINING_STEPS + pad)
        inset.set_xlabel(f"step 0 to {TRAINING_STEPS}", fontsize=10, labelpad=2)
        inset.set_ylabel("loss", fontsize=10, labelpad=0)
        self.inset = inset
        return fig

    def update(self, step: int, lr: float, hidden: int) -> str:
        snap, dead = self.snapshot(hidden, lr, step)
        run = self.run(hidden, lr)
        self.image.set_data(snap.probability)
        finite = bool(np.all(np.isfinite(snap.probability)))
        self.boundary.set_segments(boundary_lines(self.grid, snap.probability) if finite else [])
        loss = f"loss {snap.loss:.3f}" if np.isfinite(snap.loss) else "loss overflowed"
        # a short title: every glyph is drawn again on every update
        self.title.set_text(f"Step {snap.step}: {loss}, accuracy {100 * snap.accuracy:.1f}%")
        losses = np.where(np.isfinite(run.losses), run.losses, np.nan)
        self.loss_curve.set_ydata(losses)
        self.marker.set_data([snap.step], [snap.loss if np.isfinite(snap.loss) else np.nan])
        top = float(np.nanmax(losses)) if np.any(np.isfinite(losses)) else 1.0
        self.inset.set_ylim(0.0, 1.12 * top)
        self.inset.set_yticks([0.0, top], labels=["0", f"{top:.2f}"])
        return (
            f"learning rate {lr:.3g}, {hidden} hidden units, step {snap.step}: {loss}, "
            f"training accuracy {100 * snap.accuracy:.1f}%, {dead} of {hidden} hidden units dead"
        )
