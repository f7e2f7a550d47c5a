"""Notebook 02, the widgets: the learning rate on a parabola (``LearningRateExplorer``) and
plain descent against the heavy ball on an ill-conditioned valley (``MomentumLab``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from gradlib.language import tr
from gradlib.lessons.gradient_descent.maths import (
    L_DEMO,
    LAB_START,
    LAB_STEPS,
    heavy_ball_parameters,
    heavy_ball_rate_map,
    momentum_run,
    quadratic_path,
    regime,
    root_size,
    steps_per_tenfold,
)
from gradlib.plotting import (
    COLORS,
    PALETTE,
    plain_log_ticks,
    round_ticks,
    widget_figure,
)
from gradlib.widgets import LogSlider, Slider, Widget

WIDGET_STEPS = 30
# The lab's two eigen-directions: x1 (curvature mu) and x2 (curvature L)
MU_COLOR, L_COLOR = PALETTE["green"], PALETTE["purple"]


class LearningRateExplorer(Widget):
    """Gradient descent on f(x) = 2 x**2 (L = 4) from x0 with rate lr: the first iterates on
    the parabola (left), and |x_k| against k on a log scale with the prediction
    |1 - lr L|**k |x0| (right)."""

    controls = {
        "lr": Slider(0.1, 0.01, 0.6, step=0.01, label="lr"),
        "x0": Slider(2.5, -3.0, 3.0, step=0.25, label="x0"),
    }
    moved = {"lr": 0.52, "x0": -1.5}

    SHOWN = 13  # iterates x_0 .. x_12 on the curve
    FLOOR = 1e-17  # an exact 0 (lr = 1/L) cannot be drawn on a log axis: put it off the plot

    def build(self) -> Figure:
        fig, (left, right) = widget_figure(
            ncols=2,
            width=11.0,
            height=3.8,
            margins={"left": 0.07, "right": 0.98, "bottom": 0.145, "top": 0.9, "wspace": 0.25},
        )
        (self.parabola,) = left.plot([], [], color=PALETTE["black"], linewidth=1.5)
        (self.iterates,) = left.plot(
            [], [], "-o", color=COLORS[0], markersize=5, linewidth=1.2, label=tr("iterates x_k")
        )
        (self.start,) = left.plot(
            [], [], "o", color=PALETTE["vermillion"], markersize=9, label=tr("start x_0")
        )
        left.set_xlabel("x")
        left.set_ylabel("f(x) = 2 x²")
        # y=1.0 skips matplotlib's automatic title placement, which measures the tick labels.
        left.set_title(tr("The first {steps} steps on the curve", steps=self.SHOWN - 1), y=1.0)
        # Below the parabola: chords between iterates on a convex curve stay above it, so
        # this corner is empty whatever the learning rate.
        left.legend(loc="lower left", fontsize=9, handlelength=1.5, borderaxespad=0.3)
        round_ticks(left)

        k, later = np.arange(WIDGET_STEPS + 1), np.full(WIDGET_STEPS + 1, np.nan)
        right.set_yscale("log")
        # the distances come with each update
        (self.distances,) = right.plot(
            k, later, "o", color=COLORS[0], markersize=4, label=tr("|x_k| measured")
        )
        (self.prediction,) = right.plot(
            k, later, "--", color=COLORS[1], label=tr("|1 - lr L|^k |x0| predicted")
        )
        self.start_level = right.axhline(
            1.0, color=PALETTE["black"], linewidth=0.8, label=tr("starting distance |x0|")
        )
        right.set_xlim(-1.5, WIDGET_STEPS + 1.5)
        right.set_xticks(np.arange(0, WIDGET_STEPS + 1, 10))
        right.set_xlabel(tr("step k"))
        right.set_ylabel(tr("|x_k| (distance to the minimum)"))
        self.right_title = right.set_title("", y=1.0)
        right.legend(loc="lower left", fontsize=10)
        plain_log_ticks(right, "y", numticks=6)
        self.left, self.right = left, right
        return fig

    def update(self, lr: float, x0: float) -> str:
        L = L_DEMO
        path = quadratic_path(L, lr, x0, WIDGET_STEPS)
        reach = max(3.0, 1.15 * abs(x0))
        xs = np.linspace(-reach, reach, 101)
        self.parabola.set_data(xs, L / 2 * xs**2)
        shown = path[: self.SHOWN]
        self.iterates.set_data(shown, L / 2 * shown**2)
        self.start.set_data([x0], [L / 2 * x0**2])
        self.left.set_xlim(-reach, reach)
        self.left.set_ylim(-0.05 * L / 2 * reach**2, 1.05 * L / 2 * reach**2)

        k = np.arange(WIDGET_STEPS + 1)
        factor = 1 - lr * L
        # an exact 0 (x0 = 0, or lr = 1/L after step 0) has no place on a log axis: not drawn
        with np.errstate(divide="ignore"):
            predicted = abs(factor) ** k * abs(x0)
        self.distances.set_ydata(np.where(path == 0, np.nan, np.abs(path)))
        self.prediction.set_ydata(
            np.where(predicted == 0, np.nan, np.maximum(predicted, self.FLOOR))
        )
        self.start_level.set_ydata([abs(x0), abs(x0)] if x0 != 0 else [np.nan, np.nan])
        self.right.set_ylim(1e-16, max(1e2, 10 * np.abs(path).max()))
        if x0 == 0:
            self.right_title.set_text(tr("x0 = 0: starts at the minimum"))
            return tr(
                "x0 = 0 starts at the minimum: f'(0) = 0, so no step moves it, whatever the "
                "learning rate (lr = {lr:.3f}). Move x0 away from 0.",
                lr=lr,
            )
        self.right_title.set_text(f"lr = {lr:.3f}: {tr(regime(lr, L).split(' (')[0])}")
        return tr(
            "lr = {lr:.3f}, 2/L = {limit:.3f}, factor 1 - lr L = {factor:+.3f}: "
            "{regime}; |x_{steps}| = {end:.2e}",
            lr=lr,
            limit=2 / L,
            factor=factor,
            regime=tr(regime(lr, L)),
            steps=WIDGET_STEPS,
            end=abs(path[-1]),
        )


# The lab's legend entries (the first two are replaced on each update with the rates)
LAB_LEGEND = ("plain descent", "heavy ball", "heavy ball |x1| (μ)", "heavy ball |x2| (L)")

# The rate map's grid: lr * L across, the momentum beta up.
MAP_LR_L = np.linspace(0.0, 4.0, 201)[1:]
MAP_BETA = np.linspace(0.0, 0.99, 100)


class MomentumLab(Widget):
    """Plain descent and the heavy ball at the same learning rate on
    f = (x1**2 + kappa x2**2) / 2 (mu = 1, L = kappa), from (-9, 2.5) for 100 steps.

    Left: the two paths on the contours. Second: |x_k| against k on a log scale, with the
    theoretical rate**k |x_0| dashed and the heavy ball's |x1| and |x2| (curvatures mu and
    L) thin. Third: the shrink factor per step |r| (``root_size``) of every curvature from
    mu to L, plain descent's and the heavy ball's, with mu and L marked (and the only
    ticks, in plain numbers). Right: the
    theoretical rate (the largest root size over mu and L) for every lr L and beta at this
    kappa, coloured by the steps it needs to shrink |x| ten times (``steps_per_tenfold``,
    log scale, the last colour beyond it, grey where it diverges), labelled real / complex
    / diverges, with
    the windows where the roots are complex, Polyak's tuning and the current setting. The
    learning rate is set as lr L, so that lr L < 2 (1 + beta) is the stable range whatever
    kappa is. The text line names the direction (mu, L or both) that sets the rate.
    """

    controls = {
        "kappa": LogSlider(10.0, 0.0, 3.0, step=0.01, label="κ = L / μ", readout_format=".3g"),
        "lr_L": Slider(1.8, 0.01, 4.0, step=0.01, label="lr × L"),
        "beta": Slider(0.5, 0.0, 0.99, step=0.01, label="momentum β"),
    }
    moved = {"kappa": 100.0, "lr_L": 3.3, "beta": 0.67}

    # The log axis: fixed, so it does not jump while dragging; room above the start (|x_0| is
    # about 9) for the legend, which only a diverging run reaches.
    FLOOR, CEILING = 1e-16, 1e10
    RINGS = np.linspace(1.0, 10.0, 10)  # contour ellipses with these x1 half-axes: fill the panel
    SLOWEST = 3.0  # the map's colours end at 10**3 steps per tenfold shrink
    BOX = ((-10.0, 10.0), (-6.5, 6.5))  # the contour panel's x1 and x2 ranges

    def build(self) -> Figure:
        fig, (paths, distance, shrink, rates) = widget_figure(
            ncols=4,
            width=11.5,
            height=3.8,
            gridspec_kw={"width_ratios": [1.3, 1.1, 0.85, 1.0]},
            margins={"left": 0.055, "right": 0.955, "bottom": 0.14, "top": 0.915, "wspace": 0.36},
        )
        blue, orange = COLORS[0], COLORS[1]

        # left: the valley and the two paths
        (self.contours,) = paths.plot([], [], color="0.75", linewidth=1.0)
        (self.plain_path,) = paths.plot([], [], "-o", color=blue, markersize=2.5, linewidth=1.0)
        (self.heavy_path,) = paths.plot([], [], "-s", color=orange, markersize=2.5, linewidth=1.0)
        paths.plot(*LAB_START, "s", color=PALETTE["black"], markersize=7)
        paths.plot(0, 0, "*", color=PALETTE["vermillion"], markersize=13)
        paths.set_xlim(*self.BOX[0])
        paths.set_ylim(*self.BOX[1])
        paths.set_aspect("equal")
        paths.set_xlabel("x1")
        paths.set_ylabel("x2")
        self.paths_title = paths.set_title("", y=1.0)
        # Few ticks and no legend here: every text is laid out again on each update.
        paths.set_xticks([-5, 0, 5])
        paths.set_yticks([-5, 0, 5])
        paths.grid(False)  # the contours are the grid

        # middle: the distance to the minimum, measured and in theory
        k, later = np.arange(LAB_STEPS + 1), np.full(LAB_STEPS + 1, np.nan)
        distance.set_yscale("log")
        (self.plain_distance,) = distance.plot(k, later, color=blue, linewidth=1.8)
        (self.plain_theory,) = distance.plot(k, later, "--", color=blue, linewidth=1.2)
        (self.heavy_distance,) = distance.plot(k, later, color=orange, linewidth=1.8)
        (self.heavy_theory,) = distance.plot(k, later, "--", color=orange, linewidth=1.2)
        # the heavy ball's two eigen-directions, each on its own: the slower one is the
        # one the orange line follows in the end
        (self.heavy_x1,) = distance.plot(k, later, color=MU_COLOR, linewidth=1.0)
        (self.heavy_x2,) = distance.plot(k, later, color=L_COLOR, linewidth=1.0)
        distance.axvspan(LAB_STEPS // 2, LAB_STEPS, color="0.93", zorder=0)
        distance.set_xlim(0, LAB_STEPS)
        distance.set_ylim(self.FLOOR, self.CEILING)
        distance.set_xlabel(tr("step k"))
        distance.set_ylabel(tr("distance |x_k|"))
        distance.set_title(tr("|x_k|; dashed: ρ^k |x_0|"), y=1.0)
        legend = distance.legend(
            [self.plain_distance, self.heavy_distance, self.heavy_x1, self.heavy_x2],
            [tr(text) for text in LAB_LEGEND],
            loc="upper right",
            fontsize=8.5,
            framealpha=0.9,
            handlelength=1.5,
            borderaxespad=0.3,
        )
        self.legend_texts = legend.get_texts()
        plain_log_ticks(distance, "y")
        distance.set_yticks([1e-15, 1e-10, 1e-5, 1.0, 1e5, 1e10])
        distance.set_xticks([0, 50, 100])

        # third: the shrink factor per step against the curvature, from mu to L
        shrink.set_xscale("log")
        shrink.axhline(1.0, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        (self.plain_factor,) = shrink.plot([], [], color=blue, linewidth=1.4)
        (self.heavy_factor,) = shrink.plot([], [], color=orange, linewidth=1.8)
        (self.at_mu,) = shrink.plot([], [], "o", color=MU_COLOR, markersize=7, zorder=3)
        (self.at_L,) = shrink.plot([], [], "o", color=L_COLOR, markersize=7, zorder=3)
        shrink.set_ylim(0, 1.5)
        shrink.set_yticks([0, 0.5, 1, 1.5])
        shrink.set_xlabel(tr("curvature λ (μ to L)"))
        shrink.set_ylabel(tr("shrink per step |r|"))
        shrink.set_title(tr("|r| along each λ"), y=1.0)
        self.shrink = shrink

        # right: the theoretical rate over lr L and beta, with the regimes' borders, coloured
        # by the steps it takes to shrink |x| ten times (log scale): a rate of 0.98 and one of
        # 0.82 look alike on a linear scale of the rate, but take 114 and 12 steps.
        from matplotlib import colormaps

        # slower than the last colour: that colour (the arrow of the colour bar); diverging
        # (no number of steps, NaN): grey
        viridis = colormaps["viridis"]
        cmap = viridis.with_extremes(over=viridis(1.0), under=viridis(0.0), bad="0.85")
        step = MAP_LR_L[1] - MAP_LR_L[0]
        self.rate_image = rates.imshow(
            np.zeros((MAP_BETA.size, MAP_LR_L.size)),
            origin="lower",
            aspect="auto",
            cmap=cmap,
            vmin=0.0,
            vmax=self.SLOWEST,
            interpolation="nearest",
            extent=(MAP_LR_L[0] - step / 2, 4.0 + step / 2, -0.005, 0.995),
        )
        beta = np.linspace(0.0, 0.99, 100)
        root = np.sqrt(beta)
        # the window (1 - sqrt(beta))**2 < lr lambda < (1 + sqrt(beta))**2 of complex roots
        rates.plot((1 - root) ** 2, beta, color="white", linewidth=1.4)
        rates.plot((1 + root) ** 2, beta, color="white", linewidth=1.4)
        (self.window_mu_low,) = rates.plot([], [], "--", color="white", linewidth=1.4)
        (self.window_mu_high,) = rates.plot([], [], "--", color="white", linewidth=1.4)
        rates.plot(2 * (1 + beta), beta, ":", color=PALETTE["black"], linewidth=1.4)
        (self.polyak,) = rates.plot(
            [], [], "*", color="white", markeredgecolor="black", markersize=13
        )
        (self.setting,) = rates.plot(
            [], [], "o", color=PALETTE["vermillion"], markeredgecolor="white", markersize=9
        )
        # where the roots along L are real, complex, or past the edge (mu's depend on kappa)
        label = {"fontsize": 9, "ha": "center", "va": "center"}
        box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.75, "linewidth": 0}
        rates.text(0.3, 0.07, tr("real"), bbox=box, **label)
        rates.text(1.75, 0.9, tr("complex"), bbox=box, **label)
        rates.text(3.3, 0.1, tr("diverges"), **label)
        rates.set_xlim(0, 4)
        rates.set_ylim(0, 1.0)  # to 1, so a setting at beta = 0.99 is drawn whole
        rates.set_xlabel(tr("lr × L"))
        rates.set_ylabel(tr("momentum β"))
        rates.set_title(tr("Theory: steps per 10× shrink"), y=1.0)
        rates.grid(False)
        rates.set_xticks([0, 1, 2, 3, 4])
        rates.set_yticks([0, 0.5, 1])
        bar = fig.colorbar(self.rate_image, ax=rates, fraction=0.08, pad=0.04, extend="max")
        bar.set_ticks(range(int(self.SLOWEST) + 1))
        bar.set_ticklabels([f"{10**e:d}" for e in range(int(self.SLOWEST) + 1)])
        bar.ax.tick_params(labelsize=9)
        self.paths, self.distance, self.rates = paths, distance, rates
        self.map_kappa = None
        return fig

    def update(self, kappa: float, lr_L: float, beta: float) -> str:
        kappa = float(kappa)
        run = momentum_run(kappa, lr_L, beta)
        # f is constant on ellipses x1**2 + kappa x2**2 = a**2: half-axes a and a / sqrt(kappa)
        angle = np.append(np.linspace(0, 2 * np.pi, 97), np.nan)
        x1 = np.concatenate([a * np.cos(angle) for a in self.RINGS])
        x2 = np.concatenate([a / np.sqrt(kappa) * np.sin(angle) for a in self.RINGS])
        self.contours.set_data(x1, x2)
        self.plain_path.set_data(*self._until_it_leaves(run.plain))
        self.heavy_path.set_data(*self._until_it_leaves(run.heavy))
        self.paths_title.set_text(f"f = (x1² + {kappa:.4g} x2²) / 2")

        k = np.arange(LAB_STEPS + 1)
        first = np.hypot(*LAB_START)
        for line, path in ((self.plain_distance, run.plain), (self.heavy_distance, run.heavy)):
            line.set_ydata(self._drawable(np.hypot(path[:, 0], path[:, 1])))
        self.heavy_x1.set_ydata(self._drawable(np.abs(run.heavy[:, 0])))
        self.heavy_x2.set_ydata(self._drawable(np.abs(run.heavy[:, 1])))
        self.plain_theory.set_ydata(self._drawable(first * run.plain_theory**k))
        self.heavy_theory.set_ydata(self._drawable(first * run.heavy_theory**k))
        texts = (
            tr(
                "plain: ×{measured:.3f}/step (ρ {theory:.3f})",
                measured=run.plain_measured,
                theory=run.plain_theory,
            ),
            tr(
                "heavy ball: ×{measured:.3f} (ρ {theory:.3f})",
                measured=run.heavy_measured,
                theory=run.heavy_theory,
            ),
        )
        for text, value in zip(self.legend_texts, texts):
            text.set_text(value)

        if kappa != self.map_kappa:  # the map depends on kappa alone: redo it when it moves
            self.map_kappa = kappa
            rates = heavy_ball_rate_map(MAP_LR_L, MAP_BETA, kappa)
            steps = steps_per_tenfold(rates)
            with np.errstate(divide="ignore"):  # 0 steps (rate 0) -> -inf: the darkest colour
                self.rate_image.set_data(np.where(np.isinf(steps), np.nan, np.log10(steps)))
            root = np.sqrt(MAP_BETA)
            self.window_mu_low.set_data(kappa * (1 - root) ** 2, MAP_BETA)
            self.window_mu_high.set_data(kappa * (1 + root) ** 2, MAP_BETA)
            polyak_lr, polyak_beta = heavy_ball_parameters(float(kappa))
            self.polyak.set_data([polyak_lr * kappa], [polyak_beta])
        self.setting.set_data([lr_L], [beta])
        # the larger |r| of each curvature between mu = 1 and L = kappa; the slowest sets rho
        lam = np.geomspace(1.0, max(kappa, 1.0001), 120)
        self.plain_factor.set_data(lam, np.minimum(root_size(run.lr * lam, 0.0), 9.0))
        self.heavy_factor.set_data(lam, np.minimum(root_size(run.lr * lam, beta), 9.0))
        self.at_mu.set_data([1.0], [min(run.heavy_mu, 1.45)])
        self.at_L.set_data([lam[-1]], [min(run.heavy_L, 1.45)])
        self.shrink.set_xlim(0.8, 1.25 * lam[-1])
        # plain tick labels at mu and L only (a log axis would label kappa = 2 as "2 x 10^0")
        ends = [1.0, kappa] if kappa >= 1.5 else [1.0]
        self.shrink.set_xticks(ends, [f"{value:.4g}" for value in ends])
        self.shrink.set_xticks([], minor=True)
        return tr(  # plain descent's rate: in the legend
            "κ {kappa:.4g}, lr {lr:#.4g}, β {beta:.2f} | heavy ball: roots {kind_mu} "
            "at μ, {kind_L} at L, rate {rate}, set by {slowest}",
            kappa=kappa,
            lr=run.lr,
            beta=beta,
            kind_mu=tr(run.kind_mu),
            kind_L=tr(run.kind_L),
            rate=_rate(run.heavy_theory),
            slowest=tr(run.slowest).replace("mu", "μ"),
        )

    def _until_it_leaves(self, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The path up to its first step outside the panel: a diverging run is drawn
        leaving the picture, not as a wall of lines across it."""
        (low1, high1), (low2, high2) = self.BOX
        outside = (np.abs(path[:, 0]) > high1 - low1) | (np.abs(path[:, 1]) > high2 - low2)
        last = int(np.argmax(outside)) if outside.any() else len(path) - 1
        return path[: last + 1, 0], path[: last + 1, 1]

    def _drawable(self, values: np.ndarray) -> np.ndarray:
        """Distances for the log axis: an exact 0 (a run that landed on the minimum) is put
        below the axis, and overflow above it."""
        return np.clip(np.nan_to_num(values, nan=np.inf), self.FLOOR / 10, self.CEILING * 10)


def _rate(rate: float) -> str:
    """The theoretical rate, and what it means when it is not a plain shrink."""
    if rate == 0:
        return tr("0 (lands on the minimum)")
    if abs(rate - 1) < 5e-4:  # on the edge, up to rounding: what .3f would show as 1.000
        return tr("{rate:.3f} (on the edge: |x| does not shrink)", rate=rate)
    return f"{rate:.3f}" + (tr(" (diverges)") if rate > 1 else "")
