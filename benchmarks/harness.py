"""Interleaved timing and the facts about the machine a run was measured on.

Timing rules, so that a comparison is fair on a shared, noisy machine:

- every implementation is warmed up first (caches, lazy imports, first-call allocations);
- each one gets its own number of calls per sample, so that one sample lasts at least
  ``min_sample_seconds`` (a 30-microsecond kernel is timed over many calls, a 30 ms one
  over one or two), and a sample's value is the time per call;
- the implementations are timed round-robin, one sample of each per round, with the
  order rotated every round, so background load falls on all of them alike;
- the reported number is the median of the rounds.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import numpy as np


@dataclass
class Timing:
    """Per-call seconds of one implementation, one value per round."""

    samples: list[float]
    calls_per_sample: int

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def time_interleaved(
    implementations: dict[str, Callable[[], Any]],
    repeats: int,
    min_sample_seconds: float,
    warmup: int = 2,
) -> dict[str, Timing]:
    """Time each zero-argument callable, round-robin; returns name -> Timing."""
    names = list(implementations)
    calls: dict[str, int] = {}
    for name in names:
        run = implementations[name]
        for _ in range(warmup):
            run()
        calls[name] = 1
        if min_sample_seconds > 0:
            start = time.perf_counter()
            run()
            one_call = max(time.perf_counter() - start, 1e-7)
            calls[name] = max(1, math.ceil(min_sample_seconds / one_call))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            run, n = implementations[name], calls[name]
            start = time.perf_counter()
            for _ in range(n):
                run()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: Timing(samples[name], calls[name]) for name in names}


# ----- threads -------------------------------------------------------------------------


def blas_info() -> list[dict[str, Any]]:
    """What threadpoolctl reports for every BLAS/OpenMP library loaded (empty without it)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return threadpool_info()


def numpy_blas_threads() -> int:
    """The number of threads numpy's BLAS uses (threadpoolctl, else the usual variables)."""
    for library in blas_info():
        if library.get("user_api") == "blas" and "numpy" in library.get("filepath", ""):
            return int(library["num_threads"])
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(variable, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def match_torch_threads(torch: Any, threads: int) -> int:
    """Give PyTorch the thread count numpy's BLAS uses; returns PyTorch's count after."""
    torch.set_num_threads(threads)
    return torch.get_num_threads()


# ----- the machine ---------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def numpy_blas_build() -> str:
    """numpy's BLAS as numpy.show_config reports it (name, version, configuration)."""
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.26 has no mode argument
        return "see numpy.show_config()"
    blas = config.get("Build Dependencies", {}).get("blas", {})
    parts = [blas.get("name", "?"), blas.get("version", "?")]
    if blas.get("openblas configuration"):
        parts.append(f"({' '.join(blas['openblas configuration'].split())})")
    return " ".join(parts)


def machine_facts(torch: Any, torch_threads: int | None, original_env: dict[str, str]) -> dict:
    """Everything RESULTS.md says about where and with what a run was measured."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    libraries = [
        f"{lib.get('internal_api', '?')} {lib.get('version') or ''} "
        f"(kernel {lib.get('architecture', 'n/a')}, threads {lib.get('num_threads')}, "
        f"{os.path.basename(lib.get('filepath', '?'))})".replace("  ", " ")
        for lib in blas_info()
    ]
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": f"{os.cpu_count()} logical, {affinity} usable by this process",
        "load": "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg()),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "matplotlib": _version("matplotlib"),
        "gradlib": _version("gradlib"),
        "numpy_blas": numpy_blas_build(),
        "threadpoolctl": libraries or ["threadpoolctl not installed"],
        "numpy_threads": numpy_blas_threads(),
        "torch_threads": torch_threads,
        "openblas_env": original_env,
    }
