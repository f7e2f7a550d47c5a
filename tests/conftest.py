"""Shared fixtures: the optional PyTorch oracle and numerical tolerances.

Outside CI a missing PyTorch skips the cross-checks with a reason. In CI (the
environment variable CI is set) it is an error, because CI must run them.
"""

from __future__ import annotations

import os

# One BLAS thread per process, set before numpy is imported: pytest-xdist already runs
# one worker per core, and OpenBLAS's own threads on top of that oversubscribe the CPU
# (a training test ran about 15 times slower on a loaded 2-core machine). The notebook
# kernels that nbval starts inherit this environment.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def torch():
    """The torch module, for cross-checks; skips (or fails in CI) when it is missing."""
    try:
        import torch as torch_module
    except ImportError:
        if IN_CI:
            pytest.fail("CI must run the PyTorch cross-checks, but torch is not installed.")
        pytest.skip(
            "PyTorch is not installed; the cross-checks need it (pip install torch==2.13.0)"
        )
    torch_module.set_default_dtype(torch_module.float64)
    torch_module.set_num_threads(1)
    return torch_module


@pytest.fixture
def rng():
    return np.random.default_rng(0)
