"""Exercise checkers: compare a learner's answer with the reference and say what is wrong.

Every notebook's exercises end with a call such as::

    check_array(my_grad, expected, name="dL/dW")

which returns a ``Feedback``. It prints as one line that starts with "Correct"
or "Not yet" and, when wrong, names the first problem it finds: no answer yet,
wrong type, wrong shape (transposed? missing axis?), nan, wrong sign, a constant
factor, or which entries / rows / columns differ and by how much.

Worked solutions sit in a collapsed cell right after the exercise (tag ``solution``,
cell metadata ``{"jupyter": {"source_hidden": true, "outputs_hidden": true}}``); its
first line is a comment, which is all JupyterLab shows of a collapsed cell. It ends with
``solution(check_...(...))``: the checker runs on the worked answer (so nbval checks every
solution, and a wrong one raises), and its verdict is shown folded, behind a "show"
toggle, so running all cells reveals no answer to a learner who has not opened it.

Every message goes through ``gradlib.language.tr``, so the Chinese edition reads it in
Chinese; a ``name`` passed in by a lesson is already in the reader's language (each lesson
package translates its own names), the default names here are translated when used.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlib.language import tr

__all__ = [
    "Feedback",
    "SolutionVerdict",
    "check_array",
    "check_function",
    "check_scalar",
    "read_number",
    "read_numbers",
    "solution",
]


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


@dataclass(frozen=True)
class Feedback:
    """A checker's verdict: ``correct`` and a message a learner can act on."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        if self.correct:
            text = tr("Correct: {message}", message=self.message)
        else:
            text = tr("Not yet: {message}", message=self.message)
        # a name filled into a Chinese template ("{name} 还是空的") is sometimes Chinese itself:
        # no space between two Chinese characters (English text has none of these characters)
        return _SPACE_BETWEEN_CJK.sub("", text)

    __repr__ = __str__


def _as_array(value: Any) -> np.ndarray | None:
    """The answer as a float64 array, or None when it is not made of real numbers.

    Strings ("9" would convert silently), booleans, complex numbers and objects are not
    numbers here: a learner who typed answer = "9" should hear about the quotes.
    """
    if hasattr(value, "data") and isinstance(value.data, np.ndarray):  # a gradlib Tensor
        value = value.data
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists
        return None
    if raw.dtype.kind not in "iuf":
        return None
    return raw.astype(np.float64)


def _wrong_type(name: str, answer: Any) -> Feedback:
    """Not numbers: say what the answer is, and the likely fix."""
    if isinstance(answer, str | bytes):
        text = answer.decode() if isinstance(answer, bytes) else answer
        try:
            advice = tr(
                'Remove the quotes: write {number:g}, not "{text}".', number=float(text), text=text
            )
        except ValueError:
            advice = tr("Give a number (or an array of numbers), without quotes.")
    elif isinstance(answer, bool | np.bool_):
        advice = tr("True/False is the result of a comparison; give the number itself.")
    else:
        try:
            values = np.ravel(np.asarray(answer, dtype=object))
        except ValueError:
            values = None
        if values is None or all(isinstance(v, list | tuple | np.ndarray) for v in values):
            advice = tr("Its rows have different lengths.")
        elif any(isinstance(v, complex | np.complexfloating) for v in values):
            advice = tr("It has an imaginary part; the answer is a real number.")
        else:
            kinds = sorted({type(v).__name__ for v in values})
            advice = tr(
                "It holds {kinds} values; use numbers (int or float) only.", kinds=", ".join(kinds)
            )
    return Feedback(
        False,
        tr(
            "{name} should be numbers, but it is a {kind}: {answer!r:.60}. {advice}",
            name=name,
            kind=type(answer).__name__,
            answer=answer,
            advice=advice,
        ),
    )


def _still_empty(name: str) -> Feedback:
    return Feedback(
        False, tr("{name} is still empty; replace the placeholder with your code.", name=name)
    )


def read_numbers(answer: Any, name: str | None = None) -> np.ndarray | Feedback:
    """The answer as a float64 array, or the ``Feedback`` that says why it is not one (still
    empty, or not real numbers). For checkers that look at an answer themselves::

        got = read_numbers(answer, "the learning rate")
        if isinstance(got, Feedback):
            return got

    ``name`` defaults to "your answer" (in the reader's language).
    """
    name = tr("your answer") if name is None else name
    if answer is None or answer is Ellipsis:
        return _still_empty(name)
    got = _as_array(answer)
    return _wrong_type(name, answer) if got is None else got


def read_number(answer: Any, name: str | None = None) -> float | Feedback:
    """``read_numbers`` for an answer that is one number: the float, or the ``Feedback``."""
    name = tr("your answer") if name is None else name
    got = read_numbers(answer, name)
    if isinstance(got, Feedback):
        return got
    if got.size != 1:
        return Feedback(
            False,
            tr("{name} is one number, not an array of shape {shape}.", name=name, shape=got.shape),
        )
    return float(got.reshape(()))


def _is_numeric(value: Any) -> bool:
    return not callable(value) and _as_array(value) is not None


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _describe_index(index: tuple[int, ...]) -> str:
    return str(index[0]) if len(index) == 1 else str(index)


def check_array(
    answer: Any,
    expected: Any,
    *,
    name: str | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    reveal: bool = True,
    entry_names: Sequence[str] | None = None,
) -> Feedback:
    """Compare ``answer`` with ``expected`` (arrays, Tensors or numbers) and explain the difference.

    Entries match when |answer - expected| <= atol + rtol * |expected|. With
    ``reveal=False`` (for answers worked out by hand) a wrong entry is called too
    large or too small instead of printing the expected value. ``entry_names``
    names the entries of a 1-D answer (e.g. ``("dg/dx", "dg/dy")``) in messages; ``name``
    defaults to "your answer" (in the reader's language).
    """
    name = tr("your answer") if name is None else name
    if answer is None or answer is Ellipsis:
        return _still_empty(name)
    got = _as_array(answer)
    want = np.asarray(expected.data if hasattr(expected, "data") else expected, dtype=np.float64)
    if got is None:
        return _wrong_type(name, answer)
    if got.shape != want.shape:
        hint = ""
        if got.ndim == 2 and got.shape[::-1] == want.shape:
            hint = tr(" It looks transposed: try .T.")
        elif got.size == want.size:
            hint = tr(
                " It has the right number of entries; reshape it to {shape}.", shape=want.shape
            )
        elif got.ndim == want.ndim + 1 or got.ndim + 1 == want.ndim:
            hint = tr(" An axis is missing or extra: check keepdims / a sum over the batch.")
        return Feedback(
            False,
            tr(
                "{name} has shape {shape}, expected {expected}.{hint}",
                name=name,
                shape=got.shape,
                expected=want.shape,
                hint=hint,
            ),
        )
    if np.isnan(got).any():
        count = int(np.isnan(got).sum())
        return Feedback(
            False,
            tr(
                "{name} contains {count} nan value(s); look for 0/0, log of a number <= 0, or "
                "inf - inf.",
                name=name,
                count=count,
            ),
        )

    def close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.abs(a - b) <= atol + rtol * np.abs(b)

    ok = close(got, want)
    if ok.all():
        if got.ndim == 0:
            return Feedback(True, tr("{name} = {value}.", name=name, value=_fmt(float(got))))
        return Feedback(
            True,
            tr("{name} matches the reference in all {size} entries.", name=name, size=got.size),
        )

    if want.size and np.abs(want).max() > atol and close(-got, want).all():
        return Feedback(
            False, tr("{name} has the right size but the wrong sign everywhere.", name=name)
        )
    nonzero = np.abs(want) > atol
    # an array of zeros is no "factor of 0" (a single number is called too small or large)
    if got.size > 1 and nonzero.any() and not np.abs(got).max() > atol:
        return Feedback(
            False,
            tr("{name} is zero everywhere: has the computation run yet?", name=name),
        )
    # with one nonzero entry every wrong value is "a constant factor": say which value instead
    if np.count_nonzero(nonzero) > 1:
        ratios = got[nonzero] / want[nonzero]
        ratio = float(np.median(ratios))
        if np.isfinite(ratio) and abs(ratio - 1) > 1e-3 and close(got, ratio * want).all():
            return Feedback(
                False,
                tr(
                    "{name} is {ratio} times the reference everywhere: a constant factor "
                    "is off (a missing 1/N for a mean, a 2 from a square, a learning rate?).",
                    name=name,
                    ratio=_fmt(ratio),
                ),
            )

    def verdict(mine: float, reference: float) -> str:
        if reveal:
            return tr("expected {value}", value=_fmt(reference))
        return tr("which is too large") if mine > reference else tr("which is too small")

    if got.ndim == 0:
        return Feedback(
            False,
            tr(
                "{name} = {value}, {verdict}.",
                name=name,
                value=_fmt(float(got)),
                verdict=verdict(float(got), float(want)),
            ),
        )

    wrong = np.argwhere(~ok)
    parts = []
    for index in wrong[:3]:
        index = tuple(int(i) for i in index)
        where = (
            entry_names[index[0]]
            if entry_names is not None and got.ndim == 1
            else tr("at {index}", index=_describe_index(index))
        )
        parts.append(
            tr(
                "{where} yours is {value}, {verdict}",
                where=where,
                value=_fmt(got[index]),
                verdict=verdict(got[index], want[index]),
            )
        )
    more = len(wrong) > 3
    text = tr(
        "{count} of {size} entries of {name} differ: {listed}",
        count=len(wrong),
        size=got.size,
        name=name,
        listed=tr("; ").join(parts) + (tr("; ...") if more else ""),
    )
    rows, cols = set(wrong[:, 0].tolist()), set(wrong[:, -1].tolist())
    if got.ndim == 2 and len(wrong) > 1 and len(cols) == 1:
        return Feedback(
            False, text + tr(". All of them are in column {column}.", column=cols.pop())
        )
    if got.ndim == 2 and len(wrong) > 1 and len(rows) == 1:
        return Feedback(False, text + tr(". All of them are in row {row}.", row=rows.pop()))
    return Feedback(False, text + ("" if more or text.endswith(".") else tr(".")))


def check_scalar(
    answer: Any,
    expected: float,
    *,
    name: str | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    reveal: bool = True,
) -> Feedback:
    """``check_array`` for a single number; a one-element array or Tensor is accepted."""
    name = tr("your answer") if name is None else name
    # np.asarray(None, dtype=float) is nan: let check_array report the placeholder as empty.
    got = None if answer is None or answer is Ellipsis else _as_array(answer)
    if got is not None and got.size == 1:
        answer = got.reshape(())
    elif got is not None and got.ndim > 0:
        return Feedback(
            False,
            tr(
                "{name} should be a single number, but it has shape {shape}.",
                name=name,
                shape=got.shape,
            ),
        )
    return check_array(answer, expected, name=name, atol=atol, rtol=rtol, reveal=reveal)


def check_function(
    function: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[tuple],
    *,
    name: str | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> Feedback:
    """Call ``function`` and ``reference`` on each tuple of arguments in ``cases`` and compare.

    Reports the first case where they differ (with ``check_array``'s explanation),
    an exception the learner's function raised, or an argument it changed in place
    (which would silently change the caller's data). ``name`` defaults to "your function"
    (in the reader's language).
    """
    name = tr("your function") if name is None else name
    if function is None:
        return Feedback(
            False, tr("{name} is not defined yet; write it in the cell above.", name=name)
        )
    for number, case in enumerate(cases, start=1):
        expected = reference(*case)
        # The learner's function gets copies, so a slip that changes its input in place is
        # reported without spoiling the test case for the next try.
        args = [copy.deepcopy(a) for a in case]
        try:
            got = function(*args)
        except NotImplementedError:
            return Feedback(
                False, tr("{name} still raises NotImplementedError; fill in its body.", name=name)
            )
        except Exception as error:  # the learner's code: report, do not crash the notebook
            return Feedback(
                False,
                tr(
                    "{name} raised {error_type}: {error} (on test case {number}).",
                    name=name,
                    error_type=type(error).__name__,
                    error=error,
                    number=number,
                ),
            )
        for position, (arg, original) in enumerate(zip(args, case), start=1):
            if _is_numeric(original) and not np.array_equal(
                _as_array(arg), _as_array(original), equal_nan=True
            ):
                return Feedback(
                    False,
                    tr(
                        "{name} changed its argument {position} in place (on test case "
                        "{number}), so the caller's data would change too; work on a copy, "
                        "e.g. np.array(w) or gl.tensor(w, requires_grad=True).",
                        name=name,
                        position=position,
                        number=number,
                    ),
                )
        verdict = check_array(
            got,
            expected,
            name=tr("the result of case {number}", number=number),
            atol=atol,
            rtol=rtol,
        )
        if not verdict:
            return Feedback(
                False,
                tr(
                    "{name} is wrong on test case {number}: {message}",
                    name=name,
                    number=number,
                    message=verdict.message,
                ),
            )
    return Feedback(
        True,
        tr(
            "{name} agrees with the reference on all {count} test cases.",
            name=name,
            count=len(cases),
        ),
    )


# ----- solutions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SolutionVerdict:
    """A worked solution's verdict, shown folded: "Checker: passed (show)".

    JupyterLab shows the HTML, a ``<details>`` element that opens on a click, so running
    every cell does not put the answer in front of a learner; nbval compares the plain text,
    so the committed verdict is still checked.
    """

    feedback: Feedback

    def __str__(self) -> str:
        return str(self.feedback)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        summary = tr("The checker passes this solution (click to show its verdict)")
        return (
            f"<details><summary>{html.escape(summary)}</summary>"
            f"<pre>{html.escape(str(self.feedback))}</pre></details>"
        )


def solution(feedback: Feedback) -> SolutionVerdict:
    """The last line of a worked-solution cell: raise if the checker rejects the solution,
    else return its verdict, which a notebook shows folded."""
    if not isinstance(feedback, Feedback):
        raise TypeError(f"solution() takes a checker's Feedback, got {type(feedback).__name__}")
    if not feedback:
        raise AssertionError(f"the worked solution fails its own checker: {feedback}")
    return SolutionVerdict(feedback)
