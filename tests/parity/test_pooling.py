"""Max and average pooling against Keras' pooling layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from strategies import pool_cases

from convbook.pooling import average_pool2d, average_pool2d_loop, max_pool2d, max_pool2d_loop

MAX = [max_pool2d, max_pool2d_loop]
AVERAGE = [average_pool2d, average_pool2d_loop]


@pytest.mark.parametrize(
    ("ours", "layer"),
    [*((f, keras.layers.MaxPooling2D) for f in MAX), *((f, keras.layers.AveragePooling2D) for f in AVERAGE)],
    ids=lambda f: getattr(f, "__name__", ""),
)
@settings(max_examples=80)
@given(case=pool_cases())
def test_matches_keras(ours, layer, case):
    x, options = case
    expected = np.asarray(layer(**options)(x))
    actual = ours(x, **options)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
