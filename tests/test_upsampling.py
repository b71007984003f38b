"""The scatter loop and zero insertion against conv2d_transpose, Keras' Conv2DTranspose and hand-worked cases."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook.transposed import conv2d_transpose
from convbook.upsampling import conv2d_transpose_loop, conv2d_transpose_zero_insertion, insert_zeros

WAYS = [conv2d_transpose_loop, conv2d_transpose_zero_insertion]


@st.composite
def transpose_cases(draw):
    kernel_size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (1, 1) if max(strides) > 1 else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    spatial = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    batch, c_in, filters = draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return dict(
        x=rng.standard_normal((batch, *spatial, c_in)),
        kernel=rng.standard_normal((*kernel_size, filters, c_in)),
        bias=rng.standard_normal(filters) if draw(st.booleans()) else None,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation,
    )


def call(function, case):
    return function(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        output_padding=case["output_padding"],
        dilation_rate=case["dilation_rate"],
    )


@pytest.mark.parametrize("way", WAYS, ids=lambda f: f.__name__)
@settings(max_examples=150)
@given(case=transpose_cases())
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
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("way", WAYS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("strides", "padding", "output_padding"),
    [(2, "valid", None), (2, "same", None), (2, "valid", 1), ((2, 3), "same", (1, 0)), (1, "same", None)],
)
def test_matches_keras(way, strides, padding, output_padding):
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
