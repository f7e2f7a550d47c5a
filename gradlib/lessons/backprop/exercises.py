"""Notebook 03, the exercise checkers.

- Exercise 1, a tiny autograd engine (micrograd's ``Value``): ``check_value_ops`` (step 1,
  the ``+`` and ``*`` gates), ``check_value_tanh`` (step 2) and ``check_tiny_engine``
  (step 3, ``backward``), which runs the learner's engine and gradlib side by side on
  random expressions (``random_expression``) and names the op, the missing ``+=`` or the
  order that is wrong, and a backward that resets ``.grad`` before it walks;
- Exercise 2, the backward pass of the notebook's two-layer MLP, every gradient written by
  the learner: ``check_mlp_backward`` checks them one by one, names the usual slips, then
  runs ``gl.gradcheck`` on the learner's backward;
- Exercise 3, find the bug with gradcheck: ``BuggyLinear``, ``check_fixed_linear`` (which also
  names gradients returned out of order, db summed over the wrong axis, a transposed dw);
- ``yours_or_solution``: a later cell runs the learner's code when its check passes, else the
  worked solution, and prints one line that says which.
"""

from __future__ import annotations

import copy
import math
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlib.activations import softmax_array
from gradlib.engine import Context, Function, tensor
from gradlib.exercises import Feedback, check_array, read_numbers
from gradlib.gradcheck import GradcheckResult, gradcheck
from gradlib.language import listed, tr

# ===== the learner's code, or the worked solution =============================================


def yours_or_solution(verdict: Feedback, yours: Any, worked: Any, *, what: str, step: str) -> Any:
    """``yours`` when ``verdict`` (a checker's, on the learner's code) passed, else ``worked``,
    the worked solution's; it prints one line that says which, so a later cell that builds
    on the exercise says whose code it runs. ``what`` names the learner's pieces ("your
    backward"), ``step`` the exercise whose check decides ("step 3")::

        Value_, backward_ = bp.yours_or_solution(
            bp.check_tiny_engine(Value, backward), (Value, backward),
            (Value_solution, backward_solution), what="your Value and backward", step="step 3")
    """
    if verdict:
        print(tr("{what}: {step}'s check passes, so this run uses yours.", what=what, step=step))
        return yours
    print(
        tr(
            "{what}: not done yet ({step}'s check fails), so this run uses the worked solution.",
            what=what,
            step=step,
        )
    )
    return worked


# ===== exercise 1: a tiny autograd engine =====================================================
#
# The learner's class follows micrograd: Value(data, children) with .data, .grad, ._prev
# and ._backward (a function that adds out.grad's share into each child's .grad), the
# methods __add__, __mul__ and tanh, and a function backward(output).

_TOL = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOL * (1 + abs(b))


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _run(
    action: Callable[[], Any], what: str, on_zero_division: str | None = None
) -> Feedback | None:
    """Run the learner's code; a Feedback if it raised (``on_zero_division``: what to say
    if it divided by zero)."""
    try:
        action()
    except ZeroDivisionError as error:
        if on_zero_division is None:
            return Feedback(
                False, tr("{what} raised ZeroDivisionError: {error}", what=what, error=error)
            )
        return Feedback(False, on_zero_division)
    except NotImplementedError:
        return Feedback(
            False, tr("{what} is still empty (it raises NotImplementedError).", what=what)
        )
    except Exception as error:  # the learner's code: report it, do not crash the notebook
        return Feedback(
            False,
            tr("{what} raised {kind}: {error}", what=what, kind=type(error).__name__, error=error),
        )
    return None


def _make(Value: Any, data: float) -> Any:  # noqa: N803 - the learner's class
    value = Value(data)
    for attribute in ("data", "grad", "_backward"):
        if not hasattr(value, attribute):
            raise AttributeError(
                tr(
                    "a Value has no attribute {attribute!r}; keep the names of the class as given",
                    attribute=attribute,
                )
            )
    return value


# The gates of step 1: the forward, and what each input's .grad must gain.
_BINARY = {
    "+": (lambda a, b: a + b, lambda a, b, g: (g, g)),
    "*": (lambda a, b: a * b, lambda a, b, g: (g * b, g * a)),
}


def _binary_slips(op: str, a: float, b: float, g: float, out: float) -> dict[str, tuple]:
    """What a usual slip makes each input's .grad gain, and how to say it."""
    if op == "+":
        return {
            "no upstream": (
                (1.0, 1.0),
                tr(
                    "each input gains the local derivative 1, not times "
                    "out.grad: the chain rule multiplies the local derivative by the "
                    "gradient that arrives from above, out.grad."
                ),
            ),
            "value": (
                (out, out),
                tr(
                    "each input gains out.data, the forward value; the gradient "
                    "that arrives from above is out.grad."
                ),
            ),
            "half": (
                (g / 2, g / 2),
                tr(
                    "each input gains half of out.grad; add distributes: nothing is split, "
                    "both inputs gain the whole out.grad (d(a + b)/da = d(a + b)/db = 1)."
                ),
            ),
            "only first": (
                (g, 0.0),
                tr(
                    "only self.grad changes; a + b passes out.grad to both "
                    "inputs (add distributes), so other.grad gains it too."
                ),
            ),
            "only second": (
                (0.0, g),
                tr(
                    "only other.grad changes; a + b passes out.grad to both "
                    "inputs (add distributes), so self.grad gains it too."
                ),
            ),
        }
    return {
        "no swap": (
            (g * a, g * b),
            tr(
                "each input gains out.grad times its own value; the "
                "multiply gate swaps: d(a*b)/da = b, so self.grad gains other.data * "
                "out.grad, and other.grad gains self.data * out.grad."
            ),
        ),
        "no upstream": (
            (b, a),
            tr(
                "each input gains the other's value, not times out.grad: the "
                "chain rule multiplies the local derivative by out.grad."
            ),
        ),
        "only first": (
            (g * b, 0.0),
            tr("only self.grad changes; other.grad gains self.data * out.grad."),
        ),
        "only second": (
            (0.0, g * a),
            tr("only other.grad changes; self.grad gains other.data * out.grad."),
        ),
        "value": (
            (out * b, out * a),
            tr(
                "each input gains the other's value times out.data; "
                "use out.grad, the gradient from above, not the forward value."
            ),
        ),
    }


def _check_binary(Value: Any, op: str) -> Feedback | None:  # noqa: N803
    """``op`` of two Values and of one Value with itself; None when right."""
    forward, rule = _BINARY[op]
    name = "__add__" if op == "+" else "__mul__"
    # The zero inputs catch a * b's backward written as out.data / self.data * out.grad,
    # which equals other.data * out.grad everywhere except where self.data is 0.
    cases = ((0.75, -1.5, 3.0), (-0.5, 2.5, -2.5), (0.0, -1.25, 1.5), (1.75, 0.0, -1.0))
    for a_data, b_data, g in cases:
        try:
            a, b = _make(Value, a_data), _make(Value, b_data)
            out = a + b if op == "+" else a * b
        except Exception as error:
            return Feedback(
                False,
                tr(
                    "a {op} b raised {kind}: {error}", op=op, kind=type(error).__name__, error=error
                ),
            )
        if not _close(float(out.data), forward(a_data, b_data)):
            return Feedback(
                False,
                tr(
                    "a {op} b has data {got} for a = {a}, b = {b}; the forward of {name} "
                    "changed: it should be {want}.",
                    op=op,
                    got=_fmt(out.data),
                    a=a_data,
                    b=b_data,
                    name=name,
                    want=_fmt(forward(a_data, b_data)),
                ),
            )
        # Earlier contributions, as if a and b were also used elsewhere in the graph.
        a.grad, b.grad, out.grad = 0.25, -0.5, g
        divided = (
            tr(
                "In {name}: with a = {a} and b = {b}, out._backward() divided by zero: it "
                "divides out.data by an input's value to get the other factor, which fails where "
                "that input is 0. Use the other factor itself: self.grad += other.data * out.grad "
                "(and other.grad += self.data * out.grad).",
                name=name,
                a=a_data,
                b=b_data,
            )
            if op == "*" and 0.0 in (a_data, b_data)
            else None
        )
        failed = _run(out._backward, tr("the _backward of {name}", name=name), divided)
        if failed is not None:
            return failed
        gained = (a.grad - 0.25, b.grad + 0.5)
        want = rule(a_data, b_data, g)
        if all(_close(x, y) for x, y in zip(gained, want)):
            continue
        where = tr(
            "With a = {a}, b = {b} and out.grad = {g} (and a.grad = 0.25, "
            "b.grad = -0.5 already, from other uses), after out._backward()",
            a=a_data,
            b=b_data,
            g=g,
        )
        if gained == (0.0, 0.0):
            return Feedback(
                False,
                tr(
                    "the _backward of {name} changes no .grad: it is still empty. {where} "
                    "a.grad and b.grad should each have gained their share of out.grad.",
                    name=name,
                    where=where,
                ),
            )
        # an input whose .grad now holds exactly its share lost what it held: = for +=
        overwritten = [
            (label, held, final)
            for label, held, final, share in (
                ("self", 0.25, a.grad, want[0]),
                ("other", -0.5, b.grad, want[1]),
            )
            if _close(final, share)
        ]
        if overwritten:
            label, held, final = overwritten[0]
            return Feedback(
                False,
                tr(
                    "{where}, {letter}.grad is {final}: the {held} it held is gone. Write "
                    "{label}.grad += ..., not {label}.grad = ...: a Value used twice gets a "
                    "contribution from each use, and they add up.",
                    where=where,
                    letter="a" if label == "self" else "b",
                    final=_fmt(final),
                    held=held,
                    label=label,
                ),
            )
        for (slip_a, slip_b), message in _binary_slips(op, a_data, b_data, g, out.data).values():
            if _close(gained[0], slip_a) and _close(gained[1], slip_b):
                return Feedback(False, tr("In {name}: {message}", name=name, message=message))
        wrong = [
            tr(
                "{letter}.grad gained {got} where the chain rule gives {share} "
                "({label}.grad += {rule})",
                letter=letter,
                got=_fmt(got),
                share=_fmt(share),
                label=label,
                rule="out.grad" if op == "+" else f"{partner}.data * out.grad",
            )
            for letter, label, partner, got, share in (
                ("a", "self", "other", gained[0], want[0]),
                ("b", "other", "self", gained[1], want[1]),
            )
            if not _close(got, share)
        ]
        return Feedback(
            False,
            tr("In {name}: {where}, {wrong}.", name=name, where=where, wrong=listed(wrong)),
        )
    # One Value on both sides: its grad must gain both contributions.
    a = _make(Value, 1.5)
    out = a + a if op == "+" else a * a
    out.grad = 2.0
    failed = _run(out._backward, tr("the _backward of {name}", name=name))
    if failed is not None:
        return failed
    want = 4.0 if op == "+" else 6.0
    if not _close(a.grad, want):
        return Feedback(
            False,
            tr(
                "a {op} a (one Value used twice) gives a.grad = {got} after "
                "out._backward() with out.grad = 2; it should be {want}, one contribution "
                "per use, added with +=.",
                op=op,
                got=_fmt(a.grad),
                want=_fmt(want),
            ),
        )
    return None


def check_value_ops(Value: Any) -> Feedback:  # noqa: N803 - the learner's class
    """Step 1: the ``+`` and ``*`` gates of the learner's ``Value``, each ``_backward`` called
    on its own with a known ``out.grad`` (and earlier contributions already in ``.grad``)."""
    if Value is None:
        return Feedback(False, tr("Value is not defined yet; run the cell with the class."))
    for op in ("+", "*"):
        verdict = _check_binary(Value, op)
        if verdict is not None:
            return verdict
    return Feedback(
        True,
        tr(
            "+ passes out.grad to both inputs and * passes each input out.grad times the other "
            "input, and both add into .grad (+=), also for a Value used twice."
        ),
    )


def _tanh_slips(x: float, t: float, g: float) -> dict[str, tuple[float, str]]:
    return {
        "input": (
            (1 - x * x) * g,
            tr(
                "it uses the input: tanh'(x) = 1 - tanh(x)**2, and tanh(x) is out.data, "
                "not self.data."
            ),
        ),
        "no upstream": (
            1 - t * t,
            tr(
                "the local derivative is right but not multiplied by "
                "out.grad, the gradient from above."
            ),
        ),
        "sigmoid": (
            t * (1 - t) * g,
            tr("t * (1 - t) is the sigmoid's derivative; tanh's is 1 - t**2."),
        ),
        "no square": ((1 - t) * g, tr("1 - t is missing a square: tanh' = 1 - t**2.")),
        "sech": (
            g / math.cosh(x),
            tr("1/cosh(x) is missing a square: tanh'(x) = 1/cosh(x)**2 = 1 - t**2."),
        ),
        "sign": (
            -(1 - t * t) * g,
            tr("the sign is flipped: tanh rises, so its derivative 1 - t**2 is positive."),
        ),
        "value": (
            (1 - t * t) * t,
            tr("it multiplies by out.data; the gradient from above is out.grad."),
        ),
    }


def check_value_tanh(Value: Any) -> Feedback:  # noqa: N803 - the learner's class
    """Step 2: ``tanh``'s ``_backward``, called on its own with a known ``out.grad``."""
    if Value is None:
        return Feedback(False, tr("Value is not defined yet; run the cell with the class."))
    for x_data, g in ((0.6, 2.0), (-1.2, -0.5)):
        try:
            x = _make(Value, x_data)
            out = x.tanh()
        except Exception as error:
            return Feedback(
                False, tr("x.tanh() raised {kind}: {error}", kind=type(error).__name__, error=error)
            )
        t = math.tanh(x_data)
        if not _close(float(out.data), t):
            return Feedback(
                False,
                tr(
                    "x.tanh() has data {got} for x = {x}; expected {want}.",
                    got=_fmt(out.data),
                    x=x_data,
                    want=_fmt(t),
                ),
            )
        x.grad, out.grad = 0.25, g
        failed = _run(out._backward, tr("the _backward of tanh"))
        if failed is not None:
            return failed
        gained, want = x.grad - 0.25, (1 - t * t) * g
        if _close(gained, want):
            continue
        where = tr("With x = {x} and out.grad = {g}, after out._backward()", x=x_data, g=g)
        if gained == 0.0:
            return Feedback(False, tr("the _backward of tanh changes no .grad: it is still empty."))
        if _close(x.grad, want):
            return Feedback(
                False,
                tr(
                    "{where} x.grad lost the 0.25 it held from another use: write "
                    "self.grad += ..., not self.grad = ....",
                    where=where,
                ),
            )
        for slip, message in _tanh_slips(x_data, t, g).values():
            if _close(gained, slip):
                return Feedback(False, tr("In tanh: {message}", message=message))
        return Feedback(
            False,
            tr(
                "{where} x.grad gained {got}; the chain rule gives {want}.",
                where=where,
                got=_fmt(gained),
                want=_fmt(want),
            ),
        )
    return Feedback(True, tr("tanh passes out.grad * (1 - t**2) back, added into .grad."))


# ----- random expressions, built with the learner's Value and with gradlib -----------------


@dataclass
class Expression:
    """A random scalar expression: ``leaves`` (their values), then ``ops``, each an op name
    ("+", "*" or "tanh") and the indices of its operands among the nodes before it. Node k
    is called v{k}; the last node is the output."""

    leaves: list[float]
    ops: list[tuple[str, tuple[int, ...]]]

    @property
    def size(self) -> int:
        return len(self.leaves) + len(self.ops)

    def operands(self, k: int) -> tuple[int, ...]:
        return () if k < len(self.leaves) else self.ops[k - len(self.leaves)][1]

    def op(self, k: int) -> str | None:
        return None if k < len(self.leaves) else self.ops[k - len(self.leaves)][0]

    def describe(self, k: int) -> str:
        """``v5 = v2 * v2``, or ``v0 (an input, 0.5)``."""
        if k < len(self.leaves):
            return tr("v{k} (an input, {value:g})", k=k, value=self.leaves[k])
        op, args = self.ops[k - len(self.leaves)]
        if op == "tanh":
            return f"v{k} = v{args[0]}.tanh()"
        return f"v{k} = v{args[0]} {op} v{args[1]}"

    def consumers(self, k: int) -> list[int]:
        """The ops that use node k, once per use (``v2 * v2`` uses v2 twice)."""
        return [
            j
            for j in range(len(self.leaves), self.size)
            for operand in self.operands(j)
            if operand == k
        ]

    def __str__(self) -> str:
        return "; ".join(self.describe(k) for k in range(len(self.leaves), self.size))


def random_expression(rng: np.random.Generator, n_leaves: int = 3, n_ops: int = 7) -> Expression:
    """Random ops on random inputs, in which at least one value is used twice and every
    node reaches the output (nodes left unused are added into it at the end)."""
    leaves = [float(v) for v in np.round(rng.uniform(-1.5, 1.5, n_leaves), 2)]
    ops: list[tuple[str, tuple[int, ...]]] = []
    used = [0] * n_leaves
    for _ in range(n_ops):
        k = len(used)
        op = str(rng.choice(["+", "*", "tanh"], p=[0.35, 0.35, 0.3]))
        # prefer recent nodes, so that the graph is deep as well as wide
        weights = np.arange(1, k + 1, dtype=float) ** 2
        picks = rng.choice(k, size=2, p=weights / weights.sum())
        args = (int(picks[0]),) if op == "tanh" else (int(picks[0]), int(picks[1]))
        ops.append((op, args))
        for a in args:
            used[a] += 1
        used.append(0)
    if max(used) < 2:  # make sure a value is used twice: the last node, with itself
        last = len(used) - 1
        ops.append(("*", (last, last)))
        used[last] += 2
        used.append(0)
    output = len(used) - 1
    for k in range(len(used) - 1):
        if used[k] == 0:
            ops.append(("+", (output, k)))
            used[k] += 1
            used[output] += 1
            used.append(0)
            output = len(used) - 1
    return Expression(leaves, ops)


def build_with(Value: Any, expression: Expression) -> list[Any]:  # noqa: N803
    """The expression's nodes, built with the learner's ``Value``."""
    nodes = [Value(v) for v in expression.leaves]
    for op, args in expression.ops:
        a = nodes[args[0]]
        if op == "tanh":
            nodes.append(a.tanh())
        else:
            b = nodes[args[1]]
            nodes.append(a + b if op == "+" else a * b)
    return nodes


def build_with_gradlib(expression: Expression) -> list[Any]:
    """The expression's nodes as gradlib scalars; after ``backward()`` each keeps its grad."""
    nodes = [tensor(v, requires_grad=True) for v in expression.leaves]
    for op, args in expression.ops:
        a = nodes[args[0]]
        if op == "tanh":
            out = a.tanh()
        else:
            b = nodes[args[1]]
            out = a + b if op == "+" else a * b
        out.retain_grad()
        nodes.append(out)
    nodes[-1].backward()
    return nodes


def value_neuron(xs: list[Any], ws: list[Any], b: Any) -> Any:
    """One tanh unit of Values: tanh(b + sum_i ws[i] * xs[i]), with only + , * and tanh."""
    total = b
    for w, x in zip(ws, xs):
        total = total + w * x
    return total.tanh()


def _reaches(output: Any) -> set[int]:
    """The ids of every Value that ``output`` was computed from (itself included)."""
    seen, stack = set(), [output]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            stack.extend(getattr(v, "_prev", ()))
    return seen


def _neuron_slips(x: list[float], w: list[float], b: float) -> dict[str, float]:
    """What a usual slip makes the neuron output, and how to say it."""
    weighted = sum(wi * xi for wi, xi in zip(w, x))
    return {
        tr("it has no bias: it is tanh(sum_i w_i x_i). Start the sum from b."): math.tanh(weighted),
        tr("it has no tanh: it is b + sum_i w_i x_i. Return total.tanh()."): b + weighted,
        tr("it sums the inputs, tanh(b + sum_i x_i): each term is w_i * x_i."): math.tanh(
            b + sum(x)
        ),
        tr("it sums the weights, tanh(b + sum_i w_i): each term is w_i * x_i."): math.tanh(
            b + sum(w)
        ),
        tr(
            "it keeps only the last term, tanh(b + w_3 x_3): in the loop, add to the running "
            "total (total = total + w * x), do not start it again."
        ): math.tanh(b + w[-1] * x[-1]),
        tr("it keeps only the first term, tanh(b + w_1 x_1): add every w_i * x_i."): math.tanh(
            b + w[0] * x[0]
        ),
    }


def _plain_number_slip(error: Exception) -> str:
    """What neuron's TypeError or AttributeError means: most often a plain number met a
    Value, whose + and * take two Values (it has no __radd__ and does not wrap numbers)."""
    said = tr("neuron raised {kind}: {error}", kind=type(error).__name__, error=error)
    text = str(error)
    if isinstance(error, TypeError) and "'int' and" in text and "unsupported operand" in text:
        return tr(
            "{said}. A running total that starts at 0 (as Python's sum(...) does) is the int "
            "0, and 0 + a Value fails: this Value's + takes two Values (it has no __radd__). "
            "Start the total at b: total = b, then total = total + w * x in the loop (or "
            "sum((w * x for w, x in zip(ws, xs)), b), which starts from b).",
            said=said,
        )
    if isinstance(error, AttributeError) and re.search(r"'(int|float)' object", text):
        return tr(
            "{said}. A plain number met a Value: this Value's + and * take two Values and "
            "read .data from both. Use only the Values you are given (start the total at b).",
            said=said,
        )
    return said


def check_neuron(neuron: Callable | None, Value: Any) -> Feedback:  # noqa: N803
    """Step 4: the learner's ``neuron(xs, ws, b)`` = tanh(b + sum_i ws[i] * xs[i]), built from
    their Values, on two sets of three inputs; names the usual slips and checks that every
    input, weight and the bias are in the result's graph (so gradients reach them)."""
    if neuron is None:
        return Feedback(False, tr("neuron is not defined yet; run its cell."))
    for step in (check_value_ops, check_value_tanh):
        verdict = step(Value)
        if not verdict:
            return Feedback(
                False,
                tr(
                    "first finish step {step}: {message}",
                    step=1 + (step is check_value_tanh),
                    message=verdict.message,
                ),
            )
    for x, w, b in (
        ([0.5, -1.0, 2.0], [0.3, 0.8, -0.4], 0.25),
        ([-1.5, 0.25, 1.0], [-0.6, 1.2, 0.7], -0.5),
    ):
        xs, ws, bias = [Value(v) for v in x], [Value(v) for v in w], Value(b)
        try:
            out = neuron(xs, ws, bias)
        except NotImplementedError:
            return Feedback(False, tr("neuron is still empty (it raises NotImplementedError)."))
        except (TypeError, AttributeError) as error:
            return Feedback(False, _plain_number_slip(error))
        except Exception as error:  # the learner's code: report it, do not crash the notebook
            return Feedback(
                False, tr("neuron raised {kind}: {error}", kind=type(error).__name__, error=error)
            )
        if not hasattr(out, "_prev"):
            return Feedback(
                False,
                tr(
                    "neuron returned {kind} {out!r}, not a Value: build it with your "
                    "Value's +, * and tanh, so that backward can walk its graph.",
                    kind=type(out).__name__,
                    out=out,
                ),
            )
        want = math.tanh(b + sum(wi * xi for wi, xi in zip(w, x)))
        where = tr(
            "With x = {x}, w = {w} and b = {b}, neuron gives {got}",
            x=x,
            w=w,
            b=b,
            got=_fmt(out.data),
        )
        if not _close(float(out.data), want):
            for message, slip in _neuron_slips(x, w, b).items():
                if _close(float(out.data), slip):
                    return Feedback(False, tr("{where}: {message}", where=where, message=message))
            return Feedback(
                False,
                tr("{where}; tanh(b + sum_i w_i x_i) is {want}.", where=where, want=_fmt(want)),
            )
        graph = _reaches(out)
        for label, values in (("x", xs), ("w", ws)):
            for i, v in enumerate(values, start=1):
                if id(v) not in graph:
                    return Feedback(
                        False,
                        tr(
                            "{where}, right, but {label}_{i} is not in its graph: the result was "
                            "made from a copy of {label}_{i} (or from its .data), so no gradient "
                            "would reach it. Use the Values you are given.",
                            where=where,
                            label=label,
                            i=i,
                        ),
                    )
        if id(bias) not in graph:
            return Feedback(
                False,
                tr(
                    "{where}, right, but b is not in its graph: use the Value b itself, "
                    "not a copy.",
                    where=where,
                ),
            )
    return Feedback(
        True,
        tr(
            "neuron computes tanh(b + sum_i w_i x_i) from the Values it is given, so backward "
            "reaches every weight, input and the bias."
        ),
    )


class ValueMLP:
    """A small tanh network built from the learner's ``Value`` (only ``+``, ``*`` and
    ``tanh``): layer by layer, unit j computes ``neuron(h, w_j, b_j)``, by default
    ``value_neuron``, tanh(b_j + sum_i w_ji h_i); the notebook passes the learner's own (or
    the worked solution's, as ``yours_or_solution`` picks). Its weights start uniform in
    [-1, 1] (``default_rng(seed)``), its biases at 0; ``parameters()`` lists them all, and
    ``loss(xs, ys)`` is the sum over the examples of (net(x) - y)**2."""

    def __init__(
        self,
        Value: Any,  # noqa: N803 - the learner's class
        sizes: tuple[int, ...],
        seed: int = 0,
        neuron: Callable[[list[Any], list[Any], Any], Any] = value_neuron,
    ) -> None:
        if len(sizes) < 2 or sizes[-1] != 1:
            raise ValueError(
                tr(
                    "ValueMLP: sizes {sizes} should list the inputs, any hidden widths and one "
                    "output, e.g. (3, 4, 4, 1).",
                    sizes=sizes,
                )
            )
        rng = np.random.default_rng(seed)
        self.Value = Value
        self.layers = [
            (
                [[Value(float(w)) for w in row] for row in rng.uniform(-1, 1, (n_out, n_in))],
                [Value(0.0) for _ in range(n_out)],
            )
            for n_in, n_out in zip(sizes, sizes[1:])
        ]
        self.n_inputs = sizes[0]
        self.neuron = neuron

    def parameters(self) -> list[Any]:
        """Every weight and bias, layer by layer."""
        found = []
        for weights, biases in self.layers:
            found.extend(w for row in weights for w in row)
            found.extend(biases)
        return found

    def __call__(self, x: Any) -> Any:
        if len(x) != self.n_inputs:
            raise ValueError(
                tr(
                    "ValueMLP: an input has {count} numbers; expected {expected}.",
                    count=len(x),
                    expected=self.n_inputs,
                )
            )
        h = [self.Value(float(v)) for v in x]
        for weights, biases in self.layers:
            h = [self.neuron(h, row, bias) for row, bias in zip(weights, biases)]
        return h[0]

    def loss(self, xs: Any, ys: Any) -> Any:
        """The sum of (net(x) - y)**2 over the examples, as one Value: - y is + (-y)."""
        total = self.Value(0.0)
        for x, y in zip(xs, ys):
            error = self(x) + self.Value(-float(y))
            total = total + error * error
        return total


def _local(expression: Expression, values: list[float], consumer: int, position: int) -> float:
    """d(consumer)/d(its operand number ``position``), at the reference values."""
    op, args = expression.op(consumer), expression.operands(consumer)
    if op == "+":
        return 1.0
    if op == "*":
        return values[args[1 - position]]
    return 1.0 - values[consumer] ** 2


def _diagnose(expression: Expression, grads: list[float], reference: list[Any]) -> str:
    """Why the learner's gradients differ: the first wrong node in backward order whose
    users' gradients are right names the op (or the += ) that passed it a wrong share."""
    values = [float(t.item()) for t in reference]
    wanted = [float(t.grad.item()) for t in reference]
    for k in reversed(range(expression.size)):
        if _close(grads[k], wanted[k]):
            continue
        shares = []  # (consumer, operand position, contribution)
        for j in range(len(expression.leaves), expression.size):
            for position, operand in enumerate(expression.operands(j)):
                if operand == k:
                    shares.append(
                        (j, position, wanted[j] * _local(expression, values, j, position))
                    )
        if len(shares) >= 2 and any(_close(grads[k], s[2]) for s in shares):
            users = listed([expression.describe(j) for j, _, _ in shares[:2]])
            return tr(
                "v{k} is used twice ({users}), and its .grad holds one contribution instead of "
                "their sum: a _backward writes .grad = ... where it should add, .grad += ....",
                k=k,
                users=users,
            )
        ops = sorted({expression.op(j) for j, _, _ in shares})
        where = "; ".join(expression.describe(j) for j, _, _ in shares[:2])
        return tr(
            "the gradient of v{k} is {got} where the chain rule gives {want}: the {ops} gate "
            "({where}) passes back a wrong share. Run the step 1 and step 2 checks again.",
            k=k,
            got=_fmt(grads[k]),
            want=_fmt(wanted[k]),
            ops=listed(ops),
            where=where,
        )
    return tr("the gradients differ from gradlib's.")  # not reached: some node differs


def _check_one_graph(
    Value: Any,
    backward: Callable,
    expression: Expression,  # noqa: N803
) -> Feedback | None:
    """Build the expression with the learner's engine, run their backward with every
    ``_backward`` watched, and compare with gradlib; None when it all agrees."""
    try:
        nodes = build_with(Value, expression)
    except Exception as error:
        return Feedback(
            False,
            tr(
                "building {expression} raised {kind}: {error}",
                expression=expression,
                kind=type(error).__name__,
                error=error,
            ),
        )
    calls: list[tuple[int, float]] = []  # (node, its .grad when its _backward ran)

    def watched(k: int, original: Callable) -> Callable:
        def run() -> Any:
            calls.append((k, float(nodes[k].grad)))
            return original()

        return run

    for k, node in enumerate(nodes):
        node._backward = watched(k, node._backward)
    output = len(nodes) - 1
    failed = _run(lambda: backward(nodes[output]), "backward(output)")
    if failed is not None:
        return failed

    ops = range(len(expression.leaves), expression.size)
    order = [k for k, _ in calls]
    missing = [k for k in ops if k not in order]
    twice = [k for k in ops if order.count(k) > 1]
    if not calls:
        return Feedback(
            False,
            tr(
                "backward(output) called no _backward at all: list the graph's Values, then call "
                "v._backward() on each, the output first."
            ),
        )
    seed = next(g for k, g in calls if k == output) if output in order else None
    if seed is not None and seed != 1.0:
        return Feedback(
            False,
            tr(
                "output.grad was {seed} when its _backward ran: set output.grad = 1.0 "
                "first (d(output)/d(output) = 1), then walk the graph.",
                seed=_fmt(seed),
            ),
        )
    if twice:
        k = twice[0]
        return Feedback(
            False,
            tr(
                "the _backward of {node} ran {times} times in {expression}: a Value used twice "
                "was listed twice, so it passed its gradient back twice. Keep a set of visited "
                "Values and list each one once.",
                node=expression.describe(k),
                times=order.count(k),
                expression=expression,
            ),
        )
    if missing:
        return Feedback(
            False,
            tr(
                "backward(output) never called the _backward of {node} in {expression}: the "
                "order misses it. Visit every child in v._prev.",
                node=expression.describe(missing[0]),
                expression=expression,
            ),
        )
    position = {k: i for i, k in enumerate(order)}
    early = [(k, j) for k in ops for j in set(expression.consumers(k)) if position[k] < position[j]]
    if early:
        k, j = early[0]
        inputs_first = all(
            position[a] < position[k] for k in ops for a in expression.operands(k) if a in position
        )
        advice = (
            tr(
                "Your loop walks the order inputs first; walk it in reverse, output first "
                "(for v in reversed(order))."
            )
            if inputs_first
            else tr(
                "Every Value must come after all of its children in the order you walk in "
                "reverse; a walk that starts from the output (breadth first, say) can reach a "
                "Value before all of the Values that use it. List the Values with a depth-first "
                "search that appends each one after its children, then walk that list in reverse."
            )
        )
        return Feedback(
            False,
            tr(
                "the _backward of {node} ran before that of {user}, which uses it: v{k}'s "
                "gradient was not complete yet when it passed it on. {advice}",
                node=expression.describe(k),
                user=expression.describe(j),
                k=k,
                advice=advice,
            ),
        )

    reference = build_with_gradlib(expression)
    for k, (mine, ref) in enumerate(zip(nodes, reference)):
        if not _close(float(mine.data), float(ref.item())):
            return Feedback(
                False,
                tr(
                    "{node} has data {got}; gradlib computes {want}: a forward pass changed.",
                    node=expression.describe(k),
                    got=_fmt(mine.data),
                    want=_fmt(ref.item()),
                ),
            )
    grads = [float(node.grad) for node in nodes]
    if all(_close(g, float(t.grad.item())) for g, t in zip(grads, reference)):
        return None
    return Feedback(
        False,
        tr(
            "in {expression}, {diagnosis}",
            expression=expression,
            diagnosis=_diagnose(expression, grads, reference),
        ),
    )


def _check_accumulates(Value: Any, backward: Callable) -> Feedback | None:  # noqa: N803
    """Two backward() calls from two outputs that share the leaves x and y: the second must
    add to what the first left in x.grad and y.grad (a loss summed over two parts, say), not
    start again from 0. None when it adds."""
    x, y = Value(1.5), Value(-0.5)
    failed = _run(lambda: backward(x * y), "backward(x * y)")
    if failed is not None:
        return failed
    first = (float(x.grad), float(y.grad))
    second = (x + y).tanh()
    failed = _run(lambda: backward(second), "backward((x + y).tanh())")
    if failed is not None:
        return failed
    share = 1 - math.tanh(1.0) ** 2  # d tanh(x + y)/dx = d/dy, at x + y = 1
    got = (float(x.grad), float(y.grad))
    want = (first[0] + share, first[1] + share)
    if all(_close(g, w) for g, w in zip(got, want)):
        return None
    if all(_close(g, share) for g in got):
        return Feedback(
            False,
            tr(
                "your backward resets .grad before it walks: gradients from an earlier "
                "backward() are lost; zeroing is the training loop's job (p.grad = 0 before each "
                "step), so backward sets only output.grad = 1.0. After backward(x * y) (x = 1.5, "
                "y = -0.5: x.grad = {first}) then backward((x + y).tanh()), x.grad should be "
                "{want}, the sum of both (as for a loss in two parts); it is {got}, the second "
                "alone.",
                first=_fmt(first[0]),
                want=_fmt(want[0]),
                got=_fmt(got[0]),
            ),
        )
    return Feedback(
        False,
        tr(
            "after backward(x * y) then backward((x + y).tanh()) with x = 1.5, y = -0.5, x.grad "
            "is {x_got} and y.grad {y_got}; each should be the sum of both backward calls' "
            "shares, {x_want} and {y_want}.",
            x_got=_fmt(got[0]),
            y_got=_fmt(got[1]),
            x_want=_fmt(want[0]),
            y_want=_fmt(want[1]),
        ),
    )


def check_tiny_engine(Value: Any, backward: Callable | None) -> Feedback:  # noqa: N803
    """Step 3: steps 1 and 2 again, then ``backward`` on 30 random expressions (each with a
    value used twice) against gradlib, every ``_backward`` call watched for its order, and
    on two outputs that share their inputs (a second backward() adds to the first's .grad)."""
    for step in (check_value_ops, check_value_tanh):
        verdict = step(Value)
        if not verdict:
            return Feedback(
                False,
                tr(
                    "first finish step {step}: {message}",
                    step=1 + (step is check_value_tanh),
                    message=verdict.message,
                ),
            )
    if backward is None:
        return Feedback(False, tr("backward is not defined yet; run its cell."))
    rng = np.random.default_rng(2024)
    expressions = [random_expression(rng, n_ops=int(rng.integers(3, 9))) for _ in range(30)]
    for expression in expressions:
        verdict = _check_one_graph(Value, backward, expression)
        if verdict is not None:
            return verdict
    verdict = _check_accumulates(Value, backward)
    if verdict is not None:
        return verdict
    longest = max(e.size for e in expressions)
    return Feedback(
        True,
        tr(
            "on {count} random expressions of up to {longest} values, each with a "
            "value used twice, your engine's values and gradients equal gradlib's, every "
            "_backward ran once, after those of the values that use it.",
            count=len(expressions),
            longest=longest,
        ),
    )


# ===== exercise 2: the backward pass of the two-layer MLP ======================================

MLP_GRADIENTS = ("dZ2", "dW2", "db2", "dH", "dZ1", "dW1", "db1")


def mlp_gradients(
    X: np.ndarray, T: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> dict[str, np.ndarray]:
    """The backward pass of section 4 for the loss mean_i -log softmax(Z2)[i, y_i]; T is the
    one-hot target (N, C). Returns the seven gradients and the forward arrays (Z1, H, P).

        dZ2 = (P - T) / N          dW2 = H^T dZ2        db2 = dZ2 summed over the rows
        dH  = dZ2 W2^T             dZ1 = dH * [Z1 > 0]
        dW1 = X^T dZ1              db1 = dZ1 summed over the rows
    """
    n = len(X)
    Z1 = X @ W1 + b1
    H = np.maximum(Z1, 0.0)
    P = softmax_array(H @ W2 + b2, axis=1)
    dZ2 = (P - T) / n
    dH = dZ2 @ W2.T
    dZ1 = dH * (Z1 > 0)
    return {
        "dZ2": dZ2,
        "dW2": H.T @ dZ2,
        "db2": dZ2.sum(axis=0),
        "dH": dH,
        "dZ1": dZ1,
        "dW1": X.T @ dZ1,
        "db1": dZ1.sum(axis=0),
        "Z1": Z1,
        "H": H,
        "P": P,
    }


def _mlp_slips(name: str, X, T, W1, W2, ref: dict[str, np.ndarray]) -> list[tuple[np.ndarray, str]]:
    """What the usual slips give for one gradient (from the right upstream gradients)."""
    n = len(X)
    Z1, H, P = ref["Z1"], ref["H"], ref["P"]
    dZ2, dH, dZ1 = ref["dZ2"], ref["dH"], ref["dZ1"]
    sum_hint = tr(
        "b{k} was added to every row, so its gradient adds up {up} over the rows: sum over axis 0."
    )
    extra_n = tr(
        "is 1/N times the right one, a 1/N too many: the 1/N of the mean loss is already inside "
        "dZ2, and every gradient after it only adds up what the rows contribute."
    )

    def bias_slips(k: int, up: np.ndarray, columns: str) -> list[tuple[np.ndarray, str]]:
        """The slips in a bias gradient b{k}, from its layer's upstream gradient dZ{k}."""
        name, up_name = f"db{k}", f"dZ{k}"
        return [
            (
                up.sum(axis=1),
                tr(
                    "{name} sums over the wrong axis ({columns}, axis 1). {hint}",
                    name=name,
                    columns=columns,
                    hint=sum_hint.format(k=k, up=up_name),
                ),
            ),
            (
                up.mean(axis=0),
                tr(
                    "{name} {extra} Sum over axis 0 instead of taking the mean.",
                    name=name,
                    extra=extra_n,
                ),
            ),
            (
                up.sum(axis=0, keepdims=True),
                tr(
                    "{name} kept the summed axis: b{k} is a vector, so sum without keepdims.",
                    name=name,
                    k=k,
                ),
            ),
            (
                up.sum(),
                tr(
                    "{name} sums every entry of {up} into one number; sum over axis 0 only, "
                    "one number per column.",
                    name=name,
                    up=up_name,
                ),
            ),
        ]

    if name == "dZ2":
        return [
            (
                P - T,
                tr(
                    "dZ2 is N = {n} times too large: the loss is the mean over the N points, "
                    "so each point's P - T is divided by N.",
                    n=n,
                ),
            ),
            ((P - T) / n**2, tr("dZ2 has a 1/N too many: divide P - T by N once.")),
            (
                (T - P) / n,
                tr(
                    "dZ2 has the wrong sign: d(-log p_y)/dz_j = p_j - [j = y], "
                    "so dZ2 = (P - T) / N."
                ),
            ),
            (P / n, tr("dZ2 is missing the target: subtract the one-hot T from P.")),
        ]
    if name == "dW2":
        return [
            (dZ2.T @ H, tr("dW2 looks transposed: dZ2^T H has shape (C, M); W2 is (M, C).")),
            (
                Z1.T @ dZ2,
                tr(
                    "dW2 uses Z1, the values before the ReLU; the second layer's input "
                    "is H = relu(Z1), so dW2 = H^T dZ2."
                ),
            ),
            (H.T @ dZ2 / n, f"dW2 {extra_n}"),
        ]
    if name == "db2":
        return bias_slips(2, dZ2, tr("the classes"))
    if name == "dH":
        return [
            (W2 @ dZ2.T, tr("dH looks transposed: W2 dZ2^T has shape (M, N); H is (N, M).")),
            (
                dZ2 @ W2.T * (Z1 > 0),
                tr(
                    "dH has the ReLU mask applied already: dH is the gradient "
                    "at H, the ReLU's output. The mask belongs to the next step, dZ1 (if you "
                    "masked dH in place, as in dH[Z1 <= 0] = 0, mask a copy: dZ1 = dH.copy())."
                ),
            ),
            (dZ2 @ W2.T / n, f"dH {extra_n}"),
        ]
    if name == "dZ1":
        return [
            (
                dH,
                tr(
                    "dZ1 equals dH: the ReLU mask is forgotten. relu'(Z1) is 1 where Z1 > 0 and "
                    "0 elsewhere, so dZ1 = dH * (Z1 > 0)."
                ),
            ),
            (
                dH * (dH > 0),
                tr(
                    "dZ1 keeps the positive entries of dH: the mask is made from the "
                    "gradient. relu' depends on the forward input: the mask is Z1 > 0."
                ),
            ),
            (
                dH * (Z1 < 0),
                tr(
                    "dZ1 keeps dH where Z1 < 0: the mask is the wrong way round; the "
                    "ReLU passes the gradient where Z1 > 0."
                ),
            ),
            (
                dH * H,
                tr(
                    "dZ1 multiplies dH by H, the ReLU's output; relu'(Z1) is the 0/1 mask "
                    "Z1 > 0, not the value."
                ),
            ),
            (
                dH * Z1,
                tr("dZ1 multiplies dH by Z1; relu'(Z1) is the 0/1 mask Z1 > 0, not Z1."),
            ),
            (
                dH * (X @ W1 > 0),
                tr("dZ1's mask comes from X W1 without b1; the ReLU's input is Z1 = X W1 + b1."),
            ),
            (dH * (Z1 > 0) / n, f"dZ1 {extra_n}"),
        ]
    if name == "dW1":
        return [
            (dZ1.T @ X, tr("dW1 looks transposed: dZ1^T X has shape (M, D); W1 is (D, M).")),
            (
                X.T @ dH,
                tr(
                    "dW1 uses dH: the ReLU mask is forgotten here. The first layer's "
                    "output is Z1, so dW1 = X^T dZ1."
                ),
            ),
            (X.T @ dZ1 / n, f"dW1 {extra_n}"),
        ]
    return [  # db1
        *bias_slips(1, dZ1, tr("the hidden units")),
        (dH.sum(axis=0), tr("db1 adds up dH: the ReLU mask is forgotten here; sum dZ1.")),
    ]


def mlp_exercise_cases() -> list[tuple[np.ndarray, ...]]:
    """Two small problems (X, T, W1, b1, W2, b2) whose dimensions N, D, M, C all differ (so
    a transposed gradient has the wrong shape), with nonzero biases and no Z1 near 0."""
    cases = []
    for seed, (n, d, m, c) in ((5, (6, 3, 5, 4)), (8, (7, 4, 3, 2))):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, d))
        T = np.eye(c)[rng.integers(0, c, n)]
        W1 = rng.standard_normal((d, m))
        b1 = 0.5 * rng.standard_normal(m)
        W2 = rng.standard_normal((m, c))
        b2 = 0.5 * rng.standard_normal(c)
        cases.append((X, T, W1, b1, W2, b2))
    return cases


def _raised(function: Callable, error: Exception, case: str, sizes: dict[str, int]) -> str:
    """What the learner's function raised, quoting the line of theirs that raised it, with
    every shape in numpy's message read as letters when the sizes all differ: in a case with
    N = 6 and M = 5, (5, 6) is (M, N). ``case`` names the test case, ``sizes`` its letters."""
    code = getattr(function, "__code__", None)
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if f.name == function.__name__ and (code is None or f.filename == code.co_filename)
    ]
    text = str(error).strip()
    if frames and frames[-1].line:
        message = tr(
            "{function} raised {kind} in the line `{line}`: {text}",
            function=function.__qualname__,
            kind=type(error).__name__,
            line=frames[-1].line,
            text=text,
        )
    else:
        message = tr(
            "{function} raised {kind}: {text}",
            function=function.__qualname__,
            kind=type(error).__name__,
            text=text,
        )
    letters = {size: letter for letter, size in sizes.items()}
    readable = len(letters) == len(sizes)  # two letters with one size: no reading
    shapes = []
    for found in re.findall(r"\((\d+),\s*(\d+)\)|size (\d+) is different from (\d+)", text):
        numbers = [int(v) for v in found if v]
        if readable and all(v in letters for v in numbers):
            (p, q), (lp, lq) = numbers, (letters[numbers[0]], letters[numbers[1]])
            read = (
                tr("({p}, {q}) is ({lp}, {lq})", p=p, q=q, lp=lp, lq=lq)
                if found[0]
                else tr("{p} is {lp} and {q} is {lq}", p=p, q=q, lp=lp, lq=lq)
            )
            if read not in shapes:
                shapes.append(read)
    sizes_line = tr(
        "{case}: {sizes}",
        case=case,
        sizes=", ".join(f"{letter} = {size}" for letter, size in sizes.items()),
    )
    if shapes:
        return tr(
            "{message}. In {sizes}, so {shapes}.",
            message=message,
            sizes=sizes_line,
            shapes=listed(shapes),
        )
    return tr("{message} ({sizes}).", message=message, sizes=sizes_line)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-12)


class _LearnerMLP(Function):
    """The MLP's loss, with the learner's gradients as its backward (for gradcheck)."""

    @staticmethod
    def forward(ctx: Context, W1, b1, W2, b2, X, T, backward):
        grads = backward(X, T, W1, b1, W2, b2)
        ctx.grads = [np.asarray(grads[k], dtype=float) for k in ("dW1", "db1", "dW2", "db2")]
        P = softmax_array(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2, axis=1)
        return np.asarray(-np.mean(np.log(np.sum(P * T, axis=1))))

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad * g for g in ctx.grads)


def check_mlp_backward(mlp_backward: Callable | None) -> Feedback:
    """Exercise 2: the learner's ``mlp_backward(X, T, W1, b1, W2, b2)``, which returns a dict
    of the seven gradients, checked one by one in backward order on two small problems
    (naming the usual slips), then its weight gradients through ``gl.gradcheck``."""
    if mlp_backward is None:
        return Feedback(False, tr("mlp_backward is not defined yet; run its cell."))
    cases = mlp_exercise_cases()
    for number, case in enumerate(cases, start=1):
        X, T, W1, b1, W2, b2 = case
        try:
            got = mlp_backward(*[copy.deepcopy(a) for a in case])
        except Exception as error:  # the learner's code: report it, with the line and shapes
            (n, d), (m, c) = X.shape, W2.shape
            sizes = {"N": n, "D": d, "M": m, "C": c}
            case_name = tr("test case {number}", number=number)
            return Feedback(False, _raised(mlp_backward, error, case_name, sizes))
        if not isinstance(got, dict) or set(MLP_GRADIENTS) - set(got):
            return Feedback(
                False,
                tr(
                    "mlp_backward should return the dict of its last line, with the keys {keys}.",
                    keys=", ".join(MLP_GRADIENTS),
                ),
            )
        ref = mlp_gradients(X, T, W1, b1, W2, b2)
        right: list[str] = []
        for name in MLP_GRADIENTS:
            answer = got[name]

            def done(message: str, right: list[str] = right) -> str:
                """``message``, after the gradients found right so far."""
                if not right:
                    return message
                if len(right) == 1:
                    return tr("{names} is right; {message}", names=right[0], message=message)
                return tr("{names} are right; {message}", names=listed(right), message=message)

            if answer is None or answer is Ellipsis:
                return Feedback(False, done(tr("{name} is still empty (None).", name=name)))
            mine = read_numbers(answer, name)
            if isinstance(mine, Feedback):
                return Feedback(False, done(mine.message))
            for slip, message in _mlp_slips(name, X, T, W1, W2, ref):
                if _same(mine, slip) and not _same(slip, ref[name]):
                    return Feedback(False, done(message))
            verdict = check_array(mine, ref[name], name=name, reveal=False, rtol=1e-6, atol=1e-10)
            if not verdict:
                n, d = X.shape
                m, c = W2.shape
                sizes = tr(
                    "{message} (test case {number}: N = {n}, D = {d}, M = {m}, C = {c})",
                    message=verdict.message,
                    number=number,
                    n=n,
                    d=d,
                    m=m,
                    c=c,
                )
                return Feedback(False, done(sizes))
            right.append(name)
    X, T, W1, b1, W2, b2 = cases[0]
    result = gradcheck(lambda *w: _LearnerMLP.apply(*w, X, T, mlp_backward), W1, b1, W2, b2)
    if not result:
        return Feedback(
            False, tr("gl.gradcheck disagrees with your gradients:\n{result}", result=result)
        )
    return Feedback(
        True,
        tr(
            "all seven gradients match, on two problems whose dimensions all differ, and "
            "gl.gradcheck finds your dW1, db1, dW2 and db2 equal to central differences."
        ),
    )


# ===== exercise 3: find the bug with gradcheck =================================================


class BuggyLinear(Function):
    """out = x @ w.T + b, with PyTorch's weight layout: w has shape (out_features, in_features).

    x (N, in), w (out, in), b (out,) -> out (N, out). Its backward has one bug.
    """

    @staticmethod
    def forward(ctx: Context, x, w, b):
        ctx.x, ctx.w = x, w
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad):
        dx = grad @ ctx.w  # (N, out) @ (out, in) -> (N, in)
        dw = ctx.x.T @ grad  # (in, N) @ (N, out) -> (in, out)
        db = grad.sum(axis=0)  # (out,)
        return dx, dw, db


def gradcheck_summary(result: GradcheckResult, names: tuple[str, ...]) -> str:
    """One line per input: ok, or where backward and finite differences disagree.

    Unlike ``print(result)`` it leaves out the tiny errors of the inputs that pass
    (their last digits depend on the machine), so a notebook prints the same everywhere.
    """
    lines = [tr("gradcheck passed") if result.passed else tr("gradcheck FAILED")]
    for check in result.inputs:
        where = dict(index=check.index, name=names[check.index], shape=check.shape)
        if check.passed:
            line = tr("  input {index} ({name}, shape {shape}): ok", **where)
        else:
            line = tr(
                "  input {index} ({name}, shape {shape}): MISMATCH, worst at entry {worst}: "
                "backward gives {analytic:.4g}, finite differences {numerical:.4g}",
                **where,
                worst=check.worst,
                analytic=check.analytic,
                numerical=check.numerical,
            )
        lines.append(line)
    return "\n".join(lines)


def _bug_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        (rng.standard_normal((5, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)),
        (rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)),
    ]


def _batch_scaled(function_class: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> str | None:
    """If one of the learner's gradients is the right one divided (or multiplied) by the
    batch size N, say which: a mean where the sum over the batch belongs, or the reverse."""
    leaves = [tensor(a, requires_grad=True) for a in (x, w, b)]
    upstream = np.random.default_rng(11).standard_normal((x.shape[0], w.shape[0]))
    function_class.apply(*leaves).backward(upstream)
    wanted = (upstream @ w, upstream.T @ x, upstream.sum(axis=0))
    n = x.shape[0]
    for label, leaf, want in zip(("dx", "dw", "db"), leaves, wanted):
        got = leaf.grad
        if got is None or np.shape(got) != want.shape or np.allclose(got, want):
            continue
        if np.allclose(got * n, want):
            return tr(
                "{label} is N = {n} times too small: it is divided by the batch size (a mean "
                "over the rows). The gradient that arrives, grad, already carries any 1/N of the "
                "loss; {label} sums the rows' contributions, with no 1/N of its own.",
                label=label,
                n=n,
            )
        if np.allclose(got, want * n):
            return tr(
                "{label} is N = {n} times too large: it is multiplied by the batch size; "
                "{label} is the plain sum of the rows' contributions.",
                label=label,
                n=n,
            )
    return None


def _shape_slip(function_class: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> str | None:
    """When the learner's backward returns a gradient of the wrong shape (the engine then
    stops with a shape error), name the usual slips: the gradients in the wrong order, db
    summed over the wrong axis, dw transposed. None when it is none of these."""
    ctx = Context()
    try:
        function_class.forward(ctx, x, w, b)
        upstream = np.random.default_rng(12).standard_normal((x.shape[0], w.shape[0]))
        got = function_class.backward(ctx, upstream)
    except Exception:  # it raised by itself: the caller quotes the line
        return None
    if not isinstance(got, tuple | list) or len(got) != 3:
        if isinstance(got, tuple | list):
            return tr(
                "backward should return three gradients, one per input of forward: "
                "return dx, dw, db (it returned {kind} of {count}).",
                kind=type(got).__name__,
                count=len(got),
            )
        return tr(
            "backward should return three gradients, one per input of forward: "
            "return dx, dw, db (it returned {kind}).",
            kind=type(got).__name__,
        )
    shapes = [np.shape(g) for g in got]
    wanted = [x.shape, w.shape, b.shape]
    if shapes == wanted:
        return None
    if sorted(shapes) == sorted(wanted) and shapes != wanted:
        order = ", ".join(
            label for shape in shapes for label, s in zip(("dx", "dw", "db"), wanted) if s == shape
        )
        return tr(
            "backward returns its gradients in the order {order}; they must come in the order "
            "of forward's inputs, (x, w, b): return dx, dw, db.",
            order=order,
        )
    if shapes[2] != b.shape and np.allclose(np.ravel(got[2]), upstream.sum(axis=1)):
        return tr(
            "db has shape {got}: it sums grad over axis 1, the out features, one number "
            "per row. b (shape {shape}) was added to every row, so db sums over the rows: "
            "grad.sum(axis=0).",
            got=shapes[2],
            shape=b.shape,
        )
    if shapes[1] == w.T.shape and shapes[1] != w.shape:
        return tr(
            "dw has shape {got}, w's transposed: w is (out, in) = {shape}. Which "
            "product of grad (N, out) and x (N, in) has shape (out, in)?",
            got=shapes[1],
            shape=w.shape,
        )
    return None


def check_fixed_linear(function_class: Any) -> Feedback:
    """Exercise 3: gradcheck the learner's fixed Function on a square and a non-square weight."""
    name = getattr(function_class, "__name__", None) or tr("your Function")
    input_names = ("x", "w", "b")
    for number, (x, w, b) in enumerate(_bug_cases(), start=1):
        try:
            out = function_class.apply(tensor(x), tensor(w), tensor(b))
            result = gradcheck(function_class.apply, x, w, b)
        except NotImplementedError:
            return Feedback(
                False,
                tr(
                    "{name}.backward is still empty (it raises NotImplementedError); "
                    "write the fixed backward.",
                    name=name,
                ),
            )
        except Exception as error:  # the learner's code: report it, with the line and shapes
            slip = _shape_slip(function_class, x, w, b)
            where = tr("test case {number}, w of shape {shape}", number=number, shape=w.shape)
            if slip is not None:
                return Feedback(False, tr("{where}: {slip}", where=where, slip=slip))
            sizes = {"N": x.shape[0], "in": w.shape[1], "out": w.shape[0]}
            in_forward = any(f.name == "forward" for f in traceback.extract_tb(error.__traceback__))
            raising = function_class.forward if in_forward else function_class.backward
            return Feedback(False, _raised(raising, error, where, sizes))
        forward_ok = check_array(out, x @ w.T + b, name=tr("the forward output"))
        if not forward_ok:
            return Feedback(
                False,
                tr("{name}.forward changed: {message}", name=name, message=forward_ok.message),
            )
        scaled = _batch_scaled(function_class, x, w, b)
        if scaled is not None:
            return Feedback(False, scaled)
        for check in result.inputs:
            if not check.passed:
                return Feedback(
                    False,
                    tr(
                        "gradcheck still fails for input {index} ({input}, shape {shape}) on "
                        "test case {number} (w of shape {w_shape}): at entry {worst} backward "
                        "gives {analytic:.4g}, finite differences {numerical:.4g}.",
                        index=check.index,
                        input=input_names[check.index],
                        shape=check.shape,
                        number=number,
                        w_shape=w.shape,
                        worst=check.worst,
                        analytic=check.analytic,
                        numerical=check.numerical,
                    ),
                )
    return Feedback(
        True,
        tr(
            "gradcheck passes for x, w and b, with a square weight (3, 3) and a non-square "
            "one (2, 3); {name}.backward is right.",
            name=name,
        ),
    )
