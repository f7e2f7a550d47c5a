"""The exercise checkers: each kind of mistake gets its own message."""

from __future__ import annotations

import numpy as np
import pytest

import gradlib as gl
from gradlib.exercises import Feedback, check_array, check_function, check_scalar

W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def assert_not_yet(feedback, *fragments):
    assert isinstance(feedback, Feedback)
    assert not feedback and feedback.correct is False
    text = str(feedback)
    assert text.startswith("Not yet: "), text
    for fragment in fragments:
        assert fragment in text, text


def test_feedback_is_truthy_only_when_correct():
    assert Feedback(True, "fine") and not Feedback(False, "no")
    assert str(Feedback(True, "fine")) == "Correct: fine"
    assert repr(Feedback(False, "no")) == "Not yet: no"


@pytest.mark.parametrize("placeholder", [None, ...])
def test_empty_answer(placeholder):
    assert_not_yet(check_array(placeholder, W, name="dL/dW"), "dL/dW is still empty")
    assert_not_yet(check_scalar(placeholder, 1.0, name="loss"), "loss is still empty")


@pytest.mark.parametrize(
    "answer, type_name", [("abc", "str"), (["a", "b"], "list"), ({"a": 1}, "dict")]
)
def test_wrong_type(answer, type_name):
    assert_not_yet(
        check_array(answer, W, name="dL/dW"), f"dL/dW should be numbers, but it is a {type_name}"
    )
    assert_not_yet(check_scalar(answer, 1.0), f"should be numbers, but it is a {type_name}")


def test_wrong_shape_messages():
    assert_not_yet(
        check_array(W.T, W, name="dL/dW"),
        "dL/dW has shape (3, 2), expected (2, 3)",
        "It looks transposed: try .T.",
    )
    assert_not_yet(check_array(W.reshape(-1), W), "has shape (6,)", "reshape it to (2, 3)")
    assert_not_yet(check_array(W[0], W), "has shape (3,)", "An axis is missing or extra")
    assert_not_yet(check_array(W[:, :2], W), "has shape (2, 2), expected (2, 3).")
    assert_not_yet(check_scalar(np.ones(2), 1.0), "should be a single number", "shape (2,)")


def test_nan_answer():
    answer = W.copy()
    answer[0, 1] = answer[1, 2] = np.nan
    assert_not_yet(check_array(answer, W), "contains 2 nan value(s)", "log of a number <= 0")
    assert_not_yet(check_scalar(float("nan"), 1.0), "contains 1 nan value(s)")


def test_sign_flip():
    assert_not_yet(check_array(-W, W, name="grad"), "grad has the right size but the wrong sign")
    assert_not_yet(check_scalar(-2.5, 2.5), "wrong sign")


@pytest.mark.parametrize("factor", [2.0, 0.5, 1 / 32])
def test_constant_factor(factor):
    assert_not_yet(
        check_array(factor * W, W), f"is {factor:.6g} times the reference", "missing 1/N"
    )


def test_wrong_entries_in_one_column_are_named():
    answer = W.copy()
    answer[:, 2] += 1.0
    assert_not_yet(
        check_array(answer, W, name="dL/dW"),
        "2 of 6 entries of dL/dW differ",
        "at (0, 2) yours is 4, expected 3",
        "at (1, 2) yours is 7, expected 6",
        "All of them are in column 2.",
    )


def test_wrong_entries_in_one_row_are_named():
    answer = W.copy()
    answer[1, :2] = [0.0, 7.0]
    assert_not_yet(check_array(answer, W), "2 of 6 entries", "All of them are in row 1.")


def test_many_wrong_entries_are_summarised():
    answer = W + np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 3.0]])
    feedback = check_array(answer, W)
    assert_not_yet(feedback, "4 of 6 entries", "; ...")
    assert "column" not in str(feedback) and "row" not in str(feedback)


def test_wrong_vector_entry_is_named_by_its_index():
    assert_not_yet(check_array([1.0, 2.0, 9.0], [1.0, 2.0, 3.0]), "at 2 yours is 9, expected 3")


def test_wrong_scalar():
    assert_not_yet(check_scalar(2.0, 3.0, name="loss"), "loss = 2, expected 3")


def test_non_contiguous_reference_is_read_correctly():
    expected = W[:, ::2]  # a strided view: [[1, 3], [4, 6]]
    answer = expected.copy()
    answer[1, 1] = 0.0
    assert_not_yet(check_array(answer, expected), "at (1, 1) yours is 0, expected 6")


def test_correct_answers():
    assert check_array(W.copy(), W, name="dL/dW").message == (
        "dL/dW matches the reference in all 6 entries."
    )
    assert check_array(gl.tensor(W), W)  # a gradlib Tensor as the answer
    assert check_array(W, gl.tensor(W))  # or as the reference
    assert check_array(W.astype(np.float32), W)
    assert check_array(W.tolist(), W)
    assert check_array(W + 1e-9, W)  # within tolerance
    assert not check_array(W + 1e-3, W)
    assert str(check_scalar(np.array([2.5]), 2.5, name="loss")) == "Correct: loss = 2.5."
    assert check_scalar(gl.tensor(3.0), 3)
    assert check_array(np.zeros(3), np.zeros(3))


def test_tolerances_are_respected():
    assert check_scalar(1.05, 1.0, rtol=0.1)
    assert not check_scalar(1.05, 1.0)
    assert check_scalar(1e-7, 0.0)  # atol
    assert not check_scalar(1e-5, 0.0)


# ----- check_function -----------------------------------------------------------------------


def reference_softplus(x):
    return np.log1p(np.exp(x))


CASES = [(np.array([-1.0, 0.0, 2.0]),), (np.array([[0.5], [3.0]]),)]


def test_check_function_correct():
    def mine(x):
        return np.log(1 + np.exp(x))

    feedback = check_function(mine, reference_softplus, CASES, name="softplus")
    assert feedback
    assert str(feedback) == "Correct: softplus agrees with the reference on all 2 test cases."


def test_check_function_wrong_on_the_second_case():
    def mine(x):  # wrong for 2-D input: sums over an axis
        return reference_softplus(x) if x.ndim == 1 else reference_softplus(x).sum(axis=0)

    assert_not_yet(
        check_function(mine, reference_softplus, CASES, name="softplus"),
        "softplus is wrong on test case 2",
        "the result of case 2 has shape (1,), expected (2, 1)",
    )


def test_check_function_wrong_values():
    assert_not_yet(
        check_function(np.exp, reference_softplus, CASES),
        "your function is wrong on test case 1",
        "entries of the result of case 1 differ",
    )


def test_check_function_reports_an_exception():
    def mine(x):
        return x @ np.ones(5)

    assert_not_yet(
        check_function(mine, reference_softplus, CASES),
        "your function raised ValueError",
        "(on test case 1)",
    )


def test_check_function_unfinished_and_missing():
    def mine(x):
        raise NotImplementedError

    assert_not_yet(
        check_function(mine, reference_softplus, CASES), "still raises NotImplementedError"
    )
    assert_not_yet(check_function(None, reference_softplus, CASES), "is not defined yet")


def test_reveal_false_says_too_large_or_small_without_the_answer():
    scalar = check_scalar(10.0, 9.0, name="f'(2)", reveal=False)
    assert not scalar
    assert "too large" in scalar.message and "9" not in scalar.message
    array = check_array([10.0, 2.0], [11.0, 2.0], name="grad", reveal=False)
    assert "too small" in array.message and "11" not in array.message


def test_entry_names_label_the_wrong_entry():
    feedback = check_array([10.0, 2.0], [11.0, 2.0], entry_names=("dg/dx", "dg/dy"))
    assert "dg/dx yours is 10, expected 11" in feedback.message
    assert "dg/dy" not in feedback.message


def test_check_function_catches_an_argument_changed_in_place():
    def step_in_place(w, g):
        w -= 0.1 * g  # changes the caller's array
        return w

    def reference(w, g):
        return w - 0.1 * g

    cases = [(np.array([1.0, 2.0]), np.array([0.5, 0.5]))]
    feedback = check_function(step_in_place, reference, cases, name="step")
    assert not feedback
    assert "changed its argument 1 in place" in feedback.message
    # the learner's function worked on copies: the test case is as it was, for the next try
    np.testing.assert_array_equal(cases[0][0], [1.0, 2.0])
    assert check_function(reference, reference, cases)


# ----- answers that are not numbers -------------------------------------------------------


@pytest.mark.parametrize(
    "answer, advice",
    [
        ("9", 'Remove the quotes: write 9, not "9".'),
        ("nine", "without quotes"),
        (True, "True/False is the result of a comparison"),
        (np.bool_(False), "True/False is the result of a comparison"),
        (3 + 0j, "imaginary part"),
        ([1.0, "2"], "It holds float, str values"),
        ([[1.0, 2.0], [3.0]], "rows have different lengths"),
        ({"a": 1}, "It holds dict values"),
    ],
)
def test_answers_that_are_not_numbers_are_rejected_with_the_fix(answer, advice):
    for feedback in (check_scalar(answer, 9.0, name="f'(2)"), check_array(answer, [1.0, 2.0])):
        assert_not_yet(feedback, "should be numbers, but it is a", advice)


def test_numpy_numbers_and_integers_are_numbers():
    assert check_scalar(np.float32(9.0), 9.0)
    assert check_scalar(np.int64(9), 9.0)
    assert check_array(np.array([1, 2]), [1.0, 2.0])


def test_read_numbers_returns_an_array_or_the_feedback():
    from gradlib.exercises import read_numbers

    np.testing.assert_array_equal(read_numbers(gl.tensor([1.0, 2.0])), [1.0, 2.0])
    assert_not_yet(read_numbers(None, "lr"), "lr is still empty")
    assert_not_yet(read_numbers("0.1", "lr"), 'write 0.1, not "0.1"')


def test_solution_folds_a_passing_verdict_and_raises_on_a_failing_one():
    from gradlib.exercises import SolutionVerdict, solution

    verdict = solution(check_scalar(9.0, 9.0, name="f'(2)"))
    assert isinstance(verdict, SolutionVerdict)
    assert repr(verdict) == "Correct: f'(2) = 9."  # what nbval compares
    html = verdict._repr_html_()
    assert html.startswith("<details><summary>") and "f&#x27;(2) = 9." in html
    assert html.index("</summary>") < html.index("9.")  # the number only inside the fold
    with pytest.raises(AssertionError, match="fails its own checker: Not yet"):
        solution(check_scalar(8.0, 9.0))
    with pytest.raises(TypeError, match="Feedback"):
        solution(True)


def test_read_number_takes_one_number_or_says_why_not():
    from gradlib.exercises import read_number

    assert read_number(np.array([0.25])) == 0.25 and read_number(3) == 3.0
    assert_not_yet(read_number([0.1, 0.2], "lr"), "lr is one number, not an array of shape (2,)")
    assert_not_yet(read_number("0.1", "lr"), 'write 0.1, not "0.1"')
    assert_not_yet(read_number(None, "lr"), "lr is still empty")


def test_an_all_zero_answer_is_named_not_called_a_constant_factor():
    feedback = check_array(np.zeros(3), np.array([1.0, 2.0, 3.0]), name="dL/dw")
    assert not feedback.correct
    assert feedback.message == "dL/dw is zero everywhere: has the computation run yet?"


def test_every_checker_message_follows_the_language():
    """A shape error of check_number reads in Chinese once the language is Chinese."""
    import gradlib as gl

    gl.set_language("zh")
    try:
        shown = str(check_scalar([9, 9], 4.0, name="f'(2)"))
    finally:
        gl.set_language("en")
    assert shown == "还不对：f'(2) 应当是一个数，但它的形状是 (2,)。"
