"""Benchmarks of gradlib: kernels against PyTorch and hand-written numpy, the engine, notebooks
and widgets.

Run ``python benchmarks/run.py`` (full) or ``python benchmarks/run.py --quick --out DIR``
(a few repeats, for CI). Modules, one concept each:

- ``harness``: interleaved (round-robin) timing, medians, and the machine's facts.
- ``numpy_reference``: forward + backward of every benchmarked kernel written directly in
  numpy, with no engine: the "hand-written numpy" column.
- ``naive_pooling``: the slow reference, a Python loop over every output pixel.
- ``kernels``: the kernel cases (gradlib, PyTorch, numpy), checked to agree before timing.
- ``engine_chain``: backward over long chains of ops.
- ``notebook_timing``: wall time of each notebook, top to bottom.
- ``widget_cases``: one case per widget callback, and the parser that finds the callbacks
  used in the notebooks' widget cells.
- ``report``: RESULTS.md and results.png.
"""
