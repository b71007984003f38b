"""Transposed convolutions against Keras' Conv1DTranspose/Conv2DTranspose, and as the gradient of conv."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import shapes
from convbook.backward import conv2d_backward
from convbook.transposed import conv1d_transpose, conv2d_transpose


@st.composite
def transpose_cases(draw, rank):
    kernel_size = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    # Keras refuses strides > 1 with dilation > 1, as for the forward convolution.
    dilation = (1,) * rank if max(strides) > 1 else tuple(draw(st.integers(1, 2)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"]))
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(rank))
    batch = draw(st.integers(1, 2))
    c_in, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((batch, *spatial, c_in)).astype("float32")
    kernel = rng.standard_normal((*kernel_size, filters, c_in)).astype("float32")
    bias = rng.standard_normal(filters).astype("float32")
    return dict(
        x=x,
        kernel=kernel,
        bias=bias,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation,
    )


def keras_transpose(case):
    rank = case["x"].ndim - 2
    layer_class = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose}[rank]
    layer = layer_class(
        case["kernel"].shape[-2],
        case["kernel"].shape[:rank],
        strides=case["strides"],
        padding=case["padding"],
        output_padding=case["output_padding"],
        dilation_rate=case["dilation_rate"],
    )
    layer.build(case["x"].shape)
    layer.set_weights([case["kernel"], case["bias"]])
    return np.asarray(layer(case["x"]))


def ours(case):
    function = {1: conv1d_transpose, 2: conv2d_transpose}[case["x"].ndim - 2]
    options = {k: case[k] for k in ("strides", "padding", "output_padding", "dilation_rate")}
    return function(case["x"], case["kernel"], case["bias"], **options)


@settings(max_examples=60)
@given(case=transpose_cases(rank=1) | transpose_cases(rank=2))
def test_matches_keras(case):
    try:
        expected = keras_transpose(case)
    except Exception as keras_error:  # TensorFlow refuses an output_padding that does not map back to x's shape
        assert case["output_padding"] is not None, keras_error
        with pytest.raises(ValueError, match="choose another output_padding"):
            ours(case)
        return
    if expected.size == 0:  # Keras returns an empty output where the output_padding leaves no positions
        with pytest.raises(ValueError, match="choose another output_padding"):
            ours(case)
        return
    actual = ours(case)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    rank = case["x"].ndim - 2
    for axis in range(rank):
        op = None if case["output_padding"] is None else case["output_padding"][axis]
        assert actual.shape[1 + axis] == shapes.transpose_output_size(
            case["x"].shape[1 + axis],
            case["kernel"].shape[axis],
            case["strides"][axis],
            case["padding"],
            op,
            case["dilation_rate"][axis],
        )


def test_is_the_gradient_of_conv2d_with_respect_to_its_input():
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3, 2, 4))  # forward: 2 channels -> 4; transposed: 4 -> 2
    forward_input = rng.standard_normal((2, 9, 9, 2))
    grad_output = rng.standard_normal((2, 5, 5, 4))  # conv2d of 9x9, stride 2, same: 5x5
    grads = conv2d_backward(forward_input, kernel, grad_output, strides=2, padding="same")
    transposed = conv2d_transpose(grad_output, kernel, strides=2, padding="same", output_padding=0)
    np.testing.assert_allclose(transposed, grads.dx, rtol=1e-12)


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
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
