"""convbook.transposed: the three transposed convolutions (Keras' layers, the scatter loop, zero insertion) agree
with each other and with the scatter definition of the oracle; the layer is the gradient of the convolution."""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from strategies import transpose_cases

from convbook import shapes
from convbook.backward import conv2d_backward
from convbook.transposed import (
    conv1d_transpose,
    conv2d_transpose,
    conv2d_transpose_loop,
    conv2d_transpose_zero_insertion,
    insert_zeros,
)

WAYS = [conv2d_transpose_loop, conv2d_transpose_zero_insertion]
OPTIONS = ("strides", "padding", "output_padding", "dilation_rate")


def call(function, case):
    return function(case["x"], case["kernel"], case["bias"], **{k: case[k] for k in OPTIONS})


@settings(max_examples=30)
@given(case=transpose_cases(rank=1) | transpose_cases(rank=2))
def test_every_transposed_convolution_matches_the_scatter_definition(case):
    rank = case["x"].ndim - 2
    expected = oracle.transpose_case(case)
    functions = [conv1d_transpose] if rank == 1 else [conv2d_transpose, *WAYS]
    tolerance = dict(rtol=1e-5, atol=1e-5) if case["x"].dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for function in functions:
        actual = call(function, case)
        assert actual.dtype == case["x"].dtype and actual.flags.c_contiguous
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, **tolerance, err_msg=function.__name__)
    for axis in range(rank):
        op = None if case["output_padding"] is None else case["output_padding"][axis]
        n, k, s, d = (
            case["x"].shape[1 + axis],
            case["kernel"].shape[axis],
            case["strides"][axis],
            case["dilation_rate"][axis],
        )
        assert shapes.transpose_output_size(n, k, s, case["padding"], op, d) == oracle.transpose_size(
            n, k, s, case["padding"], op, d
        )


@pytest.mark.parametrize("way", WAYS, ids=lambda f: f.__name__)
@settings(max_examples=60)
@given(case=transpose_cases(rank=2, valid_only=False))
def test_matches_conv2d_transpose(way, case):
    try:
        expected = call(conv2d_transpose, case)
    except ValueError:  # an output_padding that does not map back: both must refuse it the same way
        with pytest.raises(ValueError, match="choose another output_padding"):
            call(way, case)
        return
    actual = call(way, case)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    tolerance = 1e-5 if case["x"].dtype == np.float32 else 1e-12
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("way", WAYS, ids=lambda f: f.__name__)
def test_by_hand(way):
    # Row [1, 2, 3], kernel [1, 1, 1], stride 2: stamps at 0, 2 and 4 overlap at positions 2 and 4.
    y = way(np.array([1.0, 2.0, 3.0]).reshape(1, 1, 3, 1), np.ones((1, 3, 1, 1)), strides=(1, 2))
    assert y.ravel().tolist() == [1, 1, 3, 2, 5, 3, 3]
    # A float32 input stays float32; integers become float64.
    assert way(np.ones((1, 2, 2, 1), "float32"), np.ones((2, 2, 1, 1), "float32")).dtype == np.float32
    assert way(np.ones((1, 2, 2, 1), int), np.ones((2, 2, 1, 1), int)).dtype == np.float64


def test_insert_zeros():
    x = np.arange(1.0, 7.0).reshape(1, 2, 3, 1)
    y = insert_zeros(x, (2, 3))
    assert y.shape == (1, 3, 7, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], [[1, 0, 0, 2, 0, 0, 3], [0] * 7, [4, 0, 0, 5, 0, 0, 6]])
    np.testing.assert_array_equal(insert_zeros(x, 1), x)
    assert insert_zeros(np.ones((2, 0, 3)), 2).shape == (2, 0, 3)


@pytest.mark.parametrize("way", WAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(x=np.ones((3, 3, 1)), kernel=np.ones((2, 2, 1, 1))), ValueError, r"x must have 4 axes .*x\[None\]"),
        (dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 1))), ValueError, "kernel must have 4 axes"),
        (dict(x=np.ones((1, 3, 3, 2)), kernel=np.ones((2, 2, 1, 1))), ValueError, "kernel has 1 input channels"),
        (dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((0, 2, 1, 1))), ValueError, "kernel must not be empty"),
        (dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 1, 1)), padding="full"), ValueError, "'valid' or 'same'"),
        (
            dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 1, 1)), strides=2, output_padding=2),
            ValueError,
            "output_padding must be smaller than the stride",
        ),
        (
            dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((4, 4, 1, 1)), strides=2, padding="same", output_padding=0),
            ValueError,
            "choose another output_padding",
        ),
        (
            dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 1, 1)), output_padding=(0, 0, 0)),
            ValueError,
            "output_padding must be an int or 2 ints",
        ),
        (dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 3, 1)), bias=np.ones(2)), ValueError, r"bias .*\(3,\)"),
        (dict(x=np.ones((1, 3, 3, 1)), kernel=np.ones((2, 2, 1, 1)), strides=0), ValueError, "strides"),
        (dict(x=np.array([["a"]]), kernel=np.ones((2, 2, 1, 1))), TypeError, "x must be an array of real numbers"),
    ],
)
def test_bad_input(way, kwargs, error, message):
    kwargs = dict(kwargs)
    x, kernel = kwargs.pop("x"), kwargs.pop("kernel")
    bias = kwargs.pop("bias", None)
    with pytest.raises(error, match=message):
        way(x, kernel, bias, **kwargs)


def test_insert_zeros_bad_input():
    with pytest.raises(ValueError, match="spatial axis"):
        insert_zeros(np.ones((3, 3)), 2)
    with pytest.raises(ValueError, match="strides"):
        insert_zeros(np.ones((1, 3, 3, 1)), (2, 2, 2))


def test_is_the_gradient_of_conv2d_with_respect_to_its_input():
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3, 2, 4))  # forward: 2 channels -> 4; transposed: 4 -> 2
    forward_input = rng.standard_normal((2, 9, 9, 2))
    grad_output = rng.standard_normal((2, 5, 5, 4))  # conv2d of 9x9, stride 2, same: 5x5
    grads = conv2d_backward(forward_input, kernel, grad_output, strides=2, padding="same")
    for function in (conv2d_transpose, *WAYS):
        transposed = function(grad_output, kernel, strides=2, padding="same", output_padding=0)
        np.testing.assert_allclose(transposed, grads.dx, rtol=1e-12, atol=1e-12)


def test_stamps_the_kernel_by_hand():
    # Inputs 1 and 10, stride 2, kernel [1, 2, 3]: 1 * [1 2 3] at 0 and 10 * [1 2 3] at 2, overlapping at 2.
    y = conv1d_transpose(np.array([1.0, 10.0]).reshape(1, 2, 1), np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1), strides=2)
    assert y.ravel().tolist() == [1, 2, 3 + 10, 20, 30]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: conv2d_transpose(np.ones((3, 3, 1)), np.ones((2, 2, 1, 1))),
            ValueError,
            r"x must have 4 axes .*x\[None\]",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((2, 2, 1, 1))),
            ValueError,
            "kernel has 1 input channels",
        ),
        (lambda: conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1))), ValueError, "kernel must have 4 axes"),
        (
            lambda: conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), padding="full"),
            ValueError,
            "padding must be 'valid' or 'same'",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), strides=2, output_padding=2),
            ValueError,
            r"output_padding must be smaller than the stride \(2\)",
        ),
        (
            lambda: conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((2, 2, 3, 1)), np.ones(2)),
            ValueError,
            r"bias must have shape \(filters,\) = \(3,\)",
        ),
        (
            lambda: conv1d_transpose(np.ones((1, 3, 1)), np.ones((2, 1, 1)), output_padding=(0, 0)),
            ValueError,
            "output_padding must be an int or 1 ints",
        ),
    ],
)
def test_conv_transpose_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("function", [conv2d_transpose, *WAYS], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "options",
    [
        dict(strides=2, padding="same"),
        dict(strides=(2, 3), padding="same", output_padding=(1, 0)),
        dict(dilation_rate=2, padding="same"),
        dict(strides=2),
    ],
    ids=repr,
)
def test_results_are_c_contiguous(function, options):
    """Regression: conv2d_transpose, conv1d_transpose and the loop returned views into a larger, padded buffer."""
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 2, 3))
    assert function(x, kernel, **options).flags.c_contiguous
    options_1d = {k: v[0] if isinstance(v, tuple) else v for k, v in options.items()}
    assert conv1d_transpose(x[:, 0], kernel[0], **options_1d).flags.c_contiguous
