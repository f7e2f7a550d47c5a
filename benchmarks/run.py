"""Benchmark gradlib and write benchmarks/RESULTS.md and benchmarks/results.png.

Usage::

    python benchmarks/run.py                       # the full run (several minutes)
    python benchmarks/run.py --quick --out DIR     # CI's smoke run: few repeats, short chains,
                                                   # one notebook (nbval runs them all anyway)
    python benchmarks/run.py --profile "max_pool2d k3"   # cProfile gradlib on matching kernels

One run measures, on one machine: the kernels (gradlib against PyTorch CPU and hand-written
numpy, float32 and float64, forward + backward), the per-output-pixel loop that gradlib's
pooling replaced, the engine on chains of ops, each notebook top to bottom, and one update
of every widget. It reports medians, ratios and pass/miss against the project's targets;
a missed target does not change the exit code (timings are not tests).

Environment: on some processors this machine sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
(older OpenBLAS builds need them), and they slow a current numpy. OpenBLAS reads them when
numpy is imported, so the command re-executes itself once without them, for its own
process only (``--keep-openblas-env`` keeps them); RESULTS.md records their values and, via
threadpoolctl when installed, which BLAS kernel ran. The notebooks' kernels get the
original environment back. ``--threads N`` likewise sets the BLAS/OpenMP thread count.
PyTorch is given the same number of threads as numpy's BLAS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.report import Results

REPO = Path(__file__).resolve().parents[1]
OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Set in the re-executed process: the original values of the variables it changed.
ORIGINAL_ENV_MARK = "GRADLIB_BENCHMARK_ORIGINAL_ENV"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats (CI smoke run)")
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks", help="where to write RESULTS.md and PNG"
    )
    parser.add_argument("--skip-notebooks", action="store_true", help="do not time notebooks")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads (default: as set)")
    parser.add_argument(
        "--keep-openblas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for this process",
    )
    parser.add_argument("--only", default="", help="only kernel cases whose label contains this")
    parser.add_argument(
        "--profile", metavar="LABEL", help="cProfile gradlib on kernels matching LABEL, then exit"
    )
    return parser.parse_args(argv)


def reexec_with_benchmark_env(args: argparse.Namespace) -> dict[str, str | None]:
    """Re-execute once with the environment the benchmark wants; returns the original values.

    Must run before numpy is imported: OpenBLAS reads these variables when it loads.
    """
    if ORIGINAL_ENV_MARK in os.environ:
        return json.loads(os.environ[ORIGINAL_ENV_MARK])
    wanted: dict[str, str | None] = {}
    if not args.keep_openblas_env:
        wanted.update({name: None for name in OPENBLAS_VARIABLES})
    if args.threads:
        wanted.update({name: str(args.threads) for name in THREAD_VARIABLES})
    changes = {name: value for name, value in wanted.items() if os.environ.get(name) != value}
    if not changes:
        return {}
    original = {name: os.environ.get(name) for name in changes}
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env[ORIGINAL_ENV_MARK] = json.dumps(original)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    raise AssertionError("unreachable")


def describe_openblas_env(original: dict[str, str | None]) -> str:
    removed = [f"{n}={original[n]}" for n in OPENBLAS_VARIABLES if original.get(n) is not None]
    kept = [f"{n}={os.environ[n]}" for n in OPENBLAS_VARIABLES if n in os.environ]
    if removed:
        return f"unset for this run (the environment had {', '.join(removed)})"
    if kept:
        return f"kept as set: {', '.join(kept)} (--keep-openblas-env)"
    return "not set"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    original_env = reexec_with_benchmark_env(args)
    started = time.perf_counter()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # `python benchmarks/run.py` puts benchmarks/ there instead

    import matplotlib

    matplotlib.use("Agg")  # before pyplot is imported anywhere: no window, same renderer as PNG

    from benchmarks import harness, report
    from benchmarks.kernels import NAIVE_INPUT, POOL_INPUT

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: its column is left out.")
    threads = harness.numpy_blas_threads()
    torch_threads = harness.match_torch_threads(torch, threads) if torch is not None else None

    if args.profile:
        return profile(args.profile, torch)

    quick = args.quick
    settings = {
        "kernel_repeats": 3 if quick else 15,
        "min_sample_ms": 2.0 if quick else 20.0,
        "naive_repeats": 1 if quick else 5,
        "chain_lengths": (100, 1_000, 10_000) if quick else (1_000, 10_000, 100_000),
        "chain_repeats": 3 if quick else 7,
        "widget_repeats": 2 if quick else 15,
        "warmup": 1 if quick else 2,
        "naive_scale": (POOL_INPUT[0] * POOL_INPUT[1]) // (NAIVE_INPUT[0] * NAIVE_INPUT[1]),
        "all_notebooks": False,
    }
    facts = harness.machine_facts(torch, torch_threads, describe_openblas_env(original_env))
    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    results = report.Results("quick" if quick else "full", command, facts, settings)
    print(f"gradlib benchmarks ({results.mode}): {facts['cpu']}, load {facts['load']}")

    for name, part in (
        ("kernels", lambda: run_kernels(results, torch, args.only)),
        ("engine", lambda: run_engine(results, torch)),
        ("notebooks", lambda: run_notebooks(results, args.skip_notebooks, original_env)),
        ("widgets", lambda: run_widgets(results)),
    ):
        part_started = time.perf_counter()
        part()
        results.phases[name] = time.perf_counter() - part_started
        print(f"{name}: {results.phases[name]:.0f} s", flush=True)

    facts["load_end"] = "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    args.out.mkdir(parents=True, exist_ok=True)
    results.elapsed = time.perf_counter() - started
    report.write_plot(results, args.out / "results.png")
    counts = report.write_markdown(results, args.out / "RESULTS.md", "results.png")
    print(
        f"Targets: {counts['pass']} pass, {counts['miss']} miss. Wrote {args.out / 'RESULTS.md'} "
        f"and results.png in {results.elapsed:.0f} s."
    )
    return 0


# ----- the parts of a run ----------------------------------------------------------------


def run_kernels(results: Results, torch: Any, only: str) -> None:
    """The kernels against PyTorch and numpy, then the naive loop against gradlib."""
    from benchmarks import harness, report
    from benchmarks.kernels import check_agreement, kernel_cases, naive_cases

    settings = results.settings
    for group, cases, kind, warmup in (
        (results.kernels, kernel_cases(), "kernel", settings["warmup"]),
        (results.naive, naive_cases(), "naive", 1),
    ):
        for case in (c for c in cases if only in c.label):
            impls = case.build(torch)
            check_agreement(case, impls)
            timings = harness.time_interleaved(
                {name: impl.run for name, impl in impls.items()},
                settings[f"{kind}_repeats"],
                settings["min_sample_ms"] / 1000,
                warmup=warmup,
            )
            medians = {name: t.median for name, t in timings.items()}
            group.append(report.KernelResult(case, medians))
            shown = ", ".join(f"{n} {report.seconds(m)}" for n, m in medians.items())
            print(f"  {kind} {case.label}: {shown}", flush=True)


def run_engine(results: Results, torch: Any) -> None:
    from benchmarks.engine_chain import measure_chain
    from benchmarks.report import seconds

    for n in results.settings["chain_lengths"]:
        chain = measure_chain(torch, n, results.settings["chain_repeats"])
        results.chains.append(chain)
        print(f"  chain {n:,} ops: gradlib backward {seconds(chain.backward['gradlib'])}")


def run_notebooks(results: Results, skip: bool, original_env: dict[str, str | None]) -> None:
    """Each notebook once; quick mode only the first. Kernels get the original environment."""
    if skip:
        results.notebooks_note = "Not timed in this run (--skip-notebooks)."
        return
    from benchmarks.notebook_timing import notebook_paths, time_notebook
    from benchmarks.report import seconds

    paths = notebook_paths()
    if results.mode == "quick":
        paths = paths[:1]
        results.notebooks_note = (
            "Quick mode times only the first notebook, so this code path cannot rot; nbval "
            "runs every notebook in CI anyway. The series target is judged by the full run."
        )
    results.settings["all_notebooks"] = results.mode == "full"
    for path in paths:
        timing = time_notebook(path, original_env)
        results.notebooks.append(timing)
        print(f"  notebook {timing.name}: {seconds(timing.seconds)}", flush=True)


def run_widgets(results: Results) -> None:
    """One update of every widget, alternating its default and moved values."""
    from benchmarks import harness, report
    from benchmarks.widget_cases import time_first_update, time_update, widget_cases

    for case in widget_cases():
        widget = case.instance()
        first = time_first_update(case, widget)  # builds the figure: before any other update
        timings = harness.time_interleaved(
            {
                "default": lambda widget=widget, case=case: time_update(widget, case.default),
                "moved": lambda widget=widget, case=case: time_update(widget, case.moved),
            },
            results.settings["widget_repeats"],
            min_sample_seconds=0.0,
            warmup=1,
        )
        results.widgets.append(
            report.WidgetResult(
                case.name,
                case.default,
                case.moved,
                timings["default"].median,
                timings["moved"].median,
                max(max(t.samples) for t in timings.values()),
                first,
                case.continuous,
            )
        )
        print(f"  widget {case.name}: {report.seconds(timings['moved'].median)}", flush=True)


def profile(label: str, torch: Any, calls: int = 30) -> int:
    """Print cProfile's top functions for gradlib's implementation of each matching kernel."""
    import cProfile
    import pstats

    from benchmarks.kernels import GRADLIB, kernel_cases

    cases = [c for c in kernel_cases() if label in c.label]
    if not cases:
        print(f"No kernel case matches {label!r}.", file=sys.stderr)
        return 1
    for case in cases:
        run = case.build(torch)[GRADLIB].run
        run()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            run()
        profiler.disable()
        print(f"\n===== {case.label}: gradlib, {calls} calls =====")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
