"""Notebook 08, the widget: the margin lab.

``MarginLab`` browses networks trained in the notebook's own run (``Runs``), one per loss
and margin: the training digits' 2-D features, the decision boundaries, the margin zones
where no class wins by its margin yet, and the class-angle table.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.margin_softmax.figures import (
    CLASS_COLOURS,
    draw_features,
    feature_limit,
    rays,
)
from gradlib.lessons.margin_softmax.maths import (
    AM_SCALES,
    CLASSES,
    MARGIN_LEVELS,
    LossSetting,
    Runs,
    boundary_angles,
    margin_winner,
    widget_settings,
)
from gradlib.plotting import cjk_font, widget_figure
from gradlib.widgets import Dropdown, IntSlider, Widget

__all__ = ["LAB_LOSSES", "MarginLab", "lab_setting"]

LAB_LOSSES = ("softmax", "L-Softmax", "SM-Softmax", *(f"AM-Softmax s={s:g}" for s in AM_SCALES))
MAP_SIZE = 241  # the margin map is computed on a MAP_SIZE x MAP_SIZE grid


def lab_setting(loss: str, level: int) -> LossSetting:
    """The setting the lab shows for a loss of ``LAB_LOSSES`` at margin level 0..3."""
    if loss == "softmax":
        return LossSetting("softmax")
    name, _, scale = loss.partition(" s=")
    margin = MARGIN_LEVELS[name][level]
    return LossSetting(name, margin, float(scale) if scale else 0.0)


def _pale(colour: str, amount: float = 0.28) -> np.ndarray:
    """``colour`` mixed with white: ``amount`` of the colour (RGBA)."""
    from matplotlib.colors import to_rgba

    rgba = np.array(to_rgba(colour))
    rgba[:3] = 1 - amount * (1 - rgba[:3])
    return rgba


# Class c's region is its pale colour; the margin zone (no winner, index -1) is white.
_REGION_COLOURS = np.array([*(_pale(c) for c in CLASS_COLOURS), (1.0, 1.0, 1.0, 1.0)])


class MarginLab(Widget):
    """The 2-D features of one trained run (seed 0): coloured by class, over the regions
    where each class wins by its margin (pale colours; white where no class does yet), with
    the decision boundaries (black rays); beside them, each class's direction, angular
    spread and angle to the nearest class."""

    controls = {
        "loss": Dropdown(LAB_LOSSES, "L-Softmax", label="loss"),
        "level": IntSlider(2, 0, 3, label="margin level"),
    }
    moved = {"loss": "AM-Softmax s=10", "level": 3}

    def __init__(self, runs: Runs, seed: int = 0) -> None:
        super().__init__()
        self.runs, self.seed = runs, seed
        self._maps: dict[LossSetting, np.ndarray] = {}

    @classmethod
    def example(cls) -> MarginLab:
        """The notebook's grid: every setting the lab can show, trained for seed 0 (about
        four seconds)."""
        return cls(Runs().train_all(widget_settings(), seeds=(0,)))

    def build(self) -> Figure:
        fig, (ax, table) = widget_figure(
            ncols=2,
            width=10.0,
            height=3.8,
            gridspec_kw={"width_ratios": [1.0, 1.05]},
            margins={"left": 0.05, "right": 0.99, "bottom": 0.08, "top": 0.9, "wspace": 0.08},
        )
        first = self.runs.get(lab_setting(**self.defaults()), self.seed)
        self.region = ax.imshow(
            np.zeros((MAP_SIZE, MAP_SIZE, 4)), origin="lower", interpolation="nearest", zorder=0
        )
        self.artists = draw_features(ax, first, size=4.0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(tr("feature x₁"))
        ax.set_ylabel(tr("feature x₂"))
        self.title = ax.set_title("", y=1.0, fontsize=12)
        table.axis("off")
        cjk = cjk_font()  # Chinese headers: DejaVu Sans Mono has no Chinese glyphs
        self.table = table.text(
            0.0, 0.98, "", family=["monospace", cjk] if cjk else "monospace", fontsize=12,
            va="top", ha="left", transform=table.transAxes,
        )  # fmt: skip
        self.ax = ax
        return fig

    def _margin_map(self, setting: LossSetting, limit: float) -> np.ndarray:
        """The winning class (or -1) on the view's grid, computed once per setting."""
        if setting not in self._maps:
            run = self.runs.get(setting, self.seed)
            axis = np.linspace(-limit, limit, MAP_SIZE)
            gx, gy = np.meshgrid(axis, axis)
            points = np.column_stack([gx.ravel(), gy.ravel()])
            winners = margin_winner(setting, run.weight, points)
            self._maps[setting] = winners.reshape(MAP_SIZE, MAP_SIZE)
        return self._maps[setting]

    def update(self, loss: str, level: int) -> str:
        setting = lab_setting(loss, level)
        run = self.runs.get(setting, self.seed)
        train, test = run.geometry("train"), run.geometry("test")
        features, y_train = run.features("train")
        limit = feature_limit(features)

        for c, points in enumerate(self.artists["points"]):
            points.set_offsets(features[y_train == c])
        self.artists["boundaries"].set_segments(rays(boundary_angles(setting, run.weight), limit))
        for c, text in enumerate(self.artists["digits"]):
            angle = np.radians(train.directions[c])
            text.set_position((0.87 * limit * np.cos(angle), 0.87 * limit * np.sin(angle)))
        winners = self._margin_map(setting, limit)
        self.region.set_data(_REGION_COLOURS[winners])
        self.region.set_extent((-limit, limit, -limit, limit))
        self.ax.set_xlim(-limit, limit)
        self.ax.set_ylim(-limit, limit)

        in_zone = float(np.mean(margin_winner(setting, run.weight, features) == -1))
        plain_softmax = setting.name == "softmax"
        note = tr(" (= softmax)") if setting.is_softmax and not plain_softmax else ""
        self.title.set_text(
            tr(
                "{label}{note}: training digits, seed {seed}",
                label=setting.label,
                note=note,
                seed=self.seed,
            )
        )
        self.table.set_text(self._table(train, in_zone))
        unused = tr("; softmax has no margin level") if plain_softmax else ""
        return tr(
            "{label}: spread {spread:.1f} deg, gap {gap:.1f} deg, accuracy {accuracy:.1f}% "
            "(test {test:.1f}%), {zone:.0f}% in a margin zone{unused}",
            label=setting.label,
            spread=train.spread,
            gap=train.smallest_gap,
            accuracy=100 * train.accuracy,
            test=100 * test.accuracy,
            zone=100 * in_zone,
            unused=unused,
        )

    @staticmethod
    def _table(train, in_zone: float) -> str:
        """The class-angle table (one Text artist: each glyph drawn costs time on every update)."""
        rows = [tr("digit  direction  spread  to nearest")]
        for c in range(CLASSES):
            rows.append(
                f"  {c}     {train.directions[c]:5.1f}°    {train.spreads[c]:4.1f}°     "
                f"{train.nearest[c]:5.1f}°"
            )
        rows += [
            "",
            tr(
                "mean spread {spread:.1f}°, smallest gap {gap:.1f}°",
                spread=train.spread,
                gap=train.smallest_gap,
            ),
            tr("in a margin zone: {zone:.0f}% of the digits", zone=100 * in_zone),
        ]
        return "\n".join(rows)
