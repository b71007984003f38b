"""Depthwise and separable convolutions, and keras_conv, against Keras layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import convbook
from convbook.keras_bridge import keras_conv
from convbook.layers import depthwise_conv2d, separable_conv2d

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "options", [dict(), dict(strides=2, padding="same"), dict(dilation_rate=2, padding="same")], ids=str
)
@pytest.mark.parametrize("multiplier", [1, 3])
def test_depthwise_matches_keras(options, multiplier):
    x = RNG.standard_normal((2, 9, 8, 4)).astype("float32")
    layer = keras.layers.DepthwiseConv2D(3, depth_multiplier=multiplier, **options)
    layer.build(x.shape)
    kernel = RNG.standard_normal((3, 3, 4, multiplier)).astype("float32")
    bias = RNG.standard_normal(4 * multiplier).astype("float32")
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(depthwise_conv2d(x, kernel, bias, **options), np.asarray(layer(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("options", [dict(), dict(strides=2, padding="same")], ids=str)
def test_separable_matches_keras(options):
    x = RNG.standard_normal((2, 9, 8, 3)).astype("float32")
    layer = keras.layers.SeparableConv2D(5, 3, depth_multiplier=2, **options)
    layer.build(x.shape)
    depthwise = RNG.standard_normal((3, 3, 3, 2)).astype("float32")
    pointwise = RNG.standard_normal((1, 1, 6, 5)).astype("float32")
    bias = RNG.standard_normal(5).astype("float32")
    layer.set_weights([depthwise, pointwise, bias])
    np.testing.assert_allclose(
        separable_conv2d(x, depthwise, pointwise, bias, **options), np.asarray(layer(x)), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "options",
    [dict(), dict(groups=2), dict(strides=2, padding="same"), dict(dilation_rate=2, padding="same", groups=3)],
    ids=str,
)
def test_keras_conv_matches_convbook(options):
    x = RNG.standard_normal((2, 9, 8, 6)).astype("float32")
    kernel = RNG.standard_normal((3, 2, 6 // options.get("groups", 1), 6)).astype("float32")
    bias = RNG.standard_normal(6).astype("float32")
    np.testing.assert_allclose(
        keras_conv(x, kernel, bias, **options), convbook.conv2d(x, kernel, bias, **options), rtol=1e-4, atol=1e-5
    )


def test_keras_conv_causal_1d_and_activation():
    x = RNG.standard_normal((1, 7, 2)).astype("float32")
    kernel = RNG.standard_normal((3, 2, 1)).astype("float32")
    y = keras_conv(x, kernel, padding="causal", dilation_rate=2, activation="relu")
    expected = np.maximum(convbook.conv1d(x, kernel, padding="causal", dilation_rate=2), 0)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"depthwise_kernel must have 4 axes \(kh, kw, c_in, depth_multiplier\)"):
        depthwise_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match="depthwise_kernel has 3 input channels but x has 2"):
        depthwise_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"pointwise_kernel must have shape \(1, 1, c_in \* m, c_out\)"):
        separable_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones((3, 3, 2, 1)))
    with pytest.raises(ValueError, match="x must have 3 axes"):
        keras_conv(np.ones((4, 4)), np.ones((1, 1, 1)))
