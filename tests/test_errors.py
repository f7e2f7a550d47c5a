"""Bad input gives an error a learner can act on: the op, the shapes or dtype, a fix.

Messages are matched with regular expressions, so shapes are escaped: ``\\(2, 3\\)``.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import gradlib as gl
from gradlib import functional as F
from gradlib import gradcheck, numerical_grad, rel_error
from gradlib.engine import Function


def ones(*shape, requires_grad=False):
    return gl.tensor(np.ones(shape), requires_grad=requires_grad)


# ----- shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, op",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", gl.maximum),
    ],
)
def test_broadcast_mismatch_names_the_op_and_both_shapes(name, op):
    with pytest.raises(
        ValueError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be broadcast"
    ):
        op(ones(2, 3), ones(4))
    with pytest.raises(ValueError, match=r"reshape one operand \(e\.g\. x\.reshape\(-1, 1\)\)"):
        op(ones(2, 3), ones(4))


def test_where_shape_mismatch():
    with pytest.raises(
        ValueError, match=r"where: shapes of cond \(2, 3\), x \(2, 3\) and y \(4,\)"
    ):
        gl.where(ones(2, 3) > 0, ones(2, 3), ones(4))


def test_matmul_mismatch_names_both_shapes_and_suggests_transposing_b():
    with pytest.raises(ValueError) as info:
        ones(3, 4) @ ones(3, 4)
    message = str(info.value)
    assert message.startswith("matmul: shapes (3, 4) and (3, 4) do not align (4 != 3)")
    assert "Did you mean b.T" in message


def test_matmul_mismatch_suggests_transposing_a():
    # (32, 64) @ (32, 10): a.T @ b = (64, 32) @ (32, 10) works
    with pytest.raises(ValueError, match=r"shapes \(32, 64\) and \(32, 10\) .* a\.T"):
        ones(32, 64) @ ones(32, 10)


def test_matmul_mismatch_without_a_transpose_that_fits_gives_no_hint():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\) do not align \(3 != 4\)") as info:
        ones(2, 3) @ ones(4, 5)
    assert "Did you mean" not in str(info.value)


def test_matmul_vector_and_batch_errors():
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(4,\) do not align \(3 != 4\).*only"):
        ones(3) @ ones(4)
    with pytest.raises(ValueError, match=r"batch axes of shapes \(2, 3, 4\) and \(5, 4, 4\)"):
        ones(2, 3, 4) @ ones(5, 4, 4)
    with pytest.raises(
        ValueError, match=r"matmul: both operands need at least one dimension.*use \*"
    ):
        ones(3) @ gl.tensor(2.0)


def test_reshape_permute_cat_stack_errors():
    with pytest.raises(
        ValueError, match=r"reshape: cannot reshape .* shape \(2, 3\) \(6 elements\)"
    ):
        ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) must list each of the 2 axes"):
        ones(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match=r"permute: dims \(0, 3\)"):  # not quietly taken as (0, 1)
        ones(2, 3).permute(0, 3)
    with pytest.raises(ValueError, match=r"cat: shapes \(2, 3\), \(2, 2\) must match .* dim=0"):
        gl.cat([ones(2, 3), ones(2, 2)], dim=0)
    with pytest.raises(
        ValueError, match=r"stack: all shapes must be equal, got \(2, 3\), \(2, 2\)"
    ):
        gl.stack([ones(2, 3), ones(2, 2)])
    with pytest.raises(ValueError, match="cat: needs at least one tensor"):
        gl.cat([])


def test_reduction_dim_errors_name_the_op():
    with pytest.raises(
        IndexError, match="sum: dim 3 is out of range for a tensor with 2 dimensions"
    ):
        ones(2, 3).sum(dim=3)
    with pytest.raises(IndexError, match="mean: dim -3 is out of range"):
        ones(2, 3).mean(dim=-3)
    with pytest.raises(IndexError, match="max: dim 2 is out of range"):
        ones(2, 3).max(dim=2)
    with pytest.raises(TypeError, match=r"min: dim must be one int, got \(0, 1\)"):
        ones(2, 3).min(dim=(0, 1))
    with pytest.raises(ValueError, match="max: the tensor is empty"):
        gl.tensor(np.ones(0)).max()


def test_item_of_many_values():
    with pytest.raises(ValueError, match=r"item: only a one-element tensor .* shape \(2, 3\)"):
        ones(2, 3).item()


# ----- dtypes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype_name",
    [
        (["a", "b"], "<U1"),
        (np.array([1, None], dtype=object), "object"),
        (np.array([1 + 2j]), "complex128"),
    ],
)
def test_non_numeric_data_is_a_type_error_naming_the_dtype(data, dtype_name):
    with pytest.raises(
        TypeError, match=rf"tensor: data of dtype {re.escape(dtype_name)} is not numeric"
    ):
        gl.tensor(data)


def test_non_numeric_operand_is_a_type_error():
    with pytest.raises(TypeError, match="dtype <U1 is not numeric"):
        ones(2) + "a"


def test_requires_grad_on_integer_data():
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point data.*int64"):
        gl.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad_: dtype bool is not floating-point"):
        gl.tensor([True]).requires_grad_()


def test_where_needs_a_boolean_condition():
    with pytest.raises(TypeError, match="where: condition must be boolean, got dtype float64"):
        gl.where(ones(3), ones(3), ones(3))


# ----- backward ------------------------------------------------------------------------------


def test_backward_of_a_non_scalar_needs_a_gradient():
    y = ones(2, 3, requires_grad=True) * 2.0
    with pytest.raises(
        RuntimeError, match=r"output has shape \(2, 3\).*y\.sum\(\).*grad= with shape"
    ):
        y.backward()


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = ones(2, 3, requires_grad=True) * 2.0
    with pytest.raises(
        ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2, 3\)"
    ):
        y.backward(np.ones(3))


def test_backward_of_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        (ones(2) * 2.0).sum().backward()


class ForgetsUnbroadcast(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # b had shape (3,), grad has (2, 3)


class ReturnsOneGradient(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_a_backward_with_the_wrong_shape_is_caught_by_the_engine():
    a, b = ones(2, 3, requires_grad=True), ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"ForgetsUnbroadcast\.backward returned a gradient of shape \(2, 3\) for an input "
        r"of shape \(3,\).*unbroadcast",
    ):
        ForgetsUnbroadcast.apply(a, b).sum().backward()


def test_a_backward_with_the_wrong_number_of_gradients():
    a, b = ones(3, requires_grad=True), ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError, match="ReturnsOneGradient.backward returned 1 gradients for 2"
    ):
        ReturnsOneGradient.apply(a, b).sum().backward()


def test_numpy_functions_on_tensors_are_refused():
    with pytest.raises(TypeError):
        np.log(ones(3, requires_grad=True))


# ----- softmax, clamp ------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_without_dim(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: give dim explicitly \(e\.g\. dim=1"):
        fn(ones(2, 3))
    with pytest.raises(
        IndexError, match=rf"{fn.__name__}: dim 2 is out of range for shape \(2, 3\)"
    ):
        fn(ones(2, 3), dim=2)


def test_clamp_bounds():
    with pytest.raises(ValueError, match="clamp: give at least one of min and max"):
        ones(3).clamp()
    with pytest.raises(ValueError, match=r"clamp: min \(1\) is larger than max \(0\)"):
        ones(3).clamp(1, 0)


# ----- warnings where a result has nan or inf ------------------------------------------------


def test_log_of_non_positive_numbers_warns_naming_the_op():
    with pytest.warns(RuntimeWarning, match=r"log: 2 of 3 inputs are outside its domain.*clamp"):
        out = gl.log(gl.tensor([1.0, 0.0, -1.0]))
    assert out.data[0] == 0.0 and out.data[1] == -np.inf and np.isnan(out.data[2])


def test_log_warning_points_at_the_callers_line():
    with pytest.warns(RuntimeWarning, match="log:") as record:
        gl.log(gl.tensor([0.0]))
    assert record[0].filename == __file__


def test_sqrt_of_negative_numbers_warns():
    with pytest.warns(RuntimeWarning, match=r"sqrt: 1 of 2 inputs .*clamp\(min=0\)"):
        gl.sqrt(gl.tensor([4.0, -1.0]))


def test_division_by_zero_warns():
    with pytest.warns(RuntimeWarning, match=r"div: the divisor has zeros.*b \+ 1e-12"):
        out = gl.tensor([1.0, 0.0]) / gl.tensor([0.0, 0.0])
    assert out.data[0] == np.inf and np.isnan(out.data[1])


def test_valid_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gl.log(gl.tensor([1e-300, 2.0]))
        gl.sqrt(gl.tensor([0.0, 2.0]))
        _ = gl.tensor([1.0]) / gl.tensor([-1e-300])


# ----- gradcheck helpers --------------------------------------------------------------------


def test_gradcheck_helper_errors():
    with pytest.raises(ValueError, match="gradcheck: no floating-point input to check"):
        gradcheck(lambda i: i * 2, np.array([1, 2]))
    with pytest.raises(TypeError, match="gradcheck: fn must return a Tensor, got float"):
        gradcheck(lambda t: 1.0, np.ones(2))
    with pytest.raises(ValueError, match=r"numerical_grad: .* one number, got shape \(2,\)"):
        numerical_grad(lambda a: a * 2, np.ones(2))
    with pytest.raises(ValueError, match=r"rel_error: shapes \(2,\) and \(3,\) differ"):
        rel_error(np.ones(2), np.ones(3))
