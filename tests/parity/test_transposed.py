"""Transposed convolutions (all three ways) against Keras' Conv1DTranspose and Conv2DTranspose."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from reference import keras_transpose
from strategies import transpose_cases

from convbook import shapes
from convbook.transposed import (
    conv1d_transpose,
    conv2d_transpose,
    conv2d_transpose_loop,
    conv2d_transpose_zero_insertion,
)


def ours(case):
    function = {1: conv1d_transpose, 2: conv2d_transpose}[case["x"].ndim - 2]
    options = {k: case[k] for k in ("strides", "padding", "output_padding", "dilation_rate")}
    return function(case["x"], case["kernel"], case["bias"], **options)


@settings(max_examples=60)
@given(
    case=transpose_cases(rank=1, keras=True, valid_only=False) | transpose_cases(rank=2, keras=True, valid_only=False)
)
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


@pytest.mark.parametrize("way", [conv2d_transpose_loop, conv2d_transpose_zero_insertion], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("strides", "padding", "output_padding"),
    [(2, "valid", None), (2, "same", None), (2, "valid", 1), ((2, 3), "same", (1, 0)), (1, "same", None)],
)
def test_scatter_loop_and_zero_insertion_match_keras(way, strides, padding, output_padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 3)).astype("float32")
    kernel = rng.standard_normal((3, 3, 2, 3)).astype("float32")
    bias = rng.standard_normal(2).astype("float32")
    layer = keras.layers.Conv2DTranspose(2, 3, strides=strides, padding=padding, output_padding=output_padding)
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    expected = np.asarray(layer(x))
    actual = way(x, kernel, bias, strides=strides, padding=padding, output_padding=output_padding)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)
