"""gradlib: a small numpy backprop library that learners can read end to end.

Start with ``gradlib.engine`` (Tensor, Function, backward), then ``gradlib.ops``
(each op's forward and backward side by side) and ``gradlib.functional``.
"""

from gradlib import data, functional, init, nn, optim, recorder
from gradlib.engine import Context, Function, Tensor, is_grad_enabled, no_grad, tensor, unbroadcast
from gradlib.gradcheck import gradcheck, numerical_grad, rel_error
from gradlib.language import language, set_language, tr
from gradlib.ops import (
    abs,
    argmax,
    cat,
    clamp,
    exp,
    log,
    matmul,
    max,
    maximum,
    mean,
    min,
    permute,
    reshape,
    sqrt,
    stack,
    sum,
    transpose,
    where,
)

__version__ = "0.1.0"

__all__ = [
    "language",
    "set_language",
    "tr",
    "Context",
    "Function",
    "Tensor",
    "abs",
    "argmax",
    "cat",
    "clamp",
    "data",
    "exp",
    "functional",
    "gradcheck",
    "init",
    "is_grad_enabled",
    "log",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "permute",
    "recorder",
    "rel_error",
    "reshape",
    "sqrt",
    "stack",
    "sum",
    "tensor",
    "transpose",
    "unbroadcast",
    "where",
]
