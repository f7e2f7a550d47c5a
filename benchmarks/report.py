"""RESULTS.md (tables of medians, ratios and targets) and results.png (ratios vs PyTorch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.engine_chain import ChainResult
from benchmarks.kernels import GRADLIB, NAIVE, NUMPY, TORCH, KernelCase
from benchmarks.notebook_timing import NotebookTiming

NOTEBOOK_BUDGET = 30.0  # seconds, each notebook top to bottom
SERIES_BUDGET = 120.0  # seconds, the whole series
BOTH_EDITIONS_BUDGET = 240.0  # seconds, the English and the Chinese series together
WIDGET_BUDGET = 0.100  # seconds, one widget update
CHAIN_BUDGET = 1.0  # seconds, backward over the 100k-op chain
CHAIN_TARGET_OPS = 100_000
FLATNESS = 1.2  # slowest / fastest time per op across chain lengths


@dataclass
class KernelResult:
    case: KernelCase
    medians: dict[str, float]  # implementation -> seconds


@dataclass
class WidgetResult:
    name: str
    default: dict[str, Any]
    moved: dict[str, Any]
    default_median: float
    moved_median: float
    slowest: float
    first: float | None = None  # the first update in the process, which builds the figure
    continuous: bool = True  # redrawn while a slider is dragged (continuous_update)


@dataclass
class Results:
    mode: str  # "full" or "quick"
    command: str
    facts: dict[str, Any]
    settings: dict[str, Any]
    kernels: list[KernelResult] = field(default_factory=list)
    naive: list[KernelResult] = field(default_factory=list)
    chains: list[ChainResult] = field(default_factory=list)
    notebooks: list[NotebookTiming] = field(default_factory=list)
    notebooks_note: str = ""
    widgets: list[WidgetResult] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # part of the run -> seconds
    elapsed: float = 0.0


def seconds(value: float | None) -> str:
    """A duration with a unit a reader takes in at a glance: 85 us, 12.3 ms, 1.52 s."""
    if value is None or value != value:
        return "n/a"
    if value < 1e-3:
        return f"{value * 1e6:.0f} us" if value >= 1e-5 else f"{value * 1e6:.2f} us"
    if value < 1.0:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "**miss**")


def kernel_verdict(result: KernelResult) -> tuple[float | None, bool | None]:
    ratio = _ratio(result.medians.get(GRADLIB), result.medians.get(TORCH))
    if ratio is None or result.case.target is None:
        return ratio, None
    return ratio, ratio <= result.case.target


def chain_verdicts(chains: list[ChainResult]) -> dict[str, tuple[str, bool | None]]:
    """The two engine targets: measured text and pass/miss (None: not measured in this run)."""
    per_op = {c.ops: c.backward[GRADLIB] / c.ops for c in chains}
    longest = next((c for c in chains if c.ops == CHAIN_TARGET_OPS), None)
    budget = (
        (seconds(longest.backward[GRADLIB]), longest.backward[GRADLIB] < CHAIN_BUDGET)
        if longest
        else (f"not run (longest chain {max(per_op, default=0):,} ops)", None)
    )
    spread = max(per_op.values()) / min(per_op.values()) if per_op else None
    lengths = ", ".join(f"{n:,}" for n in per_op)
    flat_ok = None if spread is None or longest is None else spread <= FLATNESS
    flat = (f"{_x(spread)} (slowest / fastest per op over {lengths} ops)", flat_ok)
    return {"budget": budget, "flat": flat}


# ----- RESULTS.md ----------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _kwargs(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def write_markdown(results: Results, path: Path, plot_name: str) -> dict[str, int]:
    """Write RESULTS.md; returns the count of targets that pass and miss."""
    facts, settings = results.facts, results.settings
    verdicts: list[bool | None] = []
    out = [
        "# gradlib benchmarks",
        "",
        f"Measured {facts['date']} by `{results.command}` ({results.mode} mode, "
        f"{results.elapsed:.0f} s in all: "
        + ", ".join(f"{name} {t:.0f} s" for name, t in results.phases.items())
        + "). Every number below comes from this one run on this "
        "one machine; ratios are ratios of medians measured side by side.",
        "",
    ]
    if results.mode == "quick":
        out += [
            "**Quick mode** (the CI smoke run): few repeats, short chains, one notebook. "
            "The numbers are noisy; use the full run (`python benchmarks/run.py`) for timings.",
            "",
        ]
    out += [
        f"Load average (1 / 5 / 15 min) when the run started: {facts['load']}, when it "
        f"ended: {facts.get('load_end', 'n/a')}, on {facts['cores'].split(',')[0]} cores. "
        "A load above the core count means other "
        "processes shared the CPU: every number is then slower and noisier than on a quiet "
        "machine, and multi-threaded code (BLAS, PyTorch) suffers most: with 2 BLAS threads "
        "on a loaded 2-core machine a matrix product can take 10 times longer, erratically. "
        "There, `--threads 1` gives steadier (if not faster) numbers.",
        "",
        f"![ratios to PyTorch]({plot_name})",
        "",
    ]

    # kernels
    out += ["## Kernels: forward + backward", ""]
    rows = []
    for r in results.kernels:
        ratio, ok = kernel_verdict(r)
        verdicts.append(ok)
        m = r.medians
        rows.append(
            [
                r.case.name,
                r.case.dtype,
                r.case.size,
                seconds(m.get(GRADLIB)),
                seconds(m.get(TORCH)),
                seconds(m.get(NUMPY)),
                _x(ratio),
                _x(_ratio(m.get(GRADLIB), m.get(NUMPY))),
                f"<= {r.case.target:g}x" if r.case.target is not None else "",
                _verdict(ok),
            ]
        )
    out += _table(
        [
            "kernel",
            "dtype",
            "input",
            "gradlib",
            "PyTorch",
            "numpy",
            "gradlib / PyTorch",
            "gradlib / numpy",
            "target",
            "",
        ],
        rows,
    )
    out += [
        "",
        "Medians of one forward + backward (MLP step: forward, backward and the SGD update). "
        "numpy is the same computation written by hand in numpy, with no engine "
        "(benchmarks/numpy_reference.py); gradlib / numpy is the price of the engine. "
        "avg_pool2d has max_pool2d's targets. conv2d uses stride 1 and padding 1. relu and "
        "sigmoid are there for notebook 04's cost comparison; sigmoid has no target, since "
        "its time is numpy's exp, which is not vectorised like PyTorch's on every CPU. Before "
        "timing, every implementation's outputs and gradients were checked to agree with "
        "gradlib's (relative error <= 1e-3 in float32, 1e-8 in float64).",
        "",
    ]

    # the naive loop
    if results.naive:
        out += ["## What vectorising bought: the per-output-pixel loop (slow reference)", ""]
        rows = []
        scale = settings["naive_scale"]
        for r in results.naive:
            naive, vectorised = r.medians[NAIVE], r.medians[GRADLIB]
            rows.append(
                [
                    r.case.name,
                    r.case.size,
                    seconds(naive),
                    seconds(vectorised),
                    f"{naive / vectorised:.0f}x",
                    seconds(naive * scale),
                ]
            )
        out += _table(
            [
                "kernel (float64)",
                "input (smaller!)",
                "naive loop",
                "gradlib",
                "loop / gradlib",
                f"loop, estimated on the full input (x{scale})",
            ],
            rows,
        )
        out += [
            "",
            "benchmarks/naive_pooling.py loops in Python over every (sample, channel, output "
            "row, output column); gradlib loops over the k*k offsets of the window and lets "
            "numpy do whole arrays. The loop is timed on a smaller input than the kernels "
            f"above, {results.naive[0].case.size}, because on the full one it would take "
            f"minutes; both columns use that smaller input. The last column scales the loop's "
            f"time by the ratio of the sizes (x{scale}), since its time is linear in N * C.",
            "",
        ]

    # engine
    if results.chains:
        out += ["## Engine: backward over a chain of n ops", ""]
        rows = []
        for c in results.chains:
            g, t = c.backward[GRADLIB], c.backward.get(TORCH)
            rows.append(
                [
                    f"{c.ops:,}",
                    seconds(g),
                    seconds(g / c.ops),
                    seconds(c.forward[GRADLIB] / c.ops),
                    seconds(t / c.ops) if t is not None else "n/a",
                    _x(_ratio(g, t)),
                ]
            )
        out += _table(
            [
                "ops",
                "gradlib backward",
                "per op",
                "forward per op (one run)",
                "PyTorch backward per op",
                "gradlib / PyTorch",
            ],
            rows,
        )
        engine = chain_verdicts(results.chains)
        verdicts += [engine["budget"][1], engine["flat"][1]]
        out += [
            "",
            "Each op multiplies a 16-element vector by a constant, so the time is the "
            "engine's own (sort, walk, one backward call and the gradient bookkeeping per "
            "op). The graph is built once; backward() is timed on it repeatedly.",
            "",
            f"- 100k-op chain backward under {CHAIN_BUDGET:g} s: {engine['budget'][0]} "
            f"-> {_verdict(engine['budget'][1])}",
            f"- time per op flat within {FLATNESS - 1:.0%}: {engine['flat'][0]} "
            f"-> {_verdict(engine['flat'][1])}",
            "",
        ]

    # notebooks
    out += ["## Notebooks: top to bottom", ""]
    if results.notebooks:
        rows = []
        for nb in results.notebooks:
            ok = nb.seconds < NOTEBOOK_BUDGET
            verdicts.append(ok)
            rows.append(
                [nb.name, seconds(nb.seconds), seconds(nb.kernel_start), "< 30 s", _verdict(ok)]
            )
        english = sum(nb.seconds for nb in results.notebooks if not nb.name.startswith("zh/"))
        chinese = sum(nb.seconds for nb in results.notebooks if nb.name.startswith("zh/"))
        full = settings["all_notebooks"]
        series_ok = english < SERIES_BUDGET if full else None
        both_ok = english + chinese < BOTH_EDITIONS_BUDGET if full else None
        verdicts += [series_ok, both_ok]
        rows.append(["**whole series**", seconds(english), "", "< 2 min", _verdict(series_ok)])
        if chinese:
            rows.append(["**Chinese edition (zh/)**", seconds(chinese), "", "", ""])
            rows.append(
                ["**both editions**", seconds(english + chinese), "", "< 4 min", _verdict(both_ok)]
            )
        out += _table(["notebook", "wall time", "of which kernel start", "target", ""], rows)
        out += [
            "",
            "Each notebook runs once, top to bottom, in a fresh python3 kernel started in "
            "its folder (notebooks/ or notebooks/zh/) with the environment of "
            "notebooks/execute.py, its cells sent one by one as a front end does "
            "(jupyter_client's execute_interactive; see benchmarks/notebook_timing.py for "
            "why not nbclient). The kernel gets this machine's original OPENBLAS_* and "
            "thread settings back.",
            "",
        ]
    out += [results.notebooks_note, ""] if results.notebooks_note else []

    # widgets
    if results.widgets:
        out += ["## Widgets: one update (computation + redraw)", ""]
        rows = []
        for w in results.widgets:
            ok = max(w.default_median, w.moved_median) < WIDGET_BUDGET
            verdicts.append(ok)
            rows.append(
                [
                    f"`{w.name}`",
                    "while dragging" if w.continuous else "on release",
                    seconds(w.default_median),
                    seconds(w.moved_median),
                    seconds(w.slowest),
                    seconds(w.first),
                    _kwargs(w.moved),
                    "< 100 ms",
                    _verdict(ok),
                ]
            )
        out += _table(
            [
                "widget",
                "redraws",
                "default values",
                "moved values",
                "slowest update",
                "first update",
                "moved values used",
                "target",
                "",
            ],
            rows,
        )
        out += [
            "",
            "One update = one `show(**values)` of the widget (a gradlib.widgets.Widget): its "
            "computation, its line of numbers and the redraw of its figure, built once, up to "
            "the one PNG the learner sees. A widget that redraws 'while dragging' "
            "(continuous_update) must stay well under the target, since a drag sends many "
            "updates. Medians over "
            f"{settings['widget_repeats']} updates at each set of values, alternating between "
            "the two; the target applies to both medians. The first update, at the default "
            "values before any other, also builds the figure and fills the lessons' caches: "
            "what the widget cell costs when it runs; it is shown, not judged.",
            "",
        ]

    # the machine
    threads = (
        f"numpy's BLAS {facts['numpy_threads']}, PyTorch {facts['torch_threads']} "
        "(set to match numpy's)"
        if facts["torch_threads"] is not None
        else f"numpy's BLAS {facts['numpy_threads']}"
    )
    out += [
        "## Machine and method",
        "",
        f"- CPU: {facts['cpu']}; cores: {facts['cores']}",
        f"- OS: {facts['os']}",
        f"- Python {facts['python']}, numpy {facts['numpy']}, PyTorch {facts['torch']}, "
        f"matplotlib {facts['matplotlib']}, gradlib {facts['gradlib']}",
        f"- numpy's BLAS (numpy.show_config): {facts['numpy_blas']}",
        "- threadpoolctl (the kernel that actually ran): " + "; ".join(facts["threadpoolctl"]),
        f"- threads: {threads}",
        f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: {facts['openblas_env']}",
        f"- repeats: kernels {settings['kernel_repeats']} rounds (each sample at least "
        f"{settings['min_sample_ms']:g} ms of calls), engine chains {settings['chain_repeats']} "
        f"rounds, widgets {settings['widget_repeats']} updates per set of values, notebooks "
        "once each",
        "- method: warm-up first; the implementations compared are timed round-robin, one "
        "sample each per round with the order rotated, so background load falls on all of "
        "them alike; the median of the rounds is reported. Python's garbage collector stays "
        "on, as in a learner's session.",
        "",
    ]
    passed = sum(v is True for v in verdicts)
    missed = sum(v is False for v in verdicts)
    summary = f"**Targets: {passed} pass, {missed} miss** (n/a: not measured in this run)."
    out.insert(4, summary)
    out.insert(5, "")
    path.write_text("\n".join(out), encoding="utf-8")
    return {"pass": passed, "miss": missed}


# ----- results.png -------------------------------------------------------------------------


def write_plot(results: Results, path: Path) -> None:
    """Horizontal bars: gradlib's and numpy's time / PyTorch's, per kernel, log scale."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    from gradlib.plotting import PALETTE, new_figure

    if not results.kernels:  # e.g. --only matched no kernel
        fig, ax = new_figure(width=6.0, height=2.0)
        ax.axis("off")
        ax.text(0.5, 0.5, "no kernel was measured in this run", ha="center", va="center")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return
    have_torch = any(TORCH in r.medians for r in results.kernels)
    base = TORCH if have_torch else NUMPY
    rows = results.kernels[::-1]  # first kernel at the top
    labels = [f"{r.case.name}  {r.case.dtype.replace('float', 'f')}" for r in rows]
    series = [(GRADLIB, PALETTE["blue"])]
    if have_torch:
        series.append((NUMPY, PALETTE["orange"]))
    height = 0.38
    fig, ax = new_figure(width=9.0, height=0.42 * len(rows) + 1.8)
    y = np.arange(len(rows))
    for k, (name, colour) in enumerate(series):
        values = [r.medians[name] / r.medians[base] for r in rows]
        offset = (k - (len(series) - 1) / 2) * height
        ax.barh(y - offset, values, height=height, color=colour, label=f"{name} / {base}")
        if name == GRADLIB:
            for yi, v, r in zip(y, values, rows):
                missed = have_torch and r.case.target is not None and v > r.case.target
                # right of the bar and of the target mark, so neither hides the number
                ax.text(
                    max(v, r.case.target or 0) * 1.08,
                    yi - offset,
                    f"{v:.2f}" + ("  miss" if missed else ""),
                    va="center",
                    fontsize=9,
                    color=PALETTE["vermillion"] if missed else PALETTE["black"],
                )
    if have_torch:
        for yi, r in zip(y, rows):
            if r.case.target is not None:
                ax.plot([r.case.target] * 2, [yi - 0.45, yi + 0.45], color="black", lw=2.5)
        ax.plot([], [], color="black", lw=2.5, label="target (at most)")
    ax.axvline(1.0, color=PALETTE["black"], lw=1, ls="--", label=f"{base} (= 1)")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ratios = [r.medians[n] / r.medians[base] for r in rows for n, _ in series]
    ax.set_xlim(min(0.3, min(ratios) / 1.5), max(10.0, max(ratios) * 2.5))
    ax.set_yticks(y, labels, fontsize=10)
    ax.set_xlabel(f"time / {base} time (log scale; left of the dashed line = faster than {base})")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    ax.grid(False, axis="y")
    facts = results.facts
    ax.set_title(
        f"gradlib forward + backward vs {base} ({results.mode} run, {facts['date']})\n"
        f"{facts['cpu']}, load {facts['load'].split(' /')[0]}, "
        f"BLAS threads: {facts['numpy_threads']}",
        fontsize=11,
    )
    ax.legend(loc="lower right", fontsize=9, framealpha=0.95)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
