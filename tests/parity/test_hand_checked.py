"""The seed notebooks' examples run through Keras' layers (their convbook side: tests/unit/test_hand_checked.py)."""

from __future__ import annotations

import keras
import numpy as np
from seeds import SEED_1D, SEED_2D, SEED_2D_EXPECTED, SEED_DETECTOR, SEED_FILTER, per_channel_loop

import convbook

CONV2D = [convbook.conv2d, convbook.conv2d_loop, convbook.conv2d_im2col, convbook.conv2d_per_tap]


def test_seed_1d_keras_conv1d():
    layer = keras.layers.Conv1D(1, kernel_size=2, padding="same")
    layer.build((None, 6, 1))
    layer.set_weights([np.asarray(SEED_FILTER, dtype=float).reshape(-1, 1, 1), np.zeros(1)])
    out = np.asarray(layer(np.asarray(SEED_1D, dtype="float32").reshape(1, -1, 1)))
    assert out[0, :, 0].tolist() == [1, 0, 1, 1, 0, 0]


def test_seed_2d_keras_conv2d():
    layer = keras.layers.Conv2D(1, kernel_size=(3, 3), padding="same")
    layer.build((None, 6, 6, 1))
    layer.set_weights([SEED_DETECTOR.reshape(3, 3, 1, 1), np.zeros(1)])
    out = np.asarray(layer(SEED_2D.reshape(1, 6, 6, 1).astype("float32")))
    np.testing.assert_array_equal(out[0, :, :, 0], SEED_2D_EXPECTED)


def test_seed_keras_conv2d_on_4x4x3_equals_per_channel_loop():
    keras.utils.set_random_seed(0)
    layer = keras.layers.Conv2D(2, (2, 2), use_bias=False)
    image = np.random.default_rng(0).standard_normal((4, 4, 3)).astype("float32")
    feature_maps = np.asarray(layer(image[None]))
    kernels = layer.get_weights()[0]
    assert feature_maps.shape == (1, 3, 3, 2)
    assert kernels.shape == (2, 2, 3, 2)
    expected = per_channel_loop(image, kernels)
    np.testing.assert_allclose(feature_maps[0], expected, rtol=1e-5, atol=1e-6)
    for conv in CONV2D:
        np.testing.assert_allclose(conv(image[None], kernels)[0], expected, rtol=1e-5, atol=1e-6)
