"""convbook.keras_bridge.keras_conv: the Keras layer for a convbook call gives convbook's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import convbook
from convbook.keras_bridge import keras_conv

RNG = np.random.default_rng(0)


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
    with pytest.raises(ValueError, match="x must have 3 axes"):
        keras_conv(np.ones((4, 4)), np.ones((1, 1, 1)))


@pytest.mark.parametrize(
    ("x", "kernel", "error", "match"),
    [
        (np.ones((1, 5, 5, 1)), 3.0, ValueError, "kernel must have 4 axes"),
        (np.ones((1, 5, 5, 1)), "abc", TypeError, "kernel must be an array of real numbers"),
        (np.ones((5, 5)), np.ones((3, 3, 1, 1)), ValueError, "x must have 3 axes"),
    ],
)
def test_keras_conv_names_the_bad_argument(x, kernel, error, match):
    """Regression: a scalar kernel gave IndexError: tuple index out of range."""
    with pytest.raises(error, match=match):
        keras_conv(x, kernel)
