"""What the notebooks' widgets compute and draw: one module per notebook.

Each widget callback is a plain function here (not code in a notebook cell), so
tests can call and time it, and a learner can read it with ``??``. matplotlib
is imported inside these modules only, never by ``import gradlib``.
"""
