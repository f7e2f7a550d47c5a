"""nbval runs the notebooks in the same fixed environment as notebooks/execute.py.

The kernels nbval starts inherit this process's environment, so setting it here
(before any kernel starts) makes `pytest` compare outputs produced under the
conditions the committed outputs were made in.
"""

import importlib.util
import os
from pathlib import Path

_spec = importlib.util.spec_from_file_location("execute", Path(__file__).with_name("execute.py"))
_execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_execute)
os.environ.update(_execute.FIXED_ENV)
