"""Depthwise and separable convolutions against Keras' DepthwiseConv2D and SeparableConv2D."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from convbook.depthwise import depthwise_conv2d, separable_conv2d

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
